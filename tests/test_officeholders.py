"""The gazetteer of public office-holders (``readout_annotations.officeholders``) and how the
speaker rules use it in a cold start."""

import datetime
import json

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from readout_annotations import officeholders
from readout_annotations.attribution import Cast, Participant, Sentence, create_proposals, discover, propose
from readout_annotations.models import Annotation, Speaker
from readout_annotations.officeholders import Gazetteer, builtin, parse, roles

from .conftest import make_readout

D = datetime.date


def gazetteer(*people: dict, countries: dict | None = None) -> Gazetteer:
    found, named = parse({"countries": countries or {}, "people": list(people)})
    return Gazetteer(found, named)


def person(name: str, *offices: tuple, **fields) -> dict:
    return {
        "name": name,
        "offices": [
            {"title": title, "country": country, "start": start, **({"end": end} if end else {})}
            for title, country, start, end in offices
        ],
        **fields,
    }


SMITHS = gazetteer(
    person("John Smith", ("Prime Minister", "Ruritania", "2001", "2005")),
    person(
        "Jane Smith",
        ("Prime Minister", "Ruritania", "2005-06", None),
        ("Foreign Minister", "Ruritania", "2002", "2005"),
    ),
    person("Ann Jones", ("Foreign Minister", "Ruritania", "2006", None)),
    person("Tom Jones", ("Ambassador to Freedonia", "Ruritania", "2010", None)),
    countries={"Ruritania": ["Ruritanian"]},
)


def name(found) -> str | None:
    return None if found is None else found.name


def test_roles_of_titles():
    assert roles("U.S. Secretary of State") == {"foreign-minister", "secretary"}
    assert roles("Vice President") == {"vice-president"}
    assert roles("Vice-President") == {"vice-president"}
    assert roles("Secretary of State for Defence") == {"defence-minister", "secretary"}
    assert roles("Minister") == {"minister"}
    assert roles("Director") == set()


def test_the_date_tells_office_holders_of_one_family_name_apart():
    assert name(SMITHS.match("Smith", "Prime Minister", on=D(2003, 1, 1))) == "John Smith"
    assert name(SMITHS.match("Smith", "Prime Minister", on=D(2007, 1, 1))) == "Jane Smith"
    assert name(SMITHS.match("Smith", "Foreign Minister", on=D(2003, 1, 1))) == "Jane Smith"
    assert SMITHS.match("Smith", "Prime Minister", on=D(1999, 1, 1)) is None  # nobody then
    # "former": an office ended before the readout's date
    assert name(SMITHS.match("Smith", "former Prime Minister", on=D(2007, 1, 1))) == "John Smith"


def test_a_family_name_alone_needs_one_compatible_candidate():
    assert SMITHS.match("Smith", "Prime Minister") is None  # no date: both Smiths were Prime Minister
    assert SMITHS.match("Smith", on=D(2003, 1, 1)) is None  # no title: no match at all
    assert SMITHS.match("Smith", "President", on=D(2003, 1, 1)) is None  # no compatible office
    # a family name the list shares takes a specific title, never a generic one
    assert SMITHS.match("Jones", "Minister", on=D(2012, 1, 1)) is None
    assert name(SMITHS.match("Jones", "Foreign Minister", on=D(2012, 1, 1))) == "Ann Jones"
    # the country a demonym gives must be the office's
    assert name(SMITHS.match("Jones", "Foreign Minister", "Ruritanian", D(2012, 1, 1))) == "Ann Jones"
    assert SMITHS.match("Jones", "Foreign Minister", "Freedonian", D(2012, 1, 1)) is not None  # unknown: ignored
    assert SMITHS.match("Jones", "Foreign Minister", "Ruritania's neighbour", D(2012, 1, 1)) is not None


def test_a_full_name_is_its_person_whatever_the_date_and_order():
    assert name(SMITHS.match("Ann Jones", on=D(1950, 1, 1))) == "Ann Jones"
    assert name(SMITHS.match("JONES Ann")) == "Ann Jones"  # family name first
    assert SMITHS.match("Ann Smith") is None


