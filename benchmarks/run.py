"""The benchmark table: the API, writes, imports, exports and agreement as the corpus grows.

    .venv/bin/python benchmarks/run.py            # 100 and 1,000 readouts; exports at 1,000,000 annotations
    .venv/bin/python benchmarks/run.py --quick    # 2 and 20 readouts; exports at 10,000 annotations (< 1 minute)
    .venv/bin/python benchmarks/run.py --database postgresql --markdown

For each database (SQLite in a file, PostgreSQL in a database ``readout_bench`` that it creates
and drops) the corpus of ``benchmarks/corpus.py`` (readouts of 40 statements, three annotators,
gold) is grown to the small size and measured, grown to the large size and measured again, then
grown to 1,000,000 annotations for the exports. After each growth the database's statistics are
refreshed (``ANALYZE``), as autovacuum does in production. Measured at each size:

- the statement list (``GET /api/statements/?page_size=100``: 100 rows with gold readings and
  stances) over HTTP against gunicorn (2 gthread workers of 4 threads, ``DEBUG`` off, persistent
  database connections), one request at a time with token auth: p50 and p95, and the SQL queries
  of one such request (counted in-process with ``CaptureQueriesContext``);
- annotation writes per second: 8 concurrent HTTP clients (threads, one keep-alive connection
  each) PATCH distinct annotations with ``If-Match``; every write must land;
- ``import_readout`` of new readout files: files and statements per second (the imported readouts
  are deleted afterwards, so the corpus stays as generated);
- ``reliability.agreement_report()`` over the whole corpus: seconds;
- ``export --all`` in every format, each in a fresh fork of a warmed-up process, through ``export_annotations``' own
  code path (``records.export_records`` and the format's ``write``) into a stream that keeps nothing:
  records per second, and the process's peak resident memory (Linux ``VmHWM``).

"growth" is the figure at the large size divided by the figure at the small one (the data grows
tenfold): latencies and memory should stay near 1, seconds grow at most tenfold, rates stay near 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
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
    "export_annotations": 1_000_000,
    "requests": 300,
    "warmup": 30,
    "writes": 100,
    "files": 50,
}
QUICK = {
    "sizes": (2, 20),
    "export_annotations": 10_000,
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
    """``CLIENTS`` threads, each PATCHing ``writes`` distinct annotations of its annotator with If-Match."""
    from readout_annotations.models import Annotation

    owners = corpus.annotator_names()[1:]  # annotator1's readings are gold: locked for annotators
    tokens = {name: corpus.token(name) for name in owners}
    jobs = []
    for n in range(CLIENTS):
        owner = owners[n % len(owners)]
        mine = (
            Annotation.objects.filter(annotator__username=owner, gold=False)
            .order_by("pk")
            .values_list("pk", "version")[(n // len(owners)) * writes : (n // len(owners) + 1) * writes]
        )
        jobs.append((tokens[owner], list(mine)))
    assert all(len(targets) == writes for _, targets in jobs), "the corpus is too small for these writes"
    statuses: list[list[int]] = [[] for _ in jobs]
    barrier = threading.Barrier(len(jobs) + 1)

    def client(index: int) -> None:
        token, targets = jobs[index]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        try:
            for pk, version in targets:
                status, _ = request(
                    connection,
                    "PATCH",
                    f"/api/annotations/{pk}/",
                    token,
                    {"cue": f"rewritten by client {index}"},
                    {"If-Match": f'"{pk}-{version}"'},
                )
                statuses[index].append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    flat = [status for per_client in statuses for status in per_client]
    landed = flat.count(200)
    failed = {str(status): flat.count(status) for status in sorted(set(flat) - {200})}
    return {"writes_per_second": landed / seconds, "write_failures": failed}


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
    start = time.perf_counter()
    call_command("import_readout", *paths, verbosity=0)
    seconds = time.perf_counter() - start
    imported = Readout.objects.filter(slug__startswith=f"import-{size}-")
    statements = Statement.objects.filter(readout__in=imported).count()
    assert imported.count() == files, imported.count()
    for readout in imported:
        readout.delete_with_annotations()
    return {"import_files_per_second": files / seconds, "import_statements_per_second": statements / seconds}


def agreement_seconds() -> float:
    from readout_annotations import reliability

    start = time.perf_counter()
    report = reliability.agreement_report()
    seconds = time.perf_counter() - start
    assert report.fields["speaker"].alpha is not None
    return seconds


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
        result.update(concurrent_writes(port, options.writes))
    finally:
        corpus.stop(server)
    result["list_p50_ms"] = statistics.median(timings)
    result["list_p95_ms"] = statistics.quantiles(timings, n=100, method="inclusive")[94]
    result.update(imports(Path(options.workdir), options.files, options.readouts))
    result["agreement_seconds"] = agreement_seconds()
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


def export(format: str) -> dict:
    """One export of every annotation; runs in a process of its own (see ``exports``)."""
    from readout_annotations.formats import FORMATS as MODULES
    from readout_annotations.formats import ReadoutCache
    from readout_annotations.records import export_records

    module = MODULES[format]
    reset_peak_memory()
    start = time.perf_counter()
    records = module.write(export_records(all=True), Discard(), readouts=ReadoutCache("codepoints"))
    seconds = time.perf_counter() - start
    return {"records": records, "records_per_second": records / seconds, "peak_mb": memory_mb("VmHWM")}


def exports() -> dict[str, dict]:
    """Every format, each exported in a fresh fork of this (warmed-up) process, so that its peak
    memory is its own: what a fresh process with Django loaded would reach, without the start-up."""
    from django.db import connections

    from readout_annotations.formats import FORMATS as MODULES
    from readout_annotations.formats import ReadoutCache
    from readout_annotations.records import export_records

    for module in MODULES.values():  # import and warm every code path on one readout
        module.write(export_records(all=True, readouts=[corpus.readout_slug(0)]), Discard(), readouts=ReadoutCache())
    connections.close_all()  # each fork opens its own
    results = {}
    for format in FORMATS:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the fork: measure, report through the pipe, leave without cleaning up
            os.close(read)
            code = 0
            try:
                os.write(write, json.dumps(export(format)).encode())
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read) as pipe:
            output = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status:
            raise SystemExit(f"the {format} export failed")
        results[format] = json.loads(output)
    return results


def child(options: argparse.Namespace) -> None:
    env = dict(os.environ)
    corpus.setup_django(env)
    if options.child == "measure":
        result = measure(env, options)
    elif options.child == "grow":
        grow(options.readouts)
        result = {"counts": corpus.counts()}
    else:
        result = {"counts": corpus.counts(), "exports": exports()}
    print(json.dumps(result))


# --------------------------------------------------------------------------- the parent: databases, sizes, the table


def run_child(env: dict[str, str], *arguments: str) -> dict:
    command = [sys.executable, __file__, *arguments]
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(arguments)} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_database(database: str, plan: dict, workdir: Path, log) -> dict:
    env = corpus.host_environment(database, workdir)
    corpus.recreate_database(env)
    results: dict = {}
    try:
        for size in plan["sizes"]:
            started = time.perf_counter()
            arguments = ["--child", "measure", "--readouts", str(size), "--workdir", str(workdir)]
            for name in ("requests", "warmup", "writes", "files"):
                arguments += [f"--{name}", str(plan[name])]
            results[size] = run_child(env, *arguments)
            results[size]["exports"] = run_child(env, "--child", "export")["exports"]
            log(f"{database}, {size:,} readouts: {time.perf_counter() - started:.0f} s")
        big = corpus.readouts_for(plan["export_annotations"])
        started = time.perf_counter()
        grown = run_child(env, "--child", "grow", "--readouts", str(big))
        annotations = grown["counts"]["annotations"]
        log(f"{database}: grown to {annotations:,} annotations in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        results["export"] = run_child(env, "--child", "export")
        log(f"{database}: exports at {grown['counts']['annotations']:,} in {time.perf_counter() - started:.0f} s")
    finally:
        corpus.drop_database(env)
    return results


ROWS = [
    # (label, key, format of a value, higher is better)
    ("statement list, 100 rows: p50 ms", "list_p50_ms", "{:.1f}"),
    ("statement list, 100 rows: p95 ms", "list_p95_ms", "{:.1f}"),
    ("statement list: server CPU ms per request", "list_server_cpu_ms", "{:.1f}"),
    ("statement list: SQL queries per request", "queries", "{:d}"),
    (f"annotation writes/s ({CLIENTS} HTTP clients, If-Match)", "writes_per_second", "{:,.0f}"),
    ("import_readout: files/s", "import_files_per_second", "{:,.1f}"),
    ("import_readout: statements/s", "import_statements_per_second", "{:,.0f}"),
    ("agreement_report(), whole corpus: s", "agreement_seconds", "{:.2f}"),
]


def value(result: dict, key: str):
    if key.startswith("export:"):
        _, format, figure = key.split(":")
        return result["exports"][format][figure]
    return result[key]


def table(results: dict, plan: dict, databases: list[str]) -> str:
    small, large = plan["sizes"]
    rows = [*ROWS]
    for format in FORMATS:
        rows.append((f"export {format}: records/s", f"export:{format}:records_per_second", "{:,.0f}"))
        rows.append((f"export {format}: peak memory MB", f"export:{format}:peak_mb", "{:.0f}"))
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    header = ["figure"]
    for database in databases:
        annotations = results[database]["export"]["counts"]["annotations"]
        header += [
            f"{names[database]} {small:,} readouts",
            f"{large:,}",
            "growth",
            f"{annotations:,} annotations",
        ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, key, shape in rows:
        cells = [label]
        for database in databases:
            by_size = results[database]
            a, b = value(by_size[small], key), value(by_size[large], key)
            growth = f"×{b / a:.2f}" if a else "—"
            at_export = shape.format(value(by_size["export"], key)) if key.startswith("export:") else ""
            cells += [shape.format(a), shape.format(b), growth, at_export]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    failures = []
    for database in databases:
        for size in (small, large):
            answers = results[database][size]["write_failures"]
            if answers:
                listed = ", ".join(f"{n} answered {code}" for code, n in answers.items())
                failures.append(f"{names[database]} at {size:,} readouts: {listed}")
    lines.append("writes that did not land: " + ("; ".join(failures) if failures else "none"))
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
    parser.add_argument("--quick", action="store_true", help="2 and 20 readouts, exports at 10,000 annotations")
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    parser.add_argument("--child", choices=["measure", "grow", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--readouts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    for name in ("requests", "warmup", "writes", "files"):
        parser.add_argument(f"--{name}", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options)
        return

    plan = QUICK if options.quick else FULL
    databases = options.database or ["sqlite", "postgresql"]
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    description = machine()
    results = {}
    with tempfile.TemporaryDirectory(prefix="readout-bench-") as workdir:
        for database in databases:
            results[database] = bench_database(database, plan, Path(workdir), log)
    small, large = plan["sizes"]
    print(
        f"corpus: {small:,} and {large:,} readouts of {corpus.STATEMENTS} statements, {corpus.ANNOTATORS} annotators "
        f"and gold; exports of every annotation at {plan['export_annotations']:,}"
    )
    print(f"machine: {description}")
    seconds = time.perf_counter() - started
    print(f"command: python benchmarks/run.py{' --quick' if options.quick else ''} ({seconds:.0f} s)")
    print()
    print(table(results, plan, databases))
    if options.json:
        Path(options.json).write_text(json.dumps({"plan": plan, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
