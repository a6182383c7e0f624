"""What the format modules share: offset units, readout look-ups, streaming helpers, read errors."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from .. import text as text_module

CODEPOINTS = "codepoints"
UTF16 = "utf16"
OFFSET_UNITS = (CODEPOINTS, UTF16)

#: Join small chunks into pieces of about this many characters before they go to a response.
BUFFER_SIZE = 64 * 1024


#: XML 1.0 cannot hold these characters (C0 controls but tab, line feed and carriage return; lone
#: surrogates; U+FFFE and U+FFFF). Every XML writer replaces each one with U+FFFD, one character
#: for one, so that offsets into the text stay valid. Imports accept them (a form feed is common in
#: text from PDFs); the JSON and CSV formats keep them as they are.
XML_REPLACEMENT = "\ufffd"
_NOT_XML = {
    **{code: XML_REPLACEMENT for code in range(0x20) if chr(code) not in "\t\n\r"},
    **dict.fromkeys(range(0xD800, 0xE000), XML_REPLACEMENT),
    0xFFFE: XML_REPLACEMENT,
    0xFFFF: XML_REPLACEMENT,
}


def xml_characters(value: str) -> str:
    """``value`` with every character XML cannot hold replaced by U+FFFD (same length)."""
    return value.translate(_NOT_XML)


def xml_text(value) -> str:
    """``value`` (None for empty) as XML character data: replaced as :func:`xml_characters` does,
    escaped, and a carriage return written ``&#13;`` so that a parser keeps it (and the offsets)."""
    return escape(xml_characters("" if value is None else str(value)), {"\r": "&#13;"})


def xml_attribute(value) -> str:
    """``value`` as a quoted XML attribute value, replaced as :func:`xml_characters` does."""
    return quoteattr(xml_characters("" if value is None else str(value)))


class FormatError(ValueError):
    """A file that a format cannot read: ``message`` and the 1-based ``line`` (or None)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class ReadoutCache:
    """Readouts by slug for formats that need more than the record (the text around a statement,
    the title, the date), and offset conversion.

    Records arrive grouped by readout, so one readout is kept at a time: one query per readout,
    and memory does not grow with the export (publication days: a window of ``DAYS_AHEAD``).
    """

    #: Publication days read in one query (``publication_day``).
    DAYS_AHEAD = 1000

    def __init__(self, offsets: str = CODEPOINTS) -> None:
        if offsets not in OFFSET_UNITS:
            raise ValueError(f"offsets must be one of {', '.join(OFFSET_UNITS)}, not {offsets!r}")
        self.offsets = offsets
        self._slug: str | None = None
        self._readout = None
        self._astral = False
        self._utf16: dict[int, int] = {}
        self._days: dict[str, object] = {}

    def get(self, slug: str):
        from ..models import Readout

        if slug != self._slug:
            self._readout = Readout.objects.filter(slug=slug).first()
            self._slug = slug
            self._utf16 = {}
            text = self._readout.text if self._readout is not None else ""
            self._astral = len(text.encode("utf-16-le")) != 2 * len(text)
        return self._readout

    def publication_day(self, slug: str):
        """The readout's day of publication in its own zone (``Readout.published_on``, the day
        every export uses), or None. Read ``DAYS_AHEAD`` readouts at a time, in slug order from
        ``slug`` on (the order exports walk): one query for that many readouts, not one each."""
        from ..models import Readout

        if slug not in self._days:
            ahead = Readout.objects.filter(slug__gte=slug).order_by("slug").values_list("slug", "published_on")
            self._days = dict(ahead[: self.DAYS_AHEAD])
            self._days.setdefault(slug, None)  # no such readout: not asked of the database again
        return self._days[slug]

    def readout_offset(self, slug: str, offset: int) -> int:
        """A code point offset into the readout's text, in the chosen unit."""
        if self.offsets == CODEPOINTS:
            return offset
        readout = self.get(slug)
        if readout is None or not self._astral:
            return offset
        if offset not in self._utf16:
            self._utf16[offset] = text_module.utf16_offset(readout.text, offset)
        return self._utf16[offset]

    def text_offsets(self, text: str, *offsets: int) -> list[int]:
        """Code point offsets into ``text`` (a statement), in the chosen unit."""
        if self.offsets == CODEPOINTS:
            return list(offsets)
        return text_module.utf16_offsets(text, offsets)


