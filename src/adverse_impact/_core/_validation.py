"""Input checking, in one place.

Every public function calls these before doing any work.  Messages name the
argument, say what was received, and say how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import (
    input_error,
    type_error,
)
from adverse_impact._core._params import RULES

#: A group column with more distinct labels than this is almost surely an ID.
MAX_GROUPS = 1000


def as_fraction(value: float | Fraction, argument: str) -> Fraction:
    """Read a user-facing ratio or share as the exact decimal the user typed.

    ``Fraction(0.8)`` is 3602879701896397/4503599627370496, a hair above
    4/5; reading the float's shortest repr gives exactly 4/5, which is what
    a person writing ``0.8`` means.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise type_error(
            argument,
            f"expected a number, got {type(value).__name__}",
            f"Pass {argument} as a float such as 0.8",
        )
    if not np.isfinite(value):
        raise input_error(argument, f"{value!r} is not finite", "Pass a finite number")
    return Fraction(repr(float(value)))


def check_share(value: float | None, argument: str) -> Fraction | None:
    """A share strictly between 0 and 1 (``min_share``), exact."""
    if value is None:
        return None
    share = as_fraction(value, argument)
    if not 0 < share < 1:
        raise input_error(
            argument, f"{value!r} is outside (0, 1)", f"Pass a share such as {argument}=0.02 for 2%"
        )
    return share


def check_unknown(unknown: Any) -> frozenset:
    """Labels the caller wants counted as the unknown category."""
    if unknown is None:
        return frozenset()
    if isinstance(unknown, (str, bytes)) or not isinstance(unknown, Iterable):
        return frozenset([unknown])
    return frozenset(unknown)


def is_missing_label(label: Any) -> bool:
    """None, NaN, pd.NA, NaT, and empty or whitespace-only strings."""
    if label is None:
        return True
    if isinstance(label, str):
        return label.strip() == ""
    try:
        return bool(pd.isna(label))
    except (TypeError, ValueError):
        return False


def check_consistent_length(lengths: Mapping[str, int]) -> int:
    """All inputs describe the same rows; return that number of rows."""
    distinct = set(lengths.values())
    if len(distinct) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise input_error(
            "inputs",
            f"found inconsistent numbers of rows: {listed}",
            "Pass arrays that describe the same candidates, in the same order",
        )
    n = distinct.pop() if distinct else 0
    if n == 0:
        raise input_error(
            "data", "there are no rows to audit", "Pass data with at least one candidate per group"
        )
    return n


def check_aligned_indexes(arrays: Mapping[str, Any]) -> None:
    """pandas inputs passed separately must share one index.

    Positional pairing of two Series whose indexes differ would silently
    audit candidate A's decision against candidate B's group.
    """
    indexes = {
        name: a.index for name, a in arrays.items() if isinstance(a, (pd.Series, pd.DataFrame))
    }
    if len(indexes) < 2:
        return
    names = list(indexes)
    first = indexes[names[0]]
    for name in names[1:]:
        if not first.equals(indexes[name]):
            raise input_error(
                name,
                f"its pandas index differs from the index of {names[0]}",
                "Align them first (e.g. .reset_index(drop=True) on both) or pass one "
                "DataFrame as data= with column names",
            )


