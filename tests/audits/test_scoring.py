"""Scores from a model and decisions from scores (``_audits/_scoring.py``).

References: the estimators' own ``predict_proba``/``decision_function`` columns
(scikit-learn), and the tie rule written out by hand (the k-th highest score).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

import adverse_impact as ai
from adverse_impact._audits._scoring import decide, model_scores, top_k

SCORES_TIED = np.array([0.9, 0.5, 0.5, 0.1, 0.5, 0.2])
X_LADDER = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
Y_LADDER = np.array([0, 0, 1, 1] * 5)


def test_random_tie_break_is_uniform_over_the_tied():
    # 0.9 always advances; the second place goes to one of the three 0.5s, each
    # about a third of the time (binomial check, 3,000 draws).
    hits = np.zeros(6)
    for seed in range(3000):
        cut = decide(SCORES_TIED, select_top=2, ties="random", random_state=seed)
        hits += cut.selected
    assert hits[0] == 3000 and hits[[3, 5]].sum() == 0
    from scipy.stats import chisquare

    assert chisquare(hits[[1, 2, 4]]).pvalue > 0.001


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.integers(0, 4), min_size=1, max_size=40),
    share=st.one_of(st.integers(1, 40), st.floats(0.01, 0.99)),
    seed=st.integers(0, 2**16),
)
def test_property_selected_count_is_what_the_tie_rule_says(values, share, seed):
    scores = np.asarray(values, dtype=float) / 4  # few distinct values: many ties
    n = scores.size
    if isinstance(share, int) and share > n:
        share = n
    k = share if isinstance(share, int) else max(1, int(np.ceil(round(share, 12) * n)))
    ordered = np.sort(scores)[::-1]
    kth = ordered[k - 1]
    straddles = k < n and ordered[k] == kth  # the k-th and (k+1)-th share a score
    if straddles:
        with pytest.raises(ai.InputError, match="cuts through"):
            decide(scores, select_top=share)
    else:
        cut = decide(scores, select_top=share)
        assert cut.n_selected == k and cut.selected.tolist() == (scores >= kth).tolist()
    cut = decide(scores, select_top=share, ties="random", random_state=seed)
    assert cut.n_selected == k
    # Everyone above the cut-off is selected, nobody below it.
    assert cut.selected[scores > cut.cutoff].all() and not cut.selected[scores < cut.cutoff].any()
    assert cut.cutoff == kth


# -- scores from a model -------------------------------------------------------------


def test_the_positive_column_is_the_one_pos_label_names():
    y = np.where(Y_LADDER == 1, "advance", "reject")
    model = LogisticRegression(C=100.0).fit(X_LADDER, y)
    proba = model.predict_proba(X_LADDER)
    for pos_label in ("advance", "reject"):
        scores, method = model_scores(model, X_LADDER, pos_label=pos_label)
        column = list(model.classes_).index(pos_label)
        np.testing.assert_array_equal(scores, proba[:, column])
        assert method == "predict_proba"


def test_a_binary_margin_is_flipped_when_the_positive_class_is_the_first():
    model = LinearSVC(C=10.0).fit(X_LADDER, Y_LADDER)
    margin = model.decision_function(X_LADDER)  # the score of classes_[1]
    ones, method = model_scores(model, X_LADDER, pos_label=1)
    zeros, _ = model_scores(model, X_LADDER, pos_label=0)
    assert method == "decision_function"
    np.testing.assert_array_equal(ones, margin)
    np.testing.assert_array_equal(zeros, -margin)


def test_a_predict_only_model_scores_its_decisions_and_a_callable_is_called():
    class Decides:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return (np.asarray(X)[:, 0] >= 2).astype(int)

        def __sklearn_is_fitted__(self):
            return True

    scores, method = model_scores(Decides(), X_LADDER[:4])
    assert method == "predict" and scores.tolist() == [0.0, 0.0, 1.0, 1.0]
    scores, method = model_scores(lambda X: np.asarray(X)[:, 0] * 2, X_LADDER[:4])
    assert method == "callable" and scores.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_what_cannot_score_is_refused_naming_model_or_x():
    with pytest.raises(
        ai.InputTypeError, match=r"^model: int has no predict_proba, .*not callable"
    ):
        model_scores(3, X_LADDER)
    with pytest.raises(ai.InputError, match=r"^model: returned 1 NaN or infinite score"):
        model_scores(lambda X: np.array([0.1, np.nan, 0.3]), X_LADDER[:3])
    with pytest.raises(ai.InputError, match=r"^model: LogisticRegression is not fitted"):
        model_scores(LogisticRegression(), X_LADDER)
    fitted = LogisticRegression().fit(X_LADDER, Y_LADDER)
    with pytest.raises(ai.InputError, match=r"^X: the model could not score X \(ValueError"):
        model_scores(fitted, np.zeros((3, 2)))  # fitted on one feature
    with pytest.raises(ai.InputError, match=r"^pos_label: 'yes' is not one of the model's"):
        model_scores(fitted, X_LADDER, pos_label="yes")


# -- decisions from scores -------------------------------------------------------------


@pytest.mark.parametrize(
    ("select_top", "n", "k"),
    [(1, 10, 1), (10, 10, 10), (0.07, 100, 7), (0.1, 3, 1), (0.5, 5, 3), (0.999, 7, 7)],
)
def test_top_k_reads_a_count_or_a_share_rounded_up(select_top, n, k):
    # ceil(share * n) with the share read as the decimal written: 0.07 * 100 is 7, not
    # the 8 that ceil(7.000000000000001) gives.
    assert top_k(select_top, n) == k


@pytest.mark.parametrize(
    ("select_top", "error", "match"),
    [
        (True, ai.InputTypeError, r"^select_top: got a bool"),
        (0, ai.InputError, r"^select_top: k=0 is outside 1\.\.5"),
        (6, ai.InputError, r"^select_top: k=6 is outside 1\.\.5"),
        (1.0, ai.InputError, r"^select_top: 1\.0 is neither an int k nor a fraction"),
        ("3", ai.InputError, r"^select_top: '3' is neither"),
    ],
)
def test_top_k_refuses_what_is_not_a_count_or_share_naming_select_top(select_top, error, match):
    with pytest.raises(error, match=match):
        top_k(select_top, 5)


def test_a_threshold_selects_at_or_above_and_counts_the_ties_it_meets():
    cut = decide(SCORES_TIED, threshold=0.5)
    assert cut.selected.tolist() == [True, True, True, False, True, False]
    assert (cut.rule, cut.cutoff, cut.n_tied, cut.n_random, cut.requested) == (
        "threshold",
        0.5,
        3,
        0,
        None,
    )
    assert cut.params() == {
        "cutoff": 0.5,
        "requested_selected": None,
        "requested_share": None,
        "n_selected": 4,
        "selected_share": 4 / 6,
        "n_tied_at_cutoff": 3,
        "n_tie_break": 0,
    }


def test_a_top_k_that_ends_on_a_whole_block_of_ties_needs_no_tie_break():
    cut = decide(SCORES_TIED, select_top=4)  # 0.9 and all three 0.5s
    assert cut.selected.tolist() == [True, True, True, False, True, False]
    assert cut.params()["requested_share"] == 4 / 6 and cut.n_random == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"^threshold: no cut-off was given\. Pass threshold= or select_top="),
        ({"threshold": float("nan")}, r"^threshold: is NaN"),
        ({"threshold": 0.5, "select_top": 2}, r"^select_top: both threshold and select_top"),
        ({"select_top": 2, "ties": "all"}, r"^ties: 'all' is not one of \['error', 'random'\]"),
    ],
)
def test_decide_names_the_argument_that_is_wrong(kwargs, match):
    with pytest.raises(ai.InputError, match=match):
        decide(SCORES_TIED, **kwargs)
