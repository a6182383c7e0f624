"""Agreement read from the database, readout status, the readout_agreement command, API and admin."""

import datetime
import json
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from readout_annotations import adjudication, agreement, reliability
from readout_annotations.models import Annotation, Origin, Readout, ReadoutStatus, Speaker, Stance, Target
from tests.conftest import make_readout


def numbered_text(count: int) -> str:
    return "\n\n".join(f"Xi said that point {i} matters." for i in range(1, count + 1))


def statements_of(readout: Readout) -> list:
    return list(readout.statements.order_by("number"))


@pytest.fixture
def speakers(db) -> dict[str, Speaker]:
    return {slug: Speaker.objects.create(slug=slug, name=slug.title()) for slug in ("xi", "lukashenko", "publisher")}


@pytest.fixture
def targets(db) -> dict[str, Target]:
    return {slug: Target.objects.create(slug=slug, name=slug.title()) for slug in ("taiwan", "bri", "sanctions")}


def annotate(
    statement, user, speaker, attribution="explicit", stances=(), *, origin=Origin.HUMAN, **fields
) -> Annotation:
    annotation = Annotation.objects.create(
        statement=statement,
        annotator=user,
        origin=origin,
        speaker=speaker,
        attribution=attribution,
        **fields,
    )
    Stance.objects.bulk_create(Stance(annotation=annotation, target=t, stance=s) for t, s in stances)
    return annotation


@pytest.fixture
def hand_built(annotator, other_annotator, reviewer, speakers, targets):
    """Three annotators on six statements, with missing readings and one machine proposal."""
    readout = make_readout("hand-built", numbered_text(6))
    s = statements_of(readout)
    xi, luk, pub = speakers["xi"], speakers["lukashenko"], speakers["publisher"]
    taiwan, bri = targets["taiwan"], targets["bri"]
    a, b, r = annotator, other_annotator, reviewer
    annotate(s[0], a, xi, "explicit", [(taiwan, "against")], mode="indirect", cue="said")
    annotate(s[0], b, xi, "explicit", [(taiwan, "against")], mode="indirect", cue=" Said ")  # the same cue
    annotate(s[0], r, xi, "explicit", [(taiwan, "favor")], mode="direct", cue="stressed")
    annotate(s[1], a, xi, "continued")
    annotate(s[1], b, luk, "continued", [(bri, "favor")])
    annotate(s[2], a, None, "narration")
    annotate(s[2], b, pub, "narration")
    annotate(s[2], r, None, "inferred")
    annotate(s[3], a, luk, "explicit", [(bri, "favor"), (taiwan, "none")])
    annotate(s[3], r, luk, "explicit", [(bri, "favor")])
    annotate(s[4], b, xi, "explicit", [(bri, "against")])  # alone: no pairable unit
    annotate(s[5], None, pub, "narration", [(bri, "favor")], origin=Origin.MACHINE)  # not human
    annotate(s[5], a, xi, "inferred")
    annotate(s[5], b, xi, "inferred")
    return readout, s


