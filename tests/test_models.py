"""Bad input against the models: a clear error naming the field, and nothing written.

Every case runs on SQLite, PostgreSQL and MariaDB (``TEST_DATABASE``). Cases that expect a
database error run inside ``transaction.atomic()`` so the test's own transaction stays usable.
"""

from collections.abc import Callable

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from readout_annotations.models import (
    Annotation,
    Readout,
    Speaker,
    Stance,
    Statement,
    Target,
)

from .conftest import SMALL_TEXT, make_readout


def invalid(call: Callable[[], object]) -> dict[str, list[str]]:
    """Run ``call``, which must raise ``ValidationError``; return its errors by field."""
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def refused_by_database(call: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        call()


@pytest.fixture
def xi(db) -> Speaker:
    return Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi", "President Xi"])


@pytest.fixture
def taiwan(db) -> Target:
    return Target.objects.create(slug="taiwan", name="Taiwan")


@pytest.fixture
def first(small_readout) -> Statement:
    return small_readout.statements.get(number=1)


# --------------------------------------------------------------------------- statements


def new_statement(readout: Readout, start: int, end: int, text: str | None = None, **fields) -> Statement:
    fields.setdefault("number", 99)
    fields.setdefault("paragraph", 1)
    return Statement(
        readout=readout,
        start=start,
        end=end,
        text=readout.text[start:end] if text is None else text,
        **fields,
    )


@pytest.mark.parametrize(
    "start, end, fields",
    [
        (300, 310, {"start", "end"}),  # wholly past the text (221 code points)
        (200, 222, {"end"}),  # ends one past the text
        (30, 20, {"end"}),  # reversed
        (30, 30, {"end"}),  # empty
        (-1, 5, {"start"}),  # negative
    ],
)
def test_statement_offsets_out_of_range_or_reversed(small_readout, start, end, fields):
    assert len(SMALL_TEXT) == 221
    statement = new_statement(small_readout, start, end, text="x")
    assert fields <= set(invalid(statement.full_clean))
    assert set(invalid(statement.save)) == fields
    assert small_readout.statements.count() == 4


def test_statement_text_must_be_the_slice(small_readout):
    statement = new_statement(small_readout, 60, 62, text="\n")  # the slice is "\n\n"
    assert set(invalid(statement.full_clean)) == {"text"}
    errors = invalid(statement.save)
    assert errors == {"text": ["The text must be exactly the readout's text from start to end."]}
    assert small_readout.statements.count() == 4


@pytest.mark.parametrize(
    "start, end",
    [
        (50, 70),  # straddles the end of 1 and the start of 2
        (62, 123),  # exactly statement 2
        (70, 80),  # inside statement 2
        (61, 124),  # encloses statement 2
    ],
)
def test_statements_never_overlap(small_readout, start, end):
    statement = new_statement(small_readout, start, end)
    errors = invalid(statement.full_clean)
    assert set(errors) == {"start"}
    assert "overlaps statement" in errors["start"][0]
    assert set(invalid(statement.save)) == {"start"}
    assert small_readout.statements.count() == 4


def test_adjacent_statement_in_a_gap_is_allowed(small_readout):
    gap = new_statement(small_readout, 60, 62, number=5)  # the blank line between statements 1 and 2
    gap.full_clean()
    gap.save()
    assert small_readout.statements.count() == 5


def test_moving_a_statement_onto_its_neighbour_is_refused(small_readout):
    second = small_readout.statements.get(number=2)
    second.start, second.end = 124, 168
    second.text = small_readout.text[124:168]
    assert set(invalid(second.save)) == {"start"}
    second.refresh_from_db()
    assert (second.start, second.end) == (62, 123)


def test_statement_database_constraints_hold_without_save(small_readout):
    """``bulk_create`` skips ``save()``; the database still refuses an empty span or a duplicate number."""
    refused_by_database(lambda: Statement.objects.bulk_create([new_statement(small_readout, 61, 61, number=7)]))
    refused_by_database(lambda: Statement.objects.bulk_create([new_statement(small_readout, 60, 61, number=1)]))
    refused_by_database(lambda: Statement.objects.bulk_create([new_statement(small_readout, 60, 61, number=0)]))
    assert small_readout.statements.count() == 4


# --------------------------------------------------------------------------- readout text


def test_readout_text_cannot_change_under_its_statements(small_readout):
    checksum = small_readout.checksum
    small_readout.text = SMALL_TEXT.replace("May 5", "May 6")
    message = "The text cannot change: this readout has statements whose offsets point into it."
    assert invalid(small_readout.full_clean) == {"text": [message]}
    assert invalid(small_readout.save) == {"text": [message]}
    stored = Readout.objects.get(pk=small_readout.pk)
    assert (stored.text, stored.checksum) == (SMALL_TEXT, checksum)


def test_readout_text_may_change_before_it_has_statements(db):
    readout = Readout.objects.create(slug="empty", title="Empty", published_at="2023-03-02T09:42:00+08:00", text="a")
    before = readout.checksum
    readout.text = "b"
    readout.full_clean()
    readout.save()
    readout.refresh_from_db()
    assert readout.text == "b"
    assert readout.checksum.startswith("sha256:")
    assert readout.checksum != before


def test_saving_a_readout_with_statements_but_the_same_text_is_fine(small_readout):
    small_readout.title = "Renamed"
    small_readout.full_clean()
    small_readout.save()
    assert Readout.objects.get(pk=small_readout.pk).title == "Renamed"


# --------------------------------------------------------------------------- annotations


def test_a_second_gold_for_a_statement_is_refused(first, annotator, other_annotator):
    gold = Annotation.objects.create(statement=first, annotator=annotator, attribution="narration", gold=True)
    assert gold.gold_statement_id == first.pk
    second = Annotation(statement=first, annotator=other_annotator, attribution="narration", gold=True)
    assert invalid(second.full_clean) == {"gold": ["This statement already has a gold annotation."]}
    # Without clean(), the unique gold_statement column refuses it (MariaDB included).
    refused_by_database(second.save)
    assert list(Annotation.objects.filter(gold=True).values_list("pk", flat=True)) == [gold.pk]
    assert not Annotation.objects.filter(annotator=other_annotator).exists()


def test_gold_through_update_with_gold_statement_still_collides(first, annotator, other_annotator):
    Annotation.objects.create(statement=first, annotator=annotator, attribution="narration", gold=True)
    other = Annotation.objects.create(statement=first, annotator=other_annotator, attribution="narration")
    refused_by_database(lambda: Annotation.objects.filter(pk=other.pk).update(gold=True, gold_statement=F("statement")))
    assert Annotation.objects.filter(gold=True).count() == 1


def test_gold_through_update_without_gold_statement_is_refused(first, annotator):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="narration")
    refused_by_database(lambda: Annotation.objects.filter(pk=annotation.pk).update(gold=True))


