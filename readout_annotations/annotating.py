"""The one write path for a person's reading: create, update and delete an annotation.

The admin's annotation screen, the admin's bulk actions, the API and ``import_annotations`` call
these functions; nothing else writes a person's reading (gold goes through ``adjudication``,
machine proposals are bulk-written by the proposers).

Every write goes the same way:

1. **Before the transaction**: the record is resolved against the database
   (``records.RecordResolver``: unknown slugs, bad values), checked against the guideline
   (``guideline.check_reading``), and the user's right to write it is checked (``is_editable_by``).
   Any problem raises one ``ValidationError`` keyed by record field, and nothing is written.
2. **In the transaction**, only the compare-and-set on ``version`` and the writes: the first
   statement is the ``UPDATE ... WHERE version = <read>`` (or the ``INSERT``), so the lock is taken
   at once and held for a few statements (see ``locks``). Stances change as a diff: unchanged
   stances are left alone (a change of cue writes no stance), and only the stances removed or
   given another value are deleted and their new values inserted.
3. The canonical record of the saved reading comes back (``Saved.record``), built from what was
   written, without reading it again.

Data in is a canonical record (``records.WRITABLE_FIELDS``: ``readout``, ``statement``,
``speaker``, ``attribution``, ``mode``, ``cue``, ``stances``) plus an optional ``note``; for an
update, any subset of them (the rest are kept). Errors out:

- ``ValidationError`` with ``message_dict`` keyed by field: the record or the guideline;
- ``NotEditable`` (a ``PermissionDenied``): the user may not write this annotation;
- ``Stale``: the annotation changed since the version the caller read (``current`` is its version
  now, or None when it was deleted meanwhile); nothing written;
- ``Duplicate``: the annotator already has a reading of this statement (``existing`` is its id);
- ``locks.Busy``: the database did not grant the lock in time; nothing written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, router
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import guideline, records
from .locks import write_transaction
from .models import Annotation, Origin, Stance
from .roles import is_reviewer

#: Record fields a write may carry besides ``records.WRITABLE_FIELDS``.
EXTRA_FIELDS = ("note",)
#: Times an update without a version condition is retried when another write got in first.
LAST_WRITE_WINS_RETRIES = 5


class NotEditable(PermissionDenied):
    """The user may not write this annotation (another's, or gold for an annotator)."""


class Stale(Exception):
    """The annotation changed (``current``: its version now) or was deleted (``current`` None)."""

    def __init__(self, current: int | None) -> None:
        super().__init__(current)
        self.current = current


class Duplicate(Exception):
    """The annotator already has a reading of this statement: annotation ``existing``."""

    def __init__(self, existing: int) -> None:
        super().__init__(existing)
        self.existing = existing


@dataclass
class Saved:
    """A written reading: the annotation as written (relations loaded) and whether it is new."""

    annotation: Annotation
    created: bool

    @property
    def record(self) -> dict:
        """The canonical record of the reading (``records.build_record``)."""
        return records.annotation_record(self.annotation)


def is_editable_by(annotation: Annotation, user, *, deleting: bool = False) -> bool:
    """The one rule for who may change or delete a reading.

    An annotator changes and deletes their own readings until one is gold; a reviewer also
    their own gold ones, and deletes readings that have no annotator (machine proposals and
    anonymous imports). Nobody changes another person's reading here: gold goes through
    ``adjudication``.
    """
    if user is None or not user.is_authenticated:
        return False
    if annotation.annotator_id is not None and annotation.annotator_id == user.pk:
        return not annotation.gold or is_reviewer(user)
    return deleting and annotation.annotator_id is None and is_reviewer(user)


# --------------------------------------------------------------------------- checks (no transaction)


def resolve(
    data: Mapping,
    *,
    annotation: Annotation | None = None,
    origin: str = Origin.HUMAN,
    resolver: records.RecordResolver | None = None,
) -> tuple[records.ResolvedRecord, str | None]:
    """Check ``data`` (a record; for an update, part of one) against the database and the guideline.

    Returns the resolved reading and its note (None: keep the current note). Raises
    ``ValidationError`` keyed by field.
    """
    resolver = resolver or records.RecordResolver()
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": [_("A record must be a JSON object.")]})
    errors: dict[str, list] = {}
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = [_("The note must be a string.")]
    try:
        resolved = resolver.resolve(data, instance=annotation)
    except ValidationError as error:
        raise ValidationError({**error.message_dict, **errors}) from error
    if annotation is not None and resolved.statement.pk != annotation.statement_id:
        errors["statement"] = [
            _("An annotation cannot move to another statement; delete it and annotate that statement.")
        ]
    if origin != Origin.MACHINE:
        errors.update(
            guideline.reading_errors(
                text=resolved.statement.text,
                speaker=resolved.speaker,
                attribution=resolved.attribution,
                mode=resolved.mode,
                cue=resolved.cue,
                stances=resolved.stances,
            )
        )
    if errors:
        raise ValidationError(errors)
    return resolved, note


def _check_editable(annotation: Annotation, user, *, operator: bool, deleting: bool = False) -> None:
    if operator or is_editable_by(annotation, user, deleting=deleting):
        return
    if annotation.annotator_id == getattr(user, "pk", None) and annotation.gold:
        raise NotEditable(_("This annotation is gold: only a reviewer can change or delete it."))
    raise NotEditable(_("You can change or delete only your own annotations."))


# --------------------------------------------------------------------------- create, update, delete


def create(
    user,
    data: Mapping,
    *,
    annotator=None,
    origin: str = Origin.HUMAN,
    operator: bool = False,
    resolver: records.RecordResolver | None = None,
) -> Saved:
    """Create ``annotator``'s reading (by default ``user``'s own) of the record's statement.

    Only an ``operator`` (an import run from the command line) writes for another annotator,
    or with an origin other than human (``import``, where ``annotator`` may be None).
    Raises ``ValidationError``, ``NotEditable``, ``Duplicate`` or ``locks.Busy``.
    """
    annotator = user if annotator is None else annotator
    resolver = resolver or records.RecordResolver(user=user)  # names ``user`` may use
    if not operator and (annotator is None or annotator != user or origin != Origin.HUMAN):
        raise NotEditable(_("You can annotate only as yourself."))
    if (origin == Origin.HUMAN) != (annotator is not None) and origin != Origin.IMPORT:
        raise ValidationError({"annotator": [_("A human reading needs its annotator; a machine proposal has none.")]})
    resolved, note = resolve(data, origin=origin, resolver=resolver)
    annotation = Annotation(
        statement=resolved.statement,
        annotator=annotator,
        origin=origin,
        speaker=resolved.speaker,
        attribution=resolved.attribution,
        mode=resolved.mode,
        cue=resolved.cue,
        note=note or "",
    )
    stances = [Stance(annotation=annotation, target=target, stance=value) for target, value in resolved.stances]
    try:
        with write_transaction(router.db_for_write(Annotation)):
            annotation.save(force_insert=True)
            if stances:
                Stance.objects.bulk_create(stances)
    except IntegrityError:
        existing = _existing_pk(resolved.statement.pk, annotator)
        if existing is None:
            raise
        raise Duplicate(existing) from None
    _set_stances(annotation, stances)
    return Saved(annotation, created=True)


def update(
    user,
    annotation: Annotation,
    data: Mapping,
    *,
    version: int | Collection[int] | None = None,
    operator: bool = False,
    resolver: records.RecordResolver | None = None,
) -> Saved:
    """Change the reading ``annotation`` (loaded with ``Annotation.objects.for_records()``) to ``data``.

    ``version``: the version (or versions, from an ``If-Match``) the caller read; the write
    happens only if the annotation is still at it, otherwise ``Stale``. Without it the last
    write wins: a write that lost the race to another is checked again and retried.
    The origin, the annotator and gold never change here. Raises ``ValidationError``,
    ``NotEditable``, ``Stale`` or ``locks.Busy``.
    """
    versions = _versions(version)
    resolver = resolver or records.RecordResolver(user=user)
    for _attempt in range(LAST_WRITE_WINS_RETRIES):
        if versions is not None and annotation.version not in versions:
            raise Stale(annotation.version)
        _check_editable(annotation, user, operator=operator)
        resolved, note = resolve(data, annotation=annotation, origin=annotation.origin, resolver=resolver)
        if _write(annotation, resolved, note):
            return Saved(annotation, created=False)
        current = Annotation.objects.for_records().filter(pk=annotation.pk).first()
        if current is None or versions is not None:
            raise Stale(None if current is None else current.version)
        annotation = current
    raise Stale(annotation.version)


def save(
    user,
    data: Mapping,
    *,
    annotation: Annotation | None = None,
    version: int | None = None,
    annotator=None,
    origin: str = Origin.HUMAN,
    operator: bool = False,
    resolver: records.RecordResolver | None = None,
) -> Saved:
    """``annotator``'s (by default ``user``'s) reading of the record's statement, created or updated.

    ``annotation``: the current reading when the caller has loaded it (for records); otherwise
    it is looked up. ``version`` as for ``update``. A reading created by someone else meanwhile
    is ``Stale`` (its version), not a duplicate.
    """
    annotator = user if annotator is None else annotator
    resolver = resolver or records.RecordResolver(user=user)
    if annotation is None:
        resolved, _note = resolve(data, origin=origin, resolver=resolver)
        mine = Annotation.objects.for_records().filter(statement=resolved.statement)
        if annotator is not None:
            mine = mine.filter(annotator=annotator)
        else:  # an anonymous import: the statement's reading from an earlier anonymous import
            mine = mine.filter(annotator=None, origin=origin)
        annotation = mine.order_by("pk").first()
    if annotation is not None:
        return update(user, annotation, data, version=version, operator=operator, resolver=resolver)
    try:
        return create(user, data, annotator=annotator, origin=origin, operator=operator, resolver=resolver)
    except Duplicate as duplicate:
        current = Annotation.objects.filter(pk=duplicate.existing).values_list("version", flat=True).first()
        raise Stale(current) from None


def delete(user, annotation: Annotation, *, version: int | Collection[int] | None = None, operator=False) -> None:
    """Delete ``annotation`` and its stances. ``version`` as for ``update``.

    Raises ``NotEditable``, ``Stale`` (``current`` None: it was already deleted) or ``locks.Busy``.
    """
    versions = _versions(version)
    if versions is not None and annotation.version not in versions:
        raise Stale(annotation.version)
    _check_editable(annotation, user, operator=operator, deleting=True)
    rows = Annotation.objects.filter(pk=annotation.pk)
    if versions is not None:
        rows = rows.filter(version=annotation.version)
    with write_transaction(router.db_for_write(Annotation)):
        claimed = rows.update(version=F("version") + 1)  # the first statement takes the lock
        if claimed:
            Annotation.objects.filter(pk=annotation.pk).delete()
    if not claimed:
        raise Stale(Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first())


# --------------------------------------------------------------------------- the writes


def _write(annotation: Annotation, resolved: records.ResolvedRecord, note: str | None) -> bool:
    """Compare-and-set ``annotation`` from its read version to ``resolved``; False when it moved on."""
    now = timezone.now()
    fields = {
        "speaker": resolved.speaker,
        "attribution": resolved.attribution,
        "mode": resolved.mode,
        "cue": resolved.cue,
        "reread_reason": "",  # saved again: re-read after a split or merge (see ``boundaries``)
        **({"note": note} if note is not None else {}),
    }
    # Stances as a diff: unchanged ones stay as they are (with their notes); a target no longer
    # named, or with another value, is deleted, and the new values inserted: at most two statements.
    current = {stance.target_id: stance for stance in annotation.stances.all()}
    wanted = {target.pk: (target, value) for target, value in resolved.stances}
    kept = [stance for target_id, stance in current.items() if wanted.get(target_id, (None, None))[1] == stance.stance]
    kept_ids = {stance.target_id for stance in kept}
    removed = [stance.pk for stance in current.values() if stance.target_id not in kept_ids]
    added = [
        Stance(annotation=annotation, target=target, stance=value)
        for target_id, (target, value) in wanted.items()
        if target_id not in kept_ids
    ]
    with write_transaction(router.db_for_write(Annotation)):
        claimed = Annotation.objects.filter(pk=annotation.pk, version=annotation.version).update(
            **fields, version=F("version") + 1, updated_at=now
        )
        if not claimed:
            return False
        if removed:
            Stance.objects.filter(pk__in=removed).delete()
        if added:
            Stance.objects.bulk_create(added)
    for name, value in fields.items():
        setattr(annotation, name, value)
    annotation.version += 1
    annotation.updated_at = now
    _set_stances(annotation, kept + added)
    return True


def _set_stances(annotation: Annotation, stances: list[Stance]) -> None:
    """Make ``annotation.stances.all()`` the stances just written, without a query."""
    queryset = Stance.objects.filter(annotation=annotation)
    queryset._result_cache = stances
    queryset._prefetch_done = True
    annotation._prefetched_objects_cache = {**getattr(annotation, "_prefetched_objects_cache", {}), "stances": queryset}


def _versions(version: int | Collection[int] | None) -> set[int] | None:
    if version is None:
        return None
    return {version} if isinstance(version, int) else set(version)


def _existing_pk(statement_id: int, annotator) -> int | None:
    if annotator is None:
        return None
    return (
        Annotation.objects.filter(statement_id=statement_id, annotator=annotator).values_list("pk", flat=True).first()
    )
