"""Selection rates, impact ratios and the four-fifths rule, from counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._audits import PUBLIC
from adverse_impact._audits._result import NULLABLE_FLAGS, PENDING, AuditResult, deferred
from adverse_impact._core._counts import GroupCounts, count_groups
from adverse_impact._core._errors import input_error
from adverse_impact._core._groups import (
    ATTRIBUTE_SEP,
    check_reference,
    check_reference_found,
    check_reference_keys,
    find_reference,
    group_totals,
    highest,
    is_unknown,
    label,
    sort_key,
    specs,
    warn_labels,
    warn_near_duplicates,
)
from adverse_impact._core._params import validate_params
from adverse_impact._core._validation import (
    check_option,
    check_scalar,
    check_share,
    check_unknown,
    require_sensitive_features,
)
from adverse_impact._stats._family import (
    DEFAULT_RESAMPLES,
    FamilyAttribute,
    shortfall_family,
)
from adverse_impact._stats._significance import (
    check_alpha,
    check_comparison,
    check_test,
    compare_many,
    pool_strata,
)

__all__ = [*PUBLIC["_audit"], "audit_counts"]

#: Uniform Guidelines 29 CFR 1607.4(D): a rate "less than four-fifths" of the highest.
FOUR_FIFTHS = Fraction(4, 5)


@validate_params()
def audit(
    data: Any = None,
    *,
    selected: Any = None,
    sensitive_features: Any = None,
    score: Any = None,
    threshold: float | None = None,
    reference: Any = "highest",
    intersectional: bool = True,
    min_share: float | None = None,
    unknown: Any = None,
    sample_weight: Any = None,
    strata: Any = None,
    alpha: float = 0.05,
    comparison: str = "reference",
    test: str = "fisher",
    min_share_of: str = "known",
    n_resamples: int = DEFAULT_RESAMPLES,
    random_state: int | None = None,
) -> AuditResult:
    """Audit selection decisions for adverse impact.

    Reduces the data to per-group counts in one pass, then computes each
    group's selection rate, its impact ratio against the reference group and
    the four-fifths flag, separately for every protected attribute and, with
    two or more attributes, for their intersection.

    Parameters
    ----------
    data : DataFrame, optional
        A pandas, polars (eager or lazy) or pyarrow table, or any other table
        narwhals can read.  When given, ``selected``, ``sensitive_features``, ``score`` and
        ``sample_weight`` are column names; when ``None`` they are arrays.
    selected : str or array-like, optional
        0/1 or boolean decisions (1 = selected, advanced, hired).
    sensitive_features : str, sequence of str, array-like, DataFrame or dict
        The protected attribute(s) (fairlearn's name).  Without ``data``: one
        array of labels, a DataFrame or a dict of arrays.
    score : str or array-like, optional
        Scores instead of decisions.  With ``threshold``, a candidate is
        selected when ``score >= threshold``.  Without it, the NYC Local Law
        144 *scoring rate* is used: selected means a score strictly above the
        median score of the whole sample, unknown category included.
    threshold : float, optional
        The cut-off applied to ``score``.
    reference : "highest", label or dict, default "highest"
        The comparison group.  ``"highest"`` is the group with the highest
        rate among eligible groups (29 CFR 1607.4(D)); ties go to the first
        group in sorted order, and every tied group has a ratio of exactly 1.
        A label applies to each attribute that has it; a dict maps attribute
        names (``"sex x race"`` for the intersection) to labels.
    intersectional : bool, default True
        With two or more attributes, also audit their intersection, labelled
        ``"Female | Asian"`` under the attribute ``"sex x race"``.
    min_share : float, optional
        Groups whose share of an attribute's known rows is below this (e.g.
        0.02, NYC rule 6 RCNY 5-301(d)) are reported with ``n`` and ``rate``
        but excluded from the ratios and from being the reference.
    min_share_of : {"known", "all"}, default "known"
        The base of the share compared with ``min_share``.  6 RCNY 5-301(d)
        says "less than 2% of the data being used for the bias audit", which
        can be read as the rows whose category is known (``"known"``, the
        rows the ratios are computed on) or as every row, unknown category
        included (``"all"``).  The two differ near the threshold: 59 of 2,901
        known rows is 2.03%, 59 of 3,000 rows is 1.97%.  The choice is stored
        in ``result.params`` and printed in reports.  The ``share`` column is
        always the share of the attribute's known rows.
    unknown : label or list of labels, optional
        Labels meaning "unknown category" besides missing values (None, NaN,
        NA, and empty or whitespace-only strings, which are always unknown).
        Unknown rows are counted per attribute in ``result.unknown`` and left
        out of rates, ratios and the reference.
    sample_weight : str or array-like, optional
        Non-negative weights; rates become weighted rates.  ``n`` and
        ``selected`` stay row counts and the weighted sums are reported beside
        them.  Significance tests need counts of people, so they are left
        empty in a weighted audit.
    strata : str or array-like, optional
        Pools the decisions were made in (requisition, site, year).  Adds
        ``result.pooled``: for each group, the Mantel-Haenszel odds ratio and
        test across strata beside the naive aggregate, so that a Simpson's
        paradox is visible (``simpson_reversal``).
    alpha : float, default 0.05
        Significance level of the ``significant`` column and of the
        confidence intervals (``1 - alpha``).
    comparison : {"reference", "rest"}, default "reference"
        What each group is tested against: the reference group (its row's
        test columns are then empty), or all other known, non-excluded
        groups together (the convention of US federal contractor audits).
    test : {"fisher", "fisher_midp", "z"}, default "fisher"
        The two-sided test behind ``significant``: Fisher's exact test, its
        Lancaster mid-p, or the pooled two-proportion z test (the "two
        standard deviations" rule).  All three p-values are reported.
    n_resamples : int, default 9,999
        Null draws of the family test behind ``p_value_adjusted`` (see Notes).
    random_state : int, optional
        Seed of those draws. By default it is derived from the counts, so the
        same counts always give the same adjusted p-values and the same verdict.

    Returns
    -------
    AuditResult
        Besides rates and ratios, each tested row carries ``statistic_z``,
        ``p_value_z``, ``p_value_fisher``, ``p_value_fisher_midp``, the impact
        ratio's confidence interval ``ir_ci_low``/``ir_ci_high`` (against the
        comparison group), ``shortfall`` (selections the group lacks at the
        comparison group's rate), ``min_detectable_ratio`` (the impact ratio
        this group's and the comparison group's sample sizes would detect with
        80% power at ``alpha``, given the comparison group's rate; 0 when no
        ratio could be detected, see
        :func:`adverse_impact.stats.minimum_detectable_ratio`), ``flip_flop``
        (one different selection would reverse the comparison: Uniform
        Guidelines Q&A 21), ``significant`` (a rate significantly *lower* than
        the comparison's at ``alpha``) and ``detectable`` (False when the group
        is so small that even no one selected would not be significantly lower).
        Every compared row (weighted audits too) also carries
        ``p_value_adjusted`` and ``significant_adjusted``: the comparison's
        p-value adjusted for the whole family of comparisons the gate makes
        (see Notes); :meth:`AuditResult.passes` decides on these.

    Raises
    ------
    InputError
        Bad values: mismatched lengths, non-binary ``selected``, an ID-like
        group column, no rows, a single known group, ``min_share`` outside
        (0, 1), an unknown ``reference`` label, ...
    InputTypeError
        Arguments of the wrong kind (a column name without ``data``, text in
        ``selected``, ...).

    See Also
    --------
    selection_rates, impact_ratios

    Notes
    -----
    The four-fifths flag is True exactly when ``rate / reference_rate < 4/5``,
    decided on fractions of the integer counts (of the float weights when
    weighted), so a ratio of exactly 0.8 is never flagged by rounding. Rows
    that are not judged (excluded under ``min_share``, or without a ratio)
    have no flag (NA), not False.

    The per-row p-values test one comparison each, as courts and regulators
    read them. A gate asks a different question: is *any* group, of any
    attribute or intersection, significantly below the highest rate? That is
    a family of comparisons against a reference chosen for being highest, and
    uncorrected it fails fair data far more often than ``alpha``.
    ``p_value_adjusted`` answers it: a conditional Monte-Carlo test given the
    margins (the selected counts of the cells of the full cross-classification
    of the audited attributes are multivariate hypergeometric when selection
    is independent of them, within each stratum with ``strata``), with the
    reference re-chosen as the highest rate in every draw, and Westfall and
    Young's step-down maxT over the one-sided standardised shortfalls. It is
    computed from the counts alone. ``result.params["family"]`` names the
    family and the correction. Its 9,999 draws cost a fixed 30 to 40 ms
    whatever the number of rows, so the result runs them on the first read
    that needs them (the table, ``params``, a report, a significance gate);
    rates, ratios and the four-fifths rule do not wait for them.

    References
    ----------
    .. [1] 29 CFR 1607.4(D), Uniform Guidelines on Employee Selection
       Procedures (1978).
    .. [2] NYC Department of Consumer and Worker Protection, 6 RCNY
       5-300 to 5-304 (2023), rules for Local Law 144 of 2021.

    Examples
    --------
    The worked example of the EEOC's 2023 technical assistance (withdrawn in
    January 2025; the arithmetic stands): 48 of 80 White applicants and 12 of
    40 Black applicants advance, rates of 60% and 30%.

    >>> import adverse_impact as ai
    >>> decisions = [1] * 48 + [0] * 32 + [1] * 12 + [0] * 28
    >>> race = ["White"] * 80 + ["Black"] * 40
    >>> result = ai.audit(selected=decisions, sensitive_features={"race": race})
    >>> result.table[["group", "n", "rate", "impact_ratio", "four_fifths_flag"]]
       group   n  rate  impact_ratio  four_fifths_flag
    0  Black  40   0.3           0.5              True
    1  White  80   0.6           1.0             False
    >>> result.passes()
    False
    """
    groups = require_sensitive_features(sensitive_features)
    n_resamples, random_state = check_resampling(n_resamples, random_state)
    share = check_share(min_share, "min_share")
    unknown_labels = check_unknown(unknown)
    check_reference(reference)
    alpha = check_alpha(alpha)
    comparison = check_comparison(comparison)
    test = check_test(test)
    min_share_of = check_share_base(min_share_of)
    counts = count_groups(
        data,
        selected=selected,
        groups=groups,
        score=score,
        threshold=threshold,
        sample_weight=sample_weight,
        strata=strata,
    )
    params = {
        "selected": selected if isinstance(selected, str) else None,
        "score": score if isinstance(score, str) else None,
        "rule": counts.rule,
        "cutoff": counts.cutoff,
        "reference": reference if isinstance(reference, (str, dict)) else repr(reference),
        "intersectional": bool(intersectional),
        "min_share": None if min_share is None else float(min_share),
        "unknown": sorted(map(str, unknown_labels)),
        "weighted": counts.weighted,
    }
    return audit_counts(
        counts,
        reference=reference,
        intersectional=intersectional,
        min_share=share,
        unknown=unknown_labels,
        params=params,
        alpha=alpha,
        comparison=comparison,
        test=test,
        min_share_of=min_share_of,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def check_resampling(n_resamples: Any, random_state: Any) -> tuple[int, int | None]:
    """The family test's number of draws and seed, checked."""
    n_resamples = check_scalar(
        n_resamples, "n_resamples", int, low=19, example=f"n_resamples={DEFAULT_RESAMPLES}"
    )
    if random_state is not None:
        random_state = check_scalar(
            random_state, "random_state", int, low=0, example="random_state=0"
        )
    return n_resamples, random_state


