"""Less discriminatory alternatives: models side by side on validity and adverse impact."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._audits._audit import audit
from adverse_impact._audits._scoring import decide, model_scores
from adverse_impact._core._errors import AdverseImpactError, input_error, type_error
from adverse_impact._core._groups import code_groups
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import axes, decisive, frame_block, jsonable
from adverse_impact._core._validation import (
    check_binary_labels,
    check_rows,
    check_share,
    check_unknown,
)
from adverse_impact._publish._document import Reported
from adverse_impact._scores import PUBLIC

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from adverse_impact._audits._result import AuditResult

__all__ = list(PUBLIC["_alternatives"])

#: Why a decision-time use of the protected attribute is shown but never proposed.
GROUP_CUTOFF_NOTE = (
    "Group-specific cut-offs read the protected attribute at decision time. Adjusting scores "
    "or cut-offs by race, color, religion, sex or national origin is unlawful in US "
    "employment (Title VII, 42 U.S.C. 2000e-2(l)); shown for comparison only, never "
    "proposed as an alternative."
)

_METRICS = ("roc_auc", "average_precision")
#: The verdict names (and the bootstrap measures) at most this many alternatives.
_VERDICT_MAX = 5


# -- the validity metric, fast under the bootstrap -------------------------------------


class _AUC:
    """ROC AUC (Mann-Whitney, ties counted half) under row multiplicities, in O(n).

    Called with one weight vector, or with a (B, n) matrix of them (one
    bootstrap resample per row) to get all B values in one vectorised pass:
    the scores are sorted once, tied scores form contiguous blocks, and each
    resample's AUC is a sum over blocks of positives times the negatives below.
    """

    def __init__(self, scores: np.ndarray, truth: np.ndarray) -> None:
        order = np.argsort(scores, kind="stable")
        ordered = scores[order]
        self.order = order
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.positive = truth[order].astype(bool)

    def __call__(self, weights: np.ndarray) -> Any:
        w = np.atleast_2d(weights)[:, self.order]
        pos = np.where(self.positive, w, 0.0)
        neg = w - pos
        if len(self.starts) < w.shape[1]:  # ties: one block per distinct score
            pos = np.add.reduceat(pos, self.starts, axis=1)
            neg = np.add.reduceat(neg, self.starts, axis=1)
        total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
        below = np.cumsum(neg, axis=1) - neg  # negatives with a strictly lower score
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = np.einsum("bk,bk->b", pos, below + 0.5 * neg) / (total_pos * total_neg)
        auc = np.where((total_pos > 0) & (total_neg > 0), auc, np.nan)
        return float(auc[0]) if np.ndim(weights) == 1 else auc


def _metric_function(
    metric: Any, scores: np.ndarray, truth: np.ndarray
) -> Callable[[np.ndarray], float]:
    """``f(weights) -> value`` of the validity metric (weights: row multiplicities)."""
    if metric == "roc_auc":
        return _AUC(scores, truth)
    if metric == "average_precision":
        from sklearn.metrics import average_precision_score

        return lambda w: float(average_precision_score(truth, scores, sample_weight=w))
    return lambda w: float(
        metric(truth[w > 0], scores[w > 0])
        if np.all(w <= 1)
        else metric(np.repeat(truth, w.astype(int)), np.repeat(scores, w.astype(int)))
    )


class _Metrics:
    """The validity metric of each distinct score vector, built and evaluated once."""

    def __init__(self, metric: Any, truth: np.ndarray) -> None:
        self.metric, self.truth = metric, truth
        self.functions: dict[int, Callable[[np.ndarray], Any]] = {}
        self.values: dict[int, float] = {}

    def function(self, scores: np.ndarray) -> Callable[[np.ndarray], Any]:
        key = id(scores)
        if key not in self.functions:
            self.functions[key] = _metric_function(self.metric, scores, self.truth)
        return self.functions[key]

    def value(self, scores: np.ndarray) -> float:
        key = id(scores)
        if key not in self.values:
            self.values[key] = float(self.function(scores)(np.ones(len(self.truth))))
        return self.values[key]


def _check_metric(metric: Any) -> str:
    if callable(metric):
        return getattr(metric, "__name__", "metric")
    if metric not in _METRICS:
        raise input_error(
            "metric",
            f"{metric!r} is not supported",
            f"Use one of {list(_METRICS)!r} or a callable f(y_true, scores)",
        )
    return str(metric)


# -- the comparison -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    scores: np.ndarray
    select_top: Any
    threshold: Any
    decisions: np.ndarray | None = None  # set for decision-time rules (group cut-offs)
    uses_protected_attribute: bool = False


_TABLE_COLUMNS = [
    "model",
    "metric",
    "metric_ci_low",
    "metric_ci_high",
    "precision",
    "recall",
    "selected_share",
    "min_impact_ratio",
    "ir_ci_low",
    "ir_ci_high",
    "worst_group",
    "n_flagged",
    "passes_four_fifths",
    "pareto",
    "is_current",
    "metric_diff",
    "metric_diff_ci_low",
    "metric_diff_ci_high",
    "ir_diff",
    "ir_diff_ci_low",
    "ir_diff_ci_high",
    "less_discriminatory",
    "uses_protected_attribute",
    "note",
]


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ModelComparison(Reported):
    """Models side by side; returned by :func:`compare_models` and :func:`search_alternatives`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model: ``metric`` (validity) with its bootstrap interval
        (current model and the alternatives the verdict names),
        ``precision`` (qualified share of those selected), ``recall`` (share
        of the qualified who are selected), ``selected_share``, the lowest
        impact ratio over every group (``min_impact_ratio``, interval,
        ``worst_group``), ``n_flagged`` and ``passes_four_fifths`` (exact
        four-fifths rule), ``pareto`` (not dominated on validity and lowest
        impact ratio), the paired differences from the current model
        (``metric_diff``, ``ir_diff``, with intervals), ``less_discriminatory``
        and ``uses_protected_attribute`` (decision-time rules, never proposed).
    impact_ratios : pandas.DataFrame
        One row per (model, attribute, group) from the audits.
    current : str
    metric_name : str
    tolerance : float
    verdict : str
        The answer in words.
    candidates : pandas.DataFrame or None
        For :func:`search_alternatives`: each candidate's parameters,
        feature set and cut-off.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 400)
    >>> y = rng.random(400) < 0.4
    >>> skill = y + rng.normal(0, 1, 400)
    >>> models = {"with penalty": skill - 0.6 * (sex == "F"), "skill only": skill}
    >>> result = ai.compare_models(models, None, y, {"sex": sex}, select_top=0.3,
    ...                            n_resamples=20, random_state=0)
    >>> print(result.summary().splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    ModelComparison: 2 models, current 'with penalty'; 1 less discriminatory alternative
    within roc_auc tolerance 0.005
    >>> result.alternatives
    ['skill only']
    """

    _table: pd.DataFrame
    _impact_ratios: pd.DataFrame
    current: str
    metric_name: str
    tolerance: float
    confidence: float
    n_resamples: int
    verdict: str
    _candidates: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def impact_ratios(self) -> pd.DataFrame:
        return self._impact_ratios.copy()

    @property
    def candidates(self) -> pd.DataFrame | None:
        return None if self._candidates is None else self._candidates.copy()

    @property
    def alternatives(self) -> list[str]:
        """Names of the less discriminatory alternatives to the current model."""
        return self._table.loc[self._table["less_discriminatory"], "model"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """One row per model (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "current": self.current,
                "metric": self.metric_name,
                "tolerance": self.tolerance,
                "confidence": self.confidence,
                "n_resamples": self.n_resamples,
                "verdict": self.verdict,
                "models": self._table.to_dict("records"),
                "impact_ratios": self._impact_ratios.to_dict("records"),
                "candidates": None
                if self._candidates is None
                else self._candidates.to_dict("records"),
            }
        )

    def _headline(self) -> str:
        n_alt = len(self.alternatives)
        return (
            f"ModelComparison: {len(self._table)} models, current {self.current!r}; "
            f"{n_alt} less discriminatory alternative{'s' if n_alt != 1 else ''} within "
            f"{self.metric_name} tolerance {self.tolerance:g}"
        )

    def summary(self) -> str:
        """The headline and the verdict."""
        return f"{self._headline()}\n{self.verdict}"

    def _display(self) -> pd.DataFrame:
        return self._table[
            [
                "model",
                "metric",
                "precision",
                "selected_share",
                "min_impact_ratio",
                "passes_four_fifths",
                "pareto",
                "less_discriminatory",
                "uses_protected_attribute",
            ]
        ]

    def __repr__(self) -> str:
        shown = self._display()
        # The lowest ratio beside the exact four-fifths verdict: its decimals show its side.
        decide = {"min_impact_ratio": ~shown["passes_four_fifths"].astype(bool).to_numpy()}
        return f"{frame_block(self._headline(), shown, decide=decide)}\n{self.verdict}"

    def _document(self) -> Any:
        from adverse_impact._scores._report import models_document

        return models_document(self)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Validity against the lowest impact ratio, frontier joined, 0.8 dashed (matplotlib)."""
        ax = axes(ax)
        t = self._table
        lawful = t[~t["uses_protected_attribute"]]
        ax.scatter(
            lawful["min_impact_ratio"], lawful["metric"], color="0.5", s=18, label="candidates"
        )
        front = lawful[lawful["pareto"]].sort_values("min_impact_ratio")
        ax.plot(front["min_impact_ratio"], front["metric"], "o-", label="Pareto frontier")
        cur = t[t["is_current"]]
        ax.scatter(
            cur["min_impact_ratio"],
            cur["metric"],
            marker="*",
            s=150,
            zorder=3,
            label=f"current ({self.current})",
        )
        aside = t[t["uses_protected_attribute"]]
        if len(aside):
            ax.scatter(
                aside["min_impact_ratio"],
                aside["metric"],
                marker="x",
                color="red",
                label="uses the protected attribute (not an option)",
            )
        ax.axvline(0.8, linestyle="--", color="0.35", linewidth=1, label="four-fifths (0.8)")
        ax.set_xlabel("lowest impact ratio")
        ax.set_ylabel(self.metric_name)
        ax.legend(fontsize="small")
        return ax


def _scores_of(name: str, model: Any, X: Any, n: int, pos_label: Any) -> np.ndarray:
    if isinstance(model, (np.ndarray, pd.Series, list)) and np.ndim(model) == 1:
        if len(model) != n:
            raise input_error(
                f"models[{name!r}]",
                f"has {len(model)} scores for {n} rows",
                "Pass one score per row of X, or a fitted model",
            )
        return np.asarray(model, dtype=float)
    try:
        return model_scores(model, X, pos_label=pos_label)[0]
    except AdverseImpactError as exc:
        raise type(exc)(f"models[{name!r}]: {exc}") from exc


def _check_decision_rule(select_top: Any, threshold: Any) -> None:
    if select_top is None and threshold is None:
        raise input_error(
            "select_top",
            "neither select_top= nor threshold= was given",
            "Pass the share advanced (select_top=0.3) or a score threshold=",
        )


@validate_params()
def compare_models(
    models: Mapping[str, Any],
    X: Any,
    y_true: Any,
    sensitive_features: Any,
    *,
    select_top: float | None = None,
    threshold: float | None = None,
    metric: str | Callable[[Any, Any], float] = "roc_auc",
    current: str | None = None,
    tolerance: float = 0.005,
    n_resamples: int = 200,
    confidence: float = 0.95,
    intersectional: bool = False,
    min_share: float | None = None,
    unknown: Any = None,
    pos_label: Any = 1,
    random_state: int | None = None,
    ties: str = "error",
) -> ModelComparison:
    """Compare fitted models on validity and adverse impact: is there a less discriminatory one?

    Parameters
    ----------
    models : dict of str to model, callable or scores
        Fitted classifiers (any that :func:`adverse_impact.audit_model`
        accepts), callables ``f(X) -> scores``, or precomputed 1-D scores.
    X : array-like, DataFrame or sequence of str
        The rows to score (held-out applicants).
    y_true : array-like
        The outcome validity is measured against (e.g. qualified).
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s); used to audit, never passed to a model.
    select_top, threshold : optional
        The decision rule applied to every model's scores (one of them), as
        in :func:`adverse_impact.audit_model`.
    metric : {"roc_auc", "average_precision"} or callable, default "roc_auc"
        Validity; a callable gets ``(y_true, scores)``.
    current : str, optional
        The model the others are alternatives to; default the first.
    tolerance : float, default 0.005
        How much lower validity still "serves the interest equally well".
    n_resamples : int, default 200
        Paired bootstrap resamples of the rows (the same for every model)
        for the intervals of the current model and of the alternatives the
        verdict names (the five with the highest lowest ratio; the others'
        intervals are NaN, so the search stays close to the cost of its
        fits); 0 skips them.
    confidence : float, default 0.95
    intersectional : bool, default False
        Also audit intersections (small cells make the lowest ratio noisy).
    min_share : float, optional
        Groups whose share of an attribute's known rows is below this (e.g.
        0.02, NYC's rule, as in :func:`adverse_impact.audit`) are left out of
        every model's lowest impact ratio and of its bootstrap intervals.
    unknown : label or list of labels, optional
        Labels meaning "unknown category".
    pos_label : object, default 1
    random_state : int, optional
        Seeds the bootstrap (and a random tie-break, with ``ties="random"``).
    ties : {"error", "random"}, default "error"
        With ``select_top``: tied scores that straddle the cut-off are
        refused, or broken at random, as in :func:`adverse_impact.audit_model`.

    Returns
    -------
    ModelComparison

    Raises
    ------
    InputError
        A model that cannot score ``X`` (named in the message), no decision
        rule, an unknown ``current``, mismatched lengths.

    Notes
    -----
    A model is a *less discriminatory alternative* to the current one when its
    validity is at least the current's minus ``tolerance`` and its lowest
    impact ratio is higher (point estimates).  The verdict also reports the
    paired bootstrap intervals of both differences: an alternative whose
    impact-ratio interval excludes 0 and whose validity interval stays above
    ``-tolerance`` is called robust.  The decisions of each model are those
    of its own scores under the common rule; the bootstrap resamples
    applicants with the decisions held fixed.  The four-fifths flags are the
    audit's exact ones.  This answers the question Title VII puts (42 U.S.C.
    2000e-2(k)(1)(A)(ii)) with numbers; whether an alternative is "equally
    valid" for a job is a question for an industrial-organisational
    psychologist and counsel, not for a tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 2000)
    >>> y = rng.random(2000) < 0.4
    >>> skill = y + rng.normal(0, 1, 2000)
    >>> models = {"with penalty": skill - 0.6 * (sex == "F"), "skill only": skill}
    >>> result = ai.compare_models(models, None, y, {"sex": sex}, select_top=0.3,
    ...                            n_resamples=50, random_state=0)
    >>> result.alternatives
    ['skill only']
    """
    if not isinstance(models, Mapping) or not models:
        raise type_error(
            "models",
            "expected a non-empty dict of name to model",
            "Pass e.g. {'current': model_a, 'candidate': model_b}",
        )
    _check_decision_rule(select_top, threshold)
    truth = check_binary_labels(y_true, pos_label, "y_true")
    n = len(truth)
    check_rows(X, sensitive_features, y_true=y_true)
    entries = [
        _Entry(str(name), _scores_of(str(name), model, X, n, pos_label), select_top, threshold)
        for name, model in models.items()
    ]
    return _compare(
        entries,
        truth,
        sensitive_features,
        metric=metric,
        current=current,
        tolerance=tolerance,
        n_resamples=n_resamples,
        confidence=confidence,
        intersectional=intersectional,
        min_share=min_share,
        unknown=unknown,
        random_state=random_state,
        ties=ties,
    )


def _compare(
    entries: list[_Entry],
    truth: np.ndarray,
    sensitive_features: Any,
    *,
    metric: Any,
    current: str | None,
    tolerance: float,
    n_resamples: int,
    confidence: float,
    intersectional: bool,
    unknown: Any,
    random_state: Any,
    min_share: float | None = None,
    ties: str = "error",
    candidates: pd.DataFrame | None = None,
    metrics: _Metrics | None = None,
) -> ModelComparison:
    metric_name = _check_metric(metric)
    metrics = metrics or _Metrics(metric, truth)
    _check_margins(tolerance, n_resamples)
    current = _current_model(entries, current)
    n = len(truth)
    share = check_share(min_share, "min_share")
    coded = [
        (c.name, len(c.keys), _without_small_groups(c.codes, len(c.keys), share))
        for c in code_groups(
            sensitive_features, n, unknown=check_unknown(unknown), intersectional=intersectional
        )
    ]

    rows, ratio_rows, decisions = [], [], {}
    for e in entries:
        picked = _entry_decisions(e, ties, random_state)
        result = audit(
            selected=picked.view(np.uint8),
            sensitive_features=sensitive_features,
            intersectional=intersectional,
            min_share=min_share,
            unknown=unknown,
        )
        decisions[e.name] = picked
        known = result.table[~result.table["excluded"]]
        ratio_rows.extend(_impact_rows(e.name, known))
        rows.append(_model_row(e, picked, result, truth, metrics.value(e.scores), current))
    frame = _against_current(pd.DataFrame(rows), current, tolerance)
    _bootstrap(
        frame,
        entries,
        decisions,
        truth,
        coded,
        metrics,
        current,
        n_resamples,
        confidence,
        random_state,
    )
    frame = frame[_TABLE_COLUMNS]
    verdict = _verdict(frame, current, metric_name, tolerance, confidence, n_resamples)
    impact = pd.DataFrame(ratio_rows)
    impact["group"] = impact["group"].astype(object)
    return ModelComparison(
        frame,
        impact,
        current,
        metric_name,
        float(tolerance),
        float(confidence),
        int(n_resamples),
        verdict,
        candidates,
    )


def _without_small_groups(codes: np.ndarray, k: int, share: Fraction | None) -> np.ndarray:
    """Group codes with the groups under ``min_share`` of the known rows coded unknown (-1).

    The same exact rule as the audit's exclusion, so the bootstrap's lowest
    ratio is taken over the groups the point estimate is taken over.
    """
    if share is None:
        return codes
    counts = np.bincount(codes[codes >= 0], minlength=k)
    known = int(counts.sum())
    small = np.array([known > 0 and Fraction(int(c), known) < share for c in counts], dtype=bool)
    if not small.any():
        return codes
    return np.where((codes >= 0) & small[np.maximum(codes, 0)], -1, codes)


def _check_margins(tolerance: Any, n_resamples: Any) -> None:
    """The validity tolerance and the number of bootstrap resamples."""
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise input_error(
            "tolerance", f"{tolerance!r} is not a number >= 0", "Pass e.g. tolerance=0.005"
        )
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 0:
        raise input_error(
            "n_resamples",
            f"{n_resamples!r} is not an integer >= 0",
            "Pass e.g. n_resamples=200, or 0 for no intervals",
        )


def _current_model(entries: list[_Entry], current: str | None) -> str:
    """The model the others are compared with: ``current``, or the first lawful one."""
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise input_error("models", "has duplicate names", "Give each model its own name")
    lawful = [e.name for e in entries if not e.uses_protected_attribute]
    current = lawful[0] if current is None else current
    if current not in lawful:
        raise input_error(
            "current", f"{current!r} is not one of the models", f"Use one of {lawful[:20]!r}"
        )
    return current


def _entry_decisions(entry: _Entry, ties: str, random_state: Any) -> np.ndarray:
    """Who the model selects: its own decisions, or the common rule applied to its scores."""
    if entry.decisions is not None:
        return np.asarray(entry.decisions, dtype=bool)
    # The common rule through the library's own decide (ties handled there).
    picked = decide(
        entry.scores,
        select_top=entry.select_top,
        threshold=entry.threshold,
        ties=ties,
        random_state=random_state,
    ).selected
    return np.asarray(picked, dtype=bool)


def _impact_rows(model: str, known: pd.DataFrame) -> list[dict[str, Any]]:
    """The audit's rows of the known groups, labelled with the model."""
    return [
        {
            "model": model,
            "attribute": r.attribute,
            "group": r.group,
            "n": r.n,
            "selected": r.selected,
            "rate": r.rate,
            "impact_ratio": r.impact_ratio,
            "four_fifths_flag": r.four_fifths_flag,
        }
        for r in known.itertuples(index=False)
    ]


