"""The test host project, also served by the demo.

The database comes from ``TEST_DATABASE``: ``sqlite`` (default), ``postgresql`` or
``mariadb``; ``TEST_DATABASE_HOST``/``_PORT``/``_USER``/``_NAME`` override the
local defaults. The demo sets ``DEMO_SQLITE_PATH`` to keep its database in a file.
"""

import os
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "readout-annotations-test-host-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "readout_annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "tests.wsgi.application"


def _database() -> dict:
    backend = os.environ.get("TEST_DATABASE", "sqlite")
    env = os.environ.get
    if backend == "sqlite":
        # As docs/hosts.md recommends: writes take the lock when their transaction begins, and a
        # file database (the demo's, the job workers') runs in WAL mode so reads never wait for a
        # writer. Both options need Django 5.1+; older Djangos get SQLite's defaults.
        options = {"timeout": 5}
        if django.VERSION >= (5, 1):
            options["transaction_mode"] = "IMMEDIATE"
            if env("DEMO_SQLITE_PATH"):
                options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("DEMO_SQLITE_PATH", ":memory:"),
            "OPTIONS": options,
        }
    if backend == "postgresql":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("TEST_DATABASE_NAME", "readout_annotations"),
            "USER": env("TEST_DATABASE_USER", "postgres"),
            "HOST": env("TEST_DATABASE_HOST", "127.0.0.1"),
            "PORT": env("TEST_DATABASE_PORT", "5432"),
        }
    if backend == "mariadb":
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": env("TEST_DATABASE_NAME", "readout_annotations"),
            "USER": env("TEST_DATABASE_USER", "root"),
            "PASSWORD": env("TEST_DATABASE_PASSWORD", ""),
            "HOST": env("TEST_DATABASE_HOST", "127.0.0.1"),
            "PORT": env("TEST_DATABASE_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_bin"},
        }
    raise ValueError(f"TEST_DATABASE must be sqlite, postgresql or mariadb, not {backend!r}")


DATABASES = {"default": _database()}


def _tasks() -> tuple[list[str], dict]:
    """The Tasks backend from ``TEST_TASKS``: ``immediate`` (default: jobs run in the request's
    process), ``database`` (the database backend; run its ``db_worker``) or ``rq`` (Redis at
    ``TEST_REDIS_URL``; run ``rqworker default``). The database backend is ``django-tasks-db``
    where it is installed (Django 5.2+), else the one ``django-tasks`` 0.11 bundled (Django 4.2)."""
    from importlib.util import find_spec

    backend = os.environ.get("TEST_TASKS", "immediate")
    if backend == "immediate":
        return [], {}
    if backend == "database":
        if find_spec("django_tasks_db"):
            return ["django_tasks_db"], {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        return ["django_tasks", "django_tasks.backends.database"], {
            "default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}
        }
    if backend == "rq":
        return ["django_rq"], {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    raise ValueError(f"TEST_TASKS must be immediate, database or rq, not {backend!r}")


_TASK_APPS, TASKS = _tasks()
INSTALLED_APPS += _TASK_APPS
RQ_QUEUES = {"default": {"URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 3600}}
if not TASKS:
    del TASKS
READOUT_ANNOTATIONS_JOB_HEARTBEAT_TIMEOUT = float(os.environ.get("TEST_JOB_HEARTBEAT_TIMEOUT", "300"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not os.environ.get("DEMO_SQLITE_PATH")
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR.parent / ".demo" / "static"
# Job files (exports, uploaded readouts) go to the default storage: keep them out of the checkout.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", str(BASE_DIR.parent / ".demo" / "media"))

LOGIN_URL = "/admin/login/"

# The host's REST framework defaults; the app's API must not depend on them.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}
