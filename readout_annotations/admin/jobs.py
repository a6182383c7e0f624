"""Jobs in the admin: their owner and reviewers see them (read-only), with progress that refreshes
itself while a job runs, its errors, and a download link once it succeeded."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import jobs
from ..models import Job, Readout
from .common import ModelAdmin

#: Who may see the Jobs pages at all: people with a role in the app (annotators and reviewers).
ROLE_PERMISSION = "readout_annotations.view_statement"

#: Seconds between two reloads of a running job's page.
REFRESH_SECONDS = 2


@admin.register(Job)
class JobAdmin(ModelAdmin):
    list_display = ["uuid", "kind", "status", "progress", "user_name", "created_at", "finished_at", "download_link"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    ordering = ["-created_at", "-pk"]
    fields = [
        "uuid",
        "kind",
        "status",
        "progress",
        "download_link",  # above the parameters and errors, which may be long
        "user_name",
        "parameters_shown",
        "input_names",
        "errors_shown",
        "summary_shown",
        "attempts",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    readonly_fields = fields
    actions = ["retry"]
    change_form_template = "admin/readout_annotations/job/change_form.html"

    def get_queryset(self, request):
        jobs.mark_lost()
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm(ROLE_PERMISSION)

    def has_view_permission(self, request, obj=None) -> bool:
        if not self.has_module_permission(request):
            return False
        if obj is not None:
            return obj.user_id == request.user.pk or request.user.has_perm("readout_annotations.adjudicate_annotation")
        return True

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and obj.user_id == request.user.pk and obj.finished

    @admin.display(description=_("asked by"), ordering="user")
    def user_name(self, job: Job) -> str:
        return job.user.get_username()

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        if job.progress_total:
            return f"{job.progress_done:,} / {job.progress_total:,} ({100 * job.progress_done // job.progress_total} %)"
        return f"{job.progress_done:,}"

    @admin.display(description=_("parameters"))
    def parameters_shown(self, job: Job) -> SafeString | str:
        parameters = job.parameters
        if isinstance(parameters, dict) and isinstance(parameters.get("annotations"), list):
            # the admin's "export selected": its ids, possibly thousands, counted rather than listed
            count = len(parameters["annotations"])
            shown = ngettext("%(count)d annotation", "%(count)d annotations", count) % {"count": count}
            parameters = {**parameters, "annotations": shown}
        return readable(parameters)

    @admin.display(description=_("errors"))
    def errors_shown(self, job: Job) -> SafeString | str:
        return readable(job.errors)

    @admin.display(description=_("summary"))
    def summary_shown(self, job: Job) -> SafeString | str:
        summary = job.summary
        if job.kind == Job.Kind.IMPORT_READOUTS and isinstance(summary, dict) and summary.get("readouts"):
            summary = {**summary, "readouts": linked_readouts(summary["readouts"], self.admin_site.name)}
        return readable(summary)

    @admin.display(description=_("input files"))
    def input_names(self, job: Job) -> str:
        return ", ".join(entry["name"] for entry in job.inputs or ()) or "-"

    @admin.display(description=_("result"))
    def download_link(self, job: Job) -> str:
        if job.status == Job.Status.SUCCEEDED and job.result:
            url = reverse("admin:readout_annotations_job_download", args=[job.pk])
            return format_html('<a href="{}">{}</a>', url, job.result.name.rsplit("/", 1)[-1])
        return "-"

    @admin.action(description=_("Run the selected failed jobs again"))
    def retry(self, request, queryset) -> None:
        count = 0
        for job in queryset.filter(status=Job.Status.FAILED):
            if job.user_id == request.user.pk or request.user.has_perm("readout_annotations.adjudicate_annotation"):
                jobs.retry(job)
                count += 1
        self.message_user(request, _("%(count)d jobs queued again.") % {"count": count}, messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="readout_annotations_job_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None or job.status != Job.Status.SUCCEEDED or not job.result:
            raise Http404(_("No such job file."))
        return FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result.name.rsplit("/", 1)[-1])

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied  # no role in the app: not even "it does not exist"
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {"refresh_seconds": REFRESH_SECONDS if job is not None and not job.finished else None}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


def linked_readouts(items: list[dict], site_name: str = "admin") -> list[dict]:
    """An import job's ``summary["readouts"]`` items (``file``, ``slug``, ``status``, ...) with each
    ``slug`` a link to its readout's change page (one query for them all); a readout deleted
    since keeps its plain slug."""
    slugs = [item.get("slug") for item in items]
    pks = dict(Readout.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    change = f"{site_name}:readout_annotations_readout_change"
    return [
        {**item, "slug": format_html('<a href="{}">{}</a>', reverse(change, args=[pks[slug]]), slug)}
        if slug in pks
        else item
        for item, slug in zip(items, slugs, strict=True)
    ]


def readable(value) -> SafeString | str:
    """A job's JSON (its parameters, errors or summary) as people read it, escaped: a list one
    item a line, a mapping as "key: value" pairs in key order (the same page on every database:
    PostgreSQL's jsonb keeps no insertion order), blank values left out, booleans as yes/no,
    nested the same way; "-" when there is nothing."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: str(item[0]))
        pairs = [(str(key).replace("_", " "), readable(item)) for key, item in items if item not in ("", None)]
        return format_html_join("; ", "{}: {}", pairs) if pairs else "-"
    if isinstance(value, list | tuple):
        if not value:
            return "-"
        return format_html(
            '<ul class="ra-job-list">{}</ul>',
            format_html_join("", "<li>{}</li>", ((readable(item),) for item in value)),
        )
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "-" if value in ("", None) else str(value)


def job_started_response(request, job: Job):
    """Where the admin sends a user after starting a job: its page, which refreshes itself."""
    messages.info(
        request,
        _("The work runs as job %(job)s; this page shows its progress and its file when done.") % {"job": job.uuid},
    )
    return redirect("admin:readout_annotations_job_change", job.pk)