#: What ``min_share`` is a share of: the attribute's known rows, or all rows.
SHARE_BASES = ("known", "all")


def check_share_base(min_share_of: Any) -> str:
    return check_option(
        min_share_of,
        "min_share_of",
        SHARE_BASES,
        'Pass "known" (share of the rows whose category is known) or "all" '
        "(share of every row, unknown category included)",
    )


def _exact_rates(totals: pd.DataFrame, weighted: bool) -> list[Fraction | None]:
    if weighted:
        return [
            Fraction(ws) / Fraction(w) if w > 0 else None
            for w, ws in zip(totals["weight"], totals["weight_selected"])
        ]
    return [Fraction(int(s), int(n)) for n, s in zip(totals["n"], totals["selected"])]


def audit_counts(
    counts: GroupCounts,
    *,
    reference: Any = "highest",
    intersectional: bool = True,
    min_share: Fraction | None = None,
    unknown: frozenset = frozenset(),
    params: Mapping[str, Any] | None = None,
    alpha: float = 0.05,
    comparison: str = "reference",
    test: str = "fisher",
    min_share_of: str = "known",
    n_resamples: int = DEFAULT_RESAMPLES,
    random_state: int | None = None,
) -> AuditResult:
    """Build an :class:`AuditResult` from counts already reduced by ``count_groups``.

    Per audited attribute (each one, then the intersection): its known groups
    and their rates, the excluded small groups, the reference group, and one
    row per group; then every attribute's significance tests in one call per
    statistic, and the strata pooled when there are strata.
    """
    alpha = check_alpha(alpha)
    min_share_of = check_share_base(min_share_of)
    comparison = check_comparison(comparison)
    test = check_test(test)
    attribute_specs = specs(counts.attributes, intersectional)
    check_reference_keys(reference, attribute_specs)
    warn_labels({column: counts.table[column] for column in counts.attributes}, unknown)
    parts = [
        _audit_attribute(
            counts,
            name,
            columns,
            reference=reference,
            min_share=min_share,
            min_share_of=min_share_of,
            unknown=unknown,
            comparison=comparison,
            alpha=alpha,
        )
        for name, columns in attribute_specs
    ]
    rows = [row for part in parts for row in part.rows]
    to_test, first_row = [], 0
    for part in parts:
        if part.to_test is not None:
            to_test.append((first_row, part.to_test))
        first_row += len(part.rows)
    _attach_tests(rows, to_test, comparison=comparison, alpha=alpha, test=test)
    check_reference_found(reference, any(part.named for part in parts))
    n_resamples, random_state = check_resampling(n_resamples, random_state)
    # The family test's 9,999 draws cost a fixed 35-40 ms that a reader of rates and
    # ratios never needs: the result runs it on the first read that does.
    family = PendingFamily(
        counts,
        attribute_specs,
        parts,
        unknown,
        comparison=comparison,
        alpha=alpha,
        n_resamples=n_resamples,
        random_state=random_state,
    )
    params = dict(params or {})
    params.update(
        {
            "alpha": alpha,
            "comparison": comparison,
            "min_share_of": min_share_of,
            "test": None if counts.weighted else test,
            "strata": counts.strata,
            "family": PENDING,
        }
    )
    pooled = None
    if counts.strata is not None and not counts.weighted:
        pooled = pd.DataFrame(
            [row for part in parts for row in part.pooled], columns=_POOLED_COLUMNS
        )
        pooled["group"] = pooled["group"].astype(object)
    return deferred(
        family,
        _group_table(rows),
        unknown={name: part.n_unknown for (name, _), part in zip(attribute_specs, parts)},
        n_total=counts.n_total,
        params=params,
        ratios=tuple(ratio for part in parts for ratio in part.ratios),
        counts=counts,
        pooled=pooled,
    )


