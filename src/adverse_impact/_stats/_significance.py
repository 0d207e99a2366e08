"""Significance tests on an audit's counts: per-group columns and pooled strata.

The audit computes every statistic from the per-group counts already reduced
by :func:`~adverse_impact._core._counts.count_groups`; nothing here touches rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import COMPARISONS
from adverse_impact._core._params import TESTS as TEST_NAMES
from adverse_impact._core._validation import check_option
from adverse_impact._stats import _power
from adverse_impact._stats import _tests as stats

__all__ = [
    "COMPARISONS",
    "TESTS",
    "TEST_COLUMNS",
    "check_alpha",
    "check_comparison",
    "check_test",
    "compare_many",
    "pool_strata",
]

#: The test behind the ``significant`` column, and the p-value column it reads.
TESTS = dict(zip(TEST_NAMES, ("p_value_fisher", "p_value_fisher_midp", "p_value_z"), strict=True))
TEST_COLUMNS = (
    "statistic_z",
    "p_value_z",
    "p_value_fisher",
    "p_value_fisher_midp",
    "ir_ci_low",
    "ir_ci_high",
    "shortfall",
    "min_detectable_ratio",
    "flip_flop",
    "significant",
    "detectable",
)
#: Power behind ``min_detectable_ratio``: the conventional 80%.
DETECTABLE_POWER = 0.8
#: The boolean columns among them: empty (NA) where a row is not tested.
FLAG_COLUMNS = ("flip_flop", "significant", "detectable")


def check_alpha(alpha: Any, argument: str = "alpha") -> float:
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float, np.floating))
        or not 0 < float(alpha) < 1
    ):
        raise input_error(
            argument,
            f"{alpha!r} is not a probability strictly between 0 and 1",
            "Pass a significance level such as 0.05",
        )
    return float(alpha)


def check_comparison(comparison: Any) -> str:
    return check_option(
        comparison,
        "comparison",
        COMPARISONS,
        'Pass "reference" (each group against the reference group) or '
        '"rest" (each group against all other known groups)',
    )


def check_test(test: Any) -> str:
    return check_option(test, "test", TESTS, f"Pass one of {sorted(TESTS)!r}")


def _comparison_counts(
    sel: np.ndarray, n: np.ndarray, tested: np.ndarray, ref: int, comparison: str
) -> tuple[np.ndarray, np.ndarray]:
    """Selected and applicant counts of each row's comparison group."""
    if comparison == "reference":
        return np.full_like(sel, sel[ref]), np.full_like(n, n[ref])
    pool = tested.copy()
    pool[ref] = True
    sel_all, n_all = sel[pool].sum(), n[pool].sum()
    return sel_all - np.where(pool, sel, 0), n_all - np.where(pool, n, 0)