def test_gold_statement_must_match_gold(first, annotator):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="narration")
    refused_by_database(lambda: Annotation.objects.filter(pk=annotation.pk).update(gold_statement=first))
    annotation.refresh_from_db()
    assert (annotation.gold, annotation.gold_statement_id) == (False, None)


def test_save_keeps_gold_statement_in_step(first, annotator):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="narration")
    assert (annotation.gold_statement_id, annotation.version) == (None, 1)
    annotation.gold = True
    annotation.save(update_fields=["gold"])
    annotation.refresh_from_db()
    assert (annotation.gold_statement_id, annotation.version) == (first.pk, 2)
    annotation.gold = False
    annotation.save()
    annotation.refresh_from_db()
    assert (annotation.gold_statement_id, annotation.version) == (None, 3)


def test_attribution_outside_the_set(first, annotator):
    annotation = Annotation(statement=first, annotator=annotator, attribution="hearsay")
    errors = invalid(annotation.full_clean)
    assert set(errors) == {"attribution"}
    assert "hearsay" in errors["attribution"][0]
    refused_by_database(annotation.save)
    assert not Annotation.objects.exists()


def test_mode_outside_the_set(first, annotator):
    annotation = Annotation(statement=first, annotator=annotator, attribution="explicit", mode="sung")
    assert set(invalid(annotation.full_clean)) == {"mode"}
    refused_by_database(annotation.save)
    assert not Annotation.objects.exists()


def test_stance_outside_the_set(first, annotator, taiwan):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="explicit")
    stance = Stance(annotation=annotation, target=taiwan, stance="maybe")
    errors = invalid(stance.full_clean)
    assert set(errors) == {"stance"}
    assert "maybe" in errors["stance"][0]
    refused_by_database(stance.save)
    refused_by_database(lambda: Stance.objects.bulk_create([Stance(annotation=annotation, target=taiwan, stance="")]))
    assert not Stance.objects.exists()


def test_one_stance_per_annotation_and_target(first, annotator, taiwan):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="explicit")
    Stance.objects.create(annotation=annotation, target=taiwan, stance="favor")
    duplicate = Stance(annotation=annotation, target=taiwan, stance="against")
    assert NON_FIELD_ERRORS in invalid(duplicate.full_clean)
    refused_by_database(duplicate.save)
    assert list(Stance.objects.values_list("stance", flat=True)) == ["favor"]


