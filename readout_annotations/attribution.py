"""Rule-based speaker proposals: who says each sentence of a readout, and how.

The rules, in the order they are tried for each sentence:

1. **explicit**: a known speaker's name or alias (``Speaker.name`` and ``Speaker.aliases``;
   any run of whitespace, a non-breaking space included, counts as one space) followed,
   after at most a few adverbs ("once again warmly"), by a cue verb ("pointed out",
   "emphasized", "said", "stressed", "noted", "congratulated", ...). The first such
   name in the sentence wins. Verbs of acts ("held talks", "hosted", "attended",
   "signed") are not cues: sentences built on them are narration.
2. **inferred**: a cue with no name before it: at the start of the sentence ("pointed
   out that ...", where the source dropped the name) or after a pronoun ("He said ...").
   A pronoun refers to the speaker of the latest reported speech before it. A cue
   without any subject goes to the readout's *principal speaker*: the first person
   named with a cue in the readout (its host: readouts report the host's view first,
   so in a readout alternating host and guest a nameless cue after narration of both
   is the host's). Without any explicit person the speaker stays empty.
3. **continued**: a sentence after reported speech (explicit, inferred or continued) in
   the same paragraph keeps that speaker. A paragraph break ends the continuation.
4. **narration**: everything else; no speaker, no mode, no cue.

Mode: a cue followed by a colon or an opening quotation mark is ``direct``; otherwise
reported speech is ``indirect``, or ``mixed`` when what follows the cue slips into the
first person ("saying that ... and I deeply admire him"). A continued sentence in the
first person ("I firmly believe ...", "We should ...") is ``direct``, otherwise
``indirect``.

The module is pure up to :func:`proposals_for_readout` and :func:`create_proposals`,
which read speakers and write proposals (origin machine, no annotator, never gold).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MACHINE_NAME = "readout_annotations.attribution"
MACHINE_VERSION = "1.0"

#: Reporting verbs (past tense, as readouts narrate). Longer phrases first.
CUE_VERBS = (
    "pointed out",
    "called for",
    "called on",
    "made clear",
    "briefed",
    "emphasized",
    "emphasised",
    "stressed",
    "underlined",
    "underscored",
    "said",
    "noted",
    "stated",
    "added",
    "remarked",
    "reiterated",
    "affirmed",
    "reaffirmed",
    "asserted",
    "declared",
    "indicated",
    "mentioned",
    "observed",
    "explained",
    "introduced",
    "told",
    "congratulated",
    "expressed",
    "conveyed",
    "extended",
    "thanked",
    "praised",
    "commended",
    "welcomed",
    "agreed",
    "believed",
    "hoped",
    "wished",
    "proposed",
    "suggested",
    "urged",
    "highlighted",
    "recalled",
    "responded",
    "replied",
    "saying",
)

#: Words allowed between a name and its cue: "Lukashenko once again warmly congratulated".
_ADVERB = (
    r"(?:once\s+again|in\s+turn|on\s+his\s+part|on\s+her\s+part|also|again|further|then|first|finally|too|[a-z]+ly)"
)
_GAP = rf"(?:,?\s+{_ADVERB},?)*"
_CUE = r"(?P<cue>" + "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in CUE_VERBS) + r")(?!\w)"
_PRONOUNS = r"(?:He|She|They|he|she|they)"
_NAMELESS_RE = re.compile(rf"^[\W_]*(?:(?P<pronoun>{_PRONOUNS})\s+)?(?:{_ADVERB}\s+)*{_CUE}")
_DIRECT_AFTER_CUE_RE = re.compile(r"^\s*(?:,\s*)?[:\"\u201c\u00ab]")
_FIRST_PERSON_RE = re.compile(r"(?<![\w'])(?:I|me|my|mine|myself|[Ww]e|us|[Oo]ur|ours|ourselves)(?![\w'])")


@dataclass(frozen=True)
class Sentence:
    """One statement as the rules see it."""

    paragraph: int
    text: str


@dataclass(frozen=True)
class Proposal:
    """A proposed reading: ``speaker`` is a key of the :class:`AliasIndex` (or None)."""

    speaker: object | None
    attribution: str
    mode: str
    cue: str


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    speaker: object


class AliasIndex:
    """Known speakers' names and aliases, matched as whole words.

    ``speakers`` gives ``(key, names, is_person)`` triples; the key (a slug, a primary
    key, a ``Speaker``) is what proposals and mentions carry. Names match case-sensitively
    except for the first letter ("The two heads of state" finds "the two heads of state"),
    and any whitespace in a name matches any run of whitespace in the text.
    """

    def __init__(self, speakers: Iterable[tuple[object, Iterable[str], bool]]) -> None:
        self._by_name: dict[str, object] = {}
        self.persons: set[object] = set()
        for key, names, is_person in speakers:
            if is_person:
                self.persons.add(key)
            for name in names:
                normal = _normal(name)
                if normal:
                    self._by_name.setdefault(normal, key)
        alternatives = sorted(self._by_name, key=len, reverse=True)
        if alternatives:
            body = "|".join(_name_pattern(name) for name in alternatives)
            self._pattern = re.compile(rf"(?<!\w)(?P<name>{body})(?!\w)")
            self._explicit = re.compile(rf"(?<!\w)(?P<name>{body}){_GAP}\s+{_CUE}")
        else:
            self._pattern = self._explicit = None

    @classmethod
    def from_speakers(cls, speakers: Iterable, key=lambda speaker: speaker) -> AliasIndex:
        """Build from ``Speaker`` instances (name plus aliases)."""
        return cls((key(s), [s.name, *_strings(s.aliases)], s.kind == "person") for s in speakers)

    def resolve(self, name: str) -> object | None:
        """The speaker a name stands for, or None."""
        name = _normal(name)
        for variant in (name, name[:1].upper() + name[1:], name[:1].lower() + name[1:]):
            if variant in self._by_name:
                return self._by_name[variant]
        return None

    def mentions(self, text: str) -> list[Mention]:
        """Every name of a known speaker in ``text``, in order."""
        if self._pattern is None:
            return []
        return [Mention(m.start(), m.end(), self.resolve(m.group("name"))) for m in self._pattern.finditer(text)]

    def explicit(self, text: str) -> re.Match | None:
        """The first "name [adverbs] cue" in ``text``."""
        return None if self._explicit is None else self._explicit.search(text)


def _strings(values) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list | tuple) else []


def _normal(name: str) -> str:
    return " ".join(name.split())


def _name_pattern(name: str) -> str:
    words = [re.escape(word) for word in name.split()]
    first = words[0]
    if first[:1].isalpha() and first[:1].lower() != first[:1].upper():
        first = f"[{first[0].upper()}{first[0].lower()}]{first[1:]}"
    return r"\s+".join([first, *words[1:]])


def speech_mode(text: str, cue_end: int) -> str:
    """``direct``, ``mixed`` or ``indirect`` for reported speech whose cue ends at ``cue_end``."""
    rest = text[cue_end:]
    if _DIRECT_AFTER_CUE_RE.match(rest):
        return "direct"
    return "mixed" if _FIRST_PERSON_RE.search(rest) else "indirect"


def continued_mode(text: str) -> str:
    return "direct" if _FIRST_PERSON_RE.search(text) else "indirect"


def propose(sentences: Sequence[Sentence], aliases: AliasIndex) -> list[Proposal]:
    """One :class:`Proposal` per sentence, by the rules in the module docstring."""
    explicit = [aliases.explicit(sentence.text) for sentence in sentences]
    principal = next(
        (
            aliases.resolve(m.group("name"))
            for m in explicit
            if m and aliases.resolve(m.group("name")) in aliases.persons
        ),
        None,
    )
    proposals: list[Proposal] = []
    previous_paragraph = None
    current = None  # the speaker of the reported speech running in this paragraph
    latest = None  # the speaker of the latest reported speech anywhere before
    for sentence, match in zip(sentences, explicit, strict=True):
        if sentence.paragraph != previous_paragraph:
            current = None
            previous_paragraph = sentence.paragraph
        text = sentence.text
        if match is not None:
            speaker = aliases.resolve(match.group("name"))
            proposal = Proposal(speaker, "explicit", speech_mode(text, match.end("cue")), match.group("cue"))
        elif (nameless := _NAMELESS_RE.match(text)) is not None:
            speaker = latest if nameless.group("pronoun") else principal
            proposal = Proposal(speaker, "inferred", speech_mode(text, nameless.end("cue")), nameless.group("cue"))
        elif current is not None:
            proposal = Proposal(current, "continued", continued_mode(text), "")
        else:
            proposal = Proposal(None, "narration", "", "")
        if proposal.attribution != "narration":
            current = latest = proposal.speaker
        else:
            current = None
        proposals.append(proposal)
    return proposals


# --------------------------------------------------------------------------- database


def proposals_for_readout(readout, speakers: Iterable | None = None) -> list:
    """Unsaved machine-proposal ``Annotation`` objects, one per statement of ``readout``."""
    from .models import Annotation, Origin, Speaker

    if speakers is None:
        speakers = Speaker.objects.all()
    aliases = AliasIndex.from_speakers(speakers)
    statements = list(readout.statements.order_by("number"))
    proposals = propose([Sentence(s.paragraph, s.text) for s in statements], aliases)
    return [
        Annotation(
            statement=statement,
            annotator=None,
            origin=Origin.MACHINE,
            machine_name=MACHINE_NAME,
            machine_version=MACHINE_VERSION,
            speaker=proposal.speaker,
            attribution=proposal.attribution,
            mode=proposal.mode,
            cue=proposal.cue[:200],
            gold=False,
        )
        for statement, proposal in zip(statements, proposals, strict=True)
    ]


def create_proposals(readout, speakers: Iterable | None = None) -> int:
    """Write one machine proposal per statement of ``readout``; returns how many."""
    from .models import Annotation

    return len(Annotation.objects.bulk_create(proposals_for_readout(readout, speakers)))
