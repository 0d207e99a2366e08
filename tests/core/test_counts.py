"""The one pass to counts (``_core/_counts.py``): cells, rules, engines, periods.

References: pandas ``groupby(dropna=False)`` on the same rows (the counts),
``numpy.median`` (the scoring rate's cut-off, 6 RCNY 5-300) and dates worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._core._counts import (
    PERIOD_KEY,
    UNPARSEABLE,
    count_groups,
    count_periods,
    rows_out_of_order,
)

pl = pytest.importorskip("polars")


def _rows(seed=0, n=2_000):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(np.array(["F", "M", None], dtype=object), n, p=[0.45, 0.45, 0.1]),
            "race": rng.choice(np.array(["A", "B", "C"], dtype=object), n),
            "selected": (rng.random(n) < 0.3).astype(int),
            "score": rng.integers(0, 50, n) / 10,
            "weight": rng.integers(1, 5, n) / 2,
        }
    )


def _by_cell(table, keys):
    # None and NaN are one missing label to both sides.
    out = table.copy()
    for key in keys:
        out[key] = out[key].astype(object).where(out[key].notna(), "<missing>")
    return out.set_index(keys).sort_index()


def _reference(frame, keys, decided):
    grouped = frame.assign(decided=decided, w_decided=frame["weight"] * decided).groupby(
        keys, dropna=False
    )
    table = pd.DataFrame(
        {
            "n": grouped.size(),
            "selected": grouped["decided"].sum(),
            "weight": grouped["weight"].sum(),
            "weight_selected": grouped["w_decided"].sum(),
        }
    ).reset_index()
    return _by_cell(table, keys)


@pytest.mark.parametrize("source", ["arrays", "pandas", "polars"])
def test_counts_per_cell_are_a_groupby_of_the_rows(source):
    frame = _rows()
    keys = ["sex", "race"]
    if source == "arrays":
        counts = count_groups(
            selected=frame["selected"].to_numpy(),
            groups={k: frame[k].to_numpy() for k in keys},
            sample_weight=frame["weight"].to_numpy(),
        )
    else:
        data = frame if source == "pandas" else pl.from_pandas(frame)
        counts = count_groups(data, selected="selected", groups=keys, sample_weight="weight")
    assert counts.attributes == ("sex", "race") and counts.strata is None
    assert counts.rule == "selected" and counts.cutoff is None and counts.weighted
    assert counts.n_total == len(frame)
    mine = _by_cell(counts.table, keys)[["n", "selected", "weight", "weight_selected"]]
    expected = _reference(frame, keys, frame["selected"])
    pd.testing.assert_frame_equal(mine, expected, check_dtype=False)
    # Missing labels are kept as None, never dropped: 10% of the sex labels here.
    assert counts.table["sex"].isna().any()
    assert all(v is None for v in counts.table["sex"] if not isinstance(v, str))


@pytest.mark.parametrize("engine", [False, True])
def test_a_threshold_selects_at_or_above_and_the_scoring_rate_strictly_above_the_median(engine):
    frame = _rows(1, n=1_001).iloc[:1_000]  # an even count: the median is a mean of two
    data = pl.from_pandas(frame) if engine else frame
    cut = count_groups(data, score="score", threshold=2.5, groups=["sex"])
    assert (cut.rule, cut.cutoff, cut.weighted) == ("threshold", 2.5, False)
    pd.testing.assert_frame_equal(
        _by_cell(cut.table, ["sex"])[["n", "selected"]],
        _reference(frame, ["sex"], (frame["score"] >= 2.5).astype(int))[["n", "selected"]],
        check_dtype=False,
    )
    rate = count_groups(data, score="score", groups=["sex"])
    median = float(np.median(frame["score"]))
    assert rate.rule == "scoring_rate" and rate.cutoff == median
    pd.testing.assert_frame_equal(
        _by_cell(rate.table, ["sex"])[["n", "selected"]],
        _reference(frame, ["sex"], (frame["score"] > median).astype(int))[["n", "selected"]],
        check_dtype=False,
    )
    # Unweighted, the weight columns are the counts.
    assert (rate.table["weight"] == rate.table["n"]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"selected": [1, 0], "score": [0.1, 0.2]}, r"^selected: both selected= and score="),
        ({}, r"^selected: neither selected= nor score= was given"),
        ({"selected": [1, 0], "threshold": 0.5}, r"^threshold: a threshold needs scores"),
        ({"selected": [1, 0, 1]}, r"inconsistent numbers of rows"),
    ],
)
def test_the_decision_rule_and_the_lengths_are_checked_first(kwargs, match):
    with pytest.raises(ai.InputError, match=match):
        count_groups(groups={"sex": ["F", "M"]}, **kwargs)


def test_no_attribute_at_all_is_refused_naming_sensitive_features():
    with pytest.raises(ai.InputError, match=r"^sensitive_features: no protected attribute"):
        count_groups(selected=[1, 0], groups={})


def test_strata_are_one_more_key_and_never_take_an_attributes_name():
    counts = count_groups(
        selected=[1, 0, 1, 1],
        groups={"sex": ["F", "F", "M", "M"]},
        strata=pd.Series(["x", "y", "x", "y"], name="sex"),
    )
    assert counts.strata == "sex (stratum)" and counts.attributes == ("sex",)
    table = counts.table.set_index(["sex", "sex (stratum)"]).sort_index()
    assert table["n"].tolist() == [1, 1, 1, 1] and table["selected"].tolist() == [1, 0, 1, 1]


def test_months_fold_the_days_and_keep_missing_and_unreadable_times():
    time = ["2026-01-03", "2026-01-31", "2026-02-01", None, "not a date", "2026-02-28"]
    counts = count_periods(
        time=time, period="month", selected=[1, 0, 1, 1, 0, 1], groups={"sex": ["F"] * 6}
    )
    assert counts.strata == PERIOD_KEY
    table = counts.table.set_index(PERIOD_KEY)
    assert table.loc["2026-01-01", ["n", "selected"]].tolist() == [2, 1]
    assert table.loc["2026-02-01", ["n", "selected"]].tolist() == [2, 2]
    assert table.loc[UNPARSEABLE, "n"] == 1
    assert counts.table[PERIOD_KEY].isna().sum() == 1  # the missing time, counted
    assert counts.n_total == 6


def test_weeks_start_on_monday_and_quarters_on_their_first_day():
    # 2026-03-01 is a Sunday: its week (pandas W-SUN, ending Sunday) began Monday 23 Feb.
    time = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-06-30"])
    weeks = count_periods(time=time, period="week", selected=[1, 1, 1], groups={"g": ["a"] * 3})
    assert sorted(weeks.table[PERIOD_KEY]) == ["2026-02-23", "2026-03-02", "2026-06-29"]
    quarters = count_periods(
        time=time, period="quarter", selected=[1, 1, 1], groups={"g": ["a"] * 3}
    )
    assert sorted(quarters.table[PERIOD_KEY]) == ["2026-01-01", "2026-04-01"]


def test_period_and_time_are_checked_naming_them():
    with pytest.raises(ai.InputError, match=r"^period: 'fortnight' is not one of"):
        count_periods(time=["2026-01-01"], period="fortnight", selected=[1], groups={"g": ["a"]})
    with pytest.raises(ai.InputTypeError, match=r"^time: holds numbers \(dtype int64\), not dates"):
        count_periods(
            time=pd.Series([1, 2]), period="month", selected=[1, 0], groups={"g": ["a", "b"]}
        )
    with pytest.raises(ai.InputTypeError, match=r"^time: data was given, so this must be a"):
        count_periods(pd.DataFrame({"s": [1]}), time=[1], period=None, selected="s", groups=["s"])


def test_rows_out_of_order_are_those_passing_a_stage_after_failing_one():
    stages = pl.DataFrame(
        {
            "screened": [1, 1, 0, 0, 1, 0],
            "interviewed": [1, 0, 1, 0, 0, 0],
            "offered": [1, 0, 0, 0, 1, 1],
        }
    )
    rows = rows_out_of_order(stages, ["screened", "interviewed", "offered"], limit=10)
    assert rows == [
        {"screened": 0, "interviewed": 1, "offered": 0},
        {"screened": 1, "interviewed": 0, "offered": 1},
        {"screened": 0, "interviewed": 0, "offered": 1},
    ]
    assert len(rows_out_of_order(stages.lazy(), ["screened", "interviewed", "offered"], 2)) == 2


@pytest.mark.parametrize("time", [[1, 2, 3], [1.5, 2.0, 3.0], [1, "2026-01-02", 3], (4, 5, 6)])
def test_numbers_in_a_plain_list_of_times_are_refused_like_a_numeric_series(time):
    # Before: pandas read them as nanoseconds since 1970 and every row fell in 1970-01.
    with pytest.raises(ai.InputTypeError, match=r"^time: holds numbers, not dates"):
        count_periods(time=time, period="month", selected=[1, 0, 1], groups={"g": ["a", "b", "a"]})
    # As period labels (period=None) numbers are welcome.
    labelled = count_periods(
        time=time, period=None, selected=[1, 0, 1], groups={"g": ["a", "b", "a"]}
    )
    assert labelled.table["n"].sum() == 3


def test_a_monitor_given_month_numbers_says_so_instead_of_filing_them_under_1970():
    with pytest.raises(ai.InputTypeError, match=r"^time: holds numbers"):
        ai.monitor(
            selected=[1, 0] * 50,
            sensitive_features={"sex": ["F", "M"] * 50},
            time=list(range(100)),
            period="month",
        )
