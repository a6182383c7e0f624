from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ... import documents
from ...importing import CREATED, REPLACED, UNCHANGED, ReadoutImportError, import_path


class ProgressBar:
    """A one-line progress bar redrawn in place (for a terminal)."""

    def __init__(self, stream, total: int, width: int = 30) -> None:
        self.stream = stream
        self.total = total
        self.width = width

    def show(self, done: int, label: str = "") -> None:
        filled = self.width * done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} {label[-40:]:<40}", ending="")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("")


class Command(BaseCommand):
    help = (
        "Import readout files (line 1 the title, line 2 the timestamp YYYY-MM-DD HH:MM, then the body): one "
        "statement per sentence and one machine-proposed reading per statement. The slug is the file name's stem, "
        "slugified, unless --slug gives one. An identical file is left alone; a changed one is refused unless "
        "--replace is given and no person has annotated the readout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Readout files.")
        parser.add_argument("--slug", help="The readout's slug (only with a single file).")
        parser.add_argument(
            "--document",
            metavar="APP_LABEL.MODEL:ID",
            help="Link the readout to this object of the host, e.g. examples.example:12 (only with a single file).",
        )
        parser.add_argument(
            "--timezone",
            help="Time zone of the timestamp line (default: the READOUT_ANNOTATIONS_TIMEZONE setting).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace a readout whose file changed, as long as no person has annotated it.",
        )
        parser.add_argument(
            "--keep-going",
            action="store_true",
            help="Import the good files when some are bad; list the bad ones and fail at the end.",
        )

    def handle(
        self,
        *args,
        paths: list[str],
        slug: str | None = None,
        document: str | None = None,
        timezone: str | None = None,
        replace: bool = False,
        keep_going: bool = False,
        verbosity: int = 1,
        **options,
    ) -> None:
        if slug is not None and len(paths) > 1:
            raise CommandError("--slug names one readout: give a single file.")
        host_document = None
        if document is not None:
            if len(paths) > 1:
                raise CommandError("--document links one readout: give a single file.")
            try:
                host_document = documents.parse_reference(document)
            except ValidationError as error:
                raise CommandError(f"--document: {' '.join(error.messages)}") from None
        started = time.monotonic()
        bar = (
            ProgressBar(self.stderr, len(paths)) if verbosity > 0 and len(paths) > 1 and self.stderr.isatty() else None
        )
        counts = {CREATED: 0, REPLACED: 0, UNCHANGED: 0}
        statements = proposals = 0
        failures: list[ReadoutImportError] = []
        for done, path in enumerate(paths, start=1):
            if bar is not None:
                bar.show(done - 1, path)
            try:
                if host_document is None:
                    result = import_path(path, slug=slug, timezone=timezone, replace=replace)
                else:
                    with transaction.atomic():  # the readout and its link, or neither
                        result = import_path(path, slug=slug, timezone=timezone, replace=replace)
                        documents.link(result.readout, host_document)
            except ReadoutImportError as error:
                if not keep_going:
                    if bar is not None:
                        bar.close()
                    raise CommandError(str(error)) from None
                failures.append(error)
                if bar is None and verbosity > 0:
                    self.stderr.write(f"{path}: failed", self.style.ERROR)
                continue
            counts[result.status] += 1
            statements += result.statements
            proposals += result.proposals
            if bar is None and verbosity > 0:
                detail = (
                    f"{result.statements} statements, {result.proposals} proposals"
                    if result.status != UNCHANGED
                    else "same file, nothing to do"
                )
                self.stdout.write(f"{path}: {result.status} {result.readout.slug} ({detail})")
        if bar is not None:
            bar.show(len(paths))
            bar.close()
        seconds = time.monotonic() - started
        if verbosity > 0:
            self.stdout.write(
                f"{len(paths) - len(failures)} of {len(paths)} files imported ({counts[CREATED]} created, "
                f"{counts[REPLACED]} replaced, {counts[UNCHANGED]} unchanged): {statements} statements, "
                f"{proposals} proposals in {seconds:.2f} s.",
                self.style.SUCCESS if not failures else None,
            )
        if failures:
            listing = "\n".join(f"  {error}" for error in failures)
            raise CommandError(f"{len(failures)} of {len(paths)} files failed:\n{listing}")
