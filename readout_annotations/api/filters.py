"""Query-string filters for the list endpoints: django-filter ``FilterSet`` classes behind
REST framework's ``DjangoFilterBackend``, documented in the schema by drf-spectacular.

Why django-filter: it is the well-kept way to turn query parameters into a validated form
and a queryset, and drf-spectacular documents its filter sets without a hand-kept parameter
list. What stays ours is what the filters mean: the blind rules and the exact messages.

A value that cannot be understood is a 400 naming the parameter (one message per bad
parameter, all at once), never silently ignored. Filters on gold readings see only the gold
a user may see: every gold for a reviewer, only their own gold annotations for anyone else.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

import django_filters
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from ..models import Annotation, Attribution, Origin, Readout, Speaker, Stance, StanceValue, Statement, Target
from .permissions import is_reviewer

TRUE, FALSE = "true", "false"
ME = "me"
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")
NUMBER_MAX = 2**31 - 1


# --------------------------------------------------------------------------- fields: parse and check one value


class SlugField(forms.Field):
    """A slug naming a row of ``model``; cleans to that row's primary key (one query)."""

    def __init__(self, *, model, **kwargs) -> None:
        self.model = model
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None:
            return None
        pk = None
        if SLUG.fullmatch(value):
            pk = self.model.objects.filter(slug=value).order_by().values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(
                _("No %(model)s has the slug %(slug)r."),
                code="unknown",
                params={"model": self.model._meta.verbose_name, "slug": value},
            )
        return pk


class WordField(forms.Field):
    """One of a few fixed words (the empty string is not one of them)."""

    def __init__(self, *, words: Iterable[str], **kwargs) -> None:
        self.words = list(words)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is not None and value not in self.words:
            raise ValidationError(
                _("%(value)r is not one of %(choices)s."),
                code="invalid_choice",
                params={"value": value, "choices": ", ".join(self.words)},
            )
        return value


class PositiveIntegerField(forms.Field):
    def to_python(self, value):
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= NUMBER_MAX:
            raise ValidationError(_("Give a whole number from 1."), code="invalid")
        return int(value)


class DayField(forms.Field):
    """A day given as ``YYYY-MM-DD``."""

    def to_python(self, value):
        if value is None:
            return None
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or len(value) != 10:  # fromisoformat also takes YYYYMMDD
            raise ValidationError(_("Give a day as YYYY-MM-DD."), code="invalid")
        return day


# --------------------------------------------------------------------------- filters: a field plus its schema


class SlugFilter(django_filters.Filter):
    field_class = SlugField

    def __init__(self, model, description: str, **kwargs) -> None:
        super().__init__(model=model, **kwargs)
        extend_schema_field({"type": "string", "pattern": f"^{SLUG.pattern}$", "description": str(description)})(self)


class WordFilter(django_filters.Filter):
    field_class = WordField

    def __init__(self, words: Iterable[str], description: str, **kwargs) -> None:
        words = list(words)
        super().__init__(words=words, **kwargs)
        extend_schema_field({"type": "string", "enum": words, "description": str(description)})(self)


class PositiveIntegerFilter(django_filters.Filter):
    field_class = PositiveIntegerField

    def __init__(self, description: str, **kwargs) -> None:
        super().__init__(**kwargs)
        extend_schema_field({"type": "integer", "minimum": 1, "maximum": NUMBER_MAX, "description": str(description)})(
            self
        )


class DayFilter(django_filters.Filter):
    """A day of publication: ``Readout.published_on``, the day in the readout's own zone."""

    field_class = DayField

    def __init__(self, description: str, **kwargs) -> None:
        super().__init__(**kwargs)
        extend_schema_field({"type": "string", "format": "date", "description": str(description)})(self)


def published(path: str) -> tuple[DayFilter, DayFilter]:
    """``published_from`` and ``published_until`` (days, both included) over ``path``."""
    return (
        DayFilter(_("Published on this day or later, in the readout's own zone."), field_name=path, lookup_expr="gte"),
        DayFilter(
            _("Published on this day or earlier, in the readout's own zone."), field_name=path, lookup_expr="lte"
        ),
    )


def yes_no(description: str, **kwargs) -> WordFilter:
    return WordFilter((TRUE, FALSE), description, **kwargs)


