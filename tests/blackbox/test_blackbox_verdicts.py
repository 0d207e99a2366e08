"""The black-box verdicts are calibrated, and the analysis fixes of issue 24 hold.

Each test here failed before its fix (the docstring says so where it did not).
The quick calibrations are seeded simulations of a few seconds; their
tolerance is alpha plus three Monte-Carlo standard errors,
``0.05 + 3 * sqrt(0.05 * 0.95 / n_runs)``.  The full tables come from
``benchmarks/calibration_blackbox.py`` (docs/black-box.md).
"""

from __future__ import annotations

import math
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import adverse_impact as ai
from adverse_impact._blackbox._paired import (
    CacheMissWarning,
    _analyse_scores,
    _name_effects_scores,
)

ALPHA = 0.05
COLLEGES = pd.DataFrame(
    {
        "college": ["Wellesley College", "Smith College", "Dalton College", "Harlow College"],
        "type": ["women's", "women's", "co-ed", "co-ed"],
    }
)
THREE = pd.DataFrame(
    {
        "college": ["Wellesley", "Smith", "Dalton", "Harlow", "Mercer", "Tillman"],
        "type": ["women's", "women's", "co-ed", "co-ed", "men's", "men's"],
    }
)
TEMPLATES = [f"Python, SQL; {i} years; {{college}}; id {i}" for i in range(40)]


def _tolerance(n_runs: int) -> float:
    return ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / n_runs)


def _years(text: str) -> int:
    return int(text.split()[2])


# -- paired_test: the family of "N group(s) differ" ------------------------------------------


def _fair_units(rng: np.random.Generator, n_units: int, n_groups: int):
    """Scores of a fair noisy scorer: a template effect plus noise, one text per group."""
    template = rng.normal(size=n_units)
    scores = template[:, None] + rng.normal(size=(n_units, n_groups))
    unit = np.repeat(np.arange(n_units), n_groups)
    group = np.tile(np.arange(n_groups), n_units)
    return scores.ravel(), unit, group


def test_highest_reference_controls_the_family_wise_error_on_a_fair_scorer():
    """200 seeded fair runs, 8 groups, 30 units: "N differ" > 0 at most alpha + 3 MC SE.

    Before: the seven comparisons with the group that came out highest were
    Holm-adjusted as if the reference had been named in advance (about 12%).
    """
    rng = np.random.default_rng(20261206)
    labels = [f"g{i}" for i in range(8)]
    n_runs, alarms = 200, 0
    for _ in range(n_runs):
        scores, unit, group = _fair_units(rng, 30, len(labels))
        table = _analyse_scores(
            scores,
            unit,
            group,
            labels,
            reference="highest",
            alpha=ALPHA,
            threshold=None,
            select_top=None,
        )[0]
        alarms += bool(table["significant"].any())
    assert alarms / n_runs <= _tolerance(n_runs)


def test_highest_reference_still_finds_a_penalised_group():
    rng = np.random.default_rng(1)
    labels = [f"g{i}" for i in range(8)]
    scores, unit, group = _fair_units(rng, 60, len(labels))
    scores = scores - 1.0 * (group == 3)
    table = _analyse_scores(
        scores,
        unit,
        group,
        labels,
        reference="highest",
        alpha=ALPHA,
        threshold=None,
        select_top=None,
    )[0]
    assert table.loc[table["significant"], "group"].tolist() == ["g3"]


def test_the_summary_and_result_name_the_family_and_correction():
    result = ai.paired_test(
        lambda texts: [_years(t) / 40 for t in texts], TEMPLATES, signals=THREE, random_state=0
    )
    assert result.family.startswith("Holm over all 3 pairs of groups")
    assert "Holm over all 3 pairs" in result.summary().splitlines()[0]
    assert result.verdict().endswith(result.family + ".")
    named = ai.paired_test(
        lambda texts: [_years(t) / 40 for t in texts],
        TEMPLATES,
        signals=THREE,
        reference="co-ed",
        random_state=0,
    )
    assert named.family == "Holm over the 2 comparisons with the named reference co-ed"


