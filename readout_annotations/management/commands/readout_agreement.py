from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...models import Readout
from ...reliability import FIELDS, AgreementReport, agreement_report


class Command(BaseCommand):
    help = (
        "Inter-annotator agreement over human annotations: Krippendorff's alpha and pairwise Cohen's "
        "kappa for speaker, attribution and stance, with the statements of most disagreement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--readout",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only this readout (repeatable); every readout by default.",
        )
        parser.add_argument("--format", choices=["json", "table"], default="table", help="Output format.")
        parser.add_argument(
            "--limit",
            type=int,
            default=10,
            help="Statements of most disagreement listed per field (default 10).",
        )

    def handle(self, *args, readout: list[str], format: str, limit: int, **options) -> None:
        if limit < 0:
            raise CommandError("--limit must be zero or more.")
        readouts = None
        if readout:
            try:
                readouts = Readout.objects.with_slugs(readout)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        report = agreement_report(readouts, limit=limit)
        if format == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(format_table(report))


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def format_table(report: AgreementReport) -> str:
    """The report as plain-text tables."""
    lines = [f"Readouts ({report.annotations_per_statement} human annotations per statement to count as annotated):"]
    if report.readouts:
        lines += _columns(
            [["slug", "status", "statements", "annotated", "gold"]]
            + [[r.slug, r.status.label, str(r.statements), str(r.annotated), str(r.gold)] for r in report.readouts]
        )
    else:
        lines.append("(none)")
    lines += ["", f"Agreement over {report.annotations} human annotations by {len(report.annotators)} annotators:"]
    lines += _columns(
        [["field", "alpha", "units", "values"]]
        + [[name, _number(f.alpha), str(f.units), str(f.values)] for name, f in report.fields.items()]
    )
    kappa_rows = [
        [name, k.annotators[0], k.annotators[1], _number(k.kappa), str(k.units)]
        for name in FIELDS
        for k in report.fields[name].kappas
    ]
    lines += ["", "Cohen's kappa per pair of annotators:"]
    header = ["field", "annotator", "annotator", "kappa", "units"]
    lines += _columns([header, *kappa_rows]) if kappa_rows else ["(none)"]
    for name in FIELDS:
        disagreements = report.fields[name].disagreements
        if not disagreements:
            continue
        lines += ["", f"Statements of most disagreement on {name}:"]
        lines += _columns(
            [["readout", "statement", "disagreement", "readings"]]
            + [
                [
                    d.readout,
                    str(d.number),
                    f"{d.disagreeing}/{d.pairs}",
                    "; ".join(f"{a}: {_reading(v)}" for a, v in d.readings.items()),
                ]
                for d in disagreements
            ]
        )
    return "\n".join(lines)


def _reading(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{target} {stance}" for target, stance in value.items()) or "-"
    return "-" if value is None else str(value)
