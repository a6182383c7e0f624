"""The benchmarks' corpus (``benchmarks/corpus.py``): the raw bulk fill writes the planned readings,
leaves the database usable for ordinary writes, and ``records.export_count`` counts what
``records.export_records`` writes."""

import pytest
from django.contrib.auth import get_user_model

from benchmarks import corpus
from readout_annotations import records
from readout_annotations.models import Annotation, Readout, Statement

from .conftest import make_readout

pytestmark = pytest.mark.skipif(
    get_user_model().USERNAME_FIELD != "username", reason="the corpus names its people by username"
)


@pytest.fixture
def filled(db):
    make_readout()  # rows before the fill: its ids must start after them
    corpus.fill(2)
    corpus.fill(3)  # grown in a second step, as the benchmarks grow it
    return get_user_model().objects.get(username=corpus.REVIEWER)


def test_the_fill_writes_the_planned_readings(filled):
    assert corpus.existing_readouts() == 3
    per_readout = corpus.STATEMENTS * corpus.ANNOTATORS
    assert Annotation.objects.filter(statement__readout__slug__startswith="bench-").count() == 3 * per_readout
    planned = corpus.plan(2)
    written = [
        record
        for record in records.export_records(all=True, readouts=[planned.slug])
        if record["annotator"] == corpus.annotator_names()[1]
    ]
    assert len(written) == corpus.STATEMENTS
    for record, readings in zip(written, planned.readings, strict=True):
        reading = readings[1]
        assert record["speaker"] == (None if reading.speaker is None else corpus.SPEAKERS[reading.speaker])
        assert record["attribution"] == reading.attribution and record["mode"] == reading.mode
        assert [(s["target"], s["stance"]) for s in record["stances"]] == sorted(
            (corpus.TARGETS[t], stance) for t, stance in reading.stances
        )
        assert record["gold"] is False
    gold = list(records.export_records(readouts=[planned.slug]))
    assert [record["annotator"] for record in gold] == [corpus.annotator_names()[0]] * corpus.STATEMENTS
    assert all(record["gold"] is True for record in gold)


def test_the_fill_stores_the_day_save_would(filled):
    """Raw rows skip ``Readout.save()``: the fill stores ``published_on`` as save would, so that
    exports read the day as they do in a host (None here once made every export load each readout)."""
    for readout in Readout.objects.filter(slug__startswith="bench-"):
        assert readout.published_on is not None
        assert readout.published_on == readout.publication_day()


def test_ordinary_writes_follow_the_fill(filled):
    """Ids were given explicitly: the next rows (PostgreSQL: from the reset sequences) must not collide."""
    readout = make_readout("after-the-fill")
    annotation = Annotation.objects.create(
        statement=readout.statements.first(), annotator=filled, attribution="explicit"
    )
    assert annotation.pk == Annotation.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert Statement.objects.filter(readout=readout).count() == 4  # SMALL_TEXT: four sentences


@pytest.mark.parametrize("everything", [True, False])
@pytest.mark.parametrize("slugs", [[], ["bench-000001", "small-readout"]])
@pytest.mark.parametrize("who", [None, corpus.REVIEWER, "annotator2"])
def test_export_count_counts_what_the_export_writes(filled, everything, slugs, who):
    user = None if who is None else get_user_model().objects.get(username=who)
    written = sum(1 for _ in records.export_records(all=everything, readouts=slugs, user=user))
    assert records.export_count(all=everything, readouts=slugs, user=user) == written
    assert written > 0
