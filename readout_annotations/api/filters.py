"""Query-string filters for the list endpoints, written out (no django-filter).

A value that cannot be understood is a 400 naming the parameter, never silently ignored.
Filters on gold readings see only the gold a user may see: every gold for a reviewer,
only their own gold annotations for anyone else (see ``views.gold_visible``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from ..models import Annotation, Attribution, Origin, Readout, Speaker, Stance, StanceValue, Target
from .permissions import is_reviewer

TRUE, FALSE = "true", "false"
ME = "me"
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")
POSITIVE_INT = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


class QueryParameters:
    """Reads and checks query parameters, collecting one error per bad parameter."""

    def __init__(self, request) -> None:
        self.query = request.query_params
        self.errors: dict[str, list[str]] = {}

    def raw(self, name: str) -> str | None:
        return self.query.get(name)

    def slug(self, name: str, model) -> int | None:
        """The primary key of the ``model`` row with the slug given as ``name``."""
        value = self.raw(name)
        if value is None:
            return None
        pk = None
        if SLUG.fullmatch(value):
            pk = next(iter(model.objects.filter(slug=value).order_by().values_list("pk", flat=True)[:1]), None)
        if pk is None:
            self.errors[name] = [
                _("No %(model)s has the slug %(slug)r.") % {"model": model._meta.verbose_name, "slug": value}
            ]
        return pk

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        value, choices = self.raw(name), list(choices)
        if value is not None and value not in choices:
            self.errors[name] = [
                _("%(value)r is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices)}
            ]
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.choice(name, (TRUE, FALSE))
        return None if value is None else value == TRUE

    def positive_int(self, name: str) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()) or int(value) < 1 or int(value) > 2**31 - 1:
            self.errors[name] = [_("Give a whole number from 1.")]
            return None
        return int(value)

    def day(self, name: str) -> datetime.date | None:
        """A day given as ``YYYY-MM-DD``."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or len(value) != 10:  # fromisoformat also takes YYYYMMDD
            self.errors[name] = [_("Give a day as YYYY-MM-DD.")]
            return None
        return day

    def me(self, name: str) -> bool:
        return self.choice(name, (ME,)) == ME

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def filter_published(queryset: QuerySet, params: QueryParameters, readout: str = "") -> QuerySet:
    """``published_from`` and ``published_until`` (days, both included) over the readout's day of
    publication in its own zone (``Readout.published_on``); ``readout`` is the path to it."""
    since, until = params.day("published_from"), params.day("published_until")
    params.check()
    if since is not None:
        queryset = queryset.filter(**{f"{readout}published_on__gte": since})
    if until is not None:
        queryset = queryset.filter(**{f"{readout}published_on__lte": until})
    return queryset


def filter_readouts(queryset: QuerySet, request) -> QuerySet:
    """Apply the readout filters of ``READOUT_PARAMETERS`` to ``queryset``."""
    return filter_published(queryset, QueryParameters(request))


def _gold_stances(user) -> QuerySet:
    stances = Stance.objects.filter(annotation__gold_statement=OuterRef("pk"))
    return stances if is_reviewer(user) else stances.filter(annotation__annotator=user)


