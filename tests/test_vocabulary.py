"""Proposing, confirming and merging speakers and targets (readout_annotations.vocabulary).

Runs on every database the suite runs on (``TEST_DATABASE``): the merges take row locks and move
rows under unique constraints, which is where backends differ.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from readout_annotations import vocabulary
from readout_annotations.models import Annotation, ReviewStatus, Speaker, Stance, Target

from .test_api import annotate, create_catalogue


@pytest.fixture
def catalogue(db):
    return create_catalogue()


# --------------------------------------------------------------------------- proposing


def test_an_annotators_proposal_is_theirs_alone_until_confirmed(annotator, other_annotator, reviewer, catalogue):
    speaker, created = vocabulary.propose_speaker(
        annotator, "  Sergei   Lavrov ", "person", title="Foreign Minister", affiliation="Russia", aliases=["Lavrov"]
    )
    assert created
    assert (speaker.name, speaker.status, speaker.proposed_by, speaker.proposed_by_machine) == (
        "Sergei Lavrov",
        ReviewStatus.PROPOSED,
        annotator,
        "",
    )
    assert speaker.slug.startswith("sergei-lavrov-") and speaker.aliases == ["Lavrov"]
    assert speaker in Speaker.objects.usable_by(annotator)
    assert speaker not in Speaker.objects.usable_by(other_annotator)
    assert speaker in Speaker.objects.usable_by(reviewer)
    assert vocabulary.confirm(Speaker.objects.filter(pk=speaker.pk), by=reviewer) == 1
    assert speaker in Speaker.objects.usable_by(other_annotator)


def test_a_name_the_user_can_already_use_is_never_duplicated(annotator, catalogue):
    catalogue["xi"].aliases = ["President Xi"]
    catalogue["xi"].save()
    for name in ("Xi Jinping", "xi  jinping", "XI-JINPING", "president xi"):
        assert vocabulary.propose_speaker(annotator, name) == (catalogue["xi"], False), name
    mine, created = vocabulary.propose_speaker(annotator, "Wang Yi")
    assert created and vocabulary.propose_speaker(annotator, "wang yi") == (mine, False)
    assert vocabulary.propose_target(annotator, "interference") == (catalogue["interference"], False)


def test_another_annotators_hidden_proposal_is_neither_returned_nor_betrayed(annotator, other_annotator, catalogue):
    theirs, _ = vocabulary.propose_speaker(other_annotator, "Wang Yi")
    mine, created = vocabulary.propose_speaker(annotator, "Wang Yi")
    assert created and mine != theirs and mine.proposed_by == annotator
    # Both slugs carry a random suffix: the plain slug being taken cannot be read off mine.
    assert mine.slug != "wang-yi" and theirs.slug != "wang-yi"


def test_reviewers_add_confirmed_names_and_machines_add_proposals_for_everyone(reviewer, annotator, catalogue):
    speaker, _ = vocabulary.propose_speaker(reviewer, "Antony Blinken")
    assert (speaker.slug, speaker.status, speaker.proposed_by) == ("antony-blinken", ReviewStatus.CONFIRMED, None)
    machine, _ = vocabulary.propose_speaker(None, "Narendra Modi", machine="rules 2")
    assert (machine.status, machine.proposed_by_machine, machine.proposed_by) == (
        ReviewStatus.PROPOSED,
        "rules 2",
        None,
    )
    assert machine in Speaker.objects.usable_by(annotator)


def test_a_target_proposal_takes_a_usable_parent_only(annotator, other_annotator, catalogue):
    child, created = vocabulary.propose_target(annotator, "Taiwan", "region", catalogue["interference"])
    assert created and child.parent == catalogue["interference"] and child.kind == "region"
    hidden, _ = vocabulary.propose_target(other_annotator, "Core interests")
    before = Target.objects.count()
    with pytest.raises(ValidationError) as error:
        vocabulary.propose_target(annotator, "Hong Kong", "region", hidden)
    assert set(error.value.message_dict) == {"parent"}
    assert Target.objects.count() == before


@pytest.mark.parametrize(
    "arguments, field",
    [
        (("",), "name"),
        (("   ",), "name"),
        (("x" * 201,), "name"),
        (("Someone", "planet"), "kind"),
    ],
)
def test_bad_proposals_name_the_field_and_write_nothing(annotator, catalogue, arguments, field):
    before = Speaker.objects.count()
    with pytest.raises(ValidationError) as error:
        vocabulary.propose_speaker(annotator, *arguments)
    assert field in error.value.message_dict
    assert Speaker.objects.count() == before


def test_bad_aliases_and_hidden_members_are_refused(annotator, other_annotator, catalogue):
    with pytest.raises(ValidationError) as error:
        vocabulary.propose_speaker(annotator, "Someone", aliases=["ok", " "])
    assert set(error.value.message_dict) == {"aliases"}
    hidden, _ = vocabulary.propose_speaker(other_annotator, "Hidden Person")
    with pytest.raises(ValidationError) as error:
        vocabulary.propose_speaker(annotator, "The two sides", "group", members=[catalogue["xi"], hidden])
    assert set(error.value.message_dict) == {"members"}
    group, _ = vocabulary.propose_speaker(annotator, "The two leaders", "group", members=[catalogue["xi"]])
    assert list(group.members.all()) == [catalogue["xi"]]


def test_who_may_propose_confirm_and_merge(db, roles, annotator, catalogue):
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    for user in (None, staff):
        with pytest.raises(PermissionDenied):
            vocabulary.propose_speaker(user, "Somebody")
    with pytest.raises(PermissionDenied):
        vocabulary.confirm(Speaker.objects.all(), by=annotator)
    with pytest.raises(PermissionDenied):
        vocabulary.merge_speakers(catalogue["xi"], catalogue["lukashenko"], by=annotator)
    with pytest.raises(PermissionDenied):
        vocabulary.merge_targets(catalogue["bri"], catalogue["interference"], by=annotator)
    assert Speaker.objects.count() == 2 and Target.objects.count() == 2


# --------------------------------------------------------------------------- merging speakers


def test_merging_speakers_repoints_readings_groups_and_keeps_every_name(
    small_readout, annotator, other_annotator, reviewer, catalogue
):
    xi = catalogue["xi"]
    xi.aliases = ["President Xi"]
    xi.save()
    duplicate, _ = vocabulary.propose_speaker(annotator, "Xi Jin-ping", aliases=["Chairman Xi", "president xi"])
    duplicate.wikidata_id = "Q15031"
    duplicate.save()
    statements = list(small_readout.statements.order_by("number"))
    mine = annotate(statements[0], annotator, speaker=duplicate)
    theirs = annotate(statements[1], other_annotator, speaker=xi)
    group = Speaker.objects.create(slug="two-leaders", name="The two leaders", kind="group")
    group.members.set([duplicate, xi, catalogue["lukashenko"]])
    duplicate.members.set([catalogue["lukashenko"], xi])  # nonsense, but it must not become a self-membership

    report = vocabulary.merge_speakers(duplicate, xi, by=reviewer)

    assert not Speaker.objects.filter(pk=duplicate.pk).exists()
    mine.refresh_from_db()
    assert (mine.speaker, mine.version) == (xi, 2)
    theirs.refresh_from_db()
    assert (theirs.speaker, theirs.version) == (xi, 1)
    assert set(group.members.all()) == {xi, catalogue["lukashenko"]}
    assert set(xi.members.all()) == {catalogue["lukashenko"]}
    xi.refresh_from_db()
    assert xi.aliases == ["President Xi", "Xi Jin-ping", "Chairman Xi"]
    assert xi.wikidata_id == "Q15031"
    assert report.repointed["annotation.speaker"] == 1
    assert "Xi Jin-ping" in str(report) and "Xi Jinping" in str(report)


def test_a_speaker_is_not_merged_into_itself(reviewer, catalogue):
    with pytest.raises(ValidationError):
        vocabulary.merge_speakers(catalogue["xi"], catalogue["xi"], by=reviewer)
    assert Speaker.objects.filter(pk=catalogue["xi"].pk).exists()


# --------------------------------------------------------------------------- merging targets


def test_merging_targets_moves_stances_children_and_reports_a_clash(small_readout, annotator, reviewer, catalogue):
    bri, interference = catalogue["bri"], catalogue["interference"]
    duplicate, _ = vocabulary.propose_target(annotator, "One Belt One Road", "initiative")
    child = Target.objects.create(slug="silk-road-fund", name="Silk Road Fund", parent=duplicate)
    statements = list(small_readout.statements.order_by("number"))
    both = annotate(statements[0], annotator, stances=[(duplicate, "against"), (bri, "favor")])
    only = annotate(statements[1], annotator, stances=[(duplicate, "favor"), (interference, "against")])

    report = vocabulary.merge_targets(duplicate, bri, by=reviewer)

    assert not Target.objects.filter(pk=duplicate.pk).exists()
    assert list(both.stances.values_list("target__slug", "stance")) == [("belt-and-road", "favor")]
    assert sorted(only.stances.values_list("target__slug", "stance")) == [
        ("belt-and-road", "favor"),
        ("interference", "against"),
    ]
    child.refresh_from_db()
    assert child.parent == bri
    bri.refresh_from_db()
    assert "One Belt One Road" in bri.aliases
    assert report.repointed["stance.target"] == 1 and report.repointed["target.children"] == 1
    (note,) = report.notes
    assert str(both.uuid) in note and "kept favor" in note and "dropped against" in note
    assert Annotation.objects.get(pk=both.pk).version == 2 and Annotation.objects.get(pk=only.pk).version == 2


def test_merging_a_target_into_its_own_descendant_forms_no_cycle(reviewer, catalogue):
    root = Target.objects.create(slug="root", name="Root")
    source = Target.objects.create(slug="source", name="Source", parent=root)
    middle = Target.objects.create(slug="middle", name="Middle", parent=source)
    into = Target.objects.create(slug="into", name="Into", parent=middle)

    vocabulary.merge_targets(source, into, by=reviewer)

    into.refresh_from_db()
    middle.refresh_from_db()
    assert (into.parent, middle.parent) == (root, into)
    for target in Target.objects.all():
        target.full_clean()  # no target is its own ancestor


def test_a_failed_merge_changes_nothing(small_readout, annotator, reviewer, catalogue, monkeypatch):
    duplicate, _ = vocabulary.propose_target(annotator, "BRI", "initiative")
    stance_target = annotate(small_readout.statements.first(), annotator, stances=[(duplicate, "favor")])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(vocabulary, "_fold_names", broken)
    with pytest.raises(RuntimeError):
        vocabulary.merge_targets(duplicate, catalogue["bri"], by=reviewer)
    assert Target.objects.filter(pk=duplicate.pk).exists()
    assert Stance.objects.get(annotation=stance_target).target == duplicate


# --------------------------------------------------------------------------- where proposals show


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _autocomplete(client, model_name: str, field_name: str) -> list[str]:
    from django.urls import reverse
    from django.utils.http import urlencode

    query = {"app_label": "readout_annotations", "model_name": model_name, "field_name": field_name, "term": ""}
    response = client.get(reverse("admin:autocomplete") + "?" + urlencode(query))
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_another_annotators_proposals_show_nowhere_for_an_annotator(annotator, other_annotator, reviewer, catalogue):
    """Admin lists, filter choices, autocompletes, change pages and the API's speaker and target
    endpoints: an annotator sees confirmed names, machine proposals and their own, never another's."""
    from django.urls import reverse
    from rest_framework.test import APIClient

    theirs_speaker, _ = vocabulary.propose_speaker(other_annotator, "Their Speaker")
    theirs_target, _ = vocabulary.propose_target(other_annotator, "Their Target")
    vocabulary.propose_speaker(annotator, "My Speaker")
    vocabulary.propose_target(annotator, "My Target")
    vocabulary.propose_speaker(None, "Machine Speaker", machine="rules")
    admin_pages = [
        reverse("admin:readout_annotations_speaker_changelist"),
        reverse("admin:readout_annotations_target_changelist"),
        reverse("admin:readout_annotations_statement_changelist") + "?status=all",
    ]
    for user, sees_theirs in ((annotator, False), (reviewer, True)):
        client = _client(user)
        pages = "".join(client.get(url).content.decode() for url in admin_pages)
        speakers = _autocomplete(client, "annotation", "speaker")
        targets = _autocomplete(client, "stance", "target")
        api = APIClient()
        api.force_authenticate(user)
        api_speakers = [row["name"] for row in api.get("/api/speakers/?page_size=100").json()["results"]]
        api_targets = [row["name"] for row in api.get("/api/targets/?page_size=100").json()["results"]]
        for seen in (pages, speakers, api_speakers):
            assert ("Their Speaker" in seen) is sees_theirs, user
            assert "Machine Speaker" in seen and "Xi Jinping" in seen
        for seen in (pages, targets, api_targets):
            assert ("Their Target" in seen) is sees_theirs, user
        if user == annotator:
            assert "My Speaker" in pages and "My Speaker" in speakers and "My Target" in targets
        detail = (
            api.get(f"/api/speakers/{theirs_speaker.slug}/").status_code,
            api.get(f"/api/targets/{theirs_target.slug}/").status_code,
        )
        assert detail == ((200, 200) if sees_theirs else (404, 404))
        change = client.get(reverse("admin:readout_annotations_speaker_change", args=[theirs_speaker.pk]))
        assert (change.status_code == 200) is sees_theirs


