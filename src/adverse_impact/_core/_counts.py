"""The one pass over the data: reduce rows to per-group counts.

This is the only module that computes on a dataframe engine (``_frames``
only reads small inputs, such as a proxy scan's features, whole into
pandas).  Whatever holds the rows (numpy arrays, pandas, or any engine
narwhals speaks: polars, pyarrow, DuckDB, Dask, PySpark), it returns a
:class:`GroupCounts`: a
small pandas table with one row per observed combination of raw group
labels (missing labels kept as ``None``) and the number of rows and of
selected rows in each.  Everything downstream works on that table and
never learns where the counts came from.  Parquet files named by a path or
a glob are opened lazily by :mod:`adverse_impact._core._sources` and counted
here like any other lazy table; :func:`count_periods` adds the time period
as one more key of the same single pass.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_narwhals
from adverse_impact._core._groups import COUNT_COLUMNS as _COUNT_COLUMNS
from adverse_impact._core._groups import (
    PARALLEL_ROWS,
    check_attribute_names,
    check_group_count,
    factorize_columns,
    label_columns,
)
from adverse_impact._core._sources import is_path_like, open_parquet
from adverse_impact._core._validation import (
    check_aligned_indexes,
    check_binary,
    check_columns_exist,
    check_consistent_length,
    check_option,
    check_scores,
    check_weights,
    column_names,
    refuse_column_names,
)

#: Count columns of :attr:`GroupCounts.table` (defined beside the group coder that sums them).
COUNT_COLUMNS = _COUNT_COLUMNS
#: Cells (combinations of labels) fetched from an engine before the group columns are
#: checked on the engine itself; real audits have a few hundred.
MAX_CELLS = 100_000


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """Per-group counts, the only thing every statistic needs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per observed combination of labels.  Label columns hold the
        raw labels (``None`` where missing), then ``n`` (rows),
        ``selected`` (selected rows), ``weight`` and ``weight_selected``
        (sums of ``sample_weight``; equal to the counts when unweighted).
    attributes : tuple of str
        The protected-attribute columns, in the caller's order.
    strata : str or None
        The stratum column, if counts are split by stratum.
    rule : str
        How "selected" was decided: ``"selected"``, ``"threshold"`` or
        ``"scoring_rate"``.
    cutoff : float or None
        The threshold, or the sample median for the scoring rate.
    weighted : bool

    Examples
    --------
    Every audit keeps the counts it was computed from (a copy):

    >>> import adverse_impact as ai
    >>> from adverse_impact.datasets import load_eeoc_example
    >>> counts = ai.audit(load_eeoc_example(), selected="advanced",
    ...                   sensitive_features="race").counts
    >>> counts.attributes, counts.rule, counts.n_total
    (('race',), 'selected', 120)
    >>> counts.table[["race", "n", "selected"]]  # one row per cell, in the data's order
        race   n  selected
    0  White  80        48
    1  Black  40        12
    """

    table: pd.DataFrame
    attributes: tuple[str, ...]
    strata: str | None
    rule: str
    cutoff: float | None
    weighted: bool

    @property
    def n_total(self) -> int:
        return int(self.table["n"].sum())


def count_groups(
    data: Any = None,
    *,
    selected: Any = None,
    groups: Any,
    score: Any = None,
    threshold: float | None = None,
    sample_weight: Any = None,
    strata: Any = None,
) -> GroupCounts:
    """Count rows and selections per combination of group labels, in one pass."""
    rule = _decision_rule(selected, score, threshold)
    if is_path_like(data):
        data = open_parquet(data)
    if data is None:
        columns = _columns_from_arrays(selected, groups, score, sample_weight, strata)
    elif isinstance(data, pd.DataFrame):
        columns = _columns_from_pandas(data, selected, groups, score, sample_weight, strata)
    else:
        return _count_with_narwhals(
            data, selected, groups, score, threshold, sample_weight, strata, rule
        )
    return _count_in_memory(columns, rule, threshold)


def _decision_rule(selected: Any, score: Any, threshold: Any) -> str:
    if selected is not None and score is not None:
        raise input_error(
            "selected",
            "both selected= and score= were given",
            "Pass decisions as selected=, or scores as score= (with threshold= for a cut-off)",
        )
    if selected is None and score is None:
        raise input_error(
            "selected",
            "neither selected= nor score= was given",
            "Pass the decisions as selected= or the scores as score=",
        )
    if threshold is not None and score is None:
        raise input_error(
            "threshold",
            "a threshold needs scores",
            "Pass score= with threshold=, or drop threshold=",
        )
    if selected is not None:
        return "selected"
    return "scoring_rate" if threshold is None else "threshold"


# -- gathering the columns --------------------------------------------------


@dataclass
class _Columns:
    labels: dict[str, Any]  # attribute (and stratum) name -> 1-D values
    attributes: tuple[str, ...]
    strata: str | None
    selected: Any
    score: Any
    weight: Any


def _columns_from_arrays(selected, groups, score, sample_weight, strata) -> _Columns:
    refuse_column_names(
        {"selected": selected, "score": score, "sample_weight": sample_weight, "strata": strata}
    )
    labels = label_columns(groups)
    if not labels:
        raise input_error(
            "sensitive_features",
            "no protected attribute was given",
            "Pass at least one column of group labels",
        )
    attributes = tuple(labels)
    check_attribute_names(attributes)
    strata_name = None
    if strata is not None:
        strata_name = str(getattr(strata, "name", None) or "stratum")
        if strata_name in labels:
            strata_name = f"{strata_name} (stratum)"
        check_attribute_names([strata_name], "strata")
        labels[strata_name] = strata
    arrays = {**{f"sensitive_features[{k!r}]": v for k, v in labels.items()}}
    for name, value in (("selected", selected), ("score", score), ("sample_weight", sample_weight)):
        if value is not None:
            arrays[name] = value
    check_aligned_indexes(arrays)
    check_consistent_length({name: len(value) for name, value in arrays.items()})
    return _Columns(labels, attributes, strata_name, selected, score, sample_weight)


def _named_columns(
    available: Sequence[Any],
    groups: Any,
    selected: Any,
    score: Any,
    sample_weight: Any,
    strata: Any,
) -> list[Any]:
    """The group columns named, after checking every named column is in the table."""
    names = column_names(groups, "sensitive_features")
    check_columns_exist(
        available,
        {
            **{f"sensitive_features[{i}]": g for i, g in enumerate(names)},
            "selected": selected,
            "score": score,
            "sample_weight": sample_weight,
            "strata": strata,
        },
    )
    check_attribute_names(names)
    check_attribute_names([] if strata is None else [strata], "strata")
    return names


def _columns_from_pandas(data, selected, groups, score, sample_weight, strata) -> _Columns:
    if data.columns.duplicated().any():
        dupes = sorted(map(str, data.columns[data.columns.duplicated()].unique()))
        raise input_error(
            "data",
            f"has duplicate column names {dupes}",
            "Rename the columns so each name is unique",
        )
    names = _named_columns(data.columns, groups, selected, score, sample_weight, strata)
    if len(data) == 0:
        check_consistent_length({"data": 0})
    labels = {str(g): data[g] for g in names}
    strata_name = None
    if strata is not None:
        strata_name = str(strata)
        labels[strata_name] = data[strata]
    return _Columns(
        labels,
        tuple(str(g) for g in names),
        strata_name,
        None if selected is None else data[selected],
        None if score is None else data[score],
        None if sample_weight is None else data[sample_weight],
    )


# -- counting in memory: factorize, then one bincount over the cross ---------


def _cell_codes(codes: list[np.ndarray], radices: list[int], n: int, dtype: type) -> np.ndarray:
    """Mixed-radix cell number of every row; digit 0 of each attribute is "missing".

    Each attribute's codes run from -1 (missing); the +1 that shifts them to
    digits is folded into one constant added at the end, so building the
    cell numbers costs two passes per attribute, in place.
    """
    combined = np.zeros(n, dtype=dtype) if not codes else codes[0].astype(dtype)
    offset = 1
    for c, r in zip(codes[1:], radices[1:]):
        combined *= r
        combined += c
        offset = offset * r + 1
    combined += offset
    return combined


#: Rows counted as one block by :func:`_count_cells`.
BLOCK_ROWS = 1 << 18


def _count_cells(
    codes: list[np.ndarray], radices: list[int], sel: np.ndarray, dtype: type
) -> np.ndarray:
    """Rows per (cell, selected), as ``bincount(2 * cell + selected)``, block by block.

    A block's cell numbers stay in the processor's cache from the passes
    that build them to the count (a third less time than whole columns),
    and blocks run in threads (numpy releases the GIL).
    """
    n, size = len(sel), 2 * int(np.prod(radices, dtype=object))

    def block(start: int) -> np.ndarray:
        stop = min(start + BLOCK_ROWS, n)
        cells = _cell_codes([c[start:stop] for c in codes], radices, stop - start, dtype)
        cells *= 2
        cells += sel[start:stop]
        return np.bincount(cells, minlength=size)

    starts = range(0, n, BLOCK_ROWS)
    workers = min(os.cpu_count() or 1, len(starts))
    if n >= PARALLEL_ROWS and workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(block, starts))
    else:
        parts = [block(start) for start in starts]
    total = np.zeros(size, dtype=np.int64)
    for part in parts:
        total += part
    return total


def _count_in_memory(columns: _Columns, rule: str, threshold: float | None) -> GroupCounts:
    cutoff = None
    if rule == "selected":
        sel = check_binary(columns.selected, "selected")
    else:
        scores = check_scores(columns.score, "score")
        if rule == "threshold":
            cutoff = float(threshold)
            sel = (scores >= cutoff).view(np.uint8)
        else:
            # LL144 scoring rate: strictly above the median of the full sample,
            # unknown-category rows included (6 RCNY 5-300).
            cutoff = float(np.median(scores))
            sel = (scores > cutoff).view(np.uint8)
    weight = None if columns.weight is None else check_weights(columns.weight)

    names = list(columns.labels)
    # All label columns at once: text columns are coded in parallel threads.
    factorized = factorize_columns(
        [
            (
                columns.labels[name],
                f"sensitive_features[{name!r}]" if name in columns.attributes else "strata",
            )
            for name in names
        ]
    )
    codes = [c for c, _ in factorized]
    uniques = [u for _, u in factorized]
    radices = [len(u) + 1 for u in uniques]
    size = int(np.prod(radices, dtype=object))
    if weight is None and 2 * size <= max(4 * len(sel), 1 << 16):
        both = _count_cells(codes, radices, sel, np.int32 if 2 * size < 2**31 else np.int64)
        n_sel = both[1::2]
        n = both[0::2] + n_sel
        cells = np.arange(size, dtype=np.int64)
        w, w_sel = n.astype(float), n_sel.astype(float)
    else:
        combined = _cell_codes(codes, radices, len(sel), np.int64)
        if size <= max(4 * len(sel), 1 << 16):
            cells, index = np.arange(size, dtype=np.int64), combined
        else:
            cells, index = np.unique(combined, return_inverse=True)
            size = len(cells)
        n = np.bincount(index, minlength=size)
        n_sel = np.bincount(index, weights=sel, minlength=size)
        if weight is None:
            w, w_sel = n.astype(float), n_sel
        else:
            w = np.bincount(index, weights=weight, minlength=size)
            w_sel = np.bincount(index, weights=weight * sel, minlength=size)
    keep = n > 0
    cells = cells[keep]
    frame: dict[str, Any] = {}
    for name, u, r in reversed(list(zip(names, uniques, radices))):
        digit = cells % r
        cells = cells // r
        lookup = np.concatenate([np.array([None], dtype=object), u])
        frame[name] = lookup[digit]
    # One constructor call: adding the count columns one by one costs more than the
    # whole count on a few dozen cells.
    table = pd.DataFrame(
        {
            **{name: pd.Series(frame[name], dtype=object) for name in names},
            "n": n[keep].astype(np.int64),
            "selected": np.rint(n_sel[keep]).astype(np.int64),
            "weight": w[keep],
            "weight_selected": w_sel[keep],
        }
    )
    return GroupCounts(table, columns.attributes, columns.strata, rule, cutoff, weight is not None)


# -- counting on the engine, through narwhals ---------------------------------


def _count_with_narwhals(
    data, selected, groups, score, threshold, sample_weight, strata, rule
) -> GroupCounts:
    import narwhals as nw

    frame = _engine_frame(data)
    schema = frame.collect_schema()
    names = _named_columns(schema.names(), groups, selected, score, sample_weight, strata)
    keys = [str(g) for g in names] + ([str(strata)] if strata is not None else [])
    derived, cutoff, checks = _derived_columns(
        frame, schema, rule, selected, score, threshold, sample_weight
    )
    sums = [nw.len().alias("n")] + [nw.col(k).sum().alias(k) for k in derived] + checks
    aggregated = (
        frame.select(*[nw.col(k) for k in keys], **derived)
        .group_by(*keys, drop_null_keys=False)
        .agg(*sums)
    )
    table = _collect_cells(frame, aggregated, keys)
    _check_engine_totals(table, derived, frame, rule, selected, sample_weight, bool(checks))
    for k in keys:
        check_group_count(
            table[k].nunique(dropna=True), f"sensitive_features[{k!r}]" if k != strata else "strata"
        )
    out = pd.DataFrame(
        {k: pd.Series([None if _isnull(v) else v for v in table[k]], dtype=object) for k in keys}
    )
    out["n"] = table["n"].to_numpy(dtype=np.int64)
    out["selected"] = np.rint(table["__sel"].to_numpy(dtype=float)).astype(np.int64)
    if sample_weight is not None:
        out["weight"] = table["__w"].to_numpy(dtype=float)
        out["weight_selected"] = table["__ws"].to_numpy(dtype=float)
    else:
        out["weight"] = out["n"].astype(float)
        out["weight_selected"] = out["selected"].astype(float)
    return GroupCounts(
        out,
        tuple(str(g) for g in names),
        None if strata is None else str(strata),
        rule,
        cutoff,
        sample_weight is not None,
    )


def _engine_frame(data: Any) -> Any:
    """The table as a narwhals frame (eager polars made lazy, so the passes fuse)."""
    import narwhals as nw

    frame = as_narwhals(
        data,
        "data",
        "Pass a pandas, polars, pyarrow, DuckDB, Dask or PySpark table, or data=None with arrays",
    )
    if isinstance(frame, nw.DataFrame) and frame.implementation.is_polars():
        # Eager polars runs each operation as its own query; lazily, the
        # derived columns and the group-by fuse into one pass.
        frame = frame.lazy()
    return frame


def _derived_columns(
    frame: Any,
    schema: Any,
    rule: str,
    selected: Any,
    score: Any,
    threshold: Any,
    sample_weight: Any,
) -> tuple[dict[str, Any], float | None, list[Any]]:
    """The expressions summed per cell (decision, weights, validation flags), the cut-off,
    and the per-cell aggregates that check integer decisions (count, min, max)."""
    import narwhals as nw

    # Validation counts ride along in the same group-by as the counts, so the
    # engine scans the data once (twice for the scoring rate, whose median
    # must be known before anything is counted).
    cutoff = None
    derived: dict[str, Any] = {}
    checks: list[Any] = []
    if rule == "selected":
        dtype = schema[selected]
        if not (dtype == nw.Boolean or dtype.is_numeric()):
            raise type_error(
                "selected",
                f"must hold 0/1 or True/False decisions, got dtype {dtype}",
                "Map the labels to 0/1 first",
            )
        sel = nw.col(selected).cast(nw.Float64)
        if dtype.is_integer():
            # Integers are 0/1 exactly when none is missing and all lie in [0, 1]:
            # three aggregates instead of a flag on every row (about a quarter
            # of the query's time on DuckDB).
            derived["__sel"] = nw.col(selected)
            checks = [
                nw.col("__sel").count().alias("__count"),
                nw.col("__sel").min().alias("__min"),
                nw.col("__sel").max().alias("__max"),
            ]
        else:
            # One flag for every kind of bad decision (missing, NaN, not 0/1): the
            # rare failing audit pays a second query to say which kind it was.
            derived["__bad"] = (sel.is_null() | ((sel != 0) & (sel != 1))).cast(nw.Int64)
    else:
        dtype = schema[score]
        if not dtype.is_numeric():
            raise type_error(
                "score",
                f"expected numeric scores, got dtype {dtype}",
                "Pass a numeric column of scores",
            )
        value = nw.col(score).cast(nw.Float64)
        derived["__missing"] = (value.is_null() | ~value.is_finite()).cast(nw.Int64)
        if rule == "threshold":
            cutoff = float(threshold)
        else:
            found = _collect_row(frame.select(__rows=nw.len(), __median=value.median()))
            if found["__rows"] == 0:
                check_consistent_length({"data": 0})
            if found["__median"] is None or np.isnan(found["__median"]):
                raise input_error(
                    "score",
                    "some scores are NaN or missing",
                    "Fill or drop those rows before the audit (and report them)",
                )
            cutoff = _exact_median(frame, score, int(found["__rows"]), found["__median"])
        sel = (value >= cutoff) if rule == "threshold" else (value > cutoff)
        sel = sel.cast(nw.Float64)
    derived.setdefault("__sel", sel)
    if sample_weight is not None:
        weight = nw.col(sample_weight).cast(nw.Float64)
        derived["__w"] = weight
        derived["__ws"] = weight * sel
        derived["__w_bad"] = (weight.is_null() | ~weight.is_finite() | (weight < 0)).cast(nw.Int64)
    return derived, cutoff, checks


def _check_engine_totals(
    table: pd.DataFrame,
    derived: Mapping[str, Any],
    frame: Any,
    rule: str,
    selected: Any,
    sample_weight: Any,
    checks: bool,
) -> None:
    """Refuse empty data, bad decisions or scores, and bad weights, from the summed flags."""
    total = {k: float(table[k].fillna(0).sum()) for k in derived if k != "__sel"}
    if checks and len(table):
        low, high = pd.to_numeric(table["__min"]), pd.to_numeric(table["__max"])
        total["__bad"] = float(
            (table["n"] - table["__count"]).sum() + (low < 0).sum() + (high > 1).sum()
        )
    if len(table) == 0 or table["n"].sum() == 0:
        check_consistent_length({"data": 0})
    argument = "selected" if rule == "selected" else "score"
    if total.get("__bad"):
        _explain_bad_decisions(frame, selected)
    if total.get("__missing"):
        raise input_error(
            argument,
            f"{int(total['__missing'])} value(s) are missing, NaN"
            + (" or infinite" if argument == "score" else ""),
            "Fill or drop those rows before the audit (and report them)",
        )
    if sample_weight is not None:
        if total["__w_bad"]:
            raise input_error(
                "sample_weight",
                f"{int(total['__w_bad'])} weight(s) are missing, infinite or negative",
                "Pass finite, non-negative weights",
            )
        if not total["__w"] > 0:
            raise input_error(
                "sample_weight", "every weight is zero", "Pass at least one positive weight"
            )


def _collect_cells(frame: Any, aggregated: Any, keys: list[str]) -> pd.DataFrame:
    """The engine's per-cell counts as pandas, never more than ``MAX_CELLS`` rows unchecked.

    An ID-like column (ten million applicant numbers passed as a group) would
    make the group-by return one row per person.  At most ``MAX_CELLS + 1``
    cells are fetched; when there are more, the engine counts each column's
    distinct labels and the ID-like one is refused before anything large
    leaves the engine.
    """
    import narwhals as nw

    head = aggregated.head(MAX_CELLS + 1)
    if isinstance(head, nw.LazyFrame):
        head = head.collect()
    if len(head) <= MAX_CELLS:
        return head.to_pandas()
    found = _collect_row(
        frame.select(**{f"__n{i}": nw.col(k).n_unique() for i, k in enumerate(keys)})
    )
    for i, k in enumerate(keys):
        check_group_count(int(found[f"__n{i}"]), f"sensitive_features[{k!r}]")
    if isinstance(aggregated, nw.LazyFrame):
        aggregated = aggregated.collect()
    return aggregated.to_pandas()


def _explain_bad_decisions(frame: Any, selected: str) -> None:
    """Raise the error that says what is wrong with the ``selected`` column."""
    import narwhals as nw

    sel = nw.col(selected).cast(nw.Float64)
    found = _collect_row(
        frame.select(
            __missing=_count_true(sel.is_null() | sel.is_nan()),
            __fraction=_count_true((sel > 0) & (sel < 1)),
        )
    )
    if found["__missing"]:
        raise input_error(
            "selected",
            f"{int(found['__missing'])} value(s) are missing or NaN",
            "Fill or drop those rows before the audit (and report them)",
        )
    if found["__fraction"]:
        raise input_error(
            "selected",
            "holds values strictly between 0 and 1, which look like "
            "probabilities or scores, not decisions",
            "Pass them as score= with threshold=, or score= alone for the scoring rate",
        )
    raise input_error(
        "selected",
        "must hold 0/1 or True/False decisions",
        "Pass a binary column, or pass scores as score= with threshold=",
    )


def _collect_row(frame: Any) -> dict[str, Any]:
    import narwhals as nw

    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    row = frame.rows(named=True)[0]
    return {k: (0 if v is None and k != "__median" else v) for k, v in row.items()}


def _isnull(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _exact_median(frame: Any, column: str, n: int, seed: float) -> float:
    """The sample median, exactly, on the engine, starting from its own median.

    Some engines (Dask) only estimate quantiles.  The engine's estimate
    ``seed`` is checked by counting the values below and equal to it; if the
    middle order statistics are not ``seed`` itself, they are the nearest
    values on the right side of it, fetched with a sort-and-head of length
    equal to the rank error (a handful of score values, no other column).
    On engines whose median is exact this costs one counting pass.
    """
    import narwhals as nw

    value = nw.col(column).cast(nw.Float64)
    seed = float(seed)
    found = _collect_row(
        frame.select(__below=_count_true(value < seed), __equal=_count_true(value == seed))
    )
    below, equal = int(found["__below"]), int(found["__equal"])

    def order_statistic(k: int) -> float:
        if below <= k < below + equal:
            return seed
        if k < below:
            side = frame.filter(value < seed).select(value.alias("v")).sort("v", descending=True)
            take = below - k
        else:
            side = frame.filter(value > seed).select(value.alias("v")).sort("v")
            take = k - below - equal + 1
        side = side.head(take)
        if isinstance(side, nw.LazyFrame):
            side = side.collect()
        return float(side["v"].to_numpy()[take - 1])

    low, high = (n - 1) // 2, n // 2
    first = order_statistic(low)
    return first if high == low else (first + order_statistic(high)) / 2


def _count_true(condition: Any) -> Any:
    # Some engines (Spark) refuse to sum booleans.
    import narwhals as nw

    return condition.cast(nw.Int64).sum()


# -- small engine-side helpers for callers that count through count_groups --------


def engine_columns(data: Any) -> list[str] | None:
    """The column names of a table on any engine, or None when narwhals cannot read it."""
    import narwhals as nw

    try:
        frame = nw.from_native(data)
    except TypeError:
        return None
    return list(frame.collect_schema().names())


def with_column_copies(data: Any, copies: Mapping[str, Any]) -> Any:
    """The same native table with extra columns ``new = old``, computed on its engine (lazily)."""
    import narwhals as nw

    frame = nw.from_native(data)
    return frame.with_columns(**{new: nw.col(old) for new, old in copies.items()}).to_native()


def rows_out_of_order(data: Any, names: Sequence[Any], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows whose 0/1 columns ``names`` pass a stage after failing an earlier one.

    Only the offending rows' stage values come back from the engine.
    """
    import narwhals as nw

    frame = nw.from_native(data)
    condition = failed = None
    for name in names:
        passed = nw.col(name).cast(nw.Float64) == 1
        if failed is not None:
            condition = (failed & passed) if condition is None else (condition | (failed & passed))
        failed = ~passed if failed is None else (failed | ~passed)
    sample = frame.filter(condition).select(list(names)).head(limit)
    if isinstance(sample, nw.LazyFrame):
        sample = sample.collect()
    return list(sample.rows(named=True))


