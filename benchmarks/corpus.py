"""The benchmarks' corpus and host: one generator, one database set-up, one server for every benchmark.

A corpus is readouts of ``statements`` sentences each (five to a paragraph), every statement read
by ``annotators`` human annotators (``annotator1`` ...) whose readings agree with a "true" reading
with probability 0.85 (speaker), 0.8 (attribution) and 0.85 per stance, so that alpha lands around
0.6-0.8 as in real data; ``annotator1``'s reading is the gold one, accepted by ``reviewer``. Every
readout is planned from its own seeded random generator, so a corpus grown in steps (``fill`` up to
100 readouts, then up to 1,000) is the same as one built at once. The database is filled with
raw ``executemany`` inserts in one transaction (nothing here is timed); ``cached_sqlite`` keeps a
SQLite corpus of a given size in a file that the benchmarks share between runs.

    from benchmarks import corpus
    env = corpus.host_environment("postgresql", workdir)   # or "sqlite": a file in workdir
    corpus.recreate_database(env)                          # PostgreSQL: a fresh readout_bench
    corpus.setup_django(env)
    corpus.fill(100)                                       # migrate, people, catalogue, readouts
    server = corpus.serve(env, port)                       # gunicorn on 127.0.0.1
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "readout_bench"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
FIRST_DAY = datetime.datetime(2023, 3, 1, 9, 0, tzinfo=BEIJING)

STATEMENTS = 40
ANNOTATORS = 3
SPEAKERS = [f"speaker-{n}" for n in range(20)]
TARGETS = [f"target-{n}" for n in range(30)]
ATTRIBUTIONS = ("explicit", "continued", "inferred", "narration")
MODES = ("direct", "indirect", "mixed")
STANCES = ("favor", "against", "none")
REVIEWER = "reviewer"
SEED = 20230301
#: Readouts planned and inserted per round of inserts (all in one transaction).
CHUNK = 50
#: Rows per ``INSERT`` statement on a database server.
ROWS_PER_INSERT = 500


def annotator_names(annotators: int = ANNOTATORS) -> list[str]:
    return [f"annotator{n + 1}" for n in range(annotators)]


def readout_slug(index: int) -> str:
    return f"bench-{index:06d}"


# --------------------------------------------------------------------------- the plan (plain data, no database)


@dataclass(frozen=True)
class Reading:
    speaker: int | None  # index into SPEAKERS, or no speaker
    attribution: str
    mode: str
    stances: tuple[tuple[int, str], ...]  # (index into TARGETS, stance)


@dataclass(frozen=True)
class PlannedReadout:
    index: int
    slug: str
    title: str
    published_at: datetime.datetime
    text: str
    #: Per statement, one reading per annotator (``annotator1`` first: the gold reading).
    readings: list[list[Reading]]


def _sentence(rng: random.Random, number: int) -> str:
    return f"Speaker {rng.randrange(len(SPEAKERS))} said that point {number} of the talks matters."


def readout_body(rng: random.Random, statements: int) -> str:
    """``statements`` sentences, five to a paragraph (``text.segment`` finds exactly these)."""
    sentences = [_sentence(rng, n) for n in range(1, statements + 1)]
    return "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, statements, 5))


def _readings(rng: random.Random, annotators: int) -> list[Reading]:
    speakers = [*range(len(SPEAKERS)), None]
    speaker, attribution = rng.choice(speakers), rng.choice(ATTRIBUTIONS)
    mode = rng.choice(MODES)
    truth = {t: rng.choice(STANCES) for t in rng.sample(range(len(TARGETS)), rng.randint(1, 3))}
    readings = []
    for _ in range(annotators):
        kept = [
            (target, stance if rng.random() < 0.85 else rng.choice(STANCES))
            for target, stance in truth.items()
            if rng.random() < 0.9
        ]
        if not kept:  # every reading tags at least one target (the statement list shows stances)
            target = next(iter(truth))
            kept = [(target, truth[target])]
        readings.append(
            Reading(
                speaker=speaker if rng.random() < 0.85 else rng.choice(speakers),
                attribution=attribution if rng.random() < 0.8 else rng.choice(ATTRIBUTIONS),
                mode=mode,
                stances=tuple(sorted(kept)),
            )
        )
    return readings


def plan(index: int, *, statements: int = STATEMENTS, annotators: int = ANNOTATORS, seed: int = SEED) -> PlannedReadout:
    """Readout number ``index`` of the corpus, the same every time."""
    rng = random.Random(seed * 1_000_003 + index)
    return PlannedReadout(
        index=index,
        slug=readout_slug(index),
        title=f"Readout {index}",
        published_at=FIRST_DAY + datetime.timedelta(hours=index),
        text=readout_body(rng, statements),
        readings=[_readings(rng, annotators) for _ in range(statements)],
    )


def readout_file(index: int, *, statements: int = STATEMENTS, prefix: str = "import") -> tuple[str, str]:
    """(file name, content) of a readout file in the seed's format, for ``import_readout``."""
    rng = random.Random(SEED + 7 * index)
    stamp = (FIRST_DAY + datetime.timedelta(hours=index)).strftime("%Y-%m-%d %H:%M")
    return f"{prefix}-{index:06d}.txt", f"Imported readout {index}\n{stamp}\n\n{readout_body(rng, statements)}\n"


