"""The demo's second readout (fixtures/demo/): two annotators' readings with disagreements, no gold."""

import importlib.util
from pathlib import Path

import pytest

from readout_annotations.models import Annotation, Readout

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "demo_readings.py"
# The demo is the checkout's (scripts/, fixtures/demo/): absent beside a copy of the tests (nox).
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="scripts/demo_readings.py is not beside the tests")


def test_the_demo_readout_is_read_by_two_annotators_who_disagree_and_loading_twice_changes_nothing(
    annotator, other_annotator, settings
):
    spec = importlib.util.spec_from_file_location("demo_readings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    annotator.username, other_annotator.username = "annotator1", "annotator2"
    annotator.save()
    other_annotator.save()
    path = module.DEMO / "blinken-baerbock-2024.readings.json"
    module.load(path)
    readout = Readout.objects.get(slug="blinken-baerbock-2024")
    human = Annotation.objects.filter(statement__readout=readout, origin="human")
    assert human.filter(annotator=annotator).count() == human.filter(annotator=other_annotator).count() == 5
    assert not Annotation.objects.filter(statement__readout=readout, gold=True).exists()
    first = {a.statement_id: (a.speaker_id, a.attribution, a.mode) for a in human.filter(annotator=annotator)}
    second = {a.statement_id: (a.speaker_id, a.attribution, a.mode) for a in human.filter(annotator=other_annotator)}
    assert 0 < sum(first[k] != second[k] for k in first) < 5  # some disagreement, some agreement
    fields = ("pk", "speaker_id", "attribution", "mode", "cue")
    snapshot = sorted(human.values_list(*fields))
    module.load(path)
    assert Readout.objects.filter(slug="blinken-baerbock-2024").count() == 1
    assert sorted(human.values_list(*fields)) == snapshot


def test_the_demo_proposes_for_readouts_that_came_without_proposals(small_readout):
    spec = importlib.util.spec_from_file_location("demo_readings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not Annotation.objects.filter(origin="machine").exists()
    module.propose_where_missing()
    machine = Annotation.objects.filter(origin="machine", statement__readout=small_readout)
    assert machine.count() == small_readout.statements.count()
    module.propose_where_missing()  # once only
    assert machine.count() == small_readout.statements.count()
