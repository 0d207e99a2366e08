"""Auditing a fitted classifier: its decisions, its cut-offs and its error rates.

Three public functions sit on the modules below them and repeat none of
their work: :func:`audit_model` scores with :func:`~adverse_impact._scoring.model_scores`,
decides with :func:`~adverse_impact._scoring.decide` and audits with
:func:`~adverse_impact._audit.audit`; :func:`error_rates` counts once with
:func:`~adverse_impact._counts.count_groups` (the actual outcome as the
stratum) and sums with :func:`~adverse_impact._audit.group_totals`;
:func:`threshold_sweep` sorts the scores once and answers every cut-off with
one ``bincount`` per attribute, so a grid of 1,000 cut-offs costs about as
much as two single audits.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction
from types import MappingProxyType, SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._audit import (
    _is_unknown,
    _label,
    _sort_key,
    _specs,
    _warn_near_duplicates,
    _warn_unused_unknown,
    audit,
    group_totals,
)
from adverse_impact._counts import _factorize, _group_arrays, count_groups
from adverse_impact._errors import AdverseImpactError, input_error, type_error
from adverse_impact._result import AuditResult
from adverse_impact._scoring import SupportsPredict, _positive_column, decide, model_scores
from adverse_impact._validation import (
    check_aligned_indexes,
    check_consistent_length,
    check_scores,
    check_unknown,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["audit_model", "error_rates", "threshold_sweep", "ThresholdSweep"]

#: Arguments of ``audit`` that ``audit_model`` fills in itself.
_RESERVED = ("data", "selected", "groups", "score")
#: Quantiles of the default ``threshold_sweep`` grid: 0%, 1%, ..., 100%.
_DEFAULT_QUANTILES = np.linspace(0.0, 1.0, 101)

Model = SupportsPredict | Callable[[Any], Any]


# -- shared small checks ------------------------------------------------------

def _n_rows(value: Any) -> int | None:
    """Rows of X (array, DataFrame, sparse matrix, list of texts); None if unknowable."""
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(value)
    except TypeError:
        return None


def _feature_lengths(sensitive_features: Any) -> dict[str, int]:
    if isinstance(sensitive_features, str):
        raise type_error(
            "sensitive_features", f"got the string {sensitive_features!r}",
            "Pass the labels themselves (an array, Series, DataFrame or dict of arrays), "
            "not a column name",
        )
    if isinstance(sensitive_features, Mapping):
        return {f"sensitive_features[{k!r}]": len(v) for k, v in sensitive_features.items()}
    n = _n_rows(sensitive_features)
    return {} if n is None else {"sensitive_features": n}


def _check_rows(X: Any, sensitive_features: Any, **others: Any) -> None:
    """X, sensitive_features and per-row extras describe the same rows, in the same order."""
    lengths = {}
    n_x = _n_rows(X)
    if n_x is not None:
        lengths["X"] = n_x
    lengths.update(_feature_lengths(sensitive_features))
    for name, value in others.items():
        if value is not None:
            lengths[name] = len(value)
    check_consistent_length(lengths)
    check_aligned_indexes({"X": X, "sensitive_features": sensitive_features,
                           **{k: v for k, v in others.items() if v is not None}})


@contextmanager
def _as_sensitive_features() -> Iterator[None]:
    """Re-word errors from the audit core, which calls the argument ``groups``."""
    try:
        yield
    except AdverseImpactError as exc:
        message = str(exc)
        renamed = message.replace("groups[", "sensitive_features[")
        if renamed.startswith("groups"):
            renamed = "sensitive_features" + renamed[len("groups"):]
        if renamed == message:
            raise
        raise type(exc)(renamed) from exc


def _binarise(values: Any, pos_label: Any, argument: str) -> np.ndarray:
    """Labels as int8 0/1 with 1 meaning ``pos_label``; refuses ambiguous labels."""
    if isinstance(values, (str, bytes)):
        raise type_error(argument, f"got the string {values!r}", "Pass one label per row")
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy(dtype=None if values.dtype.kind in "biuf" else object)
    else:
        arr = np.asarray(values)
    if arr.ndim != 1:
        raise input_error(argument, f"expected one label per row, got shape {arr.shape}",
                          "Pass a 1-D array of labels")
    if arr.dtype.kind not in "biuf":
        arr = arr.astype(object)
    missing = pd.isna(arr)
    if missing.any():
        raise input_error(argument, f"{int(missing.sum())} label(s) are missing",
                          "Fill or drop those rows first (and report them)")
    uniques = pd.unique(arr)
    shown = sorted(repr(u.item() if isinstance(u, np.generic) else u) for u in uniques[:5])
    if len(uniques) > 2:
        raise input_error(
            argument, f"has {len(uniques)} distinct labels (e.g. {', '.join(shown)}); error "
            "rates need a binary outcome",
            f"Map it to two labels, one of them pos_label={pos_label!r}",
        )
    hit = np.asarray(arr == pos_label, dtype=bool)
    if not hit.any():
        # With 0/1 labels and pos_label 0 or 1, a class can simply be absent.  With
        # any other labels the caller has almost surely named the wrong class.
        zero_one = all(isinstance(u, (bool, int, float, np.bool_, np.number)) and u in (0, 1)
                       for u in uniques)
        if not (zero_one and pos_label in (0, 1)):
            raise input_error(
                "pos_label", f"{pos_label!r} does not occur in {argument}, whose labels are "
                f"{', '.join(shown)}",
                "Pass pos_label= set to the label that means the positive outcome",
            )
    return hit.astype(np.int8)


# -- error rates ----------------------------------------------------------------

_RATES = ("tpr", "fpr", "fnr", "precision")
#: Whether a higher value of the rate is better for the group.
_HIGHER_IS_BETTER = {"tpr": True, "fpr": False, "fnr": False, "precision": True}


def error_rates(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    pos_label: Any = 1,
    unknown: Any = None,
    intersectional: bool = True,
    sample_weight: Any = None,
) -> pd.DataFrame:
    """Error rates by group, with their ratios to the best group.

    For every protected attribute and, with two or more attributes, their
    intersection (attribute ``"sex x race"``, labels ``"Female | Asian"``,
    exactly as in :func:`adverse_impact.audit`), count the confusion matrix of
    each known group and derive its true-positive, false-positive and
    false-negative rates and its precision.

    Parameters
    ----------
    y_true : array-like
        The actual outcome (e.g. qualified, hired, performed well), two labels.
    y_pred : array-like
        The decisions (e.g. advanced by the model), in the same labels.
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s), as fairlearn's ``sensitive_features``.
    pos_label : object, default 1
        The label meaning "positive" in both ``y_true`` and ``y_pred``.
    unknown : label or list of labels, optional
        Extra labels meaning "unknown category"; missing labels always are.
        Unknown rows are left out, as in :func:`adverse_impact.audit`.
    intersectional : bool, default True
        Also report the intersection of two or more attributes.
    sample_weight : array-like, optional
        Non-negative weights: rates become weighted rates; the count columns
        stay row counts.

    Returns
    -------
    pandas.DataFrame
        One row per (attribute, group), groups in the audit's order, with
        columns ``attribute``, ``group``, ``n``, ``n_positive`` and
        ``n_negative`` (actual outcome), ``selected`` (predicted positive),
        ``tp``, ``fp``, ``fn``, ``tn``, the rates ``tpr``, ``fpr``, ``fnr``,
        ``precision``, their ratios to the best group ``tpr_ratio``,
        ``fpr_ratio``, ``fnr_ratio``, ``precision_ratio``, and ``note``
        (why a value is NaN).  ``frame.attrs["unknown"]`` holds the number of
        unknown rows per attribute.

    Raises
    ------
    InputError
        Mismatched lengths, missing labels, more than two labels, or a
        ``pos_label`` that occurs in neither ``y_true`` nor ``y_pred``.

    See Also
    --------
    audit_model : audits a model and attaches this table as ``error_rates``.

    Notes
    -----
    With ``P = tp + fn`` actual positives and ``N = fp + tn`` actual
    negatives in a group:

    - ``tpr = tp / P`` (selected among the qualified; also recall),
    - ``fpr = fp / N`` (selected among the unqualified),
    - ``fnr = fn / P = 1 - tpr`` (qualified but rejected),
    - ``precision = tp / (tp + fp)`` (qualified among the selected).

    A rate whose denominator is 0 is NaN, with the reason in ``note``
    (fairlearn's ``true_positive_rate`` reports 0 there instead).

    Ratios compare each group with the best group of its attribute and lie in
    [0, 1], 1 being the best group, so that they read like impact ratios:

    - ``tpr_ratio = tpr / max(tpr)`` and ``precision_ratio = precision /
      max(precision)``; NaN when the highest value is 0, as the impact ratio
      is NaN when the highest selection rate is 0;
    - ``fpr_ratio = min(fpr) / fpr`` and ``fnr_ratio = min(fnr) / fnr``; a
      group at the minimum has ratio 1, a group without false positives
      included.

    The smallest ``tpr_ratio`` is fairlearn's true-positive-rate ratio, the
    smallest ``fpr_ratio`` its false-positive-rate ratio, and the smaller of
    the two its ``equalized_odds_ratio``, whenever every group has actual
    positives and negatives and some group has a false positive (fairlearn
    reports 0/0 = NaN when no group has one; here every ``fpr_ratio`` is 1).

    A rate from a group with 7 actual positives moves by 1/7 with each
    person.  Read every rate next to ``n_positive`` and ``n_negative``.

    References
    ----------
    .. [1] M. Hardt, E. Price, N. Srebro, "Equality of Opportunity in
       Supervised Learning", NeurIPS 2016 (equalized odds, equal opportunity).
    .. [2] fairlearn, ``fairlearn.metrics.equalized_odds_ratio`` and
       ``MetricFrame.ratio`` (0.15).

    Examples
    --------
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> rates = error_rates(y_true, y_pred, {"sex": sex})
    >>> rates[["group", "n_positive", "n_negative", "tpr", "fpr", "tpr_ratio", "fpr_ratio"]]
      group  n_positive  n_negative  tpr  fpr  tpr_ratio  fpr_ratio
    0     F           2           2  1.0  0.5        1.0        0.0
    1     M           2           2  0.5  0.0        0.5        1.0
    """
    truth = _binarise(y_true, pos_label, "y_true")
    decision = _binarise(y_pred, pos_label, "y_pred")
    _check_rows(None, sensitive_features, y_true=y_true, y_pred=y_pred,
                sample_weight=sample_weight)
    return _error_rates(truth, decision, sensitive_features, unknown=unknown,
                        intersectional=intersectional, sample_weight=sample_weight)


def _error_rates(truth: np.ndarray, decision: np.ndarray, sensitive_features: Any, *,
                 unknown: Any, intersectional: bool, sample_weight: Any,
                 warn: bool = True) -> pd.DataFrame:
    unknown_labels = check_unknown(unknown)
    with _as_sensitive_features():
        # One pass: counts split by the actual outcome (the stratum column).
        counts = count_groups(selected=decision, groups=sensitive_features, strata=truth,
                              sample_weight=sample_weight)
    if warn:  # audit_model's audit has already warned
        _warn_unused_unknown(counts, unknown_labels)
    stratum = counts.table[counts.strata]
    actual = {
        outcome: dataclasses.replace(counts, table=counts.table.loc[
            np.fromiter((v == outcome for v in stratum), dtype=bool, count=len(stratum))])
        for outcome in (1, 0)
    }
    rows: list[dict[str, Any]] = []
    unknown_counts: dict[str, int] = {}
    for name, columns in _specs(counts.attributes, intersectional):
        pos, n_unknown_pos = group_totals(actual[1], columns, unknown_labels)
        neg, n_unknown_neg = group_totals(actual[0], columns, unknown_labels)
        unknown_counts[name] = n_unknown_pos + n_unknown_neg
        keys = sorted(set(pos.index) | set(neg.index), key=_sort_key)
        pos = pos.reindex(pd.Index(keys, tupleize_cols=False, dtype=object), fill_value=0)
        neg = neg.reindex(pd.Index(keys, tupleize_cols=False, dtype=object), fill_value=0)
        rows.extend(_error_rows(name, keys, pos, neg, counts.weighted))
    columns = ["attribute", "group", "n", "n_positive", "n_negative", "selected",
               "tp", "fp", "fn", "tn", *_RATES, *(f"{r}_ratio" for r in _RATES), "note"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["group"] = frame["group"].astype(object)
    frame.attrs["unknown"] = unknown_counts
    return frame


def _rate(numerator: float, denominator: float) -> Fraction | None:
    # Fractions of the integer counts (of the float weights when weighted) make
    # the rates and their ratios exact until the final conversion to float.
    if denominator <= 0:
        return None
    return Fraction(numerator) / Fraction(denominator)


def _error_rows(name: str, keys: list[tuple], pos: pd.DataFrame, neg: pd.DataFrame,
                weighted: bool) -> list[dict[str, Any]]:
    tp = pos["selected"].to_numpy(dtype=np.int64)
    p = pos["n"].to_numpy(dtype=np.int64)
    fp = neg["selected"].to_numpy(dtype=np.int64)
    n_neg = neg["n"].to_numpy(dtype=np.int64)
    if weighted:
        w_tp, w_p = pos["weight_selected"].to_numpy(), pos["weight"].to_numpy()
        w_fp, w_n = neg["weight_selected"].to_numpy(), neg["weight"].to_numpy()
    else:
        w_tp, w_p, w_fp, w_n = tp, p, fp, n_neg
    rates: dict[str, list[Fraction | None]] = {
        "tpr": [_rate(a, b) for a, b in zip(w_tp, w_p)],
        "fpr": [_rate(a, b) for a, b in zip(w_fp, w_n)],
        "fnr": [_rate(b - a, b) for a, b in zip(w_tp, w_p)],
        "precision": [_rate(a, a + c) for a, c in zip(w_tp, w_fp)],
    }
    ratios: dict[str, list[Fraction | None]] = {}
    notes: list[list[str]] = [[] for _ in keys]
    for metric, values in rates.items():
        defined = [v for v in values if v is not None]
        if _HIGHER_IS_BETTER[metric]:
            best = max(defined) if defined else None
            ratios[metric] = [None if v is None or not best else v / best for v in values]
            if best == 0:
                for i, v in enumerate(values):
                    if v is not None:
                        notes[i].append(f"no {metric}_ratio: the highest {metric} is 0")
        else:
            best = min(defined) if defined else None
            # A group at the lowest rate is the best group: ratio 1, even at 0/0.
            ratios[metric] = [None if v is None else Fraction(1) if v == best else best / v
                              for v in values]
    for i in range(len(keys)):
        if p[i] == 0 or (weighted and w_p[i] <= 0):
            notes[i].insert(0, "no actual positives: tpr and fnr undefined")
        if n_neg[i] == 0 or (weighted and w_n[i] <= 0):
            notes[i].insert(0, "no actual negatives: fpr undefined")
        if tp[i] + fp[i] == 0 or (weighted and w_tp[i] + w_fp[i] <= 0):
            notes[i].append("nobody selected: precision undefined")

    def value(x: Fraction | None) -> float:
        return np.nan if x is None else float(x)

    rows = []
    for i, key in enumerate(keys):
        row: dict[str, Any] = {
            "attribute": name, "group": _label(key),
            "n": int(p[i] + n_neg[i]), "n_positive": int(p[i]), "n_negative": int(n_neg[i]),
            "selected": int(tp[i] + fp[i]),
            "tp": int(tp[i]), "fp": int(fp[i]), "fn": int(p[i] - tp[i]),
            "tn": int(n_neg[i] - fp[i]),
        }
        row.update({metric: value(rates[metric][i]) for metric in _RATES})
        row.update({f"{metric}_ratio": value(ratios[metric][i]) for metric in _RATES})
        row["note"] = "; ".join(notes[i])
        rows.append(row)
    return rows


# -- auditing a model -------------------------------------------------------------

def audit_model(
    model: Model,
    X: Any,
    sensitive_features: Any,
    *,
    threshold: float | None = None,
    select_top: int | float | None = None,
    y_true: Any = None,
    pos_label: Any = 1,
    **audit_kwargs: Any,
) -> AuditResult:
    """Audit a fitted classifier's decisions for adverse impact.

    Scores ``X`` with the model, turns the scores into decisions with a
    cut-off, a top-k rule or the model's own ``predict``, and audits the
    decisions by ``sensitive_features`` with :func:`adverse_impact.audit`.
    With ``y_true`` it also reports error rates by group.

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn compatible classifier (a ``Pipeline`` whose
        first step vectorises raw text included), or a callable
        ``f(X) -> scores``.  Scores come from ``predict_proba`` (the
        ``pos_label`` column), else ``decision_function``, else ``predict``.
    X : array-like, DataFrame or sequence of str
        The model's input, one row per candidate.
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s), one label per row of ``X``, as fairlearn's
        ``sensitive_features``.  Not passed to the model.
    threshold : float, optional
        Selected when ``score >= threshold``.
    select_top : int or float, optional
        Advance the top ``k`` candidates (an int) or that fraction of them (a
        float in (0, 1), ``ceil(fraction * n)`` candidates).  Everyone tied
        with the k-th score advances too, so more than ``k`` may advance.
    y_true : array-like, optional
        The actual outcome; adds ``result.error_rates`` (see
        :func:`error_rates`).
    pos_label : object, default 1
        The class that means "selected" in the model's classes and in
        ``y_true``.
    **audit_kwargs
        Passed on to :func:`adverse_impact.audit`: ``reference``,
        ``intersectional``, ``min_share``, ``unknown``, ``sample_weight`` (an
        array, one weight per row), ...  ``intersectional``, ``unknown`` and
        ``sample_weight`` apply to the error rates too.

    Returns
    -------
    AuditResult
        As from :func:`adverse_impact.audit`.  ``params`` also records
        ``score_method`` (which method produced the scores), ``rule``
        (``"threshold"``, ``"select_top"`` or ``"predict"``), ``cutoff`` (the
        score cut-off applied; for ``select_top`` the k-th highest score;
        None for ``predict``), ``threshold``, ``select_top``, ``pos_label``
        and ``model``.  ``error_rates`` is set when ``y_true`` is given.

    Raises
    ------
    InputError
        An unfitted model, ``X`` and ``sensitive_features`` of different
        lengths, a ``pos_label`` that is not one of the model's classes, both
        ``threshold`` and ``select_top``, a callable without either, ...
    InputTypeError
        Arguments of the wrong kind, or ``audit_kwargs`` that ``audit_model``
        sets itself (``data``, ``selected``, ``groups``, ``score``).

    See Also
    --------
    threshold_sweep : the audit at every cut-off of a grid.
    error_rates : error rates by group from decisions and outcomes.

    Notes
    -----
    The audit is of the model *and* its cut-off: the same scores can pass the
    four-fifths rule at one threshold and fail it at another.  Report the
    cut-off with the result, and look at :func:`threshold_sweep` before
    choosing one.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0], [1], [2], [3]], [0, 0, 1, 1])
    >>> X = [[0], [1], [2], [3], [1], [2]]
    >>> sex = ["F", "F", "F", "M", "M", "M"]
    >>> result = audit_model(model, X, {"sex": sex}, threshold=0.5)
    >>> result.table[["group", "n", "selected", "rate", "impact_ratio"]]
      group  n  selected      rate  impact_ratio
    0     F  3         1  0.333333      0.5
    1     M  3         2  0.666667      1.0
    >>> result.params["score_method"], result.params["cutoff"]
    ('predict_proba', 0.5)
    """
    for key in _RESERVED:
        if key in audit_kwargs:
            raise type_error(key, "is set by audit_model from model, X and sensitive_features",
                             f"Drop {key}=; pass the model's input as X and the protected "
                             "attributes as sensitive_features")
    if threshold is not None and select_top is not None:
        raise input_error("select_top", "both threshold and select_top were given",
                          "Pass one of them: a score cut-off or a number/fraction of candidates")
    if threshold is not None and (isinstance(threshold, (bool, np.bool_))
                                  or not isinstance(threshold, (int, float, np.number))):
        raise type_error("threshold", f"expected a number, got {type(threshold).__name__}",
                         "Pass a score cut-off such as threshold=0.5")
    weight = audit_kwargs.get("sample_weight")
    if isinstance(weight, str):
        raise type_error("sample_weight", f"got the column name {weight!r}",
                         "Pass the weights themselves, one per row of X")
    truth = None if y_true is None else _binarise(y_true, pos_label, "y_true")
    _check_rows(X, sensitive_features, y_true=y_true, sample_weight=weight)

    scores, method = model_scores(model, X, pos_label=pos_label)
    n = next(iter(_feature_lengths(sensitive_features).values()), len(scores))
    if len(scores) != n:
        raise input_error("model", f"returned {len(scores)} scores for {n} rows",
                          "Return one score per row of X")
    cutoff: float | None
    if threshold is not None or select_top is not None:
        decisions, cutoff = decide(scores, threshold=threshold, select_top=select_top)
        rule = "threshold" if threshold is not None else "select_top"
    else:
        decisions, cutoff, rule = _predicted(model, X, scores, method, pos_label), None, "predict"
    decisions = np.asarray(decisions, dtype=np.int8)

    with _as_sensitive_features():
        result = audit(selected=decisions, groups=sensitive_features, **audit_kwargs)
    params = {
        **result.params,
        "rule": rule,
        "score_method": method,
        "cutoff": cutoff,
        "threshold": None if threshold is None else float(threshold),
        "select_top": select_top,
        "pos_label": pos_label,
        "model": type(model).__name__,
    }
    rates = None
    if truth is not None:
        rates = _error_rates(truth, decisions, sensitive_features,
                             unknown=audit_kwargs.get("unknown"),
                             intersectional=audit_kwargs.get("intersectional", True),
                             sample_weight=weight, warn=False)
    return result._replace(params=params, error_rates=rates)


def _predicted(model: Any, X: Any, scores: np.ndarray, method: str,
               pos_label: Any) -> np.ndarray:
    """The model's own decisions: ``predict(X) == pos_label``."""
    if method == "callable":
        raise input_error(
            "threshold", "the model is a callable returning scores, so it makes no decisions "
            "of its own", "Pass threshold= (selected when score >= threshold) or select_top=",
        )
    if method == "predict":
        # model_scores already called predict and compared with pos_label.
        if getattr(model, "classes_", None) is not None:
            _positive_column(model, pos_label)
        return scores.astype(bool)
    predictions = np.asarray(model.predict(X))
    return np.asarray(predictions == pos_label, dtype=bool).ravel()


