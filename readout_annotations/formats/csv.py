"""CSV, SemEval-2016 stance style: one row per statement and target.

The first four columns are SemEval's ``id, target, text, stance`` (``id`` counts rows from 1,
``stance`` is ``FAVOR``, ``AGAINST`` or ``NONE`` in SemEval's spelling); the rest say who reads
the statement how and where it stands. A statement without stances gives one row with an empty
target and stance. ``offset_unit`` says what ``start`` and ``end`` count: ``codepoints`` or
``utf16``. ``published_on`` is the readout's publication day in its own zone (ISO 8601);
``model_name`` and ``model_version`` name the machine of a proposal (empty for people). RFC 4180:
comma-separated, double quotes, CRLF line ends, UTF-8.

Spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would run as a formula when the file is opened in a spreadsheet, so it is written with a
leading apostrophe (``'=1+1``), as OWASP advises against CSV injection. ``raw=True``
(``export_annotations --raw-csv``, the API's ``raw=1``, the admin's "csv (raw)" action) writes
every cell as it is, for programs that read the file.

Truncation: with ``trailer=True`` (``--with-trailer``, the API's ``trailer=1``) the last row is
``#end`` in the ``id`` column and the number of rows before it in ``text``; a file whose last
row is not that was cut off.
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
    "model_name",
    "model_version",
    "published_on",
)

#: Options of ``chunks`` beyond the offsets, for the command and the API.
OPTIONS = ("raw", "trailer")
#: A cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRAILER = "#end"


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def neutralised(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def chunks(
    records: Iterable[dict],
    *,
    offsets: str = CODEPOINTS,
    readouts: ReadoutCache | None = None,
    raw: bool = False,
    trailer: bool = False,
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    cell = _value if raw else (lambda value: neutralised(_value(value)))
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
        day = readouts.publication_day(slug)
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
            "model_name": record.get("model_name"),
            "model_version": record.get("model_version"),
            "published_on": day.isoformat() if day else None,
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
            writer.writerow([cell(row[column]) for column in COLUMNS])
        yield flush()
    if trailer:
        writer.writerow([TRAILER, "", str(row_id)])
        yield flush()


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)
