"""The annotation guideline (``docs/guidelines.md``), enforced: the one place that checks a reading.

The write service (``annotating``) applies these rules, so the admin form, the API and imports
all refuse the same readings with the same messages:

- ``explicit`` and ``inferred`` need a speaker and a cue that occurs in the statement;
- ``narration`` has no speaker, no mode and no cue;
- ``continued`` needs a speaker;
- a stance needs a speaker.

Machine proposals are not checked (a proposal is what a reviewer corrects); gold readings are
(they are what the guideline describes).
"""

from __future__ import annotations

from collections.abc import Sized

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Attribution

#: Attributions whose reading names the speaker's reporting cue.
NEEDS_CUE = (Attribution.EXPLICIT, Attribution.INFERRED)


def cue_occurs(cue: str, text: str) -> bool:
    """Whether ``cue`` occurs in ``text``, ignoring case (a cue may open the sentence). Linear time."""
    return cue.casefold() in text.casefold()


def reading_errors(*, text: str, speaker, attribution: str, mode: str, cue: str, stances: Sized) -> dict[str, list]:
    """The guideline's objections to a reading, keyed by field (empty when it follows the rules).

    ``text`` is the statement's text; ``speaker`` anything, empty or None for no speaker;
    ``mode`` and ``cue`` strings, empty for none; ``stances`` the reading's stances.
    """
    errors: dict[str, list] = {}
    if attribution == Attribution.NARRATION:
        if speaker:
            errors["speaker"] = [_("Narration has no speaker: the publisher's own account is nobody's speech.")]
        if mode:
            errors["mode"] = [_("Narration has no mode: leave it empty.")]
        if cue:
            errors["cue"] = [_("Narration has no cue: leave it empty.")]
    elif attribution in NEEDS_CUE:
        if not speaker:
            errors["speaker"] = [_("An %(attribution)s reading needs a speaker.") % {"attribution": attribution}]
        if not cue:
            errors["cue"] = [
                _("An %(attribution)s reading needs its cue, the reporting words as they stand in the statement.")
                % {"attribution": attribution}
            ]
        elif not cue_occurs(cue, text):
            errors["cue"] = [_("The cue %(cue)r does not occur in the statement.") % {"cue": cue}]
    elif attribution == Attribution.CONTINUED and not speaker:
        errors["speaker"] = [_("A continued reading needs the speaker it continues.")]
    if len(stances) and not speaker:
        errors.setdefault("stances", []).append(_("A stance needs a speaker: whose position is it?"))
    return errors


def check_reading(*, text: str, speaker, attribution: str, mode: str, cue: str, stances: Sized) -> None:
    """Raise ``ValidationError`` keyed by field when the reading breaks the guideline."""
    errors = reading_errors(text=text, speaker=speaker, attribution=attribution, mode=mode, cue=cue, stances=stances)
    if errors:
        raise ValidationError(errors)
