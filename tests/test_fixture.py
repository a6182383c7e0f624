"""The seed readout's fixture: built from fixtures/<slug>.toml, loaded by name, obeying docs/guidelines.md.

The tests read the seed file itself, so a statement whose offsets drift from the text
fails here even though ``loaddata`` (a raw save) skips the models' own checks.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

import readout_annotations
from readout_annotations import records
from readout_annotations import text as text_module
from readout_annotations.models import (
    Annotation,
    Attribution,
    Mode,
    Origin,
    Readout,
    Speaker,
    SpeakerKind,
    Stance,
    StanceValue,
    Statement,
    Target,
    TargetKind,
)
from tests.conftest import make_readout

REPO = Path(__file__).resolve().parent.parent
SLUG = "xi-lukashenko-talks-2023-03-01"
SOURCES = REPO / "fixtures"
BUILD = SOURCES / "build.py"
SOURCE = SOURCES / f"{SLUG}.toml"
SEED = SOURCES / "seeds" / f"{SLUG}.txt"
# The fixture as shipped: in the imported package (the checkout, or the installed wheel).
FIXTURE_JSON = Path(readout_annotations.__file__).resolve().parent / "fixtures" / f"{SLUG}.json"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
MODELS = (Readout, Speaker, Target, Statement, Annotation, Stance)
FIRST_PERSON = re.compile(r"\b(?:I|me|my|we|We|us|our|Our)\b")


def _import_build():
    spec = importlib.util.spec_from_file_location("fixtures_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _import_build()


@pytest.fixture(scope="module")
def seed_body() -> str:
    return text_module.parse_readout(text_module.decode_readout(SEED.read_bytes())).body


@pytest.fixture(scope="module")
def fixture_objects() -> list[dict]:
    return json.loads(FIXTURE_JSON.read_text(encoding="utf-8"))


def load() -> None:
    call_command("loaddata", SLUG, verbosity=0)


@pytest.fixture
def loaded(db) -> Readout:
    load()
    return Readout.objects.get(slug=SLUG)


def gold(readout: Readout) -> list[dict]:
    return list(records.gold_records(readout.statements.all()))


def snapshot() -> dict:
    """Everything the app's tables hold, by natural key (no database ids)."""
    return {
        "readouts": sorted(
            Readout.objects.values_list("slug", "title", "published_at", "event_date", "text", "checksum", "url")
        ),
        "speakers": sorted(
            (
                s.slug,
                s.name,
                s.kind,
                s.title,
                s.affiliation,
                tuple(s.aliases),
                s.wikidata_id,
                tuple(sorted(s.members.values_list("slug", flat=True))),
            )
            for s in Speaker.objects.all()
        ),
        "targets": sorted(
            (t.slug, t.name, t.kind, t.parent.slug if t.parent else None, t.description, tuple(t.aliases))
            for t in Target.objects.select_related("parent")
        ),
        "records": list(records.gold_records()),
        "annotations": sorted(
            Annotation.objects.values_list("uuid", "origin", "gold", "version", "note", "created_at", "updated_at")
        ),
        "counts": {model.__name__: model.objects.count() for model in MODELS},
    }


# --------------------------------------------------------------------------- the JSON and its build


def test_fixture_has_natural_keys_only(fixture_objects):
    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert "pk" not in set(keys(fixture_objects))
    assert all(set(obj) == {"model", "fields"} for obj in fixture_objects)
    assert '"pk"' not in FIXTURE_JSON.read_text(encoding="utf-8")


def test_fixture_keeps_the_body_verbatim_with_visible_nbsp(fixture_objects, seed_body):
    raw = FIXTURE_JSON.read_text(encoding="utf-8")
    assert raw.isascii()
    assert "Xi\\u00a0held talks" in raw
    (readout,) = [obj["fields"] for obj in fixture_objects if obj["model"] == "readout_annotations.readout"]
    assert readout["text"] == seed_body
    assert readout["text"].count("\u00a0") == 8
    assert readout["checksum"] == text_module.checksum(seed_body)


