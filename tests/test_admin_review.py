"""The reviewer's screens: annotations side by side, accepting gold, a new gold reading, progress."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from readout_annotations.models import Annotation, Origin, Target

from .conftest import make_readout
from .test_admin import annotate, catalog, make_gold, query_count, reading_data, sentences, url


@pytest.fixture
def disputed(small_readout, annotator, other_annotator):
    """Statement 2 read differently by two annotators and a machine."""
    xi, lukashenko, taiwan, bri = catalog()
    statement = small_readout.statements.get(number=2)
    first = annotate(statement, annotator, speaker=xi, cue="pointed out", stances=[(taiwan, "favor")])
    second = annotate(
        statement, other_annotator, speaker=lukashenko, cue="Pointed out ", stances=[(taiwan, "favor"), (bri, "none")]
    )
    machine = annotate(statement, None, speaker=xi, machine_name="rules", machine_version="1")
    return statement, first, second, machine


@pytest.mark.django_db
def test_comparison_puts_every_annotation_side_by_side(client, disputed, reviewer):
    statement, *_ = disputed
    client.force_login(reviewer)
    whole = client.get(url("statement_compare", statement.pk)).content.decode()
    assert "The readings differ in:" in whole
    page = whole[whole.index('class="ra-compare"') :]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)', page)
    assert [h.strip() for h in headers] == ["field", "annotator1", "annotator2", "rules 1"]
    rows = {
        re.sub("<[^>]+>", "", row.split("</th>")[0]).strip(): row
        for row in re.findall(r"<tr class=\"[^\"]*\">\s*<th scope=\"row\">(.*?)</tr>", page, re.S)
    }
    assert rows["Speaker"].count("ra-differs") == 1  # annotator2 is the odd one out
    assert rows["Cue"].count("ra-differs") == 1  # the machine's empty cue; case and spaces do not count
    assert "ra-differs" not in rows["Mode"]
    assert rows["Stance: Belt and Road Initiative"].count("ra-differs") == 1
    assert rows["Stance: Taiwan"].count("ra-differs") == 1  # the machine gave no stance
    assert "not recorded" in rows["Stance: Taiwan"]  # distinct from the stance "none"
    assert page.count('value="Accept as gold"') == 3


@pytest.mark.django_db
def test_only_reviewers_compare_and_accept(client, disputed, annotator):
    statement, first, *_ = disputed
    client.force_login(annotator)
    assert client.get(url("statement_compare", statement.pk)).status_code == 403
    assert client.post(url("statement_accept", statement.pk, first.pk)).status_code == 403
    assert client.get(url("statement_gold", statement.pk)).status_code == 403
    assert not Annotation.objects.filter(gold=True).exists()


@pytest.mark.django_db
def test_accept_as_gold_records_who_and_from_what(client, disputed, reviewer):
    statement, first, second, machine = disputed
    client.force_login(reviewer)
    assert client.get(url("statement_accept", statement.pk, second.pk)).status_code == 405
    data = {"source": [first.pk, second.pk, machine.pk]}
    response = client.post(url("statement_accept", statement.pk, second.pk), data)
    assert response["Location"] == url("statement_compare", statement.pk)
    second.refresh_from_db()
    assert second.gold and second.adjudicated_by == reviewer and second.adjudicated_at is not None
    assert set(second.adjudicated_from.all()) == {first, machine}
    # accepting another one moves gold; a statement never has two
    client.post(url("statement_accept", statement.pk, first.pk), data)
    assert list(Annotation.objects.filter(gold=True)) == [first]


@pytest.mark.django_db
def test_accept_needs_csrf(disputed, reviewer):
    statement, first, *_ = disputed
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    assert client.post(url("statement_accept", statement.pk, first.pk)).status_code == 403
    page = client.get(url("statement_compare", statement.pk)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url("statement_accept", statement.pk, first.pk), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.gold


@pytest.mark.django_db
def test_accepting_a_machine_proposal_copies_it_to_the_reviewer(client, disputed, reviewer):
    statement, _, _, machine = disputed
    client.force_login(reviewer)
    client.post(url("statement_accept", statement.pk, machine.pk))
    gold = Annotation.objects.get(gold=True)
    assert gold.annotator == reviewer and gold.origin == Origin.HUMAN and gold.speaker == machine.speaker


@pytest.mark.django_db
def test_edit_into_a_new_gold_reading(client, disputed, reviewer):
    statement, first, second, machine = disputed
    lukashenko, taiwan = second.speaker, second.stances.get(stance="favor").target
    client.force_login(reviewer)
    page = client.get(url("statement_gold", statement.pk) + f"?from={second.pk}").content.decode()
    assert f'<option value="{lukashenko.pk}" selected>' in page  # prefilled from annotator2
    assert 'value="Pointed out "' in page and page.count('name="source"') == 3
    data = reading_data(
        speaker=lukashenko,
        attribution="inferred",
        cue="pointed out",
        stances=[(taiwan, "against")],
        source=[first.pk, second.pk, machine.pk],
        initial=2,
    )
    response = client.post(url("statement_gold", statement.pk), data)
    assert response["Location"] == url("statement_compare", statement.pk)
    gold = Annotation.objects.get(gold=True)
    assert gold.annotator == reviewer and gold.attribution == "inferred" and gold.adjudicated_by == reviewer
    assert [(s.target, s.stance) for s in gold.stances.all()] == [(taiwan, "against")]
    assert set(gold.adjudicated_from.all()) == {first, second, machine}
    # editing the reviewer's own gold again keeps one gold, the reviewer's
    data["attribution"] = "explicit"
    client.post(url("statement_gold", statement.pk), data)
    gold.refresh_from_db()
    assert gold.gold and gold.attribution == "explicit" and Annotation.objects.filter(gold=True).count() == 1


@pytest.mark.django_db
def test_comparison_costs_the_same_for_2_and_6_annotations(client, reviewer, roles):
    from django.contrib.auth import get_user_model

    xi, _, taiwan, bri = catalog()
    readout = make_readout("five", sentences(5))
    one, two = readout.statements.get(number=1), readout.statements.get(number=2)
    for index in range(6):
        user = get_user_model().objects.create_user(f"a{index}")
        if index < 2:
            annotate(one, user, speaker=xi, stances=[(taiwan, "favor")])
        annotate(two, user, speaker=xi, stances=[(taiwan, "favor"), (bri, "against")])
    make_gold(Annotation.objects.filter(statement=two).first())
    client.force_login(reviewer)
    count = query_count(client, url("statement_compare", one.pk))
    assert count == query_count(client, url("statement_compare", two.pk))
    assert count <= 12, count


@pytest.mark.django_db
def test_progress_page(client, annotator, other_annotator, reviewer):
    xi, *_ = catalog()
    readout = make_readout("five", sentences(5))
    s = {n: readout.statements.get(number=n) for n in range(1, 6)}
    for n in (1, 2, 3):
        annotate(s[n], annotator, speaker=xi)
    for n in (1, 2):
        annotate(s[n], other_annotator, speaker=xi)
    make_gold(Annotation.objects.get(statement=s[3]))
    client.force_login(annotator)
    assert client.get(url("readout_progress", readout.pk)).status_code == 403
    client.force_login(reviewer)
    page = client.get(url("readout_progress", readout.pk)).content.decode()
    assert "Accept 2 agreed readings as gold" in page
    page = page[page.index('class="ra-progress"') :]
    assert re.findall(r'<th scope="col">([^<]+)</th>', page)[2:] == [
        "annotator1",
        "annotator2",
        "gold",
        "readings differ in",
    ]
    footer = page[page.index("<tfoot>") :]
    assert re.findall(r"<td>(\d+) / 5</td>", footer) == ["3", "2", "1"]
    response = client.post(url("readout_accept_agreed", readout.pk))
    assert response["Location"] == url("readout_progress", readout.pk)
    assert set(Annotation.objects.filter(gold=True).values_list("statement__number", flat=True)) == {1, 2, 3}
    assert Annotation.objects.get(statement=s[1], gold=True).adjudicated_by == reviewer


@pytest.mark.django_db
def test_progress_marks_readings_that_differ_in_any_field(client, annotator, other_annotator, reviewer):
    xi, *_ = catalog()
    target = Target.objects.create(slug="peace", name="Peace")
    readout = make_readout("six", sentences(6))
    s = {n: readout.statements.get(number=n) for n in range(1, 7)}
    same = {"speaker": xi, "mode": "indirect", "cue": "said"}
    for n in range(1, 7):
        annotate(s[n], annotator, **same, stances=[(target, "favor")] if n in (4, 5) else ())
    annotate(s[1], other_annotator, **same)  # the same reading
    annotate(s[2], other_annotator, **{**same, "mode": "direct"})  # mode only
    annotate(s[3], other_annotator, **{**same, "cue": "noted"})  # cue only
    annotate(s[4], other_annotator, **same)  # a stance not recorded
    annotate(s[5], other_annotator, **same, stances=[(target, "none")])  # another side
    annotate(s[6], other_annotator, speaker=None, attribution="narration")  # several fields
    client.force_login(reviewer)
    page = client.get(url("readout_progress", readout.pk)).content.decode()
    marks = re.findall(r'class="ra-differs-fields"[^>]*>≠ ([^<]+)</a>', page)
    assert marks == ["mode", "cue", "stances", "stances", "speaker, attribution, mode, cue"]
    assert page.count('class="ra-differs"') == 5


@pytest.mark.django_db
def test_progress_headers_and_cells_are_for_people(client, annotator, reviewer):
    """A machine's column is headed by its proposer's label (the stored name in its title), an
    import without annotator "imported", a reading without speaker "(no speaker)", and the
    fields that differ by their labels."""
    from readout_annotations.attribution import MACHINE_NAME

    xi, *_ = catalog()
    readout = make_readout("three", sentences(3))
    first, second, _third = readout.statements.order_by("number")
    annotate(first, annotator, speaker=None, attribution="narration")
    annotate(first, None, speaker=xi, machine_name=MACHINE_NAME, machine_version="1")
    annotate(second, None, speaker=xi, machine_name="host.nli", machine_version="2")
    Annotation.objects.create(statement=second, origin=Origin.IMPORT, speaker=xi, attribution="explicit")
    client.force_login(reviewer)
    page = client.get(url("readout_progress", readout.pk)).content.decode()
    table = page[page.index('class="ra-progress"') :]
    table = table[: table.index("</thead>")]
    headers = [re.sub(r"<[^>]+>", " ", h).split() for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table)]
    assert [" ".join(h) for h in headers] == [
        "no.",
        "statement",
        "annotator1",
        "built-in rules machine proposal",
        "host.nli machine proposal",  # no proposer configured by that name: its stored name
        "imported no annotator",
        "gold",
        "readings differ in",
    ]
    assert f'title="{MACHINE_NAME}"' in table and MACHINE_NAME not in re.sub(r'title="[^"]*"', "", table)
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "(no speaker)" in body and "—" not in body


@pytest.mark.django_db
def test_progress_names_the_differing_fields_by_their_labels(client, annotator, other_annotator, reviewer, monkeypatch):
    """The page prints a field's label, not its name: relabel one and the page follows."""
    xi, *_ = catalog()
    readout = make_readout("one", sentences(1))
    statement = readout.statements.get()
    annotate(statement, annotator, speaker=xi, mode="indirect", cue="said")
    annotate(statement, other_annotator, speaker=xi, mode="direct", cue="said")
    monkeypatch.setattr(Annotation._meta.get_field("mode"), "verbose_name", "way of speaking")
    client.force_login(reviewer)
    page = client.get(url("readout_progress", readout.pk)).content.decode()
    assert re.findall(r'class="ra-differs-fields"[^>]*>≠ ([^<]+)</a>', page) == ["way of speaking"]