# -- threshold sweep --------------------------------------------------------------

class ThresholdSweep:
    """The audit at every cut-off of a grid; immutable.

    Returned by :func:`adverse_impact.threshold_sweep`.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: one row per (threshold, attribute, group) with ``threshold``,
        ``attribute``, ``group``, ``n``, ``selected``, ``rate``,
        ``impact_ratio``, ``is_reference`` and ``four_fifths_flag``.  A copy
        is returned on every access.
    thresholds : numpy.ndarray
        The cut-offs, ascending (a read-only array).
    score_method : str
        Where the scores came from: ``"scores"`` (given), or the model method.
    n_total : int
        Rows scored, unknown included.
    unknown : Mapping[str, int]
        Rows in the unknown category, per attribute.
    """

    __slots__ = ("_table", "_thresholds", "_score_method", "_n_total", "_unknown",
                 "_n_selected")

    def __init__(self, table: pd.DataFrame, *, thresholds: np.ndarray, score_method: str,
                 n_total: int, unknown: Mapping[str, int], n_selected: np.ndarray) -> None:
        thresholds = np.array(thresholds, dtype=float)
        thresholds.flags.writeable = False
        n_selected = np.array(n_selected, dtype=np.int64)
        n_selected.flags.writeable = False
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_thresholds", thresholds)
        object.__setattr__(self, "_score_method", score_method)
        object.__setattr__(self, "_n_total", int(n_total))
        object.__setattr__(self, "_unknown", MappingProxyType(dict(unknown)))
        object.__setattr__(self, "_n_selected", n_selected)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ThresholdSweep is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ThresholdSweep is immutable")

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def thresholds(self) -> np.ndarray:
        return self._thresholds

    @property
    def score_method(self) -> str:
        return self._score_method

    @property
    def n_total(self) -> int:
        return self._n_total

    @property
    def unknown(self) -> Mapping[str, int]:
        return self._unknown

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attributes swept, intersection last."""
        return tuple(dict.fromkeys(self._table["attribute"]))

    def to_frame(self) -> pd.DataFrame:
        """The tidy table as a DataFrame (a copy)."""
        return self._table.copy()

    def summary(self) -> pd.DataFrame:
        """One row per cut-off: how many advance overall, and the worst impact ratio.

        Columns: ``threshold``, ``selected`` and ``rate`` (all rows, unknown
        included), ``min_impact_ratio`` (over every attribute and group; NaN
        when no ratio is defined), ``n_flagged`` (groups below four-fifths)
        and ``passes`` (no group flagged).
        """
        grouped = self._table.groupby("threshold", sort=True)
        out = pd.DataFrame({
            "threshold": self._thresholds,
            "selected": self._n_selected,
            "rate": self._n_selected / self._n_total,
            "min_impact_ratio": grouped["impact_ratio"].min().to_numpy(),
            "n_flagged": grouped["four_fifths_flag"].sum().to_numpy().astype(np.int64),
        })
        out["passes"] = out["n_flagged"] == 0
        return out

    def _headline(self) -> str:
        t = self._thresholds
        passing = int((self.summary()["n_flagged"] == 0).sum())
        attrs = len(self.attributes)
        return (f"ThresholdSweep: {len(t)} cut-off{'s' if len(t) != 1 else ''} from {t[0]:.4g} "
                f"to {t[-1]:.4g} ({self._score_method}), {attrs} attribute"
                f"{'s' if attrs != 1 else ''}; four-fifths holds at {passing} of {len(t)} "
                f"(n_total={self._n_total:,})")

    def _display_frame(self, limit: int = 11) -> pd.DataFrame:
        summary = self.summary()
        if len(summary) > limit:
            picks = np.unique(np.linspace(0, len(summary) - 1, limit).round().astype(int))
            summary = summary.iloc[picks]
        return summary

    def __repr__(self) -> str:
        frame = self._display_frame()
        body = frame.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
        return f"{self._headline()}\n{body}"

    def _repr_html_(self) -> str:
        table = self._display_frame().to_html(index=False, na_rep="", border=0,
                                              float_format=lambda v: f"{v:.4g}",
                                              classes="adverse-impact")
        return f"<div><p><strong>{html.escape(self._headline())}</strong></p>{table}</div>"

    def plot(self, ax: Axes | None = None, attribute: str | None = None) -> Axes:
        """Impact ratio of each group against the cut-off, with the 0.8 line dashed.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when None.
        attribute : str, optional
            One attribute (e.g. ``"sex"`` or ``"sex x race"``); all when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        table = self._table
        if attribute is not None:
            if attribute not in self.attributes:
                raise input_error("attribute", f"{attribute!r} was not swept",
                                  f"Use one of {list(self.attributes)!r}")
            table = table[table["attribute"] == attribute]
        if ax is None:
            _, ax = plt.subplots()
        several = table["attribute"].nunique() > 1
        marker = "." if len(self._thresholds) <= 30 else None
        for (name, group), rows in table.groupby(["attribute", "group"], sort=False):
            label = f"{name}: {group}" if several else str(group)
            ax.plot(rows["threshold"], rows["impact_ratio"], marker=marker, label=label)
        ax.axhline(0.8, linestyle="--", color="0.35", linewidth=1, label="four-fifths (0.8)")
        ax.set_xlabel("cut-off (selected when score >= cut-off)")
        ax.set_ylabel("impact ratio (rate / highest rate)")
        ax.set_ylim(0, 1.05)
        ax.set_title("Impact ratio by cut-off" + (f": {attribute}" if attribute else ""))
        ax.legend(fontsize="small")
        return ax


