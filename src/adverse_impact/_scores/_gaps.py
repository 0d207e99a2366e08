"""Score distributions by group: standardised differences, KS, and the impact ratios they imply."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import ks_2samp, kstwobign, norm

from adverse_impact._audits._sweep import threshold_sweep
from adverse_impact._core import _groups
from adverse_impact._core._errors import input_error, type_error, warn
from adverse_impact._core._frames import as_frame
from adverse_impact._core._groups import ATTRIBUTE_SEP
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import axes, frame_block, jsonable
from adverse_impact._core._validation import (
    check_aligned_indexes,
    check_columns_exist,
    check_consistent_length,
    check_scores,
    check_unknown,
    check_weights,
    refuse_column_names,
    require_sensitive_features,
)
from adverse_impact._publish._document import Reported
from adverse_impact._scores import PUBLIC
from adverse_impact._stats._implied import implied_impact_ratio

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = list(PUBLIC["_gaps"])

#: Default cut-offs: the deciles of the scores.
_DECILES = np.linspace(0.1, 0.9, 9)
_GROUP_COLUMNS = [
    "attribute",
    "group",
    "n",
    "mean",
    "sd",
    "is_reference",
    "d",
    "g",
    "g_se",
    "g_ci_low",
    "g_ci_high",
    "ks_statistic",
    "ks_p_value",
    "note",
]


def _frame_from_table(data: Any) -> pd.DataFrame:
    return as_frame(
        data, "data", "Pass a pandas, polars or pyarrow table, or data=None with arrays"
    )


def _resolve(
    data: Any, score: Any, groups: Any, sample_weight: Any
) -> tuple[np.ndarray, Any, np.ndarray | None]:
    if data is not None:
        frame = _frame_from_table(data)
        names = [groups] if isinstance(groups, (str, int)) else list(groups)
        check_columns_exist(
            frame.columns,
            {
                "score": score,
                "sample_weight": sample_weight,
                **{f"sensitive_features[{i}]": g for i, g in enumerate(names)},
            },
        )
        score = frame[score]
        groups = {str(g): frame[g] for g in names}
        sample_weight = None if sample_weight is None else frame[sample_weight]
    else:
        refuse_column_names(
            {"score": score, "sensitive_features": groups, "sample_weight": sample_weight}
        )
    if score is None:
        raise input_error("score", "is required", "Pass the scores, e.g. score='score'")
    if np.ndim(score) != 1:
        raise input_error(
            "score",
            f"expected one score per row, got shape {np.shape(score)}",
            "Pass a 1-D column of scores",
        )
    arrays = {"score": score, "sample_weight": sample_weight}
    check_aligned_indexes(
        {
            **{k: v for k, v in arrays.items() if v is not None},
            **({"sensitive_features": groups} if isinstance(groups, pd.Series) else {}),
        }
    )
    lengths = {"score": len(score)}
    if sample_weight is not None:
        lengths["sample_weight"] = len(sample_weight)
    scores = check_scores(score, "score")
    check_consistent_length(lengths)
    weights = None if sample_weight is None else check_weights(sample_weight)
    return scores, groups, weights


def _group_lengths(groups: Any) -> dict[str, int]:
    if isinstance(groups, Mapping):
        return {f"sensitive_features[{k!r}]": len(v) for k, v in groups.items()}
    shape = getattr(groups, "shape", None)
    return {"sensitive_features": int(shape[0]) if shape is not None else len(groups)}


def _moments(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float, float, float]:
    """Rows, effective size (Kish), weighted mean and SD; SD with divisor n_eff - 1 scaled."""
    n = float(len(x))
    if w is None:
        mean = float(np.mean(x)) if n else math.nan
        sd = float(np.std(x, ddof=1)) if n > 1 else math.nan
        return n, n, mean, sd
    total = float(w.sum())
    if total <= 0:
        return n, 0.0, math.nan, math.nan
    n_eff = total**2 / float((w**2).sum())
    mean = float(np.dot(w, x) / total)
    if n_eff <= 1:
        return n, n_eff, mean, math.nan
    var = float(np.dot(w, (x - mean) ** 2) / total) * n_eff / (n_eff - 1)
    return n, n_eff, mean, math.sqrt(var)


def hedges_j(df: float) -> float:
    """Hedges' exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    return math.exp(gammaln(df / 2) - gammaln((df - 1) / 2)) / math.sqrt(df / 2)


