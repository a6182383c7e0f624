"""The benchmark tables: the API, writes, imports and agreement as the corpus grows; exports at 1,000,000.

    .venv/bin/python benchmarks/run.py            # 100 and 1,000 readouts; exports at 10,000 and 1,000,000 annotations
    .venv/bin/python benchmarks/run.py --quick    # 2 and 20 readouts; exports at 1,000 and 10,000 annotations
    .venv/bin/python benchmarks/run.py --database sqlite --exports-only
    .venv/bin/python benchmarks/run.py --database postgresql --export-sizes 10000 100000

For each database (SQLite in files, PostgreSQL in databases ``readout_bench_<readouts>`` that it
creates and drops) the corpus of ``benchmarks/corpus.py`` (readouts of 40 statements, three
annotators, gold) is built at every size first, so the sizes are measured one right after the
other in the same run (a busy machine then weighs on both alike). SQLite corpora are built once
and kept between runs in ``--cache`` (``corpus.cached_sqlite``); the API measurements work on a
copy. Measured at each size:

- the statement list (``GET /api/statements/?page_size=100``: 100 rows with gold readings and
  stances) over HTTP against gunicorn (2 gthread workers of 4 threads, ``DEBUG`` off, persistent
  database connections), one request at a time with token auth: p50 and p95, the workers' CPU
  time per request, and the SQL queries of one such request (``CaptureQueriesContext``);
- annotation writes per second: 8 concurrent HTTP clients (threads, one keep-alive connection
  each) PATCH distinct annotations with ``If-Match``; every write must land; the workers' CPU per
  write;
- ``import_readout`` of new readout files: files and statements per second, and statements per
  CPU second of the importing process (the imported readouts are deleted afterwards);
- ``reliability.agreement_report()`` over the whole corpus: wall and CPU seconds.

Exports (``export --all``: one record per annotation) run at two sizes, interleaved: for every
format the small corpus, then the large one, each in a fresh process warmed up on one readout,
through ``export_annotations``' own code path (``records.export_records`` and the format's
``write``) into a stream that keeps nothing. Reported: records per wall second and per CPU second
of the exporting process (SQLite runs in it; PostgreSQL's server CPU is not counted), and the
process's peak resident memory during the export (Linux ``VmHWM``, reset after the warm-up). Beside
them, the ``json.dumps``-only rate: the same records, read untimed a batch at a time, timed only
through ``json.dumps(record, ensure_ascii=False)`` (what the jsonl format does to each record).

"growth" is the figure at the large size divided by the figure at the small one: latencies and
memory should stay near 1, seconds grow at most with the data, rates stay near 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus

ROOT = corpus.ROOT
FORMATS = ("jsonl", "csv", "w3c", "dna", "doccano", "labelstudio")
LIST_URL = "/api/statements/?page_size=100"
CLIENTS = 8

FULL = {
    "sizes": (100, 1000),
    "export_sizes": (10_000, 1_000_000),
    "requests": 300,
    "warmup": 30,
    "writes": 100,
    "files": 50,
}
QUICK = {
    "sizes": (2, 20),
    "export_sizes": (1_000, 10_000),
    "requests": 40,
    "warmup": 5,
    "writes": 10,
    "files": 3,
}


# --------------------------------------------------------------------------- child processes (Django set up)


def grow(readouts: int) -> None:
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 1000 == 0 or done == total:
            print(f"  {done:,} of {total:,} readouts ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    corpus.fill(readouts, progress=progress)
    corpus.analyze()


def count_queries(token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.get(LIST_URL)  # the same warm state as the server's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL)
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert len(results) == 100 or corpus.existing_readouts() * corpus.STATEMENTS < 100, len(results)
    assert all(r["gold"] and r["stances"] for r in results), "every row should carry its gold reading and stances"
    return len(captured)


def request(connection: http.client.HTTPConnection, method: str, url: str, token: str, body=None, headers=None):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", **(headers or {})}
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    connection.request(method, url, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def list_latency(port: int, token: str, warmup: int, requests: int, workers: list[int]) -> tuple[list[float], float]:
    """Milliseconds per request, one at a time, each on a new connection; and the server's CPU
    milliseconds per request (its workers' user and system time, which a busy machine inflates
    less than the wall clock)."""
    timings, cpu_before = [], 0.0
    for n in range(warmup + requests):
        if n == warmup:
            cpu_before = corpus.cpu_seconds(workers)
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            status, body = request(connection, "GET", LIST_URL, token)
        finally:
            connection.close()
        assert status == 200, body[:300]
        if n >= warmup:
            timings.append((time.perf_counter() - start) * 1000)
    return timings, (corpus.cpu_seconds(workers) - cpu_before) * 1000 / requests


def concurrent_writes(port: int, writes: int) -> dict:
    """``CLIENTS`` threads, each PATCHing ``writes`` distinct annotations of its annotator with If-Match:
    a reading the guideline accepts whatever the corpus planned (an explicit speaker, a cue that is
    in every statement), as ``benchmarks/writes.py`` writes."""

    def body(index: int) -> dict:
        return {"speaker": corpus.SPEAKERS[index], "attribution": "explicit", "cue": "said that"}

    statuses, seconds = corpus.patch_concurrently(port, corpus.write_jobs(CLIENTS, writes), body)
    flat = [status for per_client in statuses for status in per_client]
    landed = flat.count(200)
    failed = {str(status): flat.count(status) for status in sorted(set(flat) - {200})}
    return {"landed": landed, "writes_per_second": landed / seconds, "write_failures": failed}


def imports(workdir: Path, files: int, size: int) -> dict:
    from django.core.management import call_command

    from readout_annotations.models import Readout, Statement

    directory = workdir / f"imports-{size}"
    directory.mkdir(exist_ok=True)
    paths = []
    for index in range(files):
        name, content = corpus.readout_file(index, prefix=f"import-{size}")
        path = directory / name
        path.write_text(content, encoding="utf-8")
        paths.append(str(path))
    start, cpu = time.perf_counter(), time.process_time()
    call_command("import_readout", *paths, verbosity=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    imported = Readout.objects.filter(slug__startswith=f"import-{size}-")
    statements = Statement.objects.filter(readout__in=imported).count()
    assert imported.count() == files, imported.count()
    for readout in imported:
        readout.delete_with_annotations()
    return {
        "import_files_per_second": files / seconds,
        "import_statements_per_second": statements / seconds,
        "import_statements_per_cpu_second": statements / cpu,
    }


def agreement_seconds() -> dict:
    from readout_annotations import reliability

    start, cpu = time.perf_counter(), time.process_time()
    report = reliability.agreement_report()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.fields["speaker"].alpha is not None
    return {"agreement_seconds": seconds, "agreement_cpu_seconds": cpu}


def measure(env: dict[str, str], options: argparse.Namespace) -> dict:
    """Grow the corpus to ``options.readouts`` and measure everything but the exports."""
    grow(options.readouts)
    result = {"counts": corpus.counts()}
    reviewer = corpus.token(corpus.REVIEWER)
    result["queries"] = count_queries(reviewer)
    port = corpus.free_port()
    server = corpus.serve(env, port)
    try:
        workers = corpus.worker_pids(server.pid)
        timings, result["list_server_cpu_ms"] = list_latency(port, reviewer, options.warmup, options.requests, workers)
        cpu = corpus.cpu_seconds(workers)
        result.update(concurrent_writes(port, options.writes))
        result["write_server_cpu_ms"] = (corpus.cpu_seconds(workers) - cpu) * 1000 / max(result["landed"], 1)
    finally:
        corpus.stop(server)
    result["list_p50_ms"] = statistics.median(timings)
    result["list_p95_ms"] = statistics.quantiles(timings, n=100, method="inclusive")[94]
    result.update(imports(Path(options.workdir), options.files, options.readouts))
    result.update(agreement_seconds())
    return result


class Discard:
    """A text stream that keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)


