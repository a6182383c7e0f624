"""Getting text in and labels out through the API: ``readouts/import/`` and ``export/``.

- ``POST readouts/import/``: a readout file, as multipart form data (``file``) or as the raw
  ``text/plain`` body; ``slug``, ``timezone``, ``replace`` and ``document`` (``app_label.model:id``,
  an object of the host to link the readout to) as form fields or query parameters (a raw body
  needs ``slug``). Reviewers only (the ``add_readout`` permission). The same rules
  and messages as ``manage.py import_readout``: 400 with the errors by field; 201 with the
  readout's slug and counts for a new or replaced readout, 200 for an identical file.
- ``GET export/?format=F&offsets=U&all=1&readout=SLUG``: what ``export_annotations`` writes,
  streamed. Needs ``view_statement``. Without ``all``, the gold reading of every statement; with
  ``all=1`` every annotation for a reviewer, and for anyone else their own annotations and the
  gold ones.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers, status
from rest_framework import views as drf_views
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response

from .. import documents, jobs, records
from ..conf import app_settings
from ..formats import FORMATS, OFFSET_UNITS, ReadoutCache
from ..formats.base import buffered
from ..importing import CREATED, REPLACED, UNCHANGED, ReadoutImportError, import_readout, too_large
from ..models import Job, Readout, is_zone
from . import jobs as api_jobs
from .schema import extend_schema
from .views import ApiViewMixin

ADD_READOUT = "readout_annotations.add_readout"
VIEW_STATEMENT = "readout_annotations.view_statement"


class CanImportReadouts(permissions.BasePermission):
    message = _("Only a reviewer can import readouts.")

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(ADD_READOUT)


class CanExport(permissions.BasePermission):
    message = _("Exporting needs the permission to view statements.")

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(VIEW_STATEMENT)


class PlainTextParser(BaseParser):
    """A ``text/plain`` body as bytes, read up to one byte past the size limit."""

    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        if stream is None:
            return b""
        return stream.read(app_settings.MAX_IMPORT_BYTES + 1)


class ImportParameters(serializers.Serializer):
    file = serializers.FileField(
        required=False,
        allow_empty_file=True,
        label=_("readout file"),
        help_text=_("Line 1 the title, line 2 the timestamp YYYY-MM-DD HH:MM, then the body (UTF-8)."),
    )
    # Blank optional fields are "not given" (the browsable API's form posts every field).
    slug = serializers.SlugField(
        required=False,
        allow_blank=True,
        max_length=120,
        label=_("slug"),
        help_text=_("The readout's slug; by default the file name's stem, slugified."),
    )
    timezone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        label=_("time zone"),
        help_text=_("Zone of the timestamp line; by default the READOUT_ANNOTATIONS_TIMEZONE setting."),
    )
    replace = serializers.BooleanField(
        required=False,
        default=False,
        label=_("replace"),
        help_text=_("Replace a readout whose file changed, as long as no person has annotated it."),
    )
    document = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        label=_("host document"),
        help_text=_("Link the readout to this object of the host: app_label.model:id, e.g. examples.example:12."),
    )

    def validate_document(self, value: str):
        if not value:
            return None
        try:
            return documents.parse_reference(value)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class ImportResultSerializer(serializers.Serializer):
    readout = serializers.SlugField(label=_("readout"))
    status = serializers.CharField(
        label=_("status"), help_text=f"{CREATED}, {REPLACED} or {UNCHANGED}"
    )  # not a ChoiceField: "status" enums of other resources would collide in the schema
    statements = serializers.IntegerField(label=_("statements created"))
    proposals = serializers.IntegerField(label=_("machine proposals created"))


IMPORT_FIELDS = ("slug", "timezone", "replace", "document")
QUERY_IMPORT_PARAMETERS = [
    OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.QUERY, description=_("As the form field.")),
    OpenApiParameter("timezone", OpenApiTypes.STR, OpenApiParameter.QUERY, description=_("As the form field.")),
    OpenApiParameter("replace", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description=_("As the form field.")),
    OpenApiParameter("document", OpenApiTypes.STR, OpenApiParameter.QUERY, description=_("As the form field.")),
]


class ReadoutImportView(ApiViewMixin, drf_views.APIView):
    """Import one readout file: its statements and one machine proposal per statement."""

    permission_classes = [permissions.IsAuthenticated, CanImportReadouts]
    parser_classes = [MultiPartParser, FormParser, PlainTextParser]
    serializer_class = ImportParameters

    @extend_schema(
        summary=_("Import a readout file (reviewers)."),
        description=_(
            "The rules of `manage.py import_readout`: an identical file changes nothing (200); a changed "
            "one is refused unless `replace` is given and no person has annotated the readout. Errors "
            "come by field: `file` (with the line), `slug`, `timezone`, `replace`."
        ),
        request={
            "multipart/form-data": ImportParameters,
            "text/plain": OpenApiTypes.STR,
        },
        parameters=QUERY_IMPORT_PARAMETERS,
        responses={
            201: OpenApiResponse(ImportResultSerializer, description=_("Created or replaced.")),
            200: OpenApiResponse(ImportResultSerializer, description=_("The same file again: unchanged.")),
        },
    )
    def post(self, request, *args, **kwargs) -> Response:
        if api_jobs.wants_async(request):
            return self.post_job(request)
        raw = request.content_type.split(";")[0].strip().lower() == PlainTextParser.media_type
        fields = {key: request.query_params[key] for key in IMPORT_FIELDS if key in request.query_params}
        if not raw:
            fields.update({key: request.data[key] for key in IMPORT_FIELDS if key in request.data})
            if "file" in request.data:
                fields["file"] = request.data["file"]
        parameters = ImportParameters(data=fields)
        parameters.is_valid(raise_exception=True)
        values = parameters.validated_data
        slug = values.get("slug") or None
        if raw:
            if not slug:
                return Response({"slug": [_("A text/plain body needs a slug (?slug=...).")]}, status=400)
            data = request.data if isinstance(request.data, bytes) else b""  # an empty body parses as {}
            name = f"{slug}.txt"
            size = int(request.META.get("CONTENT_LENGTH") or 0) or None
        else:
            upload = values.get("file")
            if upload is None:
                return Response({"file": [_("No file was submitted.")]}, status=400)
            name = upload.name or "readout.txt"
            data = upload.read(app_settings.MAX_IMPORT_BYTES + 1)  # past the limit: refused with the size message
            size = upload.size
        document = values.get("document")
        try:
            with transaction.atomic():  # the readout and its link, or neither
                result = import_readout(
                    data,
                    name=name,
                    slug=slug,
                    timezone=values.get("timezone") or None,
                    replace=values["replace"],
                    size=size,
                )
                if document is not None:
                    documents.link(result.readout, document)
        except ReadoutImportError as error:
            return Response({error.field: [error.detail]}, status=status.HTTP_400_BAD_REQUEST)
        body = ImportResultSerializer(
            {
                "readout": result.readout.slug,
                "status": result.status,
                "statements": result.statements,
                "proposals": result.proposals,
            }
        ).data
        created = result.status in (CREATED, REPLACED)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def post_job(self, request) -> Response:
        """``?async=1``: one or more files (``file`` repeated) imported by a job, each file in a
        transaction of its own (``jobs.run_import_readouts``)."""
        raw = request.content_type.split(";")[0].strip().lower() == PlainTextParser.media_type
        fields = {key: request.query_params[key] for key in IMPORT_FIELDS if key in request.query_params}
        if not raw:
            fields.update({key: request.data[key] for key in IMPORT_FIELDS if key in request.data and key != "file"})
        parameters = ImportParameters(data=fields)
        parameters.is_valid(raise_exception=True)
        values = parameters.validated_data
        if values.get("document") is not None:
            return Response({"document": [_("Linking a host document needs a synchronous import.")]}, status=400)
        limit = app_settings.MAX_IMPORT_BYTES
        if raw:
            if not values.get("slug"):
                return Response({"slug": [_("A text/plain body needs a slug (?slug=...).")]}, status=400)
            data = request.data if isinstance(request.data, bytes) else b""
            files = [(f"{values['slug']}.txt", data)]
        else:
            uploads = request.FILES.getlist("file")
            if not uploads:
                return Response({"file": [_("No file was submitted.")]}, status=400)
            if len(uploads) > 1 and values.get("slug"):
                return Response({"slug": [_("A slug names one readout; leave it out for several files.")]}, 400)
            files = [(upload.name or "readout.txt", upload.read(limit + 1)) for upload in uploads]
        too_big = [name for name, data in files if len(data) > limit]
        if too_big:
            return Response({"file": [f"{name}: {too_large(limit + 1, limit)}" for name in too_big]}, status=400)
        zone = values.get("timezone")
        if zone and not is_zone(zone):
            return Response({"timezone": [_("unknown time zone %(zone)r") % {"zone": zone}]}, status=400)
        job = jobs.submit(
            Job.Kind.IMPORT_READOUTS,
            request.user,
            {"slug": values.get("slug") or "", "timezone": zone or "", "replace": values["replace"]},
            files,
        )
        return api_jobs.accepted(job, request)


class IgnoreFormatParameter(DefaultContentNegotiation):
    """``?format=`` names the export format here, not a renderer: errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class ExportParameters(serializers.Serializer):
    format = serializers.ChoiceField(choices=sorted(FORMATS), required=False, default="jsonl", label=_("format"))
    offsets = serializers.ChoiceField(choices=OFFSET_UNITS, required=False, default="codepoints", label=_("offsets"))
    all = serializers.BooleanField(required=False, default=False, label=_("every annotation"))
    readout = serializers.ListField(child=serializers.SlugField(), required=False, default=list, label=_("readouts"))
    trailer = serializers.BooleanField(required=False, default=False, label=_("trailer"))
    raw = serializers.BooleanField(required=False, default=False, label=_("raw CSV"))

    def validate(self, attrs: dict) -> dict:
        module = FORMATS[attrs["format"]]
        for name in ("trailer", "raw"):
            if attrs[name] and name not in getattr(module, "OPTIONS", ()):
                raise serializers.ValidationError(
                    {name: [_("Not with format %(format)s.") % {"format": attrs["format"]}]}, code="invalid"
                )
        return attrs


