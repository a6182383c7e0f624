"""Interchange formats. Each module offers ``write(records, stream, **options)``.

``FORMATS`` maps the public format name (``--format`` and ``?format=``) to its module.
"""

from . import jsonl

FORMATS = {"jsonl": jsonl}