def memory_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def reset_peak_memory() -> None:
    """Start a new peak (Linux: writing 5 to clear_refs resets ``VmHWM`` to the current RSS)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


DUMPS = "json.dumps"


def export(format: str) -> dict:
    """One export of every annotation in this process, after a warm-up on one readout: records,
    wall and CPU seconds, peak resident MB during the export. ``DUMPS``: the records read untimed
    a batch at a time and only ``json.dumps`` of each timed."""
    from itertools import islice

    from readout_annotations.formats import FORMATS as MODULES
    from readout_annotations.formats import ReadoutCache
    from readout_annotations.records import BATCH, export_records

    for module in MODULES.values():  # import and warm every code path on one readout
        module.write(export_records(all=True, readouts=[corpus.readout_slug(0)]), Discard(), readouts=ReadoutCache())
    reset_peak_memory()
    if format == DUMPS:
        records = seconds = cpu = 0
        rows = export_records(all=True)
        while batch := list(islice(rows, BATCH)):
            start, started_cpu = time.perf_counter(), time.process_time()
            for record in batch:
                json.dumps(record, ensure_ascii=False) + "\n"
            seconds += time.perf_counter() - start
            cpu += time.process_time() - started_cpu
            records += len(batch)
    else:
        start, started_cpu = time.perf_counter(), time.process_time()
        module = MODULES[format]
        rows = export_records(all=True, annotation_ids=getattr(module, "ANNOTATION_IDS", False))
        records = module.write(rows, Discard(), readouts=ReadoutCache("codepoints"))
        seconds, cpu = time.perf_counter() - start, time.process_time() - started_cpu
    return {
        "records": records,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "records_per_second": records / seconds,
        "records_per_cpu_second": records / cpu,
        "peak_mb": memory_mb("VmHWM"),
    }


def child(options: argparse.Namespace) -> None:
    env = dict(os.environ)
    corpus.setup_django(env)
    if options.child == "measure":
        result = measure(env, options)
    elif options.child == "grow":
        grow(options.readouts)
        result = {"counts": corpus.counts()}
    else:
        result = export(options.format)
    print(json.dumps(result))


# --------------------------------------------------------------------------- the parent: databases, sizes, the table


def run_child(env: dict[str, str], *arguments: str) -> dict:
    command = [sys.executable, __file__, *arguments]
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(arguments)} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Corpora:
    """The corpus of each size on one database: its environment for the child processes.

    SQLite: ``corpus.cached_sqlite`` files (built once, kept in ``cache``), read as they are by
    the exports and copied into ``workdir`` for the measurements that write. PostgreSQL: a
    database per size, filled here and dropped by ``close``."""

    def __init__(self, database: str, workdir: Path, cache: Path, log) -> None:
        self.database, self.workdir, self.cache, self.log = database, workdir, cache, log
        self.made: list[dict[str, str]] = []

    def environment(self, readouts: int, *, writable: bool) -> dict[str, str]:
        if self.database == "sqlite":
            path = corpus.cached_sqlite(readouts * corpus.annotations_per_readout(), self.cache, log=self.log)
            if writable:
                copy = self.workdir / f"bench-{readouts}.sqlite3"
                shutil.copyfile(path, copy)
                path = copy
            return corpus.host_environment("sqlite", self.workdir, sqlite_path=path)
        env = corpus.host_environment("postgresql", self.workdir, name=f"{corpus.BENCH_DATABASE}_{readouts}")
        if env not in self.made:
            corpus.recreate_database(env)
            self.made.append(env)
            started = time.perf_counter()
            run_child(env, "--child", "grow", "--readouts", str(readouts))
            self.log(f"postgresql: {readouts:,} readouts built in {time.perf_counter() - started:.0f} s")
        return env

    def close(self) -> None:
        for env in self.made:
            corpus.drop_database(env)


def bench_database(database: str, plan: dict, workdir: Path, cache: Path, log, *, exports_only: bool) -> dict:
    corpora = Corpora(database, workdir, cache, log)
    results: dict = {"sizes": {}, "exports": {}}
    try:
        if not exports_only:
            envs = {size: corpora.environment(size, writable=True) for size in plan["sizes"]}
            for size, env in envs.items():
                started = time.perf_counter()
                arguments = ["--child", "measure", "--readouts", str(size), "--workdir", str(workdir)]
                for name in ("requests", "warmup", "writes", "files"):
                    arguments += [f"--{name}", str(plan[name])]
                results["sizes"][size] = run_child(env, *arguments)
                log(f"{database}, {size:,} readouts: {time.perf_counter() - started:.0f} s")
        readouts = [corpus.readouts_for(n) for n in plan["export_sizes"]]
        envs = {n: corpora.environment(n, writable=False) for n in readouts}
        for format in (*plan["formats"], DUMPS):  # interleaved: each format at every size in turn
            for env in envs.values():
                result = run_child(env, "--child", "export", "--format", format)
                results["exports"].setdefault(result["records"], {})[format] = result
                log(
                    f"{database}: {format} of {result['records']:,} records: {result['records_per_second']:,.0f}/s, "
                    f"{result['records_per_cpu_second']:,.0f}/CPU s, peak {result['peak_mb']:.0f} MB"
                )
    finally:
        corpora.close()
    return results


ROWS = [
    # (label, key, format of a value)
    ("statement list, 100 rows: p50 ms", "list_p50_ms", "{:.1f}"),
    ("statement list, 100 rows: p95 ms", "list_p95_ms", "{:.1f}"),
    ("statement list: server CPU ms per request", "list_server_cpu_ms", "{:.1f}"),
    ("statement list: SQL queries per request", "queries", "{:d}"),
    (f"annotation writes/s ({CLIENTS} HTTP clients, If-Match)", "writes_per_second", "{:,.0f}"),
    ("annotation writes: server CPU ms per write", "write_server_cpu_ms", "{:.1f}"),
    ("import_readout: files/s", "import_files_per_second", "{:,.1f}"),
    ("import_readout: statements/s", "import_statements_per_second", "{:,.0f}"),
    ("import_readout: statements per CPU s", "import_statements_per_cpu_second", "{:,.0f}"),
    ("agreement_report(), whole corpus: s", "agreement_seconds", "{:.2f}"),
    ("agreement_report(), whole corpus: CPU s", "agreement_cpu_seconds", "{:.2f}"),
]
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def table(results: dict, plan: dict, databases: list[str]) -> str:
    """The API, writes, imports and agreement at both sizes, per database."""
    small, large = plan["sizes"]
    header = ["figure"]
    for database in databases:
        header += [f"{NAMES[database]} {small:,} readouts", f"{large:,}", "growth"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, key, shape in ROWS:
        cells = [label]
        for database in databases:
            by_size = results[database]["sizes"]
            a, b = by_size[small][key], by_size[large][key]
            cells += [shape.format(a), shape.format(b), f"×{b / a:.2f}" if a else "—"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    failures = []
    for database in databases:
        for size in (small, large):
            answers = results[database]["sizes"][size]["write_failures"]
            if answers:
                listed = ", ".join(f"{n} answered {code}" for code, n in answers.items())
                failures.append(f"{NAMES[database]} at {size:,} readouts: {listed}")
    lines.append("writes that did not land: " + ("; ".join(failures) if failures else "none"))
    return "\n".join(lines)


def export_table(exports: dict, database: str) -> str:
    """Every format at both sizes: records per wall and per CPU second, peak memory; at the large
    size each format's CPU rate as a share of the ``json.dumps``-only rate."""
    small, large = sorted(exports, key=int)
    header = [f"export --all, {NAMES[database]}"]
    for size in (small, large):
        header += [f"{int(size):,} records: records/s", "records/CPU s", "peak MB"]
    header += ["peak MB growth", f"share of {DUMPS} (CPU, {int(large):,})"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    dumps = exports[large][DUMPS]["records_per_cpu_second"]
    for format in exports[large]:
        cells = [f"{DUMPS} only" if format == DUMPS else format]
        for size in (small, large):
            figures = exports[size][format]
            cells += [
                f"{figures['records_per_second']:,.0f}",
                f"{figures['records_per_cpu_second']:,.0f}",
                f"{figures['peak_mb']:.0f}",
            ]
        cells.append(f"×{exports[large][format]['peak_mb'] / exports[small][format]['peak_mb']:.2f}")
        cells.append("" if format == DUMPS else f"{exports[large][format]['records_per_cpu_second'] / dumps:.0%}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({model}), {memory} RAM, load average {load[0]:.1f} at the start; "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 and 20 readouts, exports at 1,000 and 10,000 annotations"
    )
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--exports-only", action="store_true", help="only the export table")
    parser.add_argument(
        "--export-format", action="append", choices=FORMATS, help="export only this format (repeatable)"
    )
    parser.add_argument(
        "--export-sizes",
        type=int,
        nargs=2,
        metavar=("SMALL", "LARGE"),
        help="export at these numbers of annotations (default 10,000 and 1,000,000; --quick 1,000 and 10,000)",
    )
    parser.add_argument("--cache", type=Path, default=corpus.CACHE, help="where SQLite corpora are kept between runs")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    parser.add_argument("--child", choices=["measure", "grow", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--readouts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    for name in ("requests", "warmup", "writes", "files"):
        parser.add_argument(f"--{name}", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options)
        return

    plan = dict(QUICK if options.quick else FULL, formats=options.export_format or FORMATS)
    if options.export_sizes:
        plan["export_sizes"] = tuple(sorted(options.export_sizes))
    databases = options.database or ["sqlite", "postgresql"]
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    description = machine()
    results, skipped = {}, {}
    with tempfile.TemporaryDirectory(prefix="readout-bench-") as workdir:
        for database in databases:
            probe = corpus.host_environment(database, Path(workdir))
            reason = corpus.unavailable(probe)
            if reason:
                skipped[database] = reason
                log(reason)
                continue
            corpus.drop_database(probe)
            results[database] = bench_database(
                database, plan, Path(workdir), options.cache, log, exports_only=options.exports_only
            )
    cpu = os.times()
    small, large = plan["sizes"]
    print(
        f"corpus: {small:,} and {large:,} readouts of {corpus.STATEMENTS} statements, {corpus.ANNOTATORS} annotators "
        f"and gold; exports of every annotation at {' and '.join(f'{n:,}' for n in plan['export_sizes'])}"
    )
    print(f"machine: {description}; load average {os.getloadavg()[0]:.1f} at the end")
    seconds = time.perf_counter() - started
    arguments = " ".join(sys.argv[1:])
    print(
        f"command: python benchmarks/run.py {arguments} ({seconds:.0f} s wall, "
        f"{cpu.children_user + cpu.children_system:.0f} s CPU of its processes)"
    )
    for reason in skipped.values():
        print(reason)
    print()
    databases = [database for database in databases if database not in skipped]
    if databases and not options.exports_only:
        print(table(results, plan, databases))
        print()
    for database in databases:
        print(export_table(results[database]["exports"], database))
        print()
    if options.json:
        Path(options.json).write_text(json.dumps({"plan": plan, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
