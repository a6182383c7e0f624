"""Readouts: the list, the change form, and the readout's workbench pages (``get_urls``).

Other modules add pages here by extending ``ReadoutAdmin.workbench_urls`` and
``ReadoutAdmin.workbench_links``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import django
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.db import models, transaction
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import attribution
from ..adjudication import accept_agreed
from ..conf import app_settings
from ..models import Readout, first_zone
from . import importing, pictures, review
from .agreement import agreement_urls, show_agreement, status_column
from .common import ModelAdmin, is_reviewer


def zone_of_form(request, object_id) -> ZoneInfo:
    """The zone a readout's form works in: the one posted, else the readout's, else the
    ``READOUT_ANNOTATIONS_TIMEZONE`` setting (as ``import_readout`` reads a file's timestamp)."""
    posted = request.POST.get("timezone", "") if request.method == "POST" else ""
    stored = ""
    if object_id is not None and str(object_id).isdigit():
        stored = Readout.objects.filter(pk=object_id).values_list("timezone", flat=True).first() or ""
    # A bad posted zone falls through here; the form reports it on its field.
    return first_zone(posted, stored, app_settings.TIMEZONE)


class ZonedSplitDateTime(widgets.AdminSplitDateTime):
    """Date and time in the zone the form works in (the readout's own, ``zone_of_form``), named
    beside them. Its note has the class ``timezonewarning``: the admin's DateTimeShortcuts.js adds
    "Note: You are 8 hours behind server time" to a date or time input unless such a note is there,
    comparing the browser's offset with the page's, which is the readout's here, not the server's."""

    template_name = "admin/readout_annotations/widgets/zoned_split_datetime.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["zone"] = timezone.get_current_timezone_name()
        return context


class DayWidget(widgets.AdminDateWidget):
    """A calendar day (the meeting's): no zone applies, so no note about one (an empty
    ``timezonewarning`` keeps DateTimeShortcuts.js from adding its own)."""

    template_name = "admin/readout_annotations/widgets/day.html"


@admin.register(Readout)
class ReadoutAdmin(ModelAdmin):
    # The day of publication is the readout's own (published_on, in its zone), never the host's.
    list_display = ("title_column", "published_on", "publisher", status_column, "progress_column")
    list_filter = ("published_on", "publisher", "language")
    search_fields = ("title", "slug", "publisher")
    date_hierarchy = "published_on"
    ordering = ("-published_at", "slug")
    actions = ("accept_agreed_action", show_agreement)
    readonly_fields = ("published_on", "checksum", "created_at", "updated_at")
    formfield_overrides = {
        models.DateTimeField: {"widget": ZonedSplitDateTime},
        models.DateField: {"widget": DayWidget},
    }
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "published_at",
                    "timezone",
                    "published_on",
                    "event_date",
                    "publisher",
                    "url",
                    "language",
                )
            },
        ),
        (_("Text"), {"fields": ("text", "checksum")}),
        (
            _("Notes and host document"),
            {"fields": ("notes", "document_type", "document_id", "created_at", "updated_at")},
        ),
    )

    def get_queryset(self, request):
        readouts = super().get_queryset(request).with_counts(request.user)
        # The status counts everyone's readings: reviewers only (the API gives annotators null).
        return readouts.with_status() if is_reviewer(request.user) else readouts

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField) and django.VERSION >= (5, 0):
            kwargs.setdefault("assume_scheme", "https")  # readouts are published over https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else {"slug": ("title",)}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("slug")
            if obj.statements.exists():
                fields.append("text")  # offsets point into it; the model refuses a change anyway
        return fields

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """A readout added by hand gets its statements and machine proposals, as an imported one."""
        if not obj.timezone:
            obj.timezone = str(zone_of_form(request, None))
        super().save_model(request, obj, form, change)
        if not change:
            obj.segment()
            attribution.create_proposals(obj)

    def has_adjudicate_permission(self, request) -> bool:
        return is_reviewer(request.user)

    # ----------------------------------------------------------------- columns

    @staticmethod
    def _meter(done: int, total: int):
        percent = round(100 * done / total) if total else 0
        return format_html(
            '<span class="ra-meter" title="{}%"><span style="width:{}%"></span></span> {} / {}',
            percent,
            percent,
            done,
            total,
        )

    @admin.display(description=_("title"), ordering="title")
    def title_column(self, obj: Readout):
        """The title with the slug beside it (the day is the next column): readouts titled alike differ."""
        return format_html('{} <span class="ra-quiet">{}</span>', obj.title, obj.slug)

    @admin.display(description=_("gold / statements"))
    def progress_column(self, obj: Readout):
        """Statements with gold: all of them for reviewers, an annotator's own gold readings for them."""
        return self._meter(obj.gold_count or 0, obj.statement_count or 0)

    @admin.display(description=_("annotated by me / statements"))
    def my_progress_column(self, obj: Readout):
        """An annotator's own progress (the API's ``annotated_count``): never other people's work."""
        return self._meter(obj.annotated_count or 0, obj.statement_count or 0)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not is_reviewer(request.user):
            columns.remove(status_column)
            columns.insert(columns.index("progress_column"), "my_progress_column")

        @admin.display(description=_("workbench"))
        def workbench(obj: Readout):
            return format_html_join(" · ", '<a href="{}">{}</a>', self.workbench_links(request, obj))

        return (*columns, workbench)

    # ----------------------------------------------------------------- workbench pages

    def url_name(self, page: str) -> str:
        return f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{page}"

    def workbench_links(self, request, obj: Readout) -> list[tuple[str, str]]:
        """(url, label) of the readout's workbench pages this user may open."""
        statements = reverse(f"{self.admin_site.name}:readout_annotations_statement_changelist")
        links = [
            (reverse(self.url_name("view"), args=(obj.pk,)), _("read")),
            (f"{statements}?{urlencode({'readout__id__exact': obj.pk})}", _("statements")),
        ]
        if is_reviewer(request.user):
            links.append((reverse(self.url_name("progress"), args=(obj.pk,)), _("progress")))
            links.append((reverse(self.url_name("agreement"), args=(obj.pk,)), _("agreement")))
        return links

    def workbench_urls(self) -> list:
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("stance-map/", wrap(self.stance_map_view), name=f"{name}_stance_map"),
            path("import/", wrap(self.import_view), name=f"{name}_import"),
            path("<int:object_id>/read/", wrap(self.readout_view), name=f"{name}_view"),
            path("<int:object_id>/progress/", wrap(self.progress_view), name=f"{name}_progress"),
            path("<int:object_id>/accept-agreed/", wrap(self.accept_agreed_view), name=f"{name}_accept_agreed"),
            *agreement_urls(self),
        ]

    def get_urls(self):
        return self.workbench_urls() + super().get_urls()

    def stance_map_view(self, request):
        request.current_app = self.admin_site.name
        return pictures.stance_map_view(self, request)

    def import_view(self, request):
        request.current_app = self.admin_site.name
        return importing.import_view(self, request)

    def readout_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return pictures.readout_view(self, request, object_id)

    def progress_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return review.progress_view(self, request, object_id)

    def accept_agreed_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return review.accept_agreed_view(self, request, object_id)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id is not None and str(object_id).isdigit():
            readout = Readout(pk=int(object_id))
            extra_context["workbench_links"] = self.workbench_links(request, readout)
        # "Published at" is shown and read in the readout's own zone, not the host's.
        with timezone.override(zone_of_form(request, object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # inside the zone: a TemplateResponse renders late otherwise
            return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "stance_map_url": reverse(self.url_name("stance_map"))}
        if request.user.has_perm("readout_annotations.add_readout"):
            extra_context["import_url"] = reverse(self.url_name("import"))
        return super().changelist_view(request, extra_context)

    # ----------------------------------------------------------------- actions

    @admin.action(description=_("Accept agreed readings as gold"), permissions=("adjudicate",))
    def accept_agreed_action(self, request, queryset):
        count = sum(accept_agreed(readout, request.user) for readout in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d agreed reading accepted as gold.",
                "%(count)d agreed readings accepted as gold.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
