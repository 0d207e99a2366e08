"""Turning a fitted model into one score per candidate.

The only place that knows how scikit-learn estimators expose scores.  Every
model-facing function (model audits, proxy leakage, counterfactual tests)
calls :func:`model_scores` so that they agree on which column is "positive".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from adverse_impact._errors import input_error, type_error
from adverse_impact._validation import as_fraction

__all__ = ["model_scores", "SupportsPredict"]


@runtime_checkable
class SupportsPredict(Protocol):
    """Anything with a scikit-learn style ``predict`` method."""

    def predict(self, X: Any) -> Any: ...


def _check_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise input_error(
            "model",
            f"{type(model).__name__} is not fitted",
            "Call model.fit(X, y) before auditing it, or pass the fitted estimator",
        ) from exc
    except TypeError:
        # Not a scikit-learn estimator (no fit method): nothing to check.
        pass


def _positive_column(model: Any, pos_label: Any) -> int:
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise input_error(
            "model",
            f"{type(model).__name__} has predict_proba but no classes_ attribute, so the "
            "positive-class column is ambiguous",
            "Wrap the model in a callable that returns the positive-class score",
        )
    matches = np.flatnonzero(np.asarray(classes) == pos_label)
    if matches.size != 1:
        raise input_error(
            "pos_label",
            f"{pos_label!r} is not one of the model's classes {list(classes)!r}",
            "Pass pos_label= set to the class that means 'selected'",
        )
    return int(matches[0])


def model_scores(
    model: SupportsPredict | Callable[[Any], Any], X: Any, *, pos_label: Any = 1
) -> tuple[np.ndarray, str]:
    """Score every row of ``X`` with ``model``; higher means more likely selected.

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn compatible classifier (a ``Pipeline`` included)
        or a plain callable ``f(X) -> scores``.
    X : array-like, DataFrame or sequence of str
        The model's input.
    pos_label : object, default=1
        The class that means "selected".

    Returns
    -------
    scores : ndarray of float, shape (n_samples,)
    method : str
        ``"predict_proba"``, ``"decision_function"``, ``"predict"`` or
        ``"callable"``: which method produced the scores.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> scores, method = model_scores(model, [[0.0], [3.0]])
    >>> method, bool(scores[1] > scores[0])
    ('predict_proba', True)
    """
    has = {name: callable(getattr(model, name, None))
           for name in ("predict_proba", "decision_function", "predict")}
    if not any(has.values()):
        if callable(model):
            scores = np.asarray(model(X), dtype=float)
            method = "callable"
            return _check_scores(scores), method
        raise type_error(
            "model",
            f"{type(model).__name__} has no predict_proba, decision_function or predict "
            "method and is not callable",
            "Pass a fitted classifier or a function returning one score per row",
        )
    _check_fitted(model)
    if has["predict_proba"]:
        column = _positive_column(model, pos_label)
        proba = np.asarray(_call(model.predict_proba, X), dtype=float)
        return _check_scores(proba[:, column]), "predict_proba"
    if has["decision_function"]:
        values = np.asarray(_call(model.decision_function, X), dtype=float)
        classes = getattr(model, "classes_", None)
        if values.ndim == 2:
            column = _positive_column(model, pos_label)
            return _check_scores(values[:, column]), "decision_function"
        if classes is not None:
            # Binary decision_function is the score of classes_[1]: flip it
            # when the positive label is classes_[0].
            column = _positive_column(model, pos_label)
            if len(classes) != 2:
                raise input_error(
                    "model",
                    f"decision_function returned one column for {len(classes)} classes",
                    "Pass a binary classifier",
                )
            values = values if column == 1 else -values
        return _check_scores(values), "decision_function"
    predictions = np.asarray(_call(model.predict, X))
    return (predictions == pos_label).astype(float), "predict"


def _call(method: Callable[[Any], Any], X: Any) -> Any:
    """Call a scoring method; a model that cannot read ``X`` is a bad-input error."""
    try:
        return method(X)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise input_error("X", f"the model could not score X ({type(exc).__name__}: {reason})",
                          "Pass X with the columns, order and types the model was fitted on"
                          ) from exc


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float).ravel()
    if not np.all(np.isfinite(scores)):
        bad = int(np.sum(~np.isfinite(scores)))
        raise input_error(
            "model",
            f"returned {bad} NaN or infinite score(s)",
            "Check the model and its input for missing values",
        )
    return scores


def decide(
    scores: np.ndarray,
    *,
    threshold: float | None = None,
    select_top: int | float | None = None,
) -> tuple[np.ndarray, float]:
    """Turn scores into 0/1 decisions with a cut-off or a top-k rule.

    Parameters
    ----------
    scores : ndarray of float
    threshold : float, optional
        Selected when ``score >= threshold``.
    select_top : int or float, optional
        An int ``k >= 1`` advances the top ``k`` candidates; a float in
        ``(0, 1)`` advances that fraction, ``ceil(fraction * n)`` candidates.
        Ties at the cut-off are all advanced: every candidate whose score is
        at least the k-th highest score is selected, so the count can exceed
        ``k``.  This keeps the rule a pure function of the score (no
        dependence on row order, which could differ by group).

    Returns
    -------
    selected : ndarray of bool
    cutoff : float
        The threshold that was applied (for ``select_top``, the k-th highest
        score).

    Examples
    --------
    >>> import numpy as np
    >>> selected, cutoff = decide(np.array([0.9, 0.5, 0.5, 0.1]), select_top=2)
    >>> selected.tolist(), cutoff
    ([True, True, True, False], 0.5)
    """
    scores = np.asarray(scores, dtype=float)
    if threshold is not None and select_top is not None:
        raise input_error(
            "select_top",
            "both threshold and select_top were given",
            "Pass one of them: a score cut-off or a number/fraction of candidates",
        )
    if select_top is not None:
        n = scores.size
        if isinstance(select_top, (bool, np.bool_)):
            raise type_error("select_top", "got a bool", "Pass an int k or a fraction in (0, 1)")
        if isinstance(select_top, (int, np.integer)):
            k = int(select_top)
            if not 1 <= k <= n:
                raise input_error(
                    "select_top", f"k={k} is outside 1..{n} (the number of candidates)",
                    "Pass an int between 1 and the number of candidates, or a fraction",
                )
        elif isinstance(select_top, (float, np.floating)) and 0 < select_top < 1:
            # Read 0.07 as exactly 7/100: float(0.07) * 100 is 7.000000000000001.
            k = max(1, math.ceil(as_fraction(select_top, "select_top") * n))
        else:
            raise input_error(
                "select_top", f"{select_top!r} is neither an int k nor a fraction in (0, 1)",
                "Pass e.g. select_top=50 or select_top=0.2",
            )
        cutoff = float(np.partition(scores, n - k)[n - k])
        return scores >= cutoff, cutoff
    if threshold is None:
        raise input_error("threshold", "no cut-off was given",
                          "Pass threshold= or select_top=")
    threshold = float(threshold)
    if np.isnan(threshold):
        raise input_error("threshold", "is NaN", "Pass a number")
    return scores >= threshold, threshold
