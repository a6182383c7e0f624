"""The annotator's workbench in Debian's Chromium: how many actions a reading costs.

An annotator reads the seed readout's 34 statements, starting from the machine proposals, with
the keyboard (and a mouse selection for a cue). Before the run the speaker "Xi Jinping" is taken
out of the vocabulary (with the seed's gold, kept aside as the answer key), so the annotator
meets a speaker nobody knows and proposes it from the form at its first statement.

Every statement is compared with the gold: a field that differs is corrected, a correct one is
left alone. The test counts the actions it sends - a key or chord, a typed search term or name
(one action, its keystrokes counted too), a click, a mouse selection - and fails when a
statement whose proposal is right costs more than 4 on average, or the statement that needs a
new speaker and a stance more than 12. It does not depend on how good the proposals are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings

from readout_annotations.admin.catalog import ranked
from readout_annotations.models import Annotation, ReviewStatus, Speaker, Target
from readout_annotations.proposers import create_proposals

from .test_admin import url
from .test_browser import browser, log_in  # noqa: F401 (the browser fixture)

pytestmark = pytest.mark.browser

SEED = "xi-lukashenko-talks-2023-03-01"
NEW_SPEAKER = "Xi Jinping"
ATTRIBUTION_KEYS = {"explicit": "e", "continued": "c", "inferred": "i", "narration": "n"}
MODE_KEYS = {"direct": "d", "indirect": "r", "mixed": "m"}
STANCE_KEYS = {"favor": "f", "against": "a", "none": "o"}

#: Most actions allowed, on average, by category of statement (issue 15's "done when").
BUDGET = {"proposal right": 4, "new speaker and a stance": 12}

FORM_STATE = """() => {
  const form = document.getElementById('ra-reading-form');
  const checked = (name) => {
    const input = form.querySelector(`input[name=${name}]:checked`);
    return input ? input.value : null;
  };
  const chosen = (select) => select.value ? select.selectedOptions[0].text : null;
  return {
    number: Number(form.dataset.number),
    previous: form.dataset.previousSpeakerName || null,
    speaker: chosen(form.querySelector('select[name=speaker]')),
    attribution: checked('attribution'),
    mode: checked('mode') || '',
    cue: form.querySelector('input[name=cue]').value,
    stances: [...form.querySelectorAll('.ra-stances .ra-stance-row')].map((row, index) => {
      const radio = row.querySelector('input[type=radio]:checked');
      const remove = row.querySelector('input[name$="-DELETE"]');
      return {target: chosen(row.querySelector('select')), stance: radio ? radio.value : null,
              removed: Boolean(remove && remove.checked), index};
    }),
  };
}"""

# The screen box of characters [start, end) of the highlighted statement (UTF-16 offsets).
TEXT_BOX = """([start, end]) => {
  const node = document.querySelector('mark.ra-current').firstChild;
  const range = document.createRange();
  range.setStart(node, start); range.setEnd(node, end);
  const rects = [...range.getClientRects()].filter((r) => r.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  return [first.left, first.top + first.height / 2, last.right, last.top + last.height / 2];
}"""


# The elements that reach past the window's right edge (to say what overflows).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


# What an annotator checks of a proposal: {name: [top, bottom, highest top, lowest bottom seen]}
# in the window; the statement is seen inside its scrolling box, a field of the form above the
# sticky save bar.
FIRST_SCREEN = """() => {
  const form = document.getElementById('ra-reading-form');
  const bar = form.querySelector('.ra-submit').getBoundingClientRect().top;
  const source = document.querySelector('.ra-source').getBoundingClientRect();
  const seen = (element, top, bottom) => {
    const box = element.getBoundingClientRect();
    return [box.top, box.bottom, Math.max(0, top), Math.min(window.innerHeight, bottom)].map(Math.round);
  };
  const boxes = {statement: seen(document.querySelector('mark.ra-current'), source.top, source.bottom)};
  for (const field of ['attribution', 'speaker', 'mode', 'cue']) {
    boxes[field] = seen(form.querySelector(`[data-field=${field}]`), 0, bar);
  }
  form.querySelectorAll('.ra-stance-row.ra-proposed').forEach((row, index) => {
    boxes[`stance ${index + 1}`] = seen(row, 0, bar);
  });
  return boxes;
}"""


@dataclass
class Gold:
    speaker: str | None
    attribution: str
    mode: str
    cue: str
    stances: dict[str, str] = field(default_factory=dict)


def gold_of(readout) -> dict[int, Gold]:
    statements = readout.statements.select_related("gold_annotation__speaker").prefetch_related(
        "gold_annotation__stances__target"
    )
    return {
        s.number: Gold(
            speaker=s.gold_annotation.speaker.name if s.gold_annotation.speaker else None,
            attribution=s.gold_annotation.attribution,
            mode=s.gold_annotation.mode,
            cue=s.gold_annotation.cue,
            stances={st.target.name: st.stance for st in s.gold_annotation.stances.all()},
        )
        for s in statements
    }


class Annotator:
    """Sends actions to the page and counts them."""

    def __init__(self, page):
        self.page = page
        self.actions = 0
        self.keystrokes = 0
        self.log: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.log.append(key)
        self.actions += 1
        self.keystrokes += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.log.append(repr(text))
        self.actions += 1
        self.keystrokes += len(text)

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.log.append("click")
        self.actions += 1

    def select_text(self, start: int, end: int) -> None:
        """One mouse selection from character ``start`` to ``end`` of the highlighted statement."""
        x1, y1, x2, y2 = self.page.evaluate(TEXT_BOX, [start, end])
        self.page.mouse.move(x1 + 1, y1)
        self.page.mouse.down()
        self.page.mouse.move(x2 - 1, y2, steps=4)
        self.page.mouse.up()
        self.log.append("select")
        self.actions += 1

    def pick(self, term: str, label: str) -> None:
        """In an open picker: type ``term``, wait for its results (not the list the picker showed
        on opening), move down to ``label`` if it is not first, Enter."""

        def answers(response) -> bool:
            address = urlsplit(response.url)
            return "/lookup/" in address.path and parse_qs(address.query).get("term") == [term]

        self.page.wait_for_function("() => document.activeElement.matches('.select2-search__field')")
        with self.page.expect_response(answers):
            self.type(term)
        self.page.wait_for_function("() => !document.querySelector('.select2-results__option.loading-results')")
        highlighted = self.page.locator(".select2-results__option--highlighted")
        self.page.locator(".select2-results__option", has_text=label).first.wait_for()
        while highlighted.inner_text().split("\n")[0].strip() != label:
            self.press("ArrowDown")
        self.press("Enter")


def search_term(model, user, name: str) -> str:
    """The shortest start of ``name`` (two characters or more) that the lookup ranks first: what
    an annotator types before Enter."""
    usable = model.objects.usable_by(user)
    for length in range(2, len(name)):
        first = ranked(usable, name[:length]).values_list("name", flat=True).first()
        if first == name:
            return name[:length].lower()
    return name


def read_statement(annotator: Annotator, gold: Gold, user) -> str:
    """Correct what differs from ``gold`` and save; returns the statement's category."""
    page = annotator.page
    state = page.evaluate(FORM_STATE)
    category = "proposal right"
    if gold.attribution == "continued" and state["speaker"] != gold.speaker and state["previous"] == gold.speaker:
        annotator.press("s")  # the previous speaker, continued
        category = "proposal corrected"
        state = page.evaluate(FORM_STATE)
    if state["attribution"] != gold.attribution:
        annotator.press(ATTRIBUTION_KEYS[gold.attribution])
        state = page.evaluate(FORM_STATE)
    if state["speaker"] != gold.speaker:
        category = "proposal corrected"
        if gold.speaker is None:
            annotator.press("n")
        elif state["previous"] == gold.speaker:
            annotator.press("s")
        elif Speaker.objects.usable_by(user).filter(name=gold.speaker).exists():
            annotator.press("/")
            annotator.pick(search_term(Speaker, user, gold.speaker), gold.speaker)
        else:
            category = "new speaker and a stance" if gold.stances else "new speaker"
            annotator.press("/")
            annotator.pick(gold.speaker, f"+ propose a new person “{gold.speaker}”")
            page.wait_for_function(
                "(name) => { const s = document.querySelector('#ra-reading-form select[name=speaker]');"
                " return s.value && s.selectedOptions[0].text === name; }",
                arg=gold.speaker,
            )
        state = page.evaluate(FORM_STATE)
    if state["attribution"] != gold.attribution:
        annotator.press(ATTRIBUTION_KEYS[gold.attribution])
        state = page.evaluate(FORM_STATE)
    if state["mode"] != gold.mode:
        category = category if category != "proposal right" else "proposal corrected"
        annotator.press(MODE_KEYS[gold.mode] if gold.mode else "n")
    if state["cue"] != gold.cue:
        category = category if category != "proposal right" else "proposal corrected"
        text = page.evaluate("() => document.querySelector('mark.ra-current').textContent")
        start = text.lower().find(gold.cue.lower())
        assert gold.cue and start >= 0, (state["number"], gold.cue)
        annotator.select_text(start, start + len(gold.cue))
    rows = {row["target"]: row for row in state["stances"] if row["target"] and not row["removed"]}
    for target, row in rows.items():
        if target not in gold.stances:
            category = category if category != "proposal right" else "proposal corrected"
            annotator.click(f".ra-stances .ra-stance-row >> nth={row['index']} >> label.ra-remove")
        elif row["stance"] != gold.stances[target]:
            category = category if category != "proposal right" else "proposal corrected"
            row_selector = f".ra-stances .ra-stance-row >> nth={row['index']}"
            annotator.click(f"{row_selector} >> input[value='{gold.stances[target]}']")
    for target, stance in gold.stances.items():
        if target not in rows:
            category = category if category != "proposal right" else "proposal corrected"
            annotator.press("t")
            annotator.pick(search_term(Target, user, target), target)
            annotator.press(STANCE_KEYS[stance])
    before = page.url
    annotator.press("Control+Enter")
    page.wait_for_url(lambda address: address != before)
    return category


# Without the office-holder gazetteer the machine does not know Xi Jinping once his speaker row is
# gone, so the annotator proposes him from the form: the path this test measures.
@override_settings(READOUT_ANNOTATIONS_OFFICEHOLDERS=[])
def test_reading_the_seed_with_the_keyboard_costs_few_actions(browser, live_server, annotator):  # noqa: F811
    call_command("loaddata", SEED, verbosity=0)
    from readout_annotations.models import Readout

    readout = Readout.objects.get(slug=SEED)
    gold = gold_of(readout)
    Annotation.objects.filter(statement__readout=readout).delete()
    Speaker.objects.filter(name=NEW_SPEAKER).delete()
    create_proposals(readout)

    page = log_in(browser, live_server, "annotator1")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + url("statement_next") + f"?readout__id__exact={readout.pk}")
    costs: dict[str, list[tuple[int, int, int]]] = {}
    for _ in range(len(gold)):
        page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
        number = page.evaluate(FORM_STATE)["number"]
        annotator_ = Annotator(page)
        category = read_statement(annotator_, gold[number], annotator)
        costs.setdefault(category, []).append((number, annotator_.actions, annotator_.keystrokes))
        print(number, category, " ".join(annotator_.log))
    assert re.search(r"/statement/\?", page.url), page.url  # every statement read: back to the list
    assert errors == []

    # what was saved is the gold, with the annotator's own proposed speaker
    saved = gold_of_annotator(readout, annotator)
    assert saved == gold
    proposed = Speaker.objects.get(name=NEW_SPEAKER)
    assert (proposed.status, proposed.proposed_by) == (ReviewStatus.PROPOSED, annotator)

    print("\ncategory                    statements  actions/statement  keystrokes/statement  most")
    for category, rows in sorted(costs.items()):
        actions = [a for _, a, _ in rows]
        keys = [k for _, _, k in rows]
        print(
            f"{category:<27} {len(rows):>10}  {sum(actions) / len(rows):>17.2f}"
            f"  {sum(keys) / len(rows):>20.2f}  {max(actions):>4}"
        )
    assert "new speaker and a stance" in costs
    for category, most in BUDGET.items():
        rows = costs.get(category, [])
        if rows:
            assert sum(a for _, a, _ in rows) / len(rows) <= most, (category, rows)