def test_reviewers_filter_proposals_by_status_and_proposer(annotator, reviewer, catalogue):
    from django.urls import reverse

    mine, _ = vocabulary.propose_speaker(annotator, "Proposed By Hand")
    machine, _ = vocabulary.propose_speaker(None, "Proposed By Rules", machine="rules")
    client = _client(reviewer)
    changelist = reverse("admin:readout_annotations_speaker_changelist")

    def shown(query: str) -> set[str]:
        response = client.get(changelist + query)
        assert response.status_code == 200, query
        return {row.name for row in response.context["cl"].result_list}

    assert shown("?status__exact=proposed") == {mine.name, machine.name}
    assert shown("?status__exact=confirmed") == {"Xi Jinping", "Alexander Lukashenko"}
    assert shown("?proposer=machine") == {machine.name}
    assert shown(f"?proposer={annotator.pk}") == {mine.name}
    assert shown("?proposer=nobody") == {"Xi Jinping", "Alexander Lukashenko"}
    page = client.get(changelist).content.decode()
    assert "annotator1" in page and "rules (machine)" in page
    from readout_annotations.attribution import MACHINE_NAME

    vocabulary.propose_speaker(None, "Proposed By The Built-In Rules", machine=MACHINE_NAME)
    page = client.get(changelist).content.decode()
    assert "built-in rules (machine)" in page and MACHINE_NAME not in page  # the proposer's label


