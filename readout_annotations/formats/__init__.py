"""Interchange formats, one module each.

Every module offers ``chunks(records, offsets=..., readouts=...)`` (the export as a stream of
strings, for a streamed response) and ``write(records, stream, **options)`` (the same written to a
file; returns the number of records), plus ``MEDIA_TYPE`` and ``EXTENSION``; a module that names
readings by id sets ``ANNOTATION_IDS`` (its records are then ``records.Record`` s, which carry
``annotation_id``). The formats that
``import_annotations`` reads also offer ``read(stream)``, yielding ``(line number, record)``.

``offsets`` is ``"codepoints"`` (the default, as stored) or ``"utf16"`` (UTF-16 code units, as
JavaScript counts); readout-level offsets are converted against the readout's text,
statement-relative spans against the statement's text.

``FORMATS`` maps the public format name (``--format`` and ``?format=``) to its module;
``READABLE`` names those that can be imported.
"""

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

__all__ = ["FORMATS", "OFFSET_UNITS", "READABLE", "FormatError", "ReadoutCache"]
