"""Who may do what: six kinds of user x every API endpoint, every export and every admin page and action.

The endpoints and admin pages are enumerated from the URL resolver, and a test fails when one is
missing from the tables below: a new endpoint or page cannot go unchecked. Each cell is the status
the role gets, run on a fresh database (writes included). Then the blind-annotation promise: no
annotator learns of another's annotation through a list, filter, count, export, error message or
unique-constraint error.
"""

from __future__ import annotations

import json
import re

import django
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode
from rest_framework.test import APIClient

from readout_annotations import jobs, vocabulary
from readout_annotations.formats import FORMATS
from readout_annotations.models import Annotation, Job, Readout, Speaker, Stance, Statement, Target
from readout_annotations.roles import ANNOTATORS, REVIEWERS

from .conftest import make_readout
from .test_api import annotate, client_for, create_catalogue, make_gold

ROLES = ("anonymous", "annotator", "other", "reviewer", "staff", "superuser")
READ = (403, 200, 200, 200, 403, 200)  # a catalogue or statement read: model view permissions
NOBODY_BUT_REVIEWERS = (403, 403, 403, 200, 403, 200)
CREATED_BY_REVIEWERS = (403, 403, 403, 201, 403, 201)


# --------------------------------------------------------------------------- the world every cell runs in


