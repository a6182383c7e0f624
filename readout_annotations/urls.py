"""The app's REST API; include it under any prefix: ``path("api/", include("readout_annotations.urls"))``."""

app_name = "readout_annotations"
urlpatterns: list = []
