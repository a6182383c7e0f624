"""The documentation's code examples run.

- The README's installation and the tutorial (``docs/tutorial.md``) run as written, block after
  block, in a fresh ``django-admin startproject`` host in a temporary directory: ``sh`` blocks in
  one bash session, a ``python`` block headed ``# mysite/settings.py`` (or another file) appended
  to that file, one headed ``# python manage.py shell`` fed to the shell. ``runserver`` gets a free
  port instead of 8000. Two lines are the test's own setup and are skipped: creating the virtual
  environment and ``pip install readout-annotations`` (the package is installed where the tests
  run, from the wheel under nox).
- Every other code block of ``docs/`` is checked for what it is: JSON parses, Python compiles,
  and in a shell block every ``manage.py`` command is one of ours or Django's and its arguments
  parse with that command's own parser, every script or file it names exists, and every ``nox``
  session it names is in ``noxfile.py``.

Blocks that the MkDocs hooks generate at build time (``<!-- include: ... -->``, ``<!-- export: ...
-->``, ``<!-- openapi -->``) are the files and commands themselves; ``mkdocs build --strict`` in
``.ci/run`` builds them.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SETUP_LINES = ("python -m venv venv && . venv/bin/activate", "pip install readout-annotations")
# Programs a shell example may call besides manage.py commands, scripts of the checkout and nox.
PROGRAMS = {
    ".", "cat", "cd", "curl", "django-admin", "doccano", "echo", "export", "first=$(curl", "for", "done",
    "gunicorn", "kill", "label-studio", "mkdocs", "pip", "python3.11", "sleep", "until",
}  # fmt: skip

# Commands of the task backends a host installs (docs/tasks.md), not of the test host.
HOST_COMMANDS = {"db_worker": "django-tasks-db", "rqworker": "django-rq"}

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ is not beside the tests (a copy outside the checkout)")


def code_blocks(path: Path) -> list[tuple[str, int, str]]:
    """The fenced code blocks of a Markdown file: (language, line number of the fence, text)."""
    blocks, language, start, body = [], None, 0, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if language is None and line.startswith("```"):
            language, start, body = line[3:].strip(), number, []
        elif language is not None and line.startswith("```"):
            blocks.append((language, start, "\n".join(body) + "\n"))
            language = None
        elif language is not None:
            body.append(line)
    assert language is None, f"{path}: the block opened on line {start} is not closed"
    return blocks


def as_script(blocks: list[tuple[str, int, str]], project: str = "mysite") -> str:
    """One bash script that does what the blocks say, in order."""
    parts = []
    for language, _, text in blocks:
        first = text.split("\n", 1)[0]
        if language == "sh":
            parts.append("\n".join(line for line in text.splitlines() if line.strip() not in SETUP_LINES))
        elif language == "python" and first == "# python manage.py shell":
            parts.append(f"python manage.py shell <<'PYTHON'\n{text}PYTHON")
        elif language == "python" and re.match(r"# [\w/]+\.py\b", first):
            target = first[2:].split()[0]
            target = target if "/" in target else f"{project}/{target}"
            parts.append(f"cat >> {shlex.quote(target)} <<'PYTHON'\n\n{text}PYTHON")
        else:
            raise AssertionError(f"a {language or 'plain'} block that a host cannot run: {first!r}")
    return "\n".join(parts) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_script(script: str, cwd: Path) -> str:
    port = free_port()
    script = "set -euo pipefail\n" + script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("DJANGO_SETTINGS_MODULE", "TEST_DATABASE", "DEMO_SQLITE_PATH"):
        env.pop(name, None)
    log = cwd / "script.log"
    with open(log, "w") as out:
        # a file, not a pipe: runserver's autoreloader child may outlive the script and hold a pipe open
        process = subprocess.Popen(
            ["bash", "-c", script], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            process.wait(timeout=300)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the background runserver and its reloader child
                os.killpg(process.pid, signal.SIGTERM)
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output[-4000:]
    return output


def readme_installation() -> list[tuple[str, int, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Installation into a host", 1)[1].split("\n## ", 1)[0]
    section_file = ROOT / ".readme-installation.md"
    try:
        section_file.write_text(section, encoding="utf-8")
        return code_blocks(section_file)
    finally:
        section_file.unlink()


# The fresh hosts use SQLite whatever TEST_DATABASE says: run them once, in the SQLite run.
fresh_host = pytest.mark.skipif(
    os.environ.get("TEST_DATABASE", "sqlite") != "sqlite", reason="a fresh host on SQLite; runs in the SQLite run"
)


@pytest.mark.slow
@fresh_host
def test_the_readme_installation_runs_in_a_fresh_host(tmp_path):
    script = "django-admin startproject mysite\ncd mysite\n" + as_script(readme_installation())
    script += "python manage.py check\n"
    script += "python manage.py export_annotations --format jsonl --output export.jsonl\nhead -1 export.jsonl\n"
    output = run_script(script, tmp_path)
    assert '"readout": "xi-lukashenko-talks-2023-03-01"' in output


@pytest.mark.slow
@fresh_host
def test_the_tutorial_runs_in_a_fresh_host(tmp_path):
    output = run_script(as_script(code_blocks(DOCS / "tutorial.md")), tmp_path)
    annotators = re.findall(r'"annotator": ?"(annotator\d)"', output)
    # the two create answers, then annotator 2's own list: blind, annotator 1's reading is not in it
    assert annotators[:3] == ["annotator1", "annotator2", "annotator2"], output[-3000:]
    assert re.search(r'"statement": 3\b.*"gold": true', output), output[-3000:]


def test_the_tutorial_and_the_readme_are_all_runnable():
    for blocks in (code_blocks(DOCS / "tutorial.md"), readme_installation()):
        assert len(blocks) >= 3
        as_script(blocks)  # raises on a block a host cannot run


# --------------------------------------------------------------------------- every other block


def commands(text: str) -> list[list[str]]:
    """The command lines of a shell block: continuations joined, comments and heredoc bodies dropped."""
    lines, joined, heredoc = [], "", None
    for line in text.splitlines():
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        joined += line.rstrip("\\") + " " if line.endswith("\\") else line + "\n"
        if line.endswith("\\"):
            continue
        try:
            words = shlex.split(joined, comments=True)
        except ValueError:  # a quotation that goes on to the next line
            continue
        if "<<'" in joined:
            heredoc = joined.split("<<'", 1)[1].split("'", 1)[0]
        joined = ""
        for command in " ".join(words).split(" && "):
            if command.strip():
                lines.append(shlex.split(command))
    return lines


def check_command(words: list[str], where: str) -> None:
    from django.core.management import get_commands, load_command_class

    if words[:2] == ["python", "manage.py"] or words[:3] == ["python", "-m", "django"]:
        args = words[2:] if words[1] == "manage.py" else words[3:]
        name, options = args[0], [a for a in args[1:] if a not in ("|", "&")]
        options = options[: options.index("|")] if "|" in options else options
        app = get_commands().get(name)
        if app is None and name in HOST_COMMANDS:
            return  # the package that has it is the host's choice; see HOST_COMMANDS
        assert app, f"{where}: no command {name!r}"
        parser = load_command_class(app, name).create_parser("manage.py", name)
        parser.parse_args(options)  # exits (SystemExit) on an unknown option or a bad choice
    elif words[0].startswith(("./", "scripts/", "benchmarks/", "hosts/", "tests/", "fixtures/")) or (
        words[0] == "python" and words[1].endswith(".py")
    ):
        script = words[1] if words[0] == "python" else words[0]
        assert (ROOT / script).exists(), f"{where}: {script} does not exist"
    elif words[0] == "nox":
        sessions = re.findall(r"^def (\w+)\(", (ROOT / "noxfile.py").read_text(encoding="utf-8"), re.MULTILINE)
        named = []
        if "-s" in words:
            for word in words[words.index("-s") + 1 :]:
                if word.startswith("-"):
                    break
                named.append(word.split("(")[0])
        assert all(n in sessions for n in named), f"{where}: nox sessions {named}, noxfile.py has {sessions}"
    elif words[0] == "python" and words[1] in ("-m", "-c"):
        pass  # python -m venv, python -m django ..., python -c: checked above or the interpreter's own
    else:
        assert words[0] in PROGRAMS or "=" in words[0], f"{where}: unknown program {words[0]!r}"


@pytest.mark.parametrize(
    "page", sorted(p.name for p in DOCS.glob("*.md") if p.name != "tutorial.md") if DOCS.is_dir() else []
)
def test_every_code_block_of_the_docs_is_real(page):
    for language, line, text in code_blocks(DOCS / page):
        where = f"docs/{page}:{line}"
        if language == "json":
            json.loads(text)
        elif language == "python":
            ast.parse(text, filename=where)
        elif language == "sh":
            for words in commands(text):
                check_command(words, where)
        else:
            assert language in ("text", "xml", "yaml", "toml"), f"{where}: a block needs a language"


def test_the_readme_is_short_and_links_every_page_of_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) < 8 * 1024
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = re.findall(r"^  - [^:]+: (\S+\.md)$", nav, re.MULTILINE)
    assert sorted(pages) == sorted(p.name for p in DOCS.glob("*.md")), "mkdocs.yml's nav and docs/ differ"
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", readme))
    missing = set(pages) - linked - {"index.md", "changelog.md"}  # the docs' home; CHANGELOG.md itself
    assert not missing, f"the README links no {sorted(missing)}"


def test_the_configuration_page_names_every_setting_and_check():
    from readout_annotations import checks
    from readout_annotations.conf import DEFAULTS, PREFIX

    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [PREFIX + name for name in DEFAULTS if f"`{PREFIX}{name}`" not in page]
    assert not missing, f"docs/configuration.md lacks {missing}"
    source = Path(checks.__file__).read_text(encoding="utf-8")
    ids = sorted(set(re.findall(r"readout_annotations\.(E\d{3})", source)))
    assert ids and not [i for i in ids if i not in page], f"docs/configuration.md lacks checks of {ids}"
