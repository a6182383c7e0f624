"""doccano's URLs with readout-annotations' API in front of doccano's catch-all route.

doccano ends its URL list with ``re_path("", TemplateView(...index.html))``, which answers
every path it does not know with its single-page app, so our routes must come first. Our
admin pages need no route of their own: they live in doccano's ``/admin/``.
"""

from config.urls import urlpatterns as doccano_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("readout-annotations/api/", include("readout_annotations.urls")),
    *doccano_urlpatterns,
]
