"""One result shape everywhere: summary() is a plain str.

The per-cut-off table of a sweep is ``ThresholdSweep.by_threshold()`` and the
headline numbers of a counterfactual test are ``CounterfactualResult.numbers``.
The surface test builds every public result class from its public function on
tiny data.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from _helpers import adult_counts

import adverse_impact as ai
from adverse_impact import stats

SEX = ["F", "M"] * 30
TEXTS = ["her chess club python", "his chess club java", "python sql"] * 20


def _sweep():
    scores = [0.9, 0.8, 0.3, 0.7, 0.4, 0.2, 0.6, 0.5]
    sex = ["F", "F", "F", "M", "M", "M", "F", "M"]
    return ai.threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[0.1, 0.5, 0.75])


def _counterfactual(threshold=0.5):
    return ai.counterfactual_test(
        lambda X: np.array([x.count("her") for x in X], dtype=float),
        TEXTS,
        sensitive_features=SEX,
        threshold=threshold,
    )


# -- summary() is text; the tables and numbers live under their own names ------------


def test_by_threshold_and_numbers_hold_the_tables_behind_the_summary():
    # by_threshold, recomputed from the tidy table (each cut-off's selections over all rows; the lowest ratio; flags counted).
    sweep = _sweep()
    tidy = sweep.to_frame()
    per_cut = sweep.by_threshold()
    assert list(per_cut.columns) == [
        "threshold",
        "selected",
        "rate",
        "min_impact_ratio",
        "n_flagged",
        "passes",
    ]
    for row in per_cut.itertuples(index=False):
        at = tidy[tidy["threshold"] == row.threshold]
        assert row.selected == at["selected"].sum()  # no unknowns here
        assert row.rate == row.selected / sweep.n_total
        assert row.min_impact_ratio == at["impact_ratio"].min()
        assert row.n_flagged == at["four_fifths_flag"].sum()
        if row.selected in (0, sweep.n_total):  # no one or everyone: not judged
            assert row.passes is pd.NA
        else:
            assert row.passes == (row.n_flagged == 0)
    # numbers: the eight headline attributes, as the attributes hold them (NaN stays NaN).
    result = _counterfactual()
    assert result.numbers == {
        "n_documents": 60,
        "n_swapped": 40,
        "mean_change": 0.0,  # "her" -> "his" lowers by 1 as often as "his" -> "her" raises
        "mean_abs_change": 1.0,
        "max_abs_change": 1.0,
        "flip_rate": 1.0,
        "flip_rate_all": 40 / 60,
        "cutoff": 0.5,
    }
    no_rule = _counterfactual(threshold=None).numbers
    assert np.isnan(no_rule["flip_rate"]) and no_rule["cutoff"] is None
    assert result.numbers is not result.numbers  # a new dict each time


def test_summary_is_a_plain_str():
    for summary in (_sweep().summary(), _counterfactual().summary()):
        assert type(summary) is str


def test_summary_text_says_what_the_numbers_say():
    sweep = _sweep()
    lines = sweep.summary().splitlines()
    assert lines[0] == repr(sweep).splitlines()[0]
    per_cut = sweep.by_threshold()
    # 0.1 selects everyone (not judged); 0.5 and 0.75 fail.
    assert per_cut["passes"].isna().tolist() == [True, False, False]
    assert lines[1] == "  four-fifths fails for some group at every cut-off that can be judged"
    low = sweep.to_frame().sort_values("impact_ratio").iloc[0]
    assert lines[2] == (
        f"  lowest impact ratio {low['impact_ratio']:.3f}: sex {low['group']} "
        f"at cut-off {low['threshold']:.4g}"
    )
    nowhere = ai.threshold_sweep(
        [1.0] * 4 + [0.0] * 6 + [1.0] * 5 + [0.0] * 5,
        sensitive_features={"sex": ["F"] * 10 + ["M"] * 10},
        thresholds=[0.5, 2.0],
    )
    assert "at cut-off 0.5" in nowhere.summary()  # ratio exactly 0.8: holds
    assert "no impact ratio" not in nowhere.summary()
    result = _counterfactual()
    lines = result.summary().splitlines()
    assert lines[0] == repr(result).splitlines()[0]
    assert "cut-off 0.5: flip rate 1.000 of the swapped documents, 0.667 of all" in lines[1]
    assert lines[2].startswith("  F: 20 of 30 swapped") and lines[3].startswith("  M: 20 of 30")
    assert "no decision rule" in _counterfactual(threshold=None).summary()


# -- the surface of every public result ------------------------------------------

#: Public classes that are not results a function returns: a store, and parts of a
#: result reached through it (each checked through its parent's to_dict).
NOT_RESULTS = {"AuditLog", "GroupCounts", "AgeTrend", "Finding"}


def _builders():
    rng = np.random.default_rng(0)
    sex = np.array(SEX)
    frame = pd.DataFrame({"x": rng.normal(size=60) + (sex == "M"), "c": SEX})
    audit = ai.audit(selected=[1, 0, 1, 1, 0, 0] * 10, sensitive_features={"sex": SEX})
    funnel = pd.DataFrame(
        {"sex": SEX, "screened": [1, 1, 1, 1, 0, 0] * 10, "offered": [1, 0, 1, 1, 0, 0] * 10}
    )
    tier = pd.Categorical(["top", "bottom", "top"] * 20, categories=["bottom", "top"], ordered=True)
    rankings = pd.DataFrame(
        {
            "prompt": [1, 1, 2, 2, 3, 3, 4, 4],
            "group": ["a", "b"] * 4,
            "rank": [1, 2, 1, 2, 2, 1, 1, 2],
        }
    )
    signals = pd.DataFrame(
        {"college": ["Wellesley College", "Dalton College"], "type": ["women's", "co-ed"]}
    )
    templates = [f"Python, SQL; {i} years; {{college}}" for i in range(10)]
    y = np.array([1, 0, 0, 1] * 15, dtype=bool)
    published = pd.DataFrame(
        {
            "attribute": ["sex"] * 2,
            "group": ["Male", "Female"],
            "n": [217, 971],
            "selected": [170, 753],
            "rate": ["0.78", "0.78"],
            "impact_ratio": ["1.00", "1.00"],
        }
    )

    def scorer(texts):
        return [int(t.split()[2]) / 10 - 0.1 * ("Wellesley" in t) for t in texts]

    def case_study():
        from adverse_impact.case_study import recruiting_tool

        return recruiting_tool(1_000, random_state=0)

    return {
        "AuditResult": lambda: audit,
        "GateVerdict": lambda: audit.gate(alpha=0.05),
        "ThresholdSweep": _sweep,
        "CounterfactualResult": _counterfactual,
        "TokenProxies": lambda: ai.token_proxies(TEXTS, SEX, min_count=1),
        "ProxyScan": lambda: ai.proxy_scan(frame, {"sex": SEX}),
        "Recoverability": lambda: ai.recoverability(frame[["x"]], SEX, cv=2, random_state=0),
        "ProxyLeakage": lambda: ai.proxy_leakage(lambda X: np.asarray(X["x"]), frame[["x"]], SEX),
        "FunnelResult": lambda: ai.audit_funnel(
            funnel, stages=["screened", "offered"], sensitive_features=["sex"]
        ),
        "TierResult": lambda: ai.audit_tiers(selected=tier, sensitive_features={"sex": SEX}),
        "RankingAudit": lambda: ai.audit_rankings(
            rankings, prompt="prompt", sensitive_features="group", rank="rank", random_state=0
        ),
        "PairedTestResult": lambda: ai.paired_test(
            scorer, templates, signals=signals, threshold=0.51
        ),
        "MonitorResult": lambda: ai.monitor(
            time=["2025-01-03", "2025-02-07", "2025-03-01"] * 4,
            selected=[1, 0, 1] * 4,
            sensitive_features={"sex": list("FFFFFFMMMMMM")},
        ),
        "LL144Packet": lambda: audit.to_ll144(
            audit_date="2026-11-30", distribution_date="2026-01-05", data_source="test"
        ),
        "SummaryCheck": lambda: ai.check_summary(published),
        "RaceEstimates": lambda: ai.impute_race(
            ["Smith", "Garcia", "Qxqzv", None],
            zcta=["30310", "78521", None, "02139"],
            zcta_table=adult_counts(n=20),
        ),
        "ImputedAudit": lambda: ai.audit_imputed(
            [1, 0, 1, 1, 0, 0] * 10,
            pd.DataFrame({"a": np.linspace(0.1, 0.9, 60), "b": np.linspace(0.9, 0.1, 60)}),
        ),
        "ScoreGaps": lambda: ai.score_gaps(
            score=np.linspace(0, 1, 60), sensitive_features={"sex": SEX}, thresholds=[0.5]
        ),
        "AgeAudit": lambda: ai.audit_age(
            selected=[1, 0, 1, 1, 0, 0] * 10, age=np.repeat([30, 45, 55], 20)
        ),
        "ModelComparison": lambda: ai.compare_models(
            {"a": frame["x"].to_numpy(), "b": -frame["x"].to_numpy()},
            None,
            y,
            {"sex": SEX},
            select_top=0.3,
            n_resamples=20,
            random_state=0,
        ),
        "CaseStudyResult": case_study,
        "stats.ZTestResult": lambda: stats.two_proportion_z(5, 20, 12, 20),
        "stats.FisherResult": lambda: stats.fisher_exact(5, 20, 12, 20),
        "stats.ChiSquareResult": lambda: stats.chi_square(5, 20, 12, 20),
        "stats.ImpactRatioResult": lambda: stats.impact_ratio_test(5, 20, 12, 20),
        "stats.ShortfallResult": lambda: stats.shortfall(5, 20, 12, 20),
        "stats.OddsRatioResult": lambda: stats.odds_ratio(5, 20, 12, 20),
        "stats.MantelHaenszelResult": lambda: stats.mantel_haenszel(
            [[[5, 15], [12, 8]], [[7, 13], [10, 10]]]
        ),
        "stats.PowerResult": lambda: stats.power(48, 259, 0.795, 0.8),
        "stats.SampleSizeResult": lambda: stats.sample_size(0.795, 0.8),
    }


BUILDERS = _builders()


def _public_result_classes():
    from adverse_impact.case_study import CaseStudyResult

    found = {"CaseStudyResult": CaseStudyResult}
    for prefix, module in (("", ai), ("stats.", stats)):
        for name in module.__all__:
            value = getattr(module, name)
            if (
                inspect.isclass(value)
                and not issubclass(value, (BaseException, Warning))
                and name not in NOT_RESULTS
            ):
                found[prefix + name] = value
    return found


CLASSES = _public_result_classes()


def test_every_public_result_class_is_covered_by_the_surface_test():
    assert set(CLASSES) == set(BUILDERS)


_cache: dict = {}


def _built(name):
    if name not in _cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ai.UnknownCategoryWarning)
            _cache[name] = BUILDERS[name]()
    result = _cache[name]
    assert type(result) is CLASSES[name]
    return result


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_surface_to_dict_summary_and_html(name):
    result = _built(name)
    json.dumps(result.to_dict(), allow_nan=False)  # NaN as null
    summary = result.summary()
    assert type(summary) is str and summary.strip()
    assert summary.splitlines()[0] == repr(result).splitlines()[0]
    assert isinstance(result._repr_html_(), str)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_surface_to_frame(name):
    assert isinstance(_built(name).to_frame(), pd.DataFrame)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_surface_frozen_slotted_dataclass(name):
    cls = CLASSES[name]
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert "__slots__" in cls.__dict__ and not hasattr(_built(name), "__dict__")


def test_age_summary_says_when_a_cutoff_has_no_one_above_it():
    # Ages 30, 45 and 55: the default sweep's 60+ band is empty, and its row holds no
    # comparison (NaN rates); the summary says so instead of printing "rate nan vs nan".
    age = np.repeat([30, 45, 55], 100)
    selected = np.repeat([1, 0, 1, 0, 1, 0], [50, 50, 50, 50, 35, 65])
    result = ai.audit_age(selected=selected, age=age)
    lines = result.summary().splitlines()
    assert "  60+: no one 60 and over, no comparison" in lines
    assert not any("nan" in line for line in lines)
    assert "  55+: rate 0.350 vs 0.500, impact ratio 0.700 (below 4/5), Fisher p = 0.014" in lines


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_surface_pickle_and_deepcopy_round_trip(name):
    # A result is a value: it can be cached, sent to a worker process or kept in a
    # notebook's saved state.  Read-only mappings inside (MappingProxyType) cannot be
    # pickled on their own, so each result must say how it is rebuilt.

    result = _built(name)
    for clone in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert type(clone) is type(result)
        assert clone.summary() == result.summary()
        pd.testing.assert_frame_equal(clone.to_frame(), result.to_frame())
