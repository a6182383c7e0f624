"""The canonical statement record: one shape for the API, every export, every import and the tests.

A record describes one reading of one statement::

    {"readout": "xi-lukashenko-talks-2023-03-01", "statement": 3, "paragraph": 2,
     "start": 812, "end": 1012, "text": "...", "speaker": "xi-jinping",
     "speaker_name": "Xi Jinping", "attribution": "explicit", "mode": "indirect",
     "cue": "emphasized", "stances": [{"target": "taiwan", "target_name": "Taiwan",
     "stance": "favor"}], "annotator": "annotator1", "origin": "human",
     "model_name": null, "model_version": null, "gold": true}

``model_name`` and ``model_version`` name the machine (proposer or importing model) behind
a reading that is not a person's: null for a human reading.

A statement without a reading (no gold yet) has ``speaker``, ``speaker_name``,
``attribution``, ``mode``, ``cue``, ``annotator``, ``origin``, ``model_name`` and
``model_version`` null, ``stances`` empty and ``gold`` false.

Reading a record back (``RecordResolver.resolve``) checks every field against the
database and raises one ``ValidationError`` keyed by field; ``apply_record`` then
writes the annotation and its stances in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.constants import MULTI
from django.utils.translation import gettext as _

from .models import (
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
from .roles import is_reviewer

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
    "model_name",
    "model_version",
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


class Record(dict):
    """A canonical record (a ``dict`` with the keys of ``RECORD_FIELDS``) that also carries
    ``annotation_id``: the primary key of the annotation it was read from (None for a statement
    without a reading), made only for a format that names readings by id (its module sets
    ``ANNOTATION_IDS``: Label Studio's export gives the id as the annotation's ``id``, which Label
    Studio keeps as ``import_id``; see ``formats.labelstudio``). The id is not one of the record's
    fields; every other export gets plain dicts, a little cheaper to make."""

    __slots__ = ("annotation_id",)

    def __init__(self, fields: dict, annotation_id: int | None = None) -> None:
        super().__init__(fields)
        self.annotation_id = annotation_id


#: Rows per batch: one query reads a batch's rows, one more its stances (2,000 read a million
#: annotations 5-15 % faster than 1,000; memory stays a few MB).
BATCH = 2000

_STATEMENT_COLUMNS = ("readout__slug", "number", "paragraph", "start", "end", "text")
_READING_COLUMNS = (
    "id",
    "speaker__slug",
    "speaker__name",
    "attribution",
    "mode",
    "cue",
    "annotator_id",
    "origin",
    "machine_name",
    "machine_version",
    "gold",
    "version",
)


def _columns(model) -> tuple[str, ...]:
    """The columns ``read`` fetches, one layout for both models: statement id, the statement's
    columns, the reading's columns, the annotator's username."""
    username = f"annotator__{get_user_model().USERNAME_FIELD}"
    if model is Statement:
        return ("id", *_STATEMENT_COLUMNS, *(f"gold_annotation__{c}" for c in (*_READING_COLUMNS, username)))
    return ("statement_id", *(f"statement__{c}" for c in _STATEMENT_COLUMNS), *_READING_COLUMNS, username)


def _record(
    readout, number, paragraph, start, end, text, speaker, speaker_name, attribution, mode, cue, stances,
    annotator, origin, machine_name, machine_version, gold,
) -> dict:  # fmt: skip
    """The canonical record (``RECORD_FIELDS``) of a statement's columns and a reading's, as the
    database gives them: the one place a record is built from rows (``read`` and the export walk).
    An empty ``mode`` and machine name or version are null; ``model_name`` and ``model_version``
    only for a machine's reading; ``gold`` a bool (SQLite and MariaDB give 0 or 1)."""
    human = origin == Origin.HUMAN
    return {
        "readout": readout,
        "statement": number,
        "paragraph": paragraph,
        "start": start,
        "end": end,
        "text": text,
        "speaker": speaker,
        "speaker_name": speaker_name,
        "attribution": attribution,
        "mode": mode or None,
        "cue": cue,
        "stances": stances,
        "annotator": annotator,
        "origin": origin,
        "model_name": None if human else machine_name or None,
        "model_version": None if human else machine_version or None,
        "gold": bool(gold),
    }


