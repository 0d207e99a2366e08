"""Significance columns, comparison conventions, strata and gate rules in ``ai.audit``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import proportions_ztest
from tests._helpers import applicants

import adverse_impact as ai


def _row(result, group):
    table = result.table
    return table.loc[table["group"] == group].iloc[0]


def test_eeoc_2023_example_columns_against_scipy_and_statsmodels():
    # EEOC (2023), "Select Issues: Assessing Adverse Impact in Software, Algorithms, and
    # Artificial Intelligence Used in Employment Selection Procedures": 48/80 vs 12/40.
    result = ai.audit(
        applicants({"White": (48, 80), "Black": (12, 40)}),
        selected="selected",
        sensitive_features="group",
    )
    black, white = _row(result, "Black"), _row(result, "White")
    z, p = proportions_ztest([12, 48], [40, 80])
    assert black["statistic_z"] == pytest.approx(z) and black["p_value_z"] == pytest.approx(p)
    assert black["p_value_fisher"] == pytest.approx(sps.fisher_exact([[12, 28], [48, 32]]).pvalue)
    assert black["shortfall"] == pytest.approx(40 * 0.6 - 12)
    assert black["ir_ci_low"] < 0.5 < black["ir_ci_high"] < 1
    assert bool(black["significant"]) and not bool(black["flip_flop"])
    # The reference row's tests are empty, not zero.
    assert white[["statistic_z", "p_value_z", "p_value_fisher", "shortfall"]].isna().all()
    assert pd.isna(white["significant"]) and pd.isna(white["flip_flop"])
    assert result.params["test"] == "fisher" and result.params["alpha"] == 0.05


def test_comparison_rest_tests_each_group_against_all_others():
    data = applicants({"A": (30, 50), "B": (20, 50), "C": (10, 50)})
    result = ai.audit(data, selected="selected", sensitive_features="group", comparison="rest")
    for group, (s, n) in {"A": (30, 50), "B": (20, 50), "C": (10, 50)}.items():
        rest_s, rest_n = 60 - s, 150 - n
        expected = sps.fisher_exact([[s, n - s], [rest_s, rest_n - rest_s]]).pvalue
        assert _row(result, group)["p_value_fisher"] == pytest.approx(expected)
        assert _row(result, group)["shortfall"] == pytest.approx(n * rest_s / rest_n - s)
    # Only groups *below* the rest count as significant.
    assert not bool(_row(result, "A")["significant"])
    assert bool(_row(result, "C")["significant"])


def test_excluded_groups_are_not_tested():
    data = applicants({"A": (300, 500), "B": (200, 500), "tiny": (0, 5)})
    result = ai.audit(data, selected="selected", sensitive_features="group", min_share=0.02)
    tiny = _row(result, "tiny")
    assert tiny["excluded"] and np.isnan(tiny["p_value_fisher"]) and pd.isna(tiny["significant"])


def test_the_test_choice_drives_significant():
    # z and Fisher disagree here (z p = 0.027, Fisher p = 0.056): 6/20 vs 13/20.
    data = applicants({"F": (6, 20), "M": (13, 20)})
    by_z = ai.audit(data, selected="selected", sensitive_features="group", test="z")
    by_fisher = ai.audit(data, selected="selected", sensitive_features="group")
    assert _row(by_z, "F")["p_value_z"] < 0.05 < _row(by_z, "F")["p_value_fisher"]
    assert bool(_row(by_z, "F")["significant"]) and not bool(_row(by_fisher, "F")["significant"])


@pytest.mark.parametrize(
    "bad", [{"alpha": 0}, {"alpha": 1.5}, {"comparison": "others"}, {"test": "t"}]
)
def test_bad_options_name_the_argument(bad):
    ((name, value),) = bad.items()
    with pytest.raises(ai.InputError, match=name):
        ai.audit(
            applicants({"F": (6, 20), "M": (13, 20)}),
            selected="selected",
            sensitive_features="group",
            **bad,
        )


def test_weighted_audit_has_no_per_row_tests_but_a_family_test():
    # Per-row tests need counts of people; the gate's family test draws people and
    # weighs them by their cell's weight, so a weighted audit has a significance rule.
    data = applicants({"F": (6, 20), "M": (13, 20)})
    data["w"] = 1.5
    result = ai.audit(
        data, selected="selected", sensitive_features="group", sample_weight="w", random_state=0
    )
    assert "p_value_fisher" not in result.table and result.params["test"] is None
    assert result.passes(0.3)
    unweighted = ai.audit(data, selected="selected", sensitive_features="group", random_state=0)
    # Constant weights: the same statistic and the same draws as the unweighted audit.
    np.testing.assert_allclose(
        result.table["p_value_adjusted"], unweighted.table["p_value_adjusted"]
    )
    assert result.passes(alpha=0.05) == unweighted.passes(alpha=0.05)


def test_passes_rules():
    small = ai.audit(
        applicants({"F": (2, 10), "M": (5, 10)}), selected="selected", sensitive_features="group"
    )
    assert not small.passes() and small.passes(alpha=0.05) and not small.passes(rule="either")
    assert small.passes(rule="significance") and small.passes(rule="both")
    large = ai.audit(
        applicants({"F": (8_300, 10_000), "M": (9_000, 10_000)}),
        selected="selected",
        sensitive_features="group",
    )
    assert large.passes() and not large.passes(rule="significance")
    assert not large.passes(rule="either") and large.passes(rule="both")
    # A stricter alpha re-reads the p-value.
    moderate = ai.audit(
        applicants({"F": (40, 100), "M": (60, 100)}),
        selected="selected",
        sensitive_features="group",
    )
    p = _row(moderate, "F")["p_value_fisher"]
    assert 0.001 < p < 0.05
    assert not moderate.passes(rule="significance")
    assert moderate.passes(rule="significance", alpha=0.001)
    assert len(moderate.flagged(rule="significance")) == 1
    with pytest.raises(ai.InputError, match="rule"):
        moderate.passes(rule="strict")


def _simpson():
    # Women apply mostly to the selective department; within each they do better.
    rows = []
    for dept, counts in {
        "hard": {"F": (30, 100), "M": (5, 20)},
        "easy": {"F": (18, 20), "M": (80, 100)},
    }.items():
        frame = applicants(counts)
        frame["dept"] = dept
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def test_strata_pool_by_mantel_haenszel_beside_the_naive_aggregate():
    data = _simpson()
    result = ai.audit(data, selected="selected", sensitive_features="group", strata="dept")
    f = _row(result, "F")
    assert f["impact_ratio"] < 0.8  # naive: 48/120 vs 85/120
    pooled = result.pooled
    row = pooled.loc[pooled["group"] == "F"].iloc[0]
    tables = [np.array([[30, 70], [5, 15]]), np.array([[18, 2], [80, 20]])]
    reference = StratifiedTable(tables)
    assert row["mh_odds_ratio"] == pytest.approx(reference.oddsratio_pooled)
    assert row["cmh_p_value"] == pytest.approx(reference.test_null_odds(correction=False).pvalue)
    assert row["n_strata"] == 2 and row["n_strata_used"] == 2
    assert row["mh_odds_ratio"] > 1 > row["naive_odds_ratio"] and bool(row["simpson_reversal"])
    assert row["comparison"] == "M" and row["n"] == 120 and row["selected"] == 48


def test_strata_rows_with_missing_stratum_are_in_the_table_but_not_pooled():
    data = _simpson()
    data.loc[0, "dept"] = None
    result = ai.audit(data, selected="selected", sensitive_features="group", strata="dept")
    assert _row(result, "F")["n"] == 120
    assert result.pooled.loc[result.pooled["group"] == "F", "n"].item() == 119


def test_strata_on_polars_equal_pandas():
    pl = pytest.importorskip("polars")
    data = _simpson()
    on_pandas = ai.audit(data, selected="selected", sensitive_features="group", strata="dept")
    on_polars = ai.audit(
        pl.from_pandas(data), selected="selected", sensitive_features="group", strata="dept"
    )
    pd.testing.assert_frame_equal(on_pandas.pooled, on_polars.pooled)
    pd.testing.assert_frame_equal(on_pandas.table, on_polars.table)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 40)), min_size=2, max_size=5))
def test_p_values_bounded_and_reference_rows_empty(groups):
    counts = {f"g{i}": (min(s, n), n) for i, (s, n) in enumerate(groups)}
    result = ai.audit(applicants(counts), selected="selected", sensitive_features="group")
    table = result.table
    for column in ("p_value_z", "p_value_fisher", "p_value_fisher_midp"):
        values = table[column].dropna()
        assert ((values >= 0) & (values <= 1)).all()
    ref = table["is_reference"]
    assert table.loc[ref, "p_value_fisher"].isna().all()
    tested = ~ref & table["impact_ratio"].notna()
    assert table.loc[tested, "p_value_fisher"].notna().all()


@settings(max_examples=150, deadline=None)
@given(
    n_a=st.integers(1, 5_000),
    n_b=st.integers(1, 200_000),
    share=st.floats(0, 1),
    test=st.sampled_from(["fisher", "fisher_midp"]),
)
def test_detectable_shortcut_decides_exactly_at_the_p_value(n_a, n_b, share, test):
    # `detectable` decides most groups from bounds on P(X = 0) without running Fisher's
    # test; at alpha equal to the full test's p-value (and one ulp above) the bounds
    # cannot decide, so this pins the shortcut to the full computation at its boundary.
    # The full test is itself checked against scipy (tests/stats/test_tests.py).
    from adverse_impact._stats._significance import detectable

    sel_b = int(round(share * n_b))
    full = ai.stats.fisher_exact(0, n_a, sel_b, n_b)
    p = full.p_value if test == "fisher" else full.p_value_midp
    if not 1e-300 < p < 1:
        # Below the normal doubles scipy's pmf (and so the full test) loses its
        # relative precision; no one audits at an alpha that small.
        return

    def decide(alpha):
        return bool(
            detectable(np.array([n_a]), np.array([sel_b]), np.array([n_b]), alpha=alpha, test=test)
        )

    assert not decide(p)  # "significant" means p < alpha, strictly
    assert decide(np.nextafter(p, 1.0)) == (sel_b > 0)
    assert decide(p * 1.001) == (sel_b > 0) and not decide(p / 1.001)


@settings(max_examples=80, deadline=None)
@given(n_a=st.integers(1, 3_000), n_b=st.integers(1, 100_000), share=st.floats(0, 1))
def test_detectable_mid_p_is_the_probability_of_no_selection(n_a, n_b, share):
    # With no one selected from the group, the doubled two-sided mid-p is exactly
    # min(P(X = 0), 1): the reference is scipy's hypergeometric pmf.
    from adverse_impact._stats._significance import detectable

    sel_b = int(round(share * n_b))
    p0 = sps.hypergeom.pmf(0, n_a + n_b, sel_b, n_a)
    assert ai.stats.fisher_exact(0, n_a, sel_b, n_b).p_value_midp == pytest.approx(p0, rel=1e-9)
    for alpha in (0.05, 0.001):
        got = detectable(
            np.array([n_a]), np.array([sel_b]), np.array([n_b]), alpha=alpha, test="fisher_midp"
        )
        if abs(p0 - alpha) > 1e-9 * alpha:
            assert bool(got[0]) == (p0 < alpha and sel_b > 0)