def _model_row(
    entry: _Entry,
    picked: np.ndarray,
    result: AuditResult,
    truth: np.ndarray,
    validity: float,
    current: str,
) -> dict[str, Any]:
    """One model's row of the table: validity, precision, recall and its audit's headline."""
    table = result.table
    known = table[~table["excluded"]]
    ratios = known["impact_ratio"].astype(float)
    worst = known.loc[ratios.idxmin()] if ratios.notna().any() else None
    n_sel = int(picked.sum())
    tp = int((picked & (truth == 1)).sum())
    return {
        "model": entry.name,
        "metric": validity,
        "precision": tp / n_sel if n_sel else math.nan,
        "recall": tp / int(truth.sum()) if truth.sum() else math.nan,
        "selected_share": n_sel / len(truth),
        "min_impact_ratio": float(ratios.min()) if worst is not None else math.nan,
        "worst_group": None if worst is None else f"{worst['attribute']}: {worst['group']}",
        "n_flagged": int(table["four_fifths_flag"].sum()),
        "passes_four_fifths": bool(result.passes()),
        "is_current": entry.name == current,
        "uses_protected_attribute": entry.uses_protected_attribute,
        "note": GROUP_CUTOFF_NOTE if entry.uses_protected_attribute else "",
    }


def _against_current(frame: pd.DataFrame, current: str, tolerance: float) -> pd.DataFrame:
    """Add the Pareto front, the differences from the current model and the candidates."""
    _pareto(frame)
    cur = frame.set_index("model").loc[current]
    frame["metric_diff"] = frame["metric"] - cur["metric"]
    frame["ir_diff"] = frame["min_impact_ratio"] - cur["min_impact_ratio"]
    frame["candidate"] = (
        ~frame["is_current"]
        & ~frame["uses_protected_attribute"]
        & (frame["metric_diff"] >= -tolerance - 1e-12)
        & (frame["ir_diff"] > 0)
    )
    frame["less_discriminatory"] = frame["candidate"]
    return frame


