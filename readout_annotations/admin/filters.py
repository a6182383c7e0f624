"""List filters of the statement list.

``paragraph`` lists the paragraphs of one readout, and only once the list is filtered to it
(paragraph 3 of one readout is no paragraph of another).

``status`` starts on "waiting for my annotation" for annotators. ``speaker``, ``target`` and
``stance`` look at one reading of each statement, chosen by ``reading``: annotators only ever
filter their own annotations; reviewers filter the gold reading by default. ``target`` and
``stance`` given together match one stance row (the stance map links to such lists).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from ..models import Annotation, Speaker, Stance, StanceValue, Target
from .common import Reading, allowed_readings, chosen_reading, is_reviewer, readings

NO_SPEAKER = "-"
#: The statement list's parameter that filters it to one readout (the "readout" filter).
READOUT_PARAMETER = "readout__id__exact"


class ChoiceFilter(admin.SimpleListFilter):
    """A filter whose value is always one of its lookups, with a default instead of "All"."""

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)

    def default_value(self) -> str:
        return self.lookup_choices[0][0]

    def value(self) -> str:
        value = super().value()
        return value if value in {str(v) for v, _label in self.lookup_choices} else self.default_value()

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class StatusFilter(ChoiceFilter):
    title = _("status")
    parameter_name = "status"

    WAITING, MINE, ALL = "waiting", "mine", "all"
    NEEDS_REVIEW, GOLD, UNANNOTATED = "review", "gold", "unannotated"

    def lookups(self, request, model_admin):
        choices = [
            (self.WAITING, _("waiting for my annotation")),
            (self.MINE, _("annotated by me")),
            (self.ALL, _("all")),
        ]
        if is_reviewer(request.user):
            choices += [
                (self.NEEDS_REVIEW, _("annotated, no gold yet")),
                (self.GOLD, _("gold")),
                (self.UNANNOTATED, _("not annotated by anyone")),
            ]
        return choices

    def default_value(self) -> str:
        return self.ALL if is_reviewer(self.request.user) else self.WAITING

    def queryset(self, request, queryset):
        value = self.value()
        human = Annotation.objects.human().filter(statement=OuterRef("pk"))
        if value == self.WAITING:
            return queryset.unannotated_by(request.user)
        if value == self.MINE:
            return queryset.annotated_by(request.user)
        if value == self.NEEDS_REVIEW:
            return queryset.has_gold(False).filter(Exists(human))
        if value == self.GOLD:
            return queryset.has_gold(True)
        if value == self.UNANNOTATED:
            return queryset.exclude(Exists(human))
        return queryset


class ReadingFilter(ChoiceFilter):
    title = _("speaker, target and stance of")
    parameter_name = "reading"

    def lookups(self, request, model_admin):
        return [(reading.value, reading.label) for reading in allowed_readings(request.user)]

    def has_output(self) -> bool:
        return len(self.lookup_choices) > 1

    def queryset(self, request, queryset):
        return queryset


def _reading(request) -> Reading:
    return chosen_reading(request.user, request.GET.get(ReadingFilter.parameter_name))


def _has_reading(request, queryset, condition: Q):
    scope = readings(request.user, _reading(request)).filter(condition, statement=OuterRef("pk"))
    return queryset.filter(Exists(scope))


class SpeakerFilter(admin.SimpleListFilter):
    title = _("speaker")
    parameter_name = "speaker"

    def lookups(self, request, model_admin):
        usable = Speaker.objects.usable_by(request.user)  # never another annotator's proposed name
        return [(NO_SPEAKER, _("(no speaker)")), *usable.values_list("slug", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        condition = Q(speaker__isnull=True) if value == NO_SPEAKER else Q(speaker__slug=value)
        return _has_reading(request, queryset, condition)


class TargetFilter(admin.SimpleListFilter):
    title = _("target")
    parameter_name = "target"

    def lookups(self, request, model_admin):
        return list(Target.objects.usable_by(request.user).values_list("slug", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        rows = Stance.objects.filter(annotation=OuterRef("pk"), target__slug=value)
        stance = request.GET.get(StanceFilter.parameter_name)
        if stance in StanceValue.values:
            rows = rows.filter(stance=stance)
        return _has_reading(request, queryset, Q(Exists(rows)))


class StanceFilter(admin.SimpleListFilter):
    title = _("stance")
    parameter_name = "stance"

    def lookups(self, request, model_admin):
        return StanceValue.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None or request.GET.get(TargetFilter.parameter_name):
            return queryset  # with a target, TargetFilter matches both on one stance row
        rows = Stance.objects.filter(annotation=OuterRef("pk"), stance=value)
        return _has_reading(request, queryset, Q(Exists(rows)))


class ParagraphFilter(admin.AllValuesFieldListFilter):
    """The "By paragraph" filter: the paragraph numbers of the one readout the list is filtered to
    (``?readout__id__exact=``); hidden, and not applied, without one."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        readout = request.GET.get(READOUT_PARAMETER, "")
        self.readout_id = int(readout) if readout.isdigit() else None
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = self.lookup_choices.filter(readout_id=self.readout_id) if self.readout_id else []

    def has_output(self) -> bool:
        return self.readout_id is not None and super().has_output()

    def queryset(self, request, queryset):
        return super().queryset(request, queryset) if self.readout_id is not None else queryset
