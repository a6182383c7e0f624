#!/usr/bin/env bash
# The tests: installs what they need into .venv and runs the whole suite (SQLite unless TEST_DATABASE says otherwise).
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k agreement
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,tasks-db,tasks-rq]"
exec .venv/bin/python -m pytest "$@"
