"""JSON Lines: one canonical statement record per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "jsonl"


def lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def write(records: Iterable[dict], stream: TextIO) -> int:
    count = 0
    for line in lines(records):
        stream.write(line)
        count += 1
    return count
