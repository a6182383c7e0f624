#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment and run the suite from a directory
# that holds only the tests, so every import of readout_annotations comes from the wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PYTHON=${PYTHON:-python3}
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip build
"$work/venv/bin/python" -m build --wheel --outdir "$work/dist" . >/dev/null
wheel=$(ls "$work"/dist/readout_annotations-*.whl)
"$work/venv/bin/python" -m pip install --quiet "$wheel[test]"
cp -r tests benchmarks setup.cfg "$work/"
mkdir -p "$work/fixtures" && cp -r fixtures/. "$work/fixtures/"
cd "$work"
"$work/venv/bin/python" -c "import readout_annotations, sys; assert 'site-packages' in readout_annotations.__file__, readout_annotations.__file__; print('testing', readout_annotations.__file__)"
"$work/venv/bin/python" -m pytest -m "not browser" "$@"