def test_build_check_passes():
    result = subprocess.run([sys.executable, str(BUILD), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_build_check_fails_when_the_json_drifts(tmp_path, fixture_objects):
    command = [sys.executable, str(BUILD), "--check", "--output-dir", str(tmp_path)]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 1  # missing
    edited = json.loads(json.dumps(fixture_objects))
    edited[-1]["fields"]["stance"] = "against"
    (tmp_path / f"{SLUG}.json").write_text(build.render(edited), encoding="utf-8")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "out of date" in result.stderr
    (tmp_path / f"{SLUG}.json").write_text(build.render(fixture_objects), encoding="utf-8")
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0


def test_build_refuses_a_source_out_of_step_with_the_seed(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / SEED.name).write_bytes(SEED.read_bytes())
    source = SOURCE.read_text(encoding="utf-8")
    bad = source.replace('starts = "pointed out that China\'s position"', 'starts = "Xi pointed out that"')
    bad = bad.replace('stances = { china = "favor" }', 'stances = { china = "support" }')
    assert bad.count("starts") == source.count("starts")
    (tmp_path / SOURCE.name).write_text(bad, encoding="utf-8")
    with pytest.raises(build.SourceError) as caught:
        build.build_objects(tmp_path / SOURCE.name)
    problems = caught.value.problems
    assert any(p.startswith("statement 23: starts") for p in problems)
    assert any(p.startswith("statement 19: stance 'support'") for p in problems)


def test_build_choices_match_the_models():
    assert tuple(SpeakerKind.values) == build.SPEAKER_KINDS
    assert tuple(TargetKind.values) == build.TARGET_KINDS
    assert tuple(Attribution.values) == build.ATTRIBUTIONS
    assert tuple(Mode.values) == build.MODES
    assert tuple(StanceValue.values) == build.STANCES


# --------------------------------------------------------------------------- loading


def test_loaddata_finds_the_fixture_by_name_in_the_package(db):
    out = StringIO()
    call_command("loaddata", SLUG, verbosity=2, stdout=out)
    assert str(FIXTURE_JSON.parent) in out.getvalue()
    assert "Installed 171 object(s) from 1 fixture(s)" in out.getvalue()


def test_readout_metadata(loaded, seed_body):
    readout = loaded
    assert readout.title == "Xi held talks with Belarusian President Lukashenko"
    assert readout.published_at == datetime.datetime(2023, 3, 2, 9, 42, tzinfo=BEIJING)
    assert readout.event_date == datetime.date(2023, 3, 1)
    assert readout.publisher == "Ministry of Foreign Affairs of the People's Republic of China"
    assert readout.language == "en"
    assert readout.text == seed_body
    assert readout.checksum == text_module.checksum(seed_body)
    readout.full_clean()


def test_statements_are_the_seed_sentences_at_their_offsets(loaded, seed_body):
    statements = list(loaded.statements.order_by("number"))
    expected = text_module.segment(seed_body)
    assert [(s.number, s.paragraph, s.start, s.end) for s in statements] == [
        (seg.number, seg.paragraph, seg.start, seg.end) for seg in expected
    ]
    assert len(statements) == 34
    assert statements[-1].paragraph == 11
    for statement in statements:
        assert statement.text == seed_body[statement.start : statement.end]
        statement.full_clean()


def test_statements_cover_the_body(loaded, seed_body):
    covered = [False] * len(seed_body)
    previous_end = 0
    for statement in loaded.statements.order_by("number"):
        assert statement.start >= previous_end
        covered[statement.start : statement.end] = [True] * (statement.end - statement.start)
        previous_end = statement.end
    outside = "".join(char for char, inside in zip(seed_body, covered, strict=True) if not inside)
    assert outside.strip() == ""
    assert outside  # the paragraph breaks and the spaces before statement 23


def test_one_valid_gold_annotation_per_statement(loaded):
    statements = list(loaded.statements.prefetch_related("annotations__stances"))
    for statement in statements:
        (annotation,) = statement.annotations.all()
        assert annotation.gold
        assert annotation.gold_statement_id == statement.pk
        assert annotation.origin == Origin.IMPORT
        assert annotation.annotator_id is None
        assert annotation.version == 1
        annotation.full_clean()
        for stance in annotation.stances.all():
            stance.full_clean()
    assert Annotation.objects.count() == len(statements)


def test_speakers_and_targets_are_valid(loaded):
    for speaker in Speaker.objects.all():
        speaker.full_clean()
    for target in Target.objects.all():
        target.full_clean()
    group = Speaker.objects.get(slug="two-heads-of-state")
    assert group.kind == SpeakerKind.GROUP
    assert set(group.members.values_list("slug", flat=True)) == {"xi-jinping", "alexander-lukashenko"}
    xi = Speaker.objects.get(slug="xi-jinping")
    assert {"Xi", "President Xi", "Xi Jinping", "Chinese President Xi"} <= set(xi.aliases)
    assert set(Speaker.objects.values_list("slug", flat=True)) == {
        "xi-jinping",
        "alexander-lukashenko",
        "two-heads-of-state",
        "wang-yi",
        "he-lifeng",
    }
    for child, parent in [
        ("taiwan", "china-core-interests"),
        ("xinjiang", "china-core-interests"),
        ("hong-kong", "china-core-interests"),
        ("global-development-initiative", "chinese-global-initiatives"),
        ("global-security-initiative", "chinese-global-initiatives"),
        ("belt-and-road-initiative", "chinese-global-initiatives"),
        ("china-ukraine-position-paper", "ukraine-political-settlement"),
    ]:
        assert Target.objects.get(slug=child).parent.slug == parent


def test_every_leaf_target_is_used(loaded):
    leaves = Target.objects.filter(children__isnull=True)
    unused = leaves.filter(stances__isnull=True).values_list("slug", flat=True)
    assert list(unused) == []


def test_annotation_counts(loaded):
    annotations = Annotation.objects.filter(statement__readout=loaded)
    assert Counter(annotations.values_list("attribution", flat=True)) == {
        "explicit": 5,
        "continued": 19,
        "inferred": 1,
        "narration": 9,
    }
    assert Counter(annotations.values_list("mode", flat=True)) == {"indirect": 20, "direct": 3, "mixed": 2, "": 9}
    stances = Stance.objects.filter(annotation__statement__readout=loaded)
    assert Counter(stances.values_list("stance", flat=True)) == {"favor": 53, "against": 3}


# --------------------------------------------------------------------------- the guideline, mechanically


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker) -> dict:
    """The gold records and speaker aliases after one load, read in a transaction rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        load()
        state = {
            "records": gold(Readout.objects.get(slug=SLUG)),
            "aliases": {s.slug: s.aliases for s in Speaker.objects.all()},
        }
        transaction.set_rollback(True)
    return state


@pytest.fixture(scope="module")
def readings(loaded_once) -> list[dict]:
    return loaded_once["records"]


def test_values_are_in_their_sets(readings):
    for record in readings:
        assert record["attribution"] in Attribution.values
        assert record["mode"] in [*Mode.values, None]
        assert all(entry["stance"] in StanceValue.values for entry in record["stances"])


def test_narration_has_no_speaker_mode_cue_or_stance(readings):
    narration = [r["statement"] for r in readings if r["attribution"] == Attribution.NARRATION]
    assert narration == [1, 22, 28, 29, 30, 31, 32, 33, 34]
    for record in readings:
        if record["attribution"] == Attribution.NARRATION:
            assert (record["speaker"], record["mode"], record["cue"], record["stances"]) == (None, None, "", [])
        else:
            assert record["speaker"] is not None
            assert record["mode"] is not None


def test_explicit_names_the_speaker_before_the_cue(readings, loaded_once):
    aliases = loaded_once["aliases"]
    for record in readings:
        if record["attribution"] != Attribution.EXPLICIT:
            continue
        cue_at = record["text"].find(record["cue"])
        assert record["cue"] and cue_at > 0, record["statement"]
        assert any(0 <= record["text"].find(alias) < cue_at for alias in aliases[record["speaker"]])


def test_continued_follows_the_same_speaker_in_the_same_paragraph(readings):
    for index, record in enumerate(readings):
        if record["attribution"] != Attribution.CONTINUED:
            continue
        assert record["cue"] == "", record["statement"]
        earlier = [r for r in readings[:index] if r["paragraph"] == record["paragraph"] and r["speaker"]]
        assert earlier, f"statement {record['statement']} continues nobody"
        assert earlier[-1]["speaker"] == record["speaker"], record["statement"]


def test_the_unnamed_speaker_is_inferred_as_xi(readings):
    inferred = [r for r in readings if r["attribution"] == Attribution.INFERRED]
    assert [(r["statement"], r["speaker"], r["cue"]) for r in inferred] == [(23, "xi-jinping", "pointed out")]
    assert inferred[0]["text"].startswith("pointed out")
    # Its reported speech continues Xi until Lukashenko is named again.
    by_number = {r["statement"]: r for r in readings}
    assert [(by_number[n]["speaker"], by_number[n]["attribution"]) for n in (24, 25, 26, 27)] == [
        ("xi-jinping", "continued"),
        ("xi-jinping", "continued"),
        ("xi-jinping", "continued"),
        ("alexander-lukashenko", "explicit"),
    ]


def test_mode_follows_frame_and_first_person(readings):
    by_number = {r["statement"]: r for r in readings}
    assert (by_number[14]["speaker"], by_number[14]["mode"]) == ("alexander-lukashenko", "mixed")
    assert [by_number[n]["mode"] for n in (15, 21)] == ["direct", "direct"]
    for record in readings:
        if record["attribution"] == Attribution.NARRATION:
            continue
        first_person = bool(FIRST_PERSON.search(record["text"]))
        if record["cue"]:
            expected = Mode.MIXED if first_person else Mode.INDIRECT
        else:
            expected = Mode.DIRECT if first_person else Mode.INDIRECT
        assert record["mode"] == expected, record["statement"]


def test_opposing_is_against_and_appreciating_support_is_favor(readings):
    by_number = {r["statement"]: {e["target"]: e["stance"] for e in r["stances"]} for r in readings}
    assert by_number[8]["external-interference"] == "against"  # "oppose external forces interfering"
    assert by_number[25]["cold-war-mentality"] == "against"  # "abandon all Cold War mentality"
    assert by_number[26]["politicizing-world-economy"] == "against"  # "should stop politicizing"
    against = {(n, t) for n, stances in by_number.items() for t, v in stances.items() if v == "against"}
    assert against == {(8, "external-interference"), (25, "cold-war-mentality"), (26, "politicizing-world-economy")}
    # "China highly appreciates Belarus's firm support for China's ... position on ... Taiwan ...".
    assert by_number[7] == {"taiwan": "favor", "xinjiang": "favor", "hong-kong": "favor", "human-rights": "favor"}
    for record in readings:
        if "appreciates" in record["text"]:
            assert record["stances"] and {e["stance"] for e in record["stances"]} == {"favor"}


def test_group_speaker_narrates_acts_only(readings, loaded_once):
    assert "two-heads-of-state" in loaded_once["aliases"]
    assert all(record["speaker"] != "two-heads-of-state" for record in readings)
    for record in readings:
        if "two heads of state" in record["text"]:
            assert record["attribution"] == Attribution.NARRATION, record["statement"]


# --------------------------------------------------------------------------- loading again, beside, back


def test_loading_twice_changes_nothing(loaded):
    def ids():
        return [sorted(model.objects.values_list("pk", flat=True)) for model in MODELS]

    before, before_ids = snapshot(), ids()
    load()
    assert snapshot() == before
    assert ids() == before_ids


def test_loading_beside_other_data_merges_by_natural_key(db):
    other = make_readout("other-readout")
    other_speaker = Speaker.objects.create(slug="other-speaker", name="Other Speaker")
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi")  # to be updated, not duplicated
    other_target = Target.objects.create(slug="other-target", name="Other target")
    first, second = other.statements.order_by("number")[:2]
    resolver = records.RecordResolver()
    for statement, speaker, target in ((first, other_speaker, other_target), (second, xi, other_target)):
        record = {
            "readout": other.slug,
            "statement": statement.number,
            "speaker": speaker.slug,
            "attribution": "explicit",
            "mode": "indirect",
            "cue": "said",
            "stances": [{"target": target.slug, "stance": "favor"}],
        }
        records.apply_record(resolver.resolve(record), origin=Origin.IMPORT, gold=True)
    other_before = gold(other)

    load()

    renamed = [dict(r, speaker_name="Xi Jinping") if r["speaker"] == "xi-jinping" else r for r in other_before]
    assert gold(other) == renamed
    assert Speaker.objects.filter(slug="xi-jinping").get().pk == xi.pk
    assert Speaker.objects.count() == 6
    assert Target.objects.filter(slug="other-target").exists()
    assert Readout.objects.count() == 2
    assert Statement.objects.filter(readout__slug=SLUG).count() == 34
    assert Annotation.objects.count() == 34 + 2
    readout = Readout.objects.get(slug=SLUG)
    assert all(r["gold"] for r in gold(readout))
    assert gold(readout)[1]["speaker"] == "xi-jinping"


@pytest.mark.django_db(transaction=True)
def test_dumpdata_round_trips_through_an_empty_database(tmp_path):
    load()
    before = snapshot()
    dump = tmp_path / "dump.json"
    call_command(
        "dumpdata",
        "readout_annotations",
        natural_primary=True,
        natural_foreign=True,
        indent=2,
        output=str(dump),
        verbosity=0,
    )
    assert '"pk"' not in dump.read_text(encoding="utf-8")
    call_command("flush", interactive=False, verbosity=0)
    assert all(model.objects.count() == 0 for model in MODELS)
    call_command("loaddata", str(dump), verbosity=0)
    assert snapshot() == before
