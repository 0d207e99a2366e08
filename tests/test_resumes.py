"""The skewed-history resume generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

import adverse_impact as ai
from adverse_impact.datasets import make_resumes


@pytest.fixture(scope="module")
def resumes():
    return make_resumes(10_000, random_state=0)


def test_shape_columns_and_determinism(resumes):
    assert list(resumes.columns) == ["resume", "gender", "race", "year", "qualification",
                                     "qualified", "hired"]
    assert resumes["hired"].dtype == bool and resumes["qualified"].dtype == bool
    again = make_resumes(10_000, random_state=0)
    pd.testing.assert_frame_equal(resumes, again)
    assert not make_resumes(200, random_state=1)["resume"].equals(
        make_resumes(200, random_state=2)["resume"])
    assert set(resumes["year"]) == set(range(1, 11))
    assert "race" not in make_resumes(50, race=False, random_state=0)


def test_gender_is_never_written_and_shares_hold(resumes):
    text = " ".join(resumes["resume"]).lower()
    for word in (" female", " male ", "gender", " woman ", " man "):
        assert word not in text
    assert resumes["gender"].eq("female").mean() == pytest.approx(0.25, abs=0.015)


def test_qualification_is_independent_of_gender(resumes):
    by = resumes.groupby("gender")["qualification"]
    assert abs(by.mean()["female"] - by.mean()["male"]) < 4 / np.sqrt(len(resumes) * 0.25)
    qualified = resumes.groupby("gender")["qualified"].mean()
    assert abs(qualified["female"] - qualified["male"]) < 0.03


def test_history_is_skewed_by_default_and_fair_without_bias():
    skewed = ai.audit(make_resumes(20_000, random_state=1), selected="hired", groups="gender")
    fair = ai.audit(make_resumes(20_000, history_bias=0, random_state=1), selected="hired",
                    groups="gender")
    women = lambda r: r.table.set_index("group").loc["female", "impact_ratio"]  # noqa: E731
    assert women(skewed) < 0.6
    assert 0.9 < women(fair) <= 1.0 or fair.table["impact_ratio"].min() > 0.9


def test_ground_truth_rates_hold(resumes):
    proxies = resumes.attrs["proxies"].set_index("token")
    tokens = resumes["resume"].map(lambda t: set(ai._text.tokenize(t)))
    for token in ("women's", "sorority", "volleyball", "executed"):
        has = tokens.map(lambda s, t=token: t in s)
        for gender, column in (("female", "rate_women"), ("male", "rate_men")):
            observed = has[resumes["gender"] == gender].mean()
            assert observed == pytest.approx(proxies.loc[token, column], abs=0.03), token
    assert set(proxies["kind"]) == {"explicit", "activity", "college", "verb"}


def test_no_proxies_means_gender_is_unrecoverable():
    df = make_resumes(3_000, proxy_strength=0, random_state=2)
    assert "women's" not in " ".join(df["resume"]) and "sorority" not in " ".join(df["resume"])
    found = ai.recoverability(df["resume"], df["gender"], cv=3, random_state=0)
    assert abs(found.roc_auc - 0.5) < 0.05


def test_vocabulary_and_the_womens_coefficient(resumes):
    vectorizer = CountVectorizer(token_pattern=ai.TOKEN_PATTERN).fit(resumes["resume"])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert len(vocabulary) >= 3_000 and "women's" in vocabulary
    model = make_pipeline(TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN),
                          LogisticRegression(max_iter=1000)).fit(resumes["resume"],
                                                                 resumes["hired"])
    coef = dict(zip(model[0].get_feature_names_out(), model[-1].coef_[0]))
    assert coef["women's"] < 0 and coef["women's"] < coef["men's"]
    ranked = sorted(coef, key=coef.get)
    assert ranked.index("women's") < 10
    # Qualification is learnable from the text, not only the proxies.
    auc = cross_val_score(model, resumes["resume"][:3000], resumes["qualified"][:3000], cv=3,
                          scoring="roc_auc").mean()
    assert auc > 0.7


@pytest.mark.parametrize("kwargs,name", [
    ({"n_samples": 0}, "n_samples"), ({"women_share": 1.0}, "women_share"),
    ({"history_bias": -1}, "history_bias"), ({"proxy_strength": 5}, "proxy_strength"),
    ({"base_rate": 0}, "base_rate"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ai.InputError, match=name):
        make_resumes(**kwargs)
