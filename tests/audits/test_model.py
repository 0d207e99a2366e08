"""Auditing fitted classifiers (``_audits/_model.py``): decisions, cut-offs, tie rules.

The threshold sweep is tested in ``tests/audits/test_sweep.py``, the error-rate table in
``tests/audits/test_error_rates.py``, the scoring and tie rule in ``tests/audits/test_scoring.py``.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

import adverse_impact as ai
from adverse_impact._audits._model import audit_model, error_rates
from adverse_impact._audits._scoring import decide

ROOT = Path(__file__).resolve().parents[2]


def by_group(result, attribute=None):
    table = result.table if hasattr(result, "table") else result
    if attribute is not None:
        table = table[table["attribute"] == attribute]
    return table.set_index("group")


# -- a ladder of one feature: every model below separates it at x = 1.5 ----------

X_LADDER = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
Y_LADDER = np.array([0, 0, 1, 1] * 5)
# Candidates to audit, x = 0..3, and their sex; by hand, x >= 2 is selected.
X_AUDIT = np.array([[0.0], [1.0], [2.0], [3.0], [3.0], [0.0], [1.0], [1.0], [2.0], [0.0]])
SEX = np.array(["F", "F", "F", "F", "M", "M", "M", "M", "M", "M"], dtype=object)
# F: x = 0, 1, 2, 3 -> 2 of 4 selected; M: x = 3, 0, 1, 1, 2, 0 -> 2 of 6 selected.
EXPECTED = {"F": (4, 2), "M": (6, 2)}


def counts_of(result, attribute="sex"):
    t = by_group(result, attribute)
    return {g: (int(t.loc[g, "n"]), int(t.loc[g, "selected"])) for g in t.index}


@pytest.mark.parametrize(
    "model, method",
    [
        (LogisticRegression(C=100.0), "predict_proba"),
        (GradientBoostingClassifier(n_estimators=10, max_depth=1, random_state=0), "predict_proba"),
        (LinearSVC(C=10.0), "decision_function"),
    ],
    ids=["logistic", "gradient_boosting", "linear_svc"],
)
def test_fitted_classifiers_select_by_hand(model, method):
    model.fit(X_LADDER, Y_LADDER)
    # 0.5 on probabilities, 0 on the SVM's margin: the model's own decision boundary.
    cut = 0.0 if method == "decision_function" else 0.5
    result = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=cut)
    assert counts_of(result) == EXPECTED
    assert result.params["score_method"] == method
    assert result.params["cutoff"] == cut and result.params["rule"] == "threshold"
    assert result.params["select_top"] is None
    # With neither threshold nor select_top, the model's own predict decides.
    own = audit_model(model, X_AUDIT, {"sex": SEX})
    assert counts_of(own) == EXPECTED
    assert own.params["cutoff"] is None and own.params["rule"] == "predict"


def test_same_table_as_auditing_the_decisions_directly():
    model = LogisticRegression(C=100.0).fit(X_LADDER, Y_LADDER)
    result = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5)
    direct = ai.audit(selected=(X_AUDIT[:, 0] >= 2).astype(int), sensitive_features={"sex": SEX})
    pd.testing.assert_frame_equal(result.table, direct.table)
    assert result.error_rates is None


def test_text_pipeline_on_raw_strings():
    texts = [
        "python developer",
        "senior python engineer",
        "python data engineer",
        "retail cashier",
        "barista cashier",
        "shop cashier",
    ] * 2
    labels = [1, 1, 1, 0, 0, 0] * 2
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=100.0)).fit(texts, labels)
    applicants = ["python analyst", "cashier", "python intern", "night cashier", "python"]
    gender = ["Female", "Female", "Male", "Male", "Male"]
    result = audit_model(model, applicants, {"gender": gender}, threshold=0.5)
    # By hand: the texts containing "python" score above 0.5, the others below.
    assert counts_of(result, "gender") == {"Female": (2, 1), "Male": (3, 2)}
    assert result.params["score_method"] == "predict_proba"
    assert result.params["model"] == "Pipeline"


def test_plain_callable_with_threshold_and_select_top():
    def scorer(X):
        return np.asarray(X, dtype=float)[:, 0]

    result = audit_model(scorer, X_AUDIT, {"sex": SEX}, threshold=2.0)
    assert counts_of(result) == EXPECTED
    assert result.params["score_method"] == "callable"
    top = audit_model(scorer, X_AUDIT, {"sex": SEX}, select_top=4)
    # Top 4 scores are 3, 3, 2, 2: the cut-off at 2 falls between two scores.
    assert counts_of(top) == EXPECTED
    assert top.params["cutoff"] == 2.0 and top.params["select_top"] == 4
    assert top.params["rule"] == "select_top"
    assert top.params["n_selected"] == top.params["requested_selected"] == 4
    assert top.params["selected_share"] == top.params["requested_share"] == 0.4
    # Top 3 would cut through the two 2s: refused, not "everyone tied advances".
    with pytest.raises(
        ai.InputError,
        match=r"^select_top: select_top=3 cuts through 2 "
        r"candidates tied at the score 2: 2 score higher",
    ):
        audit_model(scorer, X_AUDIT, {"sex": SEX}, select_top=3)


def test_callable_without_a_cutoff_is_refused_naming_threshold():
    with pytest.raises(ai.InputError, match=r"^threshold: .*callable"):
        audit_model(lambda X: np.zeros(len(X)), X_AUDIT, {"sex": SEX})


# -- pos_label -----------------------------------------------------------------


def test_string_labels_need_pos_label():
    y = np.where(Y_LADDER == 1, "advance", "reject")
    model = LogisticRegression(C=100.0).fit(X_LADDER, y)
    with pytest.raises(ai.InputError, match=r"^pos_label: 1 is not one of the model's classes"):
        audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5)
    result = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5, pos_label="advance")
    assert counts_of(result) == EXPECTED
    own = audit_model(model, X_AUDIT, {"sex": SEX}, pos_label="advance")
    assert counts_of(own) == EXPECTED
    y_true = np.where(X_AUDIT[:, 0] >= 1, "advance", "reject")
    with_truth = audit_model(model, X_AUDIT, {"sex": SEX}, pos_label="advance", y_true=y_true)
    assert by_group(with_truth.error_rates).loc["F", "n_positive"] == 3
    with pytest.raises(ai.InputError, match=r"^pos_label: 1 does not occur in y_true"):
        audit_model(
            LogisticRegression().fit(X_LADDER, Y_LADDER),
            X_AUDIT,
            {"sex": SEX},
            y_true=y_true,
            pos_label=1,
        )


def test_probabilities_without_classes_are_ambiguous():
    class Scorer:  # predict_proba, but which column is "selected"?
        def predict_proba(self, X):
            p = np.asarray(X, dtype=float)[:, 0] / 3
            return np.column_stack([1 - p, p])

    with pytest.raises(ai.InputError, match=r"^model: Scorer has predict_proba but no classes_"):
        audit_model(Scorer(), X_AUDIT, {"sex": SEX}, threshold=0.5)


@pytest.mark.parametrize(
    "model",
    [LogisticRegression(C=100.0), LinearSVC(C=10.0)],
    ids=["predict_proba", "decision_function"],
)
def test_pos_label_zero_selects_the_other_class(model):
    model.fit(X_LADDER, Y_LADDER)
    cut = 0.0 if isinstance(model, LinearSVC) else 0.5
    flipped = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=cut, pos_label=0)
    # x <= 1 is now "selected": F has x = 0, 1; M has x = 0, 1, 1, 0.
    assert counts_of(flipped) == {"F": (4, 2), "M": (6, 4)}
    assert counts_of(audit_model(model, X_AUDIT, {"sex": SEX}, pos_label=0)) == {
        "F": (4, 2),
        "M": (6, 4),
    }


# -- select_top and its tie rule -------------------------------------------------

SCORES_TIED = np.array([0.9, 0.5, 0.5, 0.1, 0.5, 0.2])
SEX_TIED = np.array(["F", "M", "F", "M", "M", "F"], dtype=object)


@pytest.mark.parametrize("select_top", [2, 3, 0.3, 0.5], ids=["k2", "k3", "f0.3", "f0.5"])
def test_select_top_refuses_a_cutoff_inside_tied_scores(select_top):
    # k = 2, 3, ceil(0.3 * 6) = 2 and ceil(0.5 * 6) = 3 all cut at 0.5, where
    # three candidates are tied: the top k is not defined by the scores.
    k = {2: 2, 3: 3, 0.3: 2, 0.5: 3}[select_top]
    with pytest.raises(
        ai.InputError,
        match=rf"cuts through 3 candidates tied at the score 0\.5: "
        rf"1 score higher, so {k - 1} of the 3 tied.*selecting all of them would "
        rf"select 4, not {k}\).*ties='random'",
    ):
        audit_model(lambda X: np.asarray(X), SCORES_TIED, {"sex": SEX_TIED}, select_top=select_top)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("select_top", [2, 3, 0.3, 0.5], ids=["k2", "k3", "f0.3", "f0.5"])
def test_random_tie_break_selects_exactly_k_and_reports_it(select_top, seed):
    k = {2: 2, 3: 3, 0.3: 2, 0.5: 3}[select_top]
    result = audit_model(
        lambda X: np.asarray(X),
        SCORES_TIED,
        {"sex": SEX_TIED},
        select_top=select_top,
        ties="random",
        random_state=seed,
    )
    assert int(result.table["selected"].sum()) == k
    p = result.params
    assert p["n_selected"] == p["requested_selected"] == k
    assert p["selected_share"] == pytest.approx(k / 6)
    assert p["n_tied_at_cutoff"] == 3 and p["n_tie_break"] == k - 1
    assert p["ties"] == "random" and p["cutoff"] == 0.5
    # The same seed gives the same decisions.
    again = audit_model(
        lambda X: np.asarray(X),
        SCORES_TIED,
        {"sex": SEX_TIED},
        select_top=select_top,
        ties="random",
        random_state=seed,
    )
    pd.testing.assert_frame_equal(result.table, again.table)


def test_unknown_ties_option_is_refused():
    with pytest.raises(ai.InputError, match=r"^ties: 'all' is not one of"):
        audit_model(
            lambda X: np.asarray(X), SCORES_TIED, {"sex": SEX_TIED}, select_top=2, ties="all"
        )


def test_select_top_one_keeps_only_the_best():
    result = audit_model(lambda X: np.asarray(X), SCORES_TIED, {"sex": SEX_TIED}, select_top=1)
    assert counts_of(result) == {"F": (3, 1), "M": (3, 0)}
    assert result.params["cutoff"] == 0.9


def test_select_top_fraction_is_read_as_the_decimal_written():
    scores = np.arange(100, dtype=float)
    result = audit_model(
        lambda X: np.asarray(X),
        scores,
        {"g": np.repeat(["a", "b"], 50).astype(object)},
        select_top=0.07,
    )
    assert int(result.table["selected"].sum()) == 7


# -- bad inputs ------------------------------------------------------------------


def test_unfitted_estimator_is_refused():
    with pytest.raises(ai.InputError, match=r"^model: LogisticRegression is not fitted"):
        audit_model(LogisticRegression(), X_AUDIT, {"sex": SEX}, threshold=0.5)


def test_length_mismatch_names_x_and_sensitive_features():
    model = LogisticRegression().fit(X_LADDER, Y_LADDER)
    with pytest.raises(ai.InputError, match=r"X has 10, sensitive_features\['sex'\] has 9"):
        audit_model(model, X_AUDIT, {"sex": SEX[:9]}, threshold=0.5)
    with pytest.raises(ai.InputError, match=r"X has 10, sensitive_features has 9"):
        audit_model(model, X_AUDIT, pd.Series(SEX[:9], name="sex"), threshold=0.5)
    with pytest.raises(ai.InputError, match=r"y_true has 3"):
        audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5, y_true=[1, 0, 1])


def test_misaligned_pandas_indexes_are_refused():
    model = LogisticRegression().fit(X_LADDER, Y_LADDER)
    X = pd.DataFrame({"x": X_AUDIT[:, 0]})
    sex = pd.Series(SEX, index=np.arange(10) + 100, name="sex")
    with pytest.raises(ai.InputError, match=r"^sensitive_features: its pandas index differs"):
        audit_model(model, X, sex, threshold=0.5)


def test_threshold_and_select_top_together_are_refused():
    with pytest.raises(ai.InputError, match=r"^select_top: both threshold and select_top"):
        audit_model(
            lambda X: np.asarray(X), SCORES_TIED, {"sex": SEX_TIED}, threshold=0.5, select_top=2
        )


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"select_top": 0}, r"^select_top: k=0 is outside 1\.\.6"),
        ({"select_top": 1.5}, r"^select_top: 1\.5 is neither"),
        ({"threshold": "0.5"}, r"^threshold: expected a number"),
        ({"threshold": 0.5, "data": pd.DataFrame()}, r"^data: is set by audit_model"),
        ({"threshold": 0.5, "reference": "X"}, r"^reference: 'X' is not a group"),
    ],
    ids=["k0", "k_float", "threshold_str", "data", "reference"],
)
def test_bad_arguments_name_the_argument(kwargs, pattern):
    with pytest.raises((ai.InputError, ai.InputTypeError), match=pattern):
        audit_model(lambda X: np.asarray(X), SCORES_TIED, {"sex": SEX_TIED}, **kwargs)


def test_errors_from_the_audit_core_name_sensitive_features():
    with pytest.raises(ai.InputError, match=r"^sensitive_features: attribute 'sex' has one "):
        audit_model(lambda X: np.asarray(X), SCORES_TIED, {"sex": ["F"] * 6}, threshold=0.5)
    with pytest.raises(ai.InputTypeError, match=r"^sensitive_features: got the string 'sex'"):
        audit_model(lambda X: np.asarray(X), SCORES_TIED, "sex", threshold=0.5)


def test_model_returning_the_wrong_number_of_scores_is_refused():
    with pytest.raises(ai.InputError, match=r"^model: returned 3 scores for 6 rows"):
        audit_model(lambda X: np.zeros(3), SCORES_TIED, {"sex": SEX_TIED}, threshold=0.5)


# -- audit keyword arguments pass through --------------------------------------------


def test_audit_keyword_arguments_pass_through(two_attributes):
    data = two_attributes
    scorer = lambda X: np.asarray(X["score"], dtype=float)  # noqa: E731
    weights = np.linspace(0.5, 2.0, len(data))
    kwargs = dict(
        reference={"sex": "Male"},
        intersectional=False,
        min_share=0.12,
        unknown=["Hispanic or Latino"],
        sample_weight=weights,
    )
    result = audit_model(scorer, data, data[["sex", "race"]], threshold=0.3, **kwargs)
    direct = ai.audit(
        selected=(data["score"] >= 0.3).astype(int),
        sensitive_features=data[["sex", "race"]],
        **kwargs,
    )
    pd.testing.assert_frame_equal(result.table, direct.table)
    assert dict(result.unknown) == dict(direct.unknown)
    assert result.params["intersectional"] is False and result.params["min_share"] == 0.12
    assert "sex x race" not in result.attributes


def test_params_and_error_rates_serialise_to_json(two_attributes):
    data = two_attributes
    result = audit_model(
        lambda X: np.asarray(X["score"]),
        data,
        data[["sex", "race"]],
        select_top=0.25,
        y_true=data["advanced"],
        ties="random",
        random_state=0,
    )
    out = json.loads(json.dumps(result.to_dict()))
    assert out["params"]["score_method"] == "callable"
    assert out["params"]["select_top"] == 0.25 and out["params"]["ties"] == "random"
    assert out["params"]["n_selected"] == out["params"]["requested_selected"] == 500
    assert len(out["error_rates"]) == len(result.error_rates)
    # Error rates use the audit's attributes, labels and unknown rows.
    assert list(result.error_rates["group"]) == list(result.table["group"])
    assert result.error_rates.attrs["unknown"] == dict(result.unknown)


# -- error rates (the table itself: tests/audits/test_error_rates.py) ------------------


def test_audit_model_error_rates_equal_the_standalone_function():
    model = LogisticRegression(C=100.0).fit(X_LADDER, Y_LADDER)
    y_true = (X_AUDIT[:, 0] >= 1).astype(int)
    result = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5, y_true=y_true)
    direct = error_rates(y_true, (X_AUDIT[:, 0] >= 2).astype(int), {"sex": SEX})
    pd.testing.assert_frame_equal(result.error_rates, direct)
    # F: x = 0, 1, 2, 3 with y_true 0, 1, 1, 1: tp = 2 (x = 2, 3), fn = 1 (x = 1).
    assert by_group(result.error_rates).loc["F", ["tp", "fn", "fp", "tn"]].tolist() == [2, 1, 0, 1]


# -- the docs page and the example script run -----------------------------------------


def test_docs_page_code_blocks_run(capsys):
    import matplotlib.pyplot as plt

    text = (ROOT / "docs" / "auditing-a-model.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/auditing-a-model.md", "exec"), namespace)
    plt.close("all")
    assert namespace["result"].params["score_method"] == "predict_proba"
    assert namespace["top"].params["cutoff"] == 0.5
    assert "ThresholdSweep" in capsys.readouterr().out


def test_example_script_runs(capsys):
    runpy.run_path(str(ROOT / "examples" / "audit_a_model.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "AuditResult" in out and "tpr_ratio" in out and "ThresholdSweep" in out


def test_decide_is_the_tie_rule_used():
    # audit_model defers to _scoring.decide; this pins that they agree.
    cut = decide(SCORES_TIED, select_top=2, ties="random", random_state=7)
    result = audit_model(
        lambda X: np.asarray(X),
        SCORES_TIED,
        {"sex": SEX_TIED},
        select_top=2,
        ties="random",
        random_state=7,
    )
    assert int(result.table["selected"].sum()) == cut.n_selected == 2
    assert counts_of(result) == {g: (3, int(cut.selected[SEX_TIED == g].sum())) for g in "FM"}
    assert result.params["cutoff"] == cut.cutoff


# -- issue 14.1: a gate that cannot pass a biased model through ties ---------------


class _PredictOnly:
    """A fitted classifier that exposes only ``predict`` (0/1 decisions)."""

    def __init__(self, inner):
        self._inner = inner
        self.classes_ = inner.classes_

    def fit(self, X, y):  # pragma: no cover - already fitted
        return self

    def predict(self, X):
        return self._inner.predict(X)

    def __sklearn_is_fitted__(self):
        return True


def _biased_model_and_applicants(seed=0, n=1_500):
    """A model that selects men far more often: the same rows, three score methods."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["Female", "Male"], dtype=object), n, p=[0.25, 0.75])
    proxy = (sex == "Male") + rng.normal(0, 0.6, n)  # a feature that stands in for sex
    skill = rng.normal(0, 1, n)
    X = np.column_stack([proxy, skill])
    y = (0.5 * skill + 1.5 * (sex == "Male") + rng.normal(0, 1, n) > 1.2).astype(int)
    return LogisticRegression().fit(X, y), X, sex


