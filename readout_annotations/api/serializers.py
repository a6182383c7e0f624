"""Serializers: annotations and statements in the canonical record shape, plus the catalogues.

Annotations are read and written as canonical statement records (``records.build_record``).
A person's reading is written by ``annotating`` (the views call it with ``validated_data["record"]``);
machine predictions are resolved by ``records.RecordResolver`` and written by ``records.apply_record``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Model
from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ISO_8601
from rest_framework.reverse import reverse

from .. import documents, records
from ..conf import app_settings
from ..models import (
    Annotation,
    Attribution,
    Mode,
    Origin,
    Readout,
    ReadoutStatus,
    Speaker,
    StanceValue,
    Statement,
    Target,
)
from ..roles import is_reviewer

SLUG_MAX_LENGTH = 120
NUMBER_MAX = 2**31 - 1
NAMESPACE = "readout_annotations"


def gold_of(statement: Statement) -> Annotation | None:
    try:
        return statement.gold_annotation
    except Annotation.DoesNotExist:
        return None


def annotation_url(pk: int, request=None) -> str:
    """The API URL of an annotation, in the namespace the request came through."""
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match is not None and match.namespace else NAMESPACE
    try:
        return reverse(f"{namespace}:annotation-detail", kwargs={"pk": pk}, request=request)
    except NoReverseMatch:
        return reverse(f"{NAMESPACE}:annotation-detail", kwargs={"pk": pk}, request=request)


def etag(annotation: Annotation) -> str:
    """The strong entity tag of an annotation's current version: ``"<id>-<version>"``."""
    return f'"{annotation.pk}-{annotation.version}"'


class SlugReference(serializers.SlugRelatedField):
    """A related row given by its slug; a string that is not a slug is refused before any query."""

    default_error_messages = {
        "does_not_exist": _("No {model} has the slug {value!r}."),
        "invalid": _("Give a slug: letters, digits, hyphens and underscores."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="slug", **kwargs)

    def run_validation(self, data=serializers.empty):
        if data == "":  # REST framework would read it as null
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data) -> Model:
        if not isinstance(data, str) or not data or len(data) > SLUG_MAX_LENGTH or not _is_slug(data):
            self.fail("invalid")
        queryset = self.get_queryset()
        try:
            return queryset.get(slug=data)
        except queryset.model.DoesNotExist:
            self.fail("does_not_exist", model=queryset.model._meta.verbose_name, value=data)


def _is_slug(value: str) -> bool:
    return value.isascii() and value.replace("-", "").replace("_", "").isalnum()


# --------------------------------------------------------------------------- records


class StanceSerializer(serializers.Serializer):
    target = serializers.SlugField(max_length=SLUG_MAX_LENGTH, help_text=_("The target's slug."))
    target_name = serializers.CharField(read_only=True)
    stance = serializers.ChoiceField(choices=StanceValue.choices)


class RecordSerializer(serializers.Serializer):
    """The canonical statement record (see ``readout_annotations.records``), read only."""

    readout = serializers.CharField(read_only=True, help_text=_("The readout's slug."))
    statement = serializers.IntegerField(read_only=True, help_text=_("The statement's number in the readout."))
    paragraph = serializers.IntegerField(read_only=True)
    start = serializers.IntegerField(read_only=True, help_text=_("Offset of the first character, in code points."))
    end = serializers.IntegerField(read_only=True, help_text=_("Offset just past the last character."))
    text = serializers.CharField(read_only=True)
    speaker = serializers.CharField(read_only=True, allow_null=True, help_text=_("The speaker's slug."))
    speaker_name = serializers.CharField(read_only=True, allow_null=True)
    attribution = serializers.ChoiceField(choices=Attribution.choices, read_only=True, allow_null=True)
    mode = serializers.ChoiceField(choices=Mode.choices, read_only=True, allow_null=True)
    cue = serializers.CharField(read_only=True, allow_null=True)
    stances = StanceSerializer(many=True, read_only=True)
    annotator = serializers.CharField(read_only=True, allow_null=True, help_text=_("The annotator's username."))
    origin = serializers.ChoiceField(choices=Origin.choices, read_only=True, allow_null=True)
    model_name = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("The machine behind a reading that is not a person's.")
    )
    model_version = serializers.CharField(read_only=True, allow_null=True)
    gold = serializers.BooleanField(read_only=True)


class StatementSerializer(RecordSerializer):
    """A statement with its gold reading, as a canonical record plus the statement's ``id``.

    The gold reading is shown to users who may see the gold annotation (a reviewer, or the
    gold's own annotator); for anyone else the statement reads as not yet adjudicated.
    """

    id = serializers.IntegerField(read_only=True)
    gold_annotation = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The id of the gold annotation, when you may see it.")
    )

    def to_representation(self, read: tuple) -> dict:
        """``read``: one item of ``records.read`` over statements (which hides others' gold)."""
        record, statement_id, gold_id, _version = read
        return {"id": statement_id, **record, "gold_annotation": gold_id}