#: A record's statement, ``(text, readout, statement, paragraph, start, end)``: the same for all
#: the readings of one statement, which an export gives one after another.
statement_of = itemgetter("text", "readout", "statement", "paragraph", "start", "end")


class Memo(dict):
    """``memo[value]``: ``encode(value)``, worked out once for values that repeat down an export
    (names, slugs, labels, a statement's text across its readings). It forgets everything once it
    holds ``size`` values, so memory stays flat however long the export; ``fixed`` encodings (for
    example ``None``) are kept."""

    def __init__(self, encode: Callable, *, fixed: dict | None = None, size: int = 4096) -> None:
        super().__init__(fixed or {})
        self.encode, self.fixed, self.size = encode, dict(fixed or {}), size

    def __missing__(self, value):
        if len(self) >= self.size:
            self.clear()
            self.update(self.fixed)
        encoded = self[value] = self.encode(value)
        return encoded


class Counted:
    """Iterates over ``records`` and counts them."""

    def __init__(self, records: Iterable[dict]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[dict]:
        for record in self._records:
            self.count += 1
            yield record


def write_chunks(chunks: Callable[..., Iterator[str]], records: Iterable[dict], stream: TextIO, **options) -> int:
    """Write what ``chunks(records, **options)`` yields to ``stream``; return the number of records."""
    counted = Counted(records)
    for chunk in chunks(counted, **options):
        stream.write(chunk)
    return counted.count


def buffered(chunks: Iterable[str], size: int = BUFFER_SIZE) -> Iterator[str]:
    """Join small chunks into pieces of about ``size`` characters (fewer, larger writes)."""
    buffer = io.StringIO()
    length = 0
    for chunk in chunks:
        buffer.write(chunk)
        length += len(chunk)
        if length >= size:
            yield buffer.getvalue()
            buffer = io.StringIO()
            length = 0
    if length:
        yield buffer.getvalue()


def speaker_index():
    """All speakers by slug, with an alias index for finding their names in a text (one query)."""
    from ..attribution import AliasIndex
    from ..models import Speaker

    speakers = {s.slug: s for s in Speaker.objects.all()}
    return speakers, AliasIndex.from_speakers(speakers.values(), key=lambda s: s.slug)


def find_span(text: str, phrase: str | None, start: int = 0) -> tuple[int, int] | None:
    """``(start, end)`` of the first ``phrase`` in ``text`` at or after ``start``, whitespace-tolerant."""
    if not phrase:
        return None
    import re

    pattern = r"\s+".join(re.escape(word) for word in phrase.split())
    if not pattern:
        return None
    match = re.compile(pattern).search(text, start)
    return None if match is None else (match.start(), match.end())


def speaker_and_cue_spans(record: dict, aliases) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Where the statement names its speaker and where its cue stands (code points into the
    statement text), as far as the text shows them: the speaker's name right before the cue for
    an explicit attribution, else the first name of the speaker; the cue phrase itself."""
    statement_text = record["text"]
    cue = find_span(statement_text, record.get("cue"))
    speaker = None
    slug = record.get("speaker")
    if slug and record.get("attribution") == "explicit":
        match = aliases.explicit(statement_text)
        if match is not None and aliases.resolve(match.group("name")) == slug:
            speaker = (match.start("name"), match.end("name"))
            if " ".join(match.group("cue").split()) == " ".join((record.get("cue") or "").split()):
                cue = (match.start("cue"), match.end("cue"))
        else:
            mentions = [m for m in aliases.mentions(statement_text) if m.speaker == slug]
            if mentions:
                speaker = (mentions[0].start, mentions[0].end)
    return speaker, cue
