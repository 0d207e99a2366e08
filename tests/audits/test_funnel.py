"""Hiring funnels: stages among entrants, the bottom line, Connecticut v. Teal."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._audits import _funnel


def people(race: str, n: int, passed: int, promoted: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "race": race,
            "passed": [1] * passed + [0] * (n - passed),
            "promoted": [1] * promoted + [0] * (n - promoted),
        }
    )


@pytest.fixture
def teal() -> pd.DataFrame:
    # Connecticut v. Teal, 457 U.S. 440, 443-444 (1982): 48 Black and 259 White
    # candidates took the written examination; 26 and 206 passed; 11 Black and
    # 35 White candidates were promoted.
    return pd.concat(
        [people("Black", 48, 26, 11), people("White", 259, 206, 35)], ignore_index=True
    )


def test_teal_written_test_is_flagged_though_the_bottom_line_favours_black_candidates(teal):
    funnel = ai.audit_funnel(teal, stages=["passed", "promoted"], sensitive_features="race")
    written = funnel.stage("passed").table.set_index("group")
    assert written.loc["Black", "impact_ratio"] == pytest.approx((26 / 48) / (206 / 259))
    assert round(written.loc["Black", "impact_ratio"], 3) == 0.681
    assert written.loc["Black", "four_fifths_flag"]
    expected_p = scipy.stats.fisher_exact([[26, 22], [206, 53]]).pvalue
    assert written.loc["Black", "p_value_fisher"] == pytest.approx(expected_p, rel=1e-9)
    assert round(expected_p, 4) == 0.0004
    bottom = funnel.bottom_line.table.set_index("group")
    assert bottom.loc["Black", "is_reference"]  # 11/48 = 22.9% > 35/259 = 13.5%
    assert not bottom.loc["Black", "four_fifths_flag"]
    assert not funnel.passes()
    assert "passed" in funnel.flagged_stages()
    table = funnel.table
    row = table[(table["stage"] == "passed") & (table["group"] == "Black")]
    assert bool(row["four_fifths_flag"].iloc[0])


def test_stage_two_flagged_while_the_bottom_line_passes():
    # Women: 100 apply, 75 screened in, 30 offered (40% of entrants, 30% overall).
    # Men: 100 apply, 60 screened in (ratio 0.8: not below), 33 offered (55%, 33%).
    frame = pd.concat(
        [
            pd.DataFrame(
                {"sex": "F", "screened": [1] * 75 + [0] * 25, "offered": [1] * 30 + [0] * 70}
            ),
            pd.DataFrame(
                {"sex": "M", "screened": [1] * 60 + [0] * 40, "offered": [1] * 33 + [0] * 67}
            ),
        ],
        ignore_index=True,
    )
    funnel = ai.audit_funnel(frame, stages=["screened", "offered"], sensitive_features="sex")
    assert funnel.bottom_line.passes()
    offered = funnel.stage("offered").table.set_index("group")
    assert offered.loc["F", "n"] == 75 and offered.loc["M", "n"] == 60
    assert offered.loc["F", "impact_ratio"] == pytest.approx(0.4 / 0.55)
    assert funnel.bottom_line.table.set_index("group").loc["F", "impact_ratio"] == pytest.approx(
        0.30 / 0.33
    )
    assert funnel.flagged_stages() == ["offered"]
    assert not funnel.passes()


def test_decomposition_log_ratios_sum_to_the_bottom_line(teal):
    funnel = ai.audit_funnel(teal, stages=["passed", "promoted"], sensitive_features="race")
    parts = funnel.decomposition
    white = parts[parts["group"] == "White"].set_index("stage")
    # Against the bottom line's reference (Black), by hand:
    assert white.loc["passed", "stage_ratio"] == pytest.approx((206 / 259) / (26 / 48))
    assert white.loc["promoted", "stage_ratio"] == pytest.approx((35 / 206) / (11 / 26))
    bottom = (35 / 259) / (11 / 48)
    assert white["log_ratio"].sum() == pytest.approx(math.log(bottom))
    assert white["share"].sum() == pytest.approx(1.0)
    # The written test favoured White candidates: a negative share of their deficit.
    assert white.loc["passed", "share"] < 0 < white.loc["promoted", "share"]


@settings(max_examples=15, deadline=None)
@given(st.integers(20, 80), st.integers(0, 10_000))
def test_decomposition_shares_sum_to_one(n, seed):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n)
    s1 = rng.integers(0, 2, n)
    s2 = s1 * rng.integers(0, 2, n)
    s3 = s2 * rng.integers(0, 2, n)
    try:
        funnel = ai.audit_funnel(
            stages={"s1": s1, "s2": s2, "s3": s3}, sensitive_features={"g": group}
        )
    except ai.InputError:
        return  # e.g. one group only among some stage's entrants
    parts = funnel.decomposition
    for _, block in parts.groupby("group"):
        if block["share"].notna().all():
            assert block["share"].sum() == pytest.approx(1.0)
            assert block["log_ratio"].sum() == pytest.approx(
                math.log(block["bottom_line_ratio"].iloc[0])
            )


def test_inconsistent_rows_are_named_with_their_count():
    frame = pd.DataFrame(
        {
            "sex": ["F", "M"] * 5,
            "screened": [1, 1, 0, 1, 0, 1, 1, 1, 1, 1],
            "offered": [1, 0, 1, 0, 1, 0, 0, 0, 0, 1],
        },
        index=[f"r{i}" for i in range(10)],
    )
    with pytest.raises(
        ai.InputError,
        match=r"^stages: 2 row\(s\) pass a stage after failing "
        r"an earlier one \(rows r2, r4\)",
    ):
        ai.audit_funnel(frame, stages=["screened", "offered"], sensitive_features="sex")


def test_inconsistent_rows_on_a_lazy_engine_show_their_values():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(
        {"sex": ["F", "M", "F", "M"], "a": [0, 1, 1, 1], "b": [1, 0, 1, 0], "c": [0, 0, 1, 0]}
    ).lazy()
    with pytest.raises(ai.InputError, match=r"1 row\(s\).*'a': 0, 'b': 1"):
        ai.audit_funnel(frame, stages=["a", "b", "c"], sensitive_features="sex")


@pytest.mark.parametrize(
    "values, problem",
    [([0, 1, 2, 1] * 5, "must hold 0/1"), ([0, 1, None, 1] * 5, "has missing values")],
)
def test_stage_values_must_be_binary(values, problem):
    frame = pd.DataFrame({"sex": ["F", "M"] * 10, "s": values, "t": [0] * 20})
    with pytest.raises(ai.InputError, match=f"stages\\['s'\\]: {problem}"):
        ai.audit_funnel(frame, stages=["s", "t"], sensitive_features="sex")


def test_a_stage_cannot_be_a_group_column(teal):
    with pytest.raises(ai.InputError, match="^stages: .*also group columns"):
        ai.audit_funnel(teal, stages=["race", "promoted"], sensitive_features="race")


def funnel_frame(seed: int = 3, n: int = 4_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male", None], n, p=[0.45, 0.5, 0.05])
    race = rng.choice(["White", "Black", "Asian"], n, p=[0.5, 0.3, 0.2])
    s1 = (rng.random(n) < np.where(sex == "Female", 0.5, 0.7)).astype(int)
    s2 = s1 * (rng.random(n) < 0.5)
    s3 = s2 * (rng.random(n) < np.where(race == "Black", 0.3, 0.5))
    return pd.DataFrame(
        {
            "sex": pd.Series(sex, dtype=object),
            "race": race,
            "screened": s1,
            "interviewed": s2.astype(int),
            "offered": s3.astype(int),
        }
    )


@pytest.mark.parametrize("engine", ["polars", "polars-lazy", "pyarrow", "duckdb", "dask"])
def test_engines_give_the_pandas_funnel(engine):
    from tests.core.test_sources import to_engine

    frame = funnel_frame()
    kwargs = {
        "stages": ["screened", "interviewed", "offered"],
        "sensitive_features": ["sex", "race"],
    }
    expected = ai.audit_funnel(frame, **kwargs).table
    got = ai.audit_funnel(to_engine(engine, frame), **kwargs).table
    pd.testing.assert_frame_equal(got, expected)


def test_each_stage_equals_an_audit_of_its_entrants():
    frame = funnel_frame()
    funnel = ai.audit_funnel(
        frame,
        stages=["screened", "interviewed", "offered"],
        sensitive_features=["sex", "race"],
        min_share=0.02,
    )
    for k, (stage, entered) in enumerate(
        [("screened", None), ("interviewed", "screened"), ("offered", "interviewed")]
    ):
        rows = frame if entered is None else frame[frame[entered] == 1]
        expected = ai.audit(
            rows, selected=stage, sensitive_features=["sex", "race"], min_share=0.02
        ).table
        pd.testing.assert_frame_equal(funnel.results[k].table, expected)
    expected = ai.audit(
        frame, selected="offered", sensitive_features=["sex", "race"], min_share=0.02
    ).table
    pd.testing.assert_frame_equal(funnel.bottom_line.table, expected)


def test_all_stages_are_counted_in_one_pass(monkeypatch):
    calls = []
    original = _funnel.count_groups

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(_funnel, "count_groups", counting)
    ai.audit_funnel(
        funnel_frame(), stages=["screened", "interviewed", "offered"], sensitive_features="sex"
    )
    assert len(calls) == 1


def test_result_is_frozen_and_serialisable(teal):
    import json

    funnel = ai.audit_funnel(teal, stages=["passed", "promoted"], sensitive_features="race")
    with pytest.raises(AttributeError):
        funnel.stages = ()
    payload = json.loads(json.dumps(funnel.to_dict()))
    assert payload["flagged_stages"] == ["passed", "promoted", "bottom line"]
    assert "FunnelResult: 2 stages" in repr(funnel)
    assert "<table" in funnel._repr_html_()
    with pytest.raises(ai.InputError, match="^name: "):
        funnel.stage("hired")


def test_strata_pass_through_to_every_stage():
    frame = funnel_frame()
    frame["site"] = np.where(np.arange(len(frame)) % 2 == 0, "north", "south")
    funnel = ai.audit_funnel(
        frame, stages=["screened", "offered"], sensitive_features="sex", strata="site"
    )
    assert all(result.pooled is not None for result in funnel.results)
    expected = ai.audit(
        frame[frame["screened"] == 1], selected="offered", sensitive_features="sex", strata="site"
    ).pooled
    pd.testing.assert_frame_equal(funnel.results[1].pooled, expected)


@pytest.mark.parametrize("engine", ["pandas", "polars-lazy"])
def test_stages_may_be_called_like_count_columns(engine):
    from tests.core.test_sources import to_engine

    frame = funnel_frame().rename(columns={"screened": "selected", "interviewed": "n"})
    funnel = ai.audit_funnel(
        to_engine(engine, frame), stages=["selected", "n", "offered"], sensitive_features="sex"
    )
    expected = ai.audit(frame[frame["n"] == 1], selected="offered", sensitive_features="sex").table
    pd.testing.assert_frame_equal(funnel.stage("offered").table, expected)


def test_a_missing_stage_column_is_named():
    with pytest.raises(ai.InputError, match=r"^stages\[1\]: column 'hired' is not in data"):
        ai.audit_funnel(funnel_frame(), stages=["screened", "hired"], sensitive_features="sex")
