"""The app's settings, in one object.

Every setting is read from the host's Django settings at access time (so
``override_settings`` works in tests) under the ``READOUT_ANNOTATIONS_`` prefix,
falling back to the default below::

    from readout_annotations.conf import app_settings
    app_settings.TIMEZONE
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "READOUT_ANNOTATIONS_"

DEFAULTS: dict[str, object] = {
    # Zone of the ``YYYY-MM-DD HH:MM`` timestamp in imported readout files.
    "TIMEZONE": "Asia/Shanghai",
    # Largest readout file ``import_readout`` and the API accept, in bytes.
    "MAX_IMPORT_BYTES": 2 * 1024 * 1024,
    # Most statements (sentences) one readout file may give; a readout is a short account (tens
    # to hundreds of sentences), and this bounds the time and rows one import takes.
    "MAX_STATEMENTS": 3000,
    # Human annotations every statement needs before a readout counts as annotated.
    "ANNOTATIONS_PER_STATEMENT": 2,
    # API pagination: default and largest ``page_size``.
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 1000,
    # Address of the published annotation guideline (docs/guidelines.md); the annotation form
    # links its help texts there. Empty: no link.
    "GUIDELINE_URL": "",
    # Jobs (readout_annotations.jobs): the Tasks backend alias and queue they are enqueued on,
    "TASK_BACKEND": "default",
    "TASK_QUEUE": "default",
    # where their files go in the default storage,
    "JOB_STORAGE_PREFIX": "readout_annotations/jobs",
    # after how many seconds without a heartbeat a running job counts as lost (its worker died),
    "JOB_HEARTBEAT_TIMEOUT": 300,
    # and from how many records ``POST export/`` runs as a job even without ``async=1``.
    "ASYNC_EXPORT_RECORDS": 100_000,
    # Machine proposers run on every imported readout: dotted paths of
    # ``readout_annotations.proposers.Proposer`` subclasses (docs/stances.md).
    "PROPOSERS": ["readout_annotations.proposers.RuleProposer"],
    # Gazetteer files of public office-holders the speaker rules match cold-start names to
    # (readout_annotations.officeholders); "builtin" is the shipped list, [] turns it off.
    "OFFICEHOLDERS": ["builtin"],
    # Starter lexicon files of stance targets the stance rules propose on a cold start
    # (readout_annotations.lexicon); "builtin" is the shipped lexicon, [] turns it off.
    "LEXICON": ["builtin"],
}

#: In a setting that lists data files (``OFFICEHOLDERS``, ``LEXICON``): the app's shipped file.
BUILTIN = "builtin"


class AppSettings:
    """Attribute access to the prefixed settings with their defaults."""

    def __getattr__(self, name: str) -> object:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown readout_annotations setting: {name!r}")
        return getattr(settings, PREFIX + name, DEFAULTS[name])


app_settings = AppSettings()


def data_files(name: str) -> tuple[str, ...]:
    """The setting ``name`` that lists data files (``OFFICEHOLDERS``, ``LEXICON``): ``BUILTIN``
    and file paths, in order, as a tuple of strings (the loaders cache by it); () turns the data
    off. Raises ``ImproperlyConfigured`` when the setting is no list of paths."""
    paths = getattr(app_settings, name)
    if not isinstance(paths, list | tuple) or not all(isinstance(p, str | Path) for p in paths):
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a list of file paths, not {paths!r}")
    return tuple(str(p) for p in paths)


def read_data_file(path: str, builtin: Path, what: str) -> tuple[str, object]:
    """``(source, data)``: the file ``path`` of a data-file setting (``BUILTIN``: the shipped
    file ``builtin``) and its JSON. Raises ``ImproperlyConfigured`` naming ``what`` (e.g.
    "officeholders file") and the file when it cannot be read or is no JSON."""
    source = builtin if path == BUILTIN else Path(path)
    try:
        return str(source), json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ImproperlyConfigured(f"{what} {str(source)!r}: {error}") from error
