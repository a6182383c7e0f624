"""Readouts, speakers and targets in the admin."""

from __future__ import annotations

import pytest

from readout_annotations.models import Readout

from .conftest import SMALL_TEXT, make_readout
from .test_admin import annotate, catalog, make_gold, query_count, sentences, url


def readout_data(**fields) -> dict:
    data = {
        "title": "A readout",
        "slug": "a-readout",
        "published_at_0": "2023-03-02",
        "published_at_1": "09:42:00",
        "event_date": "",
        "publisher": "MFA",
        "url": "",
        "language": "en",
        "text": SMALL_TEXT,
        "notes": "",
        "document_type": "",
        "document_id": "",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_adding_a_readout_segments_it(client, reviewer):
    client.force_login(reviewer)
    response = client.post(url("readout_add"), readout_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    readout = Readout.objects.get(slug="a-readout")
    assert [(s.number, s.paragraph) for s in readout.statements.all()] == [(1, 1), (2, 2), (3, 2), (4, 3)]
    assert readout.checksum.startswith("sha256:")


@pytest.mark.django_db
def test_a_readouts_text_is_read_only_once_it_has_statements(client, small_readout, reviewer):
    client.force_login(reviewer)
    page = client.get(url("readout_change", small_readout.pk)).content.decode()
    assert 'name="text"' not in page and 'name="title"' in page
    response = client.post(
        url("readout_change", small_readout.pk),
        readout_data(title="Renamed", slug=small_readout.slug, text="Something else entirely."),
    )
    assert response.status_code == 302
    small_readout.refresh_from_db()
    assert small_readout.title == "Renamed" and small_readout.text == SMALL_TEXT


@pytest.mark.django_db
def test_readout_workbench_links_depend_on_the_role(client, small_readout, annotator, reviewer):
    client.force_login(annotator)
    page = client.get(url("readout_changelist")).content.decode()
    assert url("readout_view", small_readout.pk) in page and url("readout_progress", small_readout.pk) not in page
    assert url("readout_stance_map") in page
    client.force_login(reviewer)
    page = client.get(url("readout_changelist")).content.decode()
    assert url("readout_progress", small_readout.pk) in page
    page = client.get(url("readout_change", small_readout.pk)).content.decode()
    assert url("readout_view", small_readout.pk) in page and url("readout_progress", small_readout.pk) in page


@pytest.mark.django_db
def test_readout_list_costs_the_same_for_few_and_many_readouts(client, annotator, reviewer):
    make_readout("first", sentences(3))
    client.force_login(reviewer)
    few = query_count(client, url("readout_changelist"))
    for index in range(20):
        readout = make_readout(f"r{index}", sentences(3))
        make_gold(annotate(readout.statements.first(), annotator))
    assert query_count(client, url("readout_changelist")) == few
    page = client.get(url("readout_changelist")).content.decode()
    assert "1 / 3" in page


@pytest.mark.django_db
def test_speakers_and_targets_lists(client, reviewer, annotator):
    catalog()
    client.force_login(annotator)
    assert "Xi Jinping" in client.get(url("speaker_changelist") + "?q=xi").content.decode()
    assert "Taiwan" in client.get(url("target_changelist") + "?q=taiw").content.decode()
    assert client.get(url("speaker_add")).status_code == 403
    client.force_login(reviewer)
    assert client.get(url("speaker_add")).status_code == 200


@pytest.mark.django_db
def test_the_seed_readouts_imported_gold_reads_as_gold_imported_with_its_gold_counted(client, reviewer):
    """The seed fixture's gold is imported (no annotator, no adjudicator): the list says so and
    counts it, never "adjudicated (0 of 34 annotated)"."""
    from django.core.management import call_command

    call_command("loaddata", "xi-lukashenko-talks-2023-03-01", verbosity=0)
    client.force_login(reviewer)
    page = client.get(url("readout_changelist")).content.decode()
    assert "gold imported (34 of 34 with gold)" in page
    assert "adjudicated" not in page.split('id="result_list"')[1].split("</table>")[0]