def compare_many(
    attributes: Sequence[tuple[Sequence[int], Sequence[int], int | None, Sequence[bool]]],
    *,
    comparison: str,
    alpha: float,
    test: str,
) -> list[dict[str, Any]]:
    """Test columns for each attribute's groups, aligned with its ``sel`` and ``n``.

    Each item is ``(sel, n, ref, eligible)`` for one attribute.  Rows that
    are not tested (the reference row when comparing with the reference
    group, excluded groups, groups without a rate) get NaN, and
    ``flip_flop``/``significant`` get ``pd.NA``: empty, not zero.  The
    tables of every attribute are tested in one vectorised call per
    statistic: the statistics cost little per table but much per call, and
    an intersectional audit has three or more attributes.
    """
    prepared = []
    for sel, n, ref, eligible in attributes:
        sel = np.asarray(sel, dtype=np.int64)
        n = np.asarray(n, dtype=np.int64)
        tested = np.asarray(eligible, dtype=bool) & (n > 0)
        sel_b = n_b = np.zeros_like(n)
        if ref is None:
            tested[:] = False
        else:
            if comparison == "reference":
                tested[ref] = False
            sel_b, n_b = _comparison_counts(sel, n, tested, ref, comparison)
            tested &= n_b > 0
        prepared.append((sel, n, sel_b, n_b, tested))
    a, na, b, nb = (np.concatenate([item[i][item[4]] for item in prepared]) for i in range(4))
    values: dict[str, np.ndarray] = {}
    if len(a):
        z = stats.two_proportion_z(a, na, b, nb)
        fisher = stats.fisher_exact(a, na, b, nb)
        ratio = stats.impact_ratio_test(a, na, b, nb, confidence=1 - alpha)
        values = {
            "statistic_z": np.atleast_1d(z.statistic),
            "p_value_z": np.atleast_1d(z.p_value),
            "p_value_fisher": np.atleast_1d(fisher.p_value),
            "p_value_fisher_midp": np.atleast_1d(fisher.p_value_midp),
            "ir_ci_low": np.atleast_1d(ratio.ci_low),
            "ir_ci_high": np.atleast_1d(ratio.ci_high),
            "shortfall": np.atleast_1d(stats.shortfall(a, na, b, nb).shortfall_reference),
            # Not post-hoc power: the smallest ratio this sample could detect
            # (80% power at alpha, the comparison group's observed rate).
            "min_detectable_ratio": np.atleast_1d(
                _power.minimum_detectable_ratio(
                    na,
                    nb,
                    np.divide(b, nb, out=np.zeros(len(b)), where=nb > 0),
                    alpha=alpha,
                    power=DETECTABLE_POWER,
                )
            ),
            "flip_flop": np.atleast_1d(np.asarray(stats.flip_flop(a, na, b, nb), dtype=bool)),
        }
        values["significant"] = significant(values[TESTS[test]], a, na, b, nb, alpha)
        values["detectable"] = detectable(na, b, nb, alpha=alpha, test=test)
    out, start = [], 0
    for *_, tested in prepared:
        size, stop = len(tested), start + int(tested.sum())
        columns: dict[str, Any] = {}
        for name in TEST_COLUMNS[: -len(FLAG_COLUMNS)]:
            column = np.full(size, np.nan)
            if stop > start:
                column[tested] = values[name][start:stop]
            columns[name] = column
        for name in FLAG_COLUMNS:
            flags = np.full(size, None, dtype=object)
            if stop > start:
                flags[tested] = values[name][start:stop]
            columns[name] = pd.array(flags, dtype="boolean")
        out.append(columns)
        start = stop
    return out


def significant(
    p_value: np.ndarray,
    sel_a: np.ndarray,
    n_a: np.ndarray,
    sel_b: np.ndarray,
    n_b: np.ndarray,
    alpha: float,
) -> np.ndarray:
    """Significantly *lower* rate: two-sided p below alpha and a rate below the comparison's.

    Cross-multiplied so that equal rates never count as lower by rounding.
    """
    lower = np.asarray(sel_a, dtype=object) * np.asarray(n_b, dtype=object) < np.asarray(
        sel_b, dtype=object
    ) * np.asarray(n_a, dtype=object)
    return (np.asarray(p_value) < alpha) & lower.astype(bool)


def detectable(
    n_a: np.ndarray, sel_b: np.ndarray, n_b: np.ndarray, *, alpha: float, test: str
) -> np.ndarray:
    """Could this group's size show a significantly lower rate at all?

    True when even no one selected (``s_a = 0``) would be significantly
    lower than the comparison group's rate, by the audit's ``test`` at
    ``alpha``.  False means the group is too small for any shortfall to be
    told apart from chance: a four-fifths flag on it rests on a handful of
    people (the Uniform Guidelines' Q&A 21 and 22).
    """
    n_a, sel_b, n_b = (np.atleast_1d(np.asarray(v, dtype=np.int64)) for v in (n_a, sel_b, n_b))
    zero = np.zeros_like(n_a)
    if test == "z":
        p_value = stats.two_proportion_z(zero, n_a, sel_b, n_b).p_value
        return significant(np.atleast_1d(p_value), zero, n_a, sel_b, n_b, alpha)
    # With no one selected from the group the table sits at the end of the
    # hypergeometric support, so both Fisher p-values follow from P(X = 0)
    # (computed in logs: it underflows for large groups):
    # * mid-p: the lower one-sided mid-p is P(X = 0)/2 and the upper one is
    #   larger, so the doubled two-sided mid-p is exactly min(P(X = 0), 1);
    # * exact (minimum likelihood): P(X = 0) <= p <= m P(X = 0) (1 + 1e-14),
    #   m the support size, as every table counted is no likelier than the
    #   observed one.  Only tables between the bounds need the full test,
    #   which is what made this column cost a second Fisher test per group.
    # log P(X = 0), X ~ Hypergeom(N = n_a + n_b, K = sel_b, n = n_a): stats' own log-pmf.
    log_p0 = stats._log_pmf(zero, (n_a + n_b).astype(float), sel_b.astype(float), n_a.astype(float))
    lower = (sel_b > 0) & (n_a > 0)
    log_alpha = np.log(alpha)
    # The log-gammas' rounding grows with their size (about N log N): decide
    # by the bounds only where they clear alpha by more than that.
    margin = 1e-12 * (gammaln(n_a + n_b + 1.0) + 1.0)
    if test == "fisher_midp":
        clear = np.abs(log_p0 - log_alpha) > margin
        out = lower & (log_p0 < log_alpha)
    else:
        support = np.minimum(n_a, sel_b) + 1
        log_high = log_p0 + np.log(support) + 1e-13
        out = lower & (log_high < log_alpha - margin)
        clear = (log_p0 > log_alpha + margin) | out | ~lower
    close = ~clear
    if close.any():
        fisher = stats.fisher_exact(zero[close], n_a[close], sel_b[close], n_b[close])
        p_value = fisher.p_value if test == "fisher" else fisher.p_value_midp
        out[close] = significant(
            np.atleast_1d(p_value), zero[close], n_a[close], sel_b[close], n_b[close], alpha
        )
    return out


