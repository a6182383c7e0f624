"""The starter lexicon (readout_annotations.lexicon): the built-in targets and how they yield."""

import json

import pytest
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


def test_a_malformed_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "starter.json"
    monkeypatch.setattr(lexicon, "PATH", path)
    for entry, message in (
        ({"slug": "Bad Slug", "name": "x"}, "bad or duplicate slug 'Bad Slug'"),
        ({"slug": "china", "name": "x"}, "bad or duplicate slug 'china'"),
        ({"slug": "x", "name": "x", "kind": "planet"}, "unknown kind 'planet'"),
    ):
        path.write_text(json.dumps({"targets": [entry]}), encoding="utf-8")
        lexicon.starter_targets.cache_clear()
        with pytest.raises(ValueError, match=message):
            lexicon.starter_targets()
    lexicon.starter_targets.cache_clear()
