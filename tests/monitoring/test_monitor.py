"""Anytime-valid monitoring: ai.monitor and its error rate by simulation.

The boundary itself is tested in test_confseq.py, the reports in test_monitoring_report.py.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact import stats
from adverse_impact._monitoring._confseq import best_rho, log_ratio_sequence

# -- the acceptance simulation -------------------------------------------------------

REPS, MONTHS, PER_GROUP = 4000, 12, 100


def _simulate(rate_a: float, rate_b: float, seed: int):
    rng = np.random.default_rng(seed)
    sel_a = rng.binomial(PER_GROUP, rate_a, (REPS, MONTHS)).cumsum(axis=1)
    sel_b = rng.binomial(PER_GROUP, rate_b, (REPS, MONTHS)).cumsum(axis=1)
    n = np.broadcast_to(np.arange(1, MONTHS + 1) * PER_GROUP, (REPS, MONTHS))
    # monitor()'s defaults with one comparison: alpha 0.05, planned_se 0.1.
    _, low, high = log_ratio_sequence(
        sel_a, n, sel_b, n, alpha=0.05, rho=best_rho(1 / 0.1**2, 0.05)
    )
    naive = stats.two_proportion_z(sel_a, n, sel_b, n).p_value < 0.05
    return low, high, naive


def test_null_false_alarm_rate_holds_where_monthly_z_tests_inflate():
    # Rate 0.30 in both groups, 100 per group per month, 12 monthly looks.  With the
    # reference "highest", an alert for either group is the sequence leaving 0 on
    # either side.  Bound: alpha + 3 Monte-Carlo standard errors at alpha
    # (3 * sqrt(0.05 * 0.95 / 4000) = 0.0103).
    low, high, naive = _simulate(0.30, 0.30, seed=17)
    any_alert = ((high < 0) | (low > 0)).any(axis=1).mean()
    mc_bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / REPS)
    assert any_alert <= mc_bound
    naive_share = naive.any(axis=1).mean()
    assert 0.17 <= naive_share <= 0.24  # Armitage, McPherson & Rowe (1969): ~0.2 at 12 looks
    # No four-fifths alert either (the sequence's upper end below 0.8).
    assert (high < math.log(0.8)).any(axis=1).mean() <= mc_bound


def test_alert_comes_when_the_true_ratio_is_0_6():
    _, high, _ = _simulate(0.18, 0.30, seed=18)
    fired = high < 0
    assert fired.any(axis=1).mean() >= 0.99
    months = fired.argmax(axis=1) + 1
    assert 2.5 <= months.mean() <= 4.5  # measured 3.3 (docs/monitoring.md)
    four_fifths = high < math.log(0.8)
    assert four_fifths.any(axis=1).mean() >= 0.7  # measured 0.82 within the year


@pytest.mark.parametrize(("rate_a", "seed"), [(0.30, 19), (0.18, 20), (0.05, 21)])
def test_coverage_holds_at_every_look_simultaneously(rate_a, seed):
    low, high, _ = _simulate(rate_a, 0.30, seed=seed)
    theta = math.log(rate_a / 0.30)
    covered_always = ((low <= theta) & (theta <= high)).all(axis=1).mean()
    assert covered_always >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / REPS)


# -- the public function ----------------------------------------------------------


def _months(n_months: int, per_group: int, rate_f: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = np.repeat(pd.date_range("2025-01-01", periods=n_months, freq="MS"), 2 * per_group)
    sex = np.tile(np.repeat(["F", "M"], per_group), n_months)
    chosen = rng.random(len(sex)) < np.where(sex == "F", rate_f, 0.30)
    return pd.DataFrame(
        {"month": months + pd.Timedelta(days=3), "sex": sex, "selected": chosen.astype(int)}
    )


def test_monitor_table_matches_cumulative_counts_and_the_sequence():
    data = _months(6, 100, 0.18)
    result = ai.monitor(data, time="month", selected="selected", sensitive_features="sex")
    table = result.table
    f = table[table["group"] == "F"]
    m = table[table["group"] == "M"]
    by_month = data.assign(m=data["month"].dt.strftime("%Y-%m")).groupby(["sex", "m"])
    expected = by_month["selected"].sum().loc["F"].cumsum().to_numpy()
    np.testing.assert_array_equal(f["cum_selected"].to_numpy(), expected)
    # A quarter of alpha goes to the cumulative sequences (the rest to the restarts).
    est, low, high = log_ratio_sequence(
        f["cum_selected"],
        f["cum_n"],
        m["cum_selected"],
        m["cum_n"],
        alpha=0.05 / 4,
        rho=best_rho(100.0, 0.05 / 4),
    )
    np.testing.assert_allclose(np.log(f["cs_low"]), low)
    np.testing.assert_allclose(np.log(f["cs_high"]), high)
    np.testing.assert_allclose(np.log(f["cum_impact_ratio"]), est)
    assert list(result.periods) == [f"2025-0{i}" for i in range(1, 7)]
    assert m["is_reference"].all() and m["cs_low"].isna().all()


def test_alerts_report_the_first_period_and_agree_with_the_table():
    result = ai.monitor(
        _months(12, 100, 0.18), time="month", selected="selected", sensitive_features="sex"
    )
    table = result.table
    fired = table[table["alert_any"]]
    assert result.first_alert("below_one") == fired["period"].iloc[0]
    assert "wholly below 1 from" in result.summary()
    cumulative = result.alerts.query("detector == 'cumulative'")
    assert cumulative["alert"].tolist() == ["below_four_fifths", "below_one"]
    assert result.first_alert("below_one", detector="cumulative") == fired["period"].iloc[0]


def test_no_alert_when_rates_are_equal_and_bonferroni_splits_alpha():
    data = _months(12, 100, 0.30, seed=3)
    data["race"] = np.where(
        np.arange(len(data)) % 3 == 0, "A", np.where(np.arange(len(data)) % 3 == 1, "B", "C")
    )
    result = ai.monitor(data, time="month", selected="selected", sensitive_features=["sex", "race"])
    assert result.alerts.empty and "no alert" in result.summary()
    # one pair of sexes + three pairs of races, with a reference that may change.
    assert result.params["comparisons"] == 4
    assert result.params["alpha_per_comparison"] == pytest.approx(0.05 / 4 / 4)
    assert result.params["alpha_change"] == pytest.approx(0.75 * 0.05 / 4 / 35)
    alone = ai.monitor(
        data,
        time="month",
        selected="selected",
        sensitive_features="race",
        reference="A",
        correction="none",
        horizon=None,
    )
    assert (alone.params["comparisons"], alone.params["alpha_per_comparison"]) == (2, 0.05)
    assert alone.params["alpha_change"] is None and alone.table["change_cs_high"].isna().all()


def test_fixed_reference_and_period_choices():
    data = _months(6, 50, 0.2)
    result = ai.monitor(
        data,
        time="month",
        selected="selected",
        sensitive_features="sex",
        reference="M",
        period="quarter",
    )
    assert result.periods == ["2025Q1", "2025Q2"]
    assert result.table.query("group == 'M'")["is_reference"].all()
    assert result.params["comparisons"] == 1
    numbered = data.assign(k=data["month"].dt.month)
    by_number = ai.monitor(
        numbered, time="k", selected="selected", sensitive_features="sex", period=None
    )
    assert by_number.periods == [1, 2, 3, 4, 5, 6]


def test_unparseable_and_missing_times_are_counted_not_dropped():
    data = _months(3, 20, 0.2).astype({"month": object})
    data.loc[0, "month"] = "not a date"
    data.loc[1, "month"] = None
    data.loc[2, "month"] = "2025-02-14"
    with_text = data.assign(month=data["month"].astype(str).where(data["month"].notna()))
    result = ai.monitor(with_text, time="month", selected="selected", sensitive_features="sex")
    assert (result.n_unparseable_time, result.n_missing_time) == (1, 1)
    assert result.table["n"].sum() == len(data) - 2
    assert "1 with an unparseable time" in result.summary()


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"period": "fortnight"}, "period"),
        ({"score": "selected", "selected": None}, "threshold"),
        ({"planned_se": 0}, "planned_se"),
        ({"correction": "holm"}, "correction"),
        ({"reference": "X"}, "reference"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, argument):
    options = {"time": "month", "selected": "selected", "sensitive_features": "sex", **kwargs}
    with pytest.raises(ai.InputError, match=f"^{argument}:"):
        ai.monitor(_months(2, 10, 0.3), **options)


def test_engines_and_parquet_give_the_same_monitor(tmp_path):
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    data = _months(4, 30, 0.2)
    data["month"] = data["month"].dt.strftime("%Y-%m-%d")
    data.loc[5, "month"] = "garbage"
    expected = ai.monitor(data, time="month", selected="selected", sensitive_features="sex")
    for chunk, part in data.groupby(data.index // 60):
        part.to_parquet(tmp_path / f"part-{chunk:02d}.parquet", index=False)
    others = [
        pl.from_pandas(data),
        pl.from_pandas(data).lazy(),
        duckdb.sql("SELECT * FROM data"),
        str(tmp_path / "*.parquet"),
    ]
    for other in others:
        result = ai.monitor(other, time="month", selected="selected", sensitive_features="sex")
        pd.testing.assert_frame_equal(result.table, expected.table)
        assert result.n_unparseable_time == 1


def test_result_is_frozen_serialisable_and_renders():
    import json

    result = ai.monitor(
        _months(3, 20, 0.2), time="month", selected="selected", sensitive_features="sex"
    )
    with pytest.raises(AttributeError):
        result.n_total = 0
    table = result.table
    table.loc[0, "n"] = -1
    assert result.table.loc[0, "n"] != -1
    json.loads(json.dumps(result.to_dict()))
    assert json.loads(result.to_json())["library"]["name"] == "adverse-impact"
    assert "<svg" in result.to_html() and "At the last look (2025-03)" in result._repr_html_()
    assert repr(result) == result.summary()


def test_plot_draws_the_sequence_and_names_the_extra_when_missing(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    result = ai.monitor(
        _months(6, 50, 0.18), time="month", selected="selected", sensitive_features="sex"
    )
    ax = result.plot()
    assert 0.8 in [round(float(line.get_ydata()[0]), 3) for line in ax.lines]
    assert ax.get_xlabel() == "month" and ax.get_ylabel() == "impact ratio"
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"adverse-impact\[plot\]"):
        result.plot()


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", "year"])
def test_datetime_columns_fold_into_the_same_periods_on_every_engine(period):
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(4)
    n = 3000
    data = pd.DataFrame(
        {
            "when": pd.Timestamp("2024-11-20")
            + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
            "sex": rng.choice(["F", "M"], n),
            "selected": rng.integers(0, 2, n),
        }
    )
    data.loc[3, "when"] = pd.NaT
    expected = ai.monitor(
        data, time="when", selected="selected", sensitive_features="sex", period=period
    )
    engines = [pl.from_pandas(data), duckdb.sql("SELECT * FROM data"), pa.table(data)]
    for other in engines:
        result = ai.monitor(
            other, time="when", selected="selected", sensitive_features="sex", period=period
        )
        pd.testing.assert_frame_equal(result.table, expected.table)
        assert result.n_missing_time == 1


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 40), st.integers(1, 40), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_monitor_properties_on_random_counts(months, shuffle):
    rows = []
    for m, (n_f, s_f, n_m, s_m) in enumerate(months):
        s_f, s_m = min(s_f, n_f), min(s_m, n_m)
        day = pd.Timestamp("2025-01-01") + pd.DateOffset(months=m)
        rows += [(day, "F", 1)] * s_f + [(day, "F", 0)] * (n_f - s_f)
        rows += [(day, "M", 1)] * s_m + [(day, "M", 0)] * (n_m - s_m)
    shuffle.shuffle(rows)
    data = pd.DataFrame(rows, columns=["when", "sex", "selected"])
    result = ai.monitor(
        data, time="when", selected="selected", sensitive_features="sex", reference="M"
    )
    f = result.table.query("group == 'F'")
    assert (np.diff(f["cum_n"]) >= 0).all() and f["cum_n"].iloc[-1] == sum(m[0] for m in months)
    defined = f["cs_low"].notna() & np.isfinite(f["cum_impact_ratio"]) & (f["cum_selected"] > 0)
    assert (f.loc[defined, "cs_low"] <= f.loc[defined, "cum_impact_ratio"] * (1 + 1e-12)).all()
    assert (f.loc[defined, "cum_impact_ratio"] <= f.loc[defined, "cs_high"] * (1 + 1e-12)).all()
    stricter = ai.monitor(
        data, time="when", selected="selected", sensitive_features="sex", reference="M", alpha=0.01
    ).table.query("group == 'F'")
    assert (stricter.loc[defined, "cs_high"] >= f.loc[defined, "cs_high"]).all()
    # Alerts never fire where the sequence reaches the line.
    assert not (f["alert_any"] & (f["cs_high"] >= 1)).any()


def test_a_label_fixes_the_reference_where_it_exists_and_a_dict_per_attribute():
    data = _months(4, 60, 0.3, seed=9)
    data["race"] = np.where(np.arange(len(data)) % 2 == 0, "A", "B")
    result = ai.monitor(
        data, time="month", selected="selected", sensitive_features=["sex", "race"], reference="M"
    )
    table = result.table
    assert table.query("attribute == 'sex' and group == 'M'")["is_reference"].all()
    # race has no "M": its reference is the highest group, so its one pair counts once.
    assert result.params["comparisons"] == 2
    by_dict = ai.monitor(
        data,
        time="month",
        selected="selected",
        sensitive_features=["sex", "race"],
        reference={"race": "B"},
    )
    assert by_dict.table.query("attribute == 'race' and group == 'B'")["is_reference"].all()
    with pytest.raises(ai.InputError, match="^reference: 'C' is not a group of 'race'"):
        ai.monitor(
            data,
            time="month",
            selected="selected",
            sensitive_features=["sex", "race"],
            reference={"race": "C"},
        )
    with pytest.raises(ai.InputError, match="^reference: 'age' is not a monitored attribute"):
        ai.monitor(
            data,
            time="month",
            selected="selected",
            sensitive_features="sex",
            reference={"age": "x"},
        )


def test_zoned_times_fall_into_the_utc_period_on_every_engine():
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    pa = pytest.importorskip("pyarrow")
    # 23:30 in New York on 31 January is 04:30 UTC on 1 February.
    when = pd.to_datetime(["2025-01-31 23:30", "2025-01-15 12:00"] * 20).tz_localize(
        "America/New_York"
    )
    data = pd.DataFrame(
        {"when": when, "sex": ["F", "M", "M", "F"] * 10, "selected": [1, 0, 1, 1] * 10}
    )
    expected = ai.monitor(data, time="when", selected="selected", sensitive_features="sex")
    assert expected.periods == ["2025-01", "2025-02"]
    for other in (pl.from_pandas(data), duckdb.sql("SELECT * FROM data"), pa.table(data)):
        result = ai.monitor(other, time="when", selected="selected", sensitive_features="sex")
        pd.testing.assert_frame_equal(result.table, expected.table)


def test_groups_absent_from_the_first_looks_have_no_sequence_there():
    periods = pd.Series(pd.period_range("2025-01", periods=4, freq="M"))
    result = ai.monitor(
        time=periods, selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]}
    )
    table = result.table
    m = table[table["group"] == "M"]
    assert m["cum_n"].tolist() == [0, 0, 1, 2] and m["cs_low"].isna().iloc[:2].all()
    assert not table["alert_any"].any()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["F", "M", "X", None]),
            st.sampled_from(["2025-01-03", "2025-02-10", "2025-03-31", "bad", None]),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_sparse_random_data_gives_a_result_or_a_named_error(rows):
    data = pd.DataFrame(rows, columns=["sex", "when", "selected"])
    try:
        result = ai.monitor(data, time="when", selected="selected", sensitive_features="sex")
    except ai.InputError as error:
        assert str(error).split(":")[0] in {"time", "sensitive_features"}
        return
    dated = data[data["when"].notna() & (data["when"] != "bad")]
    assert result.table["n"].sum() == dated["sex"].notna().sum()
    assert result.n_unparseable_time == (data["when"] == "bad").sum()
    assert result.n_missing_time == data["when"].isna().sum()