def test_every_proposal_of_the_seed_is_seen_whole_at_1400_by_900(browser, live_server, annotator):  # noqa: F811
    """The statement, its attribution, speaker, mode, cue and every proposed stance: all in the
    first screen of a 1400x900 window, above the save bar, without scrolling, on every statement
    of the seed as an annotator meets them (after "Saved your annotation of ..." from the last)."""
    from readout_annotations.models import Readout

    call_command("loaddata", SEED, verbosity=0)
    readout = Readout.objects.get(slug=SEED)
    Annotation.objects.filter(statement__readout=readout).delete()
    create_proposals(readout)
    stances = dict(readout.statements.annotate(n=Count("annotations__stances")).values_list("number", "n"))
    assert max(stances.values()) >= 5  # the longest forms are among them
    page = log_in(browser, live_server, "annotator1")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(live_server.url + url("statement_next") + f"?readout__id__exact={readout.pk}")
    hidden, messages = {}, 0
    for _ in stances:
        page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
        number = int(page.get_attribute("#ra-reading-form", "data-number"))
        messages += page.locator(".messagelist li").count()
        seen = page.evaluate(FIRST_SCREEN)
        assert len(seen) == 5 + stances[number], (number, seen)  # a row per proposed stance
        cut = [name for name, (top, bottom, highest, lowest) in seen.items() if top < highest or bottom > lowest]
        if cut or page.evaluate("() => window.scrollY"):
            hidden[number] = cut or "scrolled"
            print(number, seen)
        before = page.url
        page.keyboard.press("Control+Enter")
        page.wait_for_url(lambda address, before=before: address != before)
    assert hidden == {}
    assert messages == len(stances) - 1