# -- counting by time period ----------------------------------------------------

#: The key column holding each row's period, and its value for unparseable times.
PERIOD_KEY = "__period"
UNPARSEABLE = "!unparseable"
#: Accepted periods: pandas offset, DuckDB date_trunc unit, polars truncate unit.
PERIODS = {
    "day": ("D", "day", "1d"),
    "week": ("W-SUN", "week", "1w"),
    "month": ("M", "month", "1mo"),
    "quarter": ("Q", "quarter", "1q"),
    "year": ("Y", "year", "1y"),
}


def check_period(period: Any) -> str | None:
    if period is None:
        return period
    return check_option(
        period,
        "period",
        PERIODS,
        f"Pass one of {list(PERIODS)!r}, or None to use the time values as period labels",
    )


def count_periods(
    data: Any = None,
    *,
    time: Any,
    period: str | None,
    selected: Any = None,
    groups: Any,
    score: Any = None,
    threshold: float | None = None,
    sample_weight: Any = None,
) -> GroupCounts:
    """Counts per group and period, in the same one pass as :func:`count_groups`.

    The period becomes the stratum column ``PERIOD_KEY``: the ISO date
    (``YYYY-MM-DD``) of the period's first day, ``None`` where the time is
    missing and ``UNPARSEABLE`` where it cannot be read as a date, so those
    rows are counted, never dropped.  With ``period=None`` the time values
    themselves are the period labels (e.g. a month number).
    """
    period = check_period(period)
    if is_path_like(data):
        data = open_parquet(data)
    if data is None:
        refuse_column_names({"time": time}, "the time values")
        key = _pandas_period(
            pd.Series(np.asarray(time, dtype=object) if not isinstance(time, pd.Series) else time),
            period,
        )
        return count_groups(
            None,
            selected=selected,
            groups=groups,
            score=score,
            threshold=threshold,
            sample_weight=sample_weight,
            strata=key.rename(PERIOD_KEY),
        )
    if not isinstance(time, str):
        raise type_error(
            "time",
            f"data was given, so this must be a column name, got {type(time).__name__}",
            "Pass the column name of the times",
        )
    if isinstance(data, pd.DataFrame):
        check_columns_exist(data.columns, {"time": time})
        if PERIOD_KEY in data.columns:
            raise input_error(
                "data",
                f"has a column named {PERIOD_KEY!r}, which the count uses itself",
                "Rename that column",
            )
        framed = data.assign(**{PERIOD_KEY: _pandas_period(data[time], period).to_numpy()})
    else:
        framed = _engine_period(data, time, period)
    counts = count_groups(
        framed,
        selected=selected,
        groups=groups,
        score=score,
        threshold=threshold,
        sample_weight=sample_weight,
        strata=PERIOD_KEY,
    )
    return counts if period is None else _fold_days(counts, period)