@dataclass(frozen=True, slots=True)
class _AttributeAudit:
    """One audited attribute's table rows, before the significance tests are attached."""

    rows: list[dict[str, Any]]
    ratios: list[Fraction | None]
    n_unknown: int
    #: Whether the caller's named reference is a group of this attribute.
    named: bool
    #: (selected, n, reference index, eligible) for the tests; None when weighted.
    to_test: tuple[Any, ...] | None
    pooled: list[dict[str, Any]]
    #: The groups' label tuples, which are compared, and the reference's index.
    keys: list[tuple]
    eligible: list[bool]
    ref: int | None


def _audit_attribute(
    counts: GroupCounts,
    name: str,
    columns: tuple[str, ...],
    *,
    reference: Any,
    min_share: Fraction | None,
    min_share_of: str,
    unknown: frozenset,
    comparison: str,
    alpha: float,
) -> _AttributeAudit:
    """Known groups and exact rates, small groups excluded, the reference, one row per group."""
    totals, n_unknown = _known_groups(counts, name, columns, unknown)
    keys = list(totals.index)
    rates = _exact_rates(totals, counts.weighted)
    n = totals["n"].to_numpy()
    n_known = int(n.sum())
    # 6 RCNY 5-301(d): "less than 2% of the data being used for the bias audit".
    n_base = n_known if min_share_of == "known" else n_known + n_unknown
    excluded = [min_share is not None and Fraction(int(k), n_base) < min_share for k in n]
    eligible = [not e and r is not None for e, r in zip(excluded, rates)]
    ref, named = _choose_reference(name, columns, keys, reference, rates, excluded, eligible)
    built = _group_rows(
        name,
        keys,
        totals,
        rates,
        excluded,
        ref,
        min_share,
        counts.weighted,
        n_base=n_base,
        base=min_share_of,
    )
    pooled: list[dict[str, Any]] = []
    if not counts.weighted and counts.strata is not None:
        pooled = _pool(
            counts,
            name,
            columns,
            keys,
            unknown,
            ref=ref,
            eligible=eligible,
            comparison=comparison,
            alpha=alpha,
        )
    return _AttributeAudit(
        rows=[row for row, _ in built],
        ratios=[ratio for _, ratio in built],
        n_unknown=n_unknown,
        named=named,
        to_test=None if counts.weighted else (totals["selected"].to_numpy(), n, ref, eligible),
        pooled=pooled,
        keys=keys,
        eligible=eligible,
        ref=ref,
    )