def _export_responses() -> dict:
    """One 200 response per media type; the JSON ones (Label Studio, W3C) are arrays of objects."""
    description = _("The export, streamed, in the media type of its format.")
    responses = {}
    for module in FORMATS.values():
        media_type = module.MEDIA_TYPE.split(";")[0]
        json_array = media_type in ("application/json", "application/ld+json")
        schema = {"type": "array", "items": {"type": "object"}} if json_array else OpenApiTypes.STR
        responses[(200, media_type)] = OpenApiResponse(schema, description=description)
    return responses


#: The query parameters of GET and POST ``export/``.
EXPORT_PARAMETERS = [
    OpenApiParameter("format", OpenApiTypes.STR, enum=sorted(FORMATS), description=_("Default jsonl.")),
    OpenApiParameter("offsets", OpenApiTypes.STR, enum=list(OFFSET_UNITS), description=_("Default codepoints.")),
    OpenApiParameter("all", OpenApiTypes.BOOL, description=_("Every annotation instead of gold only.")),
    OpenApiParameter("readout", {"type": "array", "items": {"type": "string"}}, explode=True),
    OpenApiParameter(
        "trailer",
        OpenApiTypes.BOOL,
        description=_("jsonl and csv: end with a trailer that counts the records (a cut-off file lacks it)."),
    ),
    OpenApiParameter(
        "raw",
        OpenApiTypes.BOOL,
        description=_("csv: cells as they are, without neutralising spreadsheet formulas."),
    ),
]


