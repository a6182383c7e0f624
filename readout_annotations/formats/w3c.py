"""W3C Web Annotation (JSON-LD): a JSON array, one annotation per record, streamed.

Each annotation carries ``"@context": "http://www.w3.org/ns/anno.jsonld"`` and

- ``target``: the readout (``source``) with a ``TextQuoteSelector`` (``exact`` and 32 characters
  of ``prefix`` and ``suffix`` from the readout text) and a ``TextPositionSelector`` (``start``,
  ``end``) whose ``offsetUnit`` says what they count. The Web Annotation model counts code points;
  ``utf16`` (UTF-16 code units) is for JavaScript clients that count as JavaScript does;
- ``body``: ``TextualBody`` resources, each with its ``purpose`` and a ``label`` saying what it
  is: the speaker (``tagging``, label ``speaker:<slug>``, value the name), the attribution, mode
  and cue (``classifying``/``describing``), and per stance a target (``tagging``, label
  ``target:<slug>``, value the name) and its stance (``classifying``, label ``stance:<slug>``,
  value favor/against/none, so the two pair by slug); a gold reading adds an ``assessing`` body;
- ``creator``: a ``Person`` (the annotator's username as ``nickname``) or, for machine
  proposals, ``Software`` with the model's ``name`` and ``schema:softwareVersion``;
- ``target`` also carries ``dcterms:issued``, the readout's publication day in its own zone
  (``Readout.published_on``, ISO 8601);
- ``motivation``: ``classifying``, or ``highlighting`` for a statement without a reading.

Identifiers are built from ``base_uri`` (default ``urn:readout-annotations:``): readouts are
``<base>readouts/<slug>``; annotations ``<base>readouts/<slug>/statements/<n>/<who>`` where
``who`` is the annotator's username, the origin for a reading without one, or ``unread``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO
from urllib.parse import quote

from .base import CODEPOINTS, ReadoutCache, write_chunks

MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
EXTENSION = "jsonld"
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_CHARACTERS = 32
DEFAULT_BASE_URI = "urn:readout-annotations:"


def _body(purpose: str, label: str, value: str) -> dict:
    return {"type": "TextualBody", "purpose": purpose, "label": label, "value": value, "format": "text/plain"}


def annotation(record: dict, readouts: ReadoutCache, base_uri: str = DEFAULT_BASE_URI) -> dict:
    """The Web Annotation of one record."""
    slug = record["readout"]
    readout = readouts.get(slug)
    text = readout.text if readout is not None else record["text"]
    start, end = record["start"], record["end"]
    source = f"{base_uri}readouts/{quote(slug)}"
    who = record["annotator"] or record["origin"] or "unread"
    bodies = []
    if record["speaker"]:
        bodies.append(_body("tagging", f"speaker:{record['speaker']}", record["speaker_name"] or record["speaker"]))
    if record["attribution"]:
        bodies.append(_body("classifying", "attribution", record["attribution"]))
    if record["mode"]:
        bodies.append(_body("classifying", "mode", record["mode"]))
    if record["cue"]:
        bodies.append(_body("describing", "cue", record["cue"]))
    for stance in record["stances"]:
        bodies.append(_body("tagging", f"target:{stance['target']}", stance["target_name"] or stance["target"]))
        bodies.append(_body("classifying", f"stance:{stance['target']}", stance["stance"]))
    if record["gold"]:
        bodies.append(_body("assessing", "gold", "gold"))
    result = {
        "@context": CONTEXT,
        "id": f"{source}/statements/{record['statement']}/{quote(who)}",
        "type": "Annotation",
        "motivation": "classifying" if record["attribution"] else "highlighting",
    }
    if record["annotator"]:
        result["creator"] = {"type": "Person", "nickname": record["annotator"]}
    elif record["origin"] == "machine":
        result["creator"] = {"type": "Software", "name": record.get("model_name") or "machine proposal"}
        if record.get("model_version"):
            result["creator"]["schema:softwareVersion"] = record["model_version"]
    if bodies:
        result["body"] = bodies
    day = readouts.publication_day(slug)
    result["target"] = {
        "source": source,
        **({"dcterms:issued": day.isoformat()} if day else {}),
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": record["text"],
                "prefix": text[max(0, start - CONTEXT_CHARACTERS) : start],
                "suffix": text[end : end + CONTEXT_CHARACTERS],
            },
            {
                "type": "TextPositionSelector",
                "start": readouts.readout_offset(slug, start),
                "end": readouts.readout_offset(slug, end),
                "offsetUnit": readouts.offsets,
            },
        ],
    }
    return result


def chunks(
    records: Iterable[dict],
    *,
    offsets: str = CODEPOINTS,
    readouts: ReadoutCache | None = None,
    base_uri: str = DEFAULT_BASE_URI,
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    separator = "[\n"
    for record in records:
        yield separator + json.dumps(annotation(record, readouts, base_uri), ensure_ascii=False)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)
