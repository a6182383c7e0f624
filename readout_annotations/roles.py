"""The two roles, as Django groups with exactly the model permissions each needs.

The group names are public: hosts and the ``readout_roles`` command rely on them.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

ANNOTATORS = "Readout annotators"
REVIEWERS = "Readout reviewers"

ANNOTATOR_PERMISSIONS = (
    "view_readout",
    "view_statement",
    "view_speaker",
    "view_target",
    "view_annotation",
    "add_annotation",
    "change_annotation",
    "delete_annotation",
    "view_stance",
    "add_stance",
    "change_stance",
    "delete_stance",
)
REVIEWER_PERMISSIONS = (
    *ANNOTATOR_PERMISSIONS,
    "adjudicate_annotation",
    "add_readout",
    "change_readout",
    "add_statement",
    "change_statement",
    "add_speaker",
    "change_speaker",
    "delete_speaker",
    "add_target",
    "change_target",
    "delete_target",
)

ROLES = {ANNOTATORS: ANNOTATOR_PERMISSIONS, REVIEWERS: REVIEWER_PERMISSIONS}
ROLE_DESCRIPTIONS = {
    ANNOTATORS: _("tag statements; see and change only their own annotations"),
    REVIEWERS: _("see every annotation, adjudicate gold, manage readouts, speakers and targets"),
}


@transaction.atomic
def ensure_roles() -> dict[str, tuple[Group, bool]]:
    """Create or update both groups so that each has exactly its permissions. Idempotent."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    create_permissions(apps.get_app_config("readout_annotations"), verbosity=0)
    available = {p.codename: p for p in Permission.objects.filter(content_type__app_label="readout_annotations")}
    result = {}
    for name, codenames in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        group.permissions.set([available[codename] for codename in codenames])
        result[name] = (group, created)
    return result


def is_reviewer(user) -> bool:
    """Whether ``user`` is a reviewer: sees every annotation and may make one gold.

    The one test of the role, wherever a screen, a query or a rule depends on it (anonymous
    users and ``None`` are not reviewers).
    """
    from .models import ADJUDICATE_PERMISSION

    return bool(user is not None and user.is_authenticated and user.has_perm(ADJUDICATE_PERMISSION))
