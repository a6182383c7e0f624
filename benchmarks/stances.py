"""Benchmark: the stance proposals' figures on the development set and on the seed readout.

    .venv/bin/python benchmarks/stances.py                 # every row
    .venv/bin/python benchmarks/stances.py --dev PATH      # another development set
    READOUTS_DEV=PATH .venv/bin/python benchmarks/stances.py

Rows (triples are (statement, target slug, stance); "target" columns ignore the stance):

* ``dev warm``, ``dev cold``: the shipped pipeline, ``run.sh`` (warm: the set's speakers and
  targets loaded; cold: none) and ``score.py`` of the development set (``../shared/readouts``
  beside the repository, or ``--dev``/``READOUTS_DEV`` naming its ``dev`` folder);
* ``dev warm, gold speakers``, ``dev cold, gold speakers``: the stance rules alone
  (:mod:`readout_annotations.stance_rules`) on each gold sentence whose gold reading is speech,
  with the gold speaker's country, so the rules can be judged apart from the speaker proposals
  (cold: targets proposed as the pipeline proposes them, and known from then on);
* ``seed``: the built-in proposer (:class:`readout_annotations.proposers.RuleProposer`) on the
  seed readout of ``readout_annotations/fixtures``, against the fixture's gold stances.

Each row prints its wall-clock and CPU seconds (CPU of this process; the ``run.sh`` rows spend
theirs in child processes, so their CPU column is the children's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SEED = "xi-lukashenko-talks-2023-03-01"


def default_dev() -> Path:
    """``READOUTS_DEV``, else ``../shared/readouts/dev`` beside the repository's root (for a git
    worktree, beside its main checkout's root as well)."""
    if os.environ.get("READOUTS_DEV"):
        return Path(os.environ["READOUTS_DEV"])
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text(encoding="utf-8").partition("gitdir:")[2].strip())
        roots.append(gitdir.parent.parent.parent)
    for root in roots:
        if (root.parent / "shared" / "readouts" / "dev").is_dir():
            return root.parent / "shared" / "readouts" / "dev"
    return REPO.parent / "shared" / "readouts" / "dev"


class Score:
    """Pooled triple counts and the scores of ``score.py``."""

    def __init__(self) -> None:
        self.gold = self.proposed = self.correct = 0
        self.gold_targets = self.proposed_targets = self.correct_targets = 0

    def add(self, gold: set, proposed: set) -> None:
        self.gold += len(gold)
        self.proposed += len(proposed)
        self.correct += len(gold & proposed)
        gold_t, proposed_t = {t[:-1] for t in gold}, {t[:-1] for t in proposed}
        self.gold_targets += len(gold_t)
        self.proposed_targets += len(proposed_t)
        self.correct_targets += len(gold_t & proposed_t)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    def as_dict(self) -> dict:
        return {
            "gold": self.gold,
            "proposed": self.proposed,
            "correct": self.correct,
            "precision": self._ratio(self.correct, self.proposed),
            "recall": self._ratio(self.correct, self.gold),
            "f1": self._ratio(2 * self.correct, self.proposed + self.gold),
            "target_precision": self._ratio(self.correct_targets, self.proposed_targets),
            "target_recall": self._ratio(self.correct_targets, self.gold_targets),
        }


