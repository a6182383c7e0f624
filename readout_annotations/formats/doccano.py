"""doccano: JSON Lines for a sequence-labeling project with relation labeling (doccano 1.8).

One line per record::

    {"text": "Xi pointed out that ...",
     "entities": [{"id": 1, "label": "STATEMENT", "start_offset": 0, "end_offset": 212},
                  {"id": 2, "label": "SPEAKER", "start_offset": 0, "end_offset": 2},
                  {"id": 3, "label": "CUE", "start_offset": 3, "end_offset": 14}],
     "relations": [{"id": 1, "from_id": 2, "to_id": 1, "type": "SAYS"},
                   {"id": 2, "from_id": 3, "to_id": 1, "type": "INTRODUCES"}],
     "readout": "...", "statement": 2, ..., "offset_unit": "codepoints"}

``text`` is the statement; offsets count into it. ``STATEMENT`` spans the whole statement,
``SPEAKER`` is where the statement names its speaker (only an explicit attribution names one)
and ``CUE`` the reporting phrase. The record's other fields ride along as top-level keys, which
doccano keeps as the example's metadata and writes back on export; ``offset_unit`` says what the
offsets count (doccano's browser client counts UTF-16 code units: use ``--offsets utf16`` for
text outside the Basic Multilingual Plane).

Reading (``import_annotations --format doccano``) takes the record fields from that metadata
(``readout`` and ``statement`` are required) and the cue from the ``CUE`` span's text, so a cue
corrected in doccano comes back; when the metadata has no ``speaker``, the ``SPEAKER`` span's
text is looked up among the speakers' names and aliases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..records import RECORD_FIELDS
from . import jsonl
from .base import CODEPOINTS, FormatError, ReadoutCache, speaker_and_cue_spans, speaker_index, write_chunks

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "doccano.jsonl"
LABELS = ("STATEMENT", "SPEAKER", "CUE")
RELATIONS = ("SAYS", "INTRODUCES")
META_FIELDS = tuple(field for field in RECORD_FIELDS if field != "text")  # the text is the example itself


def example(record: dict, readouts: ReadoutCache, aliases) -> dict:
    text = record["text"]
    speaker_span, cue_span = speaker_and_cue_spans(record, aliases)
    spans = [("STATEMENT", (0, len(text))), ("SPEAKER", speaker_span), ("CUE", cue_span)]
    entities, ids = [], {}
    for label, span in spans:
        if span is None:
            continue
        start, end = readouts.text_offsets(text, *span)
        ids[label] = len(entities) + 1
        entities.append({"id": ids[label], "label": label, "start_offset": start, "end_offset": end})
    relations = []
    for label, relation in (("SPEAKER", "SAYS"), ("CUE", "INTRODUCES")):
        if label in ids:
            relations.append(
                {"id": len(relations) + 1, "from_id": ids[label], "to_id": ids["STATEMENT"], "type": relation}
            )
    line = {"text": text, "entities": entities, "relations": relations}
    for field in META_FIELDS:
        line[field] = record[field]
    line["start"] = readouts.readout_offset(record["readout"], record["start"])
    line["end"] = readouts.readout_offset(record["readout"], record["end"])
    line["offset_unit"] = readouts.offsets
    return line


def chunks(
    records: Iterable[dict], *, offsets: str = CODEPOINTS, readouts: ReadoutCache | None = None
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    _speakers, aliases = speaker_index()
    for record in records:
        yield json.dumps(example(record, readouts, aliases), ensure_ascii=False) + "\n"


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)


def _span_text(text: str, entity: dict, unit: str) -> str | None:
    start, end = entity.get("start_offset"), entity.get("end_offset")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
        return None
    if unit == "utf16":
        encoded = text.encode("utf-16-le")
        return encoded[2 * start : 2 * end].decode("utf-16-le", errors="replace")
    return text[start:end]


def read(stream: TextIO) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` per line; the record may carry ``speaker_mention`` (a name to
    look up) instead of ``speaker``."""
    for number, data in jsonl.read(stream):  # one JSON object a line
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        fields = {**meta, **{k: v for k, v in data.items() if k in META_FIELDS}}
        if "readout" not in fields or "statement" not in fields:
            raise FormatError(
                "this doccano example has no readout and statement metadata; "
                "import only examples exported by readout-annotations",
                number,
            )
        text = data.get("text") if isinstance(data.get("text"), str) else ""
        entities = data.get("entities") or data.get("label") or []
        if not isinstance(entities, list):
            raise FormatError("entities must be a list", number)
        unit = fields.get("offset_unit") or data.get("offset_unit") or CODEPOINTS
        record = {field: fields.get(field) for field in META_FIELDS if field in fields}
        for entity in entities:
            if isinstance(entity, list) and len(entity) == 3:  # doccano's older [start, end, label]
                entity = {"start_offset": entity[0], "end_offset": entity[1], "label": entity[2]}
            if not isinstance(entity, dict):
                raise FormatError("an entity must be an object with label, start_offset and end_offset", number)
            span = _span_text(text, entity, unit)
            if entity.get("label") == "CUE" and span:
                record["cue"] = span
            elif entity.get("label") == "SPEAKER" and span and not record.get("speaker"):
                record["speaker_mention"] = span
        yield number, record
