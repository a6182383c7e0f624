#!/usr/bin/env bash
# doccano 1.8.4 as the host, in a fresh virtual environment with the built wheel; see
# hosts/doccano/check.py for what it checks. doccano 1.8.4 needs numpy<2 and marshmallow<4 (a plain
# `pip install doccano` resolves numpy 2 and marshmallow 4 and then fails to start).
# PYTHON=python3.11 by default; WHEEL=path/to/readout_annotations-*.whl skips the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PYTHON=${PYTHON:-python3.11}
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
wheel=${WHEEL:-}
if [ -z "$wheel" ]; then
    "$work/venv/bin/python" -m pip install --quiet build
    "$work/venv/bin/python" -m build --wheel --outdir "$work/dist" . >/dev/null
    wheel=$(ls "$work"/dist/readout_annotations-*.whl)
fi
"$work/venv/bin/python" -m pip install --quiet doccano==1.8.4 'numpy<2' 'marshmallow<4' "$wheel"
"$work/venv/bin/python" hosts/doccano/check.py --workdir "$work/doccano"
