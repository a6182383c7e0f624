"""The REST API through real requests (REST framework's APIClient, token or session auth)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from readout_annotations.models import Annotation, Speaker, Stance, Statement, Target

from .conftest import make_readout

READOUT = "small-readout"


# --------------------------------------------------------------------------- helpers (also used by test_api_*.py)


def client_for(user=None) -> APIClient:
    """An API client authenticated by the user's token (anonymous when ``user`` is None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def record(statement: int = 2, **fields) -> dict:
    """A canonical record as a client writes it."""
    return {
        "readout": READOUT,
        "statement": statement,
        "speaker": "xi-jinping",
        "attribution": "explicit",
        "mode": "indirect",
        "cue": "pointed out",
        "stances": [{"target": "interference", "stance": "against"}],
        **fields,
    }


def annotate(statement, annotator=None, *, speaker=None, attribution="explicit", stances=(), **fields) -> Annotation:
    annotation = Annotation.objects.create(
        statement=statement, annotator=annotator, speaker=speaker, attribution=attribution, **fields
    )
    Stance.objects.bulk_create(Stance(annotation=annotation, target=t, stance=s) for t, s in stances)
    return annotation


def make_gold(annotation: Annotation) -> Annotation:
    annotation.gold = True
    annotation.save()
    return annotation


def create_catalogue() -> dict:
    """Two speakers and two targets, by short name."""
    speakers = {
        "xi": Speaker.objects.create(slug="xi-jinping", name="Xi Jinping"),
        "lukashenko": Speaker.objects.create(slug="alexander-lukashenko", name="Alexander Lukashenko"),
    }
    targets = {
        "interference": Target.objects.create(slug="interference", name="Interference"),
        "bri": Target.objects.create(slug="belt-and-road", name="Belt and Road Initiative"),
    }
    return {**speakers, **targets}


@pytest.fixture
def catalogue(db) -> dict:
    return create_catalogue()


@pytest.fixture
def readout(small_readout, catalogue):
    return small_readout


def statement_of(readout, number: int):
    return readout.statements.get(number=number)


# --------------------------------------------------------------------------- who may do what

READ_URLS = [
    "/api/",
    "/api/readouts/",
    f"/api/readouts/{READOUT}/",
    "/api/statements/",
    "/api/speakers/",
    "/api/speakers/xi-jinping/",
    "/api/targets/",
    "/api/targets/interference/",
    "/api/annotations/",
    "/api/schema/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", READ_URLS)
