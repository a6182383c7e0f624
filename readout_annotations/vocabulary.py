"""The speakers and targets vocabulary: proposing new names, confirming them, merging duplicates.

One service for every adapter (the annotation form, the reviewer's admin, the machine proposer):

- :func:`propose_speaker` / :func:`propose_target` add a name an annotator could not find. An
  annotator's proposal is ``proposed`` and usable at once by that annotator only
  (``ProposableQuerySet.usable_by``); a reviewer's is ``confirmed``; a machine's (``machine=`` the
  proposer's name) is ``proposed`` and usable by everyone. A name (or alias, or slug) that matches
  a row the proposer may already use returns that row instead: nothing is duplicated.
- :func:`confirm` marks proposed rows as confirmed (reviewers only).
- :func:`merge_speakers` / :func:`merge_targets` fold a duplicate into the row to keep, in one
  transaction: every reference is repointed, names become aliases, the duplicate is deleted.

Errors: ``PermissionDenied`` for a user who may not do it; ``ValidationError`` by field for bad
input (nothing is written then).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ADJUDICATE_PERMISSION, Annotation, ReviewStatus, Speaker, Stance, Target

ANNOTATE_PERMISSION = "readout_annotations.add_annotation"


def _is_reviewer(user) -> bool:
    return user is not None and user.is_authenticated and user.has_perm(ADJUDICATE_PERMISSION)


def _require_reviewer(user) -> None:
    if not _is_reviewer(user):
        raise PermissionDenied(_("Only reviewers confirm or merge speakers and targets."))


def _names(row) -> list[str]:
    return [row.name, *(row.aliases or [])]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_usable(model: type[Speaker] | type[Target], user, name: str):
    """The row of ``model`` that ``user`` may use whose name, an alias or slug is ``name``
    (case and spacing ignored), or ``None``. Never looks beyond ``usable_by(user)``."""
    key, slug = _key(name), slugify(name)
    usable = model.objects.usable_by(user)
    # Lower() rather than iexact: MariaDB's binary collation makes iexact case-sensitive.
    named = usable.annotate(lower_name=Lower("name")).filter(models.Q(lower_name=name.lower()) | models.Q(slug=slug))
    exact = named.order_by("pk").first()
    if exact is not None:
        return exact
    for row in usable.exclude(aliases=[]).only("pk", "name", "aliases").order_by("pk").iterator():
        if any(_key(alias) == key for alias in row.aliases or [] if isinstance(alias, str)):
            return model.objects.get(pk=row.pk)
    return None


def _new_slug(model, name: str, *, blind: bool) -> str:
    """``slugify(name)``; an annotator's proposal always carries a random suffix, so that whether the
    plain slug is taken (by another annotator's hidden proposal) cannot be read off it."""
    base = (slugify(name) or "name")[:100]
    if not blind and not model.objects.filter(slug=base).exists():
        return base
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not model.objects.filter(slug=slug).exists():
            return slug


def _proposal_state(user, machine: str) -> dict:
    if machine:
        return {"status": ReviewStatus.PROPOSED, "proposed_by_machine": machine[:200]}
    if user is None or not user.is_authenticated or not user.has_perm(ANNOTATE_PERMISSION):
        raise PermissionDenied(_("Only annotators and reviewers propose speakers and targets."))
    if _is_reviewer(user):
        return {"status": ReviewStatus.CONFIRMED}
    return {"status": ReviewStatus.PROPOSED, "proposed_by": user}


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("A name is required.")}, code="required")
    if len(name) > 200:
        raise ValidationError({"name": _("At most 200 characters.")}, code="max_length")
    return name


def _clean_aliases(aliases: Iterable[str], name: str) -> list[str]:
    kept, seen = [], {_key(name)}
    for alias in aliases:
        if not isinstance(alias, str) or not alias.strip():
            raise ValidationError({"aliases": _("Aliases must be non-empty strings.")}, code="invalid")
        alias = " ".join(alias.split())
        if _key(alias) not in seen:
            seen.add(_key(alias))
            kept.append(alias)
    return kept


