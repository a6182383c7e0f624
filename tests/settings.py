"""The test host project, also served by the demo.

The database comes from ``TEST_DATABASE``: ``sqlite`` (default), ``postgresql`` or
``mariadb``; ``TEST_DATABASE_HOST``/``_PORT``/``_USER``/``_NAME`` override the
local defaults. The demo sets ``DEMO_SQLITE_PATH`` to keep its database in a file.
"""

import os
from pathlib import Path

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
        # As docs/hosts.md recommends: writes take the lock when their transaction begins
        # (Django 5.1+), and a file database (the demo's) runs in WAL mode so reads never wait.
        options = {"transaction_mode": "IMMEDIATE", "timeout": 5}
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

LOGIN_URL = "/admin/login/"

# The host's REST framework defaults; the app's API must not depend on them.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}
