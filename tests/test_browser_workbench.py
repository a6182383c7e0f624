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

from readout_annotations.admin.catalog import ranked
from readout_annotations.attribution import create_proposals
from readout_annotations.models import Annotation, ReviewStatus, Speaker, Target

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
