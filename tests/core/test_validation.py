"""Validation helpers in one module, used by the public functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._core._validation import check_option, check_scalar
from adverse_impact.testing import assert_counterfactual_invariance, assert_no_proxy_leakage


@pytest.mark.parametrize(
    "value, kind, bounds, error, message",
    [
        (True, int, {"low": 1}, ai.InputTypeError, r"^k: True is not an integer >= 1"),
        ("5", int, {"low": 1}, ai.InputTypeError, r"^k: '5' is not an integer >= 1"),
        (2.0, int, {"low": 1}, ai.InputTypeError, r"^k: 2.0 is not an integer"),
        (0, int, {"low": 1}, ai.InputError, r"^k: 0 is not an integer >= 1"),
        (
            0.0,
            float,
            {"low": 0, "closed": "neither"},
            ai.InputError,
            r"^k: 0.0 is not a number > 0",
        ),
        (
            1.5,
            float,
            {"low": 0, "high": 1},
            ai.InputError,
            r"^k: 1.5 is not a number >= 0 and <= 1",
        ),
        (float("nan"), float, {}, ai.InputError, r"^k: nan is not finite"),
    ],
)
def test_check_scalar_refuses_with_the_argument_problem_and_fix(
    value, kind, bounds, error, message
):
    with pytest.raises(error, match=message):
        check_scalar(value, "k", kind, **bounds)


def test_check_scalar_accepts_numpy_numbers_and_returns_python_numbers():
    assert check_scalar(np.int32(3), "k", int, low=1) == 3
    assert type(check_scalar(np.int32(3), "k", int)) is int
    assert type(check_scalar(np.float32(0.5), "k", float, low=0, high=1)) is float
    assert check_scalar(1, "k", float, low=0, high=1) == 1.0


def test_check_option_lists_the_options():
    assert check_option("rest", "comparison", ("reference", "rest")) == "rest"
    with pytest.raises(ai.InputError, match=r"^comparison: 'all' is not one of \['reference'"):
        check_option("all", "comparison", ("reference", "rest"))
    with pytest.raises(ai.InputError):
        check_option(["unhashable"], "comparison", ("reference",))


@pytest.mark.parametrize(
    "call, argument, error",
    [
        (
            lambda: ai.token_proxies(["a b"] * 4, ["F", "M"] * 2, min_count=0),
            "min_count",
            ai.InputError,
        ),
        (
            lambda: ai.token_proxies(["a b"] * 4, ["F", "M"] * 2, min_count="5"),
            "min_count",
            ai.InputTypeError,
        ),
        (lambda: ai.token_proxies(["a b"] * 4, ["F", "M"] * 2, prior=0), "prior", ai.InputError),
        (
            lambda: ai.recoverability(np.zeros((4, 1)), ["F", "M"] * 2, cv=True),
            "cv",
            ai.InputTypeError,
        ),
        (
            lambda: ai.proxy_leakage(None, np.zeros((4, 1)), ["F", "M"] * 2, n_repeats=0),
            "n_repeats",
            ai.InputError,
        ),
        (
            lambda: assert_no_proxy_leakage(np.zeros((4, 1)), ["F", "M"] * 2, max_auc=2),
            "max_auc",
            ai.InputError,
        ),
        (
            lambda: assert_no_proxy_leakage(np.zeros((4, 1)), ["F", "M"] * 2, max_auc=0.6, top_k=0),
            "top_k",
            ai.InputError,
        ),
        (
            lambda: assert_counterfactual_invariance(lambda X: X, ["a"], max_abs_change=-1),
            "max_abs_change",
            ai.InputError,
        ),
        (
            lambda: assert_counterfactual_invariance(
                lambda X: X, ["a"], max_flip_rate=1.5, threshold=0.5
            ),
            "max_flip_rate",
            ai.InputError,
        ),
    ],
)
def test_public_functions_check_their_scalars_first(call, argument, error):
    with pytest.raises(error, match=rf"^{argument}: "):
        call()


@pytest.mark.parametrize(
    "options, argument",
    [
        ({"test": ["fisher"]}, "test"),
        ({"comparison": {"rest"}}, "comparison"),
        ({"min_share_of": ["all"]}, "min_share_of"),
        ({"rule": ["both"]}, "rule"),
    ],
)
def test_every_option_argument_refuses_an_unhashable_value_with_the_librarys_error(
    options, argument
):
    # Each option check goes through _validation.check_option: an unhashable value
    # (a list where a string is meant) is an InputError naming the argument, not a
    # TypeError from a dict lookup.
    frame = pd.DataFrame({"sel": [1, 0, 1, 1, 0, 1], "g": list("aabbcc")})
    with pytest.raises(ai.InputError, match=rf"^{argument}: .* is not one of"):
        if argument == "rule":
            ai.audit(frame, selected="sel", sensitive_features="g").passes(**options)
        else:
            ai.audit(frame, selected="sel", sensitive_features="g", **options)
