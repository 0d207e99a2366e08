"""The release-gate assertions (the pytest plugin itself: test_plugin.py)."""

from __future__ import annotations

import pytest

import adverse_impact as ai
from adverse_impact.testing import (
    assert_counterfactual_invariance,
    assert_no_adverse_impact,
    assert_no_proxy_leakage,
)

pytest_plugins = ["pytester"]


def _audit(women, men, **kwargs):
    selected = [1] * women[0] + [0] * (women[1] - women[0]) + [1] * men[0] + [0] * (men[1] - men[0])
    sex = ["F"] * women[1] + ["M"] * men[1]
    return ai.audit(selected=selected, sensitive_features={"sex": sex}, **kwargs)


def test_passing_audit_is_returned():
    result = _audit((30, 40), (60, 80))
    assert assert_no_adverse_impact(result) is result


def test_failure_message_shows_the_rows_and_the_rule():
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(_audit((12, 40), (48, 80)))
    message = str(info.value)
    assert "impact ratio below 0.8" in message
    lines = message.splitlines()
    header = next(line for line in lines if "impact_ratio" in line)
    failing = lines[lines.index(header) + 1]
    assert failing.split()[:2] == ["sex", "F"] and "0.5" in failing
    assert "Full table" in message


def test_the_rule_is_the_callers_choice():
    small = _audit((2, 10), (5, 10))  # ratio 0.4, Fisher p ~ 0.35
    with pytest.raises(AssertionError):
        assert_no_adverse_impact(small)
    assert_no_adverse_impact(small, alpha=0.05)  # "both": not significant
    with pytest.raises(AssertionError, match="or significantly lower"):
        assert_no_adverse_impact(small, rule="either")
    large = _audit((8_300, 10_000), (9_000, 10_000))  # ratio 0.92, highly significant
    assert_no_adverse_impact(large)
    with pytest.raises(AssertionError, match="significantly lower"):
        assert_no_adverse_impact(large, rule="significance")


def test_a_model_is_audited_on_X():
    from sklearn.dummy import DummyClassifier

    X = [[0], [1]] * 10
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [0, 1] * 10)
    # A model that selects everyone cannot be judged: the gate refuses, never passes.
    with pytest.raises(ai.InputError, match="everyone was selected"):
        assert_no_adverse_impact(model, X, {"sex": ["F", "M"] * 10})
    result = assert_no_adverse_impact(
        model, X, {"sex": ["F", "M"] * 10}, select_top=10, ties="random", random_state=0
    )
    assert result.table["n"].tolist() == [10, 10]


def test_misuse_is_a_type_error():
    with pytest.raises(TypeError, match="X and sensitive_features"):
        assert_no_adverse_impact(object())


def test_plugin_failure_output_names_the_group(pytester):
    pytester.makepyfile(
        test_release_gate="""
        import adverse_impact as ai
        from adverse_impact.testing import assert_no_adverse_impact

        def test_release():
            assert_no_adverse_impact(ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30
                                              + [0] * 20,
                                              sensitive_features={"sex": ["F"] * 50 + ["M"] * 50}))
    """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*adverse impact: 1 group fails the rule*", "*sex*F*0.333*"])


def test_gate_message_comes_first_and_short_then_the_tables():
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(_audit((12, 40), (48, 80)))
    lines = str(info.value).splitlines()
    assert lines[0] == "adverse impact: 1 group fails the rule (impact ratio below 0.8)"
    assert lines[1] == "  sex=F: impact ratio 0.500, 12 of 40 selected"
    assert lines[2] == "" and lines[3] == "Failing rows:"
    assert all(len(line) <= 100 for line in lines[:3])


def test_gate_message_says_when_a_flag_rests_on_a_handful_of_people():
    # One person of category X, not selected: ratio 0, and one different selection would
    # give X the higher rate (Uniform Guidelines Q&A 21).
    result = ai.audit(
        selected=[1] * 60 + [0] * 240 + [0], sensitive_features={"sex": ["M"] * 300 + ["X"]}
    )
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(result)
    first = str(info.value).split("\n\n")[0]
    assert (
        "sex=X: impact ratio 0.000, 0 of 1 selected; few people: one different selection "
        "would reverse it; too small for any rate to be significantly lower" in first
    )
    assert "Q&A 21" in first


def test_gate_failure_hides_library_frames_in_pytest(pytester):
    pytester.makepyfile(
        test_release_gate="""
        import adverse_impact as ai
        from adverse_impact.testing import assert_no_adverse_impact

        def test_release():
            result = ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30 + [0] * 20,
                              sensitive_features={"sex": ["F"] * 50 + ["M"] * 50})
            assert_no_adverse_impact(result)
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "testing.py:" not in out and "_gate_message" not in out
    # The message comes right after the caller's line, before any table.
    message = out.index("E       AssertionError: adverse impact: 1 group fails the rule")
    assert out.index("assert_no_adverse_impact(result)") < message < out.index("Failing rows")


# -- the assertions raise the library's own errors (issue 19) --


def _fair_audit():
    return ai.audit(selected=[1, 0] * 10, sensitive_features={"sex": ["F", "M"] * 10})


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: assert_no_adverse_impact(_fair_audit(), X=[[0]] * 20), "X"),
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


def test_a_failing_gate_s_tables_show_the_ratio_below_the_floor_past_four_digits():
    from _helpers import just_below

    # 39,998 of 50,000 against 50,000 of 50,000: 0.79996, which ".4g" writes 0.8.
    result = ai.audit(just_below(39_998, 50_000), selected="selected", sensitive_features="sex")
    with pytest.raises(AssertionError) as failed:
        assert_no_adverse_impact(result)
    text = str(failed.value)
    assert "impact ratio 0.79996" in text
    # Columns: attribute, group, n, selected, rate (F's 0.8), impact_ratio.
    for table in text.split("Failing rows:")[1].split("Full table:"):
        (f,) = [line.split() for line in table.splitlines() if line.split()[1:2] == ["F"]]
        assert f[4:6] == ["0.8", "0.79996"]
