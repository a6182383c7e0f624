"""Concurrent clients over real HTTP (the threaded ``live_server``), on PostgreSQL or MariaDB.

Each client is a thread with its own HTTP connection; each request is served by a thread of the
live server with its own database connection, so the database really sees concurrent
transactions. SQLite is skipped: its in-memory test database is one connection shared by every
thread, which serialises everything and proves nothing about races.

``tests/test_api_concurrency.py`` makes single races certain with a lock held by a helper; these
tests run many unscripted races through the whole stack and check the invariants afterwards.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from readout_annotations.models import Annotation, Statement
from readout_annotations.roles import REVIEWERS

from .conftest import make_readout
from .test_api import annotate, create_catalogue
from .test_api_concurrency import continued_xi

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite's in-memory test database is one connection shared by every thread: no real concurrency",
    ),
]

CLIENTS = 8
UPDATES = 200  # per client
STANCES = ("favor", "against", "none")
LONG_TEXT = "\n\n".join(f"Xi said that point {n} matters. Lukashenko agreed on point {n}." for n in range(1, 16))


class Http:
    """One client: JSON requests with token auth, a new connection per request."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.token = parts.hostname, parts.port, token

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        connection.connect()
        return connection

    def send(self, method: str, path: str, body=None, headers=None, connection=None):
        """(status, headers, the decoded JSON body, or the raw body when it is not JSON)."""
        connection = connection or self.connect()
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            is_json = response.getheader("Content-Type", "").startswith("application/json")
            return response.status, dict(response.getheaders()), json.loads(raw) if raw and is_json else raw
        finally:
            connection.close()


def run_threads(jobs) -> list:
    """Run each job in its own thread; their results, or the first error raised."""
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            results[index] = job()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
        assert not thread.is_alive(), "a client hung"
    if errors:
        raise errors[0]
    return results


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def second_reviewer(reviewer):
    user = get_user_model().objects.create_user("reviewer2", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=REVIEWERS))
    return user


@pytest.fixture
def readout(transactional_db):
    create_catalogue()
    return make_readout("long-readout", LONG_TEXT)


# --------------------------------------------------------------------------- If-Match under load


@pytest.mark.slow
def test_eight_clients_with_if_match_lose_no_update(live_server, readout, annotator):
    """8 clients x 200 read-modify-write cycles on two shared annotations: each update lands or
    gets 412; the landed ones form one unbroken chain of versions per annotation, each built on
    the version it read; the final state is the last landed write; no 5xx."""
    shared = [annotate(readout.statements.get(number=n), annotator, cue="start", **continued_xi()) for n in (1, 2)]
    key = token(annotator)

    def client(number: int):
        http, log = Http(live_server.url, key), []
        for round_ in range(UPDATES):
            pk = shared[(number + round_) % len(shared)].pk
            url = f"/api/annotations/{pk}/"
            status, headers, _ = http.send("GET", url)
            assert status == 200, status
            read_version = int(headers["ETag"].strip('"').split("-")[1])
            cue, stance = f"client {number} round {round_}", STANCES[(number + round_) % 3]
            body = {"cue": cue, "stances": [{"target": "interference", "stance": stance}]}
            status, headers, data = http.send("PATCH", url, body, {"If-Match": headers["ETag"]})
            log.append((pk, status, read_version, data.get("version") if status == 200 else None, cue, stance))
        return log

    started = time.monotonic()
    logs = run_threads([lambda n=n: client(n) for n in range(CLIENTS)])
    seconds = time.monotonic() - started

    entries = [entry for log in logs for entry in log]
    codes = Counter(status for _, status, *_ in entries)
    assert len(entries) == CLIENTS * UPDATES
    assert set(codes) <= {200, 412}, codes  # every update lands or gets 412: no 5xx, nothing else
    landed = defaultdict(list)
    for pk, status, read_version, version, cue, stance in entries:
        if status == 200:
            assert version == read_version + 1, "a write landed on a version it had not read"
            landed[pk].append((version, cue, stance))
    for annotation in shared:
        writes = sorted(landed[annotation.pk])
        assert writes, "no update landed"
        # One landed write per version, none missing: no two clients both won the same version.
        assert [version for version, *_ in writes] == list(range(2, 2 + len(writes)))
        annotation.refresh_from_db()
        final_version, final_cue, final_stance = writes[-1]
        assert annotation.version == final_version == 1 + len(writes)
        assert annotation.cue == final_cue
        assert list(annotation.stances.values_list("target__slug", "stance")) == [("interference", final_stance)]
    print(f"{CLIENTS}x{UPDATES} updates in {seconds:.1f} s: {dict(codes)}")


# --------------------------------------------------------------------------- races at one moment


def race(requests: list) -> list:
    """Open every connection, then send every request at the same moment."""
    barrier = threading.Barrier(len(requests))

    def job(http, args):
        connection = http.connect()
        barrier.wait()
        return http.send(*args, connection=connection)

    return run_threads([lambda h=h, a=a: job(h, a) for h, a in requests])