def hand_units(s) -> dict[str, dict]:
    """The reliability data of ``hand_built``, written out by hand."""
    a, b, r = "annotator1", "annotator2", "reviewer"
    return {
        "speaker": {
            s[0].pk: {a: "xi", b: "xi", r: "xi"},
            s[1].pk: {a: "xi", b: "lukashenko"},
            s[2].pk: {a: None, b: "publisher", r: None},
            s[3].pk: {a: "lukashenko", r: "lukashenko"},
            s[4].pk: {b: "xi"},
            s[5].pk: {a: "xi", b: "xi"},
        },
        "attribution": {
            s[0].pk: {a: "explicit", b: "explicit", r: "explicit"},
            s[1].pk: {a: "continued", b: "continued"},
            s[2].pk: {a: "narration", b: "narration", r: "inferred"},
            s[3].pk: {a: "explicit", r: "explicit"},
            s[4].pk: {b: "explicit"},
            s[5].pk: {a: "inferred", b: "inferred"},
        },
        "mode": {
            s[0].pk: {a: "indirect", b: "indirect", r: "direct"},
            s[1].pk: {a: "", b: ""},
            s[2].pk: {a: "", b: "", r: ""},
            s[3].pk: {a: "", r: ""},
            s[4].pk: {b: ""},
            s[5].pk: {a: "", b: ""},
        },
        # Cues compared case-insensitively, spaces folded.
        "cue": {
            s[0].pk: {a: "said", b: "said", r: "stressed"},
            s[1].pk: {a: "", b: ""},
            s[2].pk: {a: "", b: "", r: ""},
            s[3].pk: {a: "", r: ""},
            s[4].pk: {b: ""},
            s[5].pk: {a: "", b: ""},
        },
        # Units: (statement, target) pairs anyone tagged; no stance given counts as "none".
        "stance": {
            (s[0].pk, "taiwan"): {a: "against", b: "against", r: "favor"},
            (s[1].pk, "bri"): {a: "none", b: "favor"},
            (s[3].pk, "bri"): {a: "favor", r: "favor"},
            (s[3].pk, "taiwan"): {a: "none", r: "none"},
            (s[4].pk, "bri"): {b: "against"},
        },
    }


def test_report_equals_agreement_on_hand_built_units(hand_built):
    readout, s = hand_built
    report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    expected = hand_units(s)
    for name in reliability.FIELDS:
        field = report.fields[name]
        alpha = agreement.krippendorff_alpha(expected[name])
        assert (field.alpha, field.units, field.values) == (alpha.alpha, alpha.units, alpha.values)
        assert [(k.annotators, k.kappa, k.units) for k in field.kappas] == [
            (pair, k.kappa, k.units) for pair, k in agreement.pairwise_kappas(expected[name]).items()
        ]
    assert report.annotators == ["annotator1", "annotator2", "reviewer"]
    assert report.annotations == 13
    # Spelled out: speaker has 5 pairable units holding 12 values, statement 5 (one reading) excluded.
    assert (report.speaker.units, report.speaker.values) == (5, 12)
    assert (report.stance.units, report.stance.values) == (4, 9)
    # n_c: xi 6, lukashenko 3, none 2, publisher 1; disagreeing coincidences 2/1 + 4/2 = 4;
    # alpha = 1 - (12 - 1) * 4 / (144 - 50) = 25/47.
    assert report.speaker.alpha == float(Fraction(25, 47))


def test_units_with_fewer_than_two_values_do_not_count(annotator, other_annotator, speakers):
    readout = make_readout("sparse", numbered_text(3))
    s = statements_of(readout)
    xi, luk = speakers["xi"], speakers["lukashenko"]
    annotate(s[0], annotator, xi)
    annotate(s[0], other_annotator, luk)
    before = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    annotate(s[1], annotator, xi)  # a single reading
    annotate(s[2], other_annotator, luk, "inferred")  # another single reading
    after = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    for name in reliability.FIELDS:
        assert after.fields[name].as_dict() == before.fields[name].as_dict()
    assert (after.speaker.units, after.speaker.values) == (1, 2)
    assert after.speaker.kappas[0].units == 1
    assert after.annotations == 4


def test_stance_units_follow_the_issue(annotator, other_annotator, reviewer, speakers, targets):
    readout = make_readout("stances", numbered_text(2))
    s = statements_of(readout)
    xi, taiwan, bri, sanctions = speakers["xi"], targets["taiwan"], targets["bri"], targets["sanctions"]
    annotate(s[0], annotator, xi, stances=[(taiwan, "favor"), (sanctions, "against")])
    annotate(s[0], other_annotator, xi, stances=[(sanctions, "against")])  # no stance on taiwan: "none"
    # reviewer did not annotate statement 1: missing, not "none"
    annotate(s[1], annotator, xi, stances=[(bri, "against")])
    annotate(s[1], other_annotator, xi, stances=[(bri, "against")])
    annotate(s[1], reviewer, xi)
    report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    expected = {
        (s[0].pk, "taiwan"): {"annotator1": "favor", "annotator2": "none"},
        (s[0].pk, "sanctions"): {"annotator1": "against", "annotator2": "against"},
        (s[1].pk, "bri"): {"annotator1": "against", "annotator2": "against", "reviewer": "none"},
    }
    rows = reliability.annotation_rows([readout.pk]), reliability.stance_rows([readout.pk])
    assert reliability.readout_units(*rows)[0]["stance"] == expected
    alpha = agreement.krippendorff_alpha(expected)
    assert (report.stance.alpha, report.stance.units, report.stance.values) == (alpha.alpha, 3, 7)
    # Statement 2: 2 of 3 pairs differ; statement 1: 1 of 2 (taiwan differs, sanctions agrees).
    first, second = report.stance.disagreements
    assert (first.number, first.disagreeing, first.pairs) == (2, 2, 3)
    assert first.readings["reviewer"] == {"bri": "none"}
    assert (second.number, second.disagreeing, second.pairs) == (1, 1, 2)
    assert second.readings == {
        "annotator1": {"sanctions": "against", "taiwan": "favor"},
        "annotator2": {"sanctions": "against", "taiwan": "none"},
    }