@pytest.fixture
def world(db, roles, settings, tmp_path):
    """A readout of four statements; ``mine`` (annotator's), ``theirs`` (other's), other's gold
    reading of statement 3, a machine proposal of statement 4, an unused speaker and target, and
    the annotator's finished export ``job``."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    users = get_user_model().objects
    people = {
        "annotator": users.create_user("annotator1", password="pw", is_staff=True),
        "other": users.create_user("annotator2", password="pw", is_staff=True),
        "reviewer": users.create_user("reviewer", password="pw", is_staff=True),
        "staff": users.create_user("staff", password="pw", is_staff=True),
        "superuser": users.create_superuser("root", password="pw"),
    }
    people["annotator"].groups.add(Group.objects.get(name=ANNOTATORS))
    people["other"].groups.add(Group.objects.get(name=ANNOTATORS))
    people["reviewer"].groups.add(Group.objects.get(name=REVIEWERS))
    catalogue = create_catalogue()
    readout = make_readout()
    statements = list(readout.statements.order_by("number"))
    mine = annotate(statements[0], people["annotator"], speaker=catalogue["xi"], cue="mine")
    theirs = annotate(
        statements[1],
        people["other"],
        speaker=catalogue["lukashenko"],
        cue="theirs-secret",
        stances=[(catalogue["bri"], "against")],
    )
    gold = make_gold(
        annotate(
            statements[2],
            people["other"],
            speaker=catalogue["lukashenko"],
            cue="their-gold-secret",
            stances=[(catalogue["interference"], "favor")],
        )
    )
    proposal = annotate(statements[3], None, origin="machine", machine_name="rules", machine_version="1")
    unused_speaker = Speaker.objects.create(slug="unused", name="Unused Speaker")
    unused_target = Target.objects.create(slug="unused-target", name="Unused Target")
    job = jobs.submit(Job.Kind.EXPORT, people["annotator"], {"all": True})
    jobs.execute(str(job.uuid))  # the annotator's finished export job
    return {
        "job": job,
        "people": people,
        "readout": readout,
        "statements": statements,
        "mine": mine,
        "theirs": theirs,
        "gold": gold,
        "proposal": proposal,
        "speaker": unused_speaker,
        "target": unused_target,
        **catalogue,
    }


def api_client(world, role: str) -> APIClient:
    return client_for(None if role == "anonymous" else world["people"][role])


def admin_client(world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["people"][role])
    return client


# --------------------------------------------------------------------------- the API

READOUT_FILE = "Talks on a new day\n2023-03-05 10:00\n\nXi said that the talks went well."


def _record(world, number: int = 4, **fields) -> dict:
    return {
        "readout": world["readout"].slug,
        "statement": number,
        "speaker": "xi-jinping",
        "attribution": "continued",
        "stances": [{"target": "belt-and-road", "stance": "favor"}],
        **fields,
    }


# (URL name, method) -> (how to build the request, status per role in ROLES order).
# A request is (path, body, extra arguments); ``mine`` is the annotator's own annotation.
API = {
    ("api-root", "GET"): (lambda w: ("/api/", None, {}), (403, 200, 200, 200, 200, 200)),
    ("schema", "GET"): (lambda w: ("/api/schema/", None, {}), (403, 200, 200, 200, 200, 200)),
    ("readout-list", "GET"): (lambda w: ("/api/readouts/", None, {}), READ),
    ("readout-detail", "GET"): (lambda w: (f"/api/readouts/{w['readout'].slug}/", None, {}), READ),
    ("statement-list", "GET"): (lambda w: ("/api/statements/", None, {}), READ),
    ("statement-detail", "GET"): (lambda w: (f"/api/statements/{w['statements'][0].pk}/", None, {}), READ),
    ("speaker-list", "GET"): (lambda w: ("/api/speakers/", None, {}), READ),
    ("speaker-list", "POST"): (lambda w: ("/api/speakers/", {"slug": "new", "name": "New"}, {}), CREATED_BY_REVIEWERS),
    ("speaker-detail", "GET"): (lambda w: ("/api/speakers/unused/", None, {}), READ),
    ("speaker-detail", "PUT"): (
        lambda w: ("/api/speakers/unused/", {"slug": "unused", "name": "U"}, {}),
        NOBODY_BUT_REVIEWERS,
    ),
    ("speaker-detail", "PATCH"): (lambda w: ("/api/speakers/unused/", {"name": "U"}, {}), NOBODY_BUT_REVIEWERS),
    ("speaker-detail", "DELETE"): (lambda w: ("/api/speakers/unused/", None, {}), (403, 403, 403, 204, 403, 204)),
    ("target-list", "GET"): (lambda w: ("/api/targets/", None, {}), READ),
    ("target-list", "POST"): (lambda w: ("/api/targets/", {"slug": "new", "name": "New"}, {}), CREATED_BY_REVIEWERS),
    ("target-detail", "GET"): (lambda w: ("/api/targets/unused-target/", None, {}), READ),
    ("target-detail", "PUT"): (
        lambda w: ("/api/targets/unused-target/", {"slug": "unused-target", "name": "U"}, {}),
        NOBODY_BUT_REVIEWERS,
    ),
    ("target-detail", "PATCH"): (lambda w: ("/api/targets/unused-target/", {"name": "U"}, {}), NOBODY_BUT_REVIEWERS),
    ("target-detail", "DELETE"): (lambda w: ("/api/targets/unused-target/", None, {}), (403, 403, 403, 204, 403, 204)),
    ("annotation-list", "GET"): (lambda w: ("/api/annotations/", None, {}), READ),
    ("annotation-list", "POST"): (lambda w: ("/api/annotations/", _record(w), {}), (403, 201, 201, 201, 403, 201)),
    # The annotator's own annotation: another annotator cannot tell it exists (404, as for a missing one);
    # a reviewer sees it but may not change it.
    ("annotation-detail", "GET"): (
        lambda w: (f"/api/annotations/{w['mine'].pk}/", None, {}),
        (403, 200, 404, 200, 403, 200),
    ),
    ("annotation-detail", "PUT"): (
        lambda w: (f"/api/annotations/{w['mine'].pk}/", _record(w, 1), {}),
        (403, 200, 404, 403, 403, 403),
    ),
    ("annotation-detail", "PATCH"): (
        lambda w: (f"/api/annotations/{w['mine'].pk}/", {"cue": "held talks"}, {}),
        (403, 200, 404, 403, 403, 403),
    ),
    ("annotation-detail", "DELETE"): (
        lambda w: (f"/api/annotations/{w['mine'].pk}/", None, {}),
        (403, 204, 404, 403, 403, 403),
    ),
    ("annotation-accept", "POST"): (
        lambda w: (f"/api/annotations/{w['mine'].pk}/accept/", {}, {}),
        NOBODY_BUT_REVIEWERS,
    ),
    ("predictions", "POST"): (
        lambda w: ("/api/predictions/", {"model_name": "m", "model_version": "1", "records": [_record(w, 1)]}, {}),
        CREATED_BY_REVIEWERS,
    ),
    ("readout-import", "POST"): (
        lambda w: ("/api/readouts/import/?slug=new-day", READOUT_FILE, {"content_type": "text/plain"}),
        CREATED_BY_REVIEWERS,
    ),
    ("export", "GET"): (lambda w: ("/api/export/", None, {}), READ),
    ("export", "POST"): (lambda w: ("/api/export/", None, {}), READ),  # small: streamed, as GET
    # Jobs: their owner's and reviewers'; another annotator cannot tell the job exists.
    ("job-list", "GET"): (lambda w: ("/api/jobs/", None, {}), (403, 200, 200, 200, 200, 200)),
    ("job-detail", "GET"): (lambda w: (f"/api/jobs/{w['job'].uuid}/", None, {}), (403, 200, 404, 200, 404, 200)),
    ("job-download", "GET"): (
        lambda w: (f"/api/jobs/{w['job'].uuid}/download/", None, {}),
        (403, 200, 404, 200, 404, 200),
    ),
    ("job-retry", "POST"): (  # a job that succeeded is not run again
        lambda w: (f"/api/jobs/{w['job'].uuid}/retry/", {}, {}),
        (403, 409, 404, 409, 404, 409),
    ),
    ("agreement", "GET"): (lambda w: ("/api/agreement/", None, {}), NOBODY_BUT_REVIEWERS),
    ("not-found", "GET"): (lambda w: ("/api/no-such-thing/", None, {}), (403, 404, 404, 404, 404, 404)),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else pattern.namespace or namespace
            )
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or "")
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, namespace


def api_operations() -> set[tuple[str, str]]:
    """Every (URL name, method) the API's URLconf serves, from the resolver."""
    found = set()
    for _route, pattern, namespace in _walk(get_resolver().url_patterns):
        if namespace != "readout_annotations":
            continue
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        if actions:
            methods = {method.upper() for method in actions if method not in ("head", "options")}
        else:
            view = callback.cls
            methods = {m.upper() for m in view.http_method_names if hasattr(view, m) and m not in ("options", "head")}
            if pattern.name == "not-found":
                methods = {"GET"}  # the fallback answers every method alike
        found |= {(pattern.name, method) for method in methods}
    return found


