from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...jobs import mark_lost, prune


class Command(BaseCommand):
    help = (
        "Delete finished readout_annotations jobs (exports, imports, agreement reports) older than --days, "
        "with their files in the default storage, and mark jobs whose worker died as failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=7,
            help="Delete jobs that finished more than this many days ago (default 7).",
        )

    def handle(self, *args, days: float, **options) -> None:
        if days < 0:
            raise CommandError("--days must be zero or more.")
        lost = mark_lost()
        count = prune(timedelta(days=days))
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Deleted {count} job{'s' if count != 1 else ''} finished more than {days:g} days ago; "
                f"{lost} job{'s' if lost != 1 else ''} whose worker stopped marked failed.",
                self.style.SUCCESS,
            )