def test_disagreements_most_first_and_described(hand_built):
    readout, s = hand_built
    report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk), limit=2)
    speaker = report.speaker.disagreements
    # Statement 2: 1 of 1 pair differs; statement 3: 2 of 3.
    assert [(d.number, d.disagreeing, d.pairs) for d in speaker] == [(2, 1, 1), (3, 2, 3)]
    assert speaker[0].readout == "hand-built"
    assert speaker[0].text == s[1].text
    assert speaker[0].readings == {"annotator1": "xi", "annotator2": "lukashenko"}
    assert speaker[1].readings == {"annotator1": None, "annotator2": "publisher", "reviewer": None}
    assert [d.number for d in report.attribution.disagreements] == [3]
    assert [d.number for d in report.stance.disagreements] == [2, 1]
    entry = report.as_dict()["speaker"]["disagreements"][1]
    assert entry == {
        "readout": "hand-built",
        "statement": 3,
        "text": s[2].text,
        "disagreement": pytest.approx(2 / 3),
        "disagreeing_pairs": 2,
        "pairs": 3,
        "readings": {"annotator1": None, "annotator2": "publisher", "reviewer": None},
    }


def test_report_over_several_readouts_pools_units(hand_built, annotator, other_annotator, speakers):
    _readout, s = hand_built
    second = make_readout("second", numbered_text(2))
    t = statements_of(second)
    annotate(t[0], annotator, speakers["xi"])
    annotate(t[0], other_annotator, speakers["publisher"])
    make_readout("unrelated", numbered_text(1))
    both = reliability.agreement_report(Readout.objects.filter(slug__in=["hand-built", "second"]))
    units = hand_units(s)["speaker"]
    units[t[0].pk] = {"annotator1": "xi", "annotator2": "publisher"}
    assert both.speaker.alpha == agreement.krippendorff_alpha(units).alpha
    assert [r.slug for r in both.readouts] == ["hand-built", "second"]
    everything = reliability.agreement_report()
    assert [r.slug for r in everything.readouts] == ["hand-built", "second", "unrelated"]
    assert everything.speaker.as_dict() == both.speaker.as_dict()
    empty = reliability.agreement_report(Readout.objects.filter(slug="unrelated"))
    assert (empty.speaker.alpha, empty.speaker.units, empty.speaker.kappas) == (None, 0, [])


def build_readout(slug: str, count: int, users, speakers, targets) -> Readout:
    """``count`` statements, each read by every user, with disagreements sprinkled in."""
    readout = make_readout(slug, numbered_text(count))
    choices = list(speakers.values())
    for i, statement in enumerate(statements_of(readout)):
        for j, user in enumerate(users):
            speaker = choices[(i + (j if i % 3 == 0 else 0)) % len(choices)]
            stance = "favor" if (i + j) % 4 else "against"
            annotate(statement, user, speaker, stances=[(targets["taiwan"], stance)])
    return readout