def _min_ratio(weights: np.ndarray, picked: np.ndarray, coded: list[np.ndarray]) -> np.ndarray:
    """The lowest rate / highest rate over every attribute, per row of ``weights``.

    ``coded`` holds one (n, k) 0/1 membership matrix per attribute, so group
    sizes and selections of all resamples are two matrix products.
    """
    lowest = np.full(weights.shape[0], np.inf)
    for members in coded:
        n_g = weights @ members
        s_g = (weights * picked) @ members
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no ratio
            rates = np.where(n_g > 0, s_g / n_g, np.nan)
            ratio = np.nanmin(rates, axis=1) / np.nanmax(rates, axis=1)
        lowest = np.minimum(lowest, np.where(np.isfinite(ratio), ratio, np.inf))
    return np.where(np.isfinite(lowest), lowest, np.nan)


def _bootstrap(
    frame: pd.DataFrame,
    entries: list[_Entry],
    decisions: Mapping[str, np.ndarray],
    truth: np.ndarray,
    coded: list,
    metrics: _Metrics,
    current: str,
    n_resamples: int,
    confidence: float,
    random_state: Any,
) -> None:
    nan_columns = [
        "metric_ci_low",
        "metric_ci_high",
        "ir_ci_low",
        "ir_ci_high",
        "metric_diff_ci_low",
        "metric_diff_ci_high",
        "ir_diff_ci_low",
        "ir_diff_ci_high",
    ]
    for column in nan_columns:
        frame[column] = math.nan
    if n_resamples == 0:
        return
    n = len(truth)
    rng = np.random.default_rng(random_state)
    # Intervals where the verdict needs them: the current model and the (at most
    # _VERDICT_MAX) alternatives it names.
    named = (
        frame[frame["candidate"]]
        .sort_values(["min_impact_ratio", "metric"], ascending=False)
        .head(_VERDICT_MAX)
    )
    wanted = {current, *named["model"]}
    entries = [e for e in entries if e.name in wanted]
    members = [np.equal.outer(gid, np.arange(k)).astype(float) for _, k, gid in coded]
    metric_fns = {e.name: metrics.function(e.scores) for e in entries}
    values = {e.name: np.empty((n_resamples, 2)) for e in entries}
    chunk = max(1, min(n_resamples, 2_000_000 // max(n, 1)))  # bounded memory
    for first in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - first)
        # Paired: the same resamples of applicants for every model.
        draws = rng.integers(0, n, (size, n))
        draws += (np.arange(size) * n)[:, None]
        weights = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)
        for e in entries:
            fn = metric_fns[e.name]
            metric_values = (
                fn(weights) if isinstance(fn, _AUC) else np.array([fn(w) for w in weights])
            )
            values[e.name][first : first + size, 0] = metric_values
            values[e.name][first : first + size, 1] = _min_ratio(
                weights, decisions[e.name], members
            )
    tail = (1 - confidence) / 2
    base = values[current]
    position = {name: i for i, name in enumerate(frame["model"])}
    for e in entries:
        i = position[e.name]
        v = values[e.name]
        q = np.nanquantile(v, [tail, 1 - tail], axis=0)
        d = np.nanquantile(v - base, [tail, 1 - tail], axis=0)
        frame.loc[i, nan_columns] = [
            q[0, 0],
            q[1, 0],
            q[0, 1],
            q[1, 1],
            d[0, 0],
            d[1, 0],
            d[0, 1],
            d[1, 1],
        ]