def memory_rows(readouts: int, **options) -> tuple[list[tuple], list[tuple]]:
    """The rows ``reliability.annotation_rows`` and ``stance_rows`` would read from a corpus of
    ``readouts`` readouts: ``(annotation id, statement id, annotator, speaker slug, attribution)``
    and ``(annotation id, statement id, target slug, stance)``, ids counted from 1."""
    annotation_rows, stance_rows = [], []
    names = annotator_names(options.get("annotators", ANNOTATORS))
    statement_id = 0
    for index in range(readouts):
        for readings in plan(index, **options).readings:
            statement_id += 1
            for name, reading in zip(names, readings, strict=True):
                annotation_id = len(annotation_rows) + 1
                speaker = None if reading.speaker is None else SPEAKERS[reading.speaker]
                annotation_rows.append((annotation_id, statement_id, name, speaker, reading.attribution))
                stance_rows.extend((annotation_id, statement_id, TARGETS[t], s) for t, s in reading.stances)
    return annotation_rows, stance_rows


# --------------------------------------------------------------------------- the host: settings, database, server


def host_environment(
    database: str,
    workdir: Path,
    *,
    conn_max_age: int = 60,
    name: str = BENCH_DATABASE,
    sqlite_path: str | Path | None = None,
) -> dict[str, str]:
    """Environment for a benchmark process and for gunicorn: the test host (``tests.settings``)
    with ``DEBUG`` off and persistent connections, on SQLite (``sqlite_path``, by default a file in
    ``workdir``) or on the PostgreSQL database ``name`` (``TEST_DATABASE_*`` variables as for the
    tests)."""
    settings = Path(workdir) / "bench_settings.py"
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
        env["DEMO_SQLITE_PATH"] = str(sqlite_path or Path(workdir) / "bench.sqlite3")
    else:
        env["TEST_DATABASE_NAME"] = name
    return env


def _postgresql(env: dict[str, str]):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=env.get("TEST_DATABASE_USER", "postgres"),
        host=env.get("TEST_DATABASE_HOST", "127.0.0.1"),
        port=env.get("TEST_DATABASE_PORT", "5432"),
        autocommit=True,
    )


def unavailable(env: dict[str, str]) -> str | None:
    """None when the database of ``env`` can be used (PostgreSQL: made afresh here), otherwise
    why not, in one line (no driver, no server)."""
    if env["TEST_DATABASE"] == "sqlite":
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "PostgreSQL skipped: the psycopg driver is not installed (pip install -e '.[postgresql]')"
    try:
        recreate_database(env)
    except Exception as error:  # the server is down or refuses: say so in one line
        return f"PostgreSQL skipped: {str(error).splitlines()[0]}"
    return None


