"""Plain-text handling for readouts: decoding, parsing, sentence segmentation.

Standard library only; nothing here touches Django or the database.

A readout file looks like this::

    Title of the readout
    2023-03-02 09:42

    First paragraph. Second sentence.

    Second paragraph.

Line 1 is the title, line 2 the timestamp ``YYYY-MM-DD HH:MM`` (naive; the
caller attaches the time zone), then the body: paragraphs separated by one or
more blank lines.

All offsets produced here are Python ``str`` indices, i.e. Unicode code
points, as in the W3C Web Annotation model (``TextPositionSelector``).
JavaScript clients count UTF-16 code units instead; use :func:`utf16_offsets`
to convert.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ParsedReadout",
    "ReadoutFormatError",
    "Segment",
    "checksum",
    "decode_readout",
    "normalize_newlines",
    "parse_readout",
    "segment",
    "utf16_offset",
    "utf16_offsets",
]

BOM = "\ufeff"


# --------------------------------------------------------------------------
# Errors, decoding and newline normalisation
# --------------------------------------------------------------------------


class ReadoutFormatError(ValueError):
    """A readout file that cannot be used.

    ``message`` says what is wrong, ``line`` is the 1-based line number it
    concerns (or ``None`` when no single line is to blame). ``str()`` gives
    ``"line 2: timestamp ..."`` or just the message when there is no line.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}: {self.message}"


def normalize_newlines(raw: str) -> str:
    """Drop one leading BOM (U+FEFF) and turn CRLF and lone CR into LF.

    Nothing else changes: no other whitespace, no Unicode normalisation.
    """
    if raw.startswith(BOM):
        raw = raw[1:]
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _line_of_byte(data: bytes, pos: int) -> int:
    """1-based line number of byte ``pos`` (LF, CRLF and CR all end a line)."""
    prefix = data[:pos]
    return prefix.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def decode_readout(data: bytes) -> str:
    """Decode the bytes of a readout file as strict UTF-8.

    Raises :class:`ReadoutFormatError` for a file containing a NUL byte
    ("binary file ...") or for bytes that are not valid UTF-8 ("not valid
    UTF-8 ... at byte N", N being the 0-based byte offset); ``line`` is the
    line of the offending byte. A leading BOM is kept (as U+FEFF);
    :func:`parse_readout` drops it.
    """
    nul = data.find(b"\x00")
    if nul != -1:
        raise ReadoutFormatError(f"binary file: NUL byte at byte {nul}", line=_line_of_byte(data, nul))
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise ReadoutFormatError(
            f"not valid UTF-8: {exc.reason} (0x{bad.hex()}) at byte {exc.start}",
            line=_line_of_byte(data, exc.start),
        ) from None


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedReadout:
    """A parsed readout file.

    ``timestamp`` is naive; ``body_line`` is the 1-based line of the file on
    which ``body`` starts.
    """

    title: str
    timestamp: datetime.datetime
    body: str
    body_line: int


_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})", re.ASCII)


