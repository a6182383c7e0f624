from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...formats import FORMATS, READABLE, FormatError
from ...importing import AnnotationImportError, import_annotations

#: Shown at most; the rest are counted.
MAX_ERRORS_SHOWN = 50


def detect_format(path: str) -> str:
    """``labelstudio`` for a JSON array, ``doccano`` for JSON Lines with ``entities`` or
    ``relations``, ``jsonl`` for other JSON Lines."""
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("["):
                return "labelstudio"
            try:
                first = json.loads(stripped)
            except json.JSONDecodeError:
                return "jsonl"  # reading it will name the line
            if isinstance(first, dict) and ("entities" in first or "relations" in first):
                return "doccano"
            return "jsonl"
    return "jsonl"


class Command(BaseCommand):
    help = (
        "Import annotations: canonical records (JSON Lines, as export_annotations --all writes them), doccano "
        "JSONL or Label Studio JSON (--format, or detected from the content). Annotators are usernames. "
        "All or nothing: every bad line is named and then nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The file to import.")
        parser.add_argument("--format", choices=READABLE, help="The file's format (default: detected).")
        parser.add_argument(
            "--create-users",
            action="store_true",
            help="Create users (without a usable password) for annotators that do not exist.",
        )

    def handle(self, *args, path: str, format: str | None = None, create_users: bool = False, **options) -> None:
        if os.path.isdir(path):
            raise CommandError(f"{path}: is a directory, not a file.")
        try:
            format = format or detect_format(path)
            with open(path, encoding="utf-8-sig") as handle:
                result = import_annotations(FORMATS[format].read(handle), create_users=create_users)
        except OSError as error:
            raise CommandError(f"{path}: cannot read: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: not valid UTF-8 (byte {error.start}).") from None
        except FormatError as error:
            raise CommandError(f"{path}: {error}; nothing was imported.") from None
        except AnnotationImportError as error:
            shown = error.errors[:MAX_ERRORS_SHOWN]
            more = len(error.errors) - len(shown)
            listing = "\n".join(f"  {message}" for message in shown)
            if more:
                listing += f"\n  ... and {more} more"
            raise CommandError(f"{path}: {len(error.errors)} bad records; nothing was imported:\n{listing}") from None
        if options["verbosity"] > 0:
            self.stdout.write(
                f"{path} ({format}): {result.created} annotations created, {result.updated} updated, "
                f"{result.skipped} statements without a reading skipped, {result.users_created} users created.",
                self.style.SUCCESS,
            )
