"""Auditing a fitted classifier: score, decide, audit.

:func:`audit_model` scores with :func:`~adverse_impact._audits._scoring.model_scores`,
decides with :func:`~adverse_impact._audits._scoring.decide`, audits with
:func:`~adverse_impact._audits._audit.audit` and, given outcomes, attaches
:func:`~adverse_impact._audits._error_rates.error_rates`; it repeats none of their
work.  The sweep over cut-offs lives in ``adverse_impact._audits._sweep``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from adverse_impact._audits import PUBLIC
from adverse_impact._audits._audit import audit
from adverse_impact._audits._error_rates import error_rates, rates_from_binary
from adverse_impact._audits._result import AuditResult, amended
from adverse_impact._audits._scoring import SupportsPredict, _positive_column, decide, model_scores
from adverse_impact._audits._sweep import ThresholdSweep, threshold_sweep
from adverse_impact._core._errors import input_error, type_error, warn
from adverse_impact._core._params import validate_params
from adverse_impact._core._validation import (
    check_binary_labels,
    check_rows,
    feature_lengths,
)

__all__ = [*PUBLIC["_model"], "error_rates", "threshold_sweep", "ThresholdSweep"]

#: Arguments of ``audit`` that ``audit_model`` fills in itself.
_RESERVED = ("data", "selected", "score")

Model = SupportsPredict | Callable[[Any], Any]


@validate_params()
def audit_model(
    model: Model,
    X: Any,
    sensitive_features: Any,
    *,
    threshold: float | None = None,
    select_top: int | float | None = None,
    y_true: Any = None,
    pos_label: Any = 1,
    ties: str = "error",
    random_state: Any = None,
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
        float in (0, 1), ``ceil(fraction * n)`` candidates).  Exactly ``k``
        advance: when tied scores straddle the cut-off the audit fails (see
        ``ties``) rather than advance all of them.  A model with only
        ``predict`` has no ranking, so ``select_top`` is refused for it
        unless ``ties="random"`` says to rank its positives at random.
    y_true : array-like, optional
        The actual outcome; adds ``result.error_rates`` (see
        :func:`error_rates`).
    pos_label : object, default 1
        The class that means "selected" in the model's classes and in
        ``y_true``.
    ties : {"error", "random"}, default "error"
        With ``select_top``: refuse a cut-off that falls inside a block of
        tied scores (the error says how many share the cut-off score), or
        fill the remaining places at random among the tied, seeded by
        ``random_state``.  See :func:`adverse_impact._audits._scoring.decide`.
    random_state : int, numpy Generator or None
        Seed of the random tie-break.
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
        None for ``predict``), ``threshold``, ``select_top``, ``pos_label``,
        ``model``, ``ties``, and the requested beside the achieved selection:
        ``requested_selected`` and ``requested_share`` (``select_top``
        only), ``n_selected`` and ``selected_share`` (always),
        ``n_tied_at_cutoff`` and ``n_tie_break`` (candidates chosen at
        random among the tied).  ``error_rates`` is set when ``y_true`` is
        given.

    Raises
    ------
    InputError
        An unfitted model, ``X`` and ``sensitive_features`` of different
        lengths, a ``pos_label`` that is not one of the model's classes, both
        ``threshold`` and ``select_top``, a callable without either, ...
    InputTypeError
        Arguments of the wrong kind, or ``audit_kwargs`` that ``audit_model``
        sets itself (``data``, ``selected``, ``sensitive_features``, ``score``).

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
    _check_arguments(threshold, select_top, audit_kwargs)
    weight = audit_kwargs.get("sample_weight")
    truth = None if y_true is None else check_binary_labels(y_true, pos_label, "y_true")
    check_rows(X, sensitive_features, y_true=y_true, sample_weight=weight)

    scores, method = model_scores(model, X, pos_label=pos_label)
    n = next(iter(feature_lengths(sensitive_features).values()), len(scores))
    if len(scores) != n:
        raise input_error(
            "model", f"returned {len(scores)} scores for {n} rows", "Return one score per row of X"
        )
    decisions, rule, cut_params = _decisions(
        model, X, scores, method, threshold, select_top, ties, random_state, pos_label
    )
    decisions = np.asarray(decisions, dtype=np.int8)

    result = audit(selected=decisions, sensitive_features=sensitive_features, **audit_kwargs)
    params = {
        "rule": rule,
        "score_method": method,
        "threshold": None if threshold is None else float(threshold),
        "select_top": select_top,
        "ties": ties,
        **cut_params,
        "pos_label": pos_label,
        "model": type(model).__name__,
    }
    rates = None
    if truth is not None:
        rates = rates_from_binary(
            truth,
            decisions,
            sensitive_features,
            unknown=audit_kwargs.get("unknown"),
            intersectional=audit_kwargs.get("intersectional", True),
            sample_weight=weight,
            warn=False,
        )
    return amended(result, params=params, error_rates=rates)


def _check_arguments(
    threshold: float | None, select_top: int | float | None, audit_kwargs: dict[str, Any]
) -> None:
    """audit_model's own arguments: no reserved audit keyword, one cut-off, weights as values."""
    for key in _RESERVED:
        if key in audit_kwargs:
            raise type_error(
                key,
                "is set by audit_model from model, X and sensitive_features",
                f"Drop {key}=; pass the model's input as X and the protected "
                "attributes as sensitive_features",
            )
    if threshold is not None and select_top is not None:
        raise input_error(
            "select_top",
            "both threshold and select_top were given",
            "Pass one of them: a score cut-off or a number/fraction of candidates",
        )
    if threshold is not None and (
        isinstance(threshold, (bool, np.bool_))
        or not isinstance(threshold, (int, float, np.number))
    ):
        raise type_error(
            "threshold",
            f"expected a number, got {type(threshold).__name__}",
            "Pass a score cut-off such as threshold=0.5",
        )
    if isinstance(audit_kwargs.get("sample_weight"), str):
        raise type_error(
            "sample_weight",
            f"got the column name {audit_kwargs['sample_weight']!r}",
            "Pass the weights themselves, one per row of X",
        )


