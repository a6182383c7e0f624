"""Machine proposers (readout_annotations.proposers): the interface, storage, and pinned figures."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from benchmarks import stances as figures
from readout_annotations import attribution, proposers
from readout_annotations.models import Annotation, Readout, ReviewStatus, Speaker, Stance, Target
from readout_annotations.proposers import ProposedStance, Proposer, Reading, RuleProposer
from tests.conftest import make_readout

TEXT = (
    "Xi said that China supports the Belt and Road Initiative and opposes the Cold War mentality.\n\n"
    "The two presidents held talks in Beijing.\n\n"
    "Lukashenko said Belarus welcomes bilateral relations with China. He called for an immediate "
    "ceasefire in the region."
)


@pytest.fixture
def vocabulary(db):
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", affiliation="China", aliases=["Xi"])
    Speaker.objects.create(
        slug="lukashenko", name="Alexander Lukashenko", affiliation="Belarus", aliases=["Lukashenko"]
    )
    for slug, name in (
        ("belt-and-road-initiative", "Belt and Road Initiative"),
        ("cold-war-mentality", "Cold War mentality"),
        ("china-belarus-relations", "China-Belarus relations"),
    ):
        Target.objects.create(slug=slug, name=name)


def triples(readout, machine_name=attribution.MACHINE_NAME):
    return set(
        Stance.objects.filter(
            annotation__statement__readout=readout, annotation__machine_name=machine_name
        ).values_list("annotation__statement__number", "target__slug", "stance")
    )


def test_rule_proposer_stores_speakers_and_stances(vocabulary):
    readout = make_readout("talks", TEXT)
    assert proposers.create_proposals(readout) == readout.statements.count()
    assert triples(readout) == {
        (1, "belt-and-road-initiative", "favor"),
        (1, "cold-war-mentality", "against"),
        (3, "china-belarus-relations", "favor"),
        (4, "ceasefire", "favor"),
    }
    narration = Annotation.objects.get(statement__readout=readout, statement__number=2)
    assert narration.attribution == "narration" and not narration.stances.exists()
    machine = Annotation.objects.filter(statement__readout=readout)
    assert {(a.origin, a.annotator_id, a.gold) for a in machine} == {("machine", None, False)}
    assert {a.machine_version for a in machine} == {RuleProposer().version}
    note = Stance.objects.get(target__slug="cold-war-mentality").note
    assert note == "name-against: opposes … Cold War mentality"


def test_cold_start_targets_are_proposed_for_review(vocabulary):
    readout = make_readout("talks", TEXT)
    proposers.create_proposals(readout)
    new = Target.objects.get(slug="ceasefire")
    assert (new.name, new.status, new.proposed_by_machine, new.proposed_by) == (
        "ceasefire",
        ReviewStatus.PROPOSED,
        attribution.MACHINE_NAME,
        None,
    )
    # A second readout naming it again reuses the proposed target: no duplicate.
    again = make_readout("again", "Xi called for a ceasefire.")
    proposers.create_proposals(again)
    assert Target.objects.filter(name__iexact="ceasefire").count() == 1
    assert triples(again) == {(1, "ceasefire", "favor")}


def test_starter_targets_are_proposed_with_their_fields(vocabulary):
    readout = make_readout("cold", "Xi said China supports multilateralism and opposes the Cold War mentality.")
    proposers.create_proposals(readout)
    assert triples(readout) == {
        (1, "united-nations-multilateralism", "favor"),
        (1, "cold-war-mentality", "against"),
    }
    new = Target.objects.get(slug="united-nations-multilateralism")
    assert (new.name, new.kind, new.status, new.proposed_by_machine) == (
        "The United Nations and multilateral cooperation",
        "institution",
        ReviewStatus.PROPOSED,
        attribution.MACHINE_NAME,
    )
    assert "联合国" in new.aliases


def test_with_the_lexicon_switched_off_no_starter_target_is_proposed(vocabulary):
    readout = make_readout("cold", "Xi said China supports multilateralism and opposes the Cold War mentality.")
    with override_settings(READOUT_ANNOTATIONS_LEXICON=[]):
        proposers.create_proposals(readout)
    assert (1, "united-nations-multilateralism", "favor") not in triples(readout)
    assert (1, "cold-war-mentality", "against") in triples(readout)  # the database's targets still
    assert not Target.objects.filter(slug="united-nations-multilateralism").exists()


def test_a_host_lexicon_files_target_is_proposed_with_its_fields(vocabulary, tmp_path):
    import json

    host = tmp_path / "targets.json"
    entry = {"slug": "ruritania-plan", "name": "Ruritanian peace plan", "kind": "initiative", "description": "Hosts'."}
    host.write_text(json.dumps({"targets": [{**entry, "aliases": ["peace plan of Ruritania"]}]}), encoding="utf-8")
    readout = make_readout("host", "Xi said China supports the peace plan of Ruritania and multilateralism.")
    with override_settings(READOUT_ANNOTATIONS_LEXICON=[str(host)]):
        proposers.create_proposals(readout)
    assert (1, "ruritania-plan", "favor") in triples(readout)
    assert not Target.objects.filter(slug="united-nations-multilateralism").exists()  # replaced, not extended
    new = Target.objects.get(slug="ruritania-plan")
    assert (new.name, new.kind, new.description, new.status) == (
        "Ruritanian peace plan",
        "initiative",
        "Hosts'.",
        ReviewStatus.PROPOSED,
    )


def test_a_target_in_the_database_wins_over_the_starter_lexicon(vocabulary):
    mine = Target.objects.create(slug="north-atlantic-alliance", name="North Atlantic alliance", aliases=["NATO"])
    readout = make_readout("warm", "Xi said China supports NATO.\n\nXi said he welcomes BRICS.")
    proposers.create_proposals(readout)
    assert triples(readout) == {(1, "north-atlantic-alliance", "favor"), (2, "brics", "favor")}
    assert not Target.objects.filter(slug="nato").exists()
    assert Target.objects.filter(name__in=["NATO", "BRICS"]).count() == 1
    assert mine.status == ReviewStatus.CONFIRMED


def test_an_annotators_proposed_target_stays_private(vocabulary, annotator):
    Target.objects.create(slug="ceasefire", name="Ceasefire", status=ReviewStatus.PROPOSED, proposed_by=annotator)
    Target.objects.create(slug="world-peace", name="World peace", status=ReviewStatus.PROPOSED, proposed_by=annotator)
    readout = make_readout("talks", TEXT + " Xi supports world peace.")
    proposers.create_proposals(readout)
    # Neither found by name nor reused by slug: the machine never points at it.
    assert not Stance.objects.filter(target__proposed_by=annotator).exists()
    assert (1, "cold-war-mentality", "against") in triples(readout)


def test_importing_runs_the_proposers(vocabulary, tmp_path):
    path = tmp_path / "talks.txt"
    path.write_text("Talks\n2023-03-01 10:00\n\n" + TEXT + "\n", encoding="utf-8")
    call_command("import_readout", str(path), "--timezone", "UTC", verbosity=0)
    assert (1, "cold-war-mentality", "against") in triples(Readout.objects.get(slug="talks"))


def test_queries_do_not_grow_with_the_statements(vocabulary):
    proposers.create_proposals(make_readout("first", TEXT))  # proposes the new target once
    small = make_readout("small", TEXT)
    large = make_readout("large", "\n\n".join([TEXT] * 8))
    with CaptureQueriesContext(connection) as few:
        proposers.create_proposals(small)
    with CaptureQueriesContext(connection) as many:
        proposers.create_proposals(large)
    assert large.statements.count() > 4 * small.statements.count()
    assert len(many) == len(few) <= 10


class HostStanceProposer(Proposer):
    """A host's proposer: every statement favors one target, found by name or proposed."""

    name = "host.nli"
    version = "2025-01"

    def propose(self, readout):
        statements = readout.statements.order_by("number")
        return [
            Reading(
                Annotation(statement=s, attribution="narration"),
                [ProposedStance("Global peace", "favor", "model says so")],
            )
            for s in statements
        ]