def test_the_admin_confirms_and_merges(small_readout, annotator, reviewer, catalogue):
    from django.urls import reverse

    duplicate, _ = vocabulary.propose_speaker(annotator, "President Xi")
    reading = annotate(small_readout.statements.first(), annotator, speaker=duplicate)
    other, _ = vocabulary.propose_speaker(annotator, "Wang Yi")
    client = _client(reviewer)
    changelist = reverse("admin:readout_annotations_speaker_changelist")

    response = client.post(changelist, {"action": "confirm_selected", "_selected_action": [other.pk]}, follow=True)
    assert "1 proposal confirmed." in [str(m) for m in response.context["messages"]]
    other.refresh_from_db()
    assert other.status == ReviewStatus.CONFIRMED

    selected = {"action": "merge_selected", "_selected_action": [duplicate.pk, catalogue["xi"].pk]}
    page = client.post(changelist, selected)
    assert page.status_code == 200 and "admin/readout_annotations/merge.html" in [t.name for t in page.templates]
    assert Speaker.objects.filter(pk=duplicate.pk).exists()  # the page only asks
    response = client.post(changelist, {**selected, "apply": "1", "into": catalogue["xi"].pk}, follow=True)
    assert response.status_code == 200
    assert not Speaker.objects.filter(pk=duplicate.pk).exists()
    reading.refresh_from_db()
    assert reading.speaker == catalogue["xi"]
    assert any("Merged President Xi into Xi Jinping" in str(m) for m in response.context["messages"])

    targets = reverse("admin:readout_annotations_target_changelist")
    bri, _ = vocabulary.propose_target(annotator, "BRI")
    chosen = {"action": "merge_selected", "_selected_action": [bri.pk, catalogue["bri"].pk]}
    client.post(targets, {**chosen, "apply": "1", "into": catalogue["bri"].pk})
    assert not Target.objects.filter(pk=bri.pk).exists()
    assert "BRI" in Target.objects.get(pk=catalogue["bri"].pk).aliases