def _weighted_ks(
    x: np.ndarray, wx: np.ndarray, y: np.ndarray, wy: np.ndarray
) -> tuple[float, float]:
    """Largest gap between the weighted ECDFs, and its asymptotic p-value at Kish's sizes."""
    grid = np.unique(np.concatenate([x, y]))
    order_x, order_y = np.argsort(x), np.argsort(y)
    cx = np.concatenate([[0.0], np.cumsum(wx[order_x])]) / wx.sum()
    cy = np.concatenate([[0.0], np.cumsum(wy[order_y])]) / wy.sum()
    fx = cx[np.searchsorted(x[order_x], grid, side="right")]
    fy = cy[np.searchsorted(y[order_y], grid, side="right")]
    stat = float(np.max(np.abs(fx - fy)))
    nx = wx.sum() ** 2 / (wx**2).sum()
    ny = wy.sum() ** 2 / (wy**2).sum()
    return stat, float(kstwobign.sf(stat * math.sqrt(nx * ny / (nx + ny))))


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class ScoreGaps(Reported):
    """Score distributions by group; returned by :func:`adverse_impact.score_gaps`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (attribute, group): ``n``, ``mean``, ``sd``,
        ``is_reference``, Cohen's ``d`` and Hedges' ``g`` (reference mean
        minus the group's, so positive means the group scores lower),
        ``g_se``, ``g_ci_low``, ``g_ci_high``, the two-sample
        Kolmogorov-Smirnov ``ks_statistic`` and ``ks_p_value`` against the
        reference, and ``note`` (why a value is NaN).  A copy on each access.
    thresholds : pandas.DataFrame
        One row per (cut-off, attribute, group): ``threshold``, ``n``,
        ``rate`` (share with ``score >= threshold``), ``impact_ratio`` (rate
        over the reference group's rate), ``four_fifths_flag``,
        ``pair_selection_rate`` and ``focal_share`` (the group and its
        reference together) and ``implied_impact_ratio`` (what the group's
        ``d`` implies at that share under the normal model).
    reference : Mapping[str, object]
        The reference group of each attribute.
    unknown : Mapping[str, int]
        Rows in the unknown category per attribute, left out of every figure.
    confidence : float
    weighted : bool

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> score = np.concatenate([rng.normal(0, 1, 200), rng.normal(-0.5, 1, 200)])
    >>> gaps = ai.score_gaps(score=score, sensitive_features={"group": ["a"] * 200 + ["b"] * 200})
    >>> print(gaps.summary())  # doctest: +NORMALIZE_WHITESPACE
    ScoreGaps: 1 attribute, 1 group compared with the reference; largest |d| 0.606
      group: b vs a: d = 0.606, g = 0.605 (95% CI 0.405 to 0.805), KS = 0.285 (p = 1.5e-07)
    """

    _table: pd.DataFrame
    _thresholds: pd.DataFrame
    reference: Mapping[str, Any]
    unknown: Mapping[str, int]
    confidence: float
    weighted: bool

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def thresholds(self) -> pd.DataFrame:
        return self._thresholds.copy()

    def to_frame(self) -> pd.DataFrame:
        """The per-group table, tidy (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Both tables and the metadata, JSON-serialisable (NaN as None)."""
        return jsonable(
            {
                "groups": self._table.to_dict("records"),
                "thresholds": self._thresholds.to_dict("records"),
                "reference": dict(self.reference),
                "unknown": dict(self.unknown),
                "confidence": self.confidence,
                "weighted": self.weighted,
            }
        )

    def summary(self) -> str:
        """One line per compared group: d, g with its interval, and the implied ratio at 30%."""
        lines = [self._headline()]
        for row in self._table[~self._table["is_reference"]].itertuples(index=False):
            ref = self.reference[row.attribute]
            if math.isnan(row.d):
                lines.append(f"  {row.attribute}: {row.group} vs {ref}: d undefined ({row.note})")
                continue
            lines.append(
                f"  {row.attribute}: {row.group} vs {ref}: d = {row.d:.3f}, g = {row.g:.3f} "
                f"({self.confidence:.0%} CI {row.g_ci_low:.3f} to {row.g_ci_high:.3f}), "
                f"KS = {row.ks_statistic:.3f} (p = {row.ks_p_value:.2g})"
            )
        return "\n".join(lines)

    def _headline(self) -> str:
        compared = int((~self._table["is_reference"]).sum())
        largest = self._table["d"].abs().max()
        shown = "undefined" if not np.isfinite(largest) else f"{largest:.3f}"
        return (
            f"ScoreGaps: {len(self.reference)} attribute"
            f"{'s' if len(self.reference) != 1 else ''}, {compared} group"
            f"{'s' if compared != 1 else ''} compared with the reference; largest |d| "
            f"{shown}"
        )

    def __repr__(self) -> str:
        body = self._table[
            [
                "attribute",
                "group",
                "n",
                "mean",
                "sd",
                "d",
                "g",
                "g_ci_low",
                "g_ci_high",
                "ks_statistic",
            ]
        ]
        return frame_block(self._headline(), body)

    @property
    def verdict(self) -> str:
        """The answer in one sentence (the report's first line)."""
        return self._document().verdict

    def _document(self) -> Any:
        from adverse_impact._scores._report import gaps_document

        return gaps_document(self)

    def plot(self, ax: Axes | None = None, attribute: str | None = None) -> Axes:
        """Implied impact ratio against the share selected, observed ratios as points.

        Each compared group gets the curve its ``d`` implies under the normal
        model (:func:`adverse_impact.stats.implied_impact_ratio`, with the
        group's share of the pair) and, as markers, the ratios observed at the
        cut-offs; the four-fifths line is dashed.  Needs matplotlib (the
        ``plot`` extra).
        """
        table, cut = self._table, self._thresholds
        if attribute is not None:
            if attribute not in self.reference:
                raise input_error(
                    "attribute",
                    f"{attribute!r} was not analysed",
                    f"Use one of {list(self.reference)!r}",
                )
            table, cut = table[table["attribute"] == attribute], cut[cut["attribute"] == attribute]
        ax = axes(ax)
        shares = np.linspace(0.01, 0.99, 99)
        for row in table[~table["is_reference"]].itertuples(index=False):
            if not np.isfinite(row.d):
                continue
            ref_n = float(
                self._table.loc[
                    (self._table["attribute"] == row.attribute) & self._table["is_reference"], "n"
                ].iloc[0]
            )
            focal = row.n / (row.n + ref_n)
            curve = [implied_impact_ratio(row.d, s, focal_share=focal) for s in shares]
            (line,) = ax.plot(shares, curve, label=f"{row.group} (d = {row.d:.2f})")
            points = cut[(cut["attribute"] == row.attribute) & (cut["group"] == row.group)]
            ax.plot(
                points["pair_selection_rate"],
                points["impact_ratio"],
                "o",
                color=line.get_color(),
                markersize=4,
            )
        ax.axhline(0.8, linestyle="--", color="0.35", linewidth=1, label="four-fifths (0.8)")
        ax.set_xlabel("share selected (group and reference together)")
        ax.set_ylabel("impact ratio (group rate / reference rate)")
        ax.set_ylim(0, 1.05)
        ax.set_title("Impact ratio implied by the score gap (lines) and observed (points)")
        ax.legend(fontsize="small")
        return ax


