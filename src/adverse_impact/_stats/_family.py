"""The release gate's family test: every group against the highest rate, from counts alone.

An audit compares, for every attribute and intersection, each group with a reference
group, and the usual reference is the group that *came out* highest. A verdict that
fails when any of those comparisons is significant at alpha fails fair data far more
often than alpha: there are many comparisons, they share groups, and the reference was
picked for being high. This module tests the whole family at once.

Null hypothesis: selection is independent of every audited attribute jointly (within
each stratum, when there are strata). Conditioning on the margins (the number of
people in every cell of the full cross-classification of the audited attributes,
unknown levels included as cells, and the number selected), the selected counts per
cell are then multivariate hypergeometric whatever the common selection rate. Every
attribute's group counts are sums of cells, so one draw of cell counts gives one draw
of every comparison in the family, with the reference chosen anew in each draw as the
highest rate. The statistic of a comparison is the one-sided standardised shortfall
of the group (the pooled two-proportion z of reference minus group); the adjusted
p-values are Westfall and Young's step-down maxT over the whole family. Nothing here
reads rows: the input is the cell table an audit has already counted.

References
----------
.. [1] Westfall, P. H., & Young, S. S. (1993). *Resampling-Based Multiple Testing*.
   Wiley. Section 2.6 and Algorithm 2.8.
.. [2] Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed. Wiley. Section 3.5
   (conditional exact tests given the margins; the multivariate hypergeometric).
.. [3] Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data
   from retrospective studies of disease. *JNCI* 22(4), 719-748 (the stratified score).
.. [4] Kish, L. (1965). *Survey Sampling*. Wiley (the effective sample size of a
   weighted mean, used to standardise weighted rates).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adverse_impact._stats._multiplicity import maxt

__all__ = [
    "DEFAULT_RESAMPLES",
    "FamilyAttribute",
    "FamilyTest",
    "count_seed",
    "shortfall_family",
]

#: Null draws of the family test. At a true p-value of 0.05 the Monte-Carlo standard
#: error of the estimate is sqrt(0.05 * 0.95 / 9,999) = 0.0022, and with
#: (1 + count) / (B + 1) the test is exactly valid at every B (Phipson and Smyth 2010).
DEFAULT_RESAMPLES = 9_999
#: Cells times draws held in memory at once (about 160 MB of int64 counts).
_CHUNK_CELLS = 20_000_000


@dataclass(frozen=True, slots=True)
class FamilyAttribute:
    """One audited attribute (or intersection) as the family test sees it.

    Attributes
    ----------
    name : str
        The attribute's name, as in the audit table (``"sex x race"``).
    membership : numpy.ndarray of int
        For every cell, the index of the attribute's group it belongs to, or -1 when
        the attribute is unknown in that cell.
    eligible : numpy.ndarray of bool
        Groups that are compared (not excluded by ``min_share``, with a rate).
    reference : int or None
        A fixed reference group's index, or None for the highest rate, chosen anew in
        every draw.
    observed_reference : int or None
        The reference the audit reported (its row is not a comparison).
    """

    name: str
    membership: np.ndarray
    eligible: np.ndarray
    reference: int | None = None
    observed_reference: int | None = None


@dataclass(frozen=True, slots=True)
class FamilyTest:
    """The family test of an audit: statistics and adjusted p-values, per attribute.

    Attributes
    ----------
    statistic : tuple of numpy.ndarray
        Per attribute, per group: the standardised shortfall (positive when the group
        is below its reference), NaN where the group is not compared.
    p_value_adjusted : tuple of numpy.ndarray
        Per attribute, per group: the step-down maxT adjusted p-value, NaN where not
        compared.
    p_value_single : tuple of numpy.ndarray
        Per attribute, per group: the comparison's own Monte-Carlo p-value, from the
        same draws (the reference still chosen anew in each draw), before any family
        adjustment. Valid one comparison at a time; Holm over these is the benchmark
        a family adjustment must beat.
    p_value : float
        The family's p-value: the smallest adjusted p-value (the single-step test of
        the complete null, which is what a gate's pass/fail decides).
    n_comparisons : int
    n_resamples : int
    random_state : int
        The seed of the null draws (derived from the counts unless given).
    method : str
    """

    statistic: tuple[np.ndarray, ...]
    p_value_adjusted: tuple[np.ndarray, ...]
    p_value_single: tuple[np.ndarray, ...]
    p_value: float
    n_comparisons: int
    n_resamples: int
    random_state: int
    method: str = field(default="Westfall-Young maxT")


def count_seed(*arrays: Any) -> int:
    """A seed derived from the counts: the same counts always give the same draws.

    A gate's verdict must not flip between reruns of the same audit, and two different
    audits should not share one Monte-Carlo sample; a hash of the cell counts gives both.

    Examples
    --------
    >>> from adverse_impact._stats._family import count_seed
    >>> count_seed([10, 20], [3, 4]) == count_seed([10, 20], [3, 4])
    True
    >>> count_seed([10, 20], [3, 4]) == count_seed([10, 20], [4, 3])
    False
    """
    digest = hashlib.blake2b(digest_size=8)
    for array in arrays:
        values = np.asarray(array, dtype=np.float64).ravel()
        # Sums of float weights differ in their last bits between engines (the order
        # of additions): 12 significant digits keep one seed per audit on every engine.
        text = ",".join(f"{v:.12g}" for v in values)
        digest.update(text.encode())
        digest.update(b"|")
    return int.from_bytes(digest.digest(), "little") >> 1


@dataclass(frozen=True, slots=True)
class _Sum:
    """Sums cells into (stratum, group) slots: a sort and one ``reduceat``.

    A one-hot matrix product does the same, but costs several times more on the
    thousands of draws x a dozen cells of a typical audit.
    """

    order: np.ndarray  # known cells, sorted by slot
    starts: np.ndarray  # where each occupied slot's cells begin in ``order``
    slots: np.ndarray  # the occupied slots
    size: int  # S * G

    @classmethod
    def of(cls, membership: np.ndarray, stratum: np.ndarray, groups: int, strata: int) -> _Sum:
        known = np.flatnonzero(membership >= 0)
        slot = stratum[known] * groups + membership[known]
        order = known[np.argsort(slot, kind="stable")]
        sorted_slot = np.sort(slot, kind="stable")
        slots, starts = np.unique(sorted_slot, return_index=True)
        return cls(order, starts, slots, strata * groups)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """(..., cells) -> (..., S * G)."""
        out = np.zeros((*values.shape[:-1], self.size))
        if self.order.size:
            out[..., self.slots] = np.add.reduceat(values[..., self.order], self.starts, axis=-1)
        return out


@dataclass(frozen=True, slots=True)
class _Prepared:
    summer: _Sum
    n: np.ndarray  # (S, G) people
    weight: np.ndarray  # (G,) total weight
    neff: np.ndarray  # (G,) Kish effective size
    eligible: np.ndarray  # (G,)
    reference: int | None


def _prepare(
    attribute: FamilyAttribute,
    cell_n: np.ndarray,
    cell_mean_weight: np.ndarray,
    stratum: np.ndarray,
    n_strata: int,
) -> _Prepared:
    membership = np.asarray(attribute.membership, dtype=np.int64)
    eligible = np.asarray(attribute.eligible, dtype=bool)
    groups = eligible.size
    summer = _Sum.of(membership, stratum, groups, n_strata)
    n = summer(cell_n.astype(float)).reshape(n_strata, groups)
    # Weighted rates use each cell's mean weight; with weights constant within cells
    # (post-stratification weights) they are the weighted rates exactly.
    weight = summer(cell_n * cell_mean_weight).reshape(n_strata, groups).sum(axis=0)
    square = summer(cell_n * cell_mean_weight**2).reshape(n_strata, groups).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        neff = np.where(square > 0, weight**2 / square, 0.0)
    eligible = eligible & (weight > 0)
    return _Prepared(summer, n, weight, neff, eligible, attribute.reference)


def _pooled_z(x_r, w_r, e_r, x_g, w_g, e_g):
    """(rate_r - rate_g) / sqrt(p(1 - p)(1/e_r + 1/e_g)); 0 where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_r, rate_g = x_r / w_r, x_g / w_g
        pooled = (x_r + x_g) / (w_r + w_g)
        var = pooled * (1.0 - pooled) * (1.0 / e_r + 1.0 / e_g)
        z = (rate_r - rate_g) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


