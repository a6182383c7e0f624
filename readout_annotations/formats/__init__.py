"""Interchange formats, one module each.

Every module offers ``chunks(records, offsets=..., readouts=...)`` (the export as a stream of
strings, for a streamed response) and ``write(records, stream, **options)`` (the same written to a
file; returns the number of records), plus ``MEDIA_TYPE`` and ``EXTENSION``. The formats that
``import_annotations`` reads also offer ``read(stream)``, yielding ``(line number, record)``.

``offsets`` is ``"codepoints"`` (the default, as stored) or ``"utf16"`` (UTF-16 code units, as
JavaScript counts); readout-level offsets are converted against the readout's text,
statement-relative spans against the statement's text.

``FORMATS`` maps the public format name (``--format`` and ``?format=``) to its module;
``READABLE`` names those that can be imported.
"""

from collections.abc import Iterable, Iterator

from . import csv, dna, doccano, jsonl, labelstudio, w3c
from .base import OFFSET_UNITS, FormatError, ReadoutCache

FORMATS = {
    "jsonl": jsonl,
    "csv": csv,
    "w3c": w3c,
    "dna": dna,
    "doccano": doccano,
    "labelstudio": labelstudio,
}
READABLE = ("jsonl", "doccano", "labelstudio")

__all__ = ["FORMATS", "OFFSET_UNITS", "READABLE", "FormatError", "ReadoutCache", "select_records"]


#: Statements per batch when annotations are exported (each batch: one query, plus one for stances).
BATCH = 1000
#: Readout fields a record does not need: left out of every row (the text would come with each).
UNNEEDED_READOUT_FIELDS = ("text", "notes")


def select_records(*, all: bool = False, readouts: Iterable[str] = (), user=None) -> Iterator[dict]:
    """The records an export writes, streamed: the gold reading of every statement (or the
    statement unread), or with ``all`` every annotation.

    With a ``user`` (the API), ``all`` gives only what that user may see: everything for a
    reviewer; their own annotations and the gold ones for anyone else.

    Memory stays flat however many records there are: statements are walked in order through
    their indexes, and annotations are fetched for a batch of statements at a time (ordering a
    whole table of annotations by readout and statement would make the database sort them all
    before the first row comes out). The readout's text is never fetched with a record.
    """
    from django.db.models import Exists, OuterRef, Q

    from .. import records
    from ..models import ADJUDICATE_PERMISSION, Annotation, Statement

    slugs = list(readouts)
    statements = Statement.objects.all()
    if slugs:
        statements = statements.filter(readout__slug__in=slugs)
    if not all:
        return records.gold_records(statements.defer(*(f"readout__{f}" for f in UNNEEDED_READOUT_FIELDS)))
    annotations = Annotation.objects.all()
    if user is not None and not user.has_perm(ADJUDICATE_PERMISSION):
        annotations = (
            annotations.filter(Q(annotator=user) | Q(gold=True)) if user.is_authenticated else annotations.none()
        )
    annotations = annotations.defer(*(f"statement__readout__{f}" for f in UNNEEDED_READOUT_FIELDS))
    read = statements.filter(Exists(annotations.filter(statement=OuterRef("pk"))))
    ids = read.order_by("readout__slug", "number").values_list("pk", flat=True).iterator(chunk_size=BATCH)
    return _in_batches(annotations, ids, records.all_records)


def _in_batches(annotations, statement_ids: Iterator[int], all_records) -> Iterator[dict]:
    batch: list[int] = []
    for pk in statement_ids:
        batch.append(pk)
        if len(batch) == BATCH:
            yield from all_records(annotations.filter(statement_id__in=batch))
            batch = []
    if batch:
        yield from all_records(annotations.filter(statement_id__in=batch))