def test_anonymous_clients_are_refused_everywhere(readout, url):
    for client in (client_for(None), APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")):
        response = client.get(url)
        assert response.status_code in (401, 403), url
        assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/api/annotations/"),
        ("put", "/api/annotations/1/"),
        ("patch", "/api/annotations/1/"),
        ("delete", "/api/annotations/1/"),
        ("post", "/api/annotations/1/accept/"),
        ("post", "/api/predictions/"),
        ("post", "/api/speakers/"),
        ("delete", "/api/targets/interference/"),
        ("get", "/api/statements/1/"),
        ("get", "/api/no-such-thing/"),
    ],
)
def test_anonymous_writes_are_refused(readout, annotator, method, url):
    annotate(statement_of(readout, 2), annotator)
    response = getattr(client_for(None), method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert Annotation.objects.count() == 1


@pytest.mark.django_db
def test_annotators_read_the_catalogue_and_statements(readout, annotator):
    client = client_for(annotator)
    for url in READ_URLS:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_user_without_model_permissions_gets_403(readout, roles):
    nobody = get_user_model().objects.create_user("nobody", password="pw")
    client = client_for(nobody)
    for url in READ_URLS[1:-1]:
        assert client.get(url).status_code == 403, url
    assert client.post("/api/annotations/", record(), format="json").status_code == 403
    # The schema describes the API to any authenticated user; it holds no data.
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_model_permissions_are_honoured_one_by_one(readout, roles):
    user = get_user_model().objects.create_user("partial", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_speaker"))
    client = client_for(user)
    assert client.get("/api/speakers/").status_code == 200
    assert client.get("/api/targets/").status_code == 403
    assert client.get("/api/annotations/").status_code == 403


@pytest.mark.django_db
def test_annotators_cannot_manage_speakers_targets_or_accept(readout, annotator):
    client = client_for(annotator)
    assert client.post("/api/speakers/", {"slug": "new", "name": "New"}, format="json").status_code == 403
    assert client.patch("/api/targets/interference/", {"name": "X"}, format="json").status_code == 403
    assert client.delete("/api/targets/interference/").status_code == 403
    mine = annotate(statement_of(readout, 2), annotator)
    assert client.post(f"/api/annotations/{mine.pk}/accept/").status_code == 403
    assert client.post("/api/predictions/", {}, format="json").status_code == 403
    assert not Annotation.objects.filter(gold=True).exists()


@pytest.mark.django_db
def test_session_authentication_works_too(readout, annotator):
    client = APIClient()
    client.force_login(annotator)
    assert client.get("/api/statements/").status_code == 200
    client.logout()
    assert client.get("/api/statements/").status_code == 403


@pytest.mark.django_db
def test_browsable_api_renders_html_for_a_logged_in_user(readout, reviewer):
    client = APIClient()
    client.force_login(reviewer)
    annotation = annotate(statement_of(readout, 2), reviewer)
    for url in ("/api/", "/api/statements/", "/api/annotations/", f"/api/annotations/{annotation.pk}/"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert b"Django REST framework" in response.content


@pytest.mark.django_db
def test_unknown_urls_under_the_api_are_json_404s(readout, annotator):
    client = client_for(annotator)
    for url in (
        "/api/nothing/",
        "/api/speakers/not.a.slug/",
        "/api/readouts/new%0Aline/",
        "/api/annotations/-1/",
        "/api/statements/abc/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    assert client.get("/api/statements/99999999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_api_root_lists_the_resources(readout, annotator):
    body = client_for(annotator).get("/api/").json()
    for name in ("readouts", "statements", "speakers", "targets", "annotations", "predictions", "schema"):
        assert body[name] == f"http://testserver/api/{name}/"


# --------------------------------------------------------------------------- annotations: create


@pytest.mark.django_db
def test_create_in_the_canonical_record_shape(readout, annotator, other_annotator):
    body = record(annotator="someone-else", gold=True, origin="machine", id=999, version=7)
    response = client_for(annotator).post("/api/annotations/", body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    annotation = Annotation.objects.get()
    assert response["Location"] == f"http://testserver/api/annotations/{annotation.pk}/"
    assert response["ETag"] == f'"{annotation.pk}-1"'
    assert data == {
        "id": annotation.pk,
        "url": response["Location"],
        "readout": READOUT,
        "statement": 2,
        "paragraph": 2,
        "start": annotation.statement.start,
        "end": annotation.statement.end,
        "text": annotation.statement.text,
        "speaker": "xi-jinping",
        "speaker_name": "Xi Jinping",
        "attribution": "explicit",
        "mode": "indirect",
        "cue": "pointed out",
        "stances": [{"target": "interference", "target_name": "Interference", "stance": "against"}],
        "annotator": "annotator1",
        "origin": "human",
        "gold": False,
        "model_name": None,
        "model_version": None,
        "version": 1,
    }
    # The annotator is the requesting user, whatever the body said; the body cannot make gold.
    assert (annotation.annotator, annotation.origin, annotation.gold) == (annotator, "human", False)


@pytest.mark.django_db
def test_create_with_only_the_required_fields(readout, annotator):
    response = client_for(annotator).post(
        "/api/annotations/", {"readout": READOUT, "statement": 1, "attribution": "narration"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["speaker"], data["mode"], data["cue"], data["stances"]) == (None, None, "", [])


@pytest.mark.django_db
def test_a_second_annotation_of_the_same_statement_is_a_409(readout, annotator, other_annotator):
    client = client_for(annotator)
    first = client.post("/api/annotations/", record(), format="json")
    again = client.post("/api/annotations/", record(attribution="inferred"), format="json")
    assert again.status_code == 409
    assert str(first.json()["id"]) in again.json()["detail"]
    assert Annotation.objects.count() == 1
    # Another annotator may annotate the same statement.
    assert client_for(other_annotator).post("/api/annotations/", record(), format="json").status_code == 201


BAD_RECORDS = [
    ({"readout": "no-such-readout"}, "readout"),
    ({"readout": "not a slug!"}, "readout"),
    ({"readout": 5}, "readout"),
    ({"statement": 99}, "statement"),
    ({"statement": 0}, "statement"),
    ({"statement": "two"}, "statement"),
    ({"statement": None}, "statement"),
    ({"speaker": "nobody-at-all"}, "speaker"),
    ({"speaker": ["xi-jinping"]}, "speaker"),
    ({"attribution": "hearsay"}, "attribution"),
    ({"attribution": None}, "attribution"),
    ({"mode": "sung"}, "mode"),
    ({"cue": "x" * 201}, "cue"),
    ({"cue": "nul\x00byte"}, "cue"),
    ({"stances": [{"target": "no-such-target", "stance": "favor"}]}, "stances"),
    ({"stances": [{"target": "interference", "stance": "love"}]}, "stances"),
    ({"stances": [{"target": "interference"}]}, "stances"),
    ({"stances": "favor"}, "stances"),
    (
        {"stances": [{"target": "interference", "stance": "favor"}, {"target": "interference", "stance": "none"}]},
        "stances",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", BAD_RECORDS)
def test_bad_records_are_400_with_the_field_named(readout, annotator, change, field):
    response = client_for(annotator).post("/api/annotations/", record(**change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_missing_fields_malformed_json_and_wrong_content_type_are_4xx(readout, annotator):
    client = client_for(annotator)
    missing = client.post("/api/annotations/", {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"readout", "statement", "attribution"}
    malformed = client.post("/api/annotations/", '{"readout": ', content_type="application/json")
    assert malformed.status_code == 400
    assert "JSON parse error" in malformed.json()["detail"]
    not_an_object = client.post("/api/annotations/", "[1, 2]", content_type="application/json")
    assert not_an_object.status_code == 400
    form = client.post("/api/annotations/", {"readout": READOUT}, format="multipart")
    assert form.status_code == 415
    assert not Annotation.objects.exists()


# --------------------------------------------------------------------------- annotations: read, visibility


@pytest.mark.django_db
def test_annotators_see_only_their_own_annotations(readout, annotator, other_annotator, reviewer):
    mine = annotate(statement_of(readout, 2), annotator)
    theirs = annotate(statement_of(readout, 3), other_annotator)
    client = client_for(annotator)

    listed = client.get("/api/annotations/").json()
    assert listed["count"] == 1
    assert [a["id"] for a in listed["results"]] == [mine.pk]
    assert client.get(f"/api/annotations/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/annotations/?readout={READOUT}&statement=3").json()["count"] == 0
    assert client.get("/api/annotations/?origin=human").json()["count"] == 1
    assert client.patch(f"/api/annotations/{theirs.pk}/", {"cue": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/annotations/{theirs.pk}/").status_code == 404
    assert Annotation.objects.filter(pk=theirs.pk).exists()

    everything = client_for(reviewer).get("/api/annotations/").json()
    assert [a["id"] for a in everything["results"]] == [mine.pk, theirs.pk]


@pytest.mark.django_db
def test_retrieve_carries_the_etag(readout, annotator):
    annotation = annotate(statement_of(readout, 2), annotator)
    annotation.save()  # version 2
    response = client_for(annotator).get(f"/api/annotations/{annotation.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{annotation.pk}-2"'
    assert response.json()["version"] == 2


@pytest.mark.django_db
def test_annotation_filters(readout, annotator, reviewer, catalogue):
    statement = statement_of(readout, 2)
    human = make_gold(annotate(statement, annotator, speaker=catalogue["xi"]))
    machine = annotate(statement, None, origin="machine", machine_name="m", machine_version="1")
    own = annotate(statement_of(readout, 3), reviewer)
    other_readout = make_readout("other-readout")
    elsewhere = annotate(other_readout.statements.get(number=1), annotator)
    client = client_for(reviewer)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/annotations/?{query}")
        assert response.status_code == 200, response.json()
        return [a["id"] for a in response.json()["results"]]

    assert ids(f"readout={READOUT}") == [human.pk, machine.pk, own.pk]
    assert ids(f"readout={READOUT}&statement=2") == [human.pk, machine.pk]
    assert ids("annotator=me") == [own.pk]
    assert ids("origin=machine") == [machine.pk]
    assert ids("gold=true") == [human.pk]
    assert ids("gold=false&origin=human") == [own.pk, elsewhere.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("readout=nope", "readout"),
        ("statement=2", "statement"),
        (f"readout={READOUT}&statement=zero", "statement"),
        ("annotator=annotator2", "annotator"),
        ("origin=alien", "origin"),
        ("gold=yes", "gold"),
    ],
)
def test_bad_annotation_filters_are_400_naming_the_parameter(readout, reviewer, query, parameter):
    response = client_for(reviewer).get(f"/api/annotations/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


# --------------------------------------------------------------------------- annotations: change, delete, ETag


@pytest.mark.django_db
def test_put_replaces_the_reading_and_returns_the_new_etag(readout, annotator):
    client = client_for(annotator)
    created = client.post("/api/annotations/", record(), format="json")
    url, tag = created["Location"], created["ETag"]
    new = record(speaker="alexander-lukashenko", attribution="continued", mode=None, cue=None, stances=[])

    response = client.put(url, new, format="json", HTTP_IF_MATCH=tag)

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["speaker"], data["attribution"], data["mode"], data["cue"], data["stances"]) == (
        "alexander-lukashenko",
        "continued",
        None,
        "",
        [],
    )
    assert data["version"] == 2
    assert response["ETag"] == f'"{data["id"]}-2"'
    assert not Stance.objects.exists()


@pytest.mark.django_db
def test_patch_changes_only_what_it_names(readout, annotator):
    client = client_for(annotator)
    created = client.post("/api/annotations/", record(), format="json").json()
    response = client.patch(created["url"], {"cue": "should oppose"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["cue"] == "should oppose"
    assert (data["speaker"], data["stances"]) == (created["speaker"], created["stances"])
    assert data["version"] == 2


@pytest.mark.django_db
def test_a_stale_if_match_gets_412_and_changes_nothing(readout, annotator):
    client = client_for(annotator)
    created = client.post("/api/annotations/", record(), format="json")
    url, first_tag = created["Location"], created["ETag"]
    assert client.patch(url, {"cue": "should oppose"}, format="json", HTTP_IF_MATCH=first_tag).status_code == 200

    for method, body in (("put", record(cue="late")), ("patch", {"cue": "late"}), ("delete", None)):
        response = getattr(client, method)(url, body, format="json", HTTP_IF_MATCH=first_tag)
        assert response.status_code == 412, method
        assert "has changed" in response.json()["detail"]
    annotation = Annotation.objects.get()
    assert (annotation.cue, annotation.version) == ("should oppose", 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, expected",
    [
        ('"{id}-1"', 200),
        ('"{id}-9", "{id}-1"', 200),
        ("*", 200),
        ('W/"{id}-1"', 412),  # strong comparison: a weak tag never matches
        ('"{other}-1"', 412),
        ("{id}-1", 412),  # unquoted: not an entity tag
        ('"{id}-"', 412),
        ("garbage", 412),
    ],
)
def test_if_match_forms(readout, annotator, header, expected):
    annotation = annotate(statement_of(readout, 2), annotator)
    value = header.format(id=annotation.pk, other=annotation.pk + 1)
    response = client_for(annotator).patch(
        f"/api/annotations/{annotation.pk}/",
        {"cue": "pointed", "speaker": "xi-jinping"},
        format="json",
        HTTP_IF_MATCH=value,
    )
    assert response.status_code == expected
    annotation.refresh_from_db()
    assert annotation.version == (2 if expected == 200 else 1)


@pytest.mark.django_db
def test_without_if_match_the_last_write_wins(readout, annotator):
    client = client_for(annotator)
    url = client.post("/api/annotations/", record(), format="json")["Location"]
    assert client.patch(url, {"cue": "pointed"}, format="json").status_code == 200
    response = client.patch(url, {"cue": "should oppose"}, format="json")
    assert response.status_code == 200
    assert response["ETag"].endswith('-3"')


@pytest.mark.django_db
def test_an_annotation_cannot_move_to_another_statement(readout, annotator):
    client = client_for(annotator)
    url = client.post("/api/annotations/", record(), format="json")["Location"]
    response = client.patch(url, {"statement": 3}, format="json")
    assert response.status_code == 400
    assert "statement" in response.json()
    assert Annotation.objects.get().statement.number == 2


@pytest.mark.django_db
def test_bad_changes_are_400_and_change_nothing(readout, annotator):
    client = client_for(annotator)
    url = client.post("/api/annotations/", record(), format="json")["Location"]
    for body in ({"speaker": "nobody"}, {"stances": [{"target": "nothing", "stance": "favor"}]}, {"mode": 3}):
        response = client.patch(url, body, format="json")
        assert response.status_code == 400, body
        assert set(response.json()) == set(body)
    annotation = Annotation.objects.get()
    assert (annotation.version, annotation.speaker.slug, annotation.stances.count()) == (1, "xi-jinping", 1)


@pytest.mark.django_db
def test_delete_own_annotation_with_and_without_if_match(readout, annotator):
    client = client_for(annotator)
    first = client.post("/api/annotations/", record(2), format="json")
    second = client.post("/api/annotations/", record(3, attribution="continued", cue=None), format="json")
    assert client.delete(first["Location"], HTTP_IF_MATCH=first["ETag"]).status_code == 204
    assert client.delete(second["Location"]).status_code == 204
    assert not Annotation.objects.exists()
    assert not Stance.objects.exists()
    assert client.get(first["Location"]).status_code == 404


@pytest.mark.django_db
def test_reviewers_read_all_but_change_only_their_own(readout, annotator, reviewer):
    theirs = annotate(statement_of(readout, 2), annotator)
    client = client_for(reviewer)
    assert client.get(f"/api/annotations/{theirs.pk}/").status_code == 200
    assert client.patch(f"/api/annotations/{theirs.pk}/", {"cue": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/annotations/{theirs.pk}/").status_code == 403
    assert Annotation.objects.get(pk=theirs.pk).version == 1


@pytest.mark.django_db
def test_reviewers_may_delete_machine_proposals_annotators_may_not_see_them(readout, annotator, reviewer):
    proposal = annotate(statement_of(readout, 2), None, origin="machine", machine_name="m", machine_version="1")
    assert client_for(annotator).get(f"/api/annotations/{proposal.pk}/").status_code == 404
    assert (
        client_for(reviewer).patch(f"/api/annotations/{proposal.pk}/", {"cue": "x"}, format="json").status_code == 403
    )
    assert client_for(reviewer).delete(f"/api/annotations/{proposal.pk}/").status_code == 204


@pytest.mark.django_db
def test_a_gold_annotation_is_locked_for_its_annotator(readout, annotator):
    gold = make_gold(annotate(statement_of(readout, 2), annotator))
    client = client_for(annotator)
    assert client.get(f"/api/annotations/{gold.pk}/").json()["gold"] is True
    response = client.patch(f"/api/annotations/{gold.pk}/", {"cue": "x"}, format="json")
    assert response.status_code == 403
    assert "gold" in response.json()["detail"]
    assert client.delete(f"/api/annotations/{gold.pk}/").status_code == 403


# --------------------------------------------------------------------------- accept


@pytest.mark.django_db
def test_accept_makes_gold_and_moves_it_from_the_previous_gold(readout, annotator, other_annotator, reviewer):
    statement = statement_of(readout, 2)
    first = annotate(statement, annotator)
    second = annotate(statement, other_annotator, attribution="inferred")
    client = client_for(reviewer)

    response = client.post(f"/api/annotations/{first.pk}/accept/", format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["gold"] is True
    assert response["ETag"] == f'"{first.pk}-2"'
    first.refresh_from_db()
    assert (first.gold, first.adjudicated_by, first.adjudicated_at is not None) == (True, reviewer, True)
    assert list(first.adjudicated_from.all()) == [second]

    response = client.post(f"/api/annotations/{second.pk}/accept/", {"sources": [first.pk]}, format="json")
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.gold, second.gold) == (False, True)
    assert first.version == 3  # losing gold is a change too
    assert list(Annotation.objects.filter(statement=statement, gold=True)) == [second]
    statements = client.get(f"/api/statements/?readout={READOUT}&has_gold=true").json()["results"]
    assert [(s["statement"], s["attribution"], s["gold_annotation"]) for s in statements] == [
        (2, "inferred", second.pk)
    ]


@pytest.mark.django_db
def test_accepting_a_machine_proposal_copies_it_into_the_reviewers_annotation(readout, reviewer, catalogue):
    statement = statement_of(readout, 2)
    proposal = annotate(
        statement,
        None,
        origin="machine",
        machine_name="cue-rules",
        machine_version="1",
        speaker=catalogue["xi"],
        cue="pointed out",
        stances=[(catalogue["interference"], "against")],
    )
    client = client_for(reviewer)

    response = client.post(f"/api/annotations/{proposal.pk}/accept/")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["Location"] == data["url"]
    assert (data["annotator"], data["origin"], data["gold"], data["speaker"], data["cue"]) == (
        "reviewer",
        "human",
        True,
        "xi-jinping",
        "pointed out",
    )
    assert data["stances"] == [{"target": "interference", "target_name": "Interference", "stance": "against"}]
    proposal.refresh_from_db()
    assert proposal.gold is False
    gold = Annotation.objects.get(pk=data["id"])
    assert list(gold.adjudicated_from.all()) == [proposal]
    # Accepting it again replaces the reviewer's annotation: 200, still one gold.
    again = client.post(f"/api/annotations/{proposal.pk}/accept/")
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert Annotation.objects.filter(gold=True).count() == 1


@pytest.mark.django_db
def test_accept_with_a_stale_if_match_or_foreign_sources_changes_nothing(readout, annotator, reviewer):
    annotation = annotate(statement_of(readout, 2), annotator)
    elsewhere = annotate(statement_of(readout, 3), annotator)
    client = client_for(reviewer)
    stale = client.post(f"/api/annotations/{annotation.pk}/accept/", HTTP_IF_MATCH=f'"{annotation.pk}-7"')
    assert stale.status_code == 412
    foreign = client.post(f"/api/annotations/{annotation.pk}/accept/", {"sources": [elsewhere.pk]}, format="json")
    assert foreign.status_code == 400
    assert "sources" in foreign.json()
    assert not Annotation.objects.filter(gold=True).exists()
    fresh = client.post(f"/api/annotations/{annotation.pk}/accept/", HTTP_IF_MATCH=f'"{annotation.pk}-1"')
    assert fresh.status_code == 200
    assert client.post("/api/annotations/999999/accept/").status_code == 404


# --------------------------------------------------------------------------- predictions


@pytest.mark.django_db
def test_predictions_create_machine_annotations(readout, reviewer):
    body = {
        "model_name": "stance-bert",
        "model_version": "2.1",
        "records": [record(2), record(3, speaker=None, attribution="narration", stances=[]), record(4)],
    }
    response = client_for(reviewer).post("/api/predictions/", body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["count"], data["model_name"], data["model_version"]) == (3, "stance-bert", "2.1")
    assert [a["statement"] for a in data["annotations"]] == [2, 3, 4]
    for item in data["annotations"]:
        assert (item["origin"], item["annotator"], item["gold"]) == ("machine", None, False)
        assert (item["model_name"], item["model_version"]) == ("stance-bert", "2.1")
    assert Annotation.objects.filter(origin="machine", annotator=None, machine_name="stance-bert").count() == 3


@pytest.mark.django_db
def test_one_bad_prediction_rejects_the_batch_naming_its_index(readout, reviewer):
    body = {
        "model_name": "stance-bert",
        "model_version": "2.1",
        "records": [record(2), record(3, speaker="nobody"), record(4, stances=[{"target": "x", "stance": "meh"}])],
    }
    response = client_for(reviewer).post("/api/predictions/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["records"]
    assert set(errors) == {"1", "2"}
    assert "speaker" in errors["1"]
    assert "stances" in errors["2"]
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_predictions_refuse_repeats_and_bad_batches(readout, reviewer):
    client = client_for(reviewer)
    batch = {"model_name": "m", "model_version": "1", "records": [record(2)]}
    assert client.post("/api/predictions/", batch, format="json").status_code == 201
    again = client.post("/api/predictions/", {**batch, "records": [record(3), record(2)]}, format="json")
    assert again.status_code == 400
    assert set(again.json()["records"]) == {"1"}
    twice = client.post("/api/predictions/", {**batch, "model_version": "2", "records": [record(3)] * 2}, format="json")
    assert twice.status_code == 400
    assert set(twice.json()["records"]) == {"1"}
    for bad in ({**batch, "records": []}, {"records": [record(4)]}, {**batch, "model_name": ""}, [record(4)]):
        assert client.post("/api/predictions/", bad, format="json").status_code == 400
    assert Annotation.objects.count() == 1


@pytest.mark.django_db
def test_predictions_are_capped_at_max_page_size(readout, reviewer, settings):
    settings.READOUT_ANNOTATIONS_MAX_PAGE_SIZE = 2
    body = {"model_name": "m", "model_version": "1", "records": [record(2), record(3), record(4)]}
    response = client_for(reviewer).post("/api/predictions/", body, format="json")
    assert response.status_code == 400
    assert "records" in response.json()


# --------------------------------------------------------------------------- statements


@pytest.mark.django_db
def test_statement_detail_and_list_carry_the_gold_reading(readout, annotator, reviewer, catalogue):
    statement = statement_of(readout, 2)
    gold = make_gold(annotate(statement, reviewer, speaker=catalogue["xi"], stances=[(catalogue["bri"], "favor")]))
    client = client_for(reviewer)

    detail = client.get(f"/api/statements/{statement.pk}/").json()
    assert detail == {
        "id": statement.pk,
        "readout": READOUT,
        "statement": 2,
        "paragraph": 2,
        "start": statement.start,
        "end": statement.end,
        "text": statement.text,
        "speaker": "xi-jinping",
        "speaker_name": "Xi Jinping",
        "attribution": "explicit",
        "mode": None,
        "cue": "",
        "stances": [{"target": "belt-and-road", "target_name": "Belt and Road Initiative", "stance": "favor"}],
        "annotator": "reviewer",
        "origin": "human",
        "model_name": None,
        "model_version": None,
        "gold": True,
        "gold_annotation": gold.pk,
    }
    listed = client.get(f"/api/statements/?readout={READOUT}").json()
    assert [s["statement"] for s in listed["results"]] == [1, 2, 3, 4]
    assert listed["results"][1] == detail
    assert listed["results"][0]["speaker"] is None


def gold_of(statement: Statement) -> Annotation | None:
    try:
        return statement.gold_annotation
    except Annotation.DoesNotExist:
        return None


def record_of(statement: Statement, annotation: Annotation | None) -> dict:
    """The canonical record, worked out from model instances: an oracle independent of ``records.read``."""
    unread = annotation is None
    machine = not unread and annotation.origin != "human"
    return {
        "readout": statement.readout.slug,
        "statement": statement.number,
        "paragraph": statement.paragraph,
        "start": statement.start,
        "end": statement.end,
        "text": statement.text,
        "speaker": None if unread or annotation.speaker is None else annotation.speaker.slug,
        "speaker_name": None if unread or annotation.speaker is None else annotation.speaker.name,
        "attribution": None if unread else annotation.attribution,
        "mode": None if unread else annotation.mode or None,
        "cue": None if unread else annotation.cue,
        "stances": []
        if unread
        else sorted(
            (
                {"target": s.target.slug, "target_name": s.target.name, "stance": s.stance}
                for s in annotation.stances.all()
            ),
            key=lambda entry: entry["target"],
        ),
        "annotator": None if unread or annotation.annotator is None else annotation.annotator.get_username(),
        "origin": None if unread else annotation.origin,
        "model_name": annotation.machine_name or None if machine else None,
        "model_version": annotation.machine_version or None if machine else None,
        "gold": False if unread else annotation.gold,
    }


@pytest.mark.django_db
def test_statement_records_are_exactly_build_records_of_the_gold(readout, annotator, reviewer, catalogue):
    """The list reads its page from rows (records.read); it must give what the model instances say."""
    s1, s2, s3, _ = (statement_of(readout, n) for n in (1, 2, 3, 4))
    make_gold(annotate(s1, None, origin="import", attribution="narration", mode="direct", cue="noted"))
    make_gold(
        annotate(
            s2,
            annotator,
            speaker=catalogue["lukashenko"],
            stances=[(catalogue["interference"], "against"), (catalogue["bri"], "none")],
        )
    )
    make_gold(annotate(s3, reviewer, speaker=catalogue["xi"], stances=[(catalogue["bri"], "favor")]))
    annotate(s3, annotator, speaker=catalogue["lukashenko"])  # not gold: not shown
    expected = [
        {"id": statement.pk, **record_of(statement, gold_of(statement)), "gold_annotation": pk}
        for statement in Statement.objects.with_gold().order_by("number")
        for pk in [getattr(gold_of(statement), "pk", None)]
    ]
    client = client_for(reviewer)
    assert client.get(f"/api/statements/?readout={READOUT}").json()["results"] == expected
    assert [client.get(f"/api/statements/{row['id']}/").json() for row in expected] == expected


@pytest.mark.django_db
def test_annotators_see_only_their_own_gold(readout, annotator, other_annotator, catalogue):
    theirs = make_gold(annotate(statement_of(readout, 2), other_annotator, speaker=catalogue["xi"]))
    mine = make_gold(annotate(statement_of(readout, 3), annotator, speaker=catalogue["xi"]))
    client = client_for(annotator)

    results = client.get("/api/statements/").json()["results"]
    assert [(s["statement"], s["gold"], s["gold_annotation"]) for s in results] == [
        (1, False, None),
        (2, False, None),
        (3, True, mine.pk),
        (4, False, None),
    ]
    assert client.get(f"/api/statements/{theirs.statement_id}/").json()["speaker"] is None
    for query in ("has_gold=true", "speaker=xi-jinping", "attribution=explicit"):
        assert [s["statement"] for s in client.get(f"/api/statements/?{query}").json()["results"]] == [3], query
    assert client.get("/api/statements/?has_gold=false").json()["count"] == 3
    readout_counts = client.get(f"/api/readouts/{READOUT}/").json()
    assert (readout_counts["gold_count"], readout_counts["annotated_count"]) == (1, 1)


@pytest.mark.django_db
def test_statement_filters(readout, annotator, reviewer, catalogue):
    s1, s2, s3, s4 = (statement_of(readout, n) for n in (1, 2, 3, 4))
    make_gold(annotate(s1, reviewer, attribution="narration"))
    make_gold(
        annotate(
            s2,
            annotator,
            speaker=catalogue["xi"],
            stances=[(catalogue["interference"], "against"), (catalogue["bri"], "none")],
        )
    )
    make_gold(
        annotate(s3, annotator, speaker=catalogue["xi"], attribution="continued", stances=[(catalogue["bri"], "favor")])
    )
    annotate(s4, annotator, speaker=catalogue["lukashenko"])  # not gold
    make_readout("other-readout")
    client = client_for(reviewer)

    def numbers(query: str) -> list[int]:
        response = client.get(f"/api/statements/?{query}")
        assert response.status_code == 200, response.json()
        data = response.json()
        assert data["count"] == len(data["results"])
        return [(s["readout"] == READOUT) * s["statement"] for s in data["results"]]

    assert numbers(f"readout={READOUT}") == [1, 2, 3, 4]
    assert numbers("readout=other-readout") == [0, 0, 0, 0]
    assert numbers(f"readout={READOUT}&paragraph=2") == [2, 3]
    assert numbers("speaker=xi-jinping") == [2, 3]
    assert numbers("speaker=alexander-lukashenko") == []  # only gold readings count
    assert numbers("target=belt-and-road") == [2, 3]
    assert numbers("target=belt-and-road&stance=favor") == [3]
    assert numbers("stance=against") == [2]
    assert numbers("stance=none") == [2]
    assert numbers("attribution=continued") == [3]
    assert numbers(f"readout={READOUT}&has_gold=true") == [1, 2, 3]
    assert numbers(f"readout={READOUT}&has_gold=false") == [4]
    assert numbers("annotated_by=me") == [1]
    assert numbers(f"readout={READOUT}&unannotated_by=me") == [2, 3, 4]
    assert client_for(annotator).get("/api/statements/?annotated_by=me").json()["count"] == 3
    assert client_for(annotator).get(f"/api/statements/?readout={READOUT}&unannotated_by=me").json()["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("readout=no-such-readout", "readout"),
        ("readout=", "readout"),
        ("readout=bad%00slug", "readout"),
        ("paragraph=0", "paragraph"),
        ("paragraph=two", "paragraph"),
        ("paragraph=99999999999", "paragraph"),
        ("speaker=nobody", "speaker"),
        ("target=nothing", "target"),
        ("stance=love", "stance"),
        ("attribution=hearsay", "attribution"),
        ("has_gold=yes", "has_gold"),
        ("has_gold=", "has_gold"),
        ("annotated_by=annotator1", "annotated_by"),
        ("unannotated_by=you", "unannotated_by"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=0", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=1001", "page_size"),
    ],
)
def test_bad_statement_filters_are_400_naming_the_parameter(readout, annotator, query, parameter):
    response = client_for(annotator).get(f"/api/statements/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.django_db
def test_several_bad_filters_are_reported_together(readout, annotator):
    response = client_for(annotator).get("/api/statements/?stance=love&has_gold=maybe&readout=x")
    assert response.status_code == 400
    assert set(response.json()) == {"stance", "has_gold", "readout"}


# --------------------------------------------------------------------------- pagination


@pytest.mark.django_db
def test_pagination_uses_the_app_settings(readout, annotator, settings):
    client = client_for(annotator)
    settings.READOUT_ANNOTATIONS_PAGE_SIZE = 3
    settings.READOUT_ANNOTATIONS_MAX_PAGE_SIZE = 3
    first = client.get("/api/statements/").json()
    assert (first["count"], len(first["results"])) == (4, 3)
    assert first["next"] == "http://testserver/api/statements/?page=2"
    second = client.get(first["next"]).json()
    assert [s["statement"] for s in second["results"]] == [4]
    assert second["previous"] == "http://testserver/api/statements/"
    assert client.get("/api/statements/?page_size=2").json()["next"].endswith("page=2&page_size=2")
    assert client.get("/api/statements/?page_size=4").status_code == 400
    assert client.get("/api/statements/?page=3").status_code == 404


# --------------------------------------------------------------------------- readouts, speakers, targets


@pytest.mark.django_db
def test_readouts_list_without_text_detail_with_text(readout, annotator):
    client = client_for(annotator)
    listed = client.get("/api/readouts/").json()["results"]
    assert [r["slug"] for r in listed] == [READOUT]
    assert "text" not in listed[0]
    assert (listed[0]["statement_count"], listed[0]["gold_count"], listed[0]["annotated_count"]) == (4, 0, 0)
    assert listed[0]["published_at"] == "2023-03-02T01:42:00Z"
    detail = client.get(f"/api/readouts/{READOUT}/").json()
    assert detail["text"] == readout.text
    assert client.get("/api/readouts/no-such-readout/").status_code == 404


@pytest.mark.django_db
def test_reviewers_manage_speakers(readout, reviewer, annotator):
    client = client_for(reviewer)
    created = client.post(
        "/api/speakers/",
        {"slug": "two-heads", "name": "The two heads of state", "kind": "group", "members": ["xi-jinping"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["members"] == ["xi-jinping"]
    changed = client.patch(
        "/api/speakers/two-heads/", {"members": ["xi-jinping", "alexander-lukashenko"]}, format="json"
    )
    assert sorted(changed.json()["members"]) == ["alexander-lukashenko", "xi-jinping"]
    assert client.get("/api/speakers/two-heads/").json()["kind"] == "group"
    for bad in (
        {"slug": "xi-jinping", "name": "Again"},
        {"slug": "new", "name": "N", "members": ["nobody"]},
        {"slug": "new", "name": "N", "members": ["bad slug"]},
        {"slug": "new", "name": "N", "wikidata_id": "X1"},
        {"slug": "new", "name": "N", "aliases": ["", "Xi"]},
        {"slug": "new", "name": "N", "kind": "alien"},
        {"slug": "not a slug", "name": "N"},
    ):
        response = client.post("/api/speakers/", bad, format="json")
        assert response.status_code == 400, bad
    assert client.patch("/api/speakers/two-heads/", {"members": ["two-heads"]}, format="json").status_code == 400
    assert client.delete("/api/speakers/two-heads/").status_code == 204
    assert not Speaker.objects.filter(slug="two-heads").exists()


@pytest.mark.django_db
def test_deleting_a_speaker_or_target_in_use_is_a_409(readout, reviewer, annotator, catalogue):
    annotate(statement_of(readout, 2), annotator, speaker=catalogue["xi"], stances=[(catalogue["bri"], "favor")])
    client = client_for(reviewer)
    speaker = client.delete("/api/speakers/xi-jinping/")
    assert speaker.status_code == 409
    assert "in use" in speaker.json()["detail"]
    target = client.delete("/api/targets/belt-and-road/")
    assert target.status_code == 409
    assert "stances" in target.json()["detail"]
    assert Speaker.objects.filter(slug="xi-jinping").exists()
    assert Target.objects.filter(slug="belt-and-road").exists()


@pytest.mark.django_db
def test_reviewers_manage_targets_and_their_hierarchy(readout, reviewer):
    client = client_for(reviewer)
    parent = client.post("/api/targets/", {"slug": "core-interests", "name": "Core interests"}, format="json")
    assert parent.status_code == 201
    child = client.post(
        "/api/targets/",
        {"slug": "taiwan", "name": "Taiwan", "parent": "core-interests", "kind": "region"},
        format="json",
    )
    assert child.status_code == 201
    assert child.json()["parent"] == "core-interests"
    cycle = client.patch("/api/targets/core-interests/", {"parent": "taiwan"}, format="json")
    assert cycle.status_code == 400
    assert "parent" in cycle.json()
    assert client.patch("/api/targets/taiwan/", {"parent": "taiwan"}, format="json").status_code == 400
    assert client.patch("/api/targets/taiwan/", {"parent": "nothing"}, format="json").status_code == 400
    assert client.patch("/api/targets/taiwan/", {"parent": ""}, format="json").status_code == 400
    assert client.delete("/api/targets/core-interests/").status_code == 409  # it has a child
    replaced = client.put(
        "/api/targets/taiwan/", {"slug": "taiwan", "name": "Taiwan region", "parent": None}, format="json"
    )
    assert replaced.json() == {
        "slug": "taiwan",
        "name": "Taiwan region",
        "kind": "region",  # as in REST framework, a PUT leaves out optional fields it does not name
        "parent": None,
        "description": "",
        "aliases": [],
    }


# --------------------------------------------------------------------------- the schema


@pytest.mark.django_db
def test_schema_is_openapi_3_and_needs_no_host_schema_settings(reviewer, settings):
    from django.apps import apps
    from drf_spectacular.validation import validate_schema

    assert not apps.is_installed("drf_spectacular")
    assert "DEFAULT_SCHEMA_CLASS" not in settings.REST_FRAMEWORK
    response = client_for(reviewer).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/readouts/", "/api/statements/", "/api/annotations/{id}/accept/", "/api/predictions/"):
        assert path in paths
    statement_list = paths["/api/statements/"]["get"]
    names = {p["name"] for p in statement_list["parameters"]}
    assert names >= {"readout", "paragraph", "speaker", "target", "stance", "attribution", "has_gold", "page_size"}
    assert {"annotated_by", "unannotated_by"} <= names
    update = paths["/api/annotations/{id}/"]["patch"]
    assert {"200", "400", "404", "412"} <= set(update["responses"])
    assert "ETag" in update["responses"]["200"]["headers"]
    assert "Location" in paths["/api/annotations/"]["post"]["responses"]["201"]["headers"]
    assert "409" in paths["/api/annotations/"]["post"]["responses"]
    assert "409" in paths["/api/targets/{slug}/"]["delete"]["responses"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_properties_match_what_the_api_returns(readout, reviewer, annotator):
    client = client_for(reviewer)
    schema = json.loads(client.get("/api/schema/?format=json").content)["components"]["schemas"]
    annotation = client_for(annotator).post("/api/annotations/", record(), format="json").json()
    statement = client.get(f"/api/statements/{Annotation.objects.get().statement_id}/").json()
    readout_detail = client.get(f"/api/readouts/{READOUT}/").json()
    speaker = client.get("/api/speakers/xi-jinping/").json()
    target = client.get("/api/targets/interference/").json()
    for name, body in (
        ("Annotation", annotation),
        ("Statement", statement),
        ("ReadoutDetail", readout_detail),
        ("Speaker", speaker),
        ("Target", target),
    ):
        assert set(schema[name]["properties"]) == set(body), name
        assert set(schema[name]["required"]) <= set(body), name


@pytest.mark.django_db
def test_the_schema_yaml_default(reviewer):
    response = client_for(reviewer).get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.0.3")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/annotations/", "/api/predictions/", "/api/speakers/"])
def test_a_body_over_the_hosts_upload_limit_is_a_json_400_and_changes_nothing(reviewer, settings, path):
    """Django refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with ``RequestDataTooBig`` (a
    ``SuspiciousOperation``): the API answers it in JSON, as every other bad request, not with
    Django's HTML 400 page (found by the schema fuzzer in test_api_live.py)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    client = APIClient()
    client.force_authenticate(reviewer)
    before = (Annotation.objects.count(), Speaker.objects.count())
    response = client.post(path, json.dumps({"note": "x" * 1000}), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["detail"]
    assert (Annotation.objects.count(), Speaker.objects.count()) == before