@pytest.mark.django_db
def test_progress_costs_the_same_for_10_and_100_statements(client, annotator, other_annotator, reviewer):
    xi, *_ = catalog()
    small, large = make_readout("small", sentences(10)), make_readout("large", sentences(100))
    for readout in (small, large):
        for statement in readout.statements.all():
            make_gold(annotate(statement, annotator, speaker=xi))
            annotate(statement, other_annotator, speaker=xi)
    client.force_login(reviewer)
    count = query_count(client, url("readout_progress", small.pk))
    assert count == query_count(client, url("readout_progress", large.pk))
    assert count <= 12, count


@pytest.mark.django_db
def test_accept_agreed_admin_action(client, annotator, other_annotator, reviewer):
    xi, *_ = catalog()
    readout = make_readout("two", sentences(2))
    for statement in readout.statements.all():
        annotate(statement, annotator, speaker=xi)
        annotate(statement, other_annotator, speaker=xi if statement.number == 1 else None)
    client.force_login(annotator)
    page = client.get(url("readout_changelist")).content.decode()
    assert "accept_agreed_action" not in page
    client.force_login(reviewer)
    data = {"action": "accept_agreed_action", "_selected_action": [readout.pk]}
    assert client.post(url("readout_changelist"), data).status_code == 302
    assert list(Annotation.objects.filter(gold=True).values_list("statement__number", flat=True)) == [1]
