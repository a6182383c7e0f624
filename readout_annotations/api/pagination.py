"""Page-number pagination with the app's own page size, whatever the host's defaults."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from .. import records
from ..conf import app_settings


def _positive_int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if value > 0 else None


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=``; the default and the largest page size are app settings.

    A ``page`` or ``page_size`` that is not a positive whole number, or a ``page_size`` above
    ``READOUT_ANNOTATIONS_MAX_PAGE_SIZE``, is a 400 naming the parameter; a page past the last
    is a 404, as in REST framework.
    """

    page_query_param = "page"
    page_size_query_param = "page_size"
    last_page_strings = ()
    page_query_description = _("A page number, from 1.")
    page_size_query_description = _("Results per page.")

    @property
    def page_size(self) -> int:  # read at access time, so override_settings works
        return app_settings.PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return app_settings.MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        value = _positive_int(raw)
        if value is None:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        if value > self.max_page_size:
            raise ValidationError({self.page_size_query_param: [_("At most %(max)s.") % {"max": self.max_page_size}]})
        return value

    def get_page_number(self, request, paginator) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        value = _positive_int(raw)
        if value is None:
            raise ValidationError({self.page_query_param: [_("Give a whole number from 1.")]})
        return value

    def get_schema_operation_parameters(self, view) -> list[dict]:
        page, page_size = super().get_schema_operation_parameters(view)
        page["schema"] = {"type": "integer", "minimum": 1}
        page_size["schema"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": self.max_page_size,
            "default": self.page_size,
        }
        return [page, page_size]


class Records:
    """A queryset as the paginator sees it: counted as is, sliced into ``records.read`` rows.

    A page is read in two queries (its rows, their stances), whatever its size.
    """

    def __init__(self, queryset: QuerySet, *, reader=None) -> None:
        self.queryset, self.reader = queryset, reader
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple]:
        return list(records.read(self.queryset[index], reader=self.reader))
