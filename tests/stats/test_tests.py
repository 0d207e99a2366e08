"""``adverse_impact.stats`` against scipy, statsmodels and published values."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.proportion import proportions_ztest

import adverse_impact as ai
from adverse_impact import stats


@st.composite
def two_groups(draw, max_n=60):
    n_a = draw(st.integers(1, max_n))
    n_b = draw(st.integers(1, max_n))
    return draw(st.integers(0, n_a)), n_a, draw(st.integers(0, n_b)), n_b


def _exact_pmf(x, total, successes, draws):
    """Hypergeometric probability as an exact fraction (independent of scipy)."""
    return Fraction(
        math.comb(successes, x) * math.comb(total - successes, draws - x), math.comb(total, draws)
    )


# -- published values ------------------------------------------------------------------


def test_eeoc_2023_example():
    # EEOC (2023) technical assistance on AI in selection: 48/80 White, 12/40 Black;
    # rates 60% and 30%, impact ratio 0.5.
    z = stats.two_proportion_z(12, 40, 48, 80)
    assert z.statistic == pytest.approx(-3.0984, abs=1e-4)  # |z| > 2: "two standard deviations"
    ratio = stats.impact_ratio_test(12, 40, 48, 80)
    # The interval excludes 1 (significant) but reaches past 0.8: with 120 applicants the
    # data cannot rule out a disparity that is merely under the four-fifths line.
    assert ratio.ratio == 0.5 and ratio.ci_low < 0.5 < 0.8 < ratio.ci_high < 1


def test_agresti_tea_tasting_mid_p():
    # Agresti, Categorical Data Analysis (2002), section 3.5.5: Fisher's tea tasting,
    # table [[3, 1], [1, 3]]: one-sided P = 0.243, mid-p = 0.243 - 0.229/2 = 0.129.
    result = stats.fisher_exact(3, 4, 1, 4)
    assert result.p_value_greater == pytest.approx(0.243, abs=5e-4)
    assert result.p_value_midp_greater == pytest.approx(0.129, abs=5e-4)
    assert result.p_value_midp == pytest.approx(2 * result.p_value_midp_greater)


def test_small_numbers_fail_four_fifths_but_nothing_is_significant():
    # 2 of 10 vs 5 of 10: ratio 0.4, yet Fisher p = 0.35 and |z| < 2.
    assert stats.impact_ratio_test(2, 10, 5, 10).ratio == pytest.approx(0.4)
    assert stats.fisher_exact(2, 10, 5, 10).p_value > 0.3
    assert abs(stats.two_proportion_z(2, 10, 5, 10).statistic) < 2


def test_large_numbers_pass_four_fifths_but_are_significant():
    # 8,300 of 10,000 vs 9,000 of 10,000: ratio 0.922 passes, z is about -14.
    assert stats.impact_ratio_test(8_300, 10_000, 9_000, 10_000).ratio > 0.8
    assert stats.two_proportion_z(8_300, 10_000, 9_000, 10_000).statistic < -10
    assert stats.fisher_exact(8_300, 10_000, 9_000, 10_000).p_value < 1e-20


def test_z_and_fisher_disagree():
    # 6 of 20 vs 13 of 20: z rejects at 0.05 (p = 0.026), Fisher's exact test does not.
    assert stats.two_proportion_z(6, 20, 13, 20).p_value < 0.05
    assert stats.fisher_exact(6, 20, 13, 20).p_value > 0.05


# -- against scipy and statsmodels -----------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(two_groups(max_n=2_000_000), st.booleans())
def test_fisher_two_sided_matches_scipy_for_large_tables(counts, mirror):
    # The far tail's boundary is searched on a log-gamma pmf and then checked
    # with the exact one; equal group sizes give exact ties (the mirror table).
    sa, na, sb, nb = counts
    if mirror:
        nb, sb = na, min(sb, na)
    table = [[sa, na - sa], [sb, nb - sb]]
    expected = sps.fisher_exact(table).pvalue
    assert stats.fisher_exact(sa, na, sb, nb).p_value == pytest.approx(
        expected, rel=1e-8, abs=1e-300
    )


def test_fisher_tail_search_agrees_with_the_exact_bisection():
    rng = np.random.default_rng(1)
    n_a = rng.integers(1_000, 3_000_000, 400)
    n_b = np.where(rng.random(400) < 0.5, n_a, rng.integers(1_000, 3_000_000, 400))
    sel_a = rng.binomial(n_a, 0.3)
    sel_b = rng.binomial(n_b, 0.3 + rng.normal(0, 0.01, 400).clip(-0.2, 0.2))
    fast = stats.fisher_exact(sel_a, n_a, sel_b, n_b).p_value
    for i in range(0, 400, 40):
        table = [[sel_a[i], n_a[i] - sel_a[i]], [sel_b[i], n_b[i] - sel_b[i]]]
        assert fast[i] == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-8, abs=1e-300)


@settings(max_examples=150, deadline=None)
@given(two_groups())
def test_z_matches_statsmodels_and_chi_square(counts):
    sa, na, sb, nb = counts
    result = stats.two_proportion_z(*counts)
    pooled = (sa + sb) / (na + nb)
    if 0 < pooled < 1:
        z, p = proportions_ztest([sa, sb], [na, nb])
        assert result.statistic == pytest.approx(z, rel=1e-9, abs=1e-12)
        assert result.p_value == pytest.approx(p, rel=1e-9, abs=1e-15)
        assert result.statistic**2 == pytest.approx(stats.chi_square(*counts).statistic, rel=1e-9)
    else:
        assert result.statistic == 0 and result.p_value == 1
    assert result.p_value_less + result.p_value_greater == pytest.approx(1)


@settings(max_examples=200, deadline=None)
@given(two_groups())
def test_fisher_matches_scipy(counts):
    sa, na, sb, nb = counts
    table = [[sa, na - sa], [sb, nb - sb]]
    result = stats.fisher_exact(*counts)
    assert result.p_value == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-9, abs=1e-14)
    assert result.p_value_less == pytest.approx(
        sps.fisher_exact(table, alternative="less").pvalue, rel=1e-9, abs=1e-14
    )
    assert result.p_value_greater == pytest.approx(
        sps.fisher_exact(table, alternative="greater").pvalue, rel=1e-9, abs=1e-14
    )
    expected_or = sps.fisher_exact(table).statistic
    if np.isnan(expected_or):
        assert np.isnan(result.odds_ratio)
    else:
        assert result.odds_ratio == pytest.approx(expected_or)


@settings(max_examples=100, deadline=None)
@given(two_groups(max_n=25))
def test_mid_p_against_exact_enumeration(counts):
    sa, na, sb, nb = counts
    total, successes = na + nb, sa + sb
    support = range(max(0, na - (total - successes)), min(successes, na) + 1)
    pmf = {x: _exact_pmf(x, total, successes, na) for x in support}
    less = sum(p for x, p in pmf.items() if x < sa) + pmf[sa] / 2
    greater = sum(p for x, p in pmf.items() if x > sa) + pmf[sa] / 2
    result = stats.fisher_exact(*counts)
    assert result.p_value_midp_less == pytest.approx(float(less), abs=1e-12)
    assert result.p_value_midp_greater == pytest.approx(float(greater), abs=1e-12)
    assert result.p_value_midp == pytest.approx(float(min(1, 2 * min(less, greater))), abs=1e-12)
    # The exact two-sided (minimum-likelihood) p from exact fractions, too.
    two = sum(p for p in pmf.values() if p <= pmf[sa])
    assert result.p_value == pytest.approx(float(two), abs=1e-12)


def test_fisher_is_fast_and_exact_for_large_groups():
    # 100 groups of 100,000: the far-tail boundary is found by bisection.
    rng = np.random.default_rng(0)
    n = np.full(100, 100_000)
    sel_a = rng.binomial(n, 0.30)
    sel_b = rng.binomial(n, 0.31)
    result = stats.fisher_exact(sel_a, n, sel_b, n)
    for i in (0, 17, 99):
        table = [[sel_a[i], n[i] - sel_a[i]], [sel_b[i], n[i] - sel_b[i]]]
        assert result.p_value[i] == pytest.approx(sps.fisher_exact(table).pvalue, rel=1e-8)


@settings(max_examples=150, deadline=None)
@given(two_groups())
def test_chi_square_matches_scipy(counts):
    sa, na, sb, nb = counts
    table = np.array([[sa, na - sa], [sb, nb - sb]])
    result = stats.chi_square(*counts)
    if (table.sum(axis=0) == 0).any():
        assert result.statistic == 0 and result.p_value == 1
        return
    plain = sps.chi2_contingency(table, correction=False)
    yates = sps.chi2_contingency(table, correction=True)
    assert result.statistic == pytest.approx(plain.statistic, rel=1e-9, abs=1e-12)
    assert result.p_value == pytest.approx(plain.pvalue, rel=1e-9, abs=1e-14)
    assert result.statistic_yates == pytest.approx(yates.statistic, rel=1e-9, abs=1e-12)
    assert result.p_value_yates == pytest.approx(yates.pvalue, rel=1e-9, abs=1e-14)


@settings(max_examples=150, deadline=None)
@given(two_groups())
def test_impact_ratio_interval_matches_statsmodels_katz(counts):
    sa, na, sb, nb = counts
    result = stats.impact_ratio_test(*counts, confidence=0.9)
    if 0 < sa < na and 0 < sb < nb:  # statsmodels shifts every zero cell by 0.5
        table = Table2x2(np.array([[sa, na - sa], [sb, nb - sb]], dtype=float))
        low, high = table.riskratio_confint(alpha=0.1, method="normal")
        assert result.ci_low == pytest.approx(low, rel=1e-9)
        assert result.ci_high == pytest.approx(high, rel=1e-9)
        assert not result.corrected
        assert result.ci_low <= result.ratio <= result.ci_high
    elif sa > 0 and sb > 0:  # everybody selected in a group: no correction needed
        assert not result.corrected and result.ci_low <= result.ratio <= result.ci_high
    elif sa + sb > 0:
        assert result.corrected and result.ci_low < result.ci_high
    else:
        assert result.statistic == 0 and result.p_value == 1 and math.isnan(result.ci_low)
    assert 0 <= result.p_value <= 1


def test_impact_ratio_z_is_morris_lobsenz():
    # Z_IR = ln(p_a/p_b) / sqrt((1-P)/P (1/n_a + 1/n_b)), Morris & Lobsenz (2000), eq. 5.
    result = stats.impact_ratio_test(12, 40, 48, 80)
    pooled = 60 / 120
    expected = math.log(0.3 / 0.6) / math.sqrt((1 - pooled) / pooled * (1 / 40 + 1 / 80))
    assert result.statistic == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(two_groups(max_n=30), min_size=1, max_size=6))
def test_mantel_haenszel_matches_statsmodels(strata):
    tables = np.array([[[sa, na - sa], [sb, nb - sb]] for sa, na, sb, nb in strata], dtype=float)
    result = stats.mantel_haenszel(tables)
    informative = [t for t in tables if (t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all()]
    assert result.n_strata == len(tables) and result.n_strata_used == len(informative)
    if not informative:
        assert math.isnan(result.statistic)
        return
    reference = StratifiedTable([t for t in informative])
    assume(all(t.sum() > 1 for t in informative))
    assert result.statistic == pytest.approx(
        reference.test_null_odds(correction=False).statistic, rel=1e-9
    )
    deviation = sum(t[0, 0] for t in informative) - sum(
        t[0].sum() * t[:, 0].sum() / t.sum() for t in informative
    )
    if abs(deviation) >= 0.5:  # below 1/2 statsmodels over-corrects; we stop at zero
        assert result.statistic_corrected == pytest.approx(
            reference.test_null_odds(correction=True).statistic, rel=1e-9, abs=1e-12
        )
    else:
        assert result.statistic_corrected == 0
    assert result.p_value == pytest.approx(reference.test_null_odds().pvalue, rel=1e-9)
    if 0 < result.odds_ratio < math.inf:
        assert result.odds_ratio == pytest.approx(reference.oddsratio_pooled, rel=1e-9)
        low, high = reference.oddsratio_pooled_confint()
        if not np.isfinite(low):
            # statsmodels gives NaN on some tables with zero cells; check the
            # Robins-Breslow-Greenland formula directly instead.
            low, high = _rbg_interval(informative)
        assert result.ci_low == pytest.approx(low, rel=1e-8)
        assert result.ci_high == pytest.approx(high, rel=1e-8)
        if len(informative) > 1:
            tarone = reference.test_equal_odds(adjust=True)
            assert result.breslow_day == pytest.approx(tarone.statistic, rel=1e-6, abs=1e-9)


def _rbg_interval(tables, z=1.959963984540054):
    """Robins, Breslow & Greenland (1986) 95% interval, written out term by term."""
    r_sum = s_sum = pr = ps_qr = qs = 0.0
    for (a, b), (c, d) in tables:
        n = a + b + c + d
        p, q, r, s = (a + d) / n, (b + c) / n, a * d / n, b * c / n
        r_sum, s_sum = r_sum + r, s_sum + s
        pr, ps_qr, qs = pr + p * r, ps_qr + p * s + q * r, qs + q * s
    var = pr / (2 * r_sum**2) + ps_qr / (2 * r_sum * s_sum) + qs / (2 * s_sum**2)
    log_or = math.log(r_sum / s_sum)
    return math.exp(log_or - z * math.sqrt(var)), math.exp(log_or + z * math.sqrt(var))


def test_mantel_haenszel_interval_where_statsmodels_gives_nan():
    # Found by hypothesis: statsmodels returns NaN for this interval.
    tables = [[[7, 7], [0, 1]], [[7, 7], [1, 0]]]
    result = stats.mantel_haenszel(tables)
    low, high = _rbg_interval(np.array(tables, dtype=float))
    assert result.odds_ratio == pytest.approx(1.0)
    assert result.ci_low == pytest.approx(low) and result.ci_high == pytest.approx(high)


def test_mantel_haenszel_shows_simpsons_paradox():
    tables = [[[30, 70], [5, 15]], [[18, 2], [80, 20]]]
    pooled = stats.mantel_haenszel(tables)
    naive = stats.odds_ratio(48, 120, 85, 120)
    assert pooled.odds_ratio > 1 > naive.odds_ratio


# -- effect sizes and small-number checks ----------------------------------------------


@settings(max_examples=100, deadline=None)
@given(two_groups())
def test_odds_ratio_matches_statsmodels_when_no_cell_is_zero(counts):
    sa, na, sb, nb = counts
    assume(0 < sa < na and 0 < sb < nb)
    table = Table2x2(np.array([[sa, na - sa], [sb, nb - sb]], dtype=float))
    result = stats.odds_ratio(*counts)
    assert result.odds_ratio == pytest.approx(table.oddsratio)
    low, high = table.oddsratio_confint()
    assert result.ci_low == pytest.approx(low) and result.ci_high == pytest.approx(high)


def test_effect_sizes():
    assert stats.rate_difference(12, 40, 48, 80) == pytest.approx(-0.3)
    # Cohen (1988): h = phi_1 - phi_2 with phi = 2 arcsin sqrt(p).
    assert stats.cohens_h(12, 40, 48, 80) == pytest.approx(
        2 * math.asin(math.sqrt(0.3)) - 2 * math.asin(math.sqrt(0.6))
    )
    assert stats.odds_ratio(0, 10, 5, 10).corrected


def test_shortfall_both_conventions():
    result = stats.shortfall(12, 40, 48, 80, overall_rate=0.45)
    assert result.shortfall_reference == 12.0 and result.shortfall_overall == pytest.approx(6.0)


@pytest.mark.parametrize(
    "counts,expected",
    [
        ((1, 4, 2, 4), True),  # 25% vs 50% becomes 50% vs 25%
        ((1, 4, 3, 4), False),  # becomes 50% vs 50%: a tie is not a reversal
        ((0, 10, 0, 10), False),  # nothing to move
        ((12, 40, 48, 80), False),
        ((3, 4, 1, 4), False),  # a is not below b
        ((2, 10, 3, 10), True),
    ],
)
def test_flip_flop(counts, expected):
    assert stats.flip_flop(*counts) is expected


@settings(max_examples=150, deadline=None)
@given(two_groups())
def test_flip_flop_matches_exact_fractions(counts):
    sa, na, sb, nb = counts
    expected = (
        Fraction(sa, na) < Fraction(sb, nb)
        and sb >= 1
        and Fraction(sa + 1, na) > Fraction(sb - 1, nb)
        and sa < na
    )
    assert stats.flip_flop(*counts) is expected


@settings(max_examples=60, deadline=None)
@given(st.lists(two_groups(), min_size=1, max_size=8))
def test_vectorised_equals_scalar(rows):
    arrays = [np.array(column) for column in zip(*rows)]
    for function in (
        stats.two_proportion_z,
        stats.fisher_exact,
        stats.chi_square,
        stats.impact_ratio_test,
        stats.shortfall,
        stats.odds_ratio,
    ):
        vector = function(*arrays).to_dict()
        for i, row in enumerate(rows):
            scalar = function(*row).to_dict()
            for key, value in scalar.items():
                if isinstance(value, float) and isinstance(vector[key], list):
                    assert vector[key][i] == pytest.approx(value, nan_ok=True), key
    assert list(stats.flip_flop(*arrays)) == [stats.flip_flop(*row) for row in rows]


# -- errors and results ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args,name",
    [
        ((5, 4, 1, 4), "sel_a"),
        ((1, 4, 5, 4), "sel_b"),
        ((-1, 4, 1, 4), "sel_a"),
        ((1, 0, 1, 4), "n_a"),
        ((1.5, 4, 1, 4), "sel_a"),
        ((1, 4, 1, float("nan")), "n_b"),
        (("x", 4, 1, 4), "sel_a"),
    ],
)
def test_bad_counts_name_the_argument(args, name):
    with pytest.raises(ai.InputError, match=name):
        stats.fisher_exact(*args)


def test_bad_tables_and_confidence():
    with pytest.raises(ai.InputError, match="tables"):
        stats.mantel_haenszel([[1, 2], [3, 4]])
    with pytest.raises(ai.InputError, match="confidence"):
        stats.impact_ratio_test(1, 4, 2, 4, confidence=95)


def test_results_are_immutable_and_readable():
    result = stats.two_proportion_z(12, 40, 48, 80)
    with pytest.raises(AttributeError):
        result.statistic = 0  # type: ignore[misc]
    assert repr(result).startswith("ZTestResult(statistic=-3.098")
    assert set(result.to_dict()) == {"statistic", "p_value", "p_value_less", "p_value_greater"}
    assert "array" not in repr(stats.two_proportion_z([1, 2], [4, 4], [2, 2], [4, 4]))


def test_far_tail_search_is_exact_whatever_its_guide_says():
    # The log-gamma pmf only guides the bisection; its answer is confirmed with
    # the exact pmf and searched again where it is wrong.  A badly perturbed
    # guide must give the same boundaries as an exact bisection.
    from scipy.stats import hypergeom

    from adverse_impact._stats import _tests as module

    rng = np.random.default_rng(2)
    total = rng.integers(100, 2_000_000, 300).astype(float)
    successes = np.floor(total * rng.uniform(0.1, 0.9, 300))
    draws = np.floor(total * rng.uniform(0.1, 0.9, 300))
    mode = np.floor((draws + 1) * (successes + 1) / (total + 2))
    high = np.minimum(successes, draws)
    # A threshold a few standard deviations out on the left, so the far tail is
    # on the right of the mode.
    sd = np.sqrt(draws * successes / total * (1 - successes / total))
    x = np.maximum(mode - np.ceil(rng.uniform(1, 4, 300) * sd), 0)
    threshold = hypergeom.pmf(x, total, successes, draws) * (1 + 1e-14)
    tail = hypergeom.pmf(high, total, successes, draws) <= threshold
    args = [a[tail] for a in (total, successes, draws, mode, high, threshold)]
    exact = module._bisect_tail(
        lambda k: hypergeom.pmf(k, *args[:3]), args[3].copy(), args[4].copy(), args[5]
    )
    noise = np.random.default_rng(3)

    def noisy(k, *rest):
        return module._log_pmf(k, *rest) + noise.normal(0, 0.5, np.shape(k))

    found = module._other_tail(*args, guide=noisy)
    np.testing.assert_array_equal(found, exact)
    np.testing.assert_array_equal(module._other_tail(*args), exact)


def test_pmf_comparison_is_exact_at_near_ties():
    from scipy.stats import hypergeom

    from adverse_impact._stats import _tests as module

    rng = np.random.default_rng(4)
    total = rng.integers(10, 10_000_000, 2_000).astype(float)
    successes = np.floor(total * rng.uniform(0.05, 0.95, 2_000))
    draws = np.floor(total * rng.uniform(0.05, 0.95, 2_000))
    low = np.maximum(0, draws - (total - successes))
    high = np.minimum(successes, draws)
    # Half near the mode (pmf well above underflow), half anywhere (mostly 0.0).
    mode = np.floor((draws + 1) * (successes + 1) / (total + 2))
    sd = np.sqrt(draws * successes / total * (1 - successes / total))
    near = np.clip(np.round(mode + rng.normal(0, 3, 2_000) * sd), low, high)
    anywhere = np.floor(low + rng.uniform(0, 1, 2_000) * (high - low))
    k = np.where(np.arange(2_000) % 2 == 0, near, anywhere)
    pmf = hypergeom.pmf(k, total, successes, draws)
    for factor in (1 - 1e-13, 1 - 1e-15, 1.0, 1 + 1e-15, 1 + 1e-13, 0.5, 2.0):
        threshold = pmf * factor
        np.testing.assert_array_equal(
            module._exceeds(k, total, successes, draws, threshold), pmf > threshold
        )


# -- Breslow-Day near a common odds ratio of 1 (issue 19) -------------------------------


def _breslow_day_mpmath(tables):
    """Breslow-Day with Tarone's adjustment at 60 digits, from the integer counts."""
    import mpmath

    with mpmath.workdps(60):
        t = [[[mpmath.mpf(int(v)) for v in row] for row in table] for table in tables]
        odds = sum(x[0][0] * x[1][1] / (x[0][0] + x[0][1] + x[1][0] + x[1][1]) for x in t) / sum(
            x[0][1] * x[1][0] / (x[0][0] + x[0][1] + x[1][0] + x[1][1]) for x in t
        )
        diffs, variances = [], []
        for (a, b), (c, d) in t:
            r1, c1, n = a + b, a + c, a + b + c + d
            lo, hi = max(0, c1 - (n - r1)), min(r1, c1)
            qa, qb, qc = 1 - odds, (n - r1 - c1) + odds * (r1 + c1), -odds * r1 * c1
            disc = mpmath.sqrt(qb**2 - 4 * qa * qc)
            roots = [(-qb + disc) / (2 * qa), (-qb - disc) / (2 * qa)] if qa else [-qc / qb]
            (x,) = [r for r in roots if lo <= r <= hi]
            diffs.append(a - x)
            variances.append(1 / (1 / x + 1 / (r1 - x) + 1 / (c1 - x) + 1 / (n - r1 - c1 + x)))
        statistic = sum(d**2 / v for d, v in zip(diffs, variances)) - sum(diffs) ** 2 / sum(
            variances
        )
        p_value = mpmath.gammainc(
            mpmath.mpf(len(t) - 1) / 2, statistic / 2, mpmath.inf, regularized=True
        )
        return float(1 - odds), float(statistic), float(p_value)


