#!/usr/bin/env bash
# The demo: a host project on SQLite with the seed readout loaded, served on http://127.0.0.1:8000/.
# Needs only Python 3.10+; creates .venv and .demo/ in the checkout. PORT=8001 serves elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[tasks-db]"
mkdir -p .demo
# TEST_TASKS=database: jobs (imports and exports from the admin and the API) run on the database
# backend's worker, started beside the server below; both stop together.
export DJANGO_SETTINGS_MODULE=tests.settings DEMO_SQLITE_PATH="$PWD/.demo/db.sqlite3" DJANGO_DEBUG=1 TEST_TASKS=database
manage() { .venv/bin/python -m django "$@"; }
manage migrate --noinput --verbosity 0
manage loaddata xi-lukashenko-talks-2023-03-01
manage readout_roles
.venv/bin/python scripts/demo_users.py
.venv/bin/python scripts/demo_readings.py
.venv/bin/python -m django db_worker --interval 1 --no-reload --verbosity 0 &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT
.venv/bin/python -m django runserver "127.0.0.1:${PORT:-8000}"
