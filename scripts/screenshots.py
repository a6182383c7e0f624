"""Take the documentation's screenshots of the admin workbench (1280×800) into docs/screenshots/.

Builds a throwaway SQLite database with the seed readout (gold from the fixture), the demo
users, and two annotators' readings of every statement that differ here and there; serves it
on 127.0.0.1 and drives Debian's Chromium through Playwright (never ``playwright install``):

    .venv/bin/python scripts/screenshots.py [--output docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = "xi-lukashenko-talks-2023-03-01"
PASSWORD = "demo-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


SCROLL_TO_UKRAINE = """
const statement = [...document.querySelectorAll('.ra-stmt')]
    .find(s => s.textContent.startsWith('The two heads of state also exchanged'));
statement.scrollIntoView({block: 'center'});
"""


def build_database() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from readout_annotations.models import Annotation, Origin, Readout, Speaker, Stance, Statement, Target
    from readout_annotations.proposers import create_proposals
    from readout_annotations.roles import ANNOTATORS, REVIEWERS

    call_command("migrate", verbosity=0)
    call_command("loaddata", SEED, verbosity=0)
    create_proposals(Readout.objects.get(slug=SEED))  # what the annotation form opens with
    call_command("readout_roles", verbosity=0)
    users = {}
    for username, group in (("annotator1", ANNOTATORS), ("annotator2", ANNOTATORS), ("reviewer", REVIEWERS)):
        user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        users[username] = user
    xi, lukashenko = Speaker.objects.get(slug="xi-jinping"), Speaker.objects.get(slug="alexander-lukashenko")
    interference = Target.objects.get(slug="external-interference")
    # Both annotators copy the gold reading; annotator2 departs from it on a few statements,
    # and the last statements are left for them to do.
    for statement in Statement.objects.filter(readout__slug=SEED).select_related("gold_annotation"):
        gold = statement.gold_annotation
        for name in ("annotator1", "annotator2"):
            if statement.number > 30 or (name == "annotator2" and statement.number > 26):
                continue
            annotation = Annotation.objects.create(
                statement=statement,
                annotator=users[name],
                origin=Origin.HUMAN,
                speaker=gold.speaker,
                attribution=gold.attribution,
                mode=gold.mode,
                cue=gold.cue,
            )
            stances = {s.target_id: s.stance for s in gold.stances.all()}
            if name == "annotator2" and statement.number in (6, 11, 19):
                annotation.speaker = lukashenko if gold.speaker_id == xi.pk else xi
                annotation.attribution = "inferred"
                annotation.save()
                stances.pop(next(iter(stances), None), None)
                stances[interference.pk] = "against"
            Stance.objects.bulk_create(
                Stance(annotation=annotation, target_id=target, stance=value) for target, value in stances.items()
            )


def serve():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def log_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def take(output: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from readout_annotations.models import Readout, Statement

    readout = Readout.objects.get(slug=SEED)
    annotate = Statement.objects.get(readout=readout, number=8)
    compare = Statement.objects.get(readout=readout, number=11)
    proposed = Statement.objects.get(readout=readout, number=27)  # annotator2 has not read it yet
    server, base = serve()
    admin = f"{base}/admin/readout_annotations"
    shots = [
        ("annotator1", f"{admin}/statement/{annotate.pk}/annotate/", "annotation-screen.png"),
        ("annotator1", f"{admin}/statement/?status=all&readout__id__exact={readout.pk}", "statement-list.png"),
        ("annotator2", f"{admin}/statement/{proposed.pk}/annotate/", "annotation-proposal.png"),
        ("annotator2", f"{admin}/statement/{proposed.pk}/annotate/#picker", "annotation-picker.png"),
        ("reviewer", f"{admin}/statement/{compare.pk}/compare/", "comparison-screen.png"),
        ("reviewer", f"{admin}/readout/{readout.pk}/read/#ukraine", "readout-view.png"),
        ("reviewer", f"{admin}/readout/stance-map/", "stance-map.png"),
    ]
    output.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            # the admin's navigation sidebar folded away, as a user can with its « button
            context.add_init_script("window.localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
            page = context.new_page()
            who = None
            for username, url, name in shots:
                if username != who:
                    log_in(page, base, username)
                    who = username
                page.goto(url)
                page.wait_for_load_state("networkidle")
                if url.endswith("#ukraine"):  # both speakers, narration, favor and against
                    page.evaluate(SCROLL_TO_UKRAINE)
                if url.endswith("#picker"):  # a target searched with the keyboard: kind, parent, description
                    page.keyboard.press("t")
                    page.wait_for_function("() => document.activeElement.matches('.select2-search__field')")
                    with page.expect_response(lambda response: "term=ukr" in response.url):
                        page.keyboard.type("ukr")
                    page.wait_for_timeout(300)
                path = output / name
                page.screenshot(path=str(path))
                written.append(path)
            browser.close()
    finally:
        server.shutdown()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        os.environ["DEMO_SQLITE_PATH"] = str(Path(work) / "db.sqlite3")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
        import django

        django.setup()
        build_database()
        for path in take(options.output):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