def _group_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The result table from the rows, with object labels and nullable boolean flags."""
    table = pd.DataFrame(rows)
    table["group"] = table["group"].astype(object)
    for column in NULLABLE_FLAGS:
        if column in table:
            table[column] = table[column].astype("boolean")
    return table


def _known_groups(
    counts: GroupCounts, name: str, columns: tuple[str, ...], unknown: frozenset
) -> tuple[pd.DataFrame, int]:
    """One attribute's known groups (at least two) and its unknown row count."""
    totals, n_unknown = group_totals(counts, columns, unknown)
    keys = list(totals.index)
    if len(keys) < 2:
        found = "no known group" if not keys else f"one known group ({label(keys[0])!r})"
        raise input_error(
            "sensitive_features",
            f"attribute {name!r} has {found} after {n_unknown:,} unknown rows "
            "were set aside; an impact ratio compares at least two groups",
            "Audit an attribute with two or more groups, or check the unknown= labels",
        )
    if len(columns) == 1:
        warn_near_duplicates(name, keys)
    return totals, n_unknown


def _choose_reference(
    name: str,
    columns: tuple[str, ...],
    keys: list[tuple],
    reference: Any,
    rates: list,
    excluded: list[bool],
    eligible: list[bool],
) -> tuple[int | None, bool]:
    """The reference group's index, and whether it was named by the caller."""
    found = find_reference(name, columns, keys, reference)
    if found == "highest" or found is None:
        return highest(rates, eligible), False
    if excluded[found]:
        raise input_error(
            "reference",
            f"{label(keys[found])!r} is below min_share for {name!r}",
            "Choose a larger group as the reference, or lower min_share",
        )
    if not eligible[found]:
        raise input_error(
            "reference",
            f"{label(keys[found])!r} has no rate (zero total weight)",
            "Choose another reference group",
        )
    return found, True