# The open picker's list and the stance row it edits, as boxes in the window.
PICKER = """() => {
  const select = document.querySelector('.ra-stance-row .select2-container--open');
  const row = select.closest('.ra-stance-row');
  const box = (element) => { const b = element.getBoundingClientRect(); return [b.top, b.bottom].map(Math.round); };
  const list = document.querySelector('.select2-container--open .select2-dropdown');
  return {below: list.classList.contains('select2-dropdown--below'), list: box(list), picker: box(select),
          above: row.previousElementSibling ? box(row.previousElementSibling) : null, window: window.innerHeight};
}"""


def test_a_stance_picker_opens_below_its_row_even_at_the_foot_of_the_form(browser, live_server, annotator):  # noqa: F811
    """Near the foot of the window the target picker makes room below itself instead of opening
    over the row above (select2 opens upward where the window has no room below)."""
    from readout_annotations.models import Readout

    call_command("loaddata", SEED, verbosity=0)
    readout = Readout.objects.get(slug=SEED)
    Annotation.objects.filter(statement__readout=readout).delete()
    create_proposals(readout)
    statement = readout.statements.annotate(n=Count("annotations__stances")).filter(n__gte=5).order_by("number").first()
    page = log_in(browser, live_server, "annotator1")
    page.set_viewport_size({"width": 1400, "height": 900})

    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    def check(how: str, open_picker) -> None:
        focused = "() => document.activeElement.matches('.select2-search__field')"
        try:
            page.wait_for_function(focused, timeout=5000)
        except PlaywrightTimeoutError:  # once seen in CI at load 4+: the key or click came too early
            open_picker()
            page.wait_for_function(focused)
        page.keyboard.type("ta")
        page.wait_for_function("() => !document.querySelector('.select2-results__option.loading-results')")
        page.locator(".select2-results__option").first.wait_for()
        seen = page.evaluate(PICKER)
        assert seen["below"], (how, seen)
        assert seen["picker"][1] <= seen["list"][0] + 1 and seen["list"][1] <= seen["window"], (how, seen)
        assert seen["above"] is None or seen["above"][1] <= seen["picker"][0] + 1, (how, seen)
        page.keyboard.press("Escape")

    for how in ("t", "click"):
        page.goto(live_server.url + url("statement_annotate", statement.pk))
        page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
        if how == "t":  # a new row at the foot of the stances

            def open_picker():
                page.keyboard.press("t")
        else:  # the last proposed row's picker

            def open_picker():
                page.locator(".ra-stance-row .select2-selection").last.click()

        open_picker()
        check(how, open_picker)