def _pareto(frame: pd.DataFrame) -> None:
    m = frame["metric"].to_numpy(float)
    r = frame["min_impact_ratio"].to_numpy(float)
    eligible = ~frame["uses_protected_attribute"].to_numpy(bool)
    front = []
    for i in range(len(frame)):
        if not eligible[i] or np.isnan(m[i]) or np.isnan(r[i]):
            front.append(False)
            continue
        dominated = eligible & (m >= m[i]) & (r >= r[i]) & ((m > m[i]) | (r > r[i]))
        front.append(not dominated.any())
    frame["pareto"] = front


def _lowest(ratio: float, passes: Any) -> str:
    """A model's lowest impact ratio, with the decimals that show its four-fifths verdict."""
    return decisive(ratio, not bool(passes), digits=3)


def _verdict(
    frame: pd.DataFrame,
    current: str,
    metric_name: str,
    tolerance: float,
    confidence: float,
    n_resamples: int,
) -> str:
    cur = frame.set_index("model").loc[current]
    head = (
        f"Current model {current!r}: {metric_name} {cur['metric']:.4f}, lowest impact "
        f"ratio {_lowest(cur['min_impact_ratio'], cur['passes_four_fifths'])} "
        f"({cur['worst_group']})."
    )
    found = frame[frame["less_discriminatory"]].sort_values(
        ["min_impact_ratio", "metric"], ascending=False
    )
    if found.empty:
        return (
            f"{head} No model is a less discriminatory alternative: none has a higher "
            f"lowest impact ratio with {metric_name} within {tolerance:g} of the current."
        )
    parts = [head, f"Less discriminatory alternatives (within {tolerance:g} {metric_name}):"]
    for r in found.head(_VERDICT_MAX).itertuples(index=False):
        text = (
            f"{r.model!r}: {metric_name} {r.metric:.4f} ({r.metric_diff:+.4f}), lowest "
            f"impact ratio {_lowest(r.min_impact_ratio, r.passes_four_fifths)} "
            f"({r.ir_diff:+.3f})"
        )
        if n_resamples:
            robust = r.ir_diff_ci_low > 0 and r.metric_diff_ci_low >= -tolerance
            text += (
                f"; {confidence:.0%} intervals of the differences: {metric_name} "
                f"{r.metric_diff_ci_low:+.4f} to {r.metric_diff_ci_high:+.4f}, impact "
                f"ratio {r.ir_diff_ci_low:+.3f} to {r.ir_diff_ci_high:+.3f}"
                f"{' (robust)' if robust else ' (not robust to resampling)'}"
            )
        parts.append(text + ".")
    if len(found) > _VERDICT_MAX:
        parts.append(f"And {len(found) - _VERDICT_MAX} more with smaller gains (see the table).")
    return " ".join(parts)


