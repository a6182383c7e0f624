"""Rule-based speaker proposals: who says each sentence of a readout, and how.

A pipeline of small pure stages, run once per readout (``docs/attribution.md`` has the rules,
the reporting-verb table and examples):

1. **participants**: the readout's cast. Known speakers (name, aliases, title, affiliation,
   group members) and the persons the readout introduces ("Chinese President Xi Jinping",
   "Ms. KAMIKAWA Yoko, Minister for Foreign Affairs of Japan", "Wang Yi, director of ...";
   in Chinese the name before a cue, 王毅表示). A person found in the text that matches no
   known speaker (full name or alias) becomes a *new* participant, proposed for review.
2. **mentions**: names and aliases, role mentions ("the Secretary", "the Russian President":
   the participant introduced so far with that title, and affiliation for a demonym; an
   ambiguous role gives no speaker), group phrases ("the two leaders", "both sides", 双方),
   joint subjects ("X and Y"), pronouns and sources ("the White House", "the statement").
3. **frames**: a mention as the subject of a reporting verb of :data:`CUE_VERBS`, before it
   (adverbs, an appositive or a closing quote may stand between) or after it ("..., said
   Xi"); "according to X"; a participle after an act (", calling for ..."). Acts ("held
   talks", "discussed") are no frames.
4. **quotations**: a quotation's sentences take the speaker of its frame, before or after;
   a quotation that runs on into a new paragraph keeps its speaker.
5. **coreference**: "he"/"she" take the person named earlier in the sentence, else the
   latest speaker; "they" and group phrases the meeting's pair (the two persons named last).
6. **continuation**: a sentence without a frame goes on with the speech before it in the
   same paragraph, unless it narrates an act of that speaker or of "they".
7. **mode**: ``direct`` for a quotation framed only by its frame, ``mixed`` for quoted words
   or a first-person subject inside reported speech, ``indirect`` otherwise.

Every stage works on tokens (:data:`_TOKEN_RE`, one linear pass) or on plain string scans;
no pattern over user text can backtrack. The module is pure up to
:func:`proposals_for_readout` and :func:`create_proposals`, which read speakers, save the
newly found participants as proposed speakers, and write proposals (origin machine, no
annotator, never gold). Each proposal's ``note`` names the rule and the matched frame.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import officeholders

MACHINE_NAME = "readout_annotations.attribution"
MACHINE_VERSION = "2.0"

# --------------------------------------------------------------------------- lexicons

#: Reporting verbs (cues), as readouts narrate them; each entry is a phrase of lowercase words.
#: One table: docs/attribution.md prints it. Acts (held talks, met, discussed, signed, hosted,
#: exchanged views, reflected on) are not here: sentences built on them are narration.
CUE_VERBS = (
    "pointed out",
    "called for",
    "called on",
    "made clear",
    "shared the view",
    "expressed similar views",
    "quoted as saying",
    "reflected that",
    "briefed",
    "emphasized",
    "emphasised",
    "stressed",
    "underlined",
    "underscored",
    "said",
    "says",
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
    "voiced",
    "thanked",
    "praised",
    "commended",
    "hailed",
    "appreciated",
    "welcomed",
    "agreed",
    "concurred",
    "echoed",
    "raised",
    "recognized",
    "recognised",
    "acknowledged",
    "believed",
    "hoped",
    "wished",
    "proposed",
    "suggested",
    "urged",
    "warned",
    "vowed",
    "pledged",
    "promised",
    "assured",
    "insisted",
    "highlighted",
    "recalled",
    "responded",
    "replied",
    "joked",
    "continued",
    "saying",
)
#: Participles that turn an act into speech: "held conversations ..., calling for joint efforts".
CUE_PARTICIPLES = (
    "calling for",
    "calling on",
    "underscoring",
    "stressing",
    "emphasizing",
    "emphasising",
    "reaffirming",
    "expressing",
    "urging",
    "welcoming",
    "highlighting",
    "pledging",
    "saying",
    "adding",
)
#: Chinese reporting verbs: the name touches them (王毅表示, 李克强指出, 双方一致认为).
CJK_CUES = (
    "表示",
    "指出",
    "强调",
    "強調",
    "说",
    "說",
    "説",
    "认为",
    "認為",
    "欢迎",
    "歡迎",
    "希望",
    "感谢",
    "感謝",
    "祝贺",
    "祝賀",
    "提出",
    "介绍",
    "介紹",
    "回应",
    "回應",
    "同意",
    "赞赏",
    "讚賞",
    "重申",
    "呼吁",
    "呼籲",
)
#: Words that may stand between a Chinese subject and its cue (还, 也, 一致, 再次 ...).
CJK_CUE_ADVERBS = (
    "还",
    "還",
    "也",
    "都",
    "一致",
    "再次",
    "同时",
    "同時",
    "则",
    "則",
    "进一步",
    "進一步",
    "首先",
    "并",
    "並",
)
CJK_GROUPS = ("双方", "雙方", "两国领导人", "兩國領導人", "两位领导人", "兩位領導人")
#: Cues after which what comes is a new clause only when a colon, quote or "that" follows.
_WEAK_CUES = frozenset({"continued", "raised", "extended", "introduced", "recalled", "believed"})
#: Words allowed between a subject and its cue.
_ADVERBS = frozenset(
    [
        "also",
        "again",
        "once",
        "further",
        "then",
        "first",
        "finally",
        "too",
        "later",
        "in",
        "turn",
        "on",
        "his",
        "her",
        "their",
        "part",
        "both",
        "all",
        "each",
        "jointly",
        "similarly",
        "meanwhile",
        "however",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "been",
    ]
)
#: Titles and roles, lowercase, longest first when matched. A role mention is "the" + one of these.
TITLES = (
    "vice president",
    "president",
    "vice premier",
    "premier",
    "prime minister",
    "deputy prime minister",
    "foreign minister",
    "defense minister",
    "defence minister",
    "minister for foreign affairs",
    "minister of foreign affairs",
    "minister of national defense",
    "minister",
    "secretary of state",
    "secretary of defense",
    "secretary-general",
    "secretary general",
    "general secretary",
    "secretary",
    "state councilor",
    "chancellor",
    "ambassador",
    "special presidential envoy",
    "special envoy",
    "envoy",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "director",
    "chairman",
    "chairwoman",
    "chair",
    "king",
    "queen",
    "emperor",
    "crown prince",
    "governor",
    "senator",
    "mayor",
    "counterpart",
)
_HONORIFICS = frozenset({"mr", "ms", "mrs", "dr", "h.e", "he", "madam", "sir"})
#: Group phrases: subjects that name the participants together.
GROUP_PHRASES = (
    "the two leaders",
    "both leaders",
    "the leaders",
    "the two ministers",
    "both ministers",
    "the two presidents",
    "the two heads of state",
    "both heads of state",
    "the two men",
    "the two sides",
    "both sides",
    "the two",
    "the three ministers",
    "the three leaders",
)
#: Nouns of a source that reports speech without being a speaker of it.
_SOURCE_NOUNS = frozenset({"statement", "readout", "media", "report", "release", "communique", "spokesperson"})
#: Heads of organizations found in frames ("Downing Street said", "the Kremlin said").
_ORGANIZATION_HEADS = frozenset(
    [
        "house",
        "street",
        "palace",
        "office",
        "ministry",
        "department",
        "kremlin",
        "government",
        "cabinet",
        "embassy",
        "council",
        "commission",
        "agency",
        "mission",
        "secretariat",
    ]
)
#: Demonyms (lowercase) and the country word an affiliation holds.
DEMONYMS = {
    "american": "united states",
    "us": "united states",
    "u.s": "united states",
    "chinese": "china",
    "russian": "russia",
    "french": "france",
    "german": "germany",
    "british": "united kingdom",
    "uk": "united kingdom",
    "u.k": "united kingdom",
    "japanese": "japan",
    "korean": "korea",
    "indian": "india",
    "canadian": "canada",
    "mexican": "mexico",
    "italian": "italy",
    "spanish": "spain",
    "brazilian": "brazil",
    "australian": "australia",
    "ukrainian": "ukraine",
    "belarusian": "belarus",
    "lebanese": "lebanon",
    "israeli": "israel",
    "iranian": "iran",
    "turkish": "turkey",
    "saudi": "saudi arabia",
    "egyptian": "egypt",
    "pakistani": "pakistan",
    "vietnamese": "viet",
    "indonesian": "indonesia",
    "lithuanian": "lithuania",
    "slovakian": "slovakia",
    "slovak": "slovakia",
    "polish": "poland",
    "dutch": "netherlands",
    "south african": "south africa",
}
#: Affiliations whose persons are named family name first (surname = first word).
_FAMILY_NAME_FIRST = ("china", "chinese", "people's republic", "japan", "korea", "viet", "taiwan", "hong kong")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PRONOUNS = {"he": "person", "she": "person", "they": "group", "it": "source"}
_FIRST_PERSON = frozenset({"i", "we"})
_CJK_FIRST_PERSON = ("我",)
_OPEN_QUOTES = "\u201c\u00ab\u300c\u300e"
_CLOSE_QUOTES = "\u201d\u00bb\u300d\u300f"

# --------------------------------------------------------------------------- tokens

#: Words (letters with inner apostrophes), numbers, or one other visible character. Linear.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\u2019](?!s\b)[^\W\d_]+)*|\d+|([^\w\s])\1*")
#: A statement longer than this (code points) is no sentence a readout writes: it is read as
#: narration without analysis, which bounds the work per statement.
MAX_SENTENCE = 5000


class Token:
    """A word or a punctuation mark: ``text``, its ``low`` (casefolded) form, its code point
    offsets ``start`` and ``end``, and whether it is ``capital``."""

    __slots__ = ("capital", "end", "low", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.start, self.end = text, start, end
        self.low = text.casefold()
        self.capital = text[:1].isupper()


def tokens(text: str) -> list[Token]:
    """The tokens of ``text`` with their code point offsets."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def is_cjk(text: str) -> bool:
    """True when most letters of ``text`` are CJK ideographs."""
    if officeholders.HAN_RE.search(text) is None:
        return False  # no ideograph at all: the common case, without the loop
    han = latin = 0
    for char in text:
        if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf":
            han += 1
        elif char.isalpha():
            latin += 1
    return han > latin


