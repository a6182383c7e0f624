"""``adjudication.accept`` and ``accept_agreed``: the only way readings become gold."""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from readout_annotations.adjudication import accept, accept_agreed, agreed_statements
from readout_annotations.models import Annotation, Speaker, Stance, Target

from .conftest import make_readout


@pytest.fixture
def speakers(db) -> dict[str, Speaker]:
    return {slug: Speaker.objects.create(slug=slug, name=slug.title()) for slug in ("xi", "lukashenko")}


@pytest.fixture
def targets(db) -> dict[str, Target]:
    return {slug: Target.objects.create(slug=slug, name=slug.title()) for slug in ("taiwan", "bri")}


def reading(statement, speaker=None, attribution="explicit", stances=(), **fields) -> Annotation:
    annotation = Annotation.objects.create(statement=statement, speaker=speaker, attribution=attribution, **fields)
    for target, stance in stances:
        Stance.objects.create(annotation=annotation, target=target, stance=stance)
    return annotation


def test_accept_makes_gold_and_records_who_when_and_from_what(small_readout, annotator, other_annotator, reviewer):
    statement = small_readout.statements.get(number=2)
    chosen = reading(statement, annotator=annotator)
    other = reading(statement, annotator=other_annotator, attribution="inferred")
    before = timezone.now()

    gold = accept(chosen, reviewer, sources=[chosen, other])

    assert gold.pk == chosen.pk
    gold.refresh_from_db()
    assert (gold.gold, gold.gold_statement_id, gold.adjudicated_by) == (True, statement.pk, reviewer)
    assert before <= gold.adjudicated_at <= timezone.now()
    assert list(gold.adjudicated_from.all()) == [other]  # never itself
    assert gold.annotator == annotator  # the annotator's work stays theirs
    assert gold.version == 2
    assert list(statement.annotations.filter(gold=True)) == [gold]


def test_accept_moves_gold_from_another_annotation(small_readout, annotator, other_annotator, reviewer):
    statement = small_readout.statements.get(number=2)
    first = accept(reading(statement, annotator=annotator), reviewer)
    second = reading(statement, annotator=other_annotator, attribution="inferred")

    accept(second, reviewer, sources=[first])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.gold, first.gold_statement_id) == (False, None)
    assert first.version == 3  # created, accepted, then no longer gold
    assert (second.gold, second.gold_statement_id) == (True, statement.pk)
    assert statement.annotations.filter(gold=True).count() == 1


def test_accepting_the_gold_again_keeps_one_gold(small_readout, annotator, reviewer):
    statement = small_readout.statements.get(number=1)
    gold = accept(reading(statement, annotator=annotator), reviewer)
    accept(gold, reviewer)
    assert list(statement.annotations.filter(gold=True).values_list("pk", flat=True)) == [gold.pk]


def test_a_machine_proposal_is_copied_into_the_reviewers_annotation(
    small_readout, annotator, reviewer, speakers, targets
):
    statement = small_readout.statements.get(number=2)
    human = reading(statement, annotator=annotator, speaker=speakers["lukashenko"])
    proposal = reading(
        statement,
        speaker=speakers["xi"],
        mode="indirect",
        cue="pointed out",
        stances=[(targets["taiwan"], "favor")],
        origin="machine",
        machine_name="rules",
        machine_version="1",
    )

    gold = accept(proposal, reviewer, sources=[human])

    assert gold.pk not in (proposal.pk, human.pk)
    gold = Annotation.objects.get(pk=gold.pk)
    assert (gold.annotator, gold.origin, gold.gold, gold.adjudicated_by) == (reviewer, "human", True, reviewer)
    assert (gold.speaker, gold.attribution, gold.mode, gold.cue) == (
        speakers["xi"],
        "explicit",
        "indirect",
        "pointed out",
    )
    assert list(gold.stances.values_list("target__slug", "stance")) == [("taiwan", "favor")]
    assert set(gold.adjudicated_from.all()) == {human, proposal}
    proposal.refresh_from_db()
    assert (proposal.gold, proposal.origin, proposal.annotator) == (False, "machine", None)
    assert proposal.stances.count() == 1


def test_a_machine_proposal_replaces_the_reviewers_own_reading(small_readout, reviewer, speakers, targets):
    statement = small_readout.statements.get(number=2)
    own = reading(
        statement,
        annotator=reviewer,
        speaker=speakers["lukashenko"],
        attribution="inferred",
        cue="said",
        stances=[(targets["bri"], "against")],
    )
    proposal = reading(
        statement, speaker=speakers["xi"], stances=[(targets["taiwan"], "none")], origin="machine", machine_name="m"
    )

    gold = accept(proposal, reviewer)

    assert gold.pk == own.pk
    assert Annotation.objects.filter(statement=statement, annotator=reviewer).count() == 1
    gold.refresh_from_db()
    assert (gold.speaker, gold.attribution, gold.cue, gold.mode, gold.gold) == (
        speakers["xi"],
        "explicit",
        "",
        "",
        True,
    )
    assert list(gold.stances.values_list("target__slug", "stance")) == [("taiwan", "none")]
    assert list(gold.adjudicated_from.all()) == [proposal]


