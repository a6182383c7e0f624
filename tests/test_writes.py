"""The one write path (``annotating``): the guideline, the query budget of a PATCH, stances as a
diff, and what a client hears when the database is locked or a unique key is taken meanwhile.

Lock timeouts are real: another connection holds the lock (on SQLite a second connection to the
same shared in-memory database, on PostgreSQL and MariaDB a second session holding the row) and
the request's connection waits as briefly as the backend allows.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readout_annotations import annotating, guideline
from readout_annotations.models import Annotation, Stance, Target

from .test_admin import reading_data
from .test_api import annotate, client_for, create_catalogue, record, statement_of

ANNOTATIONS = Annotation._meta.db_table


@pytest.fixture
def catalogue(db) -> dict:
    return create_catalogue()


@pytest.fixture
def readout(small_readout, catalogue):
    return small_readout


# --------------------------------------------------------------------------- the guideline


def errors(**reading) -> dict:
    values = {"text": "Xi pointed out that ...", "speaker": "xi", "mode": "", "cue": "", "stances": []}
    return guideline.reading_errors(**{**values, **reading})


@pytest.mark.parametrize(
    "reading, fields",
    [
        ({"attribution": "explicit", "cue": "pointed out"}, set()),
        ({"attribution": "explicit", "cue": "Pointed Out"}, set()),  # a cue may open the sentence
        ({"attribution": "explicit", "cue": ""}, {"cue"}),
        ({"attribution": "explicit", "cue": "said"}, {"cue"}),  # not in the statement
        ({"attribution": "inferred", "speaker": None, "cue": "pointed out"}, {"speaker"}),
        ({"attribution": "inferred", "speaker": None, "cue": ""}, {"speaker", "cue"}),
        ({"attribution": "continued"}, set()),
        ({"attribution": "continued", "speaker": None}, {"speaker"}),
        ({"attribution": "narration", "speaker": None}, set()),
        ({"attribution": "narration"}, {"speaker"}),
        ({"attribution": "narration", "speaker": None, "mode": "direct", "cue": "x"}, {"mode", "cue"}),
        ({"attribution": "narration", "speaker": None, "stances": [("t", "favor")]}, {"stances"}),
        ({"attribution": "continued", "stances": [("t", "favor")]}, set()),
    ],
)
def test_the_guideline_names_the_fields_it_refuses(reading, fields):
    assert set(errors(**reading)) == fields


def test_a_cue_is_matched_in_linear_time():
    text = "a" * 200_000
    assert not guideline.cue_occurs("a" * 199 + "b", text)


@pytest.mark.django_db
def test_the_api_refuses_what_the_guideline_refuses_by_field(readout, annotator):
    client = client_for(annotator)
    bad = record(cue="declared", stances=[{"target": "interference", "stance": "against"}], speaker=None)
    response = client.post("/api/annotations/", bad, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"speaker", "cue", "stances"}
    assert not Annotation.objects.exists()
    created = client.post("/api/annotations/", record(), format="json")
    response = client.patch(created["Location"], {"attribution": "narration"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"speaker", "mode", "cue"}
    assert Annotation.objects.get().version == 1


@pytest.mark.django_db
def test_the_admin_form_shows_the_guideline_on_its_fields(client, readout, annotator, catalogue):
    statement = statement_of(readout, 2)
    client.force_login(annotator)
    data = reading_data(attribution="explicit", cue="declared", stances=[(catalogue["bri"], "favor")])
    response = client.post(reverse("admin:readout_annotations_statement_annotate", args=[statement.pk]), data)
    assert response.status_code == 200
    form, stances = response.context["form"], response.context["stances"]
    assert set(form.errors) == {"speaker", "cue"}
    assert "does not occur in the statement" in form.errors["cue"][0]
    assert "A stance needs a speaker" in " ".join(stances.non_form_errors())
    assert "A stance needs a speaker" in response.content.decode()
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_machine_proposals_are_not_held_to_the_guideline(readout, reviewer):
    body = {"model_name": "m", "model_version": "1", "records": [record(speaker=None, cue="")]}
    assert client_for(reviewer).post("/api/predictions/", body, format="json").status_code == 201


# --------------------------------------------------------------------------- the write itself


@pytest.mark.django_db
def test_stances_change_as_a_diff(readout, annotator, catalogue):
    mine = annotate(
        statement_of(readout, 2),
        annotator,
        speaker=catalogue["xi"],
        cue="pointed out",
        stances=[(catalogue["interference"], "against"), (catalogue["bri"], "favor")],
    )
    kept = dict(Stance.objects.values_list("target__slug", "pk"))
    client = client_for(annotator)
    url = f"/api/annotations/{mine.pk}/"
    assert client.patch(url, {"cue": "should oppose"}, format="json").status_code == 200
    assert dict(Stance.objects.values_list("target__slug", "pk")) == kept  # the cue changed, not the stances
    stances = [{"target": "interference", "stance": "none"}, {"target": "bri-new", "stance": "favor"}]
    Target.objects.create(slug="bri-new", name="New")
    response = client.patch(url, {"stances": stances}, format="json")
    assert response.status_code == 200, response.json()
    rows = dict(Stance.objects.values_list("target__slug", "stance"))
    assert rows == {"interference": "none", "bri-new": "favor"}
    same = dict(Stance.objects.values_list("target__slug", "pk"))
    assert client.patch(url, {"stances": stances, "mode": "indirect"}, format="json").status_code == 200
    assert dict(Stance.objects.values_list("target__slug", "pk")) == same  # the same stances: none rewritten
    assert [s["stance"] for s in response.json()["stances"]] == ["favor", "none"]  # sorted by target slug


@pytest.mark.django_db
@pytest.mark.parametrize("targets", [1, 6])
def test_a_patch_with_if_match_costs_at_most_10_queries(readout, annotator, catalogue, targets):
    for n in range(targets):
        Target.objects.get_or_create(slug=f"t{n}", name=f"Target {n}")
    mine = annotate(
        statement_of(readout, 2),
        annotator,
        speaker=catalogue["xi"],
        cue="pointed out",
        stances=[(Target.objects.get(slug=f"t{n}"), "favor") for n in range(targets)],
    )
    client = client_for(annotator)  # real token authentication: its queries count
    url = f"/api/annotations/{mine.pk}/"
    stances = [{"target": f"t{n}", "stance": "against" if n % 2 else "favor"} for n in range(targets)]
    stances.append({"target": "interference", "stance": "against"})
    body = {"cue": "should oppose", "speaker": "alexander-lukashenko", "stances": stances}
    with CaptureQueriesContext(connection) as captured:
        response = client.patch(url, body, format="json", HTTP_IF_MATCH=f'"{mine.pk}-1"')
    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{mine.pk}-2"'
    # The test's own transaction turns the service's BEGIN/COMMIT (never logged) into logged savepoints.
    queries = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(queries) <= 10, "\n".join(queries)
    assert response.json()["speaker"] == "alexander-lukashenko" and len(response.json()["stances"]) == targets + 1


def test_the_service_api_suits_an_importer(db, readout, annotator, catalogue):
    """A record in, errors by field out; an operator writes a named user's reading; an update keeps
    the reading's origin."""
    operator = None
    with pytest.raises(annotating.NotEditable):
        annotating.create(annotator, record(), annotator=None, origin="import")
    saved = annotating.save(operator, record(), annotator=annotator, operator=True)
    assert saved.created and saved.record["annotator"] == "annotator1" and saved.record["origin"] == "human"
    again = annotating.save(operator, record(cue="should oppose"), annotator=annotator, origin="import", operator=True)
    assert not again.created and again.record["origin"] == "human" and again.annotation.version == 2
    for bad, fields in (
        (record(speaker="nobody"), {"speaker"}),
        (record(cue="declared", speaker=None, stances=[]), {"speaker", "cue"}),
    ):
        with pytest.raises(annotating.ValidationError) as refused:
            annotating.save(operator, bad, annotator=annotator, operator=True)
        assert set(refused.value.message_dict) == fields
    continued = record(3, attribution="continued", cue="")
    with pytest.raises(annotating.ValidationError) as refused:
        annotating.save(operator, continued, annotator=None, operator=True)  # human, but nobody's
    assert set(refused.value.message_dict) == {"annotator"}
    anonymous = annotating.save(operator, continued, annotator=None, origin="import", operator=True)
    assert (anonymous.record["annotator"], anonymous.record["origin"]) == (None, "import")


