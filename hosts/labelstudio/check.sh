#!/usr/bin/env bash
# Label Studio 1.23.2 as the host, in a fresh virtual environment with the built wheel; see
# hosts/labelstudio/check.py for what it checks. PYTHON=python3.11 by default;
# WHEEL=path/to/readout_annotations-*.whl skips the build.
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
"$work/venv/bin/python" -m pip install --quiet label-studio==1.23.2
"$work/venv/bin/python" -m pip install --quiet "$wheel"
"$work/venv/bin/python" hosts/labelstudio/check.py --workdir "$work/labelstudio"
