"""Statement boundaries a reviewer fixes: split a statement at a character, or merge it with the next.

Both keep the readout's numbering in order (the statements after move up or down by one) and the
offsets exact (code points into the readout's text; whitespace at the cut belongs to neither part).
What happens to the readings of a changed statement is never silent:

- **split**: every reading stays with the first part. It is *carried over* as it is when it still
  applies there: it takes no stance and passes the guideline's checks on the first part's text
  (``guideline.reading_errors``: a cue that still occurs in it, ...). Otherwise it is *flagged for
  re-reading*: ``Annotation.reread_reason`` says what changed, and saving the reading again clears
  it. The second part is a new statement with no readings.
- **merge**: the readings of both statements are flagged (the text they read has changed). A
  reading of the second statement moves to the first when its annotator (or machine) has none
  there; otherwise it is deleted and its reading is quoted in the kept reading's reason.
- **gold** on a changed statement is cleared, with the adjudication fields, and the reason recorded
  on the former gold reading.

Reviewers only (``adjudicate_annotation``); errors are ``ValidationError`` keyed by field (``at``,
``statement``) and change nothing. Changing a statement's offsets by hand while it has readings is
refused by ``Statement.save``; these two functions are the way to do it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import guideline
from .models import Annotation, Statement
from .roles import is_reviewer

AT_NOT_A_NUMBER = _lazy("Choose the character to split before (a number).")

#: Numbers are shifted through this offset so that (readout, number) stays unique at every step.
RENUMBER_OFFSET = 1_000_000


def split(statement: Statement, at: int, *, by) -> tuple[Statement, Statement]:
    """Split ``statement`` before its character ``at`` (a code-point offset into the statement's
    text, 0 < at < len); returns the two statements."""
    _require_reviewer(by)
    text = statement.text
    if not isinstance(at, int) or not 0 < at < len(text):
        raise ValidationError(
            {"at": [_("Choose a character inside the statement (1 to %(n)d).") % {"n": len(text) - 1}]}
        )
    left, right = text[:at].rstrip(), text[at:].lstrip()
    if not left or not right:
        raise ValidationError({"at": [_("Both parts need text: this cut leaves one of them empty.")]})
    second_start = statement.start + len(text) - len(right)
    reason = _("Statement #%(number)d was split at character %(at)d by %(user)s on %(day)s.") % {
        "number": statement.number,
        "at": at,
        "user": by.get_username(),
        "day": timezone.now().date().isoformat(),
    }
    with transaction.atomic():
        statement = Statement.objects.select_for_update().select_related("readout").get(pk=statement.pk)
        _shift(statement.readout_id, after=statement.number, by=1)
        end = statement.end
        statement.end, statement.text = statement.start + len(left), left
        statement._boundaries_changing = True
        statement.save(update_fields=["end", "text"])
        second = Statement(
            readout=statement.readout,
            number=statement.number + 1,
            paragraph=statement.paragraph,
            start=second_start,
            end=end,
            text=right,
        )
        second.save()
        for annotation in statement.annotations.prefetch_related("stances").select_related("speaker"):
            stays = not annotation.gold and not annotation.stances.all() and _applies(annotation, left)
            _flag(annotation, None if stays else reason)
    return statement, second


def merge_with_next(statement: Statement, *, by) -> Statement:
    """Merge ``statement`` with the statement after it (same paragraph); returns the merged one."""
    _require_reviewer(by)
    with transaction.atomic():
        statement = Statement.objects.select_for_update().select_related("readout").get(pk=statement.pk)
        following = (
            Statement.objects.select_for_update()
            .filter(readout_id=statement.readout_id, number=statement.number + 1)
            .first()
        )
        if following is None:
            raise ValidationError({"statement": [_("This is the readout's last statement: nothing to merge with.")]})
        if following.paragraph != statement.paragraph:
            raise ValidationError(
                {"statement": [_("The next statement begins a new paragraph; statements do not cross paragraphs.")]}
            )
        reason = _("Statements #%(first)d and #%(second)d were merged by %(user)s on %(day)s.") % {
            "first": statement.number,
            "second": following.number,
            "user": by.get_username(),
            "day": timezone.now().date().isoformat(),
        }
        kept = {_reader(a): a for a in statement.annotations.all()}
        for annotation in kept.values():
            _flag(annotation, reason)
        for annotation in following.annotations.select_related("speaker").prefetch_related("stances__target"):
            mine = kept.get(_reader(annotation))
            if mine is None:
                _flag(annotation, reason, statement=statement)
            else:
                quoted = _("The reading of #%(number)d was: %(reading)s") % {
                    "number": following.number,
                    "reading": _summary(annotation),
                }
                Annotation.objects.filter(pk=mine.pk).update(reread_reason=f"{reason} {quoted}"[:500])
                annotation.delete()
        statement.end = following.end
        statement.text = statement.readout.text[statement.start : statement.end]
        following.delete()
        statement._boundaries_changing = True
        statement.save(update_fields=["end", "text"])
        _shift(statement.readout_id, after=statement.number + 1, by=-1)
    return statement


def split_message(first: Statement, second: Statement) -> str:
    flagged = first.annotations.exclude(reread_reason="").count()
    return _(
        "Split into #%(first)d and #%(second)d; the statements after them moved up by one. "
        "%(flagged)d readings are flagged for re-reading."
    ) % {"first": first.number, "second": second.number, "flagged": flagged}


def merge_message(merged: Statement) -> str:
    flagged = merged.annotations.exclude(reread_reason="").count()
    return _(
        "Merged into #%(number)d; the statements after it moved down by one. "
        "%(flagged)d readings are flagged for re-reading."
    ) % {"number": merged.number, "flagged": flagged}


# --------------------------------------------------------------------------- helpers


def _require_reviewer(user) -> None:
    if not is_reviewer(user):
        raise PermissionDenied(_("Only a reviewer can split or merge statements."))


def _shift(readout_id: int, *, after: int, by: int) -> None:
    """Renumber the statements after number ``after`` by ``by``, in two steps (no collisions)."""
    later = Statement.objects.filter(readout_id=readout_id, number__gt=after)
    later.update(number=F("number") + RENUMBER_OFFSET)
    Statement.objects.filter(readout_id=readout_id, number__gt=after + RENUMBER_OFFSET).update(
        number=F("number") - RENUMBER_OFFSET + by
    )


def _applies(annotation: Annotation, text: str) -> bool:
    errors = guideline.reading_errors(
        text=text,
        speaker=annotation.speaker,
        attribution=annotation.attribution,
        mode=annotation.mode,
        cue=annotation.cue,
        stances=[],
    )
    return not errors


def _flag(annotation: Annotation, reason: str | None, *, statement: Statement | None = None) -> None:
    """Record ``reason`` (None: carried over as it is); gold is cleared with its adjudication."""
    fields: dict = {}
    if statement is not None:
        fields["statement"] = statement
    if annotation.gold:
        gold_reason = _("Its gold was cleared.")
        reason = f"{reason or ''} {gold_reason}".strip()
        fields.update(gold=False, gold_statement=None, adjudicated_by=None, adjudicated_at=None)
        annotation.adjudicated_from.clear()
    if reason is not None:
        fields["reread_reason"] = reason[:500]
    if fields:
        Annotation.objects.filter(pk=annotation.pk).update(**fields, version=F("version") + 1)


def _reader(annotation: Annotation) -> tuple:
    """Who a reading belongs to: its annotator, or for a machine or import its origin and name."""
    if annotation.annotator_id is not None:
        return ("user", annotation.annotator_id)
    return (annotation.origin, annotation.machine_name, annotation.machine_version)


def _summary(annotation: Annotation) -> str:
    parts = [annotation.speaker.name if annotation.speaker else _("no speaker"), annotation.attribution]
    if annotation.mode:
        parts.append(annotation.mode)
    if annotation.cue:
        parts.append(f'"{annotation.cue}"')
    parts.extend(f"{s.stance} {s.target.name}" for s in annotation.stances.all())
    return ", ".join(parts)