def _group_rows(
    name: str,
    keys: list[tuple],
    totals: pd.DataFrame,
    rates: list,
    excluded: list[bool],
    ref: int | None,
    min_share: Fraction | None,
    weighted: bool,
    *,
    n_base: int,
    base: str,
) -> list[tuple[dict[str, Any], Fraction | None]]:
    """One table row per group of an attribute, with its exact impact ratio.

    ``n_base`` is the denominator of the 2% rule (``base`` = "known" or "all"
    rows); ``share`` in the table is always of the known rows.
    """
    n = totals["n"].to_numpy()
    n_known = int(n.sum())
    selected = totals["selected"].to_numpy()
    weight, weight_selected = totals["weight"].to_numpy(), totals["weight_selected"].to_numpy()
    ref_rate = rates[ref] if ref is not None else None
    out = []
    for i, key in enumerate(keys):
        note = ""
        ratio: Fraction | None = None
        if excluded[i]:
            rows = "known rows" if base == "known" else "all rows"
            note = (
                f"excluded: {float(Fraction(int(n[i]), n_base)):.2%} of {rows} is "
                f"below min_share {float(min_share):.2%}"
            )
        elif rates[i] is None:
            note = "no rate: the group's total weight is 0"
        elif ref_rate is None or ref_rate == 0:
            note = "no ratio: the reference group's selection rate is 0"
        else:
            ratio = rates[i] / ref_rate
        row = {
            "attribute": name,
            "group": label(key),
            "n": int(n[i]),
            "selected": int(selected[i]),
        }
        if weighted:
            row["n_weighted"] = float(weight[i])
            row["selected_weighted"] = float(weight_selected[i])
        row.update(
            {
                "rate": float(rates[i]) if rates[i] is not None else np.nan,
                "impact_ratio": float(ratio) if ratio is not None else np.nan,
                "is_reference": i == ref,
                "excluded": bool(excluded[i]),
                # Not judged (excluded, or no ratio) is NA, not False: "not below 4/5"
                # would claim a finding the audit did not make.
                "four_fifths_flag": pd.NA if ratio is None else ratio < FOUR_FIFTHS,
                "share": float(Fraction(int(n[i]), n_known)),
                "note": note,
            }
        )
        out.append((row, ratio))
    return out