# -- the search ---------------------------------------------------------------------------------


def _take_columns(X: Any, columns: Sequence[Any] | None) -> Any:
    if columns is None:
        return X
    if isinstance(X, pd.DataFrame):
        return X.loc[:, list(columns)]
    if hasattr(X, "tocsr"):  # a scipy sparse matrix (e.g. TF-IDF): column indices
        subset = X.tocsr()[:, list(columns)]
        subset.sort_indices()  # once here, not in every fit
        return subset
    return np.asarray(X)[:, list(columns)]


def _rows(X: Any, index: np.ndarray) -> Any:
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[index]
    if isinstance(X, list):
        return [X[i] for i in index]
    return X[index]


def _feature_sets(
    feature_sets: Any,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    sensitive_features: Any,
    random_state: Any,
) -> dict[str, Any]:
    if feature_sets is None:
        return {"all": None}
    if isinstance(feature_sets, str) and feature_sets == "drop_proxies":
        from sklearn.base import clone

        from adverse_impact._proxies._scan import proxy_leakage

        if not isinstance(X, pd.DataFrame):
            raise input_error(
                "feature_sets",
                "'drop_proxies' needs X as a DataFrame of named features",
                "Pass a DataFrame, or for text models vary the vectoriser in param_grid "
                "(e.g. {'tfidfvectorizer__stop_words': [None, tokens]})",
            )
        from adverse_impact._core._groups import label_columns

        model = clone(estimator).fit(X, y)
        # The first protected attribute ranks the proxies (one attribute at a time).
        first = next(iter(label_columns(sensitive_features).values()))
        ranked = proxy_leakage(
            model, X, np.asarray(first, dtype=object), random_state=random_state
        ).top(3)
        proxies = [f for f in ranked["feature"] if f in X.columns]
        sets: dict[str, Any] = {"all": None}
        for k in range(1, min(len(proxies), X.shape[1] - 1) + 1):  # keep one feature
            dropped = proxies[:k]
            sets["without " + ", ".join(map(str, dropped))] = [
                c for c in X.columns if c not in dropped
            ]
        return sets
    if isinstance(feature_sets, Mapping) and feature_sets:
        return {str(k): (None if v is None else list(v)) for k, v in feature_sets.items()}
    raise type_error(
        "feature_sets",
        f"got {type(feature_sets).__name__}",
        "Pass None, 'drop_proxies', or a dict of name to the columns to use",
    )