@validate_params()
def score_gaps(
    data: Any = None,
    *,
    score: Any,
    sensitive_features: Any = None,
    reference: Any = "highest",
    intersectional: bool = True,
    unknown: Any = None,
    sample_weight: Any = None,
    thresholds: Any = None,
    confidence: float = 0.95,
) -> ScoreGaps:
    """Compare score distributions by group: Cohen's d, Hedges' g, KS, and implied impact.

    For every protected attribute (and, with two or more and
    ``intersectional``, their intersection, as in :func:`adverse_impact.audit`),
    each known group's scores are compared with the reference group's.

    Parameters
    ----------
    data : DataFrame, optional
        A pandas (or polars/pyarrow) table; then ``score``, ``sensitive_features`` and
        ``sample_weight`` are column names.
    score : str or array-like
        The scores (higher = more likely selected).
    sensitive_features : str, list of str, array-like, DataFrame or dict
        The protected attribute(s), as in :func:`adverse_impact.audit`.
    reference : "highest", label or dict, default "highest"
        The group every other is compared with: by default the group with
        the highest mean score; a label, or ``{attribute: label}``.
    intersectional : bool, default True
        With two or more attributes, also compare the groups of their
        intersection (``"sex x race"``); False compares each attribute alone.
    unknown : label or list of labels, optional
        Labels meaning "unknown category" (missing labels always are); those
        rows are counted and left out.
    sample_weight : str or array-like, optional
        Non-negative weights: weighted means and SDs, intervals and KS
        p-values at Kish's effective sample size ``(sum w)^2 / sum w^2``.
    thresholds : sequence of float, optional
        Cut-offs (selected when ``score >= cut-off``); by default the
        deciles of all scores.
    confidence : float, default 0.95
        Level of the interval on Hedges' g.

    Returns
    -------
    ScoreGaps
        ``.table`` per group, ``.thresholds`` per cut-off, ``.plot()``.

    Raises
    ------
    InputError
        NaN or infinite scores, mismatched lengths, an attribute with fewer
        than two known groups, an unknown reference label.

    See Also
    --------
    adverse_impact.stats.implied_impact_ratio : the ratio a ``d`` implies.
    adverse_impact.threshold_sweep : impact ratios at every cut-off.

    Notes
    -----
    With ``n_1``, ``n_2``, means ``m_1`` (reference), ``m_2`` (group) and SDs
    ``s_1``, ``s_2`` (divisor ``n - 1``):

    - Cohen's ``d = (m_1 - m_2) / s_pooled`` with
      ``s_pooled^2 = ((n_1 - 1) s_1^2 + (n_2 - 1) s_2^2) / (n_1 + n_2 - 2)``;
      positive when the group scores lower, the sign convention of the
      adverse-impact literature and of :func:`implied_impact_ratio`;
    - Hedges' ``g = J d`` with the exact correction
      ``J = Gamma(df/2) / (sqrt(df/2) Gamma((df - 1)/2))``, ``df = n_1 + n_2 - 2``
      (Hedges, 1981; approximately ``1 - 3 / (4 df - 1)``);
    - ``Var(d) = (n_1 + n_2) / (n_1 n_2) + d^2 / (2 (n_1 + n_2))`` and
      ``Var(g) = J^2 Var(d)`` (Borenstein et al., 2009, eq. 4.20 and 4.24;
      Hedges & Olkin, 1985); the interval is ``g +/- z SE(g)``.

    ``d`` is undefined (NaN, with a note) when either group has fewer than
    two scores or constant scores: there is no spread to standardise by, and
    the equal-variance model behind ``d`` and the implied ratio fails.

    The Kolmogorov-Smirnov test is :func:`scipy.stats.ks_2samp` (exact or
    asymptotic as scipy chooses).  The ratios at the cut-offs are those of
    :func:`adverse_impact.threshold_sweep` taken against this function's
    reference (against the highest-rate group they are the sweep's own).

    References
    ----------
    .. [1] Hedges, L. V. (1981). Distribution theory for Glass's estimator of
       effect size and related estimators. *Journal of Educational
       Statistics*, 6(2), 107-128.
    .. [2] Hedges, L. V., & Olkin, I. (1985). *Statistical Methods for
       Meta-Analysis*. Academic Press.
    .. [3] Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R.
       (2009). *Introduction to Meta-Analysis*, chapter 4. Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> score = np.concatenate([rng.normal(0, 1, 400), rng.normal(-0.5, 1, 400)])
    >>> group = ["a"] * 400 + ["b"] * 400
    >>> gaps = ai.score_gaps(score=score, sensitive_features={"group": group}, thresholds=[0.5])
    >>> row = gaps.table.set_index("group").loc["b"]
    >>> round(float(row["d"]), 3), round(float(row["g"]), 3), bool(row["g_ci_low"] > 0)
    (0.478, 0.478, True)
    >>> cut = gaps.thresholds.set_index("group").loc["b"]
    >>> round(float(cut["impact_ratio"]), 2), round(float(cut["implied_impact_ratio"]), 2)
    (0.58, 0.53)
    """
    groups = require_sensitive_features(sensitive_features)
    _groups.check_reference(reference)
    scores, groups, weights = _resolve(data, score, groups, sample_weight)
    unknown_labels = check_unknown(unknown)
    check_consistent_length({"score": len(scores), **_group_lengths(groups)})
    z = float(norm.ppf(0.5 + confidence / 2))

    rows: list[dict[str, Any]] = []
    references: dict[str, Any] = {}
    unknown_counts: dict[str, int] = {}
    attributes = _groups.code_groups(
        groups, len(scores), unknown=unknown_labels, intersectional=intersectional
    )
    _groups.check_reference_keys(reference, [(a.name, ()) for a in attributes], "analysed")
    found_any = False
    for attribute in attributes:
        name, keys, gid = attribute.name, list(attribute.keys), attribute.codes
        unknown_counts[name] = attribute.n_unknown
        parts = [
            (scores[gid == i], None if weights is None else weights[gid == i])
            for i in range(len(keys))
        ]
        moments = [_moments(x, w) for x, w in parts]
        ref, named = _reference_of(name, keys, moments, reference)
        found_any = found_any or named
        references[name] = _groups.label(keys[ref])
        rows.extend(_group_rows(name, keys, parts, moments, ref, z))
    _groups.check_reference_found(reference, found_any, "analysed")
    table = pd.DataFrame(rows, columns=_GROUP_COLUMNS)
    table["group"] = table["group"].astype(object)
    cut = _at_thresholds(
        scores, groups, weights, unknown, thresholds, table, references, intersectional
    )
    return ScoreGaps(table, cut, references, unknown_counts, confidence, weights is not None)


