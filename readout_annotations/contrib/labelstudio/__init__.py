"""Label Studio as a host: the glue it needs, as an app (``readout_annotations.contrib.labelstudio``).

Label Studio's ``InactivitySessionTimeoutMiddleWare`` logs out every session whose
``session["last_login"]`` (seconds since the epoch, a float) is older than ``MAX_SESSION_AGE``,
and only Label Studio's own login view (``/user/login/``) sets it. A login anywhere else, such as
the Django admin's login form where our workbench lives, leaves it unset (read as 0), so the next
request logs the user out again: the admin's login is a loop of redirects. With this app
installed, every login through Django's ``login()`` records the time the way Label Studio does.
"""

import time

from django.contrib.auth.signals import user_logged_in

SESSION_KEY = "last_login"


def record_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: store the login time (seconds since the epoch) in
    ``request.session["last_login"]``, where Label Studio's inactivity middleware reads it.

    Does nothing for a login without a request or a session (``force_login`` in tests, say).
    """
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_KEY] = time.time()


def connect() -> None:
    user_logged_in.connect(record_login, dispatch_uid="readout_annotations.contrib.labelstudio.record_login")