def check_binary(values: Any, argument: str) -> np.ndarray:
    """Decisions as a uint8 array of 0 and 1 (missing, fractional or other values refused)."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.ndim != 1:
        raise input_error(
            argument,
            f"expected one column, got shape {series.shape}",
            "Pass a 1-D array of 0/1 decisions",
        )
    dtype = series.dtype
    # Fast paths for plain numpy dtypes (no missing values possible for bool
    # and int): a min/max pass instead of elementwise comparisons.
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return series.to_numpy().view(np.uint8)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        arr = series.to_numpy()
        if len(arr) == 0 or (arr.min() >= 0 and arr.max() <= 1):
            return arr.astype(np.uint8, copy=False)
        example = arr[(arr != 0) & (arr != 1)][:3].tolist()
        raise input_error(
            argument,
            f"must hold 0/1 or True/False decisions, found {example}",
            "Pass a binary column, or pass scores as score= with threshold=",
        )
    missing = int(series.isna().sum())
    if missing:
        raise input_error(
            argument,
            f"{missing} value(s) are missing; a decision cannot be inferred",
            "Fill or drop those rows before the audit (and report them)",
        )
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.uint8)
    if pd.api.types.is_numeric_dtype(dtype):
        arr = series.to_numpy(dtype=float)
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            example = arr[bad][:3].tolist()
            if np.all((arr >= 0) & (arr <= 1)):
                raise input_error(
                    argument,
                    f"holds values strictly between 0 and 1 (e.g. {example}), which look like "
                    "probabilities or scores, not decisions",
                    "Pass them as score= with threshold= (selected when score >= threshold), "
                    "or score= alone for the NYC LL144 scoring rate",
                )
            raise input_error(
                argument,
                f"must hold 0/1 or True/False decisions, found {example}",
                "Pass a binary column, or pass scores as score= with threshold=",
            )
        return arr.astype(np.uint8)
    uniques = pd.unique(series.to_numpy(dtype=object))
    if all(isinstance(u, (bool, np.bool_, int, np.integer)) and u in (0, 1) for u in uniques):
        return series.to_numpy(dtype=object).astype(np.uint8)
    example = [u for u in uniques if u not in (0, 1)][:3]
    raise type_error(
        argument,
        f"must hold 0/1 or True/False decisions, found {example!r}",
        f"Map the labels to 0/1 first, e.g. {argument}.map({{'yes': 1, 'no': 0}})",
    )


def check_scores(values: Any, argument: str) -> np.ndarray:
    """Scores as a finite float64 array (no NaN, no infinity)."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if not (
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise type_error(
            argument,
            f"expected numeric scores, got dtype {series.dtype}",
            "Pass a numeric column of scores",
        )
    arr = series.to_numpy(dtype=float, na_value=np.nan)
    missing = int(np.isnan(arr).sum())
    if missing:
        raise input_error(
            argument,
            f"{missing} score(s) are NaN or missing",
            "Fill or drop those rows before the audit (and report them)",
        )
    infinite = int(np.isinf(arr).sum())
    if infinite:
        raise input_error(
            argument,
            f"{infinite} score(s) are infinite",
            "Clip or fix them (an overflowed log-odds?) before the audit",
        )
    return arr


