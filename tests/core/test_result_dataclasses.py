"""Issue 19: the audit, proxy and case-study results are frozen dataclasses that hand out copies.

Each result is a dataclass with ``__slots__`` and no ``__dict__``; nothing
can be assigned or deleted; ``dataclasses.replace`` (not a hand-written
copy method) makes a new result; frames, mappings and models come out as
copies or read-only views; ``to_dict()`` is JSON; a result survives
``pickle`` and ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import adverse_impact as ai
from adverse_impact.case_study import CaseStudyResult, recruiting_tool

SEX = np.array(["F", "M"] * 40)
SITE = np.array(["north"] * 40 + ["south"] * 40)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "height": rng.normal(size=80) + (SEX == "M"),
            "club": np.where(rng.random(80) < 0.7, SEX, "other"),
        }
    )


def _audit_with_every_part() -> ai.AuditResult:
    """An audit with error rates (from a model and outcomes) and pooled strata."""
    X = _frame()[["height"]]
    truth = (X["height"] > 0.3).astype(int)
    model = LogisticRegression().fit(X, truth)
    result = ai.audit_model(model, X, {"sex": SEX}, select_top=0.4, y_true=truth)
    assert result.error_rates is not None
    strata = ai.audit(
        selected=(X["height"] > 0).astype(int), sensitive_features={"sex": SEX}, strata=SITE
    ).pooled
    assert strata is not None and len(strata)
    return ai.AuditResult(  # the constructor's call form, unchanged by the conversion
        result.table,
        unknown=result.unknown,
        n_total=result.n_total,
        params=result.params,
        ratios=result.exact_ratios,
        counts=result.counts,
        error_rates=result.error_rates,
        pooled=strata,
    )


def _results() -> dict[str, object]:
    frame = _frame()
    model = LogisticRegression().fit(frame[["height"]], SEX == "M")
    return {
        "audit": _audit_with_every_part(),
        "scan": ai.proxy_scan(frame, {"sex": SEX}),
        "recoverability": ai.recoverability(frame[["height"]], SEX, cv=2, random_state=0),
        "leakage": ai.proxy_leakage(model, frame[["height"]], pd.Series(SEX, name="sex")),
    }


RESULTS = _results()
#: A field of each result to change with dataclasses.replace, and its new value.
CHANGE = {
    "audit": ("n_total", 1_000),
    "scan": ("n_features", 7),
    "recoverability": ("roc_auc", 0.25),
    "leakage": ("method", "permutation"),
    "study": ("timings", {"generate": 1.0}),
}
#: Frame-valued attributes each result hands out (besides to_frame()).
FRAMES = {
    "audit": ["table", "error_rates", "pooled"],
    "scan": [],
    "recoverability": [],
    "leakage": [],
    "study": ["history", "applicants"],
}
NAMES = list(CHANGE)


@pytest.fixture(scope="module")
def study() -> CaseStudyResult:
    return recruiting_tool(1_000, random_state=0)


@pytest.fixture(params=NAMES)
def case(request, study):
    name = request.param
    return name, (study if name == "study" else RESULTS[name])


def _same(a, b) -> bool:
    return json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def test_is_a_frozen_dataclass_with_slots_and_no_dict(case):
    name, result = case
    assert dataclasses.is_dataclass(result)
    assert type(result).__dataclass_params__.frozen
    assert "__slots__" in vars(type(result))
    assert not hasattr(result, "__dict__")


def test_no_attribute_can_be_assigned_or_deleted(case):
    name, result = case
    before = json.dumps(result.to_dict(), sort_keys=True)
    for field in dataclasses.fields(result):
        with pytest.raises(AttributeError):
            setattr(result, field.name, None)
        with pytest.raises(AttributeError):
            delattr(result, field.name)
    for slot in type(result).__slots__:  # the private slots behind the copied fields too
        with pytest.raises(AttributeError):
            setattr(result, slot, None)
        with pytest.raises(AttributeError):
            delattr(result, slot)
    # A frozen, slotted dataclass refuses a new attribute with TypeError on some
    # Python versions (CPython gh-90562), AttributeError on others.
    with pytest.raises((AttributeError, TypeError)):
        result.not_a_field = 1
    assert json.dumps(result.to_dict(), sort_keys=True) == before


def test_dataclasses_replace_makes_a_new_result(case):
    name, result = case
    same = dataclasses.replace(result)
    assert same is not result and type(same) is type(result) and _same(same, result)
    field, value = CHANGE[name]
    changed = dataclasses.replace(result, **{field: value})
    assert getattr(changed, field) == value and getattr(result, field) != value
    assert changed.to_frame().equals(result.to_frame())


def test_frames_handed_out_are_copies(case):
    name, result = case
    before = json.dumps(result.to_dict(), sort_keys=True)
    frames = [result.to_frame()] + [getattr(result, a) for a in FRAMES[name]]
    if hasattr(result, "top"):
        frames.append(result.top())
    for frame in frames:
        assert isinstance(frame, pd.DataFrame)
        for column in frame.columns:  # would change the result's own frame, not a copy
            frame[column] = 0
    assert json.dumps(result.to_dict(), sort_keys=True) == before
    for attribute in FRAMES[name]:
        assert getattr(result, attribute) is not getattr(result, attribute)


def test_to_dict_is_json(case):
    name, result = case
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    assert len(data["table"]) == len(result.to_frame())
    summary = result.summary()
    assert isinstance(summary, str) and repr(result).startswith(summary.splitlines()[0])
    assert isinstance(result._repr_html_(), str)


COPIERS = {
    "pickle": lambda r: pickle.loads(pickle.dumps(r)),
    "deepcopy": copy.deepcopy,
    "copy": copy.copy,
}


@pytest.mark.parametrize(
    "name, how",
    [(n, h) for n in NAMES for h in COPIERS],
)
def test_survives_pickle_and_copy(name, how, request):
    result = request.getfixturevalue("study") if name == "study" else RESULTS[name]
    again = COPIERS[how](result)
    assert type(again) is type(result) and again is not result and _same(again, result)


def test_study_fields_pickle_without_the_ranker(study):
    study = dataclasses.replace(study, paired_ranker=None)
    again = pickle.loads(pickle.dumps(study))
    assert _same(again, study) and dict(again.timings) == dict(study.timings)


def test_mappings_are_copies_or_read_only(study):
    audit = RESULTS["audit"]
    with pytest.raises(TypeError):
        audit.params["alpha"] = 1.0
    counts = audit.counts
    counts.table.loc[:, "n"] = -1
    assert (audit.counts.table["n"] > 0).all()
    with pytest.raises(TypeError):
        RESULTS["scan"].unknown["sex"] = 3
    with pytest.raises(TypeError):
        study.timings["train"] = 0.0
    numbers = study.numbers
    numbers["audit"]["impact_ratio_women"] = 99.0
    assert study.numbers["audit"]["impact_ratio_women"] != 99.0
    assert study.model is not study.model  # a fitted model is mutable: a copy
    texts = study.applicants["resume"].iloc[:5]
    np.testing.assert_array_equal(
        study.model.predict_proba(texts), study.model.predict_proba(texts)
    )


def test_audit_result_keeps_its_constructor_and_from_dict():
    audit = RESULTS["audit"]
    again = ai.AuditResult(
        audit.table,
        unknown=audit.unknown,
        n_total=audit.n_total,
        params=audit.params,
        ratios=audit.exact_ratios,
        counts=audit.counts,
        error_rates=audit.error_rates,
        pooled=audit.pooled,
    )
    assert _same(again, audit) and again.exact_ratios == audit.exact_ratios
    rebuilt = ai.AuditResult.from_dict(audit.to_dict())
    assert rebuilt.passes() == audit.passes() and rebuilt.exact_ratios == audit.exact_ratios
    assert not hasattr(audit, "_replace")
