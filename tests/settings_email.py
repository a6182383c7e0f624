"""The test host with a custom user model that logs in by e-mail and has no ``username``.

``tests/test_email_host.py`` runs its tests under these settings in a subprocess of the suite.
"""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.email_host"]
AUTH_USER_MODEL = "email_host.User"
