"""Age as a protected attribute: bands, the 40-and-over comparison, its sweep and trend."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from adverse_impact._audits._audit import audit_counts
from adverse_impact._audits._result import AuditResult
from adverse_impact._core._counts import GroupCounts
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import axes, decisive, jsonable
from adverse_impact._core._validation import (
    check_aligned_indexes,
    check_binary,
    check_columns_exist,
    check_consistent_length,
    check_weights,
)
from adverse_impact._publish._document import Reported
from adverse_impact._scores import PUBLIC
from adverse_impact._scores._gaps import _frame_from_table
from adverse_impact._stats._gate import Gated, GateVerdict

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = list(PUBLIC["_age"])

#: The ADEA protects individuals who are at least 40 years of age (29 U.S.C. 631(a)).
ADEA_AGE = 40
#: Cut-offs of the default sweep: where along the age axis does a disparity start?
DEFAULT_SWEEP = (40, 45, 50, 55, 60)
_MIN_AGE, _MAX_AGE = 0, 120


def _band_labels(cutoffs: Sequence[float]) -> list[str]:
    def show(v: float) -> str:
        return f"{v:g}"

    labels = [f"under {show(cutoffs[0])}"]
    for low, high in itertools.pairwise(cutoffs):
        upper = high - 1 if float(high).is_integer() and float(low).is_integer() else None
        labels.append(
            f"{show(low)}-{show(upper)}"
            if upper is not None
            else f"{show(low)} to under {show(high)}"
        )
    labels.append(f"{show(cutoffs[-1])} and over")
    return labels


def _check_cutoffs(cutoffs: Any) -> tuple[float, ...]:
    if isinstance(cutoffs, (int, float, np.number)) and not isinstance(cutoffs, bool):
        cutoffs = (cutoffs,)
    try:
        values = tuple(float(c) for c in cutoffs)
    except (TypeError, ValueError) as exc:
        raise type_error(
            "cutoffs",
            f"expected ages, got {cutoffs!r}",
            "Pass ages such as cutoffs=(40,) or (40, 50, 60)",
        ) from exc
    if not values:
        raise input_error("cutoffs", "is empty", "Pass at least one age, e.g. cutoffs=(40,)")
    if any(not _MIN_AGE < v < _MAX_AGE for v in values) or any(
        b <= a for a, b in itertools.pairwise(values)
    ):
        raise input_error(
            "cutoffs",
            f"{cutoffs!r} is not strictly increasing within ({_MIN_AGE}, {_MAX_AGE})",
            "Pass ages such as (40, 50, 60)",
        )
    return values


def _ages(age: Any, reference_date: Any) -> np.ndarray:
    """Ages in years as floats (NaN when unknown), from ages, birth years or birth dates."""
    if isinstance(age, str):
        raise type_error(
            "age",
            f"got the string {age!r} but data is None",
            "Pass data= (the table holding that column) or the ages themselves",
        )
    series = (
        age
        if isinstance(age, pd.Series)
        else pd.Series(np.asarray(age, dtype=object) if np.ndim(age) else [age])
    )
    if series.ndim != 1:
        raise input_error(
            "age",
            f"expected one age per row, got shape {series.shape}",
            "Pass a 1-D column of ages",
        )
    if reference_date is None:
        values = pd.to_numeric(series, errors="coerce")
        bad = series.notna() & values.isna()
        if bad.any():
            raise type_error(
                "age",
                f"{int(bad.sum())} value(s) are not numbers (e.g. "
                f"{series[bad].iloc[:3].tolist()!r})",
                "Pass ages in years, or birth years/dates with reference_date=",
            )
        return values.to_numpy(dtype=float)
    try:
        ref = pd.Timestamp(reference_date)
    except (TypeError, ValueError) as exc:
        raise type_error(
            "reference_date",
            f"{reference_date!r} is not a date",
            "Pass a date such as reference_date='2026-12-01'",
        ) from exc
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or (
        series.dtype == object
        and series.dropna().map(lambda v: isinstance(v, (_dt.date, pd.Timestamp))).all()
        and series.notna().any()
    ):
        born = pd.to_datetime(series, errors="coerce")
        # Completed years: one fewer when the birthday has not yet come this year.
        before = (born.dt.month > ref.month) | (
            (born.dt.month == ref.month) & (born.dt.day > ref.day)
        )
        return (ref.year - born.dt.year - before.astype(float)).to_numpy(dtype=float)
    years = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & years.isna()
    if bad.any():
        raise type_error(
            "age",
            f"{int(bad.sum())} birth year(s) are not numbers",
            "Pass birth years as integers, or birth dates",
        )
    # A birth year alone gives the age reached during the reference year.
    return (ref.year - years).to_numpy(dtype=float)


def _check_range(ages: np.ndarray, argument: str = "age") -> None:
    known = ages[~np.isnan(ages)]
    outside = known[(known < _MIN_AGE) | (known > _MAX_AGE)]
    if outside.size:
        raise input_error(
            argument,
            f"{outside.size:,} value(s) are outside {_MIN_AGE}-{_MAX_AGE} years (e.g. "
            f"{sorted(set(outside.tolist()))[:3]})",
            "Fix or blank them (blanks count as unknown); birth years need reference_date=",
        )


@validate_params()
def age_groups(
    age: Any,
    *,
    cutoffs: Any = (ADEA_AGE,),
    labels: Sequence[str] | None = None,
    reference_date: Any = None,
) -> pd.Series:
    """Turn ages (or birth years or dates) into age bands, with unknowns counted.

    Parameters
    ----------
    age : array-like or Series
        Ages in years; with ``reference_date``, birth years or birth dates.
        Missing values are the unknown category.
    cutoffs : sequence of float, default (40,)
        Band boundaries: an age ``a`` falls in the band that starts at the
        largest cut-off ``<= a``.  The default splits at 40, the age the Age
        Discrimination in Employment Act protects from (29 U.S.C. 631(a)).
    labels : sequence of str, optional
        One per band (``len(cutoffs) + 1``); by default ``"under 40"``,
        ``"40-49"``, ..., ``"60 and over"``.
    reference_date : date or str, optional
        The date at which ages are taken (e.g. the application date).  With
        birth dates the age is the completed years; with birth years, the age
        reached during the reference year.

    Returns
    -------
    pandas.Series
        An ordered categorical named ``"age"`` (index kept from a Series
        input), NaN where the age is unknown; ``.attrs["unknown"]`` holds the
        number of unknown ages and ``.attrs["cutoffs"]`` the cut-offs.  Pass it
        as ``sensitive_features=`` to :func:`adverse_impact.audit`.

    Raises
    ------
    InputError
        Ages outside 0-120 (the message gives their number), cut-offs that
        are not increasing, or the wrong number of labels.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> bands = ai.age_groups([25, 39, 40, 58, None], cutoffs=(40, 50))
    >>> bands.tolist()
    ['under 40', 'under 40', '40-49', '50 and over', nan]
    >>> bands.attrs["unknown"]
    1
    >>> ai.age_groups([1970, 1990], reference_date="2026-06-30").tolist()
    ['40 and over', 'under 40']
    """
    values = _check_cutoffs(cutoffs)
    ages = _ages(age, reference_date)
    _check_range(ages)
    names = list(labels) if labels is not None else _band_labels(values)
    if len(names) != len(values) + 1 or len(set(names)) != len(names):
        raise input_error(
            "labels",
            f"expected {len(values) + 1} distinct labels (one per band), got {names!r}",
            "Pass one label per band, or labels=None",
        )
    known = ~np.isnan(ages)
    codes = np.full(len(ages), -1, dtype=np.int64)
    codes[known] = np.searchsorted(np.asarray(values), ages[known], side="right")
    index = age.index if isinstance(age, pd.Series) else None
    out = pd.Series(
        pd.Categorical.from_codes(codes, categories=names, ordered=True), index=index, name="age"
    )
    out.attrs["unknown"] = int((~known).sum())
    out.attrs["cutoffs"] = values
    return out


# -- the continuous trend: logistic regression of selection on age -------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AgeTrend:
    """Logistic regression of selection on age; see :func:`audit_age`.

    ``slope`` is the change in the log-odds of selection per year of age,
    with its standard error, Wald z ``statistic`` and two-sided ``p_value``;
    ``odds_ratio_10y`` (with ``ci_low``, ``ci_high``) the odds ratio for ten
    years older.  ``note`` says why values are NaN (no variation, separation).

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> age = np.repeat([30, 45, 55], 100)
    >>> selected = np.repeat([1, 0, 1, 0, 1, 0], [50, 50, 50, 50, 35, 65])
    >>> trend = ai.audit_age(selected=selected, age=age).trend
    >>> round(trend.odds_ratio_10y, 3), round(trend.p_value, 3), trend.converged
    (0.799, 0.049, True)
    """

    intercept: float
    slope: float
    se: float
    statistic: float
    p_value: float
    odds_ratio_10y: float
    ci_low: float
    ci_high: float
    n: int
    converged: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))


def _logistic_trend(x: np.ndarray, y: np.ndarray, w: np.ndarray, confidence: float) -> AgeTrend:
    """Newton-Raphson on the distinct ages (weights = rows or summed weights per age)."""
    ages, inverse = np.unique(x, return_inverse=True)
    m = np.bincount(inverse, weights=w)  # applicants (weight) at each age
    s = np.bincount(inverse, weights=w * y)  # selected (weight) at each age
    nan = math.nan
    total, chosen = m.sum(), s.sum()

    def undefined(note: str) -> AgeTrend:
        return AgeTrend(nan, nan, nan, nan, nan, nan, nan, nan, len(x), False, note)

    if len(ages) < 2:
        return undefined("every known applicant has the same age")
    if chosen <= 0 or chosen >= total:
        return undefined("nobody or everybody was selected")
    center = float(np.average(ages, weights=m))
    t = ages - center
    beta = np.array([math.log(chosen / (total - chosen)), 0.0])
    converged = False
    for _ in range(100):
        p = expit(beta[0] + beta[1] * t)
        v = m * p * (1 - p)
        grad = np.array([np.sum(s - m * p), np.sum(t * (s - m * p))])
        hess = np.array([[v.sum(), (v * t).sum()], [(v * t).sum(), (v * t * t).sum()]])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged or abs(beta[1]) > 5:
        return undefined(
            "the fit did not converge: selection is (almost) perfectly separated by age"
        )
    p = expit(beta[0] + beta[1] * t)
    v = m * p * (1 - p)
    cov = np.linalg.inv(np.array([[v.sum(), (v * t).sum()], [(v * t).sum(), (v * t * t).sum()]]))
    slope, se = float(beta[1]), float(math.sqrt(cov[1, 1]))
    z = slope / se
    q = float(norm.ppf(0.5 + confidence / 2))
    return AgeTrend(
        intercept=float(beta[0] - beta[1] * center),
        slope=slope,
        se=se,
        statistic=z,
        p_value=float(2 * norm.sf(abs(z))),
        odds_ratio_10y=math.exp(10 * slope),
        ci_low=math.exp(10 * (slope - q * se)),
        ci_high=math.exp(10 * (slope + q * se)),
        n=len(x),
        converged=True,
        note="",
    )


# -- the age audit ----------------------------------------------------------------------

_SWEEP_COLUMNS = [
    "cutoff",
    "older",
    "n_older",
    "selected_older",
    "rate_older",
    "younger",
    "n_younger",
    "selected_younger",
    "rate_younger",
    "impact_ratio",
    "four_fifths_flag",
    "p_value_fisher",
    "significant",
]


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class AgeAudit(Gated, Reported):
    """An age audit; returned by :func:`adverse_impact.audit_age`.

    Attributes
    ----------
    audit : AuditResult
        The audit at ``cutoff``: the older band against the younger
        reference (default 40 and over against under 40).
    sweep : pandas.DataFrame
        One row per cut-off of the sweep: the older and younger groups' sizes
        and rates, the older group's ``impact_ratio`` against the younger,
        ``four_fifths_flag``, Fisher's ``p_value_fisher`` and ``significant``
        (at the audit's alpha).  A copy on each access.
    trend : AgeTrend
        Selection against age as a continuous variable (logistic regression).
    cutoff : float
    unknown : int
        Applicants whose age is unknown, left out of every figure.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> age = np.repeat([30, 45, 55], 100)
    >>> selected = np.repeat([1, 0, 1, 0, 1, 0], [50, 50, 50, 50, 35, 65])
    >>> result = ai.audit_age(selected=selected, age=age)
    >>> print(result.summary().splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    AgeAudit: 40 and over vs under 40 passes four-fifths; sweep: first flagged at 50 and over
    (unknown age: 0)
    >>> result.passes(), result.first_failing_cutoff()
    (True, 50.0)
    """

    audit: AuditResult
    _sweep: pd.DataFrame
    trend: AgeTrend
    cutoff: float
    unknown: int

    @property
    def sweep(self) -> pd.DataFrame:
        return self._sweep.copy()

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict on the audit at ``cutoff`` (older band against the younger).

        The verdict is :attr:`audit`'s (:meth:`AuditResult.gate`, arguments as
        there): the band at the chosen cut-off against the younger reference,
        with its family.  The sweep over other cut-offs is exploration, not
        part of the verdict: judging every cut-off and failing on any would
        test many hypotheses and pick the worst.  There is no ``failing()``:
        the rows of :meth:`to_frame` are the sweep's, not the audit's.
        """
        return self.audit.gate(min_ratio, alpha, rule)

    def first_failing_cutoff(self) -> float | None:
        """The lowest cut-off of the sweep at which the older group is flagged."""
        flagged = self._sweep.loc[self._sweep["four_fifths_flag"], "cutoff"]
        return None if flagged.empty else float(flagged.iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """The sweep, one row per cut-off (a copy)."""
        return self._sweep.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "cutoff": self.cutoff,
                "unknown": self.unknown,
                "passes": self.passes(),
                "audit": self.audit.to_dict(),
                "sweep": self._sweep.to_dict("records"),
                "trend": self.trend.to_dict(),
            }
        )

    def _headline(self) -> str:
        first = self.first_failing_cutoff()
        where = (
            "no cut-off of the sweep is flagged"
            if first is None
            else f"first flagged at {first:g} and over"
        )
        return (
            f"AgeAudit: {self.cutoff:g} and over vs under {self.cutoff:g} "
            f"{'passes' if self.passes() else 'fails'} four-fifths; sweep: {where} "
            f"(unknown age: {self.unknown:,})"
        )

    def summary(self) -> str:
        """The headline, the sweep in one line per cut-off, and the trend."""
        lines = [self._headline()]
        for r in self._sweep.itertuples(index=False):
            if r.n_older == 0:
                lines.append(f"  {r.cutoff:g}+: no one {r.older}, no comparison")
                continue
            lines.append(
                f"  {r.cutoff:g}+: rate {r.rate_older:.3f} vs {r.rate_younger:.3f}, "
                f"impact ratio {decisive(r.impact_ratio, r.four_fifths_flag, digits=3)}"
                f"{' (below 4/5)' if r.four_fifths_flag else ''}, "
                f"Fisher p = {r.p_value_fisher:.2g}"
            )
        t = self.trend
        lines.append(
            "  trend: undefined (" + t.note + ")"
            if not t.converged
            else f"  trend: odds of selection x{t.odds_ratio_10y:.3f} per 10 years "
            f"(CI {t.ci_low:.3f} to {t.ci_high:.3f}, p = {t.p_value:.2g})"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    @property
    def verdict(self) -> str:
        """The answer in one sentence (the report's first line)."""
        return self._document().verdict

    def _document(self) -> Any:
        from adverse_impact._scores._report import age_document

        return age_document(self)

    def plot(self, ax: Axes | None = None) -> Axes:
        """The older group's impact ratio at each cut-off, with the 0.8 line (needs matplotlib)."""
        ax = axes(ax)
        ax.plot(
            self._sweep["cutoff"],
            self._sweep["impact_ratio"],
            marker="o",
            label="older / younger selection rate",
        )
        ax.axhline(0.8, linestyle="--", color="0.35", linewidth=1, label="four-fifths (0.8)")
        ax.set_xlabel("age cut-off (older group: this age and over)")
        ax.set_ylabel("impact ratio")
        ax.set_ylim(0, max(1.05, float(np.nanmax(self._sweep["impact_ratio"])) + 0.05))
        ax.legend(fontsize="small")
        return ax


def _band_audits(
    ages: np.ndarray, decisions: np.ndarray, weights: np.ndarray | None, alpha: float
) -> Any:
    """The audit at any cut-off, from counts of the two bands and the unknown ages.

    Each cut-off's bands are counted with one ``bincount`` over the rows (in
    row order, as :func:`~adverse_impact._core._counts.count_groups` sums them, so
    weighted sums agree to the last bit) and audited from those counts by
    :func:`~adverse_impact._audits._audit.audit_counts`, as :func:`adverse_impact.audit`
    would audit the banded rows, without building a labelled column per cut-off.
    """
    known = ~np.isnan(ages)
    sel = decisions.astype(float)
    w = np.ones(len(ages)) if weights is None else weights
    ws = w * sel

    def at(c: float) -> tuple[AuditResult | None, str, str, list[np.ndarray]]:
        younger, older = _band_labels((c,))
        code = np.where(known, ages >= c, 2).astype(np.int64)  # 0 younger, 1 older, 2 unknown
        n = np.bincount(code, minlength=3)
        # n, selected, weight, weight_selected per code (younger, older, unknown)
        sums = [n] + [np.bincount(code, weights=x, minlength=3) for x in (sel, w, ws)]
        if not n[0] or not n[1]:
            return None, older, younger, sums  # one side empty: nothing to compare
        rows = [(younger, 0), (older, 1)] + ([(None, 2)] if n[2] else [])
        table = pd.DataFrame(
            {
                "age": pd.Series([label for label, _ in rows], dtype=object),
                "n": np.array([sums[0][i] for _, i in rows], dtype=np.int64),
                "selected": np.rint([sums[1][i] for _, i in rows]).astype(np.int64),
                "weight": np.array([sums[2][i] for _, i in rows], dtype=float),
                "weight_selected": np.array([sums[3][i] for _, i in rows], dtype=float),
            }
        )
        counts = GroupCounts(table, ("age",), None, "selected", None, weights is not None)
        params = {
            "selected": None,
            "score": None,
            "rule": "selected",
            "cutoff": None,
            "reference": younger,
            "intersectional": False,
            "min_share": None,
            "unknown": [],
            "weighted": weights is not None,
        }
        result = audit_counts(
            counts, reference=younger, intersectional=False, params=params, alpha=alpha
        )
        return result, older, younger, sums

    return at


@validate_params()
def audit_age(
    data: Any = None,
    *,
    selected: Any,
    age: Any,
    cutoff: float = ADEA_AGE,
    sweep: Sequence[float] = DEFAULT_SWEEP,
    reference_date: Any = None,
    sample_weight: Any = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> AgeAudit:
    """Audit selections by age: 40 and over against under 40, a sweep of cut-offs, the trend.

    Parameters
    ----------
    data : DataFrame, optional
        When given, ``selected``, ``age`` and ``sample_weight`` are column names.
    selected : str or array-like
        0/1 decisions.
    age : str or array-like
        Ages in years (or birth years / dates with ``reference_date``);
        missing ages are counted as unknown and left out.
    cutoff : float, default 40
        The comparison of the main audit: ``cutoff`` and over against under
        ``cutoff``, the younger group as the reference.
    sweep : sequence of float, default (40, 45, 50, 55, 60)
        Cut-offs at which the same comparison is repeated, to show where a
        disparity starts.
    reference_date : date or str, optional
        See :func:`age_groups`.
    sample_weight : str or array-like, optional
        Non-negative weights (rates, ratios and the trend become weighted;
        the trend treats them as frequency weights).
    alpha : float, default 0.05
        Significance level of the audit's Fisher test.
    confidence : float, default 0.95
        Level of the interval on the trend's odds ratio.

    Returns
    -------
    AgeAudit
        ``.audit`` at ``cutoff``, ``.sweep``, ``.trend``, ``.summary()``.

    Notes
    -----
    The comparison is the statute's, not the audit's usual "highest rate":
    the ADEA protects people aged 40 and over and only them (29 U.S.C.
    631(a); *General Dynamics Land Systems v. Cline*, 540 U.S. 581 (2004)
    holds that it does not protect the younger against the older), so the
    younger group is always the reference and the older group's ratio is
    reported even when it is above 1.  A protected group can fare well as a
    whole while its older part does not; whether a claim may rest on such a
    subgroup (e.g. 50 and over) depends on the circuit (see the
    documentation page on age), which is why the sweep is shown.

    The trend is the logistic regression ``logit P(selected) = a + b age``
    fitted by Newton-Raphson on the distinct ages; ``b``, its standard error
    and the Wald test agree with ``statsmodels`` ``Logit``.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> age = np.repeat([30, 45, 55], 100)
    >>> selected = np.concatenate([np.repeat([1, 0], [50, 50]), np.repeat([1, 0], [50, 50]),
    ...                            np.repeat([1, 0], [35, 65])])
    >>> result = ai.audit_age(selected=selected, age=age)
    >>> result.passes(), result.first_failing_cutoff()
    (True, 50.0)
    >>> result.sweep[["cutoff", "impact_ratio", "four_fifths_flag"]]
       cutoff  impact_ratio  four_fifths_flag
    0    40.0          0.85             False
    1    45.0          0.85             False
    2    50.0          0.70              True
    3    55.0          0.70              True
    4    60.0           NaN             False
    """
    decisions, age, weights = _resolve(data, selected, age, sample_weight)
    (cut,) = _check_cutoffs((cutoff,))
    points = _check_cutoffs(sweep) if len(tuple(sweep)) else ()
    ages = _ages(age, reference_date)
    _check_range(ages)

    at = _band_audits(ages, decisions, weights, alpha)

    main, older, younger, _ = at(cut)
    if main is None:
        raise input_error(
            "age",
            f"no applicant with a known age is {older!r} or no one is "
            f"{younger!r}, so the two cannot be compared",
            "Check the ages, or choose another cutoff=",
        )
    rows = [_sweep_row(c, *at(c)) for c in points]
    known = ~np.isnan(ages)
    trend = _logistic_trend(
        ages[known],
        decisions[known].astype(float),
        np.ones(int(known.sum())) if weights is None else weights[known],
        confidence,
    )
    return AgeAudit(
        main, pd.DataFrame(rows, columns=_SWEEP_COLUMNS), trend, cut, int((~known).sum())
    )


def _resolve(
    data: Any, selected: Any, age: Any, sample_weight: Any
) -> tuple[np.ndarray, Any, np.ndarray | None]:
    """The decisions (0/1), the ages as given, and the weights, from columns or arrays."""
    if data is not None:
        frame = _frame_from_table(data)
        check_columns_exist(
            frame.columns, {"selected": selected, "age": age, "sample_weight": sample_weight}
        )
        selected, age = frame[selected], frame[age]
        sample_weight = None if sample_weight is None else frame[sample_weight]
    check_aligned_indexes(
        {
            k: v
            for k, v in (("selected", selected), ("age", age), ("sample_weight", sample_weight))
            if isinstance(v, pd.Series)
        }
    )
    lengths = {"selected": len(selected), "age": len(age)}
    if sample_weight is not None:
        lengths["sample_weight"] = len(sample_weight)
    check_consistent_length(lengths)
    decisions = check_binary(selected, "selected")
    weights = None if sample_weight is None else check_weights(sample_weight)
    return decisions, age, weights


def _sweep_row(
    c: float,
    result: AuditResult | None,
    older: str,
    younger: str,
    sums: list[np.ndarray],
) -> dict[str, Any]:
    """One cut-off of the sweep: the two bands' counts and rates, ratio, flag and test.

    ``sums`` are the band counts :func:`_band_audits` made for the cut-off.
    Where one band is empty there is no comparison, but the other band's
    counts and rate are still facts about the data: they are reported from
    those counts, not left as zeros.
    """
    nan = math.nan
    n, selected, weight, weight_selected = sums
    row: dict[str, Any] = {"cutoff": c, "older": older, "younger": younger}
    for band, i in (("older", 1), ("younger", 0)):
        row[f"n_{band}"] = int(n[i])
        row[f"selected_{band}"] = int(np.rint(selected[i]))
        row[f"rate_{band}"] = float(weight_selected[i] / weight[i]) if weight[i] > 0 else nan
    row.update(impact_ratio=nan, four_fifths_flag=False, p_value_fisher=nan, significant=False)
    if result is not None:
        table = result.table.set_index("group")
        o, y = table.loc[older], table.loc[younger]
        row.update(
            selected_older=int(o["selected"]),
            selected_younger=int(y["selected"]),
            rate_older=float(o["rate"]),
            rate_younger=float(y["rate"]),
            impact_ratio=float(o["impact_ratio"]),
            # No ratio (the younger band selected no one) is not a flag in the sweep.
            four_fifths_flag=bool(pd.notna(o["four_fifths_flag"]) and o["four_fifths_flag"]),
            p_value_fisher=float(o.get("p_value_fisher", nan)),
            significant=bool(pd.notna(o.get("significant")) and o.get("significant")),
        )
    return row