def run_sh(dev: Path, cold: bool) -> dict:
    """The ``stances`` total of ``run.sh`` (``--cold``) as ``score.py --json`` gives it, run with
    this interpreter (``--python``), so that it works from any checkout, with or without a ``.venv``."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "scores.json"
        command = [str(dev.parent / "run.sh"), "--python", sys.executable, "--json", str(out)]
        command += ["--cold"] if cold else []
        subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))["total"]["stances"]


def gold_speakers(dev: Path, cold: bool) -> dict:
    """The stance rules on the gold sentences with the gold speakers (no database), as the
    built-in proposer runs them (:class:`readout_annotations.stance_rules.ReadoutStances`, the
    starter lexicon after the set's targets; cold: no targets, and the targets proposed in one
    readout known in the next)."""
    from readout_annotations import lexicon
    from readout_annotations import stance_rules as rules
    from readout_annotations.stance_rules import NewTarget

    targets = json.loads((dev / "targets.json").read_text(encoding="utf-8"))
    speakers = json.loads((dev / "speakers.json").read_text(encoding="utf-8"))
    by_slug = {s["slug"]: s for s in speakers.values()}
    known = rules.TargetIndex(
        []
        if cold
        else [
            rules.TargetInfo(slug, t["name"], t["kind"], tuple(t["aliases"]), t.get("parent"))
            for slug, t in targets.items()
        ]
    )
    index = rules.TargetIndex([*known.targets.values(), *lexicon.starter_index_entries(known, set(known.targets))])
    confirmed = frozenset(known.targets)

    def countries(name: str, text: str) -> tuple[str, ...]:
        """Warm: the affiliations; cold: what the readout's words say (as the pipeline does)."""
        speaker = speakers[name]
        people = [by_slug[m] for m in speaker.get("members", ())] or [speaker]
        if cold:
            by_name = {s["slug"]: n for n, s in speakers.items()}
            named = [rules.country_named_with(text, [by_name[p["slug"]], *p["aliases"]]) for p in people]
        else:
            named = [rules.country_of(p["affiliation"] or "") for p in people]
        return tuple(dict.fromkeys(c for c in named if c))

    def slug(target) -> str:
        if isinstance(target, NewTarget):
            return target.slug
        if isinstance(target, tuple):  # ("new", name): proposed in an earlier readout
            return rules.target_slug(target[1])
        return target if target in confirmed else rules.target_slug(target)

    score = Score()
    for gold_file in sorted(dev.glob("*.gold.json")):
        text = gold_file.with_name(gold_file.name[: -len(".gold.json")] + ".txt").read_text(encoding="utf-8")
        readout = rules.ReadoutStances(index, rules.Context(readout_countries=rules.readout_countries(text)), confirmed)
        for number, entry in enumerate(json.loads(gold_file.read_text(encoding="utf-8"))):
            proposed = set()
            if entry["speaker"]:
                found = readout.speech(entry["text"], countries(entry["speaker"], text))
                proposed = {(number, slug(s.target), s.stance) for s in found}
            else:
                readout.narration(entry["text"])
            gold = {(number, s["target"], s["stance"]) for s in entry["stances"]}
            score.add({(gold_file.name, *t) for t in gold}, {(gold_file.name, *t) for t in proposed})
        index = readout.index
    return score.as_dict()


def setup_django(database: Path) -> None:
    """tests.settings with a fresh SQLite file, migrated."""
    import django
    from django.core.management import call_command

    import tests.settings as settings_module

    settings_module.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}}
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    django.setup()
    call_command("migrate", verbosity=0)


def seed_scores(readout) -> dict:
    """The built-in proposer's stances on ``readout`` against its gold annotations' stances."""
    from readout_annotations.models import Stance
    from readout_annotations.proposers import RuleProposer
    from readout_annotations.stance_rules import target_slug

    gold: dict[int, set] = {}
    for statement, slug, stance in Stance.objects.filter(
        annotation__statement__readout=readout, annotation__gold=True
    ).values_list("annotation__statement_id", "target__slug", "stance"):
        gold.setdefault(statement, set()).add((statement, slug, stance))
    score = Score()
    for reading in RuleProposer().propose(readout):
        statement = reading.annotation.statement_id
        proposed = {
            (statement, s.target.slug if hasattr(s.target, "slug") else target_slug(s.target), s.stance)
            for s in reading.stances
        }
        score.add(gold.get(statement, set()), proposed)
    return score.as_dict()


def seed() -> dict:
    from django.core.management import call_command

    from readout_annotations.models import Readout

    call_command("loaddata", SEED, verbosity=0)
    return seed_scores(Readout.objects.get(slug=SEED))


def timed(function, *args) -> tuple[dict, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = function(*args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return result, time.perf_counter() - start, time.process_time() - cpu + child_cpu


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=default_dev(), help="the development set's dev/ folder")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        setup_django(Path(work) / "db.sqlite3")
        rows.append(("seed", *timed(seed)))
    if (args.dev / "targets.json").exists():
        rows.append(("dev warm", *timed(run_sh, args.dev, False)))
        rows.append(("dev cold", *timed(run_sh, args.dev, True)))
        rows.append(("dev warm, gold speakers", *timed(gold_speakers, args.dev, False)))
        rows.append(("dev cold, gold speakers", *timed(gold_speakers, args.dev, True)))
    else:
        print(f"no development set at {args.dev}: dev rows skipped", file=sys.stderr)
    header = ("set", "gold", "proposed", "correct", "P %", "R %", "F1 %", "target P %", "target R %", "wall s", "CPU s")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, s, wall, cpu in rows:
        cells = (
            name,
            s["gold"],
            s["proposed"],
            s["correct"],
            percent(s["precision"]),
            percent(s["recall"]),
            percent(s["f1"]),
            percent(s["target_precision"]),
            percent(s["target_recall"]),
            f"{wall:.2f}",
            f"{cpu:.2f}",
        )
        print("| " + " | ".join(str(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
