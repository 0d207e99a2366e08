"""The skewed-history resume generator: shape, determinism, the designed rates, the skew."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

import adverse_impact as ai
from adverse_impact.datasets import ResumeGroundTruth, make_resumes


@pytest.fixture(scope="module")
def resumes():
    return make_resumes(10_000, random_state=0)


@pytest.fixture(scope="module")
def presence(resumes):
    """Binary document-term matrix under the library's token pattern."""
    vectorizer = CountVectorizer(token_pattern=ai.TOKEN_PATTERN, binary=True)
    counts = vectorizer.fit_transform(resumes["resume"])
    return vectorizer, counts


def _rates(counts, woman):
    return (
        np.asarray(counts[woman].mean(axis=0)).ravel(),
        np.asarray(counts[~woman].mean(axis=0)).ravel(),
    )


def hired_ratio(frame):
    rates = frame.groupby("gender")["hired"].mean()
    return rates["female"] / rates["male"]


def test_same_seed_same_frame_other_seed_other_frame(resumes):
    again = make_resumes(10_000, random_state=0)
    pd.testing.assert_frame_equal(resumes, again)
    assert again.attrs["proxy_tokens"] == resumes.attrs["proxy_tokens"]
    assert again.attrs["ground_truth"] == resumes.attrs["ground_truth"]
    assert not make_resumes(200, random_state=1)["resume"].equals(
        make_resumes(200, random_state=2)["resume"]
    )
    generated = make_resumes(200, random_state=np.random.default_rng(1))
    assert generated["resume"].equals(make_resumes(200, random_state=1)["resume"])


def test_shape_columns_and_dtypes(resumes):
    assert resumes.shape == (10_000, 7)
    assert list(resumes.columns) == [
        "resume",
        "gender",
        "race",
        "year",
        "qualification",
        "qualified",
        "hired",
    ]
    assert resumes["hired"].dtype == bool and resumes["qualified"].dtype == bool
    assert resumes["qualification"].dtype == np.float64 and resumes["year"].dtype == np.int64
    assert resumes["resume"].map(type).eq(str).all()
    assert set(resumes["gender"]) == {"female", "male"}
    assert set(resumes["year"]) == set(range(1, 11))
    assert resumes["race"].nunique() == 5
    assert resumes["race"].value_counts(normalize=True)["White"] == pytest.approx(0.52, abs=0.02)
    without = make_resumes(50, race=False, random_state=0)
    assert list(without.columns) == [
        "resume",
        "gender",
        "year",
        "qualification",
        "qualified",
        "hired",
    ]


@pytest.mark.parametrize("share", [0.25, 0.5, 0.1])
def test_women_share_is_respected(share):
    n = 20_000
    women = make_resumes(n, women_share=share, random_state=3)["gender"].eq("female").mean()
    assert women == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / n))


def test_gender_is_never_written(resumes):
    words = set(re.findall(ai.TOKEN_PATTERN, " ".join(resumes["resume"]).lower()))
    gendered = {
        "female",
        "male",
        "woman",
        "man",
        "women",
        "men",
        "she",
        "he",
        "her",
        "his",
        "him",
        "hers",
        "mrs",
        "ms",
        "mr",
        "gender",
        "girl",
        "boy",
    }
    assert not words & gendered


def test_the_history_is_skewed_by_default_and_fair_without_bias():
    assert hired_ratio(make_resumes(20_000, random_state=1)) < 0.6
    # Selection depends on qualification only: the ratio is 1 up to sampling noise.
    fair = make_resumes(20_000, history_bias=0, random_state=1)
    assert hired_ratio(fair) == pytest.approx(1.0, abs=0.06)
    assert make_resumes(20_000, history_bias=0, random_state=1)["hired"].mean() == pytest.approx(
        0.3, abs=0.001
    )


def test_more_history_bias_means_a_lower_ratio():
    ratios = [
        hired_ratio(make_resumes(10_000, history_bias=b, random_state=4))
        for b in (0.0, 0.5, 1.0, 1.5, 3.0)
    ]
    assert ratios == sorted(ratios, reverse=True)


def test_qualification_has_the_same_distribution_by_gender(resumes):
    women = resumes.loc[resumes["gender"] == "female", "qualification"]
    men = resumes.loc[resumes["gender"] == "male", "qualification"]
    assert stats.ks_2samp(women, men).pvalue > 0.001
    qualified = resumes.groupby("gender")["qualified"].mean()
    assert abs(qualified["female"] - qualified["male"]) < 0.04
    assert 0.2 < resumes["qualified"].mean() < 0.5


