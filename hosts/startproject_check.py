"""A fresh ``django-admin startproject`` host with a custom user model runs the installed app.

Run it with the Python of a virtual environment that already has Django, the built
``readout-annotations`` wheel and gunicorn installed (``nox -s host`` and
``hosts/startproject_check.sh`` do that):

    python hosts/startproject_check.py [--workdir DIR] [--server gunicorn|runserver] [--keep]

It creates the project in a temporary directory, adds an ``accounts`` app whose ``User``
is ``AUTH_USER_MODEL``, adds ``rest_framework``, ``rest_framework.authtoken`` and
``readout_annotations``, mounts our URLs at ``/api/``, then: ``check``, no missing
migrations, ``migrate``, ``readout_roles``, ``loaddata`` of the seed fixture,
``export_annotations --format jsonl``, and the admin pages and the API over real HTTP
for an annotator. One PASS or FAIL line per check; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostcheck import Abort, Report, Server, check_admin, check_api, free_port, run

FIXTURE = "xi-lukashenko-talks-2023-03-01"
PASSWORD = "host-check-Passw0rd"

ACCOUNTS_MODELS = '''\
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The host's own user model, as most real projects have."""

    affiliation = models.CharField("affiliation", max_length=200, blank=True)
'''

ACCOUNTS_ADMIN = """\
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User

admin.site.register(User, UserAdmin)
"""

SETTINGS = """

# --- added by hosts/startproject_check.py
INSTALLED_APPS += [
    "accounts",
    "rest_framework",
    "rest_framework.authtoken",
    "readout_annotations",
]
AUTH_USER_MODEL = "accounts.User"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# A host's own REST framework defaults; the app's API must not depend on them.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 5,
}
LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
"""

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("readout_annotations.urls")),
]
"""

SETUP_USERS = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from readout_annotations.models import Readout, Speaker
from readout_annotations.roles import ANNOTATORS

User = get_user_model()
assert User._meta.label == "accounts.User", User._meta.label
for name in ("annotator1", "annotator2"):
    user = User.objects.create_user(name, password=%(password)r, is_staff=True)
    user.groups.add(Group.objects.get(name=ANNOTATORS))
readout = Readout.objects.get(slug=%(slug)r)
print(json.dumps({
    "statements": readout.statements.count(),
    "speaker": Speaker.objects.order_by("slug").values_list("slug", flat=True).first(),
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--workdir", type=Path, help="Where to create the project (default: a new temporary directory)."
    )
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default=None)
    parser.add_argument("--keep", action="store_true", help="Keep the project directory afterwards.")
    options = parser.parse_args()
    server_kind = options.server or (
        "gunicorn" if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) else "runserver"
    )
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="readout-host-"))
    workdir.mkdir(parents=True, exist_ok=True)

    import django
    import rest_framework

    import readout_annotations

    report = Report(
        f"startproject host: Django {django.get_version()}, REST framework {rest_framework.VERSION}, "
        f"Python {sys.version.split()[0]}, {server_kind}"
    )
    server = None
    try:
        report.check(
            "the app is imported from an installed wheel, not a checkout",
            "site-packages" in readout_annotations.__file__,
            why=readout_annotations.__file__,
            detail=f"readout-annotations {readout_annotations.__version__}",
        )
        site = workdir / "site"
        site.mkdir()
        env = {**os.environ, "PYTHONPATH": "", "DJANGO_SETTINGS_MODULE": "hostsite.settings"}
        python = sys.executable

        def manage(*args: str) -> str:
            return run([python, "manage.py", *args], cwd=site, env=env)

        with report.step("django-admin startproject with a custom user model (accounts.User)", required=True):
            run([python, "-m", "django", "startproject", "hostsite", site], env={**os.environ, "PYTHONPATH": ""})
            manage("startapp", "accounts")
            (site / "accounts" / "models.py").write_text(ACCOUNTS_MODELS)
            (site / "accounts" / "admin.py").write_text(ACCOUNTS_ADMIN)
            with open(site / "hostsite" / "settings.py", "a") as settings:
                settings.write(SETTINGS)
            (site / "hostsite" / "urls.py").write_text(URLS)
            manage("makemigrations", "accounts", "--verbosity", "0")
        with report.step("manage.py check", required=True):
            manage("check", "--fail-level", "WARNING")
        with report.step("makemigrations --check --dry-run: our migrations match the models on this Django"):
            manage("makemigrations", "readout_annotations", "--check", "--dry-run")
        with report.step("migrate", required=True):
            manage("migrate", "--noinput", "--verbosity", "0")
        with report.step("readout_roles, twice (idempotent)", required=True):
            manage("readout_roles")
            manage("readout_roles")
        with report.step(f"loaddata {FIXTURE}, twice (natural keys)", required=True):
            manage("loaddata", FIXTURE)
            manage("loaddata", FIXTURE)
        output = manage("shell", "-c", SETUP_USERS % {"password": PASSWORD, "slug": FIXTURE})
        facts = json.loads(output.strip().splitlines()[-1])
        export = workdir / "export.jsonl"
        with report.step("export_annotations --format jsonl"):
            manage("export_annotations", "--format", "jsonl", "--output", str(export))
            records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
            if len(records) != facts["statements"]:
                raise AssertionError(f"{len(records)} records for {facts['statements']} statements")
            if not all(r["readout"] == FIXTURE and r["text"] for r in records):
                raise AssertionError(f"unexpected record: {records[0]}")
        tokens = {}
        with report.step("drf_create_token for two annotators", required=True):
            for name in ("annotator1", "annotator2"):
                out = manage("drf_create_token", name)
                tokens[name] = out.split()[2]

        port = free_port()
        if server_kind == "gunicorn":
            args = [
                python,
                "-m",
                "gunicorn",
                "hostsite.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ]
        else:
            args = [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        server = Server(args, port=port, cwd=site, env=env, log=workdir / "server.log")
        with report.step(f"{server_kind} serves the host on 127.0.0.1:{port}", required=True):
            server.wait_ready("/admin/login/")

        check_admin(report, server.url, "annotator1", PASSWORD)
        check_api(
            report,
            server.url,
            "/api/",
            token=tokens["annotator1"],
            other_token=tokens["annotator2"],
            username="annotator1",
            readout=FIXTURE,
            statement_count=facts["statements"],
            speaker=facts["speaker"],
        )
    except Abort:
        pass
    except Exception:
        report.fail("the check ran to the end", traceback.format_exc())
    finally:
        if server is not None:
            server.stop()
            if report.failed:
                print("---- server log (tail)\n" + server.log_tail(60))
        if options.keep:
            print(f"kept {workdir}")
        elif not options.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
