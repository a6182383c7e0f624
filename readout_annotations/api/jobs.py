"""``jobs/``: long work run as tasks (see :mod:`readout_annotations.jobs`).

- ``POST export/?async=1`` (or any ``POST export/`` above ``READOUT_ANNOTATIONS_ASYNC_EXPORT_RECORDS``
  records) and ``POST readouts/import/?async=1`` answer ``202 Accepted`` with the job and its URL
  in ``Location``.
- ``GET jobs/`` lists the user's jobs (a reviewer's: everyone's), newest first; ``GET jobs/<uuid>/``
  gives ``status`` (``queued``, ``running``, ``succeeded``, ``failed``), ``progress`` (``done`` of
  ``total`` records or files), ``errors``, ``summary``, timings and, once it succeeded with a file,
  ``download``.
- ``GET jobs/<uuid>/download/`` streams the result file; ``POST jobs/<uuid>/retry/`` queues a failed
  job again.

Another annotator's job is a 404, like a missing one.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import jobs
from ..models import Job
from .schema import extend_schema
from .views import ApiViewMixin


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text=_("Records (exports) or files (imports) done."))
    total = serializers.IntegerField(allow_null=True, help_text=_("Records or files in all; null until known."))


class JobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "status",
            "user",
            "parameters",
            "progress",
            "errors",
            "summary",
            "download",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _reverse(self, name: str, job: Job) -> str:
        # Django's reverse: REST framework's would carry the request's ?format= (an export format) along.
        path = reverse(f"readout_annotations:{name}", kwargs={"uuid": job.uuid})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job: Job) -> str:
        return self._reverse("job-detail", job)

    def get_user(self, job: Job) -> str:
        return job.user.get_username()

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job: Job) -> dict:
        return {"done": job.progress_done, "total": job.progress_total}

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download(self, job: Job) -> str | None:
        if job.status == Job.Status.SUCCEEDED and job.result:
            return self._reverse("job-download", job)
        return None


@extend_schema_view(
    list=extend_schema(summary=_("Your jobs (a reviewer's: everyone's), newest first.")),
    retrieve=extend_schema(summary=_("A job: status, progress, errors and, when done, its download URL.")),
)
class JobViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self):
        jobs.mark_lost()
        return Job.objects.visible_to(self.request.user).select_related("user").order_by("-created_at", "-pk")

    @extend_schema(
        summary=_("The job's result file, streamed."),
        responses={200: OpenApiResponse(OpenApiTypes.BINARY), 404: OpenApiResponse(description=_("No file (yet)."))},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, *args, **kwargs):
        job = self.get_object()
        if job.status != Job.Status.SUCCEEDED or not job.result:
            return Response({"detail": _("This job has no file to download (yet).")}, status=status.HTTP_404_NOT_FOUND)
        handle = job.result.open("rb")
        return FileResponse(handle, as_attachment=True, filename=job.result.name.rsplit("/", 1)[-1])

    @extend_schema(summary=_("Queue a failed job again."), request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        job = self.get_object()
        if job.user_id != request.user.pk and not request.user.has_perm("readout_annotations.adjudicate_annotation"):
            return Response({"detail": _("Only who asked for a job can run it again.")}, status=403)
        try:
            job = jobs.retry(job)
        except ValueError as error:
            return Response({"status": [str(error)]}, status=status.HTTP_409_CONFLICT)
        return accepted(job, request)


def accepted(job: Job, request) -> Response:
    """``202 Accepted`` with the job, its URL in ``Location``."""
    job.refresh_from_db()
    data = JobSerializer(job, context={"request": request}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


def wants_async(request) -> bool:
    """``?async=1`` (or ``true``) asks for a job; ``0``/``false`` or no ``async`` does not; anything
    else is a 400 on ``async``."""
    if "async" not in request.query_params:
        return False
    field = serializers.BooleanField()
    try:
        return field.run_validation(request.query_params["async"])
    except serializers.ValidationError as error:
        raise serializers.ValidationError({"async": error.detail}) from None