def filter_statements(queryset: QuerySet, request) -> QuerySet:
    """Apply the statement filters of ``STATEMENT_PARAMETERS`` to ``queryset``."""
    user, params = request.user, QueryParameters(request)
    readout = params.slug("readout", Readout)
    paragraph = params.positive_int("paragraph")
    speaker = params.slug("speaker", Speaker)
    target = params.slug("target", Target)
    stance = params.choice("stance", StanceValue.values)
    attribution = params.choice("attribution", Attribution.values)
    has_gold = params.boolean("has_gold")
    annotated_by_me = params.me("annotated_by")
    unannotated_by_me = params.me("unannotated_by")
    queryset = filter_published(queryset, params, "readout__")  # checks the parameters

    visible_gold = Q(gold_annotation__isnull=False)
    if not is_reviewer(user):
        visible_gold &= Q(gold_annotation__annotator=user)
    if readout is not None:
        queryset = queryset.filter(readout_id=readout)
    if paragraph is not None:
        queryset = queryset.filter(paragraph=paragraph)
    if speaker is not None:
        queryset = queryset.filter(visible_gold, gold_annotation__speaker_id=speaker)
    if attribution is not None:
        queryset = queryset.filter(visible_gold, gold_annotation__attribution=attribution)
    if target is not None or stance is not None:
        stances = _gold_stances(user)
        if target is not None:
            stances = stances.filter(target_id=target)
        if stance is not None:
            stances = stances.filter(stance=stance)
        queryset = queryset.filter(Exists(stances))
    if has_gold is not None:
        queryset = queryset.filter(visible_gold) if has_gold else queryset.exclude(visible_gold)
    mine = Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=user))
    if annotated_by_me:
        queryset = queryset.filter(mine)
    if unannotated_by_me:
        queryset = queryset.exclude(mine)
    return queryset


def filter_annotations(queryset: QuerySet, request) -> QuerySet:
    """Apply the annotation filters of ``ANNOTATION_PARAMETERS`` to ``queryset``."""
    params = QueryParameters(request)
    readout = params.slug("readout", Readout)
    number = params.positive_int("statement")
    if number is not None and params.raw("readout") is None:
        params.errors["statement"] = [_("Give the readout too: statement numbers count within a readout.")]
    mine = params.me("annotator")
    origin = params.choice("origin", Origin.values)
    gold = params.boolean("gold")
    params.check()

    if readout is not None:
        queryset = queryset.filter(statement__readout_id=readout)
    if number is not None:
        queryset = queryset.filter(statement__number=number)
    if mine:
        queryset = queryset.filter(annotator=request.user)
    if origin is not None:
        queryset = queryset.filter(origin=origin)
    if gold is not None:
        queryset = queryset.filter(gold=gold)
    return queryset


# --------------------------------------------------------------------------- schema


def _slug(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "string", "pattern": f"^{SLUG.pattern}$"}, description=description)


def _enum(name: str, values: Iterable[str], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, enum=list(values), description=description)


def _boolean(name: str, description: str) -> OpenApiParameter:
    return _enum(name, (TRUE, FALSE), description)


READOUT_PARAMETERS = [
    OpenApiParameter(
        "published_from",
        OpenApiTypes.DATE,
        description=_("Published on this day or later, in the readout's own zone (YYYY-MM-DD)."),
    ),
    OpenApiParameter(
        "published_until",
        OpenApiTypes.DATE,
        description=_("Published on this day or earlier, in the readout's own zone (YYYY-MM-DD)."),
    ),
]

STATEMENT_PARAMETERS = [
    _slug("readout", _("Statements of the readout with this slug.")),
    OpenApiParameter("paragraph", POSITIVE_INT, description=_("Statements in this paragraph (from 1).")),
    _slug("speaker", _("Statements whose gold reading has the speaker with this slug.")),
    _slug("target", _("Statements whose gold reading has a stance on the target with this slug.")),
    _enum(
        "stance",
        StanceValue.values,
        _("Statements whose gold reading has this stance (on `target`, when given)."),
    ),
    _enum("attribution", Attribution.values, _("Statements whose gold reading has this attribution.")),
    _boolean("has_gold", _("Statements with (true) or without (false) a gold reading you can see.")),
    _enum("annotated_by", (ME,), _("`me`: statements you have annotated.")),
    _enum("unannotated_by", (ME,), _("`me`: statements you have not annotated yet.")),
    *READOUT_PARAMETERS,
]

ANNOTATION_PARAMETERS = [
    _slug("readout", _("Annotations of statements of the readout with this slug.")),
    OpenApiParameter(
        "statement",
        POSITIVE_INT,
        description=_("Annotations of the statement with this number; needs `readout`."),
    ),
    _enum("annotator", (ME,), _("`me`: only your own annotations.")),
    _enum("origin", Origin.values, _("Annotations of this origin.")),
    _boolean("gold", _("Gold (true) or other (false) annotations.")),
]
