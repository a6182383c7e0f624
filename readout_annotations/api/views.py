"""The API's views.

Every view sets its own renderers, parsers, pagination, permissions, filtering and schema
inspector, so the host's REST framework defaults do not change the API; authentication
(and throttling) are the host's: the views use ``DEFAULT_AUTHENTICATION_CLASSES`` as
configured when the request arrives. The views manage their own transactions and run
outside ``ATOMIC_REQUESTS``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, ProtectedError, QuerySet
from django.utils.http import parse_etags
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import routers as drf_routers
from rest_framework import status, viewsets
from rest_framework import views as drf_views
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ParseError, ValidationError
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import adjudication, annotating, records
from ..locks import RETRY_AFTER, Busy, is_lock_timeout
from ..models import Annotation, Origin, Readout, Speaker, Statement, Target
from . import filters
from . import schema as api_schema
from .pagination import PageNumberPagination, Records
from .permissions import AnnotationRules, CanAdjudicate, CanPostPredictions, ModelPermissions
from .schema import extend_schema
from .serializers import (
    AcceptSerializer,
    AnnotationSerializer,
    PredictionBatchSerializer,
    PredictionResultSerializer,
    ReadoutDetailSerializer,
    ReadoutSerializer,
    SpeakerSerializer,
    StatementSerializer,
    TargetSerializer,
    annotation_url,
    etag,
)

SLUG_LOOKUP = r"[-a-zA-Z0-9_]+"
MAX_ID = 2**63 - 1


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This conflicts with the current state.")
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("If-Match does not match the annotation's current ETag.")
    default_code = "precondition_failed"


class ServiceUnavailable(APIException):
    """The database did not grant a lock in time: nothing was written; ``Retry-After`` says when to retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = Busy.message
    default_code = "busy"
    wait = RETRY_AFTER  # REST framework's handler turns it into Retry-After


def exception_handler(exc, context):
    """REST framework's handler, plus: deleting a row still in use, or a unique key taken by a
    concurrent request, is a 409; a lock that timed out is a JSON 503 with Retry-After; a body over
    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, or any request Django finds malformed while the view
    reads it (``SuspiciousOperation``, ``BadRequest``), is a JSON 400 rather than Django's HTML
    page. Never a 500."""
    if isinstance(exc, RequestDataTooBig):
        exc = ParseError(_("The request body is larger than this server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)."))
    elif isinstance(exc, SuspiciousOperation | BadRequest):
        exc = ParseError(_("Malformed request: %(reason)s") % {"reason": exc})
    elif isinstance(exc, ProtectedError):
        exc = Conflict(in_use_message(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict(_("This conflicts with a change made meanwhile; read it again."))
    elif isinstance(exc, Busy) or is_lock_timeout(exc):
        exc = ServiceUnavailable()
    return drf_views.exception_handler(exc, context)


def in_use_message(error: ProtectedError) -> str:
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
    return _("It is in use (by %(kinds)s) and cannot be deleted.") % {"kinds": get_text_list(kinds, _("and"))}


class ApiViewMixin:
    # What every view of the API sets for itself, whatever the host's defaults. (A comment, not a
    # docstring: drf-spectacular would describe every view without a docstring of its own with it.)

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, ModelPermissions]
    pagination_class = PageNumberPagination
    filter_backends: list = []  # the lists that filter name django-filter's backend themselves
    versioning_class = None
    content_negotiation_class = DefaultContentNegotiation
    metadata_class = SimpleMetadata
    schema = api_schema.AutoSchema()

    def get_authenticators(self) -> list:
        """The host's authentication, read per request (so it follows ``override_settings``)."""
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_exception_handler(self):
        return exception_handler

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))


# --------------------------------------------------------------------------- readouts


@extend_schema_view(
    list=extend_schema(summary=_("Readouts, newest first (without their text).")),
    retrieve=extend_schema(summary=_("A readout with its text.")),
)
class ReadoutViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    filter_backends = [filters.FilterBackend]
    filterset_class = filters.ReadoutFilter
    queryset = Readout.objects.all()
    lookup_field = "slug"
    lookup_value_regex = SLUG_LOOKUP

    def get_queryset(self) -> QuerySet:
        queryset = Readout.objects.with_counts(self.request.user).with_status()
        queryset = queryset.order_by("-published_at", "slug")
        return queryset.defer("text") if self.action == "list" else queryset

    def get_serializer_class(self):
        return ReadoutSerializer if self.action == "list" else ReadoutDetailSerializer