def gold_of_annotator(readout, user) -> dict[int, Gold]:
    readings = (
        Annotation.objects.filter(statement__readout=readout, annotator=user)
        .select_related("speaker", "statement")
        .prefetch_related("stances__target")
    )
    return {
        a.statement.number: Gold(
            speaker=a.speaker.name if a.speaker else None,
            attribution=a.attribution,
            mode=a.mode,
            cue=a.cue,
            stances={s.target.name: s.stance for s in a.stances.all()},
        )
        for a in readings
    }


def test_focus_labels_and_proposing_a_target_from_the_form(browser, live_server, annotator):  # noqa: F811
    from .conftest import make_readout
    from .test_admin import annotate, catalog

    xi, _, taiwan, _ = catalog()
    core = Target.objects.create(slug="core-interests", name="Core interests", kind="principle")
    readout = make_readout("dialog", "Xi said that China opposes interference in Tibet.")
    statement = readout.statements.get()
    proposal = annotate(statement, None, speaker=xi, mode="indirect", cue="said", stances=[(taiwan, "favor")])
    proposal.note = "explicit: a known name before a cue"
    proposal.save()

    page = log_in(browser, live_server, "annotator1")
    page.goto(live_server.url + url("statement_annotate", statement.pk))
    page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
    # the first field has focus; the proposal is marked, with its why
    assert page.evaluate("() => document.activeElement.name") == "attribution"
    assert "explicit: a known name before a cue" in page.inner_text(".ra-proposal-note")
    assert page.locator(".ra-field.ra-proposed").count() == 5
    # every field is named for a screen reader, each stance group by its target
    for role, name in (("radiogroup", "attribution"), ("radiogroup", "mode"), ("radiogroup", "Stance on Taiwan")):
        assert page.get_by_role(role, name=name, exact=True).count() == 1, name
    assert page.get_by_role("textbox", name="Cue", exact=True).count() == 1
    assert page.locator("details.ra-note summary").is_visible()

    # "Tibet" is nobody's target yet: propose it, under "Core interests", from the form
    page.keyboard.press("t")
    page.wait_for_function("() => document.activeElement.matches('.select2-search__field')")
    page.keyboard.type("Tibet")
    page.locator(".select2-results__option", has_text="propose a new target “Tibet”").wait_for()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ra-propose-target[open]")
    assert page.input_value("#id_propose_name") == "Tibet"
    page.select_option("#id_propose_kind", "policy")
    page.click("#id_propose_parent + .select2 .select2-selection")
    Annotator(page).pick("core", "Core interests")
    page.click("#ra-propose-target input[type=submit]")
    page.wait_for_selector("#ra-propose-target", state="hidden")
    tibet = Target.objects.get(name="Tibet")
    assert (tibet.kind, tibet.parent, tibet.status, tibet.proposed_by) == ("policy", core, "proposed", annotator)
    assert page.get_by_role("radiogroup", name="Stance on Tibet", exact=True).count() == 1
    page.keyboard.press("a")  # against, on the row just filled
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda address: "/annotate/" not in address)
    mine = Annotation.objects.get(annotator=annotator)
    assert (mine.speaker, mine.attribution, mine.mode, mine.cue) == (xi, "explicit", "indirect", "said")
    assert {(s.target.name, s.stance) for s in mine.stances.all()} == {("Taiwan", "favor"), ("Tibet", "against")}


