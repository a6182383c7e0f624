"""Score the attribution rules on readouts with gold readings, without a database.

A folder in the dev set's layout (``NN-name.txt`` in the import format, ``NN-name.gold.json``,
``speakers.json``; see ``tests/corpus/README.md``) is read, each readout segmented and proposed
warm (the speakers of ``speakers.json`` known) or cold (none known), and every gold sentence
checked as the dev set's ``score.py`` does: its statement is the one containing its ``find``;
segment, speaker slug, attribution and mode must equal the gold. Used by the tests and by
``benchmarks/attribution.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import attribution, officeholders
from .text import parse_readout, segment


@dataclass(frozen=True)
class Score:
    """Counts of gold sentences passing each check."""

    sentences: int
    segment: int
    speaker: int
    attribution: int
    mode: int

    def __add__(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, int, int, int, int]:
        return (self.sentences, self.segment, self.speaker, self.attribution, self.mode)

    def percent(self) -> tuple[float, float, float, float]:
        n = self.sentences or 1
        return tuple(round(100 * value / n, 1) for value in self.counts()[1:])


def known_speakers(folder: Path) -> list[attribution.Participant]:
    """The participants of ``folder/speakers.json`` (groups with their members)."""
    table = json.loads((folder / "speakers.json").read_text(encoding="utf-8"))
    by_slug = {}
    for name, entry in table.items():
        by_slug[entry["slug"]] = attribution.Participant(
            name=name,
            kind=entry["kind"] if entry["kind"] in {"person", "group"} else "organization",
            key=entry["slug"],
            title=entry.get("title", ""),
            affiliation=entry.get("affiliation", ""),
            aliases=list(entry.get("aliases", [])),
        )
    for entry in table.values():
        if entry.get("members"):
            by_slug[entry["slug"]].members = tuple(by_slug[m] for m in entry["members"] if m in by_slug)
    return list(by_slug.values())


def score_readout(path: Path, warm: bool) -> Score:
    """Score one readout file against the ``.gold.json`` beside it."""
    parsed = parse_readout(path.read_text(encoding="utf-8"))
    segments = segment(parsed.body)
    sentences = [attribution.Sentence(s.paragraph, s.text(parsed.body)) for s in segments]
    cast = attribution.Cast(
        known_speakers(path.parent) if warm else [],
        gazetteer=officeholders.builtin(),
        on=parsed.timestamp.date(),
    )
    proposals = attribution.read_readout(sentences, cast, title=parsed.title)
    slugs = {p.key: p.key for p in cast.participants if p.key}
    table = json.loads((path.parent / "speakers.json").read_text(encoding="utf-8"))
    gold = json.loads(path.with_name(path.name.removesuffix(".txt") + ".gold.json").read_text(encoding="utf-8"))
    counts = [0, 0, 0, 0]
    for entry in gold:
        found = next((i for i, s in enumerate(sentences) if entry["find"] in s.text), None)
        if found is None:
            continue
        proposal = proposals[found]
        speaker = proposal.speaker
        slug = None
        if speaker is not None:
            slug = (
                slugs.get(speaker.key)
                if speaker.key
                else (speaker.family_name if speaker.kind == "group" else speaker.slug)
            )
        wanted = table[entry["speaker"]]["slug"] if entry["speaker"] else None
        counts[0] += sentences[found].text == entry["text"]
        counts[1] += slug == wanted
        counts[2] += proposal.attribution == entry["attribution"]
        counts[3] += (proposal.mode or None) == (entry["mode"] or None)
    return Score(len(gold), *counts)


def score_folder(folder: Path, warm: bool) -> dict[str, Score]:
    """Scores of every readout of ``folder``, by file stem."""
    return {path.stem: score_readout(path, warm) for path in sorted(folder.glob("*.txt"))}
