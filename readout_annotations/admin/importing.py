""" "Import readout files" on the readout list: one or more files, the importer, rules, time zone
and messages of ``manage.py import_readout`` (machine proposals included), as a job.

With the immediate Tasks backend the files are imported during the request and the messages say
what happened to each; with a worker backend the reviewer is taken to the job's page, which
refreshes itself until the job is done.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import jobs
from ..conf import app_settings
from ..importing import ReadoutImportError, TooManyStatements, default_zone, parse_file, too_large
from ..models import Job, is_zone
from ..tasks import runs_in_background
from .jobs import job_started_response, linked_readouts


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReadoutImportForm(forms.Form):
    files = MultipleFileField(
        label=_("readout files"),
        help_text=_(
            "One or more files: line 1 the title, line 2 the timestamp YYYY-MM-DD HH:MM, a blank line, "
            "then the body (UTF-8). The slug comes from the file name."
        ),
    )
    timezone = forms.CharField(
        label=_("time zone"),
        max_length=64,
        required=False,
    )
    replace = forms.BooleanField(
        label=_("replace changed readouts"),
        required=False,
        help_text=_("Replace a readout whose file changed, as long as no person has annotated it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank is the importer's own default (importing.default_zone), as for the command and the API.
        zone = self.fields["timezone"]
        zone.widget.attrs["placeholder"] = default_zone()
        zone.help_text = _(
            "The publisher's zone, which the timestamp line is in (IANA name, e.g. Asia/Shanghai). "
            "Blank: %(zone)s, the READOUT_ANNOTATIONS_TIMEZONE setting."
        ) % {"zone": default_zone()}

    def clean_timezone(self) -> str:
        zone = self.cleaned_data["timezone"].strip()
        if zone and not is_zone(zone):
            raise forms.ValidationError(_("Unknown time zone %(zone)r.") % {"zone": zone})
        return zone

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(_("Choose at least one file."))
        limit = app_settings.MAX_IMPORT_BYTES
        too_big = [f"{upload.name}: {too_large(upload.size, limit)}" for upload in files if upload.size > limit]
        if too_big:
            raise forms.ValidationError(too_big)
        too_long = []  # the limit on statements, checked as the import checks it (nothing else here)
        for upload in files:
            try:
                parse_file(upload.read(), upload.name)
            except TooManyStatements as error:
                too_long.append(str(error))
            except ReadoutImportError:
                pass  # the job reports it, as it reports every other error of a file
            upload.seek(0)
        if too_long:
            raise forms.ValidationError(too_long)
        return files


def import_view(modeladmin, request):
    if not request.user.has_perm("readout_annotations.add_readout"):
        raise PermissionDenied
    form = ReadoutImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
        parameters = {"timezone": form.cleaned_data["timezone"], "replace": form.cleaned_data["replace"], "slug": ""}
        job = jobs.submit(Job.Kind.IMPORT_READOUTS, request.user, parameters, files)
        if runs_in_background():
            return job_started_response(request, job)
        jobs.execute(str(job.uuid))  # here and now; the immediate backend's own run then finds it done
        job.refresh_from_db()
        report(request, job, modeladmin.admin_site.name)
        return redirect(f"{modeladmin.admin_site.name}:readout_annotations_readout_changelist")
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": _("Import readout files"),
        "form": form,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/readout_annotations/readout/import.html", context)


def report(request, job: Job, site_name: str = "admin") -> None:
    """One message per imported file (its readout linked) and one per error, as ``import_readout``
    prints them."""
    for item in linked_readouts(job.summary.get("readouts", []), site_name):
        text = _("%(file)s: readout %(slug)s %(status)s: %(statements)d statements, %(proposals)d machine proposals.")
        values = {key: conditional_escape(value) if isinstance(value, str) else value for key, value in item.items()}
        messages.success(request, mark_safe(text % values))  # every value escaped, the link kept
    for error in job.errors:
        messages.error(request, error)
    if job.status == Job.Status.FAILED and not job.summary.get("readouts"):
        messages.warning(request, _("Nothing was imported."))
    elif job.status == Job.Status.SUCCEEDED:
        count = len(job.summary.get("readouts", []))
        messages.info(
            request, ngettext("%(count)d file imported.", "%(count)d files imported.", count) % {"count": count}
        )