@pytest.mark.parametrize("width", [1000, 1400])
def test_workbench_screens_fit_1000_and_1400_pixels(browser, live_server, annotator, other_annotator, reviewer, width):  # noqa: F811
    from django.contrib.auth import get_user_model

    from .conftest import make_readout
    from .test_admin import annotate, catalog, sentences

    xi, lukashenko, taiwan, bri = catalog()
    readout = make_readout("layout", sentences(6, per_paragraph=6))
    statement = readout.statements.get(number=3)
    readers = [annotator, other_annotator]
    for n in range(5):  # seven readings to compare: wider than the screen
        readers.append(get_user_model().objects.create_user(f"extra{n}", password="pw", is_staff=True))
    for n, user in enumerate(readers):
        annotate(
            statement, user, speaker=(xi, lukashenko)[n % 2], cue="says", stances=[(taiwan, "favor"), (bri, "against")]
        )

    def fits(page, address: str) -> None:
        page.goto(live_server.url + address)
        page.wait_for_load_state("load")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            print(page.evaluate(WIDEST))
        assert overflow <= 0, (address, width, overflow)

    page = log_in(browser, live_server, "annotator1")
    page.set_viewport_size({"width": width, "height": 800})
    fits(page, url("statement_changelist") + "?status=all")
    fits(page, url("statement_annotate", statement.pk))
    page.context.close()
    page = log_in(browser, live_server, "reviewer")
    page.set_viewport_size({"width": width, "height": 800})
    fits(page, url("statement_compare", statement.pk))
    box = page.evaluate(
        "() => { const b = document.querySelector('.ra-compare-scroll'); return [b.scrollWidth, b.clientWidth]; }"
    )
    if width == 1000:
        assert box[0] > box[1]  # the comparison scrolls sideways inside its box
    page.context.close()