def test_the_builtin_list_by_title_and_date():
    g = builtin()
    assert len(g) >= 300
    assert name(g.match("Biden", "Vice President", on=D(2015, 4, 24))) == "Joe Biden"
    assert name(g.match("Biden", "President", "U.S.", D(2024, 7, 10))) == "Joe Biden"
    assert g.match("Biden", "President", on=D(2015, 4, 24)) is None  # he was Vice President then
    assert name(g.match("Bush", "President", on=D(2005, 6, 1))) == "George W. Bush"
    assert name(g.match("Bush", "President", on=D(1990, 6, 1))) == "George H. W. Bush"
    assert g.match("Bush", "President") is None  # no date: two Presidents Bush
    assert name(g.match("KAMIKAWA Yoko")) == "Yoko Kamikawa"
    assert name(g.match("Andres Manuel Lopez Obrador")) == "Andrés Manuel López Obrador"
    assert name(g.match("Minister Wang")) is None  # a title is no name


def test_chinese_names_simplified_and_traditional():
    g = builtin()
    assert name(g.match("布林肯", on=D(2022, 10, 31))) == "Antony Blinken"
    assert name(g.match("默克爾", on=D(2014, 7, 6))) == "Angela Merkel"
    assert name(g.match("默克尔", on=D(2014, 7, 6))) == "Angela Merkel"
    assert g.match("布林肯", on=D(2010, 1, 1)) is None  # a transliteration needs the office at the date


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"offices": []}, "non-empty 'name'"),
        (person("A B"), "non-empty list 'offices'"),
        (person("A B", ("President", "X", "2001-13", None)), "no date"),
        (person("A B", ("President", "X", "2005", "2001")), "ends before it starts"),
        (person("A B", ("President", "X", "2001", None), wikidata="12345"), "no Wikidata id"),
        (person("A B", ("President", "X", "2001", None), aliases="A"), "aliases must be a list"),
        (person("A B", ("President", "X", "2001", None), born="1950"), "unknown field(s) born"),
    ],
)
def test_a_bad_entry_is_named(entry, message):
    with pytest.raises(ImproperlyConfigured, match=r"people\[0\]") as error:
        parse({"people": [entry]}, "host.json")
    assert message in str(error.value) and "host.json" in str(error.value)


def test_a_host_file_extends_the_list_and_a_bad_one_fails_the_system_check(tmp_path):
    host = tmp_path / "officeholders.json"
    host.write_text(
        json.dumps({"people": [person("Ada Lovelace", ("Foreign Minister", "Ruritania", "2030", None))]}),
        encoding="utf-8",
    )
    with override_settings(READOUT_ANNOTATIONS_OFFICEHOLDERS=["builtin", str(host)]):
        g = officeholders.configured()
        assert name(g.match("Lovelace", "Foreign Minister", on=D(2031, 1, 1))) == "Ada Lovelace"
        assert name(g.match("Biden", "Vice President", on=D(2015, 1, 1))) == "Joe Biden"
        assert not [e for e in run_checks() if e.id == "readout_annotations.E011"]
    with override_settings(READOUT_ANNOTATIONS_OFFICEHOLDERS=[str(host)]):
        assert officeholders.configured().match("Biden", "Vice President", on=D(2015, 1, 1)) is None
    host.write_text('{"people": [{"name": "X"}]}', encoding="utf-8")
    officeholders._cached.cache_clear()
    for value in ([str(host)], [str(tmp_path / "missing.json")], "builtin"):
        with override_settings(READOUT_ANNOTATIONS_OFFICEHOLDERS=value):
            errors = [e for e in run_checks() if e.id == "readout_annotations.E011"]
            assert len(errors) == 1, value
    officeholders._cached.cache_clear()


# --------------------------------------------------------------------------- in the speaker rules


def discovered(texts: list[str], on: datetime.date, known=()) -> tuple[Cast, list[Participant]]:
    cast = Cast(list(known), gazetteer=builtin(), on=on)
    return cast, discover(texts, cast)


