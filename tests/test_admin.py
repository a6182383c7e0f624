"""The admin workbench: the statement list, the annotation screen and the bulk actions.

Helpers here are shared by the other ``test_admin_*`` modules.
"""

from __future__ import annotations

import re

import django
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readout_annotations.models import Annotation, Origin, Speaker, Stance, Statement, Target

from .conftest import make_readout

# --------------------------------------------------------------------------- helpers


def sentences(count: int, per_paragraph: int = 5) -> str:
    """A readout body of ``count`` sentences, ``per_paragraph`` to a paragraph."""
    paragraphs = []
    for first in range(0, count, per_paragraph):
        numbers = range(first + 1, min(first + per_paragraph, count) + 1)
        paragraphs.append(" ".join(f"Sentence {n} says something about thing {n}." for n in numbers))
    return "\n\n".join(paragraphs)


def catalog():
    """Two speakers and two targets."""
    return (
        Speaker.objects.create(slug="xi-jinping", name="Xi Jinping"),
        Speaker.objects.create(slug="alexander-lukashenko", name="Alexander Lukashenko"),
        Target.objects.create(slug="taiwan", name="Taiwan"),
        Target.objects.create(slug="belt-and-road", name="Belt and Road Initiative"),
    )


def annotate(statement, user, speaker=None, attribution="explicit", stances=(), **fields) -> Annotation:
    origin = Origin.HUMAN if user is not None else Origin.MACHINE
    annotation = Annotation.objects.create(
        statement=statement, annotator=user, origin=origin, speaker=speaker, attribution=attribution, **fields
    )
    Stance.objects.bulk_create(Stance(annotation=annotation, target=t, stance=s) for t, s in stances)
    return annotation


def make_gold(annotation: Annotation) -> Annotation:
    """Test data only: the app itself sets gold through ``adjudication.accept``."""
    annotation.gold = True
    annotation.save()
    return annotation


def url(name: str, *args) -> str:
    return reverse(f"admin:readout_annotations_{name}", args=args)


