"""Audits from race probabilities: weighted estimates, their bias, and the sharp bounds.

With race unobserved and only ``p_ik = P(race_i = k | proxies_i)`` known:

* the probability-weighted rate of group ``k`` is ``sum_i p_ik s_i / sum_i p_ik``.
  Chen, Kallus, Mao, Svacha and Udell (2019, Proposition 1 in substance) show
  its bias is ``-E[Cov(1{race = k}, selected | proxies)] / P(race = k)``: zero
  when selection is independent of race given the proxies, and otherwise
  toward equal rates, so impact ratios are biased toward 1;
* what the data do identify is a set (Kallus, Mao and Zhou 2022): within each
  cell ``z`` of the proxies, the share selected ``sigma_z`` and the group
  shares ``p_zk`` are known, but not how the selected are split among the
  groups.  Any split with ``0 <= a_zk <= p_zk`` and ``sum_k a_zk = sigma_z`` is
  consistent with the data, so group ``k``'s selected share in the cell lies in
  ``[max(0, sigma_z - (1 - p_zk)), min(sigma_z, p_zk)]``.  The lowest impact
  ratio of ``a`` against ``b`` takes ``a`` at its lowest and ``b`` at its highest
  in every cell; both are reachable at once (when ``a``'s lowest is positive
  the other groups are full, and ``b`` holds ``p_zb <= 1 - p_za``), so the bound
  is sharp for the cells used.  The highest ratio is the mirror image.

Cells: the finer the cells the narrower (sharper) the bounds, but each
cell's ``sigma_z`` is then estimated from fewer people, and a plug-in bound from
noisy ``sigma_z`` is too narrow (one person per cell collapses the bounds onto
the weighted estimate).  Coarser cells are always valid, only wider.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import norm

from adverse_impact._bisg import PUBLIC
from adverse_impact._bisg._impute import PURPOSE, RaceEstimates
from adverse_impact._bisg._tables import CATEGORIES
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_pandas
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._groups import highest
from adverse_impact._core._params import Flag, validate_params
from adverse_impact._core._render import decisive, frame_block, html_block, jsonable
from adverse_impact._core._validation import (
    check_aligned_indexes,
    check_binary,
    check_consistent_length,
    check_option,
    check_share,
)
from adverse_impact._stats._gate import GateArguments, GateVerdict, RowGated, gate_arguments
from adverse_impact._stats._gate import verdict as gate_verdict

__all__ = [*PUBLIC["_weighted"], "corrected_rates", "kmz_bounds"]

#: The four-fifths verdict from the bounds.
HOLDS, FAILS, UNDETERMINED = "holds", "fails", "undetermined"

BIAS_WARNING = (
    "the weighted estimate is biased toward 1 when selection depends on race beyond what "
    "the proxies explain (Chen et al. 2019); read the bounds"
)

CORRECTED_ASSUMPTION = (
    "the corrected estimate assumes selection is independent of the proxies (surname and "
    "ZCTA) given race (BIRDiE's pooled model, McCartan et al. 2025); if that fails, so does "
    "it, and the bounds still hold"
)

#: People per cell aimed at when the cells are made from the probabilities.
ROWS_PER_CELL = 100


def _probabilities(value: Any) -> tuple[np.ndarray, list[str]]:
    if isinstance(value, RaceEstimates):
        # The result's own array (read, never written): no DataFrame round trip.
        return value._probabilities, list(CATEGORIES)
    else:
        frame = as_pandas(value, "probabilities")
        if isinstance(frame, np.ndarray) or not isinstance(frame, pd.DataFrame):
            raise type_error(
                "probabilities",
                f"got {type(value).__name__}",
                "Pass the result of ai.impute_race, or a table with one column of "
                "probabilities per group (pandas or polars)",
            )
    if frame.shape[1] < 2:
        raise input_error("probabilities", "has fewer than two groups", "Pass one column per group")
    names = [str(c) for c in frame.columns]
    try:
        p = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise type_error(
            "probabilities", "holds values that are not numbers", "Pass probabilities in [0, 1]"
        ) from exc
    if not np.all(np.isfinite(p)):
        raise input_error(
            "probabilities",
            f"{int((~np.isfinite(p)).any(axis=1).sum())} row(s) hold a missing or infinite value",
            "Drop or fill those rows (and report how many) before the audit",
        )
    if np.any(p < 0) or np.any(p > 1):
        raise input_error(
            "probabilities", "holds values outside [0, 1]", "Pass probabilities in [0, 1]"
        )
    # Rounded probabilities (4 decimals, say) are accepted and rescaled; a larger gap
    # means a group is missing from the table.
    gap = np.abs(p.sum(axis=1) - 1)
    if np.any(gap > 1e-3):
        raise input_error(
            "probabilities",
            f"{int((gap > 1e-3).sum())} row(s) do not sum to 1 (largest gap {gap.max():.3g})",
            "Pass each person's probabilities over all the groups, summing to 1",
        )
    return p / p.sum(axis=1, keepdims=True), names


def _grid(n: int) -> int:
    """Bins per axis of the default cells: about ``ROWS_PER_CELL`` people per cell, 10 at most.

    The default cells of a comparison of groups ``a`` and ``b`` are the squares
    of a ``grid x grid`` grid on ``(p_a, p_b)``: people with similar
    probabilities of the two groups compared.
    """
    return int(max(1, min(10, math.floor(math.sqrt(n / ROWS_PER_CELL)))))


def kmz_bounds(
    selected: np.ndarray,
    p_a: np.ndarray,
    p_b: np.ndarray,
    cells: np.ndarray,
    n_cells: int | None = None,
) -> tuple[float, float, float, float, float, float]:
    """Sharp bounds on rate(a), rate(b) and rate(a) / rate(b) given the cells.

    Returns ``(rate_a_low, rate_a_high, rate_b_low, rate_b_high, ratio_low,
    ratio_high)``; the ratio's bounds pair ``a``'s lowest with ``b``'s highest
    and the reverse (Kallus, Mao and Zhou 2022; see the module docstring).
    ``cells`` holds any labels, or, with ``n_cells``, integer codes in
    ``range(n_cells)`` (not checked).

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._bisg._weighted import kmz_bounds
    >>> # One cell, half of everyone a and half b, half selected: anything goes.
    >>> s = np.array([1, 0] * 50); p = np.full(100, 0.5)
    >>> [round(v, 3) for v in kmz_bounds(s, p, p, np.zeros(100, dtype=int))]
    [0.0, 1.0, 0.0, 1.0, 0.0, inf]
    """
    index = np.asarray(cells)
    if n_cells is None:
        index = np.unique(index, return_inverse=True)[1].ravel()
        n_cells = int(index.max()) + 1 if len(index) else 0
    # One code per (cell, selected or not): a count and two weighted counts.
    code = index * 2 + np.asarray(selected, dtype=np.int8)
    return _bounds_from_codes(code, p_a, p_b, n_cells)


def _bounds_from_codes(
    code: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, n_cells: int
) -> tuple[float, float, float, float, float, float]:
    """:func:`kmz_bounds` from codes ``2 * cell + selected`` (the work of the default path)."""
    both = np.bincount(code, minlength=2 * n_cells)
    size = (both[0::2] + both[1::2]).astype(float)
    used = size > 0  # codes need not be dense
    size = size[used]
    sigma = both[1::2][used] / size
    sums_a = np.bincount(code, weights=p_a, minlength=2 * n_cells)
    sums_b = np.bincount(code, weights=p_b, minlength=2 * n_cells)
    sum_a = (sums_a[0::2] + sums_a[1::2])[used]
    sum_b = (sums_b[0::2] + sums_b[1::2])[used]
    pa, pb = sum_a / size, sum_b / size
    n_a, n_b = sum_a.sum(), sum_b.sum()
    low_a = (size * np.maximum(0.0, sigma - (1 - pa))).sum() / n_a
    high_a = (size * np.minimum(sigma, pa)).sum() / n_a
    low_b = (size * np.maximum(0.0, sigma - (1 - pb))).sum() / n_b
    high_b = (size * np.minimum(sigma, pb)).sum() / n_b
    ratio_low = low_a / high_b if high_b > 0 else math.nan
    ratio_high = high_a / low_b if low_b > 0 else (math.inf if high_a > 0 else math.nan)
    return tuple(float(v) for v in (low_a, high_a, low_b, high_b, ratio_low, ratio_high))


def corrected_rates(
    p: np.ndarray, selected: np.ndarray, tol: float = 1e-7, max_iter: int = 5_000
) -> tuple[np.ndarray, bool]:
    """Each group's selection rate assuming selection independent of the proxies given race.

    The pooled model of BIRDiE (McCartan et al. 2025): ``P(S = 1 | race = k,
    proxies) = theta_k``, so ``P(S = 1 | proxies) = sum_k p_k theta_k``.  The
    maximum-likelihood ``theta`` by EM: each person's race posterior given their
    decision, ``p_k theta_k^s (1 - theta_k)^(1 - s)`` normalised, then ``theta_k``
    the posterior-weighted share selected.  The log-likelihood is concave in
    ``theta``, so EM reaches its maximum; it is unique when the probability
    vectors span the groups.  Returns ``(theta, converged)``.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._bisg._weighted import corrected_rates
    >>> p = np.array([[0.9, 0.1]] * 1000 + [[0.2, 0.8]] * 1000)
    >>> rng = np.random.default_rng(0)
    >>> race = (rng.random(2000) > p[:, 0]).astype(int)
    >>> s = rng.random(2000) < np.where(race == 1, 0.1, 0.3)
    >>> theta, converged = corrected_rates(p, s)
    >>> print(np.round(theta, 2), converged)
    [0.29 0.1 ] True
    """
    chosen = p[selected]
    passed = p[~selected]
    theta = np.full(p.shape[1], selected.mean())
    for _ in range(max_iter):
        yes = chosen * theta
        yes /= yes.sum(axis=1, keepdims=True)
        no = passed * (1 - theta)
        no /= no.sum(axis=1, keepdims=True)
        a, b = yes.sum(axis=0), no.sum(axis=0)
        new = np.divide(a, a + b, out=np.full_like(a, np.nan), where=(a + b) > 0)
        if np.nanmax(np.abs(new - theta)) < tol:
            return new, True
        theta = np.nan_to_num(new)
    return theta, False


def _verdict(low: float, high: float) -> str:
    if not math.isnan(low) and low >= 0.8:
        return HOLDS
    if not math.isnan(high) and high < 0.8:
        return FAILS
    return UNDETERMINED


@validate_params(corrected=Flag())
def audit_imputed(
    selected: Any,
    probabilities: Any,
    *,
    reference: str | None = None,
    cells: Any = None,
    min_share: float | None = None,
    confidence: float = 0.95,
    corrected: bool = False,
) -> ImputedAudit:
    """Audit selection when race is estimated, not recorded: bounds first, estimates beside them.

    From each person's decision and their probabilities of belonging to each
    group (e.g. :func:`adverse_impact.impute_race`), per group:

    * the expected size ``n = sum p``, share ``n / N`` (the 2% rule, when
      ``min_share`` is given, compares this share) and Kish's effective sample
      size ``(sum p)^2 / sum p^2``;
    * the probability-weighted selection rate ``sum p s / sum p`` and impact
      ratio against the reference group, with intervals from the linearised
      (sandwich) variance of these ratio estimators, which accounts for the
      weights and for the rows both groups share;
    * the headline: the Kallus-Mao-Zhou sharp bounds on the impact ratio,
      the range of ratios the data cannot tell apart, and the four-fifths
      verdict they support ("holds" when the lower bound is at least 0.8,
      "fails" when the upper bound is below it, else "undetermined");
    * for comparison only, the rates and ratio of hard (argmax) assignment.

    The weighted estimate is biased toward 1 whenever selection depends on
    race beyond what the proxies explain (Chen et al. 2019): a true ratio of
    0.60 can read 0.80.  It is unbiased only when selection is independent
    of race given the proxies, which an audit cannot check.  The bounds need
    no such assumption; they are wide when the proxies are weak.

    Why a function of its own rather than ``ai.audit`` with weights: a
    person here belongs fractionally to every group, so counts, shares and
    the exact-fraction four-fifths test of :func:`adverse_impact.audit` do not
    apply, and its headline (the ratio) is the one number this audit must not
    lead with.

    Parameters
    ----------
    selected : array-like of 0/1 or bool
        One decision per person.
    probabilities : RaceEstimates or DataFrame
        The result of :func:`adverse_impact.impute_race`, or a pandas or
        polars table with one column per group whose rows sum to 1.
    reference : str, optional
        The comparison group (a column of ``probabilities``).  Default (or
        ``"highest"``, as in :func:`adverse_impact.audit`): the group with the
        highest weighted rate among those not excluded by ``min_share``.
    cells : array-like, optional
        A label per person defining the proxy cells within which the bounds
        let the selected be split among the groups in any way (e.g. the
        ZCTA, or the surname).  Finer cells give narrower bounds but need
        enough people per cell; default: for each pair of groups compared,
        cells of people with similar probabilities of those two groups
        (a grid on the two probabilities, about 100 people per cell on
        average, at most 100 cells).
        Valid when the probabilities are calibrated within the cells.
    min_share : float, optional
        Groups whose expected share ``sum p / N`` is below this (e.g. 0.02,
        the NYC LL144 convention) are excluded from the reference choice and
        the headline, kept in the table with ``excluded`` True.
    confidence : float, default 0.95
        Level of the intervals on the weighted rates and ratios.
    corrected : bool, default False
        Also estimate each group's rate under the assumption that selection
        is independent of the proxies (surname and ZCTA) given race, by
        maximum likelihood (the pooled model of BIRDiE, McCartan et al. 2025):
        columns ``corrected_rate`` and ``corrected_impact_ratio``, and the
        assumption in ``notes``.  Unbiased when the assumption holds and the
        probabilities are calibrated; no interval is given.  Off by default:
        it iterates over the rows.

    Returns
    -------
    ImputedAudit

    See Also
    --------
    impute_race : BISG probabilities from surname and ZCTA.

    References
    ----------
    Chen, J., Kallus, N., Mao, X., Svacha, G. and Udell, M. (2019). "Fairness
    under unawareness: assessing disparity when protected class is
    unobserved." *Proceedings of FAT* '19*, 339-348.

    Kallus, N., Mao, X. and Zhou, A. (2022). "Assessing algorithmic fairness
    with unobserved protected class using data combination." *Management
    Science* 68(3), 1959-1981.

    Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size).

    McCartan, C., Fisher, R., Goldin, J., Ho, D. E. and Imai, K. (2025).
    "Estimating racial disparities when race is not observed." *Journal of the
    American Statistical Association* (BIRDiE).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> # Three kinds of people: 2%, 30% and 95% likely to be Black; race drawn accordingly.
    >>> p_black = rng.choice([0.02, 0.3, 0.95], size=20_000, p=[0.6, 0.2, 0.2])
    >>> black = rng.random(20_000) < p_black
    >>> selected = rng.random(20_000) < np.where(black, 0.15, 0.25)  # true ratio 0.6
    >>> probs = pd.DataFrame({"white": 1 - p_black, "black": p_black})
    >>> result = ai.audit_imputed(selected, probs, reference="white")
    >>> print(result.summary())  # doctest: +NORMALIZE_WHITESPACE
    ImputedAudit: 20,000 people; impact ratio of black vs white bounded in [0.278, 1.774]
        (four-fifths undetermined); weighted estimate 0.706, biased toward 1
      white: reference, weighted rate 0.244 (n 14,730.0 expected, 16,122.6 effective)
      black: bounds [0.278, 1.774] four-fifths undetermined; weighted 0.706 (95% CI 0.670 to
        0.744); argmax 0.621; share 26.3%
      note: the weighted estimate is biased toward 1 when selection depends on race beyond
        what the proxies explain (Chen et al. 2019); read the bounds
    >>> print(round(selected[black].mean() / selected[~black].mean(), 3))  # the truth
    0.565
    """
    check_aligned_indexes({"selected": selected, "probabilities": probabilities, "cells": cells})
    chosen_rows = check_binary(as_pandas(selected, "selected"), "selected").view(bool)
    p, groups = _probabilities(probabilities)
    cell_labels, n = _cell_labels(cells, chosen_rows, p)
    share = check_share(min_share, "min_share")
    level = float(confidence)  # checked by validate_params
    cell_codes = per_cell = None
    if cell_labels is not None:
        cell_codes = pd.factorize(pd.Series(cell_labels), use_na_sentinel=False)[0]
        per_cell = np.bincount(cell_codes)
    z = norm.ppf(0.5 + level / 2)

    # One row per group, each contiguous: every pass below reads one group's column
    # (no copy when the probabilities are stored by column, as impute_race stores them).
    by_group = np.ascontiguousarray(p.T)
    sums = _weighted_sums(by_group, chosen_rows, n)
    excluded = np.zeros(len(groups), dtype=bool) if share is None else sums.shares < float(share)
    ref = _reference_index(reference, groups, sums, excluded)
    hard = _argmax_rates(p, chosen_rows, len(groups))
    bounds = _PairBounds(by_group, chosen_rows, ref, cell_codes, n)
    fixed, converged = np.full(len(groups), math.nan), True
    if corrected:
        fixed, converged = corrected_rates(p, chosen_rows)
    rows = [
        _group_row(i, group, ref, sums, excluded, z, hard, fixed, bounds)
        for i, group in enumerate(groups)
    ]
    return ImputedAudit(
        _table=pd.DataFrame(rows),
        reference=groups[ref],
        n=n,
        n_selected=int(np.count_nonzero(chosen_rows)),
        min_share=None if share is None else float(share),
        confidence=level,
        cells="given" if cell_labels is not None else "probability bins",
        notes=_notes(corrected, converged, per_cell),
        source=read_only(_source(probabilities)),
    )


def _cell_labels(
    cells: Any, chosen_rows: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray | None, int]:
    """The given cells' labels (None: probability bins), and the number of people."""
    lengths = {"selected": len(chosen_rows), "probabilities": len(p)}
    cell_labels = None
    if cells is not None:
        cell_labels = np.asarray(as_pandas(cells, "cells"), dtype=object)
        lengths["cells"] = len(cell_labels)
    return cell_labels, check_consistent_length(lengths)


