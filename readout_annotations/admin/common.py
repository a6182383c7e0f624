"""What every workbench screen shares: roles, the reading a screen shows, colours, text layout."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin
from django.db import IntegrityError, OperationalError, models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ..locks import RETRY_AFTER, Busy, is_lock_timeout
from ..models import Annotation, Statement
from ..roles import is_reviewer
from .blind import BlindChangeListMixin

#: The workbench's stylesheet and its one small script (adds stance rows; no framework).
WORKBENCH_MEDIA = forms.Media(
    css={"all": ["readout_annotations/workbench.css"]},
    js=["readout_annotations/workbench.js"],
)


class ModelAdmin(BlindChangeListMixin, admin.ModelAdmin):
    """The app's ModelAdmins: every page of theirs answers a write the database could not lock in
    time with a 503 page (``Retry-After``), and a unique key taken meanwhile with a 409 page,
    never a 500. Nothing was written in either case. Their lists refuse lookups through other
    people's work to annotators (``blind.BlindChangeListMixin``)."""

    @property
    def urls(self):
        """Every URL of ``get_urls()``, the custom pages' too, with its view wrapped."""
        urls = self.get_urls()
        for pattern in urls:
            pattern.callback = self.answering_conflicts(pattern.callback)
        return urls

    def answering_conflicts(self, view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except (Busy, OperationalError) as error:
                if not isinstance(error, Busy) and not is_lock_timeout(error):
                    raise
                return self.conflict_page(request, Busy.message, status=503)
            except IntegrityError:
                message = _("Someone saved a conflicting change meanwhile; nothing of yours was saved.")
                return self.conflict_page(request, message, status=409)

        return wrapped

    def conflict_page(self, request, message, *, status: int) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Not saved"),
            "message": message,
            "retry": request.method == "GET",
        }
        response = TemplateResponse(request, "admin/readout_annotations/not_saved.html", context, status=status)
        if status == 503:
            response["Retry-After"] = str(RETRY_AFTER)
        return response


class Reading(models.TextChoices):
    """Which annotation of a statement a screen shows: blind annotators only ever get ``mine``."""

    MINE = "mine", _("my annotation")
    GOLD = "gold", _("gold")
    ANY = "any", _("any annotation")


def allowed_readings(user) -> list[Reading]:
    return [Reading.GOLD, Reading.MINE, Reading.ANY] if is_reviewer(user) else [Reading.MINE]


def chosen_reading(user, value: str | None) -> Reading:
    """``value`` when this user may see it, otherwise the user's default (gold for reviewers)."""
    allowed = allowed_readings(user)
    return Reading(value) if value in allowed else allowed[0]


def readings(user, reading: str) -> models.QuerySet[Annotation]:
    """The annotations ``reading`` selects, never beyond what ``user`` may see."""
    visible = Annotation.objects.visible_to(user)
    if reading == Reading.GOLD:
        return visible.filter(gold=True)
    if reading == Reading.ANY:
        return visible
    return visible.filter(annotator=user)


# --------------------------------------------------------------------------- colours

#: Background and border of a speaker's highlight; a speaker keeps its colour on every page.
SPEAKER_PALETTE: Sequence[tuple[str, str]] = (
    ("#dbeafe", "#3b82f6"),
    ("#fde68a", "#d97706"),
    ("#e9d5ff", "#9333ea"),
    ("#bbf7d0", "#16a34a"),
    ("#fecdd3", "#e11d48"),
    ("#a5f3fc", "#0891b2"),
    ("#fed7aa", "#ea580c"),
    ("#c7d2fe", "#4f46e5"),
    ("#d9f99d", "#65a30d"),
    ("#fbcfe8", "#db2777"),
    ("#99f6e4", "#0d9488"),
    ("#e7e5e4", "#78716c"),
)


def speaker_colour(speaker_id: int | None) -> tuple[str, str]:
    """A stable (background, border) pair for a speaker, by primary key."""
    if speaker_id is None:
        return ("transparent", "#9ca3af")
    return SPEAKER_PALETTE[(speaker_id - 1) % len(SPEAKER_PALETTE)]


def balance_colour(favor: int, against: int) -> str:
    """A cell colour from green (all favor) through grey to red (all against), stronger with more."""
    total = favor + against
    if not total:
        return "transparent"
    balance = (favor - against) / total
    strength = min(1.0, 0.35 + total / 10)
    hue = 140 if balance >= 0 else 0
    saturation = round(abs(balance) * 70)
    lightness = round(92 - 22 * strength * abs(balance))
    return f"hsl({hue} {saturation}% {lightness}%)"


# --------------------------------------------------------------------------- laying text out


@dataclass
class Piece:
    """A run of readout text: a statement's span, or the text between statements."""

    text: str
    statement: Statement | None = None


@dataclass
class Paragraph:
    number: int
    pieces: list[Piece] = field(default_factory=list)


def layout(text: str, statements: Iterable[Statement]) -> list[Paragraph]:
    """Split ``text`` into paragraphs of pieces; ``statements`` must be ordered by ``start``.

    Text between two statements of a paragraph is kept as a plain piece; what lies between
    paragraphs (blank lines, or paragraphs not asked for) is left out.
    """
    paragraphs: list[Paragraph] = []
    position = 0
    for statement in statements:
        if paragraphs and paragraphs[-1].number == statement.paragraph:
            gap = text[position : statement.start]
            if gap:
                paragraphs[-1].pieces.append(Piece(gap))
        else:
            paragraphs.append(Paragraph(statement.paragraph))
        paragraphs[-1].pieces.append(Piece(text[statement.start : statement.end], statement))
        position = statement.end
    return paragraphs
