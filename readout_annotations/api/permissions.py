"""Who may do what through the API.

Every view asks for an authenticated user and the host's Django model permissions
(``view_*`` to read, ``add_*``/``change_*``/``delete_*`` to write). Annotations add object
rules on top of ``Annotation.objects.visible_to`` (which hides other people's annotations
from annotators altogether).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from ..annotating import is_editable_by
from ..models import ADJUDICATE_PERMISSION
from ..roles import is_reviewer  # noqa: F401  (the one roles helper; imported from here by other modules)

ADD_ANNOTATION = "readout_annotations.add_annotation"
CHANGE_ANNOTATION = "readout_annotations.change_annotation"


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with ``view_*`` required to read."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        """As REST framework's, but takes the model from ``view.queryset`` without building ``get_queryset()``."""
        user = request.user
        if not user or not user.is_authenticated:
            return False
        model = view.queryset.model
        return user.has_perms(self.get_required_permissions(request.method, model))


class CanAdjudicate(permissions.BasePermission):
    """Reviewers: may make an annotation gold (which may add one and changes others)."""

    message = _("Only a reviewer can accept an annotation as gold.")

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms([ADJUDICATE_PERMISSION, ADD_ANNOTATION, CHANGE_ANNOTATION])


class CanPostPredictions(permissions.BasePermission):
    """Machine proposals are visible to reviewers only, so only a reviewer may post them."""

    message = _("Posting predictions needs the permissions to add annotations and to adjudicate.")

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms([ADJUDICATE_PERMISSION, ADD_ANNOTATION])


class AnnotationRules(permissions.BasePermission):
    """Writes follow ``annotating.is_editable_by`` (the one rule). Reading needs nothing more:
    the queryset already hides what a user may not see."""

    message = _("You can change or delete only your own annotations.")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if is_editable_by(obj, request.user, deleting=request.method == "DELETE"):
            return True
        if obj.annotator_id == request.user.pk and obj.gold:
            self.message = _("This annotation is gold: only a reviewer can change or delete it.")
        return False
