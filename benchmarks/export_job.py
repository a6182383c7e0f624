"""Exporting every annotation through the API, behind gunicorn with its default settings (one sync
worker, 30 s timeout): the synchronous stream against the same export as a job on the database
backend's worker. Prints a table; the job's file is compared byte for byte with
``export_annotations --all``'s output.

    python benchmarks/export_job.py                          # 1,000,000 annotations on SQLite
    python benchmarks/export_job.py --annotations 100000 --database postgresql

The corpus comes from ``benchmarks/corpus.py``: on SQLite a copy of the file ``corpus.cached_sqlite``
keeps in ``--cache`` (built once, about three minutes for a million annotations, shared with
``benchmarks/run.py``); on PostgreSQL a database filled here. CPU time (the worker's from ``/proc``,
the command's from ``getrusage``) is printed beside wall time, because the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus


def sha256_of_stream(response) -> tuple[str, int, bool]:
    """(digest, bytes, complete) of a streamed body; ``complete`` False when the server cut it."""
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in response.iter_content(1 << 16):
            digest.update(chunk)
            size += len(chunk)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
        return digest.hexdigest(), size, False
    return digest.hexdigest(), size, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "readout-export-job")
    parser.add_argument("--cache", type=Path, default=corpus.CACHE, help="where SQLite corpora are kept between runs")
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    sqlite_path = None
    if options.database == "sqlite":  # a copy: the jobs' rows and files do not go into the shared corpus
        sqlite_path = options.workdir / "export-job.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(corpus.cached_sqlite(options.annotations, options.cache, log=print), sqlite_path)
    env = corpus.host_environment(options.database, options.workdir, sqlite_path=sqlite_path)
    env["TEST_TASKS"] = "database"
    env["TEST_MEDIA_ROOT"] = str(options.workdir / "media")
    os.environ["TEST_TASKS"] = "database"
    corpus.setup_django(env)
    readouts = corpus.readouts_for(options.annotations)
    corpus.fill(readouts)
    counts = corpus.counts()
    reviewer = corpus.token(corpus.REVIEWER)
    python = sys.executable
    command_output = options.workdir / "command.jsonl"
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [python, "-m", "django", "export_annotations", "--format", "jsonl", "--all", "--output", str(command_output)],
        env=env,
        cwd=corpus.ROOT,
        check=True,
    )
    command_seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    command_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    expected = hashlib.sha256(command_output.read_bytes()).hexdigest()

    port = corpus.free_port()
    gunicorn = subprocess.Popen(
        [str(Path(python).with_name("gunicorn")), "tests.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=corpus.ROOT,
    )
    worker = subprocess.Popen(
        [python, "-m", "django", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        env=env,
        cwd=corpus.ROOT,
    )
    try:
        time.sleep(3)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {reviewer}"
        base = f"http://127.0.0.1:{port}/api"

        started = time.perf_counter()
        streamed = session.get(f"{base}/export/?all=1", stream=True, timeout=120)
        stream_digest, stream_bytes, stream_complete = sha256_of_stream(streamed)
        stream_seconds = time.perf_counter() - started

        cpu_before = corpus.cpu_seconds([worker.pid])
        started = time.perf_counter()
        response = session.post(f"{base}/export/?async=1&all=1", timeout=60)
        assert response.status_code == 202, response.text
        url = response.headers["Location"]
        while (job := session.get(url, timeout=60).json())["status"] not in ("succeeded", "failed"):
            time.sleep(0.5)
        job_seconds = time.perf_counter() - started
        job_cpu = corpus.cpu_seconds([worker.pid]) - cpu_before
        assert job["status"] == "succeeded", job
        downloaded = session.get(job["download"], stream=True, timeout=600)
        job_digest, job_bytes, _complete = sha256_of_stream(downloaded)
    finally:
        corpus.stop(gunicorn)
        corpus.stop(worker)

    records = job["progress"]["total"]
    print(f"corpus: {counts}; database {options.database}; gunicorn defaults (1 sync worker, 30 s timeout)")
    print()
    columns = ("export of every annotation", "records", "bytes", "wall s", "CPU s", "records/s", "same file")
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| GET /api/export/?all=1 (streamed) | - | {stream_bytes:,} | {stream_seconds:.1f} | - | - | "
        f"{'yes' if stream_complete and stream_digest == expected else 'no (cut off)'} |"
    )
    print(
        f"| POST /api/export/?async=1&all=1 (job) | {records:,} | {job_bytes:,} | {job_seconds:.1f} | "
        f"{job_cpu:.1f} | {records / job_seconds:,.0f} | {'yes' if job_digest == expected else 'NO'} |"
    )
    print(
        f"| export_annotations --all (command) | {records:,} | {command_output.stat().st_size:,} | "
        f"{command_seconds:.1f} | {command_cpu:.1f} | {records / command_seconds:,.0f} | - |"
    )
    if job_digest != expected:
        raise SystemExit("the job's file differs from the command's output")


if __name__ == "__main__":
    main()