def _pandas_period(values: pd.Series, period: str | None) -> pd.Series:
    if period is None:
        return values.astype(object).where(values.notna(), None)
    if isinstance(values.dtype, pd.PeriodDtype):
        stamps = values.dt.start_time
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    elif (
        pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    ) or (
        # A list of numbers arrives as objects; pandas would read them as nanoseconds
        # since 1970 and put every row in January 1970.
        values.dtype == object
        and pd.api.types.infer_dtype(values, skipna=True)
        in ("integer", "floating", "mixed-integer", "mixed-integer-float", "decimal")
    ):
        raise type_error(
            "time",
            "holds numbers"
            + ("" if values.dtype == object else f" (dtype {values.dtype})")
            + ", not dates",
            "Pass dates or datetimes, or period=None to use the numbers as "
            "period labels (e.g. a month index)",
        )
    else:
        stamps = pd.to_datetime(values, errors="coerce", format="mixed")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    start = stamps.dt.to_period(PERIODS[period][0]).dt.start_time
    key = pd.Series(start.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), index=values.index)
    missing = values.isna().to_numpy() | values.astype(str).str.strip().eq("").to_numpy()
    key[stamps.isna().to_numpy() & ~missing] = UNPARSEABLE
    key[missing] = None
    return key


def _engine_period(data: Any, time: str, period: str | None) -> Any:
    """The lazy table with the period key added, in the engine's own language."""
    import narwhals as nw

    frame = as_narwhals(
        data,
        "data",
        "Pass a pandas, polars, pyarrow, DuckDB, Dask or PySpark table, or a Parquet path",
    )
    schema = frame.collect_schema()
    check_columns_exist(schema.names(), {"time": time})
    if PERIOD_KEY in schema.names():
        raise input_error(
            "data",
            f"has a column named {PERIOD_KEY!r}, which the count uses itself",
            "Rename that column",
        )
    dtype = schema[time]
    if period is None:
        return frame.with_columns(nw.col(time).alias(PERIOD_KEY)).to_native()
    if dtype.is_numeric():
        raise type_error(
            "time",
            f"holds numbers (dtype {dtype}), not dates",
            "Pass dates or datetimes, or period=None to use the numbers as "
            "period labels (e.g. a month index)",
        )
    _, unit, every = PERIODS[period]
    if frame.implementation.is_duckdb():
        column = '"' + time.replace('"', '""') + '"'
        if dtype in (nw.Date, nw.Datetime) or isinstance(dtype, nw.Datetime):
            # Count by day (a few thousand keys over years); the days are folded into
            # periods on the small count table, cheaper than truncating every row.
            if getattr(dtype, "time_zone", None):
                # Zoned times fall into the UTC day, as in the pandas path.
                column = f"timezone('UTC', {column})"
            return data.project(f"*, CAST({column} AS DATE) AS {PERIOD_KEY}")
        parsed = f"TRY_CAST({column} AS TIMESTAMP)"
        return data.project(
            f"*, CASE WHEN {column} IS NULL THEN NULL WHEN {parsed} IS NULL THEN "
            f"'{UNPARSEABLE}' ELSE strftime(date_trunc('{unit}', {parsed}), '%Y-%m-%d') END "
            f"AS {PERIOD_KEY}"
        )
    if frame.implementation.is_polars():
        import polars as pl

        native = data.lazy() if isinstance(data, pl.DataFrame) else data
        raw = pl.col(time)
        if dtype != nw.String:
            if getattr(dtype, "time_zone", None):
                raw = raw.dt.convert_time_zone("UTC")
            return native.with_columns(raw.cast(pl.Date).alias(PERIOD_KEY))
        parsed = raw.str.to_datetime(strict=False)
        return native.with_columns(
            pl.when(raw.is_null())
            .then(None)
            .when(parsed.is_null())
            .then(pl.lit(UNPARSEABLE))
            .otherwise(parsed.dt.truncate(every).dt.strftime("%Y-%m-%d"))
            .alias(PERIOD_KEY)
        )
    if dtype not in (nw.Date, nw.Datetime) and not isinstance(dtype, nw.Datetime):
        raise type_error(
            "time",
            f"has dtype {dtype}; this engine's times must be dates or datetimes",
            "Parse the column to dates first, or pass a Parquet "
            "path (text times are parsed there, unparseable ones counted)",
        )
    key = nw.col(time)
    if getattr(dtype, "time_zone", None):
        key = key.dt.convert_time_zone("UTC")
    key = key.cast(nw.Date)
    return frame.with_columns(key.alias(PERIOD_KEY)).to_native()


