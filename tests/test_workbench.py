"""The annotation form's server side: proposals prefilled, the ranked lookup, proposing names."""

from __future__ import annotations

import re

import pytest

from readout_annotations.admin.catalog import ANYWHERE, EXACT, PREFIX, WORD, ranked
from readout_annotations.models import Annotation, Origin, ReviewStatus, Speaker, Stance, Target
from readout_annotations.proposers import create_proposals

from .conftest import make_readout
from .test_admin import annotate, catalog, query_count, reading_data, sentences, url


def group_with_xi():
    xi, lukashenko, *_ = catalog()
    group = Speaker.objects.create(
        slug="two-heads-of-state",
        name="The two heads of state (Xi Jinping and Alexander Lukashenko)",
        kind="group",
        aliases=["the two heads of state"],
    )
    group.members.set([xi, lukashenko])
    Speaker.objects.filter(pk=xi.pk).update(aliases=["Xi", "President Xi"])
    return xi, lukashenko, group


def names(queryset) -> list[str]:
    return list(queryset.values_list("name", flat=True))


# --------------------------------------------------------------------------- ranking


@pytest.mark.django_db
def test_xi_ranks_xi_jinping_before_the_group_that_contains_him():
    _, _, group = group_with_xi()
    found = ranked(Speaker.objects.all(), "xi")
    assert names(found)[:2] == ["Xi Jinping", group.name]
    assert found[0].rank == EXACT  # the alias "Xi"
    assert found[1].rank == ANYWHERE


@pytest.mark.django_db
def test_ranks_exact_then_prefix_then_word_then_anywhere():
    for slug, name in (
        ("peace", "Peace"),
        ("peacekeeping", "Peacekeeping"),
        ("world-peace", "World peace"),
        ("unpeaceful", "Unpeaceful relations"),
        ("other", "Other"),
    ):
        Target.objects.create(slug=slug, name=name)
    found = ranked(Target.objects.all(), "peace")
    assert [(t.name, t.rank) for t in found] == [
        ("Peace", EXACT),
        ("Peacekeeping", PREFIX),
        ("World peace", WORD),
        ("Unpeaceful relations", ANYWHERE),
    ]


@pytest.mark.django_db
def test_ranked_searches_slug_aliases_and_target_descriptions_with_every_word():
    Target.objects.create(slug="bri", name="Belt and Road Initiative", aliases=["One Belt, One Road"])
    Target.objects.create(slug="gdi", name="Global Development Initiative", description="Proposed in 2021 at the UN.")
    Target.objects.create(slug="taiwan", name="Taiwan")
    assert names(ranked(Target.objects.all(), "one belt")) == ["Belt and Road Initiative"]
    assert names(ranked(Target.objects.all(), "bri")) == ["Belt and Road Initiative"]
    assert names(ranked(Target.objects.all(), "2021 UN")) == ["Global Development Initiative"]
    assert names(ranked(Target.objects.all(), "initiative road")) == ["Belt and Road Initiative"]
    everything = ["Belt and Road Initiative", "Global Development Initiative", "Taiwan"]
    assert names(ranked(Target.objects.all(), "  ")) == everything
    assert names(ranked(Target.objects.all(), "kosovo")) == []


# --------------------------------------------------------------------------- lookup


@pytest.mark.django_db
def test_lookup_shows_kind_parent_description_and_hides_other_annotators_proposals(client, annotator, other_annotator):
    core = Target.objects.create(slug="core", name="Core interests", kind="principle")
    Target.objects.create(slug="taiwan", name="Taiwan", parent=core, kind="policy", description="Its status.")
    Target.objects.create(slug="taiwan-mine", name="Taiwan strait", status=ReviewStatus.PROPOSED, proposed_by=annotator)
    Target.objects.create(
        slug="taiwan-theirs", name="Taiwan question", status=ReviewStatus.PROPOSED, proposed_by=other_annotator
    )
    client.force_login(annotator)
    answer = client.get(url("statement_lookup", "target") + "?term=taiw").json()
    assert [(r["text"], r["kind"], r["parent"], r["description"], r["proposed"]) for r in answer["results"]] == [
        ("Taiwan", "policy or position", "Core interests", "Its status.", False),
        ("Taiwan strait", "issue", "", "", True),
    ]
    assert answer["pagination"] == {"more": False}
    assert client.get(url("statement_lookup", "nothing") + "?term=x").status_code == 404