def _statistics(
    draws: np.ndarray,
    cell_mean_weight: np.ndarray,
    prepared: Sequence[_Prepared],
    n_strata: int,
    comparison: str,
    stratified: bool,
) -> np.ndarray:
    """Every comparison's statistic in every draw: (draws, total groups)."""
    out = []
    weighted_draws = draws * cell_mean_weight[None, :]
    for p in prepared:
        groups = p.eligible.size
        x_sg = p.summer(weighted_draws).reshape(-1, n_strata, groups)
        x = x_sg.sum(axis=1)  # (b, G) weighted selected
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(p.eligible, x / p.weight, -np.inf)
        b = x.shape[0]
        live = p.eligible
        if comparison == "rest":
            ref = None
        elif p.reference is not None:
            ref = np.full(b, p.reference)
        else:
            # Ties go to the first group, as the audit's own choice does.
            ref = np.argmax(rate, axis=1)
        if stratified:
            n = p.n  # (S, G)
            xs = x_sg
            if ref is None:
                x_r = (xs * live).sum(axis=2, keepdims=True) - xs
                n_r = (n * live).sum(axis=1, keepdims=True) - n
                n_r = np.broadcast_to(n_r, xs.shape)
            else:
                x_r = np.take_along_axis(xs, ref[:, None, None].repeat(n_strata, 1), axis=2)
                n_r = n.T[ref][:, :, None]  # (b, S, 1)
            total = n_r + n[None]
            chosen = x_r + xs
            with np.errstate(divide="ignore", invalid="ignore"):
                expected = np.where(total > 0, n[None] * chosen / total, 0.0)
                var = np.where(total > 0, n_r * n[None] * chosen * (total - chosen) / total**3, 0.0)
                num, den = (expected - xs).sum(axis=1), var.sum(axis=1)
                z = np.where(den > 0, num / np.sqrt(den), 0.0)
        else:
            w, e = p.weight, p.neff
            if ref is None:
                x_r = (x * live).sum(axis=1, keepdims=True) - x
                w_r = (w * live).sum() - w
                # Kish sizes do not subtract; the rest's is recomputed from its parts.
                e_r = np.array([_rest_neff(p, g) for g in range(groups)])
                z = _pooled_z(x_r, w_r[None], e_r[None], x, w[None], e[None])
            else:
                x_r = np.take_along_axis(x, ref[:, None], axis=1)
                z = _pooled_z(x_r, w[ref][:, None], e[ref][:, None], x, w[None], e[None])
        z = np.where(live[None, :], z, np.nan)
        if ref is not None:
            # The reference's own slot: no shortfall against itself.
            np.put_along_axis(z, ref[:, None], 0.0, axis=1)
        out.append(z)
    return np.concatenate(out, axis=1) if out else np.zeros((draws.shape[0], 0))


