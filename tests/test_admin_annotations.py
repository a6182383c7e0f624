"""The annotation admin is blind: annotators see and change only their own annotations."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readout_annotations.models import Annotation

from .conftest import make_readout
from .test_admin import annotate, catalog, make_gold, query_count, sentences, url


@pytest.mark.django_db
def test_annotators_list_only_their_own(client, small_readout, annotator, other_annotator, reviewer):
    xi, lukashenko, *_ = catalog()
    one, two, *_ = small_readout.statements.order_by("number")
    annotate(one, annotator, speaker=xi)
    annotate(one, other_annotator, speaker=lukashenko)
    annotate(two, other_annotator, speaker=lukashenko)
    client.force_login(annotator)
    page = client.get(url("annotation_changelist")).content.decode()
    assert "1 annotation" in page and "3 annotations" not in page
    assert "annotator2" not in page and "Alexander Lukashenko" not in page  # no filter names them either
    assert "Xi Jinping</a>" in page  # the speaker filter lists the speakers of my annotations
    assert "?annotator__id__exact" not in page
    client.force_login(other_annotator)
    page = client.get(url("annotation_changelist")).content.decode()
    assert "2 annotations" in page and "annotator1" not in page
    client.force_login(reviewer)
    page = client.get(url("annotation_changelist")).content.decode()
    assert "3 annotations" in page and "?annotator__id__exact" in page and "annotator2" in page


@pytest.mark.django_db
def test_a_reading_without_speaker_reads_no_speaker_in_the_list_and_its_filter(client, small_readout, annotator):
    xi, *_ = catalog()
    one, two, *_ = small_readout.statements.order_by("number")
    annotate(one, annotator, speaker=xi)
    annotate(two, annotator, speaker=None, attribution="narration")
    client.force_login(annotator)
    response = client.get(url("annotation_changelist"))
    page = response.content.decode()
    assert page.count("(no speaker)") == 2  # the row's cell and the filter's choice
    assert '<td class="field-speaker_column">-</td>' not in page
    filtered = client.get(url("annotation_changelist") + "?speaker__isnull=True")
    assert [a.statement_id for a in filtered.context["cl"].result_list] == [two.pk]


@pytest.mark.django_db
def test_anothers_annotation_answers_like_a_missing_one(client, small_readout, annotator, other_annotator):
    theirs = annotate(small_readout.statements.first(), other_annotator)
    client.force_login(annotator)
    missing = theirs.pk + 1000
    for view in ("change", "history", "delete"):
        assert client.get(url(f"annotation_{view}", theirs.pk)).status_code == 404, view
        assert client.get(url(f"annotation_{view}", missing)).status_code == 404, view
    assert client.post(url("annotation_delete", theirs.pk), {"post": "yes"}).status_code == 404
    assert Annotation.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_export_action_exports_only_what_the_user_sees(client, small_readout, annotator, other_annotator):
    one, two, *_ = small_readout.statements.order_by("number")
    mine = annotate(one, annotator)
    theirs = annotate(two, other_annotator)
    client.force_login(annotator)
    response = client.post(
        url("annotation_changelist"), {"action": "export_jsonl", "_selected_action": [mine.pk, theirs.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="readout-annotations-selected.jsonl"'
    assert response.streaming  # written while it is read, as the API's export: memory stays flat
    body = b"".join(response.streaming_content).decode()
    records = [json.loads(line) for line in body.splitlines()]
    assert [(r["statement"], r["annotator"]) for r in records] == [(1, "annotator1")]


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["jsonl", "csv"])
def test_export_action_streams_in_queries_that_do_not_grow(client, small_readout, annotator, format):
    """Every selected record comes out, read from rows a batch at a time: the queries do not grow."""
    client.force_login(annotator)
    counts = {}
    for many in (1, 4):
        selected = [annotate(statement, annotator).pk for statement in small_readout.statements.order_by("number")]
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url("annotation_changelist"), {"action": f"export_{format}", "_selected_action": selected[:many]}
            )
            assert response.streaming
            body = b"".join(response.streaming_content).decode()
        counts[many] = len(queries)
        assert body.count("annotator1") == many
        Annotation.objects.all().delete()
    assert counts[1] == counts[4]


@pytest.mark.django_db
def test_add_annotation_opens_the_workbench_and_writes_nothing(client, small_readout, annotator, other_annotator):
    """The "Add annotation" link (the admin index, the list's button) goes to the statement's annotation
    screen, never to a plain form where a reading is written without its statement in view."""
    first, second, *_ = small_readout.statements.order_by("number")
    annotate(first, annotator)
    client.force_login(annotator)
    response = client.get(url("annotation_add"))
    assert response.status_code == 302 and response["Location"] == url("statement_next")
    assert client.get(url("annotation_add"), follow=True).redirect_chain[-1][0] == url("statement_annotate", second.pk)
    response = client.get(url("annotation_add") + f"?statement={first.pk}")
    assert response["Location"] == url("statement_annotate", first.pk)
    response = client.get(url("annotation_add") + f"?readout={small_readout.pk}")
    assert response["Location"] == url("statement_next") + f"?readout__id__exact={small_readout.pk}"
    index = client.get("/admin/").content.decode()
    assert url("annotation_add") in index  # the link stays; it leads to the workbench
    # A post to the old form writes nothing (the workbench is the one place to add a reading).
    data = {"statement": second.pk, "attribution": "continued", "annotator": other_annotator.pk, "gold": "on"}
    assert client.post(url("annotation_add"), data).status_code == 302
    assert list(Annotation.objects.values_list("statement_id", flat=True)) == [first.pk]
    page = client.get(url("annotation_change", Annotation.objects.get().pk)).content.decode()
    assert 'name="annotator"' not in page and 'name="gold"' not in page  # nobody picks them here
    client.logout()
    client.force_login(_user_without_role())
    assert client.get(url("annotation_add")).status_code == 403


def _user_without_role():
    from django.contrib.auth import get_user_model

    model = get_user_model()
    return model.objects.create_user(**{model.USERNAME_FIELD: "visitor"}, password="pw", is_staff=True)


@pytest.mark.django_db
def test_a_gold_annotation_is_read_only_here(client, small_readout, annotator, reviewer):
    gold = make_gold(annotate(small_readout.statements.first(), annotator))
    client.force_login(annotator)
    page = client.get(url("annotation_change", gold.pk)).content.decode()
    assert 'name="attribution"' not in page  # shown read-only
    response = client.post(url("annotation_change", gold.pk), {"attribution": "inferred"})
    assert response.status_code == 403
    assert client.post(url("annotation_delete", gold.pk), {"post": "yes"}).status_code == 403
    client.force_login(reviewer)  # reviewers see it, with who annotated it, but do not edit others' work
    page = client.get(url("annotation_change", gold.pk)).content.decode()
    assert "annotator1" in page and 'name="attribution"' not in page


@pytest.mark.django_db
def test_own_annotation_change_form_with_stances(client, small_readout, annotator):
    xi, _, taiwan, _ = catalog()
    mine = annotate(small_readout.statements.first(), annotator, speaker=xi)
    client.force_login(annotator)
    page = client.get(url("annotation_change", mine.pk)).content.decode()
    assert 'name="attribution"' in page and 'name="stances-0-target"' in page
    assert url("statement_annotate", mine.statement_id) in page
    data = {
        "speaker": xi.pk,
        "attribution": "continued",
        "mode": "indirect",
        "cue": "",
        "note": "",
        "stances-TOTAL_FORMS": "1",
        "stances-INITIAL_FORMS": "0",
        "stances-MIN_NUM_FORMS": "0",
        "stances-MAX_NUM_FORMS": "1000",
        "stances-0-target": taiwan.pk,
        "stances-0-stance": "favor",
    }
    assert client.post(url("annotation_change", mine.pk), data).status_code == 302
    mine.refresh_from_db()
    assert mine.attribution == "continued" and [s.stance for s in mine.stances.all()] == ["favor"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_annotation_list_costs_the_same_for_10_and_100_rows(client, who, annotator, reviewer):
    xi, _, taiwan, bri = catalog()
    user = annotator if who == "annotator" else reviewer
    small, large = make_readout("small", sentences(10)), make_readout("large", sentences(100))
    for readout in (small, large):
        for statement in readout.statements.all():
            annotate(statement, user, speaker=xi, stances=[(taiwan, "favor"), (bri, "against")])
    client.force_login(user)
    address = url("annotation_changelist") + "?statement__readout__id__exact={}"
    count = query_count(client, address.format(small.pk))
    assert count == query_count(client, address.format(large.pk))
    assert count <= 14, count
    # and a change view does not grow with the number of stances either
    first = Annotation.objects.filter(statement__readout=small).first()
    assert query_count(client, url("annotation_change", first.pk)) <= 20


@pytest.mark.django_db
def test_every_export_format_is_an_action(client, small_readout, annotator, other_annotator):
    from readout_annotations.formats import FORMATS

    xi, lukashenko, taiwan, _ = catalog()
    mine = annotate(small_readout.statements.first(), annotator, speaker=xi, stances=[(taiwan, "favor")])
    theirs = annotate(small_readout.statements.last(), other_annotator, speaker=lukashenko)
    client.force_login(annotator)

    def export(name, selected):
        data = {"action": f"export_{name}", "_selected_action": [a.pk for a in selected]}
        response = client.post(url("annotation_changelist"), data)
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith("attachment"), name
        return b"".join(response.streaming_content)

    for name in FORMATS:
        assert export(name, [mine, theirs]) == export(name, [mine]), name  # theirs is not exported
        client.force_login(other_annotator)
        assert export(name, [theirs]) != export(name, [mine]), name
        client.force_login(annotator)


@pytest.mark.django_db
def test_bulk_delete_spares_gold_and_others_annotations(client, small_readout, annotator, other_annotator, reviewer):
    one, two, three, _ = small_readout.statements.order_by("number")
    mine = annotate(one, annotator)
    gold = make_gold(annotate(two, annotator))
    theirs = annotate(three, other_annotator)
    client.force_login(annotator)
    data = {"action": "delete_selected", "_selected_action": [mine.pk, gold.pk], "post": "yes"}
    assert client.post(url("annotation_changelist"), data).status_code == 403
    client.force_login(reviewer)
    data = {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"}
    assert client.post(url("annotation_changelist"), data).status_code == 403
    assert Annotation.objects.count() == 3
    client.force_login(annotator)
    data = {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"}
    assert client.post(url("annotation_changelist"), data).status_code == 302
    assert set(Annotation.objects.all()) == {gold, theirs}


@pytest.mark.django_db
def test_the_change_form_applies_the_guideline_and_writes_through_the_service(client, small_readout, annotator):
    xi, _, taiwan, _ = catalog()
    mine = annotate(small_readout.statements.first(), annotator, speaker=xi, attribution="continued")
    client.force_login(annotator)
    data = {
        "speaker": "",
        "attribution": "continued",
        "mode": "",
        "cue": "",
        "note": "",
        "stances-TOTAL_FORMS": "1",
        "stances-INITIAL_FORMS": "0",
        "stances-MIN_NUM_FORMS": "0",
        "stances-MAX_NUM_FORMS": "1000",
        "stances-0-target": taiwan.pk,
        "stances-0-stance": "favor",
    }
    response = client.post(url("annotation_change", mine.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A continued reading needs the speaker it continues." in page and "A stance needs a speaker" in page
    mine.refresh_from_db()
    assert (mine.speaker, mine.version) == (xi, 1) and not mine.stances.exists()
    data["speaker"] = xi.pk
    assert client.post(url("annotation_change", mine.pk), data).status_code == 302
    mine.refresh_from_db()
    assert mine.version == 2 and [s.stance for s in mine.stances.all()] == ["favor"]