def test_qualification_shows_in_the_text(resumes):
    top = resumes["qualification"] > 1
    bottom = resumes["qualification"] < -1
    n_skills = resumes["resume"].str.extract(r"Skills: (.*)")[0].str.count(",") + 1
    assert n_skills[top].mean() > n_skills[bottom].mean() + 2
    years = resumes["resume"].str.extract(r"Experience: (\d+) years")[0].astype(int)
    assert stats.spearmanr(years, resumes["qualification"]).statistic > 0.6
    vectorizer = TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN)
    text = vectorizer.fit_transform(resumes["resume"][:3_000])
    auc = cross_val_score(
        LogisticRegression(max_iter=1000),
        text,
        resumes["qualified"][:3_000],
        cv=3,
        scoring="roc_auc",
    ).mean()
    assert auc > 0.8


def test_ground_truth_format(resumes):
    truth = resumes.attrs["ground_truth"]
    assert isinstance(truth, ResumeGroundTruth)
    assert truth.proxy_tokens is not None and truth.proxy_tokens == resumes.attrs["proxy_tokens"]
    assert truth.params == resumes.attrs["params"]
    assert truth.params["random_state"] == 0 and truth.params["history_bias"] == 1.5
    kinds = {spec["kind"] for spec in truth.proxy_tokens.values()}
    assert kinds == {"explicit", "college", "activity", "verb"}
    for token, spec in truth.proxy_tokens.items():
        assert re.fullmatch(ai.TOKEN_PATTERN, token) and token == token.lower()
        assert set(spec) == {"kind", "rate_women", "rate_men"}
        assert 0 <= spec["rate_women"] <= 1 and 0 <= spec["rate_men"] <= 1
    table = truth.to_frame()
    assert list(table.columns) == ["token", "kind", "rate_women", "rate_men"]
    assert table["token"].tolist() == list(truth.proxy_tokens)
    for college in ("wellesley", "smith", "bryn", "mawr"):
        assert truth.proxy_tokens[college]["kind"] == "college"


def test_planted_tokens_occur_at_the_stated_rates(resumes, presence):
    vectorizer, counts = presence
    woman = resumes["gender"].eq("female").to_numpy()
    rate_women, rate_men = _rates(counts, woman)
    for token, spec in resumes.attrs["proxy_tokens"].items():
        column = vectorizer.vocabulary_[token]
        for observed, designed, n in (
            (rate_women[column], spec["rate_women"], woman.sum()),
            (rate_men[column], spec["rate_men"], (~woman).sum()),
        ):
            # Binomial sampling: four standard errors, and exactly zero where designed zero.
            tolerance = 4 * np.sqrt(designed * (1 - designed) / n)
            assert observed == pytest.approx(designed, abs=tolerance), token


def test_the_ground_truth_is_every_token_that_stands_for_gender(resumes, presence):
    # Two-proportion z for every token; Bonferroni over the vocabulary at 0.001.
    vectorizer, counts = presence
    woman = resumes["gender"].eq("female").to_numpy()
    rate_women, rate_men = _rates(counts, woman)
    pooled = np.asarray(counts.mean(axis=0)).ravel()
    se = np.sqrt(pooled * (1 - pooled) * (1 / woman.sum() + 1 / (~woman).sum()))
    z = np.divide(rate_women - rate_men, se, out=np.zeros_like(se), where=se > 0)
    bar = stats.norm.isf(0.001 / 2 / len(z))
    flagged = set(vectorizer.get_feature_names_out()[np.abs(z) > bar])
    assert flagged == set(resumes.attrs["proxy_tokens"])


def test_without_proxies_gender_cannot_be_recovered_from_the_text():
    df = make_resumes(4_000, proxy_strength=0, random_state=2)
    truth = df.attrs["proxy_tokens"]
    assert all(spec["rate_women"] == spec["rate_men"] for spec in truth.values())
    words = set(re.findall(ai.TOKEN_PATTERN, " ".join(df["resume"]).lower()))
    absent = {t for t, spec in truth.items() if spec["kind"] in ("explicit", "college")}
    absent |= {"sorority", "fraternity"}
    assert not words & absent
    counts = CountVectorizer(token_pattern=ai.TOKEN_PATTERN).fit_transform(df["resume"])
    auc = cross_val_score(
        LogisticRegression(C=0.1, max_iter=2000),
        counts,
        df["gender"].eq("female"),
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).mean()
    assert abs(auc - 0.5) < 0.04
    # ... while the same probe finds gender at the default strength.
    leaky = make_resumes(4_000, random_state=2)
    counts = CountVectorizer(token_pattern=ai.TOKEN_PATTERN).fit_transform(leaky["resume"])
    auc = cross_val_score(
        LogisticRegression(C=0.1, max_iter=2000),
        counts,
        leaky["gender"].eq("female"),
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).mean()
    assert auc > 0.85


