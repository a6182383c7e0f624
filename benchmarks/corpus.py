"""The benchmarks' corpus and host: one generator, one database set-up, one server for every benchmark.

A corpus is readouts of ``statements`` sentences each (five to a paragraph), every statement read
by ``annotators`` human annotators (``annotator1`` ...) whose readings agree with a "true" reading
with probability 0.85 (speaker), 0.8 (attribution) and 0.85 per stance, so that alpha lands around
0.6-0.8 as in real data; ``annotator1``'s reading is the gold one, accepted by ``reviewer``. Every
readout is planned from its own seeded random generator, so a corpus grown in steps (``fill`` up to
100 readouts, then up to 1,000) is the same as one built at once. The database is filled with
``bulk_create`` in large batches (nothing here is timed).

    from benchmarks import corpus
    env = corpus.host_environment("postgresql", workdir)   # or "sqlite": a file in workdir
    corpus.recreate_database(env)                          # PostgreSQL: a fresh readout_bench
    corpus.setup_django(env)
    corpus.fill(100)                                       # migrate, people, catalogue, readouts
    server = corpus.serve(env, port)                       # gunicorn on 127.0.0.1
"""

from __future__ import annotations

import datetime
import os
import random
import socket
import subprocess
import sys
import textwrap
import time
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
#: Readouts written per transaction (and per round of bulk inserts).
CHUNK = 50


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

    ``progress(done, total)`` is called after each chunk of ``CHUNK`` readouts.
    """
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, skip_checks=True)  # the system checks have their own tests
    with transaction.atomic():
        users = people(annotators)
        speakers, targets = catalogue()
    first = existing_readouts()
    for start in range(first, readouts, CHUNK):
        indexes = range(start, min(start + CHUNK, readouts))
        plans = [plan(i, statements=statements, annotators=annotators, seed=seed) for i in indexes]
        with transaction.atomic():
            _write(plans, users, speakers, targets, annotators=annotators, gold=gold)
        if progress is not None:
            progress(indexes[-1] + 1, readouts)
    return max(0, readouts - first)


def _write(plans: list[PlannedReadout], users, speakers, targets, *, annotators: int, gold: bool) -> None:
    from django.utils import timezone

    from readout_annotations import text as text_module
    from readout_annotations.models import Annotation, Readout, Stance, Statement

    rows = Readout.objects.bulk_create(
        Readout(
            slug=p.slug,
            title=p.title,
            published_at=p.published_at,
            publisher="Ministry of Foreign Affairs",
            text=p.text,
            checksum=text_module.checksum(p.text),
        )
        for p in plans
    )
    statements = Statement.objects.bulk_create(
        Statement(readout=row, number=s.number, paragraph=s.paragraph, start=s.start, end=s.end, text=s.text(p.text))
        for p, row in zip(plans, rows, strict=True)
        for s in text_module.segment(p.text)
    )
    readings = [reading for p in plans for statement_readings in p.readings for reading in statement_readings]
    assert len(statements) * annotators == len(readings), "the text must segment into the planned statements"
    names = annotator_names(annotators)
    reviewer, now = users[REVIEWER], timezone.now()
    annotations = []
    for n, reading in enumerate(readings):
        statement, which = statements[n // annotators], n % annotators
        is_gold = gold and which == 0
        annotations.append(
            Annotation(
                statement=statement,
                annotator=users[names[which]],
                speaker_id=None if reading.speaker is None else speakers[reading.speaker],
                attribution=reading.attribution,
                mode=reading.mode,
                cue="said",
                gold=is_gold,
                gold_statement=statement if is_gold else None,
                adjudicated_by=reviewer if is_gold else None,
                adjudicated_at=now if is_gold else None,
            )
        )
    annotations = Annotation.objects.bulk_create(annotations, batch_size=5000)
    Stance.objects.bulk_create(
        (
            Stance(annotation_id=annotation.pk, target_id=targets[target], stance=stance)
            for annotation, reading in zip(annotations, readings, strict=True)
            for target, stance in reading.stances
        ),
        batch_size=5000,
    )


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
