from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView


def no_icon(request) -> HttpResponse:
    """The demo host has no icon: browsers ask for /favicon.ico on every page; answer "nothing"
    (204, cached for a day) rather than a 404 in the server's log and the browser's console."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "max-age=86400"
    return response


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/readout_annotations/readout/", permanent=False)),
    path("favicon.ico", no_icon),
    path("admin/", admin.site.urls),
    path("api/", include("readout_annotations.urls")),
]