def query_count(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200, response.status_code
    return len(queries)


def reading_data(
    speaker=None, attribution="narration", mode="", cue="", stances=(), version=None, initial=0, note="", **extra
):
    """POST data of the annotation screen's form."""
    data = {
        "speaker": speaker.pk if speaker else "",
        "attribution": attribution,
        "mode": mode,
        "cue": cue,
        "note": note,
        "version": version or "",
        "stances-TOTAL_FORMS": str(len(stances)),
        "stances-INITIAL_FORMS": str(initial),
        "stances-MIN_NUM_FORMS": "0",
        "stances-MAX_NUM_FORMS": "100",
    }
    for index, (target, value) in enumerate(stances):
        data[f"stances-{index}-target"] = target.pk
        data[f"stances-{index}-stance"] = value
    data.update(extra)
    return data


def numbers_listed(response) -> list[int]:
    """Statement numbers in a statement changelist page."""
    return [int(n) for n in re.findall(r'href="[^"]*/annotate/">#(\d+)</a>', response.content.decode())]


# --------------------------------------------------------------------------- statement list


@pytest.mark.django_db
def test_statement_list_starts_on_what_waits_for_my_annotation(client, small_readout, annotator):
    annotate(small_readout.statements.get(number=2), annotator)
    client.force_login(annotator)
    response = client.get(url("statement_changelist"))
    assert numbers_listed(response) == [1, 3, 4]
    page = response.content.decode()
    assert re.search(r'class="selected">\s*<a href="\?status=waiting"', page)
    assert numbers_listed(client.get(url("statement_changelist") + "?status=mine")) == [2]
    assert numbers_listed(client.get(url("statement_changelist") + "?status=all")) == [1, 2, 3, 4]


@pytest.mark.django_db
def test_statement_list_never_shows_another_annotators_reading(client, small_readout, annotator, other_annotator):
    xi, lukashenko, *_ = catalog()
    statement = small_readout.statements.get(number=2)
    annotate(statement, other_annotator, speaker=lukashenko)
    annotate(statement, annotator, speaker=xi)
    client.force_login(annotator)
    page = client.get(url("statement_changelist") + "?status=all").content.decode()
    assert "Xi Jinping</span>" in page  # my reading
    assert "Alexander Lukashenko</span>" not in page  # not theirs (the filter lists every speaker, plainly)
    assert "annotation_count" not in page and "column-gold_column" not in page
    assert "?status=review" not in page  # reviewers' statuses reveal others' work
    if django.VERSION >= (5, 0):  # the filters' counts ("Show counts") came with Django 5.0
        page = client.get(url("statement_changelist") + "?status=all&_facets=True").content.decode()
        assert "Alexander Lukashenko (0)" in page and "Xi Jinping (1)" in page  # counts of my readings only


@pytest.mark.django_db
def test_reviewer_columns_count_annotations_and_show_gold(client, small_readout, annotator, other_annotator, reviewer):
    xi, lukashenko, taiwan, _ = catalog()
    statement = small_readout.statements.get(number=2)
    make_gold(annotate(statement, annotator, speaker=xi, stances=[(taiwan, "against")]))
    annotate(statement, other_annotator, speaker=lukashenko)
    client.force_login(reviewer)
    page = client.get(url("statement_changelist") + "?status=all").content.decode()
    row = page[page.index(f'/{statement.pk}/annotate/">#2') :].split("</tr>")[0]
    assert re.search(r">2 ⇆</a>", row)
    assert "Xi Jinping" in row and "ra-stance-against" in row and "Taiwan" in row


@pytest.mark.django_db
def test_reviewer_statuses(client, small_readout, annotator, reviewer):
    first, second, *_ = small_readout.statements.order_by("number")
    annotate(first, annotator)
    make_gold(annotate(second, annotator))
    client.force_login(reviewer)
    changelist = url("statement_changelist")
    assert numbers_listed(client.get(changelist)) == [1, 2, 3, 4]  # reviewers start on all
    assert numbers_listed(client.get(changelist + "?status=review")) == [1]
    assert numbers_listed(client.get(changelist + "?status=gold")) == [2]
    assert numbers_listed(client.get(changelist + "?status=unannotated")) == [3, 4]


@pytest.mark.django_db
def test_statement_filters(client, annotator):
    xi, lukashenko, taiwan, bri = catalog()
    one = make_readout("one", sentences(6))
    two = make_readout("two", sentences(3))
    s = {n: one.statements.get(number=n) for n in range(1, 7)}
    annotate(s[1], annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "against")])
    annotate(s[2], annotator, speaker=xi, stances=[(taiwan, "against")])
    annotate(s[3], annotator, speaker=lukashenko, stances=[(bri, "favor")])
    annotate(s[6], annotator, attribution="narration")
    client.force_login(annotator)
    base = url("statement_changelist") + "?status=all&"
    assert numbers_listed(client.get(base + f"readout__id__exact={two.pk}")) == [1, 2, 3]
    assert numbers_listed(client.get(base + f"readout__id__exact={one.pk}&paragraph=2")) == [6]
    assert numbers_listed(client.get(base + "speaker=xi-jinping")) == [1, 2]
    assert numbers_listed(client.get(base + "speaker=-")) == [6]
    assert numbers_listed(client.get(base + "target=taiwan")) == [1, 2]
    assert numbers_listed(client.get(base + "stance=favor")) == [1, 3]
    # target and stance together match one stance row: #1 is against the Belt and Road, not Taiwan
    assert numbers_listed(client.get(base + "target=taiwan&stance=against")) == [2]
    assert numbers_listed(client.get(base + "target=belt-and-road&stance=against")) == [1]
    assert numbers_listed(client.get(base + "speaker=xi-jinping&target=belt-and-road")) == [1]
    assert numbers_listed(client.get(base + f"readout__id__exact={one.pk}&q=thing+5")) == [5]


@pytest.mark.django_db
def test_the_paragraph_filter_lists_the_paragraphs_of_the_one_readout_listed(client, reviewer):
    """Paragraph 3 of one readout is no paragraph of another: "By paragraph" appears once the
    list is filtered to a readout, with that readout's paragraphs only."""
    one = make_readout("one", sentences(4, per_paragraph=2))  # paragraphs 1-2
    two = make_readout("two", sentences(8, per_paragraph=2))  # paragraphs 1-4
    client.force_login(reviewer)
    base = url("statement_changelist") + "?status=all"
    page = client.get(base).content.decode()
    assert "By paragraph" not in page and "paragraph=1" not in page
    # a paragraph without a readout filters nothing (it names no one paragraph)
    assert len(numbers_listed(client.get(base + "&paragraph=4"))) == 12
    page = client.get(base + f"&readout__id__exact={one.pk}").content.decode()
    assert "By paragraph" in page and "paragraph=2" in page and "paragraph=3" not in page
    page = client.get(base + f"&readout__id__exact={two.pk}").content.decode()
    assert "paragraph=4" in page and "paragraph=5" not in page
    assert numbers_listed(client.get(base + f"&readout__id__exact={two.pk}&paragraph=4")) == [7, 8]


