"""The supported-Django matrix, run against the built wheel.

    nox                          # tests and host on Django 4.2, 5.2 and 6.x
    nox -s tests                 # the suite on each Django
    nox -s "host(4.2)"           # one startproject host
    nox -s doccano               # doccano 1.8.4 as the host
    nox -s labelstudio           # Label Studio 1.23.2 as the host
    nox -s tests -- -k agreement # pytest arguments after --

Every session installs the same wheel, built once per run (or the one ``READOUT_WHEEL`` names),
and runs from outside the checkout so that every import of ``readout_annotations`` comes from
the wheel. Django 6 needs Python 3.12 or newer; nox finds interpreters on PATH and in pyenv.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
DIST = ROOT / ".nox" / "_dist"

nox.options.sessions = ["tests", "host"]
nox.options.error_on_missing_interpreters = True
nox.options.default_venv_backend = "venv"


def interpreter(version: str) -> str:
    """The newest pyenv build of ``version`` if there is one (nox misses pyenv builds that are not
    selected by ``pyenv global``), else ``version`` for nox to find on PATH."""
    pyenv = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser()
    builds = sorted(pyenv.glob(f"versions/{version}.*/bin/python{version}"), key=lambda p: p.parts[-3])
    return str(builds[-1]) if builds else version


# Django series -> (Python, requirement). Each gets the newest REST framework that installs with it.
DJANGO = {
    "4.2": ("3.11", "Django>=4.2,<5.0"),
    "5.2": ("3.11", "Django>=5.2,<6.0"),
    "6.x": (interpreter("3.12"), "Django>=6.0,<7.0"),
}
# Django series -> the Tasks packages its jobs are tested with (tests/test_jobs_worker.py runs the
# database backend's db_worker on each): the django-tasks backport with its own database backend
# on 4.2 (django-tasks-db needs 5.2+); the backport, django-tasks-db and django-tasks-rq on 5.2;
# Django's own django.tasks with django-tasks-db on 6.
TASKS = {
    "4.2": ["django-tasks==0.11.0"],
    "5.2": ["django-tasks==0.12.0", "django-tasks-db==0.13.0", "django-tasks-rq==0.12.0"],
    "6.x": ["django-tasks-db==0.13.0"],
}
MATRIX = [nox.param(python, series, id=series) for series, (python, _) in DJANGO.items()]

_wheel: list[str] = []


def wheel(session: nox.Session) -> str:
    """The built wheel: ``READOUT_WHEEL`` if set, else built once per nox run into .nox/_dist."""
    if os.environ.get("READOUT_WHEEL"):
        return os.environ["READOUT_WHEEL"]
    if not _wheel:
        shutil.rmtree(DIST, ignore_errors=True)
        session.install("build")
        session.run("python", "-m", "build", "--wheel", "--outdir", str(DIST), str(ROOT), silent=True)
        (built,) = DIST.glob("readout_annotations-*.whl")
        _wheel.append(str(built))
    return _wheel[0]


def install(session: nox.Session, series: str, *extras: str) -> None:
    requirement = DJANGO[series][1]
    target = wheel(session) + (f"[{','.join(extras)}]" if extras else "")
    session.install(target, requirement, "djangorestframework", *TASKS[series])
    show = (
        "import django, rest_framework as drf; print('Django', django.get_version(), '/ REST framework', drf.VERSION)"
    )
    session.run("python", "-c", show)


@nox.session
@nox.parametrize("python,django", MATRIX)
def tests(session: nox.Session, django: str) -> None:
    """The whole suite against the installed wheel (browser tests too, where Chromium is found)."""
    install(session, django, "test")
    work = Path(session.create_tmp()).resolve() / "suite"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "fixtures", work / "fixtures")
    shutil.copytree(ROOT / "benchmarks", work / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", work / "setup.cfg")
    session.chdir(work)
    where = "import readout_annotations as m; assert 'site-packages' in m.__file__, m.__file__; print(m.__file__)"
    session.run("python", "-c", where)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
@nox.parametrize("python,django", MATRIX)
def host(session: nox.Session, django: str) -> None:
    """A fresh startproject host with a custom user model, served by gunicorn."""
    install(session, django)
    session.install("gunicorn")
    work = Path(session.create_tmp()).resolve() / "host"
    shutil.rmtree(work, ignore_errors=True)
    session.chdir(session.create_tmp())
    session.run("python", str(ROOT / "hosts" / "startproject_check.py"), "--workdir", str(work), *session.posargs)


@nox.session(python=DJANGO["4.2"][0])
def doccano(session: nox.Session) -> None:
    """doccano 1.8.4 as the host (its pins: numpy<2 and marshmallow<4, or it does not start)."""
    session.install("doccano==1.8.4", "numpy<2", "marshmallow<4", wheel(session))
    work = Path(session.create_tmp()).resolve() / "doccano"
    shutil.rmtree(work, ignore_errors=True)
    session.chdir(session.create_tmp())
    session.run("python", str(ROOT / "hosts" / "doccano" / "check.py"), "--workdir", str(work), *session.posargs)


@nox.session(python=DJANGO["5.2"][0])
def labelstudio(session: nox.Session) -> None:
    """Label Studio 1.23.2 as the host, with its own pins (Django 5.2, REST framework 3.17) unchanged."""
    session.install("label-studio==1.23.2")
    pinned = session.run("python", "-m", "pip", "freeze", silent=True)
    session.install(wheel(session))
    installed = session.run("python", "-m", "pip", "freeze", silent=True)
    before = dict(line.split("==", 1) for line in pinned.splitlines() if "==" in line)
    after = dict(line.split("==", 1) for line in installed.splitlines() if "==" in line)
    changed = {name: (before[name], after.get(name)) for name in before if after.get(name) != before[name]}
    if changed:
        session.error(f"installing the wheel changed Label Studio's pins: {changed}")
    added = sorted(set(after) - set(before))
    session.log(f"the wheel kept every pin of Label Studio and added {', '.join(added)}")
    work = Path(session.create_tmp()).resolve() / "labelstudio"
    shutil.rmtree(work, ignore_errors=True)
    session.chdir(session.create_tmp())
    session.run("python", str(ROOT / "hosts" / "labelstudio" / "check.py"), "--workdir", str(work), *session.posargs)
