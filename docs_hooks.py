"""MkDocs hooks: the parts of the documentation that are generated at build time, from the code.

A page asks for them with an HTML comment on a line of its own:

- ``<!-- openapi -->``: the API's OpenAPI 3 schema (drf-spectacular, as ``GET schema/`` serves it)
  rendered as Markdown: every operation with its parameters and responses, every component;
- ``<!-- export: FORMAT -->``: the gold reading of statement 11 of the seed readout exported
  in FORMAT by ``export_annotations``;
- ``<!-- include: PATH -->``: the file PATH (relative to the checkout) in a code block;
- ``<!-- include-markdown: PATH -->``: the Markdown file PATH as it is (the changelog).

Django runs once per build with the test host's settings on an in-memory SQLite database holding
the seed fixture. ``mkdocs.yml`` names this module under ``hooks``.
"""

from __future__ import annotations

import json
import os
import sys
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SEED = "xi-lukashenko-talks-2023-03-01"
EXAMPLE_STATEMENT = 11
_state: dict = {}


def _django() -> None:
    if _state:
        return
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["TEST_DATABASE"] = "sqlite"
    os.environ.pop("DEMO_SQLITE_PATH", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("loaddata", SEED, verbosity=0)
    reader = get_user_model().objects.create_superuser("docs", password="docs-build")
    client = Client()
    client.force_login(reader)
    answer = client.get("/api/schema/", {"format": "json"})
    if answer.status_code != 200:
        raise RuntimeError(f"GET /api/schema/ answered {answer.status_code}")
    _state["schema"] = json.loads(answer.content)


def _export(fmt: str) -> str:
    _django()
    from django.core.management import call_command

    out = StringIO()
    call_command("export_annotations", format=fmt, readout=[SEED], stdout=out, stderr=StringIO())
    text = out.getvalue()
    if fmt in ("jsonl", "doccano"):
        line = text.splitlines()[EXAMPLE_STATEMENT - 1]
        return json.dumps(json.loads(line), indent=2, ensure_ascii=False), "json"
    if fmt == "w3c":
        picked = [i for i in json.loads(text) if f"/statements/{EXAMPLE_STATEMENT}/" in i["id"]]
        return json.dumps(picked, indent=2, ensure_ascii=False), "json"
    if fmt == "labelstudio":
        picked = [i for i in json.loads(text) if i["data"]["statement"] == EXAMPLE_STATEMENT]
        return json.dumps(picked, indent=2, ensure_ascii=False), "json"
    if fmt == "csv":
        lines = text.splitlines()
        rows = [line for line in lines[1:] if line.startswith(f"{EXAMPLE_STATEMENT},")]
        return "\n".join([lines[0], *rows]), "text"
    # dna: the article's text cut short, and only the DNA statements of the example statement
    from xml.etree import ElementTree

    root = ElementTree.fromstring(text.encode("utf-8"))
    for article in root.iter("article"):
        body = article.find("text")
        body.text = body.text[:120] + " ..."
        statements = article.find("statements")
        for statement in list(statements):
            if not (statement.findtext("source") or "").startswith(f"{SEED}#{EXAMPLE_STATEMENT} "):
                statements.remove(statement)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode"), "xml"


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "allOf" in schema:
        return " & ".join(_type(s) for s in schema["allOf"])
    if "oneOf" in schema or "anyOf" in schema:
        return " or ".join(_type(s) for s in schema.get("oneOf", schema.get("anyOf")))
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return ", ".join(f"`{v}`" for v in schema["enum"] if v is not None) or kind
    text = kind + (f" ({schema['format']})" if "format" in schema else "")
    return text + (" or null" if schema.get("nullable") else "")


def _cell(text: object) -> str:
    text = " ".join(str(text or "").split()).replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _openapi() -> str:
    _django()
    schema = _state["schema"]
    out = [f"OpenAPI {schema['openapi']}, {schema['info']['title']} {schema['info'].get('version', '')}.", ""]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            out += [f"### {method.upper()} `{path}`", ""]
            if operation.get("description"):
                out += [operation["description"].strip(), ""]
            params = operation.get("parameters", [])
            if params:
                out += ["| parameter | in | type | required | description |", "| --- | --- | --- | --- | --- |"]
                out += [
                    f"| `{p['name']}` | {p['in']} | {_cell(_type(p.get('schema', {})))} | "
                    f"{'yes' if p.get('required') else 'no'} | {_cell(p.get('description'))} |"
                    for p in params
                ]
                out.append("")
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                kinds = ", ".join(f"`{k}` {_type(v.get('schema', {}))}" for k, v in body.items())
                out += [f"Request body: {kinds}.", ""]
            out += ["| status | description | body |", "| --- | --- | --- |"]
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                shape = ", ".join(_type(v.get("schema", {})) for v in content.values()) if content else ""
                out.append(f"| {status} | {_cell(response.get('description'))} | {_cell(shape)} |")
            out.append("")
    out += ["## Components", ""]
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        out += [f"### {name}", ""]
        if component.get("description"):
            out += [component["description"].strip(), ""]
        properties = component.get("properties")
        if properties:
            required = set(component.get("required", []))
            out += ["| field | type | required | description |", "| --- | --- | --- | --- |"]
            out += [
                f"| `{field}` | {_cell(_type(spec))} | {'yes' if field in required else 'no'} | "
                f"{_cell(spec.get('description'))}{' (read only)' if spec.get('readOnly') else ''} |"
                for field, spec in properties.items()
            ]
        else:
            out.append(f"{_type(component)}")
        out.append("")
    return "\n".join(out)


def _replace(markdown: str) -> str:
    lines = []
    for line in markdown.split("\n"):
        marker = line.strip()
        if marker == "<!-- openapi -->":
            lines.append(_openapi())
        elif marker.startswith("<!-- export: ") and marker.endswith(" -->"):
            text, language = _export(marker[len("<!-- export: ") : -4].strip())
            lines += [f"```{language}", text, "```"]
        elif marker.startswith("<!-- include-markdown: ") and marker.endswith(" -->"):
            lines.append((ROOT / marker[len("<!-- include-markdown: ") : -4].strip()).read_text(encoding="utf-8"))
        elif marker.startswith("<!-- include: ") and marker.endswith(" -->"):
            path = marker[len("<!-- include: ") : -4].strip()
            language = {".py": "python", ".sh": "sh"}.get(Path(path).suffix, "text")
            lines += [f"```{language}", f"# {path}", (ROOT / path).read_text(encoding="utf-8").rstrip("\n"), "```"]
        else:
            lines.append(line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _replace(markdown)