# -- paired_test: name effects ------------------------------------------------------------------


def _name_design(rng, n_units=200, n_groups=8, per_group=100):
    """One text per group per unit, each group's variants dealt in shuffled rounds."""
    members = [np.arange(g * per_group, (g + 1) * per_group) for g in range(n_groups)]
    picks = np.column_stack(
        [
            np.concatenate([rng.permutation(m) for _ in range(-(-n_units // per_group))])[:n_units]
            for m in members
        ]
    )
    unit = np.repeat(np.arange(n_units), n_groups)
    variant = picks.ravel()
    variant_group = np.repeat(np.arange(n_groups), per_group)
    labels = [f"g{g}" for g in range(n_groups)]
    signal = [f"name {v}" for v in range(n_groups * per_group)]
    return unit, variant, variant_group, labels, signal


def test_name_headline_false_alarms_on_a_fair_scorer():
    """200 seeded fair runs, 800 names with two texts each: any name flagged at most
    alpha + 3 MC SE.  Before: two-sided Welch tests, whose degrees of freedom fail
    in the far tail with two texts a name, flagged names in most runs."""
    rng = np.random.default_rng(7)
    n_runs, alarms = 200, 0
    for _ in range(n_runs):
        unit, variant, variant_group, labels, signal = _name_design(rng)
        scores = rng.normal(size=unit.size) + rng.normal(size=unit.max() + 1)[unit]
        names = _name_effects_scores(unit, variant, scores, variant_group, labels, signal, ALPHA)
        alarms += bool(names["flagged"].any())
    assert alarms / n_runs <= _tolerance(n_runs)


def test_names_above_their_group_are_not_counted_with_the_ones_below():
    """Before: the headline counted names far off their group in either direction."""
    rng = np.random.default_rng(3)

    def scorer(texts):
        noise = rng.normal(scale=0.05, size=len(texts))
        return (
            np.array([_years(t) / 40 for t in texts])
            + 0.5 * np.array(["Wellesley" in t for t in texts])  # above its group
            - 0.5 * np.array(["Harlow" in t for t in texts])  # below its group
            + noise
        ).tolist()

    result = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, n_repeats=2, random_state=3)
    effects = result.name_effects.set_index("signal")
    assert effects.loc["Wellesley College", "effect"] > 0.4
    assert effects.loc["Harlow College", "effect"] < -0.4
    flagged = effects[effects["flagged"]]
    # Signed: the name above its group is not counted; every flagged name is below
    # the rest of its group (Smith, beside Wellesley's +0.5, is too).
    assert "Harlow College" in flagged.index and "Wellesley College" not in flagged.index
    assert (flagged["effect"] < 0).all()
    assert "score below their own group" in result.summary()


def test_welch_and_pooled_name_tests_equal_scipy_on_shifted_float32_scores():
    """Residuals near 1e5 (one group's scores shifted), scores rounded as float32.

    Before: variances as q - n m^2 lost digits (Welch p off by 1.7e-8 here,
    0.288 against 0.129 in the issue's case)."""
    rng = np.random.default_rng(7)

    def scorer(texts):
        women = np.array([("Smith" in t or "Wellesley" in t) for t in texts])
        x = (
            1e5 * women
            + rng.normal(size=len(texts)) * 4
            - 3 * np.array(["Smith" in t for t in texts])
        )
        return np.float32(x).astype(float).tolist()

    result = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, n_repeats=4, random_state=7)
    long = result.scores
    wide = long.pivot(index="unit", columns="group", values="score")
    other = {"women's": "co-ed", "co-ed": "women's"}
    long["residual"] = [
        s - wide.loc[u, other[g]] for s, u, g in zip(long["score"], long["unit"], long["group"])
    ]
    effects = result.name_effects.set_index("signal")
    for signal, group in zip(COLLEGES["college"], COLLEGES["type"]):
        mine = long.loc[long["signal"] == signal, "residual"]
        rest = long.loc[(long["group"] == group) & (long["signal"] != signal), "residual"]
        welch = sps.ttest_ind(mine, rest, equal_var=False)
        pooled = sps.ttest_ind(mine, rest, equal_var=True, alternative="less")
        assert effects.loc[signal, "p_value"] == pytest.approx(welch.pvalue, abs=1e-10, rel=1e-10)
        assert effects.loc[signal, "p_value_below"] == pytest.approx(
            pooled.pvalue, abs=1e-10, rel=1e-10
        )


# -- paired_test: failures and ties ---------------------------------------------------------------


def test_a_unit_with_any_failure_is_left_out_whole():
    """Failures on the reference's texts and on another group's: every group is compared
    on the same complete units, and name effects use them only.  Before: a unit that
    lost one group's text still gave the other groups' pairs."""

    def scorer(texts):
        (text,) = texts
        i = int(text.rsplit("id ", 1)[1])
        if ("Dalton" in text and i % 5 == 0) or ("Mercer" in text and i % 7 == 0):
            raise TimeoutError("refused")
        return [_years(text) / 40]

    result = ai.paired_test(
        scorer, TEMPLATES, signals=THREE, batch_size=1, reference="co-ed", random_state=0
    )
    complete = result.n_units - result.n_pairs_lost
    assert result.n_pairs_lost > 0
    assert (result.table["n_pairs"] == complete).all() and (result.table["n"] == complete).all()
    lost = result.scores.loc[result.scores["score"].isna(), "unit"].unique()
    assert result.n_pairs_lost == len(lost)
    assert result.name_effects["n"].sum() == complete * 3


def test_units_lost_counts_units_not_failed_texts():
    calls = []

    def scorer(texts):
        calls.append(1)
        if len(calls) == 2:
            raise TimeoutError("one call of four texts")
        return [_years(t) / 40 for t in texts]

    result = ai.paired_test(scorer, TEMPLATES[:10], signals=COLLEGES, batch_size=4)
    # Four texts of one call are two units' texts (two groups a unit).
    assert result.n_failed == 4 and result.n_pairs_lost == 2
    assert "2 of 10 units lost" in result.summary()


def test_failures_on_one_group_are_named_in_the_summary():
    """Before: the summary said how many failed, not on which group's texts."""

    def scorer(texts):
        if any("Dalton" in t for t in texts):
            raise PermissionError("content filter")
        return [_years(t) / 40 for t in texts]

    result = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, batch_size=1, random_state=0)
    assert dict(result.failed_by_group) == {"co-ed": 20}
    assert "all 20 on co-ed texts" in result.summary()
    assert "all 20 on co-ed texts" in result.to_html()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ties_among_rating_differences_follow_scipy(seed):
    """A 1-5 rating scorer: many zero and tied differences; p as scipy's wilcoxon with the
    same zero_method ("wilcox", zeros dropped).  This passed before the change too."""
    rng = np.random.default_rng(seed)

    def rating(texts):
        return [float(rng.integers(1, 6)) for _ in texts]

    result = ai.paired_test(rating, TEMPLATES, signals=COLLEGES, reference="co-ed")
    wide = result.scores.pivot(index="unit", columns="group", values="score")
    diff = (wide["women's"] - wide["co-ed"]).to_numpy()
    assert (diff == 0).sum() > 3
    expected = sps.wilcoxon(diff, zero_method="wilcox")
    row = result.table.set_index("group").loc["women's"]
    assert row["p_value_wilcoxon"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert row["wilcoxon"] == pytest.approx(expected.statistic)


# -- paired_test: operations ----------------------------------------------------------------------


def test_a_slash_in_scorer_id_is_a_file_name_not_a_path(tmp_path):
    """Before: FileNotFoundError after the first paid call."""
    scorer = lambda texts: [_years(t) / 40 for t in texts]  # noqa: E731
    options = {"cache": tmp_path, "scorer_id": "gpt-4o-2024-08-06/rank-v1", "random_state": 0}
    first = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, **options)
    again = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, **options)
    assert first.n_calls == 1 and again.n_calls == 0 and again.n_cached == 80
    assert [p.name for p in tmp_path.iterdir()] == [
        "gpt-4o-2024-08-06_rank-v1-320a0db30cd61179.jsonl"
    ]


