from __future__ import annotations

import os
import tempfile

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import records
from ...formats import FORMATS, OFFSET_UNITS, ReadoutCache, labelstudio
from ...models import Readout, Speaker, Target


class Command(BaseCommand):
    help = (
        "Export annotations as canonical statement records. By default the gold reading of every "
        "statement (a statement without gold has a null speaker and attribution); --all exports every annotation. "
        "Formats: jsonl (canonical records), csv (SemEval-style), w3c (Web Annotation JSON-LD), dna (Discourse "
        "Network Analyzer XML), doccano (relation-extraction JSONL), labelstudio (tasks JSON)."
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
        parser.add_argument(
            "--offsets",
            choices=OFFSET_UNITS,
            default="codepoints",
            help="Unit of the offsets: Unicode code points (default, as stored) or UTF-16 code units (JavaScript).",
        )
        parser.add_argument(
            "--with-trailer",
            action="store_true",
            help="With --format jsonl or csv, end with a trailer that counts the records, so that a file cut off "
            "is recognisable (the JSON formats are arrays that only a complete file closes).",
        )
        parser.add_argument(
            "--raw-csv",
            action="store_true",
            help="With --format csv, write cells as they are: no apostrophe before a cell that a spreadsheet "
            "would run as a formula (=, +, -, @, tab, carriage return).",
        )
        parser.add_argument(
            "--label-config",
            metavar="FILE",
            help="With --format labelstudio, also write the matching Label Studio labeling configuration to FILE.",
        )

    def handle(
        self,
        *args,
        format: str,
        all: bool,
        readout: list[str],
        output: str | None,
        offsets: str = "codepoints",
        label_config: str | None = None,
        with_trailer: bool = False,
        raw_csv: bool = False,
        **options,
    ) -> None:
        try:
            Readout.objects.with_slugs(readout)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if label_config and format != "labelstudio":
            raise CommandError("--label-config goes with --format labelstudio.")
        module = FORMATS[format]
        format_options = {"trailer": with_trailer, "raw": raw_csv}
        for name, flag in (("trailer", "--with-trailer"), ("raw", "--raw-csv")):
            if format_options[name] and name not in getattr(module, "OPTIONS", ()):
                raise CommandError(f"{flag} does not go with --format {format}.")
        format_options = {name: value for name, value in format_options.items() if value}
        rows = records.export_records(
            all=all, readouts=readout, annotation_ids=getattr(module, "ANNOTATION_IDS", False)
        )

        def writer(rows, stream):
            return module.write(rows, stream, readouts=ReadoutCache(offsets), **format_options)

        if output is None:
            count = writer(rows, RawOutput(self.stdout))
        else:
            count = write_file_atomically(output, lambda stream: writer(rows, stream))
        if label_config:
            config = labelstudio.label_config(Speaker.objects.all(), Target.objects.all())
            write_file_atomically(label_config, lambda stream: stream.write(config))
        if options["verbosity"] > 0:
            self.stderr.write(
                f"Exported {count} records to {output or 'standard output'}.",
                self.style.SUCCESS,
            )


class RawOutput:
    """Writes to a command's ``OutputWrapper`` as they come, without adding line ends."""

    def __init__(self, wrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")


def write_file_atomically(path: str, write) -> int:
    """Write through a temporary file beside ``path`` and rename it: no half-written file is ever left."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".export-", dir=directory)
    except OSError as error:
        raise CommandError(f"{path}: cannot write: {error.strerror}") from error
    try:
        # mkstemp creates the file readable by its owner only; give it the mode open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = write(stream)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise CommandError(f"{path}: cannot write: {error.strerror}") from error
        raise
    return count