def test_the_api_table_covers_every_endpoint_and_method():
    assert api_operations() == set(API)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method", sorted(API), ids=[f"{n}-{m}" for n, m in sorted(API)])
def test_api_matrix(world, name, method, role):
    build, statuses = API[name, method]
    path, body, extra = build(world)
    client = api_client(world, role)
    if body is not None and "content_type" not in extra:
        extra = {**extra, "format": "json"}
    response = getattr(client, method.lower())(path, body, **extra)
    assert response.status_code == statuses[ROLES.index(role)], response.content[:500]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("format", sorted(FORMATS))
@pytest.mark.parametrize("everything", [False, True], ids=["gold", "all"])
def test_every_export_format_by_role(world, format, everything, role):
    query = f"/api/export/?format={format}" + ("&all=1" if everything else "")
    response = api_client(world, role).get(query)
    assert response.status_code == READ[ROLES.index(role)]
    if response.status_code == 200 and role in ("reviewer", "superuser") and everything and format != "dna":
        content = b"".join(response.streaming_content).decode()
        assert "theirs-secret" in content and "their-gold-secret" in content  # reviewers get everything


@pytest.mark.parametrize("format", sorted(FORMATS))
@pytest.mark.parametrize("everything", [False, True], ids=["gold", "all"])
def test_an_annotators_export_holds_no_other_annotators_reading(world, format, everything):
    response = api_client(world, "annotator").get(f"/api/export/?format={format}" + ("&all=1" if everything else ""))
    content = b"".join(response.streaming_content).decode()
    assert "theirs-secret" not in content
    assert "their-gold-secret" not in content and "annotator2" not in content


# --------------------------------------------------------------------------- the admin


def admin_pages() -> set[str]:
    """URL names of the app's admin pages, from the admin site's URLs."""
    names = set()
    for _route, pattern, _ns in _walk(admin.site.get_urls()):
        if pattern.name and pattern.name.startswith("readout_annotations_"):
            names.add(pattern.name)
    names.add("app_list")
    return names


def _ids(world, name: str) -> tuple:
    model = name.split("_")[2]
    object_id = {
        "statement": world["statements"][0].pk,
        "annotation": world["mine"].pk,
        "readout": world["readout"].pk,
        "speaker": world["speaker"].pk,
        "target": world["target"].pk,
        "job": world["job"].pk,
    }[model]
    if name.endswith("_accept"):
        return (world["statements"][1].pk, world["theirs"].pk)
    if name.endswith(("_lookup", "_propose")):
        return ("speaker",)
    return (object_id,)


