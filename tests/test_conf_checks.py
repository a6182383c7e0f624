"""The settings object (``conf.app_settings``) and the system checks ``readout_annotations.E001``–``E008``."""

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from readout_annotations.checks import check_installed_apps, check_proposers, check_settings
from readout_annotations.conf import DEFAULTS, app_settings

pytestmark = pytest.mark.django_db  # Django 6.1's check command reads the database (the JSONField check)

# --------------------------------------------------------------------------- settings


def test_defaults():
    expected = {
        "TIMEZONE": "Asia/Shanghai",
        "MAX_IMPORT_BYTES": 2097152,
        "MAX_STATEMENTS": 3000,
        "ANNOTATIONS_PER_STATEMENT": 2,
        "PAGE_SIZE": 50,
        "MAX_PAGE_SIZE": 1000,
        "GUIDELINE_URL": "",
        "TASK_BACKEND": "default",
        "TASK_QUEUE": "default",
        "JOB_STORAGE_PREFIX": "readout_annotations/jobs",
        "JOB_HEARTBEAT_TIMEOUT": 300,
        "ASYNC_EXPORT_RECORDS": 100_000,
        "PROPOSERS": ["readout_annotations.proposers.RuleProposer"],
        "OFFICEHOLDERS": ["builtin"],
        "LEXICON": ["builtin"],
    }
    assert expected == DEFAULTS
    # The test settings set only the heartbeat timeout (tests/settings.py); every other name
    # falls back to its default.
    assert [name for name in DEFAULTS if hasattr(settings, f"READOUT_ANNOTATIONS_{name}")] == ["JOB_HEARTBEAT_TIMEOUT"]
    assert {name: getattr(app_settings, name) for name in DEFAULTS} == expected


def test_settings_are_read_at_access_time():
    with override_settings(READOUT_ANNOTATIONS_PAGE_SIZE=7, READOUT_ANNOTATIONS_TIMEZONE="UTC"):
        assert (app_settings.PAGE_SIZE, app_settings.TIMEZONE) == (7, "UTC")
        assert app_settings.MAX_PAGE_SIZE == 1000
    assert (app_settings.PAGE_SIZE, app_settings.TIMEZONE) == (50, "Asia/Shanghai")


def test_only_prefixed_names_count():
    with override_settings(PAGE_SIZE=3):
        assert app_settings.PAGE_SIZE == 50


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="Unknown readout_annotations setting: 'PAGESIZE'"):
        _ = app_settings.PAGESIZE
    assert not hasattr(app_settings, "SECRET_KEY")


# --------------------------------------------------------------------------- checks


def ids(errors: list[Error]) -> list[str]:
    return [error.id for error in errors]