def test_proposals_of_several_proposers_coexist(vocabulary):
    readout = make_readout("talks", TEXT)
    paths = ["readout_annotations.proposers.RuleProposer", f"{__name__}.HostStanceProposer"]
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=paths):
        written = proposers.create_proposals(readout)
    count = readout.statements.count()
    assert written == 2 * count
    names = Annotation.objects.filter(statement__readout=readout).values_list("machine_name", "machine_version")
    assert sorted(set(names)) == [("host.nli", "2025-01"), (attribution.MACHINE_NAME, RuleProposer().version)]
    assert len(triples(readout, "host.nli")) == count
    assert Target.objects.get(slug="global-peace").proposed_by_machine == "host.nli"
    assert (1, "cold-war-mentality", "against") in triples(readout)


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["readout_annotations.nowhere.Proposer"], "cannot import 'readout_annotations.nowhere.Proposer'"),
        (["readout_annotations.models.Target"], "'readout_annotations.models.Target' is not a Proposer subclass"),
        (["readout_annotations.proposers.Proposer"], "'readout_annotations.proposers.Proposer' has no name"),
    ],
)
def test_a_bad_setting_names_the_entry_and_writes_nothing(vocabulary, paths, message):
    readout = make_readout("talks", TEXT)
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=paths), pytest.raises(ImproperlyConfigured, match=message):
        proposers.create_proposals(readout)
    assert not Annotation.objects.exists()


