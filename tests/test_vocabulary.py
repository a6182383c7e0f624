"""Proposing, confirming and merging speakers and targets (readout_annotations.vocabulary).

Runs on every database the suite runs on (``TEST_DATABASE``): the merges take row locks and move
rows under unique constraints, which is where backends differ.
"""

from __future__ import annotations

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
