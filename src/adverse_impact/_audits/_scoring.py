"""Turning a fitted model into one score per candidate.

The only place that knows how scikit-learn estimators expose scores.  Every
model-facing function (model audits, proxy leakage, counterfactual tests)
calls :func:`model_scores` so that they agree on which column is "positive".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._validation import as_fraction

__all__ = ["Cut", "SupportsPredict", "decide", "model_scores", "top_k"]


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
    except (TypeError, AttributeError):
        # Not a scikit-learn estimator (no fit method, or a plain class with fit and
        # predict that scikit-learn's tag machinery cannot read): nothing to check.
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
    has = {
        name: callable(getattr(model, name, None))
        for name in ("predict_proba", "decision_function", "predict")
    }
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
        raise input_error(
            "X",
            f"the model could not score X ({type(exc).__name__}: {reason})",
            "Pass X with the columns, order and types the model was fitted on",
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


@dataclass(frozen=True, slots=True)
class Cut:
    """Decisions made from scores, with what was asked and what was achieved.

    Attributes
    ----------
    selected : ndarray of bool
        One decision per candidate.
    cutoff : float
        The score cut-off: the threshold, or for a top-k rule the k-th
        highest score.
    rule : str
        ``"threshold"`` or ``"select_top"``.
    requested : int or None
        For ``select_top``: ``k``, the number of candidates asked for.
    n_tied : int
        Candidates whose score equals ``cutoff``.
    n_random : int
        Candidates among the tied selected by the seeded random tie-break
        (``ties="random"``); 0 otherwise.
    """

    selected: np.ndarray
    cutoff: float
    rule: str
    requested: int | None
    n_tied: int
    n_random: int

    @property
    def n_selected(self) -> int:
        """How many candidates were selected."""
        return int(np.count_nonzero(self.selected))

    @property
    def selected_share(self) -> float:
        """The share of candidates selected (achieved, not requested)."""
        return self.n_selected / self.selected.size if self.selected.size else math.nan

    def params(self) -> dict[str, Any]:
        """What an audit records about the rule: requested beside achieved."""
        n = int(self.selected.size)
        return {
            "cutoff": self.cutoff,
            "requested_selected": self.requested,
            "requested_share": None if self.requested is None or not n else self.requested / n,
            "n_selected": self.n_selected,
            "selected_share": self.selected_share,
            "n_tied_at_cutoff": self.n_tied,
            "n_tie_break": self.n_random,
        }


#: How :func:`decide` treats a block of tied scores that straddles a top-k cut-off.
TIES = ("error", "random")


def top_k(select_top: Any, n: int) -> int:
    """The number of candidates ``select_top`` asks for among ``n``.

    An int ``k`` is taken as it is (``1 <= k <= n``); a float in (0, 1) is a
    share, ``ceil(share * n)`` candidates (at least one), read as an exact
    decimal so that 0.07 of 100 is 7, not 8.
    """
    if isinstance(select_top, (bool, np.bool_)):
        raise type_error("select_top", "got a bool", "Pass an int k or a fraction in (0, 1)")
    if isinstance(select_top, (int, np.integer)):
        k = int(select_top)
        if not 1 <= k <= n:
            raise input_error(
                "select_top",
                f"k={k} is outside 1..{n} (the number of candidates)",
                "Pass an int between 1 and the number of candidates, or a fraction",
            )
        return k
    if isinstance(select_top, (float, np.floating)) and 0 < select_top < 1:
        # Read 0.07 as exactly 7/100: float(0.07) * 100 is 7.000000000000001.
        return max(1, math.ceil(as_fraction(select_top, "select_top") * n))
    raise input_error(
        "select_top",
        f"{select_top!r} is neither an int k nor a fraction in (0, 1)",
        "Pass e.g. select_top=50 or select_top=0.2",
    )


def decide(
    scores: np.ndarray,
    *,
    threshold: float | None = None,
    select_top: int | float | None = None,
    ties: str = "error",
    random_state: Any = None,
) -> Cut:
    """Turn scores into 0/1 decisions with a cut-off or a top-k rule.

    Parameters
    ----------
    scores : ndarray of float
    threshold : float, optional
        Selected when ``score >= threshold``.
    select_top : int or float, optional
        An int ``k >= 1`` advances the top ``k`` candidates; a float in
        ``(0, 1)`` advances that fraction, ``ceil(fraction * n)`` candidates.
        Exactly ``k`` are selected, or the call fails: see ``ties``.
    ties : {"error", "random"}, default "error"
        What to do when candidates tied at the k-th highest score straddle
        the cut-off, so that "the top k" is not defined by the scores.
        ``"error"`` refuses, saying how many share the cut-off score;
        ``"random"`` selects everyone above it and fills the remaining
        places from the tied candidates at random (seeded by
        ``random_state``), so exactly ``k`` are selected.  Selecting all
        tied candidates is never done: a model with few distinct scores
        (``predict`` outputs 0/1) would then select nearly everyone and pass
        any audit.
    random_state : int, numpy Generator or None
        Seed of the tie-break with ``ties="random"``.

    Returns
    -------
    Cut
        The decisions, the cut-off, and the requested and achieved counts.

    Raises
    ------
    InputError
        Tied scores straddle a top-k cut-off and ``ties="error"``; both or
        neither of ``threshold`` and ``select_top``; a NaN threshold.

    Examples
    --------
    >>> import numpy as np
    >>> cut = decide(np.array([0.9, 0.7, 0.5, 0.1]), select_top=2)
    >>> cut.selected.tolist(), cut.cutoff, cut.n_selected
    ([True, True, False, False], 0.7, 2)
    >>> cut = decide(np.array([0.9, 0.5, 0.5, 0.1]), select_top=2, ties="random",
    ...              random_state=0)
    >>> cut.n_selected, cut.n_tied, cut.n_random
    (2, 2, 1)
    """
    scores = np.asarray(scores, dtype=float)
    if ties not in TIES:
        raise input_error(
            "ties",
            f"{ties!r} is not one of {list(TIES)}",
            "Pass ties='error' (refuse ties at a top-k cut-off) or "
            "ties='random' (break them at random, with random_state=)",
        )
    if threshold is not None and select_top is not None:
        raise input_error(
            "select_top",
            "both threshold and select_top were given",
            "Pass one of them: a score cut-off or a number/fraction of candidates",
        )
    if select_top is not None:
        return _top(scores, top_k(select_top, scores.size), select_top, ties, random_state)
    if threshold is None:
        raise input_error("threshold", "no cut-off was given", "Pass threshold= or select_top=")
    threshold = float(threshold)
    if np.isnan(threshold):
        raise input_error("threshold", "is NaN", "Pass a number")
    return Cut(
        scores >= threshold,
        threshold,
        "threshold",
        None,
        int(np.count_nonzero(scores == threshold)),
        0,
    )


def _top(scores: np.ndarray, k: int, select_top: Any, ties: str, random_state: Any) -> Cut:
    """Exactly the top ``k`` scores, or an error naming the tie that prevents it."""
    n = scores.size
    cutoff = float(np.partition(scores, n - k)[n - k])
    above = scores > cutoff
    tied = scores == cutoff
    n_above, n_tied = int(np.count_nonzero(above)), int(np.count_nonzero(tied))
    places = k - n_above
    if places == n_tied:
        return Cut(above | tied, cutoff, "select_top", k, n_tied, 0)
    if ties == "error":
        asked = f"select_top={select_top!r}" + (
            "" if isinstance(select_top, (int, np.integer)) else f" ({k:,} of {n:,})"
        )
        raise input_error(
            "select_top",
            f"{asked} cuts through {n_tied:,} candidates tied at the score {cutoff:.6g}: "
            f"{n_above:,} score higher, so {places:,} of the {n_tied:,} tied would have to be "
            f"chosen and the scores cannot say which (selecting all of them would select "
            f"{n_above + n_tied:,}, not {k:,})",
            "Pass ties='random' with random_state= to fill the places at random among the "
            "tied, use threshold= to select everyone at or above a score, or score with a "
            "finer method (predict_proba or decision_function rather than predict)",
        )
    rng = np.random.default_rng(random_state)
    chosen = rng.choice(np.flatnonzero(tied), size=places, replace=False)
    selected = above.copy()
    selected[chosen] = True
    return Cut(selected, cutoff, "select_top", k, n_tied, places)
