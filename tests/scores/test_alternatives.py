"""Less discriminatory alternatives: compare_models and search_alternatives."""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import adverse_impact as ai
from adverse_impact._audits._scoring import decide
from adverse_impact._scores._alternatives import _AUC, GROUP_CUTOFF_NOTE


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.default_rng(0)
    n = 3000
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    y = rng.random(n) < 0.4
    X = pd.DataFrame(
        {
            "skill": y + rng.normal(0, 1, n),
            "tenure": 0.5 * y + rng.normal(0, 1, n),
            "club": (sex == "M") + 0.6 * y + rng.normal(0, 1, n),
        }
    )
    return X, y, sex


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), ties=st.booleans())
def test_weighted_auc_matches_sklearn(seed, ties):
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 1, 60)
    if ties:
        scores = np.round(scores, 0)
    truth = (rng.random(60) < 0.4).astype(int)
    truth[:2] = [0, 1]
    weights = rng.integers(0, 4, 60).astype(float)
    weights[:2] = 1
    auc = _AUC(scores, truth)
    assert auc(np.ones(60)) == pytest.approx(roc_auc_score(truth, scores), rel=1e-12)
    assert auc(weights) == pytest.approx(
        roc_auc_score(truth, scores, sample_weight=weights), rel=1e-12
    )


def test_compare_models_table_agrees_with_audit_and_sklearn(tabular):
    X, y, sex = tabular
    full = LogisticRegression().fit(X, y)
    blind = LogisticRegression().fit(X[["skill", "tenure"]], y)
    models = {"full": full, "blind": lambda X: blind.predict_proba(X[["skill", "tenure"]])[:, 1]}
    result = ai.compare_models(
        models, X, y, {"sex": sex}, select_top=0.3, n_resamples=100, random_state=1
    )
    table = result.table.set_index("model")
    for name, scores in (
        ("full", full.predict_proba(X)[:, 1]),
        ("blind", blind.predict_proba(X[["skill", "tenure"]])[:, 1]),
    ):
        assert table.loc[name, "metric"] == pytest.approx(roc_auc_score(y, scores), rel=1e-12)
        picked = decide(scores, select_top=0.3).selected
        audit = ai.audit(selected=picked, sensitive_features={"sex": sex})
        assert table.loc[name, "min_impact_ratio"] == pytest.approx(
            audit.table["impact_ratio"].min()
        )
        assert table.loc[name, "passes_four_fifths"] == audit.passes()
        assert table.loc[name, "precision"] == pytest.approx(y[picked].mean())
        assert table.loc[name, "recall"] == pytest.approx(picked[y].mean())
    assert result.current == "full"
    # The interval of the current model: the percentile bootstrap, recomputed with sklearn
    # on the same resamples (one block of 100 draws from the same seed).
    scores = full.predict_proba(X)[:, 1]
    draws = np.random.default_rng(1).integers(0, len(y), (100, len(y)))
    aucs = [roc_auc_score(y[idx], scores[idx]) for idx in draws]
    assert table.loc["full", ["metric_ci_low", "metric_ci_high"]].tolist() == pytest.approx(
        np.quantile(aucs, [0.025, 0.975]), rel=1e-12
    )
    if not table.loc["blind", "less_discriminatory"]:  # intervals only where the verdict needs
        assert np.isnan(table.loc["blind", "metric_ci_low"])
    assert table.loc["full", "min_impact_ratio"] < table.loc["blind", "min_impact_ratio"]
    assert table.loc["full", "metric_diff"] == 0 and table.loc["full", "is_current"]
    ratios = result.impact_ratios
    assert set(ratios["model"]) == {"full", "blind"} and set(ratios["group"]) == {"F", "M"}


def test_verdict_names_the_alternative_within_tolerance(tabular):
    X, y, sex = tabular
    skill = X["skill"].to_numpy()
    models = {
        "penalised": skill - 0.5 * (sex == "F"),
        "plain": skill,
        "weak": skill + np.random.default_rng(3).normal(0, 3, len(skill)),
    }
    result = ai.compare_models(
        models,
        None,
        y,
        {"sex": sex},
        select_top=0.3,
        n_resamples=100,
        random_state=0,
        tolerance=0.005,
    )
    assert result.alternatives == ["plain"]
    assert "'plain'" in result.verdict and "'weak'" not in result.verdict.split("alternatives")[1]
    table = result.table.set_index("model")
    assert table.loc["plain", "pareto"] and not table.loc["weak", "less_discriminatory"]
    assert table.loc["plain", "ir_diff_ci_low"] > 0  # a clear gain, not noise
    none = ai.compare_models(
        {"plain": skill, "penalised": models["penalised"]},
        None,
        y,
        {"sex": sex},
        select_top=0.3,
        n_resamples=0,
    )
    assert none.alternatives == [] and "No model is a less discriminatory" in none.verdict