@pytest.mark.django_db
def test_lookup_pages_and_costs_the_same_for_any_vocabulary_size(client, annotator):
    core = Target.objects.create(slug="core", name="Core")
    client.force_login(annotator)

    def cost(count: int) -> int:
        Target.objects.bulk_create(
            Target(slug=f"t-{count}-{n}", name=f"Target {count} {n}", parent=core) for n in range(count)
        )
        return query_count(client, url("statement_lookup", "target") + "?term=target")

    assert cost(3) == cost(60)
    first = client.get(url("statement_lookup", "target") + "?term=target").json()
    second = client.get(url("statement_lookup", "target") + "?term=target&page=2").json()
    assert len(first["results"]) == 20 and first["pagination"]["more"]
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


@pytest.mark.django_db
def test_lookup_and_proposing_need_the_annotate_permission(client, db):
    from django.contrib.auth import get_user_model

    visitor = get_user_model().objects.create_user("visitor", password="pw", is_staff=True)
    client.force_login(visitor)
    assert client.get(url("statement_lookup", "speaker") + "?term=x").status_code == 403
    assert client.post(url("statement_propose", "speaker"), {"name": "X", "kind": "person"}).status_code == 403
    assert not Speaker.objects.exists()


# --------------------------------------------------------------------------- proposing


@pytest.mark.django_db
def test_an_annotator_proposes_a_speaker_usable_at_once_by_them_only(client, small_readout, annotator, other_annotator):
    client.force_login(annotator)
    answer = client.post(url("statement_propose", "speaker"), {"name": " Wang  Yi ", "kind": "person"}).json()
    wang = Speaker.objects.get(pk=answer["id"])
    assert (wang.name, wang.kind, wang.status, wang.proposed_by) == ("Wang Yi", "person", "proposed", annotator)
    assert answer["created"] and answer["proposed"]
    # asking again gives the same row
    again = client.post(url("statement_propose", "speaker"), {"name": "wang yi", "kind": "person"}).json()
    assert (again["id"], again["created"]) == (wang.pk, False)
    # usable at once in my reading; another annotator can neither find nor use it
    statement = small_readout.statements.get(number=2)
    data = reading_data(speaker=wang, attribution="explicit", mode="indirect", cue="pointed out")
    assert client.post(url("statement_annotate", statement.pk), data).status_code == 302
    assert Annotation.objects.get(annotator=annotator).speaker == wang
    client.force_login(other_annotator)
    assert client.get(url("statement_lookup", "speaker") + "?term=wang").json()["results"] == []
    response = client.post(url("statement_annotate", statement.pk), data)
    assert response.status_code == 200 and "speaker" in response.context["form"].errors
    assert not Annotation.objects.filter(annotator=other_annotator).exists()


@pytest.mark.django_db
def test_proposing_a_target_with_its_parent_and_bad_input(client, annotator, reviewer):
    core = Target.objects.create(slug="core", name="Core interests")
    client.force_login(annotator)
    answer = client.post(url("statement_propose", "target"), {"name": "Tibet", "kind": "policy", "parent": core.pk})
    tibet = Target.objects.get(pk=answer.json()["id"])
    assert (tibet.parent, tibet.status, tibet.proposed_by) == (core, "proposed", annotator)
    for data, field in (
        ({"name": "", "kind": "policy"}, "name"),
        ({"name": "X", "kind": "planet"}, "kind"),
        ({"name": "X", "kind": "policy", "parent": 999999}, "parent"),
    ):
        response = client.post(url("statement_propose", "target"), data)
        assert response.status_code == 400 and field in response.json()["errors"], data
    assert client.get(url("statement_propose", "target")).status_code == 405
    assert Target.objects.count() == 2
    client.force_login(reviewer)
    answer = client.post(url("statement_propose", "speaker"), {"name": "He Lifeng", "kind": "person"}).json()
    assert Speaker.objects.get(pk=answer["id"]).status == ReviewStatus.CONFIRMED


# --------------------------------------------------------------------------- proposals in the form


def machine_proposal(statement, speaker, stances=(), **fields):
    proposal = annotate(statement, None, speaker=speaker, stances=stances, **fields)
    Stance.objects.filter(annotation=proposal).update(note="rule: supports X")
    return proposal


