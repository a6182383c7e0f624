"""Pictures where people would rather look than read: the readout view and the stance map.

Both cost a fixed number of queries, whatever the readout's length or the number of cells.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Attribution, Readout, Stance, StanceValue
from .annotate import statement_url
from .common import WORKBENCH_MEDIA, Reading, balance_colour, is_reviewer, layout, readings, speaker_colour
from .filters import NO_SPEAKER


def picture_readings(user) -> list[Reading]:
    """The readings a picture can show: one per statement, so never "any"."""
    return [Reading.GOLD, Reading.MINE] if is_reviewer(user) else [Reading.MINE]


def picture_reading(user, value: str | None) -> Reading:
    allowed = picture_readings(user)
    return Reading(value) if value in allowed else allowed[0]


# --------------------------------------------------------------------------- readout view


def readout_view(model_admin, request, object_id):
    """The whole text, every statement coloured by its speaker, with stance badges."""
    readout = get_object_or_404(Readout, pk=object_id)
    if not model_admin.has_view_permission(request, readout):
        raise PermissionDenied
    reading = picture_reading(request.user, request.GET.get("reading"))
    reviewer = is_reviewer(request.user)
    site_name = model_admin.admin_site.name
    statements = list(readout.statements.order_by("start"))
    chosen = (
        readings(request.user, reading)
        .filter(statement__readout=readout)
        .select_related("speaker")
        .prefetch_related(Prefetch("stances", queryset=Stance.objects.select_related("target")))
    )
    by_statement = {annotation.statement_id: annotation for annotation in chosen}
    legend: Counter = Counter()
    speakers = {}
    narration = unread = 0
    for statement in statements:
        annotation = by_statement.get(statement.pk)
        statement.reading = annotation
        statement.link = statement_url("compare" if reviewer else "annotate", statement.pk, site_name=site_name)
        if annotation is None:
            statement.css, statement.colour, statement.badges = "ra-unread", speaker_colour(None), []
            unread += 1
            continue
        statement.colour = speaker_colour(annotation.speaker_id)
        statement.badges = sorted(annotation.stances.all(), key=lambda s: s.target.name.lower())
        statement.css = "ra-narration" if annotation.attribution == Attribution.NARRATION else "ra-spoken"
        narration += annotation.attribution == Attribution.NARRATION
        if annotation.speaker is not None:
            legend[annotation.speaker_id] += 1
            speakers[annotation.speaker_id] = annotation.speaker
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": readout,
        "title": readout.title,
        "readout": readout,
        "paragraphs": layout(readout.text, statements),
        "reading": reading,
        "readings": [(r.value, r.label) for r in picture_readings(request.user)],
        "legend": [
            {"speaker": speakers[pk], "count": count, "colour": speaker_colour(pk)}
            for pk, count in sorted(legend.items(), key=lambda item: (-item[1], speakers[item[0]].name))
        ],
        "total": len(statements),
        "narration": narration,
        "unread": unread,
        "media": WORKBENCH_MEDIA,
    }
    return TemplateResponse(request, "admin/readout_annotations/readout/view.html", context)


# --------------------------------------------------------------------------- stance map


class StanceMapForm(forms.Form):
    readout = forms.ModelChoiceField(
        Readout.objects.all(), label=gettext_lazy("readout"), required=False, empty_label=gettext_lazy("all readouts")
    )
    since = forms.DateField(
        label=gettext_lazy("published from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("published until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reading = forms.ChoiceField(label=gettext_lazy("reading"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(r.value, r.label) for r in picture_readings(user)]
        self.fields["reading"].choices = choices
        if len(choices) == 1:
            self.fields["reading"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the range is before its start."))
        return data


@dataclass
class MapCell:
    favor: int = 0
    against: int = 0
    none: int = 0
    links: dict[str, str] = field(default_factory=dict)

    @property
    def colour(self) -> str:
        return balance_colour(self.favor, self.against)

    @property
    def total(self) -> int:
        return self.favor + self.against + self.none


def stance_map_view(model_admin, request):
    """Speaker × target: how often each speaker is for or against each target (targets down)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = StanceMapForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    reading = picture_reading(request.user, data.get("reading"))
    scope = readings(request.user, reading)
    link_filters: dict[str, str] = {"status": "all", "reading": reading.value}
    if data.get("readout"):
        scope = scope.filter(statement__readout=data["readout"])
        link_filters["readout__id__exact"] = str(data["readout"].pk)
    # Days of publication in each readout's own zone (Readout.published_on), not the host's.
    if data.get("since"):
        scope = scope.filter(statement__readout__published_on__gte=data["since"])
        link_filters["readout__published_on__gte"] = data["since"].isoformat()
    if data.get("until"):
        scope = scope.filter(statement__readout__published_on__lte=data["until"])
        link_filters["readout__published_on__lte"] = data["until"].isoformat()
    counts = (
        Stance.objects.filter(annotation__in=scope.values("pk"))
        .values(
            "annotation__speaker_id",
            "annotation__speaker__slug",
            "annotation__speaker__name",
            "target_id",
            "target__slug",
            "target__name",
            "stance",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    changelist = reverse(f"{model_admin.admin_site.name}:readout_annotations_statement_changelist")
    speakers: dict = {}
    targets: dict = {}
    cells: dict[tuple, MapCell] = {}
    for row in counts:
        speaker_key = row["annotation__speaker_id"]
        speakers.setdefault(
            speaker_key,
            {
                "slug": row["annotation__speaker__slug"] or NO_SPEAKER,
                "name": row["annotation__speaker__name"] or _("(no speaker)"),
                "colour": speaker_colour(speaker_key),
                "total": 0,
            },
        )
        targets.setdefault(row["target_id"], {"slug": row["target__slug"], "name": row["target__name"], "total": 0})
        cell = cells.setdefault((speaker_key, row["target_id"]), MapCell())
        setattr(cell, row["stance"], getattr(cell, row["stance"]) + row["n"])
        speakers[speaker_key]["total"] += row["n"]
        targets[row["target_id"]]["total"] += row["n"]
        query = {
            **link_filters,
            "speaker": speakers[speaker_key]["slug"],
            "target": row["target__slug"],
            "stance": row["stance"],
        }
        cell.links[row["stance"]] = f"{changelist}?{urlencode(query)}"
    # Targets down, speakers across: there are usually far more targets than speakers.
    speaker_keys = sorted(speakers, key=lambda k: (-speakers[k]["total"], speakers[k]["name"].lower()))
    target_keys = sorted(targets, key=lambda k: (-targets[k]["total"], targets[k]["name"].lower()))
    matrix = [{"target": targets[t], "cells": [cells.get((s, t)) for s in speaker_keys]} for t in target_keys]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Stance map"),
        "form": form,
        "reading": reading,
        "speakers": [speakers[s] for s in speaker_keys],
        "matrix": matrix,
        "stance_values": StanceValue,
        "media": WORKBENCH_MEDIA + form.media,
    }
    return TemplateResponse(request, "admin/readout_annotations/readout/stance_map.html", context)
