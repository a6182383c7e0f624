"""The canonical statement record: one shape for the API, every export, every import and the tests.

A record describes one reading of one statement::

    {"readout": "xi-lukashenko-talks-2023-03-01", "statement": 3, "paragraph": 2,
     "start": 812, "end": 1012, "text": "...", "speaker": "xi-jinping",
     "speaker_name": "Xi Jinping", "attribution": "explicit", "mode": "indirect",
     "cue": "emphasized", "stances": [{"target": "taiwan", "target_name": "Taiwan",
     "stance": "favor"}], "annotator": "annotator1", "origin": "human", "gold": true}

A statement without a reading (no gold yet) has ``speaker``, ``speaker_name``,
``attribution``, ``mode``, ``cue``, ``annotator`` and ``origin`` null, ``stances``
empty and ``gold`` false.

Reading a record back (``RecordResolver.resolve``) checks every field against the
database and raises one ``ValidationError`` keyed by field; ``apply_record`` then
writes the annotation and its stances in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from .models import (
    ADJUDICATE_PERMISSION,
    Annotation,
    Attribution,
    Mode,
    Origin,
    Readout,
    Speaker,
    Stance,
    StanceValue,
    Statement,
    Target,
)

RECORD_FIELDS = (
    "readout",
    "statement",
    "paragraph",
    "start",
    "end",
    "text",
    "speaker",
    "speaker_name",
    "attribution",
    "mode",
    "cue",
    "stances",
    "annotator",
    "origin",
    "gold",
)

#: Fields a client writes; the rest are derived from the statement or the request.
WRITABLE_FIELDS = (
    "readout",
    "statement",
    "speaker",
    "attribution",
    "mode",
    "cue",
    "stances",
)


def build_record(statement: Statement, annotation: Annotation | None = None) -> dict:
    """The canonical record of ``statement`` as read by ``annotation`` (or unread, when None).

    Expects ``statement.readout``, ``annotation.speaker``, ``annotation.annotator`` and
    ``annotation.stances`` (with targets) to be loaded already: see
    ``StatementQuerySet.with_gold`` and ``AnnotationQuerySet.for_records``.
    """
    record = {
        "readout": statement.readout.slug,
        "statement": statement.number,
        "paragraph": statement.paragraph,
        "start": statement.start,
        "end": statement.end,
        "text": statement.text,
        "speaker": None,
        "speaker_name": None,
        "attribution": None,
        "mode": None,
        "cue": None,
        "stances": [],
        "annotator": None,
        "origin": None,
        "gold": False,
    }
    if annotation is not None:
        speaker = annotation.speaker
        annotator = annotation.annotator
        record.update(
            speaker=speaker.slug if speaker else None,
            speaker_name=speaker.name if speaker else None,
            attribution=annotation.attribution,
            mode=annotation.mode or None,
            cue=annotation.cue,
            stances=stance_entries(annotation),
            annotator=annotator.get_username() if annotator else None,
            origin=annotation.origin,
            gold=annotation.gold,
        )
    return record


def stance_entries(annotation: Annotation) -> list[dict]:
    entries = [
        {"target": s.target.slug, "target_name": s.target.name, "stance": s.stance} for s in annotation.stances.all()
    ]
    return sorted(entries, key=lambda entry: entry["target"])


def annotation_record(annotation: Annotation) -> dict:
    return build_record(annotation.statement, annotation)


def gold_records(statements: Iterable[Statement] | None = None, *, chunk_size: int = 2000) -> Iterator[dict]:
    """One record per statement, read by its gold annotation (or unread), streamed."""
    queryset = Statement.objects.all() if statements is None else statements
    for statement in queryset.with_gold().order_by("readout__slug", "number").iterator(chunk_size=chunk_size):
        yield build_record(statement, _gold_of(statement))


def all_records(annotations: Iterable[Annotation] | None = None, *, chunk_size: int = 2000) -> Iterator[dict]:
    """One record per annotation, streamed."""
    queryset = Annotation.objects.all() if annotations is None else annotations
    ordered = queryset.for_records().order_by("statement__readout__slug", "statement__number", "pk")
    for annotation in ordered.iterator(chunk_size=chunk_size):
        yield annotation_record(annotation)


def _gold_of(statement: Statement) -> Annotation | None:
    try:
        return statement.gold_annotation
    except Annotation.DoesNotExist:
        return None


#: Statements per batch when annotations are exported (each batch: one query, plus one for stances).
EXPORT_BATCH = 1000
#: Readout fields a record does not need: never fetched with a record (the text would come with each).
UNNEEDED_READOUT_FIELDS = ("text", "notes")


def export_records(*, all: bool = False, readouts: Iterable[str] = (), user=None) -> Iterator[dict]:
    """The records an export writes, streamed: the gold reading of every statement (or the
    statement unread), or with ``all`` every annotation.

    With a ``user`` (the API), only what that user may see (blind annotation): everything for a
    reviewer; for anyone else their own annotations, and the gold reading only where it is theirs.

    Memory stays flat however many records there are: statements are walked in order through
    their indexes, and annotations are fetched for a batch of statements at a time (ordering a
    whole table of annotations by readout and statement would make the database sort them all
    before the first row comes out). The readout's text is never fetched with a record.
    """
    slugs = list(readouts)
    statements = Statement.objects.all()
    if slugs:
        statements = statements.filter(readout__slug__in=slugs)
    reviewer = user is None or user.has_perm(ADJUDICATE_PERMISSION)
    if not all:
        statements = statements.defer(*(f"readout__{f}" for f in UNNEEDED_READOUT_FIELDS))
        if reviewer:
            return gold_records(statements)
        return _own_gold_records(statements, user)
    annotations = Annotation.objects.all() if reviewer else Annotation.objects.visible_to(user)
    annotations = annotations.defer(*(f"statement__readout__{f}" for f in UNNEEDED_READOUT_FIELDS))
    read = statements.filter(Exists(annotations.filter(statement=OuterRef("pk"))))
    ids = read.order_by("readout__slug", "number").values_list("pk", flat=True).iterator(chunk_size=EXPORT_BATCH)
    return _in_batches(annotations, ids)


def _own_gold_records(statements, user) -> Iterator[dict]:
    for statement in statements.with_gold().order_by("readout__slug", "number").iterator(chunk_size=2000):
        gold = _gold_of(statement)
        yield build_record(statement, gold if gold is not None and gold.annotator_id == user.pk else None)


def _in_batches(annotations, statement_ids: Iterator[int]) -> Iterator[dict]:
    batch: list[int] = []
    for pk in statement_ids:
        batch.append(pk)
        if len(batch) == EXPORT_BATCH:
            yield from all_records(annotations.filter(statement_id__in=batch))
            batch = []
    if batch:
        yield from all_records(annotations.filter(statement_id__in=batch))


# --------------------------------------------------------------------------- reading records back


@dataclass
class ResolvedRecord:
    """A record checked against the database, ready for ``apply_record``."""

    statement: Statement
    speaker: Speaker | None
    attribution: str
    mode: str
    cue: str
    stances: list[tuple[Target, str]] = field(default_factory=list)


class RecordResolver:
    """Checks records against the database, caching readouts, speakers and targets.

    One resolver serves a whole import: statements are loaded a readout at a time,
    speakers and targets once per slug.
    """

    def __init__(self, user=None) -> None:
        """``user``: the person whose reading this is; names they may not use (another annotator's
        proposed speakers and targets) resolve as unknown. ``None`` (imports): every name."""
        self.user = user
        self._statements: dict[str, dict[int, Statement] | None] = {}
        self._speakers: dict[str, Speaker | None] = {}
        self._targets: dict[str, Target | None] = {}

    def statement(self, readout_slug: str, number: int) -> Statement | None:
        if readout_slug not in self._statements:
            readout = Readout.objects.filter(slug=readout_slug).first()
            self._statements[readout_slug] = (
                None if readout is None else {s.number: s for s in readout.statements.select_related("readout")}
            )
        numbered = self._statements[readout_slug]
        return None if numbered is None else numbered.get(number)

    def speaker(self, slug: str) -> Speaker | None:
        if slug not in self._speakers:
            self._speakers[slug] = self._usable(Speaker).filter(slug=slug).first()
        return self._speakers[slug]

    def target(self, slug: str) -> Target | None:
        if slug not in self._targets:
            self._targets[slug] = self._usable(Target).filter(slug=slug).first()
        return self._targets[slug]

    def _usable(self, model):
        return model.objects.all() if self.user is None else model.objects.usable_by(self.user)

    def resolve(self, data: Mapping, *, instance: Annotation | None = None) -> ResolvedRecord:
        """Check ``data`` (a record, or part of one when ``instance`` supplies the rest)."""
        if not isinstance(data, Mapping):
            raise ValidationError({"non_field_errors": [_("A record must be a JSON object.")]})
        errors: dict[str, list[str]] = {}
        base = build_record(instance.statement, instance) if instance is not None else {}

        def value(name, default=None):
            return data[name] if name in data else base.get(name, default)

        statement = self._resolve_statement(value("readout"), value("statement"), errors)
        speaker = None
        speaker_slug = value("speaker")
        if speaker_slug not in (None, ""):
            if not isinstance(speaker_slug, str):
                errors["speaker"] = [_("A speaker is given by its slug, a string.")]
            else:
                speaker = self.speaker(speaker_slug)
                if speaker is None:
                    errors["speaker"] = [_("No speaker has the slug %(slug)r.") % {"slug": speaker_slug}]
        attribution = value("attribution")
        if attribution not in Attribution.values:
            errors["attribution"] = [
                _("%(value)r is not an attribution; use one of %(choices)s.")
                % {"value": attribution, "choices": ", ".join(Attribution.values)}
            ]
        mode = value("mode") or ""
        if mode not in [*Mode.values, ""]:
            errors["mode"] = [
                _("%(value)r is not a mode; use one of %(choices)s, or null.")
                % {"value": mode, "choices": ", ".join(Mode.values)}
            ]
        cue = value("cue") or ""
        if not isinstance(cue, str):
            errors["cue"] = [_("The cue must be a string.")]
        elif len(cue) > Annotation._meta.get_field("cue").max_length:
            errors["cue"] = [_("The cue is longer than 200 characters.")]
        stances = self._resolve_stances(value("stances", []), errors)
        if errors:
            raise ValidationError(errors)
        return ResolvedRecord(statement, speaker, attribution, mode, cue, stances)

    def _resolve_statement(self, readout_slug, number, errors) -> Statement | None:
        if not isinstance(readout_slug, str) or not readout_slug:
            errors["readout"] = [_("Give the readout's slug.")]
            return None
        if not isinstance(number, int) or isinstance(number, bool):
            errors["statement"] = [_("Give the statement's number, a whole number.")]
            return None
        statement = self.statement(readout_slug, number)
        if self._statements[readout_slug] is None:
            errors["readout"] = [_("No readout has the slug %(slug)r.") % {"slug": readout_slug}]
        elif statement is None:
            errors["statement"] = [
                _("Readout %(slug)r has no statement %(number)s.") % {"slug": readout_slug, "number": number}
            ]
        return statement

    def _resolve_stances(self, entries, errors) -> list[tuple[Target, str]]:
        if entries is None:
            return []
        if not isinstance(entries, list):
            errors["stances"] = [_("Stances must be a list of {target, stance} objects.")]
            return []
        problems, resolved, seen = [], [], set()
        for position, entry in enumerate(entries, start=1):
            if not isinstance(entry, Mapping):
                problems.append(_("stance %(n)s: must be an object with target and stance.") % {"n": position})
                continue
            slug, stance = entry.get("target"), entry.get("stance")
            target = self.target(slug) if isinstance(slug, str) else None
            if target is None:
                problems.append(_("stance %(n)s: no target has the slug %(slug)r.") % {"n": position, "slug": slug})
            elif slug in seen:
                problems.append(_("stance %(n)s: target %(slug)r appears twice.") % {"n": position, "slug": slug})
            if stance not in StanceValue.values:
                problems.append(
                    _("stance %(n)s: %(value)r is not a stance; use one of %(choices)s.")
                    % {
                        "n": position,
                        "value": stance,
                        "choices": ", ".join(StanceValue.values),
                    }
                )
            if target is not None and stance in StanceValue.values and slug not in seen:
                resolved.append((target, stance))
            if target is not None:
                seen.add(slug)
        if problems:
            errors["stances"] = problems
        return resolved


@transaction.atomic
def apply_record(
    resolved: ResolvedRecord,
    *,
    annotation: Annotation | None = None,
    annotator=None,
    origin: str = Origin.HUMAN,
    machine_name: str = "",
    machine_version: str = "",
    gold: bool = False,
) -> Annotation:
    """Create ``annotation`` (or update it) from a resolved record, replacing its stances."""
    if annotation is None:
        annotation = Annotation(
            annotator=annotator,
            origin=origin,
            machine_name=machine_name,
            machine_version=machine_version,
            gold=gold,
        )
    annotation.statement = resolved.statement
    annotation.speaker = resolved.speaker
    annotation.attribution = resolved.attribution
    annotation.mode = resolved.mode
    annotation.cue = resolved.cue
    annotation.full_clean(validate_unique=False)
    annotation.save()
    annotation.stances.all().delete()
    Stance.objects.bulk_create(
        [Stance(annotation=annotation, target=target, stance=stance) for target, stance in resolved.stances]
    )
    return annotation
