"""Discourse Network Analyzer: the DNA 1.x XML file that DNA imports.

DNA (https://github.com/leifeld/dna) imports statements with their text positions from a DNA 1.x
XML file ("Import old DNA 1.x XML" in DNA 2; DNA 3 imports DNA 2 databases), so that is what
this writes::

    <discourse>
      <version>1.21</version>
      <articles>
        <article>
          <title>...</title> <date>01.03.2023</date> <text>the readout text</text>
          <statements>
            <statement>
              <id>1</id> <start>..</start> <end>..</end>
              <person>Xi Jinping</person> <organization>China</organization>
              <category>Taiwan</category> <agreement>yes</agreement>
            </statement> ...

One article per readout (its title, the event date or else the publication day in the readout's
own zone, ``Readout.published_on``, the whole text), one DNA statement per stance of a reading:
``person`` the speaker (for a speaker that is not a person, ``person`` is empty and
``organization`` the speaker), ``organization`` the person's affiliation, ``category``
(DNA 1's name for the concept) the target's name,
``agreement`` ``yes`` for favor and ``no`` for against. DNA's agreement is yes or no, so
``none`` stances are left out, as are readings without a speaker or without stances.
``start`` and ``end`` are 1-based, as DNA 1 counted. DNA is a Java program and counts UTF-16
code units: export with ``--offsets utf16`` when a readout contains characters outside the
Basic Multilingual Plane. ``<offsetUnit>`` records the unit used and ``<source>`` the
readout's slug, statement and annotator (DNA ignores both). Characters XML cannot hold are
replaced one for one (see ``base.xml_characters``), so the offsets stay valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from .base import CODEPOINTS, ReadoutCache, speaker_index, write_chunks, xml_text

MEDIA_TYPE = "application/xml"
EXTENSION = "dna"
DNA_VERSION = "1.21"
AGREEMENT = {"favor": "yes", "against": "no"}


def _element(name: str, value, indent: str) -> str:
    return f"{indent}<{name}>{xml_text(value)}</{name}>\n"


def _date(readout, readouts: ReadoutCache) -> str:
    day = readout.event_date or readouts.publication_day(readout.slug)
    return day.strftime("%d.%m.%Y")


def chunks(
    records: Iterable[dict], *, offsets: str = CODEPOINTS, readouts: ReadoutCache | None = None
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    speakers, _aliases = speaker_index()
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<discourse>\n'
    yield _element("version", DNA_VERSION, "  ")
    yield _element("offsetUnit", readouts.offsets, "  ")
    yield "  <articles>\n"
    current = None
    statement_id = 0
    for record in records:
        slug = record["readout"]
        if slug != current:
            if current is not None:
                yield "      </statements>\n    </article>\n"
            current = slug
            readout = readouts.get(slug)
            yield "    <article>\n"
            yield _element("title", readout.title, "      ")
            yield _element("date", _date(readout, readouts), "      ")
            yield _element("text", readout.text, "      ")
            yield "      <statements>\n"
        speaker = speakers.get(record["speaker"]) if record["speaker"] else None
        if speaker is None:
            continue
        if speaker.kind == "person":
            person, organization = speaker.name, speaker.affiliation
        else:
            person, organization = "", speaker.name
        start = readouts.readout_offset(slug, record["start"]) + 1
        end = readouts.readout_offset(slug, record["end"]) + 1
        source = f"{slug}#{record['statement']} {record['annotator'] or record['origin']}"
        for stance in record["stances"]:
            if stance["stance"] not in AGREEMENT:
                continue
            statement_id += 1
            yield (
                "        <statement>\n"
                + _element("id", statement_id, "          ")
                + _element("start", start, "          ")
                + _element("end", end, "          ")
                + _element("person", person, "          ")
                + _element("organization", organization, "          ")
                + _element("category", stance["target_name"] or stance["target"], "          ")
                + _element("agreement", AGREEMENT[stance["stance"]], "          ")
                + _element("source", source, "          ")
                + "        </statement>\n"
            )
    if current is not None:
        yield "      </statements>\n    </article>\n"
    yield "  </articles>\n</discourse>\n"


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)