def threshold_sweep(
    scores_or_model: Any,
    X: Any = None,
    sensitive_features: Any = None,
    *,
    thresholds: Sequence[float] | np.ndarray | None = None,
    pos_label: Any = 1,
    unknown: Any = None,
    intersectional: bool = True,
) -> ThresholdSweep:
    """Selection rates, impact ratios and four-fifths flags at every cut-off of a grid.

    Equal, at each threshold ``t``, to ``audit(score=scores, threshold=t,
    groups=sensitive_features)``, but computed in one pass: the scores are
    sorted once, which places every candidate between two consecutive
    cut-offs, and one ``bincount`` per attribute over (group, place) with a
    cumulative sum gives each group's count at or above every cut-off.

    Parameters
    ----------
    scores_or_model : array-like, estimator or callable
        Scores (higher = more likely selected), or a fitted classifier or
        callable that :func:`audit_model` accepts; then ``X`` is required.
    X : array-like, optional
        The model's input, when ``scores_or_model`` is a model.
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s), one label per row (required).
    thresholds : sequence of float, optional
        The cut-offs; a candidate is selected when ``score >= cut-off``.
        Sorted and deduplicated.  By default the distinct 0%, 1%, ..., 100%
        quantiles of the scores (``method="lower"``, so every cut-off is an
        observed score; at most 101).
    pos_label : object, default 1
        The model's class meaning "selected".
    unknown : label or list of labels, optional
        Labels meaning "unknown category", as in :func:`adverse_impact.audit`.
    intersectional : bool, default True
        Also sweep the intersection of two or more attributes.

    Returns
    -------
    ThresholdSweep
        ``.to_frame()`` gives the tidy table, ``.summary()`` one row per
        cut-off, ``.plot()`` the impact ratios against the cut-off.

    Raises
    ------
    InputError
        Missing ``sensitive_features``, mismatched lengths, NaN scores or
        cut-offs, an attribute with fewer than two known groups, ``X`` with
        scores or no ``X`` with a model.

    See Also
    --------
    audit_model : the audit at one cut-off, with error rates.

    Notes
    -----
    At each cut-off the reference is the highest-rate known group of each
    attribute (ties: the first in sorted order, as in the audit).  The ratio
    is NaN when that rate is 0.  A group is flagged exactly when
    ``5 * s_g * n_ref < 4 * s_ref * n_g`` in integers (29 CFR 1607.4(D)), so a
    ratio of exactly 0.8 is never flagged by rounding.

    Examples
    --------
    >>> scores = [0.9, 0.8, 0.3, 0.7, 0.4, 0.2]
    >>> sex = ["F", "F", "F", "M", "M", "M"]
    >>> sweep = threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[0.5, 0.75])
    >>> sweep.to_frame()[["threshold", "group", "selected", "rate", "impact_ratio",
    ...                   "four_fifths_flag"]]
       threshold group  selected      rate  impact_ratio  four_fifths_flag
    0       0.50     F         2  0.666667           1.0             False
    1       0.50     M         1  0.333333           0.5              True
    2       0.75     F         2  0.666667           1.0             False
    3       0.75     M         0  0.000000           0.0              True
    """
    if sensitive_features is None:
        raise input_error("sensitive_features", "is required",
                          "Pass the protected attribute(s), e.g. sensitive_features=df['sex']")
    is_model = callable(scores_or_model) or any(
        callable(getattr(scores_or_model, m, None))
        for m in ("predict_proba", "decision_function", "predict"))
    if is_model:
        if X is None:
            raise input_error("X", "a model was given without its input",
                              "Pass X= (the rows to score), or pass the scores themselves")
        _check_rows(X, sensitive_features)
        scores, method = model_scores(scores_or_model, X, pos_label=pos_label)
    else:
        if X is not None:
            raise input_error("X", "was given but scores_or_model holds scores, not a model",
                              "Drop X=, or pass the fitted model as scores_or_model")
        if isinstance(scores_or_model, str):
            raise type_error("scores_or_model", f"got the string {scores_or_model!r}",
                             "Pass the scores themselves or a fitted model")
        if np.ndim(scores_or_model) != 1:
            raise input_error("scores_or_model",
                              f"expected one score per row, got shape "
                              f"{np.shape(scores_or_model)}", "Pass a 1-D array of scores")
        _check_rows(None, sensitive_features, scores_or_model=scores_or_model)
        scores, method = check_scores(scores_or_model, "scores_or_model"), "scores"
    n_rows = next(iter(_feature_lengths(sensitive_features).values()), len(scores))
    check_consistent_length({"scores": len(scores), "sensitive_features": n_rows})
    grid = _grid(scores, thresholds)

    # Each score's bin: how many cut-offs it reaches (score >= t), 0 to T.  A
    # row is selected at cut-off j exactly when its bin exceeds j, so the
    # counts per (group, bin) answer every cut-off at once.  One sort of the
    # scores places every row (a binary search per row is several times slower).
    n_t = len(grid)
    order = np.argsort(scores)
    reach = np.searchsorted(scores[order], grid, side="left")  # first rank >= each cut-off
    per_bin = np.diff(reach, prepend=0, append=len(scores))
    bins = np.empty(len(scores), dtype=np.int64)
    bins[order] = np.repeat(np.arange(n_t + 1), per_bin)
    n_selected = len(scores) - reach
    blocks, unknown_counts = [], {}
    for name, keys, gid, n_unknown in _row_groups(sensitive_features, len(scores),
                                                  check_unknown(unknown), intersectional):
        unknown_counts[name] = n_unknown
        n_g, s_g = _selected_at(bins, gid, len(keys), n_t)
        blocks.append((name, keys, n_g, s_g))
    table = _sweep_table(grid, blocks)
    return ThresholdSweep(table, thresholds=grid, score_method=method, n_total=len(scores),
                          unknown=unknown_counts, n_selected=n_selected)