LOGIN = 302  # the admin sends anonymous users to its login page
VIEW = (LOGIN, 200, 200, 200, 403, 200)
REVIEW = (LOGIN, 403, 403, 200, 403, 200)
ADD_BY_REVIEWERS = (LOGIN, 403, 403, 200, 403, 200)
NO_ONE_BUT_SUPERUSERS = (LOGIN, 403, 403, 403, 403, 200)

ADMIN = {
    "app_list": (LOGIN, 200, 200, 200, 404, 200),  # the admin's app index: 404 without any permission in the app
    "readout_annotations_statement_next": (LOGIN, 302, 302, 302, 403, 302),
    "readout_annotations_statement_annotate": VIEW,
    "readout_annotations_statement_compare": REVIEW,
    "readout_annotations_statement_accept": (LOGIN, 403, 403, 302, 403, 302),  # POST
    "readout_annotations_statement_gold": REVIEW,
    # the annotation form's speaker/target lookup, and proposing one (POSTed empty: 400 by field)
    "readout_annotations_statement_lookup": VIEW,
    "readout_annotations_statement_propose": (LOGIN, 400, 400, 400, 403, 400),
    "readout_annotations_statement_split": (LOGIN, 403, 403, 302, 403, 302),  # POST
    "readout_annotations_statement_merge": (LOGIN, 403, 403, 302, 403, 302),  # POST
    "readout_annotations_readout_import": ADD_BY_REVIEWERS,
    # The annotator's own job: its owner and reviewers; nobody adds one by hand.
    "readout_annotations_job_changelist": VIEW,
    "readout_annotations_job_add": (LOGIN, 403, 403, 403, 403, 403),
    "readout_annotations_job_change": (LOGIN, 200, 302, 200, 403, 200),
    "readout_annotations_job_history": (LOGIN, 200, 302, 200, 403, 200),
    "readout_annotations_job_delete": (LOGIN, 200, 403, 403, 403, 403),
    "readout_annotations_job_download": (LOGIN, 200, 404, 200, 403, 200),
    "readout_annotations_statement_changelist": VIEW,
    "readout_annotations_statement_add": ADD_BY_REVIEWERS,
    "readout_annotations_statement_history": VIEW,
    "readout_annotations_statement_delete": NO_ONE_BUT_SUPERUSERS,
    "readout_annotations_statement_change": VIEW,
    # The annotator's own annotation: 404 for anyone else who may not see it, as for a missing one.
    "readout_annotations_annotation_changelist": VIEW,
    "readout_annotations_annotation_add": (LOGIN, 302, 302, 302, 403, 302),  # to the workbench
    "readout_annotations_annotation_history": (LOGIN, 200, 404, 200, 404, 200),
    "readout_annotations_annotation_delete": (LOGIN, 200, 404, 403, 404, 403),
    "readout_annotations_annotation_change": (LOGIN, 200, 404, 200, 404, 200),
    "readout_annotations_speaker_changelist": VIEW,
    "readout_annotations_speaker_add": ADD_BY_REVIEWERS,
    "readout_annotations_speaker_history": VIEW,
    "readout_annotations_speaker_delete": ADD_BY_REVIEWERS,
    "readout_annotations_speaker_change": VIEW,
    "readout_annotations_target_changelist": VIEW,
    "readout_annotations_target_add": ADD_BY_REVIEWERS,
    "readout_annotations_target_history": VIEW,
    "readout_annotations_target_delete": ADD_BY_REVIEWERS,
    "readout_annotations_target_change": VIEW,
    "readout_annotations_readout_stance_map": VIEW,
    "readout_annotations_readout_view": VIEW,
    "readout_annotations_readout_progress": REVIEW,
    "readout_annotations_readout_accept_agreed": (LOGIN, 403, 403, 302, 403, 302),  # POST
    "readout_annotations_readout_agreement_selection": REVIEW,
    "readout_annotations_readout_agreement": REVIEW,
    "readout_annotations_readout_changelist": VIEW,
    "readout_annotations_readout_add": ADD_BY_REVIEWERS,
    "readout_annotations_readout_history": VIEW,
    "readout_annotations_readout_delete": NO_ONE_BUT_SUPERUSERS,
    "readout_annotations_readout_change": VIEW,
}
POST_ONLY = {
    "readout_annotations_statement_accept",
    "readout_annotations_statement_propose",
    "readout_annotations_readout_accept_agreed",
    "readout_annotations_statement_split",
    "readout_annotations_statement_merge",
}