class ExportView(ApiViewMixin, drf_views.APIView):
    """Stream an export of the annotations the user may see."""

    permission_classes = [permissions.IsAuthenticated, CanExport]
    content_negotiation_class = IgnoreFormatParameter
    serializer_class = ExportParameters

    @extend_schema(
        summary=_("Export annotations in one of the interchange formats, streamed."),
        description=_(
            "Without `all`, the gold reading of every statement (a statement without gold comes unread); "
            "with `all`, every annotation a reviewer may see, or for anyone else their own and the gold "
            "ones. `offsets=utf16` counts UTF-16 code units (JavaScript) instead of code points."
        ),
        parameters=EXPORT_PARAMETERS,
        responses=_export_responses(),
    )
    def get(self, request, *args, **kwargs):
        values, error = self.parameters(request)
        if error is not None:
            return error
        return self.stream(request, values)

    @extend_schema(
        summary=_("Export as GET does, or as a job (202) with async=1 or above the size limit."),
        description=_(
            "The same parameters as GET, in the query. With `async=1`, or when the export holds more than "
            "READOUT_ANNOTATIONS_ASYNC_EXPORT_RECORDS records, it runs as a job on the host's Tasks backend "
            "and the answer is 202 with the job (`Location`: its URL); otherwise the export is streamed."
        ),
        request=None,
        parameters=[
            *EXPORT_PARAMETERS,
            OpenApiParameter("async", OpenApiTypes.BOOL, description=_("Run as a job and answer 202.")),
        ],
        responses={**_export_responses(), 202: api_jobs.JobSerializer},
    )
    def post(self, request, *args, **kwargs):
        values, error = self.parameters(request)
        if error is not None:
            return error
        parameters = {**values, "format": values["format"], "offsets": values["offsets"]}
        size_limit = int(app_settings.ASYNC_EXPORT_RECORDS)
        if api_jobs.wants_async(request) or (
            records.export_count(all=values["all"], readouts=values["readout"], user=request.user) > size_limit
        ):
            job = jobs.submit(Job.Kind.EXPORT, request.user, parameters)
            return api_jobs.accepted(job, request)
        return self.stream(request, values)

    def parameters(self, request) -> tuple[dict, Response | None]:
        """The validated query parameters, or the 400 that refuses them."""
        query = request.query_params
        parameters = ExportParameters(
            data={
                **{key: query[key] for key in ("format", "offsets", "all", "trailer", "raw") if key in query},
                "readout": query.getlist("readout"),
            }
        )
        parameters.is_valid(raise_exception=True)
        values = dict(parameters.validated_data)
        slugs = values["readout"]
        try:
            Readout.objects.with_slugs(slugs)
        except ValidationError as error:
            return values, Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return values, None

    def stream(self, request, values: dict):
        module = FORMATS[values["format"]]
        rows = records.export_records(
            all=values["all"],
            readouts=values["readout"],
            user=request.user,
            annotation_ids=getattr(module, "ANNOTATION_IDS", False),
        )
        options = {name: True for name in ("trailer", "raw") if values[name]}
        chunks = module.chunks(rows, readouts=ReadoutCache(values["offsets"]), **options)
        media_type = module.MEDIA_TYPE
        if "charset" not in media_type:
            media_type += "; charset=utf-8"
        response = StreamingHttpResponse(buffered(chunks), content_type=media_type)
        filename = records.export_filename("all" if values["all"] else "gold", module.EXTENSION)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