@pytest.mark.django_db
def test_the_form_opens_prefilled_from_the_machine_proposal_and_saves_nothing(client, annotator):
    xi, _, taiwan, bri = catalog()
    readout = make_readout("proposed", sentences(3))
    statement = readout.statements.get(number=2)
    proposal = machine_proposal(
        statement, xi, stances=[(taiwan, "favor"), (bri, "against")], mode="indirect", cue="says", note="rule: cue"
    )
    client.force_login(annotator)
    response = client.get(url("statement_annotate", statement.pk))
    form, stances = response.context["form"], response.context["stances"]
    assert response.context["proposal"] == proposal
    assert {k: form[k].value() for k in ("speaker", "attribution", "mode", "cue", "note", "version")} == {
        "speaker": xi.pk,
        "attribution": "explicit",
        "mode": "indirect",
        "cue": "says",
        "note": "",
        "version": None,
    }
    assert [(f["target"].value(), f["stance"].value(), f.why) for f in stances.forms] == [
        (bri.pk, "against", "rule: supports X"),
        (taiwan.pk, "favor", "rule: supports X"),
    ]  # no empty rows: "Add a target" (key t) adds one
    assert response.context["proposed"] == {"speaker", "attribution", "mode", "cue", "stances"}
    page = response.content.decode()
    assert page.count("ra-stance-row ra-proposed") == 2
    assert "Machine proposal" in page and "rule: cue" in page and "Stance on Taiwan" in page
    assert not Annotation.objects.filter(annotator=annotator).exists()
    # my own annotation wins over the proposal
    annotate(statement, annotator, speaker=None, attribution="narration")
    response = client.get(url("statement_annotate", statement.pk))
    assert response.context["proposal"] is None and response.context["form"]["attribution"].value() == "narration"


@pytest.mark.django_db
def test_a_narration_proposal_marks_only_what_it_filled_and_says_why(client, small_readout, annotator):
    create_proposals(small_readout)
    statement = small_readout.statements.get(number=1)  # "On May 5, President Xi held talks ...": narration
    client.force_login(annotator)
    response = client.get(url("statement_annotate", statement.pk))
    assert response.context["proposed"] == {"attribution"}  # no speaker, mode, cue or stance to mark
    page = response.content.decode()
    assert re.findall(r'class="ra-field ra-proposed" data-field="(\w+)"', page) == ["attribution"]
    assert page.count('class="ra-proposed-mark"') == 1
    assert "Why: rule: no-frame" in page
    assert response.context["stances"].forms == [] and 'name="stances-TOTAL_FORMS" value="0"' in page
    assert "data-add-stance" in page


@pytest.mark.django_db
def test_same_speaker_comes_from_my_previous_reading_or_the_proposal_never_another_annotator(
    client, annotator, other_annotator
):
    xi, lukashenko, *_ = catalog()
    readout = make_readout("previous", sentences(3))
    first, second, _ = readout.statements.order_by("number")
    annotate(first, other_annotator, speaker=lukashenko)
    client.force_login(annotator)
    assert client.get(url("statement_annotate", second.pk)).context["previous_speaker"] is None
    machine_proposal(first, xi)
    assert client.get(url("statement_annotate", second.pk)).context["previous_speaker"] == xi
    annotate(first, annotator, speaker=lukashenko)
    response = client.get(url("statement_annotate", second.pk))
    assert response.context["previous_speaker"] == lukashenko
    assert f'data-previous-speaker="{lukashenko.pk}"' in response.content.decode()


@pytest.mark.django_db
def test_the_annotation_screen_costs_the_same_for_one_stance_or_twelve(client, annotator):
    xi, *_ = catalog()
    targets = Target.objects.bulk_create(Target(slug=f"t{n}", name=f"Target {n}") for n in range(12))
    readout = make_readout("stances", sentences(4))
    one, twelve, mine_one, mine_twelve = readout.statements.order_by("number")
    machine_proposal(one, xi, stances=[(targets[0], "favor")])
    machine_proposal(twelve, xi, stances=[(t, "favor") for t in targets])
    annotate(mine_one, annotator, speaker=xi, stances=[(targets[0], "favor")])
    annotate(mine_twelve, annotator, speaker=xi, stances=[(t, "none") for t in targets])
    client.force_login(annotator)
    proposed = query_count(client, url("statement_annotate", one.pk))
    assert proposed == query_count(client, url("statement_annotate", twelve.pk))
    mine = query_count(client, url("statement_annotate", mine_one.pk))
    assert mine == query_count(client, url("statement_annotate", mine_twelve.pk))
    assert (proposed, mine) == (12, 11)


@pytest.mark.django_db
def test_guideline_link_and_help_texts(client, small_readout, annotator, settings):
    client.force_login(annotator)
    statement = small_readout.statements.get(number=2)
    page = client.get(url("statement_annotate", statement.pk)).content.decode()
    assert "Decide the attribution first" in page and "Guideline §2" not in page
    settings.READOUT_ANNOTATIONS_GUIDELINE_URL = "https://example.org/guidelines/"
    page = client.get(url("statement_annotate", statement.pk)).content.decode()
    assert 'href="https://example.org/guidelines/#4-mode"' in page
    assert Annotation.objects.filter(origin=Origin.HUMAN).count() == 0