def test_report_query_count_does_not_grow(annotator, other_annotator, reviewer, speakers, targets):
    users = [annotator, other_annotator, reviewer]
    small = build_readout("ten", 10, users, speakers, targets)
    large = build_readout("forty", 40, users, speakers, targets)
    counts = []
    for readout in (small, large):
        with CaptureQueriesContext(connection) as queries:
            report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
        assert report.speaker.disagreements
        counts.append(len(queries))
    assert counts == [4, 4]
    with CaptureQueriesContext(connection) as queries:
        report = reliability.agreement_report()
    assert len(queries) == 4
    assert report.annotations == 150


# --------------------------------------------------------------------------- status


def test_status_transitions(annotator, other_annotator, reviewer, speakers):
    readout = make_readout("status", numbered_text(2))
    s = statements_of(readout)

    def status():
        return Readout.objects.get(pk=readout.pk).current_status()

    assert status() == ReadoutStatus.IN_PROGRESS
    annotate(s[0], annotator, speakers["xi"])
    annotate(s[0], other_annotator, speakers["xi"])
    annotate(s[1], annotator, speakers["xi"])
    annotate(s[1], None, speakers["xi"], origin=Origin.MACHINE)  # machines do not count
    assert status() == ReadoutStatus.IN_PROGRESS
    annotate(s[1], other_annotator, speakers["lukashenko"])
    assert status() == ReadoutStatus.ANNOTATED
    with override_settings(READOUT_ANNOTATIONS_ANNOTATIONS_PER_STATEMENT=3):
        assert status() == ReadoutStatus.IN_PROGRESS
    assert adjudication.accept_agreed(readout, reviewer) == 1
    assert status() == ReadoutStatus.ANNOTATED
    adjudication.accept(Annotation.objects.get(statement=s[1], annotator=other_annotator), reviewer)
    assert status() == ReadoutStatus.ADJUDICATED
    row = Readout.objects.filter(pk=readout.pk).with_status().get()
    assert (row.status_statements, row.status_annotated, row.status_gold) == (2, 2, 2)
    assert row.current_status() == ReadoutStatus.ADJUDICATED


def test_status_for_many_readouts_in_one_query(annotator, other_annotator, reviewer, speakers):
    empty = Readout.objects.create(
        slug="empty", title="Empty", published_at=datetime.datetime(2023, 3, 1, tzinfo=datetime.timezone.utc), text="x"
    )
    gold_only = make_readout("gold-only", numbered_text(1))
    g = annotate(statements_of(gold_only)[0], annotator, speakers["xi"])
    adjudication.accept(g, reviewer)
    annotated = make_readout("annotated", numbered_text(3))
    for statement in statements_of(annotated):
        annotate(statement, annotator, speakers["xi"])
        annotate(statement, other_annotator, speakers["xi"])
    started = make_readout("started", numbered_text(3))
    annotate(statements_of(started)[0], annotator, speakers["xi"])
    annotate(statements_of(started)[0], other_annotator, speakers["xi"])
    imported = make_readout("imported", numbered_text(2))  # gold from a file or fixture: nobody adjudicated it
    for statement in statements_of(imported):
        annotate(statement, None, speakers["xi"], origin=Origin.IMPORT, gold=True, gold_statement=statement)
    half = make_readout("half-imported", numbered_text(2))
    first, second = statements_of(half)
    annotate(first, None, speakers["xi"], origin=Origin.IMPORT, gold=True, gold_statement=first)
    adjudication.accept(annotate(second, annotator, speakers["xi"]), reviewer)
    with CaptureQueriesContext(connection) as queries:
        rows = {
            r.slug: (r.status, r.status_statements, r.status_annotated, r.status_gold)
            for r in Readout.objects.with_status()
        }
    assert len(queries) == 1
    assert rows == {
        "empty": ("in_progress", 0, 0, 0),
        "gold-only": ("adjudicated", 1, 0, 1),
        "imported": ("gold_imported", 2, 0, 2),
        "half-imported": ("adjudicated", 2, 0, 2),
        "annotated": ("annotated", 3, 3, 0),
        "started": ("in_progress", 3, 1, 0),
    }
    by_status = Readout.objects.with_status().filter(status=ReadoutStatus.IN_PROGRESS).order_by("slug")
    assert [r.slug for r in by_status] == [empty.slug, started.slug]
    assert annotated.current_status() == ReadoutStatus.ANNOTATED