@pytest.mark.parametrize(
    "m1,m2",
    [
        (10**4, 10**4 - 1),
        (10**4, 10**4 - 30),
        (3000, 2999),
        (400, 399),
        (100, 90),
        (10**5, 10**5 - 1),
    ],
)
def test_breslow_day_is_accurate_when_the_pooled_odds_ratio_is_near_one(m1, m2):
    # Stratum 1 has odds ratio 1 + 1/m1, stratum 2 m2 / (m2 + 1), stratum 3 exactly 1:
    # the pooled odds ratio is within about (m1 - m2) / (8 m^3) of 1, here 1e-15 to 1e-4.
    tables = [[[m1, m1], [m1, m1 + 1]], [[m2, m2 + 1], [m2, m2]], [[2, 3], [40, 60]]]
    gap, statistic, p_value = _breslow_day_mpmath(tables)
    assert 1e-16 < abs(gap) < 1e-3
    result = stats.mantel_haenszel(tables)
    assert result.breslow_day == pytest.approx(statistic, rel=1e-8, abs=1e-14)
    assert result.breslow_day_p_value == pytest.approx(p_value, rel=1e-9)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_breslow_day_p_value_has_k_minus_1_degrees_of_freedom(k):
    # The p-value, not only the statistic, against statsmodels (a df of K survived).
    rng = np.random.default_rng(k)
    tables = rng.integers(5, 40, size=(k, 2, 2)).astype(float)
    tarone = StratifiedTable(list(tables)).test_equal_odds(adjust=True)
    result = stats.mantel_haenszel(tables)
    assert result.breslow_day == pytest.approx(tarone.statistic, rel=1e-9)
    assert result.breslow_day_p_value == pytest.approx(tarone.pvalue, rel=1e-9)


