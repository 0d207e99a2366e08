"""Paired (correspondence) tests of black-box scorers: ai.paired_test."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import adverse_impact as ai
from adverse_impact._blackbox._paired import mcnemar_exact
from adverse_impact._stats._multiplicity import benjamini_hochberg, holm

COLLEGES = pd.DataFrame(
    {
        "college": ["Wellesley College", "Smith College", "Dalton College", "Harlow College"],
        "type": ["women's", "women's", "co-ed", "co-ed"],
    }
)
TEMPLATES = [f"Python, SQL; {i} years; {{college}}; id {i}" for i in range(40)]


def _years(text: str) -> int:
    return int(text.split()[2])


class CountingScorer:
    """Scores texts with a function, counting calls and texts (thread-safe)."""

    def __init__(self, function, fail_every: int | None = None, seed: int = 0):
        self.function, self.fail_every = function, fail_every
        self.calls = self.texts = 0
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()

    def __call__(self, texts):
        with self.lock:
            self.calls += 1
            self.texts += len(texts)
            number = self.calls
        if self.fail_every and number % self.fail_every == 0:
            raise TimeoutError(f"simulated API timeout on call {number}")
        return [self.function(t) for t in texts]


def _penalised(text: str) -> float:
    return _years(text) / 40 - 0.1 * ("Wellesley" in text or "Smith" in text)


# -- the statistics agree with scipy and statsmodels -----------------------------------


def _pairs(result, group):
    """The paired differences rebuilt independently from the long table of scores."""
    wide = result.scores.pivot(index="unit", columns="group", values="score")
    return (wide[group] - wide[result.reference]).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wilcoxon_and_paired_t_agree_with_scipy_on_random_scorers(seed):
    rng = np.random.default_rng(seed)
    noise = {t: rng.normal() for t in range(len(TEMPLATES))}
    shift = {"Wellesley College": -0.3, "Smith College": 0.1}

    def scorer(texts):
        return [
            noise[int(t.rsplit(" ", 1)[1])]
            + shift.get(t.split("; ")[2], 0.0)
            + rng.normal(scale=0.5)
            for t in texts
        ]

    result = ai.paired_test(
        scorer, TEMPLATES, signals=COLLEGES, n_repeats=3, random_state=seed, reference="co-ed"
    )
    row = result.table.set_index("group").loc["women's"]
    d = _pairs(result, "women's")
    # scipy's paired tests on the two score columns (not on our differences).
    wide = result.scores.pivot(index="unit", columns="group", values="score")
    t = sps.ttest_rel(wide["women's"], wide["co-ed"])
    w = sps.wilcoxon(wide["women's"], wide["co-ed"])
    assert row["n_pairs"] == len(d) == len(TEMPLATES) * 3
    assert row["mean_diff"] == pytest.approx(d.mean(), rel=1e-12)
    assert row["t"] == pytest.approx(t.statistic, rel=1e-10)
    assert row["p_value_t"] == pytest.approx(t.pvalue, rel=1e-10)
    ci = t.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert row["wilcoxon"] == pytest.approx(w.statistic, rel=1e-12)
    assert row["p_value_wilcoxon"] == pytest.approx(w.pvalue, rel=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_mcnemar_exact_agrees_with_statsmodels(seed):
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(seed)
    noise = {t: rng.normal() for t in range(len(TEMPLATES))}

    def scorer(texts):
        return [
            noise[int(t.rsplit(" ", 1)[1])]
            - 0.4 * ("Wellesley" in t or "Smith" in t)
            + rng.normal(scale=0.6)
            for t in texts
        ]

    result = ai.paired_test(
        scorer,
        TEMPLATES,
        signals=COLLEGES,
        n_repeats=2,
        select_top=0.4,
        random_state=seed,
        reference="co-ed",
    )
    wide = result.scores.pivot(index="unit", columns="group", values="selected")
    table = (
        pd.crosstab(wide["women's"], wide["co-ed"])
        .reindex(index=[0.0, 1.0], columns=[0.0, 1.0], fill_value=0)
        .to_numpy()
    )
    expected = mcnemar(table, exact=True).pvalue
    row = result.table.set_index("group").loc["women's"]
    assert (row["n_only_group"], row["n_only_reference"]) == (table[1, 0], table[0, 1])
    assert row["p_value_mcnemar"] == pytest.approx(expected, rel=1e-12)


@settings(deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_mcnemar_exact_matches_statsmodels_on_any_discordant_counts(b, c):
    from statsmodels.stats.contingency_tables import mcnemar

    expected = mcnemar([[7, b], [c, 3]], exact=True).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(min(expected, 1.0), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30))
def test_holm_and_bh_match_statsmodels(p_values):
    from statsmodels.stats.multitest import multipletests

    assert holm(p_values) == pytest.approx(multipletests(p_values, method="holm")[1], abs=1e-12)
    assert benjamini_hochberg(p_values) == pytest.approx(
        multipletests(p_values, method="fdr_bh")[1], abs=1e-12
    )


def test_impact_ratios_come_from_the_audit_of_the_decisions():
    result = ai.paired_test(
        _penalised_batch, TEMPLATES, signals=COLLEGES, threshold=0.5, n_repeats=2, random_state=0
    )
    decisions = result.scores
    audited = ai.audit(
        selected=decisions["selected"].astype(int), sensitive_features={"type": decisions["group"]}
    )
    expected = audited.table.set_index("group")
    table = result.table.set_index("group")
    for group in ("women's", "co-ed"):
        assert table.loc[group, "rate"] == expected.loc[group, "rate"]
        assert table.loc[group, "impact_ratio"] == expected.loc[group, "impact_ratio"]
    assert result.cutoff == 0.5


# -- the design ----------------------------------------------------------------------------


def test_full_design_scores_every_template_with_every_variant():
    result = ai.paired_test(
        _penalised_batch, TEMPLATES[:5], signals=COLLEGES, n_repeats=2, random_state=3
    )
    seen = result.scores.groupby("template")["signal"].apply(frozenset)
    assert all(s == frozenset(COLLEGES["college"]) for s in seen)
    assert result.n_texts == 5 * 2 * 2


def test_sampled_design_uses_every_name_equally_often():
    names = ai.datasets.load_names()
    templates = [f"{{name}}\nExperience: {i} years" for i in range(250)]
    result = ai.paired_test(lambda texts: [0.0] * len(texts), templates, random_state=0)
    uses = result.scores.groupby("signal").size()
    assert len(uses) == len(names) == 800  # 250 units x 8 groups = 2,000 texts
    assert set(uses) <= {2, 3}  # 2,000 / 800 = 2.5: each name 2 or 3 times
    assert result.n_groups == 8 and set(result.table["group"]) == {
        f"{r} | {s}" for r in "ABHW" for s in "MW"
    }


def test_result_does_not_depend_on_threads():
    rng_free = CountingScorer(_penalised)
    one = ai.paired_test(
        rng_free, TEMPLATES, signals=COLLEGES, batch_size=3, random_state=5, threshold=0.5
    )
    four = ai.paired_test(
        CountingScorer(_penalised),
        TEMPLATES,
        signals=COLLEGES,
        batch_size=3,
        random_state=5,
        threshold=0.5,
        n_jobs=4,
    )
    pd.testing.assert_frame_equal(one.scores, four.scores)
    pd.testing.assert_frame_equal(one.table, four.table)


# -- operations ---------------------------------------------------------------------------


def test_every_call_is_counted():
    scorer = CountingScorer(_penalised)
    result = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, batch_size=7, n_repeats=2)
    assert result.n_calls == scorer.calls == -(-len(TEMPLATES) * 2 * 2 // 7)
    assert scorer.texts == result.n_texts == len(TEMPLATES) * 4


def test_max_calls_refuses_before_the_first_call():
    scorer = CountingScorer(_penalised)
    with pytest.raises(ai.InputError, match=r"needs 80 scorer calls.*max_calls=79") as error:
        ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, batch_size=1, max_calls=79)
    assert "Raise max_calls to 80" in str(error.value)
    assert scorer.calls == 0


def test_cached_rerun_makes_zero_calls(tmp_path):
    first = CountingScorer(_penalised)
    a = ai.paired_test(
        first,
        TEMPLATES,
        signals=COLLEGES,
        cache=tmp_path,
        batch_size=10,
        scorer_id="penalised-v1",
        random_state=1,
    )
    again = CountingScorer(_penalised)
    b = ai.paired_test(
        again,
        TEMPLATES,
        signals=COLLEGES,
        cache=tmp_path,
        batch_size=10,
        scorer_id="penalised-v1",
        random_state=1,
        max_calls=1,
    )
    assert first.calls == a.n_calls == 8 and again.calls == b.n_calls == 0
    assert b.n_cached == a.n_texts
    pd.testing.assert_frame_equal(a.table, b.table)


def test_cache_resumes_after_a_crash_halfway(tmp_path):
    calls = []

    def crashing(texts):
        calls.append(len(texts))
        if len(calls) == 5:
            raise KeyboardInterrupt  # the process dies: nothing is recorded
        return [_penalised(t) for t in texts]

    with pytest.raises(KeyboardInterrupt):
        ai.paired_test(
            crashing,
            TEMPLATES,
            signals=COLLEGES,
            cache=tmp_path,
            batch_size=10,
            scorer_id="s",
            random_state=0,
        )
    scorer = CountingScorer(_penalised)
    result = ai.paired_test(
        scorer,
        TEMPLATES,
        signals=COLLEGES,
        cache=tmp_path,
        batch_size=10,
        scorer_id="s",
        random_state=0,
    )
    assert result.n_cached == 40 and scorer.calls == 4 and result.n_failed == 0


def test_cache_key_changes_with_the_model(tmp_path):
    def v1(texts):
        return [_penalised(t) for t in texts]

    def v2(texts):
        return [_years(t) / 40 for t in texts]

    ai.paired_test(v1, TEMPLATES, signals=COLLEGES, cache=tmp_path)
    result = ai.paired_test(v2, TEMPLATES, signals=COLLEGES, cache=tmp_path)
    assert result.n_cached == 0 and result.table["mean_diff"].abs().max() == 0


def test_a_scorer_failing_on_5_percent_of_calls_is_reported():
    scorer = CountingScorer(_penalised, fail_every=20)
    result = ai.paired_test(scorer, TEMPLATES * 5, signals=COLLEGES, batch_size=1, random_state=0)
    # 200 units x 2 groups = 400 calls of one text; every 20th raises.
    assert result.n_calls == 400 and result.n_failed_calls == 20 and result.n_failed == 20
    failures = result.failures
    assert (failures["error"] == "TimeoutError").all()
    assert failures["message"].str.contains("simulated API timeout").all()
    lost_units = result.scores.loc[result.scores["score"].isna(), "unit"].nunique()
    assert result.n_pairs_lost == lost_units > 0
    row = result.table.set_index("group").loc["women's"]
    assert row["n_pairs"] == 200 - lost_units
    assert "20 call(s) raised" in result.summary()


def test_every_call_failing_is_an_error():
    def broken(texts):
        raise ConnectionError("no network")

    with pytest.raises(ai.InputError, match="every call failed.*ConnectionError"):
        ai.paired_test(broken, TEMPLATES, signals=COLLEGES)


def test_wrong_number_of_scores_is_a_recorded_failure():
    calls = []

    def short(texts):
        calls.append(1)
        return [0.0] * (len(texts) - (len(calls) == 2))

    result = ai.paired_test(short, TEMPLATES, signals=COLLEGES, batch_size=3)
    assert result.n_failed_calls == 1 and "2 scores for 3 texts" in result.failures["message"][0]


def test_progress_goes_to_the_callable():
    lines = []
    ai.paired_test(
        _penalised_batch, TEMPLATES, signals=COLLEGES, batch_size=8, progress=lines.append
    )
    assert lines and lines[-1].startswith("paired_test: 10/10 scorer calls")


def _penalised_batch(texts):
    return [_penalised(t) for t in texts]


# -- null scorer and power ---------------------------------------------------------------


def test_null_scorer_p_values_are_uniform():
    """Random scores: 200 seeded runs; rejection at 5% within [2%, 9%], KS p > 0.01."""
    rng = np.random.default_rng(2024)
    p_t, p_w = [], []
    for _ in range(200):

        def scorer(texts):
            return rng.normal(size=len(texts)).tolist()

        result = ai.paired_test(
            scorer,
            TEMPLATES[:25],
            signals=COLLEGES,
            random_state=int(rng.integers(1 << 30)),
            reference="co-ed",
        )
        row = result.table.set_index("group").loc["women's"]
        p_t.append(row["p_value_t"])
        p_w.append(row["p_value_wilcoxon"])
    for p in (np.array(p_t), np.array(p_w)):
        assert 0.02 <= (p < 0.05).mean() <= 0.09
        assert sps.kstest(p, "uniform").pvalue > 0.01


# -- variant (name) effects ------------------------------------------------------------


def test_one_name_far_off_its_group_is_flagged_after_bh():
    names = ai.datasets.load_names()
    odd = names.loc[names["race"].eq("W") & names["sex"].eq("M"), "name"].iloc[0]
    rng = np.random.default_rng(0)

    def scorer(texts):
        return [rng.normal(scale=0.1) - 1.0 * (t.startswith(odd)) for t in texts]

    templates = [f"{{name}}\nExperience: {i} years" for i in range(100)]
    result = ai.paired_test(scorer, templates, n_repeats=8, random_state=0)
    effects = result.name_effects
    flagged = effects[effects["flagged"]]
    assert flagged["signal"].tolist() == [odd]
    assert flagged["effect"].iloc[0] == pytest.approx(-1.0, abs=0.1)


def test_variant_effects_agree_with_scipy_welch():
    rng = np.random.default_rng(7)

    def scorer(texts):
        return rng.normal(size=len(texts)) - 0.3 * np.array(["Smith" in t for t in texts])

    result = ai.paired_test(scorer, TEMPLATES, signals=COLLEGES, n_repeats=4, random_state=7)
    long = result.scores
    unit_sum = long.groupby("unit")["score"].transform("sum")
    long["residual"] = long["score"] - (unit_sum - long["score"])  # two texts a unit
    effects = result.name_effects.set_index("signal")
    for signal, group in zip(COLLEGES["college"], COLLEGES["type"]):
        mine = long.loc[long["signal"] == signal, "residual"]
        rest = long.loc[(long["group"] == group) & (long["signal"] != signal), "residual"]
        welch = sps.ttest_ind(mine, rest, equal_var=False)
        assert effects.loc[signal, "effect"] == pytest.approx(mine.mean() - rest.mean())
        assert effects.loc[signal, "p_value"] == pytest.approx(welch.pvalue, rel=1e-9)


# -- result object -------------------------------------------------------------------------


def test_result_is_frozen_and_hands_out_copies():
    result = ai.paired_test(_penalised_batch, TEMPLATES, signals=COLLEGES, threshold=0.5)
    with pytest.raises(AttributeError):
        result.n_calls = 0
    table, scores = result.table, result.scores
    table.loc[0, "mean_diff"] = 99.0
    scores.loc[0, "score"] = 99.0
    assert 99.0 not in result.table["mean_diff"].tolist()
    assert 99.0 not in result.scores["score"].tolist()
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert json.loads(text)["n_calls"] == 1
    assert repr(result).startswith("PairedTestResult (score)")
    assert "<table" in result._repr_html_()
    assert "women's" in result.summary() and "McNemar" in result.summary()
    pd.testing.assert_frame_equal(result.to_frame(), result.table)
    assert result.flagged()["group"].tolist() == ["women's"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "vote"}, "kind"),
        ({"n_repeats": 0}, "n_repeats"),
        ({"signals": "emails"}, "signals"),
        ({"signals": COLLEGES.rename(columns={"college": "school"})}, "templates"),
        ({"signals": COLLEGES[["college"]]}, "group column"),
        ({"max_calls": 0}, "max_calls"),
        ({"reference": "unknown"}, "reference"),
        ({"positions": "sorted"}, "positions"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises((ai.InputError, ai.InputTypeError), match=match):
        ai.paired_test(_penalised_batch, TEMPLATES, **{"signals": COLLEGES, **kwargs})


def test_a_template_without_a_slot_is_refused():
    with pytest.raises(ai.InputError, match="1 template.*hold no slot"):
        ai.paired_test(_penalised_batch, [*TEMPLATES, "no slot here"], signals=COLLEGES)


# -- rankers ------------------------------------------------------------------------------


def _software_templates():
    return ai.datasets.load_resume_templates("software engineer")["template"].tolist()


def _first_shown(texts):
    return list(range(len(texts)))


def test_first_shown_picker_is_flagged_for_position_not_for_any_group():
    result = ai.paired_test(
        _first_shown, _software_templates(), kind="rank", n_repeats=10, random_state=0
    )
    audit = result.rankings
    tests = audit.tests
    position = tests[(tests["attribute"] == "position") & (tests["test"] == "chi_square_gof")]
    assert position["p_value"].iloc[0] < 1e-50
    # Latin squares: every group is shown first exactly once per block, so a
    # first-shown picker gives every group the same count (10 of 80).
    assert (result.table["selected"] == 10).all()
    groups = tests[tests["attribute"] != "position"]
    assert (groups["p_value"].dropna() > 0.5).all()
    assert not result.table["significant"].any() and result.flagged().empty


def test_positions_are_latin_squares():
    result = ai.paired_test(
        _first_shown, _software_templates(), kind="rank", n_repeats=3, random_state=1
    )
    shown = result.scores
    counts = shown.groupby(["group", "position"]).size()
    assert (counts == 3).all() and len(counts) == 64  # each group at each position per block
    per_template = shown.groupby(["group", "template"]).size()
    assert (per_template == 3).all()  # and on each of the 8 resumes once per block
    assert (shown.groupby("prompt")["group"].nunique() == 8).all()


def test_group_preferrer_is_flagged_for_that_group():
    """A ranker that puts a Black woman first in 30% of prompts, else picks at random.

    Her first-place probability is 0.3 + 0.7 / 8 = 0.3875 against 0.0875 for
    each other group.  With 20 blocks (160 prompts) the power of the
    goodness-of-fit test at 5% is 1 - 7e-12 (noncentral chi-square, 7 df,
    noncentrality 160 * 0.63 = 100.8), and that of her group's own z test
    (expected count 20, sd 4.2; Holm over 8 groups needs about 31 first
    places; she expects 62, sd 6.2) about 1 - 3e-7.  The seeded run must flag
    her group and no other.
    """
    names = ai.datasets.load_names()
    favoured = set(names.loc[names["race"].eq("B") & names["sex"].eq("W"), "name"])
    rng = np.random.default_rng(11)

    def prefers(texts):
        order = list(rng.permutation(len(texts)))
        if rng.random() < 0.3:
            mine = next(i for i, t in enumerate(texts) if any(n in t for n in favoured))
            order.remove(mine)
            order.insert(0, mine)
        return order

    expected = np.array([0.3875] + [0.0875] * 7)
    noncentrality = 160 * ((expected - 1 / 8) ** 2 / (1 / 8)).sum()
    power = sps.ncx2.sf(sps.chi2.isf(0.05, 7), 7, noncentrality)
    assert power > 1 - 1e-11
    result = ai.paired_test(
        prefers, _software_templates(), kind="rank", n_repeats=20, random_state=2
    )
    table = result.table.set_index("group")
    # The only group ranked first significantly *more* often than the design
    # expects.  (First places are one multinomial draw: the others lose what
    # she gains, so some of them may be significantly below.)
    above = table["significant"] & (table["statistic"] > 0)
    assert above.tolist() == [g == "B | W" for g in table.index]
    assert table.loc["B | W", "rate"] > 0.3
    assert result.reference == "B | W"
    gof = result.rankings.tests
    gof = gof[(gof["attribute"] == "race x sex") & (gof["test"] == "chi_square_gof")]
    assert gof["p_value"].iloc[0] < 1e-10
    position = result.rankings.tests
    position = position[
        (position["attribute"] == "position") & (position["test"] == "chi_square_gof")
    ]
    assert position["p_value"].iloc[0] > 0.01


def test_ranker_failures_and_omissions_are_counted(tmp_path):
    calls = []

    def flaky(texts):
        calls.append(1)
        if len(calls) % 20 == 0:
            raise RuntimeError("rate limited")
        return list(range(len(texts) - 1))  # never ranks the last shown

    result = ai.paired_test(
        flaky,
        _software_templates(),
        kind="rank",
        n_repeats=10,
        random_state=0,
        cache=tmp_path,
        scorer_id="flaky",
    )
    assert result.n_calls == 80 and result.n_failed_calls == 4 and result.n_pairs_lost == 4
    assert result.table["unranked"].sum() == 76  # one candidate in each answered prompt
    rerun = ai.paired_test(
        flaky,
        _software_templates(),
        kind="rank",
        n_repeats=10,
        random_state=0,
        cache=tmp_path,
        scorer_id="flaky",
    )
    assert rerun.n_calls == 4 and rerun.n_cached == 76


def test_an_invalid_order_is_a_recorded_failure():
    def duplicates(texts):
        return [0, 0] + list(range(2, len(texts)))

    with pytest.raises(ai.InputError, match="every call failed"):
        ai.paired_test(duplicates, _software_templates(), kind="rank")


# -- names on the synthetic resumes (make_resumes(names=True)) -------------------------------


@pytest.fixture(scope="module")
def named_resumes():
    return ai.datasets.make_resumes(10_000, names=True, random_state=0)


def test_names_are_written_without_changing_anything_else(named_resumes):
    plain = ai.datasets.make_resumes(10_000, random_state=0)
    parts = named_resumes["resume"].str.split("\n", n=1)
    first_line, rest = parts.str[0], parts.str[1]
    assert (first_line == named_resumes["name"]).all()
    assert rest.tolist() == plain["resume"].tolist()
    pd.testing.assert_frame_equal(
        named_resumes.drop(columns=["resume", "name"]), plain.drop(columns="resume")
    )
    names = ai.datasets.load_names().set_index("name")
    cells = names.loc[named_resumes["name"]]
    assert (
        cells["sex"].to_numpy() == np.where(named_resumes["gender"] == "female", "W", "M")
    ).all()
    codes = named_resumes["race"].map(
        {"White": "W", "Asian": "A", "Hispanic or Latino": "H", "Black or African American": "B"}
    )
    known = codes.notna().to_numpy()
    assert (cells["race"].to_numpy()[known] == codes[known]).all()


def test_token_proxies_find_first_names(named_resumes):
    names = ai.datasets.load_names()
    women = set(names.loc[names["sex"] == "W", "first_name"].str.lower())
    men = set(names.loc[names["sex"] == "M", "first_name"].str.lower())
    proxies = ai.token_proxies(named_resumes["resume"], named_resumes["gender"])
    top = proxies.top(100, group="female")["token"].tolist()
    assert sum(t in women - men for t in top) >= 15
    assert not any(t in men - women for t in top)
    table = proxies.to_frame()
    female = table[(table["group"] == "female") & table["token"].isin(women - men)]
    assert len(female) > 150 and (female["log_odds"] > 0).all()
    by_race = ai.token_proxies(named_resumes["resume"], named_resumes["race"])
    black = set(names.loc[names["race"] == "B", "last_name"].str.lower())
    assert set(by_race.top(10, group="Black or African American")["token"]) <= black


def test_the_example_runs_and_finds_what_it_claims(capsys):
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "paired_test.py"
    found = runpy.run_path(str(path))["main"](n_samples=3_000, random_state=1)
    out = capsys.readouterr().out
    assert "1. Pointwise" in out and "2. Ranker" in out
    women = found["scored"].table.set_index("group").loc["W"]
    assert women["mean_diff"] < 0 and women["significant"]
    assert found["again"].n_calls == 0 and found["again"].n_cached == 1_000
    tests = found["ranked"].rankings.tests
    position = tests[(tests["attribute"] == "position") & (tests["test"] == "chi_square_gof")]
    assert position["p_value"].iloc[0] < 1e-6


def test_markdown_and_json_for_both_kinds(capsys):
    scored = ai.paired_test(_penalised_batch, TEMPLATES, signals=COLLEGES, threshold=0.5)
    text = scored.to_markdown()
    assert text.startswith("# Paired test (scores)") and "| women's |" in text
    ranked = ai.paired_test(
        _first_shown, _software_templates(), kind="rank", n_repeats=2, random_state=0, progress=True
    )
    assert "paired_test: 16/16 scorer calls" in capsys.readouterr().err
    markdown = ranked.to_markdown()
    assert markdown.startswith("# Paired test (rankings)")
    assert "| B \\| M |" in markdown and f"**Finding.** {ranked.verdict()}" in markdown
    payload = json.loads(json.dumps(ranked.to_dict(), allow_nan=False))
    assert payload["kind"] == "rank" and payload["rankings"]["table"]
    assert repr(ranked).startswith("PairedTestResult (rank)")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=4, max_size=4),
    st.integers(2, 6),
    st.integers(0, 2**31 - 1),
)
def test_full_design_mean_difference_does_not_depend_on_the_draw(effects, n_templates, seed):
    """Every template with every variant: the mean difference is the variants' mean gap."""
    effect = dict(zip(COLLEGES["college"], effects))

    def scorer(texts):
        return [_years(t) + effect[t.split("; ")[2]] for t in texts]

    templates = TEMPLATES[:n_templates]
    result = ai.paired_test(
        scorer, templates, signals=COLLEGES, n_repeats=2, random_state=seed, reference="co-ed"
    )
    women = np.mean(effects[:2]) - np.mean(effects[2:])
    row = result.table.set_index("group").loc["women's"]
    assert row["mean_diff"] == pytest.approx(women, abs=1e-9)
    assert row["n_pairs"] == 2 * n_templates