class AnnotationSerializer(RecordSerializer):
    """An annotation as a canonical record, plus ``id``, ``url``, ``version`` and its model.

    Write the fields ``readout``, ``statement``, ``speaker``, ``attribution``, ``mode``,
    ``cue`` and ``stances``; the rest are read only (the annotator is always the requesting user).
    """

    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(read_only=True)
    readout = serializers.SlugField(max_length=SLUG_MAX_LENGTH, help_text=_("The readout's slug."))
    statement = serializers.IntegerField(
        min_value=1, max_value=NUMBER_MAX, help_text=_("The statement's number in the readout, from 1.")
    )
    speaker = serializers.SlugField(
        max_length=SLUG_MAX_LENGTH,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text=_("The speaker's slug; null (or empty) for no speaker."),
    )
    attribution = serializers.ChoiceField(choices=Attribution.choices)
    mode = serializers.ChoiceField(choices=Mode.choices, allow_null=True, allow_blank=True, required=False)
    cue = serializers.CharField(
        max_length=200,
        allow_null=True,
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text=_('The phrase that introduces the speech: "pointed out".'),
    )
    stances = StanceSerializer(many=True, required=False)
    version = serializers.IntegerField(read_only=True, help_text=_("Raised by every change; see the ETag."))

    def validate(self, attrs: dict) -> dict:
        """The record as sent (``{"record": {...}}``); the write service checks it against the
        database and the guideline (``annotating``)."""
        data = {name: attrs[name] for name in records.WRITABLE_FIELDS if name in attrs}
        if "stances" in data:
            data["stances"] = [dict(entry) for entry in data["stances"]]
        return {"record": data}

    def to_representation(self, read: Annotation | tuple) -> dict:
        """``read``: one item of ``records.read`` over annotations, or an annotation (read again)."""
        if isinstance(read, Annotation):
            read = next(records.read(Annotation.objects.filter(pk=read.pk)))
        record, _statement_id, pk, version = read
        return {
            "id": pk,
            "url": annotation_url(pk, self.context.get("request")),
            **record,
            "version": version,
        }


class PredictionSerializer(AnnotationSerializer):
    """One record of a batch of predictions, checked against the database (not the guideline:
    a proposal is what an annotator corrects)."""

    def validate(self, attrs: dict) -> dict:
        record = super().validate(attrs)["record"]
        resolver = self.context.setdefault("resolver", records.RecordResolver())
        try:
            return {"resolved": resolver.resolve(record)}
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error


class AcceptSerializer(serializers.Serializer):
    """What a reviewer compared to reach the gold reading (optional)."""

    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text=_("Ids of annotations of the same statement; by default every other annotation of it."),
    )

    default_error_messages = {
        "foreign": _("Not annotations of this statement: %(ids)s."),
    }

    def validate_sources(self, ids: list[int]) -> list[int]:
        statement_id = self.context["annotation"].statement_id
        found = set(Annotation.objects.filter(pk__in=ids, statement_id=statement_id).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise serializers.ValidationError(self.error_messages["foreign"] % {"ids": ", ".join(map(str, missing))})
        return ids

    def source_annotations(self, annotation: Annotation) -> list[Annotation]:
        """The source annotations: those given, or every other annotation of the statement."""
        ids = self.validated_data.get("sources")
        others = Annotation.objects.filter(statement_id=annotation.statement_id).exclude(pk=annotation.pk)
        return list(others if ids is None else others.filter(pk__in=ids))


class PredictionBatchSerializer(serializers.Serializer):
    """Machine proposals: records from one model, written together or not at all."""

    model_name = serializers.CharField(max_length=200, help_text=_("The model that made the predictions."))
    model_version = serializers.CharField(max_length=100, help_text=_("Its version."))
    default_error_messages = {
        "repeated": _("Record %(first)s is already a prediction for this statement."),
        "exists": _("This statement already has a prediction from %(name)s %(version)s."),
    }

    def get_fields(self) -> dict:
        fields = super().get_fields()
        limit = app_settings.MAX_PAGE_SIZE  # read at access time
        fields["records"] = serializers.ListField(
            child=PredictionSerializer(),
            min_length=1,
            max_length=limit,
            help_text=_("Up to %(max)s canonical records.") % {"max": limit},
        )
        return fields

    def validate(self, attrs: dict) -> dict:
        statements = [item["resolved"].statement.pk for item in attrs["records"]]
        existing = set(
            Annotation.objects.filter(
                origin=Origin.MACHINE,
                machine_name=attrs["model_name"],
                machine_version=attrs["model_version"],
                statement_id__in=statements,
            ).values_list("statement_id", flat=True)
        )
        errors, first = {}, {}
        for index, statement in enumerate(statements):
            if statement in first:
                errors[index] = {"statement": [self.error_messages["repeated"] % {"first": first[statement]}]}
            elif statement in existing:
                message = self.error_messages["exists"] % {
                    "name": attrs["model_name"],
                    "version": attrs["model_version"],
                }
                errors[index] = {"statement": [message]}
            first.setdefault(statement, index)
        if errors:
            raise serializers.ValidationError({"records": errors})
        return attrs

    def create(self, validated_data: dict) -> list[Annotation]:
        return [
            records.apply_record(
                item["resolved"],
                origin=Origin.MACHINE,
                machine_name=validated_data["model_name"],
                machine_version=validated_data["model_version"],
            )
            for item in validated_data["records"]
        ]


class PredictionResultSerializer(serializers.Serializer):
    model_name = serializers.CharField()
    model_version = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Annotations created."))
    annotations = AnnotationSerializer(many=True)


# --------------------------------------------------------------------------- catalogues


class ReadoutListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        readouts = list(data.all() if hasattr(data, "all") else data)
        Readout.objects.attach_status(readouts)  # one query for the page, none if the view used with_status
        return super().to_representation(readouts)


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"type": {"type": "string", "example": "examples.example"}, "id": {"type": "string"}},
        "required": ["type", "id"],
    }
)
class DocumentReferenceField(serializers.Field):
    """The readout's host document as ``{"type": "app_label.model", "id": "..."}``, or null."""

    def __init__(self, **kwargs) -> None:
        kwargs.update(source="*", read_only=True)
        kwargs.setdefault("help_text", _("The host's object this readout belongs to (a doccano example), or null."))
        super().__init__(**kwargs)

    def to_representation(self, readout: Readout) -> dict | None:
        return documents.reference(readout)


