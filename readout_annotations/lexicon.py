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
entry whose slug or one of whose wordings the database already has. The file is read once, on
first use.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from django.utils.text import slugify

from . import stance_rules
from .stance_rules import NewTarget

PATH = Path(__file__).resolve().parent / "data" / "starter_targets.json"

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


@functools.cache
def starter_targets() -> tuple[NewTarget, ...]:
    """Every target of the starter lexicon: the countries, then the file's entries.

    Raises ``ValueError`` naming the entry where the file has a malformed one (no slug, a slug
    that is not its own ``slugify``, a duplicate slug, an unknown kind).
    """
    from .models import TargetKind

    data = json.loads(PATH.read_text(encoding="utf-8"))
    targets = _country_targets()
    slugs = {t.slug for t in targets}
    for number, entry in enumerate(data["targets"], 1):
        slug = entry.get("slug", "")
        if not slug or slugify(slug) != slug or len(slug) > 120 or slug in slugs:
            raise ValueError(f"{PATH.name}: entry {number}: bad or duplicate slug {slug!r}")
        if entry.get("kind", "issue") not in TargetKind.values:
            raise ValueError(f"{PATH.name}: entry {number} ({slug}): unknown kind {entry.get('kind')!r}")
        slugs.add(slug)
        targets.append(
            NewTarget(
                slug,
                entry["name"],
                entry.get("kind", "issue"),
                tuple(entry.get("aliases", ())),
                entry.get("description", ""),
                bool(entry.get("problem", False)),
            )
        )
    return tuple(targets)


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
