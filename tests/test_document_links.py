"""A readout's link to a host document (``readout_annotations.documents``).

The test host has no document model of its own; a ``Group`` stands in for one (a doccano
example in the doccano check, ``hosts/doccano/check.py``).
"""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from readout_annotations import documents
from readout_annotations.models import Readout

from .conftest import make_readout


@pytest.fixture
def host_document(db) -> Group:
    return Group.objects.create(name="a host document")


def test_parse_reference_finds_the_host_object(host_document):
    assert documents.parse_reference(f"auth.group:{host_document.pk}") == host_document
    assert documents.parse_reference(f" Auth.Group:{host_document.pk} ") == host_document


@pytest.mark.parametrize("value", ["auth.group", "group:1", "", ":1", "auth.:1", ".group:1", "auth.group:"])
def test_parse_reference_refuses_what_is_not_a_reference(db, value):
    with pytest.raises(ValidationError) as error:
        documents.parse_reference(value)
    assert error.value.code == "invalid"


def test_parse_reference_refuses_an_unknown_model(db):
    with pytest.raises(ValidationError) as error:
        documents.parse_reference("nosuchapp.example:1")
    assert error.value.code == "unknown_type"


@pytest.mark.parametrize("pk", ["999999", "not-a-number"])
def test_parse_reference_refuses_a_missing_object(db, pk):
    with pytest.raises(ValidationError) as error:
        documents.parse_reference(f"auth.group:{pk}")
    assert error.value.code == "not_found"


def test_a_readout_is_not_its_own_host_document(small_readout):
    with pytest.raises(ValidationError) as error:
        documents.parse_reference(f"readout_annotations.readout:{small_readout.pk}")
    assert error.value.code == "invalid"


def test_reference_shows_the_link(small_readout, host_document):
    assert documents.reference(small_readout) is None
    small_readout.document = host_document
    small_readout.save()
    small_readout.refresh_from_db()
    assert small_readout.document == host_document
    assert documents.reference(small_readout) == {"type": "auth.group", "id": str(host_document.pk)}


def test_readouts_for_is_the_other_direction(host_document, django_assert_num_queries):
    linked = make_readout("linked", document=host_document)
    make_readout("unlinked")
    other = Group.objects.create(name="another document")
    make_readout("linked-elsewhere", document=other)
    permission_type = ContentType.objects.get_for_model(Permission)
    make_readout("same-id-other-type", document_type=permission_type, document_id=str(host_document.pk))
    documents.readouts_for(host_document).count()  # warm the content type cache
    with django_assert_num_queries(1):
        assert list(documents.readouts_for(host_document)) == [linked]


def test_link_sets_changes_and_removes_the_link(small_readout, host_document, django_assert_num_queries):
    assert documents.link(small_readout, host_document) is True
    small_readout.refresh_from_db()
    assert small_readout.document == host_document
    with django_assert_num_queries(0):
        assert documents.link(small_readout, host_document) is False
    other = Group.objects.create(name="another document")
    assert documents.link(small_readout, other) is True
    assert list(documents.readouts_for(other)) == [small_readout]
    assert list(documents.readouts_for(host_document)) == []
    assert documents.link(small_readout, None) is True
    small_readout.refresh_from_db()
    assert (small_readout.document_type, small_readout.document_id) == (None, "")
    assert documents.link(small_readout, None) is False


READOUT_FILE = "Talks\n2023-03-01 20:00\n\nThe talks took place. Xi pointed out that both sides agree.\n"


def import_readout(*args: str) -> str:
    out = StringIO()
    call_command("import_readout", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_readout_links_the_host_document(host_document, tmp_path):
    path = tmp_path / "talks.txt"
    path.write_text(READOUT_FILE, encoding="utf-8")
    import_readout("--document", f"auth.group:{host_document.pk}", str(path))
    readout = Readout.objects.get(slug="talks")
    assert readout.document == host_document
    assert list(documents.readouts_for(host_document)) == [readout]
    other = Group.objects.create(name="another document")
    import_readout("--document", f"auth.group:{other.pk}", str(path))  # same file: only the link changes
    assert Readout.objects.get(slug="talks").document == other


@pytest.mark.parametrize(
    "reference, message",
    [("auth.group", "not a document reference"), ("nosuchapp.example:1", "no model"), ("auth.group:999999", "no ")],
)
def test_import_readout_refuses_a_bad_document_and_writes_nothing(db, tmp_path, reference, message):
    path = tmp_path / "talks.txt"
    path.write_text(READOUT_FILE, encoding="utf-8")
    with pytest.raises(CommandError, match=f"--document: .*{message}"):
        import_readout("--document", reference, str(path))
    assert not Readout.objects.exists()


def test_import_readout_links_one_file_only(host_document, tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(READOUT_FILE, encoding="utf-8")
    with pytest.raises(CommandError, match="single file"):
        import_readout("--document", f"auth.group:{host_document.pk}", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert not Readout.objects.exists()


def test_the_api_shows_the_link(client, annotator, small_readout, host_document):
    client.force_login(annotator)
    assert client.get("/api/readouts/small-readout/").json()["document"] is None
    documents.link(small_readout, host_document)
    expected = {"type": "auth.group", "id": str(host_document.pk)}
    assert client.get("/api/readouts/small-readout/").json()["document"] == expected
    assert client.get("/api/readouts/").json()["results"][0]["document"] == expected


def test_the_api_import_links_the_document(client, reviewer, host_document):
    client.force_login(reviewer)
    upload = SimpleUploadedFile("talks.txt", READOUT_FILE.encode(), content_type="text/plain")
    answer = client.post("/api/readouts/import/", {"file": upload, "document": f"auth.group:{host_document.pk}"})
    assert answer.status_code == 201, answer.content
    assert Readout.objects.get(slug="talks").document == host_document
    assert client.get("/api/readouts/talks/").json()["document"] == {"type": "auth.group", "id": str(host_document.pk)}


def test_the_api_import_refuses_a_bad_document_and_writes_nothing(client, reviewer):
    client.force_login(reviewer)
    upload = SimpleUploadedFile("talks.txt", READOUT_FILE.encode(), content_type="text/plain")
    answer = client.post("/api/readouts/import/", {"file": upload, "document": "auth.group:999999"})
    assert answer.status_code == 400
    assert list(answer.json()) == ["document"]
    assert not Readout.objects.exists()