# --------------------------------------------------------------------------- command


def test_command_json(hand_built):
    _readout, s = hand_built
    out = StringIO()
    call_command("readout_agreement", "--readout", "hand-built", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"speaker", "attribution", "stance", "readouts", "annotators"} <= set(data)
    for name in reliability.FIELDS:
        assert set(data[name]) == {"alpha", "units", "values", "kappas", "disagreements"}
        alpha = agreement.krippendorff_alpha(hand_units(s)[name])
        assert (data[name]["alpha"], data[name]["units"], data[name]["values"]) == (
            alpha.alpha,
            alpha.units,
            alpha.values,
        )
        for kappa in data[name]["kappas"]:
            assert set(kappa) == {"annotators", "kappa", "units"}
    assert data["speaker"]["kappas"][0]["annotators"] == ["annotator1", "annotator2"]
    assert data["readouts"] == [
        {
            "slug": "hand-built",
            "title": "Readout hand-built",
            "status": "in_progress",
            "statements": 6,
            "annotated": 5,
            "gold": 0,
        }
    ]


def test_command_table(hand_built):
    out = StringIO()
    call_command("readout_agreement", "--format", "table", stdout=out)
    text = out.getvalue()
    assert "hand-built" in text
    speaker_row = next(line for line in text.splitlines() if line.startswith("speaker "))
    assert speaker_row.split() == ["speaker", "0.532", "5", "12"]
    assert "Statements of most disagreement on speaker:" in text


def test_command_unknown_readout(hand_built):
    with pytest.raises(CommandError, match="'nope'"):
        call_command("readout_agreement", "--readout", "hand-built", "--readout", "nope", stdout=StringIO())


# --------------------------------------------------------------------------- API


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_api_agreement_is_for_reviewers_only(hand_built, annotator, reviewer):
    address = "/api/agreement/?readout=hand-built"
    assert api_client().get(address).status_code in (401, 403)
    assert api_client(annotator).get(address).status_code == 403
    response = api_client(reviewer).get(address)
    assert response.status_code == 200
    expected = reliability.agreement_report(Readout.objects.filter(slug="hand-built")).as_dict()
    assert response.json() == json.loads(json.dumps(expected))


def test_api_agreement_parameters(hand_built, reviewer, annotator, other_annotator, speakers):
    second = make_readout("second", numbered_text(1))
    annotate(statements_of(second)[0], annotator, speakers["xi"])
    annotate(statements_of(second)[0], other_annotator, speakers["lukashenko"])
    client = api_client(reviewer)
    both = client.get("/api/agreement/?readout=hand-built&readout=second").json()
    assert [r["slug"] for r in both["readouts"]] == ["hand-built", "second"]
    assert both["speaker"]["units"] == 6
    assert client.get("/api/agreement/").json()["speaker"] == both["speaker"]
    one = client.get("/api/agreement/?readout=second&limit=0").json()
    assert one["speaker"]["units"] == 1
    assert one["speaker"]["disagreements"] == []
    unknown = client.get("/api/agreement/?readout=hand-built&readout=nope")
    assert unknown.status_code == 400
    assert "nope" in unknown.json()["readout"][0]
    assert client.get("/api/agreement/?limit=-1").status_code == 400


def test_api_readouts_show_status_to_reviewers_only(hand_built, annotator, reviewer):
    client = api_client(reviewer)
    counts = []
    for slug in ("other", "more", "most"):
        make_readout(slug, numbered_text(2))
        with CaptureQueriesContext(connection) as queries:
            listed = client.get("/api/readouts/").json()["results"]
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts  # the status costs no query per readout
    assert {r["slug"]: r["status"] for r in listed} == dict.fromkeys(
        ["hand-built", "other", "more", "most"], "in_progress"
    )
    _readout, s = hand_built
    for statement in s:
        adjudication.accept(annotate_if_missing(statement, reviewer), reviewer)
    assert api_client(reviewer).get("/api/readouts/hand-built/").json()["status"] == "adjudicated"
    # Blind annotation: the status counts other people's work, so annotators do not get it.
    assert api_client(annotator).get("/api/readouts/hand-built/").json()["status"] is None
    assert {r["status"] for r in api_client(annotator).get("/api/readouts/").json()["results"]} == {None}


