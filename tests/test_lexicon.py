"""The starter lexicon (readout_annotations.lexicon): the built-in targets and how they yield."""

import json

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils.text import slugify

from readout_annotations import lexicon
from readout_annotations import stance_rules as rules
from readout_annotations.models import TargetKind
from readout_annotations.stance_rules import FAVOR, NONE, TargetIndex, TargetInfo


@pytest.fixture
def starter():
    return {t.slug: t for t in lexicon.starter_targets()}


def test_every_entry_is_a_valid_target(starter):
    for slug, target in starter.items():
        assert slug == slugify(slug) and len(slug) <= 120 and 0 < len(target.name) <= 200, slug
        assert target.kind in TargetKind.values, slug
    data = json.loads(lexicon.PATH.read_text(encoding="utf-8"))
    assert len(starter) == len(data["targets"]) + len(rules.COUNTRIES)


def test_countries_are_named_not_described(starter):
    china, us = starter["china"], starter["united-states"]
    assert (china.name, china.kind) == ("China", "actor")
    assert "中国" in china.aliases and "prc" in china.aliases
    assert "chinese" not in china.aliases and "中方" not in china.aliases and "中" not in china.aliases
    assert us.name == "United States" and "american" not in us.aliases
    assert starter["european-union"].kind == "institution"


def test_slugs_follow_the_seed_and_the_usual_names(starter):
    # The seed fixture's slugs where it has the target; an acronym for an organisation.
    for slug in ("united-nations-multilateralism", "belt-and-road-initiative", "taiwan", "nato", "brics", "g20"):
        assert slug in starter
    assert "United Nations" in starter["united-nations-multilateralism"].aliases
    assert "气候变化" in starter["climate-change"].aliases


def test_the_database_always_wins():
    known = TargetIndex(
        [
            TargetInfo(1, "North Atlantic alliance", "institution", ("NATO",)),  # an alias of a starter target
            TargetInfo(2, "Climate", "issue", ()),
        ]
    )
    entries = {info.key.slug for info in lexicon.starter_index_entries(known, {"climate-change"})}
    assert "nato" not in entries and "climate-change" not in entries
    assert "brics" in entries


def test_starter_targets_are_found_with_their_side():
    index = TargetIndex(lexicon.starter_index_entries(TargetIndex([])))
    found = {p.target.slug: p.stance for p in rules.find_stances("We support multilateralism and 一个中国原则.", index)}
    assert found == {"united-nations-multilateralism": FAVOR, "one-china-principle": FAVOR}
    found = {p.target.slug: p.stance for p in rules.find_stances("They discussed Afghanistan and China.", index)}
    assert found == {"afghanistan": NONE, "china": NONE}
    assert rules.find_stances("China is ready to work with Afghanistan.", index) == []


def test_a_malformed_file_is_refused(tmp_path):
    path = tmp_path / "starter.json"
    for entry, message in (
        ({"slug": "Bad Slug", "name": "x"}, "entry 1: bad slug 'Bad Slug'"),
        ({"slug": "china", "name": "x"}, "duplicate slug 'china'"),  # a country of the built-in lexicon
        ({"slug": "x", "name": "x", "kind": "planet"}, r"entry 1 \(x\): unknown kind 'planet'"),
        ({"slug": "x"}, r"entry 1 \(x\): needs a 'name'"),
        ({"slug": "x", "name": "x", "aliases": "X"}, "aliases must be a list"),
        ({"slug": "x", "name": "x", "problem": "yes"}, "problem true or false"),
        ({"slug": "x", "name": "x", "alias": ["X"]}, r"unknown field\(s\) alias"),
    ):
        path.write_text(json.dumps({"targets": [entry]}), encoding="utf-8")
        with pytest.raises(ImproperlyConfigured, match=message):
            lexicon.load(["builtin", str(path)])
    with pytest.raises(ImproperlyConfigured, match="expected an object with a list 'targets'"):
        lexicon.parse({"people": []}, "x.json")


# --------------------------------------------------------------------------- the LEXICON setting


def test_the_setting_replaces_extends_or_switches_off_the_lexicon(tmp_path):
    host = tmp_path / "targets.json"
    host.write_text(json.dumps({"targets": [RURITANIA]}), encoding="utf-8")
    builtin = lexicon.starter_targets()
    assert "nato" in {t.slug for t in builtin}
    with override_settings(READOUT_ANNOTATIONS_LEXICON=[]):
        assert lexicon.starter_targets() == ()
        assert lexicon.starter_index_entries(TargetIndex([])) == []
    with override_settings(READOUT_ANNOTATIONS_LEXICON=[str(host)]):
        (only,) = lexicon.starter_targets()
        assert (only.slug, only.name, only.kind, only.aliases) == (
            "ruritania-plan",
            "Ruritanian peace plan",
            "initiative",
            ("peace plan of Ruritania",),
        )
    with override_settings(READOUT_ANNOTATIONS_LEXICON=["builtin", str(host)]):
        assert lexicon.starter_targets() == (*builtin, only)


def test_a_bad_setting_or_file_fails_system_check_e012_and_only_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"targets": [{"slug": "x", "kind": "planet", "name": "X"}]}', encoding="utf-8")
    for value in ([str(bad)], [str(tmp_path / "missing.json")], "builtin", [str(tmp_path)]):
        with override_settings(READOUT_ANNOTATIONS_LEXICON=value):
            errors = [e for e in run_checks() if e.id.startswith("readout_annotations.")]
            assert [e.id for e in errors] == ["readout_annotations.E012"], value
            assert "docs/stances.md" in errors[0].hint
    with override_settings(READOUT_ANNOTATIONS_LEXICON=["builtin"]):
        assert not [e for e in run_checks() if e.id.startswith("readout_annotations.")]
    with (
        override_settings(READOUT_ANNOTATIONS_LEXICON="builtin"),
        pytest.raises(ImproperlyConfigured, match="READOUT_ANNOTATIONS_LEXICON must be a list of file paths"),
    ):
        lexicon.starter_targets()


RURITANIA = {
    "slug": "ruritania-plan",
    "name": "Ruritanian peace plan",
    "kind": "initiative",
    "aliases": ["peace plan of Ruritania"],
    "description": "A host's own target.",
}