def _attach_tests(
    rows: list[dict[str, Any]],
    to_test: list[tuple[int, tuple[Any, ...]]],
    *,
    comparison: str,
    alpha: float,
    test: str,
) -> None:
    """Every attribute's tables tested together (one call per statistic), into the rows."""
    tested = (
        compare_many([spec for _, spec in to_test], comparison=comparison, alpha=alpha, test=test)
        if to_test
        else []
    )
    for (first_row, (selected, *_)), tests in zip(to_test, tested):
        for column, values in tests.items():
            for i in range(len(selected)):
                rows[first_row + i][column] = values[i]


@dataclass(frozen=True, slots=True)
class PendingFamily:
    """The family test over every attribute's comparisons, run when a reader needs it.

    Works on the cells of the count table (the cross-classification of every
    audited attribute, and the strata), which the one pass over the data has
    already produced; nothing is counted again.  :meth:`run` gives each row's
    ``p_value_adjusted`` and ``significant_adjusted`` (in the order of the
    audit's rows) and the family's description for ``params["family"]``.
    """

    counts: GroupCounts
    specs: list[tuple[str, tuple[str, ...]]]
    parts: list[_AttributeAudit]
    unknown: frozenset
    comparison: str
    alpha: float
    n_resamples: int
    random_state: int | None

    def run(self) -> tuple[list[float], list[Any], dict[str, Any] | None]:
        counts, specs, parts = self.counts, self.specs, self.parts
        comparison, alpha = self.comparison, self.alpha
        table = counts.table
        label_columns = [*counts.attributes, *([counts.strata] if counts.strata else [])]
        labels = {c: table[c].to_numpy(dtype=object) for c in label_columns}
        values = table[["n", "selected", "weight"]].to_numpy(dtype=float)
        # One cell per combination of labels (a funnel's or an engine's count table may
        # split a combination over several rows), in the library's order of labels, not
        # the data's order of rows: the seed derives from the counts, so a shuffled file
        # or another engine gives the same draws and the same verdict.
        sums: dict[tuple, np.ndarray] = {}
        first: dict[tuple, tuple] = {}
        for i in range(len(table)):
            cell = tuple(labels[c][i] for c in label_columns)
            key = tuple((type(v).__name__, v) for v in cell)  # 1 and "1" are different labels
            if key in sums:
                sums[key] = sums[key] + values[i]
            else:
                sums[key], first[key] = values[i].copy(), cell
        cells = sorted(first.values(), key=sort_key)
        totals = np.array([sums[tuple((type(v).__name__, v) for v in c)] for c in cells])
        totals = totals.reshape(len(cells), 3)
        cell_n = np.rint(totals[:, 0]).astype(np.int64)
        cell_selected = np.rint(totals[:, 1]).astype(np.int64)
        column = {c: j for j, c in enumerate(label_columns)}
        attributes = []
        for (name, columns), part in zip(specs, parts):
            position = {key: i for i, key in enumerate(part.keys)}
            membership = np.full(len(cells), -1, dtype=np.int64)
            for i, cell in enumerate(cells):
                key = tuple(cell[column[c]] for c in columns)
                if not any(is_unknown(v, self.unknown) for v in key):
                    membership[i] = position[key]
            attributes.append(
                FamilyAttribute(
                    name,
                    membership,
                    np.array(part.eligible, dtype=bool),
                    reference=part.ref if part.named else None,
                    observed_reference=part.ref,
                )
            )
        stratum = None
        if counts.strata is not None:
            stratum, _ = pd.factorize(
                pd.Series([c[column[counts.strata]] for c in cells], dtype=object),
                use_na_sentinel=False,
            )
        test = shortfall_family(
            cell_n,
            cell_selected,
            attributes,
            stratum=stratum,
            cell_weight=totals[:, 2] if counts.weighted else None,
            comparison=comparison,
            n_resamples=self.n_resamples,
            random_state=self.random_state,
        )
        p_values: list[float] = []
        significant: list[Any] = []
        for part, statistic, p_value in zip(parts, test.statistic, test.p_value_adjusted):
            for i in range(len(part.rows)):
                p = float(p_value[i])
                p_values.append(p)
                significant.append(pd.NA if np.isnan(p) else bool(p < alpha and statistic[i] > 0))
        if test.n_comparisons == 0:
            return p_values, significant, None
        named = [part.named for part in parts]
        compared = [
            name
            for (name, _), part in zip(specs, parts)
            if sum(part.eligible) > (0 if comparison == "rest" else 1)
        ]
        return (
            p_values,
            significant,
            {
                "comparisons": test.n_comparisons,
                "attributes": compared,
                "against": "rest"
                if comparison == "rest"
                else ("reference" if all(named) else "highest" if not any(named) else "mixed"),
                "correction": test.method,
                "null": "selection independent of every audited attribute"
                + (" within strata" if counts.strata is not None else ""),
                "statistic": "one-sided standardised shortfall"
                + (
                    " (Mantel-Haenszel score across strata)"
                    if counts.strata and not counts.weighted
                    else ""
                )
                + (" (weighted rates, Kish effective sizes)" if counts.weighted else ""),
                "n_resamples": test.n_resamples,
                "random_state": test.random_state,
                "p_value": test.p_value,
            },
        )