def me(description: str, **kwargs) -> WordFilter:
    return WordFilter((ME,), description, **kwargs)


# --------------------------------------------------------------------------- filter sets


class ReadoutFilter(django_filters.FilterSet):
    """The readout list's parameters."""

    published_from, published_until = published("published_on")

    class Meta:
        model = Readout
        fields: list[str] = []


class StatementFilter(django_filters.FilterSet):
    """The statement list's parameters."""

    readout = SlugFilter(Readout, _("Statements of the readout with this slug."), field_name="readout_id")
    paragraph = PositiveIntegerFilter(_("Statements in this paragraph (from 1)."), field_name="paragraph")
    speaker = SlugFilter(
        Speaker, _("Statements whose gold reading has the speaker with this slug."), method="gold_speaker"
    )
    target = SlugFilter(
        Target, _("Statements whose gold reading has a stance on the target with this slug."), method="later"
    )
    stance = WordFilter(
        StanceValue.values,
        _("Statements whose gold reading has this stance (on `target`, when given)."),
        method="later",
    )
    attribution = WordFilter(
        Attribution.values, _("Statements whose gold reading has this attribution."), method="gold_attribution"
    )
    has_gold = yes_no(_("Statements with (true) or without (false) a gold reading you can see."), method="gold")
    annotated_by = me(_("`me`: statements you have annotated."), method="annotated")
    unannotated_by = me(_("`me`: statements you have not annotated yet."), method="unannotated")
    published_from, published_until = published("readout__published_on")

    class Meta:
        model = Statement
        fields: list[str] = []

    @property
    def visible_gold(self) -> Q:
        """The gold readings the requesting user may see."""
        visible = Q(gold_annotation__isnull=False)
        if not is_reviewer(self.request.user):
            visible &= Q(gold_annotation__annotator=self.request.user)
        return visible

    def gold_speaker(self, queryset: QuerySet, name: str, pk: int) -> QuerySet:
        return queryset.filter(self.visible_gold, gold_annotation__speaker_id=pk)

    def gold_attribution(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(self.visible_gold, gold_annotation__attribution=value)

    def gold(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(self.visible_gold) if value == TRUE else queryset.exclude(self.visible_gold)

    def mine(self) -> Exists:
        return Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=self.request.user))

    def annotated(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(self.mine())

    def unannotated(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.exclude(self.mine())

    def later(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # target and stance describe one stance together: see filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        target, stance = self.form.cleaned_data.get("target"), self.form.cleaned_data.get("stance")
        if target is None and stance is None:
            return queryset
        stances = Stance.objects.filter(annotation__gold_statement=OuterRef("pk"))
        if not is_reviewer(self.request.user):
            stances = stances.filter(annotation__annotator=self.request.user)
        if target is not None:
            stances = stances.filter(target_id=target)
        if stance is not None:
            stances = stances.filter(stance=stance)
        return queryset.filter(Exists(stances))


class AnnotationFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if self.data.get("statement") is not None and self.data.get("readout") is None:
            self.add_error("statement", _("Give the readout too: statement numbers count within a readout."))
        return data


class AnnotationFilter(django_filters.FilterSet):
    """The annotation list's parameters (on top of what the user may see at all)."""

    readout = SlugFilter(
        Readout, _("Annotations of statements of the readout with this slug."), field_name="statement__readout_id"
    )
    statement = PositiveIntegerFilter(
        _("Annotations of the statement with this number; needs `readout`."), field_name="statement__number"
    )
    annotator = me(_("`me`: only your own annotations."), method="own")
    origin = WordFilter(Origin.values, _("Annotations of this origin."), field_name="origin")
    gold = yes_no(_("Gold (true) or other (false) annotations."), method="gold_or_not")

    class Meta:
        model = Annotation
        fields: list[str] = []
        form = AnnotationFilterForm

    def own(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(annotator=self.request.user)

    def gold_or_not(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(gold=value == TRUE)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend for lists only: a single object is found by its id alone.

    The browsable API shows the filter form only when the host has ``django_filters`` in
    ``INSTALLED_APPS`` (its template lives there); the app itself does not need it installed.
    """

    def to_html(self, request, queryset, view):
        if not apps.is_installed("django_filters"):
            return None
        return super().to_html(request, queryset, view)

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)