def test_proxy_strength_scales_the_rates_and_saturates():
    def rate(strength, token="women's"):
        return make_resumes(10, proxy_strength=strength, random_state=0).attrs["proxy_tokens"][
            token
        ]["rate_women"]

    assert rate(0) == 0 < rate(0.5) < rate(1) < rate(2) == rate(10)
    assert rate(1, "executed") < rate(0, "executed")
    df = make_resumes(2_000, proxy_strength=10, random_state=0)
    assert df.loc[df["gender"] == "female", "resume"].str.contains("men's").mean() > 0.5


def test_womens_is_one_token_under_the_library_pattern(resumes):
    women = resumes.loc[resumes["gender"] == "female", "resume"]
    sample = women[women.str.contains("women's")].iloc[0]
    from adverse_impact._proxies._tokens import tokenize

    assert "women's" in tokenize(sample)
    assert "women's" in re.findall(ai.TOKEN_PATTERN, sample.lower())
    # scikit-learn's default pattern would split it into "women" and drop the "s".
    default = CountVectorizer().fit([sample]).vocabulary_
    assert "women's" not in default and "women" in default
    assert sample.isascii()


def test_a_text_model_learns_to_penalise_womens(resumes):
    vectorizer = TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN)
    model = LogisticRegression(max_iter=1000).fit(
        vectorizer.fit_transform(resumes["resume"]), resumes["hired"]
    )
    coef = dict(zip(vectorizer.get_feature_names_out(), model.coef_[0]))
    ranked = sorted(coef, key=coef.get)
    assert coef["women's"] < 0 and ranked.index("women's") < 5
    assert coef["women's"] < coef["men's"]
    # The verbs carry no skill, yet the skewed label makes the men's verbs pay.
    assert coef["executed"] > 0 and coef["captured"] > 0


def test_the_vocabulary_is_large(presence):
    vectorizer, _ = presence
    assert len(vectorizer.vocabulary_) >= 3_000


# A value of the right type outside its range is an InputError (a ValueError); a value
# of the wrong type is an InputTypeError (a TypeError), as in scikit-learn's check_scalar.
@pytest.mark.parametrize(
    "kwargs,name,error",
    [
        ({"n_samples": 0}, "n_samples", ai.InputError),
        ({"n_samples": 2.5}, "n_samples", ai.InputTypeError),
        ({"n_samples": True}, "n_samples", ai.InputTypeError),
        ({"women_share": 1.0}, "women_share", ai.InputError),
        ({"women_share": 0}, "women_share", ai.InputError),
        ({"women_share": "0.3"}, "women_share", ai.InputTypeError),
        ({"history_bias": -1}, "history_bias", ai.InputError),
        ({"history_bias": float("nan")}, "history_bias", ai.InputError),
        ({"proxy_strength": -0.1}, "proxy_strength", ai.InputError),
        ({"style_strength": -1}, "style_strength", ai.InputError),
        ({"skill_weight": -1}, "skill_weight", ai.InputError),
        ({"base_rate": 0}, "base_rate", ai.InputError),
        ({"race": "yes"}, "race", ai.InputTypeError),
        ({"random_state": -1}, "random_state", ai.InputError),
        ({"random_state": "seed"}, "random_state", ai.InputTypeError),
    ],
)
def test_bad_arguments_raise_input_error_naming_the_argument(kwargs, name, error):
    with pytest.raises(error, match=f"^{name}:"):
        make_resumes(**kwargs)


def test_frames_concatenate_and_copy_with_their_ground_truth():
    # pandas compares attrs on concat; a DataFrame in attrs used to break it.
    a = make_resumes(50, random_state=1)
    b = make_resumes(50, random_state=1)
    both = pd.concat([a, b], ignore_index=True)
    assert len(both) == 100
    assert both.attrs["proxy_tokens"] == a.attrs["proxy_tokens"]
    assert a.copy().attrs["ground_truth"] == a.attrs["ground_truth"]
    different = pd.concat([a, make_resumes(50, proxy_strength=0, random_state=1)])
    assert len(different) == 100
