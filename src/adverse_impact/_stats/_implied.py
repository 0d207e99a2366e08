"""The impact ratio a standardised score difference implies under the normal model, and back."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._params import validate_params
from adverse_impact._stats import STATS

__all__ = list(STATS["_implied"])

#: The cut-off c is searched in [-_C_BOUND, _C_BOUND]; sf(-40) is 1 and sf(40) underflows
#: only in the log domain, which is where the ratio is taken.
_C_BOUND = 40.0
#: Differences beyond this many SDs are treated as unbounded in implied_d.
_D_BOUND = 30.0


def _number(value: Any, argument: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise type_error(
            argument,
            f"expected a number, got {type(value).__name__}",
            f"Pass {argument} as a float",
        )
    value = float(value)
    if not math.isfinite(value):
        raise input_error(argument, f"{value!r} is not finite", "Pass a finite number")
    return value


def _share(value: Any, argument: str, example: str) -> float:
    value = _number(value, argument)
    if not 0 < value < 1:
        raise input_error(
            argument, f"{value!r} is outside (0, 1)", f"Pass a share such as {argument}={example}"
        )
    return value


def _cutoff(d: float, selection_rate: float, focal_share: float) -> float:
    """The common cut-off c with (1 - p) P(Z > c) + p P(Z > c + d) = selection_rate."""

    def excess(c: float) -> float:
        return ((1 - focal_share) * norm.sf(c) + focal_share * norm.sf(c + d)) - selection_rate

    low, high = -_C_BOUND - max(0.0, -d), _C_BOUND + max(0.0, -d)
    return float(brentq(excess, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))


def _ratio(d: float, selection_rate: float, focal_share: float) -> float:
    c = _cutoff(d, selection_rate, focal_share)
    # In logs: far in the tail both survival functions are tiny but their ratio is not.
    return float(math.exp(norm.logsf(c + d) - norm.logsf(c)))


@validate_params()
def implied_impact_ratio(d: float, selection_rate: float, *, focal_share: float = 0.5) -> float:
    """The impact ratio a standardised mean difference ``d`` produces at one common cut-off.

    Under the normal model with equal variances: the reference group's scores
    are N(0, 1) and the focal group's N(-d, 1) (so ``d > 0`` means the focal
    group scores lower), the focal group makes up ``focal_share`` of the
    applicants, and one cut-off ``c`` selects ``selection_rate`` of all of them:
    ``(1 - focal_share) P(Z > c) + focal_share P(Z > c + d) = selection_rate``.
    The result is the focal group's selection rate over the reference group's,
    ``P(Z > c + d) / P(Z > c)``.

    Parameters
    ----------
    d : float
        Standardised difference, reference mean minus focal mean, in units of
        the common standard deviation (Cohen's d).
    selection_rate : float
        Share of all applicants selected, in (0, 1).
    focal_share : float, default 0.5
        Share of the applicants who belong to the focal group, in (0, 1).

    Returns
    -------
    float
        The focal group's selection rate divided by the reference group's
        (below 1 when ``d > 0``).

    See Also
    --------
    implied_d : the reverse: the ``d`` that produces a given impact ratio.
    adverse_impact.score_gaps : the observed ``d`` of each group, with this ratio.

    Notes
    -----
    The cut-off is found with Brent's method (absolute tolerance 1e-14) and
    the ratio is taken of log survival functions, so it stays accurate in the
    tails.  The model is the one behind the classic tables of how a mean
    difference turns into adverse impact at a given selection ratio [1]_, [2]_.

    References
    ----------
    .. [1] Sackett, P. R., & Ellingson, J. E. (1997). The effects of forming
       multi-predictor composites on group differences and adverse impact.
       *Personnel Psychology*, 50(3), 707-721.
    .. [2] De Corte, W., Lievens, F., & Sackett, P. R. (2007). Combining
       predictors to achieve optimal trade-offs between selection quality and
       adverse impact. *Journal of Applied Psychology*, 92(5), 1380-1393.

    Examples
    --------
    The classic figure: d = 1, equal group sizes, 30% selected overall.

    >>> from adverse_impact.stats import implied_impact_ratio
    >>> round(implied_impact_ratio(1.0, 0.3), 4)
    0.2963
    >>> implied_impact_ratio(0.0, 0.3)
    1.0
    """
    d = _number(d, "d")
    selection_rate = _share(selection_rate, "selection_rate", "0.3")
    focal_share = _share(focal_share, "focal_share", "0.5")
    if d == 0:
        return 1.0
    return _ratio(d, selection_rate, focal_share)


@validate_params()
def implied_d(impact_ratio: float, selection_rate: float, *, focal_share: float = 0.5) -> float:
    """The standardised mean difference that produces ``impact_ratio`` at one common cut-off.

    The inverse of :func:`implied_impact_ratio` in ``d``, under the same
    normal model with equal variances: the ``d`` for which a cut-off selecting
    ``selection_rate`` of all applicants gives the focal group
    ``impact_ratio`` times the reference group's selection rate.

    Parameters
    ----------
    impact_ratio : float
        Focal rate over reference rate, > 0.  Values above 1 (the focal
        group selected more often) give a negative ``d``.
    selection_rate : float
        Share of all applicants selected, in (0, 1).
    focal_share : float, default 0.5
        Share of the applicants in the focal group, in (0, 1).

    Returns
    -------
    float
        Reference mean minus focal mean, in standard deviations.

    Raises
    ------
    InputError
        A ratio at or beyond what a difference of 30 standard deviations
        either way produces at this selection rate (no real test has such a
        gap; such a ratio almost surely has its rates the wrong way round).

    See Also
    --------
    implied_impact_ratio : the forward direction.

    Examples
    --------
    >>> from adverse_impact.stats import implied_d, implied_impact_ratio
    >>> round(implied_d(0.8, 0.3), 4)
    0.1922
    >>> round(implied_impact_ratio(implied_d(0.8, 0.3), 0.3), 12)
    0.8
    """
    impact_ratio = _number(impact_ratio, "impact_ratio")
    selection_rate = _share(selection_rate, "selection_rate", "0.3")
    focal_share = _share(focal_share, "focal_share", "0.5")
    if impact_ratio <= 0:
        raise input_error(
            "impact_ratio",
            f"{impact_ratio!r} is not positive",
            "Pass a ratio of selection rates, e.g. impact_ratio=0.8",
        )
    if impact_ratio == 1:
        return 0.0
    target = math.log(impact_ratio)
    lowest = math.log(_ratio(_D_BOUND, selection_rate, focal_share))
    highest = math.log(_ratio(-_D_BOUND, selection_rate, focal_share))
    if not lowest < target < highest:
        raise input_error(
            "impact_ratio",
            f"{impact_ratio!r} cannot be produced at selection_rate="
            f"{selection_rate!r} with focal_share={focal_share!r} (possible: "
            f"{math.exp(lowest):.3g} to {math.exp(highest):.4g})",
            "Check the ratio is focal rate / reference rate and the shares are right",
        )
    return float(
        brentq(
            lambda d: math.log(_ratio(d, selection_rate, focal_share)) - target,
            -_D_BOUND,
            _D_BOUND,
            xtol=1e-13,
            rtol=4 * np.finfo(float).eps,
            maxiter=500,
        )
    )
