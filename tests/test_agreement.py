"""Tests for readout_annotations.agreement (pure functions, no database)."""

import math
import random
from collections import Counter
from fractions import Fraction

import krippendorff
import numpy as np
import pytest

from readout_annotations.agreement import (
    NO_STANCE,
    Alpha,
    Kappa,
    cohen_kappa,
    krippendorff_alpha,
    pairwise_kappas,
    stance_units,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# nominal data, four observers, twelve units, "." = missing.
PAPER_ROWS = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}


def rows_to_data(rows: dict[str, str]) -> dict[int, dict[str, int]]:
    data: dict[int, dict[str, int]] = {}
    for coder, row in rows.items():
        for unit, value in enumerate(row.split(), start=1):
            data.setdefault(unit, {})
            if value != ".":
                data[unit][coder] = int(value)
    return data


def test_alpha_paper_example():
    result = krippendorff_alpha(rows_to_data(PAPER_ROWS))
    # Unit 12 has a single value and is not pairable; the other 11 hold 40 values.
    assert result.units == 11
    assert result.values == 40
    assert round(result.alpha, 3) == 0.743
    # Exact: n_c = 9, 13, 10, 5, 3 so sum_{c!=k} n_c n_k = 40**2 - 384 = 1216;
    # disagreeing coincidences: units 2, 6, 8 give 6/3 + 12/3 + 6/3 = 8;
    # alpha = 1 - 39 * 8 / 1216 = 113/152.
    assert result.alpha == float(Fraction(113, 152))
    assert result.alpha == pytest.approx(0.74342105263157894737, abs=1e-15)


def test_alpha_ignores_value_and_key_types():
    data = rows_to_data(PAPER_ROWS)
    relabelled = {
        ("u", unit): {coder.lower(): f"v{value}" for coder, value in coded.items()} for unit, coded in data.items()
    }
    assert krippendorff_alpha(relabelled) == krippendorff_alpha(data)


def test_alpha_excludes_units_with_fewer_than_two_values():
    data = rows_to_data(PAPER_ROWS)
    padded = {**data, "empty": {}, "single": {"A": 7}, "other": {"E": 99}}
    assert krippendorff_alpha(padded) == krippendorff_alpha(data)


def test_alpha_undefined():
    assert krippendorff_alpha({}) == Alpha(None, 0, 0)
    assert krippendorff_alpha({1: {"a": 1}, 2: {"b": 2}}) == Alpha(None, 0, 0)
    # All pairable values identical: expected disagreement is 0, alpha undefined.
    same = {1: {"a": "x", "b": "x"}, 2: {"a": "x", "b": "x", "c": "x"}, 3: {"a": "y"}}
    assert krippendorff_alpha(same) == Alpha(None, 2, 5)


def test_alpha_perfect_and_systematic_disagreement():
    perfect = {1: {"a": 1, "b": 1}, 2: {"a": 2, "b": 2, "c": 2}}
    assert krippendorff_alpha(perfect) == Alpha(1.0, 2, 5)
    # Two units, each with one 1 and one 2: o_12 = o_21 = 2, n = 4,
    # alpha = 1 - 3 * 4 / (16 - 8) = -0.5.
    opposite = {1: {"a": 1, "b": 2}, 2: {"a": 2, "b": 1}}
    assert krippendorff_alpha(opposite) == Alpha(-0.5, 2, 4)


def test_alpha_matches_krippendorff_package():
    rng = random.Random(20240601)
    checked = 0
    for _ in range(300):
        n_coders = rng.randint(2, 6)
        n_units = rng.randint(1, 40)
        n_values = rng.randint(2, 5)
        p_missing = rng.choice([0.0, 0.2, 0.5, 0.7])
        matrix = [
            [math.nan if rng.random() < p_missing else float(rng.randrange(n_values)) for _ in range(n_units)]
            for _ in range(n_coders)
        ]
        data = {
            unit: {coder: int(matrix[coder][unit]) for coder in range(n_coders) if not math.isnan(matrix[coder][unit])}
            for unit in range(n_units)
        }
        ours = krippendorff_alpha(data)
        pairable = [coded for coded in data.values() if len(coded) >= 2]
        assert ours.units == len(pairable)
        assert ours.values == sum(len(coded) for coded in pairable)
        if ours.alpha is None:
            assert not pairable or len({v for c in pairable for v in c.values()}) == 1
            continue
        theirs = krippendorff.alpha(reliability_data=np.array(matrix), level_of_measurement="nominal")
        assert ours.alpha == pytest.approx(theirs, abs=1e-9)
        checked += 1
    assert checked > 200


