"""Inter-annotator agreement: Krippendorff's alpha and Cohen's kappa (nominal).

Pure Python, standard library only. Every figure is computed from integer
counts and one exact :class:`fractions.Fraction` division, so results are
exact up to the final conversion to ``float``.

Data shape
----------
Reliability data is a mapping ``unit -> {coder: value}``. Values may be any
hashable object and are compared for equality only (nominal metric). A coder
that did not code a unit is simply absent from that unit's mapping; there is
no in-band "missing" marker (so ``None`` is an ordinary value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

Coder = Hashable
Value = Hashable
#: Reliability data: unit -> {coder: value}.
Data = Mapping[Hashable, Mapping[Coder, Value]]

#: Value given by :func:`stance_units` to a coder who annotated a statement
#: but gave the unit's target no stance.
NO_STANCE = "none"

__all__ = [
    "NO_STANCE",
    "Alpha",
    "Kappa",
    "cohen_kappa",
    "krippendorff_alpha",
    "pairwise_kappas",
    "stance_units",
]


@dataclass(frozen=True)
class Alpha:
    """Krippendorff's alpha with the amount of data behind it.

    ``alpha`` is ``None`` when undefined. ``units`` counts pairable units
    (those with at least two values) and ``values`` the values in them;
    units with fewer than two values are excluded from all three figures.
    """

    alpha: float | None
    units: int
    values: int


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa over the ``units`` both coders coded (``None`` if undefined)."""

    kappa: float | None
    units: int


def krippendorff_alpha(data: Data) -> Alpha:
    r"""Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Coincidence-matrix formulation (Krippendorff 2011, "Computing
    Krippendorff's Alpha-Reliability"). Only pairable units (``m_u >= 2``
    values) take part. With ``n_uc`` the number of values ``c`` in unit ``u``:

    * coincidences  ``o_ck = sum_u n_uc * n_uk / (m_u - 1)``  (``c != k``),
    * marginals     ``n_c = sum_u n_uc``,  ``n = sum_c n_c`` (pairable values),
    * ``alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c * n_k``.

    Both sums over ``c != k`` are "all ordered pairs minus the diagonal", so
    per unit ``sum_{c!=k} n_uc n_uk = m_u**2 - sum_c n_uc**2`` and overall
    ``sum_{c!=k} n_c n_k = n**2 - sum_c n_c**2``. The observed part is summed as
    integers grouped by ``m_u`` and divided exactly, so the result is exact.

    ``alpha`` is ``None`` when there is no pairable unit, or when the expected
    disagreement is zero, i.e. all pairable values are identical. Krippendorff
    leaves alpha undefined there (``0/0``: the data show no variation to
    agree on), so we report "undefined" rather than 1.0 even though the coders
    trivially agree.
    """
    # Disagreeing ordered pairs within units, grouped by unit size m_u.
    disagreement: dict[int, int] = {}
    values: list[Value] = []
    units = 0
    for coded in data.values():
        m = len(coded)
        if m < 2:
            continue
        vals = list(coded.values())
        units += 1
        values += vals
        distinct = len(set(vals))
        if distinct == 1:
            continue
        if distinct == m:  # all different: every ordered pair disagrees
            pairs = m * m - m
        else:
            pairs = m * m - sum(k * k for k in Counter(vals).values())
        disagreement[m] = disagreement.get(m, 0) + pairs
    n = len(values)
    expected = n * n - sum(k * k for k in Counter(values).values())
    if not units or not expected:
        return Alpha(None, units, n)
    observed = sum(Fraction(pairs, m - 1) for m, pairs in disagreement.items())
    alpha = 1 - (n - 1) * observed / expected
    return Alpha(float(alpha), units, n)


def cohen_kappa(data: Data, coder_a: Hashable, coder_b: Hashable) -> Kappa:
    r"""Cohen's kappa between two coders over the units both of them coded.

    With ``N`` shared units, ``A`` of them agreed on, and ``a_c``, ``b_c`` the
    number of times each coder used category ``c`` on those units:
    ``p_o = A / N``, ``p_e = sum_c a_c * b_c / N**2`` and
    ``kappa = (p_o - p_e) / (1 - p_e) = (N*A - sum_c a_c b_c) / (N**2 - sum_c a_c b_c)``.

    ``kappa`` is ``None`` when undefined: no shared unit, or ``p_e == 1``
    (both coders used one and the same category throughout).
    """
    pairs = [(coded[coder_a], coded[coder_b]) for coded in data.values() if coder_a in coded and coder_b in coded]
    return _kappa(Counter(pairs))


def pairwise_kappas(data: Data) -> dict[tuple[Coder, Coder], Kappa]:
    """Cohen's kappa (see :func:`cohen_kappa`) for every pair of coders in ``data``.

    Keys are ``(a, b)`` with ``str(a) < str(b)``; coders are ordered by ``str``
    so mixed key types sort deterministically. Pairs that never coded a unit
    together are included with ``Kappa(None, 0)``. One pass over the data.
    """
    coders = sorted({c for coded in data.values() for c in coded}, key=str)
    pairs: dict[tuple[Coder, Coder], list[tuple[Value, Value]]] = {p: [] for p in combinations(coders, 2)}
    for coded in data.values():
        if len(coded) < 2:
            continue
        for (a, b), values in pairs.items():
            if a in coded and b in coded:
                values.append((coded[a], coded[b]))
    return {p: _kappa(Counter(values)) for p, values in pairs.items()}


def _kappa(joint: Counter[tuple[Value, Value]]) -> Kappa:
    """Kappa from the joint counts of (value of coder a, value of coder b)."""
    n = agree = 0
    count_a: Counter[Value] = Counter()
    count_b: Counter[Value] = Counter()
    for (a, b), k in joint.items():
        n += k
        count_a[a] += k
        count_b[b] += k
        if a == b:
            agree += k
    chance = sum(k * count_b[c] for c, k in count_a.items())
    if n * n == chance:  # p_e == 1; also covers n == 0
        return Kappa(None, n)
    return Kappa(float(Fraction(n * agree - chance, n * n - chance)), n)


def stance_units(
    readings: Iterable[tuple[Hashable, Coder, Mapping[Hashable, Value]]],
) -> dict[tuple[Hashable, Hashable], dict[Coder, Value]]:
    """Build stance reliability data from per-coder statement annotations.

    ``readings`` holds one ``(statement_key, coder, {target: stance})`` per
    annotation, at most one per statement and coder (a duplicate raises
    :class:`ValueError`). Units are the ``(statement_key, target)`` pairs that
    any coder tagged. Within a unit, a coder who annotated the statement but
    gave that target no stance has value :data:`NO_STANCE`; a coder who did
    not annotate the statement is missing (absent from the unit's mapping).
    """
    by_statement: dict[Hashable, dict[Coder, Mapping[Hashable, Value]]] = {}
    for statement, coder, stances in readings:
        coders = by_statement.setdefault(statement, {})
        if coder in coders:
            raise ValueError(f"coder {coder!r} annotated statement {statement!r} twice")
        coders[coder] = stances
    units: dict[tuple[Hashable, Hashable], dict[Coder, Value]] = {}
    for statement, coders in by_statement.items():
        targets = dict.fromkeys(t for stances in coders.values() for t in stances)
        for target in targets:
            units[statement, target] = {coder: stances.get(target, NO_STANCE) for coder, stances in coders.items()}
    return units