def check_weights(values: Any, argument: str = "sample_weight") -> np.ndarray:
    """Non-negative finite weights, not all zero."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise type_error(
            argument,
            f"expected numeric weights, got dtype {series.dtype}",
            "Pass non-negative numbers, one per row",
        )
    arr = series.to_numpy(dtype=float, na_value=np.nan)
    if not np.all(np.isfinite(arr)):
        raise input_error(
            argument,
            f"{int(np.sum(~np.isfinite(arr)))} weight(s) are NaN or infinite",
            "Pass finite, non-negative weights",
        )
    if np.any(arr < 0):
        raise input_error(
            argument, f"{int(np.sum(arr < 0))} weight(s) are negative", "Pass non-negative weights"
        )
    if not np.any(arr > 0):
        raise input_error(argument, "every weight is zero", "Pass at least one positive weight")
    return arr


# -- rows described by several inputs (models, their inputs, labels) -----------


def n_rows(value: Any) -> int | None:
    """Rows of X (array, DataFrame, sparse matrix, list of texts); None if unknowable."""
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(value)
    except TypeError:
        return None


def feature_lengths(sensitive_features: Any) -> dict[str, int]:
    if isinstance(sensitive_features, str):
        raise type_error(
            "sensitive_features",
            f"got the string {sensitive_features!r}",
            "Pass the labels themselves (an array, Series, DataFrame or dict of arrays), "
            "not a column name",
        )
    if isinstance(sensitive_features, Mapping):
        return {f"sensitive_features[{k!r}]": len(v) for k, v in sensitive_features.items()}
    n = n_rows(sensitive_features)
    return {} if n is None else {"sensitive_features": n}


def check_rows(X: Any, sensitive_features: Any, **others: Any) -> None:
    """X, sensitive_features and per-row extras describe the same rows, in the same order."""
    lengths = {}
    n_x = n_rows(X)
    if n_x is not None:
        lengths["X"] = n_x
    lengths.update(feature_lengths(sensitive_features))
    for name, value in others.items():
        if value is not None:
            lengths[name] = len(value)
    check_consistent_length(lengths)
    check_aligned_indexes(
        {
            "X": X,
            "sensitive_features": sensitive_features,
            **{k: v for k, v in others.items() if v is not None},
        }
    )


def check_binary_labels(values: Any, pos_label: Any, argument: str) -> np.ndarray:
    """Labels as int8 0/1 with 1 meaning ``pos_label``; refuses ambiguous labels."""
    if isinstance(values, (str, bytes)):
        raise type_error(argument, f"got the string {values!r}", "Pass one label per row")
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy(dtype=None if values.dtype.kind in "biuf" else object)
    else:
        arr = np.asarray(values)
    if arr.ndim != 1:
        raise input_error(
            argument,
            f"expected one label per row, got shape {arr.shape}",
            "Pass a 1-D array of labels",
        )
    if arr.dtype.kind not in "biuf":
        arr = arr.astype(object)
    missing = pd.isna(arr)
    if missing.any():
        raise input_error(
            argument,
            f"{int(missing.sum())} label(s) are missing",
            "Fill or drop those rows first (and report them)",
        )
    uniques = pd.unique(arr)
    shown = sorted(repr(u.item() if isinstance(u, np.generic) else u) for u in uniques[:5])
    if len(uniques) > 2:
        raise input_error(
            argument,
            f"has {len(uniques)} distinct labels (e.g. {', '.join(shown)}); error "
            "rates need a binary outcome",
            f"Map it to two labels, one of them pos_label={pos_label!r}",
        )
    hit = np.asarray(arr == pos_label, dtype=bool)
    if not hit.any():
        # With 0/1 labels and pos_label 0 or 1, a class can simply be absent.  With
        # any other labels the caller has almost surely named the wrong class.
        zero_one = all(
            isinstance(u, (bool, int, float, np.bool_, np.number)) and u in (0, 1) for u in uniques
        )
        if not (zero_one and pos_label in (0, 1)):
            raise input_error(
                "pos_label",
                f"{pos_label!r} does not occur in {argument}, whose labels are {', '.join(shown)}",
                "Pass pos_label= set to the label that means the positive outcome",
            )
    return hit.astype(np.int8)


def require_sensitive_features(sensitive_features: Any) -> Any:
    """``sensitive_features``, which may default to ``None`` only to keep its position."""
    if sensitive_features is None:
        raise input_error(
            "sensitive_features",
            "is required",
            "Pass the protected attribute(s): column name(s) of data=, or labels, "
            "e.g. sensitive_features=df['sex']",
        )
    return sensitive_features


#: The gate policies of every result's ``passes``/``failing``.


def check_rule(rule: Any, alpha: Any) -> str:
    """The gate policy: ``rule``, or by default four-fifths (``"both"`` when ``alpha`` is given)."""
    if rule is None:
        return "four_fifths" if alpha is None else "both"
    return check_option(rule, "rule", RULES)


def below_ratio(ratios: Sequence[Fraction | None], min_ratio: Any) -> np.ndarray:
    """Which exact impact ratios are strictly below ``min_ratio`` (read as the decimal written).

    Groups without a ratio (``None``: excluded, or a reference rate of 0) are
    never below.

    Examples
    --------
    >>> from fractions import Fraction
    >>> below_ratio([Fraction(4, 5), Fraction(3, 4), None], 0.8).tolist()
    [False, True, False]
    """
    bound = check_min_ratio(min_ratio)
    return np.array([r is not None and r < bound for r in ratios], dtype=bool)


def check_min_ratio(min_ratio: Any) -> Fraction:
    """A gate's impact-ratio floor, exact (0.8 is 4/5), in (0, 1].

    Examples
    --------
    >>> check_min_ratio(0.8)
    Fraction(4, 5)
    """
    bound = as_fraction(min_ratio, "min_ratio")
    if not 0 < bound <= 1:
        raise input_error(
            "min_ratio",
            f"{min_ratio!r} is outside (0, 1]",
            "Pass a ratio such as 0.8 (the four-fifths rule)",
        )
    return bound


# -- scalars and options (scikit-learn's check_scalar and StrOptions, in our messages) ------


def check_scalar(
    value: Any,
    argument: str,
    kind: type | tuple[type, ...] = (int, float),
    *,
    low: float | None = None,
    high: float | None = None,
    closed: str = "both",
    example: str = "",
) -> Any:
    """A number of the right kind inside an interval, or an error naming the argument.

    Parameters
    ----------
    value : object
    argument : str
        The argument's name, for the message.
    kind : type or tuple of types, default (int, float)
        ``int`` accepts numpy integers too, ``float`` any real number; booleans
        are never numbers here.
    low, high : float, optional
        Bounds of the interval.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the interval.
    example : str, optional
        A valid value to suggest in the message, e.g. ``"cv=5"``.

    Returns
    -------
    int or float
        The value as a Python ``int`` (when ``kind`` is ``int``) or ``float``.

    Examples
    --------
    >>> from adverse_impact._core._validation import check_scalar
    >>> check_scalar(5, "cv", int, low=2)
    5
    >>> check_scalar(1, "cv", int, low=2, example="cv=5")
    Traceback (most recent call last):
    ...
    adverse_impact.InputError: cv: 1 is not an integer >= 2. Pass e.g. cv=5
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    integer = kinds == (int,)
    accepted = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    described = "an integer" if integer else "a number"
    bounds = []
    if low is not None:
        bounds.append(f"{'>=' if closed in ('both', 'left') else '>'} {low:g}")
    if high is not None:
        bounds.append(f"{'<=' if closed in ('both', 'right') else '<'} {high:g}")
    wanted = f"{described}{' ' + ' and '.join(bounds) if bounds else ''}"
    fix = f"Pass e.g. {example}" if example else f"Pass {wanted}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, accepted):
        raise type_error(argument, f"{value!r} is not {wanted}", fix)
    number = int(value) if integer else float(value)
    if not integer and not np.isfinite(number):
        raise input_error(argument, f"{value!r} is not finite", fix)
    below = low is not None and (number < low if closed in ("both", "left") else number <= low)
    above = high is not None and (number > high if closed in ("both", "right") else number >= high)
    if below or above:
        raise input_error(argument, f"{value!r} is not {wanted}", fix)
    return number


