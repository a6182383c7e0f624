"""Turning readings into gold: the one place that sets ``Annotation.gold``.

Every path (admin, API, bulk agreement) goes through ``accept`` or ``accept_agreed`` so
that who adjudicated, when, and from which annotations is always recorded, and so that a
statement never has two gold annotations, even under concurrent reviewers: the
statement row is locked (``select_for_update``) while its gold changes, and the
database's unique ``gold_statement`` column is the last line of defence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Annotation, Origin, Readout, Stance, Statement


def reading_key(annotation: Annotation) -> tuple:
    """What two annotations must share to agree: speaker, attribution and stances."""
    return (
        annotation.speaker_id,
        annotation.attribution,
        frozenset((s.target_id, s.stance) for s in annotation.stances.all()),
    )


@transaction.atomic
def accept(annotation: Annotation, reviewer, *, sources: Iterable[Annotation] = ()) -> Annotation:
    """Make ``annotation``'s reading the gold of its statement; returns the gold annotation.

    A human or imported annotation becomes gold itself. A machine proposal cannot be gold,
    so its reading is copied into a new annotation owned by the reviewer (origin human) —
    or into the reviewer's own annotation of the statement, which it then replaces — and
    the proposal is recorded among the sources (``adjudicated_from``).
    """
    Statement.objects.select_for_update().get(pk=annotation.statement_id)
    annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
    source_ids = {a.pk for a in sources}
    if annotation.origin == Origin.MACHINE:
        source_ids.add(annotation.pk)  # the gold reading comes from the proposal
        annotation = _copy_for(annotation, reviewer)
    now = timezone.now()
    # The former gold changes too: its version moves on, so optimistic locking sees the change.
    Annotation.objects.filter(gold_statement_id=annotation.statement_id).exclude(pk=annotation.pk).update(
        gold=False, gold_statement=None, version=F("version") + 1, updated_at=now
    )
    annotation.gold = True
    annotation.adjudicated_by = reviewer
    annotation.adjudicated_at = now
    annotation.save()
    source_ids.discard(annotation.pk)
    annotation.adjudicated_from.set(source_ids)
    return annotation


@transaction.atomic
def withdraw(annotation: Annotation) -> Annotation:
    """Take gold away from ``annotation``: it stops being gold and loses its adjudication with
    it (who, when, and the readings it was adjudicated from)."""
    Statement.objects.select_for_update().get(pk=annotation.statement_id)
    annotation.gold = False
    annotation.adjudicated_by = None
    annotation.adjudicated_at = None
    annotation.save()
    annotation.adjudicated_from.clear()
    return annotation


def _copy_for(proposal: Annotation, reviewer) -> Annotation:
    copy, _ = Annotation.objects.get_or_create(
        statement_id=proposal.statement_id,
        annotator=reviewer,
        defaults={"origin": Origin.HUMAN, "attribution": proposal.attribution},
    )
    copy.speaker_id = proposal.speaker_id
    copy.attribution = proposal.attribution
    copy.mode = proposal.mode
    copy.cue = proposal.cue
    copy.save()
    copy.stances.all().delete()
    Stance.objects.bulk_create(
        Stance(annotation=copy, target_id=s.target_id, stance=s.stance) for s in proposal.stances.all()
    )
    return copy


def agreed_statements(readout: Readout) -> dict[int, list[Annotation]]:
    """Statements of ``readout`` without gold whose human annotations (two or more) all agree."""
    humans = (
        Annotation.objects.human()
        .filter(statement__readout=readout, statement__gold_annotation__isnull=True)
        .prefetch_related("stances")
        .order_by("statement_id", "pk")
    )
    by_statement: dict[int, list[Annotation]] = defaultdict(list)
    for annotation in humans:
        by_statement[annotation.statement_id].append(annotation)
    return {
        statement_id: readings
        for statement_id, readings in by_statement.items()
        if len(readings) >= 2 and len({reading_key(a) for a in readings}) == 1
    }


@transaction.atomic
def accept_agreed(readout: Readout, reviewer) -> int:
    """Make the agreed reading gold for every statement of ``readout`` where all humans agree."""
    count = 0
    for readings in agreed_statements(readout).values():
        accept(readings[0], reviewer, sources=readings)
        count += 1
    return count
