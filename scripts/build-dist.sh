#!/usr/bin/env bash
# Build the sdist and the wheel (into dist/, or the directory given) with every warning an error, so
# that a host's install log stays clean. PYTHON=.venv/bin/python by default (needs `build`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
out=${1:-dist}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -rf "$out" build readout_annotations.egg-info
# PYTHONDONTWRITEBYTECODE only makes setuptools say that it skips byte-compiling.
if ! env -u PYTHONDONTWRITEBYTECODE "$PYTHON" -m build --sdist --wheel --outdir "$out" . >"$log" 2>&1; then
    cat "$log"
    exit 1
fi
if grep -i -B2 -A2 "warn" "$log"; then
    echo "FAIL: the build printed the warnings above" >&2
    exit 1
fi
"$PYTHON" - "$out" <<'PYTHON'
import sys, tarfile, zipfile
from pathlib import Path

out = Path(sys.argv[1])
(wheel,) = out.glob("*.whl")
(sdist,) = out.glob("*.tar.gz")
names = zipfile.ZipFile(wheel).namelist()
required = [
    "readout_annotations/fixtures/xi-lukashenko-talks-2023-03-01.json",
    "readout_annotations/contrib/labelstudio/apps.py",
]
missing = [n for n in required if n not in names]
assert not missing, f"{wheel.name} lacks {missing}"
assert any(n.startswith("readout_annotations/templates/") for n in names), "no templates in the wheel"
assert any(n.startswith("readout_annotations/static/") for n in names), "no static files in the wheel"
assert not [n for n in names if n.startswith(("tests/", "docs/", "hosts/"))], "tests, docs or hosts in the wheel"
members = tarfile.open(sdist).getnames()
assert not [m for m in members if "/tests/" in m], "tests in the sdist"
print(f"built {wheel.name} ({len(names)} files) and {sdist.name} ({len(members)} members), no warnings")
PYTHON
