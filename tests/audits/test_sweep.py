"""The threshold sweep (``_audits/_sweep.py``): the audit at every cut-off, from one sort.

Reference: ``ai.audit(score=..., threshold=t)`` at each cut-off, and counts by
brute force (``scores >= t`` per group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import adverse_impact as ai
from adverse_impact._audits import _sweep
from adverse_impact._audits._sweep import ThresholdSweep, _bins, _selected_at, threshold_sweep

AUDIT_COLUMNS = [
    "attribute",
    "group",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "is_reference",
    "four_fifths_flag",
]

# A ladder of one feature: a model fitted on it separates it at x = 1.5.
X_LADDER = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
Y_LADDER = np.array([0, 0, 1, 1] * 5)
X_AUDIT = np.array([[0.0], [1.0], [2.0], [3.0], [3.0], [0.0], [1.0], [1.0], [2.0], [0.0]])
SEX = np.array(["F", "F", "F", "F", "M", "M", "M", "M", "M", "M"], dtype=object)
# F: x = 0, 1, 2, 3 -> 2 of 4 selected; M: x = 3, 0, 1, 1, 2, 0 -> 2 of 6 selected.
EXPECTED = {"F": (4, 2), "M": (6, 2)}
SCORES_TIED = np.array([0.9, 0.5, 0.5, 0.1, 0.5, 0.2])
SEX_TIED = np.array(["F", "M", "F", "M", "M", "F"], dtype=object)


def by_group(result, attribute=None):
    table = result.table if hasattr(result, "table") else result
    if attribute is not None:
        table = table[table["attribute"] == attribute]
    return table.set_index("group")


def sweep_rows(sweep, threshold):
    table = sweep.to_frame()
    return table[table["threshold"] == threshold].drop(columns="threshold").reset_index(drop=True)


SWEEP_ROWS = st.lists(
    st.tuples(
        st.integers(0, 12),
        st.sampled_from(["F", "M", None]),
        st.sampled_from(["A", "B", "C", "Declined"]),
    ),
    min_size=4,
    max_size=120,
)


@pytest.mark.filterwarnings("ignore:unknown. the label")
@settings(max_examples=25, deadline=None)
@given(
    rows=SWEEP_ROWS, extra=st.lists(st.integers(-1, 14), max_size=5), intersectional=st.booleans()
)
def test_sweep_equals_an_audit_at_every_threshold(rows, extra, intersectional):
    """Each cut-off of the sweep is ai.audit(score=..., threshold=t) at that cut-off."""
    scores = np.array([r[0] for r in rows], dtype=float) / 4  # ties, exact in binary
    features = {
        "sex": np.array([r[1] for r in rows], dtype=object),
        "race": np.array([r[2] for r in rows], dtype=object),
    }
    grid = sorted(set(scores.tolist()) | {e / 4 for e in extra})
    kwargs = dict(unknown="Declined", intersectional=intersectional)
    try:
        expected = {
            t: ai.audit(score=scores, sensitive_features=features, threshold=t, **kwargs)
            for t in grid
        }
    except ai.InputError as exc:  # fewer than two known groups somewhere
        with pytest.raises(ai.InputError, match="at least two groups"):
            threshold_sweep(scores, sensitive_features=features, thresholds=grid, **kwargs)
        assert "at least two groups" in str(exc)
        return
    sweep = threshold_sweep(scores, sensitive_features=features, thresholds=grid, **kwargs)
    assert list(sweep.thresholds) == grid
    for t, result in expected.items():
        mine = sweep_rows(sweep, t)
        pd.testing.assert_frame_equal(
            mine[AUDIT_COLUMNS], result.table[AUDIT_COLUMNS], check_dtype=False
        )
        assert dict(sweep.unknown) == dict(result.unknown)


@pytest.mark.filterwarnings("ignore:unknown. the label")
@settings(max_examples=20, deadline=None)
@given(rows=SWEEP_ROWS, weights=st.lists(st.integers(1, 3), min_size=120, max_size=120))
def test_weighted_sweep_equals_a_weighted_audit_at_every_threshold(rows, weights):
    """With sample_weight too, each cut-off is ai.audit(..., sample_weight=w) at that cut-off."""
    scores = np.array([r[0] for r in rows], dtype=float) / 4
    features = {
        "sex": np.array([r[1] for r in rows], dtype=object),
        "race": np.array([r[2] for r in rows], dtype=object),
    }
    w = np.array(weights[: len(rows)], dtype=float) / 2  # exact sums in binary
    grid = sorted(set(scores.tolist()))
    kwargs = dict(unknown="Declined", sample_weight=w)
    try:
        expected = {
            t: ai.audit(score=scores, sensitive_features=features, threshold=t, **kwargs)
            for t in grid
        }
    except ai.InputError:  # fewer than two known groups somewhere
        return
    sweep = threshold_sweep(scores, sensitive_features=features, thresholds=grid, **kwargs)
    columns = [*AUDIT_COLUMNS, "n_weighted", "selected_weighted"]
    for t, result in expected.items():
        pd.testing.assert_frame_equal(
            sweep_rows(sweep, t)[columns], result.table[columns], check_dtype=False
        )


def test_sweep_default_grid_is_distinct_observed_quantiles():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=5_000)
    sex = rng.choice(["F", "M"], 5_000).astype(object)
    sweep = threshold_sweep(scores, sensitive_features={"sex": sex})
    grid = sweep.thresholds
    assert len(grid) == 101 and np.all(np.diff(grid) > 0)
    assert grid[0] == scores.min() and grid[-1] == scores.max()
    assert np.isin(grid, scores).all()
    few = threshold_sweep(np.repeat([0.1, 0.7, 0.9], 10), sensitive_features={"sex": sex[:30]})
    assert few.thresholds.tolist() == [0.1, 0.7, 0.9]
    assert few.by_threshold()["rate"].iloc[0] == 1.0


def test_sweep_of_a_model_equals_the_sweep_of_its_scores():
    model = LogisticRegression(C=100.0).fit(X_LADDER, Y_LADDER)
    from_model = threshold_sweep(model, X_AUDIT, {"sex": SEX}, thresholds=[0.2, 0.5, 0.8])
    scores = model.predict_proba(X_AUDIT)[:, 1]
    from_scores = threshold_sweep(
        scores, sensitive_features={"sex": SEX}, thresholds=[0.8, 0.5, 0.2, 0.5]
    )
    pd.testing.assert_frame_equal(from_model.to_frame(), from_scores.to_frame())
    assert from_model.score_method == "predict_proba" and from_scores.score_method == "scores"
    at_half = by_group(sweep_rows(from_model, 0.5))
    assert {g: (int(r.n), int(r.selected)) for g, r in at_half.iterrows()} == EXPECTED


def test_sweep_flags_are_exact_at_four_fifths():
    # F: 4 of 10 selected at t=0.5, M: 5 of 10: ratio exactly 0.8, not flagged.
    scores = np.array([1.0] * 4 + [0.0] * 6 + [1.0] * 5 + [0.0] * 5)
    sex = np.array(["F"] * 10 + ["M"] * 10, dtype=object)
    row = by_group(
        sweep_rows(threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[0.5]), 0.5)
    )
    assert row.loc["F", "impact_ratio"] == 0.8 and not row.loc["F", "four_fifths_flag"]
    # Nobody selected at a cut-off above every score: no ratio, no flag.
    none = sweep_rows(
        threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[2.0]), 2.0
    )
    assert none["impact_ratio"].isna().all() and not none["four_fifths_flag"].any()


def test_sweep_result_is_immutable_printable_and_tidy():
    sweep = threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED})
    assert isinstance(sweep, ThresholdSweep)
    with pytest.raises(AttributeError):
        sweep.score_method = "x"
    with pytest.raises(ValueError):
        sweep.thresholds[0] = 5.0
    frame = sweep.to_frame()
    frame.loc[0, "n"] = -1
    assert sweep.to_frame().loc[0, "n"] != -1
    assert list(frame.columns) == [
        "threshold",
        "attribute",
        "group",
        "n",
        "selected",
        "rate",
        "impact_ratio",
        "is_reference",
        "four_fifths_flag",
    ]
    text = repr(sweep)
    assert text.startswith("ThresholdSweep: 4 cut-offs from 0.1 to 0.9 (scores), 1 attribute")
    assert "min_impact_ratio" in text
    assert "<table" in sweep._repr_html_() and "ThresholdSweep" in sweep._repr_html_()
    per_cut = sweep.by_threshold()
    assert per_cut["selected"].tolist() == [6, 5, 4, 1]
    assert str(per_cut["passes"].dtype) == "boolean"


def test_sweep_does_not_pass_a_cut_off_that_selects_no_one_or_everyone():
    # A gate must not pass what it cannot judge (AuditResult.passes refuses such
    # decisions): at a cut-off above every score, or below every score, each rate is
    # 0 (or 1) and no ratio says anything; the sweep marks it NA, not True.
    scores = [1.0] * 4 + [0.0] * 6 + [1.0] * 5 + [0.0] * 5
    sex = {"sex": ["F"] * 10 + ["M"] * 10}
    sweep = threshold_sweep(scores, sensitive_features=sex, thresholds=[-1.0, 0.5, 2.0])
    per_cut = sweep.by_threshold()
    assert per_cut["passes"].isna().tolist() == [True, False, True]
    assert bool(per_cut["passes"].iloc[1])  # exactly 4/5 holds
    assert "holds at 1 of 3, 2 not judged (no one or everyone selected)" in repr(sweep)
    with pytest.raises(ai.InputError, match="cannot judge"):
        ai.audit(selected=[0] * 20, sensitive_features=sex).passes()


def test_sweep_plot_draws_each_group_and_the_four_fifths_line(two_attributes):
    import matplotlib.pyplot as plt

    data = two_attributes
    sweep = threshold_sweep(data["score"], sensitive_features=data[["sex", "race"]])
    ax = sweep.plot(attribute="sex")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["Female", "Male", "four-fifths (0.8)"]
    dashed = ax.get_lines()[-1]
    assert dashed.get_linestyle() == "--" and list(dashed.get_ydata()) == [0.8, 0.8]
    fig, own = plt.subplots()
    assert sweep.plot(ax=own) is own
    assert len(own.get_lines()) == 2 + 4 + 8 + 1
    plt.close("all")
    with pytest.raises(ai.InputError, match=r"^attribute: 'age' was not swept"):
        sweep.plot(attribute="age")


def test_sweep_warns_like_the_audit_about_unknown_labels_that_match_nothing():
    with pytest.warns(UserWarning, match=r"unknown: the label\(s\) \[\"'Declined'\"\] occur in no"):
        threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED}, unknown="Declined")


def test_sweep_bad_inputs():
    model = LogisticRegression().fit(X_LADDER, Y_LADDER)
    with pytest.raises(ai.InputError, match=r"^sensitive_features: is required"):
        threshold_sweep(SCORES_TIED)
    with pytest.raises(ai.InputError, match=r"^X: was given but scores_or_model holds scores"):
        threshold_sweep(SCORES_TIED, SCORES_TIED, {"sex": SEX_TIED})
    with pytest.raises(ai.InputError, match=r"^X: a model was given without its input"):
        threshold_sweep(model, sensitive_features={"sex": SEX})
    with pytest.raises(ai.InputError, match=r"^thresholds: 1 cut-off\(s\) are NaN"):
        threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED}, thresholds=[0.5, np.nan])
    with pytest.raises(ai.InputError, match=r"^scores_or_model: 1 score\(s\) are NaN"):
        threshold_sweep([0.1, np.nan], sensitive_features={"sex": ["F", "M"]})
    with pytest.raises(
        ai.InputError, match=r"sensitive_features\['sex'\] has 5, scores_or_model has 6"
    ):
        threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED[:5]})
    with pytest.raises(ai.InputError, match=r"^model: LogisticRegression is not fitted"):
        threshold_sweep(LogisticRegression(), X_AUDIT, {"sex": SEX})
    with pytest.raises(ai.InputError, match=r"^sensitive_features: attribute 'sex' has one"):
        threshold_sweep(SCORES_TIED, sensitive_features={"sex": ["F"] * 5 + [None]})


# -- the module's own behaviour ---------------------------------------------------------


def test_selected_counts_at_every_cut_off_are_the_brute_force_counts():
    rng = np.random.default_rng(0)
    n = 500
    scores = rng.integers(0, 20, n) / 4  # many ties, exact in binary
    sex = rng.choice(np.array(["F", "M", None], dtype=object), n, p=[0.45, 0.45, 0.1])
    grid = [-1.0, 0.0, 1.25, 2.5, 4.75, 10.0]
    sweep = threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=grid)
    known = sex != None  # noqa: E711 - an elementwise test on an object array
    for t in grid:
        rows = by_group(sweep_rows(sweep, t))
        for g in ("F", "M"):
            assert rows.loc[g, "n"] == (sex == g).sum()
            assert rows.loc[g, "selected"] == ((scores >= t) & (sex == g)).sum()
    # n_selected and the overall rate count every row, the unknown ones too.
    assert sweep.n_selected.tolist() == [int((scores >= t).sum()) for t in grid]
    per_cut = sweep.by_threshold()
    np.testing.assert_array_equal(per_cut["rate"], [(scores >= t).mean() for t in grid])
    assert sweep.n_total == n and dict(sweep.unknown) == {"sex": int((~known).sum())}


@pytest.mark.parametrize("weighted", [False, True])
def test_the_one_bincount_gives_every_groups_count_at_every_cut_off(weighted):
    rng = np.random.default_rng(1)
    n, n_groups, n_t = 300, 3, 7
    bins = rng.integers(0, n_t + 1, n)  # how many cut-offs each row reaches
    gid = rng.integers(0, n_groups + 1, n)  # n_groups = unknown
    weights = rng.integers(1, 9, n) / 8 if weighted else None
    sizes, selected = _selected_at(bins, gid, n_groups, n_t, weights)
    w = np.ones(n) if weights is None else weights
    for g in range(n_groups):
        assert sizes[g] == pytest.approx(w[gid == g].sum(), abs=0)
        for j in range(n_t):
            # Selected at cut-off j: reaches more than j cut-offs.
            assert selected[g, j] == pytest.approx(w[(gid == g) & (bins > j)].sum(), abs=0)
    assert selected.shape == (n_groups, n_t)


def test_one_cut_off_may_be_a_number_and_cut_offs_are_sorted_once():
    one = threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED}, thresholds=0.5)
    assert one.thresholds.tolist() == [0.5]
    many = threshold_sweep(
        SCORES_TIED, sensitive_features={"sex": SEX_TIED}, thresholds=(0.9, 0.1, 0.5, 0.1)
    )
    assert many.thresholds.tolist() == [0.1, 0.5, 0.9]
    assert many.by_threshold()["selected"].tolist() == [6, 4, 1]


@pytest.mark.parametrize(
    ("thresholds", "error", "match"),
    [
        ([], ai.InputError, r"^thresholds: is empty\. Pass at least one cut-off"),
        (["low", "high"], ai.InputTypeError, r"^thresholds: expected numbers\. Pass a list"),
    ],
)
def test_an_unusable_grid_is_refused_naming_thresholds(thresholds, error, match):
    with pytest.raises(error, match=match):
        threshold_sweep(SCORES_TIED, sensitive_features={"sex": SEX_TIED}, thresholds=thresholds)


# Ratios beside verdicts show the decimals that decide their side (branch decisive).


def test_sweep_summary_and_repr_show_the_lowest_ratio_below_four_fifths():
    # At the cut-off 0.5, 39,998 of 50,000 F and every M: 0.79996, below four-fifths
    # exactly; ".4g" (the repr) and three decimals (the summary) write 0.8 / 0.800.
    sex = np.array(["F"] * 50_000 + ["M"] * 50_000)
    scores = np.r_[np.ones(39_998), np.zeros(10_002), np.ones(50_000)]
    sweep = ai.threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[0.5])
    assert sweep.by_threshold()["n_flagged"].tolist() == [1]
    summary = sweep.summary()
    assert "lowest impact ratio 0.79996: sex F" in summary and "0.800" not in summary
    text = repr(sweep)
    assert "0.79996" in text and " 0.8 " not in text
    assert "0.79996" in sweep._repr_html_()


# Floats where binning can go wrong: signed zeros, subnormals, the ends of the
# float range, infinities, and a few ordinary values that scores repeat.
EDGE_FLOATS = st.one_of(
    st.sampled_from(
        [
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            2.2250738585072014e-308,
            1e-300,
            1.0,
            1.0 + 2**-52,
            1.7976931348623157e308,
            -1.7976931348623157e308,
            np.inf,
            -np.inf,
            0.1,
            0.7,
        ]
    ),
    st.floats(allow_nan=False),
    st.floats(-2.0, 2.0),
    st.integers(-5, 5).map(float),
    st.integers(0, 100).map(lambda k: k / 10),  # decimals: products that round to an edge
)


def _many(values: list[float], at_least: int) -> np.ndarray:
    """The values repeated past ``at_least`` rows (so that the bucket lookup, not the
    binary search of small inputs, runs)."""
    return np.resize(np.array(values, dtype=float), max(at_least, len(values)))


@settings(max_examples=300, deadline=None)
@given(
    grid=st.lists(EDGE_FLOATS, min_size=1, max_size=12),
    scores=st.lists(EDGE_FLOATS, min_size=1, max_size=40),
    from_grid=st.lists(st.integers(0, 11), max_size=10),
)
def test_bins_equal_searchsorted_for_any_scores_and_grid(grid, scores, from_grid):
    """The bucket lookup places every score as np.searchsorted(side="right") does."""
    grid = np.unique(np.array(grid, dtype=float))
    ties = [grid[i % len(grid)] for i in from_grid]  # scores equal to cut-offs
    values = _many(scores + ties, _sweep.BUCKETS_PER_CUT * len(grid) + 1)
    np.testing.assert_array_equal(_bins(values, grid), np.searchsorted(grid, values, "right"))


@pytest.mark.parametrize(
    "grid",
    [
        np.quantile(np.random.default_rng(1).random(5000), np.linspace(0, 1, 100)),
        np.quantile(np.random.default_rng(1).lognormal(size=5000), np.linspace(0, 1, 100)),
        np.array([0.5]),  # one cut-off
        np.array([-0.0, 1e-310]),  # a span whose buckets would overflow
        np.array([-1e308, 0.0, 1e308]),  # a span that overflows
        np.array([-np.inf, 0.25, np.inf]),  # infinite ends
        np.linspace(0.0, 1e-9, 50).tolist() + [1.0],  # clustered: binary-searched
        np.arange(0.0, 40.0),  # integer cut-offs, integer scores tie them
        # Cut-offs whose bucket number rounds onto a bucket edge: a score equal to the
        # cut-off must land in the cut-off's own bucket.
        [0.0, 0.5, 0.6, 0.7, 0.8, 0.9],
        [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.9],
    ],
)
def test_bins_equal_searchsorted_on_grids_of_every_shape(grid):
    """Grids of quantiles, of one cut-off, of huge, tiny or infinite spans, clustered ones."""
    grid = np.unique(np.asarray(grid, dtype=float))
    rng = np.random.default_rng(2)
    scores = np.concatenate(
        [
            rng.random(20_000),
            rng.lognormal(size=20_000),
            rng.integers(-2, 42, 20_000).astype(float),
            np.repeat(grid, 3),
            np.nextafter(grid, np.inf),
            np.nextafter(grid, -np.inf),
            [np.inf, -np.inf, 0.0, -0.0, 5e-324],
        ]
    )
    np.testing.assert_array_equal(_bins(scores, grid), np.searchsorted(grid, scores, "right"))
    integers = rng.integers(-2, 42, 70_000)
    np.testing.assert_array_equal(_bins(integers, grid), np.searchsorted(grid, integers, "right"))


@pytest.mark.filterwarnings("ignore:unknown. the label")
@pytest.mark.parametrize("intersectional", [True, False])
def test_counting_cells_once_equals_counting_each_attributes_rows(monkeypatch, intersectional):
    """The sweep counts (cell, bin) once and sums cells per group; with too many cells
    for one table it counts each attribute's rows: both give the same sweep."""
    rng = np.random.default_rng(4)
    n = 3000
    features = {
        "sex": rng.choice(np.array(["F", "M", "X", None, "Declined"], dtype=object), n),
        "race": rng.choice(np.array(list("ABCDEFG") + [None], dtype=object), n),
        "age": rng.integers(0, 4, n),
    }
    scores = rng.integers(0, 50, n) / 7
    grid = np.unique(scores)[::3]
    kwargs = dict(thresholds=grid, unknown="Declined", intersectional=intersectional)
    once = threshold_sweep(scores, sensitive_features=features, **kwargs)
    counted = []
    monkeypatch.setattr(_sweep, "CELL_BINS", 0)
    monkeypatch.setattr(_sweep, "_selected_at", lambda *a: counted.append(a) or _selected_at(*a))
    per_attribute = threshold_sweep(scores, sensitive_features=features, **kwargs)
    assert len(counted) == len(per_attribute.attributes)  # each attribute counted its rows
    pd.testing.assert_frame_equal(once.to_frame(), per_attribute.to_frame(), check_exact=True)
    pd.testing.assert_frame_equal(once.by_threshold(), per_attribute.by_threshold())
    np.testing.assert_array_equal(once.n_selected, per_attribute.n_selected)
    assert dict(once.unknown) == dict(per_attribute.unknown)
    for t in grid[::4]:
        audit = ai.audit(
            score=scores,
            threshold=t,
            sensitive_features=features,
            unknown="Declined",
            intersectional=intersectional,
        )
        pd.testing.assert_frame_equal(
            sweep_rows(once, t)[AUDIT_COLUMNS], audit.table[AUDIT_COLUMNS], check_dtype=False
        )