def test_a_scorer_with_mutable_state_warns_that_it_misses_the_cache(tmp_path):
    """Before: every rerun silently paid again."""
    counter = {"calls": 0}

    def scorer(texts):
        counter["calls"] += 1
        return [_years(t) / 40 for t in texts]

    with pytest.warns(CacheMissWarning, match="scorer_id="):
        ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, cache=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stable scorer, or a chosen scorer_id: no warning
        ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, cache=tmp_path, scorer_id="v1")
        ai.paired_test(
            lambda texts: [0.0] * len(texts), TEMPLATES, signals=COLLEGES, cache=tmp_path
        )


def test_max_calls_zero_means_cache_only(tmp_path):
    """Before: max_calls=0 was refused as not a positive integer."""
    scorer = lambda texts: [_years(t) / 40 for t in texts]  # noqa: E731
    options = {"signals": COLLEGES, "cache": tmp_path, "random_state": 0}
    with pytest.raises(ai.InputError, match="cache only"):
        ai.paired_test(scorer, TEMPLATES, max_calls=0, **options)
    paid = ai.paired_test(scorer, TEMPLATES, batch_size=10, **options)
    replay = ai.paired_test(scorer, TEMPLATES, max_calls=0, **options)
    assert paid.n_calls == 8 and replay.n_calls == 0
    assert replay.table.equals(paid.table)


