"""How much data an audit needs: power, sample size and the smallest detectable impact ratio.

Planning quantities only.  The power of an *observed* ratio (post-hoc power)
is deliberately absent: it is a function of the p-value and says nothing the
p-value does not (Hoenig and Heisey 2001).  What an audit can honestly add
is the smallest impact ratio its sample could have detected.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import binom, norm

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import Options, validate_params
from adverse_impact._core._render import html_block, jsonable
from adverse_impact._core._validation import check_option
from adverse_impact._stats import STATS

__all__ = list(STATS["_power"])

#: The planning tests: Cohen's h with the normal approximation (statsmodels'
#: ``NormalIndPower``), the pooled two-proportion z test (the audit's "two
#: standard deviations" test), and Fisher's exact test by enumeration.
POWER_TESTS = ("z", "z_pooled", "fisher")
#: Fisher's power enumerates every pair of outcomes; beyond this many the
#: normal approximations are accurate and enumeration is slow.
MAX_FISHER_TABLES = 1_000_000


class _Planned:
    """What both planning results share: the repr is the summary; one row of fields."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict (NaN, as for an undefined ratio, as null)."""
        return jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]

    def to_frame(self) -> pd.DataFrame:
        """The fields as a one-row DataFrame (floats kept, NaN included)."""
        return pd.DataFrame([dataclasses.asdict(self)])  # type: ignore[call-overload]

    def __repr__(self) -> str:
        return self.summary()  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return html_block(self.summary(), self.to_frame())  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class SampleSizeResult(_Planned):
    """Applicants needed per group; see :func:`sample_size`.

    Attributes
    ----------
    n_focal, n_reference : int
        Applicants needed in the focal and reference groups (rounded up).
    n_focal_exact : float
        The unrounded solution (equal to ``n_focal`` for Fisher's test).
    power : float
        The power achieved with ``n_focal`` and ``n_reference``.
    rate_reference, rate_focal, impact_ratio, alpha : float
    test : str

    Examples
    --------
    >>> from adverse_impact.stats import sample_size
    >>> found = sample_size(0.30, 0.8)
    >>> found  # doctest: +NORMALIZE_WHITESPACE
    SampleSizeResult: 858 focal and 858 reference applicants detect an impact ratio of 0.8
    (rates 0.24 vs 0.3) with power 0.800 at two-sided alpha 0.05 (z)
    >>> found.to_frame()[["n_focal", "n_reference", "power"]].round(4)
       n_focal  n_reference   power
    0      858          858  0.8004
    """

    n_focal: int
    n_reference: int
    n_focal_exact: float
    power: float
    rate_reference: float
    rate_focal: float
    impact_ratio: float
    alpha: float
    test: str

    def summary(self) -> str:
        """One line: how many applicants, for what."""
        return (
            f"SampleSizeResult: {self.n_focal:,} focal and {self.n_reference:,} reference "
            f"applicants detect an impact ratio of {self.impact_ratio:.3g} (rates "
            f"{self.rate_focal:.3g} vs {self.rate_reference:.3g}) with power {self.power:.3f} "
            f"at two-sided alpha {self.alpha:g} ({self.test})"
        )


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class PowerResult(_Planned):
    """Power of a planned comparison; see :func:`power`.

    Attributes
    ----------
    power : float
        The probability that the two-sided test rejects equal rates.
    n_focal, n_reference : int
    rate_reference, rate_focal, impact_ratio, alpha : float
    test : str

    Examples
    --------
    >>> from adverse_impact.stats import power
    >>> planned = power(48, 259, 0.795, 0.8)
    >>> planned  # doctest: +NORMALIZE_WHITESPACE
    PowerResult: power 0.619 to detect an impact ratio of 0.8 with 48 focal and 259
    reference applicants (reference rate 0.795, two-sided alpha 0.05, z)
    >>> planned.to_dict()["n_focal"], round(planned.power, 3)
    (48, 0.619)
    """

    power: float
    n_focal: int
    n_reference: int
    rate_reference: float
    rate_focal: float
    impact_ratio: float
    alpha: float
    test: str

    def summary(self) -> str:
        """One line: the power, for what."""
        return (
            f"PowerResult: power {self.power:.3f} to detect an impact ratio of "
            f"{self.impact_ratio:.3g} with {self.n_focal:,} focal and {self.n_reference:,} "
            f"reference applicants (reference rate {self.rate_reference:.3g}, two-sided alpha "
            f"{self.alpha:g}, {self.test})"
        )


