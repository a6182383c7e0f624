"""Speakers and stance targets: searchable, so that the workbench can autocomplete them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Speaker, Target
from .blind import BlindChangeListMixin


@admin.register(Speaker)
class SpeakerAdmin(BlindChangeListMixin, admin.ModelAdmin):
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
class TargetAdmin(BlindChangeListMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "parent")
    list_filter = ("kind",)
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    fields = ("name", "slug", "kind", "parent", "description", "aliases")