def test_the_default_configuration_passes():
    assert check_settings() == []
    assert check_installed_apps() == []
    call_command("check", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Asia", "", "../etc/passwd", None, 8])
def test_e001_unknown_time_zone(zone):
    with override_settings(READOUT_ANNOTATIONS_TIMEZONE=zone):
        errors = check_settings()
    assert ids(errors) == ["readout_annotations.E001"]
    assert repr(zone) in errors[0].msg
    assert "Asia/Shanghai" in errors[0].hint


@pytest.mark.parametrize(
    "name, code",
    [
        ("MAX_IMPORT_BYTES", "E002"),
        ("ANNOTATIONS_PER_STATEMENT", "E003"),
        ("PAGE_SIZE", "E004"),
        ("MAX_PAGE_SIZE", "E005"),
        ("MAX_STATEMENTS", "E008"),
    ],
)
@pytest.mark.parametrize("value", [0, -1, "50", 2.5, True, None])
def test_e002_to_e005_and_e008_not_a_positive_integer(name, code, value):
    with override_settings(**{f"READOUT_ANNOTATIONS_{name}": value}):
        errors = check_settings()
    assert ids(errors) == [f"readout_annotations.{code}"]
    assert errors[0].msg == f"READOUT_ANNOTATIONS_{name} is {value!r}; it must be a positive integer."
    assert errors[0].hint


def test_e006_page_size_above_the_maximum():
    with override_settings(READOUT_ANNOTATIONS_PAGE_SIZE=101, READOUT_ANNOTATIONS_MAX_PAGE_SIZE=100):
        errors = check_settings()
    assert ids(errors) == ["readout_annotations.E006"]
    assert "101" in errors[0].msg and "100" in errors[0].msg
    assert errors[0].hint
    with override_settings(READOUT_ANNOTATIONS_PAGE_SIZE=100, READOUT_ANNOTATIONS_MAX_PAGE_SIZE=100):
        assert check_settings() == []


def test_e007_a_required_app_is_missing():
    without = [app for app in settings.INSTALLED_APPS if not app.startswith("rest_framework")]
    with override_settings(INSTALLED_APPS=without):
        errors = check_installed_apps()
    assert ids(errors) == ["readout_annotations.E007"]
    assert "'rest_framework'" in errors[0].msg
    assert errors[0].hint == "Add 'rest_framework' to INSTALLED_APPS."


def test_several_problems_are_reported_together():
    with override_settings(READOUT_ANNOTATIONS_TIMEZONE="Nowhere", READOUT_ANNOTATIONS_PAGE_SIZE=0):
        assert ids(check_settings()) == ["readout_annotations.E001", "readout_annotations.E004"]


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"READOUT_ANNOTATIONS_TIMEZONE": "Mars/Olympus"}, "E001"),
        ({"READOUT_ANNOTATIONS_MAX_IMPORT_BYTES": 0}, "E002"),
        ({"READOUT_ANNOTATIONS_ANNOTATIONS_PER_STATEMENT": "2"}, "E003"),
        ({"READOUT_ANNOTATIONS_PAGE_SIZE": -5}, "E004"),
        ({"READOUT_ANNOTATIONS_MAX_PAGE_SIZE": None}, "E005"),
        ({"READOUT_ANNOTATIONS_PAGE_SIZE": 2000}, "E006"),
        ({"READOUT_ANNOTATIONS_MAX_STATEMENTS": 0}, "E008"),
    ],
)
def test_the_check_command_fails_on_each_error(overrides, code):
    with override_settings(**overrides), pytest.raises(SystemCheckError) as info:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    message = str(info.value)
    assert f"(readout_annotations.{code})" in message
    assert "HINT:" in message
    assert message.count("readout_annotations.E0") == 1


def test_the_check_command_fails_without_rest_framework():
    without = [app for app in settings.INSTALLED_APPS if not app.startswith("rest_framework")]
    with override_settings(INSTALLED_APPS=without), pytest.raises(SystemCheckError) as info:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    assert "(readout_annotations.E007) readout_annotations needs 'rest_framework'" in str(info.value)
    assert "HINT: Add 'rest_framework' to INSTALLED_APPS." in str(info.value)


@pytest.mark.parametrize("zone", ["Asia", "America", "Etc"])
def test_a_folder_of_the_zone_database_is_no_zone_by_every_route(zone, tmp_path, admin_client):
    """With the ``tzdata`` package installed (the test extra installs it), ``ZoneInfo("Asia")`` raises
    ``IsADirectoryError``, not ``ZoneInfoNotFoundError``: the setting's check, the import command,
    the import API and the readout's validation all refuse it as an unknown zone."""
    import importlib.util

    from django.core.exceptions import ValidationError
    from django.core.management import CommandError

    from readout_annotations.models import Readout

    assert importlib.util.find_spec("tzdata"), "the test extra installs tzdata"
    with override_settings(READOUT_ANNOTATIONS_TIMEZONE=zone):
        assert [e.id for e in check_settings()] == ["readout_annotations.E001"]
    path = tmp_path / "zoned.txt"
    path.write_text("A title\n2023-03-01 10:00\n\nXi said that it is fine.\n", encoding="utf-8")
    with pytest.raises(CommandError, match=f"unknown time zone '{zone}'"):
        call_command("import_readout", str(path), "--timezone", zone)
    answer = admin_client.post(
        f"/api/readouts/import/?slug=zoned&timezone={zone}", data=path.read_bytes(), content_type="text/plain"
    )
    assert answer.status_code == 400 and "timezone" in answer.json(), answer.content
    readout = Readout(slug="zoned", title="t", text="x", timezone=zone)
    with pytest.raises(ValidationError, match="Unknown time zone"):
        readout.clean()
    assert not Readout.objects.filter(slug="zoned").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("readout_annotations.proposers.RuleProposer", "must be a list of dotted paths"),
        (["readout_annotations.nowhere.Proposer"], "cannot import 'readout_annotations.nowhere.Proposer'"),
        (["readout_annotations.models.Target"], "is not a Proposer subclass"),
    ],
)
def test_e010_proposers_that_cannot_run(value, message):
    assert check_proposers() == []
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=value):
        errors = check_proposers()
        assert ids(errors) == ["readout_annotations.E010"] and message in errors[0].msg
        with pytest.raises(SystemCheckError, match=r"readout_annotations\.E010"):
            call_command("check", stdout=StringIO(), stderr=StringIO())


