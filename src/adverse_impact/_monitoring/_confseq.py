"""The anytime-valid boundary: Robbins' two-sided normal-mixture confidence sequence.

A confidence sequence covers its parameter at every look at once, however
often and whenever one looks, so stopping at the first alarm keeps the
error rate at ``alpha``.  The boundary here is the closed form of Robbins
(1970) in the notation of Howard, Ramdas, McAuliffe and Sekhon (2021):
for a process ``S`` with variance process (intrinsic time) ``V``, mixing
``exp(lambda S - lambda^2 V / 2)`` over ``lambda ~ N(0, 1/rho)`` gives the
martingale ``sqrt(rho / (V + rho)) exp(S^2 / (2 (V + rho)))``; by Ville's
inequality it stays below ``1/alpha`` at every ``V`` with probability at
least ``1 - alpha``, which is the statement ``|S| < radius(V)`` below.
Applied to the log impact ratio with its estimated (Katz) variance, as the
asymptotic confidence sequences of Waudby-Smith et al. (2024) do for
estimators that are asymptotically normal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adverse_impact._stats import _tests as stats

__all__ = [
    "PLANNED_CHANGES",
    "best_lambda",
    "best_rho",
    "linear_radius",
    "log_ratio_sequence",
    "mixture_radius",
    "planned_slopes",
]


def best_rho(v_opt: float, alpha: float) -> float:
    """The mixing precision that makes the boundary tightest near ``V = v_opt``.

    Howard et al. (2021), section 3.5: ``rho = v_opt / (2 log(1/alpha) +
    log(1 + 2 log(1/alpha)))``; the same formula as ``TwoSidedNormalMixture::
    best_rho`` in the authors' ``confseq`` package.

    Examples
    --------
    >>> from adverse_impact._monitoring._confseq import best_rho
    >>> round(best_rho(100.0, 0.05), 3)
    12.601
    """
    log_inv = math.log(1 / alpha)
    return float(v_opt) / (2 * log_inv + math.log(1 + 2 * log_inv))


def mixture_radius(v: Any, *, alpha: float, rho: float) -> np.ndarray:
    """Radius of the two-sided normal-mixture boundary on the sum scale.

    ``sqrt((V + rho) * log((V + rho) / (rho * alpha**2)))``: the ``|S|`` at
    which the mixture martingale reaches ``1/alpha``.

    Examples
    --------
    >>> from adverse_impact._monitoring._confseq import mixture_radius
    >>> float(mixture_radius(0.0, alpha=0.05, rho=1.0)) ** 2  # log(1/alpha^2) at V = 0
    5.99146...
    """
    v = np.asarray(v, dtype=float)
    return np.sqrt((v + rho) * np.log((v + rho) / (rho * alpha * alpha)))


def best_lambda(v_opt: float, alpha: float) -> float:
    """The slope of the linear boundary that touches the tightest curve at ``V = v_opt``.

    For the two-sided linear boundary ``log(2/alpha)/lambda + lambda V / 2``
    (:func:`linear_radius`), ``lambda = sqrt(2 log(2/alpha) / v_opt)`` minimises the
    radius at ``v_opt``, where it equals ``sqrt(2 v_opt log(2/alpha))``: the fixed-sample
    z-bound at ``alpha / 2`` per side with ``2 log(2/alpha)`` in place of ``z^2``.

    Examples
    --------
    >>> from adverse_impact._monitoring._confseq import best_lambda
    >>> round(best_lambda(625.0, 0.001), 4)
    0.1559
    """
    return math.sqrt(2 * math.log(2 / alpha) / float(v_opt))


#: The change detector's mixture over planned changes: (multiple of the planned
#: standard error, weight). Most weight on the planned change (a window with the
#: planned information telling 0.7 from 0.8); the rest on one four times as coarse,
#: so that a small group's large change is still caught (100 a group a month, a
#: change to 0.4: 93% within six months, against 6% with the planned slope alone).
PLANNED_CHANGES = ((1.0, 0.8), (4.0, 0.2))


def planned_slopes(planned_se: float, alpha: float) -> tuple[tuple[float, float], ...]:
    """The ``(lam, weight)`` of each planned change (:data:`PLANNED_CHANGES`).

    Each slope is :func:`best_lambda` at its component's information and level
    ``alpha * weight``: the slope that component would take alone.

    Examples
    --------
    >>> from adverse_impact._monitoring._confseq import planned_slopes
    >>> [(round(lam, 3), w) for lam, w in planned_slopes(0.04, 0.001)]
    [(0.158, 0.8), (0.687, 0.2)]
    """
    return tuple(
        (best_lambda(1 / (planned_se * multiple) ** 2, alpha * weight), weight)
        for multiple, weight in PLANNED_CHANGES
    )


def linear_radius(v: Any, *, alpha: float, slopes: Any) -> np.ndarray:
    """Radius of the two-sided boundary of a mixture of linear boundaries, sum scale.

    ``slopes`` is a sequence of ``(lam, weight)`` with weights summing to 1.  The
    radius is the ``S > 0`` at which ``sum_k weight_k exp(lam_k S - lam_k^2 V / 2)``
    reaches ``2/alpha``: each term is an exponential supermartingale for a
    Gaussian process with variance process ``V``, a weighted mean of them is one,
    and Ville's inequality bounds each side at ``alpha/2`` (Howard et al. 2021,
    the linear boundaries of their section 3, mixed over a few slopes).  With one
    slope it is ``log(2/alpha)/lam + lam V / 2``; a slope fixed by a planned change
    is what makes a restarted sequence a CUSUM for it, narrower than the normal
    mixture near the planned information, wider far from it, which the other
    slopes of the mixture cover.

    Examples
    --------
    >>> from adverse_impact._monitoring._confseq import linear_radius
    >>> float(linear_radius(100.0, alpha=0.05, slopes=[(0.5, 1.0)]))  # log(40)/0.5 + 25
    32.37775...
    >>> round(float(linear_radius(100.0, alpha=0.05, slopes=[(0.5, 0.7), (0.2, 0.3)])), 2)
    31.49

    Mixed, the radius lies below the planned slope's alone (32.38) where the
    other slope fits better, and above that slope's alone (28.44): the price of
    not knowing which change will come.
    """
    v = np.asarray(v, dtype=float)
    lams = np.array([float(lam) for lam, _ in slopes])[(...,) + (None,) * v.ndim]
    logw = np.log(np.array([float(w) for _, w in slopes]))[(...,) + (None,) * v.ndim]
    target = math.log(2 / alpha)
    # Start at the smallest one-slope radius (each term alone reaching 2/alpha): the
    # root is no larger. The log of the mixture is convex and increasing in S there,
    # so Newton's steps move left and never pass the root; with one slope the first
    # step lands on it.
    s = np.min((target - logw) / lams + lams * v / 2, axis=0)
    for _ in range(12):
        terms = logw + lams * s - lams * lams * v / 2
        top = terms.max(axis=0)
        weights = np.exp(terms - top)
        total = weights.sum(axis=0)
        excess = top + np.log(total) - target
        slope = (lams * weights).sum(axis=0) / total
        s = s - excess / slope
    return s


def log_ratio_sequence(
    sel_a: Any,
    n_a: Any,
    sel_b: Any,
    n_b: Any,
    *,
    alpha: float,
    rho: float | None = None,
    slopes: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log impact ratio of ``a`` against ``b`` and its confidence-sequence bounds.

    The counts are cumulative up to each look.  The estimate and its
    standard error are Katz's (:func:`adverse_impact.stats.impact_ratio_test`,
    with the same Haldane-Anscombe correction for zero cells); with
    information ``V = 1 / se^2`` the bounds are
    ``log IR -/+ mixture_radius(V) / V`` (``rho`` given: the normal mixture)
    or ``log IR -/+ linear_radius(V) / V`` (``slopes`` given: a mixture of
    linear boundaries).  Where nobody in either group has been selected the bounds are
    ``-inf`` and ``inf``.

    Examples
    --------
    Ten times the EEOC example's counts (120 of 400 against 480 of 800):

    >>> import numpy as np
    >>> from adverse_impact._monitoring._confseq import log_ratio_sequence
    >>> est, low, high = log_ratio_sequence([120], [400], [480], [800], alpha=0.05, rho=12.6)
    >>> np.exp([est[0], low[0], high[0]]).round(3)
    array([0.5  , 0.39 , 0.641])
    """
    z975 = 1.959963984540054
    fixed = stats.impact_ratio_test(
        np.asarray(sel_a, dtype=float),
        np.asarray(n_a, dtype=float),
        np.asarray(sel_b, dtype=float),
        np.asarray(n_b, dtype=float),
        confidence=0.95,
    )
    low95, high95 = np.atleast_1d(fixed.ci_low), np.atleast_1d(fixed.ci_high)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_low, log_high = np.log(low95), np.log(high95)
        estimate = (log_low + log_high) / 2
        se = (log_high - log_low) / (2 * z975)
        v = 1 / (se * se)
        if slopes is not None:
            half = linear_radius(v, alpha=alpha, slopes=slopes) / v
        else:
            half = mixture_radius(v, alpha=alpha, rho=rho) / v
    undefined = ~np.isfinite(estimate) | ~np.isfinite(half)
    estimate = np.where(undefined, np.nan, estimate)
    low = np.where(undefined, -np.inf, estimate - half)
    high = np.where(undefined, np.inf, estimate + half)
    return estimate, low, high
