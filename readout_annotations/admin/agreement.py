"""Agreement in the admin: a page per readout and for a selection, and the readout status column.

Hooked into ``ReadoutAdmin`` (``admin/readouts.py``) by:

* ``agreement_urls(self)`` in its workbench URLs (before the default URLs, whose
  ``<path:object_id>/`` would otherwise take ``agreement/``);
* the action ``show_agreement`` (needs the admin's ``has_adjudicate_permission``);
* ``status_column`` in ``list_display``, with ``ReadoutQuerySet.with_status`` in ``get_queryset``
  so that the status comes in the list's own query.

The pages are for reviewers only: they show everyone's readings.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import reliability
from ..models import Mode, Readout, ReadoutStatus, Speaker, StanceValue, Target
from .common import is_reviewer

#: Most statements of disagreement a page lists per field.
MAX_LIMIT = 100


def agreement_urls(model_admin) -> list:
    """The agreement pages of ``model_admin`` (the readout admin), for its ``get_urls``."""
    info = model_admin.opts.app_label, model_admin.opts.model_name

    def wrap(view):
        def wrapper(request, *args, **kwargs):
            return view(model_admin, request, *args, **kwargs)

        return update_wrapper(model_admin.admin_site.admin_view(wrapper), view)

    return [
        path("agreement/", wrap(agreement_view), name="{}_{}_agreement_selection".format(*info)),
        path("<int:object_id>/agreement/", wrap(agreement_view), name="{}_{}_agreement".format(*info)),
    ]


def agreement_url(site_name: str, readout_ids=None) -> str:
    """The agreement page of one readout (an id), of several (a list of ids), or of all (None)."""
    if readout_ids is None or isinstance(readout_ids, list | tuple | set):
        url = reverse(f"{site_name}:readout_annotations_readout_agreement_selection")
        if readout_ids:
            url += "?" + urlencode({"ids": ",".join(str(pk) for pk in sorted(readout_ids))})
        return url
    return reverse(f"{site_name}:readout_annotations_readout_agreement", args=(readout_ids,))


def statement_link(site_name: str, statement_id: int) -> str:
    """The reviewer's comparison screen of a statement, or its change page when that is not installed."""
    try:
        return reverse(f"{site_name}:readout_annotations_statement_compare", args=(statement_id,))
    except NoReverseMatch:
        return reverse(f"{site_name}:readout_annotations_statement_change", args=(statement_id,))


def _selected_ids(request) -> list[int] | None:
    raw = request.GET.get("ids", "")
    if not raw:
        return None
    try:
        return [int(value) for value in raw.split(",")]
    except ValueError:
        raise Http404(_("The readouts are given as ids separated by commas.")) from None


def _limit(request) -> int:
    value = request.GET.get("limit", "")
    return min(int(value), MAX_LIMIT) if value.isdigit() else reliability.DISAGREEMENT_LIMIT


class ReadingLabels:
    """What people read for the values of the agreement report, which holds slugs and codes:
    speakers and targets by name (two queries, for the slugs in ``disagreements`` only), the
    mode and stances by their labels, blanks in words."""

    def __init__(self, report: reliability.AgreementReport) -> None:
        speakers, targets = set(), set()
        for d in report.fields["speaker"].disagreements:
            speakers.update(value for value in d.readings.values() if value)
        for d in report.fields["stance"].disagreements:
            for value in d.readings.values():
                targets.update(value or ())
        self.speakers = dict(Speaker.objects.filter(slug__in=speakers).values_list("slug", "name")) if speakers else {}
        self.targets = dict(Target.objects.filter(slug__in=targets).values_list("slug", "name")) if targets else {}
        self.stances = dict(StanceValue.choices)
        self.modes = {"": _("not speech"), **dict(Mode.choices)}

    def __call__(self, field: str, value) -> str:
        if isinstance(value, dict):
            shown = [f"{self.targets.get(t, t)}: {self.stances.get(s, s)}" for t, s in value.items()]
            return "; ".join(shown) or _("(no stance)")
        if field == "speaker":
            return self.speakers.get(value, value) if value else _("(no speaker)")
        if field == "mode":
            return str(self.modes.get(value or "", value))
        if field == "cue" and not value:
            return _("(no cue)")
        return "—" if value is None else str(value)


def agreement_view(model_admin, request, object_id: str | None = None):
    """The three alphas, the kappas per pair, the amount of data, the statements of most disagreement."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    site = model_admin.admin_site
    readouts = Readout.objects.all()
    original = None
    if object_id is not None:
        original = model_admin.get_object(request, object_id)
        if original is None:
            raise Http404(_("No readout has the id %(id)s.") % {"id": object_id})
        readouts = readouts.filter(pk=original.pk)
    else:
        ids = _selected_ids(request)
        if ids is not None:
            readouts = readouts.filter(pk__in=ids)
    report = reliability.agreement_report(readouts, limit=_limit(request))
    pairs: dict[tuple[str, str], dict[str, reliability.PairKappa]] = {}
    for name in reliability.FIELDS:
        for kappa in report.fields[name].kappas:
            pairs.setdefault(kappa.annotators, {})[name] = kappa
    label = ReadingLabels(report)
    disagreements = [
        {
            "field": report.fields[name],
            "rows": [
                {
                    "entry": d,
                    "url": statement_link(site.name, d.statement_id),
                    "readings": [(annotator, label(name, value)) for annotator, value in d.readings.items()],
                }
                for d in report.fields[name].disagreements
            ],
        }
        for name in reliability.FIELDS
    ]
    if original is not None:
        title = _("Agreement on %(readout)s") % {"readout": original.title}
    else:
        title = ngettext("Agreement on %(count)s readout", "Agreement on %(count)s readouts", len(report.readouts)) % {
            "count": len(report.readouts)
        }
    context = {
        **site.each_context(request),
        "opts": model_admin.opts,
        "original": original,
        "title": title,
        "report": report,
        "fields": [report.fields[name] for name in reliability.FIELDS],
        "kappa_rows": [
            {"annotators": pair, "cells": [by_field.get(name) for name in reliability.FIELDS]}
            for pair, by_field in sorted(pairs.items())
        ],
        "disagreements": disagreements,
        "readouts": [
            {
                "progress": progress,
                "url": reverse(f"{site.name}:readout_annotations_readout_change", args=(progress.pk,)),
                "agreement_url": agreement_url(site.name, progress.pk),
            }
            for progress in report.readouts
        ],
    }
    return TemplateResponse(request, "admin/readout_annotations/readout/agreement.html", context)


# --------------------------------------------------------------------------- action and status column


@admin.action(description=gettext_lazy("Show agreement for selected readouts"), permissions=["adjudicate"])
def show_agreement(model_admin, request, queryset):
    ids = list(queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(agreement_url(model_admin.admin_site.name, ids))


@admin.display(description=gettext_lazy("status"), ordering="status")
def status_column(obj: Readout) -> str:
    """A readout's status with the count behind it: statements with gold once every statement has
    some ("gold imported (34 of 34 with gold)"), else statements annotated enough ("in progress
    (3 of 34 annotated)"). From ``ReadoutQuerySet.with_status`` when the list used it (else one query)."""
    status = obj.current_status()
    if not hasattr(obj, "status_statements"):
        return str(status.label)
    if status in (ReadoutStatus.ADJUDICATED, ReadoutStatus.GOLD_IMPORTED):
        text, done = _("%(status)s (%(done)s of %(statements)s with gold)"), obj.status_gold
    else:
        text, done = _("%(status)s (%(done)s of %(statements)s annotated)"), obj.status_annotated
    return text % {"status": status.label, "done": done, "statements": obj.status_statements}
