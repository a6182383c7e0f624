"""JSON Lines: one canonical statement record per line (see ``readout_annotations.records``).

With ``offsets="utf16"`` the ``start`` and ``end`` of each record count UTF-16 code units and
the record says so in an extra ``offset_unit`` field; by default (code points) the records are
exactly the canonical ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from .base import CODEPOINTS, FormatError, ReadoutCache, write_chunks

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "jsonl"


def chunks(
    records: Iterable[dict], *, offsets: str = CODEPOINTS, readouts: ReadoutCache | None = None
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    for record in records:
        if readouts.offsets != CODEPOINTS:
            record = {
                **record,
                "start": readouts.readout_offset(record["readout"], record["start"]),
                "end": readouts.readout_offset(record["readout"], record["end"]),
                "offset_unit": readouts.offsets,
            }
        yield json.dumps(record, ensure_ascii=False) + "\n"


def lines(records: Iterable[dict]) -> Iterator[str]:
    """The lines of the default (code point) export."""
    return chunks(records)


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)


def read(stream: TextIO) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` for every non-blank line; a line that is not a JSON object
    raises :class:`FormatError` naming it."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise FormatError(f"not valid JSON: {error.msg} (column {error.colno})", number) from None
        if not isinstance(record, dict):
            raise FormatError("a record must be a JSON object", number)
        yield number, record