@pytest.mark.django_db
def test_speaker_filters_see_only_what_the_user_may_see(client, small_readout, annotator, other_annotator, reviewer):
    xi, *_ = catalog()
    statement = small_readout.statements.get(number=3)
    make_gold(annotate(statement, other_annotator, speaker=xi))
    client.force_login(annotator)
    for reading in ("gold", "any", "mine"):
        address = url("statement_changelist") + f"?status=all&speaker=xi-jinping&reading={reading}"
        assert numbers_listed(client.get(address)) == [], reading
    client.force_login(reviewer)
    assert numbers_listed(client.get(url("statement_changelist") + "?status=all&speaker=xi-jinping")) == [3]
    address = url("statement_changelist") + "?status=all&speaker=xi-jinping&reading=mine"
    assert numbers_listed(client.get(address)) == []


def _fill(readout, annotator, other, reviewer, targets):
    xi, lukashenko, taiwan, bri = targets
    for statement in readout.statements.all():
        make_gold(annotate(statement, annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "none")]))
        annotate(statement, other, speaker=lukashenko, stances=[(taiwan, "against")])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_statement_list_costs_the_same_for_10_and_100_rows(client, who, annotator, other_annotator, reviewer):
    things = catalog()
    small, large = make_readout("small", sentences(10)), make_readout("large", sentences(100))
    for readout in (small, large):
        _fill(readout, annotator, other_annotator, reviewer, things)
    client.force_login(annotator if who == "annotator" else reviewer)
    address = url("statement_changelist") + "?status=all&readout__id__exact={}"
    count = query_count(client, address.format(small.pk))
    assert count == query_count(client, address.format(large.pk))
    assert len(numbers_listed(client.get(address.format(large.pk)))) == 100
    assert count <= 16, count


# --------------------------------------------------------------------------- annotation screen


@pytest.mark.django_db
def test_annotation_screen_shows_the_paragraph_with_the_statement_marked(client, small_readout, annotator):
    statement = small_readout.statements.get(number=3)
    client.force_login(annotator)
    page = client.get(url("statement_annotate", statement.pk)).content.decode()
    assert '<mark class="ra-current">China supports the Belt and Road Initiative.</mark>' in page
    assert "pointed out that the two sides should oppose interference." in page  # the same paragraph
    assert "Belarus firmly supports China" not in page  # another paragraph
    assert 'name="annotator"' not in page
    assert 'data-model-name="annotation"' in page and 'data-model-name="stance"' in page  # autocompletes


@pytest.mark.django_db
def test_saving_my_annotation(client, small_readout, annotator, other_annotator):
    xi, _, taiwan, bri = catalog()
    statement = small_readout.statements.get(number=2)
    client.force_login(annotator)
    data = reading_data(
        speaker=xi,
        attribution="explicit",
        mode="indirect",
        cue="pointed out",
        stances=[(taiwan, "favor"), (bri, "against")],
        annotator=other_annotator.pk,
        gold="on",
    )
    response = client.post(url("statement_annotate", statement.pk), data)
    assert response.status_code == 302
    assert response["Location"] == url("statement_annotate", statement.pk)
    annotation = Annotation.objects.get(statement=statement)
    assert annotation.annotator == annotator and annotation.origin == Origin.HUMAN and not annotation.gold
    assert (annotation.speaker, annotation.attribution, annotation.mode, annotation.cue) == (
        xi,
        "explicit",
        "indirect",
        "pointed out",
    )
    assert {(s.target.slug, s.stance) for s in annotation.stances.all()} == {
        ("taiwan", "favor"),
        ("belt-and-road", "against"),
    }
    # editing it: the form is prefilled, one stance removed, the version checked
    page = client.get(url("statement_annotate", statement.pk)).content.decode()
    assert 'value="pointed out"' in page and f'name="version" value="{annotation.version}"' in page
    data = reading_data(
        speaker=xi,
        attribution="continued",
        stances=[(taiwan, "favor"), (bri, "against")],
        initial=2,
        version=annotation.version,
        **{"stances-1-DELETE": "on"},
    )
    assert client.post(url("statement_annotate", statement.pk), data).status_code == 302
    annotation.refresh_from_db()
    assert annotation.attribution == "continued"
    assert [(s.target.slug, s.stance) for s in annotation.stances.all()] == [("taiwan", "favor")]


