"""The reviewer's statement boundaries and readout import, in Debian's Chromium (Playwright,
``executable_path``) against a live server: a click in the text sets where to split, Split and
Merge renumber the readout, and "Import readout files" uploads two files with their proposals."""

from __future__ import annotations

import pytest

from readout_annotations.models import Annotation, Readout

from .conftest import make_readout
from .test_admin import annotate, catalog, sentences, url
from .test_browser import browser, log_in  # noqa: F401 (the module's fixture)

pytestmark = pytest.mark.browser

FILE = "A meeting\n2024-05-14 21:05\n\nXi Jinping said that peace matters. The two sides agreed.\n"


def test_a_reviewer_splits_at_a_click_and_merges_back(browser, live_server, annotator, reviewer):  # noqa: F811
    xi, *_ = catalog()
    readout = make_readout("boundaries", sentences(3))
    second = readout.statements.get(number=2)
    reading = annotate(second, annotator, speaker=xi, attribution="explicit", mode="indirect", cue="said")
    page = log_in(browser, live_server, "reviewer")
    page.goto(live_server.url + url("statement_change", second.pk))
    text = page.locator("#ra-boundary-text")
    assert text.inner_text() == second.text
    word = second.text.index(" ", len(second.text) // 2) + 1  # the start of a word half-way along
    # in the middle of the window (newer admins keep the save buttons stuck to its bottom), then
    # click just inside the left edge of that word's first character: the caret lands before it
    page.evaluate("document.getElementById('ra-boundary-text').scrollIntoView({block: 'center'})")
    rect = page.evaluate(
        """(offset) => {
            const node = document.getElementById("ra-boundary-text").firstChild;
            const range = document.createRange();
            range.setStart(node, offset);
            range.setEnd(node, offset + 1);
            const r = range.getBoundingClientRect();
            return {x: r.left, y: r.top + r.height / 2};
        }""",
        word,
    )
    page.mouse.click(rect["x"] + 1, rect["y"])
    assert page.input_value("#ra-split-at") == str(word)
    page.click("button[form=ra-split-form]")
    page.wait_for_selector(".messagelist .success")
    assert "Split into #2 and #3" in page.inner_text(".messagelist")
    numbers = [s.text for s in readout.statements.order_by("number")]
    assert len(numbers) == 4 and numbers[1] + " " + numbers[2] == second.text
    reading.refresh_from_db()
    assert reading.statement_id == second.pk
    page.click("button[form=ra-merge-form]")
    page.wait_for_selector(".messagelist .success")
    assert "Merged into #2" in page.inner_text(".messagelist")
    assert readout.statements.count() == 3 and readout.statements.get(number=2).text == second.text
    reading.refresh_from_db()
    assert "were merged" in reading.reread_reason


def test_a_reviewer_imports_two_files_from_the_readout_list(browser, live_server, reviewer, tmp_path, settings):  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path / "media")
    files = []
    for name, title in (("first.txt", "A meeting"), ("second.txt", "Another meeting")):
        path = tmp_path / name
        path.write_text(FILE.replace("A meeting", title), encoding="utf-8")
        files.append(str(path))
    page = log_in(browser, live_server, "reviewer")
    page.goto(live_server.url + url("readout_changelist"))
    page.click("text=Import readout files")
    page.set_input_files("input[name=files]", files)
    page.fill("input[name=timezone]", "Europe/Berlin")
    page.click("input[type=submit][value=Import]")
    page.wait_for_selector(".messagelist")
    messages = page.inner_text(".messagelist").lower()  # the admin capitalises each message
    assert "first.txt: readout first created" in messages and "2 files imported" in messages
    assert set(Readout.objects.values_list("slug", flat=True)) == {"first", "second"}
    assert Annotation.objects.filter(origin="machine", statement__readout__slug="first").count() == 2


