"""``POST /api/readouts/import/``: the same rules and messages as ``import_readout``."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from readout_annotations.models import Annotation, Readout, Speaker, Statement

GOOD = "A short readout\n2023-03-02 09:42\n\nXi\u00a0said that ties are good. China agrees.\n\nThe talks ended.\n"
URL = "/api/readouts/import/"


@pytest.fixture
def speakers(db):
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])


def upload(client, content: str | bytes, name: str = "short-readout.txt", **fields):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="text/plain"), **fields})


def test_url_name():
    assert reverse("readout_annotations:readout-import") == URL


def test_reviewers_only(client, annotator, small_readout):
    assert upload(client, GOOD).status_code in (401, 403)
    client.force_login(annotator)
    response = upload(client, GOOD)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a reviewer can import readouts."}
    assert not Readout.objects.filter(slug="short-readout").exists()


def test_multipart_upload_creates_the_readout(client, reviewer, speakers):
    client.force_login(reviewer)
    response = upload(client, GOOD)
    assert response.status_code == 201
    assert response.json() == {"readout": "short-readout", "status": "created", "statements": 3, "proposals": 3}
    readout = Readout.objects.get()
    assert readout.statements.count() == 3
    assert Annotation.objects.filter(origin="machine", statement__readout=readout).count() == 3
    again = upload(client, GOOD)
    assert again.status_code == 200
    assert again.json() == {"readout": "short-readout", "status": "unchanged", "statements": 0, "proposals": 0}


def test_raw_text_body_needs_a_slug(client, reviewer, speakers):
    client.force_login(reviewer)
    response = client.post(URL, GOOD.encode(), content_type="text/plain")
    assert response.status_code == 400
    assert response.json() == {"slug": ["A text/plain body needs a slug (?slug=...)."]}
    response = client.post(URL + "?slug=raw-one&timezone=UTC", GOOD.encode(), content_type="text/plain; charset=utf-8")
    assert response.status_code == 201
    assert response.json()["readout"] == "raw-one"
    assert Readout.objects.get().published_at.isoformat() == "2023-03-02T09:42:00+00:00"


def test_errors_by_field_and_nothing_written(client, reviewer, speakers):
    client.force_login(reviewer)
    response = upload(client, b"Title\nMarch 2\n\nBody.")
    assert response.status_code == 400
    assert response.json() == {"file": ["line 2: timestamp must be 'YYYY-MM-DD HH:MM', found 'March 2'"]}
    assert upload(client, b"Title\n2023-03-02 09:42\n\nCaf\xe9.").json() == {
        "file": ["line 4: not valid UTF-8: invalid continuation byte (0xe9) at byte 27"]
    }
    assert upload(client, b"").json() == {"file": ["file is empty"]}
    assert client.post(URL, {}).json() == {"file": ["No file was submitted."]}
    assert upload(client, GOOD, timezone="Mars/Olympus").json() == {"timezone": ["unknown time zone 'Mars/Olympus'"]}
    assert upload(client, GOOD, slug="not a slug").status_code == 400
    assert "slug" in upload(client, GOOD, slug="not a slug").json()
    with override_settings(READOUT_ANNOTATIONS_MAX_IMPORT_BYTES=20):
        response = upload(client, GOOD)
    size = len(GOOD.encode())
    assert response.json() == {
        "file": [f"file is {size} bytes, over the limit of 20 bytes (READOUT_ANNOTATIONS_MAX_IMPORT_BYTES)"]
    }
    with override_settings(READOUT_ANNOTATIONS_MAX_IMPORT_BYTES=20):
        response = client.post(URL + "?slug=raw", GOOD.encode(), content_type="text/plain")
    assert response.json()["file"][0].startswith(f"file is {size} bytes, over the limit of 20 bytes")
    assert Readout.objects.count() == Statement.objects.count() == Annotation.objects.count() == 0


def test_changed_file_and_replace(client, reviewer, speakers, annotator):
    client.force_login(reviewer)
    upload(client, GOOD)
    changed = GOOD.replace("ended", "ended early")
    response = upload(client, changed)
    assert response.status_code == 400
    assert response.json()["replace"][0].startswith("readout 'short-readout' exists with a different title")
    response = upload(client, changed, replace="true")
    assert response.status_code == 201
    assert response.json()["status"] == "replaced"
    Annotation.objects.create(statement=Statement.objects.first(), annotator=annotator, attribution="narration")
    response = upload(client, GOOD, replace="true")
    assert response.status_code == 400
    assert response.json()["replace"] == [
        "readout 'short-readout' exists with a different title, timestamp or text and has 1 annotations by people; "
        "it cannot be replaced"
    ]
