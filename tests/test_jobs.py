"""Jobs (``readout_annotations.jobs``) on the immediate Tasks backend: the API's 202 and job
resource, blind rules at run time, failures that leave nothing behind, lost workers, pruning.

The same jobs on a real worker process (the database backend's ``db_worker``, and RQ) are in
``tests/test_jobs_worker.py``.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from readout_annotations import jobs
from readout_annotations.models import Annotation, Job, Readout, Speaker

SEED = Path(__file__).resolve().parent.parent / "fixtures"
READOUT_FILE = b"A meeting\n2024-05-14 21:05\n\nXi said that peace matters. The two sides agreed.\n"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def corpus(small_readout, annotator, other_annotator, reviewer):
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    second, third = small_readout.statements.get(number=2), small_readout.statements.get(number=3)
    Annotation.objects.create(
        statement=second, annotator=annotator, speaker=xi, attribution="explicit", cue="pointed out"
    )
    Annotation.objects.create(statement=second, annotator=other_annotator, speaker=xi, attribution="inferred")
    Annotation.objects.create(statement=third, annotator=other_annotator, attribution="narration", gold=True)
    return small_readout


def download(client, job_json) -> bytes:
    response = client.get(job_json["download"])
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("export_format", ["jsonl", "csv", "w3c", "dna", "doccano", "labelstudio"])
def test_async_export_is_a_202_job_whose_file_equals_the_streamed_export(
    corpus, annotator, export_format, django_capture_on_commit_callbacks
):
    client = client_for(annotator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/export/?async=1&all=1&format={export_format}")
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    job = client.get(response["Location"]).json()
    assert job["status"] == "succeeded", job
    assert job["kind"] == "export"
    assert job["progress"]["done"] == job["progress"]["total"]
    streamed = b"".join(client.get(f"/api/export/?all=1&format={export_format}").streaming_content)
    assert download(client, job) == streamed
    assert streamed  # not two empty files


def test_an_export_job_applies_blind_rules_for_whoever_asked(corpus, annotator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(annotator).post("/api/export/?async=1&all=1")
    data = download(client_for(annotator), client_for(annotator).get(response["Location"]).json()).decode()
    rows = [json.loads(line) for line in data.splitlines()]
    # the annotator's own reading only: not other_annotator's, nor their gold
    assert [(row["statement"], row["annotator"]) for row in rows] == [(2, annotator.get_username())]


def test_another_annotators_job_is_a_404_and_a_reviewer_sees_it(
    corpus, annotator, other_annotator, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(annotator).post("/api/export/?async=1")
    url = response["Location"]
    assert client_for(other_annotator).get(url).status_code == 404
    assert client_for(other_annotator).get(url + "download/").status_code == 404
    assert client_for(other_annotator).get("/api/jobs/").json()["count"] == 0
    assert client_for(reviewer).get(url).status_code == 200
    assert client_for(annotator).get("/api/jobs/").json()["count"] == 1
    assert APIClient().get(url).status_code in (401, 403)


def test_a_post_export_above_the_size_limit_becomes_a_job_and_below_it_streams(
    corpus, reviewer, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    with override_settings(READOUT_ANNOTATIONS_ASYNC_EXPORT_RECORDS=2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/export/?all=1").status_code == 202
        small = client.post("/api/export/?all=1&readout=nothing-here")
        assert small.status_code == 400 and "readout" in small.json()
    with override_settings(READOUT_ANNOTATIONS_ASYNC_EXPORT_RECORDS=1000):
        response = client.post("/api/export/?all=1")
        assert response.status_code == 200 and response.streaming


def test_bad_export_parameters_are_a_400_by_field_and_make_no_job(corpus, reviewer):
    response = client_for(reviewer).post("/api/export/?async=1&format=xml")
    assert response.status_code == 400 and "format" in response.json()
    assert not Job.objects.exists()


def test_an_async_import_of_several_files_imports_them_all(reviewer, django_capture_on_commit_callbacks):
    files = [io.BytesIO(READOUT_FILE), io.BytesIO(READOUT_FILE.replace(b"A meeting", b"Another meeting"))]
    files[0].name, files[1].name = "first.txt", "second.txt"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(
            "/api/readouts/import/?async=1&timezone=Europe/Berlin", {"file": files}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = client_for(reviewer).get(response["Location"]).json()
    assert job["status"] == "succeeded", job
    assert [r["slug"] for r in job["summary"]["readouts"]] == ["first", "second"]
    assert job["progress"] == {"done": 2, "total": 2}
    assert set(Readout.objects.values_list("slug", flat=True)) == {"first", "second"}


def test_a_failed_import_job_records_the_error_and_leaves_nothing_half_written(
    reviewer, django_capture_on_commit_callbacks
):
    bad, good = io.BytesIO(b"A title\nnot a timestamp\n\nBody.\n"), io.BytesIO(READOUT_FILE)
    good.name, bad.name = "good.txt", "bad.txt"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post("/api/readouts/import/?async=1", {"file": [bad, good]}, format="multipart")
    job = client_for(reviewer).get(response["Location"]).json()
    assert job["status"] == "failed"
    assert "bad.txt" in job["errors"][0] and "line 2" in job["errors"][0]
    assert job["download"] is None
    assert not Readout.objects.exists()  # bad.txt stopped the job: nothing of it, and good.txt not begun


def test_an_annotator_cannot_import_even_through_a_job(annotator):
    upload = io.BytesIO(READOUT_FILE)
    upload.name = "x.txt"
    response = client_for(annotator).post("/api/readouts/import/?async=1", {"file": upload}, format="multipart")
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_async_import_refuses_bad_parameters_before_making_a_job(reviewer):
    upload = io.BytesIO(READOUT_FILE)
    upload.name = "x.txt"
    response = client_for(reviewer).post(
        "/api/readouts/import/?async=1&timezone=Mars/Olympus", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400 and "timezone" in response.json()
    assert client_for(reviewer).post("/api/readouts/import/?async=1", {}, format="multipart").status_code == 400
    assert not Job.objects.exists()


def test_permission_is_checked_again_when_the_job_runs(corpus, annotator, django_capture_on_commit_callbacks):
    job = jobs.submit(Job.Kind.EXPORT, annotator, {"all": True})
    annotator.groups.clear()
    annotator.is_active = True
    annotator.save()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=annotator.pk)  # a fresh permission cache
    Job.objects.filter(pk=job.pk).update(user=user)
    assert jobs.execute(str(job.uuid)) == "failed"
    job.refresh_from_db()
    assert "permission" in job.errors[0]
    assert not job.result


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(corpus, reviewer, django_capture_on_commit_callbacks):
    job = jobs.submit(Job.Kind.AGREEMENT, reviewer)
    assert jobs.execute(str(job.uuid)) == "succeeded"
    first = Job.objects.get(pk=job.pk)
    assert jobs.execute(str(job.uuid)) == "succeeded"
    again = Job.objects.get(pk=job.pk)
    assert (again.attempts, again.finished_at) == (first.attempts, first.finished_at) == (1, first.finished_at)
    assert default_storage.open(again.result.name).read().startswith(b"{")


def test_a_job_whose_worker_died_is_failed_after_the_heartbeat_timeout_and_can_run_again(
    corpus, reviewer, django_capture_on_commit_callbacks
):
    job = jobs.submit(Job.Kind.EXPORT, reviewer, {"all": True})
    stale = timezone.now() - timedelta(seconds=301)
    Job.objects.filter(pk=job.pk).update(status="running", started_at=stale, heartbeat_at=stale)
    client = client_for(reviewer)
    data = client.get(f"/api/jobs/{job.uuid}/").json()
    assert data["status"] == "failed" and "no heartbeat" in data["errors"][0]
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"/api/jobs/{job.uuid}/retry/")
    assert retried.status_code == 202
    assert client.get(f"/api/jobs/{job.uuid}/").json()["status"] == "succeeded"
    assert client.post(f"/api/jobs/{job.uuid}/retry/").status_code == 409  # only failed jobs


def test_a_running_job_with_a_fresh_heartbeat_is_left_running(corpus, reviewer):
    job = jobs.submit(Job.Kind.EXPORT, reviewer)
    Job.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())
    assert jobs.mark_lost() == 0
    assert Job.objects.get(pk=job.pk).status == "running"


def test_prune_readout_jobs_deletes_old_jobs_and_their_files(corpus, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = jobs.submit(Job.Kind.EXPORT, reviewer, {"all": True})
        new = jobs.submit(Job.Kind.EXPORT, reviewer, {"all": True})
    old.refresh_from_db()
    new.refresh_from_db()
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    assert default_storage.exists(old.result.name)
    out = io.StringIO()
    call_command("prune_readout_jobs", "--days", "7", stdout=out)
    assert "1 job" in out.getvalue()
    assert list(Job.objects.values_list("pk", flat=True)) == [new.pk]
    assert not default_storage.exists(old.result.name)
    assert default_storage.exists(new.result.name)


def test_the_job_list_costs_the_same_queries_for_one_job_as_for_twenty(corpus, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(reviewer)
    client.get("/api/jobs/")  # the user's permissions, cached on the user from here on
    counts = []
    for total in (1, 20):
        while Job.objects.count() < total:
            jobs.submit(Job.Kind.EXPORT, reviewer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/jobs/").json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5, counts


def test_the_admin_shows_a_user_their_own_jobs_with_progress_refresh_and_download(
    corpus, annotator, other_annotator, reviewer, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = jobs.submit(Job.Kind.EXPORT, annotator, {"all": True})
    theirs = jobs.submit(Job.Kind.EXPORT, other_annotator, {"all": True})  # still queued
    client.force_login(annotator)
    listing = client.get("/admin/readout_annotations/job/")
    assert listing.status_code == 200
    assert str(mine.uuid) in listing.content.decode() and str(theirs.uuid) not in listing.content.decode()
    page = client.get(f"/admin/readout_annotations/job/{mine.pk}/change/")
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.content.decode()  # finished
    file = client.get(f"/admin/readout_annotations/job/{mine.pk}/download/")
    assert file.status_code == 200 and b"".join(file.streaming_content).count(b"\n") == 1
    assert client.get(f"/admin/readout_annotations/job/{theirs.pk}/download/").status_code == 404
    assert client.get(f"/admin/readout_annotations/job/{theirs.pk}/change/").status_code in (302, 404)
    client.force_login(reviewer)
    running = client.get(f"/admin/readout_annotations/job/{theirs.pk}/change/")
    assert running.status_code == 200 and 'http-equiv="refresh"' in running.content.decode()


def test_the_admin_job_page_counts_selected_annotations_below_its_result(
    reviewer, client, django_capture_on_commit_callbacks
):
    """The admin's "export selected" keeps the ids in its parameters; its page counts them, and the
    download link comes first (91 ids, one a line, pushed it about 2,000 px down)."""
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.submit(Job.Kind.EXPORT, reviewer, {"format": "jsonl", "annotations": list(range(1, 92))})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    client.force_login(reviewer)
    page = client.get(f"/admin/readout_annotations/job/{job.pk}/change/").content.decode()
    assert "annotations: 91 annotations; format: jsonl" in page
    assert "<li>17</li>" not in page
    link = f'<a href="/admin/readout_annotations/job/{job.pk}/download/">readout-annotations-selected.jsonl</a>'
    assert link in page and page.index(link) < page.index("91 annotations")


def test_the_admin_job_page_shows_parameters_errors_and_summary_as_text(
    reviewer, client, django_capture_on_commit_callbacks
):
    """No JSON on the job's page: an error a line, a mapping as "key: value" pairs."""
    import re

    with django_capture_on_commit_callbacks(execute=True):
        failed = jobs.submit(
            Job.Kind.IMPORT_READOUTS,
            reviewer,
            {"timezone": "UTC", "replace": False, "slug": ""},
            [("bad.txt", b"Title\n14 May 2024\n\nBody.\n")],
        )
        done = jobs.submit(
            Job.Kind.IMPORT_READOUTS,
            reviewer,
            {"timezone": "UTC", "replace": False, "slug": ""},
            [("good.txt", READOUT_FILE)],
        )
    client.force_login(reviewer)
    page = client.get(f"/admin/readout_annotations/job/{failed.pk}/change/").content.decode()
    assert (
        "<li>bad.txt: line 2: timestamp must be &#x27;YYYY-MM-DD HH:MM&#x27;, found &#x27;14 May 2024&#x27;</li>"
        in page
    )
    assert "replace: no; timezone: UTC" in page  # in key order, whatever order the database keeps
    page = client.get(f"/admin/readout_annotations/job/{done.pk}/change/").content.decode()
    good = Readout.objects.get(slug="good")
    link = f'<a href="/admin/readout_annotations/readout/{good.pk}/change/">good</a>'
    assert f"file: good.txt; proposals: 2; slug: {link}; statements: 2; status: created" in page
    Readout.objects.filter(pk=good.pk).update(slug="renamed")  # a readout gone since keeps its plain slug
    page = client.get(f"/admin/readout_annotations/job/{done.pk}/change/").content.decode()
    assert "file: good.txt; proposals: 2; slug: good; statements: 2; status: created" in page
    assert not re.search(r'[\[{]&quot;|\[&#x27;|\["', page[page.index('id="content-main"') :])


DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_with_a_worker_backend_the_admin_export_and_import_become_jobs_with_their_page(
    client, corpus, annotator, reviewer, settings
):
    settings.TASKS = DUMMY  # enqueued for a worker: nothing runs in the request
    from readout_annotations.tasks import runs_in_background

    assert runs_in_background()
    client.force_login(annotator)
    mine = list(Annotation.objects.filter(annotator=annotator).values_list("pk", flat=True))
    response = client.post(
        "/admin/readout_annotations/annotation/", {"action": "export_jsonl", "_selected_action": mine}
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/job/{job.pk}/change/")
    assert job.status == "queued" and job.parameters["annotations"] == mine
    assert jobs.execute(str(job.uuid)) == "succeeded"
    job.refresh_from_db()
    assert job.progress_done == job.progress_total == 1
    assert job.result.name.rsplit("/", 1)[-1] == "readout-annotations-selected.jsonl"  # not "-gold"
    client.force_login(reviewer)
    upload = io.BytesIO(READOUT_FILE)
    upload.name = "worker.txt"
    response = client.post("/admin/readout_annotations/readout/import/", {"files": upload, "timezone": "UTC"})
    imported = Job.objects.get(kind="import_readouts")
    assert response["Location"].endswith(f"/job/{imported.pk}/change/") and imported.status == "queued"
    assert not Readout.objects.filter(slug="worker").exists()
