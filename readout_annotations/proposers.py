"""Machine proposals: the one interface a proposer implements, and the code that stores them.

A *proposer* reads a readout and proposes, for each statement, a reading (speaker, attribution,
mode, cue) and the stances of that reading. The built-in :class:`RuleProposer` is the app's rules
(:mod:`readout_annotations.attribution` for speakers, :mod:`readout_annotations.stance_rules`
for stances); a host plugs in others (an NLI model, an LLM service) by listing them in the
``READOUT_ANNOTATIONS_PROPOSERS`` setting::

    READOUT_ANNOTATIONS_PROPOSERS = [
        "readout_annotations.proposers.RuleProposer",
        "myhost.proposers.NliStanceProposer",
    ]

Each proposer's readings are stored as machine annotations (origin ``machine``, no annotator,
never gold) under that proposer's ``name`` and ``version``, beside every other proposer's, so an
annotator and an analyst see whose proposal is whose. :func:`create_proposals` runs them all
when a readout is imported, in a fixed number of queries whatever the number of statements.
docs/stances.md shows a complete host proposer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from . import attribution, lexicon, stance_rules
from .conf import app_settings
from .stance_rules import NewTarget


@dataclass
class ProposedStance:
    """A stance of a proposed reading.

    ``target`` is a ``Target``, a ``str``: the name of a target to propose (its slug is
    ``slugify(name)``), or a :class:`~readout_annotations.stance_rules.NewTarget`: a target to
    propose with its slug, kind, aliases and description. A target with that slug is reused,
    else one is created with status ``proposed`` and ``proposed_by_machine`` the proposer's name;
    a target an annotator proposed is private to them, and the stance is then dropped. ``stance`` is a
    ``StanceValue`` (``favor``, ``against``, ``none``); ``note`` says why (at most 500 code
    points are kept).
    """

    target: object
    stance: str
    note: str = ""


@dataclass
class Reading:
    """One statement's proposed reading: ``annotation`` is an unsaved ``Annotation`` of that
    statement (its origin, annotator, gold and machine fields are set on saving); ``stances``
    its :class:`ProposedStance` list, one per target."""

    annotation: object
    stances: list[ProposedStance] = field(default_factory=list)


class Proposer:
    """The interface of a proposer.

    Subclasses set ``name`` (stored as ``Annotation.machine_name``, at most 200 characters) and
    ``version`` (``machine_version``, at most 100) and implement :meth:`propose`; ``label`` (a
    short, translatable name for people, e.g. "built-in rules") is what the admin shows instead of
    ``name`` (see :func:`machine_label`). A proposer is
    built with no arguments, once per :func:`create_proposals` call. It reads the database and
    leaves the writing of its readings to :func:`create_proposals` (the speaker rules may create
    proposed ``Speaker`` rows of their own, which readings then point at). A proposer that only proposes
    stances gives each statement's reading the speaker it trusts (for example the built-in
    speaker rules' ``attribution.proposals_for_readout``).
    """

    name: str = ""
    version: str = ""
    label: str = ""

    def propose(self, readout) -> Sequence[Reading]:
        """The readings of ``readout``'s statements (any subset, at most one per statement)."""
        raise NotImplementedError


class RuleProposer(Proposer):
    """The built-in rules: speakers from :mod:`~readout_annotations.attribution`, stances from
    :mod:`~readout_annotations.stance_rules` for statements with a proposed speaker (narration
    never gets a stance). No network access. Targets of the starter lexicon
    (:mod:`~readout_annotations.lexicon`) that the database lacks are proposed where a statement
    names them; where a speech statement names no target of the database, new targets are also
    proposed from its words (cold start)."""

    name = attribution.MACHINE_NAME
    label = _("built-in rules")

    @property
    def version(self) -> str:
        return f"{attribution.MACHINE_VERSION}+stances.{stance_rules.VERSION}"

    def propose(self, readout) -> list[Reading]:
        from .models import ReviewStatus, Speaker, Target

        annotations = attribution.proposals_for_readout(readout)
        # Confirmed targets and machine proposals: never a target an annotator proposed, which
        # only that annotator (and reviewers) may see.
        targets = list(Target.objects.usable_by(None))
        known = stance_rules.TargetIndex.from_targets(targets, key=lambda t: t.pk)
        starter = lexicon.starter_index_entries(known, {t.slug for t in targets})
        index = stance_rules.TargetIndex([*known.targets.values(), *starter])
        by_pk = {t.pk: t for t in targets}
        speaker_ids = {a.speaker_id for a in annotations if a.speaker_id is not None}
        speakers = Speaker.objects.filter(pk__in=speaker_ids).prefetch_related("members")
        countries = {s.pk: _countries(s, readout.text) for s in speakers} if speaker_ids else {}
        context = stance_rules.Context(readout_countries=stance_rules.readout_countries(readout.text))
        confirmed = {t.pk for t in targets if t.status == ReviewStatus.CONFIRMED}
        rules = stance_rules.ReadoutStances(index, context, confirmed)
        readings = []
        for annotation in annotations:
            text = annotation.statement.text
            stances: list[ProposedStance] = []
            if annotation.attribution == "narration":
                rules.narration(text)
            else:
                for s in rules.speech(text, countries.get(annotation.speaker_id, ())):
                    if isinstance(s.target, tuple):  # ("new", name): proposed earlier in this readout
                        target = s.target[1]
                    elif s.new_target or isinstance(s.target, NewTarget):
                        target = s.target
                    else:
                        target = by_pk[s.target]
                    stances.append(ProposedStance(target, s.stance, s.note))
            readings.append(Reading(annotation, _one_per_target(stances)))
        return readings


