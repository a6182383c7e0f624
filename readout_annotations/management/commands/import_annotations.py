from __future__ import annotations

import codecs
import json
import os

from django.contrib.auth import get_user_model
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


def refuse_utf16(path: str) -> None:
    """Refuse a file that starts with a UTF-16 byte-order mark, saying so."""
    with open(path, "rb") as handle:
        start = handle.read(2)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise CommandError(f"{path}: UTF-16 text: save it as UTF-8.")


def labelstudio_user(value: str) -> tuple[int, str]:
    """``ID=USERNAME`` (``--labelstudio-user``)."""
    number, _sep, username = value.partition("=")
    if not (number.strip().isdigit() and username.strip()):
        raise ValueError(value)
    return int(number), username.strip()


labelstudio_user.__name__ = "ID=USERNAME"  # argparse names the type in its error


class Command(BaseCommand):
    help = (
        "Import annotations: canonical records (JSON Lines, as export_annotations --all writes them), doccano "
        "JSONL or Label Studio JSON (our export, Label Studio's JSON and JSON_MIN exports; --format, or detected "
        "from the content). Annotators are usernames or e-mails. All or nothing: every bad line is named and "
        "then nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The file to import.")
        parser.add_argument("--format", choices=READABLE, help="The file's format (default: detected).")
        parser.add_argument(
            "--create-users",
            action="store_true",
            help="Create users (without a usable password) for annotators that do not exist.",
        )
        parser.add_argument(
            "--reviewer",
            metavar="USERNAME",
            help="Who adjudicates the gold readings the file sets (recorded with the time; default: nobody, "
            "'by import').",
        )
        parser.add_argument(
            "--labelstudio-user",
            action="append",
            default=[],
            type=labelstudio_user,
            metavar="ID=USERNAME",
            help="Label Studio's user ID is our USERNAME (repeatable), for exports that give completed_by "
            "as an id only.",
        )

    def handle(
        self,
        *args,
        path: str,
        format: str | None = None,
        create_users: bool = False,
        reviewer: str | None = None,
        labelstudio_user: list[tuple[int, str]] = (),
        **options,
    ) -> None:
        if os.path.isdir(path):
            raise CommandError(f"{path}: is a directory, not a file.")
        reviewer_user = None
        if reviewer is not None:
            user_model = get_user_model()
            reviewer_user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: reviewer}).first()
            if reviewer_user is None:
                raise CommandError(f"--reviewer: no user is called {reviewer!r}.")
        try:
            refuse_utf16(path)
            format = format or detect_format(path)
            with open(path, encoding="utf-8-sig") as handle:
                read_options = {"users": dict(labelstudio_user)} if format == "labelstudio" else {}
                result = import_annotations(
                    FORMATS[format].read(handle, **read_options), create_users=create_users, reviewer=reviewer_user
                )
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
            left_out = len(result.not_imported)
            self.stdout.write(
                f"{path} ({format}): {result.created} annotations created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.skipped} statements without a reading skipped, "
                + (f"{left_out} changed copies of others' readings not imported (below), " if left_out else "")
                + f"{result.users_created} users created.",
                self.style.SUCCESS,
            )
        for message in result.not_imported:  # whatever the verbosity: what was left out is always said
            self.stderr.write(f"{path}: {message}", self.style.WARNING)
