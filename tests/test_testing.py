"""The release-gate assertions and the pytest plugin."""

from __future__ import annotations

import json

import pytest

import adverse_impact as ai
from adverse_impact.testing import assert_no_adverse_impact

pytest_plugins = ["pytester"]


def _audit(women, men, **kwargs):
    selected = [1] * women[0] + [0] * (women[1] - women[0]) + [1] * men[0] + [0] * (
        men[1] - men[0])
    sex = ["F"] * women[1] + ["M"] * men[1]
    return ai.audit(selected=selected, groups={"sex": sex}, **kwargs)


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

    X = [[0]] * 20
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [0, 1] * 10)
    result = assert_no_adverse_impact(model, X, {"sex": ["F", "M"] * 10})
    assert result.table["rate"].tolist() == [1.0, 1.0]


def test_misuse_is_a_type_error():
    with pytest.raises(TypeError, match="X and sensitive_features"):
        assert_no_adverse_impact(object())


def test_plugin_fixture_and_report_directory(pytester):
    pytester.makepyfile(test_gate="""
        import adverse_impact.testing as ait

        def test_release(adverse_impact):
            result = adverse_impact.audit(selected=[1, 0, 1, 1],
                                          groups={"sex": ["F", "F", "M", "M"]})
            assert result.n_total == 4

        def test_assertion_is_recorded():
            import adverse_impact as ai
            ait.assert_no_adverse_impact(
                ai.audit(selected=[1, 0, 0, 1] * 5, groups={"sex": ["F", "F", "M", "M"] * 5}))
    """)
    result = pytester.runpytest(
                                "--adverse-impact-report=evidence")
    result.assert_outcomes(passed=2)
    written = sorted(p.name for p in (pytester.path / "evidence").iterdir())
    assert written == ["test_gate.py_test_assertion_is_recorded.html",
                       "test_gate.py_test_assertion_is_recorded.json",
                       "test_gate.py_test_release.html", "test_gate.py_test_release.json"]
    report = json.loads((pytester.path / "evidence" / "test_gate.py_test_release.json")
                        .read_text())
    assert {row["group"] for row in report["table"]} == {"F", "M"}


def test_plugin_failure_output_names_the_group(pytester):
    pytester.makepyfile(test_gate="""
        import adverse_impact as ai
        from adverse_impact.testing import assert_no_adverse_impact

        def test_release():
            assert_no_adverse_impact(ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30
                                              + [0] * 20,
                                              groups={"sex": ["F"] * 50 + ["M"] * 50}))
    """)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*adverse impact: 1 group fails the rule*", "*sex*F*0.333*"])
