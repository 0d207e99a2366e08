"""Defects found when the first wave was tried as a new user would (issue 19), one test each."""

from __future__ import annotations

import json

import numpy as np
import pytest

import adverse_impact as ai
from adverse_impact._proxies._counterfactual import load_pairs, swap_terms
from adverse_impact.testing import (
    assert_counterfactual_invariance,
    assert_no_adverse_impact,
    assert_no_proxy_leakage,
)

# -- swap_terms: a dict means what the list means ----------------------------------------


@pytest.mark.parametrize("pairs", [{"alice": "bob"}, [("alice", "bob")], {"Alice": "Bob"}])
def test_swap_terms_swaps_both_ways_whatever_the_form_of_the_pairs(pairs):
    # Before: the dict form swapped one way only ("Bob met Bob").
    assert swap_terms("Alice met Bob", pairs) == "Bob met Alice"
    assert load_pairs(pairs) == {"alice": "bob", "bob": "alice"}


# -- testing.py raises the library's own errors -------------------------------------------


def _audit():
    return ai.audit(selected=[1, 0] * 10, sensitive_features={"sex": ["F", "M"] * 10})


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: assert_no_adverse_impact(_audit(), X=[[0]] * 20), "X"),
        (lambda: assert_no_adverse_impact(lambda X: X), "sensitive_features"),
        (lambda: assert_no_proxy_leakage([[0]] * 4, ["F", "M"] * 2), "max_auc"),
        (lambda: assert_no_proxy_leakage([[0]] * 4, ["F", "M"] * 2, forbidden=["x"]), "model"),
        (
            lambda: assert_counterfactual_invariance(lambda X: X, ["a"], max_abs_change="0.1"),
            "max_abs_change",
        ),
        (
            lambda: assert_counterfactual_invariance(lambda X: X, ["a"], max_flip_rate=0.1),
            "max_flip_rate",
        ),
    ],
)
def test_testing_helpers_raise_the_library_errors_naming_the_argument(call, argument):
    with pytest.raises(ai.InputTypeError, match=rf"^{argument}: "):
        call()
    with pytest.raises(TypeError):  # still a TypeError, as before
        call()


# -- surviving mutants and their siblings -------------------------------------------------


def test_min_cell_withholds_the_rates_when_only_the_selected_count_is_small():
    # 200 women of whom 3 are selected: n is large, `selected` is small, and the rate
    # with n would reveal it.  (Suppressing on n alone survived the whole suite.)
    selected = [1] * 3 + [0] * 197 + [1] * 100 + [0] * 100
    result = ai.audit(selected=selected, sensitive_features={"sex": ["F"] * 200 + ["M"] * 200})
    k = 5
    row = next(r for r in json.loads(result.to_json(min_cell=k))["table"] if r["group"] == "F")
    assert row["n"] == 200 and row["selected"] == f"<{k}" and row["suppressed"] is True
    assert row["rate"] is None and row["impact_ratio"] is None and row["p_value_fisher"] is None
    line = next(
        line for line in result.to_markdown(min_cell=k).splitlines() if line.startswith("| F |")
    )
    assert f"<{k}" in line and "0.015" not in line and "1.5%" not in line
    male = next(r for r in json.loads(result.to_json(min_cell=k))["table"] if r["group"] == "M")
    assert male["suppressed"] is False and male["rate"] == 0.5


def test_min_cell_withholds_the_share_of_a_small_group():
    # Sibling: the share of known rows times the published known total gives n back.
    result = ai.audit(
        selected=[1, 0] * 100 + [1, 0], sensitive_features={"sex": ["M"] * 200 + ["F"] * 2}
    )
    row = next(r for r in json.loads(result.to_json(min_cell=5))["table"] if r["group"] == "F")
    assert row["n"] == "<5" and row["share"] is None


def test_min_share_is_a_share_of_known_rows_not_of_all_rows():
    # 97 A and 3 B known (B is 3% of known rows), 100 unknown (B is 1.5% of all rows):
    # at min_share=0.02 (NYC's 2% rule, 6 RCNY 5-301), B stays in.
    groups = ["A"] * 97 + ["B"] * 3 + [None] * 100
    selected = [1, 0] * 100
    result = ai.audit(selected=selected, sensitive_features={"g": groups}, min_share=0.02)
    table = result.table.set_index("group")
    assert not table.loc["B", "excluded"]
    assert table.loc["B", "share"] == pytest.approx(0.03)
    # and at 4% it is excluded, with the share of known rows in the note
    excluded = ai.audit(selected=selected, sensitive_features={"g": groups}, min_share=0.04)
    note = excluded.table.set_index("group").loc["B", "note"]
    assert excluded.table.set_index("group").loc["B", "excluded"] and "3.00%" in note


def test_min_share_of_an_intersection_is_a_share_of_its_known_rows():
    # Sibling: a row is unknown for the intersection when either label is; the base
    # is the intersection's own known rows.
    sex = ["F"] * 48 + ["M"] * 48 + ["F", "F"] + [None] * 100
    race = ["A"] * 96 + ["B", "B"] + ["A"] * 100
    result = ai.audit(
        selected=[1, 0] * 99, sensitive_features={"sex": sex, "race": race}, min_share=0.015
    )
    table = result.table[result.table["attribute"] == "sex x race"].set_index("group")
    assert table.loc["F | B", "share"] == pytest.approx(2 / 98)
    assert not table.loc["F | B", "excluded"]


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