_POOLED_COLUMNS = [
    "attribute",
    "group",
    "comparison",
    "n",
    "selected",
    "n_strata",
    "n_strata_used",
    "mh_odds_ratio",
    "mh_ci_low",
    "mh_ci_high",
    "cmh_statistic",
    "cmh_p_value",
    "breslow_day_p_value",
    "naive_impact_ratio",
    "naive_odds_ratio",
    "naive_p_value_fisher",
    "simpson_reversal",
]


def _pool(
    counts: GroupCounts,
    name: str,
    columns: tuple[str, ...],
    keys: list[tuple],
    unknown: frozenset,
    **options: Any,
) -> list[dict[str, Any]]:
    """Per-stratum counts of one attribute's groups, pooled by Mantel-Haenszel."""
    per, _ = group_totals(counts, (*columns, counts.strata), unknown)
    position = {key: i for i, key in enumerate(keys)}
    frame = pd.DataFrame(
        {
            "group": [position[key[:-1]] for key in per.index],
            "stratum": [key[-1] for key in per.index],
            "n": per["n"].to_numpy(),
            "selected": per["selected"].to_numpy(),
        }
    )
    return pool_strata(frame, attribute=name, labels=[label(k) for k in keys], **options)


def _series(counts: GroupCounts, values: list[Any], keys: list[tuple], name: str) -> pd.Series:
    if len(counts.attributes) == 1:
        index = pd.Index([k[0] for k in keys], name=counts.attributes[0], dtype=object)
    else:
        index = pd.MultiIndex.from_tuples(keys, names=list(counts.attributes))
    return pd.Series(values, index=index, name=name, dtype=float)


