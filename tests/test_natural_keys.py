"""Natural keys: every model can be found by its natural key, and a natural-key dump reloads intact."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from readout_annotations import records
from readout_annotations.models import Annotation, Readout, Speaker, Stance, Statement, Target

from .conftest import make_readout


def build_corpus() -> None:
    """A readout with every kind of reading, and rows that refer forward (a lower pk points at a higher one)."""
    users = get_user_model().objects
    annotator = users.create_user("annotator1", password="pw")
    other = users.create_user("annotator2", password="pw")
    reviewer = users.create_user("reviewer", password="pw")

    readout = make_readout(publisher="Xinhua", url="https://example.org/readout", notes="seed")
    make_readout("second-readout", title="Second")
    heads = Speaker.objects.create(slug="heads", name="The two heads of state", kind="group")
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi", "President Xi"])
    lukashenko = Speaker.objects.create(slug="lukashenko", name="Alexander Lukashenko", wikidata_id="Q7763")
    heads.members.set([xi, lukashenko])
    taiwan = Target.objects.create(slug="taiwan", name="Taiwan", kind="region")
    core = Target.objects.create(slug="core-interests", name="Core interests", kind="principle")
    taiwan.parent = core
    taiwan.save()
    bri = Target.objects.create(slug="bri", name="Belt and Road Initiative", kind="initiative", aliases=["BRI"])

    s1, s2, s3, _s4 = readout.statements.all()
    a1 = Annotation.objects.create(
        statement=s2, annotator=annotator, speaker=xi, attribution="explicit", cue="pointed out"
    )
    Stance.objects.create(annotation=a1, target=taiwan, stance="favor")
    Stance.objects.create(annotation=a1, target=bri, stance="none")
    a2 = Annotation.objects.create(statement=s2, annotator=other, speaker=xi, attribution="explicit", mode="indirect")
    Stance.objects.create(annotation=a2, target=taiwan, stance="against")
    gold = Annotation.objects.create(
        statement=s2, annotator=reviewer, speaker=xi, attribution="explicit", mode="indirect", gold=True
    )
    gold.adjudicated_by = reviewer
    gold.save()
    gold.adjudicated_from.set([a1, a2])
    Stance.objects.create(annotation=gold, target=taiwan, stance="favor")
    Annotation.objects.create(statement=s1, annotator=annotator, speaker=heads, attribution="narration")
    for version in ("1.0", "1.1"):
        proposal = Annotation.objects.create(
            statement=s3, origin="machine", machine_name="rules", machine_version=version, attribution="inferred"
        )
        Stance.objects.create(annotation=proposal, target=bri, stance="favor")
    Annotation.objects.create(statement=s3, origin="import", speaker=xi, attribution="continued", gold=True)


def snapshot() -> dict:
    return {
        "gold": list(records.gold_records()),
        "all": list(records.all_records()),
        "statements": list(
            Statement.objects.order_by("readout__slug", "number").values_list(
                "readout__slug", "number", "paragraph", "start", "end", "text"
            )
        ),
        "readouts": list(
            Readout.objects.order_by("slug").values_list(
                "slug", "title", "published_at", "publisher", "url", "text", "checksum", "notes"
            )
        ),
        "members": sorted(Speaker.objects.filter(member_of__isnull=False).values_list("member_of__slug", "slug")),
        "speakers": list(
            Speaker.objects.order_by("slug").values_list("slug", "name", "kind", "aliases", "wikidata_id")
        ),
        "targets": list(Target.objects.order_by("slug").values_list("slug", "name", "kind", "parent__slug", "aliases")),
        "annotations": list(
            Annotation.objects.order_by("uuid").values_list(
                "uuid", "machine_version", "gold_statement__number", "adjudicated_by__username", "version"
            )
        ),
        "adjudicated_from": sorted(
            Annotation.objects.filter(adjudications__isnull=False).values_list("adjudications__uuid", "uuid")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_dumpdata_with_natural_keys_round_trips_through_loaddata(tmp_path):
    build_corpus()
    before = snapshot()
    assert len(before["all"]) == 7
    assert sum(record["gold"] for record in before["gold"]) == 2
    assert len(before["adjudicated_from"]) == 2

    dump = tmp_path / "dump.json"
    call_command(
        "dumpdata",
        "auth.user",
        "readout_annotations",
        natural_primary=True,
        natural_foreign=True,
        indent=1,
        output=str(dump),
        verbosity=0,
    )
    assert '"pk"' not in dump.read_text()  # natural primary keys only
    call_command("flush", interactive=False, verbosity=0)
    assert not Readout.objects.exists()
    assert not get_user_model().objects.exists()

    call_command("loaddata", str(dump), verbosity=0)

    assert snapshot() == before


def test_every_model_is_found_by_its_natural_key(small_readout, annotator, taiwan_target):
    statement = small_readout.statements.get(number=3)
    annotation = Annotation.objects.create(statement=statement, annotator=annotator, attribution="narration")
    stance = Stance.objects.create(annotation=annotation, target=taiwan_target, stance="favor")
    speaker = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")
    for instance in (small_readout, speaker, taiwan_target, statement, annotation, stance):
        key = instance.natural_key()
        assert type(instance).objects.get_by_natural_key(*key) == instance
    assert statement.natural_key() == ("small-readout", 3)
    assert annotation.natural_key() == (str(annotation.uuid),)
    assert stance.natural_key() == (str(annotation.uuid), "taiwan")


def test_natural_key_dependencies_order_the_dump():
    assert Statement.natural_key.dependencies == ["readout_annotations.readout"]
    assert set(Stance.natural_key.dependencies) == {"readout_annotations.annotation", "readout_annotations.target"}


def test_a_missing_natural_key_raises_does_not_exist(db):
    with pytest.raises(Statement.DoesNotExist):
        Statement.objects.get_by_natural_key("nowhere", 1)
    with pytest.raises(Readout.DoesNotExist):
        Readout.objects.get_by_natural_key("nowhere")


@pytest.fixture
def taiwan_target(db) -> Target:
    return Target.objects.create(slug="taiwan", name="Taiwan")
