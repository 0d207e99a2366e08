"""The anytime-valid boundary (``_monitoring/_confseq.py``) against its definition.

References: Robbins' mixture integral by quadrature (Howard, Ramdas, McAuliffe and
Sekhon 2021, eq. 13); the authors' ``confseq`` 0.0.11 reference values; the
closed forms worked by hand; and the defining property, coverage at every look at
once, by a seeded simulation of Gaussian random walks.  The monitor's own error
rates (Katz estimates of binomial counts) are simulated in ``test_monitor.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize
from scipy.stats import norm

from adverse_impact import stats
from adverse_impact._monitoring._confseq import (
    PLANNED_CHANGES,
    best_lambda,
    best_rho,
    linear_radius,
    log_ratio_sequence,
    mixture_radius,
    planned_slopes,
)


def _mixture(s: float, v: float, rho: float) -> float:
    """Robbins' mixture martingale by numerical integration over lambda ~ N(0, 1/rho)."""
    sd = 1 / math.sqrt(rho)

    def integrand(lam: float) -> float:
        return math.exp(lam * s - lam * lam * v / 2) * norm.pdf(lam, scale=sd)

    centre = s / (v + rho)  # the integrand's peak
    value, _ = integrate.quad(
        integrand, centre - 40 * sd, centre + 40 * sd, limit=200, points=[centre]
    )
    return value


@pytest.mark.parametrize(
    ("v", "rho", "alpha"),
    [(1.0, 1.0, 0.05), (50.0, 12.6, 0.05), (400.0, 3.0, 0.01), (10.0, 100.0, 0.1)],
)
def test_radius_is_where_the_integrated_mixture_reaches_one_over_alpha(v, rho, alpha):
    # Independent reference: the mixture integral of Howard et al. (2021), eq. (13),
    # computed by quadrature, equals 1/alpha exactly at the closed-form radius.
    radius = float(mixture_radius(v, alpha=alpha, rho=rho))
    assert _mixture(radius, v, rho) == pytest.approx(1 / alpha, rel=1e-7)
    assert _mixture(radius * 0.99, v, rho) < 1 / alpha


def test_boundary_matches_the_authors_reference_values():
    # confseq 0.0.11 (Howard et al.'s implementation), test/uniform_boundaries_unittest.cpp,
    # TestTwoSidedNormalMixture: "all target values are from a reference implementation
    # in R" -- best_rho(100, 0.05) = 12.60056 and the two-sided bound at v = 100 = 30.35209.
    rho = best_rho(100.0, 0.05)
    assert rho == pytest.approx(12.60056, abs=1e-5)
    assert float(mixture_radius(100.0, alpha=0.05, rho=rho)) == pytest.approx(30.35209, abs=1e-5)
    # ... and the log of the mixture martingale at s = 10, v = 100 is -0.6510052.
    log_mixture = 0.5 * math.log(rho / (100 + rho)) + 10**2 / (2 * (100 + rho))
    assert log_mixture == pytest.approx(-0.6510052, abs=1e-5)


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.001])
def test_best_rho_nearly_minimises_the_width_at_v_opt(alpha):
    # Howard et al.'s rho is an approximation to the minimiser; check it is within 1%.
    v_opt = 100.0
    found = optimize.minimize_scalar(
        lambda lr: float(mixture_radius(v_opt, alpha=alpha, rho=math.exp(lr))),
        bounds=(-5, 10),
        method="bounded",
    )
    best = float(mixture_radius(v_opt, alpha=alpha, rho=math.exp(found.x)))
    assert float(mixture_radius(v_opt, alpha=alpha, rho=best_rho(v_opt, alpha))) <= best * 1.01


def test_sequence_centre_and_width_come_from_katz():
    fixed = stats.impact_ratio_test(30, 100, 60, 120)
    est, low, high = log_ratio_sequence([30], [100], [60], [120], alpha=0.05, rho=5.0)
    se = math.sqrt((1 - 0.3) / 30 + (1 - 0.5) / 60)
    assert est[0] == pytest.approx(math.log(fixed.ratio))
    v = 1 / se**2
    half = math.sqrt((v + 5) * math.log((v + 5) / (5 * 0.05**2))) / v
    assert (low[0], high[0]) == pytest.approx((est[0] - half, est[0] + half))
    # Always wider than the fixed-sample interval it generalises.
    assert low[0] < math.log(fixed.ci_low) and high[0] > math.log(fixed.ci_high)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 0.3), st.floats(0.1, 1e4), st.floats(1e-3, 1e3))
def test_radius_grows_with_v_and_with_confidence(alpha, v, rho):
    r = mixture_radius(v, alpha=alpha, rho=rho)
    assert mixture_radius(v * 1.5, alpha=alpha, rho=rho) > r
    assert mixture_radius(v, alpha=alpha / 2, rho=rho) > r


# -- hand-computed values ------------------------------------------------------------------


def test_the_closed_forms_by_hand():
    # At V = 0 the mixture radius is sqrt(rho log(1 / alpha^2)) = sqrt(log 400) for rho = 1.
    assert float(mixture_radius(0.0, alpha=0.05, rho=1.0)) == pytest.approx(
        math.sqrt(math.log(400)), rel=1e-15
    )
    # best_rho(100, 0.05) = 100 / (2 log 20 + log(1 + 2 log 20)) = 100 / (5.991465 + 1.944690).
    assert best_rho(100.0, 0.05) == pytest.approx(100 / (5.991465 + 1.944690), rel=1e-6)
    # best_lambda(625, 0.001) = sqrt(2 log 2000 / 625) = sqrt(15.201805 / 625).
    assert best_lambda(625.0, 0.001) == pytest.approx(math.sqrt(15.201805 / 625), rel=1e-7)


