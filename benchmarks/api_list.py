"""Benchmark: the statement list, 100 rows with gold readings and stances, over HTTP.

    .venv/bin/python benchmarks/api_list.py                                    # SQLite
    .venv/bin/python benchmarks/api_list.py --database sqlite --database postgresql
    .venv/bin/python benchmarks/api_list.py --readouts 200 --requests 500

For each database the benchmarks' corpus (``benchmarks/corpus.py``) is built (not timed):
``--readouts`` readouts of ``--statements`` statements, each read by three annotators, one reading
gold (speaker, attribution, mode, cue and 1-3 stances). SQLite uses a file; PostgreSQL a fresh
database ``readout_bench_api`` on 127.0.0.1 (``TEST_DATABASE_*`` variables as for the tests).
The test host is then served by gunicorn (one sync worker, ``DEBUG`` off) and
``GET /api/statements/?page_size=100`` is requested ``--requests`` times with token auth
(after ``--warmup`` requests), one at a time, each on a new connection as a sync worker
allows. SQL queries per request are counted by a separate request in this process
(``CaptureQueriesContext``); "server CPU ms" is the gunicorn worker's CPU time per request
(from ``/proc``), which a busy machine inflates less than wall-clock time. The host keeps
database connections open (``CONN_MAX_AGE``) as a production host does; ``--conn-max-age 0``
opens one per request.

Reference (the issue, same 2-core machine): doccano 1.8.4's example list of 100 rows,
p50 165 ms and 408 queries; Label Studio 1.23.2's task list, 88 ms and 133 queries.
The target is p50 <= 16.5 ms (10x doccano) with at most 10 queries.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus

ROOT = corpus.ROOT
URL = "/api/statements/?page_size=100"
TARGET_MS = 16.5
MAX_QUERIES = 10
BENCH_DATABASE = "readout_bench_api"


def count_queries(token: str) -> tuple[int, int]:
    """Queries for one request in this process, and the number of rows it returned."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.get(URL)  # the same warm state as the server's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert all(r["gold"] and r["stances"] for r in results), "every row should carry its gold reading and stances"
    return len(captured), len(results)


# --------------------------------------------------------------------------- HTTP


def get(port: int, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", URL, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def time_requests(port: int, token: str, warmup: int, requests: int, master: int) -> tuple[list[float], float]:
    """Wall-clock milliseconds of each request, and the server's CPU milliseconds per request."""
    for _ in range(warmup):
        status, body = get(port, token)
        assert status == 200, body[:300]
    workers = corpus.worker_pids(master)  # after the warm-up: gunicorn forks its worker after binding
    timings = []
    cpu_before = corpus.cpu_seconds(workers) if workers else 0.0
    for _ in range(requests):
        start = time.perf_counter()
        status, body = get(port, token)
        timings.append((time.perf_counter() - start) * 1000)
        assert status == 200, body[:300]
    cpu = (corpus.cpu_seconds(workers) - cpu_before) * 1000 / requests if workers else float("nan")
    return timings, cpu


# --------------------------------------------------------------------------- one database, in a child process


def child(args: argparse.Namespace) -> None:
    env = dict(os.environ)
    corpus.setup_django(env)
    corpus.fill(args.readouts, statements=args.statements)
    corpus.analyze()
    token = corpus.token(corpus.REVIEWER)
    queries, rows = count_queries(token)
    port = corpus.free_port()
    server = corpus.serve(env, port, workers=1, threads=1)
    try:
        timings, cpu = time_requests(port, token, args.warmup, args.requests, server.pid)
    finally:
        corpus.stop(server)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(
        json.dumps(
            {
                "rows": rows,
                "queries": queries,
                "p50": statistics.median(timings),
                "p95": cuts[94],
                "cpu": cpu,
                "statements": args.readouts * args.statements,
            }
        )
    )


def run(database: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="api-bench-") as workdir:
        env = corpus.host_environment(database, Path(workdir), conn_max_age=args.conn_max_age, name=BENCH_DATABASE)
        corpus.recreate_database(env)
        command = [
            sys.executable,
            __file__,
            "--child",
            "--readouts",
            str(args.readouts),
            "--statements",
            str(args.statements),
            "--requests",
            str(args.requests),
            "--warmup",
            str(args.warmup),
        ]
        try:
            output = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
        finally:
            corpus.drop_database(env)
        return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--readouts", type=int, default=50)
    parser.add_argument("--statements", type=int, default=40, help="statements per readout")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"GET {URL}, {args.requests} requests after {args.warmup} warm-up, gunicorn (1 sync worker)")
    print(
        f"{'database':<12} {'statements':>10} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'server CPU ms':>14} "
        f"{'queries':>8}  target"
    )
    failed = False
    for database in args.database or ["sqlite"]:
        result = run(database, args)
        ok = result["p50"] <= TARGET_MS and result["queries"] <= MAX_QUERIES
        failed |= not ok
        print(
            f"{database:<12} {result['statements']:>10} {result['rows']:>5} {result['p50']:>8.1f} "
            f"{result['p95']:>8.1f} {result['cpu']:>14.1f} {result['queries']:>8}  {'met' if ok else 'MISSED'}"
        )
    print(f"target: p50 <= {TARGET_MS} ms (10x faster than doccano's 165 ms) with <= {MAX_QUERIES} queries")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