def _parse_timestamp(line: str) -> datetime.datetime:
    found = line.strip()
    match = _TIMESTAMP_RE.fullmatch(found)
    if match is None:
        shown = repr(found) if found else "an empty line"
        raise ReadoutFormatError(f"timestamp must be 'YYYY-MM-DD HH:MM', found {shown}", line=2)
    try:
        return datetime.datetime(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise ReadoutFormatError(f"timestamp {found!r} is not a valid date and time ({exc})", line=2) from None


def parse_readout(raw: str) -> ParsedReadout:
    """Parse the text of a readout file (already decoded, see
    :func:`decode_readout`).

    :func:`normalize_newlines` is applied first. Then:

    * a NUL character anywhere is an error ("binary file");
    * an empty (or whitespace-only) file is an error ("file is empty");
    * line 1 is the title, stripped of surrounding whitespace; it must not be
      empty;
    * line 2 must be exactly ``YYYY-MM-DD HH:MM`` (surrounding whitespace
      allowed) and a valid date and time;
    * the body starts at the first non-blank line after line 2 (that line is
      kept whole) and runs to the end of the file, with trailing whitespace
      removed. Nothing inside it changes: non-breaking spaces, runs of
      spaces and blank lines stay verbatim. A file without a body is an
      error.

    Every error is a :class:`ReadoutFormatError` naming the line when there
    is one to name.
    """
    text = normalize_newlines(raw)
    nul = text.find("\x00")
    if nul != -1:
        raise ReadoutFormatError("binary file: NUL character", line=text.count("\n", 0, nul) + 1)
    if not text.strip():
        raise ReadoutFormatError("file is empty")

    lines = text.split("\n")
    title = lines[0].strip()
    if not title:
        raise ReadoutFormatError("title is empty", line=1)
    if len(lines) < 2:
        raise ReadoutFormatError(
            "timestamp missing: expected 'YYYY-MM-DD HH:MM', found end of file",
            line=2,
        )
    timestamp = _parse_timestamp(lines[1])

    for index in range(2, len(lines)):
        if lines[index].strip():
            body = "\n".join(lines[index:]).rstrip()
            return ParsedReadout(title=title, timestamp=timestamp, body=body, body_line=index + 1)
    raise ReadoutFormatError("body is missing: no text after the timestamp", line=3)


# --------------------------------------------------------------------------
# Sentence segmentation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One sentence of a body: ``body[start:end]`` (code point offsets).

    ``paragraph`` and ``number`` are 1-based; ``number`` counts sentences
    through the whole body.
    """

    start: int
    end: int
    paragraph: int
    number: int

    def text(self, body: str) -> str:
        """The sentence itself, ``body[start:end]``."""
        return body[self.start : self.end]


# A candidate boundary: terminal punctuation, optional closing quotes or
# brackets, whitespace, and (looked at, not consumed) the next character. The
# lookbehind makes a match start only at the first character of a run of
# terminals, and the possessive quantifiers never give characters back, so a
# run of 20,000 periods is read once: linear time.
_TERMINALS = ".!?\u2026"  # \u2026 = HORIZONTAL ELLIPSIS
_CJK_TERMINALS = "\u3002\uff01\uff1f"  # 。！？
_CLOSERS = "\"'\u201d\u2019\u00bb)]}\u300d\u300f\uff09"  # ... 」』）
_OPENERS = "\"'\u201c\u2018\u00ab([{\u300c\u300e\uff08"  # ... 「『（
_BOUNDARY_RE = re.compile(
    rf"(?<![{re.escape(_TERMINALS)}])([{re.escape(_TERMINALS)}]++)([{re.escape(_CLOSERS)}]*+)(\s++)(?=(\S))"
)
# A full-width sentence end: with or without whitespace after it.
_CJK_BOUNDARY_RE = re.compile(
    rf"(?<![{_CJK_TERMINALS}])([{_CJK_TERMINALS}]++)([{re.escape(_CLOSERS)}]*+)(\s*+)(?=(\S))"
)

# Abbreviations after which a period never ends a sentence (case-sensitive).
_ABBREVIATIONS = frozenset(
    {
        # Titles and ranks.
        *("Mr", "Mrs", "Ms", "Mmes", "Messrs", "Dr", "Prof", "St", "Mt", "Ft"),
        *("Gen", "Lt", "Col", "Maj", "Capt", "Cmdr", "Sgt", "Adm", "Gov", "Sen"),
        *("Rep", "Rev", "Hon", "Amb", "Pres", "Supt", "Insp", "Dept", "Univ", "Co"),
        # Latin and the like.
        *("vs", "cf", "approx", "ca", "viz"),
        # Months ("May" is never abbreviated).
        *("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept"),
        *("Oct", "Nov", "Dec"),
    }
)
# Abbreviations that are only abbreviations when a number follows ("No. 5").
_NUMBER_ABBREVIATIONS = frozenset({"No", "Nos", "no", "nos", "Art", "Fig", "Vol", "vol", "p", "pp", "para"})
# Abbreviations that often end a sentence: a break unless lowercase follows.
_SOFT_ABBREVIATIONS = frozenset({"etc", "Inc", "Ltd", "Corp", "Jr", "Sr", "al"})
# "U.S.", "U.N.", "e.g.", "i.e.", "a.m." (the final period not included).
_DOTTED_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
# A single capital initial: "J." in "J. Smith".
_INITIAL_RE = re.compile(r"[A-Z]")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _paragraph_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    para_start: int | None = None
    para_end = 0
    pos = 0
    for line in body.split("\n"):
        line_end = pos + len(line)
        if _is_blank(line):
            if para_start is not None:
                spans.append((para_start, para_end))
                para_start = None
        else:
            if para_start is None:
                para_start = pos + (len(line) - len(line.lstrip()))
            para_end = pos + len(line.rstrip())
        pos = line_end + 1  # skip the "\n"
    if para_start is not None:
        spans.append((para_start, para_end))
    return spans


def _starts_sentence(char: str) -> bool:
    """A character that can open a sentence: a letter, a digit, an opening quote or bracket,
    a CJK character, or a symbol such as an emoji (Unicode categories L, N, S)."""
    return char in _OPENERS or unicodedata.category(char)[0] in "LNS"


def _is_break(text: str, match: re.Match[str], start: int) -> bool:
    """Decide whether a candidate boundary really ends a sentence that began at ``start``."""
    terminals, closers, _space, following = match.groups()
    ellipsis = terminals.count(".") > 1 or "\u2026" in terminals
    if not _starts_sentence(following):
        return False
    if following.islower() and (closers or ellipsis):
        return False
    if terminals != "." or closers:
        return True
    # A single period right after a word: check for abbreviations and list numbers.
    word_start = match.start(1)
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start : match.start(1)].lstrip(_OPENERS)
    if word_start == start and word.isdigit() and len(word) <= 3:
        return False  # a list marker, "2. Regarding ...", stays with its item
    last = word.rpartition("-")[2]  # "China-U.S." ends with "U.S."
    if word in _ABBREVIATIONS or _DOTTED_RE.fullmatch(last) or _INITIAL_RE.fullmatch(word):
        return False
    if word in _NUMBER_ABBREVIATIONS and following.isdigit():
        return False
    return not (word in _SOFT_ABBREVIATIONS and following.islower())


def _boundaries(body: str, start: int, end: int):
    """Candidate boundaries of ``body[start:end]`` in order: ASCII ones and full-width ones."""
    ascii_ = _BOUNDARY_RE.finditer(body, start, end)
    if not any(char in body for char in _CJK_TERMINALS):
        yield from ascii_
        return
    cjk = _CJK_BOUNDARY_RE.finditer(body, start, end)
    pending = [next(ascii_, None), next(cjk, None)]
    while pending[0] is not None or pending[1] is not None:
        which = 0 if pending[1] is None or (pending[0] is not None and pending[0].start() < pending[1].start()) else 1
        yield pending[which]
        pending[which] = next(ascii_ if which == 0 else cjk, None)


def segment(body: str) -> list[Segment]:
    """Split ``body`` into sentences, one :class:`Segment` each, in order.

    Paragraphs are separated by one or more blank lines (lines that are
    empty or whitespace only, "\\n" ending a line); they are numbered from 1.
    A paragraph always ends a sentence, with or without final punctuation.
    Single line breaks inside a paragraph are ordinary whitespace.

    Inside a paragraph a sentence ends after terminal punctuation ``.``,
    ``!``, ``?`` or ``…`` (a run of them, e.g. ``?!`` or ``...``), optionally
    followed by closing quotes or brackets (``" ' ” ’ » ) ] } 」 』 ）``), when then
    come one or more whitespace characters (any Unicode whitespace, NBSP
    included) and then a character that can open a sentence: a letter of
    either case, a digit, an opening quote or bracket (``" ' “ ‘ « ( [ { 「 『 （``)
    or a symbol (an emoji). A full-width ``。``, ``！`` or ``？`` (with closing
    quotes) ends a sentence with or without whitespace after it. A lowercase
    letter is accepted because sources drop words: "...and other issues.
    pointed out that..." is two sentences. Exceptions, where there is no break:

    * a lowercase letter after closing quotes/brackets or after an ellipsis
      (``"Why?" she asked``, ``and so on... then``);
    * a single ``.`` after a known abbreviation: titles and the like (Mr.,
      Mrs., Ms., Dr., Prof., St., Gen., Sen., Amb., Co., vs., cf., approx.,
      ...), abbreviated months (Jan., Feb., Mar., Apr., Jun., Jul., Aug.,
      Sep., Sept., Oct., Nov., Dec.), dotted abbreviations (U.S., U.N.,
      e.g., i.e., a.m.), also after a hyphen (China-U.S., U.K.-U.S.), and
      single capital initials (J. Smith);
    * a list marker: a number of one to three digits that opens the sentence
      ("1. At the outset", "2. Regarding ...") stays with its item;
    * No., Nos., Art., Fig., Vol., p., pp., para. followed by a digit
      (No. 5);
    * etc., Inc., Ltd., Corp., Jr., Sr., al. followed by a lowercase letter
      (followed by anything else they end the sentence).

    Numbers such as ``3.5`` never split since no whitespace follows the
    period. Each segment is stripped: ``body[start:end]`` has no leading or
    trailing whitespace, segments do not overlap, and everything outside
    them is whitespace. Offsets are code points (Python ``str`` indices).
    Time is linear in the length of ``body``.
    """
    segments: list[Segment] = []
    for paragraph, (para_start, para_end) in enumerate(_paragraph_spans(body), 1):
        start = para_start
        for match in _boundaries(body, para_start, para_end):
            if match.start() < start or not _is_break(body, match, start):
                continue
            segments.append(Segment(start, match.start(3), paragraph, len(segments) + 1))
            start = match.end(3)
        segments.append(Segment(start, para_end, paragraph, len(segments) + 1))
    return segments


# --------------------------------------------------------------------------
# UTF-16 offsets and checksums
# --------------------------------------------------------------------------

_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def utf16_offsets(text: str, offsets: Iterable[int]) -> list[int]:
    """Convert code point offsets into ``text`` to UTF-16 code unit offsets.

    Characters above U+FFFF count as two code units (a surrogate pair), all
    others as one, as in JavaScript strings. ``offsets`` may come in any
    order; the result is in the same order. Cost: one pass over ``text`` to
    find characters above U+FFFF (m of them), then O(log m) per offset.
    Raises ``ValueError`` for an offset outside ``0..len(text)``.
    """
    offsets = list(offsets)
    size = len(text)
    for offset in offsets:
        if not 0 <= offset <= size:
            raise ValueError(f"offset {offset} outside 0..{size}")
    astral = [m.start() for m in _ASTRAL_RE.finditer(text)]
    if not astral:
        return offsets
    # Each astral character strictly before the offset adds one code unit.
    return [offset + bisect.bisect_left(astral, offset) for offset in offsets]


def utf16_offset(text: str, offset: int) -> int:
    """Convert one code point offset into ``text`` to a UTF-16 offset."""
    return utf16_offsets(text, [offset])[0]


def checksum(text: str) -> str:
    """``"sha256:"`` + hex SHA-256 digest of the UTF-8 encoding of ``text``."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
