"""``manage.py import_annotations``: canonical JSON Lines, doccano and Label Studio back into annotations."""

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

import readout_annotations
from readout_annotations.attribution import create_proposals
from readout_annotations.models import Annotation, Readout, Speaker, Stance, Statement, Target

from .conftest import make_readout

SEED = "xi-lukashenko-talks-2023-03-01"
FIXTURE = Path(readout_annotations.__file__).resolve().parent / "fixtures" / f"{SEED}.json"


def export(*args: str, format: str = "jsonl") -> str:
    out = io.StringIO()
    call_command("export_annotations", "--format", format, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def load(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_annotations", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write_lines(path: Path, *records) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def record(number: int, **fields) -> dict:
    base = {
        "readout": "small-readout",
        "statement": number,
        "speaker": None,
        "attribution": "narration",
        "mode": None,
        "cue": "",
        "stances": [],
        "annotator": "annotator1",
        "origin": "human",
        "gold": False,
    }
    return {**base, **fields}


@pytest.fixture
def world(small_readout, annotator, other_annotator, reviewer):
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    Target.objects.create(slug="bri", name="Belt and Road Initiative")
    return small_readout


# --------------------------------------------------------------------------- canonical JSON Lines


def test_jsonl_creates_and_then_updates(world, tmp_path):
    path = write_lines(
        tmp_path / "in.jsonl",
        record(2, speaker="xi-jinping", attribution="explicit", mode="indirect", cue="pointed out"),
        record(
            3,
            annotator="annotator2",
            speaker="xi-jinping",
            attribution="continued",
            stances=[{"target": "bri", "stance": "favor"}],
        ),
        record(1, annotator=None, origin="import", gold=True),
        record(4, annotator=None, origin="machine", attribution="narration"),
    )
    output = load(path)
    assert "(jsonl): 4 annotations created, 0 updated" in output
    second = Annotation.objects.get(statement__number=2)
    assert (second.annotator.username, second.origin, second.speaker.slug, second.cue) == (
        "annotator1",
        "human",
        "xi-jinping",
        "pointed out",
    )
    assert list(Stance.objects.values_list("target__slug", "stance")) == [("bri", "favor")]
    gold = Annotation.objects.get(gold=True)
    assert (gold.statement.number, gold.origin, gold.annotator, gold.gold_statement_id) == (
        1,
        "import",
        None,
        gold.statement_id,
    )
    assert Annotation.objects.get(statement__number=4).origin == "machine"
    output = load(path)
    assert "0 annotations created, 0 updated, 4 unchanged" in output
    assert Annotation.objects.count() == 4
    assert Annotation.objects.get(statement__number=2).version == 1  # unchanged readings are left alone


def test_unknown_annotator_is_an_error_unless_created(world, tmp_path):
    path = write_lines(tmp_path / "in.jsonl", record(1), record(2, annotator="newcomer"))
    with pytest.raises(CommandError) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: 1 bad records; nothing was imported:\n"
        "  line 2: no user is called 'newcomer' (--create-users creates missing users)"
    )
    assert Annotation.objects.count() == 0
    assert "1 users created" in load(path, "--create-users")
    newcomer = get_user_model().objects.get(username="newcomer")
    assert not newcomer.has_usable_password()
    assert Annotation.objects.filter(annotator=newcomer).count() == 1


def test_every_bad_line_is_named_and_nothing_is_written(world, tmp_path):
    path = write_lines(
        tmp_path / "in.jsonl",
        record(1),
        record(9),
        record(2, annotator=None),
        record(3, origin="machine"),
        record(4, speaker="nobody", attribution="sometimes", stances=[{"target": "bri", "stance": "maybe"}]),
        record(1, annotator="annotator2", gold=True),
        record(1, annotator="reviewer", gold=True),
        record(1),
    )
    with pytest.raises(CommandError) as caught:
        load(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 6 bad records; nothing was imported:"
    assert lines[1] == "  line 2: statement: Readout 'small-readout' has no statement 9."
    assert lines[2] == "  line 3: a human reading needs its annotator"
    assert lines[3] == "  line 4: a machine proposal has no annotator"
    assert lines[4].startswith("  line 5: speaker: No speaker has the slug 'nobody'.; attribution: 'sometimes' is")
    assert "stance 1: 'maybe' is not a stance" in lines[4]
    assert lines[5:] == [
        "  line 7: a second gold reading of this statement",
        "  line 8: a second reading of this statement by 'annotator1'",
    ]
    assert Annotation.objects.count() == 0


def test_gold_already_in_the_database_is_refused(world, tmp_path, reviewer):
    statement = world.statements.get(number=1)
    Annotation.objects.create(statement=statement, annotator=reviewer, attribution="narration", gold=True)
    path = write_lines(tmp_path / "in.jsonl", record(1, gold=True))
    with pytest.raises(CommandError, match="line 1: this statement already has a gold reading"):
        load(path)
    line = record(1, annotator="reviewer", attribution="continued", speaker="xi-jinping")
    path = write_lines(tmp_path / "in.jsonl", line)
    load(path)  # the gold reading's own annotator may change it; the file says gold: false, so it loses gold
    assert (Annotation.objects.get().attribution, Annotation.objects.get().gold) == ("continued", False)


def test_malformed_json_names_its_line(world, tmp_path):
    path = write_lines(tmp_path / "in.jsonl", record(1), "{not json", record(2))
    with pytest.raises(CommandError, match=r"in\.jsonl: line 2: not valid JSON: .*; nothing was imported"):
        load(path)
    assert Annotation.objects.count() == 0
    path = write_lines(tmp_path / "list.jsonl", "[1, 2]")
    with pytest.raises(CommandError):
        load(path, "--format", "jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"readout": "caf\xe9"}\n')
    with pytest.raises(CommandError, match=r"latin1\.jsonl: not valid UTF-8"):
        load(tmp_path / "latin1.jsonl")
    with pytest.raises(CommandError, match="is a directory"):
        load(tmp_path)


def test_a_gold_export_imports_its_readings_and_skips_unread_statements(world, tmp_path, reviewer):
    Annotation.objects.create(
        statement=world.statements.get(number=2), annotator=reviewer, attribution="narration", gold=True
    )
    path = tmp_path / "gold.jsonl"
    path.write_text(export(), encoding="utf-8")
    Annotation.objects.all().delete()
    output = load(path)
    assert "1 annotations created, 0 updated, 0 unchanged, 3 statements without a reading skipped" in output
    assert Annotation.objects.get().gold


# --------------------------------------------------------------------------- round trips


def readouts_only(tmp_path: Path) -> Path:
    """The seed fixture without its annotations and stances: the readout, statements, speakers, targets."""
    objects = json.loads(FIXTURE.read_text(encoding="utf-8"))
    kept = [o for o in objects if o["model"] not in ("readout_annotations.annotation", "readout_annotations.stance")]
    path = tmp_path / "readouts.json"
    path.write_text(json.dumps(kept), encoding="utf-8")
    return path


def flush():
    """What ``flush`` does to these tables, inside the test's transaction (TRUNCATE would commit on MariaDB)."""
    Annotation.objects.all().delete()
    Statement.objects.all().delete()
    Readout.objects.all().delete()
    while Target.objects.exists():
        Target.objects.filter(children__isnull=True).delete()
    Speaker.objects.all().delete()
    get_user_model().objects.all().delete()


@pytest.fixture
def annotated_seed(db, annotator, other_annotator):
    call_command("loaddata", SEED, verbosity=0)
    readout = Readout.objects.get(slug=SEED)
    create_proposals(readout)
    taiwan = Target.objects.get(slug="taiwan")
    xi = Speaker.objects.get(slug="xi-jinping")
    for number in (2, 7, 23):
        statement = readout.statements.get(number=number)
        for user, stance in ((annotator, "favor"), (other_annotator, "against")):
            reading = Annotation.objects.create(
                statement=statement, annotator=user, speaker=xi, attribution="continued", mode="indirect"
            )
            Stance.objects.create(annotation=reading, target=taiwan, stance=stance)
    return readout


def test_round_trip_jsonl(annotated_seed, tmp_path):
    before = export("--all")
    assert len(before.splitlines()) == 34 * 2 + 6
    path = tmp_path / "all.jsonl"
    path.write_text(before, encoding="utf-8")
    fixture = readouts_only(tmp_path)
    flush()
    call_command("loaddata", str(fixture), verbosity=0)
    assert "74 annotations created" in load(path, "--create-users")
    assert export("--all") == before


@pytest.mark.parametrize("format", ["doccano", "labelstudio"])
def test_round_trip_doccano_and_label_studio(annotated_seed, tmp_path, format):
    before = sorted(export("--all").splitlines())
    path = tmp_path / f"all.{format}"
    path.write_text(export("--all", format=format), encoding="utf-8")
    fixture = readouts_only(tmp_path)
    flush()
    call_command("loaddata", str(fixture), verbosity=0)
    assert f"({format}): 74 annotations created" in load(path, "--create-users")  # detected from the content
    assert sorted(export("--all").splitlines()) == before


# --------------------------------------------------------------------------- doccano and Label Studio files


def test_doccano_takes_cue_from_its_span_and_speaker_from_a_mention(world, tmp_path):
    statement = world.statements.get(number=2)
    line = {
        "id": 7,
        "text": statement.text,
        "entities": [
            {"id": 1, "label": "SPEAKER", "start_offset": 0, "end_offset": 2},
            {"id": 2, "label": "CUE", "start_offset": 3, "end_offset": 14},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "SAYS"}],
        "Comments": [],
        "readout": "small-readout",
        "statement": 2,
        "attribution": "explicit",
        "annotator": "annotator1",
    }
    path = write_lines(tmp_path / "doccano.jsonl", line)
    assert "(doccano): 1 annotations created" in load(path)
    reading = Annotation.objects.get()
    assert (reading.speaker.slug, reading.cue, reading.origin) == ("xi-jinping", "pointed out", "human")
    line["meta"] = {"readout": "small-readout", "statement": 3}
    line["text"] = world.statements.get(number=3).text
    del line["readout"], line["statement"]
    line["entities"][0]["end_offset"] = 5  # "China": nobody
    path = write_lines(tmp_path / "doccano.jsonl", line)
    with pytest.raises(CommandError, match="line 1: speaker: no speaker is called 'China'"):
        load(path)
    path = write_lines(tmp_path / "doccano.jsonl", {"text": "x", "entities": [], "relations": []})
    with pytest.raises(CommandError, match="line 1: this doccano example has no readout and statement metadata"):
        load(path)


def test_label_studio_export_file(world, tmp_path, other_annotator):
    other_annotator.email = "annotator2@example.org"
    other_annotator.save()
    tasks = [
        {
            "id": 1,
            "data": {"text": "ignored", "readout": "small-readout", "statement": 2},
            "annotations": [
                {
                    "id": 10,
                    "completed_by": {"id": 3, "email": "annotator2@example.org"},
                    "was_cancelled": False,
                    "ground_truth": True,
                    "result": [
                        {
                            "from_name": "speaker",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["xi-jinping"]},
                        },
                        {
                            "from_name": "attribution",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["explicit"]},
                        },
                        {
                            "from_name": "stance",
                            "to_name": "text",
                            "type": "taxonomy",
                            "value": {"taxonomy": [["bri", "favor"]]},
                        },
                        {
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": 3, "end": 14, "text": "pointed out", "labels": ["Cue"]},
                        },
                    ],
                },
                {"id": 11, "completed_by": {"email": "annotator1@example.org"}, "was_cancelled": True, "result": []},
            ],
            "predictions": [],
        }
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    assert "(labelstudio): 1 annotations created" in load(path)
    reading = Annotation.objects.get()
    assert (reading.annotator.username, reading.origin, reading.gold, reading.speaker.slug, reading.cue) == (
        "annotator2",
        "human",
        True,
        "xi-jinping",
        "pointed out",
    )
    assert list(reading.stances.values_list("target__slug", "stance")) == [("bri", "favor")]
    tasks[0]["annotations"][0]["result"][2]["value"]["taxonomy"] = [["bri"]]
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: a stance is a \\[target, stance\\] pair"):
        load(path)
    path.write_text('[\n  {"data": {}},\n  oops\n]', encoding="utf-8")
    with pytest.raises(CommandError, match="line 3: not valid JSON"):
        load(path)
    path.write_text('{"data": {}}', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: Label Studio tasks must be a JSON array"):
        load(path, "--format", "labelstudio")


def test_make_readout_is_used(db):
    assert make_readout("other").statements.count() == 4