def _reference_of(
    name: str, keys: list[tuple], moments: list[tuple[float, ...]], reference: Any
) -> tuple[int, bool]:
    """The index of an attribute's reference group, and whether ``reference`` named it."""
    columns = tuple(name.split(ATTRIBUTE_SEP)) if ATTRIBUTE_SEP in name else (name,)
    found = _groups.find_reference(name, columns, keys, reference)
    if found == "highest" or found is None:
        means = [m[2] for m in moments]
        return int(np.nanargmax(means)), False  # first of equal means: keys are sorted
    return int(found), True


def _group_rows(
    name: str,
    keys: list[tuple],
    parts: list[tuple[np.ndarray, np.ndarray | None]],
    moments: list[tuple[float, float, float, float]],
    ref: int,
    z: float,
) -> list[dict[str, Any]]:
    """One row per group of an attribute: its moments, and its gaps to the reference group."""
    rows = []
    for i, key in enumerate(keys):
        n2, _, m2, s2 = moments[i]
        row = {
            "attribute": name,
            "group": _groups.label(key),
            "n": int(n2),
            "mean": m2,
            "sd": s2,
            "is_reference": i == ref,
            "d": math.nan,
            "g": math.nan,
            "g_se": math.nan,
            "g_ci_low": math.nan,
            "g_ci_high": math.nan,
            "ks_statistic": math.nan,
            "ks_p_value": math.nan,
            "note": "",
        }
        if i == ref:
            row["note"] = "reference"
        else:
            labels = (_groups.label(keys[ref]), _groups.label(key))
            row.update(_gaps(parts[i], parts[ref], moments[i], moments[ref], labels, z))
        rows.append(row)
    return rows