def annotate_if_missing(statement, user) -> Annotation:
    return Annotation.objects.filter(statement=statement, annotator=user).first() or annotate(statement, user, None)


# --------------------------------------------------------------------------- admin


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:readout_annotations_readout_{name}", args=args)


def test_admin_agreement_page_for_reviewers(hand_built, client, reviewer):
    readout, s = hand_built
    client.force_login(reviewer)
    response = client.get(admin_url("agreement", readout.pk))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.speaker.alpha == float(Fraction(25, 47))
    page = response.content.decode()
    assert "0.532" in page
    # The statements of most disagreement link to the reviewer's comparison screen.
    compare = reverse("admin:readout_annotations_statement_compare", args=(s[1].pk,))
    assert f'href="{compare}"' in page
    assert client.get(compare).status_code == 200
    # The kappa table has a row per pair of annotators.
    assert [row["annotators"] for row in response.context["kappa_rows"]] == [
        ("annotator1", "annotator2"),
        ("annotator1", "reviewer"),
        ("annotator2", "reviewer"),
    ]


def test_admin_agreement_readings_read_as_names_and_labels(client, annotator, other_annotator, reviewer, speakers):
    """The statements of most disagreement show speakers and targets by name, the mode and
    stances by label and blanks in words, never slugs or empty cells."""
    taiwan = Target.objects.create(slug="taiwan-question", name="Taiwan question")
    readout = make_readout("labels", numbered_text(2))
    first, second = statements_of(readout)
    annotate(first, annotator, speakers["xi"], stances=[(taiwan, "favor")], mode="indirect", cue="said")
    annotate(first, other_annotator, None, "narration", [(taiwan, "against")])
    annotate(second, annotator, speakers["xi"], mode="direct", cue="said")
    annotate(second, other_annotator, speakers["lukashenko"], mode="direct", cue="said")
    client.force_login(reviewer)
    response = client.get(admin_url("agreement", readout.pk))
    shown = {
        block["field"].field: [dict(row["readings"]) for row in block["rows"]]
        for block in response.context["disagreements"]
    }
    assert {"annotator1": "Xi", "annotator2": "(no speaker)"} in shown["speaker"]
    assert {"annotator1": "Xi", "annotator2": "Lukashenko"} in shown["speaker"]
    assert shown["mode"] == [{"annotator1": "indirect", "annotator2": "not speech"}]
    assert shown["cue"] == [{"annotator1": "said", "annotator2": "(no cue)"}]
    assert shown["stance"] == [{"annotator1": "Taiwan question: favor", "annotator2": "Taiwan question: against"}]
    page = response.content.decode()
    assert "taiwan-question" not in page and ": lukashenko<" not in page and ": Lukashenko<" in page


def test_admin_agreement_without_two_readers_says_so_instead_of_empty_tables(client, annotator, reviewer, speakers):
    readout = make_readout("alone", numbered_text(2))
    annotate(statements_of(readout)[0], annotator, speakers["xi"])
    client.force_login(reviewer)
    page = client.get(admin_url("agreement", readout.pk)).content.decode()
    assert 'id="ra-no-agreement"' in page and "So far 1 human annotation by 1 annotator." in " ".join(page.split())
    assert 'id="ra-alpha"' not in page and "No disagreement." not in page
    annotate(statements_of(readout)[0], reviewer, speakers["xi"])
    page = client.get(admin_url("agreement", readout.pk)).content.decode()
    assert 'id="ra-no-agreement"' not in page and 'id="ra-alpha"' in page


