"""Significance and effect-size tests on counts (public as ``adverse_impact.stats``).

Pure functions of counts: a focal group ``a`` with ``sel_a`` of ``n_a``
applicants selected, compared with a group ``b`` (the reference group, or all
other groups) with ``sel_b`` of ``n_b``.  Every function accepts integers or
NumPy arrays of counts (broadcast together) and returns a small immutable
result; fields are Python floats for scalar input and arrays otherwise.  The
cost depends on the number of comparisons, never on the number of applicants.

Which test to use when is discussed in the documentation page "Which test
when"; in short: the four-fifths rule is a rule of thumb for practical
significance, the two-proportion z test is the "two standard deviations"
test of the EEOC and OFCCP, Fisher's exact test is preferred for small
numbers, and the Mantel-Haenszel test pools several requisitions or years.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import chi2 as _chi2
from scipy.stats import hypergeom, norm

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import html_block, jsonable
from adverse_impact._stats import STATS

__all__ = list(STATS["_tests"])

#: Relative tolerance for "as probable as the observed table" in Fisher's
#: two-sided test: the value scipy uses, so that both agree on ties.
_FISHER_RTOL = 1e-14
#: The smallest normal double and its log: below it scipy's hypergeometric
#: pmf returns 0.0 or an erratic subnormal, so comparisons there are left to
#: scipy and the fast guide treats the pmf as 0.
_TINY = float(np.finfo(float).tiny)
_LOG_TINY = math.log(_TINY)


# -- results ------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, separator=", ", threshold=8)
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


class _Result:
    """Shared behaviour of the result dataclasses: a short repr, ``to_dict`` and the rest.

    ``summary()`` is the repr (one line), ``to_frame()`` one row per
    comparison (one for scalar inputs), as every result of the library has.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={_show(getattr(self, f.name))}" for f in dataclasses.fields(self)
        )  # type: ignore[arg-type]
        return f"{type(self).__name__}({fields})"

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready floats, bools or lists (NaN and infinity as None).

        Strict JSON has no NaN: an undefined statistic (a ratio with a zero
        rate, an odds ratio with an empty cell) is null, as in every other
        result's ``to_dict()``; ``to_frame()`` keeps the floats.
        """
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison (one row for scalar inputs), one column per field."""
        values = {f.name: np.asarray(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        shape = np.broadcast_shapes(*(v.shape for v in values.values()))
        return pd.DataFrame(
            {name: np.broadcast_to(v, shape).reshape(-1).copy() for name, v in values.items()}
        )

    def summary(self) -> str:
        """The repr: one line of plain text."""
        return repr(self)

    def _repr_html_(self) -> str:
        return html_block(repr(self), self.to_frame())


class _TestResult(_Result):
    """A test's result, which also unpacks like scipy's: statistic first, p-value second.

    ``stat, p = stats.two_proportion_z(...)`` as ``statistic, pvalue =
    scipy.stats.fisher_exact(...)``; ``result[1]`` is the p-value.  The fields
    keep their names (``result.statistic``, ``result.p_value``); estimates without a
    test (:class:`OddsRatioResult`, :class:`ShortfallResult`) do not unpack.
    """

    __slots__ = ()
    #: The two fields a result unpacks to: its statistic, then its p-value.
    _unpacked: tuple[str, str] = ("statistic", "p_value")

    def __iter__(self) -> Iterator[Any]:
        return iter((getattr(self, self._unpacked[0]), getattr(self, self._unpacked[1])))

    def __getitem__(self, index: int | slice) -> Any:
        return tuple(self)[index]

    def __len__(self) -> int:
        return 2


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ZTestResult(_TestResult):
    """Pooled two-proportion z test; see :func:`two_proportion_z`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.two_proportion_z(5, 20, 12, 20)
    >>> result
    ZTestResult(statistic=-2.239, p_value=0.02516, p_value_less=0.01258, p_value_greater=0.9874)
    >>> stats.two_proportion_z([5, 6], [20, 20], [12, 12], [20, 20]).to_frame().round(4)
       statistic  p_value  p_value_less  p_value_greater
    0    -2.2389   0.0252        0.0126           0.9874
    1    -1.9069   0.0565        0.0283           0.9717
    """

    statistic: Any
    p_value: Any
    p_value_less: Any
    p_value_greater: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class FisherResult(_TestResult):
    """Fisher's exact test with Lancaster's mid-p; see :func:`fisher_exact`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.fisher_exact(5, 20, 12, 20)
    >>> round(result.p_value, 4), round(result.p_value_midp, 4)
    (0.0536, 0.0315)

    It unpacks like ``scipy.stats.fisher_exact``'s result, odds ratio first:

    >>> odds_ratio, p_value = result
    >>> round(odds_ratio, 4), round(p_value, 4)
    (0.2222, 0.0536)
    """

    _unpacked = ("odds_ratio", "p_value")

    odds_ratio: Any
    p_value: Any
    p_value_less: Any
    p_value_greater: Any
    p_value_midp: Any
    p_value_midp_less: Any
    p_value_midp_greater: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ChiSquareResult(_TestResult):
    """Pearson's chi-square test of a 2x2 table; see :func:`chi_square`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> stats.chi_square(5, 20, 12, 20)
    ChiSquareResult(statistic=5.013, p_value=0.02516, statistic_yates=3.683, p_value_yates=0.05497)
    """

    statistic: Any
    p_value: Any
    statistic_yates: Any
    p_value_yates: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ImpactRatioResult(_TestResult):
    """Impact ratio, its z test and confidence interval; see :func:`impact_ratio_test`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.impact_ratio_test(5, 20, 12, 20)
    >>> round(result.ratio, 4), round(result.ci_low, 2), round(result.ci_high, 4)
    (0.4167, 0.18, 0.9644)
    """

    _unpacked = ("ratio", "p_value")

    ratio: Any
    statistic: Any
    p_value: Any
    ci_low: Any
    ci_high: Any
    confidence: float
    corrected: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ShortfallResult(_Result):
    """Selections a group lacks; see :func:`shortfall`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.shortfall(5, 20, 12, 20)  # 5 of 20 selected against 12 of 20
    >>> result.shortfall_reference, result.shortfall_overall
    (7.0, 3.5)
    """

    expected_reference: Any
    shortfall_reference: Any
    expected_overall: Any
    shortfall_overall: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class OddsRatioResult(_Result):
    """Odds ratio with Woolf's confidence interval; see :func:`odds_ratio`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.odds_ratio(5, 20, 12, 20)
    >>> round(result.odds_ratio, 4), round(result.ci_low, 4), round(result.ci_high, 4)
    (0.2222, 0.0576, 0.8579)
    """

    odds_ratio: Any
    ci_low: Any
    ci_high: Any
    confidence: float
    corrected: Any


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class MantelHaenszelResult(_TestResult):
    """Several 2x2 tables pooled; see :func:`mantel_haenszel`.

    Examples
    --------
    >>> from adverse_impact import stats
    >>> result = stats.mantel_haenszel([[[5, 15], [12, 8]], [[7, 13], [10, 10]]])
    >>> round(result.odds_ratio, 4), round(result.p_value, 4), result.n_strata
    (0.3548, 0.0255, 2)
    """

    statistic: float
    p_value: float
    statistic_corrected: float
    p_value_corrected: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    breslow_day: float
    breslow_day_p_value: float
    n_strata: int
    n_strata_used: int


# -- input --------------------------------------------------------------------


def _counts(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> tuple[list[np.ndarray], bool]:
    """Validated, broadcast float arrays of the four counts, and whether all were scalars."""
    named = {"sel_a": sel_a, "n_a": n_a, "sel_b": sel_b, "n_b": n_b}
    arrays = {}
    scalar = True
    for name, value in named.items():
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise input_error(
                name,
                f"is not numeric ({type(value).__name__})",
                "Pass counts of people as integers or arrays of integers",
            ) from exc
        scalar &= array.ndim == 0
        if not np.isfinite(array).all() or (array < 0).any():
            raise input_error(
                name,
                "has negative, NaN or infinite counts",
                "Pass counts of people: non-negative integers",
            )
        if (array != np.round(array)).any():
            raise input_error(
                name,
                "has non-integer counts",
                "Pass counts of people (weighted sums are not counts)",
            )
        arrays[name] = array
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError as exc:
        raise input_error(
            "sel_a",
            "the four counts have shapes that do not broadcast",
            "Pass arrays of the same length",
        ) from exc
    sa, na, sb, nb = (np.array(a, dtype=float) for a in out)
    for sel, n, s_name, n_name in ((sa, na, "sel_a", "n_a"), (sb, nb, "sel_b", "n_b")):
        if (n < 1).any():
            raise input_error(
                n_name,
                "has a group with no applicants",
                "Every compared group needs at least one applicant",
            )
        if (sel > n).any():
            raise input_error(
                s_name,
                f"exceeds {n_name} (more selected than applied)",
                f"Check that {s_name} counts selections and {n_name} applicants",
            )
    return [sa, na, sb, nb], bool(scalar)


def _out(value: np.ndarray, scalar: bool) -> Any:
    value = np.asarray(value)
    if scalar:
        return value.item()
    return value


# -- tests --------------------------------------------------------------------


@validate_params()
def two_proportion_z(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> ZTestResult:
    r"""Pooled two-sample z test of two selection rates.

    The "two standard deviations" test of EEOC and OFCCP practice and of
    *Hazelwood School District v. United States*, 433 U.S. 299 (1977):

    .. math::

        z = \frac{p_a - p_b}{\sqrt{P(1-P)\,(1/n_a + 1/n_b)}},
        \qquad P = \frac{s_a + s_b}{n_a + n_b}

    ``statistic`` (z) is negative when group ``a`` is selected at a lower rate; ``|z| > 2``
    (two-sided p below about 0.05) is the customary threshold.  When nobody
    or everybody is selected (``P`` is 0 or 1) the rates are equal, there is
    no evidence of a difference, and ``z = 0`` with ``p = 1``.  ``z**2``
    equals Pearson's chi-square without continuity correction.

    Parameters
    ----------
    sel_a, n_a : int or array of int
        Selected and applicants of the focal group.
    sel_b, n_b : int or array of int
        Selected and applicants of the comparison group.

    Returns
    -------
    ZTestResult
        ``statistic`` (the z value), ``p_value`` (two-sided), ``p_value_less`` (H1: a's rate is
        lower) and ``p_value_greater``.

    Examples
    --------
    The EEOC's 2023 example (its technical assistance was withdrawn in January
    2025; the arithmetic stands): 12 of 40 Black and 48 of 80 White applicants.

    >>> from adverse_impact.stats import two_proportion_z
    >>> result = two_proportion_z(12, 40, 48, 80)
    >>> round(result.statistic, 3), round(result.p_value, 4)
    (-3.098, 0.0019)
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    pooled = (sa + sb) / (na + nb)
    se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (sa / na - sb / nb) / np.where(se > 0, se, 1), 0.0)
    return ZTestResult(
        statistic=_out(z, scalar),
        p_value=_out(np.minimum(2 * norm.sf(np.abs(z)), 1), scalar),
        p_value_less=_out(norm.cdf(z), scalar),
        p_value_greater=_out(norm.sf(z), scalar),
    )


def _sample_odds_ratio(
    sa: np.ndarray, na: np.ndarray, sb: np.ndarray, nb: np.ndarray
) -> np.ndarray:
    top = sa * (nb - sb)
    bottom = (na - sa) * sb
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            bottom > 0, top / np.where(bottom > 0, bottom, 1), np.where(top > 0, np.inf, np.nan)
        )


def _log_pmf(
    k: np.ndarray, total: np.ndarray, successes: np.ndarray, draws: np.ndarray
) -> np.ndarray:
    """Hypergeometric log pmf from log-gamma: fast, with an absolute error in the
    log of about 1e-15 x log(N!) (the size of the terms that cancel)."""

    def log_choose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    return (
        log_choose(successes, k)
        + log_choose(total - successes, draws - k)
        - log_choose(total, draws)
    )


def _exceeds(
    k: np.ndarray,
    total: np.ndarray,
    successes: np.ndarray,
    draws: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """``pmf(k) > threshold``, exactly: log-gamma where clear, scipy's pmf where close."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = _log_pmf(k, total, successes, draws)
        log_threshold = np.log(threshold)
        gap = log_pmf - log_threshold
    # Rounding in the log-gamma terms grows with their size, about N log N.
    margin = 1e-13 * (gammaln(total + 1) + 1)
    # Near floating-point underflow the exact pmf may be 0 where log-gamma is
    # finite: decide those with the exact pmf too, as scipy would.
    close = ~(np.abs(gap) > margin) | ~(np.minimum(log_pmf, log_threshold) > _LOG_TINY + 1)
    result = np.array(gap > 0)
    if close.any():
        result[close] = (
            hypergeom.pmf(k[close], total[close], successes[close], draws[close]) > threshold[close]
        )
    return result


def _bisect_tail(pmf: Any, lo: np.ndarray, hi: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    # Invariant: pmf(lo) > threshold >= pmf(hi) along the search direction.
    for _ in range(int(np.ceil(np.log2(np.max(np.abs(hi - lo), initial=1) + 1))) + 1):
        active = np.abs(hi - lo) > 1
        if not active.any():
            break
        mid = np.floor((lo + hi) / 2)
        low_enough = pmf(mid) <= threshold
        hi = np.where(active & low_enough, mid, hi)
        lo = np.where(active & ~low_enough, mid, lo)
    return hi


def _other_tail(
    total: np.ndarray,
    successes: np.ndarray,
    draws: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    threshold: np.ndarray,
    guide: Any = None,
) -> np.ndarray:
    """First point from ``start`` towards ``stop`` where the pmf falls to ``threshold``.

    The hypergeometric pmf is unimodal, so a bisection finds the boundary of
    the far tail in O(log n) evaluations, vectorised over all tables.  The
    bisection runs on the log-gamma pmf (scipy's exact pmf is slow for large
    tables); the boundary it finds is then checked on both sides with
    :func:`_exceeds` (exact: scipy's pmf decides wherever the log-gamma error
    bound could matter), and any table where the check fails is searched
    again with the exact pmf.  By unimodality a point that passes the check
    is the boundary, so the result is exact.
    """
    guide = _log_pmf if guide is None else guide

    def guess(k: np.ndarray) -> np.ndarray:
        # Where the exact pmf underflows to 0.0, so must the guide, or a zero
        # threshold (an underflowed observed table) is never reached.
        value = guide(k, total, successes, draws)
        return np.where(value < _LOG_TINY, -np.inf, value)

    with np.errstate(divide="ignore", invalid="ignore"):
        log_threshold = np.log(threshold)  # -inf when the observed pmf underflows
        y = _bisect_tail(guess, start.copy(), stop.copy(), log_threshold)
    step = np.sign(stop - start)
    inside = y - step
    # The check is exact: _exceeds trusts log-gamma only where its error
    # bound cannot change the comparison, and asks scipy's pmf otherwise.
    ok = ~_exceeds(y, total, successes, draws, threshold) & (
        (inside == start) | _exceeds(inside, total, successes, draws, threshold)
    )
    # Below the smallest normal double scipy's pmf is 0.0 or an erratic
    # subnormal, so "the" boundary is not defined in floating point; the
    # guide's boundary is then as good as any, and every pmf beyond it is
    # below 2.2e-308, so the p-value cannot move by more than that order.
    ok |= threshold < _TINY
    if not ok.all():
        redo = ~ok
        t, s, d, thr = total[redo], successes[redo], draws[redo], threshold[redo]
        y[redo] = _bisect_tail(
            lambda k: hypergeom.pmf(k, t, s, d), start[redo].copy(), stop[redo].copy(), thr
        )
    return y


@validate_params()
def fisher_exact(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> FisherResult:
    r"""Fisher's exact test of two selection rates, with Lancaster's mid-p.

    Conditional on both margins, the number selected from group ``a`` is
    hypergeometric: ``X ~ Hypergeom(N = n_a + n_b, K = s_a + s_b, n = n_a)``.

    * ``p_value_less = P(X <= s_a)``: group ``a`` selected less often than
      chance would have it (the direction of adverse impact).
    * ``p_value_greater = P(X >= s_a)``.
    * ``p_value`` (two-sided) is the *minimum-likelihood* p-value: the total
      probability of every table no more probable than the observed one
      (with a relative tolerance of 1e-14 for ties), as in R's
      ``fisher.test`` and ``scipy.stats.fisher_exact``.
    * Lancaster's mid-p counts the observed table's own probability half:
      ``p_value_midp_less = P(X < s_a) + P(X = s_a)/2`` and
      ``p_value_midp_greater = P(X > s_a) + P(X = s_a)/2``.  The two-sided
      ``p_value_midp`` is **twice the smaller one-sided mid-p, capped at 1**
      (the doubling definition of Rothman, Greenland and Lash, *Modern
      Epidemiology*, and of OpenEpi).  The other definition in use, the
      minimum-likelihood sum with the observed term halved, differs when the
      distribution is skewed; it is not the one computed here.

    Mid-p values are closer to nominal size than the conservative exact test
    (Agresti, *Categorical Data Analysis*, 2nd ed., 2002, section 3.5.5).

    The computation uses the hypergeometric cdf and survival function and a
    bisection for the far tail's boundary, so its cost grows with the log of
    the group sizes: a table of 100,000 applicants per group costs about as
    much as one of 100.  Accuracy is scipy's: the p-values agree with
    ``scipy.stats.fisher_exact`` to 1e-8 relative for groups of up to ten
    million (tested); beyond that both are limited by the precision of the
    hypergeometric functions themselves (about 1e-9 relative at five million
    applicants, checked against 40-digit arithmetic).

    Parameters
    ----------
    sel_a, n_a, sel_b, n_b : int or array of int
        As in :func:`two_proportion_z`.

    Returns
    -------
    FisherResult
        ``odds_ratio`` is the sample odds ratio ``s_a (n_b - s_b) /
        ((n_a - s_a) s_b)`` (inf or NaN when a cell is zero), as scipy
        reports it; see :func:`odds_ratio` for a confidence interval.

    Examples
    --------
    Fisher's tea-tasting experiment (Agresti 2002, table 3.8): 3 of 4 cups
    with milk first identified, 1 of 4 of the others.  One-sided p = 0.243,
    one-sided mid-p = 0.243 - 0.229/2 = 0.129.

    >>> from adverse_impact.stats import fisher_exact
    >>> result = fisher_exact(3, 4, 1, 4)
    >>> round(result.p_value_greater, 3), round(result.p_value_midp_greater, 3)
    (0.243, 0.129)
    >>> round(result.p_value, 3)
    0.486
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    total, successes, draws = na + nb, sa + sb, na
    x = sa
    p_obs = hypergeom.pmf(x, total, successes, draws)
    low = np.maximum(0, draws - (total - successes))
    high = np.minimum(successes, draws)
    mode = np.floor((draws + 1) * (successes + 1) / (total + 2))
    # Only the outer tail (away from the mode) is computed; the inner one is
    # its complement, which is large (the hypergeometric is log-concave, its
    # mode within one of its mean), so 1 - outer loses no relative accuracy.
    # scipy's tail functions are the slow part at large N: this halves them.
    below = np.asarray(x < mode)
    cdf = np.zeros(np.shape(x))
    sf = np.zeros(np.shape(x))  # P(X > x)
    if below.any():
        cdf[below] = hypergeom.cdf(x[below], total[below], successes[below], draws[below])
        sf[below] = 1 - cdf[below]
    if (~below).any():
        sf[~below] = hypergeom.sf(x[~below], total[~below], successes[~below], draws[~below])
        cdf[~below] = 1 - sf[~below]
    p_less = np.clip(cdf, 0.0, 1.0)
    p_greater = np.minimum(sf + p_obs, 1.0)
    midp_less = cdf - p_obs / 2
    midp_greater = sf + p_obs / 2

    threshold = p_obs * (1 + _FISHER_RTOL)
    # The mode is the most probable table, so the observed one ties with it
    # (two-sided p = 1) exactly when pmf(mode) does not exceed the threshold.
    at_mode = ~_exceeds(mode, total, successes, draws, threshold)
    two = np.ones_like(x)
    left = ~at_mode & (x < mode)
    right = ~at_mode & (x > mode)

    def far_tail(side: np.ndarray, end: np.ndarray, mass: Any) -> np.ndarray:
        """Probability of the tables beyond the mode, on the other side, no likelier."""
        t, s, d, thr, stop = (a[side] for a in (total, successes, draws, threshold, end))
        tail = ~_exceeds(stop, t, s, d, thr)
        far = np.zeros(len(t))
        if tail.any():
            t, s, d = t[tail], s[tail], d[tail]
            y = _other_tail(t, s, d, mode[side][tail], stop[tail], thr[tail])
            far[tail] = mass(y, t, s, d)
        return far

    if left.any():
        # Observed left of the mode: the far tail is x' >= y on the right.
        two[left] = cdf[left] + far_tail(
            left, high, lambda y, t, s, d: hypergeom.sf(y - 1, t, s, d)
        )
    if right.any():
        two[right] = sf[right] + p_obs[right] + far_tail(right, low, hypergeom.cdf)
    two = np.minimum(two, 1.0)
    midp = np.minimum(2 * np.minimum(midp_less, midp_greater), 1.0)
    return FisherResult(
        odds_ratio=_out(_sample_odds_ratio(sa, na, sb, nb), scalar),
        p_value=_out(two, scalar),
        p_value_less=_out(p_less, scalar),
        p_value_greater=_out(p_greater, scalar),
        p_value_midp=_out(midp, scalar),
        p_value_midp_less=_out(np.clip(midp_less, 0, 1), scalar),
        p_value_midp_greater=_out(np.clip(midp_greater, 0, 1), scalar),
    )


@validate_params()
def chi_square(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> ChiSquareResult:
    r"""Pearson's chi-square test of the 2x2 table, with and without Yates' correction.

    .. math::

        \chi^2 = \sum_{cells} \frac{(O - E)^2}{E}, \qquad
        \chi^2_{Yates} = \sum_{cells} \frac{(|O - E| - c)^2}{E},
        \quad c = \min(1/2, |O - E|)

    with one degree of freedom, as ``scipy.stats.chi2_contingency`` computes
    it (the correction never moves an observed count past its expectation).
    When a margin is zero (nobody, or everybody, selected) the expected
    counts are degenerate and the result is a statistic of 0 with p = 1.

    Parameters
    ----------
    sel_a, n_a, sel_b, n_b : int or array of int
        As in :func:`two_proportion_z`.

    Returns
    -------
    ChiSquareResult

    Examples
    --------
    >>> from adverse_impact.stats import chi_square
    >>> result = chi_square(12, 40, 48, 80)
    >>> round(result.statistic, 3), round(result.statistic_yates, 3)
    (9.6, 8.438)
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    observed = np.stack([sa, na - sa, sb, nb - sb])
    total = na + nb
    selected = sa + sb
    expected = (
        np.stack([na * selected, na * (total - selected), nb * selected, nb * (total - selected)])
        / total
    )
    degenerate = (expected == 0).any(axis=0)
    safe = np.where(expected > 0, expected, 1.0)
    deviation = np.abs(observed - expected)
    plain = np.where(degenerate, 0.0, (deviation**2 / safe).sum(axis=0))
    yates = np.where(
        degenerate, 0.0, ((deviation - np.minimum(0.5, deviation)) ** 2 / safe).sum(axis=0)
    )
    return ChiSquareResult(
        statistic=_out(plain, scalar),
        p_value=_out(_chi2.sf(plain, 1), scalar),
        statistic_yates=_out(yates, scalar),
        p_value_yates=_out(_chi2.sf(yates, 1), scalar),
    )


@validate_params()
def impact_ratio_test(
    sel_a: Any, n_a: Any, sel_b: Any, n_b: Any, *, confidence: float = 0.95
) -> ImpactRatioResult:
    r"""The impact ratio, Morris and Lobsenz's z test and its log (Katz) interval.

    The impact ratio is ``IR = p_a / p_b``.  Morris and Lobsenz (2000) test
    ``IR = 1`` on the log scale with the pooled rate ``P``:

    .. math::

        Z_{IR} = \frac{\ln(p_a / p_b)}{\sqrt{\frac{1 - P}{P}\,(1/n_a + 1/n_b)}}

    and the confidence interval is Katz's log interval with unpooled
    variances:

    .. math::

        \exp\Big(\ln IR \pm z_{1-\alpha/2}
        \sqrt{\tfrac{1 - p_a}{n_a p_a} + \tfrac{1 - p_b}{n_b p_b}}\Big)

    An interval entirely below 0.8 is strong evidence of a substantial
    disparity; an interval containing 1 is inconclusive.

    **Zero cells.** When either group has no selections the logarithm is
    undefined; then 0.5 is added to every cell of the 2x2 table (selected
    and not selected of both groups, so each ``n`` grows by 1; the
    Haldane-Anscombe correction) for the test and the interval, and
    ``corrected`` is True.  ``ratio`` itself is always uncorrected (0 when
    ``s_a = 0``, NaN when ``s_b = 0``).  When nobody at all is selected there
    is no evidence of a difference: ``z = 0``, ``p = 1``, and the interval is
    NaN.

    Parameters
    ----------
    sel_a, n_a, sel_b, n_b : int or array of int
        As in :func:`two_proportion_z`.
    confidence : float, default 0.95

    Returns
    -------
    ImpactRatioResult

    References
    ----------
    .. [1] Morris, S. B., & Lobsenz, R. E. (2000). Significance tests and
       confidence intervals for the adverse impact ratio. *Personnel
       Psychology*, 53(1), 89-111.
    .. [2] Katz, D., Baptista, J., Azen, S. P., & Pike, M. C. (1978).
       Obtaining confidence intervals for the risk ratio in cohort studies.
       *Biometrics*, 34(3), 469-474.

    Examples
    --------
    >>> from adverse_impact.stats import impact_ratio_test
    >>> result = impact_ratio_test(12, 40, 48, 80)
    >>> round(result.ratio, 3), round(result.ci_low, 3), round(result.ci_high, 3)
    (0.5, 0.301, 0.829)
    """
    confidence = float(confidence)  # checked by validate_params
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (sa / na) / (sb / nb)
    corrected = (sa == 0) | (sb == 0)
    none_selected = (sa + sb) == 0
    ca = np.where(corrected, sa + 0.5, sa)
    cna = np.where(corrected, na + 1, na)
    cb = np.where(corrected, sb + 0.5, sb)
    cnb = np.where(corrected, nb + 1, nb)
    pa, pb = ca / cna, cb / cnb
    pooled = (ca + cb) / (cna + cnb)
    log_ratio = np.log(pa / pb)
    se_pooled = np.sqrt((1 - pooled) / pooled * (1 / cna + 1 / cnb))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se_pooled > 0, log_ratio / np.where(se_pooled > 0, se_pooled, 1), 0.0)
    z = np.where(none_selected, 0.0, z)
    se = np.sqrt((1 - pa) / ca + (1 - pb) / cb)
    half = norm.ppf(0.5 + confidence / 2) * se
    ci_low = np.where(none_selected, np.nan, np.exp(log_ratio - half))
    ci_high = np.where(none_selected, np.nan, np.exp(log_ratio + half))
    return ImpactRatioResult(
        ratio=_out(ratio, scalar),
        statistic=_out(z, scalar),
        p_value=_out(np.minimum(2 * norm.sf(np.abs(z)), 1.0), scalar),
        ci_low=_out(ci_low, scalar),
        ci_high=_out(ci_high, scalar),
        confidence=confidence,
        corrected=_out(corrected & ~none_selected, scalar),
    )


@validate_params()
def shortfall(
    sel_a: Any, n_a: Any, sel_b: Any, n_b: Any, *, overall_rate: Any = None
) -> ShortfallResult:
    r"""Selections group ``a`` lacks, against group ``b``'s rate and the overall rate.

    ``shortfall_reference = n_a p_b - s_a`` is the number of additional
    selections group ``a`` would need to match group ``b``'s rate (parity
    with the reference group).  ``shortfall_overall = n_a P - s_a`` uses the
    overall rate ``P`` (OFCCP practice: expected selections given the
    overall selection rate); by default ``P`` is the pooled rate of the two
    groups, and an auditor comparing many groups passes the all-groups rate.
    Positive values are shortfalls; a shortfall below one person is not
    practically meaningful (the "whole person" rule).

    Parameters
    ----------
    sel_a, n_a, sel_b, n_b : int or array of int
        As in :func:`two_proportion_z`.
    overall_rate : float or array, optional
        The overall selection rate; default ``(s_a + s_b) / (n_a + n_b)``.

    Returns
    -------
    ShortfallResult
        Expected selections and shortfalls, as floats (not rounded).

    Examples
    --------
    >>> from adverse_impact.stats import shortfall
    >>> result = shortfall(12, 40, 48, 80)
    >>> result.shortfall_reference, result.shortfall_overall
    (12.0, 8.0)
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    if overall_rate is None:
        rate = (sa + sb) / (na + nb)
    else:
        rate = np.asarray(overall_rate, dtype=float)
        if not np.isfinite(rate).all() or ((rate < 0) | (rate > 1)).any():
            raise input_error(
                "overall_rate",
                "is not a rate in [0, 1]",
                "Pass the overall selection rate, selected / applicants",
            )
    expected_reference = na * sb / nb
    expected_overall = np.broadcast_to(na * rate, na.shape)
    return ShortfallResult(
        expected_reference=_out(expected_reference, scalar),
        shortfall_reference=_out(expected_reference - sa, scalar),
        expected_overall=_out(expected_overall, scalar and np.ndim(rate) == 0),
        shortfall_overall=_out(expected_overall - sa, scalar and np.ndim(rate) == 0),
    )


@validate_params()
def flip_flop(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> Any:
    r"""The Uniform Guidelines' small-numbers check: would one person reverse the result?

    The Questions and Answers on the Uniform Guidelines (44 FR 11996, 1979,
    Q&A 21) call enforcement inappropriate where "the selection of one
    different person for one job would shift the result from adverse impact
    against one group to a situation in which that group has a higher
    selection rate than the other group".  This returns True exactly when
    group ``a``'s rate is below ``b``'s and moving one selection from ``b``
    to ``a`` gives ``a`` a strictly *higher* rate:

    .. math::

        \frac{s_a}{n_a} < \frac{s_b}{n_b} \quad\text{and}\quad
        \frac{s_a + 1}{n_a} > \frac{s_b - 1}{n_b}

    Equal rates after the move are not a reversal.  When ``b`` has nobody
    selected, or ``a`` is not below ``b``, the result is False.  Decided on
    integers (cross-multiplied), so without rounding error.

    Parameters
    ----------
    sel_a, n_a, sel_b, n_b : int or array of int
        As in :func:`two_proportion_z`.

    Returns
    -------
    bool or array of bool

    Examples
    --------
    1 of 4 women and 2 of 4 men: one different hire makes it 2 of 4 women
    and 1 of 4 men.

    >>> from adverse_impact.stats import flip_flop
    >>> flip_flop(1, 4, 2, 4), flip_flop(12, 40, 48, 80)
    (True, False)
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    a, b = sa.astype(np.int64), sb.astype(np.int64)
    m, n = na.astype(np.int64), nb.astype(np.int64)
    lower = a * n < b * m
    reversed_ = (a + 1) * n > (b - 1) * m
    result = lower & reversed_ & (b >= 1) & (a < m)
    return bool(result) if scalar else result


@validate_params()
def mantel_haenszel(tables: Any, *, confidence: float = 0.95) -> MantelHaenszelResult:
    r"""Pool several 2x2 tables (requisitions, sites, years): Cochran-Mantel-Haenszel.

    Each table is ``[[s_a, n_a - s_a], [s_b, n_b - s_b]]``: the focal group's
    selected and rejected, then the comparison group's.  With ``E_k`` and
    ``V_k`` the hypergeometric mean and variance of ``s_a`` in stratum ``k``:

    .. math::

        \chi^2_{MH} = \frac{(\sum_k s_{a,k} - \sum_k E_k)^2}{\sum_k V_k},
        \qquad
        \chi^2_{MH,cc} = \frac{(|\sum_k s_{a,k} - \sum_k E_k| - 1/2)^2}{\sum_k V_k}

    each with one degree of freedom; the correction stops at zero when the
    deviation is smaller than 1/2 (as Yates' correction does in
    ``scipy.stats.chi2_contingency``; statsmodels lets it overshoot, R drops
    it).  The Mantel-Haenszel common odds ratio
    is ``sum(a d / N) / sum(b c / N)`` with the Robins-Breslow-Greenland
    confidence interval.  Homogeneity of the odds ratios across strata (is
    the disparity consistent, or does it flip between pools?) is tested by
    Breslow and Day's statistic with Tarone's adjustment, ``K_used - 1``
    degrees of freedom.  These match
    ``statsmodels.stats.contingency_tables.StratifiedTable``
    (``test_null_odds``, ``oddsratio_pooled``, ``oddsratio_pooled_confint``
    and ``test_equal_odds(adjust=True)``).

    Strata in which a row or column total is zero (only one group applied,
    nobody or everybody was selected) carry no information about the
    association; they are left out and counted in ``n_strata`` but not in
    ``n_strata_used``.  With no informative stratum every statistic is NaN.

    Parameters
    ----------
    tables : array-like of shape (K, 2, 2)
        Counts per stratum, as above.
    confidence : float, default 0.95
        Level of the odds ratio's confidence interval.

    Returns
    -------
    MantelHaenszelResult

    References
    ----------
    .. [1] Mantel, N., & Haenszel, W. (1959). Statistical aspects of the
       analysis of data from retrospective studies of disease. *JNCI*, 22,
       719-748.
    .. [2] Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the
       Mantel-Haenszel variance consistent in both sparse data and
       large-strata limiting models. *Biometrics*, 42, 311-323.
    .. [3] Tarone, R. E. (1985). On heterogeneity tests based on efficient
       scores. *Biometrika*, 72, 91-95.

    Examples
    --------
    Two requisitions in which women do better than men, though women are
    selected less often overall (they applied mostly to the selective one):

    >>> from adverse_impact.stats import mantel_haenszel
    >>> result = mantel_haenszel([[[30, 70], [5, 15]], [[18, 2], [80, 20]]])
    >>> round(result.odds_ratio, 3), result.n_strata_used
    (1.588, 2)
    """
    confidence = float(confidence)  # checked by validate_params
    t = _strata(tables)
    n_strata = int(t.shape[0])
    row1, row2 = t[:, 0].sum(axis=1), t[:, 1].sum(axis=1)
    col1, col2 = t[:, :, 0].sum(axis=1), t[:, :, 1].sum(axis=1)
    used = (row1 > 0) & (row2 > 0) & (col1 > 0) & (col2 > 0)
    t = t[used]
    nan = float("nan")
    if not used.any():
        return MantelHaenszelResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, n_strata, 0)
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    statistic, corrected = _cmh_statistics(a, b, c, d)
    odds, ci_low, ci_high = _mh_odds_ratio(a, b, c, d, confidence)
    bd, bd_p = _breslow_day(a, b, c, d, odds)
    return MantelHaenszelResult(
        statistic=float(statistic),
        p_value=float(_chi2.sf(statistic, 1)),
        statistic_corrected=float(corrected),
        p_value_corrected=float(_chi2.sf(corrected, 1)),
        odds_ratio=float(odds),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        breslow_day=bd,
        breslow_day_p_value=bd_p,
        n_strata=n_strata,
        n_strata_used=int(used.sum()),
    )


def _strata(tables: Any) -> np.ndarray:
    """``tables`` as a float array of shape (K, 2, 2) holding counts of people."""
    try:
        t = np.asarray(tables, dtype=float)
    except (TypeError, ValueError) as exc:
        raise input_error(
            "tables", "is not an array of counts", "Pass an array of shape (K, 2, 2)"
        ) from exc
    if t.ndim != 3 or t.shape[1:] != (2, 2) or t.shape[0] < 1:
        raise input_error(
            "tables",
            f"has shape {t.shape}, not (K, 2, 2)",
            "Pass one 2x2 table [[sel_a, rej_a], [sel_b, rej_b]] per stratum",
        )
    if not np.isfinite(t).all() or (t < 0).any() or (t != np.round(t)).any():
        raise input_error(
            "tables", "has negative, non-integer or missing counts", "Pass counts of people"
        )
    return t


def _cmh_statistics(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[float, float]:
    """The Cochran-Mantel-Haenszel statistic, without and with the continuity correction."""
    n = a + b + c + d
    r1, c1 = a + b, a + c
    expected = r1 * c1 / n
    variance = r1 * (c + d) * c1 * (b + d) / (n**2 * (n - 1))
    variance = np.where(n > 1, variance, 0.0)
    deviation = a.sum() - expected.sum()
    total_var = variance.sum()
    statistic = deviation**2 / total_var
    corrected = max(abs(deviation) - 0.5, 0.0) ** 2 / total_var
    return statistic, corrected


def _mh_odds_ratio(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """The Mantel-Haenszel common odds ratio and its Robins-Breslow-Greenland interval."""
    nan = float("nan")
    n = a + b + c + d
    r_sum, s_sum = (a * d / n).sum(), (b * c / n).sum()
    odds = r_sum / s_sum if s_sum > 0 else (math.inf if r_sum > 0 else nan)
    # Robins-Breslow-Greenland variance of log(OR_MH).
    p, q = (a + d) / n, (b + c) / n
    r, s = a * d / n, b * c / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var_log = (
            (p * r).sum() / (2 * r_sum**2)
            + (p * s + q * r).sum() / (2 * r_sum * s_sum)
            + (q * s).sum() / (2 * s_sum**2)
        )
        half = norm.ppf(0.5 + confidence / 2) * math.sqrt(var_log) if np.isfinite(var_log) else nan
        ci_low, ci_high = (
            (math.exp(math.log(odds) - half), math.exp(math.log(odds) + half))
            if 0 < odds < math.inf and np.isfinite(half)
            else (nan, nan)
        )
    return odds, ci_low, ci_high


def _breslow_day(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, odds: float
) -> tuple[float, float]:
    """Breslow-Day statistic with Tarone's adjustment, and its p-value (K - 1 df)."""
    k = len(a)
    if k < 2 or not 0 < odds < math.inf:
        return float("nan"), float("nan")
    r1, c1, n = a + b, a + c, a + b + c + d
    lo, hi = np.maximum(0, c1 - (n - r1)), np.minimum(r1, c1)
    # Fitted a_k under the common odds ratio: the root in [lo, hi] of
    # (x (n - r1 - c1 + x)) / ((r1 - x)(c1 - x)) = OR, a quadratic in x.
    qa = 1 - odds
    qb = (n - r1 - c1) + odds * (r1 + c1)
    qc = -odds * r1 * c1
    # The textbook roots (-qb +- disc) / (2 qa) divide by 1 - OR and cancel
    # catastrophically when the pooled odds ratio is near 1 (at |1 - OR| ~ 1e-11
    # the statistic was off by 1e-5).  The stable pair q / qa and qc / q, with
    # q = -(qb + sign(qb) disc) / 2, never subtracts nearly equal numbers; qc / q
    # is also the root of the linear equation when OR is exactly 1 (Press et al.,
    # Numerical Recipes, 3rd ed., section 5.6).
    disc = np.sqrt(np.maximum(qb**2 - 4 * qa * qc, 0))
    q = -0.5 * (qb + np.copysign(disc, qb))
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = np.stack([qc / q, q / qa])
    fitted = np.full(k, np.nan)
    for root in roots:
        ok = (root >= lo - 1e-9) & (root <= hi + 1e-9)
        fitted = np.where(np.isnan(fitted) & ok, root, fitted)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1 / (1 / fitted + 1 / (r1 - fitted) + 1 / (c1 - fitted) + 1 / (n - r1 - c1 + fitted))
    diff = a - fitted
    statistic = float((diff**2 / var).sum() - diff.sum() ** 2 / var.sum())
    return statistic, float(_chi2.sf(statistic, k - 1))


# -- effect sizes -------------------------------------------------------------


@validate_params()
def rate_difference(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> Any:
    """Difference of selection rates, ``p_a - p_b`` (negative: ``a`` selected less).

    Examples
    --------
    >>> from adverse_impact.stats import rate_difference
    >>> round(rate_difference(12, 40, 48, 80), 3)
    -0.3
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    return _out(sa / na - sb / nb, scalar)


@validate_params()
def odds_ratio(
    sel_a: Any, n_a: Any, sel_b: Any, n_b: Any, *, confidence: float = 0.95
) -> OddsRatioResult:
    r"""Odds ratio of selection, ``(s_a / r_a) / (s_b / r_b)``, with Woolf's log interval.

    ``r`` are the rejected counts.  The interval is
    ``exp(ln OR ± z sqrt(1/s_a + 1/r_a + 1/s_b + 1/r_b))``.  When any cell is
    zero, 0.5 is added to every cell (Haldane-Anscombe) for both the
    estimate and the interval, and ``corrected`` is True.

    Examples
    --------
    >>> from adverse_impact.stats import odds_ratio
    >>> result = odds_ratio(12, 40, 48, 80)
    >>> round(result.odds_ratio, 4), result.corrected
    (0.2857, False)
    """
    confidence = float(confidence)  # checked by validate_params
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    cells = np.stack([sa, na - sa, sb, nb - sb])
    corrected = (cells == 0).any(axis=0)
    cells = np.where(corrected, cells + 0.5, cells)
    a, b, c, d = cells
    log_or = np.log(a * d / (b * c))
    half = norm.ppf(0.5 + confidence / 2) * np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return OddsRatioResult(
        odds_ratio=_out(np.exp(log_or), scalar),
        ci_low=_out(np.exp(log_or - half), scalar),
        ci_high=_out(np.exp(log_or + half), scalar),
        confidence=confidence,
        corrected=_out(corrected, scalar),
    )


@validate_params()
def cohens_h(sel_a: Any, n_a: Any, sel_b: Any, n_b: Any) -> Any:
    r"""Cohen's h, ``2 asin(sqrt(p_a)) - 2 asin(sqrt(p_b))``: 0.2 small, 0.5 medium, 0.8 large.

    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
    Sciences*, 2nd ed., chapter 6.

    Examples
    --------
    >>> from adverse_impact.stats import cohens_h
    >>> round(cohens_h(12, 40, 48, 80), 3)
    -0.613
    """
    (sa, na, sb, nb), scalar = _counts(sel_a, n_a, sel_b, n_b)
    h = 2 * np.arcsin(np.sqrt(sa / na)) - 2 * np.arcsin(np.sqrt(sb / nb))
    return _out(h, scalar)
