"""Power and sample size: against statsmodels, and Fisher's exact power against simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import power_proportions_2indep, proportion_effectsize

import adverse_impact as ai
from adverse_impact.stats import minimum_detectable_ratio, power, sample_size


def test_sample_size_matches_statsmodels_normal_ind_power_on_cohens_h():
    # Issue 18: 0.30 vs 0.24 (IR 0.8), 80% power, two-sided 0.05 -> 857.08 -> 858.
    h = proportion_effectsize(0.30, 0.24)
    expected = NormalIndPower().solve_power(h, power=0.8, alpha=0.05, ratio=1.0)
    found = sample_size(0.30, 0.8)
    assert found.n_focal_exact == pytest.approx(expected, rel=1e-6)
    assert round(expected, 2) == 857.08
    assert (found.n_focal, found.n_reference) == (858, 858)
    assert found.power >= 0.8


@pytest.mark.parametrize("ratio", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("rate, ir", [(0.30, 0.8), (0.6, 0.5), (0.1, 0.7)])
def test_sample_size_z_matches_statsmodels_with_unequal_groups(rate, ir, ratio):
    h = proportion_effectsize(rate, rate * ir)
    expected = NormalIndPower().solve_power(h, power=0.9, alpha=0.01, ratio=ratio)
    found = sample_size(rate, ir, alpha=0.01, power=0.9, ratio=ratio)
    assert found.n_focal_exact == pytest.approx(expected, rel=1e-6)


def test_pooled_z_power_matches_statsmodels_power_proportions_2indep():
    # The pooled-variance formula needs 858.27 per group, so 859 (the "about 858").
    found = sample_size(0.30, 0.8, test="z_pooled")
    assert found.n_focal_exact == pytest.approx(858.27, abs=0.01)
    assert found.n_focal == 859
    for n_f, n_r in [(100, 300), (858, 858), (40, 25)]:
        ref = power_proportions_2indep(
            0.24 - 0.30,
            0.30,
            n_f,
            ratio=n_r / n_f,
            alpha=0.05,
            alternative="two-sided",
            return_results=True,
        )
        # statsmodels' prop2 is the reference rate and nobs1 the focal group.
        ours = power(n_f, n_r, 0.30, 0.8, test="z_pooled").power
        assert ours == pytest.approx(float(ref.power), rel=1e-9)


def test_z_power_matches_statsmodels_on_cohens_h():
    h = proportion_effectsize(0.5, 0.35)
    ref = NormalIndPower().power(h, nobs1=120, alpha=0.05, ratio=200 / 120)
    assert power(120, 200, 0.5, 0.7).power == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize(
    "n_f, n_r, p_r, ir", [(20, 30, 0.5, 0.4), (12, 15, 0.6, 0.3), (40, 40, 0.3, 0.5)]
)
def test_fisher_power_agrees_with_simulation_within_monte_carlo_error(n_f, n_r, p_r, ir):
    rng = np.random.default_rng(18)
    draws = 20_000
    a = rng.binomial(n_f, p_r * ir, draws)
    c = rng.binomial(n_r, p_r, draws)
    pairs, inverse = np.unique(np.stack([a, c], axis=1), axis=0, return_inverse=True)
    # scipy's own Fisher test, once per distinct outcome: independent of the library.
    pvalues = np.array(
        [scipy.stats.fisher_exact([[x, n_f - x], [y, n_r - y]]).pvalue for x, y in pairs]
    )
    reject = (pvalues[inverse.ravel()] < 0.05) & (a * n_r < c * n_f)
    simulated = reject.mean()
    exact = power(n_f, n_r, p_r, ir, test="fisher").power
    error = math.sqrt(exact * (1 - exact) / draws)
    assert abs(simulated - exact) < 4 * error


def test_fisher_power_is_below_the_normal_approximation_in_small_samples():
    exact = power(20, 20, 0.5, 0.4, test="fisher").power
    approx = power(20, 20, 0.5, 0.4, test="z_pooled").power
    assert 0 < exact < approx


def test_fisher_sample_size_reaches_the_power_and_one_less_does_not():
    found = sample_size(0.6, 0.5, test="fisher")
    assert found.power >= 0.8
    below = power(found.n_focal - 1, found.n_focal - 1, 0.6, 0.5, test="fisher").power
    assert below < 0.8
    # Fisher's test needs at least as many as the pooled z approximation, roughly.
    assert found.n_focal >= sample_size(0.6, 0.5, test="z_pooled").n_focal - 3


def test_fisher_power_refuses_huge_enumerations():
    with pytest.raises(ai.InputError, match="test: .*z_pooled"):
        power(5000, 5000, 0.3, 0.8, test="fisher")


@given(
    n_f=st.integers(2, 5000),
    n_r=st.integers(2, 5000),
    p_r=st.floats(0.02, 0.98),
    target=st.floats(0.5, 0.95),
)
def test_minimum_detectable_ratio_inverts_power(n_f, n_r, p_r, target):
    mdr = minimum_detectable_ratio(n_f, n_r, p_r, power=target)
    if mdr == 0.0:
        # Not even a focal rate of (nearly) zero is detected that often.
        assert power(n_f, n_r, p_r, 1e-9).power < target + 1e-6
    else:
        # The closed form ignores the opposite tail; with it, power is a hair higher.
        h = proportion_effectsize(p_r, p_r * mdr)
        one_tail = scipy.stats.norm.cdf(
            h * math.sqrt(n_f * n_r / (n_f + n_r)) - scipy.stats.norm.isf(0.025)
        )
        assert one_tail == pytest.approx(target, abs=1e-9)
        assert target - 1e-9 <= power(n_f, n_r, p_r, mdr).power


def test_minimum_detectable_ratio_vectorised_and_nan_without_reference_rate():
    out = minimum_detectable_ratio([858, 5, 10], [858, 5, 10], [0.3, 0.3, 0.0])
    assert out[0] == pytest.approx(0.8, abs=1e-3)
    assert out[1] == 0.0
    assert np.isnan(out[2])


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"rate_reference": 1.2}, "rate_reference"),
        ({"rate_reference": 0.3, "impact_ratio": 1.0}, "impact_ratio"),
        ({"rate_reference": 0.3, "power": 1.5}, "power"),
        ({"rate_reference": 0.3, "ratio": -1}, "ratio"),
        ({"rate_reference": 0.3, "test": "t"}, "test"),
    ],
)
def test_sample_size_bad_input_names_the_argument(kwargs, argument):
    with pytest.raises(ai.InputError, match=f"^{argument}: "):
        sample_size(**kwargs)


def test_power_needs_positive_counts():
    with pytest.raises(ai.InputError, match="^n_focal: "):
        power(0, 10, 0.5, 0.8)


def test_results_are_frozen_and_serialisable():
    found = sample_size(0.3)
    with pytest.raises(AttributeError):
        found.n_focal = 1
    assert found.to_dict()["n_focal"] == 858
    assert "858" in found.summary()


def test_audit_reports_each_groups_minimum_detectable_ratio_not_post_hoc_power():
    # EEOC 2023 example: 12 of 40 Black and 48 of 80 White applicants advance.
    result = ai.audit(
        selected=[1] * 48 + [0] * 32 + [1] * 12 + [0] * 28,
        sensitive_features={"race": ["White"] * 80 + ["Black"] * 40},
    )
    table = result.table.set_index("group")
    h = NormalIndPower().solve_power(None, nobs1=40, alpha=0.05, power=0.8, ratio=80 / 40)
    expected = math.sin(math.asin(math.sqrt(0.6)) - h / 2) ** 2 / 0.6
    assert table.loc["Black", "min_detectable_ratio"] == pytest.approx(expected, abs=1e-4)
    assert np.isnan(table.loc["White", "min_detectable_ratio"])  # the reference itself
    assert not any("power" in column for column in table.columns)


# -- issue 25: unequal groups are never under-recruited ------------------------------------


@pytest.mark.parametrize("test", ["z", "z_pooled"])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.95])
def test_sample_size_with_unequal_groups_never_under_recruits_over_a_grid(test, target):
    for rate in (0.05, 0.2, 0.5, 0.8):
        for ir in (0.5, 0.8, 0.9):
            for ratio in [k / 7 for k in range(1, 25)] + [0.3, 2.5, 3.7]:
                found = sample_size(rate, ir, ratio=ratio, power=target, test=test)
                assert found.n_reference >= ratio * found.n_focal - 1e-9 * found.n_focal
                achieved = power(found.n_focal, found.n_reference, rate, ir, test=test)
                assert achieved.power >= target, (rate, ir, ratio)
                assert found.power == pytest.approx(achieved.power, abs=1e-12)


def test_a_fraction_of_a_person_is_rounded_up_not_lost_to_float_tolerance():
    n_focal = sample_size(0.3, 0.8, ratio=2.0).n_focal  # 643 focal, 1,286 reference
    ratio = (2 * n_focal + 5e-10) / n_focal  # a hair more than twice as many
    found = sample_size(0.3, 0.8, ratio=ratio)
    assert found.n_focal == n_focal
    assert found.n_reference == 2 * n_focal + 1 and found.n_reference >= ratio * found.n_focal
    # A product that is whole up to float noise stays whole (0.3 * 10 people is 3).
    three = sample_size(0.3, 0.8, ratio=0.1 * 3 * 10)
    assert three.n_reference == 3 * three.n_focal