# --------------------------------------------------------------------------- one test of a zone name


@pytest.mark.parametrize("name", ["UTC", "Asia/Shanghai", "America/Argentina/Buenos_Aires", "Etc/GMT+8"])
def test_is_zone_accepts_zones(name):
    from readout_annotations.models import first_zone, is_zone

    assert is_zone(name)
    assert first_zone("", "Asia", name).key == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "Asia", "", " UTC", "../etc/passwd", "/etc/localtime", "UTC\x00", "a" * 300, None, 8]
)
def test_is_zone_refuses_anything_else_without_raising(name):
    from readout_annotations.models import first_zone, is_zone

    assert is_zone(name) is False
    assert first_zone(name).key == "UTC"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Etc/GMT+8", "Mars/Olympus", "Asia", "../etc/passwd"])
def test_every_route_judges_a_zone_as_is_zone_does(zone, tmp_path, admin_client):
    """The setting's check, the import command, the synchronous and the asynchronous import API,
    the admin import form and the readout's validation accept exactly the names ``is_zone``
    accepts, each with its own wording."""
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError

    from readout_annotations.admin.importing import ReadoutImportForm
    from readout_annotations.models import Job, Readout, is_zone

    good = is_zone(zone)
    with override_settings(READOUT_ANNOTATIONS_TIMEZONE=zone):
        assert (check_settings() == []) is good
    body = b"A title\n2023-03-01 10:00\n\nXi said that it is fine.\n"
    path = tmp_path / "zoned.txt"
    path.write_bytes(body)
    if good:
        call_command("import_readout", str(path), "--timezone", zone, stdout=StringIO())
    else:
        with pytest.raises(CommandError, match=f"unknown time zone {zone!r}"):
            call_command("import_readout", str(path), "--timezone", zone, stdout=StringIO())
    for query in ({"slug": "zoned-now"}, {"slug": "zoned-later", "async": "1"}):
        query = urlencode({**query, "timezone": zone})
        answer = admin_client.post(f"/api/readouts/import/?{query}", data=body, content_type="text/plain")
        if good:
            assert answer.status_code in (201, 202), answer.content
        else:
            assert answer.status_code == 400 and answer.json() == {"timezone": [f"unknown time zone {zone!r}"]}
    assert Readout.objects.exists() is good and Job.objects.exists() is good
    form = ReadoutImportForm(data={"timezone": zone}, files={"files": [SimpleUploadedFile("zoned.txt", body)]})
    assert form.is_valid() is good or form.errors.get("timezone") == [f"Unknown time zone {zone!r}."]
    assert ("timezone" in form.errors) is not good
    readout = Readout(slug="zoned-model", title="t", text="x", timezone=zone)
    if good:
        readout.clean()
    else:
        with pytest.raises(ValidationError) as info:
            readout.clean()
        assert info.value.message_dict == {"timezone": [f"Unknown time zone {zone!r}."]}
