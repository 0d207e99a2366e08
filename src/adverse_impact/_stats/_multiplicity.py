"""Multiple testing: the one place where a family of p-values becomes a verdict.

Every verdict that combines several comparisons (the release gate, ``passes()``,
``failing()``, the CLI exit code, the pytest plugin, monitor alerts, "N differ"
counts) adjusts its p-values here, so a family and its correction are named once and
computed one way.

Two kinds of adjustment live here:

* from p-values alone: Bonferroni, Holm's step-down and Benjamini-Hochberg's step-up
  (:func:`adjust`), vectorised over many families at once;
* from a null distribution of the statistics themselves: Westfall and Young's
  single-step and step-down maxT (:func:`maxt`), which uses the joint distribution of
  the statistics (their correlation through a shared reference group, the choice of
  the reference as the highest rate) instead of a worst-case inequality.

References
----------
.. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   *Scandinavian Journal of Statistics* 6(2), 65-70.
.. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
   *Journal of the Royal Statistical Society B* 57(1), 289-300.
.. [3] Westfall, P. H., & Young, S. S. (1993). *Resampling-Based Multiple Testing*.
   Wiley. Algorithm 2.8 (step-down maxT adjusted p-values), section 2.6.
.. [4] Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be
   zero. *Statistical Applications in Genetics and Molecular Biology* 9(1), 39:
   the (1 + exceedances) / (B + 1) Monte-Carlo p-value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "adjust",
    "benjamini_hochberg",
    "bonferroni",
    "holm",
    "maxt",
]

#: The p-value adjustments :func:`adjust` knows, by their short names.
METHODS = ("bonferroni", "holm", "bh")
#: How each correction is named in reports, gate messages and log entries.
METHOD_NAMES = {
    "bonferroni": "Bonferroni",
    "holm": "Holm",
    "bh": "Benjamini-Hochberg",
    "maxt": "Westfall-Young maxT",
    "none": "no correction",
}

# Resampled statistics equal to the observed one must count as exceedances, but the
# same table reached through a different order of floating-point sums can differ in
# the last bits; a relative slack far below any real difference keeps such ties ties.
_TIE = 1e-10


def _family_codes(family: Any, shape: tuple[int, ...]) -> np.ndarray:
    if family is None:
        return np.zeros(shape, dtype=np.int64)
    codes = np.asarray(family)
    if codes.shape != shape:
        raise ValueError(
            f"family: expected one label per p-value (shape {shape}), got shape {codes.shape}; "
            "pass an array of family labels as long as the p-values"
        )
    _, inverse = np.unique(codes.ravel(), return_inverse=True)
    return inverse.reshape(shape).astype(np.int64)


def adjust(p_values: Any, method: str = "holm", *, family: Any = None) -> np.ndarray:
    """Adjusted p-values within each family; NaN (a comparison not made) stays NaN.

    Parameters
    ----------
    p_values : array-like of float
        Unadjusted p-values. NaN marks a comparison that was not made: it is left
        out of its family (the family's size does not count it) and stays NaN.
    method : {"bonferroni", "holm", "bh"}
        Bonferroni; Holm's step-down (family-wise error rate, any dependence);
        Benjamini-Hochberg's step-up (false discovery rate, independent or positively
        dependent p-values).
    family : array-like, optional
        A label per p-value; each family is adjusted on its own. One family if omitted.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1, in the input's order and shape. They agree
        with ``statsmodels.stats.multitest.multipletests`` (``"bonferroni"``,
        ``"holm"``, ``"fdr_bh"``) to 1e-12.

    References
    ----------
    Holm (1979); Benjamini and Hochberg (1995): see the module docstring.

    Examples
    --------
    >>> from adverse_impact._stats._multiplicity import adjust
    >>> adjust([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    >>> adjust([0.01, float("nan"), 0.03], "bonferroni").tolist()
    [0.02, nan, 0.06]
    >>> adjust([0.01, 0.04, 0.01, 0.04], "holm", family=["a", "a", "b", "b"]).tolist()
    [0.02, 0.04, 0.02, 0.04]
    """
    if method not in METHODS:
        raise ValueError(
            f"method: {method!r} is not a p-value adjustment; pass one of {list(METHODS)!r}"
        )
    p = np.asarray(p_values, dtype=float)
    shape = p.shape
    p = p.ravel()
    codes = _family_codes(family, shape).ravel()
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if not ok.size:
        return out.reshape(shape)
    # Sort by family, then by p-value within family: every step below is a segmented
    # scan over these runs, so a thousand families cost one sort, not a Python loop.
    order = ok[np.lexsort((p[ok], codes[ok]))]
    fam = codes[order]
    _, starts, sizes = np.unique(fam, return_index=True, return_counts=True)
    size = np.repeat(sizes, sizes).astype(float)
    rank = np.arange(order.size) - np.repeat(starts, sizes)  # 0-based within family
    values = p[order]
    if method == "bonferroni":
        scaled = np.minimum(values * size, 1.0)
    elif method == "holm":
        scaled = np.minimum((size - rank) * values, 1.0)
        scaled = _segmented_running(scaled, fam, np.maximum)
    else:
        scaled = values * size / (rank + 1)
        scaled = _segmented_running(scaled[::-1], fam[::-1], np.minimum)[::-1]
        scaled = np.minimum(scaled, 1.0)
    out[order] = scaled
    return out.reshape(shape)


def _segmented_running(values: np.ndarray, segment: np.ndarray, ufunc: Any) -> np.ndarray:
    """Running max (or min) restarted at every change of ``segment`` (exact, no offsets)."""
    if values.size == 0 or segment[0] == segment[-1]:
        return ufunc.accumulate(values)
    import pandas as pd

    grouped = pd.Series(values).groupby(segment, sort=False)
    running = grouped.cummax() if ufunc is np.maximum else grouped.cummin()
    return running.to_numpy(dtype=float)


def bonferroni(p_values: Any) -> np.ndarray:
    """Bonferroni-adjusted p-values over one family (NaN stays NaN).

    Examples
    --------
    >>> from adverse_impact._stats._multiplicity import bonferroni
    >>> bonferroni([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.12, 0.09]
    """
    return adjust(p_values, "bonferroni")


def holm(p_values: Any) -> np.ndarray:
    """Holm's step-down adjusted p-values over one family (NaN stays NaN).

    Examples
    --------
    >>> from adverse_impact._stats._multiplicity import holm
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    return adjust(p_values, "holm")


def benjamini_hochberg(p_values: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) over one family (NaN stays NaN).

    Examples
    --------
    >>> from adverse_impact._stats._multiplicity import benjamini_hochberg
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    return adjust(p_values, "bh")


def maxt(observed: Any, resampled: Any, *, step_down: bool = True) -> np.ndarray:
    """Westfall-Young maxT adjusted p-values from resampled statistics.

    Larger statistics are stronger evidence. The adjusted p-value of comparison j
    is the Monte-Carlo probability, under the joint null, that the largest resampled
    statistic (single-step) or the largest among the comparisons no more significant
    than j (step-down, Westfall and Young 1993, Algorithm 2.8) reaches the observed
    ``observed[j]``; step-down values are then made monotone in the order of the
    observed statistics. Counting uses ``(1 + exceedances) / (B + 1)`` so that no
    Monte-Carlo p-value is zero and the test stays valid at every B (Phipson and
    Smyth 2010).

    The single-step version controls the family-wise error rate in the strong sense
    whenever the resampling distribution of the maximum is the null one; the step-down
    version does under subset pivotality, and both control it exactly (up to
    Monte-Carlo error) under the complete null, which is the null a release gate tests.

    Parameters
    ----------
    observed : array-like of float, shape (m,)
        The observed statistic of each comparison. NaN marks a comparison not made:
        it gets NaN and does not enter the family.
    resampled : array-like of float, shape (B, m)
        The statistics recomputed on B draws from the null distribution. NaN (a
        comparison undefined in a draw) never counts as an exceedance.
    step_down : bool, default True
        Step-down (Algorithm 2.8) if True; single-step maxT if False.

    Returns
    -------
    numpy.ndarray of shape (m,)
        Adjusted p-values.

    References
    ----------
    Westfall and Young (1993), Algorithm 2.8; Phipson and Smyth (2010): see the
    module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._stats._multiplicity import maxt
    >>> null = np.random.default_rng(0).standard_normal((9_999, 3))
    >>> maxt([3.0, 1.0, 0.5], null).round(3).tolist()
    [0.004, 0.294, 0.316]

    Single-step compares every statistic with the maximum of all three, so it is
    never smaller than step-down:

    >>> maxt([3.0, 1.0, 0.5], null, step_down=False).round(3).tolist()
    [0.004, 0.408, 0.68]
    """
    t = np.asarray(observed, dtype=float)
    null = np.asarray(resampled, dtype=float)
    if t.ndim != 1:
        raise ValueError(f"observed: expected one statistic per comparison (1-d), got {t.ndim}-d")
    if null.ndim != 2 or null.shape[1] != t.size:
        raise ValueError(
            f"resampled: expected shape (B, {t.size}) (one row per null draw), got {null.shape}"
        )
    out = np.full(t.shape, np.nan)
    live = np.flatnonzero(~np.isnan(t))
    n_draws = null.shape[0]
    if not live.size or n_draws == 0:
        return out
    # A comparison undefined in a draw cannot exceed anything.
    sub = np.where(np.isnan(null[:, live]), -np.inf, null[:, live])
    t_live = t[live]
    threshold = t_live - _TIE * np.maximum(np.abs(t_live), 1.0)
    if not step_down:
        largest = sub.max(axis=1)
        exceed = (largest[:, None] >= threshold[None, :]).sum(axis=0)
        out[live] = (1.0 + exceed) / (n_draws + 1.0)
        return out
    # Most significant first; ties keep the input order (a stable sort), and the
    # monotone step below gives tied statistics the same adjusted p-value.
    order = np.argsort(-t_live, kind="stable")
    # Successive maxima from the least significant comparison up (Algorithm 2.8,
    # step 2): u[b, j] = max over the comparisons ranked j or below.
    u = np.maximum.accumulate(sub[:, order][:, ::-1], axis=1)[:, ::-1]
    exceed = (u >= threshold[order][None, :]).sum(axis=0)
    adjusted = np.maximum.accumulate((1.0 + exceed) / (n_draws + 1.0))
    out[live[order]] = adjusted
    return out
