from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReadoutAnnotationsConfig(AppConfig):
    name = "readout_annotations"
    verbose_name = _("Readout annotations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
