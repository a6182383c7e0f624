"""The readout view and the stance map."""

from __future__ import annotations

import datetime
import html
import re

import pytest

from readout_annotations.admin.common import balance_colour, speaker_colour

from .conftest import BEIJING, make_readout
from .test_admin import annotate, catalog, make_gold, numbers_listed, query_count, sentences, url


def statement_spans(page: str) -> dict[int, str]:
    """Statement number -> the opening tag of its highlight in the readout view."""
    return {int(n): tag for tag, n in re.findall(r'(<a class="ra-stmt[^>]*title="#(\d+)[^>]*>)', page)}


@pytest.mark.django_db
def test_readout_view_colours_statements_by_gold_speaker(client, small_readout, annotator, reviewer):
    xi, lukashenko, taiwan, bri = catalog()
    s = {n: small_readout.statements.get(number=n) for n in range(1, 5)}
    make_gold(annotate(s[1], annotator, attribution="narration"))
    make_gold(annotate(s[2], annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "against")]))
    make_gold(annotate(s[4], annotator, speaker=lukashenko, stances=[(bri, "none")]))
    client.force_login(reviewer)
    page = client.get(url("readout_view", small_readout.pk)).content.decode()
    spans = statement_spans(page)
    assert "ra-narration" in spans[1] and "ra-unread" in spans[3]
    assert f"--ra-bg:{speaker_colour(xi.pk)[0]}" in spans[2] and "ra-spoken" in spans[2]
    assert f"--ra-bg:{speaker_colour(lukashenko.pk)[0]}" in spans[4]
    assert speaker_colour(xi.pk) != speaker_colour(lukashenko.pk)
    after_two = page[page.index(spans[2]) : page.index(spans[3])]
    assert re.search(r'ra-stance-favor"[^>]*>\+ Taiwan<', after_two)
    assert re.search(r'ra-stance-against"[^>]*>− Belt and Road Initiative<', after_two)
    legend = page[page.index('class="ra-panel ra-legend"') :]
    assert "Xi Jinping" in legend and "Alexander Lukashenko" in legend
    assert html.unescape(page).count("China supports the Belt and Road Initiative.") == 1  # the text, verbatim


@pytest.mark.django_db
def test_readout_view_shows_annotators_only_their_own_reading(
    client, small_readout, annotator, other_annotator, reviewer
):
    xi, lukashenko, *_ = catalog()
    statement = small_readout.statements.get(number=2)
    make_gold(annotate(statement, other_annotator, speaker=lukashenko))
    annotate(small_readout.statements.get(number=3), annotator, speaker=xi)
    client.force_login(annotator)
    for reading in ("", "?reading=gold"):
        page = client.get(url("readout_view", small_readout.pk) + reading).content.decode()
        assert "Alexander Lukashenko" not in page, reading
        spans = statement_spans(page)
        assert "ra-unread" in spans[2] and "Xi Jinping" in spans[3]
    client.force_login(reviewer)
    page = client.get(url("readout_view", small_readout.pk)).content.decode()
    assert "Alexander Lukashenko" in statement_spans(page)[2]
    page = client.get(url("readout_view", small_readout.pk) + "?reading=mine").content.decode()
    assert "Alexander Lukashenko" not in statement_spans(page)[2]


@pytest.mark.django_db
def test_readout_view_costs_the_same_for_10_and_100_statements(client, annotator, reviewer):
    xi, lukashenko, taiwan, bri = catalog()
    small, large = make_readout("small", sentences(10)), make_readout("large", sentences(100))
    for readout in (small, large):
        for statement in readout.statements.all():
            speaker = xi if statement.number % 2 else lukashenko
            make_gold(annotate(statement, annotator, speaker=speaker, stances=[(taiwan, "favor"), (bri, "against")]))
    for user in (annotator, reviewer):
        client.force_login(user)
        count = query_count(client, url("readout_view", small.pk))
        assert count == query_count(client, url("readout_view", large.pk))
        assert count <= 10, count


def _map(client, query: str = "") -> str:
    return client.get(url("readout_stance_map") + query).content.decode()


def map_cells(page: str) -> dict[tuple[str, str], str]:
    """(target, speaker) -> the cell's HTML."""
    table = page[page.index('class="ra-map"') :]
    speakers = [
        re.sub("<[^>]+>", "", h).strip()
        for h in re.findall(r'<th scope="col">(.*?)</th>', table[: table.index("</thead>")])
    ][1:]
    cells = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S):
        target, rest = row.split("</th>", 1)
        for speaker, cell in zip(speakers, re.findall(r"<td[^>]*>.*?</td>", rest, re.S), strict=True):
            cells[(target.strip(), speaker)] = cell
    return cells


