"""Age: bands from ages, the ADEA comparison (40 and over), the cut-off sweep and the trend."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import adverse_impact as ai


def _acceptance() -> pd.DataFrame:
    # Under 40 and 40-49 selected at 50%, 50 and over at 35%: the 50+ group is at
    # 0.35 / 0.50 = 0.7 against everyone under 50, while 40+ as a whole is at
    # 0.425 / 0.50 = 0.85 against under 40.
    # Within the two younger bands every age is selected at 50%, so at 45 the
    # older side is at exactly (50 + 70) / 300 = 0.4 against 0.5: 0.8, not flagged.
    ages = np.concatenate(
        [
            np.repeat(np.arange(20, 40), 20),
            np.repeat(np.arange(40, 50), 20),
            np.repeat(np.arange(50, 70), 10),
        ]
    ).astype(float)
    selected = np.concatenate(
        [np.tile([1, 0], 200), np.tile([1, 0], 100), np.repeat([1, 0], [70, 130])]
    )
    return pd.DataFrame({"age": ages, "selected": selected})


def test_age_groups_bands_labels_and_unknowns():
    bands = ai.age_groups(
        pd.Series([18, 39.9, 40, 49, 50, 64, 65, np.nan, None]), cutoffs=(40, 50, 65)
    )
    assert bands.tolist()[:7] == [
        "under 40",
        "under 40",
        "40-49",
        "40-49",
        "50-64",
        "50-64",
        "65 and over",
    ]
    assert bands.isna().sum() == 2 and bands.attrs["unknown"] == 2
    assert list(bands.cat.categories) == ["under 40", "40-49", "50-64", "65 and over"]
    custom = ai.age_groups([30, 70], labels=["younger", "older"])
    assert custom.tolist() == ["younger", "older"]


def test_birth_years_and_birth_dates_with_a_reference_date():
    assert ai.age_groups([1986, 1987], reference_date="2026-12-01").tolist() == [
        "40 and over",
        "under 40",
    ]
    # Completed years: born 2 December 1986 is still 39 on 1 December 2026.
    born = pd.to_datetime(pd.Series(["1986-12-02", "1986-12-01", None]))
    assert ai.age_groups(born, reference_date="2026-12-01").tolist()[:2] == [
        "under 40",
        "40 and over",
    ]


@pytest.mark.parametrize(
    "ages, message",
    [
        ([30, -1, 150, 200], "^age: 3 value"),
        ([1970, 1980], "^age: 2 value.*reference_date"),
    ],
)
def test_ages_outside_0_120_are_an_error_naming_their_count(ages, message):
    with pytest.raises(ai.InputError, match=message):
        ai.age_groups(ages)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"cutoffs": (50, 40)}, "cutoffs"),
        ({"cutoffs": ()}, "cutoffs"),
        ({"labels": ["only one"]}, "labels"),
        ({"reference_date": "not a date"}, "reference_date"),
    ],
)
def test_age_groups_bad_arguments(kwargs, argument):
    with pytest.raises(ai.AdverseImpactError, match=f"^{argument}:"):
        ai.age_groups([30, 50], **kwargs)


def test_acceptance_passes_at_40_fails_at_50_and_the_sweep_shows_where():
    df = _acceptance()
    result = ai.audit_age(df, selected="selected", age="age")
    sweep = result.sweep.set_index("cutoff")
    assert sweep.loc[40.0, "impact_ratio"] == pytest.approx(0.85)
    assert not sweep.loc[40.0, "four_fifths_flag"] and result.passes()
    assert sweep.loc[50.0, "impact_ratio"] == pytest.approx(0.7)
    assert sweep.loc[50.0, "four_fifths_flag"]
    assert result.first_failing_cutoff() == 50.0
    assert list(sweep.loc[[40.0, 45.0], "four_fifths_flag"]) == [False, False]
    assert sweep.loc[45.0, "impact_ratio"] == pytest.approx(0.8)  # exactly 4/5: passes
    # The audit at 40 is the library's audit with the younger group as reference.
    direct = ai.audit(
        selected=df["selected"],
        sensitive_features={"age": np.where(df["age"] >= 40, "40 and over", "under 40")},
        reference="under 40",
    )
    pd.testing.assert_series_equal(
        result.audit.table.set_index("group")["impact_ratio"].sort_index(),
        direct.table.set_index("group")["impact_ratio"].sort_index(),
    )
    # A user-chosen comparison: 50 and over against under 50.
    at50 = ai.audit_age(df, selected="selected", age="age", cutoff=50)
    assert not at50.passes()
    assert "first flagged at 50 and over" in result.summary()


def test_trend_agrees_with_statsmodels_logit():
    rng = np.random.default_rng(2)
    age = rng.integers(20, 70, 3000).astype(float)
    p = 1 / (1 + np.exp(-(0.8 - 0.03 * age)))
    selected = (rng.random(3000) < p).astype(int)
    trend = ai.audit_age(selected=selected, age=age).trend
    fit = sm.Logit(selected, sm.add_constant(age)).fit(disp=0)
    assert trend.slope == pytest.approx(fit.params[1], rel=1e-8)
    assert trend.intercept == pytest.approx(fit.params[0], rel=1e-8)
    assert trend.se == pytest.approx(fit.bse[1], rel=1e-6)
    assert trend.p_value == pytest.approx(fit.pvalues[1], rel=1e-5)
    low, high = np.exp(10 * fit.conf_int()[1])
    assert (trend.ci_low, trend.ci_high) == pytest.approx((low, high), rel=1e-6)


def test_weighted_trend_agrees_with_statsmodels_frequency_weights():
    rng = np.random.default_rng(4)
    age = rng.integers(25, 65, 500).astype(float)
    selected = (rng.random(500) < 0.5 - 0.004 * (age - 25)).astype(int)
    weights = rng.integers(1, 4, 500).astype(float)
    trend = ai.audit_age(selected=selected, age=age, sample_weight=weights).trend
    fit = sm.GLM(
        selected, sm.add_constant(age), family=sm.families.Binomial(), freq_weights=weights
    ).fit()
    assert trend.slope == pytest.approx(fit.params[1], rel=1e-8)
    assert trend.se == pytest.approx(fit.bse[1], rel=1e-6)


def test_separated_or_constant_selection_leaves_the_trend_undefined():
    separated = ai.audit_age(selected=[1, 1, 1, 0, 0, 0], age=[20, 25, 30, 50, 55, 60]).trend
    assert not separated.converged and "separated" in separated.note
    assert np.isnan(separated.slope)
    everyone = ai.audit_age(selected=[1, 1, 1, 1], age=[20, 30, 50, 60]).trend
    assert "everybody" in everyone.note


def test_unknown_ages_are_counted_and_left_out():
    df = _acceptance()
    df.loc[:9, "age"] = np.nan
    result = ai.audit_age(df, selected="selected", age="age")
    assert result.unknown == 10
    assert result.trend.n == len(df) - 10
    assert result.sweep["n_older"].iloc[0] + result.sweep["n_younger"].iloc[0] == len(df) - 10


def test_age_audit_result_is_frozen_and_serialisable():
    result = ai.audit_age(_acceptance(), selected="selected", age="age")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cutoff = 50
    json.dumps(result.to_dict(), allow_nan=False)
    assert repr(result).startswith("AgeAudit: 40 and over vs under 40 passes")
    assert "<table" in result._repr_html_()
    frame = result.sweep
    frame.loc[0, "impact_ratio"] = 0
    assert result.sweep.loc[0, "impact_ratio"] == pytest.approx(0.85)


def test_an_empty_side_is_named():
    with pytest.raises(ai.InputError, match="^age: no applicant"):
        ai.audit_age(selected=[1, 0, 1], age=[20, 25, 30])


# -- make_resumes(age=True): ages and their traces in the text ----------------------------


def test_age_leaves_every_other_column_unchanged():
    from adverse_impact.datasets import make_resumes

    plain = make_resumes(1500, random_state=3)
    aged = make_resumes(1500, random_state=3, age=True)
    assert list(aged.columns) == [
        "resume",
        "gender",
        "race",
        "age",
        "year",
        "qualification",
        "qualified",
        "hired",
    ]
    for column in plain.columns.drop("resume"):
        pd.testing.assert_series_equal(plain[column], aged[column])
    assert all(a.startswith(p) for p, a in zip(plain["resume"], aged["resume"]))
    assert aged["age"].between(22, 65).all()


def test_token_proxies_find_the_age_traces():
    from adverse_impact.datasets import make_resumes
    from adverse_impact.datasets._resumes import _DATED_TECH

    df = make_resumes(3000, random_state=1, age=True)
    bands = ai.age_groups(df["age"])
    found = ai.token_proxies(df["resume"], bands)
    older = found.top(30, group="40 and over")["token"].tolist()
    younger = found.top(30, group="under 40")["token"].tolist()
    assert set(older) & set(_DATED_TECH), older
    # Graduation and career-start years: 40 at graduation in 2026 - 18 = 2008 at the latest.
    old_years = [int(t) for t in older if len(t) == 4 and t.isdigit()]
    young_years = [int(t) for t in younger if len(t) == 4 and t.isdigit()]
    assert len(old_years) >= 10 and max(old_years) <= 2008, older
    assert len(young_years) >= 10 and min(young_years) >= 2005, younger


def test_age_bias_penalises_older_applicants_from_40_on():
    from adverse_impact.datasets import make_resumes

    df = make_resumes(6000, random_state=2, age=True, age_bias=1.0)
    result = ai.audit_age(df, selected="hired", age="age")
    ratios = result.sweep.set_index("cutoff")["impact_ratio"]
    assert ratios[60.0] < ratios[50.0] < ratios[40.0] < 1
    fair = ai.audit_age(make_resumes(6000, random_state=2, age=True), selected="hired", age="age")
    assert fair.sweep["impact_ratio"].between(0.85, 1.15).all()
    with pytest.raises(ai.InputError, match="^age_bias: needs age=True"):
        make_resumes(100, age_bias=1.0)


@pytest.mark.parametrize("weighted", [False, True])
def test_each_cutoff_equals_the_library_audit_of_the_banded_rows(weighted):
    # The sweep counts the rows once by distinct age and sums bands from those
    # counts; every cut-off must give exactly the audit of the banded rows.
    rng = np.random.default_rng(7)
    n = 3_000
    age = np.round(rng.uniform(20, 70, n), 1)  # fractional ages, some exactly on a cut-off
    age[rng.random(n) < 0.03] = np.nan
    age[:20] = 45.0
    selected = (rng.random(n) < np.where(np.nan_to_num(age, nan=30) >= 50, 0.2, 0.3)).astype(int)
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    result = ai.audit_age(selected=selected, age=age, sample_weight=weights, cutoff=45)
    for c in [40.0, 45.0, 50.0, 55.0, 60.0]:
        bands = ai.age_groups(age, cutoffs=(c,))
        younger = bands.cat.categories[0]
        direct = ai.audit(
            selected=selected,
            sensitive_features={"age": bands},
            reference=younger,
            sample_weight=weights,
            intersectional=False,
        )
        row = result.sweep.set_index("cutoff").loc[c]
        older = direct.table.set_index("group").loc[bands.cat.categories[1]]
        assert row["impact_ratio"] == older["impact_ratio"]
        assert row["selected_older"] == older["selected"]
        # Weighted audits carry no significance tests; unweighted ones must agree exactly.
        expected_p = older.get("p_value_fisher", np.nan)
        assert row["p_value_fisher"] == expected_p or (np.isnan(expected_p) and weighted)
        if c == 45.0:
            pd.testing.assert_frame_equal(result.audit.table, direct.table)
            assert dict(result.audit.unknown) == dict(direct.unknown)
            assert result.audit.exact_ratios == direct.exact_ratios


@pytest.mark.parametrize("weighted", [False, True])
def test_a_cutoff_with_an_empty_band_reports_the_other_bands_counts_not_zeros(weighted):
    # At 60 no applicant is older, so there is no comparison; the younger band's
    # selections and rate are still facts and must not read 0 and NaN.
    rng = np.random.default_rng(3)
    age = rng.integers(20, 58, 300).astype(float)
    selected = (rng.random(300) < 0.4).astype(int)
    weights = rng.uniform(0.5, 2.0, 300) if weighted else None
    result = ai.audit_age(
        selected=selected, age=age, sample_weight=weights, cutoff=40, sweep=(40, 60)
    )
    row = result.sweep.set_index("cutoff").loc[60.0]
    assert row["n_older"] == 0 and row["n_younger"] == 300
    assert row["selected_younger"] == selected.sum()
    w = np.ones(300) if weights is None else weights
    assert row["rate_younger"] == pytest.approx((w * selected).sum() / w.sum())
    assert np.isnan(row["rate_older"]) and np.isnan(row["impact_ratio"])
    assert not row["four_fifths_flag"]
    # Where both bands exist the row is the audit's, as before.
    at_40 = result.sweep.set_index("cutoff").loc[40.0]
    assert at_40["selected_older"] + at_40["selected_younger"] == selected.sum()
    assert at_40["rate_older"] in set(result.audit.table["rate"])


def test_age_summary_shows_a_flagged_ratio_past_three_decimals():
    # The older group selected in 3,998 of 5,000, the younger in all: 0.7996, below.
    selected = [1] * 3_998 + [0] * 1_002 + [1] * 5_000
    spread = np.arange(5_000) % 20
    data = pd.DataFrame({"age": np.r_[41 + 2 * spread, 20 + spread], "selected": selected})
    age = ai.audit_age(data, selected="selected", age="age", cutoff=40, sweep=[40])
    line = age.summary().splitlines()[1]
    assert "impact ratio 0.7996 (below 4/5)" in line and "impact ratio 0.800" not in line
