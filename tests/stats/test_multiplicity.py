"""The one multiple-testing module: adjustments checked against statsmodels, maxT by hand."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from adverse_impact._stats._multiplicity import adjust, maxt

STATSMODELS = {"bonferroni": "bonferroni", "holm": "holm", "bh": "fdr_bh"}


@pytest.mark.parametrize("method", sorted(STATSMODELS))
@pytest.mark.parametrize("seed", range(20))
def test_adjust_matches_statsmodels_multipletests_to_1e12(method, seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 60))
    p = rng.uniform(0, 1, m) ** rng.uniform(0.5, 4)
    if seed % 3 == 0:  # ties
        p = np.round(p, 2)
    expected = multipletests(p, method=STATSMODELS[method])[1]
    np.testing.assert_allclose(adjust(p, method), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", sorted(STATSMODELS))
def test_adjust_within_families_equals_each_family_alone(method):
    rng = np.random.default_rng(7)
    family = rng.integers(0, 9, 300)
    p = rng.uniform(0, 1, 300) ** 3
    p[::17] = np.nan
    got = adjust(p, method, family=family)
    for f in np.unique(family):
        part = (family == f) & ~np.isnan(p)
        expected = multipletests(p[part], method=STATSMODELS[method])[1]
        np.testing.assert_allclose(got[part], expected, rtol=0, atol=1e-12)
    assert np.isnan(got[np.isnan(p)]).all()


def test_adjust_leaves_nan_out_of_the_family_size():
    np.testing.assert_allclose(adjust([0.01, np.nan, 0.02], "bonferroni"), [0.02, np.nan, 0.04])
    assert np.isnan(adjust([np.nan, np.nan], "holm")).all()


def test_adjust_refuses_an_unknown_method_by_name():
    with pytest.raises(ValueError, match="method: 'hommel'"):
        adjust([0.1], "hommel")


def _maxt_by_hand(t, null, step_down):
    """Westfall and Young (1993) Algorithm 2.8 written as loops, with (1 + count)/(B + 1)."""
    m = len(t)
    b = null.shape[0]
    order = sorted(range(m), key=lambda j: -t[j])
    p = np.empty(m)
    running = 0.0
    for rank, j in enumerate(order):
        rest = order[rank:] if step_down else list(range(m))
        count = sum(1 for row in null if max(row[k] for k in rest) >= t[j])
        value = (1 + count) / (b + 1)
        running = max(running, value) if step_down else value
        p[j] = running
    return p


@pytest.mark.parametrize("step_down", [True, False])
def test_maxt_equals_algorithm_2_8_written_as_loops(step_down):
    rng = np.random.default_rng(3)
    null = rng.standard_normal((400, 5)) + rng.standard_normal((400, 1))  # correlated
    t = np.array([2.5, 0.3, 1.7, -0.2, 1.7])
    np.testing.assert_allclose(
        maxt(t, null, step_down=step_down), _maxt_by_hand(t, null, step_down)
    )


def test_maxt_step_down_is_never_above_single_step_and_is_monotone():
    rng = np.random.default_rng(4)
    null = rng.standard_normal((2_000, 8))
    t = rng.standard_normal(8) * 2
    down, single = maxt(t, null), maxt(t, null, step_down=False)
    assert (down <= single + 1e-15).all()
    order = np.argsort(-t)
    assert (np.diff(down[order]) >= 0).all()


def test_maxt_nan_comparisons_stay_out():
    null = np.random.default_rng(5).standard_normal((999, 3))
    null[:10, 1] = np.nan
    got = maxt([2.0, np.nan, 1.0], null)
    assert np.isnan(got[1])
    np.testing.assert_allclose(got[[0, 2]], maxt([2.0, 1.0], null[:, [0, 2]]))


def test_maxt_counts_a_resampled_tie_as_an_exceedance():
    # The observed table drawn again must count: p = (1 + B) / (B + 1) = 1 here.
    null = np.full((9, 2), 1.0 + 1e-15)
    assert maxt([1.0, 1.0], null).tolist() == [1.0, 1.0]


def test_maxt_single_step_holds_fwer_under_the_complete_null():
    # Equicorrelated normal statistics: the rejection rate of "any adjusted p <= 0.05"
    # is 0.05 up to Monte-Carlo error (the null draws are independent of the data).
    rng = np.random.default_rng(6)
    cov = np.full((6, 6), 0.5) + np.eye(6) * 0.5
    null = rng.multivariate_normal(np.zeros(6), cov, size=4_999)
    data = rng.multivariate_normal(np.zeros(6), cov, size=1_000)
    rejections = np.mean([np.nanmin(maxt(row, null)) <= 0.05 for row in data])
    assert abs(rejections - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 1_000) + 0.005
