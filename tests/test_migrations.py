"""Every model change has a migration: ``makemigrations --check`` is clean, and the check can fail."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ProjectState

APP = "readout_annotations"


def pending_changes(current: ProjectState) -> dict:
    """What ``makemigrations`` would write for ``current`` given the migrations on disk."""
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files only, not the database
    autodetector = MigrationAutodetector(
        loader.project_state(),
        current,
        NonInteractiveMigrationQuestioner(specified_apps={APP}, dry_run=True),
    )
    return autodetector.changes(graph=loader.graph, trim_to_apps={APP})


@pytest.mark.django_db
def test_makemigrations_check_finds_nothing():
    out = StringIO()
    # Exits with SystemExit(1) when a migration is missing.
    call_command("makemigrations", APP, check=True, dry_run=True, stdout=out, stderr=StringIO())
    assert "No changes detected" in out.getvalue()


def test_the_models_match_the_migrations():
    assert pending_changes(ProjectState.from_apps(apps)) == {}


def test_a_model_change_without_a_migration_is_detected():
    changed = ProjectState.from_apps(apps).clone()
    readout = changed.models[APP, "readout"]
    readout.fields["summary"] = models.TextField(blank=True, default="")
    changes = pending_changes(changed)
    assert list(changes) == [APP]
    operations = [operation for migration in changes[APP] for operation in migration.operations]
    assert [(type(op).__name__, op.model_name, op.name) for op in operations] == [("AddField", "readout", "summary")]


def test_a_constraint_change_without_a_migration_is_detected():
    changed = ProjectState.from_apps(apps).clone()
    annotation = changed.models[APP, "annotation"]
    annotation.options["constraints"] = [
        constraint
        for constraint in annotation.options["constraints"]
        if constraint.name != "annotation_gold_consistent"
    ]
    operations = [operation for migration in pending_changes(changed)[APP] for operation in migration.operations]
    assert [(type(op).__name__, op.name) for op in operations] == [("RemoveConstraint", "annotation_gold_consistent")]