def test_a_surname_and_title_becomes_the_office_holder():
    _cast, new = discovered(
        ["The Vice President met Vice President Biden's guest.", "Vice President Biden said so."], D(2015, 4, 24)
    )
    [biden] = new
    assert (biden.name, biden.slug, biden.title, biden.affiliation, biden.rule) == (
        "Joe Biden",
        "joe-biden",
        "Vice President",
        "United States",
        "gazetteer",
    )
    assert {"Vice President Biden", "Joseph R. Biden", "拜登"} <= set(biden.aliases)
    assert biden.wikidata_id == "Q6279"


def test_a_name_the_gazetteer_does_not_know_is_proposed_as_before():
    _cast, new = discovered(["President Biden said so."], D(2005, 1, 1))  # not President in 2005
    assert [(p.name, p.rule) for p in new] == [("Biden", "")]
    _cast, new = discovered(["Foreign Minister Zorblat said so."], D(2015, 1, 1))
    assert [(p.name, p.rule) for p in new] == [("Zorblat", "")]


def test_a_chinese_transliteration_becomes_the_office_holder():
    cast, new = discovered(["布林肯表示美方关注。", "王毅表示,中美关系重要。"], D(2022, 10, 31))
    assert [(p.name, p.slug, p.affiliation) for p in new] == [
        ("Antony Blinken", "antony-blinken", "United States"),
        ("Wang Yi", "wang-yi", "China"),
    ]
    [reading] = propose([Sentence(1, "布林肯表示美方关注。")], cast, language="zh")
    assert reading.speaker is new[0]


def test_an_existing_speaker_wins():
    # known by another name of the office-holder: his Chinese one is not among the known names
    blinken = Participant("Tony Blinken", key="tb", aliases=["Antony J. Blinken"])
    cast, new = discovered(["布林肯表示美方关注。"], D(2022, 10, 31), known=[blinken])
    assert new == [] and cast.find("布林肯") is blinken
    # known by the Wikidata id
    potus = Participant("The 46th President", key="p46", wikidata_id="Q6279")
    cast, new = discovered(["Vice President Biden said so."], D(2015, 1, 1), known=[potus])
    assert new == [] and cast.find("Vice President Biden") is potus


@pytest.mark.django_db
def test_cold_start_proposes_the_office_holder_once_and_says_why():
    text = "Vice President Biden met Prime Minister Hariri.\n\nThe Vice President praised the courage of Lebanon."
    first = make_readout(
        slug="biden-2015", text=text, published_at=datetime.datetime(2015, 4, 24, tzinfo=datetime.timezone.utc)
    )
    create_proposals(first)
    biden = Speaker.objects.get(slug="joe-biden")
    assert (biden.name, biden.status, biden.title, biden.affiliation, biden.wikidata_id) == (
        "Joe Biden",
        "proposed",
        "Vice President",
        "United States",
        "Q6279",
    )
    note = Annotation.objects.get(statement__readout=first, statement__number=2).note
    assert note.endswith("; speaker: gazetteer (Joe Biden)")
    # a later readout names him "President Biden": the proposed speaker is reused, not duplicated
    second = make_readout(
        slug="biden-2022",
        text="President Biden said ties are strong.",
        published_at=datetime.datetime(2022, 5, 1, tzinfo=datetime.timezone.utc),
    )
    create_proposals(second)
    assert Annotation.objects.get(statement__readout=second).speaker == biden
    assert Speaker.objects.filter(name__contains="Biden").count() == 1


@pytest.mark.django_db
def test_an_existing_speaker_row_wins_over_the_gazetteer():
    mine = Speaker.objects.create(slug="potus-46", name="Joseph R. Biden Jr.")
    readout = make_readout(
        text="Vice President Biden said so.", published_at=datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    )
    create_proposals(readout)
    assert Annotation.objects.get(statement__readout=readout).speaker == mine
    assert not Speaker.objects.filter(slug="joe-biden").exists()


@pytest.mark.django_db
def test_the_gazetteer_can_be_turned_off():
    readout = make_readout(
        text="Vice President Biden said so.", published_at=datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    )
    with override_settings(READOUT_ANNOTATIONS_OFFICEHOLDERS=[]):
        create_proposals(readout)
    assert Annotation.objects.get(statement__readout=readout).speaker.slug == "biden"
