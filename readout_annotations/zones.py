"""Time zones by IANA name, for the setting, the import's ``--timezone``/``timezone`` and the readout's field."""

import zoneinfo


def zone(name: object) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name`` (such as ``"Asia/Shanghai"``), or None when there is none.

    None for anything that is not a zone name: an unknown name, an empty or malformed one, one that
    is not a string, and a name that is a folder of the zone database (``"Asia"``), which the
    ``tzdata`` package answers with ``IsADirectoryError`` rather than ``ZoneInfoNotFoundError``.
    """
    if not isinstance(name, str) or not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None
