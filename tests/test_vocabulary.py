"""One parameter vocabulary across the public API (docs/vocabulary.md), without aliases."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact import testing

SELECTED = [1, 0, 1, 1, 0, 0] * 5
SEX = ["F", "F", "F", "M", "M", "M"] * 5


def _call(function, **kwargs):
    if function is ai.audit:
        return function(selected=SELECTED, **kwargs)
    return function(SELECTED, **kwargs)


@pytest.mark.parametrize("function", [ai.audit, ai.selection_rates, ai.impact_ratios])
def test_sensitive_features_is_the_one_name_and_is_required(function):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _call(function, sensitive_features={"sex": SEX})
    with pytest.raises(ai.InputError, match=r"^sensitive_features: is required"):
        _call(function)
    with pytest.raises(TypeError, match="groups"):  # no alias: no release shipped it
        _call(function, groups={"sex": SEX})


def test_selection_rates_take_sensitive_features_second_positionally():
    by_position = ai.selection_rates(SELECTED, {"sex": SEX})
    by_name = ai.selection_rates(SELECTED, sensitive_features={"sex": SEX})
    pd.testing.assert_series_equal(by_position, by_name)


def test_no_alias_machinery_is_left():
    assert not hasattr(ai, "AliasWarning")
    assert "AliasWarning" not in ai.__all__


def _public_functions():
    for name in ai.__all__:
        value = getattr(ai, name)
        if inspect.isfunction(value):
            yield name, value
    for name in testing.__all__:
        yield f"testing.{name}", getattr(testing, name)
    yield "datasets.make_resumes", ai.datasets.make_resumes


@pytest.mark.parametrize("name, function", list(_public_functions()))
def test_one_name_per_concept(name, function):
    parameters = inspect.signature(function).parameters
    names = set(parameters)
    # Seeds are random_state, weights sample_weight, everywhere (scikit-learn's words).
    assert not names & {"seed", "rng", "random_seed", "weights", "weight", "sample_weights"}
    # Protected attributes are `sensitive_features` (fairlearn's word), everywhere.
    assert not names & {
        "protected",
        "attributes",
        "group",
        "groups",
        "sensitive_feature",
        "attribute",
    }
    # One name per concept: resamples, repeats, score cut-offs, shares advanced.
    assert not names & {"n_bootstrap", "repeats", "select_share", "cutoff_shares"}
    if "cutoffs" in names:
        assert name == "age_groups"  # ages; score cut-offs are `thresholds`
    # A model, when taken, comes first; then its input.
    listed = list(parameters)
    if "model" in listed and parameters["model"].kind is not inspect.Parameter.KEYWORD_ONLY:
        assert listed[0] == "model"
        assert listed[1] in ("X", "texts")


def _second_wave_calls():
    """The second wave's functions that take ``sensitive_features``, each on a tiny table."""
    funnel = pd.DataFrame(
        {"sex": SEX, "screened": [1, 1, 1, 1, 0, 0] * 5, "offered": [1, 0, 1, 1, 0, 0] * 5}
    )
    tiers = pd.DataFrame(
        {
            "sex": SEX,
            "tier": pd.Categorical(
                ["top", "bottom", "top", "top", "bottom", "bottom"] * 5,
                categories=["bottom", "top"],
                ordered=True,
            ),
        }
    )
    rankings = pd.DataFrame(
        {
            "prompt": [0, 0, 1, 1, 2, 2] * 5,
            "sex": ["F", "M", "M", "F", "F", "M"] * 5,
            "rank": [1, 2, 1, 2, 2, 1] * 5,
        }
    )
    scores = pd.DataFrame({"sex": SEX, "score": [0.1, 0.4, 0.3, 0.9, 0.5, 0.7] * 5})
    months = pd.DataFrame(
        {
            "sex": SEX,
            "selected": SELECTED,
            "month": pd.date_range("2026-01-01", periods=30, freq="7D"),
        }
    )
    return [
        (
            ai.audit_funnel,
            lambda **kw: ai.audit_funnel(funnel, stages=["screened", "offered"], **kw),
            lambda r: r.to_frame(),
        ),
        (
            ai.audit_tiers,
            lambda **kw: ai.audit_tiers(tiers, selected="tier", **kw),
            lambda r: r.to_frame(),
        ),
        (
            ai.audit_rankings,
            lambda **kw: ai.audit_rankings(
                rankings.assign(prompt=rankings["prompt"] + 3 * (rankings.index // 6)),
                prompt="prompt",
                rank="rank",
                random_state=0,
                **kw,
            ),
            lambda r: r.table,
        ),
        (
            ai.score_gaps,
            lambda **kw: ai.score_gaps(scores, score="score", **kw),
            lambda r: r.to_frame(),
        ),
        (
            ai.monitor,
            lambda **kw: ai.monitor(months, time="month", selected="selected", **kw),
            lambda r: r.to_frame(),
        ),
    ]


@pytest.mark.parametrize(
    "index",
    range(5),
    ids=["audit_funnel", "audit_tiers", "audit_rankings", "score_gaps", "monitor"],
)
def test_second_wave_functions_take_sensitive_features(index):
    function, call, table = _second_wave_calls()[index]
    features = {"audit_rankings": "sex", "score_gaps": "sex", "monitor": "sex"}.get(
        function.__name__, ["sex"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ai.UnknownCategoryWarning)
        assert len(table(call(sensitive_features=features)))
    with pytest.raises(ai.InputError, match=r"^sensitive_features: is required"):
        call()
    with pytest.raises(TypeError, match="groups"):
        call(groups=features)
