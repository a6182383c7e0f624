"""Round trips that lose nothing (issue 17) and imports that overwrite nothing (issue 16, item 5).

Label Studio's own export shapes (JSON with ``completed_by`` ids or objects and ``predictions``
as ids, JSON_MIN), other models' proposals through jsonl, doccano and Label Studio, the
publication day in the readout's zone, characters XML cannot hold, truncation, UTF-16 files.
"""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from readout_annotations import adjudication, jobs
from readout_annotations.attribution import MACHINE_NAME, create_proposals
from readout_annotations.formats import labelstudio
from readout_annotations.models import Annotation, Job, Origin, Readout, Speaker, Target
from readout_annotations.records import RecordResolver, apply_record

SEED = "xi-lukashenko-talks-2023-03-01"
GOLDS = 34


def export(*args: str, format: str = "jsonl") -> str:
    out = io.StringIO()
    call_command("export_annotations", "--format", format, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def load(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_annotations", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def state() -> list[tuple]:
    """Every annotation as the database holds it, origin, model, gold and adjudication included."""
    rows = []
    for a in Annotation.objects.select_related("statement", "speaker", "annotator").order_by("statement__number", "pk"):
        rows.append(
            (
                a.statement.number,
                a.annotator.username if a.annotator else None,
                a.origin,
                a.machine_name,
                a.machine_version,
                a.speaker.slug if a.speaker else None,
                a.attribution,
                a.mode,
                a.cue,
                a.gold,
                a.adjudicated_by_id,
                a.version,
                tuple(sorted(a.stances.values_list("target__slug", "stance"))),
            )
        )
    return rows


@pytest.fixture
def seed(db, annotator, reviewer):
    """The seed readout with its 34 imported gold readings, the built-in proposals, another model's
    proposals on two statements and a reading by annotator1."""
    call_command("loaddata", SEED, verbosity=0)
    readout = Readout.objects.get(slug=SEED)
    create_proposals(readout)
    resolver = RecordResolver()
    for number in (2, 5):
        built_in = Annotation.objects.get(statement__number=number, origin=Origin.MACHINE)
        record = {"readout": SEED, "statement": number, "attribution": "inferred", "speaker": None, "stances": []}
        apply_record(
            resolver.resolve({**record, "speaker": built_in.speaker.slug if built_in.speaker else None}),
            origin=Origin.MACHINE,
            machine_name="stance-bert",
            machine_version="2.1",
        )
    target = Target.objects.order_by("slug").first()
    apply_record(
        resolver.resolve(
            {
                "readout": SEED,
                "statement": 3,
                "attribution": "continued",
                "speaker": Speaker.objects.order_by("slug").first().slug,
                "stances": [{"target": target.slug, "stance": "favor"}],
            }
        ),
        annotator=annotator,
    )
    return readout


# --------------------------------------------------------------------------- other models' proposals


@pytest.mark.parametrize("format", ["jsonl", "doccano", "labelstudio"])
def test_export_then_import_into_the_same_and_a_fresh_database_changes_nothing(seed, tmp_path, format):
    before, records_before, gold_before = state(), export("--all"), export()
    assert {r[3] for r in before if r[2] == Origin.MACHINE} == {MACHINE_NAME, "stance-bert"}
    path = tmp_path / f"all.{format}"
    path.write_text(export("--all", format=format), encoding="utf-8")

    output = load(path)
    assert "0 annotations created, 0 updated" in output
    assert state() == before  # not even a version moved
    assert export("--all") == records_before

    Annotation.objects.all().delete()
    load(path)
    # The same records; within a statement, readings come in the order they were created.
    assert sorted(export("--all").splitlines()) == sorted(records_before.splitlines())
    assert export() == gold_before
    assert Annotation.objects.filter(gold=True).count() == GOLDS
    other = Annotation.objects.filter(machine_name="stance-bert", machine_version="2.1")
    assert sorted(other.values_list("statement__number", flat=True)) == [2, 5]


def test_every_format_carries_the_model_name_and_version(seed):
    records = [json.loads(line) for line in export("--all").splitlines()]
    other = [r for r in records if r["model_name"] == "stance-bert"]
    assert [(r["statement"], r["model_version"], r["origin"]) for r in other] == [
        (2, "2.1", "machine"),
        (5, "2.1", "machine"),
    ]
    assert all(r["model_name"] is None and r["model_version"] is None for r in records if r["origin"] != "machine")
    doccano = [json.loads(line) for line in export("--all", format="doccano").splitlines()]
    assert {(d["model_name"], d["model_version"]) for d in doccano if d["origin"] == "machine"} == {
        ("stance-bert", "2.1"),
        (MACHINE_NAME, Annotation.objects.filter(machine_name=MACHINE_NAME).first().machine_version),
    }
    tasks = json.loads(export("--all", format="labelstudio"))
    versions = {p["model_version"] for t in tasks for p in t["predictions"]}
    assert "stance-bert@2.1" in versions
    w3c = json.loads(export("--all", format="w3c"))
    creators = [a["creator"] for a in w3c if a.get("creator", {}).get("name") == "stance-bert"]
    assert creators == [{"type": "Software", "name": "stance-bert", "schema:softwareVersion": "2.1"}] * 2
    rows = export("--all", format="csv").splitlines()
    header = rows[0].split(",")
    assert header[-3:] == ["model_name", "model_version", "published_on"]
    assert sum(",stance-bert,2.1," in row for row in rows) >= 2


def test_another_models_record_never_overwrites_the_built_in_proposal(seed, tmp_path):
    built_in = Annotation.objects.get(statement__number=4, origin=Origin.MACHINE)
    kept = (built_in.machine_name, built_in.attribution, built_in.version)
    line = {
        "readout": SEED,
        "statement": 4,
        "attribution": "inferred",
        "origin": "machine",
        "model_name": "other-model",
        "model_version": "7",
    }
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert "1 annotations created, 0 updated" in load(path)
    built_in.refresh_from_db()
    assert (built_in.machine_name, built_in.attribution, built_in.version) == kept
    assert Annotation.objects.get(statement__number=4, machine_name="other-model").machine_version == "7"
    # The same model and version again is the same proposal: updated, not duplicated.
    path.write_text(json.dumps({**line, "attribution": "narration"}) + "\n", encoding="utf-8")
    assert "0 annotations created, 1 updated" in load(path)
    assert Annotation.objects.get(statement__number=4, machine_name="other-model").attribution == "narration"


# --------------------------------------------------------------------------- imports that overwrite (16.5)


@pytest.fixture
def adjudicated(seed, annotator, reviewer):
    """annotator1's reading of statement 3, made gold by the reviewer (over the imported gold)."""
    reading = Annotation.objects.get(statement__number=3, annotator=annotator)
    machine = Annotation.objects.get(statement__number=3, origin=Origin.MACHINE)
    return adjudication.accept(reading, reviewer, sources=[machine])


def line_for(annotation: Annotation, **fields) -> dict:
    return {
        "readout": SEED,
        "statement": annotation.statement.number,
        "attribution": annotation.attribution,
        "speaker": annotation.speaker.slug,
        "cue": "said so",
        "annotator": annotation.annotator.username,
        **fields,
    }


@pytest.mark.parametrize("extra", [{}, {"origin": "import"}])
def test_an_update_keeps_origin_gold_and_adjudication(adjudicated, tmp_path, extra):
    path = tmp_path / "update.jsonl"
    path.write_text(json.dumps(line_for(adjudicated, **extra)) + "\n", encoding="utf-8")
    assert "0 annotations created, 1 updated" in load(path)
    adjudicated.refresh_from_db()
    assert (adjudicated.cue, adjudicated.origin, adjudicated.gold) == ("said so", "human", True)
    assert adjudicated.adjudicated_by.username == "reviewer"
    assert adjudicated.adjudicated_at is not None
    assert adjudicated.adjudicated_from.count() == 1


def test_a_reading_that_loses_gold_loses_its_adjudication(adjudicated, tmp_path):
    path = tmp_path / "ungold.jsonl"
    path.write_text(json.dumps(line_for(adjudicated, gold=False)) + "\n", encoding="utf-8")
    load(path)
    adjudicated.refresh_from_db()
    assert (adjudicated.gold, adjudicated.gold_statement_id) == (False, None)
    assert (adjudicated.adjudicated_by, adjudicated.adjudicated_at) == (None, None)
    assert adjudicated.adjudicated_from.count() == 0


def test_gold_set_by_an_import_goes_through_adjudication(seed, tmp_path, other_annotator):
    Annotation.objects.filter(statement__number=6, gold=True).delete()
    line = {"readout": SEED, "statement": 6, "attribution": "narration", "annotator": "annotator2", "gold": True}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    before = datetime.datetime.now(datetime.timezone.utc)
    load(path, "--reviewer", "reviewer")
    gold = Annotation.objects.get(statement__number=6, gold=True)
    assert (gold.annotator.username, gold.adjudicated_by.username) == ("annotator2", "reviewer")
    assert gold.adjudicated_at >= before
    with pytest.raises(CommandError, match="--reviewer: no user is called 'nobody'"):
        load(path, "--reviewer", "nobody")


# --------------------------------------------------------------------------- Label Studio's own exports


def through_label_studio(tasks: list[dict], user_id: int = 1) -> list[dict]:
    """What Label Studio 1.23's JSON export gives back for tasks imported with annotations and
    predictions: its own ids and bookkeeping, ``completed_by`` the importing user's id,
    ``predictions`` as ids, our extra annotation keys (annotator, origin) gone, and the ``id`` each
    annotation was imported with as its ``import_id`` (``TaskSerializerBulk.add_annotations``)."""
    exported, annotation_id, prediction_id = [], 100, 500
    for number, task in enumerate(tasks, start=1):
        annotations = []
        for annotation in task["annotations"]:
            annotation_id += 1
            annotations.append(
                {
                    "id": annotation_id,
                    "completed_by": user_id,
                    "result": [{**r, "origin": "manual"} for r in annotation["result"]],
                    "was_cancelled": False,
                    "ground_truth": annotation["ground_truth"],
                    "created_at": "2026-11-30T10:00:00.000000Z",
                    "updated_at": "2026-11-30T10:00:00.000000Z",
                    "draft_created_at": None,
                    "lead_time": None,
                    "prediction": {},
                    "result_count": 0,
                    "unique_id": f"u-{annotation_id}",
                    "import_id": annotation.get("id"),
                    "last_action": None,
                    "bulk_created": False,
                    "task": number,
                    "project": 3,
                    "updated_by": user_id,
                    "parent_prediction": None,
                    "parent_annotation": None,
                    "last_created_by": None,
                }
            )
        predictions = []
        for _prediction in task["predictions"]:
            prediction_id += 1
            predictions.append(prediction_id)
        exported.append(
            {
                "id": number,
                "annotations": annotations,
                "file_upload": "tasks.json",
                "drafts": [],
                "predictions": predictions,
                "data": task["data"],
                "meta": {},
                "created_at": "2026-11-30T09:00:00.000000Z",
                "updated_at": "2026-11-30T10:00:00.000000Z",
                "inner_id": number,
                "total_annotations": len(annotations),
                "cancelled_annotations": 0,
                "total_predictions": len(predictions),
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 3,
                "updated_by": None,
                "comment_authors": [],
            }
        )
    return exported


def load_both(path: Path, *args: str) -> tuple[str, str]:
    """What ``import_annotations`` prints: (standard output, standard error)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_annotations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def task_of(tasks: list[dict], number: int) -> dict:
    return next(task for task in tasks if task["data"]["statement"] == number)


def test_our_label_studio_export_gives_each_reading_its_id_and_each_proposal_none(seed):
    tasks = json.loads(export("--all", format="labelstudio"))
    people = Annotation.objects.exclude(origin=Origin.MACHINE)
    assert sorted(a["id"] for t in tasks for a in t["annotations"]) == sorted(people.values_list("pk", flat=True))
    assert not [p for t in tasks for p in t["predictions"] if "id" in p]
    # Read back directly, our own export names its annotators: the ids play no part.
    records = [record for _line, record in labelstudio.read(io.StringIO(json.dumps(tasks)))]
    assert not [r for r in records if "exported_id" in r]


@pytest.mark.parametrize("credited", [None, "annotator1", "annotator2"])
def test_our_label_studio_export_through_label_studio_comes_back_unchanged_whoever_it_credits(
    seed, tmp_path, other_annotator, credited
):
    """Label Studio credits every imported annotation to the user who imports (here its user 1),
    but keeps the id our export gave it: each comes back as the reading it was, not as user 1's,
    whether user 1 is nobody we know, annotator1 (whose reading of statement 3 is among them) or
    annotator2."""
    before = state()
    tasks = through_label_studio(json.loads(export("--all", format="labelstudio")))
    path = tmp_path / "label-studio.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    out, err = load_both(path, *(["--labelstudio-user", f"1={credited}"] if credited else []))
    assert f"0 annotations created, 0 updated, {GOLDS + 1} unchanged" in out
    assert "not imported" not in out + err
    assert state() == before


def test_a_changed_copy_of_anothers_reading_is_left_out_and_said(seed, tmp_path, other_annotator):
    before = state()
    tasks = through_label_studio(json.loads(export("--all", format="labelstudio")))
    gold = task_of(tasks, 1)["annotations"][0]  # the imported gold reading of statement 1 (narration)
    next(r for r in gold["result"] if r["from_name"] == "attribution")["value"]["choices"] = ["continued"]
    theirs = next(a for a in task_of(tasks, 3)["annotations"] if not a["ground_truth"])  # annotator1's
    theirs["ground_truth"] = True
    path = tmp_path / "label-studio.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    imported = Annotation.objects.get(statement__number=1, gold=True)
    persons = Annotation.objects.get(statement__number=3, annotator__username="annotator1")
    for credited in ([], ["--labelstudio-user", "1=annotator2"]):
        out, err = load_both(path, *credited)
        assert f"0 annotations created, 0 updated, {GOLDS - 1} unchanged" in out
        assert "2 changed copies of others' readings not imported (below)" in out
        named = "annotator2" if credited else "Label Studio user 1"
        assert (
            f"not imported: a copy of the import reading of statement 1 (annotation {imported.pk}) with a "
            f"different attribution, credited to {named} (an import never puts another user's name on a "
            "reading, nor overwrites a reading that differs)"
        ) in err
        assert f"a copy of annotator1's reading of statement 3 (annotation {persons.pk}) with a different gold" in err
        assert state() == before


def test_an_import_job_says_what_it_left_out(seed, tmp_path, reviewer, django_capture_on_commit_callbacks):
    tasks = through_label_studio(json.loads(export("--all", format="labelstudio")))
    theirs = next(a for a in task_of(tasks, 3)["annotations"] if not a["ground_truth"])  # annotator1's
    theirs["ground_truth"] = True
    before = state()
    job = jobs.submit(
        Job.Kind.IMPORT_ANNOTATIONS, reviewer, {"format": "labelstudio"}, [("ls.json", json.dumps(tasks).encode())]
    )
    assert jobs.execute(str(job.uuid)) == "succeeded"
    job.refresh_from_db()
    assert (job.summary["unchanged"], len(job.summary["not_imported"])) == (GOLDS, 1)
    assert "a copy of annotator1's reading of statement 3" in job.summary["not_imported"][0]
    assert state() == before


def test_a_changed_copy_credited_to_its_own_annotator_updates_that_reading(seed, tmp_path):
    tasks = through_label_studio(json.loads(export("--all", format="labelstudio")))
    theirs = next(a for a in task_of(tasks, 3)["annotations"] if not a["ground_truth"])  # annotator1's
    stance = next(r for r in theirs["result"] if r["from_name"] == "stance")
    stance["value"]["taxonomy"] = [[target, "against"] for target, _stance in stance["value"]["taxonomy"]]
    path = tmp_path / "label-studio.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    out, _err = load_both(path, "--labelstudio-user", "1=annotator1")
    assert f"0 annotations created, 1 updated, {GOLDS} unchanged" in out
    reading = Annotation.objects.get(statement__number=3, annotator__username="annotator1")
    assert list(reading.stances.values_list("stance", flat=True)) == ["against"]
    assert reading.version == 2


def test_an_id_of_another_statements_reading_is_no_identity(seed, tmp_path, other_annotator):
    """The id a copy carries counts only for a reading of the same statement (a file from another
    database names other readings): otherwise the copy is the credited user's, as Label Studio says."""
    before = state()
    tasks = through_label_studio(json.loads(export("--readout", SEED, format="labelstudio")))[:2]
    first, second = (task["annotations"][0] for task in tasks)
    first["import_id"], second["import_id"] = second["import_id"], first["import_id"]
    path = tmp_path / "label-studio.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    with pytest.raises(CommandError, match=r"2 bad records.*\n  line \d+: this statement already has a gold reading"):
        load(path, "--labelstudio-user", "1=annotator2")
    assert state() == before


def annotated_in_label_studio(seed) -> list[dict]:
    """Tasks exported without readings, annotated in Label Studio by two of its users."""
    tasks = through_label_studio(json.loads(export("--readout", SEED, format="labelstudio")))[:3]
    speaker = Speaker.objects.order_by("slug").first().slug
    result = [
        {"id": "a", "from_name": "speaker", "to_name": "text", "type": "choices", "value": {"choices": [speaker]}},
        {
            "id": "b",
            "from_name": "attribution",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": ["continued"]},
        },
    ]
    common = {"was_cancelled": False, "ground_truth": False, "result": result, "lead_time": 4.2, "task": 1}
    tasks[0]["annotations"] = [{"id": 1, "completed_by": {"id": 7, "email": "Ann1@example.org"}, **common}]
    tasks[1]["annotations"] = [{"id": 2, "completed_by": 7, **common}]  # resolved through the object above
    tasks[2]["annotations"] = [{"id": 3, "completed_by": 9, **common}]  # nobody says who 9 is
    return tasks


def test_label_studio_json_with_user_ids_resolved_by_exported_objects_and_e_mails(
    seed, tmp_path, annotator, other_annotator
):
    annotator.email = "ann1@example.org"
    annotator.save()
    before = state()
    tasks = annotated_in_label_studio(seed)
    path = tmp_path / "label-studio.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    with pytest.raises(CommandError, match=r"1 bad records.*\n  line \d+: completed_by is Label Studio user 9"):
        load(path)
    assert state() == before
    earlier = list(Annotation.objects.values_list("pk", flat=True))
    assert "3 annotations created, 0 updated" in load(path, "--labelstudio-user", "9=annotator2")
    numbers = [task["data"]["statement"] for task in tasks]
    readings = Annotation.objects.filter(origin=Origin.HUMAN, statement__number__in=numbers).exclude(pk__in=earlier)
    assert sorted((a.statement.number, a.annotator.username) for a in readings) == [
        (numbers[0], "annotator1"),
        (numbers[1], "annotator1"),
        (numbers[2], "annotator2"),
    ]
    assert Annotation.objects.filter(gold=True).count() == GOLDS


def test_label_studio_json_min(seed, tmp_path, annotator, other_annotator):
    other_annotator.email = "ann2@example.org"
    other_annotator.save()
    speaker = Speaker.objects.order_by("slug").first().slug
    target = Target.objects.order_by("slug").first().slug
    data = json.loads(export("--readout", SEED, format="labelstudio"))
    items = []
    for number, (task, annotator_value) in enumerate(zip(data[:2], [5, "ann2@example.org"], strict=True), start=1):
        items.append(
            {
                **task["data"],
                "id": number,
                "speaker": speaker,
                "attribution": "continued",
                "cue": "said",
                "stance": [{"taxonomy": [[target, "against"]]}],
                "annotator": annotator_value,
                "annotation_id": 10 + number,
                "created_at": "2026-11-30T10:00:00.000000Z",
                "updated_at": "2026-11-30T10:00:00.000000Z",
                "lead_time": 3.5,
            }
        )
    path = tmp_path / "min.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    with pytest.raises(CommandError, match="Label Studio user 5"):
        load(path)
    assert "2 annotations created" in load(path, "--labelstudio-user", "5=annotator1")
    readings = Annotation.objects.filter(origin=Origin.HUMAN, statement__number__in=(1, 2)).order_by(
        "statement__number"
    )
    assert [(a.annotator.username, a.speaker.slug, a.cue, a.gold) for a in readings] == [
        ("annotator1", speaker, "said", False),
        ("annotator2", speaker, "said", False),
    ]
    assert list(readings[0].stances.values_list("target__slug", "stance")) == [(target, "against")]
    assert Annotation.objects.filter(gold=True).count() == GOLDS


def test_label_studio_predictions_by_id_are_skipped_and_by_object_read_with_their_model(seed):
    tasks = [
        {
            "data": {"readout": SEED, "statement": 7},
            "annotations": [],
            "predictions": [
                12,
                {
                    "model_version": "stance-bert@3",
                    "result": [
                        {
                            "from_name": "attribution",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["inferred"]},
                        }
                    ],
                },
            ],
        }
    ]
    records = [record for _line, record in labelstudio.read(io.StringIO(json.dumps(tasks)))]
    assert [(r["origin"], r["model_name"], r["model_version"], r["attribution"]) for r in records] == [
        ("machine", "stance-bert", "3", "inferred")
    ]


def test_a_persons_reading_goes_through_the_write_service_and_its_guideline(seed, tmp_path):
    before = state()
    line = {"readout": SEED, "statement": 9, "attribution": "narration", "cue": "said", "annotator": "annotator1"}
    path = tmp_path / "guideline.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"guideline\.jsonl: 1 bad records.*\n  line 1: cue: Narration has no cue"):
        load(path)
    assert state() == before
    path.write_text(json.dumps({**line, "cue": ""}) + "\n", encoding="utf-8")
    assert "1 annotations created" in load(path)
    created = Annotation.objects.get(statement__number=9, annotator__username="annotator1")
    assert (created.origin, created.version) == (Origin.HUMAN, 1)