def check_option(value: Any, argument: str, options: Iterable[Any], fix: str | None = None) -> Any:
    """One of a fixed set of values (a string option), or an error listing them.

    ``fix`` replaces the default advice ("Pass argument=first or another of
    those") where the options need explaining.

    Examples
    --------
    >>> from adverse_impact._core._validation import check_option
    >>> check_option("random", "ties", ("error", "random"))
    'random'
    """
    options = tuple(options)
    try:
        known = value in options
    except TypeError:
        known = False
    if not known:
        raise input_error(
            argument,
            f"{value!r} is not one of {list(options)!r}",
            fix or f"Pass {argument}={options[0]!r} or another of those",
        )
    return value


# -- columns of a data= table ------------------------------------------------------------


def column_names(value: Any, argument: str) -> list[Any]:
    """The column names a ``data=`` argument names (one or several), each once."""
    names = [value] if isinstance(value, (str, int)) else list(value)
    if not names:
        raise input_error(
            argument, "no column was named", "Name at least one column of group labels"
        )
    if len(set(map(str, names))) != len(names):
        raise input_error(argument, f"names a column twice: {names!r}", "Name each attribute once")
    return names


def refuse_column_names(wanted: Mapping[str, Any], values: str = "the values") -> None:
    """Without ``data=`` a string is a column name with no table to find it in: refuse
    it, naming the argument (``argument -> value``); ``values`` names what to pass instead.

    The mirror of :func:`check_columns_exist`, which checks the names when there is a table.
    """
    for argument, value in wanted.items():
        if isinstance(value, str):
            raise type_error(
                argument,
                f"got the column name {value!r} but data is None",
                f"Pass data= (the table holding that column) or {values}",
            )


def check_columns_exist(columns: Sequence[Any], wanted: Mapping[str, Any]) -> None:
    """Every named column (``argument -> name``; None skipped) is one of ``columns``."""
    available = list(columns)
    for argument, name in wanted.items():
        if name is None:
            continue
        if isinstance(name, (list, tuple, np.ndarray, pd.Series)):
            raise type_error(
                argument,
                f"data was given, so this must be a column name, got {type(name).__name__}",
                "Pass the column name, or pass data=None with arrays",
            )
        if name not in available:
            raise input_error(
                argument, f"column {name!r} is not in data", f"Use one of {available[:20]!r}"
            )
