"""The database connection dies in the middle of an import: nothing is half-written, a re-run completes.

The fault is real: at a chosen statement of the import (an ``execute_wrapper``, Django's hook on
every SQL statement of a connection), a *second* connection kills the import's server session
(PostgreSQL ``pg_terminate_backend``, MariaDB ``KILL``), and the statement then runs on a dead
connection. Nothing of our code is replaced. SQLite has no server session to kill: skipped.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client

from readout_annotations.models import Annotation, Readout, Speaker, Stance, Statement, Target

from .conftest import SMALL_TEXT, make_readout

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no server session to kill"),
]

ANNOTATIONS = Annotation._meta.db_table
STANCES = Stance._meta.db_table


def session_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def kill(victim: int) -> None:
    """Kill the server session ``victim`` from a second connection (and wait until it is gone)."""
    second = connection.get_new_connection(connection.get_connection_params())
    try:
        with second.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [victim])
                assert cursor.fetchone()[0] is True
            else:
                cursor.execute(f"KILL CONNECTION {int(victim)}")
    finally:
        second.close()


class DropConnection:
    """An execute wrapper: just before the ``nth`` INSERT into ``table``, the session is killed."""

    def __init__(self, table: str, nth: int) -> None:
        self.table, self.nth, self.inserts, self.fired = table, nth, 0, False
        self.victim = session_id()

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and self.table in sql.split("(")[0]:
            self.inserts += 1
            if self.inserts == self.nth:
                self.fired = True
                kill(self.victim)
        return execute(sql, params, many, context)


def run_dropping(table: str, nth: int, function) -> DropConnection:
    """Run ``function`` with the connection killed at the ``nth`` INSERT into ``table``; it must fail."""
    drop = DropConnection(table, nth)
    with connection.execute_wrapper(drop), pytest.raises(DatabaseError):
        function()
    assert drop.fired, f"the import never reached INSERT number {nth} into {table}"
    connection.close()  # the dead connection goes; the next query opens a new one
    return drop


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Readout, Statement, Annotation, Stance, Speaker, Target)
    }


def readout_file(directory: Path, slug: str, sentences: int) -> Path:
    body = "\n\n".join(f"Xi said that point {n} of {slug} matters. Lukashenko agreed." for n in range(sentences))
    path = directory / f"{slug}.txt"
    path.write_text(f"Talks on {slug}\n2023-03-01 10:00\n\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def speakers(transactional_db):
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    Speaker.objects.create(slug="alexander-lukashenko", name="Alexander Lukashenko", aliases=["Lukashenko"])


def test_import_readout_dropped_mid_file_writes_nothing_and_reruns(tmp_path, speakers):
    path = readout_file(tmp_path, "one-big-readout", 200)
    before = counts()

    # The readout and its 400 statements are written; the proposals' INSERT hits a dead session.
    run_dropping(ANNOTATIONS, 1, lambda: call_command("import_readout", str(path), stdout=io.StringIO()))

    assert counts() == before
    out = io.StringIO()
    call_command("import_readout", str(path), stdout=out)
    assert "created one-big-readout (400 statements, 400 proposals)" in out.getvalue()
    readout = Readout.objects.get(slug="one-big-readout")
    assert readout.statements.count() == Annotation.objects.filter(statement__readout=readout).count() == 400


def test_import_readout_dropped_in_the_second_of_three_files_keeps_whole_files_only(tmp_path, speakers):
    paths = [str(readout_file(tmp_path, f"readout-{n}", 30)) for n in range(3)]

    run_dropping(ANNOTATIONS, 2, lambda: call_command("import_readout", *paths, stdout=io.StringIO()))

    # One transaction per file: the first is whole, the second left nothing, the third never began.
    assert list(Readout.objects.values_list("slug", flat=True)) == ["readout-0"]
    assert Statement.objects.count() == Annotation.objects.count() == 60
    out = io.StringIO()
    call_command("import_readout", *paths, stdout=out)
    assert "3 of 3 files imported (2 created, 0 replaced, 1 unchanged)" in out.getvalue()
    for readout in Readout.objects.all():
        assert readout.statements.count() == Annotation.objects.filter(statement__readout=readout).count() == 60


def test_api_import_dropped_mid_request_is_a_500_that_writes_nothing(speakers, reviewer):
    client = Client(raise_request_exception=False)
    client.force_login(reviewer)
    body = "Talks\n2023-03-01 10:00\n\n" + " ".join(f"Xi said that point {n} matters." for n in range(100))
    before = counts()

    drop = DropConnection(ANNOTATIONS, 1)
    with connection.execute_wrapper(drop):
        response = client.post("/api/readouts/import/?slug=dropped", body, content_type="text/plain")
    connection.close()

    assert drop.fired
    assert response.status_code == 500
    assert counts() == before
    client.force_login(reviewer)
    response = client.post("/api/readouts/import/?slug=dropped", body, content_type="text/plain")
    assert response.status_code == 201, response.content
    assert response.json()["statements"] == 100


def test_import_annotations_dropped_mid_file_writes_nothing_and_reruns(tmp_path, annotator, other_annotator):
    Target.objects.create(slug="bri", name="Belt and Road Initiative")
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")
    readouts = [make_readout(f"readout-{n}", SMALL_TEXT) for n in range(10)]
    lines = [
        json.dumps(
            {  # a reading the guideline accepts: a stance needs a speaker
                "readout": readout.slug,
                "statement": number,
                "speaker": "xi-jinping",
                "attribution": "continued",
                "mode": "indirect",
                "stances": [{"target": "bri", "stance": "favor"}],
                "annotator": user.username,
            }
        )
        for readout in readouts
        for number in range(1, 5)
        for user in (annotator, other_annotator)
    ]
    path = tmp_path / "annotations.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts()

    # Well into the file: 50 annotations (and their stances) are written when the session dies.
    run_dropping(ANNOTATIONS, 51, lambda: call_command("import_annotations", str(path), stdout=io.StringIO()))

    assert counts() == before
    out = io.StringIO()
    call_command("import_annotations", str(path), stdout=out)
    assert "80 annotations created, 0 updated" in out.getvalue()
    assert Annotation.objects.count() == Stance.objects.count() == 80
