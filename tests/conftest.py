import datetime

import pytest
from django.contrib.auth import get_user_model

from readout_annotations.models import Readout
from readout_annotations.roles import ANNOTATORS, REVIEWERS, ensure_roles

BEIJING = datetime.timezone(datetime.timedelta(hours=8))

SMALL_TEXT = (
    "On May 5, President Xi\u00a0held talks with President Lukashenko.\n\n"
    "Xi\u00a0pointed out that the two sides should oppose interference. "
    "China supports the Belt and Road Initiative.\n\n"
    "Lukashenko said that Belarus firmly supports China."
)


def make_readout(slug: str = "small-readout", text: str = SMALL_TEXT, **fields) -> Readout:
    fields.setdefault("title", f"Readout {slug}")
    fields.setdefault("published_at", datetime.datetime(2023, 3, 2, 9, 42, tzinfo=BEIJING))
    return Readout.objects.create_segmented(slug=slug, text=text, **fields)


@pytest.fixture
def small_readout(db) -> Readout:
    return make_readout()


@pytest.fixture
def roles(db):
    return ensure_roles()


def _user(username: str, group: str | None):
    from django.contrib.auth.models import Group

    model = get_user_model()  # the e-mail host (tests/settings_email.py) has no username field
    user = model.objects.create_user(**{model.USERNAME_FIELD: username}, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def annotator(roles):
    return _user("annotator1", ANNOTATORS)


@pytest.fixture
def other_annotator(roles):
    return _user("annotator2", ANNOTATORS)


@pytest.fixture
def reviewer(roles):
    return _user("reviewer", REVIEWERS)
