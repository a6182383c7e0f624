"""``export_annotations --format F [--offsets utf16]``: csv, w3c, dna, doccano, labelstudio (and jsonl's offsets)."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readout_annotations.formats import FORMATS, ReadoutCache
from readout_annotations.models import Annotation, Speaker, Stance, Target

from .conftest import make_readout

EMOJI_TEXT = "Xi\u00a0said \U0001f600 twice that ties are good. China \U0001f600 agrees.\n\nLukashenko noted it."


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_annotations", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def corpus(small_readout, annotator, other_annotator, reviewer):
    """The small readout: statement 2 read by two annotators (one gold, two stances), a machine proposal on 3."""
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"], affiliation="China")
    china = Speaker.objects.create(slug="china", name="China", kind="state")
    bri = Target.objects.create(slug="bri", name="Belt and Road Initiative")
    interference = Target.objects.create(slug="interference", name="Interference")
    second, third = small_readout.statements.get(number=2), small_readout.statements.get(number=3)
    gold = Annotation.objects.create(
        statement=second,
        annotator=annotator,
        speaker=xi,
        attribution="explicit",
        mode="indirect",
        cue="pointed out",
        gold=True,
    )
    Stance.objects.create(annotation=gold, target=interference, stance="against")
    Stance.objects.create(annotation=gold, target=bri, stance="none")
    other = Annotation.objects.create(
        statement=second, annotator=other_annotator, speaker=china, attribution="inferred"
    )
    Stance.objects.create(annotation=other, target=bri, stance="favor")
    Annotation.objects.create(
        statement=third, origin="machine", machine_name="rules", speaker=xi, attribution="continued"
    )
    return small_readout


def test_csv_one_row_per_statement_and_target(corpus):
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv", "--all"))))
    assert [(r["id"], r["statement"], r["annotator"], r["target"], r["stance"]) for r in rows] == [
        ("1", "2", "annotator1", "bri", "NONE"),
        ("2", "2", "annotator1", "interference", "AGAINST"),
        ("3", "2", "annotator2", "bri", "FAVOR"),
        ("4", "3", "", "", ""),
    ]
    first = rows[0]
    assert first["text"] == "Xi\u00a0pointed out that the two sides should oppose interference."
    assert (first["speaker"], first["attribution"], first["mode"], first["cue"], first["gold"]) == (
        "xi-jinping",
        "explicit",
        "indirect",
        "pointed out",
        "true",
    )
    second = corpus.statements.get(number=2)
    assert (first["readout"], first["start"], first["end"], first["offset_unit"]) == (
        "small-readout",
        str(second.start),
        str(second.end),
        "codepoints",
    )
    gold = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
    assert [(r["statement"], r["target"], r["gold"]) for r in gold] == [
        ("1", "", "false"),
        ("2", "bri", "true"),
        ("2", "interference", "true"),
        ("3", "", "false"),
        ("4", "", "false"),
    ]
    assert export("--format", "csv").splitlines()[0] == ",".join(FORMATS["csv"].COLUMNS)


def test_w3c_annotations(corpus):
    annotations = json.loads(export("--format", "w3c", "--all"))
    assert len(annotations) == 3
    gold = annotations[0]
    assert gold["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert gold["type"] == "Annotation" and gold["motivation"] == "classifying"
    assert gold["id"] == "urn:readout-annotations:readouts/small-readout/statements/2/annotator1"
    assert gold["creator"] == {"type": "Person", "nickname": "annotator1"}
    text = corpus.text
    start, end = corpus.statements.values_list("start", "end").get(number=2)
    quote, position = gold["target"]["selector"]
    assert gold["target"]["source"] == "urn:readout-annotations:readouts/small-readout"
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": text[start:end],
        "prefix": text[start - 32 : start],
        "suffix": text[end : end + 32],
    }
    assert len(quote["prefix"]) == len(quote["suffix"]) == 32
    assert position == {"type": "TextPositionSelector", "start": start, "end": end, "offsetUnit": "codepoints"}
    assert [(b["purpose"], b["label"], b["value"]) for b in gold["body"]] == [
        ("tagging", "speaker:xi-jinping", "Xi Jinping"),
        ("classifying", "attribution", "explicit"),
        ("classifying", "mode", "indirect"),
        ("describing", "cue", "pointed out"),
        ("tagging", "target:bri", "Belt and Road Initiative"),
        ("classifying", "stance:bri", "none"),
        ("tagging", "target:interference", "Interference"),
        ("classifying", "stance:interference", "against"),
        ("assessing", "gold", "gold"),
    ]
    assert annotations[2]["creator"] == {"type": "Software", "name": "rules"}
    unread = json.loads(export("--format", "w3c"))[0]
    assert unread["motivation"] == "highlighting" and "body" not in unread and "creator" not in unread
    quote = unread["target"]["selector"][0]
    assert quote["prefix"] == "" and quote["exact"] == corpus.statements.get(number=1).text
    assert export("--format", "w3c", "--readout", "small-readout", "--all").startswith("[\n{")
    make_readout("empty-readout")
    assert json.loads(export("--format", "w3c", "--all", "--readout", "empty-readout")) == []


def test_dna_xml_is_what_dna_1_files_look_like(corpus):
    root = ET.fromstring(export("--format", "dna", "--all"))
    assert root.tag == "discourse" and root[0].tag == "version" and root[0].text == "1.21"
    assert root.findtext("offsetUnit") == "codepoints"
    (article,) = root.find("articles")
    assert article.findtext("title") == "Readout small-readout"
    assert article.findtext("date") == "02.03.2023"
    assert article.findtext("text") == corpus.text
    statements = article.find("statements")
    found = [
        {child.tag: child.text or "" for child in statement} for statement in statements
    ]  # "none" is no agreement, so annotator1's bri stance is left out
    assert [(s["person"], s["organization"], s["category"], s["agreement"]) for s in found] == [
        ("Xi Jinping", "China", "Interference", "no"),
        ("", "China", "Belt and Road Initiative", "yes"),
    ]
    first = found[0]
    second = corpus.statements.get(number=2)
    assert (int(first["start"]) - 1, int(first["end"]) - 1) == (second.start, second.end)
    assert first["source"] == "small-readout#2 annotator1"


def test_doccano_lines(corpus):
    lines = [json.loads(line) for line in export("--format", "doccano", "--all").splitlines()]
    first = lines[0]
    assert first["text"] == "Xi\u00a0pointed out that the two sides should oppose interference."
    assert first["entities"] == [
        {"id": 1, "label": "STATEMENT", "start_offset": 0, "end_offset": len(first["text"])},
        {"id": 2, "label": "SPEAKER", "start_offset": 0, "end_offset": 2},
        {"id": 3, "label": "CUE", "start_offset": 3, "end_offset": 14},
    ]
    assert first["relations"] == [
        {"id": 1, "from_id": 2, "to_id": 1, "type": "SAYS"},
        {"id": 2, "from_id": 3, "to_id": 1, "type": "INTRODUCES"},
    ]
    assert (first["readout"], first["statement"], first["annotator"], first["gold"], first["offset_unit"]) == (
        "small-readout",
        2,
        "annotator1",
        True,
        "codepoints",
    )
    assert [e["label"] for e in lines[1]["entities"]] == ["STATEMENT"]  # inferred: the text names nobody


def test_label_studio_tasks(corpus, tmp_path):
    config = tmp_path / "config.xml"
    tasks = json.loads(export("--format", "labelstudio", "--all", "--label-config", str(config)))
    assert [(t["data"]["statement"], len(t["annotations"]), len(t["predictions"])) for t in tasks] == [
        (2, 2, 0),
        (3, 0, 1),
    ]
    first = tasks[0]
    assert first["data"]["text"].startswith("Xi\u00a0pointed out")
    assert first["data"]["offset_unit"] == "codepoints"
    gold, other = first["annotations"]
    assert (gold["annotator"], gold["origin"], gold["ground_truth"], other["ground_truth"]) == (
        "annotator1",
        "human",
        True,
        False,
    )
    by_name = {(r["from_name"], r["type"]): r["value"] for r in gold["result"]}
    assert by_name[("speaker", "choices")] == {"choices": ["xi-jinping"]}
    assert by_name[("stance", "taxonomy")] == {"taxonomy": [["bri", "none"], ["interference", "against"]]}
    spans = [r["value"] for r in gold["result"] if r["type"] == "labels"]
    assert spans == [
        {"start": 0, "end": 2, "text": "Xi", "labels": ["Speaker"]},
        {"start": 3, "end": 14, "text": "pointed out", "labels": ["Cue"]},
    ]
    assert all(r["from_name"] and r["to_name"] == "text" and r["id"] for r in gold["result"])
    layout = ET.fromstring(config.read_text(encoding="utf-8"))
    assert {c.get("alias") for c in layout.find("Choices[@name='speaker']")} == {"xi-jinping", "china"}
    assert [c.get("alias") for c in layout.find("Taxonomy")] == ["bri", "interference"]
    gold_only = json.loads(export("--format", "labelstudio"))
    assert [len(t["annotations"]) for t in gold_only] == [0, 1, 0, 0]
    with pytest.raises(CommandError, match="--label-config goes with --format labelstudio"):
        export("--format", "csv", "--label-config", str(config))


def utf16(text: str, offset: int) -> int:
    """An independent count: UTF-16 code units before ``offset``."""
    return len(text[:offset].encode("utf-16-le")) // 2


def test_utf16_offsets(db, annotator):
    readout = make_readout("emoji", text=EMOJI_TEXT)
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    luka = Speaker.objects.create(slug="lukashenko", name="Lukashenko", aliases=["Lukashenko"])
    statements = list(readout.statements.all())
    first, second, third = statements
    Annotation.objects.create(statement=first, annotator=annotator, speaker=xi, attribution="explicit", cue="said")
    Annotation.objects.create(statement=second, annotator=annotator, attribution="narration")
    Annotation.objects.create(statement=third, annotator=annotator, speaker=luka, attribution="explicit", cue="noted")
    points = [(s.start, s.end) for s in statements]
    units = [(utf16(EMOJI_TEXT, a), utf16(EMOJI_TEXT, b)) for a, b in points]
    assert units == [(0, points[0][1] + 1), (points[1][0] + 1, points[1][1] + 2), (points[2][0] + 2, points[2][1] + 2)]
    plain = [json.loads(line) for line in export("--all").splitlines()]
    assert [(r["start"], r["end"]) for r in plain] == points
    assert "offset_unit" not in plain[0]
    wide = [json.loads(line) for line in export("--all", "--offsets", "utf16").splitlines()]
    assert [(r["start"], r["end"]) for r in wide] == units
    assert {r["offset_unit"] for r in wide} == {"utf16"}
    start, end = units[1]
    assert EMOJI_TEXT.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le") == second.text
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv", "--all", "--offsets", "utf16"))))
    assert [(int(r["start"]), int(r["end"]), r["offset_unit"]) for r in rows] == [(*u, "utf16") for u in units]
    w3c = json.loads(export("--format", "w3c", "--all", "--offsets", "utf16"))
    assert w3c[1]["target"]["selector"][1] == {
        "type": "TextPositionSelector",
        "start": start,
        "end": end,
        "offsetUnit": "utf16",
    }
    doccano = [json.loads(line) for line in export("--format", "doccano", "--all", "--offsets", "utf16").splitlines()]
    assert doccano[0]["entities"][0] == {
        "id": 1,
        "label": "STATEMENT",
        "start_offset": 0,
        "end_offset": utf16(first.text, len(first.text)),
    }
    assert doccano[0]["entities"][0]["end_offset"] == len(first.text) + 1
    assert (doccano[2]["start"], doccano[2]["end"]) == units[2]
    tasks = json.loads(export("--format", "labelstudio", "--all", "--offsets", "utf16"))
    assert (tasks[1]["data"]["start"], tasks[1]["data"]["offset_unit"]) == (start, "utf16")
    dna = ET.fromstring(export("--format", "dna", "--all", "--offsets", "utf16"))
    assert dna.findtext("offsetUnit") == "utf16"


def annotated_readout(slug: str, sentences: int, annotator, speaker, target):
    readout = make_readout(slug, text=" ".join(f"Xi said that point {n} holds." for n in range(sentences)))
    for statement in readout.statements.all():
        reading = Annotation.objects.create(
            statement=statement, annotator=annotator, speaker=speaker, attribution="explicit", cue="said", gold=True
        )
        Stance.objects.create(annotation=reading, target=target, stance="favor")
    return readout


@pytest.mark.parametrize("format", sorted(FORMATS))
@pytest.mark.parametrize("offsets", ["codepoints", "utf16"])
def test_queries_do_not_grow_with_the_rows(db, annotator, format, offsets):
    speaker = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    target = Target.objects.create(slug="bri", name="Belt and Road Initiative")
    annotated_readout("few", 10, annotator, speaker, target)
    annotated_readout("many", 100, annotator, speaker, target)

    def queries(*args: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            output = export("--format", format, "--offsets", offsets, *args)
        assert "point 9 holds" in output
        return len(captured)

    for scope in ([], ["--all"]):
        assert queries(*scope, "--readout", "few") == queries(*scope, "--readout", "many")


# --------------------------------------------------------------------------- the fast writers against their oracles

#: Strings that JSON or CSV must escape, quote or neutralise, with a lone surrogate, an astral
#: character, U+2028 and the formula starts.
AWKWARD = [
    'a "quoted" word',
    "back\\slash",
    "comma, then",
    "line\nbreak",
    "cr\rlf\r\n",
    "tab\there",
    "\x00\x1f\x7f",
    "\u2028\u2029",
    "\ud800 lone",
    "\U0001f600",
    "=1+1",
    "+1",
    "-1",
    "@SUM",
    "\tx",
    "\rx",
    "",
    " ",
    "plain",
    "Xi",
]


def random_records(seed: int, count: int) -> list[dict]:
    """Records of every shape the writers meet: readings one after another on a statement (the
    same text object, as the read path gives them), statements that share a text, unread ones,
    names and stances drawn from ``AWKWARD``; half of them ``records.Record``."""
    import random

    from readout_annotations.records import RECORD_FIELDS, Record

    rng = random.Random(seed)
    pick = lambda: rng.choice(AWKWARD) if rng.random() < 0.7 else rng.choice(AWKWARD) + rng.choice(AWKWARD)  # noqa: E731
    maybe = lambda: None if rng.random() < 0.2 else pick()  # noqa: E731
    made, number = [], 0
    while len(made) < count:
        number += 1
        text = pick() if rng.random() < 0.2 else f"Statement {number} says {pick()}."
        readout = rng.choice(["r-one", "r-two", '"odd", slug'])
        place = {
            "readout": readout,
            "statement": rng.choice([number, 1]),
            "paragraph": rng.randint(1, 3),
            "start": rng.randint(0, 50),
            "end": rng.randint(51, 90),
            "text": text,
        }
        for _ in range(rng.randint(1, 4)):
            unread = rng.random() < 0.15
            stances = (
                []
                if unread
                else [
                    {"target": pick(), "target_name": maybe(), "stance": rng.choice(["favor", "against", "none"])}
                    for _ in range(rng.randint(0, 3))
                ]
            )
            fields = {
                **place,
                "speaker": None if unread else maybe(),
                "speaker_name": None if unread else maybe(),
                "attribution": None if unread else rng.choice(["explicit", "narration"]),
                "mode": None if unread else rng.choice([None, "direct"]),
                "cue": None if unread else maybe(),
                "stances": stances,
                "annotator": None if unread else maybe(),
                "origin": None if unread else rng.choice(["human", "machine"]),
                "model_name": maybe(),
                "model_version": maybe(),
                "gold": rng.random() < 0.3,
            }
            assert tuple(fields) == RECORD_FIELDS
            made.append(Record(fields, len(made)) if rng.random() < 0.5 else fields)
    return made


@pytest.mark.parametrize("seed", range(4))
def test_jsonl_lines_are_json_dumps_of_each_record(db, seed):
    records = random_records(seed, 400)
    expected = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    assert "".join(FORMATS["jsonl"].chunks(records)) == expected


def test_jsonl_writes_the_fields_in_record_order_and_other_objects_as_json_dumps(db):
    from readout_annotations.records import RECORD_FIELDS

    record = random_records(0, 1)[0]
    shuffled = dict(reversed(list(record.items())))
    other = {**dict.fromkeys(RECORD_FIELDS[:-1], 1), "extra": [1.5, {"x": None}]}  # 17 keys, not a record's
    typed = {**record, "speaker": 7}  # a record's keys, a value of another type
    text = "".join(FORMATS["jsonl"].chunks([shuffled, other, typed, {"a": 1}]))
    lines = [line + "\n" for line in text.split("\n")[:-1]]  # JSON escapes a line feed inside a string
    assert lines[0] == json.dumps({name: record[name] for name in RECORD_FIELDS}, ensure_ascii=False) + "\n"
    assert lines[1:] == [json.dumps(value, ensure_ascii=False) + "\n" for value in (other, typed, {"a": 1})]


@pytest.mark.parametrize("raw", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_csv_rows_are_what_csv_writer_writes(db, seed, raw):
    """The oracle: each row's cells as COLUMNS name them, through ``csv.writer``."""
    from readout_annotations.formats.csv import COLUMNS, neutralised

    make_readout("r-one")  # a day for one of the slugs; the others have none
    day = ReadoutCache().publication_day("r-one")
    records = random_records(seed, 400)

    def cell(value):
        text = "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)
        return text if raw else neutralised(text)

    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(COLUMNS)
    row_id = 0
    for record in records:
        for stance in record["stances"] or [{"target": None, "target_name": None, "stance": None}]:
            row_id += 1
            value = stance["stance"]
            row = {
                **record,
                "id": row_id,
                "target": stance["target"],
                "target_name": stance["target_name"],
                "stance": value.upper() if value else None,
                "offset_unit": "codepoints",
                "published_on": day.isoformat() if record["readout"] == "r-one" else None,
            }
            writer.writerow([cell(row[column]) for column in COLUMNS])
    writer.writerow(["#end", "", str(row_id)])
    assert "".join(FORMATS["csv"].chunks(records, raw=raw, trailer=True)) == expected.getvalue()


def test_publication_days_cost_one_query_per_window_even_for_an_unknown_slug(db):
    make_readout("r-one")
    cache = ReadoutCache()
    with CaptureQueriesContext(connection) as queries:
        days = [cache.publication_day(slug) for slug in ("r-one", "r-one", "zz-none", "zz-none", "zz-none")]
    assert days[0] is not None and days[2:] == [None, None, None]
    assert len(queries) == 2  # one window from "r-one", one from "zz-none"
