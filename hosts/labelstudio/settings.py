"""Label Studio 1.23.2 with readout-annotations.

Put this module and ``urls.py`` into a package on the Python path (the check uses
``readout_labelstudio/``), with Label Studio's own directory (``label_studio/`` in its installed
package, where ``core``, ``users``, ``projects`` live) on the path too, and point
``DJANGO_SETTINGS_MODULE`` at it: ``DJANGO_SETTINGS_MODULE=readout_labelstudio.settings``.
``label-studio start`` and ``python -m django`` both read it.

Everything else stays Label Studio's: its database (``DJANGO_DB``, ``DATABASE_NAME``), its data
directory (``LABEL_STUDIO_BASE_DATA_DIR``), its user model (log-in by e-mail), its token
authentication and its REST framework defaults, which our API does not read.
"""

import os

# Label Studio's settings module reads django.conf.settings while it is being imported (for Sentry),
# which imports the settings module that DJANGO_SETTINGS_MODULE names, half-built: its own, when
# Label Studio runs alone. Let it read its own here too.
_ours, os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE"), "core.settings.label_studio"
try:
    from core.settings.label_studio import *  # noqa: F403
    from core.settings.label_studio import INSTALLED_APPS, STATIC_ROOT
finally:
    if _ours is None:
        del os.environ["DJANGO_SETTINGS_MODULE"]
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = _ours

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "readout_annotations",
    # Label Studio's inactivity middleware logs out any login that is not its own /user/login/;
    # this app records the login time it checks for, so that the admin's login form works.
    "readout_annotations.contrib.labelstudio",
]

ROOT_URLCONF = f"{__package__}.urls" if __package__ else "urls"

# Label Studio serves /static/ from a folder built into its package (STATIC_ROOT). Our CSS and JS
# (and the admin's) are not in it: point STATIC_ROOT at a writable folder and run collectstatic,
# which gathers Label Studio's own files there too.
STATIC_ROOT = os.environ.get("STATIC_ROOT", STATIC_ROOT)