class ReadoutSerializer(serializers.ModelSerializer):
    published_at = serializers.DateTimeField(format=ISO_8601, read_only=True)
    published_on = serializers.DateField(
        format=ISO_8601,
        read_only=True,
        allow_null=True,
        help_text=_("The day of publication in the readout's own zone (timezone): what exports and filters use."),
    )
    document = DocumentReferenceField()
    url = serializers.CharField(read_only=True, help_text=_("The publisher's URL of the readout, or empty."))
    event_date = serializers.DateField(format=ISO_8601, read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(format=ISO_8601, read_only=True)
    updated_at = serializers.DateTimeField(format=ISO_8601, read_only=True)
    statement_count = serializers.IntegerField(read_only=True)
    gold_count = serializers.IntegerField(read_only=True, help_text=_("Statements with a gold reading you may see."))
    annotated_count = serializers.IntegerField(read_only=True, help_text=_("Statements you have annotated."))
    status = serializers.ChoiceField(
        choices=ReadoutStatus.choices,
        read_only=True,
        allow_null=True,
        help_text=_(
            "in_progress, then annotated (every statement has ANNOTATIONS_PER_STATEMENT human annotations), "
            "then adjudicated (every statement has gold), or gold_imported (every statement has gold, all of it "
            "imported readings). Null for annotators: it counts other people's work."
        ),
    )

    class Meta:
        model = Readout
        fields = [
            "slug",
            "title",
            "published_at",
            "timezone",
            "published_on",
            "event_date",
            "publisher",
            "url",
            "language",
            "checksum",
            "notes",
            "document",
            "statement_count",
            "gold_count",
            "annotated_count",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = ReadoutListSerializer

    def to_representation(self, instance):
        Readout.objects.attach_status([instance])
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_reviewer(request.user):
            data["status"] = None  # blind annotation: the status counts other annotators' work
        return data


class ReadoutDetailSerializer(ReadoutSerializer):
    class Meta(ReadoutSerializer.Meta):
        fields = [*ReadoutSerializer.Meta.fields, "text"]
        read_only_fields = fields


class StrictCharMixin:
    """Text as the schema describes it: a JSON string (no number turned into one), checked as sent
    (REST framework's default trims whitespace before checking the length and the pattern)."""

    default_error_messages = {"not_a_string": _("Not a valid string.")}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(StrictCharMixin, serializers.CharField):
    pass


class StrictSlugField(StrictCharMixin, serializers.SlugField):
    pass


class CatalogueSerializer(serializers.ModelSerializer):
    """Speakers and targets: model text fields become strict text fields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
    }


class AliasesField(serializers.ListField):
    child = StrictCharField(max_length=200)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Names the texts use, for matching."))
        super().__init__(**kwargs)


class SpeakerSerializer(CatalogueSerializer):
    aliases = AliasesField()
    members = SlugReference(
        many=True,
        required=False,
        queryset=Speaker.objects.all(),
        help_text=_("For a group: the slugs of the speakers in it."),
    )

    class Meta:
        model = Speaker
        fields = ["slug", "name", "kind", "title", "affiliation", "aliases", "members", "wikidata_id"]

    def validate_members(self, members: list[Speaker]) -> list[Speaker]:
        if self.instance is not None and any(member.pk == self.instance.pk for member in members):
            raise serializers.ValidationError(_("A speaker cannot be a member of itself."))
        return members


class TargetSerializer(CatalogueSerializer):
    aliases = AliasesField()
    parent = SlugReference(
        queryset=Target.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("The slug of a broader target, or null."),
    )

    class Meta:
        model = Target
        fields = ["slug", "name", "kind", "parent", "description", "aliases"]

    def validate_parent(self, parent: Target | None) -> Target | None:
        if self.instance is None or parent is None:
            return parent
        node, seen = parent, set()
        while node is not None and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise serializers.ValidationError(_("A target cannot be its own ancestor."))
            seen.add(node.pk)
            node = node.parent
        return parent
