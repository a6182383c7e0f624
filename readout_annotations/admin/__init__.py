"""The admin workbench: annotators tag statements, reviewers adjudicate.

Importing this package registers the ModelAdmins with ``django.contrib.admin.site``.
"""

from .annotations import AnnotationAdmin
from .catalog import SpeakerAdmin, TargetAdmin
from .jobs import JobAdmin
from .readouts import ReadoutAdmin
from .statements import StatementAdmin

__all__ = ["AnnotationAdmin", "JobAdmin", "ReadoutAdmin", "SpeakerAdmin", "StatementAdmin", "TargetAdmin"]
