"""One parameter vocabulary across the public API; the other spelling is an alias that warns."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact import testing

SELECTED = [1, 0, 1, 1, 0, 0] * 5
SEX = ["F", "F", "F", "M", "M", "M"] * 5


@pytest.mark.parametrize("function", [ai.audit, ai.selection_rates, ai.impact_ratios])
def test_sensitive_features_is_an_alias_of_groups_that_warns(function):
    def call(**kwargs):
        if function is ai.audit:
            return function(selected=SELECTED, **kwargs)
        return function(SELECTED, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = call(groups={"sex": SEX})
    with pytest.warns(ai.AliasWarning, match=r"sensitive_features= is an alias of groups=") \
            as caught:
        got = call(sensitive_features={"sex": SEX})
    assert caught[0].filename == __file__
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(got, expected)
    else:
        pd.testing.assert_frame_equal(got.table, expected.table)
    with pytest.raises(ai.InputError, match=r"^sensitive_features: both groups= and its alias"):
        call(groups={"sex": SEX}, sensitive_features={"sex": SEX})


def test_groups_is_still_required():
    with pytest.raises(ai.InputError, match=r"^groups: is required"):
        ai.audit(selected=SELECTED)
    with pytest.raises(ai.InputError, match=r"^groups: is required"):
        ai.selection_rates(SELECTED)


def test_the_alias_warning_is_not_a_future_or_deprecation_warning():
    # The first-wave name stays; nothing is scheduled for removal.
    assert issubclass(ai.AliasWarning, UserWarning)
    assert not issubclass(ai.AliasWarning, (DeprecationWarning, FutureWarning))


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
    # Protected attributes: `groups` in the counting functions (their first-wave name,
    # with fairlearn's `sensitive_features` as an alias), `sensitive_features` elsewhere.
    assert not names & {"protected", "attributes", "group", "sensitive_feature", "attribute"}
    if "groups" in names:
        assert "sensitive_features" in names  # the alias
    # A model, when taken, comes first; then its input.
    listed = list(parameters)
    if "model" in listed and parameters["model"].kind is not inspect.Parameter.KEYWORD_ONLY:
        assert listed[0] == "model"
        assert listed[1] in ("X", "texts")