def _grid(scores: np.ndarray, thresholds: Any) -> np.ndarray:
    if thresholds is None:
        # method="lower": every default cut-off is a score somebody actually has.
        return np.unique(np.quantile(scores, _DEFAULT_QUANTILES, method="lower"))
    if isinstance(thresholds, (int, float, np.number)):
        thresholds = [thresholds]
    try:
        grid = np.asarray(thresholds, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise type_error("thresholds", "expected numbers",
                         "Pass a list of cut-offs such as [0.3, 0.5, 0.7]") from exc
    if grid.size == 0:
        raise input_error("thresholds", "is empty", "Pass at least one cut-off, or None")
    if np.isnan(grid).any():
        raise input_error("thresholds", f"{int(np.isnan(grid).sum())} cut-off(s) are NaN",
                          "Pass numbers")
    return np.unique(grid)


def _row_groups(sensitive_features: Any, n: int, unknown: frozenset, intersectional: bool
                ) -> Iterator[tuple[str, list[tuple], np.ndarray, int]]:
    """Per audited attribute: its sorted known groups, each row's group (the
    number of known groups for an unknown row), and the unknown row count."""
    with _as_sensitive_features():
        labels = _group_arrays(sensitive_features)
        if not labels:
            raise input_error("groups", "no protected attribute was given",
                              "Pass at least one column of group labels")
        coded = {}
        for name, values in labels.items():
            codes, uniques = _factorize(values, f"groups[{name!r}]")
            # The last entry stands for code -1 (a missing label): always unknown.
            is_unknown = np.array([_is_unknown(u, unknown) for u in uniques] + [True])
            coded[name] = (codes, uniques, is_unknown)
    # The audit's own check for unknown= labels that match nothing (a misspelling).
    _warn_unused_unknown(SimpleNamespace(attributes=tuple(coded),
                                         table={k: v[1] for k, v in coded.items()}), unknown)
    for name, columns in _specs(tuple(labels), intersectional):
        # Each label becomes a digit; every unknown label (and a missing one,
        # code -1) becomes the extra top digit, so a cell is known exactly
        # when none of its digits is the top one.
        radices = [len(coded[c][1]) + 1 for c in columns]
        combined = np.zeros(n, dtype=np.int64)
        for column, radix in zip(columns, radices):
            codes, uniques, is_unknown = coded[column]
            digit = np.where(is_unknown, radix - 1, np.arange(radix))  # index -1: missing
            combined *= radix
            combined += digit[codes]
        size = int(np.prod(radices, dtype=object))
        dense = size <= max(4 * n, 1 << 16)
        if dense:
            counts = np.bincount(combined, minlength=size)
            cell_known = np.ones(radices, dtype=bool)
            for axis in range(len(radices)):
                cell_known[(slice(None),) * axis + (-1,)] = False
            cell_known = cell_known.ravel()
            present = np.flatnonzero((counts > 0) & cell_known)
            n_unknown = int(counts[~cell_known].sum())
        else:
            digits = np.unravel_index(combined, radices)
            known = np.logical_and.reduce([d < r - 1 for d, r in zip(digits, radices)])
            present = np.unique(combined[known])
            n_unknown = int((~known).sum())
        keys = [tuple(coded[c][1][d] for c, d in zip(columns, digits))
                for digits in zip(*np.unravel_index(present, radices))] if len(present) else []
        if len(keys) < 2:
            found = "no known group" if not keys else f"one known group ({_label(keys[0])!r})"
            raise input_error(
                "sensitive_features", f"attribute {name!r} has {found} after "
                f"{n_unknown:,} unknown rows were set aside; an impact ratio "
                "compares at least two groups",
                "Sweep an attribute with two or more groups, or check the unknown= labels")
        if len(columns) == 1:
            _warn_near_duplicates(name, keys)
        rank = sorted(range(len(keys)), key=lambda i: _sort_key(keys[i]))
        position = np.empty(len(keys), dtype=np.int64)
        position[rank] = np.arange(len(keys))
        unknown_gid = len(keys)
        if dense:
            lookup = np.full(size, unknown_gid, dtype=np.int64)
            lookup[present] = position
            gid = lookup[combined]
        else:
            gid = np.full(n, unknown_gid, dtype=np.int64)
            gid[known] = position[np.searchsorted(present, combined[known])]
        yield name, [keys[i] for i in rank], gid, n_unknown


def _selected_at(bins: np.ndarray, gid: np.ndarray, n_groups: int,
                 n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Group sizes (G,) and selected counts (G, T) at every cut-off.

    ``bins[i]`` is the number of cut-offs row ``i`` reaches and ``gid[i]``
    its group (``n_groups`` when unknown).  One ``bincount`` over (group, bin) and a
    cumulative sum per group give every group's count at every cut-off.
    """
    # Unknown rows (gid == n_groups) count in an extra last group, dropped below.
    code = gid * (n_t + 1)
    code += bins
    cells = np.bincount(code, minlength=(n_groups + 1) * (n_t + 1)).reshape(
        n_groups + 1, n_t + 1)[:n_groups]
    sizes = cells.sum(axis=1).astype(np.int64)
    # Below cut-off j: the rows in bins 0..j; selected: the rest.
    selected = sizes[:, None] - np.cumsum(cells, axis=1)[:, :n_t]
    return sizes, selected.astype(np.int64)


def _sweep_table(grid: np.ndarray, blocks: list[tuple[str, list[tuple], np.ndarray,
                                                          np.ndarray]]) -> pd.DataFrame:
    parts = []
    n_t = len(grid)
    for name, keys, n_g, s_g in blocks:
        n_groups = len(keys)
        # Products of counts stay exact in int64 up to about 3e9 rows per group;
        # Python integers beyond that.
        kind = np.int64 if int(n_g.max()) < 2**31 else object
        n_col = n_g.astype(kind)[:, None]
        s = s_g.astype(kind)
        # Reference per cut-off: the highest rate, compared exactly by
        # cross-multiplication; ties keep the first group in sorted order.
        ref = np.zeros(n_t, dtype=np.int64)
        for g in range(1, n_groups):
            better = s[g] * n_col[ref, 0] > s[ref, np.arange(n_t)] * n_col[g, 0]
            ref = np.where(better, g, ref)
        s_ref = s[ref, np.arange(n_t)][None, :]
        n_ref = n_col[ref, 0][None, :]
        has_ratio = s_ref > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(has_ratio, (s * n_ref).astype(float) / (n_col * s_ref).astype(float),
                             np.nan)
        flag = 5 * s * n_ref < 4 * s_ref * n_col
        rate = s_g / n_g[:, None]
        labels = np.empty(n_groups, dtype=object)
        labels[:] = [_label(k) for k in keys]
        parts.append(pd.DataFrame({
            "t_index": np.tile(np.arange(n_t), n_groups),
            "threshold": np.tile(grid, n_groups),
            "attribute": name,
            "group": pd.Series(np.repeat(labels, n_t), dtype=object),
            "n": np.repeat(n_g, n_t),
            "selected": s_g.ravel(),
            "rate": rate.ravel(),
            "impact_ratio": ratio.ravel(),
            "is_reference": (ref[None, :] == np.arange(n_groups)[:, None]).ravel(),
            "four_fifths_flag": np.asarray(flag, dtype=bool).ravel(),
        }))
    table = pd.concat(parts, ignore_index=True)
    # Cut-off first, then the attributes and groups in the audit's order.
    table = table.sort_values("t_index", kind="stable").drop(columns="t_index")
    return table.reset_index(drop=True)
