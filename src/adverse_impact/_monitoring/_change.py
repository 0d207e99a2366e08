"""The change detector: confidence sequences restarted at every period.

The cumulative sequence answers "has the ratio been below 0.8 since
monitoring began?"; a disparity that starts later is diluted by the months
before it (fair for eight months, then 0.7: the cumulative ratio is still
0.82 ten months later).  Restarting a sequence at every period ``j`` and
asking, at each look ``t``, whether any window ``j..t`` lies wholly below a
line answers "has it been below 0.8 since some period?".

This is a CUSUM (Page 1954) in the e-detector form of Shin, Ramdas & Rinaldo
(2023): each restarted sequence inverts the exponential e-process
``exp(lambda S - lambda^2 V / 2)`` started at ``j``, whose slope ``lambda`` is
fixed by the change planned for (a log-likelihood ratio for a shift of the log
ratio, tightest where a window has the planned information), and an alert is
the first time any of them crosses its threshold.  A fixed slope is what a
CUSUM is; Robbins' normal mixture over all slopes (as the cumulative sequence
uses) pays for adapting to any information with a wider band where the planned
change would be caught, and one slope alone misses changes far from the plan,
so the restarts mix two slopes (``_confseq.PLANNED_CHANGES``): the planned
change with most of the weight and a coarser one (docs/monitoring.md gives the
power of each choice).  Two guarantees follow, for a ratio that does not change
(the null of no change):

* **Within a horizon.**  With ``H - 1`` restarts at level ``a`` each, Ville's
  inequality for each and a union bound give P(any false change alert in
  the first ``H`` periods) <= ``(H - 1) a``.
* **Average run length.**  The sum over starts of the e-processes is an
  e-detector (its expectation grows by at most one per period), so the
  expected time to a false alert is at least ``1 / a`` periods, per
  comparison; at least ``1 / (C a)`` over ``C`` comparisons.

Only counts are used: a window's counts are differences of cumulative ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adverse_impact._monitoring._confseq import log_ratio_sequence

__all__ = ["CHANGE_SHARE", "change_sequences", "guarantee", "trailing_window"]

#: The share of alpha the change detector spends (the cumulative sequences get the
#: rest). The restarts catch a disparity wherever it starts, the cumulative sequence
#: only one present from the start, which the restarts also catch after a few
#: periods; measured by benchmarks/calibration_monitor.py.
CHANGE_SHARE = 0.75


def _reference(win_sel: np.ndarray, win_n: np.ndarray, ref: int | None) -> np.ndarray:
    """Each window's comparison group: the fixed one, or the highest window rate."""
    if ref is not None:
        return np.full(win_n.shape[1:], ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(win_n > 0, win_sel / win_n, -1.0)
    return rate.argmax(axis=0)  # ties: the first label, as the cumulative reference


def _pick(values: np.ndarray, best: np.ndarray) -> np.ndarray:
    """The value at each (group, look)'s chosen start."""
    return np.take_along_axis(values, best, axis=2)[..., 0]


def change_sequences(
    n: np.ndarray, sel: np.ndarray, ref: int | None, *, level: float, slopes: Any
) -> dict[str, np.ndarray]:
    """For each group and look, the restarted window that lies lowest, and its bounds.

    ``n`` and ``sel`` are (groups x periods) counts of each period alone.  At
    look ``t`` every window ``j..t`` with ``2 <= j <= t`` gets a confidence
    sequence at ``level`` with the boundary of the ``(lam, weight)`` slopes
    (:func:`~adverse_impact._monitoring._confseq.linear_radius`; the window from
    period 1 is the cumulative
    sequence, reported apart).  Returned arrays are (groups x periods):
    ``since`` (the window's first period, as an index; -1 where there is
    none), ``ratio`` (its impact ratio), ``low`` and ``high`` (its bounds).
    ``high`` is the smallest upper end over the windows, so an alert "below
    x" is ``high < x`` and names the window that shows it.

    Examples
    --------
    Fair for four periods, then group 0 at half group 1's rate:

    >>> import numpy as np
    >>> from adverse_impact._monitoring._change import change_sequences
    >>> n = np.full((2, 8), 1000)
    >>> sel = np.array([[300] * 4 + [150] * 4, [300] * 8])
    >>> out = change_sequences(n, sel, None, level=0.001, slopes=[(0.15, 1.0)])
    >>> int(out["since"][0, -1]), round(float(out["ratio"][0, -1]), 2)
    (4, 0.5)
    >>> bool(out["high"][0, -1] < 0.8), bool(np.isnan(out["high"][1, -1]))
    (True, True)
    """
    k, t_max = n.shape
    cum_n = np.concatenate([np.zeros((k, 1), dtype=np.int64), n.cumsum(axis=1)], axis=1)
    cum_sel = np.concatenate([np.zeros((k, 1), dtype=np.int64), sel.cumsum(axis=1)], axis=1)
    since = np.full((k, t_max), -1)
    ratio = np.full((k, t_max), np.nan)
    low = np.full((k, t_max), np.nan)
    high = np.full((k, t_max), np.nan)
    # Looks in blocks, every (look, start) window of a block in one vectorised pass: about
    # 130,000 windows at a time (a few MB per array) keeps memory small for daily looks.
    block = max(1, 2**17 // max(k * t_max, 1))
    for first in range(1, t_max, block):
        looks = np.arange(first, min(first + block, t_max))  # 0-based period indices
        starts = np.arange(1, looks[-1] + 1)  # period 0 starts the cumulative sequence
        valid = starts[None, :] <= looks[:, None]  # (looks x starts)
        end = np.broadcast_to(looks[:, None] + 1, valid.shape)
        begin = np.broadcast_to(starts[None, :], valid.shape)
        win_n = cum_n[:, end] - cum_n[:, np.where(valid, begin, end)]  # (k x looks x starts)
        win_sel = cum_sel[:, end] - cum_sel[:, np.where(valid, begin, end)]
        refs = _reference(win_sel, win_n, ref)  # (looks x starts)
        ref_n = np.take_along_axis(win_n, refs[None], axis=0)[0]
        ref_sel = np.take_along_axis(win_sel, refs[None], axis=0)[0]
        empty = (win_n == 0) | (ref_n == 0)[None] | ~valid[None]
        shape = win_n.shape
        est, lo, hi = log_ratio_sequence(
            np.where(empty, 0, win_sel).ravel(),
            np.where(empty, 1, win_n).ravel(),
            np.where(empty, 0, np.broadcast_to(ref_sel, shape)).ravel(),
            np.where(empty, 1, np.broadcast_to(ref_n, shape)).ravel(),
            alpha=level,
            slopes=slopes,
        )
        est, lo, hi = est.reshape(shape), lo.reshape(shape), hi.reshape(shape)
        usable = ~empty & (np.arange(k)[:, None, None] != refs[None]) & np.isfinite(est)
        hi = np.where(usable, hi, np.inf)
        best = hi.argmin(axis=2)[..., None]  # (k x looks x 1)
        found = np.take_along_axis(usable, best, axis=2)[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            win_ratio = (win_sel / win_n) / (ref_sel / ref_n)[None]
        since[:, looks] = np.where(found, starts[best[..., 0]], -1)
        ratio[:, looks] = np.where(found, _pick(win_ratio, best), np.nan)
        low[:, looks] = np.where(found, np.exp(_pick(lo, best)), np.nan)
        high[:, looks] = np.where(found, np.exp(_pick(hi, best)), np.nan)
    return {"since": since, "ratio": ratio, "low": low, "high": high}


def trailing_window(
    n: np.ndarray, sel: np.ndarray, ref: int | None, width: int
) -> dict[str, np.ndarray]:
    """The ratio over the last ``width`` periods at each look: "the ratio now".

    Against the window's own reference (the fixed group, or the highest rate
    in the window).  (groups x periods) arrays ``n``, ``selected``, ``rate``,
    ``ratio``; the first looks use the periods there are.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._monitoring._change import trailing_window
    >>> out = trailing_window(np.full((2, 4), 100), np.array([[30, 30, 15, 15], [30] * 4]), None, 2)
    >>> out["ratio"][0].tolist()
    [1.0, 1.0, 0.75, 0.5]
    """
    k, t_max = n.shape
    cum_n = np.concatenate([np.zeros((k, 1), dtype=np.int64), n.cumsum(axis=1)], axis=1)
    cum_sel = np.concatenate([np.zeros((k, 1), dtype=np.int64), sel.cumsum(axis=1)], axis=1)
    ends = np.arange(1, t_max + 1)
    begins = np.maximum(ends - width, 0)
    win_n = cum_n[:, ends] - cum_n[:, begins]
    win_sel = cum_sel[:, ends] - cum_sel[:, begins]
    refs = _reference(win_sel, win_n, ref)
    cols = np.arange(t_max)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = win_sel / win_n
        ratio = rate / rate[refs, cols][None, :]
    return {"n": win_n, "selected": win_sel, "rate": rate, "ratio": ratio, "refs": refs}


def guarantee(alpha: float, comparisons: int, horizon: int | None) -> dict[str, Any]:
    """How ``alpha`` is spent, and what it guarantees, in numbers.

    With a horizon ``H``: ``1 - CHANGE_SHARE`` to the cumulative sequences,
    ``CHANGE_SHARE`` to the ``H - 1`` restarts, each share split over the ``C``
    comparisons.  Without one (``None``): all of it to the cumulative sequences.

    Examples
    --------
    >>> from adverse_impact._monitoring._change import guarantee
    >>> g = guarantee(0.05, 1, 36)
    >>> round(g["level_cumulative"], 4), round(g["level_change"], 6), round(g["arl"])
    (0.0125, 0.001071, 933)
    """
    if horizon is None:
        return {
            "level_cumulative": alpha / comparisons,
            "level_change": None,
            "arl": None,
        }
    restarts = max(horizon - 1, 1)
    # Bonferroni over comparisons and restarts: a weighted split of alpha into the
    # levels of the sequences (no p-values are adjusted, so _stats._multiplicity,
    # which adjusts p-values, has nothing to add here).
    level_change = CHANGE_SHARE * alpha / (comparisons * restarts)
    return {
        "level_cumulative": (1 - CHANGE_SHARE) * alpha / comparisons,
        "level_change": level_change,
        # The e-detector bound on the expected time to a false change alert,
        # summed over the C comparisons: E[tau] >= 1 / (C * level_change).
        "arl": 1 / (comparisons * level_change),
    }