def test_pareto_frontier_is_the_undominated_set():
    rng = np.random.default_rng(2)
    y = rng.random(800) < 0.5
    sex = rng.choice(["F", "M"], 800)
    base = y + rng.normal(0, 1, 800)
    models = {
        f"m{k}": base + k * 0.3 * (sex == "M") + rng.normal(0, 0.2 * k + 0.01, 800)
        for k in range(5)
    }
    table = ai.compare_models(models, None, y, {"sex": sex}, select_top=0.4, n_resamples=0).table
    for r in table.itertuples():
        dominated = (
            (table["metric"] >= r.metric)
            & (table["min_impact_ratio"] >= r.min_impact_ratio)
            & ((table["metric"] > r.metric) | (table["min_impact_ratio"] > r.min_impact_ratio))
        ).any()
        assert r.pareto == (not dominated)


def test_bootstrap_is_seeded(tabular):
    X, y, sex = tabular
    models = {"a": X["skill"].to_numpy(), "b": X["club"].to_numpy()}

    def run(seed):
        return ai.compare_models(
            models, None, y, {"sex": sex}, select_top=0.3, n_resamples=30, random_state=seed
        ).table

    pd.testing.assert_frame_equal(run(5), run(5))
    assert not run(5)["ir_ci_low"].equals(run(6)["ir_ci_low"])


def test_a_model_that_cannot_score_X_is_named(tabular):
    X, y, sex = tabular
    narrow = LogisticRegression().fit(X[["skill"]].to_numpy(), y)
    with pytest.raises(ai.InputError, match=r"^models\['narrow'\]: X: the model could not"):
        ai.compare_models(
            {"ok": X["skill"].to_numpy(), "narrow": narrow},
            X.to_numpy(),
            y,
            {"sex": sex},
            select_top=0.3,
        )
    with pytest.raises(ai.InputTypeError, match=r"^models\['text'\]"):
        ai.compare_models({"text": "not a model"}, X, y, {"sex": sex}, select_top=0.3)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({}, "select_top"),
        ({"select_top": 0.3, "current": "nope"}, "current"),
        ({"select_top": 0.3, "metric": "accuracy"}, "metric"),
        ({"select_top": 0.3, "n_resamples": -1}, "n_resamples"),
    ],
)
def test_compare_models_bad_input(tabular, kwargs, argument):
    X, y, sex = tabular
    with pytest.raises(ai.AdverseImpactError, match=f"^{argument}:"):
        ai.compare_models({"a": X["skill"].to_numpy()}, None, y, {"sex": sex}, **kwargs)


class _Spy(ClassifierMixin, BaseEstimator):
    """Records every column it is fitted on; scores with a logistic regression."""

    seen: ClassVar[list] = []

    def __init__(self, C=1.0, random_state=None):
        self.C = C
        self.random_state = random_state

    def fit(self, X, y):
        type(self).seen.append(list(X.columns))
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_search_never_fits_on_the_protected_attribute_and_is_deterministic(tabular):
    X, y, sex = tabular
    _Spy.seen = []
    kwargs = {
        "param_grid": {"C": [0.1, 1.0]},
        "feature_sets": "drop_proxies",
        "select_top": [0.3, 0.4],
        "cv": 3,
        "random_state": 7,
        "n_resamples": 30,
        "tolerance": 0.05,
    }
    first = ai.search_alternatives(_Spy(), X, y, {"sex": sex}, **kwargs)
    assert all("sex" not in columns for columns in _Spy.seen)
    # drop_proxies finds the planted proxy first.
    assert "without club" in set(first.candidates["feature_set"])
    second = ai.search_alternatives(_Spy(), X, y, {"sex": sex}, **kwargs)
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.verdict == second.verdict
    # 1 fit for the proxy ranking + (feature sets x grid) x folds.
    n_sets = first.candidates["feature_set"].nunique() - 1  # minus the group cut-off row
    assert len(_Spy.seen) == 2 * (1 + n_sets * 2 * 3)
    assert any("without club" in name for name in first.alternatives)
    with pytest.raises(ai.InputError, match="^X: holds the protected attribute"):
        ai.search_alternatives(
            LogisticRegression(), X.assign(sex=sex), y, pd.Series(sex, name="sex"), cv=3
        )


def test_search_refuses_an_unknown_metric(tabular):
    X, y, sex = tabular
    with pytest.raises(ai.InputError, match="^metric:"):
        ai.search_alternatives(LogisticRegression(), X, y, {"sex": sex}, cv=3, metric="f1")


