"""``readout_roles`` and ``roles.ensure_roles``: two groups with exactly their permissions, idempotently."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.management import call_command

from readout_annotations.models import ADJUDICATE_PERMISSION, Annotation
from readout_annotations.roles import (
    ANNOTATOR_PERMISSIONS,
    ANNOTATORS,
    REVIEWER_PERMISSIONS,
    REVIEWERS,
    ensure_roles,
)


def run() -> str:
    out = StringIO()
    call_command("readout_roles", stdout=out)
    return out.getvalue()


def permissions_of(name: str) -> set[tuple[str, str]]:
    group = Group.objects.get(name=name)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def expected(codenames) -> set[tuple[str, str]]:
    return {("readout_annotations", codename) for codename in codenames}


@pytest.mark.django_db
def test_readout_roles_is_idempotent():
    first = run()
    groups = dict(Group.objects.values_list("name", "pk"))
    second = run()
    assert dict(Group.objects.values_list("name", "pk")) == groups
    assert sorted(groups) == [ANNOTATORS, REVIEWERS]
    assert permissions_of(ANNOTATORS) == expected(ANNOTATOR_PERMISSIONS)
    assert permissions_of(REVIEWERS) == expected(REVIEWER_PERMISSIONS)

    assert first.splitlines() == [
        "Created group 'Readout annotators' (12 permissions: tag statements; see and change only their own "
        "annotations).",
        "Created group 'Readout reviewers' (23 permissions: see every annotation, adjudicate gold, manage readouts, "
        "speakers and targets).",
    ]
    assert second.splitlines() == [line.replace("Created", "Updated") for line in first.splitlines()]


@pytest.mark.django_db
def test_extra_permissions_are_removed_and_missing_ones_restored():
    ensure_roles()
    annotators = Group.objects.get(name=ANNOTATORS)
    annotators.permissions.add(Permission.objects.get(codename="adjudicate_annotation"))
    annotators.permissions.remove(Permission.objects.get(codename="add_annotation"))
    run()
    assert permissions_of(ANNOTATORS) == expected(ANNOTATOR_PERMISSIONS)


@pytest.mark.django_db
def test_the_permissions_are_created_when_missing():
    Permission.objects.filter(content_type__app_label="readout_annotations").delete()
    roles = ensure_roles()
    assert {name: created for name, (_group, created) in roles.items()} == {ANNOTATORS: True, REVIEWERS: True}
    assert permissions_of(REVIEWERS) == expected(REVIEWER_PERMISSIONS)


def test_reviewers_can_do_everything_annotators_can():
    assert set(ANNOTATOR_PERMISSIONS) < set(REVIEWER_PERMISSIONS)
    assert "adjudicate_annotation" not in ANNOTATOR_PERMISSIONS
    assert len(set(REVIEWER_PERMISSIONS)) == len(REVIEWER_PERMISSIONS)
    assert "delete_readout" not in REVIEWER_PERMISSIONS  # an explicit act: Readout.delete_with_annotations


def test_blind_annotation(small_readout, annotator, other_annotator, reviewer):
    first = small_readout.statements.get(number=1)
    mine = Annotation.objects.create(statement=first, annotator=annotator, attribution="narration")
    theirs = Annotation.objects.create(statement=first, annotator=other_annotator, attribution="narration")
    machine = Annotation.objects.create(statement=first, origin="machine", attribution="narration")
    outsider = get_user_model().objects.create_user("outsider")

    assert not annotator.has_perm(ADJUDICATE_PERMISSION)
    assert annotator.has_perm("readout_annotations.change_annotation")
    assert reviewer.has_perm(ADJUDICATE_PERMISSION)
    assert list(Annotation.objects.visible_to(annotator)) == [mine]
    assert list(Annotation.objects.visible_to(other_annotator)) == [theirs]
    assert list(Annotation.objects.visible_to(reviewer)) == [mine, theirs, machine]
    assert list(Annotation.objects.visible_to(outsider)) == []
    assert list(Annotation.objects.visible_to(AnonymousUser())) == []
    assert list(Annotation.objects.visible_to(None)) == []