def naive_kappa(pairs: list[tuple[object, object]]) -> float:
    n = len(pairs)
    p_o = sum(a == b for a, b in pairs) / n
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)
    p_e = sum(count_a[c] / n * count_b[c] / n for c in count_a)
    return (p_o - p_e) / (1 - p_e)


def test_kappa_hand_example():
    # 50 units: both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
    # p_o = 35/50 = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.2/0.5 = 0.4.
    cells = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    cells += [("no", "no")] * 15
    data = {i: {"A": a, "B": b} for i, (a, b) in enumerate(cells)}
    # Units the pair did not both code do not count.
    data.update({"x": {"A": "yes"}, "y": {"B": "no", "C": "no"}, "z": {}})
    assert cohen_kappa(data, "A", "B") == Kappa(0.4, 50)
    assert cohen_kappa(data, "B", "A") == Kappa(0.4, 50)


def test_kappa_edge_cases():
    # No shared units.
    assert cohen_kappa({1: {"a": 1}, 2: {"b": 1}}, "a", "b") == Kappa(None, 0)
    # Both coders always use the same single category: p_e = 1, undefined.
    same = {i: {"a": "x", "b": "x"} for i in range(4)}
    assert cohen_kappa(same, "a", "b") == Kappa(None, 4)
    # One coder constant, the other not: p_o = p_e = 1/2, kappa = 0.
    half = {1: {"a": "x", "b": "x"}, 2: {"a": "x", "b": "y"}}
    assert cohen_kappa(half, "a", "b") == Kappa(0.0, 2)
    # Complete disagreement on two balanced categories: kappa = -1.
    flip = {1: {"a": "x", "b": "y"}, 2: {"a": "y", "b": "x"}}
    assert cohen_kappa(flip, "a", "b") == Kappa(-1.0, 2)


def test_kappa_matches_naive_formula():
    rng = random.Random(7)
    for _ in range(100):
        data = {u: {c: rng.randrange(3) for c in "ab" if rng.random() < 0.8} for u in range(rng.randint(1, 30))}
        pairs = [(d["a"], d["b"]) for d in data.values() if len(d) == 2]
        result = cohen_kappa(data, "a", "b")
        assert result.units == len(pairs)
        if result.kappa is None:
            assert not pairs or len({v for p in pairs for v in p}) == 1
        else:
            assert result.kappa == pytest.approx(naive_kappa(pairs), abs=1e-12)


def test_pairwise_kappas():
    data = {
        1: {"b": 1, "a": 1, 10: 2},
        2: {"b": 2, "a": 1, 10: 2},
        3: {"a": 2, 10: 2, "z": 1},
        4: {"b": 1, "a": 2},
        5: {"c": 1},
    }
    result = pairwise_kappas(data)
    # Coders sorted by str(): "10" < "a" < "b" < "c" < "z".
    assert list(result) == [
        (10, "a"),
        (10, "b"),
        (10, "c"),
        (10, "z"),
        ("a", "b"),
        ("a", "c"),
        ("a", "z"),
        ("b", "c"),
        ("b", "z"),
        ("c", "z"),
    ]
    for (a, b), kappa in result.items():
        assert kappa == cohen_kappa(data, a, b)
    assert result["a", "b"].units == 3
    assert result["b", "c"] == Kappa(None, 0)
    assert pairwise_kappas({}) == {}


def test_stance_units():
    readings = [
        ("s1", "ann", {"tax": "pro", "army": "con"}),
        ("s1", "bob", {"tax": "pro"}),
        ("s1", "cat", {}),
        ("s2", "bob", {"army": "neutral"}),
        ("s2", "cat", {"army": "con", "tax": "pro"}),
        ("s3", "ann", {}),
    ]
    assert stance_units(readings) == {
        ("s1", "tax"): {"ann": "pro", "bob": "pro", "cat": NO_STANCE},
        ("s1", "army"): {"ann": "con", "bob": NO_STANCE, "cat": NO_STANCE},
        ("s2", "army"): {"bob": "neutral", "cat": "con"},
        ("s2", "tax"): {"bob": NO_STANCE, "cat": "pro"},
    }
    assert NO_STANCE == "none"
    with pytest.raises(ValueError):
        stance_units([("s1", "ann", {}), ("s1", "ann", {"tax": "pro"})])
