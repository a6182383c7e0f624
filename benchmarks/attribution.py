"""The attribution rules: figures per readout (warm and cold) and time against input size.

    .venv/bin/python benchmarks/attribution.py                 # tests/corpus, and the dev set if present
    .venv/bin/python benchmarks/attribution.py --dev PATH      # another folder in the dev set's layout
    .venv/bin/python benchmarks/attribution.py --no-timing     # the figures only

Table 1, per readout: the share of gold sentences whose statement is exactly the gold sentence
(segment), whose proposed speaker, attribution and mode equal the gold, warm (the folder's
``speakers.json`` known) and cold (no speaker known), scored in-process by
``readout_annotations.devset`` (each readout alone; the dev set's ``run.sh --cold`` imports them
one after the other into one database, so a later readout there may reuse speakers an earlier one
proposed).

Table 2, linear time: parse, segment, discover participants and propose, for adversarial bodies
of 128 KB, 512 KB and 2 MB (runs of periods, of punctuation, repeated adverbs, repeated names,
one 2 MB paragraph of frames without a sentence end, a paragraph of many short sentences).
Sizes are interleaved, best of three rounds (``--rounds``); wall time and CPU time side by side;
"per MB" should stay flat as the size grows fourfold. One more input, "most statements admitted":
as many sentences as ``READOUT_ANNOTATIONS_MAX_STATEMENTS`` admits, each a long frame, filling the
size (the heaviest body an import accepts).

Table 3, whole imports: ``manage.py import_readout`` of each body as a file of that size (title and
timestamp included), database writes and stance proposals included, into a fresh SQLite database
in memory and in a file (WAL), each in a process of its own; "outcome" is imported, or refused with
the message (a body of more sentences than ``MAX_STATEMENTS``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from readout_annotations import attribution, officeholders  # noqa: E402
from readout_annotations.devset import Score, score_folder  # noqa: E402
from readout_annotations.text import parse_readout, segment  # noqa: E402

UNITS = {
    "periods": ".",
    "punctuation": '?!.,;:"“”«»',
    "adverbs": "also warmly once again ",
    "names": "President Xi Jinping and ",
    "frames, no sentence end": "Xi said that ties, he added, the two leaders agreed, are strong ",
    "short sentences": "Xi said so. ",
    "chinese": "王毅表示，好。",
}
#: The body of as many sentences as ``MAX_STATEMENTS`` admits, each of a frame with clauses
#: between subject and cue, as long as the size allows.
MOST_STATEMENTS = "most statements admitted"
FRAME = "Chinese President Xi Jinping, who said that ties, he added, the two leaders agreed, are strong"
SIZES = (128 * 1024, 512 * 1024, 2 * 1024 * 1024)


def figures(folder: Path) -> None:
    warm = score_folder(folder, warm=True)
    cold = score_folder(folder, warm=False)
    print(f"\n{folder}\n")
    print("| readout | sentences | segment % | warm: speaker % | attrib % | mode % ", end="")
    print("| cold: speaker % | attrib % | mode % |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    total_warm = total_cold = Score(0, 0, 0, 0, 0)
    for name in warm:
        total_warm += warm[name]
        total_cold += cold[name]
        row(name, warm[name], cold[name])
    row("**total**", total_warm, total_cold)


def row(name: str, warm: Score, cold: Score) -> None:
    seg, speaker, attrib, mode = warm.percent()
    _seg, cold_speaker, cold_attrib, cold_mode = cold.percent()
    cells = (name, warm.sentences, seg, speaker, attrib, mode, cold_speaker, cold_attrib, cold_mode)
    print("| " + " | ".join(str(cell) for cell in cells) + " |")


def run_once(body: str) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    parsed = parse_readout(f"Adversarial\n2024-01-01 00:00\n\n{body}")
    segments = segment(parsed.body)
    sentences = [attribution.Sentence(s.paragraph, s.text(parsed.body)) for s in segments]
    cast = attribution.Cast(gazetteer=officeholders.builtin(), on=parsed.timestamp.date())
    tokenized = [attribution.tokens(s.text) if len(s.text) <= attribution.MAX_SENTENCE else [] for s in sentences]
    attribution.discover(
        [parsed.title, *(s.text for s in sentences)], cast, tokenized=[attribution.tokens(parsed.title), *tokenized]
    )
    attribution.propose(sentences, cast, title=parsed.title, tokenized=tokenized)
    return time.perf_counter() - wall, time.process_time() - cpu, len(segments)


def timing(rounds: int, units: list[str]) -> None:
    print("\n| input | size | statements | wall s | CPU s | wall s per MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in units:
        bodies = {size: body_of(name, size) for size in SIZES}
        best: dict[int, tuple[float, float, int]] = {}
        for _round in range(rounds):
            for size in SIZES:  # interleaved: every size in each round
                result = run_once(bodies[size])
                if size not in best or result[0] < best[size][0]:
                    best[size] = result
        for size in SIZES:
            wall, cpu, count = best[size]
            print(
                f"| {name} | {size // 1024} KB | {count} | {wall:.2f} | {cpu:.2f} | {wall / size * 1024 * 1024:.2f} |"
            )


def body_of(name: str, size: int) -> str:
    """The input ``name`` (``UNITS`` or ``MOST_STATEMENTS``) as a body of at most ``size`` bytes
    of UTF-8 (a character cut at the end is dropped)."""
    if name == MOST_STATEMENTS:
        from readout_annotations.conf import app_settings

        count = app_settings.MAX_STATEMENTS
        words = (FRAME * (size // len(FRAME) + 1))[: size // count - len(" said so. ")]
        return (words.strip() + " said so. ") * count
    unit = UNITS[name]
    return (unit * (size // len(unit.encode()) + 1)).encode()[:size].decode(errors="ignore")


def import_worker(rounds: int, units: list[str]) -> None:
    """In this process's database (migrated here): ``import_readout`` of every body, sizes
    interleaved, ``rounds`` times; prints one JSON line per import."""
    from django.core.management import CommandError, call_command

    call_command("migrate", verbosity=0)
    folder = Path(tempfile.mkdtemp(prefix="attribution-bench-"))
    files = {}
    for index, name in enumerate(units):
        for size in SIZES:
            path = folder / f"{index}-{size}.txt"
            head = "Adversarial\n2024-01-01 00:00\n\n"  # the file, head included, is `size` bytes
            path.write_text(head + body_of(name, size - len(head)), encoding="utf-8")
            files[name, size] = path
    for round_ in range(rounds):
        for index, name in enumerate(units):
            for size in SIZES:  # interleaved: every size in each round
                wall, cpu = time.perf_counter(), time.process_time()
                try:
                    call_command(
                        "import_readout",
                        str(files[name, size]),
                        slug=f"r{round_}-{index}-{size}",
                        timezone="UTC",
                        verbosity=0,
                    )
                    status = "imported"
                except CommandError as error:
                    status = f"refused: {str(error).split(': ', 1)[-1].split(', over')[0]}"
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                print(json.dumps({"name": name, "size": size, "wall": wall, "cpu": cpu, "status": status}), flush=True)
    for path in files.values():
        path.unlink()
    folder.rmdir()


def end_to_end(rounds: int, units: list[str]) -> None:
    """Table 3: ``manage.py import_readout`` of each body, database writes included, into a fresh
    SQLite database in memory and in a file (WAL, as docs/hosts.md recommends)."""
    print("\n| input | size | database | outcome | wall s | CPU s | wall s per MB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for database in ("memory", "file"):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"}
            env.pop("DEMO_SQLITE_PATH", None)
            env.pop("TEST_DATABASE", None)
            if database == "file":
                env["DEMO_SQLITE_PATH"] = str(Path(folder) / "db.sqlite3")
            command = [sys.executable, __file__, "--import-worker", "--rounds", str(rounds)]
            command += [f"--only={name}" for name in units]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        best: dict[tuple[str, int], dict] = {}
        for line in done.stdout.splitlines():
            result = json.loads(line)
            key = result["name"], result["size"]
            if key not in best or result["wall"] < best[key]["wall"]:
                best[key] = result
        for (name, size), r in best.items():
            per_mb = r["wall"] / size * 1024 * 1024
            print(
                f"| {name} | {size // 1024} KB | {database} | {r['status']} | {r['wall']:.2f} | {r['cpu']:.2f} "
                f"| {per_mb:.2f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=None, help="a folder in the dev set's layout")
    parser.add_argument("--no-timing", action="store_true", help="skip the linear-time tables")
    parser.add_argument("--no-figures", action="store_true", help="skip the per-readout figures")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the timing tables (best of them)")
    parser.add_argument("--only", action="append", choices=[*UNITS, MOST_STATEMENTS], help="time only these inputs")
    parser.add_argument("--import-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    units = args.only or [*UNITS, MOST_STATEMENTS]
    if args.import_worker:
        import_worker(args.rounds, units)
        return
    if not args.no_figures:
        figures(ROOT / "tests" / "corpus")
        dev = args.dev or Path(os.environ.get("READOUTS_DEV", ROOT.parent / "shared" / "readouts" / "dev"))
        if not dev.is_dir():
            dev = ROOT.parent.parent / "shared" / "readouts" / "dev"
        if dev.is_dir():
            figures(dev)
    if not args.no_timing:
        timing(args.rounds, units)
        end_to_end(args.rounds, units)


if __name__ == "__main__":
    main()
