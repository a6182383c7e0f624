"""The reviewer's screens: annotations side by side, accepting gold, and a readout's progress.

Every gold change goes through ``adjudication.accept`` / ``accept_agreed``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ..adjudication import accept, accept_agreed, agreed_statements
from ..models import Annotation, Origin, Readout, Stance, Statement
from ..proposers import machine_label
from .annotate import add_reading_errors, paragraph_of, save_reading, statement_url
from .common import WORKBENCH_MEDIA, is_reviewer, speaker_colour
from .forms import reading_forms, reading_record


def require_reviewer(request) -> None:
    if not is_reviewer(request.user):
        raise PermissionDenied


def annotations_of(statement: Statement) -> list[Annotation]:
    """Every annotation of ``statement``: people first by name, then machine proposals and imports."""
    annotations = (
        Annotation.objects.filter(statement=statement)
        .select_related("annotator", "speaker", "adjudicated_by")
        .prefetch_related(
            Prefetch("stances", queryset=Stance.objects.select_related("target")),
            Prefetch("adjudicated_from", queryset=Annotation.objects.select_related("annotator")),
        )
    )
    return sorted(annotations, key=lambda a: (a.origin != Origin.HUMAN, author(a).lower(), a.pk))


def author(annotation: Annotation) -> str:
    if annotation.annotator is not None:
        return annotation.annotator.get_username()
    if annotation.machine_name:
        return f"{machine_label(annotation.machine_name)} {annotation.machine_version}".strip()
    return str(annotation.get_origin_display())


@dataclass
class Cell:
    display: str
    key: object
    css: str = ""
    colour: tuple[str, str] | None = None
    differs: bool = False


@dataclass
class Row:
    label: str
    cells: list[Cell]
    compared: bool = True
    differs: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if not self.compared or len(self.cells) < 2:
            return
        counts = Counter(cell.key for cell in self.cells)
        if len(counts) == 1:
            return
        self.differs = True
        (common, top), *_rest = counts.most_common()
        for cell in self.cells:
            cell.differs = top == 1 or cell.key != common


def comparison_rows(annotations: list[Annotation]) -> list[Row]:
    """One row per field and per target any annotation gave a stance; differing cells marked."""
    stances = [{s.target_id: s for s in a.stances.all()} for a in annotations]
    targets = sorted({s.target for by_target in stances for s in by_target.values()}, key=lambda t: t.name.lower())
    rows = [
        Row(
            _("speaker"),
            [
                Cell(a.speaker.name if a.speaker else "—", a.speaker_id, colour=speaker_colour(a.speaker_id))
                for a in annotations
            ],
        ),
        Row(_("attribution"), [Cell(a.attribution, a.attribution) for a in annotations]),
        Row(_("mode"), [Cell(a.mode or "—", a.mode) for a in annotations]),
        Row(_("cue"), [Cell(a.cue or "—", a.cue.strip().lower()) for a in annotations]),
    ]
    for target in targets:
        cells = []
        for by_target in stances:
            stance = by_target.get(target.pk)
            value = stance.stance if stance else None
            # Not recording a stance is not the stance "none" (addressed without a side): say which.
            shown = stance.get_stance_display() if stance else _("not recorded")
            cells.append(Cell(shown, value, css=f"ra-stance-{value or 'missing'}"))
        rows.append(Row(_("stance: %(target)s") % {"target": target.name}, cells))
    rows.append(Row(_("note"), [Cell(a.note or "", None) for a in annotations], compared=False))
    return rows


def next_for_review(statement: Statement) -> Statement | None:
    """The next statement of the readout with human annotations and no gold (wrapping around)."""
    waiting = (
        Statement.objects.filter(readout_id=statement.readout_id)
        .has_gold(False)
        .filter(Exists(Annotation.objects.human().filter(statement=OuterRef("pk"))))
        .exclude(pk=statement.pk)
        .order_by("number")
    )
    return waiting.filter(number__gt=statement.number).first() or waiting.first()


def source_ids(request, statement: Statement) -> list[int]:
    """The annotations the reviewer compared (posted as ``source``), or all of the statement's."""
    every = Annotation.objects.filter(statement=statement)
    posted = [value for value in request.POST.getlist("source") if value.isdigit()]
    if posted:
        every = every.filter(pk__in=posted)
    return list(every.values_list("pk", flat=True))