def test_predict_only_model_with_select_top_is_refused():
    model, X, sex = _biased_model_and_applicants()
    with pytest.raises(
        ai.InputError,
        match=r"^select_top: _PredictOnly has only predict, whose "
        r"0/1 decisions are no ranking.*ties='random'",
    ):
        audit_model(_PredictOnly(model), X, {"sex": sex}, select_top=0.2)


def test_gate_cannot_pass_a_predict_only_model_that_probabilities_flag():
    from adverse_impact.testing import assert_no_adverse_impact

    model, X, sex = _biased_model_and_applicants()
    flagged = audit_model(model, X, {"sex": sex}, select_top=0.2)
    assert not flagged.passes()  # through predict_proba the model fails
    with pytest.raises(ai.InputError, match="only predict"):
        assert_no_adverse_impact(_PredictOnly(model), X, {"sex": sex}, select_top=0.2)
    # Ranked at random among its positives, the predict-only model fails too.
    with pytest.raises(AssertionError, match="adverse impact"):
        assert_no_adverse_impact(
            _PredictOnly(model), X, {"sex": sex}, select_top=0.2, ties="random", random_state=0
        )
    shown = audit_model(
        _PredictOnly(model), X, {"sex": sex}, select_top=0.2, ties="random", random_state=0
    )
    assert shown.params["n_selected"] == shown.params["requested_selected"] == 300
    assert shown.params["score_method"] == "predict"


