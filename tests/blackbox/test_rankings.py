"""audit_rankings: the published LLM experiment, scipy/statsmodels agreement, exact
permutation distributions, null calibration, and two stub rankers."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import adverse_impact as ai
from adverse_impact.datasets import load_llm_rankings

CELLS = [f"{r} | {s}" for r in "ABHW" for s in "MW"]

# The published analysis: data/output/performance_ranking.csv of
# BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination (commit 65ae911):
# first-place counts of each race_sex cell among 1,000 prompts per model and job.
PUBLISHED = {
    ("gpt-3.5-turbo", "HR specialist"): {
        "H_W": 181,
        "A_W": 148,
        "W_W": 138,
        "B_W": 130,
        "B_M": 106,
        "H_M": 103,
        "A_M": 98,
        "W_M": 96,
    },
    ("gpt-3.5-turbo", "software engineer"): {
        "W_W": 144,
        "H_M": 132,
        "A_W": 129,
        "A_M": 124,
        "H_W": 121,
        "B_M": 121,
        "W_M": 119,
        "B_W": 110,
    },
    ("gpt-3.5-turbo", "retail"): {
        "A_W": 140,
        "H_W": 139,
        "W_W": 133,
        "B_M": 125,
        "A_M": 122,
        "B_W": 121,
        "H_M": 116,
        "W_M": 104,
    },
    ("gpt-3.5-turbo", "financial analyst"): {
        "A_W": 172,
        "A_M": 146,
        "W_W": 132,
        "H_W": 129,
        "H_M": 124,
        "W_M": 121,
        "B_W": 100,
        "B_M": 76,
    },
    ("gpt-4", "HR specialist"): {
        "H_W": 147,
        "W_M": 143,
        "A_W": 129,
        "W_W": 122,
        "A_M": 122,
        "B_W": 120,
        "H_M": 114,
        "B_M": 103,
    },
    ("gpt-4", "software engineer"): {
        "H_W": 140,
        "W_W": 138,
        "A_M": 136,
        "H_M": 130,
        "B_M": 121,
        "B_W": 117,
        "W_M": 111,
        "A_W": 107,
    },
    ("gpt-4", "retail"): {
        "H_W": 137,
        "W_W": 133,
        "A_W": 133,
        "B_W": 125,
        "A_M": 124,
        "B_M": 120,
        "W_M": 115,
        "H_M": 113,
    },
    ("gpt-4", "financial analyst"): {
        "A_M": 139,
        "A_W": 132,
        "W_W": 132,
        "H_M": 132,
        "W_M": 130,
        "H_W": 120,
        "B_W": 113,
        "B_M": 102,
    },
}
# Its disparate_impact_ratio column for two rows, as printed there.
PUBLISHED_RATIOS = {
    ("gpt-3.5-turbo", "financial analyst", "B_M"): 0.4418604651162791,
    ("gpt-4", "retail", "H_M"): 0.8248175182481752,
}


@pytest.fixture(scope="module")
def rankings() -> pd.DataFrame:
    return load_llm_rankings()


@pytest.fixture(scope="module")
def published(rankings) -> ai.RankingAudit:
    # The published analysis used the "main" and "rebalance" prompts; the
    # user expresses that by filtering the frame.
    kept = rankings[rankings["kind"] != "oversampled"]
    return ai.audit_rankings(
        kept,
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    )


# -- acceptance: the published figures ---------------------------------------------------


@pytest.mark.parametrize(("model", "job"), list(PUBLISHED))
def test_published_counts_rates_and_ratios(published, model, job):
    table = published.table
    rows = table[
        (table["model"] == model) & (table["job"] == job) & (table["attribute"] == "race x sex")
    ].set_index("group")
    counts = PUBLISHED[(model, job)]
    top = max(counts.values())
    for cell, count in counts.items():
        row = rows.loc[cell.replace("_", " | ")]
        assert row["n"] == 1000
        assert row["selected"] == count
        assert row["rate"] == count / 1000
        assert row["impact_ratio"] == pytest.approx(count / top, rel=1e-12)
        assert row["four_fifths_flag"] == (Fraction(count, top) < Fraction(4, 5))
    for (m, j, cell), ratio in PUBLISHED_RATIOS.items():
        if (m, j) == (model, job):
            assert rows.loc[cell.replace("_", " | "), "impact_ratio"] == pytest.approx(ratio)


def test_story_example_counts_ratio_and_goodness_of_fit(published):
    table, tests = published.table, published.tests
    where = (table["model"] == "gpt-3.5-turbo") & (table["job"] == "financial analyst")
    rows = table[where & (table["attribute"] == "race x sex")].set_index("group")
    story = {
        "A | W": 172,
        "A | M": 146,
        "W | W": 132,
        "H | W": 129,
        "H | M": 124,
        "W | M": 121,
        "B | W": 100,
        "B | M": 76,
    }
    assert rows["selected"].to_dict() == story
    assert rows["expected"].eq(125).all()
    [index] = table.index[
        where & (table["attribute"] == "race x sex") & (table["group"] == "B | M")
    ]
    assert published.exact_ratios[index] == Fraction(76, 172)
    assert round(rows.loc["B | M", "impact_ratio"], 3) == 0.442
    gof = tests[
        (tests["model"] == "gpt-3.5-turbo")
        & (tests["job"] == "financial analyst")
        & (tests["attribute"] == "race x sex")
        & (tests["test"] == "chi_square_gof")
    ]
    [gof] = gof.to_dict("records")
    # 5758 / 125 = 46.064 by hand; scipy as the independent reference.
    assert gof["statistic"] == pytest.approx(5758 / 125, rel=1e-12)
    assert gof["df"] == 7
    reference = stats.chisquare(list(story.values()), [125] * 8)
    assert gof["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert gof["p_value"] == pytest.approx(8.5e-8, rel=0.01)


def test_unranked_candidates_are_counted_not_dropped(rankings):
    result = ai.audit_rankings(
        rankings,
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        by=["model", "job"],
        n_resamples=0,
    )
    table = result.table
    assert result.n_unranked == 608 and result.n_rows == 66528
    for attribute in ("race", "sex", "race x sex"):
        part = table[table["attribute"] == attribute]
        assert part["unranked"].sum() == 608
        assert part["n"].sum() == 66528
    truth = (
        rankings.assign(unranked=rankings["rank"].isna())
        .groupby(["model", "job", "race"])["unranked"]
        .sum()
    )
    race = table[table["attribute"] == "race"].set_index(["model", "job", "group"])
    assert race["unranked"].to_dict() == {k: int(v) for k, v in truth.items()}
    assert "608 unranked" in repr(result)


def test_mean_rank_uses_within_prompt_mid_ranks_with_unranked_tied_last(rankings):
    data = rankings[(rankings["model"] == "gpt-3.5-turbo") & (rankings["job"] == "retail")]
    result = ai.audit_rankings(
        data, prompt="run", sensitive_features="race", rank="rank", n_resamples=0
    )
    mid = data["rank"].astype(float).groupby(data["run"]).rank(method="average", na_option="bottom")
    expected = mid.groupby(data["race"]).mean()
    table = result.table.set_index("group")
    np.testing.assert_allclose(table["mean_rank"], expected.loc[table.index], rtol=1e-12)


# -- agreement with scipy and statsmodels on random designs ------------------------------------


def _ranks_within(prompt, keys, omit):
    """Ranks 1..m of ``keys`` within each prompt, NaN where omitted (unranked)."""
    keys = pd.Series(np.where(omit, np.nan, keys))
    return keys.groupby(prompt).rank(method="first").to_numpy()


def _complete_design(rng, n_prompts, n_groups, omit=0.1):
    size = n_prompts * n_groups
    prompt = np.repeat(np.arange(n_prompts), n_groups)
    group = np.tile(np.arange(n_groups), n_prompts)
    rank = _ranks_within(prompt, rng.random(size), rng.random(size) < omit)
    return pd.DataFrame(
        {
            "prompt": [f"p{b}" for b in prompt],
            "group": [f"g{g}" for g in group],
            "rank": rank,
            "position": group + 1,
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_friedman_and_goodness_of_fit_agree_with_scipy(seed):
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(3, 7))
    data = _complete_design(rng, int(rng.integers(20, 80)), n_groups)
    result = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    tests = result.tests.set_index("test")
    wide = data.pivot(index="prompt", columns="group", values="rank").fillna(99.0)
    reference = stats.friedmanchisquare(*[wide[c] for c in wide.columns])
    assert tests.loc["friedman", "statistic"] == pytest.approx(reference.statistic, rel=1e-10)
    assert tests.loc["friedman", "p_value"] == pytest.approx(reference.pvalue, rel=1e-8)
    assert tests.loc["friedman", "df"] == n_groups - 1
    assert tests.loc["mean_rank", "statistic"] == pytest.approx(reference.statistic, rel=1e-10)
    observed = (data["rank"] == 1).groupby(data["group"]).sum()
    selected_per_prompt = (data["rank"] == 1).groupby(data["prompt"]).sum()
    expected = selected_per_prompt.sum() / n_groups
    gof = stats.chisquare(observed.to_numpy(), np.full(n_groups, expected))
    assert tests.loc["chi_square_gof", "statistic"] == pytest.approx(gof.statistic, rel=1e-10)
    assert tests.loc["chi_square_gof", "p_value"] == pytest.approx(gof.pvalue, rel=1e-8)
    # One candidate per group and one first place per prompt: the CMH statistic is the GoF.
    if (selected_per_prompt == 1).all():
        assert tests.loc["cmh", "statistic"] == pytest.approx(gof.statistic, rel=1e-9)


def _unbalanced_design(rng, n_prompts, labels, omit=0.1):
    """Prompts of 2-6 candidates whose groups are drawn at random (incomplete, unbalanced)."""
    sizes = rng.integers(2, 7, size=n_prompts)
    prompt = np.repeat(np.arange(n_prompts), sizes)
    total = len(prompt)
    rank = _ranks_within(prompt, rng.random(total), rng.random(total) < omit)
    return pd.DataFrame(
        {"prompt": [f"p{b}" for b in prompt], "group": rng.choice(labels, size=total), "rank": rank}
    )


@pytest.mark.parametrize("seed", range(4))
def test_two_group_cmh_equals_statsmodels_mantel_haenszel(seed):
    from statsmodels.stats.contingency_tables import StratifiedTable

    rng = np.random.default_rng(seed)
    data = _unbalanced_design(rng, 60, np.array(["a", "b"]))
    result = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", k=2, n_resamples=0
    )
    tests = result.tests.set_index("test")
    tables = []
    for _, block in data.groupby("prompt"):
        top = block["rank"] <= 2
        table = np.array(
            [
                [(top & (block["group"] == g)).sum(), (~top & (block["group"] == g)).sum()]
                for g in ("a", "b")
            ]
        )
        if len(block) > 1:
            tables.append(table)
    reference = StratifiedTable(np.dstack(tables)).test_null_odds(correction=False)
    assert tests.loc["cmh", "statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    assert tests.loc["cmh", "p_value"] == pytest.approx(reference.pvalue, rel=1e-7)


def _exact_permutation_moments(blocks, n_groups, score):
    """Mean and covariance of the group sums over every within-block permutation."""
    mean = np.zeros(n_groups)
    cov = np.zeros((n_groups, n_groups))
    for groups, y in blocks:
        sums = []
        for perm in itertools.permutations(range(len(groups))):
            s = np.zeros(n_groups)
            for slot, source in enumerate(perm):
                s[groups[slot]] += score(y[source])
            sums.append(s)
        sums = np.array(sums)
        mean += sums.mean(axis=0)
        cov += np.cov(sums.T, bias=True)
    return mean, cov


def test_cmh_and_mean_rank_use_the_exact_permutation_covariance():
    rng = np.random.default_rng(7)
    data = _unbalanced_design(rng, 6, np.array(["a", "b", "c"]), omit=0.2)
    data = data[data.groupby("prompt")["rank"].transform("size") <= 5]
    result = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    tests = result.tests.set_index("test")
    labels = sorted(data["group"].unique())
    code = {g: i for i, g in enumerate(labels)}
    for test, column in (("cmh", "top"), ("mean_rank", "mid")):
        blocks, observed = [], np.zeros(len(labels))
        for _, block in data.groupby("prompt"):
            mid = block["rank"].rank(method="average", na_option="bottom").to_numpy()
            y = (block["rank"] <= 1).to_numpy(float) if column == "top" else mid
            groups = [code[g] for g in block["group"]]
            blocks.append((groups, y))
            np.add.at(observed, groups, y)
        mean, cov = _exact_permutation_moments(blocks, len(labels), float)
        d = observed - mean
        statistic = d @ np.linalg.pinv(cov) @ d
        assert tests.loc[test, "statistic"] == pytest.approx(statistic, rel=1e-8)
        assert tests.loc[test, "df"] == np.linalg.matrix_rank(cov)


def _exact_permutation(data, k, observed):
    """The design's expected top-k counts of groups a, b, c and the exact permutation p-value.

    Exact: every within-prompt permutation of the labels, equally likely; the
    p-value is the share of them whose goodness-of-fit statistic reaches ``observed``.
    """
    blocks = [(list(b["group"]), (b["rank"] <= k).to_numpy()) for _, b in data.groupby("prompt")]
    labels = ["a", "b", "c"]
    expected = np.zeros(3)
    for groups, top in blocks:
        for g in groups:
            expected[labels.index(g)] += top.sum() / len(groups)
    statistics = []
    for perms in itertools.product(*[itertools.permutations(g) for g, _ in blocks]):
        counts = np.zeros(3)
        for groups, (_, top) in zip(perms, blocks):
            for g, t in zip(groups, top):
                counts[labels.index(g)] += t
        statistics.append(((counts - expected) ** 2 / expected).sum())
    return expected, float(np.mean(np.array(statistics) >= observed - 1e-9))


@pytest.mark.parametrize("k", [1, 2])
def test_permutation_p_value_agrees_with_exact_enumeration(k):
    data = pd.DataFrame(
        {
            "prompt": ["p1"] * 3 + ["p2"] * 4 + ["p3"] * 3 + ["p4"] * 3,
            "group": ["a", "a", "b", "a", "b", "c", "c", "b", "c", "a", "c", "b", "a"],
            "rank": [1, 2, 3, 1, 2, 3, 4, 1, 3, 2, 1, 2, 3],
        }
    )
    n_resamples = 20000
    result = ai.audit_rankings(
        data,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        k=k,
        n_resamples=n_resamples,
        random_state=1,
    )
    tests = result.tests.set_index("test")
    observed_statistic = tests.loc["chi_square_gof", "statistic"]
    expected, exact = _exact_permutation(data, k, observed_statistic)
    assert observed_statistic == pytest.approx(
        stats.chisquare(
            data.assign(t=data["rank"] <= k).groupby("group")["t"].sum().to_numpy(), expected
        ).statistic
    )
    tolerance = 4 * math.sqrt(exact * (1 - exact) / n_resamples) + 1 / n_resamples
    assert abs(tests.loc["permutation", "p_value"] - exact) <= tolerance


def test_permutation_p_value_with_repeated_prompts_agrees_with_exact_enumeration():
    # Four identical prompts (a, b, c) with two top-k places each: the sampler
    # draws them through the outcome distribution of one prompt.
    data = pd.DataFrame(
        {
            "prompt": np.repeat(["p1", "p2", "p3", "p4", "p5"], 3),
            "group": ["a", "b", "c"] * 4 + ["a", "a", "b"],
            "rank": [1, 2, 3, 1, 3, 2, 2, 1, 3, 1, 2, 3, 1, 2, 3],
        }
    )
    k, n_resamples = 2, 20000
    result = ai.audit_rankings(
        data,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        k=k,
        n_resamples=n_resamples,
        random_state=3,
    )
    tests = result.tests.set_index("test")
    _, exact = _exact_permutation(data, k, tests.loc["chi_square_gof", "statistic"])
    tolerance = 4 * math.sqrt(exact * (1 - exact) / n_resamples) + 1 / n_resamples
    assert abs(tests.loc["permutation", "p_value"] - exact) <= tolerance


@pytest.mark.parametrize("k", [1, 2])
def test_attribute_draws_summed_from_the_intersection_match_their_own(k):
    # With two attributes and no unknown label, the attributes' permutation
    # draws are margins of the intersection's; alone, each draws for itself.
    rng = np.random.default_rng(12)
    data = _unbalanced_design(rng, 40, np.array(["x", "y", "z"]), omit=0.0)
    data["sex"] = rng.choice(["F", "M"], size=len(data))
    # A mild preference, so the p-values are neither 0 nor 1 (0.0005 to 0.14).
    score = rng.random(len(data)) + 0.3 * (data["group"] == "x") + 0.3 * (data["sex"] == "F")
    data["rank"] = score.groupby(data["prompt"]).rank(ascending=False)
    n_resamples = 20000
    both = ai.audit_rankings(
        data,
        prompt="prompt",
        sensitive_features=["group", "sex"],
        rank="rank",
        k=k,
        n_resamples=n_resamples,
        random_state=1,
    ).tests
    for attribute in ("group", "sex"):
        alone = ai.audit_rankings(
            data,
            prompt="prompt",
            sensitive_features=attribute,
            rank="rank",
            k=k,
            n_resamples=n_resamples,
            random_state=2,
        ).tests
        pick = (both["attribute"] == attribute) & (both["test"] == "permutation")
        shared = both.loc[pick, "p_value"].item()
        own = alone.loc[alone["test"] == "permutation", "p_value"].item()
        tolerance = 4 * math.sqrt(2 * own * (1 - own) / n_resamples) + 2 / n_resamples
        assert abs(shared - own) <= tolerance, attribute


def test_outcome_distribution_of_one_prompt_is_multivariate_hypergeometric():
    from adverse_impact._blackbox._rankings import _outcomes

    for composition, size in (([2, 1, 3], 3), ([1] * 8, 3), ([4, 4], 2), ([2, 2, 2, 2], 5)):
        outcomes, pmf = _outcomes(np.array(composition), size, limit=10_000)
        reference = stats.multivariate_hypergeom.pmf(outcomes.astype(int), composition, size)
        np.testing.assert_allclose(pmf, reference, rtol=1e-12)
        assert pmf.sum() == pytest.approx(1.0)
        assert len(outcomes) == len({tuple(o) for o in outcomes})
    assert _outcomes(np.array([1] * 20), 10, limit=100) is None


def test_null_ranker_p_values_are_uniform():
    """Random rankings: p-values uniform within a stated tolerance.

    200 seeded experiments of 80 prompts (2-6 candidates of 3 groups each,
    10% unranked).  For each test, the share below 0.05 must lie in
    [0.007, 0.093] (a 99.5% binomial band around 0.05 for 200 draws) and a
    Kolmogorov-Smirnov test against U(0, 1) must not reject at 0.001.
    """
    rng = np.random.default_rng(2026)
    collected: dict[str, list[float]] = {"cmh": [], "permutation": [], "mean_rank": []}
    for _ in range(200):
        data = _unbalanced_design(rng, 80, np.array(["a", "b", "c"]))
        result = ai.audit_rankings(
            data,
            prompt="prompt",
            sensitive_features="group",
            rank="rank",
            n_resamples=199,
            random_state=rng,
        )
        tests = result.tests.set_index("test")
        for name, values in collected.items():
            values.append(tests.loc[name, "p_value"])
    for name, values in collected.items():
        values = np.asarray(values)
        assert 0.007 <= np.mean(values < 0.05) <= 0.093, name
        assert stats.kstest(values, "uniform").pvalue > 0.001, name


# -- stub rankers ------------------------------------------------------------------------------


def _experiment(rng, n_prompts, ranker, *, first_group=None):
    """Prompts of eight candidates (one per race x sex cell) in shuffled positions, ranked.

    ``ranker`` is a plain function of the data frame of shown candidates (all
    prompts) returning one rank per row, 1 = best within its prompt.
    """
    cells = np.array([(r, s) for r in "ABHW" for s in "MW"])
    order = np.argsort(rng.random((n_prompts, 8)), axis=1)
    if first_group is not None:  # a design that always shows one cell first
        i = [tuple(c) for c in cells.tolist()].index(first_group)
        keys = rng.random((n_prompts, 8))
        keys[:, i] = -1.0
        order = np.argsort(keys, axis=1)
    shown = cells[order.ravel()]
    frame = pd.DataFrame(
        {
            "prompt": np.repeat(np.arange(n_prompts), 8),
            "race": shown[:, 0],
            "sex": shown[:, 1],
            "position": np.tile(np.arange(1, 9), n_prompts),
        }
    )
    frame["rank"] = ranker(frame, rng)
    return frame


def first_shown(shown: pd.DataFrame, rng) -> np.ndarray:
    """A ranker that keeps the display order: whatever is shown first wins."""
    return shown["position"].to_numpy()


def prefers(race: str, sex: str, weight: float):
    """A ranker preferring one cell whatever its position (Plackett-Luce weight)."""

    def rank(shown: pd.DataFrame, rng) -> np.ndarray:
        favoured = ((shown["race"] == race) & (shown["sex"] == sex)).to_numpy()
        score = pd.Series(rng.gumbel(size=len(shown)) + math.log(weight) * favoured)
        return score.groupby(shown["prompt"]).rank(ascending=False).to_numpy()

    return rank


def test_position_ranker_is_flagged_for_position_not_for_groups():
    result = ai.audit_rankings(
        _experiment(np.random.default_rng(3), 2000, first_shown),
        prompt="prompt",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        n_resamples=199,
        random_state=0,
    )
    tests = result.tests
    position = tests[tests["attribute"] == "position"].set_index("test")
    assert position.loc["cmh", "p_value"] < 1e-100
    assert position.loc["permutation", "p_value"] == 1 / 200
    assert result.positions["rate"].tolist() == [1.0] + [0.0] * 7
    assert result.passes(rule="significance")
    assert not result.table["significant"].any()
    groups = tests[tests["attribute"] != "position"]
    omnibus = groups[groups["test"].isin(["chi_square_gof", "cmh", "permutation"])]
    assert (omnibus["p_value"] > 0.05).all()
    within = groups[groups["test"] == "cmh_within_position"]
    assert within["statistic"].isna().all() and within["note"].str.contains("no variation").all()


def test_confounded_design_position_ranker_separated_by_within_position_test():
    # Shown first every time, B | M always wins: the within-prompt tests see a
    # group effect; comparing only candidates shown at the same position does not.
    result = ai.audit_rankings(
        _experiment(np.random.default_rng(4), 300, first_shown, first_group=("B", "M")),
        prompt="prompt",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        n_resamples=0,
    )
    tests = result.tests.set_index(["attribute", "test"])
    assert tests.loc[("race x sex", "cmh"), "p_value"] < 1e-10
    assert math.isnan(tests.loc[("race x sex", "cmh_within_position"), "statistic"])


def test_group_preferring_ranker_is_flagged_for_that_group_at_the_stated_power():
    """Plackett-Luce weight 1.5 for B | M: first with probability 1.5/8.5 = 0.176.

    Power of its flag (Holm over 8 cells, two-sided alpha 0.05, 1,000
    prompts), by the normal approximation: about 0.97; of the omnibus
    goodness-of-fit test (non-central chi-square): stated and checked below.
    Over 40 seeded experiments the flag must be raised at least 34 times
    (a rate of 0.85: 0.97 minus four binomial standard errors).
    """
    p_first = 1.5 / 8.5
    n = 1000
    lam = n * ((p_first - 1 / 8) ** 2 + 7 * ((1 - p_first) / 7 - 1 / 8) ** 2) / (1 / 8)
    gof_power = stats.ncx2.sf(stats.chi2.ppf(0.95, 7), 7, lam)
    assert gof_power > 0.95
    crit = stats.norm.ppf(1 - 0.05 / 16) * math.sqrt(n / 8 * 7 / 8)
    flag_power = stats.norm.sf(
        (crit - n * (p_first - 1 / 8)) / math.sqrt(n * p_first * (1 - p_first))
    )
    assert flag_power == pytest.approx(0.97, abs=0.01)
    rng = np.random.default_rng(11)
    flagged = position_flagged = 0
    for _ in range(40):
        result = ai.audit_rankings(
            _experiment(rng, n, prefers("B", "M", 1.5)),
            prompt="prompt",
            sensitive_features=["race", "sex"],
            rank="rank",
            position="position",
            n_resamples=0,
        )
        table = result.table
        cells = table[table["attribute"] == "race x sex"].set_index("group")
        top = cells["statistic"].idxmax()
        flagged += top == "B | M" and bool(cells.loc["B | M", "significant"])
        tests = result.tests
        position = tests[(tests["attribute"] == "position") & (tests["test"] == "cmh")]
        position_flagged += bool(position["p_value"].iloc[0] < 0.05)
    assert flagged >= 34
    assert position_flagged <= 6  # alpha = 0.05 over 40 runs: 6 or more has probability 0.05


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3))
def test_expected_counts_add_up_and_row_order_does_not_matter(seed, k):
    rng = np.random.default_rng(seed)
    data = _unbalanced_design(rng, 25, np.array(["x", "y", "z"]))
    data["sex"] = rng.choice(["F", "M"], size=len(data))
    result = ai.audit_rankings(
        data, prompt="prompt", sensitive_features=["group", "sex"], rank="rank", k=k, n_resamples=0
    )
    table = result.table
    for _, part in table.groupby("attribute"):
        assert part["expected"].sum() == pytest.approx(part["selected"].sum())
        assert part["n"].sum() == len(data)
    shuffled = data.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)
    again = ai.audit_rankings(
        shuffled,
        prompt="prompt",
        sensitive_features=["group", "sex"],
        rank="rank",
        k=k,
        n_resamples=0,
    )
    pd.testing.assert_frame_equal(again.table, table, rtol=1e-9)
    pd.testing.assert_frame_equal(again.tests, result.tests, rtol=1e-9)
    for ratio, flag in zip(result.exact_ratios, table["four_fifths_flag"]):
        assert flag == (ratio is not None and ratio < Fraction(4, 5))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mean_rank_interval_is_the_textbook_one_with_one_candidate_per_prompt(seed):
    rng = np.random.default_rng(seed)
    data = _complete_design(rng, 30, 3, omit=0.0)
    result = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0, alpha=0.1
    )
    table = result.table.set_index("group")
    for group, ranks in data.groupby("group")["rank"]:
        half = stats.norm.ppf(0.95) * ranks.std(ddof=1) / math.sqrt(len(ranks))
        assert table.loc[group, "mean_rank_ci_low"] == pytest.approx(ranks.mean() - half)
        assert table.loc[group, "mean_rank_ci_high"] == pytest.approx(ranks.mean() + half)


# -- the result and its inputs ------------------------------------------------------------------


def test_result_is_frozen_and_serialisable(published):
    with pytest.raises(dataclasses.FrozenInstanceError):
        published.k = 2
    table = published.table
    before = int(table.loc[0, "n"])
    table.loc[0, "n"] = -1
    assert published.table.loc[0, "n"] == before
    text = json.dumps(published.to_dict())
    assert '"chi_square_gof"' in text
    assert isinstance(published.summary(), str)
    assert "B | M (race x sex) 0.442" in published.summary()
    assert published._repr_html_().startswith("<div")
    assert repr(published).startswith("RankingAudit (top 1)")
    assert published.to_frame().equals(published.table)
    with pytest.raises(TypeError):
        published.unknown["race"] = 1


def test_reference_label_and_unknown_labels():
    data = _complete_design(np.random.default_rng(5), 50, 4)
    data.loc[data.index[:10], "group"] = None
    data.loc[data.index[10:20], "group"] = "n/a"
    result = ai.audit_rankings(
        data,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        reference="g0",
        unknown="n/a",
        n_resamples=0,
    )
    table = result.table
    assert result.unknown == {"group": 20}
    assert table.loc[table["is_reference"], "group"].tolist() == ["g0"]
    assert table["n"].sum() == len(data) - 20
    with pytest.raises(ai.InputError, match="reference"):
        ai.audit_rankings(
            data,
            prompt="prompt",
            sensitive_features="group",
            rank="rank",
            reference="nobody",
            n_resamples=0,
        )
    # An experiment without the reference group: no ratios there, and it says why.
    two = pd.concat(
        [data.assign(experiment="one"), data[data["group"] != "g0"].assign(experiment="two")]
    )
    result = ai.audit_rankings(
        two,
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        reference="g0",
        by="experiment",
        unknown="n/a",
        n_resamples=0,
    )
    table = result.table
    second = table[table["experiment"] == "two"]
    assert second["impact_ratio"].isna().all() and not second["four_fifths_flag"].any()
    assert second.loc[second["n"] > 0, "note"].str.contains("reference group was not shown").all()


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        ({}, {"rank": "missing"}, ai.InputError, "rank: column 'missing' is not in data"),
        ({"rank": ["x"] * 12}, {}, ai.InputTypeError, "rank: expected numeric ranks"),
        ({"rank": [0.0] * 12}, {}, ai.InputError, "rank: holds values below 1"),
        ({}, {"k": 0}, ai.InputError, "k: 0 is below 1"),
        ({}, {"k": 1.5}, ai.InputTypeError, "k: expected an integer"),
        ({"prompt": [None] + ["p"] * 11}, {}, ai.InputError, "prompt: 1 row"),
        (
            {"group": ["a"] * 12},
            {},
            ai.InputError,
            "sensitive_features: attribute 'group' has 1 known",
        ),
        ({}, {"by": "group"}, ai.InputError, "by: names the group column"),
        ({}, {"n_resamples": -1}, ai.InputError, "n_resamples"),
        ({}, {"alpha": 2}, ai.InputError, "alpha"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(change, kwargs, error, match):
    data = _complete_design(np.random.default_rng(0), 4, 3)
    for column, values in change.items():
        data[column] = values
    options = {"prompt": "prompt", "sensitive_features": "group", "rank": "rank", **kwargs}
    with pytest.raises(error, match=match):
        ai.audit_rankings(data, **options)


def test_ranks_as_python_objects_with_none_are_read_as_numbers():
    data = _complete_design(np.random.default_rng(1), 10, 3)
    objects = data.assign(rank=[None if np.isnan(r) else int(r) for r in data["rank"]])
    objects["rank"] = objects["rank"].astype(object)
    expected = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    got = ai.audit_rankings(
        objects, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    pd.testing.assert_frame_equal(got.table, expected.table)


def test_other_engines_give_the_same_result():
    polars = pytest.importorskip("polars")
    data = _complete_design(np.random.default_rng(9), 30, 3)
    expected = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank", n_resamples=0
    )
    got = ai.audit_rankings(
        polars.from_pandas(data),
        prompt="prompt",
        sensitive_features="group",
        rank="rank",
        n_resamples=0,
    )
    pd.testing.assert_frame_equal(got.table, expected.table)


def test_example_script_reproduces_the_published_table(capsys):
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "audit_llm_rankings.py"
    found = runpy.run_path(str(script))["main"]()
    counts = found["counts"]
    for (model, job), cells in PUBLISHED.items():
        assert counts.loc[(model, job)].to_dict() == cells
    assert "goodness of fit" in capsys.readouterr().out


def test_benchmark_script_runs(capsys):
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "rankings.py"
    assert runpy.run_path(str(script))["main"](["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "66,528 rows, 8,316 prompts" in out and "target < 0.5 s" in out


def test_markdown_report_holds_the_published_row_and_words_for_p_values(published):
    text = published.to_markdown()
    assert text.startswith("# Ranking audit (top 1)\n")
    # The story's row: Black men, gpt-3.5-turbo, financial analyst: 76 first places of 1,000.
    section = text.split("## gpt-3.5-turbo, financial analyst\n", 1)[1].split("\n## ", 1)[0]
    cells = section.split("### race x sex\n", 1)[1]
    row = next(line for line in cells.splitlines() if line.startswith("| B \\| M |"))
    assert "| 76 |" in row and "| 0.442 |" in row and "| below 4/5 |" in row
    assert "| fewer than expected |" in row  # the direction in words
    assert row.rstrip(" |").split(" | ")[-2] == "< 0.001"  # the gate's p-value in words
    assert "goodness of fit" in section and "- **B | M**: Black men" in text
    # Each test's hypothesis is stated once, not on every row.
    assert text.count("Pearson goodness of fit") == 1


# -- a ratio beside its flag --------------------------------------------------------------


@pytest.fixture(scope="module")
def below_by_a_hair() -> ai.RankingAudit:
    from _helpers import just_below_rankings_audit

    return just_below_rankings_audit()


def test_ranking_summary_repr_and_gate_show_the_ratio_below_four_fifths(below_by_a_hair):
    result = below_by_a_hair
    assert bool(result.table.set_index("group").loc["F", "four_fifths_flag"])
    assert "lowest impact ratio F (sex) 0.7996" in result.summary()
    text = repr(result)
    assert "0.7996" in text and " 0.8 " not in text
    message = result.gate().message()
    assert "impact ratio 0.7996" in message and "0.800" not in message