def compare_view(model_admin, request, object_id):
    statement = get_object_or_404(Statement.objects.select_related("readout"), pk=object_id)
    require_reviewer(request)
    annotations = annotations_of(statement)
    rows = comparison_rows(annotations)
    site = model_admin.admin_site
    following = next_for_review(statement)
    context = {
        **site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Compare the annotations of statement %(number)s") % {"number": statement.number},
        "subtitle": statement.readout.title,
        "statement": statement,
        "paragraphs": paragraph_of(statement),
        "annotations": annotations,
        "columns": [
            {
                "annotation": a,
                "author": author(a),
                "accept_url": statement_url("accept", statement.pk, a.pk, site_name=site.name),
                "gold_url": statement_url("gold", statement.pk, site_name=site.name) + f"?from={a.pk}",
            }
            for a in annotations
        ],
        "rows": rows,
        "differing": [row.label for row in rows if row.differs],
        "gold": next((a for a in annotations if a.gold), None),
        "next_statement": following,
        "media": WORKBENCH_MEDIA,
    }
    return TemplateResponse(request, "admin/readout_annotations/statement/compare.html", context)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def accept_view(model_admin, request, object_id, annotation_id):
    """POST: make one annotation's reading the statement's gold."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    statement = get_object_or_404(Statement, pk=object_id)
    require_reviewer(request)
    annotation = get_object_or_404(Annotation, pk=annotation_id, statement=statement)
    sources = Annotation.objects.filter(pk__in=source_ids(request, statement))
    gold = accept(annotation, request.user, sources=sources)
    messages.success(
        request,
        _("Statement %(number)s: the reading of %(author)s is gold.")
        % {"number": statement.number, "author": author(annotation)},
    )
    if gold.pk != annotation.pk:
        messages.info(request, _("A machine proposal cannot be gold: it was copied into your own annotation."))
    default = statement_url("compare", statement.pk, site_name=model_admin.admin_site.name)
    return HttpResponseRedirect(safe_next(request, default))


def gold_view(model_admin, request, object_id):
    """Edit a reading into a new gold one: saved as the reviewer's own annotation, then accepted."""
    statement = get_object_or_404(Statement.objects.select_related("readout"), pk=object_id)
    require_reviewer(request)
    site = model_admin.admin_site
    annotations = annotations_of(statement)
    chosen = request.GET.get("from", "")
    source = next((a for a in annotations if str(a.pk) == chosen), None)
    source = source or next((a for a in annotations if a.gold), None)
    source = source or next((a for a in annotations if a.annotator_id == request.user.pk), None)
    if request.method == "POST":
        form, stances = reading_forms(request.POST, admin_site=site, source=source)
        if form.is_valid() and stances.is_valid():
            compared = Annotation.objects.filter(pk__in=source_ids(request, statement))
            try:
                with transaction.atomic():
                    own = save_reading(statement, request.user, reading_record(statement, form, stances))
                    accept(own, request.user, sources=compared)
            except ValidationError as error:
                add_reading_errors(form, stances, error)
            else:
                messages.success(
                    request, _("Statement %(number)s has a new gold reading.") % {"number": statement.number}
                )
                return HttpResponseRedirect(statement_url("compare", statement.pk, site_name=site.name))
    else:
        form, stances = reading_forms(None, admin_site=site, source=source)
        form.initial.pop("version", None)
    context = {
        **site.each_context(request),
        "opts": model_admin.opts,
        "title": _("New gold reading of statement %(number)s") % {"number": statement.number},
        "subtitle": statement.readout.title,
        "statement": statement,
        "paragraphs": paragraph_of(statement),
        "form": form,
        "stances": stances,
        "gold_mode": True,
        "source": source,
        "source_author": author(source) if source else "",
        "sources": annotations,
        "media": WORKBENCH_MEDIA + form.media + stances.media,
        "is_reviewer": True,
    }
    return TemplateResponse(request, "admin/readout_annotations/statement/annotate.html", context)


# --------------------------------------------------------------------------- readout progress


#: The fields of a reading the progress page compares, in the order it names them.
COMPARED_FIELDS = ("speaker", "attribution", "mode", "cue", "stances")


def differing_fields(readings: list[dict]) -> list[str]:
    """The fields in which the human readings of one statement differ (a stance one annotator did
    not record counts as a difference, as does another side on the same target)."""
    return [name for name in COMPARED_FIELDS if len({reading[name] for reading in readings}) > 1]


def field_label(name: str) -> str:
    """The label people read for one of ``COMPARED_FIELDS``: the field's ``verbose_name``."""
    if name == "stances":
        return str(Stance._meta.verbose_name_plural)
    return str(Annotation._meta.get_field(name).verbose_name)


