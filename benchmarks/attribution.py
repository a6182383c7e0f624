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
Sizes are interleaved, best of three rounds; wall time and CPU time side by side; "per MB" should
stay flat as the size grows fourfold.
"""

from __future__ import annotations

import argparse
import os
import sys
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
    attribution.discover([parsed.title, *(s.text for s in sentences)], cast)
    attribution.propose(sentences, cast, title=parsed.title)
    return time.perf_counter() - wall, time.process_time() - cpu, len(segments)


def timing() -> None:
    print("\n| input | size | statements | wall s | CPU s | wall s per MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, unit in UNITS.items():
        bodies = {
            size: (unit * (size // len(unit.encode()) + 1)).encode()[:size].decode(errors="ignore") for size in SIZES
        }
        best: dict[int, tuple[float, float, int]] = {}
        for _round in range(3):
            for size in SIZES:  # interleaved: every size in each round
                result = run_once(bodies[size])
                if size not in best or result[0] < best[size][0]:
                    best[size] = result
        for size in SIZES:
            wall, cpu, count = best[size]
            print(
                f"| {name} | {size // 1024} KB | {count} | {wall:.2f} | {cpu:.2f} | {wall / size * 1024 * 1024:.2f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=None, help="a folder in the dev set's layout")
    parser.add_argument("--no-timing", action="store_true", help="skip the linear-time table")
    args = parser.parse_args()
    figures(ROOT / "tests" / "corpus")
    dev = args.dev or Path(os.environ.get("READOUTS_DEV", ROOT.parent / "shared" / "readouts" / "dev"))
    if not dev.is_dir():
        dev = ROOT.parent.parent / "shared" / "readouts" / "dev"
    if dev.is_dir():
        figures(dev)
    if not args.no_timing:
        timing()


if __name__ == "__main__":
    main()
