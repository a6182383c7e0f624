"""JSON Lines: one canonical statement record per line (see ``readout_annotations.records``).

With ``offsets="utf16"`` the ``start`` and ``end`` of each record count UTF-16 code units and
the record says so in an extra ``offset_unit`` field; by default (code points) the records are
exactly the canonical ones.

Truncation: with ``trailer=True`` (``export_annotations --with-trailer``, the API's
``trailer=1``) the last line is ``{"trailer": {"records": N}}``; a file without it, or whose
count differs, was cut off. Reading checks a trailer when there is one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from .base import CODEPOINTS, FormatError, ReadoutCache, write_chunks

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "jsonl"
#: Options of ``chunks`` beyond the offsets, for the command and the API.
OPTIONS = ("trailer",)
TRAILER = "trailer"
#: ``json.dumps(value, ensure_ascii=False)`` without a new encoder per record.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def chunks(
    records: Iterable[dict],
    *,
    offsets: str = CODEPOINTS,
    readouts: ReadoutCache | None = None,
    trailer: bool = False,
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    count = 0
    for record in records:
        count += 1
        if readouts.offsets != CODEPOINTS:
            record = {
                **record,
                "start": readouts.readout_offset(record["readout"], record["start"]),
                "end": readouts.readout_offset(record["readout"], record["end"]),
                "offset_unit": readouts.offsets,
            }
        yield _encode(record) + "\n"
    if trailer:
        yield json.dumps({TRAILER: {"records": count}}) + "\n"


def lines(records: Iterable[dict]) -> Iterator[str]:
    """The lines of the default (code point) export."""
    return chunks(records)


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)


def read(stream: TextIO) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` for every non-blank line; a line that is not a JSON object
    raises :class:`FormatError` naming it, as does a trailer that does not count the records
    before it or that is not the last line."""
    count, trailer_line = 0, None
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if trailer_line is not None:
            raise FormatError(f"a line after the trailer of line {trailer_line}", number)
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise FormatError(f"not valid JSON: {error.msg} (column {error.colno})", number) from None
        if not isinstance(record, dict):
            raise FormatError("a record must be a JSON object", number)
        if list(record) == [TRAILER]:
            expected = record[TRAILER].get("records") if isinstance(record[TRAILER], dict) else None
            if expected != count:
                raise FormatError(
                    f"the trailer counts {expected!r} records but {count} come before it: the file was cut or edited",
                    number,
                )
            trailer_line = number
            continue
        count += 1
        yield number, record
