"""Tests for readout_annotations.text (no database needed)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from pathlib import Path

import pytest

from readout_annotations.text import (
    ParsedReadout,
    ReadoutFormatError,
    Segment,
    checksum,
    decode_readout,
    normalize_newlines,
    parse_readout,
    segment,
    utf16_offset,
    utf16_offsets,
)

REPO = Path(__file__).resolve().parent.parent
SEED_NAME = "xi-lukashenko-talks-2023-03-01.txt"
SEED = REPO / "fixtures" / "seeds" / SEED_NAME
SHARED_SEED = REPO.parent / "shared" / "seeds" / SEED_NAME

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def seed_raw() -> str:
    return decode_readout(SEED.read_bytes())


@pytest.fixture(scope="module")
def seed(seed_raw: str) -> ParsedReadout:
    return parse_readout(seed_raw)


@pytest.fixture(scope="module")
def seed_segments(seed: ParsedReadout) -> list[Segment]:
    return segment(seed.body)


def assert_well_formed(body: str, segments: list[Segment]) -> None:
    """Stripped, ordered, non-overlapping, numbered, whitespace outside."""
    covered = [False] * len(body)
    previous_end = 0
    for number, seg in enumerate(segments, 1):
        assert seg.number == number
        assert 0 <= seg.start < seg.end <= len(body)
        assert seg.start >= previous_end, "segments overlap or are out of order"
        text = body[seg.start : seg.end]
        assert text == text.strip()
        assert seg.text(body) == text
        for i in range(seg.start, seg.end):
            covered[i] = True
        previous_end = seg.end
    outside = "".join(ch for ch, c in zip(body, covered, strict=True) if not c)
    assert outside.isspace() or outside == ""


# --------------------------------------------------------------------------
# The seed file
# --------------------------------------------------------------------------


def test_seed_copy_is_byte_identical_to_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip(f"shared seed not available at {SHARED_SEED}")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_title_and_timestamp(seed: ParsedReadout):
    assert seed.title == "Xi held talks with Belarusian President Lukashenko"
    assert seed.timestamp == datetime.datetime(2023, 3, 2, 9, 42)
    assert seed.timestamp.tzinfo is None
    assert seed.body_line == 4


def test_seed_body_bounds(seed: ParsedReadout, seed_raw: str):
    assert seed.body.startswith("On March 1")
    assert seed.body.endswith("activities.")
    # The body is the file from line 4 on, verbatim (the file has no
    # trailing newline, so nothing was stripped).
    assert seed_raw.split("\n", 3)[3] == seed.body
    assert "\n\n\n" in seed.body  # the double blank lines stay


def test_seed_nbsp_and_spaces_preserved(seed: ParsedReadout):
    assert f"Chinese President Xi{NBSP}held talks" in seed.body
    assert f"China-Europe line{NBSP}and" in seed.body
    assert seed.body.count(NBSP) == 8
    assert "other issues.   pointed out" in seed.body


def test_seed_segments_well_formed(seed: ParsedReadout, seed_segments):
    assert len(seed_segments) == 34
    assert_well_formed(seed.body, seed_segments)


def test_seed_each_segment_is_one_sentence(seed: ParsedReadout, seed_segments):
    for seg in seed_segments:
        text = seg.text(seed.body)
        assert text.endswith(".")
        # No period followed by whitespace inside a segment.
        assert ". " not in text and f".{NBSP}" not in text and ".\n" not in text


def test_seed_missing_speaker_sentence_is_its_own_segment(seed: ParsedReadout, seed_segments):
    texts = [seg.text(seed.body) for seg in seed_segments]
    i = texts.index("The two heads of state also exchanged views on the Ukrainian crisis and other issues.")
    assert texts[i + 1].startswith("pointed out that China's position")
    assert seed_segments[i].paragraph == seed_segments[i + 1].paragraph == 6


@pytest.mark.parametrize(
    "number, paragraph, start",
    [
        (1, 1, "On March 1, Chinese President Xi"),
        (2, 2, f"Xi{NBSP}pointed out that in September"),
        (9, 3, "It is necessary to give full play"),
        (10, 3, "It is necessary to deepen medical"),
        (15, 5, "I firmly believe that under"),
        (21, 5, "I wish the upcoming National"),
        (23, 6, "pointed out that China's position"),
        (30, 9, "When Lukashenko arrived"),
        (33, 10, f"After the talks, Xi{NBSP}hosted"),
        (34, 11, "Wang Yi and He Lifeng attended the above activities."),
    ],
)
def test_seed_selected_segments(seed, seed_segments, number, paragraph, start):
    seg = seed_segments[number - 1]
    assert seg.number == number
    assert seg.paragraph == paragraph
    assert seg.text(seed.body).startswith(start)


def test_seed_paragraphs(seed_segments):
    # 11 paragraphs: the one between "...watched the separation." and
    # "After the talks, Xi hosted..." is a single blank line, still a break.
    per_paragraph = {}
    for seg in seed_segments:
        per_paragraph[seg.paragraph] = per_paragraph.get(seg.paragraph, 0) + 1
    assert list(per_paragraph) == list(range(1, 12))
    assert list(per_paragraph.values()) == [1, 4, 5, 3, 8, 6, 1, 1, 3, 1, 1]


def test_seed_checksum(seed: ParsedReadout):
    digest = hashlib.sha256(seed.body.encode("utf-8")).hexdigest()
    assert checksum(seed.body) == f"sha256:{digest}"


def test_seed_utf16_offsets_equal_code_points(seed: ParsedReadout, seed_segments):
    # The seed is all BMP, so both offset systems agree.
    offsets = [o for seg in seed_segments for o in (seg.start, seg.end)]
    assert utf16_offsets(seed.body, offsets) == offsets


# --------------------------------------------------------------------------
# Newline normalisation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a\r\nb\r\n", "a\nb\n"),
        ("a\rb\r", "a\nb\n"),
        ("a\r\rb", "a\n\nb"),
        ("a\r\n\rb\n", "a\n\nb\n"),
        ("\ufeffa\nb", "a\nb"),
        ("\ufeff\ufeffa", "\ufeffa"),  # only one leading BOM is dropped
        ("a\ufeffb", "a\ufeffb"),
        (f"a{NBSP} \t b  \n", f"a{NBSP} \t b  \n"),
        ("", ""),
    ],
)
def test_normalize_newlines(raw, expected):
    assert normalize_newlines(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "\ufeffTitle\r\n2023-03-02 09:42\r\n\r\nOne. Two.\r\n\r\nThree.\r\n",
        "Title\r2023-03-02 09:42\r\rOne. Two.\r\rThree.\r",
        "\ufeffTitle\n2023-03-02 09:42\n\nOne. Two.\n\nThree.\n",
    ],
)
def test_parse_normalizes_bom_and_newlines(raw):
    parsed = parse_readout(raw)
    assert parsed.title == "Title"
    assert parsed.body == "One. Two.\n\nThree."
    assert parsed.body_line == 4
    segs = segment(parsed.body)
    assert [(s.text(parsed.body), s.paragraph) for s in segs] == [
        ("One.", 1),
        ("Two.", 1),
        ("Three.", 2),
    ]


def test_decode_keeps_bom_for_parse_to_drop():
    data = "\ufeffT\n2023-03-02 09:42\nBody.".encode()
    assert decode_readout(data).startswith("\ufeff")
    assert parse_readout(decode_readout(data)).title == "T"


# --------------------------------------------------------------------------
# Parsing details
# --------------------------------------------------------------------------


def test_parse_strips_title_and_timestamp_and_finds_body_line():
    parsed = parse_readout(f"  {NBSP}Title here \t\n\t2023-12-31 23:59  \n\n \n\t\n  Indented body.  \n\n")
    assert parsed.title == "Title here"
    assert parsed.timestamp == datetime.datetime(2023, 12, 31, 23, 59)
    assert parsed.body_line == 6
    assert parsed.body == "  Indented body."  # the first line is kept whole
    [seg] = segment(parsed.body)
    assert parsed.body[seg.start : seg.end] == "Indented body."


def test_parse_body_directly_after_timestamp():
    parsed = parse_readout("T\n2023-03-02 09:42\nBody.")
    assert parsed.body_line == 3
    assert parsed.body == "Body."


def test_parsed_readout_is_frozen():
    parsed = parse_readout("T\n2023-03-02 09:42\nBody.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        segment("A.")[0].start = 3  # type: ignore[misc]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, line, fragment",
    [
        ("", None, "file is empty"),
        ("\ufeff", None, "file is empty"),
        (" \n\t\n", None, "file is empty"),
        ("\n2023-03-02 09:42\n\nBody.", 1, "title is empty"),
        (f" \t{NBSP}\n2023-03-02 09:42\n\nBody.", 1, "title is empty"),
        ("Title", 2, "found end of file"),
        ("Title\n", 2, "found an empty line"),
        ("Title\n\nBody.", 2, "found an empty line"),
        ("Title\nBody text.", 2, "found 'Body text.'"),
        ("Title\n2023-3-2 9:42\n\nBody.", 2, "found '2023-3-2 9:42'"),
        ("Title\n2023-03-02\n\nBody.", 2, "found '2023-03-02'"),
        ("Title\n2023-03-02 09:42:00\n\nBody.", 2, "found '2023-03-02 09:42:00'"),
        ("Title\n2023-03-02T09:42\n\nBody.", 2, "found '2023-03-02T09:42'"),
        ("Title\n2023-03-02  09:42\n\nBody.", 2, "found '2023-03-02  09:42'"),
        ("Title\n\u0662023-03-02 09:42\n\nBody.", 2, "YYYY-MM-DD HH:MM"),
        ("Title\n2023-02-30 09:42\n\nBody.", 2, "'2023-02-30 09:42' is not a valid"),
        ("Title\n2023-13-01 09:42\n\nBody.", 2, "not a valid date and time"),
        ("Title\n2023-03-02 24:00\n\nBody.", 2, "not a valid date and time"),
        ("Title\n2023-03-02 09:60\n\nBody.", 2, "not a valid date and time"),
        ("Title\n2023-03-02 09:42", 3, "body is missing"),
        ("Title\n2023-03-02 09:42\n", 3, "body is missing"),
        (f"Title\n2023-03-02 09:42\n\n \n\t{NBSP}\n\n", 3, "body is missing"),
        ("Title\r\n2023-03-02 09:42\r\n\r\n", 3, "body is missing"),
        ("Ti\x00tle\n2023-03-02 09:42\n\nBody.", 1, "binary file"),
        ("Title\n2023-03-02 09:42\n\nBo\x00dy.", 4, "binary file"),
        ("Title\r\n2023-03-02 09:42\r\rBody.\x00", 4, "binary file"),
        ("\x00", 1, "binary file"),
    ],
)
def test_parse_errors(raw, line, fragment):
    with pytest.raises(ReadoutFormatError) as info:
        parse_readout(raw)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.line == line
    assert fragment in error.message
    if line is None:
        assert str(error) == error.message
    else:
        assert str(error) == f"line {line}: {error.message}"


def test_error_str_and_attributes():
    error = ReadoutFormatError("timestamp must be ...", line=2)
    assert str(error) == "line 2: timestamp must be ..."
    assert (error.message, error.line) == ("timestamp must be ...", 2)
    error = ReadoutFormatError("file is empty")
    assert str(error) == "file is empty"
    assert error.line is None


@pytest.mark.parametrize(
    "data, line, fragment",
    [
        (b"Title\n2023-03-02 09:42\n\nBad \xff byte.", 4, "at byte 28"),
        (b"\xffTitle", 1, "at byte 0"),
        (b"Title\r\n2023-03-02 09:42\r\n\r\nCut \xe2\x82", 4, "at byte 31"),
        (b"Title\r2023-03-02 09:42\r\rA.\rB \xc0\xaf", 5, "at byte 29"),
        (b"T\n\xed\xa0\x80", 2, "at byte 2"),  # an encoded surrogate
    ],
)
def test_decode_invalid_utf8(data, line, fragment):
    with pytest.raises(ReadoutFormatError) as info:
        decode_readout(data)
    assert info.value.line == line
    assert info.value.message.startswith("not valid UTF-8")
    assert fragment in info.value.message
    assert str(info.value).startswith(f"line {line}: not valid UTF-8")


@pytest.mark.parametrize(
    "data, line",
    [
        (b"\x00", 1),
        (b"Title\n2023-03-02 09:42\n\nBo\x00dy.", 4),
        ("T\n2023-03-02 09:42\n\nA.".encode("utf-16"), 1),
    ],
)
def test_decode_nul_is_binary(data, line):
    with pytest.raises(ReadoutFormatError) as info:
        decode_readout(data)
    assert info.value.message.startswith("binary file")
    assert info.value.line == line


def test_decode_valid_utf8():
    text = f"T\n2023-03-02 09:42\n\nXi{NBSP}said 𝕏 ok 😀."
    assert decode_readout(text.encode()) == text


# --------------------------------------------------------------------------
# Segmentation rules
# --------------------------------------------------------------------------


def texts(body: str) -> list[str]:
    segments = segment(body)
    assert_well_formed(body, segments)
    return [seg.text(body) for seg in segments]


@pytest.mark.parametrize(
    "body, expected",
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("No final punctuation", ["No final punctuation"]),
        ("a.   b", ["a.", "b"]),  # lowercase start: missing speaker's name
        ("Stop.\nNext line.", ["Stop.", "Next line."]),
        ("Line one\nstill the same sentence.", ["Line one\nstill the same sentence."]),
        ('He said "Go." Then left.', ['He said "Go."', "Then left."]),
        ('Done. "Quoted start."', ["Done.", '"Quoted start."']),
        ("Done. (Aside.) Next.", ["Done.", "(Aside.)", "Next."]),
        (
            "It grew 3.5 percent. In 2023. 42 left.",
            ["It grew 3.5 percent.", "In 2023.", "42 left."],
        ),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("Wait... Then.", ["Wait...", "Then."]),
        ("and so on... then more.", ["and so on... then more."]),
        ('"Why?" she asked.', ['"Why?" she asked.']),
        (
            "Mr. Smith met Dr. Jones at St. Paul.",
            ["Mr. Smith met Dr. Jones at St. Paul."],
        ),
        (
            "The U.S. and the U.N. agreed. Next.",
            ["The U.S. and the U.N. agreed.", "Next."],
        ),
        ("Some, e.g. this, i.e. that. Next.", ["Some, e.g. this, i.e. that.", "Next."]),
        ("Met on Jan. 5 and Dec. 7. Then.", ["Met on Jan. 5 and Dec. 7.", "Then."]),
        ("J. Smith and R. Roe came.", ["J. Smith and R. Roe came."]),
        (
            "Resolution No. 5 passed. No. Really.",
            ["Resolution No. 5 passed.", "No.", "Really."],
        ),
        (
            "Apples, pears etc. were sold. Fine.",
            ["Apples, pears etc. were sold.", "Fine."],
        ),
        ("Sold fruit etc. Then left.", ["Sold fruit etc.", "Then left."]),
        ("Huawei Co. Ltd. signed.", ["Huawei Co. Ltd. signed."]),
        ("(Mr. Smith) spoke.", ["(Mr. Smith) spoke."]),
        ("Ends here. - dash", ["Ends here. - dash"]),
        ("One.\u00a0Two.", ["One.", "Two."]),  # NBSP between sentences
        (f"Xi{NBSP}held talks.", [f"Xi{NBSP}held talks."]),
        ("Здравствуйте. Привет.", ["Здравствуйте.", "Привет."]),
        ("Fin. 😀 ok.", ["Fin.", "😀 ok."]),  # a sentence may begin with an emoji
        ("Ties with China-U.S. relations. Next one.", ["Ties with China-U.S. relations.", "Next one."]),
        ("The U.K.-U.S. partnership grew. Yes.", ["The U.K.-U.S. partnership grew.", "Yes."]),
        (
            "Summary.\n  1. At the outset, X spoke. Y agreed.\n  2. Regarding Z, W spoke.",
            ["Summary.", "1. At the outset, X spoke.", "Y agreed.", "2. Regarding Z, W spoke."],
        ),
        (
            "王毅表示,好。中方愿意！美方呢？“是的。”他说。",
            ["王毅表示,好。", "中方愿意！", "美方呢？", "“是的。”", "他说。"],
        ),
        ("中国。 China said so. 好。", ["中国。", "China said so.", "好。"]),
        ("Hi 😀. 𝕏 is here. Ok.", ["Hi 😀.", "𝕏 is here.", "Ok."]),  # 𝕏 is a letter
        ("   ", []),
        ("", []),
    ],
)
def test_segment_rules(body, expected):
    assert texts(body) == expected


def test_segment_paragraphs_and_whitespace():
    body = "  First. Second.  \n \n\t\n\nThird\n\n\n  Fourth para.\nSame para.  "
    segments = segment(body)
    assert_well_formed(body, segments)
    assert [(s.text(body), s.paragraph, s.number) for s in segments] == [
        ("First.", 1, 1),
        ("Second.", 1, 2),
        ("Third", 2, 3),
        ("Fourth para.", 3, 4),
        ("Same para.", 3, 5),
    ]


def test_segment_nbsp_only_line_is_blank():
    body = f"One.\n{NBSP}\nTwo."
    assert [s.paragraph for s in segment(body)] == [1, 2]


# --------------------------------------------------------------------------
# UTF-16 offsets
# --------------------------------------------------------------------------


def js_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def test_astral_characters_keep_code_point_offsets():
    raw = "Title 😀\n2023-03-02 09:42\n\n𝕏 said hi 😀. Then 𝕏 left.\n\nEnd."
    parsed = parse_readout(raw)
    assert parsed.title == "Title 😀"
    body = parsed.body
    segments = segment(body)
    assert [s.text(body) for s in segments] == ["𝕏 said hi 😀.", "Then 𝕏 left.", "End."]
    first, second, third = segments
    assert (first.start, first.end) == (0, 12)
    assert (second.start, second.end) == (13, 25)
    assert (third.start, third.end) == (27, 31)

    offsets = [first.start, first.end, second.start, second.end, third.start, third.end]
    assert utf16_offsets(body, offsets) == [0, 14, 15, 28, 30, 34]
    for offset in offsets:
        assert utf16_offset(body, offset) == js_length(body[:offset])


def test_utf16_offsets_unsorted_duplicates_and_generators():
    text = "a😀b𝕏c\u00e9d"
    offsets = [7, 0, 3, 3, 1, 2, 4, 5, 6]
    expected = [js_length(text[:o]) for o in offsets]
    assert expected == [9, 0, 4, 4, 1, 3, 6, 7, 8]
    assert utf16_offsets(text, offsets) == expected
    assert utf16_offsets(text, iter(offsets)) == expected
    assert utf16_offsets(text, []) == []


def test_utf16_offsets_bmp_only_is_identity():
    text = f"Xi{NBSP}said — “hello”."
    assert utf16_offsets(text, range(len(text) + 1)) == list(range(len(text) + 1))


def test_utf16_offsets_many():
    text = ("ab😀" * 1000) + "end"
    offsets = list(range(len(text), -1, -1))
    result = utf16_offsets(text, offsets)
    assert result == [js_length(text[:o]) for o in offsets]
    assert result[0] == js_length(text)


@pytest.mark.parametrize("offset", [-1, 6])
def test_utf16_offsets_out_of_range(offset):
    with pytest.raises(ValueError):
        utf16_offset("ab😀cd", offset)


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, digest",
    [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ],
)
def test_checksum_known_values(text, digest):
    assert checksum(text) == f"sha256:{digest}"


def test_checksum_uses_utf8():
    text = f"Xi{NBSP}😀"
    assert checksum(text) == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert checksum(text) != checksum("Xi 😀")
