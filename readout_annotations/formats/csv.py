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

from collections.abc import Iterable, Iterator
from typing import TextIO

from .base import CODEPOINTS, Memo, ReadoutCache, statement_of, write_chunks

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
#: Rows joined into one chunk of ``chunks`` (fewer, larger writes).
ROWS_PER_CHUNK = 1000


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def neutralised(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _neutralised_value(value) -> str:
    """``neutralised(_value(value))`` in one call (it runs for every cell of an export)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    text = value if type(value) is str else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def quoted(cell: str) -> str:
    """``cell`` as ``csv.writer`` (RFC 4180, minimal quoting) writes it in a row of several cells:
    in double quotes, doubled inside, when it holds a comma, a double quote or a line break."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def chunks(
    records: Iterable[dict],
    *,
    offsets: str = CODEPOINTS,
    readouts: ReadoutCache | None = None,
    raw: bool = False,
    trailer: bool = False,
) -> Iterator[str]:
    """The file a piece at a time: the header, then each record's rows. Rows are written as
    ``csv.writer`` writes them (``tests/test_export_formats`` checks it on random records), each
    cell of a name, label or statement worked out once (``Memo``; a statement's cells once for all
    its readings, which come one after another)."""
    readouts = readouts or ReadoutCache(offsets)
    cell = _value if raw else _neutralised_value

    def cells(values: tuple) -> str:
        return ",".join([quoted(cell(value)) for value in values])

    def stance(entry: tuple) -> tuple[str, str]:
        target, value, name = entry
        return cells((target,)), cells((value.upper() if value else None, name))

    readings, people, stances = Memo(cells), Memo(cells), Memo(stance)
    header = ",".join(COLUMNS) + "\r\n"
    yield header
    row_id = 0
    statement = text = place = published = None
    rows: list[str] = []
    for record in records:
        key = statement_of(record)
        if key != statement:  # a statement's cells: once for all its readings
            statement = key
            slug = key[1]
            day = readouts.publication_day(slug)
            text = cells(key[:1])
            offsets = readouts.readout_offset(slug, key[4]), readouts.readout_offset(slug, key[5])
            place = cells((slug, key[2], key[3], *offsets, readouts.offsets))
            published = cells((day.isoformat() if day else None,))
        reading = readings[
            record["speaker"], record["speaker_name"], record["attribution"], record["mode"], record["cue"]
        ]
        person = people[
            record["annotator"], record["origin"], record["gold"], record.get("model_name"), record.get("model_version")
        ]
        common = f"{reading},{place},{person},{published}\r\n"
        entries = record["stances"]
        if entries:
            for entry in entries:
                row_id += 1
                target, rest = stances[entry["target"], entry["stance"], entry["target_name"]]
                rows.append(f"{row_id},{target},{text},{rest},{common}")
        else:
            row_id += 1
            rows.append(f"{row_id},,{text},,,{common}")
        if len(rows) >= ROWS_PER_CHUNK:
            yield "".join(rows)
            rows = []
    if rows:
        yield "".join(rows)
    if trailer:
        yield f"{TRAILER},,{row_id}\r\n"


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)