def read(queryset, *, reader=None, batch: int = BATCH) -> Iterator[tuple[dict, int, int | None, int | None]]:
    """Canonical records built from rows: ``(record, statement id, annotation id, version)`` each.

    ``queryset``, ordered as the records should come, is either a ``Statement`` queryset (one
    record per statement, read by its gold annotation or unread) or an ``Annotation`` queryset
    (one record per annotation). Rows come through ``values_list`` a batch at a time (one query
    per batch, one more for the batch's stances): no model instance is made and memory stays
    flat however many rows there are. With a ``reader`` who is not a reviewer, a statement's
    gold reading shows only when it is the reader's own (blind annotation); annotation id and
    version are then None for the statements it hides.
    """
    model = queryset.model
    hide_gold_of = None if reader is None or is_reviewer(reader) else reader.pk
    using = queryset.db
    for chunk in _row_chunks(queryset.prefetch_related(None).values_list(*_columns(model)), batch):
        stances = _stances(using, [row[7] for row in chunk if row[7] is not None])
        for row in chunk:
            (statement_id, readout, number, paragraph, start, end, text, pk, speaker, speaker_name) = row[:10]
            (attribution, mode, cue, annotator_id, origin, machine_name, machine_version, gold, version) = row[10:19]
            if pk is not None and hide_gold_of is not None and annotator_id != hide_gold_of and gold:
                pk = None
            if pk is None:
                unread = _record(readout, number, paragraph, start, end, text, *[None] * 5, [], *[None] * 4, False)
                yield unread, statement_id, None, None
                continue
            record = _record(
                readout, number, paragraph, start, end, text, speaker, speaker_name, attribution, mode, cue,
                stances.get(pk, []), row[19], origin, machine_name, machine_version, gold,
            )  # fmt: skip
            yield record, statement_id, pk, version


def _row_chunks(rows: QuerySet, batch: int) -> Iterator[list[tuple]]:
    """The rows of a ``values_list`` queryset, at most ``batch`` at a time, as the database
    driver gives them, through a server-side cursor where the database has one (as
    ``iterator(chunk_size=batch)`` reads them, without its per-row converters: of the columns
    ``read`` and ``_stances`` fetch only booleans have one, and ``read`` makes those ``bool``)."""
    chunked = not connections[rows.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    compiler = rows.query.get_compiler(using=rows.db)
    return compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=batch)


def _all_rows(rows: QuerySet) -> list[tuple]:
    """All rows of a ``values_list`` queryset as the driver gives them (see ``_row_chunks``)."""
    compiler = rows.query.get_compiler(using=rows.db)
    return [row for chunk in compiler.execute_sql(MULTI) for row in chunk]


def _keys(keys: list[int]) -> RawSQL:
    """``keys`` (primary keys, integers the database gave) as the right side of an ``__in``
    filter, passed to the driver as they are: Django prepares every value of an ``IN`` list one
    by one, which cost more than reading the rows they select."""
    return RawSQL(", ".join(["%s"] * len(keys)), keys)