def _docs_block(marker: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "black-box.md").read_text("utf-8")
    blocks = text.split("```python\n")[1:]
    return next(b.split("```", 1)[0] for b in blocks if marker in b)


def test_the_documented_language_model_example_runs(tmp_path, monkeypatch):
    """The docs' cache example, with a local stand-in for the OpenAI client.

    Before: FileNotFoundError after 11 paid calls (the "/" in scorer_id)."""
    asked = []

    class _Completions:
        def create(self, *, model, temperature, messages):
            prompt = messages[0]["content"]
            n = prompt.count("<resume id=")
            asked.append(model)
            # A stand-in that answers by resume length, ids comma-separated.
            lengths = [len(part) for part in prompt.split("<resume id=")[1:]]
            order = sorted(range(n), key=lambda i: (-lengths[i], i))
            message = types.SimpleNamespace(content=", ".join(map(str, order)))
            return types.SimpleNamespace(choices=[types.SimpleNamespace(message=message)])

    class OpenAI:  # noqa: D101 - the stand-in client
        chat = types.SimpleNamespace(completions=_Completions())

    monkeypatch.setitem(sys.modules, "openai", types.SimpleNamespace(OpenAI=OpenAI))
    monkeypatch.chdir(tmp_path)
    code = _docs_block("rank_with_llm")
    namespace = {"ai": ai}
    exec(compile(code, "docs/black-box.md", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    assert result.n_calls == 1_000 and result.n_failed_calls == 0 and len(asked) == 1_000
    exec(compile(code, "docs/black-box.md", "exec"), namespace)  # noqa: S102
    assert namespace["result"].n_calls == 0 and namespace["result"].n_cached == 1_000


# -- audit_rankings ----------------------------------------------------------------------------


def _complete_prompts(rng, n_prompts, groups, absent_from=None, low=None):
    rows = []
    for p in range(n_prompts):
        shown = [g for g in groups if not (absent_from is not None and p % 2 and g == absent_from)]
        order = list(rng.permutation(len(shown)))
        if low is not None and shown[order[0]] == low:
            order[0], order[1] = order[1], order[0]
        for rank, i in enumerate(order, 1):
            rows.append((p, p % 2, shown[i], rank))
    return pd.DataFrame(rows, columns=["prompt", "experiment", "group", "rank"])


def test_a_group_absent_from_an_experiment_is_out_of_its_pairwise_family():
    """Before: "g vs absent" got a finite z and joined the Holm/BH family."""
    rng = np.random.default_rng(0)
    frame = _complete_prompts(rng, 600, list("abcd"), absent_from="d", low="a")
    result = ai.audit_rankings(
        frame,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        by="experiment",
        n_resamples=0,
    )
    tests = result.tests
    pairs = tests[(tests["experiment"] == 1) & (tests["test"] == "pairwise")]
    with_absent = pairs["comparison"].str.contains("d")
    assert pairs.loc[with_absent, "p_value"].isna().all()
    live = pairs.loc[~with_absent]
    assert len(live) == 3 and live["p_value"].notna().all()
    p = live["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.maximum.accumulate(np.minimum(p[order] * (3 - np.arange(3)), 1.0))
    assert live["p_value_holm"].to_numpy()[order] == pytest.approx(holm)


def test_friedman_only_on_complete_blocks_of_three_or_more_groups():
    """Before: Friedman was reported for two groups, and not where the groups shown in an
    experiment were complete but another experiment's group was absent."""
    rng = np.random.default_rng(1)
    two = _complete_prompts(rng, 50, ["a", "b"])
    result = ai.audit_rankings(
        two, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    friedman = result.tests.set_index("test").loc["friedman"]
    assert np.isnan(friedman["p_value"]) and "fewer than three groups" in friedman["note"]
    three = _complete_prompts(rng, 300, list("abcd"), absent_from="d")
    result = ai.audit_rankings(
        three,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        by="experiment",
        n_resamples=0,
    )
    tests = result.tests[result.tests["test"] == "friedman"].set_index("experiment")
    odd = three[three["experiment"] == 1].pivot(index="prompt", columns="group", values="rank")
    expected = sps.friedmanchisquare(odd["a"], odd["b"], odd["c"])
    assert tests.loc[1, "p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert tests.loc[1, "df"] == 2
    assert not np.isnan(tests.loc[0, "p_value"])


def test_the_summary_reports_the_primary_position_test_named_before_the_data():
    """A ranker that puts the first-shown candidate last when it is not first: top-k
    looks fair, the whole ranking does not.  Before: the summary reported the top-k
    position test only."""
    rng = np.random.default_rng(2)
    rows = []
    for p in range(400):
        groups = rng.permutation(list("abcd"))
        order = list(rng.permutation(4))
        if order[0] != 0:  # the candidate shown first is never ranked above third
            order.remove(0)
            order.insert(rng.integers(2, 4), 0)
        for rank, shown in enumerate(order, 1):
            rows.append((p, groups[shown], shown + 1, rank))
    frame = pd.DataFrame(rows, columns=["prompt", "group", "position", "rank"])
    result = ai.audit_rankings(
        frame,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        position="position",
        random_state=0,
    )
    tests = result.tests
    mean_rank = tests[(tests["attribute"] == "position") & (tests["test"] == "mean_rank")]
    line = result.summary().splitlines()[-1]
    assert line.startswith("Display position: mean-rank test (primary) p = ")
    assert f"{mean_rank['p_value'].iloc[0]:.2g}" in line
    top_k = tests[(tests["attribute"] == "position") & (tests["test"] == "cmh")]
    assert mean_rank["p_value"].iloc[0] < 1e-4 < 0.05 < top_k["p_value"].iloc[0]


def test_rankings_gate_false_alarms_on_a_fair_ranker():
    """150 seeded fair runs: passes(rule="significance") over race, sex and race x sex,
    one family (Holm over every group, one-sided), fails at most alpha + 3 MC SE.
    (Holm within each attribute measured 6.7% +- 1.4% in 300 runs: inside the
    tolerance before too, but three families for one verdict.)"""
    rng = np.random.default_rng(11)
    cells = [(r, s) for r in "ABHW" for s in "MW"]
    n_runs, alarms = 150, 0
    for _ in range(n_runs):
        ranks = np.argsort(rng.random((200, 8)), axis=1) + 1
        frame = pd.DataFrame(
            {
                "prompt": np.repeat(np.arange(200), 8),
                "race": [c[0] for c in cells] * 200,
                "sex": [c[1] for c in cells] * 200,
                "rank": ranks.ravel(),
            }
        )
        result = ai.audit_rankings(
            frame, prompt="prompt", sensitive_features=["race", "sex"], rank="rank", n_resamples=0
        )
        alarms += not result.passes(rule="significance")
    assert alarms / n_runs <= _tolerance(n_runs)