# --------------------------------------------------------------------------- statements


class IdLookupMixin:
    """A malformed or out-of-range id is a 404 before it reaches the database."""

    def get_object(self):
        raw = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
            raise NotFound()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(
        summary=_("Statements with their gold readings, in the canonical record shape."),
    ),
    retrieve=extend_schema(summary=_("A statement with its gold reading.")),
)
class StatementViewSet(ApiViewMixin, IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Statement.objects.all()
    serializer_class = StatementSerializer
    filter_backends = [filters.FilterBackend]
    filterset_class = filters.StatementFilter

    def get_queryset(self) -> QuerySet:
        return Statement.objects.order_by("readout_id", "number")

    def paginate_queryset(self, queryset) -> list[tuple]:
        """The page's records, read from rows in two queries (see ``records.read``)."""
        return super().paginate_queryset(Records(queryset, reader=self.request.user))

    def get_object(self) -> tuple:
        super().get_object()  # the id's checks, the 404 and the object permissions
        return Records(self.get_queryset().filter(pk=self.kwargs["pk"]), reader=self.request.user)[0:1][0]


# --------------------------------------------------------------------------- speakers and targets


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: OpenApiResponse(description=_("In use."))}))
class SpeakerViewSet(ApiViewMixin, viewsets.ModelViewSet):
    queryset = Speaker.objects.all()
    serializer_class = SpeakerSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_LOOKUP

    def get_queryset(self) -> QuerySet:
        # Never another annotator's proposed name (ProposableQuerySet.usable_by).
        return Speaker.objects.usable_by(self.request.user).prefetch_related("members").order_by("name", "slug")

    def perform_create(self, serializer) -> None:
        save_unique(serializer)

    def perform_update(self, serializer) -> None:
        save_unique(serializer)


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: OpenApiResponse(description=_("In use."))}))
class TargetViewSet(ApiViewMixin, viewsets.ModelViewSet):
    queryset = Target.objects.all()
    serializer_class = TargetSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_LOOKUP

    def get_queryset(self) -> QuerySet:
        return Target.objects.usable_by(self.request.user).select_related("parent").order_by("name", "slug")

    def perform_create(self, serializer) -> None:
        save_unique(serializer)

    def perform_update(self, serializer) -> None:
        save_unique(serializer)


def save_unique(serializer) -> None:
    """Save; a slug taken by a concurrent request since validation is a 409, not a 500."""
    try:
        with transaction.atomic():
            serializer.save()
    except IntegrityError as error:
        model = serializer.Meta.model
        if model.objects.filter(slug=serializer.validated_data.get("slug")).exists():
            raise Conflict(_("Another %(model)s has this slug.") % {"model": model._meta.verbose_name}) from error
        raise


# --------------------------------------------------------------------------- annotations

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_(
        'The ETag you read ("<id>-<version>"): the write happens only if the annotation has not changed '
        "since (412 otherwise). Optional: without it the last write wins."
    ),
)


def if_match_versions(request, annotation: Annotation) -> set[int] | None:
    """The versions ``If-Match`` allows, or None when it sets no condition (absent or ``*``).

    Raises 412 when the annotation's current version is not among them. Comparison is
    strong: a weak tag (``W/"..."``) never matches.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = parse_etags(header)
    if tags == ["*"]:
        return None
    prefix, versions = f'"{annotation.pk}-', set()
    for tag in tags:
        number = tag[len(prefix) : -1] if tag.startswith(prefix) else ""
        if number.isascii() and number.isdigit() and len(number) <= 9:
            versions.add(int(number))
    if annotation.version not in versions:
        raise stale(annotation)
    return versions


def stale(annotation: Annotation) -> PreconditionFailed:
    return PreconditionFailed(
        _("The annotation has changed since you read it (its ETag is now %(etag)s); read it again.")
        % {"etag": etag(annotation)}
    )


def lock_statement(statement_id: int) -> None:
    """Hold the statement's row until the transaction ends (serialises gold changes to it)."""
    connection = connections[router.db_for_write(Statement)]
    rows = Statement.objects.filter(pk=statement_id)
    if connection.features.has_select_for_update:
        no_key = connection.features.has_select_for_no_key_update
        list(rows.select_for_update(no_key=no_key).values_list("pk", flat=True))
    else:  # SQLite: a write takes the database's write lock at once
        rows.update(number=F("number"))


