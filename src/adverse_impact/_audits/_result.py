"""The immutable result of an audit."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._audits import PUBLIC
from adverse_impact._core._counts import GroupCounts
from adverse_impact._core._errors import input_error
from adverse_impact._core._frozen import Copied, read_only, reduce_by_fields
from adverse_impact._core._groups import ATTRIBUTE_SEP, LABEL_SEP
from adverse_impact._core._render import (
    READER_COLUMNS,
    TEXT_WIDTH,
    Footnotes,
    audit_rows,
    decision_rule,
    family_text,
    jsonable,
    legend,
    pooled_rows,
    scoring_median,
    text_table,
    wrap,
)
from adverse_impact._core._shape import ResultShape
from adverse_impact._core._validation import below_ratio
from adverse_impact._stats._gate import (
    GateArguments,
    GateVerdict,
    RowGated,
    gate_arguments,
    notes_for,
    row_detail,
)
from adverse_impact._stats._gate import verdict as gate_verdict
from adverse_impact._stats._significance import FLAG_COLUMNS

__all__ = [
    *PUBLIC["_result"],
    "PENDING",
    "amended",
    "counts_from_dict",
    "counts_to_dict",
    "deferred",
    "NULLABLE_FLAGS",
]

#: Boolean table columns that are NA where a row is not judged or not tested.
NULLABLE_FLAGS = (*FLAG_COLUMNS, "four_fifths_flag", "significant_adjusted")


#: Rows shown by ``print(result)`` and in a notebook before "... more rows".
_DISPLAY_ROWS = 60


def _copy_frame(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None else frame.copy()


def _copy_counts(counts: GroupCounts) -> GroupCounts:
    return dataclasses.replace(counts, table=counts.table.copy())


class _Pending:
    """``params["family"]`` of an audit whose family test has not run yet (see :func:`deferred`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<family test not run yet>"


PENDING = _Pending()


class _AfterFamily(Copied):
    """A field read once the audit's pending family test has run (see :func:`deferred`).

    Kept in the slot ``_stored_<name>``; the slot ``_<name>`` names the
    completed value for the result's own methods.
    """

    __slots__ = ()

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_stored_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is not None:
            obj._complete()
        return Copied.__get__(self, obj, owner)


def _same(value: Any) -> Any:
    return value


# Slots are listed in the class body: ``slots=True`` would turn the Copied
# fields into plain slots that hand out the frames themselves.
@dataclass(frozen=True, eq=False)
class AuditResult(RowGated, ResultShape):
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
    unknown : dict[str, int]
        Rows in the unknown category, per attribute (and intersection); a
        copy.
    n_total : int
        Rows audited, unknown included.
    params : Mapping[str, object]
        The audit's settings (decision rule, cut-off, reference, ...), read-only.
    ratios : tuple of Fraction or None
        The exact impact ratios, aligned with ``table`` (see
        :attr:`exact_ratios`).
    counts : GroupCounts
        The per-group counts everything was computed from (a copy).
    error_rates : pandas.DataFrame or None
        Per-group error rates when outcomes were known (see
        :func:`adverse_impact.audit_model`), else None.
    pooled : pandas.DataFrame or None
        Per-group results pooled across strata, when the audit had strata.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact.datasets import load_eeoc_example
    >>> result = ai.audit(load_eeoc_example(), selected="advanced", sensitive_features="race")
    >>> result.passes()
    False
    >>> result.to_frame().loc[result.failing(), ["group", "rate", "impact_ratio"]]
       group  rate  impact_ratio
    0  Black   0.3           0.5
    >>> result.table = None
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'table'
    """

    __slots__ = (
        "_stored_table",
        "_unknown",
        "n_total",
        "_stored_params",
        "ratios",
        "_counts",
        "_error_rates",
        "_pooled",
        "_pending",
    )

    # The constructor's arguments, as dataclasses.replace and pickling use them.
    # Frames and mappings are kept in the slots ``_<name>`` and read as copies;
    # ``table`` and ``params`` wait for the family test when it is pending.
    table: pd.DataFrame = _AfterFamily(pd.DataFrame.copy)
    _: KW_ONLY
    unknown: Mapping[str, int] = Copied(dict)
    n_total: int
    params: Mapping[str, Any] = _AfterFamily(_same)
    ratios: tuple[Fraction | None, ...]
    counts: GroupCounts = Copied(_copy_counts)
    error_rates: pd.DataFrame | None = Copied(_copy_frame, default=None)
    pooled: pd.DataFrame | None = Copied(_copy_frame, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pending", None)
        object.__setattr__(self, "_unknown", read_only(self._unknown))
        object.__setattr__(self, "n_total", int(self.n_total))
        object.__setattr__(self, "_stored_params", read_only(self._stored_params))
        object.__setattr__(self, "ratios", tuple(self.ratios))

    __reduce__ = reduce_by_fields

    def _complete(self) -> None:
        """Run the pending family test once and add its columns and description."""
        pending = self._pending
        if pending is None:
            return
        p_values, significant, family = pending.run()
        table = self._stored_table.copy()
        table["p_value_adjusted"] = np.asarray(p_values, dtype=float)
        table["significant_adjusted"] = pd.array(significant, dtype="boolean")
        params = dict(self._stored_params)
        params["family"] = family
        # The same values every time (the draws' seed derives from the counts), so two
        # threads completing at once write the same thing.
        object.__setattr__(self, "_stored_table", table)
        object.__setattr__(self, "_stored_params", read_only(params))
        object.__setattr__(self, "_pending", None)

    @property
    def _table(self) -> pd.DataFrame:
        """The table, family test included (not a copy: for the result's own reading)."""
        self._complete()
        return self._stored_table

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attributes audited, intersection last."""
        return tuple(dict.fromkeys(self._stored_table["attribute"]))

    @property
    def exact_ratios(self) -> tuple[Fraction | None, ...]:
        """Impact ratios as exact fractions of the counts, aligned with ``table``.

        ``None`` where no ratio is defined (excluded group, reference rate 0).
        """
        return self.ratios

    def _below(self, min_ratio: float | Fraction) -> np.ndarray:
        return below_ratio(self.ratios, min_ratio)

    def _significant(self, alpha: float | None) -> np.ndarray:
        """Significantly lower *as a member of the gate's family* (adjusted p-values)."""
        if "p_value_adjusted" not in self._table:
            raise input_error(
                "rule",
                "this result has no family-adjusted p-values (it was built by an "
                "older version, or without them), so a significance rule cannot be "
                "decided with a known error rate",
                'Re-run the audit on the same data, or use rule="four_fifths"',
            )
        from adverse_impact._stats._significance import check_alpha

        alpha = self.params.get("alpha", 0.05) if alpha is None else check_alpha(alpha)
        p_value = self._table["p_value_adjusted"].to_numpy(dtype=float)
        significant = self._table["significant_adjusted"].fillna(False).to_numpy(dtype=bool)
        if alpha == self.params.get("alpha"):
            return significant
        # At another level: the same family, read at that alpha; a group above its
        # reference (a fixed one) is never "lower", however small its p-value.
        shortfall = self._table["rate"].to_numpy(dtype=float) < self._reference_rates()
        return (np.nan_to_num(p_value, nan=1.0) < alpha) & shortfall

    def _reference_rates(self) -> np.ndarray:
        table = self._table
        reference = table.loc[table["is_reference"].astype(bool), ["attribute", "rate"]]
        rates = dict(zip(reference["attribute"], reference["rate"]))
        return table["attribute"].map(rates).to_numpy(dtype=float)

    def _cannot_judge(self) -> str | None:
        """Why no gate can decide this audit (no one or everyone selected), or None."""
        counts = self._counts.table
        if self._counts.weighted:
            chosen, total = float(counts["weight_selected"].sum()), float(counts["weight"].sum())
        else:
            chosen, total = int(counts["selected"].sum()), int(counts["n"].sum())
        if chosen == 0:
            return (
                f"no one was selected (0 of {self.n_total:,}), so every rate is 0 and no "
                "impact ratio is defined"
            )
        if chosen >= total:
            return (
                f"everyone was selected ({self.n_total:,} of {self.n_total:,}), so every "
                "rate is 1 and the decisions do not select at all"
            )
        return None

    def _gate_arguments(self, min_ratio: Any, alpha: Any, rule: Any) -> GateArguments:
        return gate_arguments(
            min_ratio,
            alpha,
            rule,
            result="AuditResult",
            default_alpha=self._stored_params.get("alpha", 0.05),
        )

    def _failing(self, arguments: GateArguments) -> np.ndarray:
        reason = self._cannot_judge()
        if reason is not None:
            raise input_error(
                "selected",
                f"{reason}; the gate cannot judge these decisions",
                "Check the decision column (or the threshold) and audit decisions that "
                "select some candidates and not others",
            )
        rule = arguments.rule
        if rule == "four_fifths":
            return self._below(arguments.min_ratio)
        significant = self._significant(arguments.alpha)
        if rule == "significance":
            return significant
        below = self._below(arguments.min_ratio)
        return below & significant if rule == "both" else below | significant

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict, with its rule, family and correction named.

        What a CI gate, the command line and the audit log report: pass or
        fail, the failing groups with their figures, the rule, and the family
        of comparisons with the correction behind a significance rule.
        ``passes(...)`` is exactly ``gate(...).passes``.

        Parameters
        ----------
        min_ratio : float or Fraction, default 0.8
            A group is *below* when its impact ratio is strictly less than
            this.  The comparison is exact: ``min_ratio`` is read as the
            decimal written (0.8 is exactly 4/5) and each ratio is a fraction
            of integer counts.  Groups without a ratio (excluded under
            ``min_share``, or a reference rate of 0) are never below.
        alpha : float, optional
            Significance level of the family.  ``None`` uses the audit's own
            ``alpha`` (its ``significant_adjusted`` column); a value re-reads
            ``p_value_adjusted`` at that level.
        rule : {"four_fifths", "significance", "both", "either"}, optional
            ``"four_fifths"``: fail when a group is below ``min_ratio`` (the
            Uniform Guidelines' rule of thumb; the default without
            ``alpha``).  ``"significance"``: fail when a group's rate is
            significantly lower, as one of the family of comparisons the gate
            makes: every group of every attribute and intersection against
            the highest rate (``p_value_adjusted < alpha``; the family and its
            correction are in ``params["family"]``).  On fair data it fails at
            most ``alpha`` of the time (measured in docs/which-test.md).
            ``"both"``: fail only when a group is below *and* significantly
            lower (the default when ``alpha`` is given; fewer false alarms on
            small samples).  ``"either"``: fail on either finding (the
            cautious policy).

        Raises
        ------
        InputError
            When no one (or everyone) was selected: nothing can be judged.

        Examples
        --------
        Small numbers: 2 of 10 women and 5 of 10 men advance.  The ratio is
        0.4, far below four-fifths, but Fisher's exact test is far from
        significant.

        >>> import adverse_impact as ai
        >>> small = ai.audit(selected=[1] * 2 + [0] * 8 + [1] * 5 + [0] * 5,
        ...                  sensitive_features={"sex": ["F"] * 10 + ["M"] * 10})
        >>> small.passes()
        False
        >>> small.passes(alpha=0.05)
        True
        >>> small.passes(rule="either")
        False

        The verdict names the rule, the family and its correction:

        >>> import adverse_impact as ai
        >>> from adverse_impact.datasets import load_eeoc_example
        >>> result = ai.audit(load_eeoc_example(), selected="advanced", sensitive_features="race")
        >>> verdict = result.gate(alpha=0.05)
        >>> verdict.passes, verdict.failing
        (False, ('race=Black',))
        >>> print(verdict.describe())  # doctest: +NORMALIZE_WHITESPACE
        fails: 1 group (race=Black); rule both: impact ratio below 0.8 and significantly
        lower at alpha 0.05; family: 1 comparison (race) against the highest rate;
        Westfall-Young maxT step-down (9,999 null draws), alpha 0.05
        """
        arguments = self._gate_arguments(min_ratio, alpha, rule)
        # The four-fifths rule reads no p-value: it does not wait for the family test.
        table = self._stored_table if arguments.rule == "four_fifths" else self._table
        failing = self._failing(arguments)
        rows = table.loc[failing]
        details = [
            row_detail(row, arguments.rule, below=below, min_ratio=arguments.min_ratio)
            for row, below in zip(
                rows.to_dict(orient="records"), self._below(arguments.min_ratio)[failing]
            )
        ]
        return gate_verdict(
            arguments,
            min_ratio,
            (f"{a}={g}" for a, g in zip(rows["attribute"], rows["group"])),
            family=(
                family_text(self.params.get("family"), arguments.alpha)
                if arguments.rule != "four_fifths"
                else ""
            ),
            details=details,
            notes=notes_for(details),
        )

    def flagged(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> pd.DataFrame:
        """The rows that fail the gate (by default, impact ratio below ``min_ratio``).

        The columns a reader needs come first: attribute, group, counts, rate,
        impact ratio and its interval, the p-value, whether it is significant,
        the shortfall, the small-numbers checks (``flip_flop``,
        ``detectable``) and the note; every other column follows.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30 + [0] * 20,
        ...                   sensitive_features={"sex": ["F"] * 50 + ["M"] * 50})
        >>> list(result.flagged().columns[:6])
        ['attribute', 'group', 'n', 'selected', 'rate', 'impact_ratio']
        """
        rows = self._table.loc[self.failing(min_ratio, alpha, rule)].reset_index(drop=True)
        first = [c for c in READER_COLUMNS if c in rows.columns]
        out = rows[first + [c for c in rows.columns if c not in first]]
        # Which rule, family and correction chose these rows travels with them.
        out.attrs["gate"] = self.gate(min_ratio, alpha, rule).describe()
        return out

    def to_frame(self) -> pd.DataFrame:
        """The table as a tidy DataFrame (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Every number and setting as JSON-serialisable Python objects."""
        rows = [
            {k: jsonable(v) for k, v in row.items()}
            for row in self._table.to_dict(orient="records")
        ]
        out = {
            "n_total": self.n_total,
            "unknown": jsonable(dict(self._unknown)),
            "params": jsonable(dict(self.params)),
            "table": rows,
        }
        for name, frame in (("error_rates", self._error_rates), ("pooled", self._pooled)):
            if frame is not None:
                out[name] = [
                    {k: jsonable(v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")
                ]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditResult:
        """Rebuild a result from :meth:`to_dict` output (as kept by an audit log).

        The exact ratios are recomputed from the integer counts (from the
        weighted sums when weighted), so :meth:`passes` decides exactly as
        the original did.  ``counts`` comes from ``data["counts"]`` when
        present (an :class:`~adverse_impact.AuditLog` stores it, see
        :func:`counts_to_dict`); otherwise from the table's rows of the last
        attribute (the intersection), known groups only.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M",
        ...                   "M"]})
        >>> again = ai.AuditResult.from_dict(result.to_dict())
        >>> again.to_dict() == result.to_dict(), again.exact_ratios
        (True, (Fraction(1, 2), Fraction(1, 1)))
        """
        rows = [dict(row) for row in data["table"]]
        table = _table_from_rows(rows)
        params = dict(data.get("params", {}))
        weighted = bool(params.get("weighted", False))
        ratios = _exact_ratios_from_rows(rows, weighted)
        if "counts" in data:
            counts = counts_from_dict(data["counts"])
        else:
            counts = _counts_from_rows(rows, params, weighted)
        frames = {}
        for name in ("error_rates", "pooled"):
            if data.get(name) is not None:
                frames[name] = _frame_from_records(data[name])
        return cls(
            table,
            unknown=dict(data.get("unknown", {})),
            n_total=int(data["n_total"]),
            params=params,
            ratios=ratios,
            counts=counts,
            **frames,
        )

    def to_markdown(
        self,
        *,
        min_cell: int | None = None,
        data_source: str | None = None,
        audit_date: str | None = None,
        data_type: str = "historical",
        path: str | None = None,
        title: str | None = None,
    ) -> str:
        """The NYC Local Law 144 bias-audit summary, as Markdown ready to publish.

        One table per attribute and one for the intersection, each with the
        number of applicants, the number selected (or scoring above the
        median), the rate and the impact ratio; the date, the data source,
        the unknown-category counts, and every excluded category with its
        reason (6 RCNY 5-301 to 5-303).

        Parameters
        ----------
        min_cell : int, optional
            Show counts below this as ``"<k"`` and withhold the rates and
            ratios that would reveal them.
        data_source : str, optional
            Where the data came from, e.g. ``"applicants 2025, ATS export"``.
        audit_date : str, optional
            ISO date of the audit; default today (UTC).
        data_type : str, default "historical"
            ``"historical"`` or ``"test"`` data (6 RCNY 5-302).
        path : str or path, optional
            Also write the text there, atomically.
        title : str, optional
            The first heading; default "Bias audit summary".

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M",
        ...                   "M"]})
        >>> print(result.to_markdown(audit_date="2026-01-15").splitlines()[4])
        - **Date of the audit:** 2026-01-15
        """
        from adverse_impact._publish import _report

        text = _report.render_markdown(
            self,
            min_cell=min_cell,
            data_source=data_source,
            audit_date=audit_date,
            data_type=data_type,
            title=title,
        )
        return _written(text, path)

    def to_html(
        self,
        path: str | None = None,
        *,
        min_cell: int | None = None,
        title: str | None = None,
        sweep: Any = None,
        proxies: Any = None,
        data_source: str | None = None,
        audit_date: str | None = None,
        data_type: str | None = None,
    ) -> str:
        """One self-contained HTML page: tables and charts, no network fetches.

        Per attribute: the table, the selection rates with 95% Wilson
        intervals and the impact ratios against the 0.8 line, flagged groups
        in red; the pooled strata results when present; optionally a
        threshold sweep (``sweep=``, from :func:`adverse_impact.threshold_sweep`)
        and the top proxies (``proxies=``, any result with ``to_frame()``).
        ``data_source``, ``audit_date`` and ``data_type`` ("historical" or
        "test") are stated under the title when given.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M",
        ...                   "M"]})
        >>> page = result.to_html()
        >>> page.startswith("<!DOCTYPE html>"), "<svg" in page
        (True, True)
        """
        from adverse_impact._publish import _report

        text = _report.render_html(
            self,
            min_cell=min_cell,
            title=title,
            sweep=sweep,
            proxies=proxies,
            data_source=data_source,
            audit_date=audit_date,
            data_type=data_type,
        )
        return _written(text, path)

    def to_json(
        self, path: str | None = None, *, min_cell: int | None = None, indent: int | None = 2
    ) -> str:
        """Every number, the settings, the library version, the time and a fingerprint.

        The fingerprint is a SHA-256 of the per-group counts (see
        :func:`adverse_impact._publish._report.fingerprint`), equal for two audits of
        the same counts.  No row of input data is included.

        Examples
        --------
        >>> import json
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M",
        ...                   "M"]})
        >>> report = json.loads(result.to_json())
        >>> report["table"][0]["group"], report["fingerprint"][:7]
        ('F', 'sha256:')
        """
        from adverse_impact._publish import _report

        return _written(_report.render_json(self, min_cell=min_cell, indent=indent), path)

    def to_ll144(
        self,
        *,
        audit_date: Any = None,
        distribution_date: Any = None,
        data_source: str | None = None,
        data_kind: str = "historical",
        test_data_explanation: str | None = None,
        tool: str | None = None,
        employer: str | None = None,
        auditor: str | None = None,
        title: str | None = None,
    ) -> Any:
        """The NYC Local Law 144 publication packet of this audit (6 RCNY 5-303).

        Parameters
        ----------
        audit_date, distribution_date : str or date
            Required: the date of the audit and the distribution date of the
            tool, as ISO dates.
        data_source : str
            Required: the source and an explanation of the data.
        data_kind : {"historical", "test"}, default "historical"
        test_data_explanation : str, optional
            Required with ``data_kind="test"``: why historical data was not
            used and how the test data was made (6 RCNY 5-302(b)).
        tool, employer, auditor : str, optional
        title : str, optional
            The packet's title (default "Bias audit summary", with the tool's name).

        Returns
        -------
        LL144Packet
            Renders with ``to_markdown()``, ``to_html()`` and ``to_json()``.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M",
        ...                   "M"]})
        >>> packet = result.to_ll144(audit_date="2026-11-30", distribution_date="2026-01-05",
        ...                          data_source="ATS export, 2025 applicants")
        >>> packet.to_markdown().splitlines()[6]
        '- **Date of the bias audit:** 2026-11-30'
        """
        from adverse_impact._publish._ll144 import build_packet

        return build_packet(
            [(None, self)],
            audit_date=audit_date,
            distribution_date=distribution_date,
            data_source=data_source,
            data_kind=data_kind,
            test_data_explanation=test_data_explanation,
            tool=tool,
            employer=employer,
            auditor=auditor,
            title=title,
        )

    def _headline(self) -> str:
        n_flagged = int(self._below(Fraction(4, 5)).sum())
        n_groups = len(self._stored_table)
        attrs = len(self.attributes)
        unknown = ", ".join(f"{k} {v:,}" for k, v in self._unknown.items() if v)
        tail = f"; unknown: {unknown}" if unknown else ""
        return (
            f"AuditResult: {n_flagged} of {n_groups} groups below 4/5 across {attrs} "
            f"attribute{'s' if attrs != 1 else ''} (n_total={self.n_total:,}{tail})"
        )

    def _p_column(self) -> str | None:
        column = {
            "fisher": "p_value_fisher",
            "fisher_midp": "p_value_fisher_midp",
            "z": "p_value_z",
        }.get(self.params.get("test") or "")
        return column if column in self._table.columns else None

    def _display(self) -> tuple[list[dict[str, Any]], Footnotes, int]:
        """Display records of the first rows, their notes, and how many rows are not shown."""
        notes = Footnotes()
        shown = self._table.head(_DISPLAY_ROWS)
        records = audit_rows(
            shown, notes, alpha=self.params.get("alpha"), p_column=self._p_column()
        )
        return records, notes, len(self._table) - len(shown)

    def __repr__(self) -> str:
        records, notes, more = self._display()
        p_column = self._p_column()
        header = ["", "group", "n", "selected", "rate", "impact ratio"]
        keys = ["mark", "label", "n", "selected", "rate", "ratio"]
        if p_column:
            header.append("p-value")
            keys.append("p")
        header.append("notes")
        keys.append("notes")
        # The label column gets what the other columns, as wide as their cells, leave.
        others = [i for i in range(len(keys)) if keys[i] != "label"]
        fixed = sum(max([len(header[i])] + [len(r[keys[i]]) for r in records]) + 2 for i in others)
        label_width = max(12, TEXT_WIDTH - fixed)
        lines = [wrap(self._headline())]
        for rule in (
            decision_rule(self.params, self.n_total),
            scoring_median(self.params, self.n_total),
        ):
            if rule:
                lines.append(wrap(rule))
        for attribute in self.attributes:
            rows = [[r[k] for k in keys] for r in records if r["attribute"] == attribute]
            if not rows:
                continue
            lines += [
                "",
                f"{attribute}:",
                text_table(
                    header,
                    rows,
                    left=(0, 1, len(header) - 1),
                    max_width=[None, label_width] + [None] * (len(header) - 2),
                ),
            ]
        if more > 0:
            lines.append(f"... {more} more rows (result.to_frame() has them all)")
        if self._pooled is not None and len(self._pooled):
            head, rows = pooled_rows(self._pooled)
            keep = [1, 2, 4, 5, 6]
            strata = self.params.get("strata")
            lines += [
                "",
                f"Pooled across strata {strata!r} (Mantel-Haenszel):",
                text_table(
                    [head[j] for j in keep],
                    [[r[j] for j in keep] for r in rows],
                    left=(0, 1),
                    max_width=[24, 24, None, None, None],
                ),
            ]
        few = any(r["few"] for r in records)
        lines.append("")
        lines += [
            wrap(f"{mark} {text}", indent="    ")
            for mark, text in legend(
                few=few, reference=str(self.params.get("reference", "highest"))
            )
        ]
        lines += [wrap(f"[{i}] {text}", indent="    ") for i, text in enumerate(notes.texts, 1)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The notebook view: the ``to_html()`` report without the page (no ``<html>``, no
        stylesheet: row styles inline), under the result's class name."""
        from adverse_impact._publish._document import render_fragment
        from adverse_impact._publish._report import audit_document

        return render_fragment(audit_document(self, title=type(self).__name__))


