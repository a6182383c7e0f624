"""A host whose user model logs in by e-mail and has no ``username`` (tests/settings_email.py).

Every page, export and import that names an annotator uses the user model's ``USERNAME_FIELD``
(``get_username()``): on such a host the reviewer's progress page, comparison, agreement and the
annotation list name annotators by e-mail, never by the origin "human", and nothing queries
``annotator__username``.

Under the ordinary test settings, ``test_the_email_host_suite`` runs this module and the admin
review and annotation tests in a subprocess under ``tests.settings_email``, on the same database
backend (``TEST_DATABASE``) with a test database of its own.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from readout_annotations.models import Annotation
from readout_annotations.roles import ANNOTATORS, REVIEWERS

from .test_admin import annotate, catalog, make_gold, url

EMAIL_HOST = settings.AUTH_USER_MODEL == "email_host.User"
ROOT = Path(__file__).resolve().parent.parent

#: What the subprocess runs on the e-mail host, besides this module.
ALSO_ON_THE_EMAIL_HOST = ("tests/test_admin_review.py", "tests/test_admin_annotations.py", "tests/test_agreement.py")

on_the_email_host = pytest.mark.skipif(not EMAIL_HOST, reason="runs on the e-mail host: test_the_email_host_suite")


@pytest.mark.skipif(EMAIL_HOST, reason="this is the e-mail host already")
def test_the_email_host_suite():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_email",
        # Never the parent's test database: a parallel run on PostgreSQL or MariaDB would drop it.
        "TEST_DATABASE_NAME": os.environ.get("TEST_DATABASE_NAME", "readout_annotations") + "_email",
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not browser"]
    command += ["--ds=tests.settings_email", "tests/test_email_host.py", *ALSO_ON_THE_EMAIL_HOST]
    command += ["--deselect", "tests/test_email_host.py::test_the_email_host_suite"]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary


# --------------------------------------------------------------------------- on the e-mail host


@pytest.fixture
def people(roles):
    users = get_user_model().objects
    made = {
        "ann": users.create_user("ann@example.org", password="pw", is_staff=True),
        "bob": users.create_user("bob@example.org", password="pw", is_staff=True),
        "rev": users.create_user("rev@example.org", password="pw", is_staff=True),
    }
    made["ann"].groups.add(Group.objects.get(name=ANNOTATORS))
    made["bob"].groups.add(Group.objects.get(name=ANNOTATORS))
    made["rev"].groups.add(Group.objects.get(name=REVIEWERS))
    return made


@pytest.fixture
def read(small_readout, people):
    xi, lukashenko, taiwan, _bri = catalog()
    statement = small_readout.statements.get(number=2)
    first = annotate(statement, people["ann"], speaker=xi, cue="pointed out", stances=[(taiwan, "favor")])
    second = annotate(statement, people["bob"], speaker=lukashenko, cue="pointed out")
    make_gold(annotate(small_readout.statements.get(number=3), people["ann"], speaker=xi, cue="supports"))
    return small_readout, statement, first, second


@on_the_email_host
def test_the_host_user_model_has_no_username():
    model = get_user_model()
    assert model.USERNAME_FIELD == "email"
    assert "username" not in {field.name for field in model._meta.get_fields()}


@on_the_email_host
def test_reviewer_pages_name_annotators_by_email(read, people):
    readout, statement, *_ = read
    client = Client()
    client.force_login(people["rev"])
    for page in (
        url("readout_progress", readout.pk),
        url("statement_compare", statement.pk),
        url("readout_agreement", readout.pk),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        content = response.content.decode()
        assert "ann@example.org" in content and "bob@example.org" in content, page
    progress = client.get(url("readout_progress", readout.pk))
    assert [column.name for column in progress.context["columns"]] == ["ann@example.org", "bob@example.org"]
    changelist = client.get(url("annotation_changelist"))
    columns = list(changelist.context["cl"].list_display)
    by_author = client.get(url("annotation_changelist") + f"?o={columns.index('author_column')}")
    assert by_author.status_code == 200
    shown = [row.annotator.get_username() for row in by_author.context["cl"].result_list]
    assert shown == sorted(shown) and "bob@example.org" in shown


@on_the_email_host
def test_api_and_exports_name_annotators_by_email(read, people):
    api = APIClient()
    api.force_authenticate(people["rev"])
    rows = api.get("/api/annotations/").json()["results"]
    assert {row["annotator"] for row in rows} == {"ann@example.org", "bob@example.org"}
    out = io.StringIO()
    call_command("export_annotations", "--format", "jsonl", "--all", stdout=out, stderr=io.StringIO())
    assert {json.loads(line)["annotator"] for line in out.getvalue().splitlines()} == {
        "ann@example.org",
        "bob@example.org",
    }


@on_the_email_host
def test_imports_find_annotators_by_email(read, people, tmp_path):
    readout, *_ = read
    record = {
        "readout": readout.slug,
        "statement": 1,
        "annotator": "bob@example.org",
        "attribution": "narration",
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_annotations", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Annotation.objects.get(statement__number=1, statement__readout=readout).annotator == people["bob"]