@dataclass(frozen=True)
class Column:
    """One column of the progress table: whose readings it holds. ``rank`` puts people first,
    then machines, then readings with neither (imports); ``name`` is the username, the stored
    ``machine_name`` or the origin."""

    rank: int
    name: str

    @property
    def label(self) -> str:
        if self.rank == 1:
            return machine_label(self.name)
        if self.rank == 2:
            return _("imported") if self.name == Origin.IMPORT else str(dict(Origin.choices).get(self.name, self.name))
        return self.name

    @property
    def kind(self) -> str:
        return ("", _("machine proposal"), _("no annotator"))[self.rank]


def column_of(username: str | None, origin: str, machine_name: str) -> Column:
    if username:
        return Column(0, username)
    if machine_name:
        return Column(1, machine_name)
    return Column(2, origin)


def progress_view(model_admin, request, object_id):
    """Statements × annotators: who has annotated what, and which statements have gold."""
    readout = get_object_or_404(Readout, pk=object_id)
    require_reviewer(request)
    statements = list(readout.statements.select_related("gold_annotation__speaker").order_by("number"))
    username = f"annotator__{get_user_model().USERNAME_FIELD}"  # hosts that log in by e-mail have no username
    done = (
        Annotation.objects.filter(statement__readout=readout)
        .values_list(
            "pk",
            "statement_id",
            username,
            "origin",
            "machine_name",
            "speaker_id",
            "speaker__name",
            "attribution",
            "mode",
            "cue",
        )
        .order_by()
    )
    stances: dict[int, set] = {}
    for annotation_id, target, value in (
        Stance.objects.filter(annotation__statement__readout=readout, annotation__origin=Origin.HUMAN)
        .values_list("annotation_id", "target__slug", "stance")
        .order_by()
    ):
        stances.setdefault(annotation_id, set()).add((target, value))
    by_statement: dict[int, dict[str, tuple]] = {}
    readings: dict[int, list[dict]] = {}  # the human readings of each statement, field by field
    columns: set[Column] = set()
    no_speaker = _("(no speaker)")
    for pk, statement_id, username, origin, machine_name, speaker_id, speaker_name, attribution, mode, cue in done:
        column = column_of(username, origin, machine_name)
        columns.add(column)
        by_statement.setdefault(statement_id, {})[column] = (speaker_name or no_speaker, speaker_colour(speaker_id))
        if origin == Origin.HUMAN:
            readings.setdefault(statement_id, []).append(
                {
                    "speaker": speaker_id,
                    "attribution": attribution,
                    "mode": mode,
                    "cue": cue.strip().lower(),
                    "stances": frozenset(stances.get(pk, ())),
                }
            )
    ordered = sorted(columns, key=lambda c: (c.rank, c.label.lower(), c.name))
    site = model_admin.admin_site
    rows = []
    for statement in statements:
        cells = by_statement.get(statement.pk, {})
        gold = getattr(statement, "gold_annotation", None)
        rows.append(
            {
                "statement": statement,
                "cells": [cells.get(column) for column in ordered],
                "gold": (gold.speaker.name if gold.speaker else no_speaker, speaker_colour(gold.speaker_id))
                if gold
                else None,
                "differs": [field_label(name) for name in differing_fields(readings.get(statement.pk, []))],
                "compare_url": statement_url("compare", statement.pk, site_name=site.name),
            }
        )
    total = len(statements)
    context = {
        **site.each_context(request),
        "opts": model_admin.opts,
        "original": readout,
        "title": _("Progress of %(readout)s") % {"readout": readout.title},
        "readout": readout,
        "columns": ordered,
        "rows": rows,
        "totals": [sum(1 for row in rows if row["cells"][i]) for i in range(len(ordered))],
        "total": total,
        "gold_total": sum(1 for row in rows if row["gold"]),
        "differing_total": sum(1 for row in rows if row["differs"]),
        "agreed": len(agreed_statements(readout)),
        "accept_agreed_url": reverse(f"{site.name}:readout_annotations_readout_accept_agreed", args=(readout.pk,)),
        "media": WORKBENCH_MEDIA,
    }
    return TemplateResponse(request, "admin/readout_annotations/readout/progress.html", context)


def accept_agreed_view(model_admin, request, object_id):
    """POST: make the agreed reading gold wherever every human annotation of a statement agrees."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    readout = get_object_or_404(Readout, pk=object_id)
    require_reviewer(request)
    count = accept_agreed(readout, request.user)
    messages.success(request, _("%(count)s agreed readings accepted as gold.") % {"count": count})
    return HttpResponseRedirect(
        reverse(f"{model_admin.admin_site.name}:readout_annotations_readout_progress", args=(readout.pk,))
    )
