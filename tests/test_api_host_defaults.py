"""The API does not depend on the host's REST framework defaults, except for authentication."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import get_resolver
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView

from readout_annotations import urls as api_urls

from .test_api import READOUT, client_for, create_catalogue, record

SESSION = "rest_framework.authentication.SessionAuthentication"
TOKEN = "rest_framework.authentication.TokenAuthentication"


def teapot_handler(exc, context):
    """A host exception handler that would break every error response."""
    return Response({"teapot": True}, status=418)


HOSTILE = {
    "DEFAULT_AUTHENTICATION_CLASSES": [SESSION, TOKEN],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 5,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.SearchFilter", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.TemplateHTMLRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "tests.test_api_host_defaults.teapot_handler",
    "DATETIME_FORMAT": "%d/%m/%Y",
    "DATE_FORMAT": "%d/%m/%Y",
    "URL_FIELD_NAME": "link",
}


@pytest.fixture
def readout(small_readout):
    create_catalogue()
    return small_readout


@pytest.fixture
def hostile():
    with override_settings(REST_FRAMEWORK=HOSTILE):  # setting_changed reloads api_settings
        assert api_settings.PAGE_SIZE == 5
        yield
    assert api_settings.PAGE_SIZE is None


@pytest.mark.django_db
def test_hostile_defaults_do_not_change_the_api(hostile, readout, annotator, reviewer):
    anonymous = APIClient()
    assert anonymous.get("/api/statements/").status_code == 403  # not AllowAny
    assert anonymous.get("/api/schema/").status_code == 403

    client = client_for(annotator)
    listed = client.get("/api/statements/?ordering=-number&search=Lukashenko")
    assert listed.status_code == 200
    assert listed["Content-Type"] == "application/json"
    body = listed.json()
    assert body["count"] == 4  # no search filter, and our page size, not the host's 5... or 2
    assert [s["statement"] for s in body["results"]] == [1, 2, 3, 4]  # no ordering filter
    assert client.get("/api/statements/?page_size=2").json()["next"].endswith("page=2&page_size=2")

    created = client.post("/api/annotations/", record(), format="json")  # JSON, not the host's form parser
    assert created.status_code == 201
    assert "url" in created.json()
    assert client.post("/api/annotations/", record(), format="json").status_code == 409  # our handler, not 418
    assert client.get("/api/annotations/999/").status_code == 404
    assert client.get("/api/statements/?has_gold=maybe").json() == {"has_gold": ["'maybe' is not one of true, false."]}
    assert client.get(f"/api/readouts/{READOUT}/").json()["published_at"] == "2023-03-02T01:42:00Z"

    schema = client_for(reviewer).get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/annotations/{id}/accept/" in schema.json()["paths"]


@pytest.mark.django_db
def test_the_hosts_authentication_is_used_as_configured(readout, annotator):
    session = APIClient()
    session.force_login(annotator)
    token = client_for(annotator)
    assert session.get("/api/statements/").status_code == 200
    with override_settings(REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [TOKEN]}):
        assert session.get("/api/statements/").status_code == 401  # session auth is off; token auth asks
        assert token.get("/api/statements/").status_code == 200
        assert token.get("/api/schema/").status_code == 200
    with override_settings(REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [SESSION]}):
        assert token.get("/api/statements/").status_code == 403
        assert session.get("/api/statements/").status_code == 200


def _api_views() -> list[type[APIView]]:
    resolver = get_resolver(api_urls)
    views = set()
    for pattern in resolver.url_patterns:
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is not None and view_class.__module__.startswith("readout_annotations.api."):
            views.add(view_class)
    return sorted(views, key=lambda view: view.__name__)


OWN_ATTRIBUTES = [
    "renderer_classes",
    "parser_classes",
    "permission_classes",
    "versioning_class",
    "content_negotiation_class",
    "metadata_class",
    "schema",
    "get_authenticators",
    "get_exception_handler",
]


@pytest.mark.parametrize("view", _api_views(), ids=lambda view: view.__name__)
def test_every_api_view_sets_what_rest_framework_would_take_from_the_host(view):
    """Class attributes REST framework fills from the settings at import time must be ours."""
    for name in OWN_ATTRIBUTES:
        owner = next(klass for klass in view.__mro__ if name in vars(klass))
        assert owner.__module__.startswith("readout_annotations."), (view, name, owner)
    if hasattr(view, "pagination_class"):
        for name in ("pagination_class", "filter_backends"):
            owner = next(klass for klass in view.__mro__ if name in vars(klass))
            assert owner.__module__.startswith("readout_annotations."), (view, name, owner)


def test_the_api_views_found_include_every_resource():
    names = {view.__name__ for view in _api_views()}
    assert names >= {
        "ReadoutViewSet",
        "StatementViewSet",
        "SpeakerViewSet",
        "TargetViewSet",
        "AnnotationViewSet",
        "PredictionView",
        "SchemaView",
        "ApiRootView",
        "NotFoundView",
    }
