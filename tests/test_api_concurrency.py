"""Races through the API, on a database with row locks (PostgreSQL, MariaDB).

Each race is made certain rather than likely: a helper transaction holds the lock the
requests need, the requests start and queue behind it, and then the helper lets go.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from readout_annotations.models import Annotation, Speaker, Statement

from .test_api import annotate, client_for, create_catalogue, record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs concurrent connections with row locks"),
]

QUEUE_UP = 0.5  # seconds for the requests to reach the lock


def continued_xi() -> dict:
    """A reading whose cue may be any text under the guideline (the tests write their own cues)."""
    return {"attribution": "continued", "speaker": Speaker.objects.get(slug="xi-jinping")}


class Worker(threading.Thread):
    """Runs ``job`` on its own database connection and keeps its result or error."""

    def __init__(self, job: Callable) -> None:
        super().__init__(daemon=True)
        self.job, self.result, self.error = job, None, None

    def run(self) -> None:
        try:
            self.result = self.job()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            connection.close()


def hold(lock: Callable[[], None]) -> tuple[Worker, threading.Event, threading.Event]:
    """A transaction that takes ``lock`` and keeps it until released."""
    taken, release = threading.Event(), threading.Event()

    def job():
        with transaction.atomic():
            lock()
            taken.set()
            assert release.wait(30)

    holder = Worker(job)
    holder.start()
    while not taken.wait(0.05):
        if not holder.is_alive():
            raise holder.error
    return holder, taken, release


def finish(*workers: Worker) -> list:
    for worker in workers:
        worker.join(60)
        assert not worker.is_alive()
        if worker.error is not None:
            raise worker.error
    return [worker.result for worker in workers]


@pytest.fixture
def readout(small_readout):
    create_catalogue()
    return small_readout


def test_racing_creates_give_one_201_and_a_409_never_a_500(readout, annotator):
    client = client_for(annotator)
    statement = readout.statements.get(number=2)

    # The other "request" has inserted but not committed: ours passes the duplicate check,
    # then its INSERT waits on the unique index and fails once the first commits.
    holder, _, release = hold(
        lambda: Annotation.objects.create(statement=statement, annotator=annotator, attribution="explicit")
    )
    request = Worker(lambda: client.post("/api/annotations/", record(), format="json"))
    request.start()
    time.sleep(QUEUE_UP)
    release.set()
    finish(holder)
    (response,) = finish(request)

    assert response.status_code == 409, response.content
    assert "already annotated" in response.json()["detail"]
    assert Annotation.objects.filter(statement=statement, annotator=annotator).count() == 1


def test_two_reviewers_accepting_at_once_leave_exactly_one_gold(readout, annotator, other_annotator, reviewer):
    from django.contrib.auth.models import Group

    from readout_annotations.roles import REVIEWERS

    second_reviewer = type(reviewer).objects.create_user("reviewer2", password="pw")
    second_reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    statement = readout.statements.get(number=2)
    first = annotate(statement, annotator)
    second = annotate(statement, other_annotator, attribution="inferred")
    clients = [client_for(reviewer), client_for(second_reviewer)]

    holder, _, release = hold(lambda: list(Statement.objects.select_for_update().filter(pk=statement.pk)))
    requests = [
        Worker(lambda c=c, a=a: c.post(f"/api/annotations/{a.pk}/accept/", HTTP_IF_MATCH=f'"{a.pk}-1"'))
        for c, a in zip(clients, (first, second), strict=True)
    ]
    for request in requests:
        request.start()
    time.sleep(QUEUE_UP)
    release.set()
    finish(holder)
    responses = finish(*requests)

    # Serialised on the statement row: both land, the later one takes gold from the earlier.
    assert [response.status_code for response in responses] == [200, 200], [r.content for r in responses]
    assert Annotation.objects.filter(statement=statement, gold=True).count() == 1
    assert Annotation.objects.filter(gold_statement=statement).count() == 1


def test_two_writers_with_the_same_if_match_one_wins_one_gets_412(readout, annotator):
    annotation = annotate(readout.statements.get(number=2), annotator, cue="start", **continued_xi())
    url, tag = f"/api/annotations/{annotation.pk}/", f'"{annotation.pk}-1"'
    clients = [client_for(annotator), client_for(annotator)]

    holder, _, release = hold(lambda: list(Annotation.objects.select_for_update().filter(pk=annotation.pk)))
    requests = [
        Worker(lambda c=c, cue=cue: c.patch(url, {"cue": cue}, format="json", HTTP_IF_MATCH=tag))
        for c, cue in zip(clients, ("first", "second"), strict=True)
    ]
    for request in requests:
        request.start()
    time.sleep(QUEUE_UP)
    release.set()
    finish(holder)
    responses = finish(*requests)

    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 412], [r.content for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    annotation.refresh_from_db()
    assert (annotation.cue, annotation.version) == (winner["cue"], 2)


def test_many_clients_updating_with_if_match_lose_no_update(readout, annotator):
    annotation = annotate(readout.statements.get(number=2), annotator, cue="", **continued_xi())
    url = f"/api/annotations/{annotation.pk}/"
    clients, rounds = 6, 15

    def writer(name: str):
        client, codes, landed = client_for(annotator), Counter(), []
        for n in range(rounds):
            current = client.get(url)
            cue = f"{name}-{n}"
            response = client.patch(url, {"cue": cue}, format="json", HTTP_IF_MATCH=current["ETag"])
            codes[response.status_code] += 1
            if response.status_code == 200:
                landed.append((response.json()["version"], cue))
        return codes, landed

    workers = [Worker(lambda n=n: writer(f"c{n}")) for n in range(clients)]
    for worker in workers:
        worker.start()
    results = finish(*workers)

    codes = sum((c for c, _ in results), Counter())
    assert set(codes) <= {200, 412}, codes
    landed = sorted(entry for _, entries in results for entry in entries)
    versions = [version for version, _ in landed]
    assert versions == list(range(2, 2 + codes[200]))  # every landed write made exactly one version
    annotation.refresh_from_db()
    assert annotation.version == 1 + codes[200]
    assert annotation.cue == landed[-1][1]  # the final state is the last landed write
