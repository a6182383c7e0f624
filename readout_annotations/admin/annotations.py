"""Annotations, blind: annotators see and change only their own, in every list, filter, count,
action and change view; another's annotation answers 404, exactly like one that does not exist.

Nobody picks the annotator (it is the logged-in user) and nobody sets gold here: gold changes
only through the reviewer's screens (``adjudication.accept``). A reading is added in the
workbench (the statement's annotation screen): "Add annotation" opens it.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import annotating, guideline, jobs
from ..formats import FORMATS
from ..formats.base import buffered
from ..models import Annotation, Job, Stance
from ..proposers import machine_label
from ..records import all_records, export_filename
from ..tasks import runs_in_background
from .annotate import statement_url
from .common import ModelAdmin, is_reviewer
from .jobs import job_started_response
from .statements import STANCES


class StanceFormSet(BaseInlineFormSet):
    """The stances of the reading being edited; their clean() applies the guideline to the whole
    reading (the form's fields are on ``self.instance`` by then)."""

    def kept(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data.get("target") and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        reading = self.instance
        if any(self.errors) or reading.statement_id is None:
            return
        errors = guideline.reading_errors(
            text=reading.statement.text,
            speaker=reading.speaker,
            attribution=reading.attribution,
            mode=reading.mode,
            cue=reading.cue,
            stances=self.kept(),
        )
        if errors:
            raise ValidationError([f"{field}: {message}" for field, messages in errors.items() for message in messages])


class StanceInline(admin.TabularInline):
    model = Stance
    formset = StanceFormSet
    fields = ("target", "stance")
    autocomplete_fields = ("target",)
    extra = 1

    def _own(self, request, obj) -> bool:
        return obj is None or (obj.annotator_id == request.user.pk and not obj.gold)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._own(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)


def _export_action(name: str, module, **options):
    """The admin action that exports the selected annotations in format ``name``; ``raw=True``
    (CSV) writes formula cells as they are (the format's docstring says why it does not)."""
    media_type = getattr(module, "MEDIA_TYPE", "application/octet-stream")
    extension = getattr(module, "EXTENSION", name)

    def export(modeladmin, request, queryset):
        """Stream the selected annotations' records, as the API's export does (memory stays flat);
        with a worker backend, export them as a job and show its page."""
        if runs_in_background():
            parameters = {"format": name, "annotations": list(queryset.values_list("pk", flat=True)), **options}
            return job_started_response(request, jobs.submit(Job.Kind.EXPORT, request.user, parameters))
        content_type = media_type if "charset" in media_type else f"{media_type}; charset=utf-8"
        ids = getattr(module, "ANNOTATION_IDS", False)
        chunks = module.chunks(all_records(queryset, annotation_ids=ids), **options)
        response = StreamingHttpResponse(buffered(chunks), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{export_filename("selected", extension)}"'
        return response

    label = f"{name} (raw)" if options.get("raw") else name
    export.__name__ = f"export_{name}_raw" if options.get("raw") else f"export_{name}"
    return admin.action(description=gettext_lazy("Export selected as %(format)s") % {"format": label})(export)


class SpeakerListFilter(admin.RelatedOnlyFieldListFilter):
    """The speakers of the annotations the user sees; "(no speaker)" for readings without one, as
    everywhere else in the app (the admin's default is "-")."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = _("(no speaker)")


@admin.register(Annotation)
class AnnotationAdmin(ModelAdmin):
    list_display = ("statement_column", "speaker_column", "attribution", "mode", "stances_column", "gold", "updated_at")
    list_select_related = ("statement__readout", "speaker", "annotator")
    list_filter = (
        "statement__readout",
        ("speaker", SpeakerListFilter),  # only the speakers of annotations the user sees
        "attribution",
        "mode",
        "gold",
        "origin",
    )
    search_fields = ("statement__text", "cue", "note", "speaker__name")
    autocomplete_fields = ("statement", "speaker")
    inlines = (StanceInline,)
    actions = (
        *(_export_action(name, module) for name, module in FORMATS.items()),
        _export_action("csv", FORMATS["csv"], raw=True),
    )
    fields = ("statement", "speaker", "attribution", "mode", "cue", "note")
    readonly_fields = ("gold", "adjudication", "origin", "version", "created_at", "updated_at")
    date_hierarchy = None

    def get_queryset(self, request):
        return (
            Annotation.objects.visible_to(request.user)
            .select_related("statement__readout", "speaker", "annotator")
            .prefetch_related(STANCES)
            .alias(annotator_name=F(f"annotator__{get_user_model().USERNAME_FIELD}"))
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such annotation."))  # the same answer for another's and a missing one
        return obj

    def _own_and_open(self, request, obj) -> bool:
        return obj is None or (obj.annotator_id == request.user.pk and not obj.gold)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own_and_open(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own_and_open(request, obj)

    def get_deleted_objects(self, objs, request):
        """Bulk deletion follows the per-object rule: never a gold annotation, never another's."""
        deletable, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(not self._own_and_open(request, obj) for obj in objs):
            perms_needed = {*perms_needed, _("gold annotations or other people's annotations")}
        return deletable, counts, perms_needed, protected

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if is_reviewer(request.user):
            columns.insert(1, "author_column")
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if is_reviewer(request.user):
            filters.append("annotator")  # names other annotators: reviewers only
        return filters

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            fields += ["gold", "origin", "version", "created_at", "updated_at"]
            if is_reviewer(request.user):
                fields.insert(fields.index("gold") + 1, "adjudication")  # who, when and from whose readings
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("statement")
            if is_reviewer(request.user):
                fields.append("author_column")
        return fields

    def get_fieldsets(self, request, obj=None):
        fields = self.get_fields(request, obj)
        if obj is not None and is_reviewer(request.user):
            fields.insert(1, "author_column")
        return [(None, {"fields": fields})]

    def save_model(self, request, obj, form, change):
        """Nothing here: the reading is written with its stances in ``save_related``, through
        ``annotating`` (the one write path)."""

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        (stances,) = [formset for formset in formsets if isinstance(formset, StanceFormSet)]
        record = {
            "readout": obj.statement.readout.slug,
            "statement": obj.statement.number,
            "speaker": obj.speaker.slug if obj.speaker else None,
            "attribution": obj.attribution,
            "mode": obj.mode,
            "cue": obj.cue,
            "note": obj.note,
            "stances": [{"target": row["target"].slug, "stance": row["stance"]} for row in stances.kept()],
        }
        current = Annotation.objects.for_records().get(pk=obj.pk) if change else None
        saved = annotating.save(request.user, record, annotation=current)
        obj.pk, obj.version = saved.annotation.pk, saved.annotation.version
        stances.new_objects, stances.changed_objects, stances.deleted_objects = [], [], []  # for the admin's log

    def delete_model(self, request, obj):
        annotating.delete(request.user, obj)

    def delete_queryset(self, request, queryset):
        for annotation in queryset:
            annotating.delete(request.user, annotation)

    def add_view(self, request, form_url="", extra_context=None):
        """The "Add annotation" page opens the workbench, where a reading is written with its statement in
        view: ``?statement=<id>`` (the admin's way to prefill a field) that statement's annotation
        screen, else the first statement waiting for the user's annotation (``?readout=<id>``: of
        that readout), as the statement list's "next" does."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        site = self.admin_site.name
        statement = request.GET.get("statement", "")
        if statement.isdigit():
            return HttpResponseRedirect(statement_url("annotate", int(statement), site_name=site))
        target = reverse(f"{site}:readout_annotations_statement_next")
        readout = request.GET.get("readout", "")
        if readout.isdigit():
            target += "?" + urlencode({"readout__id__exact": readout})
        return HttpResponseRedirect(target)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id is not None:
            annotation = self.get_object(request, object_id)
            site = self.admin_site.name
            extra_context["annotate_url"] = (
                statement_url("annotate", annotation.statement_id, site_name=site)
                if annotation.annotator_id == request.user.pk
                else None
            )
            if is_reviewer(request.user):
                extra_context["compare_url"] = statement_url("compare", annotation.statement_id, site_name=site)
        return super().changeform_view(request, object_id, form_url, extra_context)

    # ----------------------------------------------------------------- columns

    @admin.display(description=gettext_lazy("statement"), ordering="statement__number")
    def statement_column(self, obj: Annotation):
        return format_html(
            '<span title="{}">{} #{}</span>', obj.statement.text[:300], obj.statement.readout.slug, obj.statement.number
        )

    @admin.display(
        description=gettext_lazy("speaker"), ordering="speaker__name", empty_value=gettext_lazy("(no speaker)")
    )
    def speaker_column(self, obj: Annotation):
        return obj.speaker

    @admin.display(description=gettext_lazy("annotator"), ordering="annotator_name")
    def author_column(self, obj: Annotation):
        if obj.annotator is not None:
            return obj.annotator.get_username()
        return machine_label(obj.machine_name) if obj.machine_name else obj.get_origin_display()

    @admin.display(description=gettext_lazy("stances"))
    def stances_column(self, obj: Annotation):
        return format_html_join(
            "",
            '<span class="ra-badge ra-stance-{}" title="{}">{}</span>',
            ((s.stance, s.get_stance_display(), s.target.name) for s in obj.stances.all()),
        )

    @admin.display(description=gettext_lazy("adjudication"))
    def adjudication(self, obj: Annotation):
        if not obj.gold:
            return "—"
        sources = ", ".join(str(a.annotator or a.machine_name or a.origin) for a in obj.adjudicated_from.all())
        return _("by %(reviewer)s on %(when)s, from: %(sources)s") % {
            "reviewer": obj.adjudicated_by or "—",
            "when": obj.adjudicated_at.strftime("%Y-%m-%d %H:%M") if obj.adjudicated_at else "—",
            "sources": sources or "—",
        }