def _create(model, user, machine: str, name: str, fields: dict):
    state = _proposal_state(user, machine)
    row = model(name=name, slug=_new_slug(model, name, blind="proposed_by" in state), **fields, **state)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def propose_speaker(
    user,
    name: str,
    kind: str = Speaker.Kind.PERSON,
    *,
    title: str = "",
    affiliation: str = "",
    aliases: Sequence[str] = (),
    members: Iterable[Speaker] = (),
    machine: str = "",
) -> tuple[Speaker, bool]:
    """Add a speaker ``user`` could not find; returns ``(speaker, created)``.

    ``user``: the annotator or reviewer proposing it (``None`` with ``machine``, the proposer's
    model name). ``members`` (for a group) must be usable by ``user``. An existing usable speaker
    whose name, alias or slug is ``name`` is returned with ``created=False`` and left unchanged.
    Raises ``PermissionDenied`` or ``ValidationError`` (by field: name, kind, aliases, members).
    """
    name = _clean_name(name)
    existing = find_usable(Speaker, user, name)
    if existing is not None:
        return existing, False
    members = list(members)
    usable = set(Speaker.objects.usable_by(user).filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True))
    if any(m.pk not in usable for m in members):
        raise ValidationError({"members": _("Unknown speaker.")}, code="invalid_choice")
    speaker = _create(
        Speaker,
        user,
        machine,
        name,
        {"kind": kind, "title": title, "affiliation": affiliation, "aliases": _clean_aliases(aliases, name)},
    )
    if members:
        speaker.members.set(members)
    return speaker, True


@transaction.atomic
def propose_target(
    user,
    name: str,
    kind: str = Target.Kind.ISSUE,
    parent: Target | None = None,
    *,
    description: str = "",
    aliases: Sequence[str] = (),
    machine: str = "",
) -> tuple[Target, bool]:
    """Add a stance target ``user`` could not find; returns ``(target, created)``.

    ``parent`` must be usable by ``user``. Otherwise as :func:`propose_speaker`.
    """
    name = _clean_name(name)
    existing = find_usable(Target, user, name)
    if existing is not None:
        return existing, False
    if parent is not None and not Target.objects.usable_by(user).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": _("Unknown target.")}, code="invalid_choice")
    target = _create(
        Target,
        user,
        machine,
        name,
        {"kind": kind, "parent": parent, "description": description, "aliases": _clean_aliases(aliases, name)},
    )
    return target, True


def confirm(queryset: models.QuerySet, *, by) -> int:
    """Confirm the proposed speakers or targets of ``queryset``; returns how many changed."""
    _require_reviewer(by)
    return queryset.filter(status=ReviewStatus.PROPOSED).update(status=ReviewStatus.CONFIRMED)


# --------------------------------------------------------------------------- merging


@dataclass
class MergeReport:
    """What a merge did: counts by relation (``"annotation.speaker": 3``) and notes for the reviewer."""

    source: str
    into: str
    repointed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        moved = ", ".join(f"{n} {label}" for label, n in sorted(self.repointed.items()) if n) or _("nothing")
        summary = _("Merged %(source)s into %(into)s (%(moved)s).") % {**vars(self), "moved": moved}
        return " ".join([summary, *self.notes])


def _lock_pair(model, source, into):
    if source.pk == into.pk:
        raise ValidationError({"into": _("A row cannot be merged into itself.")}, code="same")
    rows = {row.pk: row for row in model.objects.select_for_update().filter(pk__in=[source.pk, into.pk])}
    if len(rows) != 2:
        raise ValidationError({"into": _("Both rows must exist.")}, code="missing")
    return rows[source.pk], rows[into.pk]


def _bump(annotation_ids) -> None:
    """A merge changes readings: their version moves on, so an open form saving over it conflicts."""
    Annotation.objects.filter(pk__in=list(annotation_ids)).update(version=F("version") + 1, updated_at=timezone.now())


def _fold_names(source, into) -> None:
    into.aliases = _clean_aliases([*(into.aliases or []), *_names(source)], into.name)