def test_to_dict_is_strict_json_where_a_statistic_is_undefined():
    # No one selected in either group: the impact ratio is 0/0 and the sample odds ratio
    # undefined.
    # Strict JSON (allow_nan=False) refuses NaN, so to_dict() gives null there, as every
    # other result of the library does, while to_frame() keeps the float NaN.
    import json

    for result in (
        stats.impact_ratio_test(0, 10, 0, 10),
        stats.fisher_exact(0, 10, 0, 10),
        stats.impact_ratio_test([0, 3], [10, 10], [0, 5], [10, 10]),
    ):
        text = json.dumps(result.to_dict(), allow_nan=False)
        assert "null" in text
        assert result.to_frame().isna().any().any()


def test_breslow_day_degrees_of_freedom_count_informative_strata_only():
    # Sibling of the K-1 mutant: an uninformative stratum (nobody selected) is left
    # out of the degrees of freedom too.
    from scipy.stats import chi2
    from statsmodels.stats.contingency_tables import StratifiedTable

    informative = [[[10, 20], [15, 5]], [[8, 12], [9, 11]], [[30, 10], [20, 25]]]
    result = ai.stats.mantel_haenszel(informative + [[[0, 10], [0, 12]]])
    reference = StratifiedTable([np.array(t, dtype=float) for t in informative]).test_equal_odds(
        adjust=True
    )
    assert result.n_strata == 4 and result.n_strata_used == 3
    assert result.breslow_day == pytest.approx(reference.statistic, rel=1e-9)
    assert result.breslow_day_p_value == pytest.approx(chi2.sf(reference.statistic, 2), rel=1e-9)