def _decisions(
    model: Model,
    X: Any,
    scores: np.ndarray,
    method: str,
    threshold: float | None,
    select_top: int | float | None,
    ties: str,
    random_state: Any,
    pos_label: Any,
) -> tuple[np.ndarray, str, dict[str, Any]]:
    """The decisions to audit, their rule and the cut-off's parameters.

    A cut-off (``threshold`` or ``select_top``) on the scores, or else the
    model's own ``predict``.
    """
    if threshold is not None or select_top is not None:
        if select_top is not None and method == "predict" and ties != "random":
            raise input_error(
                "select_top",
                f"{type(model).__name__} has only predict, whose 0/1 decisions are no "
                "ranking: a top-k cut-off would fall inside a block of tied scores",
                "Omit select_top to audit the model's own decisions, pass a model with "
                "predict_proba or decision_function, or pass ties='random' (with "
                "random_state=) to rank the model's positives at random",
            )
        if threshold is not None and method == "decision_function":
            _warn_margin_threshold(float(threshold), scores)
        cut = decide(
            scores, threshold=threshold, select_top=select_top, ties=ties, random_state=random_state
        )
        decisions, rule, cut_params = cut.selected, cut.rule, cut.params()
    else:
        decisions, rule = _predicted(model, X, scores, method, pos_label), "predict"
        n_selected = int(np.count_nonzero(decisions))
        cut_params = {
            "cutoff": None,
            "requested_selected": None,
            "requested_share": None,
            "n_selected": n_selected,
            "selected_share": n_selected / len(decisions) if len(decisions) else None,
            "n_tied_at_cutoff": None,
            "n_tie_break": 0,
        }
    return decisions, rule, cut_params


def _warn_margin_threshold(threshold: float, scores: np.ndarray) -> None:
    """Warn when a probability-like cut-off is applied to unbounded margins.

    ``threshold=0.5`` on ``predict_proba`` is the model's own boundary; on a
    ``decision_function`` margin (LinearSVC, RidgeClassifier) the boundary
    is 0 and 0.5 is a stricter rule, silently different.
    """
    if 0 < threshold < 1 and (scores.min() < 0 or scores.max() > 1):
        warn(
            f"threshold={threshold:g} was applied to decision_function margins (the model has "
            "no predict_proba), which are unbounded scores, not probabilities: the model's own "
            "boundary is a margin of 0. Pass threshold=0 for the model's own decisions, or "
            "calibrate it (sklearn.calibration.CalibratedClassifierCV) to cut on probabilities.",
            UserWarning,
        )


def _predicted(model: Any, X: Any, scores: np.ndarray, method: str, pos_label: Any) -> np.ndarray:
    """The model's own decisions: ``predict(X) == pos_label``."""
    if method == "callable":
        raise input_error(
            "threshold",
            "the model is a callable returning scores, so it makes no decisions of its own",
            "Pass threshold= (selected when score >= threshold) or select_top=",
        )
    if method == "predict":
        # model_scores already called predict and compared with pos_label.
        if getattr(model, "classes_", None) is not None:
            _positive_column(model, pos_label)
        return scores.astype(bool)
    predictions = np.asarray(model.predict(X))
    return np.asarray(predictions == pos_label, dtype=bool).ravel()