@pytest.mark.django_db
def test_stance_map_counts_gold_stances(client, annotator, other_annotator, reviewer):
    xi, lukashenko, taiwan, bri = catalog()
    march = make_readout("march", sentences(4), published_at=datetime.datetime(2023, 3, 2, 9, 42, tzinfo=BEIJING))
    may = make_readout("may", sentences(2), published_at=datetime.datetime(2023, 5, 10, 9, 0, tzinfo=BEIJING))
    m = {n: march.statements.get(number=n) for n in range(1, 5)}
    make_gold(annotate(m[1], annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "favor")]))
    make_gold(annotate(m[2], annotator, speaker=xi, stances=[(taiwan, "favor")]))
    make_gold(annotate(m[3], annotator, speaker=xi, stances=[(taiwan, "against")]))
    make_gold(annotate(m[4], annotator, speaker=lukashenko, stances=[(taiwan, "none")]))
    annotate(m[4], other_annotator, speaker=xi, stances=[(bri, "against")])  # not gold: not counted
    make_gold(annotate(may.statements.get(number=1), annotator, speaker=lukashenko, stances=[(bri, "against")]))
    client.force_login(reviewer)
    cells = map_cells(_map(client))
    taiwan_xi = cells[("Taiwan", "Xi Jinping")]
    assert ">+2<" in taiwan_xi and ">−1<" in taiwan_xi
    assert f"background:{balance_colour(2, 1)}" in taiwan_xi
    assert ">○1<" in cells[("Taiwan", "Alexander Lukashenko")]
    assert ">−1<" in cells[("Belt and Road Initiative", "Alexander Lukashenko")]
    assert cells[("Belt and Road Initiative", "Xi Jinping")].count("ra-against") == 0
    # filters: one readout, or a date range
    cells = map_cells(_map(client, f"?readout={may.pk}"))
    assert list(cells) == [("Belt and Road Initiative", "Alexander Lukashenko")]
    cells = map_cells(_map(client, "?since=2023-03-01&until=2023-03-31"))
    assert ">−1<" not in cells[("Belt and Road Initiative", "Alexander Lukashenko")]
    assert "No stances match" in _map(client, "?since=2024-01-01")


@pytest.mark.django_db
def test_stance_map_cells_link_to_their_statements(client, annotator, reviewer):
    xi, _, taiwan, bri = catalog()
    readout = make_readout("four", sentences(4), published_at=datetime.datetime(2023, 3, 2, 9, 42, tzinfo=BEIJING))
    other = make_readout("other", sentences(2), published_at=datetime.datetime(2023, 6, 2, 9, 42, tzinfo=BEIJING))
    s = {n: readout.statements.get(number=n) for n in range(1, 5)}
    make_gold(annotate(s[1], annotator, speaker=xi, stances=[(taiwan, "favor"), (bri, "against")]))
    make_gold(annotate(s[3], annotator, speaker=xi, stances=[(taiwan, "favor")]))
    make_gold(annotate(s[4], annotator, speaker=xi, stances=[(taiwan, "against")]))
    make_gold(annotate(other.statements.get(number=1), annotator, speaker=xi, stances=[(taiwan, "favor")]))
    client.force_login(reviewer)
    cells = map_cells(_map(client, "?since=2023-03-01&until=2023-03-31"))
    favor = html.unescape(re.search(r'class="ra-favor" href="([^"]+)"', cells[("Taiwan", "Xi Jinping")]).group(1))
    against = html.unescape(re.search(r'class="ra-against" href="([^"]+)"', cells[("Taiwan", "Xi Jinping")]).group(1))
    assert numbers_listed(client.get(favor)) == [1, 3]  # not the June readout's
    assert numbers_listed(client.get(against)) == [4]
    cells = map_cells(_map(client))
    favor = html.unescape(re.search(r'class="ra-favor" href="([^"]+)"', cells[("Taiwan", "Xi Jinping")]).group(1))
    assert len(numbers_listed(client.get(favor))) == 3


@pytest.mark.django_db
def test_stance_map_for_annotators_counts_their_own(client, small_readout, annotator, other_annotator):
    xi, lukashenko, taiwan, _ = catalog()
    make_gold(
        annotate(
            small_readout.statements.get(number=1), other_annotator, speaker=lukashenko, stances=[(taiwan, "favor")]
        )
    )
    annotate(small_readout.statements.get(number=2), annotator, speaker=xi, stances=[(taiwan, "against")])
    client.force_login(annotator)
    for query in ("", "?reading=gold"):
        page = _map(client, query)
        assert "Alexander Lukashenko" not in page
        assert ">−1<" in map_cells(page)[("Taiwan", "Xi Jinping")]


@pytest.mark.django_db
def test_stance_map_costs_the_same_for_few_and_many_cells(client, annotator, reviewer):
    from readout_annotations.models import Speaker, Target

    readout = make_readout("many", sentences(40))
    client.force_login(reviewer)
    xi, _, taiwan, _ = catalog()
    make_gold(annotate(readout.statements.get(number=1), annotator, speaker=xi, stances=[(taiwan, "favor")]))
    few = query_count(client, url("readout_stance_map"))
    speakers = [Speaker.objects.create(slug=f"s{i}", name=f"Speaker {i}") for i in range(6)]
    targets = [Target.objects.create(slug=f"t{i}", name=f"Target {i}") for i in range(6)]
    for statement in readout.statements.exclude(number=1):
        speaker = speakers[statement.number % 6]
        stances = [(t, ("favor", "against", "none")[(i + statement.number) % 3]) for i, t in enumerate(targets)]
        make_gold(annotate(statement, annotator, speaker=speaker, stances=stances))
    assert len(map_cells(_map(client))) > 30
    assert query_count(client, url("readout_stance_map")) == few
    assert few <= 8, few
