"""``GET agreement/?readout=SLUG``: inter-annotator agreement through the API, for reviewers.

The same report as ``manage.py readout_agreement --format json`` (``reliability.agreement_report``):
a key per field (``speaker``, ``attribution``, ``stance``) with Krippendorff's alpha, the units
and values behind it, Cohen's kappa for every pair of annotators and the statements of most
disagreement, plus the readouts with their status. ``readout`` is repeatable; without it, every
readout. Reviewers only: the report shows every annotator's readings.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import reliability
from ..models import Readout, ReadoutStatus
from ..roles import is_reviewer
from .schema import extend_schema
from .views import ApiViewMixin

MAX_LIMIT = 100


class IsReviewer(permissions.BasePermission):
    message = _("Only a reviewer can see agreement: it reveals every annotator's readings.")

    def has_permission(self, request, view) -> bool:
        return is_reviewer(request.user)


class AgreementParameters(serializers.Serializer):
    readout = serializers.ListField(child=serializers.SlugField(), required=False, default=list, label=_("readouts"))
    limit = serializers.IntegerField(
        required=False,
        default=reliability.DISAGREEMENT_LIMIT,
        min_value=0,
        max_value=MAX_LIMIT,
        label=_("statements of most disagreement per field"),
    )


class ReadoutProgressSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ReadoutStatus.choices)
    statements = serializers.IntegerField()
    annotated = serializers.IntegerField(
        help_text=_("Statements with at least ANNOTATIONS_PER_STATEMENT human annotations.")
    )
    gold = serializers.IntegerField(help_text=_("Statements with a gold reading."))


class KappaSerializer(serializers.Serializer):
    annotators = serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    kappa = serializers.FloatField(allow_null=True, help_text=_("Cohen's kappa; null when undefined."))
    units = serializers.IntegerField(help_text=_("Units both annotators coded."))


class DisagreementSerializer(serializers.Serializer):
    readout = serializers.SlugField()
    statement = serializers.IntegerField(help_text=_("The statement's number in its readout."))
    text = serializers.CharField()
    disagreement = serializers.FloatField(help_text=_("Share of pairs of values that differ."))
    disagreeing_pairs = serializers.IntegerField()
    pairs = serializers.IntegerField()
    readings = serializers.DictField(
        child=serializers.JSONField(),
        help_text=_(
            "Each annotator's value: a speaker slug or null, an attribution, or for stance "
            "an object mapping each target to a stance."
        ),
    )


class FieldAgreementSerializer(serializers.Serializer):
    alpha = serializers.FloatField(allow_null=True, help_text=_("Krippendorff's alpha (nominal); null when undefined."))
    units = serializers.IntegerField(help_text=_("Units with at least two values."))
    values = serializers.IntegerField(help_text=_("Values in those units."))
    kappas = KappaSerializer(many=True)
    disagreements = DisagreementSerializer(many=True)


class AgreementSerializer(serializers.Serializer):
    readouts = ReadoutProgressSerializer(many=True)
    annotators = serializers.ListField(child=serializers.CharField())
    annotations = serializers.IntegerField(help_text=_("Human annotations taken into account."))
    annotations_per_statement = serializers.IntegerField()
    speaker = FieldAgreementSerializer()
    attribution = FieldAgreementSerializer()
    mode = FieldAgreementSerializer()
    cue = FieldAgreementSerializer(help_text=_("Cues compared case-insensitively, spaces folded."))
    stance = FieldAgreementSerializer()


class AgreementView(ApiViewMixin, APIView):
    """Inter-annotator agreement over human annotations."""

    permission_classes = [permissions.IsAuthenticated, IsReviewer]
    serializer_class = AgreementParameters

    @extend_schema(
        summary=_("Inter-annotator agreement: alpha and pairwise kappa per field (reviewers)."),
        parameters=[
            OpenApiParameter("readout", OpenApiTypes.STR, many=True, description=_("A readout's slug (repeatable).")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("Statements of most disagreement per field.")),
        ],
        responses={200: AgreementSerializer},
    )
    def get(self, request, *args, **kwargs) -> Response:
        query = request.query_params
        parameters = AgreementParameters(
            data={"readout": query.getlist("readout"), **({"limit": query["limit"]} if "limit" in query else {})}
        )
        parameters.is_valid(raise_exception=True)
        slugs, limit = parameters.validated_data["readout"], parameters.validated_data["limit"]
        readouts = None
        if slugs:
            try:
                readouts = Readout.objects.with_slugs(slugs)
            except ValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        report = reliability.agreement_report(readouts, limit=limit)
        return Response(AgreementSerializer(report.as_dict()).data)
