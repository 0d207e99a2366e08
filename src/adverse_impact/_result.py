"""The immutable result of an audit."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._counts import GroupCounts
from adverse_impact._validation import as_fraction

__all__ = ["AuditResult"]

_SHOWN = ["attribute", "group", "n", "selected", "rate", "impact_ratio", "four_fifths_flag",
          "note"]


def jsonable(value: Any) -> Any:
    """Plain Python for JSON: numpy scalars unwrapped, NaN and NA as None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Fraction):
        return float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


class AuditResult:
    """Selection rates and impact ratios by group; immutable.

    Returned by :func:`adverse_impact.audit`.  Every number in it is derived
    from per-group counts; it holds no row of the input data.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (attribute, group): ``attribute``, ``group``, ``n``,
        ``selected``, ``rate``, ``impact_ratio``, ``is_reference``,
        ``excluded``, ``four_fifths_flag``, ``share`` (of the attribute's known
        rows), ``note`` (why a ratio is missing or a group excluded), and, when
        weighted, ``n_weighted`` and ``selected_weighted``.  A copy is
        returned on every access.
    unknown : Mapping[str, int]
        Rows in the unknown category, per attribute (and intersection).
    n_total : int
        Rows audited, unknown included.
    params : Mapping[str, object]
        The audit's settings (decision rule, cut-off, reference, ...).
    counts : GroupCounts
        The per-group counts everything was computed from.
    error_rates : pandas.DataFrame or None
        Per-group error rates when outcomes were known (see
        :func:`adverse_impact.audit_model`), else None.
    pooled : pandas.DataFrame or None
        Per-group results pooled across strata, when the audit had strata.
    """

    __slots__ = ("_table", "_unknown", "_n_total", "_params", "_ratios", "_counts",
                 "_error_rates", "_pooled")

    def __init__(self, table: pd.DataFrame, *, unknown: Mapping[str, int], n_total: int,
                 params: Mapping[str, Any], ratios: tuple[Fraction | None, ...],
                 counts: GroupCounts, error_rates: pd.DataFrame | None = None,
                 pooled: pd.DataFrame | None = None) -> None:
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_unknown", MappingProxyType(dict(unknown)))
        object.__setattr__(self, "_n_total", int(n_total))
        object.__setattr__(self, "_params", MappingProxyType(dict(params)))
        object.__setattr__(self, "_ratios", tuple(ratios))
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_error_rates", error_rates)
        object.__setattr__(self, "_pooled", pooled)

    def _replace(self, **changes: Any) -> AuditResult:
        """A new result with some parts replaced (results are immutable)."""
        parts = {
            "table": self._table, "unknown": self._unknown, "n_total": self._n_total,
            "params": self._params, "ratios": self._ratios, "counts": self._counts,
            "error_rates": self._error_rates, "pooled": self._pooled,
        }
        parts.update(changes)
        table = parts.pop("table")
        return AuditResult(table, **parts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("AuditResult is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("AuditResult is immutable")

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def unknown(self) -> Mapping[str, int]:
        return self._unknown

    @property
    def n_total(self) -> int:
        return self._n_total

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def counts(self) -> GroupCounts:
        return self._counts

    @property
    def error_rates(self) -> pd.DataFrame | None:
        return None if self._error_rates is None else self._error_rates.copy()

    @property
    def pooled(self) -> pd.DataFrame | None:
        return None if self._pooled is None else self._pooled.copy()

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attributes audited, intersection last."""
        return tuple(dict.fromkeys(self._table["attribute"]))

    @property
    def exact_ratios(self) -> tuple[Fraction | None, ...]:
        """Impact ratios as exact fractions of the counts, aligned with ``table``.

        ``None`` where no ratio is defined (excluded group, reference rate 0).
        """
        return self._ratios

    def _below(self, min_ratio: float | Fraction) -> np.ndarray:
        bound = as_fraction(min_ratio, "min_ratio")
        if not 0 < bound <= 1:
            from adverse_impact._errors import input_error

            raise input_error("min_ratio", f"{min_ratio!r} is outside (0, 1]",
                              "Pass a ratio such as 0.8 (the four-fifths rule)")
        return np.array([r is not None and r < bound for r in self._ratios], dtype=bool)

    def passes(self, min_ratio: float | Fraction = 0.8) -> bool:
        """True when no group's impact ratio is strictly below ``min_ratio``.

        The comparison is exact: ``min_ratio`` is read as the decimal written
        (0.8 is exactly 4/5) and each ratio is a fraction of integer counts.
        Groups without a ratio (excluded under ``min_share``, or a reference
        rate of 0, meaning nobody in any eligible group was selected) cannot
        fail.
        """
        return not bool(self._below(min_ratio).any())

    def flagged(self, min_ratio: float | Fraction = 0.8) -> pd.DataFrame:
        """The rows whose impact ratio is strictly below ``min_ratio``."""
        return self._table.loc[self._below(min_ratio)].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The table as a tidy DataFrame (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Every number and setting as JSON-serialisable Python objects."""
        rows = [{k: jsonable(v) for k, v in row.items()}
                for row in self._table.to_dict(orient="records")]
        out = {
            "n_total": self._n_total,
            "unknown": jsonable(dict(self._unknown)),
            "params": jsonable(dict(self._params)),
            "table": rows,
        }
        for name, frame in (("error_rates", self._error_rates), ("pooled", self._pooled)):
            if frame is not None:
                out[name] = [{k: jsonable(v) for k, v in row.items()}
                             for row in frame.to_dict(orient="records")]
        return out

    def _headline(self) -> str:
        n_flagged = int(self._below(Fraction(4, 5)).sum())
        n_groups = len(self._table)
        attrs = len(self.attributes)
        unknown = ", ".join(f"{k} {v:,}" for k, v in self._unknown.items() if v)
        tail = f"; unknown: {unknown}" if unknown else ""
        return (f"AuditResult: {n_flagged} of {n_groups} groups below 4/5 across {attrs} "
                f"attribute{'s' if attrs != 1 else ''} (n_total={self._n_total:,}{tail})")

    def _display_frame(self, limit: int = 60) -> pd.DataFrame:
        shown = self._table[[c for c in _SHOWN if c in self._table.columns]]
        return shown.head(limit)

    def __repr__(self) -> str:
        frame = self._display_frame()
        body = frame.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
        more = len(self._table) - len(frame)
        suffix = f"\n... {more} more rows" if more > 0 else ""
        return f"{self._headline()}\n{body}{suffix}"

    def _repr_html_(self) -> str:
        frame = self._display_frame()
        table = frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.3f}",
                              border=0, classes="adverse-impact")
        return f"<div><p><strong>{html.escape(self._headline())}</strong></p>{table}</div>"