def test_two_reviewers_accepting_different_readings_leave_exactly_one_gold(
    live_server, readout, annotator, other_annotator, reviewer
):
    reviewers = [Http(live_server.url, token(reviewer)), Http(live_server.url, token(second_reviewer(reviewer)))]
    statements = list(readout.statements.order_by("number")[:12])
    codes = Counter()
    for statement in statements:
        readings = [annotate(statement, annotator), annotate(statement, other_annotator, attribution="inferred")]
        responses = race(
            [
                (http, ("POST", f"/api/annotations/{a.pk}/accept/", {}, {"If-Match": f'"{a.pk}-{a.version}"'}))
                for http, a in zip(reviewers, readings, strict=True)
            ]
        )
        codes.update(status for status, *_ in responses)
        assert all(status in (200, 409, 412) for status, *_ in responses), responses
        gold = Annotation.objects.filter(statement=statement, gold=True)
        assert gold.count() == 1
        assert Annotation.objects.filter(gold_statement=statement).count() == 1
        winner = gold.get()
        assert winner.pk in {a.pk for a in readings}
        accepted_by = {a.pk: r for a, r in zip(readings, (reviewer.username, "reviewer2"), strict=True)}
        assert winner.adjudicated_by.username == accepted_by[winner.pk]
    assert codes[200] >= len(statements), codes  # at least one accept lands in every race


def test_racing_creates_give_one_201_and_clear_409s_never_a_500(live_server, readout, annotator, other_annotator):
    """Per statement: three requests of each of two annotators at once. Each annotator gets
    exactly one 201; the others get a 409 naming the annotator's own annotation; the other
    annotator's create is no conflict at all."""
    users = {annotator.pk: annotator, other_annotator.pk: other_annotator}
    clients = {pk: Http(live_server.url, token(user)) for pk, user in users.items()}
    for statement in readout.statements.order_by("number")[:10]:
        body = {"readout": readout.slug, "statement": statement.number, "attribution": "narration"}
        requests = [(clients[pk], ("POST", "/api/annotations/", body)) for pk in users for _ in range(3)]
        responses = race(requests)
        by_user = defaultdict(list)
        for (client, _), response in zip(requests, responses, strict=True):
            by_user[client.token].append(response)
        for user in users.values():
            answers = by_user[token(user)]
            statuses = sorted(status for status, *_ in answers)
            assert statuses[0] == 201 and statuses.count(201) == 1, statuses
            assert set(statuses[1:]) <= {400, 409}, answers
            mine = Annotation.objects.get(statement=statement, annotator=user)
            for status, _, data in answers:
                if status != 201:
                    assert f"annotation {mine.pk}" in data["detail"], data  # names my own annotation only
        assert Annotation.objects.filter(statement=statement).count() == 2


def test_reviewers_accepting_while_annotators_edit_keep_gold_unique(
    live_server, readout, annotator, other_annotator, reviewer
):
    """Accepts racing edits of the same annotations: every answer is 200, 403 or 412, and every
    statement ends with at most one gold annotation."""
    statements = list(Statement.objects.filter(readout=readout).order_by("number")[:6])
    reading = continued_xi()
    pairs = [(annotate(s, annotator, **reading), annotate(s, other_annotator, **reading)) for s in statements]
    reviewer_http = Http(live_server.url, token(reviewer))
    editors = {
        annotator.pk: Http(live_server.url, token(annotator)),
        other_annotator.pk: Http(live_server.url, token(other_annotator)),
    }
    requests = []
    for first, second in pairs:
        for annotation in (first, second):
            tag = {"If-Match": f'"{annotation.pk}-1"'}
            requests.append((reviewer_http, ("POST", f"/api/annotations/{annotation.pk}/accept/", {}, tag)))
            requests.append(
                (
                    editors[annotation.annotator_id],
                    ("PATCH", f"/api/annotations/{annotation.pk}/", {"cue": "edited"}, tag),
                )
            )
    responses = race(requests)
    assert {status for status, *_ in responses} <= {200, 403, 409, 412}, responses
    for statement in statements:
        assert Annotation.objects.filter(gold_statement=statement).count() <= 1
        assert Annotation.objects.filter(statement=statement, gold=True).count() <= 1


def test_a_create_overtaken_after_its_duplicate_check_is_a_409_not_a_500(readout, annotator):
    """The rival create commits after the request's checks, just before its INSERT: the request
    gets the same clear 409, naming the rival (my own) annotation."""
    statement = readout.statements.get(number=3)
    rival = []

    def create_rival():
        try:
            rival.append(Annotation.objects.create(statement=statement, annotator=annotator, attribution="narration"))
        finally:
            connection.close()

    def overtake(execute, sql, params, many, context):
        head = sql.lstrip()[:80].upper()
        if not rival and head.startswith("INSERT INTO") and Annotation._meta.db_table.upper() in head:
            thread = threading.Thread(target=create_rival)
            thread.start()
            thread.join(30)
        return execute(sql, params, many, context)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token(annotator)}")
    with connection.execute_wrapper(overtake):
        response = client.post(
            "/api/annotations/", {"readout": readout.slug, "statement": 3, "attribution": "narration"}, format="json"
        )

    assert rival, "the rival create never ran"
    assert response.status_code == 409, response.content
    assert f"annotation {rival[0].pk}" in response.json()["detail"]
    assert list(Annotation.objects.filter(statement=statement).values_list("pk", flat=True)) == [rival[0].pk]
