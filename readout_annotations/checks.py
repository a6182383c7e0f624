"""System checks for the host's configuration, ids ``readout_annotations.E0xx``."""

from __future__ import annotations

from django.apps import apps
from django.core.checks import Error, Tags, register

from .conf import PREFIX, app_settings
from .models import is_zone

REQUIRED_APPS = ("django.contrib.auth", "django.contrib.contenttypes", "rest_framework")


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


#: The settings that must be positive integers, and the id of the check that says so.
POSITIVE_INTEGERS = {
    "MAX_IMPORT_BYTES": "readout_annotations.E002",
    "ANNOTATIONS_PER_STATEMENT": "readout_annotations.E003",
    "PAGE_SIZE": "readout_annotations.E004",
    "MAX_PAGE_SIZE": "readout_annotations.E005",
    "MAX_STATEMENTS": "readout_annotations.E008",
}


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    zone = app_settings.TIMEZONE
    if not is_zone(zone):
        errors.append(
            Error(
                f"{PREFIX}TIMEZONE is {zone!r}, which is not an IANA time zone.",
                hint='Use a name such as "Asia/Shanghai" or "UTC".',
                id="readout_annotations.E001",
            )
        )
    for name, check_id in POSITIVE_INTEGERS.items():
        value = getattr(app_settings, name)
        if not _positive_int(value):
            errors.append(
                Error(
                    f"{PREFIX}{name} is {value!r}; it must be a positive integer.",
                    hint="Remove the setting to use the default, or set a whole number above zero.",
                    id=check_id,
                )
            )
    page_size, max_page_size = app_settings.PAGE_SIZE, app_settings.MAX_PAGE_SIZE
    if _positive_int(page_size) and _positive_int(max_page_size) and page_size > max_page_size:
        errors.append(
            Error(
                f"{PREFIX}PAGE_SIZE ({page_size}) is larger than {PREFIX}MAX_PAGE_SIZE ({max_page_size}).",
                hint="Lower PAGE_SIZE or raise MAX_PAGE_SIZE.",
                id="readout_annotations.E006",
            )
        )
    return errors


@register(Tags.compatibility)
def check_installed_apps(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            f"readout_annotations needs {app!r} in INSTALLED_APPS.",
            hint=f"Add {app!r} to INSTALLED_APPS.",
            id="readout_annotations.E007",
        )
        for app in REQUIRED_APPS
        if not apps.is_installed(app)
    ]


@register(Tags.compatibility)
def check_proposers(app_configs=None, **kwargs) -> list[Error]:
    """``PROPOSERS``: importable ``Proposer`` subclasses with a name (readout_annotations.E010)."""
    from django.core.exceptions import ImproperlyConfigured

    from .proposers import configured_proposers

    try:
        configured_proposers()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="List dotted paths of readout_annotations.proposers.Proposer subclasses (docs/stances.md).",
                id="readout_annotations.E010",
            )
        ]
    return []


#: The settings that list data files, with the id of the check that reports a bad one and its hint;
#: ``check_data_files`` loads each through its module's loader (which raises ImproperlyConfigured).
DATA_FILES = {
    "OFFICEHOLDERS": (
        "readout_annotations.E011",
        'JSON files in the format of docs/attribution.md ("Cold start"); "builtin": the shipped list.',
    ),
    "LEXICON": (
        "readout_annotations.E012",
        'JSON files in the format of docs/stances.md ("The starter lexicon"); "builtin": the shipped lexicon.',
    ),
}


@register(Tags.compatibility)
def check_data_files(app_configs=None, **kwargs) -> list[Error]:
    """``OFFICEHOLDERS`` (readout_annotations.E011) and ``LEXICON`` (E012): each a list of
    readable files in its documented format."""
    from django.core.exceptions import ImproperlyConfigured

    from . import lexicon, officeholders

    loaders = {"OFFICEHOLDERS": officeholders.configured, "LEXICON": lexicon.starter_targets}
    errors = []
    for name, (check_id, hint) in DATA_FILES.items():
        try:
            loaders[name]()
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), hint=hint, id=check_id))
    return errors
