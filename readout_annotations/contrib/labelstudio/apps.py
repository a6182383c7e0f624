from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabelStudioConfig(AppConfig):
    """Connects :func:`readout_annotations.contrib.labelstudio.record_login` to ``user_logged_in``."""

    name = "readout_annotations.contrib.labelstudio"
    label = "readout_annotations_labelstudio"
    verbose_name = _("Readout annotations in Label Studio")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import connect

        connect()