def _gaps(
    focal: tuple[np.ndarray, np.ndarray | None],
    ref: tuple[np.ndarray, np.ndarray | None],
    focal_moments: tuple[float, float, float, float],
    ref_moments: tuple[float, float, float, float],
    labels: tuple[Any, Any],
    z: float,
) -> dict[str, Any]:
    """KS, Cohen's d and Hedges' g (with its interval) of a group against the reference.

    ``labels`` are the reference's and the group's, for the note that says
    why d is undefined.
    """
    (x2, w2), (x1, w1) = focal, ref
    _, e1, m1, s1 = ref_moments
    _, e2, m2, s2 = focal_moments
    out: dict[str, Any] = {}
    if w2 is None:
        # scipy warns from its own frame when the exact distribution fails and
        # it falls back to the asymptotic one: say so in the row's note instead.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            ks = ks_2samp(x2, x1)
        out["ks_statistic"], out["ks_p_value"] = float(ks.statistic), float(ks.pvalue)
        for w in caught:
            if "asymp" in str(w.message):
                out["note"] = "KS p-value from the asymptotic distribution (the exact one failed)"
            else:
                warn(str(w.message), w.category)
    else:
        out["ks_statistic"], out["ks_p_value"] = _weighted_ks(x2, w2, x1, w1)
    small = [label for label, e in zip(labels, (e1, e2)) if not e > 1]
    if small:
        out["note"] = f"fewer than 2 scores in {small[0]!r}: d is undefined (no standard deviation)"
        return out
    constant = [label for label, s in zip(labels, (s1, s2)) if s == 0]
    if constant:
        out["note"] = (
            f"scores are constant in {constant[0]!r}: d is undefined (the "
            "equal-variance model behind it needs spread in both groups)"
        )
        return out
    df = e1 + e2 - 2
    pooled = math.sqrt(((e1 - 1) * s1**2 + (e2 - 1) * s2**2) / df)
    d = (m1 - m2) / pooled
    j = hedges_j(df)
    se = j * math.sqrt((e1 + e2) / (e1 * e2) + d**2 / (2 * (e1 + e2)))
    out.update(d=d, g=j * d, g_se=se, g_ci_low=j * d - z * se, g_ci_high=j * d + z * se)
    return out


