"""The app's REST API; include it under any prefix: ``path("api/", include("readout_annotations.urls"))``.

To add a resource, register it on ``router`` (or add a ``path`` before the fallback at the end,
and name it in ``router.root_entries`` to list it at the API root).
"""

from django.urls import path, re_path

from .api import agreement, jobs, transfer, views
from .api.routers import ApiRouter

app_name = "readout_annotations"

router = ApiRouter()
router.register("readouts", views.ReadoutViewSet, basename="readout")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("speakers", views.SpeakerViewSet, basename="speaker")
router.register("targets", views.TargetViewSet, basename="target")
router.register("annotations", views.AnnotationViewSet, basename="annotation")
router.register("jobs", jobs.JobViewSet, basename="job")
router.root_entries["predictions"] = "predictions"
router.root_entries["schema"] = "schema"
router.root_entries["export"] = "export"
router.root_entries["agreement"] = "agreement"

urlpatterns = [
    path("predictions/", views.PredictionView.as_view(), name="predictions"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # Before the router: "readouts/import/" is not a readout's detail URL.
    path("readouts/import/", transfer.ReadoutImportView.as_view(), name="readout-import"),
    path("export/", transfer.ExportView.as_view(), name="export"),
    path("agreement/", agreement.AgreementView.as_view(), name="agreement"),
    *router.urls,
    # Keep last: any other URL under the API that ends in a slash is a JSON 404.
    re_path(r"^[\s\S]+/$", views.NotFoundView.as_view(), name="not-found"),
]