def _stance_query(using: str, annotation_ids: list[int], *, names: bool) -> list[tuple]:
    """One query for the stances of these annotations, grouped by annotation: rows of
    ``(annotation id, target slug, target name, stance)`` ordered by slug (``names``: joined
    with the targets) or ``(annotation id, target id, stance)`` ordered by target id."""
    connection = connections[using]
    quote = connection.ops.quote_name
    stance, target = Stance._meta, Target._meta
    annotation_id, target_id, value = (
        quote(stance.get_field(name).column) for name in ("annotation", "target", "stance")
    )
    slug, name = (quote(target.get_field(name).column) for name in ("slug", "name"))
    if names:
        select = f"s.{annotation_id}, t.{slug}, t.{name}, s.{value}"
        join = f"INNER JOIN {quote(target.db_table)} t ON s.{target_id} = t.{quote(target.pk.column)}"
        tables = f"{quote(stance.db_table)} s {join}"
        order = f"s.{annotation_id}, t.{slug}"
    else:
        select, tables, order = (
            f"s.{annotation_id}, s.{target_id}, s.{value}",
            f"{quote(stance.db_table)} s",
            f"s.{annotation_id}, s.{target_id}",
        )
    marks = ", ".join(["%s"] * len(annotation_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {tables} WHERE s.{annotation_id} IN ({marks}) ORDER BY {order}", annotation_ids
        )
        return cursor.fetchall()


def _stances(using: str, annotation_ids: list[int]) -> dict[int, list[dict]]:
    """The stances of these annotations, each list sorted by target slug, in one query (the
    query is written out rather than built with ``filter(annotation_id__in=...)``: see ``_keys``)."""
    if not annotation_ids:
        return {}
    rows = _stance_query(using, annotation_ids, names=True)
    return _grouped((pk, {"target": slug, "target_name": name, "stance": value}) for pk, slug, name, value in rows)


def _stance_rows(using: str, annotation_ids: list[int]) -> list[tuple]:
    """``(annotation id, target id, stance)`` of these annotations' stances, without the targets'
    names (``_Names`` has them): one query, ordered by annotation."""
    if not annotation_ids:
        return []
    return _stance_query(using, annotation_ids, names=False)


def _grouped(pairs: Iterable[tuple[int, dict]]) -> dict[int, list[dict]]:
    """Stance entries by annotation from ``(annotation id, entry)`` pairs that come grouped by
    annotation; each list sorted by target slug."""
    grouped: dict[int, list[dict]] = {}
    unsorted = []
    for annotation_id, entry in pairs:
        if annotation_id in grouped:
            entries = grouped[annotation_id]
            if entries[-1]["target"] > entry["target"]:
                unsorted.append(entries)
            entries.append(entry)
        else:
            grouped[annotation_id] = [entry]
    for entries in unsorted:
        entries.sort(key=_by_target)
    return grouped


def _by_target(entry: dict) -> str:
    return entry["target"]


def records_of(queryset, *, reader=None, annotation_ids: bool = False) -> Iterator[dict]:
    """The records of ``read`` without the ids; with ``annotation_ids`` each a ``Record`` that
    knows its ``annotation_id``."""
    for record, _statement, annotation_id, _version in read(queryset, reader=reader):
        yield Record(record, annotation_id) if annotation_ids else record


def _records(pairs: Iterator[tuple[dict, int]], annotation_ids: bool) -> Iterator[dict]:
    """The records of ``(record, annotation id)`` pairs: ``Record`` s with ``annotation_ids``."""
    if annotation_ids:
        return (Record(record, annotation_id) for record, annotation_id in pairs)
    return map(itemgetter(0), pairs)


def annotation_record(annotation: Annotation | int) -> dict:
    """The record of one annotation (given or by primary key), read from the database."""
    pk = annotation if isinstance(annotation, int) else annotation.pk
    return next(records_of(Annotation.objects.filter(pk=pk)))


def written_record(annotation: Annotation) -> dict:
    """The record of an annotation the write service (``annotating``) has just written, from the
    instance it holds (statement and readout, speaker, annotator and stances with their targets
    loaded): the same record ``annotation_record`` reads from the database, without reading it
    (``tests/test_writes.py`` checks that they agree)."""
    statement, speaker, annotator = annotation.statement, annotation.speaker, annotation.annotator
    human = annotation.origin == Origin.HUMAN
    stances = [
        {"target": s.target.slug, "target_name": s.target.name, "stance": s.stance} for s in annotation.stances.all()
    ]
    return {
        "readout": statement.readout.slug,
        "statement": statement.number,
        "paragraph": statement.paragraph,
        "start": statement.start,
        "end": statement.end,
        "text": statement.text,
        "speaker": speaker.slug if speaker else None,
        "speaker_name": speaker.name if speaker else None,
        "attribution": annotation.attribution,
        "mode": annotation.mode or None,
        "cue": annotation.cue,
        "stances": sorted(stances, key=lambda entry: entry["target"]),
        "annotator": annotator.get_username() if annotator else None,
        "origin": annotation.origin,
        "model_name": None if human else annotation.machine_name or None,
        "model_version": None if human else annotation.machine_version or None,
        "gold": annotation.gold,
    }


def gold_records(statements: QuerySet | None = None) -> Iterator[dict]:
    """One record per statement, read by its gold annotation (or unread), ordered by readout
    slug and number, streamed."""
    queryset = Statement.objects.all() if statements is None else statements
    return records_of(queryset.order_by("readout__slug", "number"))


def all_records(annotations: QuerySet | None = None, *, annotation_ids: bool = False) -> Iterator[dict]:
    """One record per annotation, ordered by readout slug, statement number and id, streamed
    (``annotation_ids``: as in ``export_records``).

    The annotations are walked a batch of statements at a time (see ``export_records``).
    """
    queryset = Annotation.objects.all() if annotations is None else annotations
    statements = Statement.objects.filter(Exists(queryset.filter(statement=OuterRef("pk"))))
    return _records(_in_batches(queryset, statements), annotation_ids)


def export_records(
    *, all: bool = False, readouts: Iterable[str] = (), user=None, annotation_ids: bool = False
) -> Iterator[dict]:
    """The records an export writes, streamed: the gold reading of every statement (or the
    statement unread), or with ``all`` every annotation; ``readouts``: only these slugs. With
    ``annotation_ids`` (a format whose module sets ``ANNOTATION_IDS``), each record is a ``Record``
    that knows the id of the annotation it was read from.

    With a ``user`` (the API), only what that user may see (blind annotation): everything for a
    reviewer; for anyone else their own annotations, and the gold reading only where it is theirs.

    Memory stays flat however many records there are: statements are walked in order through
    their indexes, and annotations are fetched for a batch of statements at a time (ordering a
    whole table of annotations by readout and statement would make the database sort them all
    before the first row comes out).
    """
    statements, annotations = _export_selection(all, readouts, user)
    if annotations is None:
        return records_of(statements.order_by("readout__slug", "number"), reader=user, annotation_ids=annotation_ids)
    read_ones = statements.filter(Exists(annotations.filter(statement=OuterRef("pk"))))
    return _records(_in_batches(annotations, read_ones), annotation_ids)


def export_count(*, all: bool = False, readouts: Iterable[str] = (), user=None) -> int:
    """How many records ``export_records`` with the same arguments writes (one query)."""
    statements, annotations = _export_selection(all, readouts, user)
    return statements.count() if annotations is None else annotations.count()


#: What an export's file holds, which its name says: the gold reading of every statement, every
#: annotation (``all``), or the annotations selected in the admin.
EXPORT_SCOPES = ("gold", "all", "selected")


def export_filename(scope: str, extension: str) -> str:
    """The file name of an export, ``readout-annotations-<scope>.<extension>`` (``scope`` one of
    ``EXPORT_SCOPES``, else ``ValueError``); the API, the admin and export jobs name files alike."""
    if scope not in EXPORT_SCOPES:
        raise ValueError(f"unknown export scope {scope!r}: one of {', '.join(EXPORT_SCOPES)}")
    return f"readout-annotations-{scope}.{extension}"


def _export_selection(all: bool, readouts: Iterable[str], user) -> tuple[QuerySet, QuerySet | None]:
    """The statements an export covers and, with ``all``, the annotations it writes (one record
    each; None without ``all``: then one record per statement)."""
    slugs = list(readouts)
    statements = Statement.objects.all()
    if slugs:
        statements = statements.filter(readout__slug__in=slugs)
    if not all:
        return statements, None
    reviewer = user is None or is_reviewer(user)
    annotations = Annotation.objects.all() if reviewer else Annotation.objects.visible_to(user)
    if slugs:
        annotations = annotations.filter(statement__readout__slug__in=slugs)
    return statements, annotations


#: The reading's own columns the export walk fetches (``_in_batches``): no join, names by key.
_PLAIN_READING_COLUMNS = (
    "statement_id",
    "id",
    "speaker_id",
    "attribution",
    "mode",
    "cue",
    "annotator_id",
    "origin",
    "machine_name",
    "machine_version",
    "gold",
)


class _Names:
    """Names by primary key for the export walk, each fetched once per export: speakers'
    ``(slug, name)``, annotators' usernames and targets' ``(slug, name)``. One query per kind
    of name and batch, only when the batch names a key not seen before (memory grows with the
    speakers, people and targets named, not with the rows)."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.speakers: dict[int | None, tuple[str | None, str | None]] = {None: (None, None)}
        self.usernames: dict[int | None, str | None] = {None: None}
        self.targets: dict[int, tuple[str, str]] = {}
        #: ``(target id, stance)``: the stance entry of a record, one dict shared by every record of
        #: the export that takes that stance (records of an export are read, never changed).
        self.stances = _Entries(self.targets)

    def load(self, rows: list[tuple], stance_rows: list[tuple]) -> None:
        """Fetch the names ``rows`` (``_PLAIN_READING_COLUMNS``) and ``stance_rows`` use."""
        speakers = {row[2] for row in rows}.difference(self.speakers)
        if speakers:
            found = Speaker.objects.using(self.using).filter(pk__in=speakers).values_list("pk", "slug", "name")
            self.speakers.update((pk, (slug, name)) for pk, slug, name in found)
        people = {row[6] for row in rows}.difference(self.usernames)
        if people:
            user = get_user_model()
            found = user._default_manager.using(self.using).filter(pk__in=people).values_list("pk", user.USERNAME_FIELD)
            self.usernames.update(found)
        targets = {row[1] for row in stance_rows}.difference(self.targets)
        if targets:
            found = Target.objects.using(self.using).filter(pk__in=targets).values_list("pk", "slug", "name")
            self.targets.update((pk, (slug, name)) for pk, slug, name in found)


class _Entries(dict):
    """``entries[target id, stance]``: ``{"target": slug, "target_name": name, "stance": stance}``,
    made once (``targets``: ``(slug, name)`` by target id)."""

    def __init__(self, targets: dict[int, tuple[str, str]]) -> None:
        super().__init__()
        self.targets = targets

    def __missing__(self, key: tuple[int, str]) -> dict:
        slug, name = self.targets[key[0]]
        entry = self[key] = {"target": slug, "target_name": name, "stance": key[1]}
        return entry


def _in_batches(annotations: QuerySet, statements: QuerySet) -> Iterator[tuple[dict, int]]:
    """``(record, annotation id)`` per annotation of ``annotations``, ordered by readout slug, statement number
    and annotation id: ``statements`` (those with an annotation) are walked in that order through
    their indexes, ``BATCH`` at a time, and each batch's annotations read in one query of their
    own columns (the statement's columns come from the walk, once per statement; names from
    ``_Names``), their stances in one more."""
    using = annotations.db
    names = _Names(using)
    walk = statements.order_by("readout__slug", "number").values_list("id", *_STATEMENT_COLUMNS)
    for chunk in _row_chunks(walk, BATCH):
        by_statement: dict[int, list[tuple]] = {}
        keys = [row[0] for row in chunk]
        reading = annotations.filter(statement_id__in=_keys(keys)).order_by("statement_id", "pk")
        rows = _all_rows(reading.values_list(*_PLAIN_READING_COLUMNS))
        stance_rows = _stance_rows(using, [row[1] for row in rows])
        names.load(rows, stance_rows)
        entries = names.stances
        stances = _grouped((pk, entries[target, value]) for pk, target, value in stance_rows)
        for row in rows:
            if row[0] in by_statement:
                by_statement[row[0]].append(row)
            else:
                by_statement[row[0]] = [row]
        speakers, usernames = names.speakers, names.usernames
        for statement_id, readout, number, paragraph, start, end, text in chunk:
            for row in by_statement.get(statement_id, ()):
                _statement, pk, speaker_id, attribution, mode, cue, annotator_id, origin, name, version, gold = row
                speaker, speaker_name = speakers[speaker_id]
                record = _record(
                    readout, number, paragraph, start, end, text, speaker, speaker_name, attribution, mode, cue,
                    stances.get(pk, []), usernames[annotator_id], origin, name, version, gold,
                )  # fmt: skip
                yield record, pk


# --------------------------------------------------------------------------- reading records back


def _writable_fields(annotation: Annotation) -> dict:
    """What a client may write (``WRITABLE_FIELDS``), as ``annotation`` reads now."""
    statement, speaker = annotation.statement, annotation.speaker
    return {
        "readout": statement.readout.slug,
        "statement": statement.number,
        "speaker": speaker.slug if speaker else None,
        "attribution": annotation.attribution,
        "mode": annotation.mode or None,
        "cue": annotation.cue,
        "stances": [{"target": s.target.slug, "stance": s.stance} for s in annotation.stances.all()],
    }


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

    def _load_targets(self, slugs) -> None:
        """Cache the targets of ``slugs`` in one query."""
        missing = {slug for slug in slugs if isinstance(slug, str) and slug not in self._targets}
        if missing:
            found = {target.slug: target for target in self._usable(Target).filter(slug__in=missing)}
            self._targets.update({slug: found.get(slug) for slug in missing})

    def resolve(self, data: Mapping, *, instance: Annotation | None = None) -> ResolvedRecord:
        """Check ``data`` (a record, or part of one when ``instance`` supplies the rest)."""
        if not isinstance(data, Mapping):
            raise ValidationError({"non_field_errors": [_("A record must be a JSON object.")]})
        errors: dict[str, list[str]] = {}
        base = {}
        if instance is not None:  # what the annotation already names needs no lookup
            base = _writable_fields(instance)
            if instance.speaker is not None:
                self._speakers.setdefault(instance.speaker.slug, instance.speaker)
            for stance in instance.stances.all():
                self._targets.setdefault(stance.target.slug, stance.target)

        def value(name, default=None):
            return data[name] if name in data else base.get(name, default)

        if instance is not None and value("readout") == base["readout"] and value("statement") == base["statement"]:
            statement = instance.statement  # the annotation's own statement: nothing to look up
        else:
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
        self._load_targets(entry.get("target") for entry in entries if isinstance(entry, Mapping))
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