def test_guideline_errors_name_their_field_and_save_nothing(browser, live_server, annotator):  # noqa: F811
    from .conftest import make_readout
    from .test_admin import catalog

    catalog()
    readout = make_readout("guideline", "Xi said that China opposes interference.")
    statement = readout.statements.get()
    page = log_in(browser, live_server, "annotator1")
    page.goto(live_server.url + url("statement_annotate", statement.pk))
    page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
    annotator_ = Annotator(page)
    annotator_.press("e")
    annotator_.press("/")
    annotator_.pick("xi", "Xi Jinping")
    annotator_.press("k")
    annotator_.type("declared")
    annotator_.press("Escape")
    # the form warns at once, the guideline refuses on saving, by field
    assert "ra-invalid" in page.get_attribute("#id_cue", "class")
    annotator_.press("Control+Enter")
    page.wait_for_selector("[data-field=cue] .errorlist")
    assert "does not occur in the statement" in page.inner_text("[data-field=cue] .errorlist")
    assert page.locator(".errorlist").count() == 1
    # narration clears speaker, mode and cue, but a stance still needs a speaker
    annotator_.press("n")
    annotator_.press("t")
    annotator_.pick("taiw", "Taiwan")
    annotator_.press("f")
    annotator_.press("Control+Enter")
    page.wait_for_selector("[data-field=stances] .errorlist")
    assert "A stance needs a speaker" in page.inner_text("[data-field=stances] .errorlist")
    assert page.input_value("#id_cue") == ""
    assert not Annotation.objects.filter(annotator=annotator).exists()


