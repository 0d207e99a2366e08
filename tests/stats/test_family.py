"""The gate's family test: exact enumeration, reference statistics, and a quick calibration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_hypergeom

from adverse_impact import stats
from adverse_impact._stats._family import (
    FamilyAttribute,
    _statistics,
    count_seed,
    shortfall_family,
)

# Cells of sex (2) x race (3); unknown race is a cell of its own (membership -1 for race).
SEX = np.array([0, 0, 0, 0, 1, 1, 1, 1])
RACE = np.array([0, 1, 2, -1, 0, 1, 2, -1])


def _attributes():
    cross = np.where(RACE >= 0, SEX * 3 + RACE, -1)
    return [
        FamilyAttribute("sex", SEX, np.ones(2, bool)),
        FamilyAttribute("race", RACE, np.ones(3, bool)),
        FamilyAttribute("sex x race", cross, np.ones(6, bool)),
    ]


def test_the_statistic_is_the_pooled_two_proportion_z_against_the_highest_rate():
    n = np.array([40, 30, 20, 5, 35, 25, 15, 5])
    k = np.array([20, 9, 4, 1, 15, 10, 3, 2])
    test = shortfall_family(n, k, _attributes(), n_resamples=99)
    race_n = np.array([75, 55, 35])
    race_k = np.array([35, 19, 7])
    # Race 0 has the highest rate (35/75); the others' shortfall against it.
    expected = stats.two_proportion_z(race_k[1:], race_n[1:], race_k[0], race_n[0]).statistic
    np.testing.assert_allclose(test.statistic[1][1:], -expected, rtol=1e-12)
    assert test.statistic[1][0] == 0.0  # the reference against itself
    assert test.n_comparisons == 1 + 2 + 5


def _exact_family_p(n, k, attributes):
    """P(max statistic >= observed) by enumerating every table with the same margins."""
    total = int(k.sum())
    observed = _statistics(
        k[None].astype(float), np.ones(n.size), _prep(n, attributes), 1, "reference", False
    )[0]
    t_max = np.nanmax(observed)
    law = multivariate_hypergeom(m=n, n=total)
    p = 0.0
    for cells in itertools.product(*[range(min(c, total) + 1) for c in n]):
        if sum(cells) != total:
            continue
        table = np.array(cells, dtype=float)
        value = np.nanmax(
            _statistics(table[None], np.ones(n.size), _prep(n, attributes), 1, "reference", False)[
                0
            ]
        )
        if value >= t_max - 1e-10:
            p += law.pmf(cells)
    return p


def _prep(n, attributes):
    from adverse_impact._stats._family import _prepare

    return [
        _prepare(a, n, np.ones(n.size), np.zeros(n.size, dtype=np.int64), 1) for a in attributes
    ]


def test_the_family_p_value_matches_exact_enumeration_of_the_multivariate_hypergeometric():
    n = np.array([4, 3, 2, 1, 4, 2, 3, 1])
    k = np.array([3, 0, 0, 0, 3, 1, 0, 1])
    exact = _exact_family_p(n, k, _attributes())
    test = shortfall_family(
        n, k, _attributes(), n_resamples=99_999, random_state=3, step_down=False
    )
    se = np.sqrt(exact * (1 - exact) / 99_999)
    assert abs(test.p_value - exact) < 4 * se + 1e-5


def test_same_counts_same_verdict_and_the_seed_comes_from_the_counts():
    n = np.array([40, 30, 20, 5, 35, 25, 15, 5])
    k = np.array([20, 9, 4, 1, 15, 10, 3, 2])
    first = shortfall_family(n, k, _attributes())
    again = shortfall_family(n, k, _attributes())
    assert first.random_state == again.random_state == count_seed(n, k, np.zeros(8), np.ones(8))
    for a, b in zip(first.p_value_adjusted, again.p_value_adjusted):
        np.testing.assert_array_equal(a, b)


def test_one_stratum_gives_the_unstratified_statistic_and_weights_of_one_change_nothing():
    n = np.array([40, 30, 20, 5, 35, 25, 15, 5])
    k = np.array([20, 9, 4, 1, 15, 10, 3, 2])
    plain = shortfall_family(n, k, _attributes(), n_resamples=199, random_state=1)
    strat = shortfall_family(
        n, k, _attributes(), stratum=np.zeros(8, int), n_resamples=199, random_state=1
    )
    weighted = shortfall_family(
        n, k, _attributes(), cell_weight=n * 2.5, n_resamples=199, random_state=1
    )
    for a, b, c in zip(plain.statistic, strat.statistic, weighted.statistic):
        np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-12)
    np.testing.assert_allclose(
        np.concatenate(plain.p_value_adjusted), np.concatenate(weighted.p_value_adjusted)
    )


def test_fixed_reference_and_rest_comparisons():
    n = np.array([100, 100, 100])
    k = np.array([50, 30, 20])
    team = [FamilyAttribute("team", np.arange(3), np.ones(3, bool), reference=1)]
    fixed = shortfall_family(n, k, team, n_resamples=199)
    assert np.isnan(fixed.statistic[0][1]) and fixed.n_comparisons == 2
    z = stats.two_proportion_z(20, 100, 30, 100).statistic
    assert fixed.statistic[0][2] == pytest.approx(-z, rel=1e-12)
    rest = shortfall_family(
        n,
        k,
        [FamilyAttribute("team", np.arange(3), np.ones(3, bool))],
        comparison="rest",
        n_resamples=199,
    )
    z_rest = stats.two_proportion_z(20, 100, 80, 200).statistic
    assert rest.statistic[0][2] == pytest.approx(-z_rest, rel=1e-12)
    assert rest.n_comparisons == 3


def _fair_rejections(runs, n, attributes, rng, *, stratum=None, probability=0.2):
    hits = 0
    for _ in range(runs):
        k = rng.binomial(n, probability)
        if stratum is not None:
            k = rng.binomial(n, probability)
        test = shortfall_family(
            n,
            k,
            attributes,
            stratum=stratum,
            n_resamples=199,
            random_state=int(rng.integers(2**62)),
        )
        hits += test.p_value < 0.05
    return hits / runs


def test_quick_calibration_fair_sex_by_race_rejects_at_most_alpha_plus_3_se():
    # 300 fair runs with 199 draws each: the rate's SE at alpha is 1.26%, so the
    # bound alpha + 3 SE is 8.8% (the full benchmark runs 1,000 x 9,999).
    rng = np.random.default_rng(11)
    n = np.array([300, 150, 30, 20, 300, 150, 30, 20])
    rate = _fair_rejections(300, n, _attributes(), rng)
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)


def test_draws_keep_each_stratum_total_so_a_simpson_mix_is_not_a_finding():
    # Two requisitions: women apply mostly to the one with the low rate. Collapsed,
    # women look far below; within requisitions, selection is fair.
    n = np.array([400, 100, 100, 400])  # (stratum 0: F, M), (stratum 1: F, M)
    sex = np.array([0, 1, 0, 1])
    stratum = np.array([0, 0, 1, 1])
    rates = np.array([0.1, 0.1, 0.5, 0.5])
    rng = np.random.default_rng(5)
    attributes = [FamilyAttribute("sex", sex, np.ones(2, bool))]
    hits = collapsed = 0
    for _ in range(200):
        k = rng.binomial(n, rates)
        hits += (
            shortfall_family(
                n,
                k,
                attributes,
                stratum=stratum,
                n_resamples=199,
                random_state=int(rng.integers(2**62)),
            ).p_value
            < 0.05
        )
        collapsed += (
            shortfall_family(
                n, k, attributes, n_resamples=199, random_state=int(rng.integers(2**62))
            ).p_value
            < 0.05
        )
    assert hits / 200 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 200)
    assert collapsed / 200 > 0.9