def recreate_database(env: dict[str, str]) -> None:
    """A fresh, empty database (PostgreSQL: drop and create it; SQLite: remove the file)."""
    drop_database(env)
    if env["TEST_DATABASE"] != "sqlite":
        with _postgresql(env) as connection:
            connection.execute(f'CREATE DATABASE "{env["TEST_DATABASE_NAME"]}"')


def drop_database(env: dict[str, str]) -> None:
    if env["TEST_DATABASE"] == "sqlite":
        Path(env["DEMO_SQLITE_PATH"]).unlink(missing_ok=True)
        return
    with _postgresql(env) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{env["TEST_DATABASE_NAME"]}" WITH (FORCE)')


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process from ``host_environment``'s variables."""
    for name in ("DJANGO_SETTINGS_MODULE", "TEST_DATABASE", "TEST_DATABASE_NAME", "DEMO_SQLITE_PATH", "DJANGO_DEBUG"):
        if name in env:
            os.environ[name] = env[name]
    for path in reversed(env["PYTHONPATH"].split(os.pathsep)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict[str, str], port: int, *, workers: int = 2, threads: int = 4) -> subprocess.Popen:
    """The test host under gunicorn on 127.0.0.1 (``threads`` > 1: the gthread worker)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "tests.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
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


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


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


def write_jobs(clients: int, writes: int) -> list[tuple[str, list[tuple[int, int]]]]:
    """Work for ``clients`` concurrent writers: per client an annotator's API token and ``writes``
    distinct ``(annotation id, version)`` of that annotator's (not gold: gold is locked for
    annotators), no annotation given to two clients."""
    from readout_annotations.models import Annotation

    owners = annotator_names()[1:]  # annotator1's readings are gold
    tokens = {name: token(name) for name in owners}
    jobs = []
    for n in range(clients):
        owner, share = owners[n % len(owners)], n // len(owners)
        mine = Annotation.objects.filter(annotator__username=owner, gold=False).order_by("pk")
        jobs.append((tokens[owner], list(mine.values_list("pk", "version")[share * writes : (share + 1) * writes])))
    if not all(len(targets) == writes for _, targets in jobs):
        raise SystemExit("the corpus is too small for these writes")
    return jobs


def patch_concurrently(port: int, jobs, body) -> tuple[list[list[int]], float]:
    """Every job of ``write_jobs`` on a thread of its own with one keep-alive connection, all
    released together by a barrier: PATCH each of its annotations with ``body(client index)`` (a
    dict, sent as JSON) and ``If-Match``. Returns the statuses, per client in order, and the wall
    seconds from the release to the last answer."""
    statuses: list[list[int]] = [[] for _ in jobs]
    barrier = threading.Barrier(len(jobs) + 1)

    def client(index: int) -> None:
        api_token, targets = jobs[index]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        try:
            for pk, version in targets:
                headers = {
                    "Authorization": f"Token {api_token}",
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                    "If-Match": f'"{pk}-{version}"',
                }
                connection.request("PATCH", f"/api/annotations/{pk}/", json.dumps(body(index)), headers)
                response = connection.getresponse()
                response.read()
                statuses[index].append(response.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - start


# --------------------------------------------------------------------------- filling the database


def people(annotators: int = ANNOTATORS) -> dict[str, object]:
    """The reviewer and the annotators (created once, without usable passwords), by username."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from readout_annotations.roles import ANNOTATORS as ANNOTATOR_GROUP
    from readout_annotations.roles import REVIEWERS, ensure_roles

    ensure_roles()
    users = {}
    for name in [REVIEWER, *annotator_names(annotators)]:
        user, created = get_user_model().objects.get_or_create(username=name)
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=REVIEWERS if name == REVIEWER else ANNOTATOR_GROUP))
        users[name] = user
    return users


