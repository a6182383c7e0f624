"""Speakers and stance targets: searchable for the workbench's autocompletes, reviewable by reviewers.

Annotators see the rows they may use in a reading (``ProposableQuerySet.usable_by``): confirmed
ones, machine proposals and their own proposals, never another annotator's. Reviewers see all,
filter by status and by who proposed, confirm proposals, and merge a duplicate into the row to
keep (``vocabulary.merge_speakers`` / ``merge_targets``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast, Length, Lower
from django.template.response import TemplateResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import vocabulary
from ..models import Speaker, Target
from ..proposers import machine_label
from .common import ModelAdmin, is_reviewer


class ProposerFilter(admin.SimpleListFilter):
    """Who proposed a row: a machine, an annotator (each by name), or nobody (confirmed by hand)."""

    title = gettext_lazy("proposed by")
    parameter_name = "proposer"
    MACHINE, NOBODY = "machine", "nobody"

    def lookups(self, request, model_admin):
        rows = model_admin.model.objects.filter(proposed_by__isnull=False).order_by().values("proposed_by")
        people = model_admin.model._meta.get_field("proposed_by").related_model._default_manager.filter(pk__in=rows)
        return [
            (self.MACHINE, _("a machine")),
            (self.NOBODY, _("nobody")),
            *((str(user.pk), user.get_username()) for user in people.order_by("pk")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.MACHINE:
            return queryset.exclude(proposed_by_machine="")
        if value == self.NOBODY:
            return queryset.filter(proposed_by__isnull=True, proposed_by_machine="")
        if value and value.isdigit():
            return queryset.filter(proposed_by_id=int(value))
        return queryset


class MergeForm(forms.Form):
    """The intermediate page of the merge action: the row every selected duplicate folds into."""

    into = forms.ModelChoiceField(queryset=None, label=gettext_lazy("merge into"), empty_label=None)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = queryset


class VocabularyAdmin(ModelAdmin):
    """What the speaker and target admins share: blindness to others' proposals, review tools."""

    actions = ("confirm_selected", "merge_selected")
    merge = None  # vocabulary.merge_speakers or merge_targets

    class Media:
        css = {"all": ["readout_annotations/workbench.css"]}  # long names wrap: the list fits its box

    def get_queryset(self, request):
        return super().get_queryset(request).usable_by(request.user)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if is_reviewer(request.user):
            columns += ["status", "proposer_column"]
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if is_reviewer(request.user):
            filters = ["status", ProposerFilter, *filters]
        return filters

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "proposer_column"] if obj is not None and is_reviewer(request.user) else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if is_reviewer(request.user):
            review = ["status", "proposer_column"] if obj is not None else ["status"]
            fieldsets.append((_("Review"), {"fields": review}))
        return fieldsets

    def has_adjudicate_permission(self, request) -> bool:
        return is_reviewer(request.user)

    @admin.display(description=gettext_lazy("proposed by"))
    def proposer_column(self, obj):
        if obj.proposed_by_machine:
            return _("%(machine)s (machine)") % {"machine": machine_label(obj.proposed_by_machine)}
        if obj.proposed_by_id is not None:
            return obj.proposed_by.get_username()
        return "—"

    @admin.action(description=gettext_lazy("Confirm selected proposals"), permissions=("adjudicate",))
    def confirm_selected(self, request, queryset):
        count = vocabulary.confirm(queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d proposal confirmed.", "%(count)d proposals confirmed.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Merge selected into one…"), permissions=("adjudicate",))
    def merge_selected(self, request, queryset):
        """Fold every selected row but the chosen one into it (an intermediate page picks it)."""
        selected = list(queryset.order_by("name", "pk"))
        form = MergeForm(
            request.POST if "apply" in request.POST else None,
            queryset=queryset.order_by("name", "pk"),
            initial={"into": next((row.pk for row in selected if not row.is_proposed), selected[0].pk)},
        )
        if form.is_bound and form.is_valid():
            into = form.cleaned_data["into"]
            for source in selected:
                if source.pk == into.pk:
                    continue
                try:
                    report = type(self).merge(source, into, by=request.user)
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    return None
                self.message_user(request, str(report), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Merge %(name)s") % {"name": self.opts.verbose_name_plural},
            "form": form,
            "rows": selected,
            "action": "merge_selected",
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/readout_annotations/merge.html", context)


@admin.register(Speaker)
class SpeakerAdmin(VocabularyAdmin):
    list_display = ("name", "slug", "kind", "title", "affiliation")
    list_filter = ("kind", "affiliation")
    list_select_related = ("proposed_by",)
    search_fields = ("name", "slug", "title", "affiliation")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("members",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "title", "affiliation")}),
        (gettext_lazy("Matching and linking"), {"fields": ("aliases", "members", "wikidata_id")}),
    )
    merge = vocabulary.merge_speakers


