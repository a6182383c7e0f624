"""Benchmark: the statement list, 100 rows with gold readings and stances, over HTTP.

    .venv/bin/python benchmarks/api_list.py                                    # SQLite
    .venv/bin/python benchmarks/api_list.py --database sqlite --database postgresql
    .venv/bin/python benchmarks/api_list.py --readouts 200 --requests 500

For each database a corpus is built (not timed): ``--readouts`` readouts of ``--statements``
statements, each statement with a gold reading (speaker, attribution, mode, cue and 1-3
stances) and a second human reading. SQLite uses a file; PostgreSQL a fresh database
``readout_annotations_bench`` on 127.0.0.1 (``TEST_DATABASE_*`` variables as for the tests).
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
import datetime
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = "/api/statements/?page_size=100"
TARGET_MS = 16.5
MAX_QUERIES = 10
BENCH_DATABASE = "readout_annotations_bench"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


# --------------------------------------------------------------------------- the host


def host_environment(database: str, workdir: Path, conn_max_age: int) -> dict[str, str]:
    """Environment for this process and gunicorn: the test host on the chosen database."""
    settings = workdir / "bench_settings.py"
    settings.write_text(
        textwrap.dedent(
            f"""
            from tests.settings import *  # noqa: F403

            DEBUG = False
            DATABASES["default"]["CONN_MAX_AGE"] = {conn_max_age}  # noqa: F405
            """
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "TEST_DATABASE": database,
        "DJANGO_DEBUG": "",
    }
    if database == "sqlite":
        env["DEMO_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    else:
        env["TEST_DATABASE_NAME"] = BENCH_DATABASE
    return env


def recreate_postgresql_database(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        user=env.get("TEST_DATABASE_USER", "postgres"),
        host=env.get("TEST_DATABASE_HOST", "127.0.0.1"),
        port=env.get("TEST_DATABASE_PORT", "5432"),
        autocommit=True,
    ) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")


# --------------------------------------------------------------------------- the corpus


def build_corpus(readouts: int, per_readout: int, seed: int = 20230301) -> str:
    """Fill the database; returns the reviewer's API token."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from readout_annotations.models import Annotation, Readout, Speaker, Stance, Target
    from readout_annotations.roles import ANNOTATORS, REVIEWERS, ensure_roles

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    with transaction.atomic():
        ensure_roles()
        users = get_user_model().objects
        reviewer = users.create_user("reviewer", password="bench")
        reviewer.groups.add(Group.objects.get(name=REVIEWERS))
        annotators = [users.create_user(f"annotator{n}", password="bench") for n in (1, 2)]
        for annotator in annotators:
            annotator.groups.add(Group.objects.get(name=ANNOTATORS))
        speakers = Speaker.objects.bulk_create(
            Speaker(slug=f"speaker-{n}", name=f"Speaker {n}", aliases=[f"Speaker {n}"]) for n in range(20)
        )
        targets = Target.objects.bulk_create(Target(slug=f"target-{n}", name=f"Target {n}") for n in range(30))
        for r in range(readouts):
            sentences = [
                f"Speaker {rng.randrange(20)} said that point {n} of the talks matters." for n in range(per_readout)
            ]
            paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, per_readout, 5)]
            readout = Readout.objects.create_segmented(
                slug=f"readout-{r:05d}",
                title=f"Readout {r}",
                published_at=datetime.datetime(2023, 3, 1, 9, 0, tzinfo=BEIJING) + datetime.timedelta(days=r),
                text="\n\n".join(paragraphs),
            )
            statements = list(readout.statements.order_by("number"))
            gold = Annotation.objects.bulk_create(
                Annotation(
                    statement=s,
                    annotator=annotators[0],
                    speaker=rng.choice(speakers),
                    attribution=rng.choice(["explicit", "continued", "inferred"]),
                    mode=rng.choice(["direct", "indirect", "mixed"]),
                    cue="said",
                    gold=True,
                    gold_statement=s,
                )
                for s in statements
            )
            other = Annotation.objects.bulk_create(
                Annotation(statement=s, annotator=annotators[1], speaker=rng.choice(speakers), attribution="explicit")
                for s in statements
            )
            Stance.objects.bulk_create(
                Stance(annotation=a, target=t, stance=rng.choice(["favor", "against", "none"]))
                for a in [*gold, *other]
                for t in rng.sample(targets, rng.randint(1, 3))
            )
        return Token.objects.create(user=reviewer).key


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", URL, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "tests.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env={**env, "DJANGO_SETTINGS_MODULE": "bench_settings"}, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited") from None
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    """gunicorn's worker processes (Linux ``/proc``; empty elsewhere)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def time_requests(port: int, token: str, warmup: int, requests: int, workers: list[int]) -> tuple[list[float], float]:
    """Wall-clock milliseconds of each request, and the server's CPU milliseconds per request."""
    for _ in range(warmup):
        status, body = get(port, token)
        assert status == 200, body[:300]
    timings = []
    cpu_before = cpu_seconds(workers) if workers else 0.0
    for _ in range(requests):
        start = time.perf_counter()
        status, body = get(port, token)
        timings.append((time.perf_counter() - start) * 1000)
        assert status == 200, body[:300]
    cpu = (cpu_seconds(workers) - cpu_before) * 1000 / requests if workers else float("nan")
    return timings, cpu


# --------------------------------------------------------------------------- one database, in a child process


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    token = build_corpus(args.readouts, args.statements)
    queries, rows = count_queries(token)
    port = free_port()
    server = serve(dict(os.environ), port)
    try:
        timings, cpu = time_requests(port, token, args.warmup, args.requests, worker_pids(server.pid))
    finally:
        server.terminate()
        server.wait(10)
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
        env = host_environment(database, Path(workdir), args.conn_max_age)
        if database == "postgresql":
            recreate_postgresql_database(env)
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
        output = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
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
