"""Token proxies (Monroe et al. 2008) and the tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

import adverse_impact as ai
from adverse_impact._proxies._tokens import log_odds_z, tokenize


def test_tokenizer_keeps_womens_whole_where_sklearn_splits_it():
    text = "Captain, Women's Chess Club; co-founded the club"
    assert "women's" in tokenize(text) and "co-founded" in tokenize(text)
    default = CountVectorizer().fit([text]).get_feature_names_out().tolist()
    assert "women" in default and "women's" not in default
    ours = CountVectorizer(token_pattern=ai.TOKEN_PATTERN).fit([text])
    assert "women's" in ours.get_feature_names_out().tolist()
    assert tokenize("Women\u2019s") == ["women's"]  # curly apostrophe straightened


def _corpus(seed, n=600):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    neutral = [f"w{i}" for i in range(200)]
    texts = []
    for s in sex:
        words = list(rng.choice(neutral, 15))
        if s == "F" and rng.random() < 0.5:
            words.append("women's")
        if s == "M" and rng.random() < 0.4:
            words.append("fraternity")
        texts.append(" ".join(words))
    return texts, sex


def _dense_reference(texts, sex, prior=0.01, min_count=5):
    """The Monroe et al. formula computed token by token with plain numpy."""
    vocab = sorted({t for text in texts for t in tokenize(text)})
    counts = {g: {t: 0 for t in vocab} for g in ("F", "M")}
    for text, s in zip(texts, sex):
        for t in tokenize(text):
            counts[s][t] += 1
    out = {}
    n_f, n_m = sum(counts["F"].values()), sum(counts["M"].values())
    total = n_f + n_m
    alpha0 = prior * total
    for t in vocab:
        y_f, y_m = counts["F"][t], counts["M"][t]
        if y_f + y_m < min_count:
            continue
        a = prior * (y_f + y_m)
        delta = np.log((y_f + a) / (n_f + alpha0 - y_f - a)) - np.log(
            (y_m + a) / (n_m + alpha0 - y_m - a)
        )
        out[t] = delta / np.sqrt(1 / (y_f + a) + 1 / (y_m + a))
    return out


def test_z_scores_equal_a_direct_computation():
    texts, sex = _corpus(0, n=200)
    result = ai.token_proxies(texts, sex)
    reference = _dense_reference(texts, sex)
    frame = result.to_frame()
    female = frame[frame["group"] == "F"].set_index("token")["z"]
    assert set(female.index) == set(reference)
    for token, z in reference.items():
        assert female[token] == pytest.approx(z, rel=1e-9)
    male = frame[frame["group"] == "M"].set_index("token")["z"]
    assert np.allclose(male[female.index], -female)  # two groups: mirror images


@pytest.mark.parametrize("seed", range(5))
def test_planted_tokens_rank_first_and_neutral_tokens_stay_near_zero(seed):
    texts, sex = _corpus(seed)
    result = ai.token_proxies(texts, sex)
    assert result.top(1, group="F")["token"].item() == "women's"
    assert result.top(1, group="M")["token"].item() == "fraternity"
    frame = result.to_frame()
    neutral = frame[frame["token"].str.startswith("w") & (frame["token"] != "women's")]
    assert neutral["z"].abs().quantile(0.95) < 2.5


def test_counts_and_unknown_labels_are_reported():
    texts = ["women's club python", "python sql", None, "sql", "women's chess"] * 4
    sex = ["F", "M", "F", None, "F"] * 4
    result = ai.token_proxies(texts, sex, min_count=1)
    assert result.n_unknown == 4 and result.n_empty == 4 and result.n_documents == 20
    row = result.to_frame().query("token == \"women's\" and group == 'F'").iloc[0]
    assert row["count"] == 8 and row["count_rest"] == 0 and row["doc_share"] == 8 / 12
    assert "women's" in repr(result) and "<table" in result._repr_html_()


def test_vectorised_formula_matches_scalar_for_three_groups():
    counts = np.array([[10, 0, 5], [2, 8, 5], [1, 1, 30]])
    delta, z = log_odds_z(counts, 0.01)
    assert delta.shape == z.shape == (3, 3)
    assert np.isfinite(z).all()


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"texts": "one string", "sensitive_features": ["F"]}, "texts"),
        ({"texts": ["a", "b"], "sensitive_features": ["F"]}, "sensitive_features"),
        ({"texts": ["a", "b"], "sensitive_features": ["F", "F"]}, "sensitive_features"),
        ({"texts": ["a", 3], "sensitive_features": ["F", "M"]}, "texts"),
        ({"texts": ["a", "b"], "sensitive_features": ["F", "M"], "min_count": 0}, "min_count"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises((ai.InputError, ai.InputTypeError), match=name):
        ai.token_proxies(**kwargs)


def test_plot(tmp_path):
    texts, sex = _corpus(1)
    ax = ai.token_proxies(texts, sex).plot(k=5)
    assert len(ax.patches) == 5
