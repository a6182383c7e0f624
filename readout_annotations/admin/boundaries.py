"""The reviewer's split and merge buttons on a statement's page (``boundaries`` does the work).

``POST <statement>/split/`` with ``at`` (a code-point offset into the statement's text; the page
sets it from a click in the text) and ``POST <statement>/merge-next/``. Errors come back as
messages naming the field; nothing changes then.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect

from .. import boundaries
from ..models import Statement
from .review import require_reviewer


def _back(model_admin, statement: Statement):
    return redirect(f"{model_admin.admin_site.name}:readout_annotations_statement_change", statement.pk)


def _refused(request, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        for problem in problems:
            messages.error(request, f"{field}: {problem}")


def split_view(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_reviewer(request)
    statement = get_object_or_404(Statement, pk=object_id)
    try:
        at = int(request.POST.get("at", ""))
    except ValueError:
        messages.error(request, "at: " + str(boundaries.AT_NOT_A_NUMBER))
        return _back(model_admin, statement)
    try:
        first, second = boundaries.split(statement, at, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return _back(model_admin, statement)
    messages.success(request, boundaries.split_message(first, second))
    return _back(model_admin, first)


def merge_view(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_reviewer(request)
    statement = get_object_or_404(Statement, pk=object_id)
    try:
        merged = boundaries.merge_with_next(statement, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return _back(model_admin, statement)
    messages.success(request, boundaries.merge_message(merged))
    return _back(model_admin, merged)