@validate_params()
def selection_rates(
    selected: Any,
    sensitive_features: Any = None,
    *,
    data: Any = None,
    sample_weight: Any = None,
    unknown: Any = None,
) -> pd.Series:
    """Selection rate of each group (of the intersection, for several attributes).

    Parameters
    ----------
    selected : str or array-like
        0/1 or boolean decisions (a column name when ``data`` is given).
    sensitive_features : str, sequence of str, array-like, DataFrame or dict
        The protected attribute(s), as in :func:`audit`.
    data : DataFrame, optional
    sample_weight : str or array-like, optional
    unknown : label or list of labels, optional
        Labels counted as unknown; unknown rows are left out.

    Returns
    -------
    pandas.Series
        Indexed by group label (a MultiIndex over the attributes when there
        are several), named ``"selection_rate"``.  Matches fairlearn's
        ``MetricFrame(metrics=selection_rate, ...).by_group``.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> ai.selection_rates([1, 0, 1, 1], {"sex": ["F", "F", "M", "M"]})
    sex
    F    0.5
    M    1.0
    Name: selection_rate, dtype: float64
    """
    groups = require_sensitive_features(sensitive_features)
    counts = count_groups(data, selected=selected, groups=groups, sample_weight=sample_weight)
    totals, _ = group_totals(counts, counts.attributes, check_unknown(unknown))
    rates = _exact_rates(totals, counts.weighted)
    return _series(
        counts,
        [np.nan if r is None else float(r) for r in rates],
        list(totals.index),
        "selection_rate",
    )


@validate_params()
def impact_ratios(
    selected: Any,
    sensitive_features: Any = None,
    *,
    reference: Any = "highest",
    data: Any = None,
    sample_weight: Any = None,
    unknown: Any = None,
) -> pd.Series:
    """Impact ratio of each group against the reference group.

    Parameters
    ----------
    selected, sensitive_features, data, sample_weight, unknown
        As in :func:`selection_rates`.
    reference : "highest" or label, default "highest"
        The comparison group: the highest-rate group (29 CFR 1607.4(D)) or a
        label (a tuple of labels for several attributes).

    Returns
    -------
    pandas.Series
        Named ``"impact_ratio"``; NaN everywhere when the reference rate is 0.
        Its minimum equals fairlearn's ``demographic_parity_ratio``.

    Examples
    --------
    The EEOC's worked example (48 of 80 White and 12 of 40 Black applicants
    selected) against the highest rate, then against a named reference:

    >>> import adverse_impact as ai
    >>> from adverse_impact.datasets import load_eeoc_example
    >>> eeoc = load_eeoc_example()
    >>> ai.impact_ratios("advanced", "race", data=eeoc)
    race
    Black    0.5
    White    1.0
    Name: impact_ratio, dtype: float64
    >>> float(ai.impact_ratios("advanced", "race", data=eeoc, reference="Black")["White"])
    2.0
    """
    groups = require_sensitive_features(sensitive_features)
    counts = count_groups(data, selected=selected, groups=groups, sample_weight=sample_weight)
    result = audit_counts(
        counts,
        reference=reference
        if isinstance(reference, str) and reference == "highest"
        else {ATTRIBUTE_SEP.join(counts.attributes): reference},
        intersectional=True,
        unknown=check_unknown(unknown),
    )
    # The ratios only: the table without the family test's columns (it never runs).
    table = result._stored_table
    rows = table[table["attribute"] == ATTRIBUTE_SEP.join(counts.attributes)]
    totals, _ = group_totals(counts, counts.attributes, check_unknown(unknown))
    return _series(counts, rows["impact_ratio"].tolist(), list(totals.index), "impact_ratio")