def _rest_neff(p: _Prepared, g: int) -> float:
    others = p.eligible.copy()
    others[g] = False
    w = p.weight[others]
    e = p.neff[others]
    if not w.size or w.sum() <= 0:
        return 0.0
    # sum of squared weights of the parts = w^2 / neff per part.
    square = np.sum(np.where(e > 0, w**2 / np.where(e > 0, e, 1.0), 0.0))
    return float(w.sum() ** 2 / square) if square > 0 else 0.0


#: numpy's multivariate hypergeometric sampler needs fewer than 10^9 items in all.
_EXACT_LIMIT = 10**9


def _draw(rng: np.random.Generator, colors: np.ndarray, k: int, size: int) -> np.ndarray:
    """Selected counts per cell under the null: multivariate hypergeometric draws.

    Beyond numpy's limit of 10^9 people per stratum, a normal draw with the
    multivariate hypergeometric's exact mean and covariance stands in: at that size
    the two are indistinguishable for any statistic computed here.
    """
    total = int(colors.sum())
    if total < _EXACT_LIMIT:
        return rng.multivariate_hypergeometric(colors, k, size=size)
    p = colors / total
    # Cov = k (N - k) / (N - 1) * (diag(p) - p p^T): sqrt(p) * e, centred on its total.
    e = rng.standard_normal((size, colors.size)) * np.sqrt(p)[None, :]
    centred = e - p[None, :] * e.sum(axis=1, keepdims=True)
    scale = np.sqrt(k * (total - k) / (total - 1.0)) if total > 1 else 0.0
    return k * p[None, :] + scale * centred