def _grid(scores: np.ndarray, thresholds: Any) -> np.ndarray:
    if thresholds is None:
        return np.unique(np.quantile(scores, _DECILES, method="lower"))
    try:
        grid = np.unique(np.asarray(thresholds, dtype=float).ravel())
    except (TypeError, ValueError) as exc:
        raise type_error(
            "thresholds", "expected numbers", "Pass a list of cut-offs such as [0.3, 0.5]"
        ) from exc
    if grid.size == 0 or not np.all(np.isfinite(grid)):
        raise input_error(
            "thresholds",
            "is empty or holds NaN or infinite values",
            "Pass finite cut-offs, or None for the deciles",
        )
    return grid


def _at_thresholds(
    scores: np.ndarray,
    groups: Any,
    weights: np.ndarray | None,
    unknown: Any,
    thresholds: Any,
    table: pd.DataFrame,
    references: Mapping[str, Any],
    intersectional: bool,
) -> pd.DataFrame:
    grid = _grid(scores, thresholds)
    # The sweep's rates and counts, one pass for all cut-offs (weighted as the audit).
    frame = threshold_sweep(
        scores,
        sensitive_features=groups,
        thresholds=grid,
        unknown=unknown,
        intersectional=intersectional,
        sample_weight=weights,
    ).to_frame()
    if weights is None:
        frame["weight"] = frame["n"]
        frame["weight_selected"] = frame["selected"]
    else:
        frame["weight"] = frame["n_weighted"]
        frame["weight_selected"] = frame["selected_weighted"]
    d_of = {(r.attribute, r.group): r.d for r in table.itertuples(index=False)}
    out = []
    for (t, name), rows in frame.groupby(["threshold", "attribute"], sort=False):
        ref_label = references[name]
        ref_row = rows[rows["group"] == ref_label].iloc[0]
        for r in rows.itertuples(index=False):
            ratio = r.rate / ref_row["rate"] if ref_row["rate"] > 0 else math.nan
            pair_w = r.weight + ref_row["weight"]
            pair_rate = (r.rate * r.weight + ref_row["rate"] * ref_row["weight"]) / pair_w
            focal = r.weight / pair_w
            d = d_of[(name, r.group)]
            if r.group == ref_label:
                implied = 1.0
            elif np.isfinite(d) and 0 < pair_rate < 1:
                implied = implied_impact_ratio(d, pair_rate, focal_share=focal)
            else:
                implied = math.nan
            out.append(
                {
                    "threshold": float(t),
                    "attribute": name,
                    "group": r.group,
                    "n": int(r.n),
                    "rate": float(r.rate),
                    "impact_ratio": ratio,
                    # Cross-multiplied, exact on integer counts (29 CFR 1607.4(D)).
                    "four_fifths_flag": bool(
                        5 * r.weight_selected * ref_row["weight"]
                        < 4 * ref_row["weight_selected"] * r.weight
                    ),
                    "is_reference": r.group == ref_label,
                    "pair_selection_rate": pair_rate,
                    "focal_share": focal,
                    "implied_impact_ratio": implied,
                }
            )
    result = pd.DataFrame(out)
    result["group"] = result["group"].astype(object)
    return result
