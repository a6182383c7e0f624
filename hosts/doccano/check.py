"""doccano 1.8.4 as a real host of readout-annotations, over real HTTP.

Run it with the Python of a virtual environment that has ``doccano==1.8.4``, ``numpy<2``,
``marshmallow<4`` and the built wheel installed (``hosts/doccano/check.sh`` and
``nox -s doccano`` do that):

    python hosts/doccano/check.py [--workdir DIR] [--keep]

It copies ``settings.py`` and ``urls.py`` beside it into a ``readout_doccano`` package, then
with doccano's own commands (``doccano init``, ``doccano createuser``) and our
``readout_roles`` and the seed fixture, serves doccano with gunicorn on 127.0.0.1 and checks:
our admin pages for an annotator, our API with a token from doccano's own login
(``/v1/auth/login/``), doccano's own API beside ours (its page size of 5 unchanged), and a
readout created from a doccano example, linked both ways. One PASS or FAIL line per check.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hostcheck import (  # noqa: E402
    Abort,
    Client,
    Report,
    Server,
    check_admin,
    check_api,
    free_port,
    join_annotators,
    results,
    run,
)

FIXTURE = "xi-lukashenko-talks-2023-03-01"
API = "/readout-annotations/api/"
PASSWORD = "host-check-Passw0rd"
EXAMPLE_TEXT = (
    "On March 1, President Xi Jinping held talks in Beijing with Belarusian President Alexander Lukashenko.\n\n"
    "Xi pointed out that China and Belarus should oppose interference in each other's internal affairs. "
    "Lukashenko said that Belarus firmly supports the Belt and Road Initiative."
)

SHOW_LINK = """
import json
from django.contrib.contenttypes.models import ContentType
from examples.models import Example
from readout_annotations.models import Readout

example = Example.objects.get(pk=%(example)d)
if hasattr(Readout.objects, "for_document"):
    linked = Readout.objects.for_document(example)
    how = "Readout.objects.for_document(example)"
else:
    try:
        from readout_annotations.documents import readouts_for
    except ImportError:
        linked = Readout.objects.filter(
            document_type=ContentType.objects.get_for_model(example), document_id=str(example.pk)
        )
        how = "Readout.objects.filter(document_type=..., document_id=...)"
    else:
        linked = readouts_for(example)
        how = "readout_annotations.documents.readouts_for(example)"
readouts = list(linked)
readout = readouts[0] if readouts else None
print(json.dumps({
    "readouts": [r.slug for r in readouts],
    "how": how,
    "document": repr(readout.document) if readout else None,
    "document_is_example": bool(readout) and readout.document == example,
    "statements": readout.statements.count() if readout else 0,
    "text_matches": bool(readout) and readout.text == example.text,
}))
"""

CREATE_LINKED = """
import datetime
from examples.models import Example
from readout_annotations.models import Readout

