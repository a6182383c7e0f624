"""Label Studio 1.23.2 as a real host of readout-annotations, over real HTTP.

Run it with the Python of a virtual environment that has ``label-studio==1.23.2`` and the built
wheel installed (``hosts/labelstudio/check.sh`` and ``nox -s labelstudio`` do that):

    python hosts/labelstudio/check.py [--workdir DIR] [--keep]

Offline: Sentry, analytics, the version check and the converter's downloads are switched off with
Label Studio's documented variables, and any proxy-aware HTTP client of the server is pointed at a
closed port on 127.0.0.1.

First Label Studio alone (its own settings): ``label-studio init`` with a legacy API token, two
annotators, its server (Django's development server, as ``label-studio start`` runs it), a project
with tasks, and a record of what its API answers. Then with our app (``settings.py`` and
``urls.py`` beside this file, copied into a ``readout_labelstudio`` package): ``migrate``,
``readout_roles``, the seed fixture, ``collectstatic``; the same server, and checks: Label Studio's
API answers as it did; an annotator logs into our admin through its login form and every page of
our app answers 200, its CSS and JS too; our API with Label Studio tokens; our export
(``--format labelstudio``) imported into a Label Studio project through its API; Label Studio's
export of that project imported back with ``import_annotations``, which must change nothing.
One PASS or FAIL line per check.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hostcheck import (  # noqa: E402
    Abort,
    Client,
    Report,
    Server,
    admin_links,
    check_admin,
    check_api,
    free_port,
    join_annotators,
    manage_steps,
    results,
    run,
)

FIXTURE = "xi-lukashenko-talks-2023-03-01"
API = "/readout-annotations/api/"
PASSWORD = "host-check-Passw0rd"
ADMIN = "admin@example.org"
ANNOTATORS = ("annotator1@example.org", "annotator2@example.org")
ADMIN_TOKEN = "0123456789abcdef0123456789abcdef01234567"

# Label Studio's documented switches for running without the network.
OFFLINE = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "FEATURE_FLAGS_OFFLINE": "true",
    "CONVERTER_DOWNLOAD_RESOURCES": "false",
    # Anything else that would reach out through a proxy-aware client goes to a closed local port.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}

SETUP_ANNOTATORS = """
import json
from organizations.models import Organization
from rest_framework.authtoken.models import Token
from users.models import User

organization = Organization.objects.first()
tokens = {}
for email in %(emails)r:
    user = User.objects.create_user(email=email, password=%(password)r)
    organization.add_user(user)
    user.active_organization = organization
    user.save(update_fields=["active_organization"])
    tokens[email] = Token.objects.get_or_create(user=user)[0].key
print(json.dumps(tokens))
"""

LABEL_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="positive"/><Choice value="negative"/>
  </Choices>
</View>"""


def labelstudio_path() -> Path:
    spec = importlib.util.find_spec("label_studio")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Label Studio is not installed in this Python: pip install label-studio==1.23.2")
    return Path(next(iter(spec.submodule_search_locations)))


def shape(answer) -> dict:
    """What stays the same when Label Studio's API answers the same way: the status and the shape
    of the body (its keys, the number of rows, the keys of a row), not timestamps or ids."""
    body = answer.data()
    out: dict = {"status": answer.status}
    rows = results(body) if isinstance(body, dict) and "results" in body else body
    if isinstance(rows, list):
        out["rows"] = len(rows)
        out["row keys"] = sorted(rows[0]) if rows and isinstance(rows[0], dict) else None
    if isinstance(body, dict):
        out["keys"] = sorted(body)
    if body is None:
        out["html"] = "<html" in answer.text.lower()
    return out


def labelstudio_api(client: Client, project: int) -> dict:
    paths = [
        "/api/projects/",
        f"/api/projects/{project}/",
        f"/api/tasks/?project={project}",
        "/api/current-user/whoami",
        "/api/users/",
        "/api/version/",
        f"/api/projects/{project}/export?exportType=JSON",
        "/user/login/",
    ]
    return {path: shape(client.get(path)) for path in paths}


