"""``readout_annotations.contrib.labelstudio``: a login through the admin's form records the login
time where Label Studio's inactivity middleware reads it (``session["last_login"]``).

Label Studio itself is not installed here; ``hosts/labelstudio/check.py`` (``nox -s labelstudio``)
logs in through the admin form of a real Label Studio 1.23.2 with and without this app.
"""

import time

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test.utils import modify_settings

from readout_annotations.contrib import labelstudio

APP = "readout_annotations.contrib.labelstudio"
UID = "readout_annotations.contrib.labelstudio.record_login"


@pytest.fixture
def installed():
    """The app in INSTALLED_APPS (its ready() connects the receiver); disconnected afterwards."""
    with modify_settings(INSTALLED_APPS={"append": APP}):
        yield
    user_logged_in.disconnect(dispatch_uid=UID)


def admin_login(client, username: str):
    answer = client.post("/admin/login/?next=/admin/", {"username": username, "password": "pw", "next": "/admin/"})
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    return client.session


def test_without_the_app_the_admin_login_records_no_login_time(client, annotator):
    user_logged_in.disconnect(dispatch_uid=UID)
    assert labelstudio.SESSION_KEY not in admin_login(client, "annotator1")


def test_with_the_app_the_admin_login_form_records_the_login_time(installed, client, annotator):
    before = time.time()
    session = admin_login(client, "annotator1")
    assert before <= session[labelstudio.SESSION_KEY] <= time.time()
    assert client.get("/admin/").status_code == 200


def test_ready_connects_the_receiver_once(installed):
    from django.apps import apps

    apps.get_app_config("readout_annotations_labelstudio").ready()  # a second ready() adds nothing
    assert user_logged_in.disconnect(dispatch_uid=UID)
    assert not user_logged_in.disconnect(dispatch_uid=UID)


def test_a_login_without_a_session_is_left_alone(annotator):
    labelstudio.record_login(sender=type(annotator), request=None, user=annotator)