@pytest.mark.django_db
def test_stale_version_and_duplicate_targets_are_form_errors(client, small_readout, annotator):
    xi, _, taiwan, _ = catalog()
    statement = small_readout.statements.get(number=2)
    mine = annotate(statement, annotator, speaker=xi)
    client.force_login(annotator)
    stale = reading_data(attribution="inferred", version=mine.version - 1 or 99)
    response = client.post(url("statement_annotate", statement.pk), stale)
    assert response.status_code == 200 and "changed since this page was opened" in response.content.decode()
    twice = reading_data(version=mine.version, stances=[(taiwan, "favor"), (taiwan, "against")])
    response = client.post(url("statement_annotate", statement.pk), twice)
    assert response.status_code == 200 and "already has a stance" in response.content.decode()
    mine.refresh_from_db()
    assert mine.attribution == "explicit" and not mine.stances.exists()


@pytest.mark.django_db
def test_a_gold_annotation_is_locked_for_its_annotator(client, small_readout, annotator):
    statement = small_readout.statements.get(number=2)
    mine = make_gold(annotate(statement, annotator))
    client.force_login(annotator)
    response = client.post(url("statement_annotate", statement.pk), reading_data(attribution="inferred"))
    assert response.status_code == 200 and "This annotation is gold" in response.content.decode()
    mine.refresh_from_db()
    assert mine.attribution == "explicit"


@pytest.mark.django_db
def test_save_and_tag_next_goes_to_the_next_statement_i_have_not_annotated(client, annotator, other_annotator):
    readout = make_readout("five", sentences(5))
    s = {n: readout.statements.get(number=n) for n in range(1, 6)}
    annotate(s[3], annotator)
    annotate(s[4], other_annotator)  # someone else's work does not count as mine
    client.force_login(annotator)
    response = client.post(url("statement_annotate", s[2].pk), reading_data(_next="1"))
    assert response["Location"] == url("statement_annotate", s[4].pk)
    for number in (4, 5):
        client.post(url("statement_annotate", s[number].pk), reading_data(_next="1"))
    response = client.post(url("statement_annotate", s[1].pk), reading_data(_next="1"))
    assert response["Location"] == url("statement_changelist") + f"?readout__id__exact={readout.pk}&status=mine"
    assert Annotation.objects.filter(annotator=annotator).count() == 5


@pytest.mark.django_db
def test_save_and_tag_next_wraps_around(client, annotator):
    readout = make_readout("three", sentences(3))
    first, second, third = readout.statements.order_by("number")
    annotate(second, annotator)
    client.force_login(annotator)
    response = client.post(url("statement_annotate", third.pk), reading_data(_next="1"))
    assert response["Location"] == url("statement_annotate", first.pk)


@pytest.mark.django_db
def test_tag_the_next_statement(client, annotator):
    one, two = make_readout("one", sentences(2)), make_readout("two", sentences(2))
    annotate(two.statements.get(number=1), annotator)
    client.force_login(annotator)
    response = client.get(url("statement_next") + f"?readout__id__exact={two.pk}")
    assert response["Location"] == url("statement_annotate", two.statements.get(number=2).pk)
    page = client.get(url("statement_changelist") + f"?readout__id__exact={two.pk}").content.decode()
    assert f"{url('statement_next')}?readout__id__exact={two.pk}" in page
    assert one.statements.exists()


@pytest.mark.django_db
def test_annotation_screen_costs_the_same_for_any_readout_size(client, annotator):
    xi, _, taiwan, bri = catalog()
    small, large = make_readout("small", sentences(10)), make_readout("large", sentences(100))
    for readout in (small, large):
        for statement in readout.statements.all():
            annotate(statement, annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "none")])
    client.force_login(annotator)
    small_statement = small.statements.get(number=7)
    large_statement = large.statements.get(number=57)
    count = query_count(client, url("statement_annotate", small_statement.pk))
    assert count == query_count(client, url("statement_annotate", large_statement.pk))
    assert count <= 13, count  # the autocomplete widgets fetch the selected speaker and targets


@pytest.mark.django_db
def test_autocompletes_answer_annotators(client, annotator):
    catalog()
    client.force_login(annotator)
    base = reverse("admin:autocomplete") + "?app_label=readout_annotations"
    speakers = client.get(base + "&model_name=annotation&field_name=speaker&term=xi").json()
    assert [r["text"] for r in speakers["results"]] == ["Xi Jinping"]
    targets = client.get(base + "&model_name=stance&field_name=target&term=belt").json()
    assert [r["text"] for r in targets["results"]] == ["Belt and Road Initiative"]


