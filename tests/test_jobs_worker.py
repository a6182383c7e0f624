"""Jobs on real worker processes, over real HTTP: a fresh database of the suite's backend
(``TEST_DATABASE``), the host served by gunicorn with default settings, and

- the database backend's ``db_worker`` (django-tasks-db; django-tasks 0.11's own on Django 4.2):
  an export job whose file equals ``export_annotations``' output, and a worker killed in the middle
  of an import (the job turns failed once its heartbeat stops, nothing was imported, and a retry on
  a new worker imports everything);
- RQ (django-tasks-rq) against Redis at ``TEST_REDIS_URL`` with two ``rqworker`` processes sharing
  one queue. Skipped when Redis does not answer, unless ``REQUIRE_REDIS=1`` (CI), which makes that a
  failure.

Everything runs in subprocesses against a database made for the module and dropped after it, so
the test process's own test database is not involved.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(tmp: Path) -> tuple[dict, callable]:
    """Environment variables naming a new, empty database of ``TEST_DATABASE``'s kind, and a
    function that drops it."""
    backend = os.environ.get("TEST_DATABASE", "sqlite")
    name = f"ra_jobs_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        return {"DEMO_SQLITE_PATH": str(tmp / "jobs.sqlite3")}, lambda: None
    if backend == "postgresql":
        import psycopg

        params = {
            "host": os.environ.get("TEST_DATABASE_HOST", "127.0.0.1"),
            "port": os.environ.get("TEST_DATABASE_PORT", "5432"),
            "user": os.environ.get("TEST_DATABASE_USER", "postgres"),
            "dbname": "postgres",
            "autocommit": True,
        }
        with psycopg.connect(**params) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(**params) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return {"TEST_DATABASE_NAME": name}, drop
    if backend == "mariadb":
        import MySQLdb

        params = {
            "host": os.environ.get("TEST_DATABASE_HOST", "127.0.0.1"),
            "port": int(os.environ.get("TEST_DATABASE_PORT", "3306")),
            "user": os.environ.get("TEST_DATABASE_USER", "root"),
            "password": os.environ.get("TEST_DATABASE_PASSWORD", ""),
        }
        connection = MySQLdb.connect(**params)
        connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        connection.close()

        def drop() -> None:
            connection = MySQLdb.connect(**params)
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
            connection.close()

        return {"TEST_DATABASE_NAME": name}, drop
    raise ValueError(backend)


class World:
    """A host with the seed loaded, gunicorn serving it, and workers started on demand."""

    def __init__(self, tmp: Path, tasks: str) -> None:
        self.tmp = tmp
        database, self.drop = fresh_database(tmp)
        self.env = {
            **os.environ,
            **database,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(ROOT),
            "TEST_TASKS": tasks,
            "TEST_JOB_HEARTBEAT_TIMEOUT": "8",
            "TEST_MEDIA_ROOT": str(tmp / "media"),
        }
        self.workers: list[subprocess.Popen] = []
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("loaddata", "xi-lukashenko-talks-2023-03-01", "--verbosity", "0")
        self.manage("readout_roles", "--verbosity", "0")
        self.tokens = json.loads(self.python(TOKENS))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tests.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "gunicorn.log", "w"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/api/", timeout=10)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.server.poll() is not None:
                    raise RuntimeError((tmp / "gunicorn.log").read_text()) from None
                time.sleep(0.2)

    def manage(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "django", *args], env=self.env, cwd=ROOT, check=True, capture_output=True, **kwargs
        )

    def python(self, code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code], env=self.env, cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    def start_worker(self, *command: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", *command], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )
        self.workers.append(worker)
        return worker

    def client(self, who: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.tokens[who]}"
        return session

    def wait(self, session: requests.Session, url: str, until, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            response = session.get(url, timeout=30)
            assert response.status_code == 200, (response.status_code, response.text[-3000:])
            job = response.json()
            if until(job):
                return job
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-3000:] for p in self.tmp.glob("worker-*.log"))
                raise AssertionError(f"job stuck: {job}\n{logs}")
            time.sleep(0.05)

    def close(self) -> None:
        for process in [*self.workers, self.server]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.drop()


TOKENS = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from readout_annotations.roles import ANNOTATORS, REVIEWERS
tokens = {}
for name, group in (("annotator1", ANNOTATORS), ("reviewer", REVIEWERS)):
    user = get_user_model().objects.create_user(username=name, password="x", is_staff=True)
    user.groups.set([Group.objects.get(name=group)])
    tokens[name] = Token.objects.create(user=user).key
print(json.dumps(tokens))
"""