def _repoint_other_foreign_keys(model, source, into, report: MergeReport, handled: set) -> None:
    """Every other foreign key to ``model`` (a host's or a later model's) follows the merge too."""
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.field.name in handled.get(relation.related_model, ()):
            continue
        label = f"{relation.related_model._meta.model_name}.{relation.field.name}"
        manager = relation.related_model._base_manager
        if relation.one_to_one and manager.filter(**{relation.field.name: into}).exists():
            raise ValidationError({"into": _("Both rows are linked from %(label)s.") % {"label": label}})
        report.repointed[label] = manager.filter(**{relation.field.name: source}).update(**{relation.field.name: into})


@transaction.atomic
def merge_speakers(source: Speaker, into: Speaker, *, by) -> MergeReport:
    """Fold ``source`` into ``into`` and delete ``source``.

    Every annotation naming ``source`` names ``into`` (its version moves on); group memberships
    both ways follow (a group never becomes its own member); ``source``'s name and aliases become
    ``into``'s aliases; an empty Wikidata id on ``into`` takes ``source``'s. Reviewers only.
    """
    _require_reviewer(by)
    source, into = _lock_pair(Speaker, source, into)
    report = MergeReport(source=str(source), into=str(into))
    readings = Annotation.objects.filter(speaker=source)
    ids = list(readings.values_list("pk", flat=True))
    report.repointed["annotation.speaker"] = readings.update(speaker=into)
    _bump(ids)
    through = Speaker.members.through
    for column, other in (("from_speaker", "to_speaker"), ("to_speaker", "from_speaker")):
        moved = 0
        for link in through.objects.filter(**{column: source}):
            partner = getattr(link, f"{other}_id")
            duplicate = through.objects.filter(**{column: into, f"{other}_id": partner}).exists()
            if partner in (into.pk, source.pk) or duplicate:
                link.delete()
            else:
                through.objects.filter(pk=link.pk).update(**{column: into})
                moved += 1
        report.repointed["speaker.members" if column == "from_speaker" else "speaker.member_of"] = moved
    _repoint_other_foreign_keys(Speaker, source, into, report, {Annotation: {"speaker"}})
    _fold_names(source, into)
    if not into.wikidata_id:
        into.wikidata_id = source.wikidata_id
    source.delete()
    into.save(update_fields=["aliases", "wikidata_id"])
    return report


@transaction.atomic
def merge_targets(source: Target, into: Target, *, by) -> MergeReport:
    """Fold ``source`` into ``into`` and delete ``source``.

    Every stance on ``source`` moves to ``into``; where an annotation holds a stance on both, the
    one on ``into`` is kept, the other deleted, and the report says so. ``source``'s children move
    under ``into`` (if ``into`` sat under ``source``, it first takes ``source``'s parent, so no
    cycle forms); names become aliases. Reviewers only.
    """
    _require_reviewer(by)
    source, into = _lock_pair(Target, source, into)
    report = MergeReport(source=str(source), into=str(into))
    stances = Stance.objects.filter(target=source).select_related("annotation")
    clashes = {
        s.annotation_id: s for s in Stance.objects.filter(target=into, annotation__in=stances.values("annotation"))
    }
    dropped = [s for s in stances if s.annotation_id in clashes]
    for stance in dropped:
        kept = clashes[stance.annotation_id]
        report.notes.append(
            _(
                "Annotation %(uuid)s held a stance on both: kept %(kept)s on %(into)s, "
                "dropped %(dropped)s on %(source)s."
            )
            % {
                "uuid": stance.annotation.uuid,
                "kept": kept.stance,
                "into": into,
                "dropped": stance.stance,
                "source": source,
            }
        )
    Stance.objects.filter(pk__in=[s.pk for s in dropped]).delete()
    ids = set(stances.values_list("annotation_id", flat=True)) | {s.annotation_id for s in dropped}
    report.repointed["stance.target"] = Stance.objects.filter(target=source).update(target=into)
    _bump(ids)
    ancestor = into.parent
    while ancestor is not None and ancestor.pk != source.pk:
        ancestor = ancestor.parent
    if ancestor is not None:  # into sits under source
        into.parent_id = source.parent_id
        into.save(update_fields=["parent"])
    report.repointed["target.children"] = Target.objects.filter(parent=source).update(parent=into)
    _repoint_other_foreign_keys(Target, source, into, report, {Stance: {"target"}, Target: {"parent"}})
    _fold_names(source, into)
    source.delete()
    into.save(update_fields=["aliases"])
    return report
