"""Rules every export keeps (issue 17, issue 16 item 3): one publication day, in the readout's own
zone; characters XML cannot hold replaced one for one in every XML output; spreadsheet formulas
neutralised in every CSV writer (with a raw option); truncation recognisable; UTF-16 named."""

import codecs
import csv
import io
import json
import xml.etree.ElementTree as ElementTree

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from readout_annotations import adjudication
from readout_annotations.formats import FORMATS, FormatError, jsonl, labelstudio
from readout_annotations.models import Annotation, Readout, Speaker, Target
from readout_annotations.records import RecordResolver, apply_record

from .test_admin import url

BERLIN_EVENING = "Talks in Minsk\n2024-05-14 21:05\n\nXi\u00a0said that ties are good. China supports Belarus.\n"
FORMULAS = ('=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx")


def export(*args: str, format: str = "jsonl") -> str:
    out = io.StringIO()
    call_command("export_annotations", "--format", format, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8") if response.streaming else response.content.decode()


def gold_reading(readout: Readout, reviewer, *, cue: str = "said", speaker=None, target=None, stance="favor"):
    speaker = speaker or Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    target = target or Target.objects.create(slug="belarus", name="Belarus")
    record = {
        "readout": readout.slug,
        "statement": 1,
        "speaker": speaker.slug,
        "attribution": "explicit",
        "cue": cue,
        "stances": [{"target": target.slug, "stance": stance}],
    }
    reading = apply_record(RecordResolver().resolve(record), annotator=reviewer)
    return adjudication.accept(reading, reviewer)


@pytest.fixture
def berlin(tmp_path, reviewer):
    """A readout stamped 21:05 on 14 May 2024 in Berlin: 15 May in Shanghai (the default zone)."""
    path = tmp_path / "talks-in-minsk.txt"
    path.write_text(BERLIN_EVENING, encoding="utf-8")
    call_command("import_readout", str(path), "--timezone", "Europe/Berlin", stdout=io.StringIO())
    readout = Readout.objects.get(slug="talks-in-minsk")
    gold_reading(readout, reviewer)
    return readout


# --------------------------------------------------------------------------- publication day


def test_import_stores_the_zone_and_the_day(berlin):
    assert (berlin.timezone, berlin.published_on.isoformat()) == ("Europe/Berlin", "2024-05-14")


def test_every_export_dates_the_readout_by_its_own_zone(berlin):
    dna = ElementTree.fromstring(export(format="dna"))
    assert dna.find("articles/article/date").text == "14.05.2024"
    rows = list(csv.DictReader(io.StringIO(export(format="csv"))))
    assert {row["published_on"] for row in rows} == {"2024-05-14"}
    annotations = json.loads(export(format="w3c"))
    assert {a["target"]["dcterms:issued"] for a in annotations} == {"2024-05-14"}


def test_api_filters_by_the_publication_day(client, berlin, reviewer):
    client.force_login(reviewer)

    def slugs(path: str, query: dict) -> list[str]:
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        return [item.get("slug") or item.get("readout") for item in response.json()["results"]]

    assert slugs("/api/readouts/", {"published_from": "2024-05-14", "published_until": "2024-05-14"}) == [berlin.slug]
    assert slugs("/api/readouts/", {"published_from": "2024-05-15"}) == []
    assert set(slugs("/api/statements/", {"published_until": "2024-05-14"})) == {berlin.slug}
    assert slugs("/api/statements/", {"published_until": "2024-05-13"}) == []
    assert client.get("/api/readouts/").json()["results"][0]["published_on"] == "2024-05-14"
    bad = client.get("/api/readouts/", {"published_from": "14.05.2024", "published_until": "20240514"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"published_from", "published_until"}


@override_settings(TIME_ZONE="Asia/Shanghai")  # a host whose day differs from the readout's
def test_stance_map_and_admin_use_the_publication_day(client, berlin, reviewer):
    client.force_login(reviewer)
    page = client.get(url("readout_stance_map"), {"since": "2024-05-14", "until": "2024-05-14"}).content.decode()
    assert "No stances match" not in page and "Belarus" in page
    page = client.get(url("readout_stance_map"), {"since": "2024-05-15"}).content.decode()
    assert "No stances match" in page
    day = {"published_on__year": 2024, "published_on__month": 5, "published_on__day": 14}
    assert "Talks in Minsk" in client.get(url("readout_changelist"), day).content.decode()
    assert (
        "Talks in Minsk" not in client.get(url("readout_changelist"), {**day, "published_on__day": 15}).content.decode()
    )
    statements = client.get(url("statement_changelist"), {"status": "all", "readout__published_on__gte": "2024-05-14"})
    assert statements.status_code == 200 and "ties are good" in statements.content.decode()


# --------------------------------------------------------------------------- characters XML cannot hold


@pytest.fixture
def form_feed(tmp_path, reviewer):
    """A readout from a PDF: a form feed and a carriage return in its text; control characters in names."""
    text = "Talks\n2024-05-14 10:00\n\nXi\u00a0said that ties\x0care good.\rChina agrees.\n"
    path = tmp_path / "pdf-readout.txt"
    path.write_bytes(text.encode("utf-8"))
    call_command("import_readout", str(path), stdout=io.StringIO())
    readout = Readout.objects.get(slug="pdf-readout")
    speaker = Speaker.objects.create(slug="xi-jinping", name="Xi\x0bJinping", aliases=["Xi"])
    target = Target.objects.create(slug="ties", name="ties\x1fbilateral")
    gold_reading(readout, reviewer, cue="said\x0c", speaker=speaker, target=target)
    return readout


def test_every_xml_output_parses_and_keeps_the_offsets(client, form_feed, reviewer, tmp_path):
    assert "\x0c" in form_feed.text
    outputs = {"command": export(format="dna")}
    client.force_login(reviewer)
    outputs["api"] = body(client.get("/api/export/", {"format": "dna"}))
    action = {"action": "export_dna", "_selected_action": list(Annotation.objects.values_list("pk", flat=True))}
    outputs["admin"] = body(client.post(url("annotation_changelist"), action))
    for where, output in outputs.items():
        root = ElementTree.fromstring(output)  # raises on a character XML cannot hold
        text = root.find("articles/article/text").text
        assert len(text) == len(form_feed.text), where  # one for one: offsets stay valid
        assert text == form_feed.text.replace("\x0c", "\ufffd"), where  # \r survives as &#13;
        statement = root.find("articles/article/statements/statement")
        assert statement.find("person").text == "Xi\ufffdJinping", where
        assert statement.find("category").text == "ties\ufffdbilateral", where
    config = io.StringIO()
    path = tmp_path / "config.xml"
    call_command("export_annotations", "--format", "labelstudio", "--label-config", str(path), stdout=config)
    view = ElementTree.fromstring(path.read_text(encoding="utf-8"))
    assert [c.get("value") for c in view.iter("Choice") if c.get("alias") == "xi-jinping"] == ["Xi\ufffdJinping"]
    direct = labelstudio.label_config(Speaker.objects.all(), Target.objects.all())
    assert ElementTree.fromstring(direct).find("Taxonomy/Choice").get("value") == "ties\ufffdbilateral"


def test_json_keeps_control_characters(form_feed):
    record = json.loads(export().splitlines()[0])
    assert "\x0c" in record["text"] and record["cue"] == "said\x0c"


# --------------------------------------------------------------------------- spreadsheet formulas


@pytest.fixture
def hostile(small_readout, annotator, reviewer):
    speaker = Speaker.objects.create(slug="xi-jinping", name="=cmd|' /C calc'!A0", aliases=["Xi"])
    target = Target.objects.create(slug="bri", name="@SUM(1+1)")
    resolver = RecordResolver()
    for number, cue in zip((1, 2, 3), FORMULAS[:3], strict=True):
        record = {
            "readout": small_readout.slug,
            "statement": number,
            "speaker": speaker.slug,
            "attribution": "explicit",
            "cue": cue,
            "stances": [{"target": target.slug, "stance": "favor"}],
        }
        apply_record(resolver.resolve(record), annotator=annotator)
    return small_readout


def formula_cells(output: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(output)) for cell in row if cell and cell[0] in "=+-@\t\r"]


def test_every_csv_writer_neutralises_formulas_and_keeps_a_raw_option(client, hostile, reviewer):
    for cell in FORMULAS:
        assert FORMATS["csv"].neutralised(cell) == "'" + cell
    assert FORMATS["csv"].neutralised("said") == "said"
    client.force_login(reviewer)
    selected = list(Annotation.objects.values_list("pk", flat=True))
    writers = {
        "command": (export("--all", format="csv"), export("--all", "--raw-csv", format="csv")),
        "api": (
            body(client.get("/api/export/", {"format": "csv", "all": "true"})),
            body(client.get("/api/export/", {"format": "csv", "all": "true", "raw": "true"})),
        ),
        "admin": (
            body(client.post(url("annotation_changelist"), {"action": "export_csv", "_selected_action": selected})),
            body(client.post(url("annotation_changelist"), {"action": "export_csv_raw", "_selected_action": selected})),
        ),
    }
    for where, (safe, raw) in writers.items():
        assert formula_cells(safe) == [], where
        rows = list(csv.DictReader(io.StringIO(safe)))
        assert {row["speaker_name"] for row in rows} == {"'=cmd|' /C calc'!A0"}, where
        assert {row["cue"] for row in rows} == {"'" + cue for cue in FORMULAS[:3]}, where
        assert {row["target_name"] for row in rows} == {"'@SUM(1+1)"}, where
        raw_rows = list(csv.DictReader(io.StringIO(raw)))
        assert {row["cue"] for row in raw_rows} == set(FORMULAS[:3]), where
    with pytest.raises(CommandError, match="--raw-csv does not go with --format jsonl"):
        export("--raw-csv")
    assert client.get("/api/export/", {"format": "jsonl", "raw": "true"}).status_code == 400


# --------------------------------------------------------------------------- truncation


def test_truncation_is_recognisable_in_every_format(hostile, tmp_path):
    # JSON formats: an array that only a complete export closes.
    for name in ("labelstudio", "w3c"):
        whole = export("--all", format=name)
        json.loads(whole)
        with pytest.raises(json.JSONDecodeError):
            json.loads(whole[: len(whole) // 2])
    cut = export("--all", format="labelstudio")
    with pytest.raises(FormatError, match="line"):
        list(labelstudio.read(io.StringIO(cut[: cut.rindex("\n]")])))
    # JSON Lines: the trailer counts the records; reading checks it.
    whole = export("--all", "--with-trailer")
    lines = whole.splitlines()
    assert json.loads(lines[-1]) == {"trailer": {"records": 3}}
    assert len(list(jsonl.read(io.StringIO(whole)))) == 3
    with pytest.raises(FormatError, match="line 3: the trailer counts 3 records but 2 come before it"):
        list(jsonl.read(io.StringIO("\n".join(lines[:1] + lines[2:]) + "\n")))
    with pytest.raises(FormatError, match="line 5: a line after the trailer of line 4"):
        list(jsonl.read(io.StringIO(whole + lines[0] + "\n")))
    path = tmp_path / "trailer.jsonl"
    path.write_text(whole, encoding="utf-8")
    assert "0 annotations created, 0 updated, 3 unchanged" in call_import(path)
    # CSV: the last row says #end and counts the rows.
    rows = list(csv.reader(io.StringIO(export("--all", "--with-trailer", format="csv"))))
    assert rows[-1] == ["#end", "", "3"] and len(rows) == 5
    with pytest.raises(CommandError, match="--with-trailer does not go with --format dna"):
        export("--with-trailer", format="dna")


def call_import(path, *args) -> str:
    out = io.StringIO()
    call_command("import_annotations", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --------------------------------------------------------------------------- UTF-16


@pytest.mark.parametrize("bom, encoding", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_files_are_named_as_such(db, tmp_path, bom, encoding):
    records = tmp_path / "records.jsonl"
    records.write_bytes(bom + '{"readout": "x", "statement": 1}\n'.encode(encoding))
    with pytest.raises(CommandError, match=r"records\.jsonl: UTF-16 text: save it as UTF-8"):
        call_import(records)
    readout = tmp_path / "readout.txt"
    readout.write_bytes(bom + BERLIN_EVENING.encode(encoding))
    with pytest.raises(CommandError, match="UTF-16 text: save it as UTF-8"):
        call_command("import_readout", str(readout), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Readout.objects.exists()