example = Example.objects.get(pk=%(example)d)
Readout.objects.create_segmented(
    slug=f"doccano-example-{example.pk}",
    title=f"Readout of doccano example {example.pk}",
    published_at=datetime.datetime(2023, 3, 1, 20, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
    text=example.text,
    document=example,
)
"""


def doccano_backend() -> Path:
    spec = importlib.util.find_spec("backend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "doccano is not installed in this Python: pip install doccano==1.8.4 'numpy<2' 'marshmallow<4'"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workdir", type=Path, help="Where to keep the database and logs (default: a temporary one).")
    parser.add_argument("--keep", action="store_true", help="Keep the working directory afterwards.")
    options = parser.parse_args()
    workdir = (options.workdir or Path(tempfile.mkdtemp(prefix="readout-doccano-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    import django
    import rest_framework

    import readout_annotations

    backend = doccano_backend()
    from importlib.metadata import version

    report = Report(
        f"doccano {version('doccano')} host: Django {django.get_version()}, REST framework {rest_framework.VERSION}, "
        f"Python {sys.version.split()[0]}, gunicorn"
    )
    server = None
    try:
        report.check(
            "the app is imported from an installed wheel, not a checkout",
            "site-packages" in readout_annotations.__file__,
            why=readout_annotations.__file__,
            detail=f"readout-annotations {readout_annotations.__version__}",
        )
        package = workdir / "readout_doccano"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        for name in ("settings.py", "urls.py"):
            shutil.copy(HERE / name, package / name)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(workdir), str(backend)]),
            "DJANGO_SETTINGS_MODULE": "readout_doccano.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "DOCCANO_HOME": str(workdir / "home"),
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "SECRET_KEY": "readout-doccano-check-not-secret",
            "DEBUG": "False",
        }
        python = sys.executable
        doccano = str(Path(python).parent / "doccano")

        def manage(*args: str) -> str:
            return run([python, "-m", "django", *args], cwd=workdir, env=env)

        with report.step("manage.py check with readout_doccano.settings", required=True):
            manage("check")
        with report.step("doccano init (migrate, doccano's roles) with our app installed", required=True):
            run([doccano, "init"], cwd=workdir, env=env)
        with report.step("doccano createuser (doccano's admin)", required=True):
            run([doccano, "createuser", "--username", "admin", "--password", PASSWORD], cwd=workdir, env=env)
        with report.step("readout_roles", required=True):
            manage("readout_roles")
        with report.step(f"loaddata {FIXTURE}", required=True):
            manage("loaddata", FIXTURE)
        with report.step("collectstatic (doccano's, the admin's and ours)"):
            manage("collectstatic", "--noinput", "--verbosity", "0")

        port = free_port()
        server = Server(
            [python, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            port=port,
            cwd=workdir,
            env=env,
            log=workdir / "gunicorn.log",
        )
        with report.step(f"gunicorn serves doccano on 127.0.0.1:{port}", required=True):
            server.wait_ready("/admin/login/")
        base = server.url

        def doccano_login(username: str) -> str:
            answer = Client(base).post("/v1/auth/login/", json_body={"username": username, "password": PASSWORD})
            if answer.status != 200 or "key" not in answer.json():
                raise RuntimeError(repr(answer))
            return answer.json()["key"]

        tokens = {}
        with report.step("doccano's token login (/v1/auth/login/) for its admin", required=True):
            tokens["admin"] = doccano_login("admin")
        admin = Client(base, token=tokens["admin"])
        with report.step("doccano's admin creates two users through doccano's API (/v1/users/create)", required=True):
            for name in ("annotator1", "annotator2"):
                answer = admin.post(
                    "/v1/users/create",
                    json_body={
                        "username": name,
                        "email": f"{name}@example.org",
                        "password1": PASSWORD,
                        "password2": PASSWORD,
                    },
                )
                if answer.status != 201:
                    raise RuntimeError(repr(answer))
        with report.step("they join our annotators group (and become staff, for the admin)", required=True):
            output = manage("shell", "-c", join_annotators("username", ("annotator1", "annotator2"), FIXTURE))
            facts = json.loads(output.strip().splitlines()[-1])
        with report.step("doccano's token login for both annotators", required=True):
            for name in ("annotator1", "annotator2"):
                tokens[name] = doccano_login(name)

        # doccano's own API beside ours.
        project = None
        with report.step("doccano's API: its admin creates a project and 7 examples", required=True):
            answer = admin.post(
                "/v1/projects",
                json_body={
                    "name": "Readouts",
                    "description": "Diplomatic readouts",
                    "guideline": "",
                    "project_type": "DocumentClassification",
                    "resourcetype": "TextClassificationProject",
                },
            )
            if answer.status != 201:
                raise RuntimeError(repr(answer))
            project = answer.json()["id"]
            examples = []
            for number in range(7):
                text = EXAMPLE_TEXT if number == 0 else f"Example {number}."
                answer = admin.post(f"/v1/projects/{project}/examples", json_body={"text": text, "meta": {}})
                if answer.status != 201:
                    raise RuntimeError(repr(answer))
                examples.append(answer.json()["id"])
        answer = admin.get("/v1/projects")
        report.check(
            "doccano's API: /v1/projects answers 200 with the project",
            answer.status == 200 and project in [p.get("id") for p in results(answer.data())],
            why=repr(answer),
        )
        answer = admin.get(f"/v1/projects/{project}/examples")
        body = answer.data() or {}
        report.check(
            "doccano's API: its example list still pages by 5 (its REST framework defaults unchanged)",
            body.get("count") == 7 and len(body.get("results", [])) == 5,
            why=repr(answer),
        )
        answer = admin.get("/v1/me")
        report.check(
            "doccano's API: /v1/me answers 200",
            answer.status == 200 and (answer.data() or {}).get("username") == "admin",
        )
        answer = Client(base).get("/projects/")
        report.check(
            "doccano's catch-all still serves its single-page app",
            answer.status == 200 and "<html" in answer.text.lower(),
            why=repr(answer),
        )

        # Ours.
        check_admin(report, base, "annotator1", PASSWORD)
        check_api(
            report,
            base,
            API,
            token=tokens["annotator1"],
            other_token=tokens["annotator2"],
            username="annotator1",
            readout=FIXTURE,
            statement_count=facts["statements"],
            speaker=facts["speaker"],
        )

        # A readout from a doccano example, linked both ways.
        example = examples[0]
        readout_file = workdir / f"doccano-example-{example}.txt"
        readout_file.write_text(
            f"Readout of doccano example {example}\n2023-03-01 20:00\n\n{EXAMPLE_TEXT}\n", encoding="utf-8"
        )
        helps = manage("help", "import_readout") if "import_readout" in manage("help", "--commands").split() else ""
        if "--document" in helps:
            with report.step(f"import_readout --document examples.example:{example} (a readout from the example)"):
                manage("import_readout", "--document", f"examples.example:{example}", str(readout_file))
        else:
            report.fail(
                f"import_readout --document examples.example:{example}",
                "import_readout has no --document option" if helps else "there is no import_readout command",
            )
            with report.step("(instead) a readout from the example, linked through the ORM"):
                manage("shell", "-c", CREATE_LINKED % {"example": example})
        link = json.loads(manage("shell", "-c", SHOW_LINK % {"example": example}).strip().splitlines()[-1])
        linked = link["readouts"]
        report.check(
            "link: example -> readouts",
            len(linked) == 1,
            why=json.dumps(link),
            detail=f"{link['how']} = {linked}",
        )
        report.check(
            "link: readout.document is the doccano example, the text is the example's, it has statements",
            link["document_is_example"] and link["text_matches"] and link["statements"] >= 3,
            why=json.dumps(link),
            detail=f"{link['document']}, {link['statements']} statements",
        )
        if linked:
            answer = Client(base, token=tokens["annotator1"]).get(f"{API}readouts/{linked[0]}/")
            document = (answer.data() or {}).get("document") if answer.status == 200 else None
            report.check(
                "link: our API shows it on the readout",
                document == {"type": "examples.example", "id": str(example)},
                why=f"document is {document!r}: {answer!r}",
                detail=json.dumps(document),
            )
    except Abort:
        pass
    except Exception:
        report.fail("the check ran to the end", traceback.format_exc())
    finally:
        if server is not None:
            server.stop()
            if report.failed:
                print("---- gunicorn log (tail)\n" + server.log_tail(60))
        if options.keep:
            print(f"kept {workdir}")
        elif not options.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
