"""Benchmark: agreement for 100,000 statements x 3 annotators.

    .venv/bin/python benchmarks/agreement.py                  # 100,000 statements, 3 annotators
    .venv/bin/python benchmarks/agreement.py --statements 20000 --repeat 5

Two measurements, each the best of ``--repeat`` runs:

* in memory: the rows the report's two queries return, generated here; time to build the
  reliability data and compute alpha on speaker, attribution and stance (the issue's
  figure, which must stay under 2 seconds), then the whole computation the report makes
  (alpha, every pairwise kappa, the statements of most disagreement);
* end to end: the same data in a SQLite database file (built with bulk inserts, not timed);
  time of ``reliability.agreement_report()`` over every readout (queries included) and of
  ``with_status`` over every readout.

The data is the benchmarks' corpus (``benchmarks/corpus.py``): readings agree with a "true"
reading with probability 0.85 (speaker), 0.8 (attribution) and 0.85 per stance, so alpha lands
around 0.6-0.8 as in real data; the in-memory rows are the ones the database gets.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus

LIMIT_SECONDS = 2.0


def best_of(repeat: int, function) -> tuple[tuple[float, float], object]:
    """((best wall-clock seconds, best CPU seconds of this process), last result).

    On a shared machine the wall clock includes time spent waiting for a core; the CPU
    time does not, so it is the steadier figure of the work itself.
    """
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return (wall, cpu), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--per-readout", type=int, default=1000, help="statements per readout in the database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-database", action="store_true", help="only the in-memory measurements")
    options = parser.parse_args()

    directory = tempfile.TemporaryDirectory(prefix="agreement-benchmark-")
    corpus.setup_django(corpus.host_environment("sqlite", Path(directory.name)))
    from readout_annotations import agreement, reliability

    readouts = -(-options.statements // options.per_readout)
    shape = {"statements": options.per_readout, "annotators": options.annotators}
    # The rows exactly as the report's two queries will read them from the database (ids from 1).
    annotation_rows, stance_rows = corpus.memory_rows(readouts, **shape)
    statements = readouts * options.per_readout

    def alpha_only():
        units, _readings = reliability.readout_units(annotation_rows, stance_rows)
        return {name: agreement.krippendorff_alpha(units[name]) for name in reliability.FIELDS}

    results = []
    seconds, alphas = best_of(options.repeat, alpha_only)
    results.append(("in memory: build units + alpha (3 fields)", seconds))
    seconds, fields = best_of(options.repeat, lambda: reliability.compute_fields(annotation_rows, stance_rows))
    results.append(("in memory: alpha + kappas + disagreements", seconds))

    if not options.skip_database:
        start = time.perf_counter()
        corpus.fill(readouts, **shape)
        corpus.analyze()
        setup_seconds = time.perf_counter() - start
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from readout_annotations.models import Readout

        def report():
            with CaptureQueriesContext(connection) as queries:
                result = reliability.agreement_report()
            return result, len(queries)

        seconds, (db_report, query_count) = best_of(options.repeat, report)
        for name in reliability.FIELDS:
            assert db_report.fields[name].alpha == fields[name].alpha, f"{name}: database and memory disagree"
        results.append((f"end to end (SQLite): agreement_report(), {query_count} queries", seconds))
        seconds, rows = best_of(options.repeat, lambda: list(reliability.with_status(Readout.objects.all())))
        results.append((f"end to end (SQLite): with_status over {len(rows)} readouts, 1 query", seconds))

    print(
        f"{statements:,} statements x {options.annotators} annotators: "
        f"{len(annotation_rows):,} annotations, {len(stance_rows):,} stances; best of {options.repeat}"
    )
    if not options.skip_database:
        print(f"(building the SQLite database, not timed: {setup_seconds:.1f} s)")
    width = max(len(label) for label, _ in results)
    print(f"{'measurement'.ljust(width)}     wall      CPU")
    for label, (wall, cpu) in results:
        print(f"{label.ljust(width)}  {wall:7.3f}  {cpu:7.3f}")
    print()
    print(f"{'field':<12} {'alpha':>8} {'units':>8} {'values':>8}")
    for name in reliability.FIELDS:
        a = alphas[name]
        print(f"{name:<12} {a.alpha:8.4f} {a.units:8,} {a.values:8,}")
    computation = results[1][1][0]
    verdict = "OK" if computation < LIMIT_SECONDS else "TOO SLOW"
    print(f"\nthe report's computation in memory: {computation:.3f} s wall clock (limit {LIMIT_SECONDS} s): {verdict}")
    directory.cleanup()
    if computation >= LIMIT_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
