"""Every public function's parameters: declared once, swept with invalid values.

As scikit-learn's ``sklearn/tests/core/test_params.py`` does: every public
function validates its parameters against one table (``_core/_params.py``)
before it does any work, and each constraint names the values it refuses, so
one sweep checks every parameter of every function for an error that names
the argument.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import adverse_impact as ai
from adverse_impact import datasets, stats, testing
from adverse_impact._core._params import (
    CHECKED_IN_BODY,
    PARAMETERS,
    Interval,
    Options,
    Seed,
    constraints_of,
)


def _public_functions():
    found = []
    for module in (ai, stats, testing, datasets):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found.append(pytest.param(obj, id=f"{module.__name__}.{name}"))
    return found


PUBLIC = _public_functions()


def _sweep_cases():
    cases = []
    for entry in PUBLIC:
        function = entry.values[0]
        for name, constraint in constraints_of(function).items():
            for bad in constraint.invalid():
                cases.append(pytest.param(function, name, bad, id=f"{entry.id}-{name}={bad!r}"))
    return cases


def test_there_are_public_functions_to_sweep():
    assert len(PUBLIC) >= 46


@pytest.mark.parametrize("function", PUBLIC)
def test_every_public_function_validates_its_parameters(function):
    assert hasattr(function, "__constraints__"), "decorate it with @validate_params()"


@pytest.mark.parametrize("function", PUBLIC)
def test_every_parameter_is_declared_in_one_table(function):
    # A new parameter gets a constraint in PARAMETERS (or an override), or a line in
    # CHECKED_IN_BODY saying what the function checks it against.
    constrained = constraints_of(function)
    for name in inspect.signature(function).parameters:
        assert name in constrained or name in CHECKED_IN_BODY, name


@pytest.mark.parametrize("function", PUBLIC)
def test_defaults_meet_their_own_constraints(function):
    parameters = inspect.signature(function).parameters
    for name, constraint in constraints_of(function).items():
        default = parameters[name].default
        if default is not inspect.Parameter.empty and default is not None:
            constraint.check(default, name)


@pytest.mark.parametrize("function,name,bad", _sweep_cases())
def test_an_invalid_value_is_refused_with_an_error_naming_the_argument(function, name, bad):
    # Checked before any other argument is looked at, so nothing else need be valid.
    with pytest.raises(ai.AdverseImpactError) as caught:
        function(**{name: bad})
    assert str(caught.value).startswith(f"{name}:"), str(caught.value)
    assert isinstance(caught.value, (ValueError, TypeError))


def test_no_table_names_a_parameter_twice():
    assert not set(PARAMETERS) & set(CHECKED_IN_BODY)


def test_every_declared_name_is_used_by_some_public_function():
    used = {name for entry in PUBLIC for name in inspect.signature(entry.values[0]).parameters}
    assert not (set(PARAMETERS) - used), "a constraint for a parameter nobody has"
    assert not (set(CHECKED_IN_BODY) - used)


@pytest.mark.parametrize(
    "value", [np.float32(0.95), np.float64(0.95), 0.95, np.float16(0.95)], ids=repr
)
def test_numpy_scalars_are_numbers_everywhere(value):
    # score_gaps and the stats functions once refused np.float32(0.95).
    ratio = ai.stats.impact_ratio_test(10, 40, 20, 40, confidence=value)
    assert 0 < ratio.ci_low < ratio.ci_high
    gaps = ai.score_gaps(
        score=[1, 2, 3, 4, 5, 6], sensitive_features={"s": list("aaabbb")}, confidence=value
    )
    assert gaps.to_frame().shape[0] == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: ai.audit_age(selected=[1, 0, 1, 0], age=[30, 45, 50, 33], confidence=1.5),
        lambda: ai.compare_models({}, [[1]], [1], {"s": ["a"]}, confidence=1.5),
        lambda: ai.score_gaps(score=[1, 2], sensitive_features={"s": ["a", "b"]}, confidence=1.5),
    ],
    ids=["audit_age", "compare_models", "score_gaps"],
)
def test_a_confidence_outside_0_1_is_an_error_naming_it(call):
    # audit_age once returned NaN intervals; compare_models raised numpy's message.
    with pytest.raises(ai.InputError, match=r"^confidence: 1.5 is not a number in \(0, 1\)"):
        call()


@pytest.mark.parametrize(
    "constraint,good",
    [
        (Interval(float, 0, 1, "neither"), [0.5, np.float32(0.5), 1e-300, 1 - 1e-16]),
        (Interval(int, 1, None), [1, np.int64(7), 10**12]),
        (Options(("a", "b")), ["a", "b"]),
        (Seed(), [0, np.uint32(3), np.random.default_rng(0)]),
    ],
)
def test_valid_values_pass_and_come_back_unchanged(constraint, good):
    for value in good:
        assert constraint.check(value, "x") is value


def test_interval_bounds_are_exact_at_the_edges():
    closed = Interval(float, 0, 1, "both")
    assert closed.check(0.0, "x") == 0.0 and closed.check(1.0, "x") == 1.0
    opened = Interval(float, 0, 1, "neither")
    for edge in (0.0, 1.0, math.nextafter(0.0, -1), math.nextafter(1.0, 2)):
        with pytest.raises(ai.InputError):
            opened.check(edge, "x")
    assert opened.check(math.nextafter(0.0, 1), "x") > 0


def test_the_vocabulary_page_shows_the_current_table():
    from pathlib import Path

    from adverse_impact._core._params import markdown_table

    page = (Path(__file__).resolve().parents[2] / "docs" / "vocabulary.md").read_text()
    start = page.index("<!-- parameters: generated by")
    block = page[page.index("\n", start) + 1 : page.index("<!-- end parameters -->")]
    assert block.strip() == markdown_table().strip(), "regenerate the table in docs/vocabulary.md"