class _Sums(NamedTuple):
    """Each group's weighted sums and what derives from them (arrays over the groups)."""

    size: np.ndarray  # sum p: expected people
    chosen: np.ndarray  # sum p s: expected selected
    rate: np.ndarray
    shares: np.ndarray
    n_eff: np.ndarray  # Kish's effective sample size
    covariance: np.ndarray  # of the rates (groups x groups)
    rate_se: np.ndarray


def _weighted_sums(by_group: np.ndarray, chosen_rows: np.ndarray, n: int) -> _Sums:
    """Rates, shares, effective sizes and the rates' covariance from two Gram matrices."""
    # Everything from the sums and two Gram matrices (BLAS): sum p, sum p s,
    # sum p_a p_b and sum p_a p_b s.
    picked = np.compress(chosen_rows, by_group, axis=1)
    size = by_group.sum(axis=1)
    chosen = picked.sum(axis=1)
    gram = by_group @ by_group.T
    gram_selected = picked @ picked.T
    k = len(size)
    rate = np.divide(chosen, size, out=np.full(k, np.nan), where=size > 0)
    squares = np.diag(gram)
    n_eff = np.divide(size**2, squares, out=np.zeros(k), where=size > 0)
    # Linearised (sandwich) covariance of the ratio estimators sum(p s) / sum(p): the
    # influence of person i on group a's rate is p_ia (s_i - r_a) / n_a, and with s in
    # {0, 1}, sum_i p_ia p_ib (s_i - r_a)(s_i - r_b) = (1 - r_a - r_b) G_s + r_a r_b G.
    r = np.nan_to_num(rate)
    cross = (1 - r[:, None] - r[None, :]) * gram_selected + np.outer(r, r) * gram
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = cross / np.outer(size, size)
    rate_se = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    return _Sums(size, chosen, rate, size / n, n_eff, covariance, rate_se)


