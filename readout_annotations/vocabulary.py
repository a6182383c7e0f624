"""The speakers and targets vocabulary: proposing a name an annotator could not find.

A minimal stand-in written by the workbench for its form; the ``security`` work replaces this
module with the full service (confirming and merging too), with the same two signatures:

- :func:`propose_speaker` / :func:`propose_target` return ``(row, created)``. An annotator's
  proposal is ``proposed`` and usable at once by that annotator only
  (``ProposableQuerySet.usable_by``); a reviewer's is ``confirmed``. A name, alias or slug that
  matches a row the proposer may already use returns that row: nothing is duplicated.

Errors: ``PermissionDenied`` for a user who may not propose; ``ValidationError`` by field.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ADJUDICATE_PERMISSION, ReviewStatus, Speaker, Target

ANNOTATE_PERMISSION = "readout_annotations.add_annotation"


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("A name is required.")}, code="required")
    if len(name) > 200:
        raise ValidationError({"name": _("At most 200 characters.")}, code="max_length")
    return name


def find_usable(model, user, name: str):
    """The row ``user`` may use whose name, slug or an alias is ``name`` (case ignored), or None."""
    key = name.casefold()
    usable = model.objects.usable_by(user)
    found = usable.filter(models.Q(name__iexact=name) | models.Q(slug=slugify(name))).order_by("pk").first()
    if found is not None:
        return found
    for row in usable.exclude(aliases=[]).order_by("pk"):
        if any(isinstance(a, str) and " ".join(a.split()).casefold() == key for a in row.aliases):
            return row
    return None


def _create(model, user, name: str, fields: dict):
    if user is None or not user.is_authenticated or not user.has_perm(ANNOTATE_PERMISSION):
        raise PermissionDenied(_("Only annotators and reviewers propose speakers and targets."))
    if user.has_perm(ADJUDICATE_PERMISSION):
        state = {"status": ReviewStatus.CONFIRMED}
    else:
        state = {"status": ReviewStatus.PROPOSED, "proposed_by": user}
    base = (slugify(name) or "name")[:100]
    slug = f"{base}-{secrets.token_hex(3)}"  # random: another annotator's hidden slug is not guessable
    row = model(name=name, slug=slug, **fields, **state)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def propose_speaker(user, name: str, kind: str = Speaker.Kind.PERSON) -> tuple[Speaker, bool]:
    """Add a speaker ``user`` could not find; ``(speaker, created)``."""
    name = _clean_name(name)
    existing = find_usable(Speaker, user, name)
    if existing is not None:
        return existing, False
    return _create(Speaker, user, name, {"kind": kind}), True


@transaction.atomic
def propose_target(user, name: str, kind: str = Target.Kind.ISSUE, parent: Target | None = None) -> tuple[Target, bool]:
    """Add a stance target ``user`` could not find, under ``parent``; ``(target, created)``."""
    name = _clean_name(name)
    existing = find_usable(Target, user, name)
    if existing is not None:
        return existing, False
    if parent is not None and not Target.objects.usable_by(user).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": _("Unknown target.")}, code="invalid_choice")
    return _create(Target, user, name, {"kind": kind, "parent": parent}), True