def test_a_reading_cannot_name_another_annotators_proposal(small_readout, annotator, other_annotator, catalogue):
    """The API answers another's proposed slug exactly as an unknown one; one's own is usable."""
    from rest_framework.test import APIClient

    theirs, _ = vocabulary.propose_speaker(other_annotator, "Their Speaker")
    their_target, _ = vocabulary.propose_target(other_annotator, "Their Target")
    mine, _ = vocabulary.propose_speaker(annotator, "My Speaker")
    api = APIClient()
    api.force_authenticate(annotator)

    def post(number: int, speaker: str, target: str = "interference"):
        record = {
            "readout": small_readout.slug,
            "statement": number,
            "speaker": speaker,
            "attribution": "explicit",
            "cue": "said",
            "stances": [{"target": target, "stance": "favor"}],
        }
        return api.post("/api/annotations/", record, format="json")

    hidden, missing = post(4, theirs.slug), post(4, "no-such-speaker")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["speaker"] == [m.replace("no-such-speaker", theirs.slug) for m in missing.json()["speaker"]]
    hidden, missing = post(4, mine.slug, their_target.slug), post(4, mine.slug, "no-such-target")
    assert hidden.status_code == missing.status_code == 400
    assert json.dumps(hidden.json()).replace(their_target.slug, "?") == json.dumps(missing.json()).replace(
        "no-such-target", "?"
    )
    assert not Annotation.objects.filter(annotator=annotator).exists()
    assert post(4, mine.slug).status_code == 201, post(4, mine.slug).content


@pytest.mark.parametrize("model", [Speaker, Target], ids=["speaker", "target"])
def test_the_review_lists_cost_the_same_for_few_and_many_proposals(annotator, other_annotator, reviewer, model):
    """Proposed by annotators, by a machine, or confirmed: the reviewer's list is a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    propose = vocabulary.propose_speaker if model is Speaker else vocabulary.propose_target
    proposers = [(annotator, {}), (other_annotator, {}), (None, {"machine": "rules"})]
    client = _client(reviewer)
    changelist = reverse(f"admin:readout_annotations_{model._meta.model_name}_changelist")
    counts = []
    for size in (3, 30):
        while model.objects.count() < size:
            user, extra = proposers[model.objects.count() % 3]
            propose(user, f"Name {model.objects.count()}", **extra)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(changelist).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