def test_admin_agreement_refuses_others(hand_built, client, annotator, db):
    readout, _s = hand_built
    for address in (admin_url("agreement", readout.pk), admin_url("agreement_selection")):
        client.force_login(annotator)
        assert client.get(address).status_code == 403
        client.logout()
        response = client.get(address)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    client.force_login(annotator)
    changelist = client.get(admin_url("changelist"))
    assert changelist.status_code == 200
    assert "show_agreement" not in changelist.content.decode()
    refused = client.post(admin_url("changelist"), {"action": "show_agreement", "_selected_action": [readout.pk]})
    assert refused.status_code == 200  # "no action selected": the action is not offered to annotators
    assert "agreement" not in refused.get("Location", "")


def test_admin_agreement_for_a_selection(hand_built, client, reviewer, annotator, other_annotator, speakers):
    readout, _s = hand_built
    second = make_readout("second", numbered_text(1))
    annotate(statements_of(second)[0], annotator, speakers["xi"])
    annotate(statements_of(second)[0], other_annotator, speakers["lukashenko"])
    make_readout("third", numbered_text(1))
    client.force_login(reviewer)
    response = client.post(
        admin_url("changelist"),
        {"action": "show_agreement", "_selected_action": [readout.pk, second.pk]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    report = page.context["report"]
    assert [r.slug for r in report.readouts] == ["hand-built", "second"]
    assert report.speaker.units == 6
    everything = client.get(admin_url("agreement_selection"))
    assert [r.slug for r in everything.context["report"].readouts] == ["hand-built", "second", "third"]
    assert client.get(admin_url("agreement_selection") + "?ids=1,x").status_code == 404
    assert client.get(admin_url("agreement", 987654)).status_code == 404


def test_admin_changelist_shows_status_without_extra_queries(client, reviewer, annotator, other_annotator, speakers):
    client.force_login(reviewer)
    counts = []
    for count in (2, 6):
        for i in range(len(counts) * 2, count):
            readout = make_readout(f"readout-{i}", numbered_text(2))
            for statement in statements_of(readout):
                annotate(statement, annotator, speakers["xi"])
                if i % 2:
                    annotate(statement, other_annotator, speakers["xi"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(admin_url("changelist"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    page = response.content.decode()
    assert page.count("annotated (2 of 2 annotated)") == 3
    assert page.count("in progress (0 of 2 annotated)") == 3
    assert "Show agreement for selected readouts" in page
    ordered = client.get(admin_url("changelist") + "?o=4")  # the status column, ascending
    statuses = [r.status for r in ordered.context["cl"].result_list]
    assert statuses == ["annotated"] * 3 + ["in_progress"] * 3


def test_no_request_switches_off_the_garbage_collector(hand_built, reviewer, monkeypatch):
    """The collector is the whole process's: a request thread that paused it would pause it for
    every thread. Reports, pages and exports run with it on, whatever their size."""

    def refuse():
        raise AssertionError("gc.disable() called while serving a request")

    monkeypatch.setattr("gc.disable", refuse)
    monkeypatch.setattr("gc.freeze", refuse)
    client = api_client(reviewer)
    for address in (
        "/api/agreement/?readout=hand-built",
        "/api/statements/",
        "/api/annotations/",
        "/api/export/?all=true",
        "/api/export/?format=csv",
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        if response.streaming:
            b"".join(response.streaming_content)
    assert reliability.agreement_report(Readout.objects.all()).as_dict()


def test_a_reviewers_edit_into_gold_is_not_a_coder(annotator, other_annotator, reviewer, speakers):
    readout = make_readout("edited-gold", numbered_text(2))
    s = statements_of(readout)
    xi, luk = speakers["xi"], speakers["lukashenko"]
    annotate(s[0], annotator, xi, "explicit")
    annotate(s[0], other_annotator, luk, "explicit")
    edited = annotate(s[0], reviewer, xi, "explicit", gold=True, adjudicated_by=reviewer)
    report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    assert report.as_dict()["annotators"] == ["annotator1", "annotator2"]
    assert report.fields["speaker"].units == 1
    Annotation.objects.filter(pk=edited.pk).update(gold=False, gold_statement=None, adjudicated_by=None)
    report = reliability.agreement_report(Readout.objects.filter(pk=readout.pk))
    assert report.as_dict()["annotators"] == ["annotator1", "annotator2", "reviewer"]  # a reading like any other