def _fold_days(counts: GroupCounts, period: str) -> GroupCounts:
    """Keys counted as days folded into their periods (``YYYY-MM-DD`` of the first day).

    Runs on the count table, whose rows are label combinations times days: a
    few thousand, however many rows were counted.  Text keys (already periods,
    or ``UNPARSEABLE``) pass through.
    """
    import dataclasses
    import datetime as dt

    table = counts.table
    keys = table[PERIOD_KEY].to_numpy(dtype=object)
    is_day = np.fromiter(
        (isinstance(v, (dt.date, pd.Timestamp, np.datetime64)) for v in keys),
        dtype=bool,
        count=len(keys),
    )
    if not is_day.any():
        return counts
    days = pd.to_datetime(pd.Series([pd.Timestamp(v) for v in keys[is_day]], dtype=object))
    starts = days.dt.to_period(PERIODS[period][0]).dt.start_time.dt.strftime("%Y-%m-%d")
    folded = keys.copy()
    folded[is_day] = starts.to_numpy(dtype=object)
    labels = [c for c in table.columns if c not in COUNT_COLUMNS]
    columns = [table[c].to_numpy(dtype=object) for c in labels if c != PERIOD_KEY]
    values = table[list(COUNT_COLUMNS)].to_numpy(dtype=float)
    sums: dict[tuple, np.ndarray] = {}
    first: dict[tuple, tuple] = {}
    for row in range(len(table)):
        cell = tuple(None if _isnull(c[row]) else c[row] for c in columns) + (folded[row],)
        # The type is part of the key: 1 and "1" are different labels.
        key = tuple((type(v).__name__, v) for v in cell)
        if key in sums:
            sums[key] += values[row]
        else:
            sums[key], first[key] = values[row].copy(), cell
    out = pd.DataFrame(
        {
            name: pd.Series([first[k][i] for k in sums], dtype=object)
            for i, name in enumerate([c for c in labels if c != PERIOD_KEY] + [PERIOD_KEY])
        }
    )
    data = np.array(list(sums.values())).reshape(len(sums), len(COUNT_COLUMNS))
    out["n"] = np.rint(data[:, 0]).astype(np.int64)
    out["selected"] = np.rint(data[:, 1]).astype(np.int64)
    out["weight"], out["weight_selected"] = data[:, 2], data[:, 3]
    return dataclasses.replace(counts, table=out)