def _reference_index(reference: Any, groups: list[str], sums: _Sums, excluded: np.ndarray) -> int:
    """The comparison group: the one named, or the highest weighted rate among those kept."""
    if reference is None or reference == "highest":
        eligible = [not excluded[i] and sums.size[i] > 0 for i in range(len(groups))]
        ref = highest(sums.rate, eligible)
        if ref is None:
            raise input_error(
                "min_share",
                "every group is below it (or empty)",
                "Lower min_share or check the probabilities",
            )
        return ref
    check_option(reference, "reference", groups)
    return groups.index(reference)


def _argmax_rates(p: np.ndarray, chosen_rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """People and rates by hard (argmax) assignment, shown for comparison only."""
    # First of equal maxima, as argmax; the group and the decision in one code.
    hard_code = p.argmax(axis=1) * 2 + chosen_rows
    hard_both = np.bincount(hard_code, minlength=2 * k)
    hard_sel = hard_both[1::2]
    hard_n = hard_both[0::2] + hard_sel
    hard_rate = np.divide(hard_sel, hard_n, out=np.full(k, np.nan), where=hard_n > 0)
    return hard_n, hard_rate


class _PairBounds:
    """The sharp bounds of each group against the reference, in the given cells or bins."""

    def __init__(
        self,
        by_group: np.ndarray,
        chosen_rows: np.ndarray,
        ref: int,
        cell_codes: np.ndarray | None,
        n: int,
    ) -> None:
        self.by_group = by_group
        self.chosen_rows = chosen_rows
        self.ref = ref
        self.cell_codes = cell_codes
        if cell_codes is None:
            self.grid = grid = _grid(n)
            # Integer bins straight from the multiplication (truncation, as astype), in the
            # index type bincount counts with, so that no pass casts them again.
            self.bins = bins = np.empty(by_group.shape, dtype=np.intp)
            np.multiply(by_group, grid, out=bins, casting="unsafe")
            np.minimum(bins, grid - 1, out=bins)
            # The reference's bin and the decision, shared by every comparison: each
            # comparison's code is then (bin_a * grid + bin_ref) * 2 + selected.
            self.ref_key = bins[ref] * 2 + chosen_rows

    def __call__(self, i: int) -> tuple[float, float, float, float, float, float]:
        by_group, ref = self.by_group, self.ref
        if self.cell_codes is None:
            code = self.bins[i] * (2 * self.grid)
            code += self.ref_key
            return _bounds_from_codes(code, by_group[i], by_group[ref], self.grid * self.grid)
        return kmz_bounds(
            self.chosen_rows,
            by_group[i],
            by_group[ref],
            self.cell_codes,
            int(self.cell_codes.max()) + 1,
        )


def _group_row(
    i: int,
    group: str,
    ref: int,
    sums: _Sums,
    excluded: np.ndarray,
    z: float,
    hard: tuple[np.ndarray, np.ndarray],
    fixed: np.ndarray,
    bounds: _PairBounds,
) -> dict[str, Any]:
    """Group ``i``'s row of the table: estimates, intervals, bounds and comparisons."""
    size, rate, rate_se = sums.size, sums.rate, sums.rate_se
    hard_n, hard_rate = hard
    row: dict[str, Any] = {
        "group": group,
        "n_expected": size[i],
        "share": sums.shares[i],
        "n_effective": sums.n_eff[i],
        "selected_expected": sums.chosen[i],
        "rate": rate[i],
        "rate_ci_low": max(0.0, rate[i] - z * rate_se[i]),
        "rate_ci_high": min(1.0, rate[i] + z * rate_se[i]),
        "impact_ratio": math.nan,
        "ratio_ci_low": math.nan,
        "ratio_ci_high": math.nan,
        "bound_low": math.nan,
        "bound_high": math.nan,
        "rate_bound_low": math.nan,
        "rate_bound_high": math.nan,
        "four_fifths": UNDETERMINED,
        "is_reference": i == ref,
        "excluded": bool(excluded[i]),
        "argmax_n": int(hard_n[i]),
        "argmax_rate": hard_rate[i],
        "argmax_impact_ratio": (hard_rate[i] / hard_rate[ref] if hard_rate[ref] > 0 else math.nan),
        "corrected_rate": fixed[i],
        "corrected_impact_ratio": fixed[i] / fixed[ref] if fixed[ref] > 0 else math.nan,
    }
    if size[i] > 0 and rate[ref] > 0:
        row["impact_ratio"] = rate[i] / rate[ref]
        if i != ref and rate[i] > 0:
            half = _log_ratio_half_width(i, ref, sums, z)
            row["ratio_ci_low"] = row["impact_ratio"] * math.exp(-half)
            row["ratio_ci_high"] = row["impact_ratio"] * math.exp(half)
    if i == ref:
        row.update(bound_low=1.0, bound_high=1.0, ratio_ci_low=1.0, ratio_ci_high=1.0)
        row["four_fifths"] = HOLDS
    elif size[i] > 0:
        low_a, high_a, _, _, r_low, r_high = bounds(i)
        row.update(
            bound_low=r_low,
            bound_high=r_high,
            rate_bound_low=low_a,
            rate_bound_high=high_a,
            four_fifths=_verdict(r_low, r_high),
        )
    return row


def _log_ratio_half_width(i: int, ref: int, sums: _Sums, z: float) -> float:
    """Half the width of the interval on log(rate_i / rate_ref)."""
    rate, covariance = sums.rate, sums.covariance
    # log(ratio) linearised: the two rates share rows, so their covariance counts.
    variance = (
        covariance[i, i] / rate[i] ** 2
        + covariance[ref, ref] / rate[ref] ** 2
        - 2 * covariance[i, ref] / (rate[i] * rate[ref])
    )
    return z * math.sqrt(max(float(variance), 0.0))


def _notes(corrected: bool, converged: bool, per_cell: np.ndarray | None) -> tuple[str, ...]:
    """The caveats the result carries: the bias, the correction's assumption, sparse cells."""
    notes = [BIAS_WARNING]
    if corrected:
        notes.append(CORRECTED_ASSUMPTION)
        if not converged:
            notes.append("the corrected estimate did not converge: the proxies may be too weak")
    if per_cell is not None and np.median(per_cell) < 20:
        notes.append(
            f"half the cells hold fewer than 20 people (median {np.median(per_cell):g}): "
            "their selection rates are noisy and the bounds too narrow; use coarser cells"
        )
    return tuple(notes)


def _source(probabilities: Any) -> dict[str, Any]:
    if isinstance(probabilities, RaceEstimates):
        return {
            "estimates": "BISG (impute_race)",
            "surnames": probabilities.surnames,
            "geography": probabilities.geography,
            "unmatched_surname": probabilities.unmatched_surname,
        }
    return {"estimates": "probabilities given"}


@dataclasses.dataclass(frozen=True, slots=True, repr=False, eq=False)
class ImputedAudit(RowGated):
    """An audit from race probabilities; returned by :func:`adverse_impact.audit_imputed`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: ``n_expected`` (sum of probabilities), ``share``,
        ``n_effective`` (Kish), ``selected_expected``, the weighted ``rate``
        with ``rate_ci_low``/``rate_ci_high``, the weighted ``impact_ratio``
        with ``ratio_ci_low``/``ratio_ci_high``, the sharp bounds
        ``bound_low``/``bound_high`` on the impact ratio and
        ``rate_bound_low``/``rate_bound_high`` on the rate, the
        ``four_fifths`` verdict the bounds support, ``is_reference``,
        ``excluded`` (``min_share``), and the argmax comparison
        ``argmax_n``, ``argmax_rate``, ``argmax_impact_ratio``, and (with
        ``corrected=True``, else NaN) ``corrected_rate`` and
        ``corrected_impact_ratio``.  A copy.
    reference : str
    n, n_selected : int
    min_share : float or None
    confidence : float
    cells : str
        "given" or "probability bins".
    notes : tuple of str
        The bias warning, and any warning about the cells.
    source : Mapping[str, object]
        Where the probabilities came from.
    """

    _table: pd.DataFrame
    reference: str
    n: int
    n_selected: int
    min_share: float | None
    confidence: float
    cells: str
    notes: tuple[str, ...]
    source: Mapping[str, Any]

    __reduce__ = reduce_by_fields

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def to_frame(self) -> pd.DataFrame:
        """The per-group table (a copy)."""
        return self._table.copy()

    def lowest(self) -> pd.Series | None:
        """The compared group whose lower bound is lowest (excluded groups left out)."""
        rows = self._table[~self._table["is_reference"] & ~self._table["excluded"]]
        rows = rows[rows["bound_low"].notna()]
        if rows.empty:
            return None
        return rows.sort_values(["bound_low", "impact_ratio"]).iloc[0]

    def _gate_arguments(self, min_ratio: Any, alpha: Any, rule: Any) -> GateArguments:
        return gate_arguments(
            min_ratio,
            alpha,
            rule,
            result="ImputedAudit",
            rules=("four_fifths",),
            why="race is estimated, and the sharp bounds on each ratio are what the data "
            "identify, not a test",
        )

    def _failing(self, arguments: GateArguments) -> np.ndarray:
        table = self._table
        high = table["bound_high"].to_numpy(dtype=float)
        compared = ~table["is_reference"].to_numpy(dtype=bool) & ~table["excluded"].to_numpy(
            dtype=bool
        )
        # Float bounds against the floor as written: the bounds are sums of
        # probabilities, not ratios of counts, so there is no exact fraction to keep.
        return compared & (np.nan_to_num(high, nan=np.inf) < float(arguments.min_ratio))

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The four-fifths verdict the Kallus-Mao-Zhou bounds support.

        A group fails only when its *whole* bound interval is below
        ``min_ratio`` (``bound_high < min_ratio``: every split of the selected
        among the groups consistent with the data puts it below).  A group
        whose interval straddles the floor is undetermined and does not fail:
        the data cannot say, and the weighted estimate, biased toward 1, is no
        tie-breaker (see :attr:`notes`).  Excluded groups (``min_share``) and
        the reference are not judged.  Only ``rule="four_fifths"`` can be
        decided: the bounds are identification bounds, not a test, so
        ``alpha`` or another rule raises :class:`~adverse_impact.InputError`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import adverse_impact as ai
        >>> p_black = np.repeat([0.01, 0.99], 500)
        >>> selected = np.r_[np.tile([1, 0], 250), np.tile([1, 0, 0, 0, 0], 100)]
        >>> probs = pd.DataFrame({"white": 1 - p_black, "black": p_black})
        >>> result = ai.audit_imputed(selected, probs, reference="white", cells=p_black)
        >>> print(result.gate().message())  # doctest: +NORMALIZE_WHITESPACE
        adverse impact: 1 group fails the rule (the whole bound interval of the impact ratio
        below 0.8)
        No test: the sharp bounds of Kallus, Mao and Zhou (2022) on each impact ratio against
        white, from the cells given; no family, no correction
          race=black: impact ratio bounded in [0.373, 0.429], weighted estimate 0.408 (biased
          toward 1)
        """
        arguments = self._gate_arguments(min_ratio, alpha, rule)
        rows = self._table.loc[self._failing(arguments)]
        return gate_verdict(
            arguments,
            min_ratio,
            (f"race={g}" for g in rows["group"]),
            family="no test: the sharp bounds of Kallus, Mao and Zhou (2022) on each impact "
            f"ratio against {self.reference}, from the "
            + ("cells given" if self.cells == "given" else "cells of binned probabilities")
            + "; no family, no "
            "correction",
            # A failing group's whole interval is below the floor: both ends show it.
            details=(
                f"impact ratio bounded in [{_bound(r['bound_low'], True, arguments.min_ratio)}, "
                f"{_bound(r['bound_high'], True, arguments.min_ratio)}], "
                f"weighted estimate {_fmt(r['impact_ratio'])} (biased toward 1)"
                for r in rows.to_dict(orient="records")
            ),
            words={"four_fifths": "the whole bound interval of the impact ratio below {ratio}"},
        )

    def to_dict(self) -> dict[str, Any]:
        """The table and the metadata, JSON-serialisable (NaN and infinity as None)."""
        return jsonable(
            {
                "groups": self._table.to_dict("records"),
                "reference": self.reference,
                "n": self.n,
                "n_selected": self.n_selected,
                "min_share": self.min_share,
                "confidence": self.confidence,
                "cells": self.cells,
                "notes": list(self.notes),
                "source": dict(self.source),
                "purpose": PURPOSE,
            }
        )

    def _headline(self) -> str:
        low = self.lowest()
        if low is None:
            return f"ImputedAudit: {self.n:,} people; no group compared with {self.reference}"
        return (
            f"ImputedAudit: {self.n:,} people; impact ratio of {low['group']} vs "
            f"{self.reference} bounded in [{_bounds(low)}]"
            f" (four-fifths {low['four_fifths']}); weighted estimate "
            f"{_fmt(low['impact_ratio'])}, biased toward 1"
        )

    def summary(self) -> str:
        """Headline, one line per compared group (bounds first), the notes."""
        lines = [self._headline()]
        for row in self._table.itertuples(index=False):
            if row.is_reference:
                lines.append(
                    f"  {row.group}: reference, weighted rate {_fmt(row.rate)} "
                    f"(n {row.n_expected:,.1f} expected, {row.n_effective:,.1f} effective)"
                )
                continue
            tail = " (excluded: below min_share)" if row.excluded else ""
            lines.append(
                f"  {row.group}: bounds [{_bounds(row._asdict())}] "
                f"four-fifths {row.four_fifths}; weighted {_fmt(row.impact_ratio)} "
                f"({self.confidence:.0%} CI {_fmt(row.ratio_ci_low)} to "
                f"{_fmt(row.ratio_ci_high)}); argmax {_fmt(row.argmax_impact_ratio)}; "
                f"share {row.share:.1%}{tail}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        columns = [
            "group",
            "n_expected",
            "share",
            "rate",
            "bound_low",
            "bound_high",
            "impact_ratio",
            "argmax_impact_ratio",
            "four_fifths",
        ]
        return frame_block(self._headline(), self._table[columns], ".3g", self._decide())

    def _repr_html_(self) -> str:
        return html_block(self._headline(), self._table, ".3g", self._decide())

    def _decide(self) -> dict[str, np.ndarray]:
        """The four-fifths verdict's side of each bound (see :func:`_bounds`)."""
        verdicts = self._table["four_fifths"].to_numpy()
        return {"bound_low": verdicts != HOLDS, "bound_high": verdicts == FAILS}


def _bound(value: float, below: bool, line: Any = 0.8) -> str:
    """A bound with the decimals that show the side of ``line`` its verdict puts it on."""
    if value is None or math.isnan(value) or math.isinf(value):
        return _fmt(value)
    return decisive(value, below, line, digits=3)


def _bounds(row: Mapping[str, Any]) -> str:
    """A group's bounds as "low, high", each on the side of 0.8 its four-fifths verdict says.

    "holds" puts the lower bound at or above 0.8, "fails" the upper bound below
    it, "undetermined" the lower bound below and the upper at or above: a bound
    of 0.79996 is never written 0.800 beside a verdict that rests on it.
    """
    verdict = row["four_fifths"]
    return (
        f"{_bound(row['bound_low'], verdict != HOLDS)}, "
        f"{_bound(row['bound_high'], verdict == FAILS)}"
    )


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.3f}"