def _probability(value: Any, name: str, *, open_low: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise input_error(name, f"{value!r} is not a number", "Pass a number between 0 and 1")
    value = float(value)
    if not (0 < value < 1) and not (not open_low and value == 0):
        raise input_error(
            name, f"{value!r} is outside (0, 1)", "Pass a probability strictly between 0 and 1"
        )
    return value


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise input_error(
            name, f"{value!r} is not a positive integer", "Pass a number of applicants, e.g. 100"
        )
    return int(value)


def _test(test: Any) -> str:
    return check_option(test, "test", POWER_TESTS, f"Pass one of {list(POWER_TESTS)!r}")


def _rates(rate_reference: Any, impact_ratio: Any) -> tuple[float, float, float]:
    p_r = _probability(rate_reference, "rate_reference")
    ratio = _probability(impact_ratio, "impact_ratio")
    return p_r, ratio * p_r, ratio


# -- power -------------------------------------------------------------------------


def _power_h(n_f: Any, n_r: Any, p_f: Any, p_r: Any, alpha: float) -> Any:
    """Two-sided power on Cohen's h, as statsmodels' ``NormalIndPower``."""
    h = 2 * np.arcsin(np.sqrt(p_r)) - 2 * np.arcsin(np.sqrt(p_f))
    scale = np.sqrt(np.asarray(n_f, float) * n_r / (np.asarray(n_f, float) + n_r))
    z = norm.isf(alpha / 2)
    return norm.cdf(h * scale - z) + norm.cdf(-h * scale - z)


def _power_pooled(n_f: Any, n_r: Any, p_f: Any, p_r: Any, alpha: float) -> Any:
    """Two-sided power of the pooled two-proportion z test (Fleiss et al. 2003, 4.2)."""
    n_f, n_r = np.asarray(n_f, float), np.asarray(n_r, float)
    p_bar = (n_f * p_f + n_r * p_r) / (n_f + n_r)
    se0 = np.sqrt(p_bar * (1 - p_bar) * (1 / n_f + 1 / n_r))
    se1 = np.sqrt(p_f * (1 - p_f) / n_f + p_r * (1 - p_r) / n_r)
    d = p_r - p_f
    z = norm.isf(alpha / 2)
    return norm.cdf((d - z * se0) / se1) + norm.cdf((-d - z * se0) / se1)


def _power_fisher(n_f: int, n_r: int, p_f: float, p_r: float, alpha: float) -> float:
    """Exact power of the two-sided Fisher test by enumerating every (a, c) outcome.

    Power = sum over all outcomes of P(a) P(c) [Fisher p(a, c) < alpha and
    the focal rate a/n_f is lower], the audit's definition of "significantly
    lower".  Outcomes where the focal rate is higher do not count: the audit
    does not flag them.
    """
    if (n_f + 1) * (n_r + 1) > MAX_FISHER_TABLES:
        raise input_error(
            "test",
            f'"fisher" power enumerates {(n_f + 1) * (n_r + 1):,} '
            f"tables, more than {MAX_FISHER_TABLES:,}",
            'Use test="z_pooled" (accurate at these sizes) or smaller groups',
        )
    from adverse_impact._stats._tests import fisher_exact

    a, c = np.meshgrid(np.arange(n_f + 1), np.arange(n_r + 1), indexing="ij")
    a, c = a.ravel(), c.ravel()
    p_value = np.asarray(fisher_exact(a, n_f, c, n_r).p_value, dtype=float)
    lower = a * n_r < c * n_f
    reject = (p_value < alpha) & lower
    weight = binom.pmf(a, n_f, p_f) * binom.pmf(c, n_r, p_r)
    return float(weight[reject].sum())


def _power(n_f: int, n_r: int, p_f: float, p_r: float, alpha: float, test: str) -> float:
    if test == "z":
        return float(_power_h(n_f, n_r, p_f, p_r, alpha))
    if test == "z_pooled":
        return float(_power_pooled(n_f, n_r, p_f, p_r, alpha))
    return _power_fisher(n_f, n_r, p_f, p_r, alpha)


@validate_params(test=Options(POWER_TESTS))
def power(
    n_focal: int,
    n_reference: int,
    rate_reference: float,
    impact_ratio: float,
    *,
    alpha: float = 0.05,
    test: str = "z",
) -> PowerResult:
    """Probability that an audit detects a given impact ratio.

    A planning quantity: how likely a sample of this size is to find a
    significant difference *if* the true impact ratio is ``impact_ratio``.
    Do not plug in the observed ratio of an audit already run (post-hoc
    power adds nothing to the p-value; Hoenig and Heisey 2001).

    Parameters
    ----------
    n_focal, n_reference : int
        Applicants in the focal and reference groups.
    rate_reference : float
        Selection rate of the reference group, in (0, 1).
    impact_ratio : float
        The true impact ratio to detect, in (0, 1); the focal rate is
        ``impact_ratio * rate_reference``.
    alpha : float, default 0.05
        Two-sided significance level.
    test : {"z", "z_pooled", "fisher"}, default "z"
        ``"z"``: the normal approximation on Cohen's h, as statsmodels'
        ``NormalIndPower`` (both tails).  ``"z_pooled"``: the pooled
        two-proportion z test the audit reports (Fleiss et al. 2003, both
        tails; agrees with statsmodels' ``power_proportions_2indep``).
        ``"fisher"``: the exact power of Fisher's two-sided test, by
        enumerating every outcome of both groups (small samples; the focal
        rate must come out lower, as the audit's ``significant`` requires).

    Returns
    -------
    PowerResult

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral
       Sciences, 2nd ed., ch. 6.
    .. [2] Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods
       for Rates and Proportions, 3rd ed., section 4.2.
    .. [3] Hoenig, J. M. and Heisey, D. M. (2001). The abuse of power. The
       American Statistician 55(1), 19-24.

    Examples
    --------
    >>> from adverse_impact.stats import power
    >>> round(power(858, 858, 0.30, 0.8).power, 4)
    0.8004
    >>> round(power(20, 20, 0.5, 0.4, test="fisher").power, 4)
    0.4094
    """
    n_f, n_r = _count(n_focal, "n_focal"), _count(n_reference, "n_reference")
    p_r, p_f, ratio = _rates(rate_reference, impact_ratio)
    alpha = _probability(alpha, "alpha")
    test = _test(test)
    return PowerResult(
        _power(n_f, n_r, p_f, p_r, alpha, test), n_f, n_r, p_r, p_f, ratio, alpha, test
    )


@validate_params(test=Options(POWER_TESTS))
def sample_size(
    rate_reference: float,
    impact_ratio: float = 0.8,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    test: str = "z",
) -> SampleSizeResult:
    """Applicants per group needed to detect an impact ratio.

    Parameters
    ----------
    rate_reference : float
        Expected selection rate of the reference group, in (0, 1).
    impact_ratio : float, default 0.8
        The impact ratio to detect (0.8: a rate just at the four-fifths line).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        The probability of detecting it.
    ratio : float, default 1.0
        ``n_reference / n_focal``.
    test : {"z", "z_pooled", "fisher"}, default "z"
        As in :func:`power`.  For ``"fisher"`` the answer is searched by
        bisection on exact power, which is not monotone in n (the sawtooth of
        exact tests): the returned ``n_focal`` reaches ``power`` and
        ``n_focal - 1`` does not, though a smaller n may rarely reach it too.

    Returns
    -------
    SampleSizeResult

    See Also
    --------
    power, minimum_detectable_ratio

    Examples
    --------
    Rates of 0.30 and 0.24 (an impact ratio of 0.8), 80% power, two-sided
    alpha 0.05: Cohen's h is 0.135, and statsmodels' ``NormalIndPower``
    needs 857.08 applicants per group.

    >>> from adverse_impact.stats import sample_size
    >>> found = sample_size(0.30, 0.8)
    >>> found.n_focal, round(found.n_focal_exact, 2)
    (858, 857.08)
    >>> sample_size(0.30, 0.8, test="z_pooled").n_focal
    859
    """
    p_r, p_f, ir = _rates(rate_reference, impact_ratio)
    alpha = _probability(alpha, "alpha")
    target = _probability(power, "power")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 0:
        raise input_error(
            "ratio",
            f"{ratio!r} is not a positive number",
            "Pass n_reference / n_focal, e.g. 1.0 for equal groups",
        )
    ratio = float(ratio)
    test = _test(test)

    def gap(n: float) -> float:
        if test == "z":
            return float(_power_h(n, ratio * n, p_f, p_r, alpha)) - target
        return float(_power_pooled(n, ratio * n, p_f, p_r, alpha)) - target

    high = 2.0
    while gap(high) < 0:
        high *= 2
        if high > 1e12:  # pragma: no cover - rates in (0, 1) always converge
            raise input_error(
                "impact_ratio",
                "no sample size reaches the power",
                "Pass an impact ratio further from 1",
            )
    exact = brentq(gap, 1e-9, high, xtol=1e-10, rtol=1e-14)
    if test != "fisher":
        n_f = whole_up(exact)
        n_r = whole_up(ratio * n_f)
        achieved = _power(n_f, n_r, p_f, p_r, alpha, test)
        # The root is found to 1e-10: one more applicant if rounding landed a hair short.
        while achieved < target:
            n_f += 1
            n_r = whole_up(ratio * n_f)
            achieved = _power(n_f, n_r, p_f, p_r, alpha, test)
        return SampleSizeResult(n_f, n_r, exact, achieved, p_r, p_f, ir, alpha, test)

    def reaches(n: int) -> bool:
        return _power_fisher(n, max(1, whole_up(ratio * n)), p_f, p_r, alpha) >= target

    # Fisher's test is a little less powerful than the z test: start there.
    low, high_n = 1, max(2, math.ceil(exact))
    while not reaches(high_n):
        low, high_n = high_n, high_n * 2
    while high_n - low > 1:
        middle = (low + high_n) // 2
        if reaches(middle):
            high_n = middle
        else:
            low = middle
    n_f = high_n
    n_r = max(1, whole_up(ratio * n_f))
    return SampleSizeResult(
        n_f, n_r, float(n_f), _power_fisher(n_f, n_r, p_f, p_r, alpha), p_r, p_f, ir, alpha, test
    )


def whole_up(x: float) -> int:
    """People to recruit for ``x``: ``x`` rounded up, unless it is a whole number in floating point.

    ``0.3 * 10`` is 3.0000000000000004 (3 people), but 1287.0000000005 needs
    1288: only a difference of a few units in the last place is float noise;
    anything more is a fraction of a person, rounded up so that no group is
    under-recruited.

    Examples
    --------
    >>> from adverse_impact._stats._power import whole_up
    >>> whole_up(0.3 * 10), whole_up(1287.0000000005), whole_up(12.2), whole_up(7.0)
    (3, 1288, 13, 7)
    """
    nearest = round(x)
    if abs(x - nearest) <= 4 * math.ulp(max(abs(x), 1.0)):
        return int(nearest)
    return math.ceil(x)


@validate_params()
def minimum_detectable_ratio(
    n_focal: Any, n_reference: Any, rate_reference: Any, *, alpha: float = 0.05, power: float = 0.8
) -> Any:
    """The smallest-effect impact ratio a sample detects with the given power.

    The impact ratio ``r < 1`` at which the two-sided test (normal
    approximation on Cohen's h, as :func:`power` with ``test="z"``, the
    negligible opposite tail ignored) has exactly ``power``: any true ratio
    further below 1 is detected at least that often.  0.0 when not even a
    focal rate of zero would be detected that often (the sample is too
    small to support any conclusion); NaN when the reference rate is 0 or
    either group is empty.  Vectorised: arrays broadcast.

    Parameters
    ----------
    n_focal, n_reference : int or array-like
    rate_reference : float or array-like
        The reference group's rate, in (0, 1].
    alpha : float, default 0.05
    power : float, default 0.8

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    Two groups of 858 applicants with a reference rate of 0.30 detect an
    impact ratio of 0.8 with 80% power:

    >>> from adverse_impact.stats import minimum_detectable_ratio
    >>> round(float(minimum_detectable_ratio(858, 858, 0.30)), 4)
    0.8001
    >>> float(minimum_detectable_ratio(5, 5, 0.30))
    0.0
    """
    alpha = _probability(alpha, "alpha")
    target = _probability(power, "power")
    n_f = np.asarray(n_focal, dtype=float)
    n_r = np.asarray(n_reference, dtype=float)
    p_r = np.asarray(rate_reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(n_f * n_r / (n_f + n_r))
        h = (norm.isf(alpha / 2) + norm.ppf(target)) / scale
        angle = np.arcsin(np.sqrt(p_r)) - h / 2
        out = np.where(angle > 0, np.sin(np.clip(angle, 0, None)) ** 2 / p_r, 0.0)
        out = np.where((p_r > 0) & (n_f > 0) & (n_r > 0), out, np.nan)
    return float(out) if out.ndim == 0 else out
