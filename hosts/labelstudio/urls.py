"""Label Studio's URLs with readout-annotations' API in front.

Label Studio's own routes stay as they are; ours come first under a prefix of their own. Our admin
pages need no route: they live in Label Studio's Django admin at ``/admin/``.
"""

from core.urls import urlpatterns as labelstudio_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("readout-annotations/api/", include("readout_annotations.urls")),
    *labelstudio_urlpatterns,
]