class LabelledProposer(HostStanceProposer):
    label = "stance model"


def test_machine_label_is_the_configured_proposers_label_else_its_name():
    assert proposers.machine_label(attribution.MACHINE_NAME) == "built-in rules"
    assert proposers.machine_label("host.nli") == "host.nli"  # not configured
    paths = ["readout_annotations.proposers.RuleProposer", f"{__name__}.LabelledProposer"]
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=paths):
        assert proposers.machine_label("host.nli") == "stance model"
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=[f"{__name__}.HostStanceProposer"]):
        assert proposers.machine_label("host.nli") == "host.nli"  # configured, without a label
    with override_settings(READOUT_ANNOTATIONS_PROPOSERS=["readout_annotations.nowhere.Proposer"]):
        assert proposers.machine_label(attribution.MACHINE_NAME) == attribution.MACHINE_NAME  # E010's case


# --------------------------------------------------------------------------- pinned figures
# The figures of docs/stances.md; a change of the rules that lowers one fails here.


def at_least(scores: dict, **pins: float) -> None:
    for name, pin in pins.items():
        assert scores[name] is not None and scores[name] >= pin, (name, scores)


def test_seed_figures(db):
    """The seed readout of the fresh clone, against its fixture's gold stances."""
    call_command("loaddata", figures.SEED, verbosity=0)
    scores = figures.seed_scores(Readout.objects.get(slug=figures.SEED))
    assert scores["gold"] == 56
    at_least(scores, precision=0.88, recall=0.83, f1=0.86, target_recall=0.83)


DEV = figures.default_dev()
needs_dev = pytest.mark.skipif(not (DEV / "targets.json").exists(), reason=f"no development set at {DEV}")


@needs_dev
def test_dev_figures_with_gold_speakers():
    """The stance rules alone: gold speakers, the pipeline's targets."""
    at_least(figures.gold_speakers(DEV, cold=False), precision=0.96, recall=0.89, f1=0.93, target_recall=0.91)
    at_least(figures.gold_speakers(DEV, cold=True), precision=0.80, target_recall=0.58)


@needs_dev
def test_dev_figures_of_the_pipeline():
    """run.sh warm and cold: the shipped pipeline, speaker proposals included."""
    at_least(figures.run_sh(DEV, cold=False), precision=0.95, recall=0.85, f1=0.90, target_recall=0.87)
    at_least(figures.run_sh(DEV, cold=True), precision=0.80, target_recall=0.58)
