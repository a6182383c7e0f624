"""CSV, SemEval-2016 stance style: one row per statement and target.

The first four columns are SemEval's ``id, target, text, stance`` (``id`` counts rows from 1,
``stance`` is ``FAVOR``, ``AGAINST`` or ``NONE`` in SemEval's spelling); the rest say who reads
the statement how and where it stands. A statement without stances gives one row with an empty
target and stance. ``offset_unit`` says what ``start`` and ``end`` count: ``codepoints`` or
``utf16``. RFC 4180: comma-separated, double quotes, CRLF line ends, UTF-8.
"""

from __future__ import annotations

import csv as csv_module
import io
from collections.abc import Iterable, Iterator
from typing import TextIO

from .base import CODEPOINTS, ReadoutCache, write_chunks

MEDIA_TYPE = "text/csv"
EXTENSION = "csv"

COLUMNS = (
    "id",
    "target",
    "text",
    "stance",
    "target_name",
    "speaker",
    "speaker_name",
    "attribution",
    "mode",
    "cue",
    "readout",
    "statement",
    "paragraph",
    "start",
    "end",
    "offset_unit",
    "annotator",
    "origin",
    "gold",
)


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def chunks(
    records: Iterable[dict], *, offsets: str = CODEPOINTS, readouts: ReadoutCache | None = None
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    buffer = io.StringIO()
    writer = csv_module.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(COLUMNS)
    yield flush()
    row_id = 0
    for record in records:
        slug = record["readout"]
        common = {
            "text": record["text"],
            "speaker": record["speaker"],
            "speaker_name": record["speaker_name"],
            "attribution": record["attribution"],
            "mode": record["mode"],
            "cue": record["cue"],
            "readout": slug,
            "statement": record["statement"],
            "paragraph": record["paragraph"],
            "start": readouts.readout_offset(slug, record["start"]),
            "end": readouts.readout_offset(slug, record["end"]),
            "offset_unit": readouts.offsets,
            "annotator": record["annotator"],
            "origin": record["origin"],
            "gold": record["gold"],
        }
        for stance in record["stances"] or [{"target": None, "target_name": None, "stance": None}]:
            row_id += 1
            row = {
                **common,
                "id": row_id,
                "target": stance["target"],
                "target_name": stance["target_name"],
                "stance": stance["stance"].upper() if stance["stance"] else None,
            }
            writer.writerow([_value(row[column]) for column in COLUMNS])
        yield flush()


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)
