"""The starter lexicon: stance targets that recur in diplomatic readouts, built in.

A database with no targets yet (a cold start) still gets the standard targets proposed where a
statement names them: the countries of :data:`readout_annotations.stance_rules.COUNTRIES`
(their names, full names, abbreviations and Chinese names, not their adjectives), and the
institutions, regions, issues and principles of ``data/starter_targets.json`` (package data:
NATO, BRICS, the UN, climate change, the one-China principle, ...), each with English variants
and Chinese wordings. Where the app's seed fixture has a target, the lexicon uses its slug and
name, so a database that loaded the seed meets the same target.

Starter targets are only ever *proposed* (``status="proposed"``, for a reviewer to confirm, edit
or merge); a target already in the database wins: :func:`starter_index_entries` leaves out every
entry whose slug or one of whose wordings the database already has.

The ``LEXICON`` setting lists the files to load, as ``OFFICEHOLDERS`` does for the gazetteer
(``"builtin"`` stands for the shipped lexicon), so a host extends it (``["builtin",
"/srv/host/targets.json"]``), replaces it, or turns it off (``[]``); a host file has the shipped
file's shape (:func:`parse`). The files are read once per process and setting value, on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.text import slugify

from . import stance_rules
from .conf import BUILTIN, data_files, read_data_file
from .stance_rules import NewTarget

PATH = Path(__file__).resolve().parent / "data" / "starter_targets.json"
#: The fields of a lexicon entry (only ``slug`` and ``name`` are required).
FIELDS = frozenset({"slug", "name", "kind", "aliases", "description", "problem"})

#: Target names of the countries whose canonical name in ``COUNTRIES`` is an abbreviation.
COUNTRY_NAMES = {
    "US": "United States",
    "UK": "United Kingdom",
    "ROK": "South Korea",
    "DPRK": "North Korea",
    "EU": "European Union",
    "UAE": "United Arab Emirates",
}
#: Abbreviations among a country's wordings that name it (the others of four letters or fewer
#: are adjectives: "thai").
_ABBREVIATIONS = frozenset(("prc", "usa", "uk", "rok", "dprk", "eu", "uae"))


def _country_targets() -> list[NewTarget]:
    """One ``actor`` target per country of ``COUNTRIES``: its name and the wordings that name it
    (full names, abbreviations, Chinese names), not its adjectives ("Chinese") nor the Chinese
    "side" forms ("中方"), which name a party to the talks, not a subject of policy."""
    targets = []
    for canonical, wordings in stance_rules.COUNTRIES.items():
        name = COUNTRY_NAMES.get(canonical, canonical)
        names = [
            w
            for w in wordings
            if w == wordings[0]
            or " " in w
            or w in _ABBREVIATIONS
            or (not w.isascii() and len(w) >= 2 and not w.endswith("方"))
        ]
        kind = "institution" if canonical == "EU" else "actor"
        targets.append(NewTarget(slugify(name), name, kind, tuple(dict.fromkeys(names))))
    return targets


def parse(data: object, source: str = "<data>") -> list[NewTarget]:
    """The targets of a lexicon document (``{"targets": [{"slug", "name", "kind", "aliases",
    "description", "problem"}, ...]}``, the shape of ``data/starter_targets.json``).

    Raises ``ImproperlyConfigured`` naming ``source`` and the entry at fault: no object with a
    list ``targets``, a slug that is not its own ``slugify`` (or longer than 120 characters), no
    name, an unknown kind or field, aliases that are no list of strings, a description that is no
    string, a ``problem`` that is not true or false.
    """
    from .models import TargetKind

    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        raise ImproperlyConfigured(f"{source}: expected an object with a list 'targets'")
    targets = []
    for number, entry in enumerate(data["targets"], 1):
        where = f"{source}: entry {number}"
        slug = entry.get("slug", "") if isinstance(entry, dict) else ""
        if not isinstance(slug, str) or not slug or slugify(slug) != slug or len(slug) > 120:
            raise ImproperlyConfigured(f"{where}: bad slug {slug!r}")
        where = f"{where} ({slug})"
        unknown = set(entry) - FIELDS
        if unknown:
            raise ImproperlyConfigured(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        name, kind, aliases = entry.get("name"), entry.get("kind", "issue"), entry.get("aliases", [])
        description, problem = entry.get("description", ""), entry.get("problem", False)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ImproperlyConfigured(f"{where}: needs a 'name' of 1 to 200 characters")
        if kind not in TargetKind.values:
            raise ImproperlyConfigured(f"{where}: unknown kind {kind!r}")
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ImproperlyConfigured(f"{where}: aliases must be a list of non-empty strings")
        if not isinstance(description, str) or not isinstance(problem, bool):
            raise ImproperlyConfigured(f"{where}: description must be a string and problem true or false")
        targets.append(NewTarget(slug, name, kind, tuple(aliases), description, problem))
    return targets


def load(paths: Sequence[str]) -> tuple[NewTarget, ...]:
    """The targets of the lexicon files ``paths``, in order; ``"builtin"`` stands for the shipped
    lexicon: the countries, then ``data/starter_targets.json``.

    Raises ``ImproperlyConfigured`` for a file that cannot be read or parsed, an entry that breaks
    the format (see :func:`parse`), or a slug that an earlier entry or file already has.
    """
    targets: list[NewTarget] = []
    slugs: set[str] = set()
    for path in paths:
        source, data = read_data_file(path, PATH, "starter lexicon file")
        found = parse(data, source)
        if path == BUILTIN:
            found = _country_targets() + found
        for target in found:
            if target.slug in slugs:
                raise ImproperlyConfigured(f"{source}: duplicate slug {target.slug!r}")
            slugs.add(target.slug)
        targets += found
    return tuple(targets)


@functools.lru_cache(maxsize=4)
def _cached(paths: tuple[str, ...]) -> tuple[NewTarget, ...]:
    return load(paths)


def starter_targets() -> tuple[NewTarget, ...]:
    """Every target of the starter lexicon: the files of the ``LEXICON`` setting (default
    ``["builtin"]``: the countries, then the shipped file's entries; ``[]``: none), read once per
    process and setting value.

    Raises ``ImproperlyConfigured`` when the setting is no list of paths or a file is bad (the
    system check ``readout_annotations.E012`` reports the same at start-up).
    """
    return _cached(data_files("LEXICON"))


def starter_index_entries(
    known: stance_rules.TargetIndex, known_slugs: set[str] | frozenset[str] = frozenset()
) -> list[stance_rules.TargetInfo]:
    """The starter targets as :class:`~readout_annotations.stance_rules.TargetInfo` (each keyed
    by its :class:`~readout_annotations.stance_rules.NewTarget`), without those the database
    already has: by slug (``known_slugs``) or by one of their wordings (a name or alias of a
    target of ``known``). A target in the database always wins."""
    known_names = known.folded_names()
    entries = []
    for target in starter_targets():
        if target.slug in known_slugs:
            continue
        if any(stance_rules.fold_name(n) in known_names for n in (target.name, *target.aliases)):
            continue
        entries.append(stance_rules.TargetInfo(target, target.name, target.kind, target.aliases))
    return entries
