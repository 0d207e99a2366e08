"""Audits from race probabilities (ai.audit_imputed): the weighted estimator and the bounds.

Seeded simulations of a population with a discrete proxy ``z`` whose race
probabilities ``P(race | z)`` are known exactly (so the probabilities are
calibrated), checked against closed forms: Chen, Kallus, Mao, Svacha and
Udell (2019) for the weighted estimator's bias, Kallus, Mao and Zhou (2022)
for the identified set.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._bisg._weighted import kmz_bounds

GROUPS = ["a", "b", "c"]
#: P(race | z) for eight proxy cells (rows sum to 1), each cell equally likely.
P_GIVEN_Z = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.70, 0.20, 0.10],
        [0.50, 0.40, 0.10],
        [0.30, 0.60, 0.10],
        [0.10, 0.85, 0.05],
        [0.40, 0.10, 0.50],
        [0.20, 0.20, 0.60],
        [0.60, 0.30, 0.10],
    ]
)

#: Selection probability by (race, z): the designs.
DESIGNS = {
    # selection depends on race alone: b at 60% of a's rate
    "race only": np.tile([[0.25], [0.15], [0.22]], (1, 8)),
    # race and place interact
    "race x place": np.array(
        [
            [0.30, 0.25, 0.20, 0.35, 0.40, 0.30, 0.25, 0.20],
            [0.10, 0.20, 0.15, 0.10, 0.30, 0.05, 0.20, 0.10],
            [0.20, 0.20, 0.25, 0.30, 0.20, 0.25, 0.30, 0.20],
        ]
    ),
    # b favoured
    "reversed": np.tile([[0.15], [0.30], [0.20]], (1, 8)),
    # selection depends on place alone: independent of race given the proxy
    "place only": np.tile([[0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45]], (3, 1)),
}


def _population(selection: np.ndarray, n: int, seed: int):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 8, n)
    p = P_GIVEN_Z[z]
    race = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    selected = rng.random(n) < selection[race, z]
    return z, pd.DataFrame(p, columns=GROUPS), race, selected


def _chen_target(selection: np.ndarray) -> np.ndarray:
    """Each group's rate plus Chen et al.'s bias, -E[Cov(1{race=k}, S | z)] / P(race=k)."""
    sigma = (P_GIVEN_Z * selection.T).sum(axis=1)  # P(S = 1 | z)
    share = P_GIVEN_Z.mean(axis=0)  # P(race = k), z uniform
    true_rate = (P_GIVEN_Z * selection.T).mean(axis=0) / share
    covariance = P_GIVEN_Z * selection.T - P_GIVEN_Z * sigma[:, None]  # Cov(1{R=k}, S | z)
    return true_rate - covariance.mean(axis=0) / share


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_the_weighted_estimators_bias_is_chen_et_als_covariance(design):
    selection = DESIGNS[design]
    z, probs, race, selected = _population(selection, 400_000, seed=1)
    result = ai.audit_imputed(selected, probs, reference="a").table.set_index("group")
    target = _chen_target(selection)
    # The population weighted rate, computed directly: E[p_k(z) sigma(z)] / E[p_k(z)].
    sigma = (P_GIVEN_Z * selection.T).sum(axis=1)
    direct = (P_GIVEN_Z * sigma[:, None]).mean(axis=0) / P_GIVEN_Z.mean(axis=0)
    np.testing.assert_allclose(direct, target, atol=1e-12)  # the identity itself
    half_width = (result["rate_ci_high"] - result["rate_ci_low"]) / 2
    assert np.all(np.abs(result["rate"].to_numpy() - target) < 1.5 * half_width.to_numpy())


def test_the_weighted_estimator_is_unbiased_when_selection_ignores_race_given_the_proxy():
    selection = DESIGNS["place only"]
    z, probs, race, selected = _population(selection, 400_000, seed=2)
    share = P_GIVEN_Z.mean(axis=0)
    true_rate = (P_GIVEN_Z * selection.T).mean(axis=0) / share
    np.testing.assert_allclose(_chen_target(selection), true_rate, atol=1e-12)  # no covariance
    table = ai.audit_imputed(selected, probs, reference="a").table.set_index("group")
    assert np.all(np.abs(table["rate"].to_numpy() - true_rate) < 0.004)
    truth = true_rate[1] / true_rate[0]
    assert abs(table.loc["b", "impact_ratio"] - truth) < 0.02
    assert table.loc["b", "ratio_ci_low"] < truth < table.loc["b", "ratio_ci_high"]


def test_the_weighted_estimate_is_biased_toward_one_when_selection_depends_on_race():
    z, probs, race, selected = _population(DESIGNS["race only"], 100_000, seed=3)
    row = ai.audit_imputed(selected, probs, reference="a").table.set_index("group").loc["b"]
    truth = selected[race == 1].mean() / selected[race == 0].mean()
    assert truth < 0.65 and row["impact_ratio"] > truth + 0.1


@pytest.mark.parametrize("design", sorted(DESIGNS))
@pytest.mark.parametrize("cells", ["proxy", "default"])
def test_the_bounds_contain_the_truth_in_every_design(design, cells):
    z, probs, race, selected = _population(DESIGNS[design], 60_000, seed=4)
    result = ai.audit_imputed(selected, probs, reference="a", cells=z if cells == "proxy" else None)
    table = result.table.set_index("group")
    true_rate = np.array([selected[race == k].mean() for k in range(3)])
    for k, group in enumerate(GROUPS[1:], start=1):
        row = table.loc[group]
        truth = true_rate[k] / true_rate[0]
        assert row["bound_low"] <= truth <= row["bound_high"], (group, truth)
        assert row["rate_bound_low"] <= true_rate[k] <= row["rate_bound_high"]
        assert row["bound_low"] <= row["impact_ratio"] <= row["bound_high"]


def test_coarser_cells_give_wider_bounds():
    z, probs, race, selected = _population(DESIGNS["race only"], 60_000, seed=5)
    fine = ai.audit_imputed(selected, probs, reference="a", cells=z).table.set_index("group")
    one = ai.audit_imputed(selected, probs, reference="a", cells=np.zeros(len(z)))
    coarse = one.table.set_index("group")
    assert coarse.loc["b", "bound_low"] <= fine.loc["b", "bound_low"]
    assert coarse.loc["b", "bound_high"] >= fine.loc["b", "bound_high"]


def test_bounds_in_a_cell_are_the_frechet_limits():
    # One cell: 30% a, 70% not; 50% selected.  a's selected share lies in
    # [max(0, 0.5 - 0.7), min(0.5, 0.3)] = [0, 0.3] of everyone, so a's rate in [0, 1].
    s = np.array([1] * 50 + [0] * 50, dtype=float)
    p_a, p_b = np.full(100, 0.3), np.full(100, 0.7)
    low_a, high_a, low_b, high_b, r_low, r_high = kmz_bounds(s, p_a, p_b, np.zeros(100))
    assert (low_a, high_a) == pytest.approx((0.0, 1.0))
    assert (low_b, high_b) == pytest.approx((0.2 / 0.7, 0.5 / 0.7))
    assert (r_low, r_high) == pytest.approx((0.0, 1.0 / (0.2 / 0.7)))


def test_known_race_gives_the_plain_audit_and_bounds_that_collapse_onto_it():
    rng = np.random.default_rng(6)
    labels = rng.choice(GROUPS, size=3000, p=[0.5, 0.3, 0.2])
    selected = rng.random(3000) < np.where(labels == "b", 0.2, 0.3)
    probs = pd.get_dummies(pd.Series(labels)).astype(float)[GROUPS]
    table = ai.audit_imputed(selected, probs).table.set_index("group")
    plain = ai.audit(selected=selected.astype(int), sensitive_features={"race": labels}).to_frame()
    plain = plain.set_index("group")
    for group in GROUPS:
        assert table.loc[group, "rate"] == pytest.approx(plain.loc[group, "rate"])
        assert table.loc[group, "impact_ratio"] == pytest.approx(plain.loc[group, "impact_ratio"])
        assert table.loc[group, "bound_low"] == pytest.approx(table.loc[group, "impact_ratio"])
        assert table.loc[group, "bound_high"] == pytest.approx(table.loc[group, "impact_ratio"])
        assert table.loc[group, "argmax_rate"] == pytest.approx(plain.loc[group, "rate"])
        assert table.loc[group, "n_expected"] == plain.loc[group, "n"]


def test_shares_and_the_two_percent_rule_come_from_summed_probabilities():
    # Everyone is 0.6% likely to be group "small"; no one is most likely "small".  Counting
    # rows (as a long table with weights does) would give it a share of one in three.
    n = 5000
    rng = np.random.default_rng(7)
    p_b = rng.uniform(0.1, 0.5, n)
    probs = pd.DataFrame({"a": 1 - p_b - 0.006, "b": p_b, "small": np.full(n, 0.006)})
    selected = rng.random(n) < 0.3
    selected[:100] = True  # the first rows all selected: "small" gets a high weighted rate
    result = ai.audit_imputed(selected, probs, min_share=0.02)
    table = result.table.set_index("group")
    assert table.loc["small", "share"] == pytest.approx(0.006)
    assert table.loc["small", "n_expected"] == pytest.approx(30.0)
    assert table.loc["small", "excluded"] and not table.loc["small", "is_reference"]
    assert table.loc["small", "argmax_n"] == 0
    assert result.reference in {"a", "b"} and "small" not in result.summary().splitlines()[0]


def test_effective_sample_size_is_kish():
    p = np.array([[1.0, 0.0], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    probs = pd.DataFrame(p, columns=["x", "y"])
    table = ai.audit_imputed([1, 0, 1, 0], probs).table.set_index("group")
    for i, group in enumerate(["x", "y"]):
        expected = p[:, i].sum() ** 2 / (p[:, i] ** 2).sum()
        assert table.loc[group, "n_effective"] == pytest.approx(expected)


def test_the_ratio_interval_covers_the_weighted_target_at_about_its_level():
    selection = DESIGNS["race x place"]
    sigma = (P_GIVEN_Z * selection.T).sum(axis=1)
    weighted = (P_GIVEN_Z * sigma[:, None]).mean(axis=0) / P_GIVEN_Z.mean(axis=0)
    target = weighted[1] / weighted[0]
    hits = 0
    reps = 200
    for seed in range(reps):
        z, probs, race, selected = _population(selection, 1_500, seed=100 + seed)
        row = ai.audit_imputed(selected, probs, reference="a").table.set_index("group").loc["b"]
        hits += row["ratio_ci_low"] <= target <= row["ratio_ci_high"]
    assert 0.91 <= hits / reps <= 0.985


def test_race_estimates_go_in_directly_with_their_source(adult_counts):
    est = ai.impute_race(
        ["Smith", "Garcia", "Nguyen", "Washington"] * 25,
        zcta=["30310"] * 100,
        zcta_table=adult_counts,
    )
    selected = [1, 0, 1, 0] * 25
    result = ai.audit_imputed(selected, est)
    assert list(result.table["group"]) == [
        "white",
        "black",
        "api",
        "aian",
        "multiracial",
        "hispanic",
    ]
    assert result.source["surnames"] == "2010"
    assert result.source["geography"] == f"a DataFrame of {len(adult_counts):,} ZCTAs"


def test_polars_inputs_give_the_same_audit():
    pl = pytest.importorskip("polars")
    z, probs, race, selected = _population(DESIGNS["race only"], 2_000, seed=8)
    a = ai.audit_imputed(selected, probs).to_frame()
    b = ai.audit_imputed(pl.Series(selected), pl.from_pandas(probs)).to_frame()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"probabilities": pd.DataFrame({"a": [0.5, 0.5], "b": [0.4, 0.4]})},
            ai.InputError,
            r"probabilities: 2 row\(s\) do not sum to 1",
        ),
        (
            {"probabilities": pd.DataFrame({"a": [1.0, np.nan], "b": [0.0, 0.5]})},
            ai.InputError,
            r"probabilities: 1 row\(s\) hold a missing",
        ),
        (
            {"probabilities": np.array([[0.5, 0.5], [1, 0]])},
            ai.InputTypeError,
            r"probabilities: got ndarray",
        ),
        ({"reference": "z"}, ai.InputError, r"reference: 'z' is not one of \['a', 'b'\]"),
        ({"confidence": 1.5}, ai.InputError, r"confidence: 1.5 is not a number"),
        ({"min_share": 2}, ai.InputError, r"min_share: 2 is not a number in \(0, 1\)"),
        ({"cells": [1, 2, 3]}, ai.InputError, r"inconsistent numbers of rows"),
        ({"selected": [1, 0, 1]}, ai.InputError, r"inconsistent numbers of rows"),
    ],
)
def test_bad_arguments_are_named_in_the_error(kwargs, error, match):
    arguments = {
        "selected": [1, 0],
        "probabilities": pd.DataFrame({"a": [0.5, 1.0], "b": [0.5, 0.0]}),
    }
    arguments.update(kwargs)
    selected = arguments.pop("selected")
    probabilities = arguments.pop("probabilities")
    with pytest.raises(error, match=match):
        ai.audit_imputed(selected, probabilities, **arguments)


def test_tiny_cells_are_warned_about_in_the_notes():
    z, probs, race, selected = _population(DESIGNS["race only"], 1_000, seed=9)
    result = ai.audit_imputed(selected, probs, cells=np.arange(1_000))
    assert any("fewer than 20 people" in note for note in result.notes)


def test_the_result_has_the_common_surface():
    z, probs, race, selected = _population(DESIGNS["race only"], 5_000, seed=10)
    result = ai.audit_imputed(selected, probs, reference="a")
    summary = result.summary()
    assert summary.splitlines()[0] == repr(result).splitlines()[0]
    assert "biased toward 1" in summary.splitlines()[0] and "bounded in" in summary
    json.dumps(result.to_dict(), allow_nan=False)
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.to_frame(), result.to_frame())
    assert "<strong>ImputedAudit" in result._repr_html_()


def test_the_example_reproduces_the_motivating_simulation(capsys):
    # examples/audit_without_race.py: true Black/White ratio 0.60, weighted about 0.80,
    # the figures quoted in docs/race-estimates.md.
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "audit_without_race.py"
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "true Black/White impact ratio        0.594" in out
    assert "probability-weighted estimate        0.811" in out
    assert "argmax (hard assignment) estimate    0.732" in out
    assert "corrected (BIRDiE pooled) estimate   0.604" in out
    assert "sharp bounds                         [0.045, 3.025]" in out


def test_pandas_inputs_with_different_indexes_are_refused(adult_counts):
    probs = pd.DataFrame({"a": [0.5, 1.0], "b": [0.5, 0.0]}, index=[10, 11])
    with pytest.raises(ai.InputError, match="index differs"):
        ai.audit_imputed(pd.Series([1, 0]), probs)
    with pytest.raises(ai.InputError, match="index differs"):
        ai.impute_race(
            pd.Series(["Smith"], index=[5]), zcta=pd.Series(["30310"]), zcta_table=adult_counts
        )


def test_the_bounds_never_call_fair_selection_a_failure():
    # Everyone selected at 20% whatever their race: the four-fifths verdict of the
    # bounds is "holds" or "undetermined" in every one of 200 small samples.
    fair = np.full((3, 8), 0.2)
    verdicts = set()
    for seed in range(200):
        z, probs, race, selected = _population(fair, 1_000, seed=1_000 + seed)
        verdicts |= set(ai.audit_imputed(selected, probs, reference="a").table["four_fifths"])
    assert "fails" not in verdicts


def test_the_corrected_estimate_recovers_the_truth_under_its_assumption():
    # "race only": selection depends on race alone, so it is independent of the proxy
    # given race, the corrected (BIRDiE pooled) model's assumption.
    selection = DESIGNS["race only"]
    z, probs, race, selected = _population(selection, 200_000, seed=11)
    result = ai.audit_imputed(selected, probs, reference="a", corrected=True)
    table = result.table.set_index("group")
    np.testing.assert_allclose(table["corrected_rate"], selection[:, 0], atol=0.01)
    assert table.loc["b", "corrected_impact_ratio"] == pytest.approx(0.6, abs=0.03)
    assert table.loc["b", "impact_ratio"] > 0.7  # the weighted estimate, for contrast
    assert any("independent of the proxies" in note for note in result.notes)
    # Off by default: the columns are there, empty.
    plain = ai.audit_imputed(selected, probs, reference="a").table
    assert plain["corrected_rate"].isna().all()
    with pytest.raises(ai.InputTypeError, match="corrected: 'yes' is not True or False"):
        ai.audit_imputed(selected, probs, corrected="yes")


def test_bounds_beside_the_four_fifths_verdict_show_the_side_it_puts_them_on():
    # The verdict rests on the bounds: "fails" is the upper bound below 0.8, "holds" the
    # lower bound at or above it.  An upper bound of 0.79996 set on a real result's
    # table (no data puts a bound a hair under the line on demand) is not "0.800".
    import dataclasses

    p_black = np.repeat([0.01, 0.99], 500)
    selected = np.r_[np.tile([1, 0], 250), np.tile([1, 0, 0, 0, 0], 100)]
    probs = pd.DataFrame({"white": 1 - p_black, "black": p_black})
    result = ai.audit_imputed(selected, probs, reference="white", cells=p_black)
    table = result._table.copy()
    black = table["group"] == "black"
    table.loc[black, ["bound_low", "bound_high", "four_fifths"]] = [0.7, 0.79996, "fails"]
    failing = dataclasses.replace(result, _table=table)
    for text in (failing.summary(), repr(failing), failing.gate().message()):
        assert "0.79996" in text and "0.800" not in text, text
    table.loc[black, ["bound_low", "bound_high", "four_fifths"]] = [0.79996, 0.9, "undetermined"]
    straddles = dataclasses.replace(result, _table=table)
    assert "bounds [0.79996, 0.900] four-fifths undetermined" in straddles.summary()
    assert "0.79996" in repr(straddles) and "0.79996" in straddles._repr_html_()
