"""Splitting and merging statements (``readout_annotations.boundaries``): numbering kept in order,
offsets exact, readings carried over or flagged (never silently moved), gold cleared with a reason,
offsets of annotated statements not changed by hand. On every backend (renumbering must not trip
the unique (readout, number) constraint)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from readout_annotations import annotating, boundaries
from readout_annotations.models import Annotation, Speaker, Stance, Statement, Target


def texts(readout) -> list[tuple[int, int, str]]:
    return [(s.number, s.paragraph, s.text) for s in readout.statements.order_by("number")]


def spans_are_slices(readout) -> bool:
    readout.refresh_from_db()
    return all(readout.text[s.start : s.end] == s.text for s in readout.statements.all())


@pytest.fixture
def xi(db):
    return Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")


def read(statement, user, **fields):
    defaults = {"speaker": None, "attribution": "narration", "mode": "", "cue": ""}
    return Annotation.objects.create(statement=statement, annotator=user, **{**defaults, **fields})


def test_a_split_renumbers_keeps_offsets_exact_and_carries_over_or_flags_each_reading(
    small_readout, annotator, other_annotator, reviewer, xi
):
    second = small_readout.statements.get(number=2)
    carried = read(second, annotator, speaker=xi, attribution="explicit", mode="indirect", cue="pointed out")
    stance = read(second, other_annotator, speaker=xi, attribution="explicit", mode="indirect", cue="pointed out")
    Stance.objects.create(
        annotation=stance, target=Target.objects.create(slug="interference", name="Interference"), stance="against"
    )
    gold = read(second, reviewer, speaker=xi, attribution="explicit", mode="indirect", cue="pointed out", gold=True)
    cut = second.text.index("the two sides")
    first, new = boundaries.split(second, cut, by=reviewer)
    assert texts(small_readout) == [
        (1, 1, "On May 5, President Xi\u00a0held talks with President Lukashenko."),
        (2, 2, "Xi\u00a0pointed out that"),
        (3, 2, "the two sides should oppose interference."),
        (4, 2, "China supports the Belt and Road Initiative."),
        (5, 3, "Lukashenko said that Belarus firmly supports China."),
    ]
    assert spans_are_slices(small_readout)
    assert (first.pk, new.number) == (second.pk, 3) and not new.annotations.exists()
    carried.refresh_from_db()
    stance.refresh_from_db()
    gold.refresh_from_db()
    assert carried.reread_reason == "" and carried.statement_id == second.pk
    assert "was split at character" in stance.reread_reason
    assert not gold.gold and gold.gold_statement_id is None and gold.adjudicated_by_id is None
    assert "gold was cleared" in gold.reread_reason


def test_a_reading_whose_cue_went_to_the_second_part_is_flagged(small_readout, annotator, reviewer, xi):
    third = small_readout.statements.get(number=2)
    reading = read(third, annotator, speaker=xi, attribution="explicit", mode="indirect", cue="oppose")
    boundaries.split(third, third.text.index("the two sides"), by=reviewer)
    reading.refresh_from_db()
    assert "split" in reading.reread_reason


def test_a_merge_moves_or_quotes_readings_clears_gold_and_renumbers(
    small_readout, annotator, other_annotator, reviewer, xi
):
    second, third = small_readout.statements.get(number=2), small_readout.statements.get(number=3)
    mine_second = read(second, annotator, speaker=xi, attribution="explicit", mode="indirect", cue="pointed out")
    mine_third = read(third, annotator, speaker=xi, attribution="continued", mode="indirect")
    theirs_third = read(third, other_annotator, speaker=xi, attribution="continued", mode="indirect")
    gold_third = read(third, reviewer, speaker=xi, attribution="continued", mode="indirect", gold=True)
    merged = boundaries.merge_with_next(second, by=reviewer)
    assert texts(small_readout) == [
        (1, 1, "On May 5, President Xi\u00a0held talks with President Lukashenko."),
        (
            2,
            2,
            "Xi\u00a0pointed out that the two sides should oppose interference. "
            "China supports the Belt and Road Initiative.",
        ),
        (3, 3, "Lukashenko said that Belarus firmly supports China."),
    ]
    assert spans_are_slices(small_readout)
    assert not Statement.objects.filter(pk=third.pk).exists()
    mine_second.refresh_from_db()
    assert (
        "were merged" in mine_second.reread_reason
        and "The reading of #3 was: Xi Jinping, continued" in mine_second.reread_reason
    )
    assert not Annotation.objects.filter(pk=mine_third.pk).exists()
    theirs_third.refresh_from_db()
    assert theirs_third.statement_id == merged.pk and "were merged" in theirs_third.reread_reason
    gold_third.refresh_from_db()
    assert (
        gold_third.statement_id == merged.pk and not gold_third.gold and "gold was cleared" in gold_third.reread_reason
    )


def test_bad_splits_and_merges_are_refused_by_field_and_change_nothing(small_readout, annotator, reviewer):
    before = texts(small_readout)
    second = small_readout.statements.get(number=2)
    for at in (0, len(second.text), -3, len(second.text) + 5):
        with pytest.raises(ValidationError) as refused:
            boundaries.split(second, at, by=reviewer)
        assert "at" in refused.value.message_dict
    last = small_readout.statements.get(number=4)
    with pytest.raises(ValidationError) as refused:
        boundaries.merge_with_next(last, by=reviewer)
    assert "last statement" in refused.value.message_dict["statement"][0]
    with pytest.raises(ValidationError) as refused:
        boundaries.merge_with_next(small_readout.statements.get(number=1), by=reviewer)
    assert "new paragraph" in refused.value.message_dict["statement"][0]
    with pytest.raises(PermissionDenied):
        boundaries.split(second, 5, by=annotator)
    with pytest.raises(PermissionDenied):
        boundaries.merge_with_next(second, by=annotator)
    assert texts(small_readout) == before


def test_offsets_of_an_annotated_statement_do_not_change_by_hand(small_readout, annotator):
    second = small_readout.statements.get(number=2)
    free = small_readout.statements.get(number=4)
    free.end -= 1
    free.text = free.text[:-1]
    free.save()  # no readings: allowed
    read(second, annotator)
    second.end -= 1
    second.text = second.text[:-1]
    with pytest.raises(ValidationError) as refused:
        second.save()
    assert "split it or merge it" in refused.value.message_dict["start"][0]


def test_saving_a_flagged_reading_again_clears_its_reason(small_readout, annotator, reviewer, xi):
    second = small_readout.statements.get(number=2)
    reading = read(second, annotator, speaker=xi, attribution="explicit", mode="indirect", cue="oppose")
    boundaries.split(second, second.text.index("the two sides"), by=reviewer)
    reading = Annotation.objects.for_records().get(pk=reading.pk)
    assert reading.reread_reason
    annotating.update(annotator, reading, {"attribution": "explicit", "cue": "pointed out"})
    reading.refresh_from_db()
    assert reading.reread_reason == ""


def test_the_statement_page_splits_and_merges_for_reviewers_only(client, small_readout, annotator, reviewer):
    second = small_readout.statements.get(number=2)
    page = f"/admin/readout_annotations/statement/{second.pk}/change/"
    client.force_login(annotator)
    assert "ra-split-form" not in client.get(page).content.decode()
    assert client.post(f"/admin/readout_annotations/statement/{second.pk}/split/", {"at": "5"}).status_code == 403
    client.force_login(reviewer)
    assert "ra-split-form" in client.get(page).content.decode()
    response = client.post(f"/admin/readout_annotations/statement/{second.pk}/split/", {"at": "abc"}, follow=True)
    assert "at: Choose the character" in " ".join(str(m) for m in response.context["messages"])
    assert small_readout.statements.count() == 4
    cut = second.text.index("the two sides")
    response = client.post(f"/admin/readout_annotations/statement/{second.pk}/split/", {"at": str(cut)}, follow=True)
    assert "Split into #2 and #3" in " ".join(str(m) for m in response.context["messages"])
    assert small_readout.statements.count() == 5
    response = client.post(f"/admin/readout_annotations/statement/{second.pk}/merge-next/", follow=True)
    assert "Merged into #2" in " ".join(str(m) for m in response.context["messages"])
    assert small_readout.statements.get(number=2).text == second.text
    assert client.get(f"/admin/readout_annotations/statement/{second.pk}/split/").status_code == 405