def token(username: str) -> str:
    """The user's API token (created on first use)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=get_user_model().objects.get(username=username))[0].key


def catalogue() -> tuple[list[int], list[int]]:
    """Primary keys of the speakers and targets, in the order of ``SPEAKERS`` and ``TARGETS``."""
    from readout_annotations.models import Speaker, Target

    if not Speaker.objects.filter(slug=SPEAKERS[0]).exists():
        Speaker.objects.bulk_create(
            Speaker(slug=slug, name=f"Speaker {n}", aliases=[f"Speaker {n}"], affiliation="State")
            for n, slug in enumerate(SPEAKERS)
        )
        Target.objects.bulk_create(Target(slug=slug, name=f"Target {n}") for n, slug in enumerate(TARGETS))
    speakers = dict(Speaker.objects.filter(slug__in=SPEAKERS).values_list("slug", "pk"))
    targets = dict(Target.objects.filter(slug__in=TARGETS).values_list("slug", "pk"))
    return [speakers[s] for s in SPEAKERS], [targets[t] for t in TARGETS]


def existing_readouts() -> int:
    from readout_annotations.models import Readout

    return Readout.objects.filter(slug__startswith="bench-").count()


def fill(
    readouts: int,
    *,
    statements: int = STATEMENTS,
    annotators: int = ANNOTATORS,
    gold: bool = True,
    seed: int = SEED,
    progress=None,
) -> int:
    """Migrate, then grow the corpus to ``readouts`` readouts; returns the readouts added.

    The rows go in with raw ``executemany`` inserts (ids given, no model instances) in one
    transaction; on SQLite with ``synchronous`` and the rollback journal off while it lasts (a
    benchmark's own file: a crash mid-fill may leave it unusable, and the next run rebuilds it).
    About a minute for 1,000,000 annotations. ``progress(done, total)`` is called after each chunk
    of ``CHUNK`` readouts.
    """
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, skip_checks=True)  # the system checks have their own tests
    with transaction.atomic():
        users = people(annotators)
        speakers, targets = catalogue()
    first = existing_readouts()
    if first >= readouts:
        return 0
    with _bulk_loading(connection), transaction.atomic(), connection.cursor() as cursor:
        tables = _Tables(connection, cursor)
        for start in range(first, readouts, CHUNK):
            indexes = range(start, min(start + CHUNK, readouts))
            plans = [plan(i, statements=statements, annotators=annotators, seed=seed) for i in indexes]
            _write(tables, plans, users, speakers, targets, annotators=annotators, gold=gold)
            if progress is not None:
                progress(indexes[-1] + 1, readouts)
        tables.reset_sequences()
    return readouts - first


@contextmanager
def _bulk_loading(connection):
    """SQLite: no fsync and no rollback journal while the block runs, then the journal mode the
    file had (the host's WAL). Other databases, or inside a transaction (the tests): as they are."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA journal_mode={journal}")
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")


class _Table:
    """Raw inserts into one model's table: the ``columns`` given per row (field names), every
    other column its field's default (``auto_now`` fields: the fill's start), prepared for the
    database once."""

    def __init__(self, model, columns: tuple[str, ...], connection, cursor, now) -> None:
        meta = model._meta
        given = [meta.get_field(name) for name in columns]
        rest = [f for f in meta.concrete_fields if f not in given]
        quote = connection.ops.quote_name
        names = ", ".join(quote(f.column) for f in (*given, *rest))
        self.marks = "(" + ", ".join(["%s"] * (len(given) + len(rest))) + ")"
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "
        stamped = [f for f in rest if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        self.constants = tuple(f.get_db_prep_save(now if f in stamped else f.get_default(), connection) for f in rest)
        #: Given columns whose Python value is not what the driver takes (datetimes, UUIDs).
        self.prepared = [(i, f) for i, f in enumerate(given) if f.get_internal_type() in ("DateTimeField", "UUIDField")]
        self.model, self.connection, self.cursor = model, connection, cursor
        self.cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
        self.next_id = (self.cursor.fetchone()[0] or 0) + 1

    def insert(self, rows: list[list]) -> None:
        """SQLite: one ``executemany`` (in-process, no round trips). A server: many rows per
        ``INSERT`` (``ROWS_PER_INSERT``), since its driver may send one row per round trip."""
        for row in rows:
            for i, field in self.prepared:
                row[i] = field.get_db_prep_save(row[i], self.connection)
            row.extend(self.constants)
        if self.connection.vendor == "sqlite":
            self.cursor.executemany(self.sql + self.marks, rows)
            return
        for start in range(0, len(rows), ROWS_PER_INSERT):
            part = rows[start : start + ROWS_PER_INSERT]
            self.cursor.execute(self.sql + ", ".join([self.marks] * len(part)), [v for row in part for v in row])

    def ids(self, count: int) -> range:
        """The next ``count`` primary keys (given explicitly: no RETURNING needed)."""
        ids = range(self.next_id, self.next_id + count)
        self.next_id += count
        return ids


class _Tables:
    def __init__(self, connection, cursor) -> None:
        from django.utils import timezone

        from readout_annotations.models import Annotation, Readout, Stance, Statement

        now = timezone.now()
        self.connection = connection
        self.readout = _Table(
            Readout,
            ("id", "slug", "title", "published_at", "published_on", "publisher", "text", "checksum"),
            connection,
            cursor,
            now,
        )
        self.statement = _Table(
            Statement, ("id", "readout", "number", "paragraph", "start", "end", "text"), connection, cursor, now
        )
        self.annotation = _Table(
            Annotation,
            (
                *("id", "uuid", "statement", "annotator", "speaker", "attribution", "mode", "cue"),
                *("gold", "gold_statement", "adjudicated_by", "adjudicated_at"),
            ),
            connection,
            cursor,
            now,
        )
        self.stance = _Table(Stance, ("id", "annotation", "target", "stance"), connection, cursor, now)
        self.now = now

    def reset_sequences(self) -> None:
        """PostgreSQL: move the id sequences past the ids given (SQLite needs nothing)."""
        from django.core.management.color import no_style

        models = [t.model for t in (self.readout, self.statement, self.annotation, self.stance)]
        for sql in self.connection.ops.sequence_reset_sql(no_style(), models):
            self.readout.cursor.execute(sql)


def _write(
    tables: _Tables, plans: list[PlannedReadout], users, speakers, targets, *, annotators: int, gold: bool
) -> None:
    from readout_annotations import text as text_module
    from readout_annotations.models import Readout, ordered_uuid

    names = annotator_names(annotators)
    annotator_ids = [users[name].pk for name in names]
    reviewer = users[REVIEWER].pk
    readout_rows, statement_rows, annotation_rows, stance_rows = [], [], [], []
    for p, readout_id in zip(plans, tables.readout.ids(len(plans)), strict=True):
        readout_rows.append(
            [
                readout_id,
                p.slug,
                p.title,
                p.published_at,
                Readout(published_at=p.published_at).publication_day(),  # as Readout.save() stores it
                "Ministry of Foreign Affairs",
                p.text,
                text_module.checksum(p.text),
            ]
        )
        segments = text_module.segment(p.text)
        assert len(segments) == len(p.readings), "the text must segment into the planned statements"
        for s, statement_id, readings in zip(segments, tables.statement.ids(len(segments)), p.readings, strict=True):
            statement_rows.append([statement_id, readout_id, s.number, s.paragraph, s.start, s.end, s.text(p.text)])
            for which, (reading, annotation_id) in enumerate(
                zip(readings, tables.annotation.ids(annotators), strict=True)
            ):
                is_gold = gold and which == 0
                speaker = None if reading.speaker is None else speakers[reading.speaker]
                annotation_rows.append(
                    [
                        *(annotation_id, ordered_uuid(), statement_id, annotator_ids[which], speaker),
                        *(reading.attribution, reading.mode, "said", is_gold),
                        *((statement_id, reviewer, tables.now) if is_gold else (None, None, None)),
                    ]
                )
                for (target, stance), stance_id in zip(
                    reading.stances, tables.stance.ids(len(reading.stances)), strict=True
                ):
                    stance_rows.append([stance_id, annotation_id, targets[target], stance])
    tables.readout.insert(readout_rows)
    tables.statement.insert(statement_rows)
    tables.annotation.insert(annotation_rows)
    tables.stance.insert(stance_rows)


def analyze() -> None:
    """Fresh planner statistics after bulk inserts, as autovacuum (PostgreSQL) keeps them in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def counts() -> dict[str, int]:
    from readout_annotations.models import Annotation, Readout, Stance, Statement

    return {
        "readouts": Readout.objects.count(),
        "statements": Statement.objects.count(),
        "annotations": Annotation.objects.count(),
        "stances": Stance.objects.count(),
    }


def annotations_per_readout(statements: int = STATEMENTS, annotators: int = ANNOTATORS) -> int:
    return statements * annotators


def readouts_for(annotations: int, statements: int = STATEMENTS, annotators: int = ANNOTATORS) -> int:
    """The smallest corpus with at least ``annotations`` annotations."""
    per = annotations_per_readout(statements, annotators)
    return -(-annotations // per)


# --------------------------------------------------------------------------- a SQLite corpus kept between runs

#: Where ``cached_sqlite`` keeps its files unless told otherwise.
CACHE = Path(os.environ.get("READOUT_BENCH_CACHE") or Path(tempfile.gettempdir()) / "readout-bench-cache")


#: Bumped whenever the generator changes what it writes, so that no run reads an older corpus
#: (2: readouts carry ``published_on``, as ``Readout.save()`` stores it).
GENERATOR = 2


def cached_sqlite(annotations: int, directory: Path | None = None, *, log=None) -> Path:
    """A SQLite file holding the corpus grown to ``readouts_for(annotations)`` readouts, built once
    (in a process of its own) and reused by every later call and benchmark run. The file's name
    says its size, the latest migration and ``GENERATOR``, so a schema change or a new generator
    builds a new one (old files stay in the directory, ``READOUT_BENCH_CACHE``, by default
    ``readout-bench-cache`` in the temporary directory, until deleted)."""
    directory = Path(directory or CACHE)
    directory.mkdir(parents=True, exist_ok=True)
    readouts = readouts_for(annotations)
    migrations = sorted(p.stem for p in (ROOT / "readout_annotations" / "migrations").glob("0*.py"))
    path = directory / f"corpus-{readouts}-readouts-{migrations[-1]}-g{GENERATOR}.sqlite3"
    done = path.with_suffix(".done")
    if done.exists():
        return path
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    env = host_environment("sqlite", directory, sqlite_path=path)
    command = [sys.executable, __file__, "--sqlite", str(path), "--readouts", str(readouts)]
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    done.write_text(f"{readouts} readouts, built in {time.perf_counter() - started:.0f} s\n")
    if log is not None:
        log(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def _main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Fill a SQLite corpus file (see cached_sqlite).")
    parser.add_argument("--sqlite", required=True, type=Path)
    parser.add_argument("--readouts", required=True, type=int)
    options = parser.parse_args()
    setup_django(host_environment("sqlite", options.sqlite.parent, sqlite_path=options.sqlite))
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 1000 == 0 or done == total:
            print(f"  {done:,} of {total:,} readouts ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    fill(options.readouts, progress=progress)
    analyze()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _main()
