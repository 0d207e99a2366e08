"""Error rates by group (true- and false-positive rates, precision) and their ratios.

:func:`error_rates` counts once with :func:`~adverse_impact._core._counts.count_groups`
(the actual outcome as the stratum) and sums per group with
:func:`~adverse_impact._core._groups.group_totals`, so its groups are the audit's, in
the audit's order.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._audits import PUBLIC
from adverse_impact._core._counts import count_groups
from adverse_impact._core._groups import group_totals, label, sort_key, specs, warn_labels
from adverse_impact._core._params import validate_params
from adverse_impact._core._validation import (
    check_binary_labels,
    check_rows,
    check_unknown,
)

__all__ = [*PUBLIC["_error_rates"], "rates_from_binary"]

_RATES = ("tpr", "fpr", "fnr", "precision")
#: Whether a higher value of the rate is better for the group.
_HIGHER_IS_BETTER = {"tpr": True, "fpr": False, "fnr": False, "precision": True}


@validate_params()
def error_rates(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    pos_label: Any = 1,
    unknown: Any = None,
    intersectional: bool = True,
    sample_weight: Any = None,
) -> pd.DataFrame:
    """Error rates by group, with their ratios to the best group.

    For every protected attribute and, with two or more attributes, their
    intersection (attribute ``"sex x race"``, labels ``"Female | Asian"``,
    exactly as in :func:`adverse_impact.audit`), count the confusion matrix of
    each known group and derive its true-positive, false-positive and
    false-negative rates and its precision.

    Parameters
    ----------
    y_true : array-like
        The actual outcome (e.g. qualified, hired, performed well), two labels.
    y_pred : array-like
        The decisions (e.g. advanced by the model), in the same labels.
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s), as fairlearn's ``sensitive_features``.
    pos_label : object, default 1
        The label meaning "positive" in both ``y_true`` and ``y_pred``.
    unknown : label or list of labels, optional
        Extra labels meaning "unknown category"; missing labels always are.
        Unknown rows are left out, as in :func:`adverse_impact.audit`.
    intersectional : bool, default True
        Also report the intersection of two or more attributes.
    sample_weight : array-like, optional
        Non-negative weights: rates become weighted rates; the count columns
        stay row counts.

    Returns
    -------
    pandas.DataFrame
        One row per (attribute, group), groups in the audit's order, with
        columns ``attribute``, ``group``, ``n``, ``n_positive`` and
        ``n_negative`` (actual outcome), ``selected`` (predicted positive),
        ``tp``, ``fp``, ``fn``, ``tn``, the rates ``tpr``, ``fpr``, ``fnr``,
        ``precision``, their ratios to the best group ``tpr_ratio``,
        ``fpr_ratio``, ``fnr_ratio``, ``precision_ratio``, and ``note``
        (why a value is NaN).  ``frame.attrs["unknown"]`` holds the number of
        unknown rows per attribute.

    Raises
    ------
    InputError
        Mismatched lengths, missing labels, more than two labels, or a
        ``pos_label`` that occurs in neither ``y_true`` nor ``y_pred``.

    See Also
    --------
    audit_model : audits a model and attaches this table as ``error_rates``.

    Notes
    -----
    With ``P = tp + fn`` actual positives and ``N = fp + tn`` actual
    negatives in a group:

    - ``tpr = tp / P`` (selected among the qualified; also recall),
    - ``fpr = fp / N`` (selected among the unqualified),
    - ``fnr = fn / P = 1 - tpr`` (qualified but rejected),
    - ``precision = tp / (tp + fp)`` (qualified among the selected).

    A rate whose denominator is 0 is NaN, with the reason in ``note``
    (fairlearn's ``true_positive_rate`` reports 0 there instead).

    Ratios compare each group with the best group of its attribute and lie in
    [0, 1], 1 being the best group, so that they read like impact ratios:

    - ``tpr_ratio = tpr / max(tpr)`` and ``precision_ratio = precision /
      max(precision)``; NaN when the highest value is 0, as the impact ratio
      is NaN when the highest selection rate is 0;
    - ``fpr_ratio = min(fpr) / fpr`` and ``fnr_ratio = min(fnr) / fnr``; a
      group at the minimum has ratio 1, a group without false positives
      included.

    The smallest ``tpr_ratio`` is fairlearn's true-positive-rate ratio, the
    smallest ``fpr_ratio`` its false-positive-rate ratio, and the smaller of
    the two its ``equalized_odds_ratio``, whenever every group has actual
    positives and negatives and some group has a false positive (fairlearn
    reports 0/0 = NaN when no group has one; here every ``fpr_ratio`` is 1).

    A rate from a group with 7 actual positives moves by 1/7 with each
    person.  Read every rate next to ``n_positive`` and ``n_negative``.

    References
    ----------
    .. [1] M. Hardt, E. Price, N. Srebro, "Equality of Opportunity in
       Supervised Learning", NeurIPS 2016 (equalized odds, equal opportunity).
    .. [2] fairlearn, ``fairlearn.metrics.equalized_odds_ratio`` and
       ``MetricFrame.ratio`` (0.15).

    Examples
    --------
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> sex = ["F", "F", "F", "F", "M", "M", "M", "M"]
    >>> rates = error_rates(y_true, y_pred, {"sex": sex})
    >>> rates[["group", "n_positive", "n_negative", "tpr", "fpr", "tpr_ratio", "fpr_ratio"]]
      group  n_positive  n_negative  tpr  fpr  tpr_ratio  fpr_ratio
    0     F           2           2  1.0  0.5        1.0        0.0
    1     M           2           2  0.5  0.0        0.5        1.0
    """
    truth = check_binary_labels(y_true, pos_label, "y_true")
    decision = check_binary_labels(y_pred, pos_label, "y_pred")
    check_rows(None, sensitive_features, y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    return rates_from_binary(
        truth,
        decision,
        sensitive_features,
        unknown=unknown,
        intersectional=intersectional,
        sample_weight=sample_weight,
    )


def rates_from_binary(
    truth: np.ndarray,
    decision: np.ndarray,
    sensitive_features: Any,
    *,
    unknown: Any,
    intersectional: bool,
    sample_weight: Any,
    warn: bool = True,
) -> pd.DataFrame:
    """The error-rate table from 0/1 outcomes and decisions already checked."""
    unknown_labels = check_unknown(unknown)
    # One pass: counts split by the actual outcome (the stratum column).
    counts = count_groups(
        selected=decision, groups=sensitive_features, strata=truth, sample_weight=sample_weight
    )
    if warn:  # audit_model's audit has already warned
        warn_labels({c: counts.table[c] for c in counts.attributes}, unknown_labels)
    stratum = counts.table[counts.strata]
    actual = {
        outcome: dataclasses.replace(
            counts,
            table=counts.table.loc[
                np.fromiter((v == outcome for v in stratum), dtype=bool, count=len(stratum))
            ],
        )
        for outcome in (1, 0)
    }
    rows: list[dict[str, Any]] = []
    unknown_counts: dict[str, int] = {}
    for name, columns in specs(counts.attributes, intersectional):
        pos, n_unknown_pos = group_totals(actual[1], columns, unknown_labels)
        neg, n_unknown_neg = group_totals(actual[0], columns, unknown_labels)
        unknown_counts[name] = n_unknown_pos + n_unknown_neg
        keys = sorted(set(pos.index) | set(neg.index), key=sort_key)
        pos = pos.reindex(pd.Index(keys, tupleize_cols=False, dtype=object), fill_value=0)
        neg = neg.reindex(pd.Index(keys, tupleize_cols=False, dtype=object), fill_value=0)
        rows.extend(_error_rows(name, keys, pos, neg, counts.weighted))
    columns = [
        "attribute",
        "group",
        "n",
        "n_positive",
        "n_negative",
        "selected",
        "tp",
        "fp",
        "fn",
        "tn",
        *_RATES,
        *(f"{r}_ratio" for r in _RATES),
        "note",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["group"] = frame["group"].astype(object)
    frame.attrs["unknown"] = unknown_counts
    return frame


def _rate(numerator: float, denominator: float) -> Fraction | None:
    # Fractions of the integer counts (of the float weights when weighted) make
    # the rates and their ratios exact until the final conversion to float.
    if denominator <= 0:
        return None
    return Fraction(numerator) / Fraction(denominator)


def _error_rows(
    name: str, keys: list[tuple], pos: pd.DataFrame, neg: pd.DataFrame, weighted: bool
) -> list[dict[str, Any]]:
    tp = pos["selected"].to_numpy(dtype=np.int64)
    p = pos["n"].to_numpy(dtype=np.int64)
    fp = neg["selected"].to_numpy(dtype=np.int64)
    n_neg = neg["n"].to_numpy(dtype=np.int64)
    if weighted:
        w_tp, w_p = pos["weight_selected"].to_numpy(), pos["weight"].to_numpy()
        w_fp, w_n = neg["weight_selected"].to_numpy(), neg["weight"].to_numpy()
    else:
        w_tp, w_p, w_fp, w_n = tp, p, fp, n_neg
    rates: dict[str, list[Fraction | None]] = {
        "tpr": [_rate(a, b) for a, b in zip(w_tp, w_p)],
        "fpr": [_rate(a, b) for a, b in zip(w_fp, w_n)],
        "fnr": [_rate(b - a, b) for a, b in zip(w_tp, w_p)],
        "precision": [_rate(a, a + c) for a, c in zip(w_tp, w_fp)],
    }
    ratios: dict[str, list[Fraction | None]] = {}
    notes: list[list[str]] = [[] for _ in keys]
    for metric, values in rates.items():
        defined = [v for v in values if v is not None]
        if _HIGHER_IS_BETTER[metric]:
            best = max(defined) if defined else None
            ratios[metric] = [None if v is None or not best else v / best for v in values]
            if best == 0:
                for i, v in enumerate(values):
                    if v is not None:
                        notes[i].append(f"no {metric}_ratio: the highest {metric} is 0")
        else:
            best = min(defined) if defined else None
            # A group at the lowest rate is the best group: ratio 1, even at 0/0.
            ratios[metric] = [
                None if v is None else Fraction(1) if v == best else best / v for v in values
            ]
    for i in range(len(keys)):
        if p[i] == 0 or (weighted and w_p[i] <= 0):
            notes[i].insert(0, "no actual positives: tpr and fnr undefined")
        if n_neg[i] == 0 or (weighted and w_n[i] <= 0):
            notes[i].insert(0, "no actual negatives: fpr undefined")
        if tp[i] + fp[i] == 0 or (weighted and w_tp[i] + w_fp[i] <= 0):
            notes[i].append("nobody selected: precision undefined")

    def value(x: Fraction | None) -> float:
        return np.nan if x is None else float(x)

    rows = []
    for i, key in enumerate(keys):
        row: dict[str, Any] = {
            "attribute": name,
            "group": label(key),
            "n": int(p[i] + n_neg[i]),
            "n_positive": int(p[i]),
            "n_negative": int(n_neg[i]),
            "selected": int(tp[i] + fp[i]),
            "tp": int(tp[i]),
            "fp": int(fp[i]),
            "fn": int(p[i] - tp[i]),
            "tn": int(n_neg[i] - fp[i]),
        }
        row.update({metric: value(rates[metric][i]) for metric in _RATES})
        row.update({f"{metric}_ratio": value(ratios[metric][i]) for metric in _RATES})
        row["note"] = "; ".join(notes[i])
        rows.append(row)
    return rows


#: The name ``audit_model`` used before the split.
_error_rates = rates_from_binary