def counts_to_dict(counts: GroupCounts) -> dict[str, Any]:
    """Per-group counts as JSON-ready Python: the cells of the count table, no rows.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact._audits._result import counts_from_dict, counts_to_dict
    >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]})
    >>> counts_to_dict(result.counts)["cells"]
    [['F', 2, 1, 2.0, 1.0], ['M', 2, 2, 2.0, 2.0]]
    >>> counts_from_dict(counts_to_dict(result.counts)).table.equals(result.counts.table)
    True
    """
    columns = list(counts.attributes) + ([counts.strata] if counts.strata else [])
    cells = [
        [jsonable(row[c]) for c in columns]
        + [int(row["n"]), int(row["selected"]), float(row["weight"]), float(row["weight_selected"])]
        for row in counts.table.to_dict(orient="records")
    ]
    return {
        "attributes": list(counts.attributes),
        "strata": counts.strata,
        "rule": counts.rule,
        "cutoff": counts.cutoff,
        "weighted": counts.weighted,
        "cells": cells,
    }


def counts_from_dict(data: Mapping[str, Any]) -> GroupCounts:
    """The inverse of :func:`counts_to_dict`."""
    columns = list(data["attributes"]) + ([data["strata"]] if data.get("strata") else [])
    cells = list(data["cells"])
    k = len(columns)
    table = pd.DataFrame(
        {c: pd.Series([cell[i] for cell in cells], dtype=object) for i, c in enumerate(columns)}
    )
    table["n"] = np.array([cell[k] for cell in cells], dtype=np.int64)
    table["selected"] = np.array([cell[k + 1] for cell in cells], dtype=np.int64)
    table["weight"] = np.array([cell[k + 2] for cell in cells], dtype=float)
    table["weight_selected"] = np.array([cell[k + 3] for cell in cells], dtype=float)
    return GroupCounts(
        table,
        tuple(data["attributes"]),
        data.get("strata"),
        data["rule"],
        data.get("cutoff"),
        bool(data.get("weighted", False)),
    )