@pytest.mark.django_db
def test_annotation_screen_needs_permission(client, small_readout, db):
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("stranger", password="pw", is_staff=True)
    client.force_login(stranger)
    statement = small_readout.statements.first()
    assert client.get(url("statement_annotate", statement.pk)).status_code == 403
    assert client.get(url("statement_annotate", 99999)).status_code == 404


# --------------------------------------------------------------------------- bulk actions


def _action(client, action, statements, **fields):
    data = {"action": action, "_selected_action": [s.pk for s in statements], **fields}
    return client.post(url("statement_changelist") + "?status=all", data)


@pytest.mark.django_db
def test_bulk_set_speaker(client, small_readout, annotator, other_annotator):
    xi, lukashenko, taiwan, _ = catalog()
    one, two, three, four = small_readout.statements.order_by("number")
    mine = annotate(two, annotator, speaker=lukashenko, attribution="continued", stances=[(taiwan, "favor")])
    theirs = annotate(three, other_annotator, speaker=lukashenko)
    locked = make_gold(annotate(four, annotator, speaker=lukashenko))
    client.force_login(annotator)
    page = _action(client, "set_speaker", [one, two, three, four]).content.decode()
    assert "Set the speaker of the selected statements" in page and 'name="apply"' in page
    response = _action(client, "set_speaker", [one, two, three, four], apply="1", speaker=xi.pk, attribution="")
    assert "choose their attribution" in response.content.decode()
    assert not Annotation.objects.filter(annotator=annotator, statement=one).exists()
    response = _action(
        client, "set_speaker", [one, two, three, four], apply="1", speaker=xi.pk, attribution="continued"
    )
    assert response.status_code == 302
    created = Annotation.objects.get(annotator=annotator, statement=one)
    assert (created.speaker, created.attribution, created.origin) == (xi, "continued", Origin.HUMAN)
    mine.refresh_from_db()
    assert (mine.speaker, mine.attribution) == (xi, "continued")
    assert [(s.target_id, s.stance) for s in mine.stances.all()] == [(taiwan.pk, "favor")]  # stances kept
    assert Annotation.objects.get(annotator=annotator, statement=three).speaker == xi
    theirs.refresh_from_db()
    locked.refresh_from_db()
    assert theirs.speaker == lukashenko and locked.speaker == lukashenko


@pytest.mark.django_db
def test_bulk_set_attribution_keeps_the_speaker(client, small_readout, annotator):
    xi, *_ = catalog()
    one, two, *_ = small_readout.statements.order_by("number")
    mine = annotate(one, annotator, speaker=xi)
    client.force_login(annotator)
    response = _action(client, "set_attribution", [one, two], apply="1", attribution="continued")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.speaker, mine.attribution) == (xi, "continued")
    # the guideline refuses a continued reading without a speaker: statement 2 stays unread, and says why
    assert not Annotation.objects.filter(annotator=annotator, statement=two).exists()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Statement 2 not changed" in m and "continued reading needs the speaker" in m for m in shown), shown


@pytest.mark.django_db
def test_bulk_actions_apply_the_guideline(client, small_readout, annotator):
    """Narration has no speaker: setting it on a reading with a speaker is refused, by statement."""
    xi, *_ = catalog()
    one, two, *_ = small_readout.statements.order_by("number")
    with_speaker = annotate(one, annotator, speaker=xi, attribution="continued")
    without = annotate(two, annotator, attribution="continued")
    client.force_login(annotator)
    response = _action(client, "set_attribution", [one, two], apply="1", attribution="narration")
    assert response.status_code == 302
    with_speaker.refresh_from_db()
    without.refresh_from_db()
    assert (with_speaker.attribution, with_speaker.version) == ("continued", 1)
    assert without.attribution == "narration"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Statement 1 not changed: Narration has no speaker" in m for m in shown), shown


def test_sentences_helper_makes_paragraphs():
    assert sentences(7).count("\n\n") == 1
    assert Statement  # the helpers' model import is used by other modules


def test_the_demo_host_answers_the_browsers_icon_request(client):
    """Browsers ask every host for /favicon.ico; the demo answers "no icon" instead of a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 204 and not response.content
    assert "max-age" in response["Cache-Control"]
