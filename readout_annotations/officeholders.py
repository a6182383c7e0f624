"""A gazetteer of public office-holders: who a readout's "Vice President Biden" or 布林肯 is.

Cold start (no speakers in the database) meets persons named by a surname and a title
("President Biden", "Foreign Minister Wang") or by a Chinese transliteration (布林肯, 默克爾).
:class:`Gazetteer` maps such a name, with the title the readout gives it, the country its
demonym names and the readout's date, to one person of a curated list: heads of state and of
government, foreign and defence ministers and a few other offices of the G20, the P5, the EU
institutions and the countries diplomatic readouts name most, about 2000 to 2025, plus the UN
and NATO Secretaries-General. The speaker rules (:mod:`readout_annotations.attribution`) then
propose that person under its canonical name, with its title, country, aliases and Chinese
names. docs/attribution.md ("Cold start") describes the rules and the file.

The built-in list is ``readout_annotations/data/officeholders.json``; the ``OFFICEHOLDERS``
setting lists the files to load (``"builtin"`` stands for it), so a host extends the list
(``["builtin", "/srv/host/officeholders.json"]``), replaces it, or turns it off (``[]``). A file
is JSON::

    {"countries": {"United States": ["U.S.", "US", "American"], ...},
     "people": [{"name": "Joe Biden",                      # canonical name (required)
                 "aliases": ["Joseph R. Biden"],           # other spellings
                 "zh": ["拜登"],                            # Chinese names, simplified and traditional
                 "family_name": "Biden",                   # default: first word for China, Korea,
                                                           # Viet Nam; else the last word
                 "wikidata": "Q6279",                      # optional
                 "offices": [{"title": "Vice President", "country": "United States",
                              "start": "2009-01-20", "end": "2017-01-20"}]}]}

Dates are ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a year stands for the whole year); an office
without ``end`` is still held. :func:`load` raises ``ImproperlyConfigured`` naming the file and
the entry at fault. Lookups are dictionary lookups on normalized names (no pattern per entry);
the files are read once per process, on first use (:func:`configured`).
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .conf import BUILTIN, data_files, read_data_file

BUILTIN_PATH = Path(__file__).resolve().parent / "data" / "officeholders.json"

#: Title phrases (lowercase words, hyphens as spaces) and the role keys they give. A readout's
#: title and a gazetteer office are compatible when they share a specific key; a generic title
#: ("Secretary Blinken", "Minister Wang") shares only a generic one (:data:`GENERIC_ROLES`).
ROLE_PHRASES: dict[str, tuple[str, ...]] = {
    "president": ("president",),
    "vice president": ("vice-president",),
    "prime minister": ("head-of-government",),
    "premier": ("head-of-government",),
    "chancellor": ("head-of-government",),
    "taoiseach": ("head-of-government",),
    "deputy prime minister": ("deputy-head-of-government",),
    "vice premier": ("vice-premier",),
    "foreign minister": ("foreign-minister", "minister"),
    "minister for foreign affairs": ("foreign-minister", "minister"),
    "minister of foreign affairs": ("foreign-minister", "minister"),
    "minister for europe and foreign affairs": ("foreign-minister", "minister"),
    "federal minister for foreign affairs": ("foreign-minister", "minister"),
    "minister of external affairs": ("foreign-minister", "minister"),
    "external affairs minister": ("foreign-minister", "minister"),
    "foreign secretary": ("foreign-minister", "secretary"),
    "secretary of state": ("foreign-minister", "secretary"),
    "secretary of state for foreign and commonwealth affairs": ("foreign-minister", "secretary"),
    "defense minister": ("defence-minister", "minister"),
    "defence minister": ("defence-minister", "minister"),
    "minister of defense": ("defence-minister", "minister"),
    "minister of defence": ("defence-minister", "minister"),
    "minister for defence": ("defence-minister", "minister"),
    "minister of national defense": ("defence-minister", "minister"),
    "minister of national defence": ("defence-minister", "minister"),
    "minister of the armed forces": ("defence-minister", "minister"),
    "secretary of defense": ("defence-minister", "secretary"),
    "defence secretary": ("defence-minister", "secretary"),
    "defense secretary": ("defence-minister", "secretary"),
    "secretary of state for defence": ("defence-minister", "secretary"),
    "secretary general": ("secretary-general", "secretary"),
    "general secretary": ("general-secretary",),
    "state councilor": ("state-councilor",),
    "state councillor": ("state-councilor",),
    "national security advisor": ("national-security-adviser",),
    "national security adviser": ("national-security-adviser",),
    "high representative": ("high-representative",),
    "spokesperson": ("spokesperson",),
    "spokesman": ("spokesperson",),
    "spokeswoman": ("spokesperson",),
    "press secretary": ("spokesperson", "secretary"),
    "ambassador": ("ambassador",),
    "special presidential envoy": ("envoy",),
    "special envoy": ("envoy",),
    "envoy": ("envoy",),
    "king": ("monarch",),
    "queen": ("monarch",),
    "emperor": ("monarch",),
    "emir": ("monarch",),
    "sultan": ("monarch",),
    "crown prince": ("crown-prince",),
    "supreme leader": ("supreme-leader",),
    "chairman": ("chair",),
    "chairwoman": ("chair",),
    "chairperson": ("chair",),
    "speaker": ("speaker",),
    "minister": ("minister",),
    "secretary": ("secretary",),
}
GENERIC_ROLES = frozenset({"minister", "secretary"})
_ROLE_LONGEST = max(len(phrase.split()) for phrase in ROLE_PHRASES)
#: Family names come first in these countries' names ("Xi Jinping", "Yoon Suk Yeol").
FAMILY_NAME_FIRST = frozenset(
    {"China", "Republic of Korea", "Democratic People's Republic of Korea", "Viet Nam", "Cambodia"}
)
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")
_TITLE_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")


#: A CJK ideograph (the unified block and extension A), as Chinese names are written: the one
#: pattern for it (the attribution rules use it too).
HAN_RE = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")


def plain(name: str) -> str:
    """``name`` without diacritics: "López Obrador" -> "Lopez Obrador"."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """The form names are compared in: no diacritics, casefolded, no periods, hyphens or
    apostrophes, single spaces ("Shin Won-sik" and "shin wonsik" meet; "López" is "lopez")."""
    plain_name = plain(name).casefold().replace(".", " ").replace("'", "").replace("\u2019", "").replace("-", "")
    return " ".join(plain_name.split())


def roles(title: str) -> frozenset[str]:
    """The role keys of :data:`ROLE_PHRASES` in ``title`` (longest phrase first), e.g.
    ``roles("U.S. Secretary of State") == {"foreign-minister", "secretary"}``. Linear in
    ``title``."""
    words = [w.casefold() for w in _TITLE_WORD_RE.findall(title.replace("-", " "))]
    found: set[str] = set()
    i = 0
    while i < len(words):
        for size in range(min(_ROLE_LONGEST, len(words) - i), 0, -1):
            keys = ROLE_PHRASES.get(" ".join(words[i : i + size]))
            if keys:
                found.update(keys)
                i += size
                break
        else:
            i += 1
    return frozenset(found)


def _day(value: str, end: bool) -> datetime.date:
    match = _DATE_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is no date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        if month is None:
            return datetime.date(int(year), 12 if end else 1, 31 if end else 1)
        if day is None:
            last = calendar.monthrange(int(year), int(month))[1]
            return datetime.date(int(year), int(month), last if end else 1)
        return datetime.date(int(year), int(month), int(day))
    except (ValueError, calendar.IllegalMonthError) as error:
        raise ValueError(f"{value!r} is no date ({error})") from error


@dataclass(frozen=True)
class Office:
    """An office held: ``title`` ("Vice President"), ``country`` (a canonical country name),
    ``start`` and ``end`` (dates, inclusive; ``end`` None while held) and the title's
    :func:`roles`."""

    title: str
    country: str
    start: datetime.date
    end: datetime.date | None
    roles: frozenset[str]

    def held_on(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Officeholder:
    """A person of the gazetteer: ``name`` (canonical), ``aliases``, ``zh`` (Chinese names),
    ``family_name``, ``wikidata`` ("" when not given) and ``offices``."""

    name: str
    family_name: str
    aliases: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    wikidata: str = ""
    offices: tuple[Office, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        """Every name: canonical, aliases, Chinese names."""
        return (self.name, *self.aliases, *self.zh)

    def office_on(self, day: datetime.date | None) -> Office | None:
        """The office held on ``day`` (the latest begun, if several), else the latest one begun
        before it, else the first; with no ``day`` the latest."""
        if day is None:
            return max(self.offices, key=lambda o: o.start, default=None)
        held = [o for o in self.offices if o.held_on(day)] or [o for o in self.offices if o.start <= day]
        if held:
            return max(held, key=lambda o: o.start)
        return min(self.offices, key=lambda o: o.start, default=None)


class Gazetteer:
    """Office-holders indexed by normalized full name, family name and Chinese name.

    Built from :class:`Officeholder` objects and a ``countries`` table (canonical country name
    -> other names and demonyms). :meth:`match` is the one question the speaker rules ask.
    """

    def __init__(self, people: Iterable[Officeholder], countries: dict[str, Sequence[str]] | None = None) -> None:
        self.people: list[Officeholder] = []
        self._full: dict[str, list[Officeholder]] = {}
        self._family: dict[str, list[Officeholder]] = {}
        self._zh: dict[str, list[Officeholder]] = {}
        self._countries: dict[str, str] = {}
        for country, names in (countries or {}).items():
            for name in (country, *names):
                self._countries.setdefault(name_key(name).removeprefix("the "), country)
        for person in people:
            self.add(person)

    def add(self, person: Officeholder) -> None:
        self.people.append(person)
        for name in (person.name, *person.aliases):
            key = name_key(name)
            _put(self._full, key, person)
            words = key.split()
            if len(words) == 2:  # "KAMIKAWA Yoko" for "Yoko Kamikawa": publishers differ in order
                _put(self._full, f"{words[1]} {words[0]}", person)
        _put(self._family, name_key(person.family_name), person)
        for name in person.zh:
            _put(self._zh, "".join(name.split()), person)

    def __len__(self) -> int:
        return len(self.people)

    def country(self, text: str) -> str:
        """The canonical country ``text`` names ("U.S.", "Chinese", "the Russian Federation"),
        or ""."""
        key = name_key(text).removeprefix("the ")
        return self._countries.get(key, "")

    def match(
        self,
        name: str,
        title: str = "",
        country: str = "",
        on: datetime.date | None = None,
    ) -> Officeholder | None:
        """The one person ``name`` names, or None.

        ``name`` is a full name ("Joe Biden", "KAMIKAWA Yoko"), a family name alone ("Biden") or
        a Chinese name (布林肯); ``title`` the title the readout gives ("Vice President",
        "former Prime Minister"); ``country`` its country or demonym ("U.S."); ``on`` the
        readout's date. A full name found once is that person whatever the date (a former
        office-holder keeps the name); several persons of one name, a family name and a Chinese
        name need one holding an office compatible with the title and country on that date
        ("former": ended before it). A family name alone also needs a title, and a specific
        one ("Foreign Minister", not "Minister") when several persons of the list bear it; two
        compatible candidates give None, never a guess.
        """
        name = " ".join(name.split())
        if not name:
            return None
        wanted = roles(title)
        former = "former" in title.casefold().split()
        place = self.country(country) if country else ""
        if HAN_RE.search(name):
            candidates = self._zh.get("".join(name.split()), [])
            return _one(candidates, wanted, place, on, former)
        key = name_key(name)
        full, family = self._full.get(key, []), self._family.get(key, [])
        if full and (" " in key or not family):
            return full[0] if len(full) == 1 else _one(full, wanted, place, on, former)
        if not wanted or (len(family) > 1 and not wanted - GENERIC_ROLES):
            return None  # "Minister Wang": a family name the list shares needs a specific title
        return _one(family, wanted, place, on, former)


def _put(index: dict[str, list[Officeholder]], key: str, person: Officeholder) -> None:
    if key:
        bucket = index.setdefault(key, [])
        if person not in bucket:
            bucket.append(person)


def compatible(office: Office, wanted: frozenset[str], place: str, on, former: bool) -> bool:
    """Whether ``office`` fits role keys ``wanted`` (:func:`roles`; a generic key only when no
    specific one is wanted), the canonical country ``place`` ("" any) and the date ``on`` (None
    any; ``former``: ended before it)."""
    if wanted:
        specific = wanted - GENERIC_ROLES
        if not ((specific or wanted) & office.roles):
            return False
    if place and office.country != place:
        return False
    if on is not None:
        if former:
            return office.end is not None and office.end < on
        return office.held_on(on)
    return True


def _one(candidates, wanted, place, on, former) -> Officeholder | None:
    """The one candidate holding an office compatible with the title, country and date, else
    None."""
    fitting = [p for p in candidates if any(compatible(o, wanted, place, on, former) for o in p.offices)]
    return fitting[0] if len(fitting) == 1 else None


# --------------------------------------------------------------------------- files


def _strings(value, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ImproperlyConfigured(f"{where}: {what} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse(data: object, source: str = "<data>") -> tuple[list[Officeholder], dict[str, list[str]]]:
    """The people and countries of a gazetteer document (the JSON shape in the module
    docstring). Raises ``ImproperlyConfigured`` naming ``source`` and the entry at fault."""
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise ImproperlyConfigured(f"{source}: expected an object with a list 'people'")
    countries_data = data.get("countries", {})
    if not isinstance(countries_data, dict):
        raise ImproperlyConfigured(f"{source}: 'countries' must map a country to a list of its other names")
    countries = {
        str(k): list(_strings(v, f"{source}: countries[{k!r}]", "its names")) for k, v in countries_data.items()
    }
    people = []
    for index, entry in enumerate(data["people"]):
        where = f"{source}: people[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise ImproperlyConfigured(f"{where}: needs a non-empty 'name'")
        name = " ".join(entry["name"].split())
        where = f"{where} ({name})"
        unknown = set(entry) - {"name", "aliases", "zh", "family_name", "wikidata", "offices"}
        if unknown:
            raise ImproperlyConfigured(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        wikidata = entry.get("wikidata", "")
        if wikidata and (not isinstance(wikidata, str) or not _WIKIDATA_RE.match(wikidata)):
            raise ImproperlyConfigured(f"{where}: wikidata {wikidata!r} is no Wikidata id (Q12345)")
        offices_data = entry.get("offices")
        if not isinstance(offices_data, list) or not offices_data:
            raise ImproperlyConfigured(f"{where}: needs a non-empty list 'offices'")
        offices = []
        for number, office in enumerate(offices_data):
            at = f"{where}: offices[{number}]"
            if not isinstance(office, dict) or not all(
                isinstance(office.get(k), str) and office[k].strip() for k in ("title", "country", "start")
            ):
                raise ImproperlyConfigured(f"{at}: needs 'title', 'country' and 'start' strings")
            try:
                start = _day(office["start"], end=False)
                end = _day(office["end"], end=True) if office.get("end") is not None else None
            except (ValueError, TypeError) as error:
                raise ImproperlyConfigured(f"{at}: {error}") from error
            if end is not None and end < start:
                raise ImproperlyConfigured(f"{at}: ends before it starts")
            offices.append(Office(office["title"], office["country"], start, end, roles(office["title"])))
        family = entry.get("family_name")
        if family is not None and (not isinstance(family, str) or not family.strip()):
            raise ImproperlyConfigured(f"{where}: family_name must be a non-empty string")
        if not family:
            words = name.split()
            family = words[0] if offices[0].country in FAMILY_NAME_FIRST else words[-1]
        people.append(
            Officeholder(
                name=name,
                family_name=family,
                aliases=_strings(entry.get("aliases"), where, "aliases"),
                zh=_strings(entry.get("zh"), where, "zh"),
                wikidata=wikidata,
                offices=tuple(offices),
            )
        )
    return people, countries


def load(paths: Sequence[str | Path]) -> Gazetteer:
    """A gazetteer of the files ``paths`` (``"builtin"``: the shipped list), in order.

    Raises ``ImproperlyConfigured`` for a file that cannot be read or parsed, or an entry that
    breaks the format.
    """
    people: list[Officeholder] = []
    countries: dict[str, list[str]] = {}
    for path in paths:
        source, data = read_data_file(str(path), BUILTIN_PATH, "officeholders file")
        found, named = parse(data, source)
        people += found
        for country, names in named.items():
            countries.setdefault(country, []).extend(names)
    return Gazetteer(people, countries)


@functools.lru_cache(maxsize=4)
def _cached(paths: tuple[str, ...]) -> Gazetteer:
    return load(paths)


def builtin() -> Gazetteer:
    """The shipped gazetteer alone (no settings needed), loaded once per process."""
    return _cached((BUILTIN,))


def configured() -> Gazetteer:
    """The gazetteer of the ``OFFICEHOLDERS`` setting, loaded once per process and setting value.

    Raises ``ImproperlyConfigured`` when the setting is no list of paths or a file is bad (the
    system check ``readout_annotations.E011`` reports the same at start-up).
    """
    return _cached(data_files("OFFICEHOLDERS"))