def test_progress_fits_1400_px_with_human_headers(browser, live_server, annotator, other_annotator, reviewer):  # noqa: F811
    """Two annotators and the built-in rules, speakers with long names (two people), long
    statements: at 1400 px the table fits its box, the page does not scroll sideways, and the
    headers read as words (the rules' label, the fields' labels), not stored names."""
    from readout_annotations.attribution import MACHINE_NAME
    from readout_annotations.models import Speaker

    pair = Speaker.objects.create(slug="pair", name="Antony Blinken and Annalena Baerbock", kind="group")
    readout = make_readout(
        "progress",
        " ".join(
            f"The Secretary and the Minister {n} underscored " + "the importance of continued support " * 3 + "today."
            for n in range(6)
        ),
    )
    for statement in readout.statements.all():
        annotate(statement, annotator, speaker=pair, attribution="explicit", mode="indirect", cue="underscored")
        annotate(statement, other_annotator, speaker=pair, attribution="explicit", mode="direct", cue="underscored")
        annotate(statement, None, speaker=pair, machine_name=MACHINE_NAME, machine_version="1")
    page = log_in(browser, live_server, "reviewer")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server.url + url("readout_progress", readout.pk))
    sizes = page.evaluate(
        """() => {
            const box = document.querySelector('.ra-progress-box'), table = box.querySelector('table');
            return {page: document.documentElement.scrollWidth - window.innerWidth,
                    table: table.getBoundingClientRect().width, box: box.clientWidth, scroll: box.scrollWidth};
        }"""
    )
    assert sizes["page"] <= 0 and sizes["scroll"] <= sizes["box"] and sizes["table"] <= sizes["box"], sizes
    headers = page.locator(".ra-progress thead th").all_inner_texts()
    assert [" ".join(h.lower().split()) for h in headers] == [
        "no.",
        "statement",
        "annotator1",
        "annotator2",
        "built-in rules machine proposal",
        "gold",
        "readings differ in",
    ]
    assert MACHINE_NAME not in page.inner_text(".ra-progress")
    assert page.locator(".ra-differs-fields").first.inner_text() == "≠ mode"


def test_lists_and_comparison_fit_1400_px(browser, live_server, annotator, other_annotator, reviewer):  # noqa: F811
    """A reviewer at 1400 px with the admin's sidebar open: the statement, annotation and target
    lists and the comparison of two people and a machine fit their boxes, with long speaker and target
    names (they wrap) and a gold reading of several stances."""
    from readout_annotations.attribution import MACHINE_NAME
    from readout_annotations.models import Speaker, Target

    from .test_admin import make_gold

    pair = Speaker.objects.create(slug="pair", name="Antony Blinken and Annalena Baerbock", kind="group")
    targets = [
        Target.objects.create(slug=f"t{n}", name=name)
        for n, name in enumerate(
            (
                "Security and stability of the Euro-Atlantic area",
                "Ceasefire between Israel and Lebanon (November 2024)",
                "Lasting peace and security for Israelis and Palestinians",
            )
        )
    ]
    parent = Target.objects.create(slug="parent", name="Political settlement of the Ukrainian crisis and its aftermath")
    Target.objects.filter(pk__in=[t.pk for t in targets]).update(parent=parent)
    readout = make_readout("lists", sentences(4))
    for statement in readout.statements.all():
        stances = [(t, "favor") for t in targets]
        make_gold(annotate(statement, annotator, speaker=pair, stances=stances, mode="indirect", cue="said"))
        annotate(statement, other_annotator, speaker=pair, stances=stances[:1], mode="indirect", cue="said")
        annotate(statement, None, speaker=pair, stances=stances[1:], machine_name=MACHINE_NAME, machine_version="1")
    page = log_in(browser, live_server, "reviewer")
    page.set_viewport_size({"width": 1400, "height": 900})
    boxes = (
        "() => [...document.querySelectorAll('.results, .ra-compare-scroll')].map(b => [b.scrollWidth, b.clientWidth])"
    )
    for address in (
        url("statement_changelist") + "?status=all",
        url("annotation_changelist"),
        url("target_changelist"),
        url("statement_compare", readout.statements.get(number=2).pk),
    ):
        page.goto(live_server.url + address)
        sizes = page.evaluate(boxes)
        assert sizes and all(wide <= box for wide, box in sizes), (address, sizes)
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0, address


def test_the_readout_form_names_its_zone_instead_of_warning_about_server_time(browser, live_server, reviewer):  # noqa: F811
    """The form shows "published at" in the readout's zone (Asia/Shanghai, UTC+8): a browser in
    UTC gets no "Note: You are 8 hours behind server time" on that field nor on the event date
    (a calendar day), and reads the zone beside the time instead."""
    import datetime

    from .conftest import BEIJING

    readout = make_readout("zoned", sentences(2), timezone="Asia/Shanghai", event_date=datetime.date(2023, 3, 1))
    assert readout.published_at.astimezone(BEIJING).hour == 9
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "reviewer")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    page.goto(live_server.url + url("readout_change", readout.pk))
    page.wait_for_selector("#id_published_at_1 ~ .datetimeshortcuts, .datetimeshortcuts")
    assert page.evaluate("document.body.dataset.adminUtcOffset") == "28800"  # the page is in the readout's zone
    assert page.input_value("#id_published_at_1") == "09:42:00"
    content = page.inner_text("#content-main")
    assert "server time" not in content, content
    assert "In Asia/Shanghai, the readout's time zone." in page.inner_text(".field-published_at")
    assert "Today" in page.inner_text(".field-event_date")  # the calendar's shortcuts are there, the note is not
    context.close()