def test_the_admin_table_covers_every_page():
    assert admin_pages() == set(ADMIN)


def admin_url(world, name: str) -> str:
    if name == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": "readout_annotations"})
    needs_ids = not name.endswith(("_changelist", "_add", "_next", "_stance_map", "_selection", "_import"))
    return reverse(f"admin:{name}", args=_ids(world, name) if needs_ids else ())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ADMIN))
def test_admin_pages_by_role(world, name, role):
    client, url = admin_client(world, role), admin_url(world, name)
    response = client.post(url) if name in POST_ONLY else client.get(url)
    expected = ADMIN[name][ROLES.index(role)]
    assert response.status_code == expected, (response.status_code, response.get("Location"))
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith(reverse("admin:login"))
    if response.status_code == 200 and role == "annotator":
        content = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
        assert "theirs-secret" not in content and "their-gold-secret" not in content


# Admin actions: (model, action) -> outcome per role of POSTing it on the changelist with every
# row selected: "done" (the action ran: its own page, a download, or its message), "list" (the
# plain changelist or "No action selected.": not available to this user, nothing done), 403, or
# LOGIN. Nothing here may delete or add a row: the delete actions stop at their confirmation page.
DONE, LIST = "done", "list"
ACTIONS = {
    ("statement", "set_speaker"): (LOGIN, DONE, DONE, DONE, 403, DONE),
    ("statement", "set_attribution"): (LOGIN, DONE, DONE, DONE, 403, DONE),
    ("statement", "delete_selected"): (LOGIN, LIST, LIST, LIST, 403, DONE),
    **{("annotation", f"export_{name}"): (LOGIN, DONE, DONE, DONE, 403, DONE) for name in FORMATS},
    ("annotation", "export_csv_raw"): (LOGIN, DONE, DONE, DONE, 403, DONE),
    ("annotation", "delete_selected"): (LOGIN, DONE, DONE, DONE, 403, DONE),
    ("readout", "accept_agreed_action"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("readout", "show_agreement"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("readout", "delete_selected"): (LOGIN, LIST, LIST, LIST, 403, DONE),
    ("speaker", "delete_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("speaker", "confirm_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("speaker", "merge_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("target", "delete_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("target", "confirm_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("target", "merge_selected"): (LOGIN, LIST, LIST, DONE, 403, DONE),
    ("job", "retry"): (LOGIN, DONE, DONE, DONE, 403, DONE),
    ("job", "delete_selected"): (LOGIN, LIST, LIST, LIST, 403, LIST),
}


def outcome(response) -> str | int:
    chain = response.redirect_chain
    if chain and chain[0][0].startswith(reverse("admin:login")):
        return LOGIN
    if response.status_code != 200:
        return response.status_code
    if "admin/change_list.html" in [t.name for t in response.templates]:
        messages = [str(m) for m in response.context["messages"]]
        return LIST if not chain or "No action selected." in messages else DONE
    return DONE  # the action's own page, or a download


def all_actions() -> set[tuple[str, str]]:
    found = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "readout_annotations":
            continue
        for action in [*model_admin.actions, "delete_selected"]:
            name = action if isinstance(action, str) else action.__name__
            found.add((model._meta.model_name, name))
    return found


def test_the_action_table_covers_every_admin_action():
    assert all_actions() == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model, action", sorted(ACTIONS), ids=[f"{m}-{a}" for m, a in sorted(ACTIONS)])
def test_admin_actions_by_role(world, model, action, role):
    model_class = {
        "annotation": Annotation,
        "readout": Readout,
        "speaker": Speaker,
        "target": Target,
        "job": Job,
    }.get(model)
    ids = list(model_class.objects.values_list("pk", flat=True)) if model_class else [s.pk for s in world["statements"]]
    before = Annotation.objects.count(), Speaker.objects.count(), Target.objects.count()
    response = admin_client(world, role).post(
        reverse(f"admin:readout_annotations_{model}_changelist"),
        {"action": action, "_selected_action": ids, "index": 0},
        follow=True,
    )
    assert outcome(response) == ACTIONS[model, action][ROLES.index(role)]
    assert (Annotation.objects.count(), Speaker.objects.count(), Target.objects.count()) == before  # only pages
    if role == "annotator" and response.status_code == 200:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"theirs-secret" not in content and b"their-gold-secret" not in content


# --------------------------------------------------------------------------- blind annotation: nothing leaks


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def test_annotation_lists_filters_and_counts_show_only_my_own(world):
    client = api_client(world, "annotator")
    mine = world["mine"]
    for query in (
        "",
        "?gold=true",
        "?gold=false",
        "?origin=human",
        "?origin=machine",
        f"?readout={world['readout'].slug}",
        f"?readout={world['readout'].slug}&statement=2",
        f"?readout={world['readout'].slug}&statement=3",
        "?page_size=1000",
    ):
        response = client.get(f"/api/annotations/{query}")
        rows = results(response)
        assert all(row["id"] == mine.pk for row in rows), query
        assert response.json()["count"] == len(rows), query


def test_statements_and_readouts_do_not_show_anothers_gold(world):
    client = api_client(world, "annotator")
    gold_statement = world["gold"].statement
    row = client.get(f"/api/statements/{gold_statement.pk}/").json()
    assert (row["gold_annotation"], row["speaker"], row["cue"], row["stances"]) == (None, None, None, [])
    for query in (
        "?has_gold=true",
        "?speaker=alexander-lukashenko",
        "?target=interference",
        "?stance=favor",
        "?attribution=explicit",
    ):
        assert results(client.get(f"/api/statements/{query}")) == [], query
    assert len(results(client.get("/api/statements/?has_gold=false"))) == 4
    readout = client.get(f"/api/readouts/{world['readout'].slug}/").json()
    assert (readout["gold_count"], readout["annotated_count"]) == (0, 1)


def test_errors_about_annotations_name_only_my_own(world):
    client = api_client(world, "annotator")
    theirs, missing = world["theirs"], Annotation.objects.order_by("-pk").first().pk + 1000
    # Another's annotation answers exactly as a missing one does, whatever the method.
    for method in ("get", "put", "patch", "delete"):
        for suffix in ("", "accept/"):
            if suffix and method != "get":
                continue
            a = getattr(client, method)(f"/api/annotations/{theirs.pk}/{suffix}", {}, format="json")
            b = getattr(client, method)(f"/api/annotations/{missing}/{suffix}", {}, format="json")
            assert (a.status_code, a.json()) == (b.status_code, b.json()), (method, suffix)
    # Creating on a statement another annotator has annotated is no conflict at all.
    response = client.post("/api/annotations/", _record(world, 2), format="json")
    assert response.status_code == 201, response.content
    # My own duplicate names my own annotation, and only mine.
    response = client.post("/api/annotations/", _record(world, 2), format="json")
    assert response.status_code == 409
    detail = response.json()["detail"]
    created = Annotation.objects.get(statement__number=2, annotator=world["people"]["annotator"])
    assert f"annotation {created.pk}" in detail
    assert str(theirs.pk) not in re.findall(r"\d+", detail)
    # Predictions name statements the annotator cannot see a proposal for: refused before any check.
    response = client.post(
        "/api/predictions/",
        {"model_name": "rules", "model_version": "1", "records": [_record(world, 4)]},
        format="json",
    )
    assert response.status_code == 403
    assert "rules" not in json.dumps(response.json())


def test_the_admin_shows_an_annotator_only_their_own(world):
    client = admin_client(world, "annotator")
    changelist = reverse("admin:readout_annotations_annotation_changelist")
    secrets = ("theirs-secret", "their-gold-secret")
    for query in (
        "",
        "?gold__exact=1",
        f"?speaker__id__exact={world['lukashenko'].pk}",
        "?q=secret",
        "?origin__exact=machine",
        f"?statement__readout__id__exact={world['readout'].pk}",
    ):
        response = client.get(changelist + query)
        assert response.status_code == 200, query
        content = response.content.decode()
        assert not any(secret in content for secret in secrets), query
        shown = [row.pk for row in response.context["cl"].result_list]
        assert set(shown) <= {world["mine"].pk}, query
        assert response.context["cl"].result_count == len(shown), query
    for status in ("gold", "review", "unannotated", "all"):
        response = client.get(reverse("admin:readout_annotations_statement_changelist") + f"?status={status}")
        content = response.content.decode()
        assert "their-gold-secret" not in content and "Alexander Lukashenko</span>" not in content, status
    page = client.get(reverse("admin:readout_annotations_statement_annotate", args=[world["gold"].statement_id]))
    assert not any(secret in page.content.decode() for secret in secrets)


def test_the_admin_readout_list_counts_only_an_annotators_own_gold(world):
    response = admin_client(world, "annotator").get(reverse("admin:readout_annotations_readout_changelist"))
    (readout,) = response.context["cl"].result_list
    assert readout.gold_count == 0  # the only gold reading is annotator2's; the API says 0 too


def test_annotating_a_statement_another_annotated_is_no_conflict_anywhere(world):
    """Neither the admin's forms nor the API's unique check reveal that someone else annotated it."""
    theirs = world["theirs"].statement
    client = admin_client(world, "annotator")
    response = client.post(
        reverse("admin:readout_annotations_statement_annotate", args=[theirs.pk]),
        {
            "attribution": "narration",
            "mode": "",
            "cue": "",
            "note": "",
            "stances-TOTAL_FORMS": "0",
            "stances-INITIAL_FORMS": "0",
            "stances-MIN_NUM_FORMS": "0",
            "stances-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Annotation.objects.filter(statement=theirs, annotator=world["people"]["annotator"]).exists()
    response = api_client(world, "other").post("/api/annotations/", _record(world, 1), format="json")
    assert response.status_code == 201  # annotator1 annotated statement 1: no conflict for annotator2
    assert response.json()["annotator"] == "annotator2"


# --------------------------------------------------------------------------- admin query strings, sorts, details
#
# Issue 16: an annotator's admin must give them exactly what the API gives them. Three kinds, each
# enumerated rather than listed: (1) every changelist lookup through a relation to a reading (an
# annotation, a stance) or a user, found by walking the models' relations, is refused with a 400;
# (2) and (3) every list (with every sort order and the filter counts), every change and workbench
# page and every autocomplete an annotator can open reads the same before and after other people
# work: nothing they see moves when someone else annotates, adjudicates or proposes a name.


def private_model(model) -> bool:
    return model in (Annotation, Stance, get_user_model())


def app_admins() -> list:
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label == "readout_annotations"),
        key=lambda model: model._meta.model_name,
    )


def relation_paths(model, depth: int = 2):
    """(lookup, reaches a reading or a user) for every relation path from ``model`` up to ``depth``
    hops, stopping at the first private model (nothing past it matters)."""
    for field in model._meta.get_fields():
        target = field.related_model if field.is_relation else None
        if target is None:
            continue
        name = field.name
        if private_model(target):
            yield name, True
        elif depth > 1:
            yield name, False
            for rest, private in relation_paths(target, depth - 1):
                yield f"{name}__{rest}", private
        else:
            yield name, False


def test_the_relation_walk_finds_the_reported_lookups():
    statement_paths = dict(relation_paths(Statement, 3))
    for lookup in ("annotations", "gold_annotation", "readout__statements__annotations"):
        assert statement_paths[lookup] is True, lookup
    assert statement_paths["readout"] is False


@pytest.mark.parametrize("model", app_admins(), ids=lambda model: model._meta.model_name)
def test_admin_lookups_through_readings_or_users_are_for_reviewers(world, model):
    """``?annotations__isnull=False`` (which statements are read), ``?gold_annotation=12`` (which
    reading is gold), ``?annotations__gt=34``...: refused for annotators whatever the relation."""
    changelist = reverse(f"admin:readout_annotations_{model._meta.model_name}_changelist")
    annotator, reviewer = admin_client(world, "annotator"), admin_client(world, "reviewer")
    wrong, private_seen, public_seen = [], 0, 0
    for lookup, private in relation_paths(model):
        query = f"{changelist}?{lookup}__isnull=False"
        status = annotator.get(query).status_code
        if private:
            private_seen += 1
            if status != 400:
                wrong.append((lookup, status))
            if "__" not in lookup and reviewer.get(query).status_code != 200:
                wrong.append((lookup, "reviewer", reviewer.get(query).status_code))
        elif "__" not in lookup:
            public_seen += 1
            if status != 200:  # the rule is not a blanket refusal
                wrong.append((lookup, status))
    for lookup in ("annotations", "gold_annotation", "annotations__gt"):
        if model is Statement:
            value = world["gold"].pk if lookup != "annotations__gt" else 34
            if annotator.get(f"{changelist}?{lookup}={value}").status_code != 400:
                wrong.append((lookup, "as reported"))
    assert private_seen and not wrong, wrong
    assert public_seen or model in (Annotation, Job)  # a job relates only to its owner


def _others_work(world) -> None:
    """What other people do while an annotator looks: read every statement, adjudicate (the
    annotator's own gold reading from others' readings included), propose new names."""
    other, reviewer = world["people"]["other"], world["people"]["reviewer"]
    for statement in world["statements"]:
        if not Annotation.objects.filter(statement=statement, annotator=other).exists():
            annotate(statement, other, speaker=world["lukashenko"], cue="later-secret")
    last = Annotation.objects.get(statement=world["statements"][3], annotator=other)
    make_gold(last)
    mine = world["mine"]
    mine.adjudicated_from.add(
        Annotation.objects.get(statement=mine.statement, annotator=other), world["proposal"], world["theirs"]
    )
    Annotation.objects.filter(pk=mine.pk).update(adjudicated_by=reviewer)
    vocabulary.propose_speaker(other, "Hidden Proposed Speaker")
    vocabulary.propose_target(other, "Hidden Proposed Target")


def _annotator_pages(world) -> list[str]:
    """Every admin URL the annotator can GET: every page of the ADMIN table they may open, every
    changelist in every sort order and with its filter counts, every autocomplete, and the change
    and workbench pages of everything they see."""
    mine = world["mine"]
    urls = []
    for name in sorted(ADMIN):
        if name in POST_ONLY or ADMIN[name][ROLES.index("annotator")] != 200:
            continue
        urls.append(admin_url(world, name))
    client = admin_client(world, "annotator")
    for model in app_admins():
        changelist = reverse(f"admin:readout_annotations_{model._meta.model_name}_changelist")
        columns = client.get(changelist).context["cl"].list_display
        urls.append(f"{changelist}?q=secret")
        if django.VERSION >= (5, 0):
            urls.append(f"{changelist}?_facets=1")  # the filters' counts
        urls += [f"{changelist}?o={sign}{index}" for index in range(len(columns)) for sign in ("", "-")]
        urls.append(f"{changelist}?{urlencode({'o': '.'.join(str(i) for i in range(1, len(columns)))})}")
    for statement in world["statements"]:
        urls.append(reverse("admin:readout_annotations_statement_annotate", args=[statement.pk]))
        urls.append(reverse("admin:readout_annotations_statement_change", args=[statement.pk]))
    urls.append(reverse("admin:readout_annotations_annotation_change", args=[mine.pk]))
    for app_model, field in (("annotation", "speaker"), ("stance", "target"), ("annotation", "statement")):
        urls.append(
            reverse("admin:autocomplete")
            + "?"
            + urlencode({"app_label": "readout_annotations", "model_name": app_model, "field_name": field, "term": ""})
        )
    return urls


def _normalised(response) -> tuple[int, str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body.decode())
    return response.status_code, content


def test_nothing_an_annotator_sees_in_the_admin_moves_when_others_work(world):
    """Counts, columns, sorts, filter choices and counts, detail fields, autocompletes: the
    annotator's own gold reading included (it does not list the readings it was adjudicated from)."""
    make_gold(world["mine"])
    client = admin_client(world, "annotator")
    urls = _annotator_pages(world)
    before = {url: _normalised(client.get(url)) for url in urls}
    opened = [url for url, (status, _content) in before.items() if status == 200]
    assert len(opened) > 100 and all(status in (200, 403) for status, _content in before.values())
    _others_work(world)
    moved = [url for url in urls if _normalised(client.get(url)) != before[url]]
    assert not moved, moved
    after = [_normalised(client.get(url))[1] for url in opened]
    assert not any("Hidden Proposed" in content or "later-secret" in content for content in after)


def test_reviewers_do_see_others_work_move(world):
    """The same pages for a reviewer: the test above would notice a change, had there been one."""
    make_gold(world["mine"])
    client = admin_client(world, "reviewer")
    readouts = reverse("admin:readout_annotations_readout_changelist")
    mine = reverse("admin:readout_annotations_annotation_change", args=[world["mine"].pk])
    speakers = reverse("admin:readout_annotations_speaker_changelist")
    before = {url: _normalised(client.get(url)) for url in (readouts, mine, speakers)}
    _others_work(world)
    after = {url: _normalised(client.get(url)) for url in before}
    assert all(before[url] != after[url] for url in before)
    assert "annotator2" in after[mine][1] and "Hidden Proposed Speaker" in after[speakers][1]