def test_ranker_name_effects_agree_with_scipy_fisher():
    names = ai.datasets.load_names()
    favoured = names.loc[names["race"].eq("H") & names["sex"].eq("M"), "name"].iloc[3]
    rng = np.random.default_rng(5)

    def ranker(texts):
        order = list(rng.permutation(len(texts)))
        hit = [i for i, t in enumerate(texts) if favoured in t]
        if hit:
            order.remove(hit[0])
            order.insert(0, hit[0])
        return order

    result = ai.paired_test(
        ranker, _software_templates(), kind="rank", n_repeats=100, random_state=5
    )
    shown = result.scores
    first = shown["rank"] == 1
    mine = shown["signal"] == favoured
    group = shown["group"] == "H | M"
    table = [
        [int((first & mine).sum()), int((~first & mine).sum())],
        [int((first & group & ~mine).sum()), int((~first & group & ~mine).sum())],
    ]
    effects = result.name_effects.set_index("signal")
    assert effects.loc[favoured, "p_value"] == pytest.approx(
        sps.fisher_exact(table).pvalue, rel=1e-9
    )
    assert effects.loc[favoured, "p_value_below"] == pytest.approx(
        sps.fisher_exact(table, alternative="less").pvalue, rel=1e-9
    )
    # Signed: a name ranked first *more* often than its group is not "below".
    assert effects.loc[favoured, "effect"] > 0.3 and not effects["flagged"].any()


