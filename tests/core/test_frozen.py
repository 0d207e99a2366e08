"""One result shape: immutable (nothing set, deleted or handed out), to_frame, to_dict, summary."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai

SEX = ["F", "M"] * 30
TEXTS = ["her chess club python", "his chess club java", "python sql"] * 20


def _results():
    rng = np.random.default_rng(0)
    sex = np.array(SEX)
    frame = pd.DataFrame({"x": rng.normal(size=60) + (sex == "M"), "c": SEX})
    scores = np.linspace(0, 1, 60)
    return {
        "audit": ai.audit(selected=[1, 0, 0] * 20, sensitive_features={"sex": SEX}),
        "sweep": ai.threshold_sweep(scores, sensitive_features={"sex": SEX}),
        "tokens": ai.token_proxies(TEXTS, SEX, min_count=1),
        "counterfactual": ai.counterfactual_test(
            lambda X: np.array([x.count("her") for x in X], dtype=float),
            TEXTS,
            sensitive_features=SEX,
            threshold=0.5,
        ),
        "scan": ai.proxy_scan(frame, {"sex": SEX}),
        "recoverability": ai.recoverability(frame[["x"]], SEX, cv=2, random_state=0),
        "leakage": ai.proxy_leakage(_linear_model(frame[["x"]], sex), frame[["x"]], SEX),
    }


def _linear_model(X, sex):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, sex == "M")


RESULTS = _results()
ATTRIBUTES = {
    "audit": "n_total",
    "sweep": "n_total",
    "tokens": "n_documents",
    "counterfactual": "n_documents",
    "scan": "n_features",
    "recoverability": "roc_auc",
    "leakage": "method",
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_attributes_can_be_neither_set_nor_deleted(name):
    result, attribute = RESULTS[name], ATTRIBUTES[name]
    before = getattr(result, attribute)
    with pytest.raises(AttributeError):
        setattr(result, attribute, 0)
    with pytest.raises(AttributeError):
        delattr(result, attribute)  # `del result.n_documents` used to work
    # A frozen, slotted dataclass refuses a new attribute with TypeError on some
    # Python versions (CPython gh-90562), AttributeError on others.
    with pytest.raises((AttributeError, TypeError)):
        result.new_attribute = 1
    assert getattr(result, attribute) == before


@pytest.mark.parametrize("name", list(RESULTS))
def test_to_frame_hands_out_a_copy(name):
    result = RESULTS[name]
    frame = result.to_frame()
    expected = frame.copy()
    for column in frame.columns:
        frame[column] = 0
    pd.testing.assert_frame_equal(result.to_frame(), expected)


def test_tables_inside_results_are_copies_or_read_only():
    audit = RESULTS["audit"]
    table = audit.counts.table
    table.loc[:, "n"] = -1  # used to change the result's own counts
    assert (audit.counts.table["n"] > 0).all()
    counterfactual = RESULTS["counterfactual"]
    by_group = counterfactual.by_group
    by_group.loc[:, "n"] = -1  # used to be the result's own frame
    assert (counterfactual.by_group["n"] > 0).all()
    scan = RESULTS["scan"]
    with pytest.raises(TypeError):
        scan.unknown["sex"] = 5
    sweep = RESULTS["sweep"]
    with pytest.raises(ValueError):
        sweep.thresholds[0] = 99.0
    # result.unknown is a plain dict (it prints as one: issue 14), handed out as a copy.
    unknown = audit.unknown
    before = dict(unknown)
    unknown["sex"] = before.get("sex", 0) + 3
    assert type(audit.unknown) is dict and audit.unknown == before
    assert isinstance(RESULTS["tokens"].groups, tuple)


@pytest.mark.parametrize("name", ["tokens", "counterfactual", "sweep"])
def test_dataclass_results_are_frozen_and_slotted(name):
    result = RESULTS[name]
    assert dataclasses.is_dataclass(result) and not hasattr(result, "__dict__")
    assert type(result).__dataclass_params__.frozen
    field = "n_total" if name == "sweep" else "n_documents"
    changed = dataclasses.replace(result, **{field: 1})  # not a hand-written copy method
    assert getattr(changed, field) == 1 and getattr(result, field) != 1


def test_group_counts_is_frozen_and_slotted():
    counts = RESULTS["audit"].counts
    assert not hasattr(counts, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        counts.rule = "x"


@pytest.mark.parametrize("name", list(RESULTS))
def test_every_result_has_the_same_small_surface(name):
    result = RESULTS[name]
    assert isinstance(result.to_frame(), pd.DataFrame)
    data = result.to_dict()
    json.dumps(data, allow_nan=False)  # JSON-serialisable, NaN as null
    assert len(data["table"]) == len(result.to_frame())
    assert repr(result).startswith(type(result).__name__)
    assert type(result).__name__ in result._repr_html_()
    summary = result.summary()
    # The headline first, as text: the first line of the repr.
    assert isinstance(summary, str)
    assert summary.splitlines()[0] == repr(result).splitlines()[0]
    if name not in ("sweep", "counterfactual"):  # a few lines for these two
        assert "\n" not in summary
