"""The canonical statement record: its shape, reading it back field by field, and writing it."""

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from readout_annotations import records
from readout_annotations.models import Annotation, Readout, Speaker, Stance, Target
from readout_annotations.records import RECORD_FIELDS, RecordResolver, apply_record

from .conftest import make_readout


@pytest.fixture
def xi(db) -> Speaker:
    return Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")


@pytest.fixture
def targets(db) -> dict[str, Target]:
    return {
        slug: Target.objects.create(slug=slug, name=name)
        for slug, name in [("taiwan", "Taiwan"), ("bri", "Belt and Road Initiative"), ("sovereignty", "Sovereignty")]
    }


def valid(**changes) -> dict:
    record = {
        "readout": "small-readout",
        "statement": 2,
        "speaker": "xi-jinping",
        "attribution": "explicit",
        "mode": "indirect",
        "cue": "pointed out",
        "stances": [{"target": "taiwan", "stance": "favor"}, {"target": "bri", "stance": "none"}],
    }
    record.update(changes)
    return record


def errors_of(data, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        RecordResolver().resolve(data, **kwargs)
    return info.value.message_dict


# --------------------------------------------------------------------------- building


def test_record_of_a_statement_without_a_reading(small_readout):
    statement = small_readout.statements.get(number=3)
    (record,) = records.gold_records(small_readout.statements.filter(pk=statement.pk))
    assert tuple(record) == RECORD_FIELDS
    assert record == {
        "readout": "small-readout",
        "statement": 3,
        "paragraph": 2,
        "start": 124,
        "end": 168,
        "text": "China supports the Belt and Road Initiative.",
        "speaker": None,
        "speaker_name": None,
        "attribution": None,
        "mode": None,
        "cue": None,
        "stances": [],
        "annotator": None,
        "origin": None,
        "model_name": None,
        "model_version": None,
        "gold": False,
    }


def test_record_of_a_reading(small_readout, annotator, xi, targets):
    statement = small_readout.statements.get(number=2)
    annotation = Annotation.objects.create(
        statement=statement, annotator=annotator, speaker=xi, attribution="explicit", cue="pointed out", gold=True
    )
    Stance.objects.create(annotation=annotation, target=targets["taiwan"], stance="favor")
    Stance.objects.create(annotation=annotation, target=targets["bri"], stance="against")
    record = records.annotation_record(annotation)
    assert next(records.gold_records(small_readout.statements.filter(pk=statement.pk))) == record
    assert tuple(record) == RECORD_FIELDS
    assert record["text"] == "Xi\u00a0pointed out that the two sides should oppose interference."
    assert (record["start"], record["end"], record["paragraph"]) == (62, 123, 2)
    assert {k: record[k] for k in RECORD_FIELDS[6:]} == {
        "speaker": "xi-jinping",
        "speaker_name": "Xi Jinping",
        "attribution": "explicit",
        "mode": None,  # empty mode is null in the record
        "cue": "pointed out",
        "stances": [  # sorted by target slug
            {"target": "bri", "target_name": "Belt and Road Initiative", "stance": "against"},
            {"target": "taiwan", "target_name": "Taiwan", "stance": "favor"},
        ],
        "annotator": "annotator1",
        "origin": "human",
        "model_name": None,  # a person's reading names no model
        "model_version": None,
        "gold": True,
    }


def test_record_of_a_machine_proposal_without_speaker(small_readout):
    proposal = Annotation.objects.create(
        statement=small_readout.statements.get(number=1),
        origin="machine",
        machine_name="rules",
        attribution="narration",
    )
    record = records.annotation_record(proposal)
    assert (record["speaker"], record["speaker_name"], record["annotator"], record["origin"]) == (
        None,
        None,
        None,
        "machine",
    )
    assert (record["cue"], record["gold"], record["stances"]) == ("", False, [])
    assert (record["model_name"], record["model_version"]) == ("rules", None)  # empty version: null


def test_gold_records_one_per_statement_and_all_records_one_per_annotation(small_readout, annotator, reviewer, xi):
    second = small_readout.statements.get(number=2)
    Annotation.objects.create(statement=second, annotator=annotator, speaker=xi, attribution="explicit")
    Annotation.objects.create(statement=second, annotator=reviewer, speaker=xi, attribution="continued", gold=True)
    make_readout("another-readout")

    gold = list(records.gold_records())
    assert [(r["readout"], r["statement"]) for r in gold] == [("another-readout", n) for n in (1, 2, 3, 4)] + [
        ("small-readout", n) for n in (1, 2, 3, 4)
    ]
    assert [r["attribution"] for r in gold[4:]] == [None, "continued", None, None]
    assert [r["annotator"] for r in gold[4:]] == [None, "reviewer", None, None]

    every = list(records.all_records())
    assert [(r["statement"], r["annotator"], r["gold"]) for r in every] == [
        (2, "annotator1", False),
        (2, "reviewer", True),
    ]
    narrowed = list(records.gold_records(small_readout.statements.filter(number__lte=2)))
    assert [r["statement"] for r in narrowed] == [1, 2]


# --------------------------------------------------------------------------- reading back


def test_a_valid_record_resolves(small_readout, xi, targets):
    resolved = RecordResolver().resolve(valid())
    assert resolved.statement == small_readout.statements.get(number=2)
    assert resolved.speaker == xi
    assert (resolved.attribution, resolved.mode, resolved.cue) == ("explicit", "indirect", "pointed out")
    assert resolved.stances == [(targets["taiwan"], "favor"), (targets["bri"], "none")]


def test_nulls_and_empties_resolve(small_readout):
    resolved = RecordResolver().resolve(valid(speaker=None, mode=None, cue=None, stances=None, attribution="narration"))
    assert (resolved.speaker, resolved.mode, resolved.cue, resolved.stances) == (None, "", "", [])


@pytest.mark.parametrize(
    "changes, field, fragment",
    [
        ({"readout": "no-such-readout"}, "readout", "No readout has the slug 'no-such-readout'"),
        ({"readout": None}, "readout", "Give the readout's slug"),
        ({"readout": 7}, "readout", "Give the readout's slug"),
        ({"statement": 99}, "statement", "has no statement 99"),
        ({"statement": "2"}, "statement", "a whole number"),
        ({"statement": True}, "statement", "a whole number"),
        ({"statement": 2.0}, "statement", "a whole number"),
        ({"speaker": "mao"}, "speaker", "No speaker has the slug 'mao'"),
        ({"speaker": ["xi-jinping"]}, "speaker", "a string"),
        ({"attribution": "hearsay"}, "attribution", "'hearsay' is not an attribution"),
        ({"attribution": None}, "attribution", "is not an attribution"),
        ({"attribution": ["explicit"]}, "attribution", "is not an attribution"),
        ({"mode": "sung"}, "mode", "'sung' is not a mode"),
        ({"mode": 3}, "mode", "is not a mode"),
        ({"cue": 3}, "cue", "must be a string"),
        ({"cue": "x" * 201}, "cue", "longer than 200"),
        ({"stances": "taiwan"}, "stances", "must be a list"),
        ({"stances": {"target": "taiwan", "stance": "favor"}}, "stances", "must be a list"),
        ({"stances": [{"target": "tibet", "stance": "favor"}]}, "stances", "no target has the slug 'tibet'"),
        ({"stances": [{"stance": "favor"}]}, "stances", "no target has the slug None"),
        ({"stances": [{"target": ["taiwan"], "stance": "favor"}]}, "stances", "no target has the slug"),
        ({"stances": [{"target": {"slug": "taiwan"}, "stance": "favor"}]}, "stances", "no target has the slug"),
        (
            {"stances": [{"target": "taiwan", "stance": "favor"}, {"target": "taiwan", "stance": "against"}]},
            "stances",
            "stance 2: target 'taiwan' appears twice",
        ),
        ({"stances": [{"target": "taiwan", "stance": "maybe"}]}, "stances", "'maybe' is not a stance"),
        ({"stances": [{"target": "taiwan", "stance": ["favor"]}]}, "stances", "is not a stance"),
        ({"stances": [{"target": "taiwan"}]}, "stances", "None is not a stance"),
        ({"stances": ["taiwan"]}, "stances", "stance 1: must be an object"),
    ],
)
def test_each_bad_field_is_named(small_readout, xi, targets, changes, field, fragment):
    errors = errors_of(valid(**changes))
    assert set(errors) == {field}
    assert any(fragment in message for message in errors[field]), errors


def test_every_bad_field_is_reported_at_once(small_readout, targets):
    errors = errors_of(
        valid(statement=99, speaker="mao", attribution="x", mode="y", cue=5, stances=[{"target": "tibet"}])
    )
    assert set(errors) == {"statement", "speaker", "attribution", "mode", "cue", "stances"}
    assert len(errors["stances"]) == 2  # unknown target and missing stance


def test_a_record_must_be_an_object(db):
    assert errors_of([valid()]) == {"non_field_errors": ["A record must be a JSON object."]}


def test_a_partial_record_takes_the_rest_from_the_instance(small_readout, annotator, xi, targets):
    statement = small_readout.statements.get(number=2)
    annotation = Annotation.objects.create(statement=statement, annotator=annotator, speaker=xi, attribution="explicit")
    Stance.objects.create(annotation=annotation, target=targets["taiwan"], stance="favor")
    resolved = RecordResolver().resolve({"mode": "direct"}, instance=annotation)
    assert (resolved.statement, resolved.speaker, resolved.attribution, resolved.mode) == (
        statement,
        xi,
        "explicit",
        "direct",
    )
    assert resolved.stances == [(targets["taiwan"], "favor")]
    assert set(errors_of({"attribution": "x"}, instance=annotation)) == {"attribution"}


def test_the_resolver_caches_lookups(small_readout, xi, targets):
    resolver = RecordResolver()
    resolver.resolve(valid())
    with CaptureQueriesContext(connection) as queries:
        for number in (1, 2, 3, 4):
            resolver.resolve(valid(statement=number))
    assert len(queries) == 0


# --------------------------------------------------------------------------- writing


def test_a_record_round_trips_through_apply_record(small_readout, annotator, xi, targets):
    annotation = apply_record(RecordResolver().resolve(valid()), annotator=annotator)
    annotation = Annotation.objects.for_records().get(pk=annotation.pk)
    record = records.annotation_record(annotation)
    written = {name: record[name] for name in ("readout", "statement", "speaker", "attribution", "mode", "cue")}
    assert written == {name: value for name, value in valid().items() if name != "stances"}
    assert [(s["target"], s["stance"]) for s in record["stances"]] == [("bri", "none"), ("taiwan", "favor")]
    assert (record["annotator"], record["origin"], record["gold"]) == ("annotator1", "human", False)


def test_apply_record_replaces_the_stances(small_readout, annotator, xi, targets):
    annotation = apply_record(RecordResolver().resolve(valid()), annotator=annotator)
    version = annotation.version
    changed = valid(stances=[{"target": "sovereignty", "stance": "against"}], attribution="continued")
    apply_record(RecordResolver().resolve(changed), annotation=annotation)
    annotation.refresh_from_db()
    assert annotation.attribution == "continued"
    assert annotation.version == version + 1
    assert list(annotation.stances.values_list("target__slug", "stance")) == [("sovereignty", "against")]
    assert Stance.objects.count() == 1


def test_apply_record_is_atomic(small_readout, annotator, xi, targets):
    """A failure while writing the new stances leaves the old reading whole."""
    annotation = apply_record(RecordResolver().resolve(valid()), annotator=annotator)
    resolved = RecordResolver().resolve(valid(speaker=None, attribution="narration", stances=[]))
    # Not something resolve() lets through: the same target twice breaks the unique constraint.
    resolved.stances = [(targets["taiwan"], "favor"), (targets["taiwan"], "against")]
    with pytest.raises(IntegrityError):
        apply_record(resolved, annotation=Annotation.objects.get(pk=annotation.pk))
    annotation.refresh_from_db()
    assert (annotation.speaker, annotation.attribution, annotation.version) == (xi, "explicit", 1)
    assert sorted(annotation.stances.values_list("target__slug", "stance")) == [("bri", "none"), ("taiwan", "favor")]


def test_apply_record_validates_before_writing(small_readout, annotator, xi, targets):
    resolved = RecordResolver().resolve(valid())
    with pytest.raises(ValidationError) as info:
        apply_record(resolved)  # a human reading without its annotator
    assert set(info.value.message_dict) == {"annotator"}
    apply_record(resolved, annotator=annotator)
    with pytest.raises(ValidationError):
        apply_record(resolved, annotator=annotator)  # one reading per annotator and statement
    assert Annotation.objects.count() == 1
    assert Stance.objects.count() == 2


def test_apply_record_writes_machine_proposals(small_readout, xi, targets):
    resolved = RecordResolver().resolve(valid())
    for version in ("1", "2"):
        apply_record(resolved, origin="machine", machine_name="rules", machine_version=version)
    assert list(Annotation.objects.values_list("origin", "annotator", "machine_version")) == [
        ("machine", None, "1"),
        ("machine", None, "2"),
    ]


# --------------------------------------------------------------------------- query counts


def readout_with_readings(size: int, users: list) -> Readout:
    """A readout of ``size`` statements, each with a gold reading and a machine proposal, each with two stances."""
    readout = make_readout(f"readout-{size}", text=" ".join(f"Sentence number {i} is here." for i in range(size)))
    speaker = Speaker.objects.create(slug=f"speaker-{size}", name="Speaker")
    first, second = Target.objects.create(slug=f"a-{size}", name="A"), Target.objects.create(slug=f"b-{size}", name="B")
    statements = list(readout.statements.all())
    assert len(statements) == size
    annotations = Annotation.objects.bulk_create(
        [
            Annotation(
                statement=statement,
                annotator=users[statement.number % len(users)],
                speaker=speaker,
                attribution="explicit",
                gold=True,
                gold_statement=statement,
            )
            for statement in statements
        ]
        + [Annotation(statement=statement, origin="machine", attribution="narration") for statement in statements]
    )
    Stance.objects.bulk_create(
        Stance(annotation=annotation, target=target, stance="favor")
        for annotation in Annotation.objects.filter(pk__in=[a.pk for a in annotations])
        for target in (first, second)
    )
    return readout


def measured(rows: Iterator[dict]) -> tuple[list[dict], int]:
    """Consume a (lazy) record stream; return the records and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        result = list(rows)
    return result, len(queries)


def test_record_queries_do_not_grow_with_the_statements(db):
    users = [get_user_model().objects.create_user(f"user{i}") for i in range(3)]
    counts = {}
    for size in (10, 100):
        readout = readout_with_readings(size, users)
        gold, gold_queries = measured(records.gold_records(readout.statements.all()))
        every, all_queries = measured(records.all_records(Annotation.objects.filter(statement__readout=readout)))
        assert len(gold) == size
        assert all(r["gold"] and r["speaker"] and r["annotator"] and len(r["stances"]) == 2 for r in gold)
        assert len(every) == 2 * size
        assert all(len(r["stances"]) == 2 for r in every)
        counts[size] = (gold_queries, all_queries)
    assert counts[10] == counts[100]
    # statements + the stances of their gold; the read statements + annotations + their stances
    # + the names they use (speakers, annotators, targets: each fetched once)
    assert counts[10] == (2, 6)


def test_an_export_file_is_named_by_what_it_holds():
    assert records.export_filename("selected", "csv") == "readout-annotations-selected.csv"
    assert records.export_filename("gold", "doccano.jsonl") == "readout-annotations-gold.doccano.jsonl"
    with pytest.raises(ValueError, match="unknown export scope 'mine': one of gold, all, selected"):
        records.export_filename("mine", "csv")