def test_one_annotation_per_statement_and_human_annotator(first, annotator):
    Annotation.objects.create(statement=first, annotator=annotator, attribution="explicit")
    again = Annotation(statement=first, annotator=annotator, attribution="narration")
    errors = invalid(again.full_clean)
    assert errors == {NON_FIELD_ERRORS: ["Annotation with this Statement and Annotator already exists."]}
    refused_by_database(again.save)
    assert Annotation.objects.count() == 1


def test_several_machine_proposals_per_statement(first):
    for version in ("1", "2", "3"):
        proposal = Annotation(
            statement=first, origin="machine", machine_name="rules", machine_version=version, attribution="explicit"
        )
        proposal.full_clean()
        proposal.save()
    assert Annotation.objects.filter(statement=first, annotator=None).count() == 3


def test_human_needs_an_annotator_and_a_machine_has_none(first, annotator):
    human = Annotation(statement=first, origin="human", attribution="explicit")
    assert invalid(human.full_clean) == {"annotator": ["A human annotation needs its annotator."]}
    refused_by_database(human.save)
    machine = Annotation(statement=first, origin="machine", annotator=annotator, attribution="explicit")
    assert invalid(machine.full_clean) == {"annotator": ["A machine proposal has no annotator."]}
    refused_by_database(machine.save)
    assert not Annotation.objects.exists()


def test_imports_may_have_an_annotator_or_none(first, annotator):
    Annotation(statement=first, origin="import", attribution="explicit").full_clean()
    Annotation(statement=first, origin="import", annotator=annotator, attribution="explicit").full_clean()


def test_a_machine_proposal_cannot_be_gold(first):
    proposal = Annotation(statement=first, origin="machine", attribution="explicit", gold=True)
    assert set(invalid(proposal.full_clean)) == {"gold"}


def test_origin_outside_the_set(first, annotator):
    annotation = Annotation(statement=first, origin="oracle", annotator=annotator, attribution="explicit")
    assert set(invalid(annotation.full_clean)) == {"origin"}
    refused_by_database(annotation.save)


# --------------------------------------------------------------------------- deleting


def test_deleting_a_speaker_or_target_in_use_is_protected(first, annotator, xi, taiwan):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, speaker=xi, attribution="explicit")
    Stance.objects.create(annotation=annotation, target=taiwan, stance="favor")
    with pytest.raises(ProtectedError), transaction.atomic():
        xi.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        taiwan.delete()
    assert Speaker.objects.filter(pk=xi.pk).exists()
    assert Target.objects.filter(pk=taiwan.pk).exists()
    assert Stance.objects.filter(annotation=annotation, target=taiwan).exists()


def test_deleting_a_target_with_children_is_protected(taiwan):
    core = Target.objects.create(slug="core-interests", name="Core interests")
    taiwan.parent = core
    taiwan.save()
    with pytest.raises(ProtectedError), transaction.atomic():
        core.delete()
    assert Target.objects.count() == 2


def test_deleting_an_unused_speaker_or_target_works(xi, taiwan):
    group = Speaker.objects.create(slug="heads", name="The two heads of state", kind="group")
    group.members.add(xi)
    xi.delete()
    taiwan.delete()
    assert list(Speaker.objects.all()) == [group]
    assert not group.members.exists()
    assert not Target.objects.exists()


def test_deleting_a_readout_with_annotations_is_protected(small_readout, first, annotator, taiwan):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, attribution="explicit")
    Stance.objects.create(annotation=annotation, target=taiwan, stance="none")
    with pytest.raises(ProtectedError), transaction.atomic():
        small_readout.delete()
    assert Readout.objects.filter(pk=small_readout.pk).exists()
    assert small_readout.statements.count() == 4
    assert Annotation.objects.count() == 1
    assert Stance.objects.count() == 1


def test_delete_with_annotations_removes_everything_of_that_readout(small_readout, first, annotator, reviewer, taiwan):
    other = make_readout("other-readout")
    kept = Annotation.objects.create(
        statement=other.statements.get(number=1), annotator=annotator, attribution="explicit"
    )
    human = Annotation.objects.create(statement=first, annotator=annotator, attribution="explicit")
    Stance.objects.create(annotation=human, target=taiwan, stance="favor")
    gold = Annotation.objects.create(statement=first, annotator=reviewer, attribution="explicit", gold=True)
    gold.adjudicated_from.add(human)
    Annotation.objects.create(statement=first, origin="machine", attribution="narration")

    small_readout.delete_with_annotations()

    assert list(Readout.objects.all()) == [other]
    assert not Statement.objects.filter(readout__slug="small-readout").exists()
    assert list(Annotation.objects.all()) == [kept]
    assert not Stance.objects.exists()
    assert Target.objects.filter(pk=taiwan.pk).exists()


