"""Agreement between human annotators, read from the database, and the progress of readouts.

``agreement_report(readouts)`` collects the human annotations of the given readouts (all
readouts when None) in two queries (annotations, stances), builds reliability data per
field and computes, with :mod:`readout_annotations.agreement`:

* ``speaker``: units are statements, the value is an annotator's speaker slug (``None``,
  no speaker, is a value of its own); a statement an annotator did not annotate is missing;
* ``attribution``: the same with the attribution;
* ``stance``: units are the (statement, target) pairs any annotator tagged; an annotator who
  annotated the statement but gave the target no stance counts as ``"none"``.

Each field gets Krippendorff's alpha, Cohen's kappa for every pair of annotators, the
units and pairable values behind them, and the statements of most disagreement.
Units with fewer than two values do not count.

A readout's status: *in progress*, then *annotated* once every statement has at least
``ANNOTATIONS_PER_STATEMENT`` human annotations, then *adjudicated* once every statement
has gold. ``with_status(queryset)`` computes it in SQL for many readouts at once.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from . import agreement
from .conf import app_settings
from .models import Annotation, Origin, Readout, Stance, Statement

FIELDS = ("speaker", "attribution", "stance")
FIELD_LABELS = {"speaker": _("speaker"), "attribution": _("attribution"), "stance": _("stance")}

#: Statements of most disagreement listed per field, unless the caller asks otherwise.
DISAGREEMENT_LIMIT = 10

#: (annotation id, statement id, annotator, speaker slug or None, attribution)
AnnotationRow = tuple[int, int, str, "str | None", str]
#: (annotation id, statement id, target slug, stance)
StanceRow = tuple[int, int, str, str]

__all__ = [
    "DISAGREEMENT_LIMIT",
    "FIELDS",
    "AgreementReport",
    "Disagreement",
    "FieldAgreement",
    "PairKappa",
    "ReadoutProgress",
    "ReadoutStatus",
    "agreement_report",
    "annotation_rows",
    "attach_status",
    "compute_fields",
    "readout_progress",
    "readout_units",
    "stance_rows",
    "status_of",
    "with_status",
]


# --------------------------------------------------------------------------- status


class ReadoutStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("in progress")
    ANNOTATED = "annotated", _("annotated")
    ADJUDICATED = "adjudicated", _("adjudicated")


def _count_per_readout(statements: models.QuerySet) -> Coalesce:
    counted = statements.order_by().values("readout").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def with_status(queryset: models.QuerySet | None = None, *, per_statement: int | None = None) -> models.QuerySet:
    """Annotate readouts with their status, in the same query, for any number of readouts.

    Adds ``status_statements``, ``status_annotated`` (statements with at least
    ``per_statement`` human annotations, by default the ``ANNOTATIONS_PER_STATEMENT``
    setting), ``status_gold`` (statements with gold) and ``status`` (a ``ReadoutStatus``
    value; a readout without statements is in progress). Each is a correlated subquery,
    so there is no join fan-out and the readouts can be filtered and ordered by status.
    """
    queryset = Readout.objects.all() if queryset is None else queryset
    needed = app_settings.ANNOTATIONS_PER_STATEMENT if per_statement is None else per_statement
    statements = Statement.objects.filter(readout=OuterRef("pk"))
    humans = (
        Annotation.objects.filter(statement=OuterRef("pk"), origin=Origin.HUMAN)
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    annotated = statements.alias(
        humans=Coalesce(Subquery(humans, output_field=models.IntegerField()), Value(0))
    ).filter(humans__gte=needed)
    return queryset.annotate(
        status_statements=_count_per_readout(statements),
        status_annotated=_count_per_readout(annotated),
        status_gold=_count_per_readout(statements.filter(gold_annotation__isnull=False)),
    ).annotate(
        status=Case(
            When(status_statements=0, then=Value(ReadoutStatus.IN_PROGRESS.value)),
            When(status_gold=F("status_statements"), then=Value(ReadoutStatus.ADJUDICATED.value)),
            When(status_annotated=F("status_statements"), then=Value(ReadoutStatus.ANNOTATED.value)),
            default=Value(ReadoutStatus.IN_PROGRESS.value),
            output_field=models.CharField(max_length=20),
        )
    )


STATUS_ATTRIBUTES = ("status", "status_statements", "status_annotated", "status_gold")


def attach_status(readouts: Iterable[Readout]) -> None:
    """Give readouts fetched without ``with_status`` its attributes, in one query for them all."""
    missing = {readout.pk: readout for readout in readouts if not hasattr(readout, "status")}
    if not missing:
        return
    rows = with_status(Readout.objects.filter(pk__in=missing)).order_by().values_list("pk", *STATUS_ATTRIBUTES)
    for pk, *values in rows:
        for name, value in zip(STATUS_ATTRIBUTES, values, strict=True):
            setattr(missing[pk], name, value)


def status_of(readout: Readout) -> ReadoutStatus:
    """The status of one readout: read from ``with_status`` if it was used, else one query."""
    attach_status([readout])
    return ReadoutStatus(readout.status)


@dataclass(frozen=True)
class ReadoutProgress:
    """A readout in a report, with its status and the counts behind it."""

    pk: int
    slug: str
    title: str
    status: ReadoutStatus
    statements: int
    annotated: int
    gold: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "status": self.status.value,
            "statements": self.statements,
            "annotated": self.annotated,
            "gold": self.gold,
        }


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class PairKappa:
    annotators: tuple[str, str]
    kappa: float | None
    units: int

    def as_dict(self) -> dict[str, Any]:
        return {"annotators": list(self.annotators), "kappa": self.kappa, "units": self.units}


@dataclass
class Disagreement:
    """A statement on which annotators disagree on one field.

    ``pairs`` counts the pairs of values within the statement's units (for ``stance``,
    summed over its targets), ``disagreeing`` those that differ; ``share`` is their ratio.
    ``readings`` maps each annotator of the statement to their value (for ``stance``, to a
    mapping target → stance over the statement's units). ``readout``, ``number`` and
    ``text`` are filled in by ``agreement_report``.
    """

    statement_id: int
    disagreeing: int
    pairs: int
    readings: dict[str, Any]
    readout: str = ""
    number: int = 0
    text: str = ""

    @property
    def share(self) -> float:
        return self.disagreeing / self.pairs

    def as_dict(self) -> dict[str, Any]:
        return {
            "readout": self.readout,
            "statement": self.number,
            "text": self.text,
            "disagreement": self.share,
            "disagreeing_pairs": self.disagreeing,
            "pairs": self.pairs,
            "readings": self.readings,
        }


@dataclass
class FieldAgreement:
    field: str
    alpha: float | None
    units: int
    values: int
    kappas: list[PairKappa]
    disagreements: list[Disagreement]

    @property
    def label(self) -> str:
        return str(FIELD_LABELS[self.field])

    def as_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "units": self.units,
            "values": self.values,
            "kappas": [k.as_dict() for k in self.kappas],
            "disagreements": [d.as_dict() for d in self.disagreements],
        }


@dataclass
class AgreementReport:
    readouts: list[ReadoutProgress]
    annotators: list[str]
    annotations: int
    annotations_per_statement: int
    fields: dict[str, FieldAgreement] = field(default_factory=dict)

    @property
    def speaker(self) -> FieldAgreement:
        return self.fields["speaker"]

    @property
    def attribution(self) -> FieldAgreement:
        return self.fields["attribution"]

    @property
    def stance(self) -> FieldAgreement:
        return self.fields["stance"]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape shared by the command and the API."""
        return {
            "readouts": [r.as_dict() for r in self.readouts],
            "annotators": self.annotators,
            "annotations": self.annotations,
            "annotations_per_statement": self.annotations_per_statement,
            **{name: self.fields[name].as_dict() for name in FIELDS},
        }


# --------------------------------------------------------------------------- pure computation


def readout_units(
    annotation_rows: Iterable[AnnotationRow], stance_rows: Iterable[StanceRow]
) -> tuple[dict[str, dict], dict[tuple[int, str], dict[str, str]]]:
    """Reliability data per field from annotation and stance rows.

    Returns ``({"speaker": units, "attribution": units, "stance": units}, readings)``
    where ``readings`` maps (statement id, annotator) to that reading's {target: stance},
    for the statements that have stance units.
    """
    by_annotation: dict[int, dict[str, str]] = {}
    stanced: set[int] = set()
    for annotation_id, statement_id, target, stance in stance_rows:
        tagged = by_annotation.get(annotation_id)
        if tagged is None:
            by_annotation[annotation_id] = {target: stance}
            stanced.add(statement_id)
        else:
            tagged[target] = stance
    speaker: dict[int, dict[str, Any]] = {}
    attribution: dict[int, dict[str, Any]] = {}
    # Only statements some annotator tagged with a stance have stance units: the
    # readings of the others (none with a stance) would add no unit.
    readings: dict[tuple[int, str], dict[str, str]] = {}
    empty: dict[str, str] = {}
    for annotation_id, statement_id, annotator, speaker_slug, attribution_value in annotation_rows:
        coded = speaker.get(statement_id)
        if coded is None:
            speaker[statement_id] = {annotator: speaker_slug}
            attribution[statement_id] = {annotator: attribution_value}
        else:
            coded[annotator] = speaker_slug
            attribution[statement_id][annotator] = attribution_value
        if statement_id in stanced:
            readings[statement_id, annotator] = by_annotation.get(annotation_id, empty)
    stance = agreement.stance_units((s, a, tagged) for (s, a), tagged in readings.items())
    return {"speaker": speaker, "attribution": attribution, "stance": stance}, readings


def _most_disagreement(units: Mapping, limit: int, *, by_statement: bool) -> list[tuple[int, int, int]]:
    """Up to ``limit`` (statement id, disagreeing pairs, pairs), most disagreement first.

    With ``by_statement``, unit keys are (statement id, ...) and a statement's pairs are
    summed over its units; otherwise a unit is a statement.
    """
    if limit <= 0:
        return []
    totals: dict[int, list[int]] = {}
    for key, coded in units.items():
        m = len(coded)
        if m < 2:
            continue
        pairs = m * (m - 1) // 2
        values = coded.values()
        distinct = len(set(values))
        if distinct == 1:
            disagreeing = 0
            if not by_statement:
                continue
        elif distinct == m:
            disagreeing = pairs
        elif distinct == m - 1:  # one value twice, the others once: one pair agrees
            disagreeing = pairs - 1
        else:
            disagreeing = pairs - sum(k * (k - 1) // 2 for k in Counter(values).values())
        statement_id = key[0] if by_statement else key
        total = totals.get(statement_id)
        if total is None:
            totals[statement_id] = [disagreeing, pairs]
        else:
            total[0] += disagreeing
            total[1] += pairs
    scored = ((d / p, d, -s, s, p) for s, (d, p) in totals.items() if d)
    return [(s, d, p) for _, d, _, s, p in heapq.nlargest(limit, scored)]


def compute_fields(
    annotation_rows: Iterable[AnnotationRow],
    stance_rows: Iterable[StanceRow],
    *,
    limit: int = DISAGREEMENT_LIMIT,
) -> dict[str, FieldAgreement]:
    """Alpha, pairwise kappas and the statements of most disagreement for each field.

    Pure: no database. ``agreement_report`` feeds it two queries' rows.
    """
    # The cyclic garbage collector stays on: it is the whole process's, and a request thread
    # that switched it off would switch it off for every other thread serving requests too.
    units, stances = readout_units(annotation_rows, stance_rows)
    result = {}
    for name in FIELDS:
        data = units[name]
        alpha = agreement.krippendorff_alpha(data)
        kappas = [
            PairKappa((str(a), str(b)), k.kappa, k.units) for (a, b), k in agreement.pairwise_kappas(data).items()
        ]
        disagreements = []
        for statement_id, disagreeing, pairs in _most_disagreement(data, limit, by_statement=name == "stance"):
            if name == "stance":
                annotators = units["speaker"][statement_id]
                targets = sorted({t for a in annotators for t in stances[statement_id, a]})
                readings = {
                    a: {t: stances[statement_id, a].get(t, agreement.NO_STANCE) for t in targets} for a in annotators
                }
            else:
                readings = dict(data[statement_id])
            disagreements.append(Disagreement(statement_id, disagreeing, pairs, dict(sorted(readings.items()))))
        result[name] = FieldAgreement(name, alpha.alpha, alpha.units, alpha.values, kappas, disagreements)
    return result


# --------------------------------------------------------------------------- from the database


def annotation_rows(readout_ids: Sequence[int] | None = None) -> list[AnnotationRow]:
    """Every human annotation as an ``AnnotationRow``, in one query."""
    username = f"annotator__{get_user_model().USERNAME_FIELD}"
    queryset = Annotation.objects.filter(origin=Origin.HUMAN)
    if readout_ids is not None:
        queryset = queryset.filter(statement__readout_id__in=readout_ids)
    return list(queryset.order_by().values_list("pk", "statement_id", username, "speaker__slug", "attribution"))


def stance_rows(readout_ids: Sequence[int] | None = None) -> list[StanceRow]:
    """Every stance of a human annotation as a ``StanceRow``, in one query."""
    queryset = Stance.objects.filter(annotation__origin=Origin.HUMAN)
    if readout_ids is not None:
        queryset = queryset.filter(annotation__statement__readout_id__in=readout_ids)
    fields = ("annotation_id", "annotation__statement_id", "target__slug", "stance")
    return list(queryset.order_by().values_list(*fields))


def readout_progress(readouts: Iterable[Readout]) -> list[ReadoutProgress]:
    """Progress of readouts fetched through ``with_status``."""
    return [
        ReadoutProgress(
            r.pk,
            r.slug,
            r.title,
            ReadoutStatus(r.status),
            r.status_statements,
            r.status_annotated,
            r.status_gold,
        )
        for r in readouts
    ]


def agreement_report(readouts: models.QuerySet | None = None, *, limit: int = DISAGREEMENT_LIMIT) -> AgreementReport:
    """The agreement report over ``readouts`` (a Readout queryset; every readout when None).

    Four queries whatever the number of statements: the readouts with their status,
    the annotations, the stances, and the statements of most disagreement.
    """
    queryset = with_status(readouts).order_by("slug")
    progress = readout_progress(queryset)
    ids = None if readouts is None else [r.pk for r in progress]
    rows = annotation_rows(ids)
    fields = compute_fields(rows, stance_rows(ids), limit=limit)
    listed = {d.statement_id for f in fields.values() for d in f.disagreements}
    if listed:
        described = {
            pk: (slug, number, text)
            for pk, slug, number, text in Statement.objects.filter(pk__in=listed)
            .order_by()
            .values_list("pk", "readout__slug", "number", "text")
        }
        for f in fields.values():
            for d in f.disagreements:
                d.readout, d.number, d.text = described[d.statement_id]
    return AgreementReport(
        readouts=progress,
        annotators=sorted({row[2] for row in rows}),
        annotations=len(rows),
        annotations_per_statement=app_settings.ANNOTATIONS_PER_STATEMENT,
        fields=fields,
    )