def assets(page: str) -> list[str]:
    """The stylesheets and scripts a page loads from /static/."""
    found = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', page) + re.findall(
        r'<script[^>]+src="(/static/[^"]+\.js)"', page
    )
    return sorted(set(found))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        help="Where to keep the logs and files (default: a temporary one); the database goes to /dev/shm if it exists.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the working directory afterwards.")
    options = parser.parse_args()
    workdir = (options.workdir or Path(tempfile.mkdtemp(prefix="readout-labelstudio-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # The throwaway SQLite database goes to memory-backed /dev/shm where there is one: Label Studio's
    # hundreds of migrations otherwise spend much of their time waiting for the disk to sync.
    shm = Path("/dev/shm")
    database_dir = Path(tempfile.mkdtemp(prefix="readout-labelstudio-", dir=shm)) if shm.is_dir() else workdir

    from importlib.metadata import version

    import django
    import rest_framework

    import readout_annotations

    ls_path = labelstudio_path()
    report = Report(
        f"Label Studio {version('label-studio')} host: Django {django.get_version()}, REST framework "
        f"{rest_framework.VERSION}, Python {sys.version.split()[0]}, Django's development server"
    )
    server = None
    python = sys.executable
    try:
        report.check(
            "the app is imported from an installed wheel, not a checkout",
            "site-packages" in readout_annotations.__file__,
            why=readout_annotations.__file__,
            detail=f"readout-annotations {readout_annotations.__version__}",
        )
        package = workdir / "readout_labelstudio"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        for name in ("settings.py", "urls.py"):
            shutil.copy(HERE / name, package / name)
        base_env = {
            **os.environ,
            **OFFLINE,
            "PYTHONPATH": os.pathsep.join([str(workdir), str(ls_path)]),
            "LABEL_STUDIO_BASE_DATA_DIR": str(workdir / "data"),
            "DATABASE_NAME": str(database_dir / "labelstudio.sqlite3"),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        alone = {**base_env, "DJANGO_SETTINGS_MODULE": "core.settings.label_studio"}
        ours = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "readout_labelstudio.settings",
            "STATIC_ROOT": str(workdir / "static"),
        }
        label_studio = str(Path(python).parent / "label-studio")

        def manage(env: dict, *args: str) -> str:
            return run([python, "-m", "django", *args], cwd=workdir, env=env)

        def serve(env: dict, log: str) -> Server:
            port = free_port()
            started = time.monotonic()
            process = Server(
                [python, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
                port=port,
                cwd=workdir,
                env=env,
                log=workdir / log,
            )
            process.wait_ready("/health/", timeout=180)
            report.ok(f"Label Studio serves on 127.0.0.1:{port}", f"{time.monotonic() - started:.0f} s to answer")
            return process

        # ---------------------------------------------------------------- Label Studio alone
        with report.step("label-studio init (migrate, its first user with a legacy API token)", required=True):
            run(
                [
                    label_studio,
                    "init",
                    "--quiet",
                    "--no-browser",
                    "--username",
                    ADMIN,
                    "--password",
                    PASSWORD,
                    "--user-token",
                    ADMIN_TOKEN,
                    "--enable-legacy-api-token",
                ],
                cwd=workdir,
                env=alone,
            )
        with report.step("two annotators in Label Studio's organization, with tokens", required=True):
            output = manage(alone, "shell", "-c", SETUP_ANNOTATORS % {"emails": ANNOTATORS, "password": PASSWORD})
            tokens = json.loads(output.strip().splitlines()[-1])
        server = serve(alone, "labelstudio-alone.log")
        admin = Client(server.url, token=ADMIN_TOKEN)
        with report.step("Label Studio's API: its admin creates a project and imports 3 tasks", required=True):
            answer = admin.post("/api/projects/", json_body={"title": "Sentiment", "label_config": LABEL_CONFIG})
            if answer.status != 201:
                raise RuntimeError(repr(answer))
            project = answer.json()["id"]
            answer = admin.post(
                f"/api/projects/{project}/import",
                json_body=[{"text": f"Task {n}."} for n in range(3)],
            )
            if answer.status != 201:
                raise RuntimeError(repr(answer))
        before = labelstudio_api(admin, project)
        report.check(
            "Label Studio's API answers 200 without our app",
            all(s["status"] == 200 for s in before.values()),
            why=json.dumps(before),
        )
        # The fault that readout_annotations.contrib.labelstudio fixes: a login through the admin's form
        # is logged out again by Label Studio's inactivity middleware on the next request.
        loop = Client(server.url)
        with report.step("without our app: its admin logs in through the Django admin's login form"):
            loop.admin_login(ADMIN, PASSWORD)
        answer = loop.get("/admin/")
        report.check(
            "without our app: the next request is logged out again (the login loop the contrib app ends)",
            answer.status == 302 and "login" in (answer.headers.get("Location") or ""),
            why=repr(answer),
        )
        server.stop()
        server = None

        # ---------------------------------------------------------------- with readout-annotations
        # One process for these commands: Label Studio's settings take seconds to start each time.
        join = "the annotators join our annotators group (and become staff, for the admin)"
        outputs = manage_steps(
            report,
            python,
            [
                ("manage.py check with readout_labelstudio.settings", ["check"]),
                ("migrate (our tables beside Label Studio's)", ["migrate", "--noinput"]),
                ("readout_roles", ["readout_roles"]),
                (f"loaddata {FIXTURE}", ["loaddata", FIXTURE]),
                (
                    "collectstatic (Label Studio's, the admin's and ours, into STATIC_ROOT)",
                    ["collectstatic", "--noinput", "--verbosity", "0"],
                ),
                (join, ["shell", "-c", join_annotators("email", ANNOTATORS, FIXTURE)]),
            ],
            cwd=workdir,
            env=ours,
        )
        facts = json.loads(outputs[join].splitlines()[-1])

        server = serve(ours, "labelstudio.log")
        base = server.url
        admin = Client(base, token=ADMIN_TOKEN)
        after = labelstudio_api(admin, project)
        changed = {path: (before[path], after[path]) for path in before if before[path] != after[path]}
        report.check(
            f"Label Studio's API answers as it did without our app ({len(before)} endpoints)",
            not changed,
            why=json.dumps(changed),
        )

        # Ours: the admin through its login form (the inactivity middleware and our receiver).
        annotator, other = ANNOTATORS
        client = check_admin(report, base, annotator, PASSWORD)
        answer = client.get("/admin/")
        report.check(
            "admin: still logged in on the next request (Label Studio's inactivity middleware)",
            answer.status == 200,
            why=repr(answer),
        )
        index = client.get("/admin/readout_annotations/statement/")
        pages = [index.text] + [
            client.get(link).text for link in admin_links(index.text, "/admin/readout_annotations/")[:8]
        ]
        found = assets("".join(pages))
        ours_assets = [a for a in found if "/readout_annotations/" in a]
        bad = [f"{a} -> {client.get(a).status}" for a in found if client.get(a).status != 200]
        report.check(
            "admin: every stylesheet and script of our pages answers 200 (ours among them)",
            found and ours_assets and not bad,
            why="; ".join(bad) or f"assets: {found}",
            detail=f"{len(found)} files, {len(ours_assets)} of ours",
        )

        # Ours: the API with Label Studio's tokens.
        check_api(
            report,
            base,
            API,
            token=tokens[annotator],
            other_token=tokens[other],
            username=annotator,
            readout=FIXTURE,
            statement_count=facts["statements"],
            speaker=facts["speaker"],
        )

        # Round trip: our export into a Label Studio project, its export back into ours.
        exported = workdir / "readout-tasks.json"
        config = workdir / "label-config.xml"
        with report.step("export_annotations --format labelstudio --all --label-config", required=True):
            manage(
                ours,
                "export_annotations",
                "--format",
                "labelstudio",
                "--all",
                "--readout",
                FIXTURE,
                "--label-config",
                str(config),
                "--output",
                str(exported),
            )
        tasks = json.loads(exported.read_text(encoding="utf-8"))
        with report.step("Label Studio's API: a project with our labeling configuration", required=True):
            answer = admin.post(
                "/api/projects/", json_body={"title": "Readouts", "label_config": config.read_text(encoding="utf-8")}
            )
            if answer.status != 201:
                raise RuntimeError(repr(answer))
            readouts_project = answer.json()["id"]
        answer = admin.post(f"/api/projects/{readouts_project}/import", json_body=tasks)
        body = answer.data() or {}
        report.check(
            "Label Studio's API imports our tasks with their annotations and predictions",
            answer.status == 201 and body.get("task_count") == len(tasks),
            why=repr(answer),
            detail=(
                f"{body.get('task_count')} tasks, {body.get('annotation_count')} annotations, "
                f"{body.get('prediction_count')} predictions"
            ),
        )
        answer = admin.get(f"/api/projects/{readouts_project}/export?exportType=JSON")
        from_ls = workdir / "labelstudio-export.json"
        from_ls.write_bytes(answer.body)
        exported_back = answer.data() if answer.status == 200 else None
        report.check(
            "Label Studio exports the project (JSON) with every task and annotation",
            isinstance(exported_back, list)
            and len(exported_back) == len(tasks)
            and sum(len(t.get("annotations", [])) for t in exported_back)
            == sum(len(t.get("annotations", [])) for t in tasks),
            why=repr(answer),
        )
        # Exported before and after the import, in the same process: Label Studio credits every annotation
        # it imported to its admin and names it by its user id; no --labelstudio-user is given: the ids our
        # export gave (kept as import_id) say whose readings they are.
        snapshot, again = workdir / "before.jsonl", workdir / "after.jsonl"
        importing = "import_annotations of Label Studio's export"
        outputs = manage_steps(
            report,
            python,
            [
                (
                    "export_annotations --all before",
                    ["export_annotations", "--format", "jsonl", "--all", "--output", str(snapshot)],
                ),
                (importing, ["import_annotations", "--format", "labelstudio", str(from_ls)]),
                (
                    "export_annotations --all after",
                    ["export_annotations", "--format", "jsonl", "--all", "--output", str(again)],
                ),
            ],
            cwd=workdir,
            env=ours,
            required=False,
        )
        exported = "export_annotations --all after" in outputs
        imported = outputs.get(importing, "") if exported else ""
        copies = sum(len(t.get("annotations", [])) for t in tasks)
        report.check(
            "import_annotations takes every annotation back as unchanged (Label Studio kept our ids as import_id)",
            f"0 annotations created, 0 updated, {copies} unchanged" in imported and "not imported" not in imported,
            why=imported or "the import was refused",
            detail=f"{copies} annotations",
        )
        if not exported:
            raise Abort("no export after the import")
        first, second = snapshot.read_text().splitlines(), again.read_text().splitlines()
        difference = next((f"{a} != {b}" for a, b in zip(first, second, strict=False) if a != b), "(lengths)")
        report.check(
            "the round trip changes nothing (every annotation exported before and after is the same)",
            imported and first == second,
            why="the import was refused"
            if not imported
            else f"{len(first)} records before, {len(second)} after; first difference: {difference[:600]}",
            detail=f"{len(first)} records",
        )
    except Abort:
        pass
    except Exception:
        report.fail("the check ran to the end", traceback.format_exc())
    finally:
        if server is not None:
            server.stop()
            if report.failed:
                print("---- server log (tail)\n" + server.log_tail(60))
        if options.keep:
            print(f"kept {workdir}" + (f" and {database_dir}" if database_dir != workdir else ""))
        else:
            if database_dir != workdir:
                shutil.rmtree(database_dir, ignore_errors=True)
            if not options.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
