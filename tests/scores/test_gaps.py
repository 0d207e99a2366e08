"""Score gaps: Cohen's d, Hedges' g and its interval, KS (implied ratio: test_implied.py)."""

from __future__ import annotations

import dataclasses
import json
import math
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

import adverse_impact as ai


def _exact(mean: float, sd: float, n: int, seed: int) -> np.ndarray:
    """n values whose sample mean and SD (ddof=1) are exactly ``mean`` and ``sd``."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


# -- score gaps ---------------------------------------------------------------------


def test_borenstein_worked_example():
    # Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to Meta-Analysis,
    # ch. 4: means 103 and 100, SDs 5.5 and 4.5, n = 50 each: d = 0.5970,
    # V_d = 0.0418, J = 0.9923, g = 0.5924, V_g = 0.0411 (SE 0.2028).
    score = np.concatenate([_exact(103, 5.5, 50, 1), _exact(100, 4.5, 50, 2)])
    groups = ["treated"] * 50 + ["control"] * 50
    row = (
        ai.score_gaps(score=score, sensitive_features={"arm": groups}, reference="treated")
        .table.set_index("group")
        .loc["control"]
    )
    assert row["d"] == pytest.approx(0.5970, abs=5e-5)
    assert row["g"] == pytest.approx(0.5924, abs=5e-5)
    assert row["g_se"] ** 2 == pytest.approx(0.0411, abs=1e-4)
    assert row["g_ci_low"] == pytest.approx(0.5924 - 1.959964 * 0.2028, abs=5e-4)


def test_d_and_g_match_a_direct_computation_and_ks_matches_scipy():
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(1, 2, 70), rng.normal(0, 1.5, 30), rng.gamma(2, 1, 45)
    score = np.concatenate([a, b, c])
    groups = np.array(["a"] * 70 + ["b"] * 30 + ["c"] * 45, dtype=object)
    table = ai.score_gaps(score=score, sensitive_features=groups, reference="a").table.set_index(
        "group"
    )
    for label, x in (("b", b), ("c", c)):
        n1, n2 = len(a), len(x)
        pooled = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * x.var(ddof=1)) / (n1 + n2 - 2))
        d = (a.mean() - x.mean()) / pooled
        j = 1 - 3 / (4 * (n1 + n2 - 2) - 1)  # Hedges & Olkin's approximation
        assert table.loc[label, "d"] == pytest.approx(d, rel=1e-12)
        assert table.loc[label, "g"] == pytest.approx(j * d, rel=1e-4)
        ks = ks_2samp(x, a)
        assert table.loc[label, "ks_statistic"] == pytest.approx(ks.statistic, rel=1e-12)
        assert table.loc[label, "ks_p_value"] == pytest.approx(ks.pvalue, rel=1e-12)
    assert table.loc["a", "is_reference"] and table.loc["a", "note"] == "reference"


def test_highest_mean_is_the_default_reference():
    score = [1.0, 2.0, 3.0, 5.0, 6.0, 7.0]
    gaps = ai.score_gaps(score=score, sensitive_features=["x", "x", "x", "y", "y", "y"])
    assert gaps.reference == {"group": "y"}
    assert gaps.table.set_index("group").loc["x", "d"] == pytest.approx(4.0)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-1e3, 1e3), scale=st.floats(1e-2, 1e2), seed=st.integers(0, 2**16))
def test_d_invariant_to_shift_and_scale_of_all_scores(shift, scale, seed):
    rng = np.random.default_rng(seed)
    score = rng.normal(0, 1, 60) + np.repeat([0.0, 0.7], 30)
    groups = {"g": np.repeat(["p", "q"], 30)}
    base = ai.score_gaps(
        score=score, sensitive_features=groups, reference="q", thresholds=[0.0]
    ).table
    moved = ai.score_gaps(
        score=shift + scale * score, sensitive_features=groups, reference="q", thresholds=[shift]
    ).table
    for column in ("d", "g", "g_ci_low", "g_ci_high", "ks_statistic"):
        np.testing.assert_allclose(moved[column], base[column], rtol=1e-7, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_swapping_group_roles_flips_the_sign(seed):
    rng = np.random.default_rng(seed)
    score = rng.normal(0, 1, 50)
    groups = {"g": np.array(["p"] * 20 + ["q"] * 30, dtype=object)}
    d_pq = (
        ai.score_gaps(score=score, sensitive_features=groups, reference="p", thresholds=[0])
        .table.set_index("group")
        .loc["q", "d"]
    )
    d_qp = (
        ai.score_gaps(score=score, sensitive_features=groups, reference="q", thresholds=[0])
        .table.set_index("group")
        .loc["p", "d"]
    )
    assert d_qp == pytest.approx(-d_pq, rel=1e-12, abs=1e-15)


def test_constant_scores_leave_d_undefined_and_say_why():
    score = [0.5, 0.5, 0.5, 0.1, 0.4, 0.9]
    with np.errstate(all="raise"):  # no division by zero anywhere
        gaps = ai.score_gaps(
            score=score,
            sensitive_features=["a", "a", "a", "b", "b", "b"],
            reference="b",
            thresholds=[0.45],
        )
    row = gaps.table.set_index("group").loc["a"]
    assert math.isnan(row["d"]) and math.isnan(row["g"]) and math.isnan(row["g_ci_low"])
    assert "constant" in row["note"] and "'a'" in row["note"]
    assert "d undefined" in gaps.summary()
    assert math.isnan(gaps.thresholds.set_index("group").loc["a", "implied_impact_ratio"])
    single = ai.score_gaps(score=[1.0, 2.0, 3.0], sensitive_features=["a", "b", "b"], reference="b")
    assert "fewer than 2" in single.table.set_index("group").loc["a", "note"]


def test_ratios_at_cutoffs_agree_with_threshold_sweep():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "score": rng.normal(0, 1, 900),
            "sex": rng.choice(["F", "M"], 900, p=[0.4, 0.6]),
            "race": rng.choice(["A", "B", "C"], 900),
        }
    )
    df.loc[df["sex"] == "M", "score"] += 0.4
    gaps = ai.score_gaps(df, score="score", sensitive_features=["sex", "race"])
    grid = np.quantile(df["score"], np.linspace(0.1, 0.9, 9), method="lower")
    sweep = ai.threshold_sweep(
        df["score"], sensitive_features=df[["sex", "race"]], thresholds=grid
    ).to_frame()
    merged = gaps.thresholds.merge(
        sweep, on=["threshold", "attribute", "group"], suffixes=("", "_sweep")
    )
    assert len(merged) == len(sweep) == 9 * (2 + 3 + 6)
    np.testing.assert_array_equal(merged["rate"], merged["rate_sweep"])
    # Where the sweep's reference (highest rate) is ours, the ratios and flags are its own.
    agree = merged.loc[
        merged["is_reference"] & merged["is_reference_sweep"], ["threshold", "attribute"]
    ]
    same = merged.merge(agree, on=["threshold", "attribute"])
    assert len(same) >= 9 * 2  # at least the sex comparisons at every decile
    np.testing.assert_allclose(same["impact_ratio"], same["impact_ratio_sweep"], rtol=1e-12)
    np.testing.assert_array_equal(same["four_fifths_flag"], same["four_fifths_flag_sweep"])
    assert gaps.unknown == {"sex": 0, "race": 0, "sex x race": 0}


def test_unknown_rows_are_counted_and_left_out():
    score = [1.0, 2.0, 3.0, 4.0, 9.0, 9.5]
    gaps = ai.score_gaps(
        score=score, sensitive_features={"g": ["a", "a", "b", "b", None, "?"]}, unknown="?"
    )
    assert gaps.unknown == {"g": 2}
    assert gaps.table["n"].sum() == 4


@pytest.mark.parametrize("weighted", [False, True])
def test_intersectional_false_compares_each_attribute_alone(weighted):
    rng = np.random.default_rng(11)
    n = 200
    features = {"sex": rng.choice(["F", "M"], n), "race": rng.choice(["A", "B"], n)}
    options = {
        "score": rng.normal(0, 1, n),
        "sensitive_features": features,
        "thresholds": [0.0],
        "sample_weight": np.full(n, 2.0) if weighted else None,
    }
    both = ai.score_gaps(**options)
    alone = ai.score_gaps(**options, intersectional=False)
    assert set(both.table["attribute"]) == {"sex", "race", "sex x race"}
    assert set(alone.table["attribute"]) == {"sex", "race"}
    assert set(alone.thresholds["attribute"]) == {"sex", "race"}
    assert set(alone.reference) == set(alone.unknown) == {"sex", "race"}
    kept = both.table[both.table["attribute"] != "sex x race"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.table, kept)


def test_equal_weights_change_nothing_and_weighted_ks_matches_scipy():
    rng = np.random.default_rng(8)
    score = rng.normal(0, 1, 80)
    groups = {"g": np.repeat(["a", "b"], 40)}
    plain = ai.score_gaps(score=score, sensitive_features=groups, thresholds=[0.0])
    doubled = ai.score_gaps(
        score=score, sensitive_features=groups, thresholds=[0.0], sample_weight=np.full(80, 2.0)
    )
    for column in ("mean", "sd", "d", "g", "g_ci_low", "ks_statistic"):
        np.testing.assert_allclose(doubled.table[column], plain.table[column], rtol=1e-12)
    np.testing.assert_allclose(doubled.thresholds["impact_ratio"], plain.thresholds["impact_ratio"])
    assert doubled.weighted and not plain.weighted


def test_result_is_frozen_and_serialisable():
    gaps = ai.score_gaps(
        score=[1.0, 2, 3, 4, 5, 7], sensitive_features=["a", "a", "a", "b", "b", "b"]
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        gaps.confidence = 0.9
    table = gaps.table
    table.loc[0, "n"] = -1
    assert gaps.table.loc[0, "n"] != -1
    json.dumps(gaps.to_dict(), allow_nan=False)
    assert repr(gaps).startswith("ScoreGaps: 1 attribute")
    assert "<table" in gaps._repr_html_()
    assert gaps.summary().splitlines()[0] == repr(gaps).splitlines()[0]


def test_plot_draws_implied_curves(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(1)
    score = np.concatenate([rng.normal(0, 1, 100), rng.normal(-1, 1, 100)])
    ax = ai.score_gaps(score=score, sensitive_features=np.repeat(["a", "b"], 100)).plot()
    assert len(ax.lines) == 3  # the curve, the observed points, the 0.8 line
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"adverse-impact\[plot\]"):
        ai.score_gaps(score=score, sensitive_features=np.repeat(["a", "b"], 100)).plot()


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"score": [1.0, float("nan")], "sensitive_features": ["a", "b"]}, "score"),
        (
            {"score": [1.0, 2.0, 3.0], "sensitive_features": ["a", "b", "b"], "reference": "z"},
            "reference",
        ),
        ({"score": "s", "sensitive_features": ["a", "b"]}, "score"),
        ({"score": [1.0, 2.0], "sensitive_features": ["a", "a"]}, "sensitive_features"),
        (
            {"score": [1.0, 2.0, 3.0], "sensitive_features": ["a", "b", "b"], "thresholds": []},
            "thresholds",
        ),
        ({"score": [1.0, 2.0, 3.0], "sensitive_features": {"g": ["a", "b"]}}, "inputs"),
    ],
)
def test_bad_input_names_the_argument(kwargs, argument):
    with pytest.raises(ai.AdverseImpactError, match=f"^{argument}"):
        ai.score_gaps(**kwargs)


def test_missing_column_is_named():
    with pytest.raises(ai.InputError, match="^score: column 'nope'"):
        ai.score_gaps(
            pd.DataFrame({"g": ["a", "b"], "s": [1.0, 2.0]}), score="nope", sensitive_features="g"
        )


def test_ks_fallback_to_the_asymptotic_p_value_is_a_note_not_a_scipy_warning():
    # On 30 against 30 evenly spread scores scipy's exact two-sample KS distribution
    # fails and scipy warns from its own frame; the library says so in the row's note.
    import warnings

    from scipy.stats import ks_2samp

    score = np.linspace(0, 1, 60)
    sex = np.array(["F", "M"] * 30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reference = ks_2samp(score[sex == "F"], score[sex == "M"])
    assert any("asymp" in str(w.message) for w in caught)  # the case this test is about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gaps = ai.score_gaps(score=score, sensitive_features={"sex": sex})
    row = gaps.table.set_index("group").drop(gaps.table.loc[gaps.table["is_reference"], "group"])
    assert "asymptotic" in row["note"].iloc[0]
    assert row["ks_p_value"].iloc[0] == pytest.approx(reference.pvalue)


def test_a_reference_that_is_no_group_or_names_no_attribute_is_refused():
    score = np.linspace(0, 1, 40)
    sex = np.array(["F", "M"] * 20)
    with pytest.raises(ai.InputError, match=r"^reference: 'X' is not a group of any analysed"):
        ai.score_gaps(score=score, sensitive_features={"sex": sex}, reference="X")
    with pytest.raises(ai.InputError, match=r"^reference: 'race' is not an analysed attribute"):
        ai.score_gaps(score=score, sensitive_features={"sex": sex}, reference={"race": "B"})