def _single(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Each comparison's own Monte-Carlo p-value, (1 + exceedances) / (B + 1)."""
    out = np.full(observed.shape, np.nan)
    live = ~np.isnan(observed)
    sub = np.where(np.isnan(null[:, live]), -np.inf, null[:, live])
    t = observed[live]
    threshold = t - 1e-10 * np.maximum(np.abs(t), 1.0)
    out[live] = (1.0 + (sub >= threshold[None, :]).sum(axis=0)) / (null.shape[0] + 1.0)
    return out


def shortfall_family(
    cell_n: Any,
    cell_selected: Any,
    attributes: Sequence[FamilyAttribute],
    *,
    stratum: Any = None,
    cell_weight: Any = None,
    comparison: str = "reference",
    n_resamples: int = DEFAULT_RESAMPLES,
    random_state: int | None = None,
    step_down: bool = True,
) -> FamilyTest:
    """Test every comparison of an audit at once, given the margins, from cell counts.

    Parameters
    ----------
    cell_n, cell_selected : array-like of int, shape (C,)
        People and selected people in each cell of the cross-classification of all
        audited attributes (and strata), unknown levels included as cells.
    attributes : sequence of FamilyAttribute
        The audited attributes and intersections, each mapping cells to its groups.
    stratum : array-like of int, optional
        Each cell's stratum (0-based). Null draws keep each stratum's number selected,
        and the statistic is the stratified (Mantel-Haenszel score) shortfall, which
        on one stratum is the pooled z exactly.
    cell_weight : array-like of float, optional
        Sum of ``sample_weight`` per cell. Who is selected is still drawn on people
        (the null is about people); the statistic weights each selected person by
        their cell's mean weight and is standardised with Kish's effective sizes.
    comparison : {"reference", "rest"}
        Each group against the reference (fixed, or the highest rate chosen in every
        draw) or against all other compared groups together.
    n_resamples : int, default 9,999
        Null draws.
    random_state : int, optional
        Seed of the draws; by default derived from the counts (:func:`count_seed`),
        so the same counts always give the same verdict.
    step_down : bool, default True
        Step-down maxT (Algorithm 2.8); False for single-step.

    Returns
    -------
    FamilyTest

    Examples
    --------
    Twelve groups of 250 with one shared rate of 20% except group 0 at 12%: each
    group is compared with the highest of the other eleven.

    >>> import numpy as np
    >>> from adverse_impact._stats._family import FamilyAttribute, shortfall_family
    >>> n = np.full(12, 250)
    >>> selected = np.array([30] + [50] * 11)
    >>> family = FamilyAttribute("team", np.arange(12), np.ones(12, bool), observed_reference=1)
    >>> test = shortfall_family(n, selected, [family], random_state=1)
    >>> test.n_comparisons, round(float(test.statistic[0][0]), 2)
    (11, 2.44)
    >>> round(float(test.p_value_adjusted[0][0]), 2)
    0.38

    Its one-sided p-value against a reference fixed in advance would be 0.007; against
    the highest of twelve equal groups, a shortfall of 2.44 standard errors is what
    chance gives about two times in five.
    """
    cell_n = np.asarray(cell_n, dtype=np.int64)
    cell_selected = np.asarray(cell_selected, dtype=np.int64)
    cells = cell_n.size
    strata = np.zeros(cells, dtype=np.int64) if stratum is None else np.asarray(stratum)
    strata = strata.astype(np.int64)
    n_strata = int(strata.max()) + 1 if cells else 1
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_weight = (
            np.ones(cells)
            if cell_weight is None
            else np.where(cell_n > 0, np.asarray(cell_weight, float) / cell_n, 0.0)
        )
    stratified = stratum is not None and cell_weight is None
    prepared = [_prepare(a, cell_n, mean_weight, strata, n_strata) for a in attributes]
    seed = (
        count_seed(cell_n, cell_selected, strata, mean_weight)
        if random_state is None
        else int(random_state)
    )
    observed = _statistics(
        cell_selected[None, :].astype(float),
        mean_weight,
        prepared,
        n_strata,
        comparison,
        stratified,
    )[0]
    # Report the audit's own reference as "not compared"; its slot stays in the draws.
    sizes = [p.eligible.size for p in prepared]
    starts = np.cumsum([0, *sizes])
    shown = observed.copy()
    n_comparisons = 0
    for a, p, start in zip(attributes, prepared, starts):
        live = int(p.eligible.sum())
        if comparison == "rest":
            n_comparisons += live
            continue
        n_comparisons += max(live - 1, 0)
        ref = a.observed_reference if a.reference is None else a.reference
        if ref is not None:
            shown[start + ref] = np.nan
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(cells, 1)))
    pieces, done = [], 0
    by_stratum = [np.flatnonzero(strata == s) for s in range(n_strata)]
    chosen = [int(cell_selected[idx].sum()) for idx in by_stratum]
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = np.zeros((size, cells))
        for idx, k in zip(by_stratum, chosen):
            if idx.size:
                draws[:, idx] = _draw(rng, cell_n[idx], k, size)
        pieces.append(_statistics(draws, mean_weight, prepared, n_strata, comparison, stratified))
        done += size
    null = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, shown.size))
    # The observed reference's slot stays in the family (its value is 0 here, and
    # large in the draws where that group came out low): dropping it would shrink
    # the null maxima and make the test anti-conservative.
    adjusted = maxt(observed, null, step_down=step_down)
    adjusted[np.isnan(shown)] = np.nan
    single = _single(observed, null)
    single[np.isnan(shown)] = np.nan
    split = np.split(adjusted, starts[1:-1])
    stats = np.split(shown, starts[1:-1])
    finite = adjusted[~np.isnan(adjusted)]
    return FamilyTest(
        statistic=tuple(stats),
        p_value_adjusted=tuple(split),
        p_value_single=tuple(np.split(single, starts[1:-1])),
        p_value=float(finite.min()) if finite.size else float("nan"),
        n_comparisons=n_comparisons,
        n_resamples=int(n_resamples),
        random_state=seed,
        method="Westfall-Young maxT" + (" step-down" if step_down else " single-step"),
    )
