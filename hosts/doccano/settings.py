"""doccano 1.8.4 with readout-annotations.

Put this module and ``urls.py`` into a package on the Python path (the check uses
``readout_doccano/``), with doccano's ``backend`` directory on the path too, and point
``DJANGO_SETTINGS_MODULE`` at it: ``DJANGO_SETTINGS_MODULE=readout_doccano.settings``.

Everything else stays doccano's: its database from ``DATABASE_URL``, its apps, its
authentication, and its REST framework defaults (``PAGE_SIZE`` 5, limit/offset pagination,
``DjangoModelPermissionsOrAnonReadOnly`` and ``IsAuthenticated``, django-filter). Those are
left alone on purpose: doccano's own API relies on them, and ours does not read them (every
view of ours sets its own pagination, permission classes and filter backends), so the two
APIs live side by side without either changing the other.
"""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import INSTALLED_APPS, STATIC_ROOT

INSTALLED_APPS = [*INSTALLED_APPS, "readout_annotations"]

# Ours before doccano's catch-all route (see urls.py).
ROOT_URLCONF = f"{__package__}.urls" if __package__ else "urls"

# doccano collects its static files inside its installed package; ``collectstatic`` needs a
# writable place for ours (and the admin's) when the package directory is not writable.
STATIC_ROOT = os.environ.get("STATIC_ROOT", STATIC_ROOT)