def pool_strata(
    per_stratum: pd.DataFrame,
    *,
    attribute: str,
    labels: Sequence[Any],
    ref: int | None,
    eligible: Sequence[bool],
    comparison: str,
    alpha: float,
) -> list[dict[str, Any]]:
    """Mantel-Haenszel across strata for each group, with the naive aggregate beside.

    ``per_stratum`` has one row per (group position, stratum) with columns
    ``group`` (position in ``labels``), ``stratum``, ``n`` and ``selected``.
    """
    if ref is None:
        return []
    strata = pd.unique(per_stratum["stratum"])
    size = len(labels)
    n = np.zeros((size, len(strata)), dtype=np.int64)
    sel = np.zeros_like(n)
    col = pd.Index(strata).get_indexer(per_stratum["stratum"])
    np.add.at(n, (per_stratum["group"].to_numpy(), col), per_stratum["n"].to_numpy())
    np.add.at(sel, (per_stratum["group"].to_numpy(), col), per_stratum["selected"].to_numpy())
    pool = np.asarray(eligible, dtype=bool).copy()
    pool[ref] = True
    rows = []
    for i, label in enumerate(labels):
        if not eligible[i] or (comparison == "reference" and i == ref):
            continue
        if comparison == "reference":
            sb, nb = sel[ref], n[ref]
            against = labels[ref]
        else:
            others = pool.copy()
            others[i] = False
            sb, nb = sel[others].sum(axis=0), n[others].sum(axis=0)
            against = "rest"
        sa, na = sel[i], n[i]
        tables = np.stack(
            [np.stack([sa, na - sa], axis=-1), np.stack([sb, nb - sb], axis=-1)], axis=1
        )
        mh = stats.mantel_haenszel(tables, confidence=1 - alpha)
        A, NA, B, NB = int(sa.sum()), int(na.sum()), int(sb.sum()), int(nb.sum())
        naive_or = stats.odds_ratio(A, NA, B, NB, confidence=1 - alpha)
        naive_p = stats.fisher_exact(A, NA, B, NB).p_value if NA and NB else np.nan
        naive_ir = (A / NA) / (B / NB) if NA and NB and B else np.nan
        reversed_ = (
            bool(np.isfinite(mh.odds_ratio))
            and bool(np.isfinite(naive_or.odds_ratio))
            and (mh.odds_ratio - 1) * (naive_or.odds_ratio - 1) < 0
        )
        rows.append(
            {
                "attribute": attribute,
                "group": label,
                "comparison": against,
                "n": NA,
                "selected": A,
                "n_strata": mh.n_strata,
                "n_strata_used": mh.n_strata_used,
                "mh_odds_ratio": mh.odds_ratio,
                "mh_ci_low": mh.ci_low,
                "mh_ci_high": mh.ci_high,
                "cmh_statistic": mh.statistic,
                "cmh_p_value": mh.p_value,
                "breslow_day_p_value": mh.breslow_day_p_value,
                "naive_impact_ratio": naive_ir,
                "naive_odds_ratio": naive_or.odds_ratio,
                "naive_p_value_fisher": naive_p,
                "simpson_reversal": reversed_,
            }
        )
    return rows