def test_threshold_on_a_margin_warns_at_the_callers_line():
    model = LinearSVC(C=10.0).fit(X_LADDER, Y_LADDER)
    with pytest.warns(
        UserWarning,
        match=r"threshold=0\.5 was applied to decision_function "
        r"margins.*threshold=0",
    ) as record:
        result = audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.5)
    assert result.params["score_method"] == "decision_function"
    assert [Path(w.filename).name for w in record] == [Path(__file__).name]
    # The model's own boundary, and probabilities, raise no warning.
    import warnings as _warnings

    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        audit_model(model, X_AUDIT, {"sex": SEX}, threshold=0.0)
        audit_model(
            LogisticRegression().fit(X_LADDER, Y_LADDER), X_AUDIT, {"sex": SEX}, threshold=0.5
        )


def test_every_format_states_the_rule_requested_beside_achieved():
    scorer = lambda X: np.asarray(X, dtype=float)[:, 0]  # noqa: E731
    top = audit_model(scorer, X_AUDIT, {"sex": SEX}, select_top=4)
    line = "Decisions: the top 4 of 10 requested (40.0%), 4 selected (40.0%); scores from "

    def text(result):
        return " ".join(repr(result).split())

    assert line + "callable, cut-off 2." in text(top)
    assert "the top 4 of 10 requested (40.0%), 4 selected (40.0%)" in top.to_markdown()
    assert "the top 4 of 10 requested (40.0%), 4 selected (40.0%)" in top._repr_html_()
    assert "the top 4 of 10 requested" in top.to_html()
    tied = audit_model(scorer, X_AUDIT, {"sex": SEX}, select_top=3, ties="random", random_state=0)
    assert "1 chosen at random among the 2 tied at the cut-off" in text(tied)
    cut = audit_model(scorer, X_AUDIT, {"sex": SEX}, threshold=2.0)
    assert "Decisions: score >= 2 on callable scores, 4 selected (40.0%)." in text(cut)
    # An audit of decisions already made states no model rule.
    assert "Decisions:" not in repr(ai.audit(selected=[1, 0] * 5, sensitive_features={"sex": SEX}))