def test_one_linear_slope_is_the_straight_line_and_best_lambda_its_lowest_point():
    v = np.array([1.0, 25.0, 100.0, 625.0])
    radius = linear_radius(v, alpha=0.05, slopes=[(0.5, 1.0)])
    np.testing.assert_allclose(radius, math.log(40) / 0.5 + 0.5 * v / 2, rtol=1e-13)
    # At v_opt the best slope's radius is sqrt(2 v_opt log(2 / alpha)), and any other is wider.
    lam = best_lambda(625.0, 0.05)
    at_best = float(linear_radius(625.0, alpha=0.05, slopes=[(lam, 1.0)]))
    assert at_best == pytest.approx(math.sqrt(2 * 625 * math.log(40)), rel=1e-12)
    for other in (lam * 0.9, lam * 1.1):
        assert float(linear_radius(625.0, alpha=0.05, slopes=[(other, 1.0)])) > at_best


@pytest.mark.parametrize("v", [0.5, 30.0, 400.0, 5_000.0])
def test_a_mixture_of_slopes_reaches_two_over_alpha_exactly_at_its_radius(v):
    slopes = [(0.4, 0.5), (0.1, 0.3), (1.2, 0.2)]
    s = float(linear_radius(v, alpha=0.01, slopes=slopes))
    mixture = sum(w * math.exp(lam * s - lam * lam * v / 2) for lam, w in slopes)
    assert mixture == pytest.approx(2 / 0.01, rel=1e-10)
    # Each slope alone at its own share of alpha is an upper bound of the mixture's radius.
    alone = min(math.log(2 / (0.01 * w)) / lam + lam * v / 2 for lam, w in slopes)
    assert s <= alone + 1e-9


def test_planned_slopes_are_best_lambda_at_each_components_information_and_share():
    slopes = planned_slopes(0.04, 0.001)
    assert [w for _, w in slopes] == [w for _, w in PLANNED_CHANGES]
    assert sum(w for _, w in slopes) == pytest.approx(1.0)
    for (lam, weight), (multiple, _) in zip(slopes, PLANNED_CHANGES):
        assert lam == best_lambda(1 / (0.04 * multiple) ** 2, 0.001 * weight)


def test_no_one_selected_anywhere_gives_an_unbounded_sequence():
    est, low, high = log_ratio_sequence([0, 5], [100, 200], [0, 10], [100, 200], alpha=0.05, rho=5)
    assert math.isnan(est[0]) and low[0] == -math.inf and high[0] == math.inf
    assert np.isfinite([est[1], low[1], high[1]]).all() and low[1] < est[1] < high[1]


def test_the_linear_boundary_sequence_uses_the_same_katz_centre():
    slopes = planned_slopes(0.1, 0.05)
    est_m, *_ = log_ratio_sequence([30], [100], [60], [120], alpha=0.05, rho=5.0)
    est_l, low, high = log_ratio_sequence([30], [100], [60], [120], alpha=0.05, slopes=slopes)
    assert est_l[0] == pytest.approx(est_m[0], rel=1e-14)
    se = math.sqrt((1 - 0.3) / 30 + (1 - 0.5) / 60)
    v = 1 / se**2
    half = float(linear_radius(v, alpha=0.05, slopes=slopes)) / v
    assert (low[0], high[0]) == pytest.approx((est_l[0] - half, est_l[0] + half), rel=1e-12)


# -- the defining property, by simulation ------------------------------------------------


PATHS, LOOKS = 4_000, 200


def _walks(seed):
    """Sums of standard normal increments: S_t with variance process V_t = t."""
    steps = np.random.default_rng(seed).standard_normal((PATHS, LOOKS))
    return steps.cumsum(axis=1), np.arange(1, LOOKS + 1, dtype=float)


def _mc_bound(alpha):
    # alpha plus three Monte-Carlo standard errors at alpha.
    return alpha + 3 * math.sqrt(alpha * (1 - alpha) / PATHS)


@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_the_mixture_boundary_is_crossed_at_any_of_200_looks_at_most_alpha_of_the_time(alpha):
    s, v = _walks(seed=7)
    radius = mixture_radius(v, alpha=alpha, rho=best_rho(50.0, alpha))
    crossed = (np.abs(s) >= radius).any(axis=1).mean()
    assert crossed <= _mc_bound(alpha)
    # Not vacuous: a fixed-sample z-bound, checked at every look, is crossed far more often.
    z = norm.isf(alpha / 2) * np.sqrt(v)
    assert (np.abs(s) >= z).any(axis=1).mean() > 2 * alpha


def test_the_mixed_linear_boundary_is_crossed_at_most_alpha_of_the_time():
    s, v = _walks(seed=8)
    alpha = 0.1
    radius = linear_radius(v, alpha=alpha, slopes=planned_slopes(1 / math.sqrt(50.0), alpha))
    assert (np.abs(s) >= radius).any(axis=1).mean() <= _mc_bound(alpha)