def test_accept_agreed_takes_only_statements_where_humans_agree(
    small_readout, annotator, other_annotator, reviewer, speakers, targets
):
    xi, luka = speakers["xi"], speakers["lukashenko"]
    taiwan, bri = targets["taiwan"], targets["bri"]
    third = get_user_model().objects.create_user("annotator3")
    s1, s2, s3, s4 = small_readout.statements.all()
    other = make_readout("other-readout").statements.get(number=1)
    # 1: two humans agree on speaker, attribution and stances (mode and cue may differ); a machine disagrees.
    agree = [
        reading(s1, xi, stances=[(taiwan, "favor"), (bri, "none")], annotator=annotator, mode="direct"),
        reading(s1, xi, stances=[(bri, "none"), (taiwan, "favor")], annotator=other_annotator, cue="said"),
    ]
    reading(s1, luka, origin="machine", machine_name="rules")
    # 2: the speakers differ; a third human disagrees on attribution; stance values differ.
    reading(s2, xi, annotator=annotator)
    reading(s2, luka, annotator=other_annotator)
    reading(s3, xi, annotator=annotator)
    reading(s3, xi, annotator=other_annotator)
    reading(s3, xi, attribution="continued", annotator=third)
    reading(s4, xi, stances=[(taiwan, "favor")], annotator=annotator)
    reading(s4, xi, stances=[(taiwan, "against")], annotator=other_annotator)
    # Another readout: one human and a machine that agrees with them is not agreement.
    reading(other, xi, annotator=annotator)
    reading(other, xi, origin="machine", machine_name="rules")

    assert list(agreed_statements(small_readout)) == [s1.pk]
    assert accept_agreed(small_readout, reviewer) == 1

    gold = Annotation.objects.get(gold=True)
    assert (gold.pk, gold.adjudicated_by) == (agree[0].pk, reviewer)
    assert list(gold.adjudicated_from.all()) == [agree[1]]
    assert Annotation.objects.filter(gold=True).count() == 1
    # Done once: nothing is left to take, and the gold stays where it is.
    assert accept_agreed(small_readout, reviewer) == 0
    assert list(Annotation.objects.filter(gold=True)) == [gold]


def test_accept_agreed_leaves_existing_gold_alone(small_readout, annotator, other_annotator, reviewer, speakers):
    s1 = small_readout.statements.get(number=1)
    first = reading(s1, speakers["xi"], annotator=annotator)
    second = reading(s1, speakers["xi"], annotator=other_annotator)
    chosen = reading(s1, speakers["lukashenko"], annotator=reviewer)
    accept(chosen, reviewer)
    assert accept_agreed(small_readout, reviewer) == 0
    assert list(Annotation.objects.filter(gold=True)) == [chosen]
    assert not first.adjudications.exists() and not second.adjudications.exists()


def test_accept_agreed_queries_do_not_grow_per_annotation(small_readout, annotator, other_annotator, reviewer, targets):
    """One query for the readings and one for their stances, however many there are."""
    from django.test.utils import CaptureQueriesContext

    for statement in small_readout.statements.all():
        for user, stance in ((annotator, "favor"), (other_annotator, "against")):
            reading(statement, stances=[(targets["taiwan"], stance), (targets["bri"], stance)], annotator=user)
    with CaptureQueriesContext(connection) as queries:
        assert agreed_statements(small_readout) == {}
    assert len(queries) == 2


# --------------------------------------------------------------------------- concurrency


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite has no row locks (select_for_update is a no-op) and the test database is in memory, one connection",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_leave_exactly_one_gold():
    """Two reviewers accept different readings of one statement at the same moment, once per statement."""
    users = get_user_model().objects
    annotators = [users.create_user(f"annotator{i}") for i in (1, 2)]
    reviewers = [users.create_user(f"reviewer{i}") for i in (1, 2)]
    for statement in make_readout().statements.all():
        readings = [reading(statement, annotator=user) for user in annotators]
        barrier = threading.Barrier(2, timeout=10)
        outcomes: list[object] = [None, None]

        def review(index: int, readings=readings, barrier=barrier, outcomes=outcomes) -> None:
            try:
                barrier.wait()
                outcomes[index] = accept(readings[index], reviewers[index]).pk
            except Exception as error:  # reported below: any error in either thread fails the test
                outcomes[index] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=review, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert outcomes == [a.pk for a in readings], f"statement {statement.number}: {outcomes}"
        gold = list(Annotation.objects.filter(statement=statement, gold=True))
        assert len(gold) == 1
        assert gold[0].gold_statement_id == statement.pk
        assert gold[0].adjudicated_at > timezone.now() - datetime.timedelta(minutes=1)
        assert gold[0].adjudicated_by == reviewers[readings.index(gold[0])]
    assert Annotation.objects.filter(gold=True).count() == 4
