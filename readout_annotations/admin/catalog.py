"""Speakers and stance targets: searchable, so that the workbench can autocomplete them."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast, Length
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..models import Speaker, Target
from .common import ModelAdmin


@admin.register(Speaker)
class SpeakerAdmin(ModelAdmin):
    list_display = ("name", "slug", "kind", "title", "affiliation")
    list_filter = ("kind", "affiliation")
    search_fields = ("name", "slug", "title", "affiliation")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("members",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "title", "affiliation")}),
        (_("Matching and linking"), {"fields": ("aliases", "members", "wikidata_id")}),
    )


@admin.register(Target)
class TargetAdmin(ModelAdmin):
    list_display = ("name", "slug", "kind", "parent")
    list_filter = ("kind",)
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    fields = ("name", "slug", "kind", "parent", "description", "aliases")


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
    queryset = queryset.annotate(aliases_text=Cast("aliases", models.TextField()))

    def anywhere(word: str) -> Q:
        found = Q(name__icontains=word) | Q(slug__icontains=word) | Q(aliases_text__icontains=word)
        return found | Q(description__icontains=word) if has_description else found

    matches = Q()
    for word in term.split():
        matches &= anywhere(word)
    exact = Q(name__iexact=term) | Q(aliases_text__icontains=f'"{term}"')
    prefix = Q(name__istartswith=term) | Q(aliases_text__icontains=f'"{term}')
    word = Q(name__icontains=f" {term}") | Q(aliases_text__icontains=f" {term}")
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
