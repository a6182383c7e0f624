#!/usr/bin/env bash
# A fresh `django-admin startproject` host with a custom user model, in a fresh virtual environment
# with the built wheel, on one Django series; see hosts/startproject_check.py for what it checks.
#   hosts/startproject_check.sh                                      # the newest Django for python3
#   hosts/startproject_check.sh 'Django>=4.2,<5.0'
#   PYTHON=python3.12 hosts/startproject_check.sh 'Django>=6.0,<7.0' # Django 6 needs Python 3.12+
# WHEEL=path/to/readout_annotations-*.whl skips the build. `nox -s host` runs all three series.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PYTHON=${PYTHON:-python3}
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
wheel=${WHEEL:-}
if [ -z "$wheel" ]; then
    "$work/venv/bin/python" -m pip install --quiet build
    "$work/venv/bin/python" -m build --wheel --outdir "$work/dist" . >/dev/null
    wheel=$(ls "$work"/dist/readout_annotations-*.whl)
fi
"$work/venv/bin/python" -m pip install --quiet "$wheel" "${1:-Django}" djangorestframework gunicorn
exec "$work/venv/bin/python" hosts/startproject_check.py --workdir "$work/host"
