"""Annotation writes per second: this checkout against a baseline (by default ``main``), interleaved.

    .venv/bin/python benchmarks/writes.py                          # SQLite and PostgreSQL, 3 rounds
    .venv/bin/python benchmarks/writes.py --database sqlite --writes 200 --busy 2 --rounds 2

The baseline is checked out into a temporary ``git worktree`` and both codes serve the same
database in turn, under gunicorn (2 gthread workers of 4 threads, ``DEBUG`` off, persistent
connections), each with its own ``tests/settings.py``. A round measures both codes, in ABBA order
over the rounds, so that a change of the machine's load between measurements falls on both.

A measurement: 8 HTTP clients (threads, one keep-alive connection each) PATCH distinct
annotations of their annotator with ``If-Match`` (the version just read), each ``--writes``
times; the body rewrites the speaker, attribution and cue and leaves the stances alone (the case
the issue measured: a cue corrected). Reported: writes landed per second (wall), the server's CPU
milliseconds per write (``/proc``, gunicorn's workers), answers other than 200 (a 412 would mean
the benchmark raced itself; anything else is a failure), and the SQL queries of one such PATCH
(counted in a separate process of the same code with ``CaptureQueriesContext``).

``--busy N`` keeps N extra processes spinning on the CPU during every measurement ("a busy
machine"). SQLite runs in WAL mode for both codes (set once on the file, as ``docs/hosts.md``
recommends); each code brings its own transaction mode. PostgreSQL uses a database of its own
(``readout_bench_writes``), created and dropped here; without the driver or the server it is
skipped with a one-line reason.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
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
CLIENTS = 8
READOUTS = 20  # 800 non-gold readings for each of annotator2 and annotator3: enough for 8 x 200 writes
DATABASE_NAME = "readout_bench_writes"

QUERY_PROBE = r"""
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from readout_annotations.models import Annotation
from benchmarks import corpus
annotation = Annotation.objects.filter(annotator__username="annotator2", gold=False).order_by("-pk").first()
client = Client(HTTP_AUTHORIZATION=f"Token {corpus.token('annotator2')}")
body = json.dumps({"speaker": "speaker-1", "attribution": "explicit", "cue": "said that"})
with CaptureQueriesContext(connection) as queries:
    response = client.patch(
        f"/api/annotations/{annotation.pk}/", body, content_type="application/json",
        HTTP_IF_MATCH=f'"{annotation.pk}-{annotation.version}"',
    )
assert response.status_code == 200, response.content[:300]
import readout_annotations
print(json.dumps({"queries": len(queries), "module": readout_annotations.__file__}))
"""


# --------------------------------------------------------------------------- the two codes


def baseline_checkout(ref: str, into: Path) -> Path:
    command = ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(into), ref]
    subprocess.run(command, check=True, capture_output=True)
    return into


def remove_checkout(path: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)


def environment(database: str, workdir: Path, code: Path) -> dict[str, str]:
    """The benchmark host's environment, with ``code`` (a checkout) first on the import path."""
    env = corpus.host_environment(database, workdir, name=DATABASE_NAME, sqlite_path=workdir / "writes.sqlite3")
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), str(code)])
    return env


