"""The admin's "Import readout files" (the importer of ``import_readout`` as a job), a readout added
by hand (statements, machine proposals, its timestamp read in its own zone) and the browsable API's
import form (blank optional fields are not errors)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from readout_annotations.models import Annotation, Job, Readout

FILE = b"A meeting\n2024-05-14 21:05\n\nXi Jinping said that peace matters. The two sides agreed.\n"
URL = "/admin/readout_annotations/readout/import/"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(name: str, data: bytes = FILE) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def test_a_reviewer_imports_several_files_with_proposals_in_the_chosen_zone(
    client, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    listing = client.get("/admin/readout_annotations/readout/")
    assert URL in listing.content.decode()
    form = client.get(URL)
    assert form.status_code == 200 and 'name="files"' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "files": [upload("first.txt"), upload("second.txt", FILE.replace(b"A meeting", b"B"))],
                "timezone": "Europe/Berlin",
            },
            follow=True,
        )
    text = " ".join(str(message) for message in response.context["messages"])
    first = Readout.objects.get(slug="first")
    link = f'<a href="/admin/readout_annotations/readout/{first.pk}/change/">first</a>'
    assert f"first.txt: readout {link} created" in text and "2 files imported" in text, text
    assert link in response.content.decode()  # each readout linked, on the page
    assert first.published_at == dt.datetime(2024, 5, 14, 21, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (
        Annotation.objects.filter(statement__readout=first, origin="machine").count() == first.statements.count() == 2
    )
    assert Job.objects.get().status == "succeeded"


def test_a_bad_file_is_named_with_its_line_and_the_files_after_it_are_not_imported(
    client, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "files": [upload("good.txt"), upload("bad.txt", b"Title\n14 May 2024\n\nBody.\n"), upload("late.txt")],
                "timezone": "UTC",
            },
            follow=True,
        )
    text = " ".join(str(message) for message in response.context["messages"])
    assert "bad.txt: line 2" in text and "Imported before it: good.txt" in text
    assert set(Readout.objects.values_list("slug", flat=True)) == {"good"}


def test_the_import_form_refuses_a_bad_zone_and_no_files_and_changes_nothing(client, reviewer):
    client.force_login(reviewer)
    response = client.post(URL, {"files": [upload("x.txt")], "timezone": "Mars/Olympus"})
    assert response.status_code == 200 and "Unknown time zone" in response.content.decode()
    response = client.post(URL, {"timezone": "UTC"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Readout.objects.exists() and not Job.objects.exists()


@override_settings(READOUT_ANNOTATIONS_TIMEZONE="Europe/Minsk")
def test_every_route_reads_a_file_without_a_zone_in_the_one_default(
    client, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    """The form, the command and the API leave the zone to ``importing.default_zone`` (the
    READOUT_ANNOTATIONS_TIMEZONE setting): the form offers it blank, naming the default, not a
    zone of its own."""
    from django.core.management import call_command

    from readout_annotations.importing import default_zone

    assert default_zone() == "Europe/Minsk"
    client.force_login(reviewer)
    form = client.get(URL).content.decode()
    field = form[form.index('name="timezone"') - 200 : form.index('name="timezone"') + 200]
    assert 'placeholder="Europe/Minsk"' in field and "value=" not in field, field
    assert "Blank: Europe/Minsk" in form
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"files": [upload("form.txt")], "timezone": ""})
    (tmp_path / "command.txt").write_bytes(FILE)
    call_command("import_readout", str(tmp_path / "command.txt"), verbosity=0, stdout=io.StringIO())
    api = APIClient()
    api.force_authenticate(reviewer)
    assert api.post("/api/readouts/import/", {"file": upload("api.txt")}, format="multipart").status_code == 201
    minsk = dt.datetime(2024, 5, 14, 21, 5, tzinfo=ZoneInfo("Europe/Minsk"))
    assert {r.slug: (r.timezone, r.published_at) for r in Readout.objects.all()} == dict.fromkeys(
        ("form", "command", "api"), ("Europe/Minsk", minsk)
    )


def test_a_file_name_in_the_messages_is_escaped(client, reviewer, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"files": [upload("<i>bold.txt")], "timezone": "UTC"}, follow=True)
    page = response.content.decode()
    assert "&lt;i&gt;bold.txt: readout" in page and "<i>bold" not in page


def test_an_annotator_cannot_import(client, annotator):
    client.force_login(annotator)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"files": [upload("x.txt")], "timezone": "UTC"}).status_code == 403
    assert URL not in client.get("/admin/readout_annotations/readout/").content.decode()
    assert not Readout.objects.exists()


@override_settings(READOUT_ANNOTATIONS_TIMEZONE="Asia/Shanghai")
def test_a_readout_added_by_hand_gets_statements_proposals_and_its_time_in_its_zone(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        "/admin/readout_annotations/readout/add/",
        {
            "title": "By hand",
            "slug": "by-hand",
            "published_at_0": "2024-05-14",
            "published_at_1": "21:05",
            "timezone": "",
            "language": "en",
            "text": "Xi Jinping said that peace matters.\n\nThe two sides agreed.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    readout = Readout.objects.get(slug="by-hand")
    assert readout.timezone == "Asia/Shanghai"
    assert readout.published_at == dt.datetime(2024, 5, 14, 21, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert readout.statements.count() == 2
    assert Annotation.objects.filter(statement__readout=readout, origin="machine").count() == 2
    # shown again in its own zone, so saving it unchanged does not move it
    page = client.get(f"/admin/readout_annotations/readout/{readout.pk}/change/").content.decode()
    assert "21:05:00" in page, page[page.find("published_at_1") - 300 : page.find("published_at_1") + 300]


def test_the_browsable_apis_import_form_with_blank_optional_fields_imports(reviewer):
    client = APIClient()
    client.force_authenticate(reviewer)
    response = client.post(
        "/api/readouts/import/",
        {"file": upload("blank-fields.txt"), "slug": "", "timezone": "", "document": "", "replace": "false"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["readout"] == "blank-fields"
