"""One pass/fail protocol: every result that judges adverse impact answers the same calls.

``gate(min_ratio=0.8, alpha=None, rule=None) -> GateVerdict``, ``passes(...)`` (exactly
``gate(...).passes``) and, where the verdict is on the rows of ``to_frame()``,
``failing(...)``.  The classes are found by walking the public API, as
tests/core/test_shape.py finds result classes, so a new result with a gate is
checked without being listed here; each is built failing and passing on tiny data.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact.testing import assert_no_adverse_impact

F40_M80 = {"sex": ["F"] * 40 + ["M"] * 80}


def _counts_frame(rows, columns):
    """Rows given as (values..., count): one row per person."""
    frame = pd.DataFrame(rows, columns=[*columns, "count"])
    return frame.loc[frame.index.repeat(frame["count"])].drop(columns="count")


def _funnel(offered_women):
    people = pd.DataFrame(
        {
            "sex": ["F"] * 10 + ["M"] * 10,
            "screened": [1] * 8 + [0] * 2 + [1] * 8 + [0] * 2,
            "offered": [1] * offered_women + [0] * (10 - offered_women) + [1] * 6 + [0] * 4,
        }
    )
    return ai.audit_funnel(people, stages=["screened", "offered"], sensitive_features="sex")


def _tiers(fair):
    order = ["bottom", "middle", "top"]
    men = ["top", "middle", "bottom", "top"] * 5
    women = men if fair else ["bottom", "middle"] * 10
    tier = pd.Categorical(men + women, categories=order, ordered=True)
    return ai.audit_tiers(selected=tier, sensitive_features={"sex": ["M"] * 20 + ["F"] * 20})


def _rankings(fair):
    prompts = 20
    rank_a = [1, 2] * prompts if fair else [1] * prompts
    rank_b = [2, 1] * prompts if fair else [2] * prompts
    n = len(rank_a)
    data = pd.DataFrame(
        {
            "prompt": list(range(n)) * 2,
            "group": ["a"] * n + ["b"] * n,
            "rank": rank_a + rank_b,
        }
    )
    return ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", random_state=0
    )


def _monitor(ratio):
    rows = []
    for month in range(1, 7):
        day = f"2025-{month:02d}-15"
        women = round(1500 * 0.3 * ratio)
        rows += [(day, "F", 1, women), (day, "F", 0, 1500 - women)]
        rows += [(day, "M", 1, 450), (day, "M", 0, 1050)]
    data = _counts_frame(rows, ["month", "sex", "selected"])
    return ai.monitor(data, time="month", selected="selected", sensitive_features="sex")


SIGNALS = pd.DataFrame(
    {"college": ["Wellesley College", "Dalton College"], "type": ["women's", "co-ed"]}
)
TEMPLATES = [f"Python, SQL; {i} years; {{college}}" for i in range(10)]


def _paired(penalty, threshold=None):
    def scorer(texts):
        return [int(t.split()[2]) / 10 - penalty * ("Wellesley" in t) for t in texts]

    return ai.paired_test(scorer, TEMPLATES, signals=SIGNALS, threshold=threshold)


def _imputed(fair):
    p_black = np.repeat([0.01, 0.99], 500)
    black_selected = np.tile([1, 0], 250) if fair else np.tile([1, 0, 0, 0, 0], 100)
    selected = np.r_[np.tile([1, 0], 250), black_selected]
    probabilities = pd.DataFrame({"white": 1 - p_black, "black": p_black})
    return ai.audit_imputed(selected, probabilities, reference="white", cells=p_black)


def _age(cutoff):
    age = np.repeat([30, 45, 55], 100)
    selected = np.repeat([1, 0, 1, 0, 1, 0], [50, 50, 50, 50, 35, 65])
    return ai.audit_age(selected=selected, age=age, cutoff=cutoff)


#: Each gated class, built (failing, passing) under its default rule.
BUILDERS = {
    "AuditResult": (
        lambda: ai.audit(
            selected=[1] * 12 + [0] * 28 + [1] * 48 + [0] * 32, sensitive_features=F40_M80
        ),
        lambda: ai.audit(
            selected=[1] * 20 + [0] * 20 + [1] * 40 + [0] * 40, sensitive_features=F40_M80
        ),
    ),
    "FunnelResult": (lambda: _funnel(3), lambda: _funnel(6)),
    "TierResult": (lambda: _tiers(fair=False), lambda: _tiers(fair=True)),
    "RankingAudit": (lambda: _rankings(fair=False), lambda: _rankings(fair=True)),
    "AgeAudit": (lambda: _age(50), lambda: _age(40)),
    "MonitorResult": (lambda: _monitor(0.5), lambda: _monitor(1.0)),
    "PairedTestResult": (lambda: _paired(0.3, threshold=0.45), lambda: _paired(0.0, 0.45)),
    "ImputedAudit": (lambda: _imputed(fair=False), lambda: _imputed(fair=True)),
}


def _gated_classes():
    found = {}
    for name in ai.__all__:
        value = getattr(ai, name)
        if inspect.isclass(value) and callable(getattr(value, "gate", None)):
            found[name] = value
    return found


CLASSES = _gated_classes()
_cache: dict = {}


def _built(name, which):
    key = (name, which)
    if key not in _cache:
        _cache[key] = BUILDERS[name][which == "passing"]()
    result = _cache[key]
    assert type(result) is CLASSES[name]
    return result


def test_every_public_gated_class_is_built_here():
    assert set(CLASSES) == set(BUILDERS)


def test_every_public_class_with_a_pass_fail_method_has_the_gate():
    # A ``passes``/``failing`` method without ``gate`` would be a second protocol.
    for name in ai.__all__:
        value = getattr(ai, name)
        if not inspect.isclass(value) or name == "GateVerdict":  # its passes is a field
            continue
        if callable(getattr(value, "passes", None)) or callable(getattr(value, "failing", None)):
            assert name in CLASSES, name


def test_summary_check_is_not_a_gate_and_says_what_it_checks():
    assert not hasattr(ai.SummaryCheck, "passes") and not hasattr(ai.SummaryCheck, "gate")
    assert callable(ai.SummaryCheck.consistent)


_SIGNATURE = ["self", "min_ratio", "alpha", "rule"]
_DEFAULTS = [inspect.Parameter.empty, 0.8, None, None]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_gate_passes_and_failing_have_one_signature(name):
    cls = CLASSES[name]
    methods = ["gate", "passes"] + (["failing"] if hasattr(cls, "failing") else [])
    for method in methods:
        parameters = list(inspect.signature(getattr(cls, method)).parameters.values())
        assert [p.name for p in parameters] == _SIGNATURE, (name, method)
        assert [p.default for p in parameters] == _DEFAULTS, (name, method)
    returned = inspect.signature(cls.gate).return_annotation
    assert returned in (ai.GateVerdict, "GateVerdict"), returned


@pytest.mark.parametrize("which", ["failing", "passing"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_passes_is_the_gate_and_failing_its_rows(name, which):
    result = _built(name, which)
    verdict = result.gate()
    assert isinstance(verdict, ai.GateVerdict)
    assert verdict.passes is (which == "passing")
    assert result.passes() is verdict.passes
    assert len(verdict.details) == len(verdict.failing)
    assert bool(verdict.failing) is not verdict.passes
    message = verdict.message()
    assert message.startswith("adverse impact: ")
    assert ("no group fails" in message.splitlines()[0]) is verdict.passes
    assert verdict.describe().startswith("passes" if verdict.passes else "fails")
    if hasattr(result, "failing"):
        mask = np.asarray(result.failing())
        assert mask.dtype == bool and len(mask) == len(result.to_frame())
        assert int(mask.sum()) == len(verdict.failing)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_rule_a_result_decides_agrees_across_the_three_calls(name):
    result = _built(name, "failing")
    for rule in ("four_fifths", "significance", "both", "either"):
        for alpha in (None, 0.05):
            try:
                verdict = result.gate(0.8, alpha, rule)
            except ai.InputError as error:
                # A rule or level the result cannot decide is refused, by name.
                assert str(error).split(":")[0] in ("rule", "alpha"), error
                with pytest.raises(ai.InputError):
                    result.passes(0.8, alpha, rule)
                continue
            assert result.passes(0.8, alpha, rule) is verdict.passes
            assert verdict.rule == rule
            if rule != "four_fifths":
                # A significance rule names its family and correction.
                assert verdict.alpha is not None and verdict.family, (name, rule)
            if hasattr(result, "failing"):
                assert int(result.failing(0.8, alpha, rule).sum()) == len(verdict.failing)


@pytest.mark.parametrize(
    "kwargs,argument",
    [
        ({"rule": "majority"}, "rule"),
        ({"min_ratio": 1.5}, "min_ratio"),
        ({"min_ratio": "0.8"}, "min_ratio"),
        ({"alpha": 1.5, "rule": "significance"}, "alpha"),
    ],
)
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_bad_gate_arguments_name_themselves(name, kwargs, argument):
    result = _built(name, "passing")
    with pytest.raises((ai.InputError, ai.InputTypeError), match=rf"^{argument}: "):
        result.gate(**kwargs)


@pytest.mark.parametrize(
    "name,kwargs,argument,fix",
    [
        ("ImputedAudit", {"alpha": 0.05}, "alpha", "Drop alpha="),
        ("ImputedAudit", {"rule": "significance"}, "rule", "rule='four_fifths'"),
        ("MonitorResult", {"alpha": 0.01}, "alpha", r"Re-run monitor\(\.\.\., alpha=0.01\)"),
        ("MonitorResult", {"min_ratio": 0.9}, "min_ratio", "Drop min_ratio="),
    ],
)
def test_an_argument_a_result_cannot_honour_is_refused_with_the_fix(name, kwargs, argument, fix):
    with pytest.raises(ai.InputError, match=rf"^{argument}: .*{fix}"):
        _built(name, "passing").gate(**kwargs)


# -- testing.assert_no_adverse_impact accepts any result with a gate --------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_assertion_accepts_every_gated_result_with_the_one_message(name):
    # Before: anything but an AuditResult was taken for a model ("a model was given
    # without X and sensitive_features").
    failing = _built(name, "failing")
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(failing)
    assert str(info.value).startswith(failing.gate().message())
    passing = _built(name, "passing")
    assert assert_no_adverse_impact(passing) is passing


def test_a_funnel_fails_the_assertion_on_its_stage_and_bottom_line():
    # Before: TypeError "a model was given without X and sensitive_features".
    funnel = _funnel(3)
    with pytest.raises(AssertionError) as info:
        assert_no_adverse_impact(funnel)
    text = str(info.value)
    assert text.splitlines()[0] == "adverse impact: 2 groups fail the rule (impact ratio below 0.8)"
    assert "  offered: sex=F: impact ratio 0.500, 3 of 8 selected" in text
    assert "  bottom line: sex=F: impact ratio 0.500, 3 of 10 selected" in text
    assert "Failing rows:" in text and "stage" in text.split("Failing rows:")[1]


def test_the_assertion_passes_rule_and_alpha_to_the_gate():
    paired = _paired(0.3)  # no decisions: only "N differ" can be decided
    with pytest.raises(AssertionError, match="differs from the reference at alpha 0.05"):
        assert_no_adverse_impact(paired)
    with pytest.raises(ai.InputError, match="^rule: "):
        assert_no_adverse_impact(paired, rule="four_fifths")


def test_an_object_without_a_gate_is_still_taken_for_a_model():
    with pytest.raises(TypeError, match="X and sensitive_features"):
        assert_no_adverse_impact(object())


# -- what each result's verdict means --------------------------------------------------


def test_funnel_significance_reads_each_audit_at_alpha_over_the_number_of_audits():
    funnel = _built("FunnelResult", "failing")
    m = len(funnel.results)
    verdict = funnel.gate(alpha=0.3, rule="significance")
    each = np.concatenate([r.failing(alpha=0.3 / m, rule="significance") for r in funnel.results])
    assert (funnel.failing(alpha=0.3, rule="significance") == each).all()
    assert "Bonferroni across the 3 audits (each at alpha 0.1)" in verdict.family
    assert funnel.flagged_stages(alpha=0.3, rule="significance") == [
        name
        for name, r in zip((*funnel.stages, "bottom line"), funnel.results)
        if r.failing(alpha=0.3 / m, rule="significance").any()
    ]


def test_age_verdict_is_the_audit_at_the_cutoff():
    age = _built("AgeAudit", "failing")
    assert age.gate(alpha=0.05) == age.audit.gate(alpha=0.05)
    assert not hasattr(age, "failing")  # its rows are the sweep's


def test_monitor_rules_read_the_alerts_and_fail_on_is_gone():
    drifting = _built("MonitorResult", "failing")
    kinds = set(drifting.alerts["alert"])
    assert "below_four_fifths" in kinds
    for rule in ("four_fifths", "both", "significance", "either"):
        assert not drifting.passes(rule=rule)
    assert "wholly below 0.8" in drifting.gate().criterion
    assert "wholly below 1" in drifting.gate(rule="significance").criterion
    assert "the chance of any false alert" in drifting.gate().family
    with pytest.raises(TypeError):
        drifting.passes(fail_on="four_fifths")


def test_paired_significance_is_the_headline_n_differ_with_its_holm_family():
    result = _paired(0.1)
    verdict = result.gate()
    assert verdict.rule == "significance"  # no decisions: the default
    assert len(verdict.failing) == result.n_differ() == 1
    assert result.family in verdict.family
    decided = _built("PairedTestResult", "failing")
    assert decided.gate().rule == "four_fifths" and decided.gate().failing == ("women's",)


def test_imputed_fails_only_when_the_whole_bound_interval_is_below_the_floor():
    result = _built("ImputedAudit", "failing")
    row = result.table.set_index("group").loc["black"]
    assert row["bound_high"] < 0.8
    assert not result.passes() and result.gate().failing == ("race=black",)
    # A floor inside the interval: undetermined, so not failing.
    inside = float((row["bound_low"] + row["bound_high"]) / 2)
    assert result.passes(min_ratio=round(inside, 3))
    assert "Kallus, Mao and Zhou" in result.gate().family


# -- one message on every path ---------------------------------------------------------


def test_the_cli_prints_the_gate_message(tmp_path, capsys):
    from adverse_impact._cli import main

    path = tmp_path / "applicants.csv"
    pd.DataFrame(
        {"sex": F40_M80["sex"], "advanced": [1] * 12 + [0] * 28 + [1] * 48 + [0] * 32}
    ).to_csv(path, index=False)
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex"]) == 1
    expected = _built("AuditResult", "failing").gate().message()
    assert expected in capsys.readouterr().err


def test_the_monitor_cli_fail_on_is_the_rule(tmp_path, capsys):
    from adverse_impact._cli import main

    rows = []
    for month in range(1, 4):
        day = f"2025-{month:02d}-15"
        rows += [(day, "F", 1, 60), (day, "F", 0, 940), (day, "M", 1, 300), (day, "M", 0, 700)]
    path = tmp_path / "decisions.csv"
    _counts_frame(rows, ["month", "sex", "selected"]).to_csv(path, index=False)
    args = ["monitor", str(path), "--time", "month", "--selected", "selected", "--group", "sex"]
    for rule in ("four_fifths", "both", "significance", "either"):
        assert main([*args, "--fail-on", rule]) == 1
        assert "adverse impact: 1 group fails the rule" in capsys.readouterr().out
    assert main([*args, "--fail-on", "never"]) == 0
    # The log records the verdict the command gave, with its rule.
    log = tmp_path / "audits.db"
    assert main([*args, "--fail-on", "significance", "--log", str(log)]) == 1
    entry = ai.AuditLog(log).history().iloc[-1]
    assert entry["rule"] == "significance" and not entry["passes"]


def test_the_audit_log_records_the_monitor_verdict_given(tmp_path):
    log = ai.AuditLog(tmp_path / "audits.db")
    drifting = _built("MonitorResult", "failing")
    verdict = drifting.gate(rule="significance")
    log.add(drifting, verdict=verdict)
    entry = log.history().iloc[-1]
    assert entry["rule"] == "significance" and not entry["passes"]
    assert entry["verdict"] == verdict.describe()


def test_a_ranker_paired_test_gates_on_its_headline_too():
    signals = pd.DataFrame(
        {
            "college": ["Wellesley College", "Dalton College", "Smith College"],
            "type": ["women's", "co-ed", "co-ed too"],
        }
    )

    def ranker(texts):  # Wellesley last, the others in the order shown
        return sorted(range(len(texts)), key=lambda i: "Wellesley" in texts[i])

    result = ai.paired_test(
        ranker, TEMPLATES, signals=signals, kind="rank", n_repeats=20, random_state=0
    )
    verdict = result.gate(rule="significance")
    assert len(verdict.failing) == result.n_differ() and "women's" in verdict.failing
    assert "than the design expects" in verdict.criterion
    assert result.gate(alpha=0.05).failing == ("women's",)  # below 4/5 and off expectation


def test_row_detail_shows_the_decimals_that_put_a_ratio_on_its_side_of_the_floor():
    from fractions import Fraction

    from adverse_impact._stats._gate import row_detail

    row = {"impact_ratio": 3_998 / 5_000, "selected": 3_998, "n": 5_000}
    assert (
        row_detail(row, "four_fifths", below=True) == "impact ratio 0.7996, 3,998 of 5,000 selected"
    )
    # The floor is the gate's min_ratio, not always 0.8.
    near = {"impact_ratio": 0.89996}
    assert row_detail(near, "four_fifths", below=True, min_ratio=Fraction(9, 10)) == (
        "impact ratio 0.89996"
    )
    assert row_detail({"impact_ratio": 0.9}, "significance", below=False, min_ratio=0.9) == (
        "impact ratio 0.900"
    )


def test_a_failing_gate_message_never_reads_0_800_for_a_ratio_below_the_floor():
    from _helpers import just_below

    data = just_below()  # F 3,998 of 5,000 against M 5,000 of 5,000: 0.7996
    message = ai.audit(data, selected="selected", sensitive_features="sex").gate().message()
    assert "sex=F: impact ratio 0.7996, 3,998 of 5,000 selected" in message
    assert "0.800" not in message
    # At a floor of 0.9: 44,998 of 50,000 is 0.89996, below 0.9 exactly.
    data = just_below(44_998, 50_000)
    verdict = ai.audit(data, selected="selected", sensitive_features="sex").gate(min_ratio=0.9)
    assert "impact ratio 0.89996" in verdict.message() and "0.900" not in verdict.message()
    # A funnel's gate reads each step's own exact decision.
    # One of each sex not screened: 3,998 of 5,001 against 5,000 of 5,001 is 0.7996 too.
    unscreened = pd.DataFrame({"sex": ["F", "M"], "selected": 0, "screened": 0})
    steps = pd.concat([just_below().assign(screened=1), unscreened], ignore_index=True)
    funnel = ai.audit_funnel(steps, stages=["screened", "selected"], sensitive_features="sex")
    text = funnel.gate().message()
    assert "impact ratio 0.7996" in text and "0.800" not in text