def open_proposal(browser, live_server, text: str = "Xi said that China opposes interference in Tibet."):  # noqa: F811
    """annotator1's page on a one-statement readout with a machine proposal: Xi Jinping,
    explicit, indirect, cue "said", favor Taiwan."""
    from .conftest import make_readout
    from .test_admin import annotate, catalog

    xi, _, taiwan, _ = catalog()
    statement = make_readout("proposal", text).statements.get()
    annotate(statement, None, speaker=xi, mode="indirect", cue="said", stances=[(taiwan, "favor")])
    page = log_in(browser, live_server, "annotator1")
    page.goto(live_server.url + url("statement_annotate", statement.pk))
    page.wait_for_selector("#ra-reading-form select[name=speaker] + .select2")
    return page


PROPOSED = """() => [...document.querySelectorAll('.ra-field.ra-proposed, .ra-stance-row.ra-proposed')]
  .map((e) => e.dataset.field || 'stance row')"""


def test_a_field_changed_in_a_picker_loses_its_proposal_mark(browser, live_server, annotator):  # noqa: F811
    """select2 announces a choice with a jQuery change: the speaker and a stance's target lose
    their ◆ as attribution and mode do, and the untouched fields keep theirs."""
    page = open_proposal(browser, live_server)
    assert page.evaluate(PROPOSED) == ["attribution", "speaker", "mode", "cue", "stances", "stance row"]
    annotator_ = Annotator(page)
    annotator_.press("/")
    annotator_.pick("luka", "Alexander Lukashenko")
    assert page.evaluate(PROPOSED) == ["attribution", "mode", "cue", "stances", "stance row"]
    assert not page.locator("[data-field=speaker] .ra-proposed-mark").is_visible()
    page.click(".ra-stance-row .select2-selection")
    annotator_.pick("belt", "Belt and Road Initiative")
    assert page.evaluate(PROPOSED) == ["attribution", "mode", "cue", "stances"]
    annotator_.press("d")
    assert page.evaluate(PROPOSED) == ["attribution", "cue", "stances"]


def test_the_cue_is_checked_at_every_keystroke(browser, live_server, annotator):  # noqa: F811
    page = open_proposal(browser, live_server)
    cue = page.locator("#id_cue")
    page.keyboard.press("k")
    page.keyboard.type("sad")  # not in the statement: red before the field loses focus
    assert "ra-invalid" in cue.get_attribute("class")
    assert page.evaluate("() => document.activeElement.id") == "id_cue"
    page.keyboard.press("Backspace")
    page.keyboard.type("id")  # "said": valid again, still typing
    assert "ra-invalid" not in (cue.get_attribute("class") or "")
    assert page.evaluate("() => document.activeElement.id") == "id_cue"


def test_the_propose_target_dialog_shows_its_error_box_only_with_an_error(browser, live_server, annotator):  # noqa: F811
    page = open_proposal(browser, live_server)
    page.keyboard.press("t")
    page.wait_for_function("() => document.activeElement.matches('.select2-search__field')")
    page.keyboard.type("Tibet")
    page.locator(".select2-results__option", has_text="propose a new target “Tibet”").wait_for()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ra-propose-target[open]")
    errors = page.locator("#ra-propose-target [data-errors]")
    assert not errors.is_visible()
    page.fill("#id_propose_name", "   ")  # the browser sends it, the server finds no name
    page.click("#ra-propose-target input[type=submit]")
    errors.wait_for(state="visible")
    assert "name: This field is required." in errors.inner_text()
    assert page.locator("#ra-propose-target[open]").count() == 1
