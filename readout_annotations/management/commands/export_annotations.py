from __future__ import annotations

import os
import tempfile

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import records
from ...formats import FORMATS
from ...models import Annotation, Readout, Statement


class Command(BaseCommand):
    help = (
        "Export annotations as canonical statement records. By default the gold reading of every "
        "statement (a statement without gold has a null speaker and attribution); --all exports every annotation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(FORMATS), default="jsonl", help="Output format.")
        parser.add_argument("--all", action="store_true", help="Every annotation instead of gold only.")
        parser.add_argument(
            "--readout",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only this readout (repeatable).",
        )
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(
        self,
        *args,
        format: str,
        all: bool,
        readout: list[str],
        output: str | None,
        **options,
    ) -> None:
        unknown = sorted(set(readout) - set(Readout.objects.filter(slug__in=readout).values_list("slug", flat=True)))
        if unknown:
            raise CommandError(f"No readout has the slug {', '.join(map(repr, unknown))}.")
        if all:
            queryset = Annotation.objects.all()
            if readout:
                queryset = queryset.filter(statement__readout__slug__in=readout)
            rows = records.all_records(queryset)
        else:
            queryset = Statement.objects.all()
            if readout:
                queryset = queryset.filter(readout__slug__in=readout)
            rows = records.gold_records(queryset)
        writer = FORMATS[format].write
        if output is None:
            count = writer(rows, self.stdout)
        else:
            count = write_file_atomically(output, lambda stream: writer(rows, stream))
        if options["verbosity"] > 0:
            self.stderr.write(
                f"Exported {count} records to {output or 'standard output'}.",
                self.style.SUCCESS,
            )


def write_file_atomically(path: str, write) -> int:
    """Write through a temporary file beside ``path`` and rename it: no half-written file is ever left."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".export-", dir=directory)
    except OSError as error:
        raise CommandError(f"{path}: cannot write: {error.strerror}") from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = write(stream)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise CommandError(f"{path}: cannot write: {error.strerror}") from error
        raise
    return count
