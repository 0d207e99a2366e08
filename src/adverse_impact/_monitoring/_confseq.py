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

__all__ = ["best_rho", "log_ratio_sequence", "mixture_radius"]


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


def log_ratio_sequence(
    sel_a: Any, n_a: Any, sel_b: Any, n_b: Any, *, alpha: float, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log impact ratio of ``a`` against ``b`` and its confidence-sequence bounds.

    The counts are cumulative up to each look.  The estimate and its
    standard error are Katz's (:func:`adverse_impact.stats.impact_ratio_test`,
    with the same Haldane-Anscombe correction for zero cells); with
    information ``V = 1 / se^2`` the bounds are
    ``log IR -/+ mixture_radius(V) / V``.  Where nobody in either group has
    been selected the bounds are ``-inf`` and ``inf``.

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
        half = mixture_radius(v, alpha=alpha, rho=rho) / v
    undefined = ~np.isfinite(estimate) | ~np.isfinite(half)
    estimate = np.where(undefined, np.nan, estimate)
    low = np.where(undefined, -np.inf, estimate - half)
    high = np.where(undefined, np.inf, estimate + half)
    return estimate, low, high