def _table_from_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table of :meth:`AuditResult.to_dict`'s rows, with the audit's column types."""
    table = pd.DataFrame(rows)
    table["group"] = table["group"].astype(object)
    for column in NULLABLE_FLAGS:
        if column in table:
            table[column] = table[column].astype("boolean")
    for column in table.columns:
        if (
            column not in ("attribute", "group", "note", *NULLABLE_FLAGS)
            and table[column].dtype == object
        ):
            table[column] = pd.to_numeric(table[column])
    return table


def _exact_ratios_from_rows(
    rows: list[dict[str, Any]], weighted: bool
) -> tuple[Fraction | None, ...]:
    """Each row's impact ratio as a fraction, from the integer counts (or weighted sums).

    The table's ratios are rounded floats; the four-fifths decision needs the exact ones.
    """
    reference = {}
    for row in rows:
        if row.get("is_reference"):
            reference[row["attribute"]] = row
    ratios: list[Fraction | None] = []
    for row in rows:
        ref = reference.get(row["attribute"])
        if ref is None or row.get("impact_ratio") is None:
            ratios.append(None)
            continue
        if weighted:
            rate = Fraction(row["selected_weighted"]) / Fraction(row["n_weighted"])
            ref_rate = Fraction(ref["selected_weighted"]) / Fraction(ref["n_weighted"])
        else:
            rate = Fraction(int(row["selected"]), int(row["n"]))
            ref_rate = Fraction(int(ref["selected"]), int(ref["n"]))
        ratios.append(rate / ref_rate if ref_rate else None)
    return tuple(ratios)


def _counts_from_rows(
    rows: list[dict[str, Any]], params: Mapping[str, Any], weighted: bool
) -> GroupCounts:
    """Counts rebuilt from the table's rows of the last attribute (the intersection).

    For a ``to_dict()`` output without ``counts`` (an audit log stores them).
    """
    last = rows[-1]["attribute"] if rows else ""
    names = last.split(ATTRIBUTE_SEP)
    cells = [
        [
            *(str(r["group"]).split(LABEL_SEP) if len(names) > 1 else [r["group"]]),
            r["n"],
            r["selected"],
            r.get("n_weighted", r["n"]),
            r.get("selected_weighted", r["selected"]),
        ]
        for r in rows
        if r["attribute"] == last
    ]
    return counts_from_dict(
        {
            "attributes": names,
            "strata": None,
            "rule": params.get("rule", "selected"),
            "cutoff": params.get("cutoff"),
            "weighted": weighted,
            "cells": cells,
        }
    )


def _frame_from_records(records: Any) -> pd.DataFrame:
    """A table of ``to_dict()`` (error rates, pooled strata) back as a DataFrame."""
    frame = pd.DataFrame([dict(r) for r in records])
    if "group" in frame:
        frame["group"] = frame["group"].astype(object)
    return frame


def _written(text: str, path: Any) -> str:
    """``text``, also written atomically to ``path`` when one is given."""
    if path is not None:
        from adverse_impact._core._io import write_atomic

        write_atomic(path, text)
    return text


def deferred(family: Any, table: pd.DataFrame, **fields: Any) -> AuditResult:
    """An :class:`AuditResult` whose family test runs on the first read that needs it.

    ``family`` has a ``run()`` that returns each row's ``p_value_adjusted`` and
    ``significant_adjusted`` and the family's description; ``table`` lacks those
    two columns and ``fields["params"]["family"]`` is :data:`PENDING`.  Reading
    ``table``, ``params``, ``to_frame()``, ``to_dict()``, a report, pickling or
    a gate that reads significance completes the result; its rates, ratios,
    counts and the four-fifths rule do not wait.
    """
    result = AuditResult(table, **fields)
    object.__setattr__(result, "_pending", family)
    return result


def amended(result: AuditResult, *, params: Mapping[str, Any], **changes: Any) -> AuditResult:
    """``dataclasses.replace(result, ...)`` with ``params`` merged in, leaving a pending
    family test pending (``replace`` reads every field, which would run it)."""
    fields = {
        "unknown": result._unknown,
        "n_total": result.n_total,
        "params": {**result._stored_params, **params},
        "ratios": result.ratios,
        "counts": result._counts,
        "error_rates": result._error_rates,
        "pooled": result._pooled,
        **changes,
    }
    # The frames are shared, not copied: neither result hands them out or changes them
    # (completing a result replaces its table with a new frame).
    return deferred(result._pending, result._stored_table, **fields)