# -- a ratio beside its flag --------------------------------------------------------------


@pytest.fixture(scope="module")
def decisions_below_by_a_hair():
    from _helpers import just_below_paired

    return just_below_paired()


def test_paired_summary_repr_and_gate_show_the_decisions_ratio_below(decisions_below_by_a_hair):
    result = decisions_below_by_a_hair
    row = result.table.set_index("group").loc["women's"]
    assert row["impact_ratio"] == pytest.approx(0.7996) and bool(row["four_fifths_flag"])
    assert "lowest impact ratio women's 0.7996" in result.summary()
    assert "0.7996" in repr(result)
    message = result.gate(rule="four_fifths").message()
    assert "impact ratio 0.7996" in message and "0.800" not in message


@pytest.mark.parametrize(
    ("argument", "bad", "error", "words"),
    [
        ("k", 0, ai.InputError, "k: 0 is not an integer >= 1. Pass e.g. k=1"),
        ("k", 1.5, ai.InputTypeError, "k: 1.5 is not an integer"),
        ("k", True, ai.InputTypeError, "k: True is not an integer"),
        ("n_repeats", 0, ai.InputError, "n_repeats: 0 is not an integer >= 1"),
        ("batch_size", 0, ai.InputError, "batch_size: 0 is not an integer >= 1"),
        ("max_calls", -1, ai.InputError, "max_calls: -1 is not an integer >= 0"),
    ],
)
def test_counts_are_checked_by_the_one_scalar_check_naming_the_argument(
    argument, bad, error, words
):
    with pytest.raises(error, match="^" + words.replace(".", r"\.")):
        ai.paired_test(lambda texts: [0.5] * len(texts), TEMPLATES, **{argument: bad})