def done(job: dict) -> bool:
    return job["status"] in ("succeeded", "failed")


@pytest.fixture(scope="module")
def database_world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("jobs-db"), "database")
    yield world
    world.close()


DB_WORKER = ("db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload", "--verbosity", "0")


def test_an_export_job_on_the_database_worker_equals_the_commands_output(database_world):
    world = database_world
    worker = world.start_worker(*DB_WORKER)
    reviewer = world.client("reviewer")
    response = reviewer.post(world.url + "/api/export/?async=1&all=1&format=jsonl", timeout=30)
    assert response.status_code == 202, response.text
    job = world.wait(reviewer, response.headers["Location"], done)
    assert job["status"] == "succeeded", job
    assert job["progress"]["done"] == job["progress"]["total"] == 34  # the seed's gold readings
    downloaded = reviewer.get(job["download"], timeout=30)
    assert downloaded.status_code == 200
    command = world.manage("export_annotations", "--format", "jsonl", "--all").stdout
    assert downloaded.content == command
    assert world.client("annotator1").get(response.headers["Location"], timeout=10).status_code == 404
    worker.terminate()
    worker.wait(10)


def big_readouts(count: int, sentences: int) -> list[tuple[str, bytes]]:
    body = "\n\n".join(
        " ".join(f"Xi Jinping pointed out that cooperation number {p}-{i} matters." for i in range(20))
        for p in range(sentences // 20)
    )
    return [(f"bulk-{n:02d}.txt", f"Bulk readout {n}\n2024-05-14 21:05\n\n{body}\n".encode()) for n in range(count)]


def test_a_worker_killed_in_the_middle_of_an_import_leaves_nothing_and_a_retry_completes(database_world):
    world = database_world
    reviewer = world.client("reviewer")
    before = reviewer.get(world.url + "/api/readouts/", timeout=10).json()["count"]
    files = [("file", (name, data, "text/plain")) for name, data in big_readouts(40, 200)]
    response = reviewer.post(world.url + "/api/readouts/import/?async=1&timezone=UTC", files=files, timeout=60)
    assert response.status_code == 202, response.text
    url = response.headers["Location"]
    worker = world.start_worker(*DB_WORKER)
    world.wait(reviewer, url, lambda job: job["status"] != "queued")
    time.sleep(0.3)  # into the files
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    job = world.wait(reviewer, url, done, timeout=30)
    assert job["status"] == "failed", job
    assert "no heartbeat" in job["errors"][0]
    readouts = reviewer.get(world.url + "/api/readouts/?page_size=100", timeout=10).json()["results"]
    assert before <= len(readouts) < before + 40  # killed part-way through the files
    for readout in readouts:  # every file it kept is whole: all its statements, all their proposals
        statements = reviewer.get(world.url + f"/api/statements/?readout={readout['slug']}&page_size=1", timeout=10)
        assert statements.json()["count"] == readout["statement_count"], readout

    world.start_worker(*DB_WORKER)
    assert reviewer.post(url + "retry/", timeout=10).status_code == 202
    job = world.wait(reviewer, url, done, timeout=240)
    assert job["status"] == "succeeded", (job["errors"], job["progress"])
    assert job["progress"] == {"done": 40, "total": 40}
    assert reviewer.get(world.url + "/api/readouts/", timeout=10).json()["count"] == before + 40


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_jobs_move_onto_a_shared_rq_queue_served_by_two_workers(tmp_path):
    pytest.importorskip("django_tasks_rq")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not redis_answers(redis_url):
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis does not answer at {redis_url}")
        pytest.skip(f"Redis does not answer at {redis_url}")
    import redis

    world = World(tmp_path, "rq")
    try:
        workers = [
            world.start_worker("rqworker", "default", "--job-class", "django_tasks_rq.backend.Job") for _ in range(2)
        ]
        reviewer = world.client("reviewer")
        urls = []
        for n in range(6):
            response = reviewer.post(world.url + f"/api/export/?async=1&all=1&format={'jsonl' if n % 2 else 'csv'}")
            assert response.status_code == 202, response.text
            urls.append(response.headers["Location"])
        finished = [world.wait(reviewer, url, done, timeout=120) for url in urls]
        assert [job["status"] for job in finished] == ["succeeded"] * 6, finished
        command = world.manage("export_annotations", "--format", "jsonl", "--all").stdout
        assert reviewer.get(finished[1]["download"], timeout=30).content == command
        names = {w.decode() for w in redis.Redis.from_url(redis_url).smembers("rq:workers")}
        assert len(names) >= 2, names
        assert all(worker.poll() is None for worker in workers)
    finally:
        world.close()