# --------------------------------------------------------------------------- locks and races


@contextmanager
def row_locked(pk: int):
    """Another connection writes annotation ``pk`` and keeps its transaction open; the test's
    connection waits for locks as briefly as its backend allows."""
    vendor = connection.vendor
    if vendor == "sqlite":  # the test database is a shared-cache in-memory database: a second connection
        holder = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute(f"UPDATE {ANNOTATIONS} SET version = version WHERE id = ?", [pk])
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")  # reads pass; the write meets the lock
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 0")
        return
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(f"UPDATE {ANNOTATIONS} SET version = version WHERE id = %s", [pk])
    wait, reset = {
        "postgresql": ("SET lock_timeout = '200ms'", "RESET lock_timeout"),
        "mysql": ("SET SESSION innodb_lock_wait_timeout = 1", "SET SESSION innodb_lock_wait_timeout = DEFAULT"),
    }[vendor]
    with connection.cursor() as cursor:
        cursor.execute(wait)
    try:
        yield
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute(reset)


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_a_json_503_with_retry_after_and_writes_nothing(readout, annotator, catalogue):
    mine = annotate(statement_of(readout, 2), annotator, speaker=catalogue["xi"], cue="pointed out")
    client = client_for(annotator)
    url = f"/api/annotations/{mine.pk}/"
    with row_locked(mine.pk):
        patched = client.patch(url, {"cue": "should oppose"}, format="json", HTTP_IF_MATCH=f'"{mine.pk}-1"')
        deleted = client.delete(url)
    for response in (patched, deleted):
        assert response.status_code == 503, response.content
        assert response["Content-Type"].startswith("application/json")
        assert response["Retry-After"] == "1"
        assert "busy" in response.json()["detail"]
    mine.refresh_from_db()
    assert (mine.cue, mine.version) == ("pointed out", 1)
    assert client.patch(url, {"cue": "should oppose"}, format="json").status_code == 200  # and then it works


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_in_the_admin_is_a_503_page(client, readout, annotator, catalogue):
    mine = annotate(statement_of(readout, 2), annotator, speaker=catalogue["xi"], cue="pointed out")
    client.force_login(annotator)
    data = reading_data(speaker=catalogue["xi"], attribution="continued", version=mine.version)
    page = reverse("admin:readout_annotations_statement_annotate", args=[mine.statement_id])
    with row_locked(mine.pk):
        response = client.post(page, data)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "The database is busy" in response.content.decode()
    mine.refresh_from_db()
    assert (mine.attribution, mine.version) == ("explicit", 1)


@pytest.mark.django_db
def test_a_duplicate_create_is_a_409_naming_my_annotation(readout, annotator):
    client = client_for(annotator)
    first = client.post("/api/annotations/", record(), format="json").json()
    response = client.post("/api/annotations/", record(cue="should oppose"), format="json")
    assert response.status_code == 409
    assert f"annotation {first['id']}" in response.json()["detail"]