def _phrases(entries: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """Lowercase phrases indexed by their first word, longest first."""
    table: dict[str, list[tuple[str, ...]]] = {}
    for entry in entries:
        words = tuple(t.low for t in tokens(entry))
        table.setdefault(words[0], []).append(words)
    for options in table.values():
        options.sort(key=len, reverse=True)
    return table


_CUE_TABLE = _phrases(CUE_VERBS)
_PARTICIPLE_TABLE = _phrases(CUE_PARTICIPLES)
_TITLE_TABLE = _phrases(TITLES)
_GROUP_TABLE = _phrases(GROUP_PHRASES)


def _phrase_at(words: Sequence[Token], i: int, table: dict[str, list[tuple[str, ...]]]) -> int:
    """The number of tokens of the longest phrase of ``table`` at ``words[i]`` (0 if none)."""
    count = len(words)
    if i >= count:
        return 0
    options = table.get(words[i].low)
    if not options:  # most words start no phrase
        return 0
    for option in options:
        size = len(option)
        if size == 1 or (i + size <= count and all(words[i + k].low == option[k] for k in range(1, size))):
            return size
    return 0


# --------------------------------------------------------------------------- participants


@dataclass(eq=False)
class Participant:
    """A speaker of the readout: a known one (``key`` set) or one found in its text."""

    name: str
    kind: str = "person"
    key: object | None = None
    title: str = ""
    affiliation: str = ""
    aliases: list[str] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    members: tuple[Participant, ...] = ()
    family_name: str = ""
    wikidata_id: str = ""
    #: How a new participant was identified: "gazetteer" when matched to an office-holder.
    rule: str = ""

    @property
    def slug(self) -> str:
        return _slugify(self.name)

    def surname(self) -> str:
        """The word of the name a group slug uses: family name, or a Chinese name whole."""
        if self.family_name:
            return self.family_name
        words = [w for w in self.name.split() if w.rstrip(".").casefold() not in _SUFFIXES and len(w.rstrip(".")) > 1]
        if not words:
            return self.name
        affiliation = f"{self.affiliation} {self.title}".casefold()
        if any(word in affiliation for word in ("china", "chinese")):
            return " ".join(words)  # Chinese surnames are too few to tell people apart
        if any(word in affiliation for word in _FAMILY_NAME_FIRST):
            return words[0]
        return words[-1]


def _slugify(value: str) -> str:
    from django.utils.text import slugify

    return slugify(value)


def romanize(name: str) -> str:
    """A Chinese name in pinyin, family name first: 王毅 -> "Wang Yi", 李克強 -> "Li Keqiang".

    Needs ``pypinyin``; without it the name is returned as it is.
    """
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a dependency
        return name
    syllables = lazy_pinyin(name)
    if len(syllables) < 2:
        return name.capitalize()
    return f"{syllables[0].capitalize()} {''.join(syllables[1:]).capitalize()}"


def _roles_of(text: str) -> set[str]:
    """Every title of :data:`TITLES` that ``text`` holds, with "foreign minister" for a minister
    for foreign affairs."""
    words = tokens(text)
    found: set[str] = set()
    for i in range(len(words)):
        size = _phrase_at(words, i, _TITLE_TABLE)
        if size:
            found.add(" ".join(t.low for t in words[i : i + size]))
    if found & {"minister for foreign affairs", "minister of foreign affairs"}:
        found.add("foreign minister")
    if found & {"minister of national defense"}:
        found.add("defense minister")
    return found


class Cast:
    """The speakers a readout can name: names and aliases matched on tokens, roles, groups.

    ``gazetteer`` (an :class:`~readout_annotations.officeholders.Gazetteer`, optional) and ``on``
    (the readout's date) let :func:`discover` identify a person the readout introduces as a
    known office-holder (cold start)."""

    def __init__(self, participants: Iterable[Participant] = (), gazetteer=None, on=None) -> None:
        self.participants: list[Participant] = []
        self._names: dict[str, list[tuple[tuple[str, ...], Participant]]] = {}
        self._cjk: dict[str, list[tuple[str, Participant]]] = {}
        self._wikidata: dict[str, Participant] = {}
        self.gazetteer = gazetteer
        self.on = on
        for participant in participants:
            self.add(participant)

    def add(self, participant: Participant) -> Participant:
        self.participants.append(participant)
        if participant.wikidata_id:
            self._wikidata.setdefault(participant.wikidata_id, participant)
        participant.roles |= _roles_of(participant.title)
        for alias in (participant.name, *participant.aliases):
            self.add_name(alias, participant)
        return participant

    def add_name(self, name: str, participant: Participant) -> None:
        if is_cjk(name):
            name = "".join(name.split())
            options = self._cjk.setdefault(name[0], [])
            options.append((name, participant))
            options.sort(key=lambda option: len(option[0]), reverse=True)
            return
        words = tokens(name)
        if not words:
            return
        size = _phrase_at(words, 0, _TITLE_TABLE)
        if size and len(words) > size:  # "Secretary Blinken": a role of the speaker
            participant.roles.add(" ".join(t.low for t in words[:size]))
        key = tuple(t.low for t in words)
        if participant.key is None and name != participant.name and name not in participant.aliases:
            participant.aliases.append(name)
        options = self._names.setdefault(key[0], [])
        if (key, participant) not in options:
            options.append((key, participant))
            options.sort(key=lambda option: len(option[0]), reverse=True)

    def name_at(self, words: Sequence[Token], i: int) -> tuple[int, Participant | None]:
        """The longest known name at ``words[i]``: (number of tokens, participant)."""
        options = self._names.get(words[i].low)
        if not options:  # most words start no known name
            return 0, None
        for key, participant in options:
            if tuple(t.low for t in words[i : i + len(key)]) == key and (
                len(key) > 1 or words[i].capital or not key[0].isalpha()
            ):
                return len(key), participant
        return 0, None

    def cjk_name_at(self, text: str, i: int) -> tuple[int, Participant | None]:
        for name, participant in self._cjk.get(text[i], ()):
            if text.startswith(name, i):
                return len(name), participant
        return 0, None

    def by_wikidata(self, wikidata_id: str) -> Participant | None:
        """The participant with this Wikidata id, or None."""
        return self._wikidata.get(wikidata_id) if wikidata_id else None

    def find(self, name: str) -> Participant | None:
        """The participant ``name`` (or a CJK name) names exactly, or None."""
        if is_cjk(name):
            size, found = self.cjk_name_at(name, 0) if name else (0, None)
            return found if size == len(name) else None
        words = tokens(name)
        if not words:
            return None
        size, found = self.name_at(words, 0)
        return found if size == len(words) else None

    def by_surname(self, word: str) -> Participant | None:
        """The one person whose name has ``word`` as its first or last word, or None."""
        found = {
            p
            for p in self.participants
            if p.kind == "person"
            and word.casefold() in {w.casefold() for w in p.name.split()[:1] + p.name.split()[-1:]}
        }
        return found.pop() if len(found) == 1 else None

    def group(self, members: Iterable[Participant]) -> Participant | None:
        """The group speaker of exactly ``members``: a known one, else a new one."""
        members = tuple(dict.fromkeys(members))
        if len(members) < 2 or any(m.kind != "person" for m in members):
            return None
        wanted = set(members)
        for participant in self.participants:
            if participant.kind == "group" and set(participant.members) == wanted:
                return participant
        name = " and ".join(m.name for m in members)
        group = Participant(name=name, kind="group", members=members)
        group.family_name = "-".join(_slugify(m.surname()) for m in members)
        return self.add(group)


@dataclass(frozen=True)
class Mention:
    """A name of a known speaker in a text: code point offsets and the speaker's key."""

    start: int
    end: int
    speaker: object


@dataclass(frozen=True)
class NameCueMatch:
    """Where "name [adverbs] cue" stands in a text, shaped like a regex match: ``group``,
    ``start`` and ``end`` of ``"name"`` and ``"cue"`` (code points)."""

    text: str
    spans: dict

    def group(self, name: str) -> str:
        start, end = self.spans[name]
        return self.text[start:end]

    def start(self, name: str) -> int:
        return self.spans[name][0]

    def end(self, name: str) -> int:
        return self.spans[name][1]


class AliasIndex:
    """Known speakers' names and aliases, matched as whole words, for code outside the pipeline
    (the export formats mark where a statement names its speaker).

    ``speakers`` gives ``(key, names, is_person)`` triples; the key (a slug, a primary key, a
    ``Speaker``) is what mentions carry. Matching is on tokens, case-insensitive, in linear time.
    """

    def __init__(self, speakers: Iterable[tuple[object, Iterable[str], bool]]) -> None:
        self._cast = Cast()
        self._keys: dict[int, object] = {}
        for key, names, is_person in speakers:
            names = [n for n in names if isinstance(n, str) and n.strip()]
            if not names:
                continue
            participant = Participant(name=names[0], kind="person" if is_person else "group", key=key)
            self._keys[id(participant)] = key
            self._cast.participants.append(participant)
            for name in names:
                self._cast.add_name(name, participant)

    @classmethod
    def from_speakers(cls, speakers: Iterable, key=lambda speaker: speaker) -> AliasIndex:
        """Build from ``Speaker`` instances (name plus aliases)."""
        return cls(
            (key(s), [s.name, *[a for a in (s.aliases or []) if isinstance(a, str)]], s.kind == "person")
            for s in speakers
        )

    def resolve(self, name: str) -> object | None:
        """The key of the speaker a name stands for, or None."""
        found = self._cast.find(" ".join(name.split()))
        return None if found is None else found.key

    def mentions(self, text: str) -> list[Mention]:
        """Every name of a known speaker in ``text``, in order."""
        words = tokens(text)
        found, i = [], 0
        while i < len(words):
            size, participant = self._cast.name_at(words, i)
            if size:
                found.append(Mention(words[i].start, words[i + size - 1].end, participant.key))
                i += size
            else:
                i += 1
        return found

    def explicit(self, text: str) -> NameCueMatch | None:
        """The first "name [adverbs] cue" in ``text``, or None."""
        words = tokens(text)
        i = 0
        while i < len(words):
            size, _participant = self._cast.name_at(words, i)
            if not size:
                i += 1
                continue
            j = i + size
            while j < len(words) and (
                words[j].low in _ADVERBS
                or (words[j].low.endswith("ly") and words[j].text.islower())
                or words[j].text == ","
            ):
                j += 1
            cue = _phrase_at(words, j, _CUE_TABLE)
            if cue:
                spans = {
                    "name": (words[i].start, words[i + size - 1].end),
                    "cue": (words[j].start, words[j + cue - 1].end),
                }
                return NameCueMatch(text, spans)
            i += size
        return None


# --------------------------------------------------------------------------- discovery


def _name_words(words: Sequence[Token], i: int, limit: int = 4) -> int:
    """How many tokens from ``words[i]`` make a personal name: capitalized words, initials
    ("J."), a generational suffix ("III"); at most ``limit`` words."""
    j = i
    count = 0
    while j < len(words) and count < limit:
        word = words[j]
        if not (word.capital and word.text.isalpha()):
            break
        if len(word.text) == 1 and j + 1 < len(words) and words[j + 1].text == ".":
            j += 2  # an initial
            count += 1
            continue
        if _phrase_at(words, j, _TITLE_TABLE) or (word.low in _ORGANIZATION_HEADS and count):
            break
        j += 1
        count += 1
    while j > i and words[j - 1].text == ".":
        j -= 1
    return j - i if count else 0


def _clean_name(words: Sequence[Token]) -> tuple[str, str, str]:
    """(name without initials and suffixes, the full name as written, family name if marked)."""
    full = " ".join(t.text for t in words if t.text != ".")
    parts = []
    family = ""
    for index, word in enumerate(words):
        text = word.text
        if text == "." or (len(text) == 1 and index + 1 < len(words) and words[index + 1].text == "."):
            continue
        if text.casefold() in _SUFFIXES:
            continue
        if text.isupper() and len(text) > 1:  # "KAMIKAWA Yoko": the family name in capitals
            text = text.capitalize()
            family = text
        parts.append(text)
    return " ".join(parts), full.replace(" .", "."), family


def _span(text: str, words: Sequence[Token], i: int, j: int) -> str:
    return text[words[i].start : words[j - 1].end] if j > i else ""


def discover(
    texts: Iterable[str], cast: Cast, *, tokenized: Sequence[Sequence[Token]] | None = None
) -> list[Participant]:
    """Find the persons ``texts`` introduce with a title or an appositive and add those that
    match no participant of ``cast`` to it. Returns the new participants, in order.

    ``tokenized``, when given, holds ``tokens(text)`` of each text, in the same order (a caller
    that also calls :func:`propose` tokenizes each text once)."""
    new: list[Participant] = []
    for index, text in enumerate(texts):
        if len(text) > MAX_SENTENCE:
            continue
        if is_cjk(text):
            new += _discover_cjk(text, cast)
            continue
        words = tokens(text) if tokenized is None else tokenized[index]
        i = 0
        while i < len(words):
            size, found = cast.name_at(words, i)
            if found is not None and size > 1:
                i += size
                continue
            title_start = i
            title_size = _title_at(words, i)
            if not title_size:
                # An untitled name with an appositive title: "Wang Yi, director of ..."
                size = _name_words(words, i)
                if (
                    size >= 2
                    and i + size + 1 < len(words)
                    and words[i + size].text == ","
                    and _title_at(words, i + size + 1)
                ):
                    role_size = _title_at(words, i + size + 1)
                    affiliation = _of_phrase(text, words, i + size + 1 + role_size)
                    role = _span(text, words, i + size + 1, i + size + 1 + role_size)
                    new += _introduce(cast, words[i : i + size], role, affiliation)
                    i += size
                else:
                    i += max(size, 1)
                continue
            j = i + title_size
            # "Secretary of State ...", "President of the Russian Federation ...": the name is
            # the last two capitalized words of the run after "of".
            if j < len(words) and words[j].low in {"of", "for"}:
                k = j + 1
                while k < len(words) and (words[k].capital or words[k].low in {"of", "the", "'s", "(", ")"}):
                    k += 1
                run = [t for t in range(j + 1, k) if words[t].capital and words[t].text.isalpha()]
                if len(run) < 3:
                    i = j
                    continue
                name_start = run[-2] if words[run[-1]].low not in _SUFFIXES else run[-3]
                if name_start > 0 and words[name_start - 1].text == "." and len(words[run[-2]].text) == 1:
                    name_start = run[-3]
                size = _name_words(words, name_start)
                affiliation = _span(text, words, j + 1, name_start)
                role = _span(text, words, title_start, j)
                new += _introduce(cast, words[name_start : name_start + size], role, affiliation)
                i = name_start + max(size, 1)
                continue
            size = _name_words(words, j)
            if not size:
                i = j
                continue
            role = _span(text, words, title_start, j)
            affiliation = _demonyms_before(words, title_start) or _of_phrase(text, words, j + size)
            if j + size < len(words) and words[j + size].text == ",":
                k = j + size + 1
                role_size = _title_at(words, k)
                if role_size:
                    role += " " + _span(text, words, k, k + role_size)
                    affiliation = affiliation or _of_phrase(text, words, k + role_size)
            new += _introduce(cast, words[j : j + size], role, affiliation)
            i = j + size
        new += _discover_sources(text, words, cast)
    return new


def _title_at(words: Sequence[Token], i: int) -> int:
    """Tokens of a title (with honorifics "Mr.", "H.E.") at ``words[i]``, or 0."""
    j = i
    while j < len(words):
        if words[j].low in _HONORIFICS and j + 1 < len(words) and words[j + 1].text == ".":
            j += 2
            continue
        if words[j].low == "h" and j + 3 < len(words) and words[j + 2].low == "e":  # "H.E."
            j += 4
            continue
        size = _phrase_at(words, j, _TITLE_TABLE)
        if not size:
            break
        j += size
    return j - i


def _demonyms_before(words: Sequence[Token], i: int) -> str:
    """The country a demonym or country name just before a title gives: "Chinese", "U.S."."""
    k = i
    while k > 0 and (words[k - 1].capital or words[k - 1].text in {".", "'", "’", "and"}):
        k -= 1
    while k < i and words[k].low == "and":
        k += 1
    chunk = "".join(t.text if t.text == "." else " " + t.text for t in words[k:i]).strip()
    chunk = chunk.replace(" .", ".")
    for word in words[k:i]:
        if word.low in DEMONYMS and word.low not in {"us", "uk"}:
            return DEMONYMS[word.low].title()
    low = chunk.casefold().rstrip(".")
    squeezed = low.replace(" ", "")
    for demonym, country in DEMONYMS.items():
        if low == demonym or low.endswith(" " + demonym) or squeezed == demonym:
            return country.title()
    return chunk


def _of_phrase(text: str, words: Sequence[Token], i: int) -> str:
    """The capitalized phrase of "of Japan", "of the People's Republic of China" at ``i``."""
    if i >= len(words) or words[i].low != "of":
        return ""
    k = i + 1
    while k < len(words) and (words[k].capital or words[k].low in {"of", "the", "'", "\u2019", "s"}):
        k += 1
    return _span(text, words, i + 1, k).removeprefix("the ")


def _introduce(cast: Cast, name_words: Sequence[Token], role: str, affiliation: str) -> list[Participant]:
    """Add a person introduced as ``role`` + name to ``cast`` unless it is known; returns it
    in a list when it is new."""
    if not name_words:
        return []
    name, full, family = _clean_name(name_words)
    titled = f"{role} {full}".strip()
    for candidate in (titled, full, name):
        known = cast.find(candidate)
        if known is not None:
            known.roles |= _roles_of(role)  # the title it holds in this readout
            return []
    if len(name.split()) == 1:
        known = cast.by_surname(name)
        if known is not None:
            known.roles |= _roles_of(role)
            return []
    roles = _roles_of(role)
    if not roles and not role:
        return []
    if any(t.low in _NOT_NAMES for t in name_words):
        return []
    if cast.gazetteer is not None:
        entry = cast.gazetteer.match(name, title=role, country=affiliation, on=cast.on)
        if entry is not None:
            return _officeholder(cast, entry, name, [full, titled], role)
    if len(name.split()) > 1:
        # "Foreign Minister Baerbock" first, "Annalena Baerbock" later: one new person.
        known = cast.by_surname(name.split()[-1]) or cast.by_surname(name.split()[0])
        if known is not None and known.key is None and len(known.name.split()) == 1:
            known.aliases.append(known.name)
            known.name = name
            cast.add_name(name, known)
            cast.add_name(full, known)
            return []
    person = Participant(
        name=name,
        title=" ".join(t for t in role.split() if t.casefold().rstrip(".") not in _HONORIFICS),
        affiliation=affiliation,
        aliases=[a for a in dict.fromkeys([full, titled]) if a != name],
        family_name=family,
    )
    cast.add(person)
    if len(name.split()) > 1:
        # The family name alone: "Xi", "Wang", "Kamikawa", "Blinken".
        cast.add_name(family or person.surname().split()[0], person)
    return [person]


def _officeholder(cast: Cast, entry, written: str, forms: Sequence[str], role: str) -> list[Participant]:
    """Add the gazetteer's person ``entry``, named ``written`` in the text (and ``forms``:
    the name as written, with its title), to ``cast``; returns it in a list when it is new.

    A participant that has one of the entry's names or its Wikidata id is that person: it
    keeps its name and learns the readout's forms. Else the new participant takes the entry's
    canonical name (in the readout's word order when the readout writes the same words:
    "KAMIKAWA Yoko"), the office held on the readout's date (else the latest) as title and
    affiliation, and every name of the entry as aliases.
    """

    known = next((p for p in map(cast.find, entry.names) if p is not None), None) or cast.by_wikidata(entry.wikidata)
    if known is not None:
        known.roles |= _roles_of(role)
        for form in forms:
            if form and cast.find(form) is None:
                cast.add_name(form, known)
        return []
    name = entry.name
    if " " in written and sorted(officeholders.name_key(written).split()) == sorted(
        officeholders.name_key(name).split()
    ):
        name = written
    wanted = officeholders.roles(role)
    former = "former" in role.casefold().split()
    office = next(
        (o for o in entry.offices if officeholders.compatible(o, wanted, "", cast.on, former)),
        None,
    ) or entry.office_on(cast.on)
    title = " ".join(t for t in role.split() if t.casefold().rstrip(".") not in _HONORIFICS)
    if office is not None and (not title or wanted & office.roles):
        ended = cast.on is not None and office.end is not None and office.end < cast.on
        title = f"former {office.title}" if ended else office.title
    affiliation = office.country if office is not None else ""
    chinese = affiliation == "China"
    person = Participant(
        name=name,
        title=title,
        affiliation=affiliation,
        aliases=[a for a in dict.fromkeys([*entry.names, *forms, written]) if a and a != name],
        family_name=name if chinese else entry.family_name,
        wikidata_id=entry.wikidata,
        rule="gazetteer",
    )
    cast.add(person)
    # The family name alone, as the entry and as the readout spell it ("Butkevičius", "Butkevicius").
    family = name.split()[0] if chinese else entry.family_name
    key = officeholders.name_key(family)
    spellings = [family, *(w for w in name.split() if officeholders.name_key(w) == key)]
    for spelling in dict.fromkeys([*spellings, officeholders.plain(family)]):
        if " " in name and key not in _WORD_NAMES and cast.find(spelling) is None:
            cast.add_name(spelling, person)
    return [person]


#: Capitalized words that are parts of institutions, not of personal names.
_NOT_NAMES = frozenset(
    [
        "committee",
        "party",
        "republic",
        "federation",
        "union",
        "nations",
        "bureau",
        "commission",
        "office",
        "council",
        "ministry",
        "department",
        "affairs",
        "state",
        "states",
        "government",
        "kingdom",
        "house",
        "street",
    ]
)


def _discover_sources(text: str, words: Sequence[Token], cast: Cast) -> list[Participant]:
    """Organizations that speak as a source: "Downing Street said", "the White House said",
    "according to a readout ... provided by a Downing Street spokesperson"."""
    new = []
    for i, word in enumerate(words):
        if word.low not in _ORGANIZATION_HEADS or not word.capital:
            continue
        k = i
        while k > 0 and words[k - 1].capital and words[k - 1].text.isalpha() and not _title_at(words, k - 1):
            k -= 1
        if (k == i and words[k - 1].low != "the" if k else True) and k == i:
            continue
        name = _span(text, words, k, i + 1)
        nxt = words[i + 1].low if i + 1 < len(words) else ""
        if not (_phrase_at(words, i + 1, _CUE_TABLE) or nxt in {"spokesperson", "spokesman", "spokeswoman"}):
            continue
        if cast.find(name) is None:
            org = Participant(name=name, kind="organization")
            cast.add(org)
            new.append(org)
    return new


def _discover_cjk(text: str, cast: Cast) -> list[Participant]:
    """In Chinese, a name of two to four ideographs that opens a sentence before a cue."""
    new = []
    for sentence in _cjk_sentences(text):
        size, _found = cast.cjk_name_at(sentence, 0) if sentence else (0, None)
        if size:
            continue
        for length in (2, 3, 4):
            name = sentence[:length]
            if len(name) < length or not all(_is_han(c) for c in name):
                break
            if _cjk_cue_at(sentence, length):
                if any(group.startswith(name) for group in CJK_GROUPS):
                    break
                entry = cast.gazetteer.match(name, on=cast.on) if cast.gazetteer is not None else None
                if entry is not None:
                    new += _officeholder(cast, entry, name, [name], "")
                    break
                person = Participant(name=romanize(name), aliases=[name])
                surname = person.name.split()[0] if " " in person.name else ""
                person.family_name = person.name if surname else ""
                cast.add(person)
                new.append(person)
                break
    return new


def _is_han(char: str) -> bool:
    return unicodedata.category(char) == "Lo" and officeholders.HAN_RE.match(char) is not None


def _cjk_sentences(text: str) -> list[str]:
    parts, start = [], 0
    for index, char in enumerate(text):
        if char in "。！？\n":
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _cjk_cue_at(text: str, i: int) -> str:
    """The Chinese cue at ``text[i]`` (after allowed adverbs), or ""."""
    moved = True
    while moved:
        moved = False
        for adverb in CJK_CUE_ADVERBS:
            if text.startswith(adverb, i):
                i += len(adverb)
                moved = True
                break
    for cue in CJK_CUES:
        if text.startswith(cue, i):
            return cue
    return ""


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Sentence:
    """One statement as the rules see it."""

    paragraph: int
    text: str


@dataclass(frozen=True)
class Proposal:
    """A proposed reading: ``speaker`` is a :class:`Participant` (or its ``key``) or None;
    ``rule`` the id of the rule that decided it (every proposal has one: it is the annotator's
    "why"), ``frame`` the words of its reporting frame, if any."""

    speaker: object | None
    attribution: str
    mode: str
    cue: str
    rule: str
    frame: str = ""

    @property
    def note(self) -> str:
        """``rule: <rule id>; frame: '<the words of the frame>'``, the frame as the text writes it
        (a non-breaking space stays one, never a Python escape such as ``\\xa0``)."""
        return f"rule: {self.rule}; frame: '{self.frame}'" if self.frame else f"rule: {self.rule}"


@dataclass
class Frame:
    """A reporting frame found in a sentence: who (a participant, a pronoun or a source) and
    the cue, with offsets."""

    kind: str  # "speaker", "pronoun", "source"
    speaker: Participant | None
    cue: str
    start: int  # start of the frame (subject or cue) in the sentence
    end: int  # end of the frame
    cue_end: int
    rule: str
    pronoun: str = ""


@dataclass
class _Context:
    """What the rules remember while reading a readout, sentence after sentence."""

    cast: Cast
    persons: list[Participant] = field(default_factory=list)  # introduced so far, in order
    recent: list[Participant] = field(default_factory=list)  # persons named, latest last
    latest: Participant | None = None  # the latest speaker of reported speech
    principal: Participant | None = None

    def named(self, participant: Participant | None) -> None:
        if participant is None:
            return
        if participant.kind == "group":
            for member in participant.members:
                self.named(member)
            return
        if participant.kind != "person":
            return
        if participant not in self.persons:
            self.persons.append(participant)
        if participant in self.recent:
            self.recent.remove(participant)
        self.recent.append(participant)

    def pair(self) -> Participant | None:
        """The meeting's group: the two persons named last, in the order the readout
        introduced them."""
        if len(self.recent) < 2:
            return None
        return self.cast.group(sorted(self.recent[-2:], key=self.persons.index))


def _quote_mask(text: str, open_at_start: bool) -> tuple[list[tuple[int, int]], bool]:
    """Quoted spans of ``text`` ((start, end) code points, quote marks included) and whether a
    quotation is still open at its end. Straight double quotes toggle."""
    spans = []
    # A quotation that runs on into a new paragraph opens it again with a quote mark.
    inside = open_at_start and text[:1] not in _OPEN_QUOTES + '"'
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            if inside:
                spans.append((start, index + 1))
            else:
                start = index
            inside = not inside
        elif char in _OPEN_QUOTES and not inside:
            start, inside = index, True
        elif char in _CLOSE_QUOTES and inside:
            spans.append((start, index + 1))
            inside = False
    if inside:
        spans.append((start, len(text)))
    return [span for span in spans if _is_speech(text[span[0] : span[1]])], inside


def _is_speech(quoted: str) -> bool:
    """Quoted words, not a quoted name: "16+1", "Mutually Beneficial Relationship" are names."""
    words = [t for t in tokens(quoted) if t.text.isalpha()]
    lower = [t for t in words if t.text.islower() and len(t.text) > 3]
    return bool(words) and len(lower) * 2 >= len([t for t in words if len(t.text) > 3])


def _inside(spans: Sequence[tuple[int, int]], position: int) -> bool:
    return any(start <= position < end for start, end in spans)


def _subject_before(words: Sequence[Token], i: int, context: _Context, text: str):
    """The subject of a cue at ``words[i]``: (participant or None, kind, start, pronoun)."""
    j = i - 1
    while j >= 0 and (words[j].low in _ADVERBS or (words[j].low.endswith("ly") and words[j].text.islower())):
        j -= 1
    if j >= 0 and words[j].text in _OPEN_QUOTES + '"':
        j -= 1  # Biden and Johnson “agreed ...
    if j >= 0 and words[j].text == ",":
        # An appositive: "Wang, also a member of ..., said"; "The leaders, the statement added,"
        k = j - 1
        while k >= 0 and words[k].text != "," and j - k < 40:
            k -= 1
        if k >= 0 and words[k].text == ",":
            found = _subject_ending(words, k - 1, context, text)
            if found[1]:
                return found
        return None, "", 0, ""
    return _subject_ending(words, j, context, text)


def _subject_ending(words: Sequence[Token], j: int, context: _Context, text: str):
    """The mention ending at ``words[j]`` (inclusive)."""
    if j < 0:
        return None, "", 0, ""
    low = words[j].low
    if low == "it":
        return None, "source", words[j].start, ""
    if low in _PRONOUNS and (j == 0 or words[j - 1].low not in {"and", "that"} or low == "they"):
        return None, "pronoun", words[j].start, low
    if low == "and" and j > 0:
        # "X discussed ... and agreed ...": the verbs share the subject that opens the sentence
        found = _mention_at(words, 0, context, text)
        if found is not None and found[1] is not None and found[2] == "speaker" and found[0] < j:
            if found[0] < len(words) and words[found[0]].low == "and":
                other = _mention_at(words, found[0] + 1, context, text)
                if other is not None and other[1] is not None:
                    group = context.cast.group([*_persons(found[1]), *_persons(other[1])])
                    return group, "speaker", words[0].start, ""
            return found[1], "speaker", words[0].start, ""
        return None, "", 0, ""
    # Walk back to the longest mention that ends at j.
    names = context.cast._names
    for start in range(max(0, j - 12), j + 1):
        word = words[start]
        if not (word.capital or word.low in names or word.low in _GROUP_TABLE or word.low in _ARTICLES):
            continue  # no mention starts here (the cases of _mention_at), without the call
        found = _mention_at(words, start, context, text)
        if found is not None and found[0] == j + 1:
            _end, participant, kind = found
            # "X and Y": a joint subject
            if start >= 2 and words[start - 1].low == "and":
                for first in range(max(0, start - 13), start - 1):
                    earlier = _mention_at(words, first, context, text)
                    if earlier is not None and earlier[0] == start - 1 and earlier[1] is not None and participant:
                        group = context.cast.group([*_persons(earlier[1]), *_persons(participant)])
                        return group, "speaker", words[first].start, ""
            return participant, kind, words[start].start, ""
    return None, "", 0, ""


def _persons(participant: Participant) -> tuple[Participant, ...]:
    return participant.members if participant.kind == "group" else (participant,)


_ARTICLES = frozenset({"the", "a", "an"})


def _mention_at(words: Sequence[Token], i: int, context: _Context, text: str):
    """A mention starting at ``words[i]``: (end token index, participant or None, kind) or None.

    kind: "speaker" (a name, a role, a group phrase), "source" (a statement, state media)."""
    size, participant = context.cast.name_at(words, i)
    if not size and words[i].capital:
        # A title or a demonym before a known name: "Secretary Blinken", "Chinese Premier Li Keqiang"
        j = i + (1 if words[i].low in DEMONYMS else 0)
        j += _title_at(words, j)
        if j > i and j < len(words):
            size, participant = context.cast.name_at(words, j)
            size = size and size + j - i
    if size:
        return i + size, participant, "speaker" if participant.kind != "organization" else "source-named"
    size = _phrase_at(words, i, _GROUP_TABLE)
    if size:
        return i + size, context.pair(), "speaker"
    if words[i].low in _ARTICLES:
        j = i + 1
        while j < len(words) and words[j].low == "former":
            j += 1
        demonym = ""
        if j < len(words) and words[j].low in DEMONYMS and words[j].capital:
            demonym = DEMONYMS[words[j].low]
            j += 1
        elif j + 3 < len(words) and words[j].low in {"u", "us"} and words[j + 1].text == ".":
            j += 4 if words[j + 2].low == "s" else 0
            demonym = "united states"
        size = _phrase_at(words, j, _TITLE_TABLE)
        if size:
            after = words[j + size] if j + size < len(words) else None
            if after is not None and (after.capital or after.low == "of"):
                return None
            role = " ".join(t.low for t in words[j : j + size])
            return j + size, _role(role, demonym, context), "speaker"
        if j < len(words) and words[j].low in _SOURCE_NOUNS:
            return j + 1, None, "source"
        if j + 1 < len(words) and words[j + 1].low in _SOURCE_NOUNS:
            return j + 2, None, "source"
    return None


def _role(role: str, demonym: str, context: _Context) -> Participant | None:
    """The one person introduced so far who holds ``role`` (and ``demonym``'s country)."""
    role = role.replace("-", " ")
    found = []
    for person in context.persons:
        for held in person.roles:
            held = held.replace("-", " ")
            if (
                held == role
                or held.startswith((role + " of ", role + " for "))
                or (held.endswith(" " + role) and not held.startswith(("vice ", "deputy ")))
            ):
                break
        else:
            continue
        if demonym and demonym not in f"{person.affiliation} {person.title}".casefold():
            continue
        found.append(person)
    return found[0] if len(found) == 1 else None


def _frames(text: str, words: Sequence[Token], context: _Context) -> list[Frame]:
    """Every reporting frame of a sentence, in order of their cues."""
    frames = []
    for i, word in enumerate(words):
        if word.low not in _CUE_TABLE:
            continue  # the common case, without the call
        size = _phrase_at(words, i, _CUE_TABLE)
        if not size:
            continue
        cue = " ".join(t.text for t in words[i : i + size])
        cue_low = cue.casefold()
        nxt = words[i + size] if i + size < len(words) else None
        if cue_low in _WEAK_CUES and not (nxt is not None and (nxt.text in ':,"' + _OPEN_QUOTES or nxt.low == "that")):
            continue
        if cue_low == "saying" and i > 0 and words[i - 1].low == "as" and i > 2 and words[i - 2].low == "quoted":
            continue
        if cue_low == "saying":
            continue  # a participle: handled with the act it follows
        participant, kind, start, pronoun = _subject_before(words, i, context, text)
        cue_end = words[i + size - 1].end
        if kind:
            frames.append(_frame(kind, participant, cue, start, cue_end, pronoun, "frame-before"))
            continue
        # Inverted: ", said Xi", "," said the statement, "...," he added.
        if i > 0 and (words[i - 1].text in ',"' + _CLOSE_QUOTES) and nxt is not None:
            found = _mention_at(words, i + size, context, text)
            if found is not None:
                end, participant, kind = found
                frames.append(_frame(kind, participant, cue, word.start, words[end - 1].end, "", "frame-after-clause"))
    # "According to X, ...": a source
    for i in range(len(words) - 1):
        if words[i].low == "according" and words[i + 1].low == "to":
            j = i + 2
            named = None
            while j < len(words) and words[j].text not in ",.":
                size, participant = context.cast.name_at(words, j)
                if size and participant.kind == "organization":
                    named = participant
                j += max(size, 1)
            frames.append(
                Frame(
                    "source-named" if named else "source",
                    named,
                    "according to",
                    words[i].start,
                    words[j - 1].end,
                    words[i + 1].end,
                    "according-to",
                )
            )
    frames.sort(key=lambda frame: frame.start)
    return frames


def _frame(kind, participant, cue, start, cue_end, pronoun, rule) -> Frame:
    return Frame(kind, participant, cue, start, cue_end, cue_end, rule, pronoun)


def _participle_frame(text: str, words: Sequence[Token], context: _Context) -> Frame | None:
    """ "X held talks with Y, calling for ...": the participle makes the sentence X's speech."""
    for i in range(1, len(words)):
        if words[i - 1].text != ",":
            continue
        size = _phrase_at(words, i, _PARTICIPLE_TABLE)
        if not size:
            continue
        found = None
        for start in range(min(i, 6)):  # the subject opens the sentence: "Chinese Premier Li Keqiang"
            found = _mention_at(words, start, context, text)
            if found is not None or not words[start].capital:
                break
        if found is None or found[1] is None or found[2] != "speaker":
            return None
        cue = " ".join(t.text for t in words[i : i + size])
        return Frame(
            "speaker", found[1], cue, 0, words[i + size - 1].end, words[i + size - 1].end, "participle-after-act"
        )
    return None


def _first_person(text: str) -> bool:
    if any(mark in text for mark in _CJK_FIRST_PERSON):
        return True
    # The tokens' texts alone (no Token objects): this runs on every continued statement.
    return any(m.group() in {"I", "we", "We"} for m in _TOKEN_RE.finditer(text))


def _direct_quote(text: str, spans, frame: Frame, words: Sequence[Token]) -> bool:
    """A quotation framed only by its frame: it opens the sentence or follows the cue."""
    outside = []
    last = 0
    for start, end in spans:
        outside.append(text[last:start])
        last = end
    outside.append(text[last:])
    rest = " ".join(outside)
    rest_words = tokens(rest)
    for i, word in enumerate(rest_words):
        if (
            word.low == "that"
            and i > 0
            and (_phrase_at(rest_words, i - 1, _CUE_TABLE) or rest_words[i - 1].low in {"adding", "saying", "noting"})
        ):
            return False
        if word.low in {"adding", "saying", "noting"} and i + 1 < len(rest_words) and rest_words[i + 1].low == "that":
            return False
    first = spans[0][0]
    lead = text[:first].strip()
    if not lead or lead.rstrip(".").isdigit():
        return True
    if first >= frame.cue_end:
        between = text[frame.cue_end : first]
        between_words = [t for t in tokens(between) if t.text not in ":,"]
        if len(between_words) <= 2 and all(t.capital for t in between_words):
            return True  # "told Burns:"
    return False


def _mode(text: str, frame: Frame | None, spans, words: Sequence[Token]) -> str:
    if spans and frame is not None:
        if _inside(spans, frame.start) and _inside(spans, max(frame.cue_end - 1, 0)):
            return (
                "mixed" if _first_person(text[frame.cue_end :]) and not frame.kind.startswith("source") else "indirect"
            )
        return "direct" if _direct_quote(text, spans, frame, words) else "mixed"
    if spans:
        return "direct"
    rest = text[frame.cue_end :] if frame is not None else text
    return "mixed" if _first_person(rest) else "indirect"


def _act_of(words: Sequence[Token], current: Participant | None, context: _Context, text: str) -> bool:
    """A sentence that narrates an act of the current speaker or of "they": "They discussed ..."."""
    if not words:
        return False
    if words[0].low in {"they", "he", "she"}:
        return _act_verb_at(words, 1)
    found = _mention_at(words, 0, context, text)
    if found is None or found[1] is None:
        return False
    subject = found[1]
    if current is None or not (subject is current or current in _persons(subject) or subject in _persons(current)):
        return False
    end = found[0]
    if end < len(words) and words[end].low == "and":  # "The Vice President and former Prime Minister"
        end = next(
            (
                k
                for k in range(end + 1, min(len(words), end + 8))
                if words[k].text.islower() and words[k].low not in {"the", "former", "and"}
            ),
            end,
        )
    return _act_verb_at(words, end)


#: Past tenses of acts that do not end in "-ed".
_IRREGULAR_ACTS = frozenset(
    [
        "met",
        "held",
        "spoke",
        "took",
        "made",
        "had",
        "went",
        "gave",
        "came",
        "left",
        "saw",
        "began",
        "sent",
        "paid",
        "flew",
        "sat",
    ]
)


def _act_verb_at(words: Sequence[Token], i: int) -> bool:
    """A past-tense verb that is no cue at ``words[i]`` (after adverbs): an act."""
    while i < len(words) and words[i].low in _ADVERBS:
        i += 1
    if i >= len(words) or _phrase_at(words, i, _CUE_TABLE):
        return False
    word = words[i].low
    return word in _IRREGULAR_ACTS or (word.endswith("ed") and words[i].text.islower())


def read_readout(sentences: Sequence[Sentence], cast: Cast, *, title: str = "", language: str = "") -> list[Proposal]:
    """Discover a readout's participants into ``cast`` (from its title and sentences), then
    propose a reading of each sentence: the one sequence the proposer and the dev-set scorer
    (``devset``) run. Each sentence is tokenized once for both steps."""
    tokenized = [tokens(s.text) if len(s.text) <= MAX_SENTENCE else [] for s in sentences]
    discover([title, *(s.text for s in sentences)], cast, tokenized=[tokens(title), *tokenized])
    return propose(sentences, cast, title=title, language=language, tokenized=tokenized)


def propose(
    sentences: Sequence[Sentence],
    cast: Cast,
    title: str = "",
    language: str = "",
    *,
    tokenized: Sequence[Sequence[Token]] | None = None,
) -> list[Proposal]:
    """One :class:`Proposal` per sentence (speakers are :class:`Participant` objects). Chinese
    rules apply when ``language`` is ``zh`` (any ``zh-*`` tag) or the text is mostly CJK.

    ``tokenized``, when given, holds ``tokens(sentence.text)`` of each sentence, in order."""
    context = _Context(cast)
    overlong = {i for i, s in enumerate(sentences) if len(s.text) > MAX_SENTENCE}
    sentences = [Sentence(s.paragraph, "") if i in overlong else s for i, s in enumerate(sentences)]
    if title:
        _name_all(tokens(title), context, title, is_cjk(title))
    cjk = language.casefold().startswith("zh") or is_cjk("".join(s.text for s in sentences[:5]))
    all_words = [
        [] if i in overlong else tokens(sentence.text) if tokenized is None else tokenized[i]
        for i, sentence in enumerate(sentences)
    ]
    readings: list[tuple[Frame | None, list, bool, bool]] = []
    open_quote = False
    frames_by_sentence = []
    for sentence in sentences:
        words = all_words[len(frames_by_sentence)]
        started_inside = open_quote
        spans, open_quote = _quote_mask(sentence.text, open_quote)
        if cjk:
            frames = _cjk_frames(sentence.text, context)
        else:
            frames = _frames(sentence.text, words, context)
        frames_by_sentence.append((words, frames))
        readings.append((spans, started_inside))
        _name_all(words, context, sentence.text, cjk)
    # The host: the first person named with a cue, for cues without a subject.
    context.principal = next(
        (
            f.speaker
            for _w, frames in frames_by_sentence
            for f in frames
            if f.kind == "speaker" and f.speaker and f.speaker.kind == "person"
        ),
        None,
    )
    # Second pass, with the persons introduced in order.
    context.persons, context.recent = [], []
    if title:
        _name_all(tokens(title), context, title, is_cjk(title))
    proposals: list[Proposal] = []
    paragraph = None
    current: Participant | None = None
    quote_speaker: Participant | None = None
    for index, sentence in enumerate(sentences):
        text = sentence.text
        spans, started_inside = readings[index]
        words = all_words[index]
        frames = _cjk_frames(text, context) if cjk else _frames(text, words, context)
        if sentence.paragraph != paragraph:
            paragraph = sentence.paragraph
            carried = quote_speaker if started_inside else None
            current = None
        else:
            carried = None
        frame = _choose(frames, spans)
        proposal = Proposal(None, "narration", "", "", "overlong-sentence") if index in overlong else None
        if proposal is None and frame is None and not cjk:
            frame = _participle_frame(text, words, context)
        if proposal is None and frame is not None:
            proposal = _from_frame(frame, text, words, spans, context, current)
        if proposal is None and not cjk and (nameless := _nameless(words)) is not None:
            speaker = context.principal
            proposal = Proposal(
                speaker, "inferred", _mode(text, nameless, spans, words), nameless.cue, "nameless-cue", nameless.cue
            )
        if proposal is None and ((spans and spans[0][0] == 0) or started_inside) and not (False):
            if carried is not None:
                proposal = Proposal(carried, "inferred", "direct", "", "quotation-new-paragraph")
            elif current is not None:
                proposal = Proposal(current, "continued", "direct", "", "continued-quotation")
            else:
                later = _quote_frame_ahead(index, sentences, frames_by_sentence, readings, context)
                if later is not None:
                    proposal = Proposal(later, "inferred", "direct", "", "quotation-framed-later")
        if proposal is None and current is not None:
            if not cjk and _act_of(words, current, context, text):
                proposal = Proposal(None, "narration", "", "", "narrated-act")
            else:
                mode = "direct" if _first_person(text) and (cjk or _starts_first_person(words)) else "indirect"
                proposal = Proposal(current, "continued", mode, "", "continued")
        if proposal is None:
            proposal = Proposal(None, "narration", "", "", "no-frame")
        if proposal.attribution != "narration" and proposal.speaker is not None:
            current = proposal.speaker
            context.latest = proposal.speaker
            context.named(proposal.speaker)
        elif proposal.attribution == "narration":
            current = None
        if open_after(spans, text):
            quote_speaker = proposal.speaker or quote_speaker
        proposals.append(proposal)
        if proposal.attribution == "narration":
            _name_all(words, context, text, cjk)
        elif frame is not None and proposal.attribution != "continued":
            # Names in the frame count; names inside the reported speech do not.
            head = text[: frame.cue_end]
            _name_all([t for t in words if t.end <= frame.cue_end], context, head, cjk)
    return proposals


def open_after(spans, text: str) -> bool:
    return bool(spans) and spans[-1][1] == len(text) and text[-1:] not in _CLOSE_QUOTES + '"'


def _starts_first_person(words: Sequence[Token]) -> bool:
    return any(t.text in {"I", "We", "we"} for t in words)


def _name_all(words: Sequence[Token], context: _Context, text: str, cjk: bool) -> None:
    """Record every person named in a sentence (in order) as introduced and recent."""
    if cjk:
        i = 0
        while i < len(text):
            size, participant = context.cast.cjk_name_at(text, i)
            if size:
                context.named(participant)
                i += size
            else:
                i += 1
        return
    i = 0
    while i < len(words):
        size, participant = context.cast.name_at(words, i)
        if size:
            context.named(participant)
            i += size
        else:
            i += 1


def _choose(frames: Sequence[Frame], spans) -> Frame | None:
    """The frame that decides: a speaker frame outside quotations, else one inside, else a
    named source, else a pronoun-free source."""
    outside = [f for f in frames if not _inside(spans, f.start) and f.kind in {"speaker", "pronoun"}]
    inside = [f for f in frames if _inside(spans, f.start) and f.kind in {"speaker", "pronoun"}]
    sources = [f for f in frames if f.kind == "source-named"]
    for group in (outside, inside, sources):
        usable = [f for f in group if f.kind == "pronoun" or f.speaker is not None]
        if usable:
            return usable[0]
    return None


def _from_frame(frame, text, words, spans, context: _Context, current) -> Proposal | None:
    mode = _mode(text, frame, spans, words)
    shown = text[frame.start : frame.end]
    if frame.kind == "pronoun":
        speaker = _resolve_pronoun(frame, words, context, text)
        if speaker is None:
            return None
        return Proposal(speaker, "inferred", mode, frame.cue, "pronoun-" + frame.rule, shown)
    return Proposal(frame.speaker, "explicit", mode, frame.cue, frame.rule, shown)


def _resolve_pronoun(frame: Frame, words, context: _Context, text: str) -> Participant | None:
    if frame.pronoun == "they":
        latest = context.latest
        if latest is not None and latest.kind == "group":
            return latest
        return context.pair()
    if frame.pronoun == "it":
        return None
    # "he"/"she": a person named before it in this sentence, else the latest speaker.
    i = 0
    while i < len(words) and words[i].start < frame.start:
        size, participant = context.cast.name_at(words, i)
        if size and participant.kind == "person":
            return participant
        i += max(size, 1)
    if context.latest is not None and context.latest.kind == "person":
        return context.latest
    return context.recent[-1] if context.recent else None


def _nameless(words: Sequence[Token]) -> Frame | None:
    """A cue that opens the sentence with no subject: "pointed out that ...", where the source
    dropped the name."""
    i = 0
    while i < len(words) and not words[i].text.isalpha():
        i += 1
    while i < len(words) and words[i].low in _ADVERBS and words[i].text.islower():
        i += 1
    size = _phrase_at(words, i, _CUE_TABLE)
    if not size or not words[i].text.islower() or words[i].low in {"saying", "continued"}:
        return None
    cue = " ".join(t.text for t in words[i : i + size])
    end = words[i + size - 1].end
    return Frame("speaker", None, cue, words[i].start, end, end, "nameless-cue")


def _quote_frame_ahead(index, sentences, frames_by_sentence, readings, context) -> Participant | None:
    """The speaker of the frame that closes the quotation opened at ``sentences[index]``."""
    paragraph = sentences[index].paragraph
    for later in range(index + 1, min(len(sentences), index + 12)):
        if sentences[later].paragraph != paragraph:
            return None
        spans, started_inside = readings[later]
        if not started_inside:
            return None
        _words, frames = frames_by_sentence[later]
        outside = [f for f in frames if not _inside(spans, f.start) and f.kind == "speaker" and f.speaker is not None]
        if outside:
            return outside[0].speaker
    return None


def _cjk_frames(text: str, context: _Context) -> list[Frame]:
    """Chinese frames: a name or a group word touching its cue (王毅表示, 双方一致认为)."""
    frames = []
    i = 0
    while i < len(text):
        size, participant = context.cast.cjk_name_at(text, i)
        kind = "speaker"
        if not size:
            for group in CJK_GROUPS:
                if text.startswith(group, i):
                    size, participant = len(group), context.pair()
                    break
        if size:
            cue = _cjk_cue_at(text, i + size)
            if cue and participant is not None:
                end = text.index(cue, i + size) + len(cue)
                frames.append(Frame(kind, participant, cue, i, end, end, "frame-before"))
            i += size
        else:
            i += 1
    return frames


#: Family names that are also common words are never matched alone ("He Lifeng" is not "He said").
_WORD_NAMES = frozenset(
    [
        "he",
        "she",
        "it",
        "we",
        "they",
        "i",
        "you",
        "us",
        "an",
        "a",
        "the",
        "in",
        "on",
        "at",
        "to",
        "so",
        "no",
        "do",
        "be",
        "me",
        "my",
        "or",
        "as",
        "by",
    ]
)


def add_family_names(cast: Cast) -> None:
    """Let a known person's family name alone name them ("Wang" for "Wang Yi"), where no other
    known person has it and it is not a common word."""
    families: dict[str, list[Participant]] = {}
    for participant in cast.participants:
        if participant.kind == "person" and len(participant.name.split()) > 1 and not is_cjk(participant.name):
            families.setdefault(participant.surname().split()[0].casefold(), []).append(participant)
    for family, persons in families.items():
        if len(persons) == 1 and family not in _WORD_NAMES and cast.find(family.capitalize()) is None:
            cast.add_name(persons[0].surname().split()[0], persons[0])


# --------------------------------------------------------------------------- database


def _participants_from_speakers(speakers: Iterable) -> list[Participant]:
    speakers = list(speakers)
    by_pk = {}
    result = []
    for speaker in speakers:
        participant = Participant(
            name=speaker.name,
            kind=speaker.kind if speaker.kind in {"person", "group"} else "organization",
            key=speaker,
            title=speaker.title or "",
            affiliation=speaker.affiliation or "",
            aliases=[a for a in (speaker.aliases or []) if isinstance(a, str)],
            wikidata_id=getattr(speaker, "wikidata_id", "") or "",
        )
        by_pk[speaker.pk] = participant
        result.append(participant)
    for speaker, participant in zip(speakers, result, strict=True):
        if speaker.kind == "group" and speaker.pk is not None:
            participant.members = tuple(by_pk[m.pk] for m in speaker.members.all() if m.pk in by_pk)
    return result


def proposals_for_readout(readout, speakers: Iterable | None = None) -> list:
    """Unsaved machine-proposal ``Annotation`` objects, one per statement of ``readout``.

    ``speakers`` (default: every ``Speaker``) are the known speakers. Persons and groups the
    readout introduces that match none of them are **saved here**, as ``Speaker`` rows with
    ``status="proposed"`` and ``proposed_by_machine=MACHINE_NAME`` (slug: the slugified full
    name; a group: its members' family names), so that the returned annotations can point to
    them. Each annotation's ``note`` holds the rule and the frame that produced it.
    """
    from .models import Annotation, Origin, Speaker

    if speakers is None:
        speakers = Speaker.objects.prefetch_related("members")
    cast = Cast(_participants_from_speakers(speakers), gazetteer=officeholders.configured(), on=readout.published_on)
    add_family_names(cast)
    statements = list(readout.statements.order_by("number"))
    sentences = [Sentence(s.paragraph, s.text) for s in statements]
    title = readout.title or ""
    proposals = read_readout(sentences, cast, title=title, language=readout.language or "")
    used = {p.speaker for p in proposals if p.speaker is not None}
    matched = {id(p) for p in cast.participants if p.key is None and p.rule}
    for participant in [p for p in cast.participants if p.key is None]:
        if participant.kind == "group" and participant not in used:
            continue
        _save(participant, Speaker)
    return [
        Annotation(
            statement=statement,
            annotator=None,
            origin=Origin.MACHINE,
            machine_name=MACHINE_NAME,
            machine_version=MACHINE_VERSION,
            speaker=proposal.speaker.key if proposal.speaker is not None else None,
            attribution=proposal.attribution,
            mode=proposal.mode,
            cue=proposal.cue[:200],
            note=_note(proposal, matched)[:1000],
            gold=False,
        )
        for statement, proposal in zip(statements, proposals, strict=True)
    ]


def _note(proposal: Proposal, matched: set[int]) -> str:
    """The proposal's note, plus how its speaker was identified when this readout proposed it
    ("speaker: gazetteer (Joe Biden)")."""
    speaker = proposal.speaker
    if speaker is None or id(speaker) not in matched:
        return proposal.note
    return f"{proposal.note}; speaker: {speaker.rule} ({speaker.name})".removeprefix("; ")


def _save(participant: Participant, Speaker) -> None:
    """Save a participant found in the text as a proposed speaker (members first); an
    existing row with the same slug is reused, never duplicated."""
    if participant.key is not None:
        return
    for member in participant.members:
        _save(member, Speaker)
    slug = participant.family_name if participant.kind == "group" else participant.slug
    slug = (slug or _slugify(participant.name) or "speaker")[:50]
    speaker, created = Speaker.objects.get_or_create(
        slug=slug,
        defaults={
            "name": participant.name[:200],
            "kind": participant.kind,
            "title": participant.title[:200],
            "affiliation": participant.affiliation[:200],
            "aliases": [a for a in participant.aliases if a.strip()],
            "wikidata_id": participant.wikidata_id,
            "status": Speaker.Status.PROPOSED,
            "proposed_by_machine": MACHINE_NAME,
        },
    )
    participant.key = speaker
    if not created:
        return  # an existing row with this slug: reused, never duplicated
    if participant.members:
        speaker.members.set([m.key for m in participant.members])


def create_proposals(readout, speakers: Iterable | None = None) -> int:
    """Write one machine proposal per statement of ``readout``; returns how many."""
    from .models import Annotation

    return len(Annotation.objects.bulk_create(proposals_for_readout(readout, speakers)))
