"""A readout's link to a document of the host: a doccano example, a CMS page, any model instance.

The link is the readout's ``document_type`` (a content type) and ``document_id`` (the object's
primary key, as text), with the generic foreign key ``Readout.document`` over them. Commands and
the API name a document as ``app_label.model:id`` (``examples.example:12``) and show it as
``{"type": "app_label.model", "id": "12"}``.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Readout


def parse_reference(value: str) -> models.Model:
    """The host object that ``app_label.model:id`` names; ``ValidationError`` if there is none."""
    label, separator, pk = str(value).strip().partition(":")
    app_label, dot, model = label.partition(".")
    if not (separator and dot and app_label and model and pk):
        raise ValidationError(
            _("%(value)r is not a document reference: write app_label.model:id, e.g. examples.example:12."),
            code="invalid",
            params={"value": value},
        )
    return resolve({"type": label, "id": pk})


def resolve(reference: dict) -> models.Model:
    """The host object that ``{"type": "app_label.model", "id": "..."}`` names; ``ValidationError`` if none."""
    label, pk = str(reference.get("type", "")), str(reference.get("id", ""))
    app_label, _dot, model = label.lower().partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        raise ValidationError(
            _("There is no model %(type)r in this project."), code="unknown_type", params={"type": label}
        ) from None
    model_class = content_type.model_class()
    if model_class is None:
        raise ValidationError(
            _("The model %(type)r is no longer installed."), code="unknown_type", params={"type": label}
        )
    if model_class is Readout:
        raise ValidationError(_("A readout cannot be its own host document."), code="invalid")
    try:
        return model_class._default_manager.get(pk=pk)
    except (model_class.DoesNotExist, ValueError, ValidationError):
        raise ValidationError(
            _("There is no %(type)s with id %(id)r."), code="not_found", params={"type": label, "id": pk}
        ) from None


def reference(readout: Readout) -> dict | None:
    """``{"type": "app_label.model", "id": "..."}`` for the readout's document, or None."""
    if readout.document_type_id is None:
        return None
    content_type = ContentType.objects.get_for_id(readout.document_type_id)  # cached by Django
    return {"type": f"{content_type.app_label}.{content_type.model}", "id": readout.document_id}


def readouts_for(document: models.Model) -> models.QuerySet[Readout]:
    """The readouts linked to a host object: the other direction of ``Readout.document``."""
    return Readout.objects.filter(
        document_type=ContentType.objects.get_for_model(document),
        document_id=str(document.pk),
    )


def link(readout: Readout, document: models.Model | None) -> bool:
    """Point ``readout`` at ``document`` (None removes the link); True if that changed anything."""
    if document is None:
        if readout.document_type_id is None:
            return False
        readout.document_type, readout.document_id = None, ""
    else:
        content_type = ContentType.objects.get_for_model(document)
        if readout.document_type_id == content_type.pk and readout.document_id == str(document.pk):
            return False
        readout.document_type, readout.document_id = content_type, str(document.pk)
    readout.save(update_fields=["document_type", "document_id", "updated_at"])
    return True
