"""Benchmark: exporting up to 1,000,000 annotations keeps memory flat.

    .venv/bin/python benchmarks/export.py                       # 10,000, 100,000 and 1,000,000 annotations
    .venv/bin/python benchmarks/export.py --quick               # 1,000 and 10,000: under a minute
    .venv/bin/python benchmarks/export.py --rows 50000 --format csv --format w3c
    .venv/bin/python benchmarks/export.py --keep /tmp/corpora   # keep (and reuse) the generated databases

For each size a SQLite database file holds the benchmarks' corpus (``benchmarks/corpus.py``, built
with bulk inserts, not timed) grown to at least that many annotations: readouts of 40 statements,
each read by three annotators, one to three stances per reading. Then every
format is exported with ``--all`` (one record per annotation) by ``export_annotations``' own code
path (``records.export_records`` and the format's ``write``) into a stream that only counts characters,
each run in a fresh process so that its memory is its own. Reported: records per second, the
process's peak resident memory, how much that peak grew during the export (flat means it does
not grow with the number of records), and with ``--tracemalloc`` the peak of Python allocations
during the export (slower).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus

ROOT = corpus.ROOT
FORMATS = ("jsonl", "csv", "w3c", "dna", "doccano", "labelstudio")


def setup_django(path: str) -> None:
    corpus.setup_django(corpus.host_environment("sqlite", Path(path).parent, sqlite_path=path))


def fill_database(annotations: int) -> None:
    """The corpus, grown to at least ``annotations`` annotations."""
    corpus.fill(corpus.readouts_for(annotations))
    corpus.analyze()


class Counter:
    """A text stream that keeps nothing: it counts characters."""

    def __init__(self) -> None:
        self.characters = 0

    def write(self, text: str) -> int:
        self.characters += len(text)
        return len(text)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(database: str, format: str, offsets: str, trace: bool) -> None:
    """One export in this process; prints its measurements as JSON."""
    setup_django(database)
    import tracemalloc

    from readout_annotations.formats import FORMATS as MODULES
    from readout_annotations.formats import ReadoutCache
    from readout_annotations.records import export_records

    before = peak_rss_mb()
    if trace:
        tracemalloc.start()
    stream = Counter()
    start = time.perf_counter()
    module = MODULES[format]
    rows = export_records(all=True, annotation_ids=getattr(module, "ANNOTATION_IDS", False))
    count = module.write(rows, stream, readouts=ReadoutCache(offsets))
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    print(
        json.dumps(
            {
                "records": count,
                "seconds": seconds,
                "characters": stream.characters,
                "peak_rss_mb": peak_rss_mb(),
                "rss_growth_mb": peak_rss_mb() - before,
                "tracemalloc_peak_mb": traced,
            }
        )
    )


def measure(database: str, format: str, offsets: str, trace: bool) -> dict:
    command = [sys.executable, __file__, "--child", database, "--format", format, "--offsets", offsets]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_for(rows: int, directory: str) -> tuple[str, float | None]:
    path = os.path.join(directory, f"export-{rows}.sqlite3")
    if os.path.exists(path):
        return path, None
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--fill", path, "--rows", str(rows)], check=True, cwd=ROOT)
    return path, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="annotations to export (repeatable)")
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 annotations (under a minute)")
    parser.add_argument("--format", action="append", choices=FORMATS, help="only this format (repeatable)")
    parser.add_argument("--offsets", choices=("codepoints", "utf16"), default="codepoints")
    parser.add_argument("--tracemalloc", action="store_true", help="also the peak of Python allocations (slower)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated databases in DIR and reuse them")
    parser.add_argument("--child", metavar="DATABASE", help=argparse.SUPPRESS)
    parser.add_argument("--fill", metavar="DATABASE", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.fill:
        setup_django(options.fill)
        fill_database(options.rows[0])
        return
    if options.child:
        child(options.child, options.format[0], options.offsets, options.tracemalloc)
        return

    sizes = options.rows or ([1_000, 10_000] if options.quick else [10_000, 100_000, 1_000_000])
    formats = options.format or list(FORMATS)
    temporary = None if options.keep else tempfile.TemporaryDirectory(prefix="export-benchmark-")
    directory = options.keep or temporary.name
    os.makedirs(directory, exist_ok=True)
    header = (
        f"{'annotations':>11}  {'format':<11}  {'seconds':>8}  {'records/s':>10}  {'MB out':>7}  "
        f"{'peak RSS MB':>11}  {'RSS growth MB':>13}"
    )
    if options.tracemalloc:
        header += f"  {'tracemalloc MB':>14}"
    lines = []
    for rows in sizes:
        database, built = database_for(rows, directory)
        if built is not None:
            print(f"built {rows:,} annotations in {built:.1f} s (not timed below)", file=sys.stderr)
        for format in formats:
            result = measure(database, format, options.offsets, options.tracemalloc)
            records = result["records"]
            assert records >= rows, result
            line = (
                f"{records:>11,}  {format:<11}  {result['seconds']:>8.2f}  {records / result['seconds']:>10,.0f}  "
                f"{result['characters'] / 2**20:>7.1f}  {result['peak_rss_mb']:>11.1f}  "
                f"{result['rss_growth_mb']:>13.1f}"
            )
            if options.tracemalloc:
                line += f"  {result['tracemalloc_peak_mb']:>14.1f}"
            lines.append(line)
            print(line, file=sys.stderr)
    print(f"export --all, offsets {options.offsets}, SQLite; one process per export")
    print(header)
    print("\n".join(lines))
    if temporary is not None:
        temporary.cleanup()


if __name__ == "__main__":
    main()