def _protected_columns(X: Any, sensitive_features: Any) -> list[str]:
    if not isinstance(X, pd.DataFrame):
        return []
    if isinstance(sensitive_features, pd.DataFrame):
        names = list(sensitive_features.columns)
    elif isinstance(sensitive_features, Mapping):
        names = list(sensitive_features)
    else:
        names = [getattr(sensitive_features, "name", None)]
    return [c for c in X.columns if c in names and c is not None]


@validate_params()
def search_alternatives(
    estimator: Any,
    X: Any,
    y: Any,
    sensitive_features: Any,
    *,
    param_grid: Mapping[str, Sequence[Any]] | None = None,
    feature_sets: Any = None,
    select_top: float | Sequence[int | float] | None = None,
    cv: int = 5,
    random_state: int | None = None,
    metric: str | Callable[[Any, Any], float] = "roc_auc",
    current: str | None = None,
    tolerance: float = 0.005,
    n_resamples: int = 200,
    confidence: float = 0.95,
    group_cutoffs: bool = True,
    intersectional: bool = False,
    min_share: float | None = None,
    unknown: Any = None,
    pos_label: Any = 1,
    y_true: Any = None,
    ties: str = "error",
) -> ModelComparison:
    """Search hyperparameters, feature sets and cut-offs for a less discriminatory alternative.

    Every candidate (each combination of ``param_grid``, ``feature_sets``
    and ``select_top``) is fitted with ``cv``-fold cross-validation; its
    out-of-fold scores are compared with :func:`compare_models`.  The
    protected attribute is never an input of any candidate.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Unfitted (it is cloned); a ``Pipeline`` included.
    X : array-like, DataFrame or sequence of str
    y : array-like
        The training target, which is also the validity criterion.
    sensitive_features : array-like, Series, DataFrame or dict
        Used to audit and to find proxies, never to fit or score.
    param_grid : dict of str to list, optional
        As for :class:`sklearn.model_selection.ParameterGrid`.
    feature_sets : None, "drop_proxies" or dict, optional
        Column subsets: a dict of name to columns (None for all), or
        ``"drop_proxies"``: all features, then without the top one, two and
        three proxies ranked by :func:`adverse_impact.proxy_leakage` (a
        DataFrame ``X``).
    select_top : int, float or sequence of them, optional
        The share (or number) advanced, or several to try (a cut-off is part
        of the practice); default the share of positive ``y``.
    cv : int, default 5
        Stratified folds, shuffled with ``random_state``.
    random_state : int, optional
        Seeds the folds, the estimator (if it takes ``random_state``), the
        proxy ranking and the bootstrap: a fixed value gives the same result.
    metric, current, tolerance, n_resamples, confidence, intersectional, min_share, unknown, \
pos_label
        As in :func:`compare_models`; ``current`` defaults to the candidate
        with the highest validity.
    y_true : array-like, optional
        The criterion validity is measured against, when it is not the
        training target (e.g. train on past hiring decisions, validate
        against job performance); default ``y``.
    group_cutoffs : bool, default True
        Also show, beside the candidates, the current candidate with a
        separate cut-off per group of the first attribute (each group's top
        share): a decision-time use of the protected attribute, marked as
        such with its legal note, never in the frontier or the verdict.
    ties : {"error", "random"}, default "error"
        With ``select_top``: tied scores that straddle a cut-off are refused,
        or broken at random (seeded by ``random_state``), as in
        :func:`adverse_impact.audit_model`.

    Returns
    -------
    ModelComparison
        With ``candidates``: each candidate's parameters, feature set and cut-off.

    Raises
    ------
    InputError
        ``X`` that holds a protected attribute as a column, bad ``cv``, ...

    Notes
    -----
    The cost is ``n_candidates_fitted x cv`` fits (cut-offs reuse the same
    scores) plus scoring and the bootstrap, which is linear in the rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 1500)
    >>> y = rng.random(1500) < 0.4
    >>> X = pd.DataFrame({"skill": y + rng.normal(0, 1, 1500),
    ...                   "club": (sex == "M") + 0.8 * y + rng.normal(0, 1, 1500)})
    >>> found = ai.search_alternatives(
    ...     LogisticRegression(), X, y, {"sex": sex}, cv=3, random_state=0, n_resamples=20,
    ...     feature_sets={"all": None, "skill only": ["skill"]}, tolerance=0.05)
    >>> found.table["model"].tolist()
    ['all, top 42.7%', 'skill only, top 42.7%', 'all, top 42.7% [group cut-offs]']
    >>> found.current, found.alternatives
    ('all, top 42.7%', ['skill only, top 42.7%'])
    """
    from sklearn.model_selection import ParameterGrid, StratifiedKFold

    _check_metric(metric)
    target = check_binary_labels(y, pos_label, "y")
    n = len(target)
    check_rows(X, sensitive_features, y=y, y_true=y_true)
    truth = target if y_true is None else check_binary_labels(y_true, pos_label, "y_true")
    _check_search(cv, n, X, sensitive_features)
    tops = _tops(select_top, target)
    grid = list(ParameterGrid(dict(param_grid or {})))
    sets = _feature_sets(feature_sets, estimator, X, target, sensitive_features, random_state)
    folds = list(
        StratifiedKFold(cv, shuffle=True, random_state=random_state).split(np.zeros(n), target)
    )
    entries, described = _search_candidates(
        estimator, X, target, sets, grid, folds, tops, random_state
    )
    metrics = _Metrics(metric, truth)
    if current is None:
        current = entries[int(np.nanargmax([metrics.value(e.scores) for e in entries]))].name
    if group_cutoffs:
        base = next(e for e in entries if e.name == current)
        entry = _group_cutoff_entry(base, sensitive_features, unknown, ties, random_state)
        entries.append(entry)
        described.append(_group_cutoff_description(entry, base))
    return _compare(
        entries,
        truth,
        sensitive_features,
        metric=metric,
        current=current,
        tolerance=tolerance,
        n_resamples=n_resamples,
        confidence=confidence,
        intersectional=intersectional,
        min_share=min_share,
        unknown=unknown,
        random_state=random_state,
        ties=ties,
        candidates=pd.DataFrame(described),
        metrics=metrics,
    )