@contextmanager
def service_errors(annotation: Annotation | None = None):
    """The write service's errors as the API's answers (400 by field, 403, 404, 409, 412)."""
    try:
        yield
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from error
    except annotating.Duplicate as error:
        raise Conflict(
            _("You have already annotated this statement (annotation %(id)s): change that one instead.")
            % {"id": error.existing}
        ) from error
    except annotating.Stale as error:
        if error.current is None:
            raise NotFound() from error
        raise PreconditionFailed(
            _("The annotation has changed since you read it (its ETag is now %(etag)s); read it again.")
            % {"etag": f'"{annotation.pk}-{error.current}"'}
        ) from error


ANNOTATION_ERRORS = {
    409: OpenApiResponse(description=_("You already annotated this statement.")),
}


@extend_schema_view(
    list=extend_schema(
        summary=_("Annotations you may see: all for a reviewer, your own otherwise."),
    ),
    retrieve=extend_schema(summary=_("An annotation; its ETag is its version.")),
    create=extend_schema(
        summary=_("Annotate a statement (you are the annotator)."),
        responses={201: AnnotationSerializer, **ANNOTATION_ERRORS},
    ),
    update=extend_schema(summary=_("Replace your annotation's reading."), parameters=[IF_MATCH]),
    partial_update=extend_schema(summary=_("Change part of your annotation's reading."), parameters=[IF_MATCH]),
    destroy=extend_schema(summary=_("Delete your annotation."), parameters=[IF_MATCH]),
)
class AnnotationViewSet(ApiViewMixin, IdLookupMixin, viewsets.ModelViewSet):
    queryset = Annotation.objects.all()
    serializer_class = AnnotationSerializer
    permission_classes = [IsAuthenticated, ModelPermissions, AnnotationRules]
    filter_backends = [filters.FilterBackend]
    filterset_class = filters.AnnotationFilter

    #: Actions that hand the annotation to the write service, which needs its relations loaded.
    WRITES = ("update", "partial_update", "destroy")

    def get_queryset(self) -> QuerySet:
        queryset = Annotation.objects.visible_to(self.request.user).order_by("statement_id", "pk")
        return queryset.for_records() if self.action in self.WRITES else queryset

    def paginate_queryset(self, queryset) -> list[tuple]:
        """The page's records, read from rows in two queries (see ``records.read``)."""
        return super().paginate_queryset(Records(queryset))

    def get_permissions(self) -> list:
        if self.action == "accept":
            return [IsAuthenticated(), CanAdjudicate()]
        return super().get_permissions()

    def reload(self, pk: int) -> Annotation:
        return Annotation.objects.for_records().get(pk=pk)

    def respond(self, annotation: Annotation | annotating.Saved, status_code: int = status.HTTP_200_OK) -> Response:
        """The annotation (read again), or a reading just written (its record as written: no query)."""
        if isinstance(annotation, annotating.Saved):
            saved, annotation = annotation, annotation.annotation
            data = self.get_serializer((saved.record, annotation.statement_id, annotation.pk, annotation.version)).data
        else:
            data = self.get_serializer(annotation).data
        headers = {"ETag": etag(annotation)}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = annotation_url(annotation.pk, self.request)
        return Response(data, status=status_code, headers=headers)

    def retrieve(self, request, *args, **kwargs) -> Response:
        return self.respond(self.get_object())

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            saved = annotating.create(request.user, serializer.validated_data["record"])
        return self.respond(saved, status.HTTP_201_CREATED)

    def claim(self, annotation: Annotation) -> Annotation:
        """Compare-and-set on the version ``If-Match`` names, then reload under the row lock.

        The first statement of the transaction is the UPDATE that claims the row, so two
        writers cannot both pass the check, on any backend.
        """
        versions = if_match_versions(self.request, annotation)
        rows = Annotation.objects.filter(pk=annotation.pk)
        if versions is not None:
            rows = rows.filter(version__in=versions)
        if not rows.update(version=F("version")):
            current = Annotation.objects.filter(pk=annotation.pk).first()
            if current is None:
                raise NotFound()
            raise stale(current)
        annotation = self.reload(annotation.pk)
        self.check_object_permissions(self.request, annotation)
        return annotation

    def update(self, request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        annotation = self.get_object()
        versions = if_match_versions(request, annotation)  # a stale If-Match fails before any check
        serializer = self.get_serializer(annotation, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with service_errors(annotation):
            saved = annotating.update(request.user, annotation, serializer.validated_data["record"], version=versions)
        return self.respond(saved)

    def destroy(self, request, *args, **kwargs) -> Response:
        annotation = self.get_object()
        versions = if_match_versions(request, annotation)
        with service_errors(annotation):
            annotating.delete(request.user, annotation, version=versions)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("Make this annotation the statement's gold reading (reviewers)."),
        description=_(
            "Goes through `adjudication.accept`, like the admin: the statement's previous gold "
            "annotation loses gold in the same transaction, and the gold records who adjudicated, "
            "when, and from which annotations (`sources`: ids of annotations of the same statement; "
            "by default every other annotation of it). A human or imported annotation becomes gold "
            "itself (200). A machine proposal cannot be gold: its reading is copied into your own "
            "annotation of the statement, which is created (201, with a Location) or replaced (200)."
        ),
        request=AcceptSerializer,
        parameters=[IF_MATCH],
        responses={200: AnnotationSerializer, 201: AnnotationSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs) -> Response:
        annotation = self.get_object()
        if_match_versions(request, annotation)
        body = AcceptSerializer(data=request.data, context={"annotation": annotation})
        body.is_valid(raise_exception=True)
        user = request.user
        try:
            with transaction.atomic():
                lock_statement(annotation.statement_id)  # first: the order adjudication.accept locks in
                annotation = self.claim(annotation)
                created = (
                    annotation.origin == Origin.MACHINE
                    and not Annotation.objects.filter(statement_id=annotation.statement_id, annotator=user).exists()
                )
                sources = body.source_annotations(annotation)
                gold = adjudication.accept(annotation, user, sources=sources)
        except IntegrityError as error:  # a race the locks do not cover: the reviewer's own concurrent create
            raise Conflict(_("The statement changed while you accepted; read it again.")) from error
        return self.respond(self.reload(gold.pk), status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --------------------------------------------------------------------------- predictions


class PredictionView(ApiViewMixin, drf_views.APIView):
    """Machine proposals: a batch of records from one model, written together or not at all."""

    permission_classes = [IsAuthenticated, CanPostPredictions]
    serializer_class = PredictionBatchSerializer

    def get_serializer(self, *args, **kwargs):
        return PredictionBatchSerializer(*args, context={"request": self.request, "view": self}, **kwargs)

    @extend_schema(
        summary=_("Post a model's predictions as machine annotations (reviewers)."),
        description=_(
            "Each record is a canonical record. The annotations are created with origin `machine`, "
            "no annotator and the model's name and version; they are never gold. One bad record "
            "rejects the batch with a 400 whose `records` maps its index to its field errors."
        ),
        request=PredictionBatchSerializer,
        responses={201: PredictionResultSerializer},
    )
    def post(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            created = serializer.save()
        ids = [annotation.pk for annotation in created]
        annotations = list(records.read(Annotation.objects.filter(pk__in=ids).order_by("statement_id", "pk")))
        context = {"request": request, "view": self}
        data = {
            "model_name": serializer.validated_data["model_name"],
            "model_version": serializer.validated_data["model_version"],
            "count": len(ids),
            "annotations": AnnotationSerializer(annotations, many=True, context=context).data,
        }
        return Response(data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- root, schema, fallback


class ApiRootView(ApiViewMixin, drf_routers.APIRootView):
    """The API's resources."""

    permission_classes = [IsAuthenticated]
    schema = None


class NotFoundView(ApiViewMixin, drf_views.APIView):
    """Any other URL under the API: a JSON 404 rather than the host's HTML page."""

    permission_classes = [IsAuthenticated]
    schema = None

    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = options = get


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of this API (YAML, or JSON with ``?format=json``); for authenticated users."""

    renderer_classes = [OpenApiYamlRenderer, OpenApiYamlRenderer2, OpenApiJsonRenderer, OpenApiJsonRenderer2]
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]
    versioning_class = None
    content_negotiation_class = DefaultContentNegotiation
    metadata_class = SimpleMetadata
    schema = api_schema.AutoSchema()
    generator_class = api_schema.SchemaGenerator
    custom_settings = api_schema.SETTINGS
    urlconf = None
    serve_public = True

    def get_authenticators(self) -> list:
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_exception_handler(self):
        return exception_handler

    def handle_exception(self, exc):
        """Errors in JSON, like the rest of the API, not in the schema's YAML."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))