def test_search_out_of_fold_scores_match_cross_val_predict(tabular):
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y, sex = tabular
    result = ai.search_alternatives(
        LogisticRegression(),
        X,
        y,
        {"sex": sex},
        cv=4,
        random_state=3,
        n_resamples=0,
        group_cutoffs=False,
    )
    oof = cross_val_predict(
        LogisticRegression(),
        X,
        y,
        method="predict_proba",
        cv=StratifiedKFold(4, shuffle=True, random_state=3),
    )[:, 1]
    assert result.table["metric"].iloc[0] == pytest.approx(roc_auc_score(y, oof), rel=1e-10)


def test_group_cutoffs_are_shown_beside_with_the_legal_note(tabular):
    X, y, sex = tabular
    result = ai.search_alternatives(
        LogisticRegression(), X, y, {"sex": sex}, cv=3, random_state=0, n_resamples=0
    )
    table = result.table
    aside = table[table["uses_protected_attribute"]]
    assert len(aside) == 1 and aside["note"].iloc[0] == GROUP_CUTOFF_NOTE
    assert "2000e-2(l)" in GROUP_CUTOFF_NOTE
    assert not aside["pareto"].iloc[0] and not aside["less_discriminatory"].iloc[0]
    assert aside["min_impact_ratio"].iloc[0] > 0.95  # equal shares by construction


def test_result_is_frozen_serialisable_and_plots(tabular):
    import matplotlib

    matplotlib.use("Agg")
    X, y, sex = tabular
    result = ai.compare_models(
        {"a": X["skill"].to_numpy(), "b": X["club"].to_numpy()},
        None,
        y,
        {"sex": sex},
        select_top=0.3,
        n_resamples=10,
        random_state=0,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.current = "b"
    json.dumps(result.to_dict(), allow_nan=False)
    assert repr(result).startswith("ModelComparison: 2 models, current 'a'")
    assert result.summary().splitlines()[0] == repr(result).splitlines()[0]
    assert "<table" in result._repr_html_()
    table = result.table
    table.loc[0, "metric"] = -1
    assert result.table.loc[0, "metric"] != -1
    assert result.plot() is not None


def test_min_share_leaves_small_groups_out_of_the_lowest_ratio_and_its_interval():
    rng = np.random.default_rng(5)
    n = 2000
    # "X" is 1% of the rows and never selected by either model: below a 2% share it
    # is reported by audit() but left out of the ratios, so here too.
    race = np.where(np.arange(n) < 20, "X", rng.choice(["A", "B"], n))
    y = rng.random(n) < 0.4
    skill = y + rng.normal(0, 1, n) - 10.0 * (race == "X")
    models = {"a": skill, "b": skill + rng.normal(0, 0.3, n)}
    options = {"select_top": 0.3, "n_resamples": 50, "random_state": 0}
    every = ai.compare_models(models, None, y, {"race": race}, **options)
    large = ai.compare_models(models, None, y, {"race": race}, min_share=0.02, **options)
    assert (every.table["min_impact_ratio"] == 0).all()
    assert (every.table["worst_group"] == "race: X").all()
    for name in models:
        picked = decide(models[name], select_top=0.3).selected
        audited = ai.audit(selected=picked, sensitive_features={"race": race}, min_share=0.02)
        kept = audited.table[~audited.table["excluded"]]
        row = large.table.set_index("model").loc[name]
        assert row["min_impact_ratio"] == pytest.approx(kept["impact_ratio"].min())
    # The bootstrap interval (of the current model) leaves the small group out too.
    assert every.table.set_index("model").loc["a", "ir_ci_high"] == 0
    low, high = large.table.set_index("model").loc["a", ["ir_ci_low", "ir_ci_high"]]
    assert 0.5 < low <= high
    assert "X" not in set(large.impact_ratios["group"])
    found = ai.search_alternatives(
        LogisticRegression(),
        pd.DataFrame({"skill": skill}),
        y,
        {"race": race},
        cv=3,
        random_state=0,
        n_resamples=20,
        group_cutoffs=False,
        min_share=0.02,
    )
    assert (found.table["min_impact_ratio"] > 0).all()


def test_comparison_repr_and_verdict_show_the_lowest_ratio_below_four_fifths():
    # Both models select 39,998 of 50,000 F and every M: 0.79996, below four-fifths
    # exactly, which the repr's ".4g" and three decimals write 0.8 / 0.800.
    sex = np.array(["F"] * 50_000 + ["M"] * 50_000)
    near = np.r_[np.ones(39_998), np.zeros(10_002), np.ones(50_000)]
    X = pd.DataFrame({"x": np.arange(100_000)})
    y = near.astype(bool)
    result = ai.compare_models(
        {"current": lambda X: near, "other": lambda X: near * 0.9},
        X,
        y,
        {"sex": sex},
        threshold=0.5,
        current="current",
        n_resamples=0,
    )
    assert not result.table["passes_four_fifths"].any()
    text = repr(result)
    assert "0.79996" in text and " 0.8 " not in text
    assert "lowest impact ratio 0.79996" in result.verdict and "0.800" not in result.verdict
