"""The recruiting-tool case study: the 2018 failure reproduced, audited, and "fixed".

:func:`recruiting_tool` runs the whole story on synthetic data with ground
truth (:func:`adverse_impact.datasets.make_resumes`):

1. ten "years" of hiring history skewed against women; a text model
   (TF-IDF + logistic regression) trained on it;
2. the model audited on new applicants: impact ratio, significance, and the
   selection rate among *qualified* applicants, which the ground truth makes
   visible;
3. the proxies: the tokens that mark gender, the ones the model uses, and the
   counterfactual test ("women's" <-> "men's");
4. the obvious fix, stripping explicit gendered terms and retraining, and
   what remains;
5. a post-processing mitigation with fairlearn, and its trade-offs;
6. a cross-validated search for a less discriminatory alternative among
   blinded models (:func:`less_discriminatory_search`).

Every number follows from the generator and the models; nothing is
hard-coded.  The command line runs it as ``adverse-impact case-study``.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._frozen import Copied, read_only, reduce_by_fields
from adverse_impact._core._shape import ResultShape
from adverse_impact._publish._document import Reported

__all__ = [
    "CaseStudyResult",
    "less_discriminatory_search",
    "names_chapter",
    "recruiting_data",
    "recruiting_tool",
    "scrub_gendered_terms",
]


def scrub_gendered_terms(texts: Any, pairs: Any = "gender") -> list[str]:
    """Remove every term of a pair list (``"women's"``, ``"sorority"``, ...) from texts.

    The "obvious fix": make the model blind to explicitly gendered words.
    Word boundaries are those of :data:`adverse_impact.TOKEN_PATTERN`.

    Examples
    --------
    >>> from adverse_impact.case_study import scrub_gendered_terms
    >>> scrub_gendered_terms(["Captain, women's chess club; sorority treasurer"])
    ['Captain, chess club; treasurer']
    """
    from adverse_impact._proxies._counterfactual import _pattern, load_pairs

    pattern = _pattern(load_pairs(pairs))
    out = []
    for text in texts:
        text = pattern.sub("", text)
        out.append(re.sub(r"[ \t]{2,}", " ", re.sub(r"\s+([;,.])", r"\1", text)).strip())
    return out


def _check_n_samples(n_samples: Any) -> None:
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, (int, np.integer))
        or n_samples < 1_000
    ):
        raise input_error(
            "n_samples",
            f"{n_samples!r} is not an integer >= 1,000",
            "Pass at least 1,000 so every group has enough applicants",
        )


def recruiting_data(
    n_samples: int = 20_000, *, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The history, the new applicants and the share advanced, as :func:`recruiting_tool` uses them.

    Step through the case study with exactly the data of the one-call
    summary: the same seeds (derived from ``random_state``), the same number
    of applicants, and the share the model advances (the historical hiring
    rate).

    Returns
    -------
    history : DataFrame
        ``n_samples`` synthetic resumes with historical hiring decisions.
    applicants : DataFrame
        ``n_samples // 2`` (at least 500) new applicants.
    select_top : float
        The historical hiring rate, which the model's top scores reproduce.

    Examples
    --------
    >>> from adverse_impact.case_study import recruiting_data
    >>> history, applicants, share = recruiting_data(2_000, random_state=0)
    >>> len(history), len(applicants), 0 < share < 1
    (2000, 1000, True)
    """
    from adverse_impact.datasets import make_resumes

    _check_n_samples(n_samples)
    seeds = np.random.SeedSequence(random_state).generate_state(4)
    history = make_resumes(n_samples, random_state=int(seeds[0]))
    applicants = make_resumes(max(n_samples // 2, 500), random_state=int(seeds[1]))
    return history, applicants, float(history["hired"].mean())


def _model(random_state: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from adverse_impact._proxies._tokens import TOKEN_PATTERN

    return make_pipeline(
        TfidfVectorizer(token_pattern=TOKEN_PATTERN, min_df=2),
        LogisticRegression(max_iter=2000, C=1.0, random_state=random_state),
    )


def _score_column() -> Any:
    """A fitted 'classifier' whose probability of selection is its one input column."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class ScoreColumn(ClassifierMixin, BaseEstimator):
        classes_ = np.array([False, True])
        n_features_in_ = 1

        def fit(self, X: Any, y: Any = None) -> Any:
            return self

        def predict_proba(self, X: Any) -> np.ndarray:
            column = np.asarray(X, dtype=float)[:, 0]
            return np.column_stack([1 - column, column])

        def predict(self, X: Any) -> np.ndarray:
            return self.predict_proba(X)[:, 1] >= 0.5

        def __sklearn_is_fitted__(self) -> bool:
            return True

    return ScoreColumn()


def less_discriminatory_search(
    history: pd.DataFrame,
    model: Any,
    proxies: list[str],
    *,
    select_top: float,
    random_state: int = 0,
    n_rows: int = 10_000,
    cv: int = 3,
    validity_tolerance: float = 0.005,
    min_gain: float = 0.05,
) -> tuple[Any, dict[str, Any]]:
    """Step 6: search for a less discriminatory alternative among blinded text models.

    The candidates are the model's own features, the features without the
    explicitly gendered terms, and without those and ``proxies`` (in the
    case study: the tokens the model relies on that also mark a gender); each
    is a logistic regression fitted with ``cv``-fold
    cross-validation on the first ``n_rows`` resumes of the history (the
    fitted TF-IDF vocabulary is reused, so only the regressions are refitted).
    Validity is the ROC AUC against the ground truth ``qualified``, not the
    skewed ``hired`` the models learn from.  Gender is never an input.  The
    current practice is the model with all its tokens (step 1).

    Returns the :class:`~adverse_impact.ModelComparison` and its numbers:
    whether some candidate is within ``validity_tolerance`` of the best AUC
    with an impact ratio at least ``min_gain`` higher than the current
    model's (the search says so when none is).
    """
    from sklearn.linear_model import LogisticRegression

    from adverse_impact._proxies._counterfactual import load_pairs
    from adverse_impact._scores._alternatives import search_alternatives

    rows = history.iloc[:n_rows]
    vectorizer = model[0]
    X = vectorizer.transform(rows["resume"])
    vocabulary = list(vectorizer.get_feature_names_out())
    gendered = set(load_pairs("gender"))
    without_terms = [i for i, t in enumerate(vocabulary) if t not in gendered]
    without_proxies = [i for i in without_terms if vocabulary[i] not in set(proxies)]
    result = search_alternatives(
        LogisticRegression(max_iter=2000, C=1.0),
        X,
        rows["hired"],
        {"gender": rows["gender"]},
        feature_sets={
            "all tokens": None,
            "without gendered terms": without_terms,
            "without gendered terms or the top proxies": without_proxies,
        },
        cv=cv,
        random_state=random_state,
        select_top=select_top,
        y_true=rows["qualified"],
        tolerance=validity_tolerance,
        n_resamples=100,
        current=f"all tokens, top {select_top:.1%}",
    )
    table = result.table
    best, current, chosen = _choose_alternative(table, validity_tolerance, min_gain)
    numbers = {
        "proxies_dropped": sorted(proxies),
        "n_rows": len(rows),
        "cv": cv,
        "validity": "roc_auc against qualified",
        "tolerance": validity_tolerance,
        "min_gain": min_gain,
        "best": best["model"],
        "best_auc": float(best["metric"]),
        "best_impact_ratio": float(best["min_impact_ratio"]),
        "current": current["model"],
        "current_auc": float(current["metric"]),
        "current_impact_ratio": float(current["min_impact_ratio"]),
        "found": chosen is not None,
        "chosen": None if chosen is None else chosen["model"],
        "chosen_auc": None if chosen is None else float(chosen["metric"]),
        "chosen_impact_ratio": None if chosen is None else float(chosen["min_impact_ratio"]),
        "sentence": _alternative_sentence(best, current, chosen, validity_tolerance, min_gain),
        "verdict": result.verdict,
        "table": table[_ALTERNATIVE_COLUMNS].to_dict("records"),
    }
    return result, numbers


#: The columns of the search's table kept in the study's numbers.
_ALTERNATIVE_COLUMNS = [
    "model",
    "metric",
    "metric_ci_low",
    "metric_ci_high",
    "precision",
    "min_impact_ratio",
    "ir_ci_low",
    "ir_ci_high",
    "passes_four_fifths",
    "pareto",
    "uses_protected_attribute",
]


def _choose_alternative(
    table: pd.DataFrame, tolerance: float, min_gain: float
) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    """The best lawful candidate, the current model, and the alternative chosen (or None).

    The alternative is within ``tolerance`` of the best validity with an
    impact ratio ``min_gain`` or more above the current model's; of several,
    the highest impact ratio, then the highest validity.
    """
    lawful = table[~table["uses_protected_attribute"]]
    best = lawful.loc[lawful["metric"].idxmax()]
    current = lawful[lawful["is_current"]].iloc[0]
    better = lawful[
        (lawful["metric"] >= best["metric"] - tolerance)
        & (lawful["min_impact_ratio"] >= current["min_impact_ratio"] + min_gain)
    ]
    chosen = (
        better.sort_values(["min_impact_ratio", "metric"], ascending=False).iloc[0]
        if len(better)
        else None
    )
    return best, current, chosen


def _alternative_sentence(
    best: pd.Series,
    current: pd.Series,
    chosen: pd.Series | None,
    tolerance: float,
    min_gain: float,
) -> str:
    """What the search found, in one sentence."""
    if chosen is not None:
        return (
            f"{chosen['model']!r} is within {tolerance} AUC of the best "
            f"candidate (AUC {chosen['metric']:.3f}, best {best['metric']:.3f}) and its "
            f"impact ratio is "
            f"{chosen['min_impact_ratio'] - current['min_impact_ratio']:+.2f}"
            f" above the current model's ({chosen['min_impact_ratio']:.2f} vs "
            f"{current['min_impact_ratio']:.2f}, AUC {current['metric']:.3f})."
        )
    return (
        f"No candidate is within {tolerance} AUC of the best "
        f"({best['model']!r}, {best['metric']:.3f}) with an impact ratio {min_gain} "
        f"or more above the current model's ({current['min_impact_ratio']:.2f}): "
        "the search cannot offer such an alternative."
    )


def _women(result: Any, column: str = "impact_ratio", frame: str = "table") -> float:
    table = result.table if frame == "table" else result.error_rates
    row = table[(table["attribute"] == "gender") & (table["group"] == "female")]
    return float(row[column].iloc[0])


def _lowest(result: Any) -> tuple[float, str]:
    """The lowest impact ratio by gender and whose it is, whichever group is the reference.

    A mitigation can turn the gap round (men become the lower-rate group):
    the women's ratio is then 1.00, and only the lowest ratio says how far
    the two rates are apart.
    """
    table = result.table
    rows = table[(table["attribute"] == "gender") & table["impact_ratio"].notna()]
    low = rows.loc[rows["impact_ratio"].astype(float).idxmin()]
    return float(low["impact_ratio"]), str(low["group"])


def _lowest_words(result: Any) -> str:
    ratio, group = _lowest(result)
    return f"lowest impact ratio by gender {ratio:.2f} ({'women' if group == 'female' else 'men'})"


def _gender_rows(result: Any) -> list[dict[str, Any]]:
    from adverse_impact._core._render import READER_COLUMNS, jsonable

    table = result.table
    rows = table[table["attribute"] == "gender"]
    # The reader's columns, less those every row of one attribute shares or
    # that the case study's text does not report.
    left_out = ("attribute", "flip_flop", "detectable", "note")
    keep = [c for c in READER_COLUMNS if c in rows and c not in left_out]
    return [{k: jsonable(v) for k, v in r.items()} for r in rows[keep].to_dict("records")]


def names_chapter(
    history: pd.DataFrame,
    applicants: pd.DataFrame,
    *,
    select_top: float,
    random_state: int = 0,
    n_templates: int = 1_000,
    n_blocks: int = 125,
) -> tuple[Any, Any, dict[str, Any]]:
    """The 2024 edition: the history-trained model as a black-box screener, names on resumes.

    The same history, with a name on the first line of every resume
    (``make_resumes(..., names=True)``: the same rows and decisions, so the
    women's names carry the history's bias), trains the same kind of model
    (on the first 10,000 resumes, to keep the step cheap).
    :func:`adverse_impact.paired_test` then treats it as a closed screener:

    - *pointwise*: ``n_templates`` new applicants' resumes, each scored once
      with a woman's and once with a man's name (names drawn in balance
      from the shipped 800), the top ``select_top`` of those texts advance;
    - *ranker*: a local stand-in for a language model asked to pick the best
      of eight resumes, built from the same model (its logit plus Gumbel
      noise of scale 0.25, so it samples like a language model, plus a bonus
      of 0.25 to whatever is shown first), on eight applicants' resumes with one name
      per race x sex cell, positions counterbalanced by Latin squares over
      ``n_blocks`` blocks of eight prompts (125 blocks: 1,000 prompts, as in
      the 2024 experiment with GPT-3.5 and GPT-4).

    Returns the two :class:`~adverse_impact.PairedTestResult` objects and
    their numbers.
    """
    from adverse_impact._blackbox._paired import paired_test
    from adverse_impact.datasets import load_names

    rng = np.random.default_rng(random_state)
    model = _names_model(history, rng, random_state)
    templates = ["{name}\n" + text for text in applicants["resume"].iloc[:n_templates]]
    names = load_names()[["name", "sex"]].assign(
        sex=lambda f: f["sex"].map({"W": "female", "M": "male"})
    )
    screener = paired_test(
        model,
        templates,
        signals=names,
        select_top=select_top,
        reference="male",
        random_state=random_state,
    )
    resumes = _middle_resumes(model, applicants)
    ranker = paired_test(
        _stand_in_ranker(model, resumes, names["name"], rng),
        resumes,
        kind="rank",
        n_repeats=n_blocks,
        random_state=random_state,
    )
    return screener, ranker, _names_numbers(screener, ranker, len(templates))


def _names_model(history: pd.DataFrame, rng: np.random.Generator, random_state: int) -> Any:
    """The history-trained model, each resume headed by a name drawn as make_resumes draws it."""
    from adverse_impact.datasets._resumes import _RACES, _names

    # Half the history (at most 10,000 resumes) keeps the step cheap; every
    # name still appears on a dozen resumes or more.  The names are drawn as
    # make_resumes(..., names=True) draws them.
    fit = history.iloc[: min(len(history), 10_000)]
    race_index = fit["race"].map({race: i for i, race in enumerate(_RACES)}).to_numpy()
    written = _names(rng, (fit["gender"] == "female").to_numpy(), race_index)
    return _model(random_state).fit(
        written + "\n" + fit["resume"].to_numpy(dtype=object), fit["hired"]
    )


def _middle_resumes(model: Any, applicants: pd.DataFrame) -> list[str]:
    """Eight equally placed resumes, each with a slot for a name.

    Applicants whose name-free scores are the closest to the median, so that
    the name and the position decide.
    """
    pool = applicants["resume"].iloc[:2_000].tolist()
    plain = model.predict_proba(pool)[:, 1]
    middle = np.argsort(np.abs(plain - np.median(plain)))[:8]
    return ["{name}\n" + pool[i] for i in middle]


def _stand_in_ranker(
    model: Any, resumes: list[str], names: Any, rng: np.random.Generator
) -> Callable[[list[str]], list[int]]:
    """A local stand-in for a language model picking the best of eight resumes.

    The model's logit plus Gumbel noise (it samples like a language model),
    plus a bonus to whatever is shown first.
    """
    # The model's scores of every resume with every name, computed once:
    # the stand-in then answers each prompt from a table, as fast as a lookup.
    every = [text.replace("{name}", name) for text in resumes for name in names]
    logit = dict(zip(every, model.decision_function(every)))

    def stand_in_ranker(texts: list[str]) -> list[int]:
        utility = np.array([logit[t] for t in texts]) + 0.25 * rng.gumbel(size=len(texts))
        utility[0] += 0.25  # primacy: what is shown first looks better
        return np.argsort(-utility).tolist()

    return stand_in_ranker


def _names_numbers(screener: Any, ranker: Any, n_templates: int) -> dict[str, Any]:
    """The names chapter's figures: the pointwise screener's, then the stand-in ranker's."""
    table = screener.table.set_index("group")
    women = table.loc["female"]
    audit = ranker.rankings
    tests = audit.tests

    def p_of(attribute: str, test: str) -> float:
        row = tests[(tests["attribute"] == attribute) & (tests["test"] == test)]
        return float(row["p_value"].iloc[0]) if len(row) else float("nan")

    by_sex = audit.table[audit.table["attribute"] == "sex"].set_index("group")
    return {
        "n_templates": n_templates,
        "n_texts": screener.n_texts,
        "scorer_calls": screener.n_calls,
        "mean_diff_women": float(women["mean_diff"]),
        "ci_low_women": float(women["ci_low"]),
        "ci_high_women": float(women["ci_high"]),
        "p_value_wilcoxon_women": float(women["p_value_wilcoxon"]),
        "p_value_t_women": float(women["p_value_t"]),
        "impact_ratio_women": float(women["impact_ratio"]),
        "only_women_advance": int(women["n_only_group"]),
        "only_men_advance": int(women["n_only_reference"]),
        "p_value_mcnemar_women": float(women["p_value_mcnemar"]),
        "names_flagged": int(screener.name_effects["flagged"].sum()),
        "ranker_prompts": ranker.n_units,
        "ranker_first_rate_women": float(by_sex.loc["W", "rate"]),
        "ranker_first_rate_men": float(by_sex.loc["M", "rate"]),
        "ranker_impact_ratio_women": float(by_sex.loc["W", "impact_ratio"]),
        "ranker_p_value_sex": p_of("sex", "chi_square_gof"),
        "ranker_p_value_sex_within_position": p_of("sex", "cmh_within_position"),
        "ranker_p_value_race": p_of("race", "chi_square_gof"),
        "ranker_first_shown_rate": float(audit.positions["rate"].iloc[0]),
        "ranker_p_value_position": p_of("position", "chi_square_gof"),
    }


def _names_line(p: dict[str, Any]) -> str:
    return (
        f"3b. Names (2024 edition, paired test): with only the name changed, a woman's "
        f"resume scores {p['mean_diff_women']:+.4f} against a man's (95% CI "
        f"{p['ci_low_women']:+.4f} to {p['ci_high_women']:+.4f}, Wilcoxon p = "
        f"{p['p_value_wilcoxon_women']:.2g}, {p['n_templates']} resumes); advance: impact "
        f"ratio {p['impact_ratio_women']:.2f}, {p['only_men_advance']} resumes advance only "
        f"with the man's name, {p['only_women_advance']} only with the woman's (McNemar p = "
        f"{p['p_value_mcnemar_women']:.2g}). A stand-in ranker built from the model, "
        f"{p['ranker_prompts']} prompts of eight, positions counterbalanced: ranked first "
        f"{p['ranker_first_rate_women']:.3f} per woman shown vs {p['ranker_first_rate_men']:.3f} "
        "per man "
        f"(p = {p['ranker_p_value_sex']:.2g}; within position "
        f"{p['ranker_p_value_sex_within_position']:.2g}); "
        f"the first-shown resume wins {p['ranker_first_shown_rate']:.2f} "
        f"(position p = {p['ranker_p_value_position']:.2g})."
    )


def _copy_model(model: Any) -> Any:
    return copy.deepcopy(model)


# Slots are listed in the class body: ``slots=True`` would turn the Copied
# fields into plain slots that hand out the frames and models themselves.
@dataclass(frozen=True, eq=False, repr=False, kw_only=True)
class CaseStudyResult(Reported, ResultShape):
    """Every step's numbers and objects; immutable.

    Returned by :func:`recruiting_tool`.  ``summary()`` tells the story,
    ``to_frame()`` gives the audit by gender at each stage, ``to_dict()``
    every number, ``to_html()`` and ``to_json()`` write the report.

    Attributes
    ----------
    numbers : dict
        Every figure of the story, JSON-ready (see :meth:`to_dict`); a copy.
    audit, audit_scrubbed, audit_mitigated : AuditResult
        The model's audit on new applicants, after the scrub, and after the
        fairlearn mitigation.
    token_proxies, leakage, leakage_scrubbed, counterfactual, recoverability_scrubbed
        The proxy results.
    history, applicants : pandas.DataFrame
        The synthetic data (kept for exploration; never written to reports);
        copies.
    model, model_scrubbed : Pipeline
        The fitted models; copies.
    paired_screener, paired_ranker : PairedTestResult
        The 2024 edition: names on resumes, the model as a black-box screener
        and a stand-in ranker built from it (:func:`names_chapter`).
    timings : Mapping[str, float]
        Seconds each step took (read-only).
    alternatives : ModelComparison
        The search for a less discriminatory alternative (step 6).

    Examples
    --------
    >>> from adverse_impact.case_study import recruiting_tool
    >>> study = recruiting_tool(1_000, random_state=0)
    >>> study.to_frame()[["stage", "group"]].drop_duplicates().shape
    (6, 2)
    >>> study.summary().splitlines()[0]
    'Recruiting-tool case study: 1,000 historical resumes, 500 new applicants (seed 0)'
    >>> study.numbers["params"]["n_samples"] = 0  # a copy: the study is unchanged
    >>> study.numbers["params"]["n_samples"]
    1000
    """

    __slots__ = (
        "_numbers",
        "paired_screener",
        "paired_ranker",
        "audit",
        "audit_scrubbed",
        "audit_mitigated",
        "token_proxies",
        "leakage",
        "leakage_scrubbed",
        "counterfactual",
        "recoverability_scrubbed",
        "_history",
        "_applicants",
        "_model",
        "_model_scrubbed",
        "timings",
        "alternatives",
    )

    numbers: dict[str, Any] = Copied(copy.deepcopy)
    paired_screener: Any
    paired_ranker: Any
    audit: Any
    audit_scrubbed: Any
    audit_mitigated: Any
    token_proxies: Any
    leakage: Any
    leakage_scrubbed: Any
    counterfactual: Any
    recoverability_scrubbed: Any
    history: pd.DataFrame = Copied(pd.DataFrame.copy)
    applicants: pd.DataFrame = Copied(pd.DataFrame.copy)
    model: Any = Copied(_copy_model)
    model_scrubbed: Any = Copied(_copy_model)
    timings: Mapping[str, float]
    alternatives: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "_numbers", copy.deepcopy(self._numbers))
        object.__setattr__(self, "timings", read_only(self.timings))

    __reduce__ = reduce_by_fields

    def _stages(self) -> list[tuple[str, Any]]:
        """The three audited stages: the model, after the scrub, after the mitigation."""
        return [
            ("Model", self.audit),
            ("After scrub", self.audit_scrubbed),
            ("After mitigation", self.audit_mitigated),
        ]

    def to_frame(self) -> pd.DataFrame:
        """The audit by gender at each stage: one row per (stage, group).

        Columns: ``stage``, ``group``, ``n``, ``selected``, ``rate``,
        ``impact_ratio``, ``ir_ci_low``, ``ir_ci_high`` and
        ``p_value_fisher`` (NaN where an audit has none).
        """
        columns = ["group", "n", "selected", "rate", "impact_ratio"]
        columns += ["ir_ci_low", "ir_ci_high", "p_value_fisher"]
        frames = []
        for stage, result in self._stages():
            table = result.table
            rows = table.loc[table["attribute"] == "gender"].reindex(columns=columns)
            frames.append(rows.assign(stage=stage)[["stage", *columns]])
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """All numbers of the study (aggregates only) and the table, JSON-ready."""
        from adverse_impact._core._render import jsonable

        out = jsonable(self._numbers)
        out["table"] = [
            {str(k): jsonable(v) for k, v in row.items()}
            for row in self.to_frame().to_dict(orient="records")
        ]
        return out

    def to_json(self, path: str | Path | None = None) -> str:
        """The numbers as JSON, written atomically to ``path`` when given."""
        import json

        from adverse_impact._core._io import write_atomic

        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        if path is not None:
            write_atomic(path, text)
        return text

    def summary(self) -> str:
        """The story in a dozen lines of plain text."""
        n = self._numbers
        a, s, m = n["audit"], n["scrub"], n["mitigation"]
        # The overall mean change hides the two directions (women's -> men's
        # raises scores, men's -> women's lowers them): report each group.
        by_group = {
            row["group"]: row["mean_change"] for row in n["proxies"]["counterfactual_by_group"]
        }
        nan = float("nan")
        lines = [
            f"Recruiting-tool case study: {n['data']['n_history']:,} historical resumes, "
            f"{n['data']['n_applicants']:,} new applicants (seed {n['params']['random_state']})",
            f"1. History: women hired at {n['data']['history_impact_ratio']:.2f} times "
            "the men's rate, though equally qualified by construction.",
            f"2. Model audit (top {n['params']['select_top']:.0%} advance): women's impact "
            f"ratio {a['impact_ratio_women']:.2f} (95% CI {a['ci_low_women']:.2f} to "
            f"{a['ci_high_women']:.2f}, Fisher p = {a['p_value_women']:.2g}); among qualified "
            f"applicants women advance at {a['qualified_ratio_women']:.2f} times the men's rate.",
            "3. Proxies: top tokens marking women: "
            f"{', '.join(n['proxies']['top_tokens_women'][:5])}. The model's most used "
            f"proxies: {', '.join(n['proxies']['top_leakage'][:5])}. "
            f"Swapping gendered terms changes {n['proxies']['counterfactual_n_swapped']:,} "
            f"scores: women's resumes gain {by_group.get('female', nan):+.3f} on average, "
            f"men's {by_group.get('male', nan):+.3f}; "
            f"{n['proxies']['counterfactual_flip_rate']:.1%} of their decisions flip.",
            _names_line(n["names"]),
            f"4. Scrubbing explicit gendered terms and retraining: "
            f"{_lowest_words(self.audit_scrubbed)}; gender still recoverable from the text with "
            f"ROC AUC {s['recoverability_auc']:.2f}; the model's top proxies now: "
            f"{', '.join(s['top_leakage'][:4])}.",
            f"5. fairlearn ThresholdOptimizer (demographic parity): "
            f"{_lowest_words(self.audit_mitigated)}, qualified-rate ratio (women / men) "
            f"{m['qualified_ratio_women']:.2f}, share of those advanced who are qualified "
            f"{m['precision']:.2f} (model: {a['precision']:.2f}), {m['selected_share']:.0%} "
            "advanced. It uses gender at decision time: see the notes on its legal limits.",
        ]
        if "alternatives" in n:
            lines.append(
                "6. Search for a less discriminatory alternative (cross-validated, "
                f"validity = AUC against qualified): {n['alternatives']['sentence']}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _verdict(self) -> str:
        """The study's finding in one sentence, with the lowest ratio at each stage."""
        prefix = "lowest impact ratio by gender "
        words = [
            f"{title.lower()}: {_lowest_words(result).removeprefix(prefix)}"
            for title, result in self._stages()
        ]
        return (
            "The lowest impact ratio by gender (the lower-rate group's rate over the "
            "other's) at each step of the study: " + "; ".join(words) + "; each stage is "
            "judged on its own by the four-fifths rule of thumb, with no correction for "
            "their number."
        )

    def _document(self) -> Any:
        """The study's report for the publication layer (``_publish._document``)."""
        from adverse_impact._core._render import Footnotes
        from adverse_impact._publish._document import Document, Section, Text

        n = self._numbers
        story = self.summary().splitlines()
        notes = Footnotes()
        sections = [
            Section("The story, step by step", tuple(Text(line) for line in story[1:])),
            *self._chart_sections(),
            *self._audit_sections(notes),
            *self._proxy_sections(),
            *self._alternative_sections(),
        ]
        return Document(
            title="Recruiting-tool case study",
            verdict=self._verdict(),
            passes=None,  # a story, not a gate: the finding is stated, not passed or failed
            facts=(
                f"{story[0].removeprefix('Recruiting-tool case study: ')}; the model "
                f"advances the top "
                f"{n['params']['select_top']:.1%} of scores (the historical hiring rate).",
                n["notes"]["data"],
            ),
            sections=tuple(sections),
            key=_KEY,
            notes=tuple(notes.texts),
            method=_METHOD,
            legal=("four_fifths", "alternatives"),
        )

    def _chart_sections(self) -> list[Any]:
        """Bars of the lowest impact ratio by stage, and of the qualified women's ratio."""
        from adverse_impact._core._render import FOUR_FIFTHS_LINE, svg_bars
        from adverse_impact._publish._document import Figure, Section

        n = self._numbers
        lowest = [_lowest(result) for _, result in self._stages()]
        stages = [
            f"{title}: {'women' if group == 'female' else 'men'}"
            for (title, _), (_, group) in zip(self._stages(), lowest)
        ]
        ratios = [ratio for ratio, _ in lowest]
        titles = [title for title, _ in self._stages()]
        qualified = [
            n["audit"]["qualified_ratio_women"],
            n["scrub"]["qualified_ratio_women"],
            n["mitigation"]["qualified_ratio_women"],
        ]

        def values(labels: list[str], numbers: list[float]) -> str:
            return "; ".join(f"{label} {value:.2f}" for label, value in zip(labels, numbers))

        lowest_chart = Figure(
            svg_bars(
                "Lowest impact ratio by gender, by stage",
                stages,
                ratios,
                flags=[r < FOUR_FIFTHS_LINE for r in ratios],
                line=FOUR_FIFTHS_LINE,
            ),
            "The lower-rate group's impact ratio at each stage (the group is named: the "
            "mitigation can turn the gap round); the dashed line is four-fifths (0.8); * "
            "marks a ratio below it",
            alt=f"the lowest impact ratio by gender at each stage: {values(stages, ratios)}",
        )
        qualified_chart = Figure(
            svg_bars(
                "Qualified women's advance rate relative to qualified men's",
                titles,
                qualified,
                line=FOUR_FIFTHS_LINE,
                flags=[r < FOUR_FIFTHS_LINE for r in qualified],
                x_max=max([1.0, *qualified]),
            ),
            "Qualified women's rate over qualified men's; the dashed line is four-fifths "
            "(0.8); * marks a ratio below it",
            alt="qualified women's advance rate over qualified men's at each stage: "
            + values(titles, qualified),
        )
        return [
            Section("Lowest impact ratio by gender at each stage", (lowest_chart,)),
            Section("Selection among qualified applicants (women / men)", (qualified_chart,)),
        ]

    def _audit_sections(self, notes: Any) -> list[Any]:
        """Each stage's audit by gender, its marks in words and its numbered notes."""
        from adverse_impact._core._render import audit_rows
        from adverse_impact._publish._document import Section, Table, Text

        columns = [
            ("group", "group"),
            ("n", "applicants"),
            ("selected", "advanced"),
            ("rate", "rate advanced"),
            ("ratio", "impact ratio"),
            ("interval", "95% interval"),
            ("p", "p-value (Fisher)"),
            ("shortfall", "shortfall (people)"),
            ("flag", "flag"),
            ("notes", "notes"),
        ]
        sections = []
        for title, result in self._stages():
            table = result.table[result.table["attribute"] == "gender"]
            rows = audit_rows(
                table,
                notes,
                alpha=result.params.get("alpha"),
                p_column="p_value_fisher" if "p_value_fisher" in table else None,
            )
            blocks: list[Any] = [
                Table(
                    tuple(h for _, h in columns),
                    tuple(tuple(r[k] for k, _ in columns) for r in rows),
                    left=(0, 8, 9),
                    row_classes=tuple(r["classes"] for r in rows),
                )
            ]
            if result is self.audit_mitigated:
                # Its legal limit belongs beside its figures, not only at the foot.
                blocks.append(Text(self._numbers["notes"]["mitigation"]))
            sections.append(Section(f"{title}: audit by gender", tuple(blocks)))
        return sections

    def _proxy_sections(self) -> list[Any]:
        """The tokens that mark women, and the proxies each model uses."""
        from adverse_impact._publish._document import Section, Table

        marking = self.token_proxies.top(10, group="female")
        columns = {
            "token": "token",
            "count": "count (women)",
            "count_rest": "count (men)",
            "doc_share": "share of women's resumes",
            "doc_share_rest": "share of men's resumes",
            "z": "z",
        }
        tokens = marking[list(columns)].rename(columns=columns)
        return [
            Section("Tokens that mark women (history)", (Table.from_frame(tokens),)),
            Section("Proxies the model uses", (Table.from_frame(self.leakage.top(10)),)),
            Section(
                "Proxies the scrubbed model uses",
                (Table.from_frame(self.leakage_scrubbed.top(10)),),
            ),
        ]

    def _alternative_sections(self) -> list[Any]:
        """The search for a less discriminatory alternative, when the study ran it."""
        from adverse_impact._publish._document import Section, Text
        from adverse_impact._scores._alternatives import GROUP_CUTOFF_NOTE

        found = self._numbers.get("alternatives")
        if found is None:
            return []
        return [
            Section(
                "Less discriminatory alternatives (cross-validated search)",
                (
                    Text(found["sentence"]),
                    _alternatives_table(found["table"]),
                    Text(GROUP_CUTOFF_NOTE),
                ),
            )
        ]


def _alternatives_table(rows: list[dict[str, Any]]) -> Any:
    """The search's candidates in words: validity and lowest ratio, each with its interval."""
    from adverse_impact._core._render import fmt, fmt_interval
    from adverse_impact._publish._document import Table

    def yes(value: Any) -> str:
        return "yes" if value else "no"

    return Table(
        (
            "model",
            "validity (AUC)",
            "95% interval",
            "precision",
            "lowest impact ratio",
            "95% interval",
            "passes 4/5",
            "on the frontier",
            "reads gender",
        ),
        tuple(
            (
                str(r["model"]),
                fmt(r["metric"]),
                fmt_interval(r["metric_ci_low"], r["metric_ci_high"], 3),
                fmt(r["precision"]),
                fmt(r["min_impact_ratio"]),
                fmt_interval(r["ir_ci_low"], r["ir_ci_high"]),
                yes(r["passes_four_fifths"]),
                yes(r["pareto"]),
                yes(r["uses_protected_attribute"]),
            )
            for r in rows
        ),
        left=(0, 6, 7, 8),
    )


#: The key to the marks of the case study's tables and charts.
_KEY = (
    (
        "below 4/5",
        "impact ratio under 0.8, the four-fifths rule of thumb (29 CFR 1607.4(D)); red "
        "bars, values ending in *",
    ),
    ("(reference)", "the group the others are compared with (the higher-rate group)"),
    ("z", "how strongly a token marks women's resumes: the z of its log-odds ratio"),
    (
        "on the frontier",
        "Pareto-optimal: no other candidate is better on both validity and lowest impact ratio",
    ),
    (
        "reads gender",
        "the rule uses gender at decision time: shown for comparison, never offered",
    ),
)

#: How the study's figures were computed (the report's Method section).
_METHOD = (
    "Data: make_resumes' synthetic resumes; ten years of hiring history skewed against "
    "women, then new applicants; women and men are equally qualified by construction.",
    "Model: TF-IDF of the resume text and a logistic regression, trained on the history's "
    "hiring decisions; it advances the top share of new applicants' scores.",
    "Impact ratio: a group's rate of advance over the higher-rate group's; the lowest "
    "ratio by gender is reported whichever group it is; 95% interval by Katz's log "
    "method; p-value by Fisher's exact test.",
    "Among the qualified: the same ratio among applicants the ground truth marks as "
    "qualified (the ratio of true-positive rates).",
    "Proxies: tokens over-represented among women's resumes (z of the log-odds ratio, "
    "women against the rest); the proxies a model uses ranked by leakage, a feature's "
    "association with gender times its influence on the model; the counterfactual swap "
    "of gendered terms (women's <-> men's).",
    "Names: a paired test, each resume scored with a woman's and a man's name; a stand-in "
    "ranker on counterbalanced prompts of eight.",
    "Scrub: every explicitly gendered term removed, the model retrained; recoverability "
    "is the cross-validated ROC AUC of predicting gender from the scrubbed text.",
    "Mitigation: fairlearn's ThresholdOptimizer (demographic parity) on the scrubbed "
    "model's scores.",
    "Alternatives: candidate feature sets fitted with cross-validation; validity is the "
    "ROC AUC against the ground truth, not the skewed hiring labels.",
)


def recruiting_tool(
    n_samples: int = 20_000,
    *,
    random_state: int = 0,
    select_top: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> CaseStudyResult:
    """Reproduce the 2018 recruiting-tool failure end to end, and audit it.

    Parameters
    ----------
    n_samples : int, default 20,000
        Historical resumes; half as many new applicants are audited.
    random_state : int, default 0
        Seeds the data, the models and the mitigation.
    select_top : float, optional
        Share of new applicants the model advances (its top scores); default
        the historical hiring rate.
    progress : callable, optional
        Called with a short message as each step starts (the command line
        prints them).

    Returns
    -------
    CaseStudyResult
        ``summary()`` tells the story; ``numbers`` holds every figure;
        ``to_html()`` and ``to_json()`` write the report.

    Notes
    -----
    The data are synthetic (:func:`adverse_impact.datasets.make_resumes`),
    designed after the Reuters report of 10 October 2018; the figures show
    the mechanism, not Amazon's numbers, which were never published.

    Examples
    --------
    >>> from adverse_impact.case_study import recruiting_tool
    >>> study = recruiting_tool(4_000, random_state=0)
    >>> study.numbers["audit"]["impact_ratio_women"] < 0.8
    True
    >>> study.numbers["proxies"]["top_tokens_women"][0]
    "women's"
    """
    from adverse_impact._audits._model import audit_model

    _check_n_samples(n_samples)
    steps = _Steps(progress)

    steps.start("generate", "Generating ten years of skewed hiring history and new applicants")
    history, applicants, hiring_rate = recruiting_data(n_samples, random_state=random_state)
    share = _select_share(select_top, hiring_rate)
    groups = applicants[["gender", "race"]]

    steps.start("train", "Training TF-IDF + logistic regression on the history")
    model = _model(random_state).fit(history["resume"], history["hired"])

    steps.start("audit", "Auditing the model on new applicants")
    audit = audit_model(
        model, applicants["resume"], groups, select_top=share, y_true=applicants["qualified"]
    )

    steps.start("proxies", "Looking for proxies: tokens, model reliance, counterfactual swaps")
    proxies = _find_proxies(history, applicants, model, share)

    steps.start("names", "Paired tests: names on resumes, the model as a black-box screener")
    names = names_chapter(history, applicants, select_top=share, random_state=random_state)

    steps.start("scrub", "Scrubbing explicit gendered terms and retraining")
    scrub = _scrub(history, applicants, share, random_state)

    steps.start("mitigate", "Post-processing with fairlearn's ThresholdOptimizer")
    mitigated = _mitigate(history, applicants, scrub, random_state)

    steps.start("alternatives", "Searching for a less discriminatory alternative")
    alternatives = _search(history, model, proxies, share, random_state)
    steps.stop()

    return _study(
        {"n_samples": int(n_samples), "random_state": random_state, "select_top": share},
        steps.timings,
        history=history,
        applicants=applicants,
        model=model,
        audit=audit,
        proxies=proxies,
        names=names,
        scrub=scrub,
        mitigated=mitigated,
        alternatives=alternatives,
    )


def _search(
    history: pd.DataFrame, model: Any, proxies: dict[str, Any], share: float, random_state: int
) -> tuple[Any, dict[str, Any]]:
    """Step 6: the search for a less discriminatory alternative, and its numbers."""
    # The proxies to drop: tokens the model relies on (step 3) that also mark a gender.
    tokens = proxies["token_proxies"]
    marking = {t for g in ("female", "male") for t in tokens.top(30, group=g)["token"]}
    return less_discriminatory_search(
        history,
        model,
        [t for t in proxies["top_leakage"] if t in marking],
        select_top=share,
        random_state=random_state,
    )


def _study(
    params: dict[str, Any],
    timings: dict[str, float],
    *,
    history: pd.DataFrame,
    applicants: pd.DataFrame,
    model: Any,
    audit: Any,
    proxies: dict[str, Any],
    names: tuple[Any, Any, dict[str, Any]],
    scrub: dict[str, Any],
    mitigated: dict[str, Any],
    alternatives: tuple[Any, dict[str, Any]],
) -> CaseStudyResult:
    """The study's result from the steps' outputs: every figure, and the objects behind them."""
    paired_screener, paired_ranker, names_numbers = names
    alternatives_result, alternatives_numbers = alternatives
    numbers = {
        "params": params,
        "data": _data_numbers(history, applicants),
        "audit": _audit_numbers(audit),
        "proxies": _proxy_numbers(history, proxies),
        "names": names_numbers,
        "scrub": _scrub_numbers(scrub),
        "mitigation": _mitigation_numbers(applicants, mitigated),
        "notes": dict(_NOTES),
        "alternatives": alternatives_numbers,
        "timings_seconds": timings,
    }
    return CaseStudyResult(
        numbers=numbers,
        paired_screener=paired_screener,
        paired_ranker=paired_ranker,
        audit=audit,
        audit_scrubbed=scrub["audit"],
        audit_mitigated=mitigated["audit"],
        token_proxies=proxies["token_proxies"],
        leakage=proxies["leakage"],
        leakage_scrubbed=scrub["leakage"],
        counterfactual=proxies["counterfactual"],
        recoverability_scrubbed=scrub["recoverability"],
        history=history,
        applicants=applicants,
        model=model,
        model_scrubbed=scrub["model"],
        timings=timings,
        alternatives=alternatives_result,
    )


def _select_share(select_top: float | None, hiring_rate: float) -> float:
    """The share the model advances: ``select_top``, by default the historical hiring rate."""
    share = hiring_rate if select_top is None else float(select_top)
    if not 0 < share < 1:
        raise input_error(
            "select_top",
            f"{select_top!r} is not in (0, 1)",
            "Pass the share of applicants the model advances, e.g. 0.3",
        )
    return share


class _Steps:
    """The study's steps: each reported (``progress``) as it starts, and timed."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.say = progress or (lambda message: None)
        self.timings: dict[str, float] = {}
        self.current: tuple[str, float] | None = None

    def start(self, name: str, message: str) -> None:
        self.stop()
        self.current = (name, time.perf_counter())
        self.say(message)

    def stop(self) -> None:
        if self.current is not None:
            name, began = self.current
            self.timings[name] = round(time.perf_counter() - began, 3)
            self.current = None


def _find_proxies(
    history: pd.DataFrame, applicants: pd.DataFrame, model: Any, share: float
) -> dict[str, Any]:
    """Step 3: the tokens that mark gender, the ones the model uses, the counterfactual swaps."""
    from adverse_impact._proxies._counterfactual import counterfactual_test
    from adverse_impact._proxies._scan import proxy_leakage
    from adverse_impact._proxies._tokens import token_proxies

    tokens = token_proxies(history["resume"], history["gender"])
    leakage = proxy_leakage(model, applicants["resume"], applicants["gender"])
    return {
        "token_proxies": tokens,
        "leakage": leakage,
        "counterfactual": counterfactual_test(
            model, applicants["resume"], select_top=share, sensitive_features=applicants["gender"]
        ),
        "top_leakage": leakage.top(20)["feature"].tolist(),
    }


def _scrub(
    history: pd.DataFrame, applicants: pd.DataFrame, share: float, random_state: int
) -> dict[str, Any]:
    """Step 4: explicit gendered terms stripped, the model retrained, audited, probed."""
    from adverse_impact._audits._model import audit_model
    from adverse_impact._proxies._scan import proxy_leakage, recoverability

    history_scrubbed = scrub_gendered_terms(history["resume"])
    applicants_scrubbed = scrub_gendered_terms(applicants["resume"])
    model = _model(random_state).fit(history_scrubbed, history["hired"])
    return {
        "history": history_scrubbed,
        "applicants": applicants_scrubbed,
        "model": model,
        "audit": audit_model(
            model,
            applicants_scrubbed,
            applicants[["gender", "race"]],
            select_top=share,
            y_true=applicants["qualified"],
        ),
        "recoverability": recoverability(
            applicants_scrubbed, applicants["gender"], cv=3, random_state=random_state
        ),
        "leakage": proxy_leakage(model, applicants_scrubbed, applicants["gender"]),
    }


def _mitigate(
    history: pd.DataFrame, applicants: pd.DataFrame, scrub: dict[str, Any], random_state: int
) -> dict[str, Any]:
    """Step 5: fairlearn's ThresholdOptimizer on the scrubbed model's scores, audited."""
    from fairlearn.postprocessing import ThresholdOptimizer

    from adverse_impact._audits._audit import audit as run_audit

    # fairlearn wants 2-D input: hand it the scrubbed model's scores as one column.
    optimizer = ThresholdOptimizer(
        estimator=_score_column(),
        constraints="demographic_parity",
        objective="accuracy_score",
        prefit=True,
        predict_method="predict_proba",
    )
    model = scrub["model"]
    history_scores = model.predict_proba(scrub["history"])[:, 1:]
    optimizer.fit(history_scores, history["hired"], sensitive_features=history["gender"])
    decisions = optimizer.predict(
        model.predict_proba(scrub["applicants"])[:, 1:],
        sensitive_features=applicants["gender"],
        random_state=random_state,
    )
    selected = np.asarray(decisions, dtype=int)
    qualified = applicants["qualified"].to_numpy()
    return {
        "decisions": np.asarray(decisions, dtype=bool),
        "audit": run_audit(selected=selected, sensitive_features=applicants[["gender", "race"]]),
        "qualified": run_audit(
            selected=selected[qualified],
            sensitive_features={"gender": applicants["gender"][qualified]},
        ),
    }


def _precision(result: Any) -> float:
    """Share of those the model advanced who are qualified (from its error rates)."""
    rates = result.error_rates
    rows = rates[rates["attribute"] == "gender"]
    return float(rows["tp"].sum() / rows["selected"].sum())


def _data_numbers(history: pd.DataFrame, applicants: pd.DataFrame) -> dict[str, Any]:
    history_rates = history.groupby("gender")["hired"].mean()
    return {
        "n_history": len(history),
        "n_applicants": len(applicants),
        "women_share": float((history["gender"] == "female").mean()),
        "history_hire_rate_women": float(history_rates["female"]),
        "history_hire_rate_men": float(history_rates["male"]),
        "history_impact_ratio": float(history_rates["female"] / history_rates["male"]),
        "qualified_rate_women": float(
            applicants.loc[applicants["gender"] == "female", "qualified"].mean()
        ),
        "qualified_rate_men": float(
            applicants.loc[applicants["gender"] == "male", "qualified"].mean()
        ),
    }


def _audit_numbers(audit: Any) -> dict[str, Any]:
    return {
        "impact_ratio_women": _women(audit),
        "ci_low_women": _women(audit, "ir_ci_low"),
        "ci_high_women": _women(audit, "ir_ci_high"),
        "p_value_women": _women(audit, "p_value_fisher"),
        "significant_women": bool(_women(audit, "significant")),
        "qualified_ratio_women": _women(audit, "tpr_ratio", "error_rates"),
        "precision": _precision(audit),
        "gender": _gender_rows(audit),
        "min_intersectional_ratio": float(
            audit.table.loc[audit.table["attribute"] == "gender x race", "impact_ratio"].min()
        ),
    }


def _proxy_numbers(history: pd.DataFrame, proxies: dict[str, Any]) -> dict[str, Any]:
    planted = history.attrs["proxy_tokens"]
    planted_women = {
        token for token, spec in planted.items() if spec["rate_women"] > spec["rate_men"]
    }
    top_leakage = proxies["top_leakage"]
    counterfactual = proxies["counterfactual"]
    return {
        "top_tokens_women": proxies["token_proxies"].top(10, group="female")["token"].tolist(),
        "top_leakage": top_leakage,
        "rank_womens": proxies["leakage"].rank("women's"),
        "planted_in_top20": sorted(planted_women & set(top_leakage)),
        "recall_planted_top20": len(planted_women & set(top_leakage)) / len(planted_women),
        "counterfactual_n_swapped": counterfactual.n_swapped,
        "counterfactual_mean_change": counterfactual.mean_change,
        "counterfactual_max_abs_change": counterfactual.max_abs_change,
        "counterfactual_flip_rate": counterfactual.flip_rate,
        "counterfactual_by_group": counterfactual.by_group.to_dict("records"),
    }


def _scrub_numbers(scrub: dict[str, Any]) -> dict[str, Any]:
    audit, recover = scrub["audit"], scrub["recoverability"]
    return {
        "impact_ratio_women": _women(audit),
        "p_value_women": _women(audit, "p_value_fisher"),
        "qualified_ratio_women": _women(audit, "tpr_ratio", "error_rates"),
        "precision": _precision(audit),
        "recoverability_auc": recover.roc_auc,
        "recoverability_balanced_accuracy": recover.balanced_accuracy,
        "top_leakage": scrub["leakage"].top(10)["feature"].tolist(),
    }


def _mitigation_numbers(applicants: pd.DataFrame, mitigated: dict[str, Any]) -> dict[str, Any]:
    decisions = mitigated["decisions"]
    qualified = applicants["qualified"].to_numpy()
    return {
        "method": "fairlearn ThresholdOptimizer(constraints='demographic_parity') on the "
        "scrubbed model",
        "impact_ratio_women": _women(mitigated["audit"]),
        "qualified_ratio_women": float(
            mitigated["qualified"].table.set_index("group").loc["female", "impact_ratio"]
        ),
        "precision": float(qualified[decisions].mean()),
        "selected_share": float(decisions.mean()),
    }


_NOTES = {
    "mitigation": (
        "ThresholdOptimizer applies a different cut-off by gender, so it reads gender "
        "at decision time. In US employment law, adjusting scores or cut-offs by sex "
        "or race is prohibited (Title VII, 42 U.S.C. 2000e-2(l)); the step shows the "
        "trade-off, not a compliant fix. It is fitted on the biased historical labels, "
        "so it equalises selection rates, not the treatment of qualified applicants."
    ),
    "data": (
        "Synthetic data from adverse_impact.datasets.make_resumes, designed after "
        "the Reuters report (Dastin, 10 October 2018); women and men are equally "
        "qualified by construction, so gaps among qualified applicants are bias."
    ),
}


def run_cli(args: Any) -> int:
    """The ``adverse-impact case-study`` command."""
    import sys

    start = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f} s] {message} ...", file=sys.stderr, flush=True)

    study = recruiting_tool(args.n_samples, random_state=args.seed, progress=progress)
    out = Path(args.out)
    study.to_html(out / "case-study.html")
    study.to_json(out / "case-study.json")
    print(study.summary())
    print(f"\nReport: {out / 'case-study.html'}\nNumbers: {out / 'case-study.json'}")
    return 0
