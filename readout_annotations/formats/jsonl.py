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
from json.encoder import encode_basestring
from typing import TextIO

from ..records import RECORD_FIELDS
from .base import CODEPOINTS, FormatError, Memo, ReadoutCache, statement_of, write_chunks

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
    line = _Lines() if readouts.offsets == CODEPOINTS else _wide_line(readouts)
    count, lines = 0, []
    for record in records:
        lines.append(line(record))
        if len(lines) == LINES_PER_CHUNK:
            count += LINES_PER_CHUNK
            yield "".join(lines)
            lines = []
    count += len(lines)
    if lines:
        yield "".join(lines)
    if trailer:
        yield json.dumps({TRAILER: {"records": count}}) + "\n"


#: Lines joined into one chunk of ``chunks`` (fewer, larger writes; a few hundred KB at most).
LINES_PER_CHUNK = 500


def _wide_line(readouts: ReadoutCache):
    """The line of a record whose ``start`` and ``end`` count UTF-16 code units, as
    ``offset_unit`` says."""

    def line(record: dict) -> str:
        slug = record["readout"]
        start, end = readouts.readout_offset(slug, record["start"]), readouts.readout_offset(slug, record["end"])
        return _encode({**record, "start": start, "end": end, "offset_unit": readouts.offsets}) + "\n"

    return line


FIELD_COUNT = len(RECORD_FIELDS)


class _Lines:
    """The line of a canonical record (the keys of ``RECORD_FIELDS``, written in that order):
    byte for byte what ``json.dumps(record, ensure_ascii=False)`` writes of a record read from
    the database (``tests/test_export_formats`` checks it on random records), faster. Every
    string is escaped by ``json``'s own ``encode_basestring``, but each name, slug and label once
    per export (``Memo``), and a statement's fields once for all its readings, which come one
    after another."""

    def __init__(self) -> None:
        self.strings = Memo(encode_basestring, fixed={None: "null"})
        self.stances = Memo(self._stance)
        self.statement: tuple = ()
        self.prefix = ""

    def _stance(self, entry: tuple) -> str:
        target, name, value = (self.strings[part] for part in entry)
        return f'{{"target": {target}, "target_name": {name}, "stance": {value}}}'

    def __call__(self, record: dict) -> str:
        if len(record) != FIELD_COUNT:
            return _encode(record) + "\n"
        try:
            return self._line(record)
        except (KeyError, TypeError):  # not a record's fields, or not their types
            return _encode(record) + "\n"

    def _line(self, record: dict) -> str:
        strings = self.strings
        key = statement_of(record)
        if key != self.statement:  # a statement's fields: once for all its readings
            self.statement = key
            text, readout, number, paragraph, start, end = key
            self.prefix = (
                f'{{"readout": {strings[readout]}, "statement": {int.__repr__(number)}, '
                f'"paragraph": {int.__repr__(paragraph)}, "start": {int.__repr__(start)}, '
                f'"end": {int.__repr__(end)}, "text": {encode_basestring(text)}'
            )
        stances = record["stances"]
        if stances:
            memo = self.stances
            stances = "[" + ", ".join([memo[(s["target"], s["target_name"], s["stance"])] for s in stances]) + "]"
        else:
            stances = "[]"
        return (
            f'{self.prefix}, "speaker": {strings[record["speaker"]]}, '
            f'"speaker_name": {strings[record["speaker_name"]]}, '
            f'"attribution": {strings[record["attribution"]]}, "mode": {strings[record["mode"]]}, '
            f'"cue": {strings[record["cue"]]}, "stances": {stances}, "annotator": {strings[record["annotator"]]}, '
            f'"origin": {strings[record["origin"]]}, "model_name": {strings[record["model_name"]]}, '
            f'"model_version": {strings[record["model_version"]]}, "gold": {"true" if record["gold"] else "false"}}}\n'
        )


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