def _check_search(cv: Any, n: int, X: Any, sensitive_features: Any) -> None:
    """The folds are possible, and no column of ``X`` is a protected attribute."""
    if isinstance(cv, bool) or not isinstance(cv, int) or not 2 <= cv <= n:
        raise input_error(
            "cv", f"{cv!r} is not an integer between 2 and the number of rows", "Pass e.g. cv=5"
        )
    leaked = _protected_columns(X, sensitive_features)
    if leaked:
        raise input_error(
            "X",
            f"holds the protected attribute column(s) {leaked!r}",
            "Drop them from X: the search never uses the protected attribute as an input",
        )


def _tops(select_top: Any, target: np.ndarray) -> list[Any]:
    """The cut-offs to try: those given, by default the share of positive ``y``."""
    if select_top is None:
        tops = [float(target.mean())]
    elif np.ndim(select_top) == 0:
        tops = [select_top]
    else:
        tops = list(select_top)
    if not tops:
        raise input_error("select_top", "is empty", "Pass one or more select_top values, or None")
    return tops


def _group_cutoff_description(entry: _Entry, base: _Entry) -> dict[str, Any]:
    """The candidates table's row for the current candidate with a cut-off per group."""
    return {
        "model": entry.name,
        "params": None,
        "feature_set": "decision-time use of the protected attribute",
        "columns": None,
        "select_top": base.select_top,
    }