@admin.register(Target)
class TargetAdmin(VocabularyAdmin):
    list_display = ("name", "slug", "kind", "parent")
    list_filter = ("kind",)
    list_select_related = ("parent", "proposed_by")
    search_fields = ("name", "slug", "description")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    fieldsets = ((None, {"fields": ("name", "slug", "kind", "parent", "description", "aliases")}),)
    merge = vocabulary.merge_targets


# --------------------------------------------------------------------------- ranked lookup

#: Ranks of a lookup result, best first.
EXACT, PREFIX, WORD, ANYWHERE = range(4)


def ranked(queryset: models.QuerySet, term: str) -> models.QuerySet:
    """``queryset`` (of speakers or targets) filtered by ``term`` and ordered best first.

    A row matches when every word of ``term`` occurs (ignoring case) in its name, slug, aliases
    or, for a target, its description. Ranks (annotated as ``rank``): ``EXACT`` (name, slug or an
    alias is the term), ``PREFIX`` (one of them starts with it), ``WORD`` (a word inside one of
    them starts with it), ``ANYWHERE``; shorter names first within a rank, then by name. "xi"
    ranks the speaker aliased "Xi" before any group or target that merely contains it.

    Aliases are searched in their JSON text, so a term with non-ASCII characters may miss an
    alias on backends that store JSON escaped (SQLite). No regular expression is involved.
    """
    term = " ".join(str(term).split())
    if not term:
        return queryset.order_by("name")
    slug = slugify(term)
    has_description = any(f.name == "description" for f in queryset.model._meta.get_fields())
    # Compared in lower case on both sides: i-lookups follow the column's collation, and MariaDB
    # hosts (and the test suite) may use a binary, case-sensitive one.
    lowered = {
        "name_l": Lower("name"),
        "slug_l": Lower("slug"),
        "aliases_l": Lower(Cast("aliases", models.TextField())),
    }
    if has_description:
        lowered["description_l"] = Lower("description")
    queryset = queryset.annotate(**lowered)
    term = term.lower()

    def anywhere(word: str) -> Q:
        found = Q(name_l__contains=word) | Q(slug_l__contains=word) | Q(aliases_l__contains=word)
        return found | Q(description_l__contains=word) if has_description else found

    matches = Q()
    for word in term.split():
        matches &= anywhere(word)
    exact = Q(name_l=term) | Q(aliases_l__contains=f'"{term}"')
    prefix = Q(name_l__startswith=term) | Q(aliases_l__contains=f'"{term}')
    word = Q(name_l__contains=f" {term}") | Q(aliases_l__contains=f" {term}")
    if slug:
        exact |= Q(slug=slug)
        prefix |= Q(slug__startswith=slug)
        word |= Q(slug__contains=f"-{slug}")
    return (
        queryset.filter(matches | exact)
        .annotate(
            rank=Case(
                When(exact, then=Value(EXACT)),
                When(prefix, then=Value(PREFIX)),
                When(word, then=Value(WORD)),
                default=Value(ANYWHERE),
                output_field=models.IntegerField(),
            ),
            name_length=Length("name"),
        )
        .order_by("rank", "name_length", "name", "pk")
    )
