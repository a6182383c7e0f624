"""Blind annotation in the admin's lists: what a query string may look through.

A changelist applies the lookups of its query string (``?annotations__isnull=False``,
``?gold_annotation=12``) to its rows. A lookup that passes through an annotation, a stance or a
user tells an annotator about other people's readings, however blind the columns are; so for
anyone who is not a reviewer such a lookup is refused with a 400, on every model admin of the
app, whatever the depth (``readout__statements__annotations__speaker``). The relations are found
from the models (:func:`private_relation`), so a new relation is covered the day it is added.
"""

from __future__ import annotations

from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext as _

from ..models import Annotation, Stance
from ..roles import is_reviewer


def private_models() -> tuple[type, ...]:
    """Models whose rows belong to someone: readings (annotations, their stances) and users."""
    return (Annotation, Stance, get_user_model())


def private_relation(model, lookup: str) -> str | None:
    """The part of ``lookup`` (a changelist query key on ``model``) that reaches a private model,
    as ``"statements__annotations"``; ``None`` when the lookup stays among public rows."""
    private = private_models()
    walked = []
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None  # a transform or lookup (``__isnull``, ``__year``), or not a field at all
        walked.append(part)
        target = field.related_model if field.is_relation else None
        if target is None:
            return None
        if target in private:
            return LOOKUP_SEP.join(walked)
        model = target
    return None


class BlindChangeListMixin:
    """For a ``ModelAdmin``: refuse (400) query keys through private relations to non-reviewers."""

    def changelist_view(self, request, extra_context=None):
        if not is_reviewer(request.user):
            for key in request.GET:
                if private_relation(self.model, key) is not None:
                    raise DisallowedModelAdminLookup(_("Filtering by %(key)s is for reviewers.") % {"key": key})
        return super().changelist_view(request, extra_context)