def test_a_readout_without_annotations_deletes_with_its_statements(small_readout):
    small_readout.delete()
    assert not Readout.objects.exists()
    assert not Statement.objects.exists()


# --------------------------------------------------------------------------- speakers and targets


def test_target_parent_cycles_are_refused(taiwan):
    core = Target.objects.create(slug="core-interests", name="Core interests")
    china = Target.objects.create(slug="china", name="China", parent=core)
    taiwan.parent = china
    taiwan.full_clean()
    taiwan.save()

    taiwan.parent = taiwan
    assert invalid(taiwan.full_clean) == {"parent": ["A target cannot be its own ancestor."]}
    core.parent = Target.objects.get(pk=taiwan.pk)  # core -> taiwan -> china -> core
    assert set(invalid(core.full_clean)) == {"parent"}
    china.parent = Target.objects.get(pk=taiwan.pk)  # china -> taiwan -> china
    assert set(invalid(china.full_clean)) == {"parent"}
    assert Target.objects.get(pk=core.pk).parent is None


def test_speaker_aliases_and_wikidata_id_are_checked(db):
    speaker = Speaker(slug="xi", name="Xi Jinping", aliases=["Xi", ""])
    assert set(invalid(speaker.full_clean)) == {"aliases"}
    speaker.aliases = "Xi"
    assert set(invalid(speaker.full_clean)) == {"aliases"}
    speaker.aliases = ["Xi"]
    speaker.wikidata_id = "15031"
    assert set(invalid(speaker.full_clean)) == {"wikidata_id"}
    speaker.wikidata_id = "Q15031"
    speaker.full_clean()


def test_kind_outside_the_set_is_refused_by_the_database(db):
    refused_by_database(lambda: Speaker.objects.create(slug="x", name="X", kind="deity"))
    refused_by_database(lambda: Target.objects.create(slug="y", name="Y", kind="mood"))
    assert not Speaker.objects.exists()
    assert not Target.objects.exists()


def test_str_of_every_model(first, annotator, xi, taiwan):
    annotation = Annotation.objects.create(statement=first, annotator=annotator, speaker=xi, attribution="explicit")
    stance = Stance.objects.create(annotation=annotation, target=taiwan, stance="favor")
    machine = Annotation.objects.create(statement=first, origin="machine", machine_name="rules", attribution="explicit")
    assert str(first.readout) == "Readout small-readout (small-readout, 2023-03-02)"
    assert str(first) == "small-readout #1"
    assert str(xi) == "Xi Jinping"
    assert str(taiwan) == "Taiwan"
    assert str(annotation) == "small-readout #1 by annotator1"
    assert str(machine) == "small-readout #1 by rules"
    from readout_annotations.attribution import MACHINE_NAME

    machine.machine_name = MACHINE_NAME
    assert str(machine) == "small-readout #1 by built-in rules"
    assert str(stance) == "favor Taiwan"


# --------------------------------------------------------------------------- querysets


def test_create_segmented_statements_are_slices(small_readout):
    statements = list(small_readout.statements.all())
    assert [(s.number, s.paragraph) for s in statements] == [(1, 1), (2, 2), (3, 2), (4, 3)]
    for statement in statements:
        statement.full_clean()
        assert statement.text == small_readout.text[statement.start : statement.end]
    assert small_readout.checksum.startswith("sha256:")


def test_counts_gold_and_progress_querysets(small_readout, annotator, other_annotator):
    empty = Readout.objects.create(slug="empty", title="Empty", published_at="2023-03-02T09:42:00+08:00", text="a")
    first, second = small_readout.statements.all()[:2]
    Annotation.objects.create(statement=first, annotator=annotator, attribution="narration", gold=True)
    Annotation.objects.create(statement=second, annotator=annotator, attribution="narration")
    Annotation.objects.create(statement=second, annotator=other_annotator, attribution="narration")

    counts = {r.slug: (r.statement_count, r.gold_count) for r in Readout.objects.with_counts()}
    assert counts == {"small-readout": (4, 1), "empty": (0, 0)}
    statements = Statement.objects.filter(readout=small_readout)
    assert list(statements.has_gold().values_list("number", flat=True)) == [1]
    assert list(statements.has_gold(False).values_list("number", flat=True)) == [2, 3, 4]
    assert list(statements.annotated_by(annotator).values_list("number", flat=True)) == [1, 2]
    assert list(statements.unannotated_by(other_annotator).values_list("number", flat=True)) == [1, 3, 4]
    assert empty.statements.count() == 0
    other = make_readout("no-gold-yet")
    assert Readout.objects.with_counts().get(pk=other.pk).gold_count == 0