def serve(env: dict[str, str], code: Path, port: int) -> subprocess.Popen:
    """gunicorn for ``code``: started in its checkout, whose directory gunicorn puts first on sys.path."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "tests.wsgi:application", "--chdir", str(code), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=0.5).connect()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited") from None
            time.sleep(0.1)
    corpus.stop(server)
    raise SystemExit("gunicorn did not start")


def probe(env: dict[str, str], code: Path) -> dict:
    """The SQL queries of one PATCH, and which checkout's package served it."""
    output = subprocess.run(
        [sys.executable, "-c", QUERY_PROBE],
        env={**env, "PYTHONPATH": f"{env['PYTHONPATH']}{os.pathsep}{ROOT}"},
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --------------------------------------------------------------------------- one measurement


def spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def concurrent_writes(port: int, writes: int, round_: int) -> dict:
    """``CLIENTS`` threads, each PATCHing ``writes`` distinct annotations of its annotator."""
    cue = "said that" if round_ % 2 else "said"  # both occur in every statement of the corpus

    def body(index: int) -> dict:
        return {"speaker": f"speaker-{index}", "attribution": "explicit", "cue": cue}

    statuses, seconds = corpus.patch_concurrently(port, corpus.write_jobs(CLIENTS, writes), body)
    flat = [status for per_client in statuses for status in per_client]
    return {"landed": flat.count(200), "seconds": seconds, "other": {s: flat.count(s) for s in set(flat) - {200}}}


def measure(env: dict[str, str], code: Path, writes: int, busy: int, round_: int) -> dict:
    port = corpus.free_port()
    server = serve(env, code, port)
    burners = []
    try:
        workers = corpus.worker_pids(server.pid)
        deadline = time.monotonic() + 20
        while len(workers) < 2 and time.monotonic() < deadline:  # both workers up before the CPU count starts
            time.sleep(0.1)
            workers = corpus.worker_pids(server.pid)
        for _ in range(8):  # load Django in both workers before their CPU time is read
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            warm.request("GET", "/api/")
            warm.getresponse().read()
            warm.close()
        if busy:
            burners = [multiprocessing.Process(target=spin, args=(time.monotonic() + 600,)) for _ in range(busy)]
            for burner in burners:
                burner.start()
        cpu = corpus.cpu_seconds(workers)
        result = concurrent_writes(port, writes, round_)
        result["server_cpu_ms_per_write"] = (corpus.cpu_seconds(workers) - cpu) * 1000 / max(result["landed"], 1)
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()
        corpus.stop(server)
    result["writes_per_second"] = result["landed"] / result["seconds"]
    return result


# --------------------------------------------------------------------------- the run


def bench_database(database: str, codes: dict[str, Path], options, workdir: Path) -> list[dict] | str:
    envs = {name: environment(database, workdir, code) for name, code in codes.items()}
    reason = corpus.unavailable(envs["this"])
    if reason:
        return reason
    if database == "sqlite":
        corpus.drop_database(envs["this"])
    try:
        corpus.setup_django(envs["this"])  # this process fills the corpus and reads versions
        corpus.fill(READOUTS)
        from django.db import connection

        if database == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        connection.close()
        probes = {name: probe(envs[name], code) for name, code in codes.items()}
        for name, code in codes.items():
            assert probes[name]["module"].startswith(str(code)), (name, probes[name]["module"])
        rows = []
        for round_ in range(options.rounds):
            order = list(codes) if round_ % 2 == 0 else list(reversed(codes))
            for name in order:
                result = measure(envs[name], codes[name], options.writes, options.busy, round_)
                rows.append({"database": database, "code": name, "round": round_ + 1, **result, **probes[name]})
                print(
                    f"  {database} {name:8} round {round_ + 1}: {result['writes_per_second']:7.1f} writes/s, "
                    f"{result['server_cpu_ms_per_write']:5.1f} CPU ms/write, other answers {result['other'] or 'none'}",
                    file=sys.stderr,
                )
        return rows
    finally:
        from django.db import connections

        connections.close_all()
        corpus.drop_database(envs["this"])


def table(rows: list[dict], baseline: str) -> str:
    lines = [
        "| database | code | writes/s (median) | rounds | server CPU ms/write (median) | queries/PATCH "
        "| answers other than 200 |",
        "| --- | --- | ---: | --- | ---: | ---: | --- |",
    ]
    databases = list(dict.fromkeys(row["database"] for row in rows))
    ratios = []
    for database in databases:
        medians = {}
        for code in ("baseline", "this"):
            mine = [row for row in rows if row["database"] == database and row["code"] == code]
            rates = [row["writes_per_second"] for row in mine]
            cpu = statistics.median(row["server_cpu_ms_per_write"] for row in mine)
            other: dict[int, int] = {}
            for row in mine:
                for status, count in row["other"].items():
                    other[status] = other.get(status, 0) + count
            medians[code] = statistics.median(rates)
            label = baseline if code == "baseline" else "this branch"
            answers = ", ".join(f"{s}: {n}" for s, n in sorted(other.items())) or "none"
            lines.append(
                f"| {database} | {label} | {medians[code]:,.1f} | {', '.join(f'{r:,.0f}' for r in rates)} | "
                f"{cpu:.1f} | {mine[0]['queries']} | {answers} |"
            )
        ratios.append(f"{database}: x{medians['this'] / medians['baseline']:.2f}")
    lines.append("")
    lines.append("this branch / baseline, median writes/s: " + "; ".join(ratios))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--baseline", default="main", help="the git ref to compare with (default: main)")
    parser.add_argument("--writes", type=int, default=100, help="PATCHes per client per measurement (max 200)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="extra CPU-bound processes during measurements")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="writes-bench-"))
    checkout = baseline_checkout(options.baseline, workdir / "baseline")
    rows, skipped = [], []
    try:
        for database in options.database or ["sqlite", "postgresql"]:
            # Each database in a fresh process: Django is set up once per process.
            out = workdir / f"{database}.json"
            child = [sys.executable, __file__, "--child", database, str(out), str(checkout)]
            child += [str(options.writes), str(options.rounds), str(options.busy)]
            subprocess.run(child, check=True)
            result = json.loads(out.read_text())
            if isinstance(result, str):
                skipped.append(result)
            else:
                rows.extend(result)
    finally:
        remove_checkout(checkout)
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"Annotation writes: {CLIENTS} HTTP clients x {options.writes} PATCHes with If-Match, {options.rounds} "
        f"rounds (ABBA), {options.busy} busy processes, on {os.cpu_count()} CPUs"
    )
    print()
    if rows:
        print(table(rows, options.baseline))
    for reason in skipped:
        print(reason)
    if options.json:
        Path(options.json).write_text(json.dumps(rows, indent=1, default=str))


def child() -> None:
    database, out, checkout, writes, rounds, busy = sys.argv[2:8]
    options = argparse.Namespace(writes=int(writes), rounds=int(rounds), busy=int(busy))
    workdir = Path(out).parent / database
    workdir.mkdir(exist_ok=True)
    result = bench_database(database, {"baseline": Path(checkout), "this": ROOT}, options, workdir)
    Path(out).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
    else:
        main()