def _target_slug(target) -> str:
    """The slug a proposed stance's target has or will have."""
    if isinstance(target, NewTarget):
        return target.slug[:120]
    return stance_rules.target_slug(target)


def _one_per_target(stances: list[ProposedStance]) -> list[ProposedStance]:
    seen, kept = set(), []
    for stance in stances:
        key = stance.target.pk if hasattr(stance.target, "pk") else _target_slug(stance.target)
        if key not in seen:
            seen.add(key)
            kept.append(stance)
    return kept


def _countries(speaker, text: str) -> tuple[str, ...]:
    """The canonical countries of a speaker: its affiliation, or its members' (a group); where
    none is recorded (a speaker proposed in a cold start), the country the readout's words give
    the name ("Chinese President Xi Jinping")."""
    people = list(speaker.members.all()) or [speaker]
    found = []
    for person in people:
        country = stance_rules.country_of(person.affiliation or "") or stance_rules.country_named_with(
            text, [person.name, *(a for a in person.aliases or () if isinstance(a, str))]
        )
        if country:
            found.append(country)
    return tuple(dict.fromkeys(found))


def configured_proposers() -> list[Proposer]:
    """Instances of the proposers the ``PROPOSERS`` setting lists (dotted paths), in order.

    Raises ``ImproperlyConfigured`` naming the entry that cannot be imported or is no
    :class:`Proposer`.
    """
    paths = app_settings.PROPOSERS
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
        raise ImproperlyConfigured(f"READOUT_ANNOTATIONS_PROPOSERS must be a list of dotted paths, not {paths!r}")
    proposers = []
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as error:
            raise ImproperlyConfigured(f"READOUT_ANNOTATIONS_PROPOSERS: cannot import {path!r}: {error}") from error
        if not (isinstance(cls, type) and issubclass(cls, Proposer)):
            raise ImproperlyConfigured(f"READOUT_ANNOTATIONS_PROPOSERS: {path!r} is not a Proposer subclass")
        proposer = cls()
        if not proposer.name:
            raise ImproperlyConfigured(f"READOUT_ANNOTATIONS_PROPOSERS: {path!r} has no name")
        proposers.append(proposer)
    return proposers


def machine_label(machine_name: str) -> str:
    """What people read for the proposer stored as ``machine_name``: the ``label`` of the
    configured proposer of that name, else the name itself (a proposer no longer configured, or
    one without a label). Never raises: a broken ``PROPOSERS`` setting (check E010) gives the name.
    """
    try:
        proposers = configured_proposers()
    except ImproperlyConfigured:
        proposers = []
    for proposer in proposers:
        if proposer.name == machine_name and proposer.label:
            return str(proposer.label)
    return machine_name


def create_proposals(readout, proposers: Sequence[Proposer] | None = None) -> int:
    """Run every configured proposer (or ``proposers``) on ``readout`` and store its readings and
    their stances as machine annotations; returns how many annotations were written.

    Per proposer a fixed number of queries, whatever the number of statements: the proposer's
    own reads, one insert of the annotations, one read of the targets it names by name, one
    insert of the new ones, one read back of the annotations and one insert of the stances.
    """
    from .models import Annotation, Origin, ReviewStatus, Stance, Target

    written = 0
    for proposer in configured_proposers() if proposers is None else proposers:
        readings = [r for r in proposer.propose(readout) if r.annotation.statement_id is not None]
        for reading in readings:
            annotation = reading.annotation
            annotation.annotator = None
            annotation.origin = Origin.MACHINE
            annotation.gold = False
            annotation.machine_name = proposer.name[:200]
            annotation.machine_version = str(proposer.version)[:100]
        Annotation.objects.bulk_create([r.annotation for r in readings])
        written += len(readings)
        names: dict[str, NewTarget] = {}
        for reading in readings:
            for stance in reading.stances:
                if isinstance(stance.target, NewTarget):
                    names.setdefault(stance.target.slug[:120], stance.target)
                elif isinstance(stance.target, str):
                    slug = _target_slug(stance.target)
                    names.setdefault(slug, NewTarget(slug, stance.target))
        names.pop("", None)
        targets = {}
        if names:
            targets = {t.slug: t for t in Target.objects.filter(slug__in=names)}
            taken = {slug for slug, t in targets.items() if t.proposed_by_id is not None}
            missing = [
                Target(
                    slug=slug,
                    name=new.name[:200],
                    kind=new.kind,
                    aliases=list(new.aliases),
                    description=new.description,
                    status=ReviewStatus.PROPOSED,
                    proposed_by_machine=proposer.name[:200],
                )
                for slug, new in names.items()
                if slug not in targets
            ]
            if missing:
                Target.objects.bulk_create(missing, ignore_conflicts=True)
                targets = {t.slug: t for t in Target.objects.filter(slug__in=names)}
            for slug in taken:  # an annotator's own proposal: not the machine's to use
                del targets[slug]
        if not any(r.stances for r in readings):
            continue
        saved = dict(
            Annotation.objects.filter(uuid__in=[r.annotation.uuid for r in readings]).values_list("uuid", "pk")
        )
        stances, seen = [], set()
        for reading in readings:
            for stance in reading.stances:
                target = (
                    targets.get(_target_slug(stance.target))
                    if isinstance(stance.target, str | NewTarget)
                    else stance.target
                )
                if target is None or (reading.annotation.uuid, target.pk) in seen:
                    continue
                seen.add((reading.annotation.uuid, target.pk))
                stances.append(
                    Stance(
                        annotation_id=saved[reading.annotation.uuid],
                        target_id=target.pk,
                        stance=stance.stance,
                        note=stance.note[:500],
                    )
                )
        Stance.objects.bulk_create(stances)
    return written