def _search_candidates(
    estimator: Any,
    X: Any,
    target: np.ndarray,
    sets: Mapping[str, Any],
    grid: list[dict[str, Any]],
    folds: list[tuple[np.ndarray, np.ndarray]],
    tops: list[Any],
    random_state: Any,
) -> tuple[list[_Entry], list[dict[str, Any]]]:
    """Each feature set x parameter combination, cross-validated once, at every cut-off.

    Returns the entries to compare and, in the same order, the description
    of each (parameters, feature set, columns, cut-off).
    """
    seed = random_state if "random_state" in estimator.get_params() else None
    entries, described = [], []
    subsets = {name: _take_columns(X, columns) for name, columns in sets.items()}
    for (set_name, columns), params in itertools.product(sets.items(), grid):
        scores = _cross_validated_scores(estimator, params, subsets[set_name], target, folds, seed)
        label = ", ".join(
            [
                *(f"{k}={v!r}" for k, v in params.items()),
                *([set_name] if len(sets) > 1 or set_name != "all" else []),
            ]
        )
        for top in tops:
            shown = f"top {top:.1%}" if isinstance(top, float) else f"top {top}"
            name = f"{label}, {shown}" if label else shown
            if not label and len(sets) == 1:
                name = f"{set_name}, {shown}"
            entries.append(_Entry(name, scores, top, None))
            described.append(
                {
                    "model": name,
                    "params": dict(params),
                    "feature_set": set_name,
                    "columns": None if columns is None else list(columns),
                    "select_top": top,
                }
            )
    return entries, described


def _cross_validated_scores(
    estimator: Any,
    params: Mapping[str, Any],
    X: Any,
    target: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: Any,
) -> np.ndarray:
    """Out-of-fold scores of a fresh clone of ``estimator`` with ``params`` (and ``seed``)."""
    from sklearn.base import clone

    scores = np.empty(len(target))
    for train, test in folds:
        model = clone(estimator).set_params(**params)
        if seed is not None:
            model.set_params(random_state=seed)
        model.fit(_rows(X, train), target[train])
        scores[test] = model_scores(model, _rows(X, test), pos_label=1)[0]
    return scores


def _group_cutoff_entry(
    base: _Entry, sensitive_features: Any, unknown: Any, ties: str, random_state: Any
) -> _Entry:
    """The current model with a cut-off per group: shown for comparison, never proposed."""
    decisions = _group_top(
        base.scores,
        base.select_top,
        sensitive_features,
        len(base.scores),
        unknown,
        ties=ties,
        random_state=random_state,
    )
    return _Entry(
        f"{base.name} [group cut-offs]", base.scores, base.select_top, None, decisions, True
    )


def _group_top(
    scores: np.ndarray,
    select_top: Any,
    sensitive_features: Any,
    n: int,
    unknown: Any,
    ties: str = "error",
    random_state: Any = None,
) -> np.ndarray:
    """Each group of the first attribute advances its own top share (unknown rows: overall)."""
    share = select_top / n if isinstance(select_top, (int, np.integer)) else float(select_top)
    first = code_groups(
        sensitive_features, n, unknown=check_unknown(unknown), intersectional=False
    )[0]
    keys, gid = first.keys, first.codes
    picked = np.zeros(n, dtype=bool)
    for g in range(len(keys) + 1):
        rows = np.flatnonzero(gid == g)
        if rows.size:
            k = max(1, math.ceil(share * rows.size))
            picked[rows] = decide(
                scores[rows], select_top=k, ties=ties, random_state=random_state
            ).selected
    return picked
