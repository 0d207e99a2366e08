"""Decisions in several steps (funnel stages, ordered tiers), each audited from one count.

A funnel (screened, interviewed, offered) is counted in one pass: the stage
columns join the protected attributes as keys of the one group-by that
:func:`~adverse_impact._core._counts.count_groups` runs on whatever engine holds
the data.  Each stage's counts, and the bottom line's, are then sums over
that small table, audited by :func:`~adverse_impact._audits._audit.audit_counts`.
Tiers ("top" > "middle" > "bottom") are counted the same way, the tier
joining the keys, and audited as "placed in tier t or better".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._audits import PUBLIC
from adverse_impact._audits._audit import audit_counts, check_share_base
from adverse_impact._audits._result import AuditResult
from adverse_impact._core._counts import (
    GroupCounts,
    count_groups,
    engine_columns,
    rows_out_of_order,
    with_column_copies,
)
from adverse_impact._core._errors import InputError, input_error, type_error
from adverse_impact._core._groups import label_columns
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import frame_block, jsonable
from adverse_impact._core._validation import check_share, check_unknown, require_sensitive_features
from adverse_impact._publish._document import Reported
from adverse_impact._stats._gate import (
    GateArguments,
    Gated,
    GateVerdict,
    gate_arguments,
    notes_for,
    row_detail,
)
from adverse_impact._stats._gate import verdict as gate_verdict
from adverse_impact._stats._significance import check_alpha, check_comparison, check_test

__all__ = list(PUBLIC["_funnel"])

#: Name of the bottom-line row block in :attr:`FunnelResult.table`.
BOTTOM_LINE = "bottom line"
#: Offending rows shown in the inconsistent-funnel error.
_SHOWN_ROWS = 10
#: The columns of a step's table that ``repr`` shows, after the step's own.
_SHOWN_COLUMNS = ["attribute", "group", "n", "selected", "rate", "impact_ratio", "four_fifths_flag"]
#: The ratio a repr shows beside its flag, with the decimals that show the flag's side.
_DECIDE = {"impact_ratio": "four_fifths_flag"}


# eq=False: results holding DataFrames compare (and hash) by identity.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class FunnelResult(Gated, Reported):
    """Each stage of a hiring funnel audited among its entrants, and the bottom line.

    Returned by :func:`adverse_impact.audit_funnel`.

    Attributes
    ----------
    stages : tuple of str
        The stages, in order.
    results : tuple of AuditResult
        One audit per stage (among those who entered it), then the bottom
        line (the last stage among all applicants).

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> people = pd.DataFrame({"sex": ["F"] * 10 + ["M"] * 10,
    ...                        "screened": [1] * 8 + [0] * 2 + [1] * 9 + [0],
    ...                        "offered": [1] * 3 + [0] * 7 + [1] * 6 + [0] * 4})
    >>> funnel = ai.audit_funnel(people, stages=["screened", "offered"], sensitive_features="sex")
    >>> funnel.summary()
    'FunnelResult: 2 stages (screened > offered), 20 applicants; below 4/5 at: offered, bottom line'
    >>> funnel.passes(), funnel.flagged_stages()
    (False, ['offered', 'bottom line'])
    """

    stages: tuple[str, ...]
    results: tuple[AuditResult, ...]
    _decomposition: pd.DataFrame = dataclasses.field(repr=False)

    @property
    def bottom_line(self) -> AuditResult:
        """The last stage among all applicants (29 CFR 1607.4(C)'s "total selection process")."""
        return self.results[-1]

    def stage(self, name: str) -> AuditResult:
        """The audit of one stage, among those who entered it."""
        if name == BOTTOM_LINE:
            return self.bottom_line
        if name not in self.stages:
            raise input_error(
                "name", f"{name!r} is not a stage", f"Use one of {[*self.stages, BOTTOM_LINE]!r}"
            )
        return self.results[self.stages.index(name)]

    @property
    def table(self) -> pd.DataFrame:
        """Every stage's audit table stacked, with ``stage`` first (a copy).

        ``stage`` is the stage name, or ``"bottom line"``; ``n`` counts the
        stage's entrants (everyone, for the bottom line).
        """
        return _stacked("stage", (*self.stages, BOTTOM_LINE), self.results)

    @property
    def decomposition(self) -> pd.DataFrame:
        """Each stage's share of the bottom-line disparity (a copy).

        One row per (attribute, group, stage) for every group other than the
        bottom line's reference group.  The bottom-line rate is the product
        of the stage pass rates among entrants, so the log of the bottom-line
        impact ratio is exactly the sum over stages of the log of each stage's
        ratio, all taken against the *bottom line's* reference group::

            log(IR_bottom) = sum_k log(rate_k(group) / rate_k(reference))

        ``log_ratio`` is a stage's term and ``share`` = term / log(IR_bottom):
        the shares sum to 1.  A share above 1 or below 0 means stages pull in
        opposite directions (one stage's disparity partly undone by another);
        the share is NaN when the bottom-line ratio is exactly 1 or a rate is 0.
        ``stage_ratio`` is the stage ratio against that same group, which
        differs from the stage table's ``impact_ratio`` when the stage's own
        highest-rate group is another.
        """
        return self._decomposition.copy()

    def failing(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> np.ndarray:
        """Mask of :attr:`table` rows that fail the gate (see :meth:`gate`)."""
        return _steps_failing("FunnelResult", self.results, min_ratio, alpha, rule)[1]

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict on every stage *and* the bottom line, as one family.

        A favourable bottom line does not excuse a stage with adverse impact
        (*Connecticut v. Teal*, 457 U.S. 440 (1982)), and an unfavourable one is
        the Uniform Guidelines' first question (29 CFR 1607.4(C)): the gate
        judges each stage among its entrants and the bottom line among all
        applicants, and fails when any of them fails.  Under the four-fifths
        rule each is read as :meth:`AuditResult.passes` reads it.  Under a
        significance rule each audit's own family (every group of every
        attribute and intersection against the highest rate, Westfall-Young
        maxT) is read at ``alpha`` divided by the number of audits
        (Bonferroni across the stages and the bottom line), so the funnel's
        verdict fails fair data at most ``alpha`` of the time however many
        stages it has.  Arguments as in :meth:`AuditResult.passes`.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> people = pd.DataFrame({"sex": ["F"] * 10 + ["M"] * 10,
        ...                        "screened": [1] * 8 + [0] * 2 + [1] * 9 + [0],
        ...                        "offered": [1] * 3 + [0] * 7 + [1] * 6 + [0] * 4})
        >>> funnel = ai.audit_funnel(people, stages=["screened", "offered"],
        ...                          sensitive_features="sex")
        >>> funnel.gate().failing
        ('offered: sex=F', 'bottom line: sex=F')
        """
        return _steps_gate(
            "FunnelResult", (*self.stages, BOTTOM_LINE), self.results, min_ratio, alpha, rule
        )

    def flagged_stages(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> list[str]:
        """Names of the stages (and ``"bottom line"``) with a group failing the gate."""
        masks = _steps_failing("FunnelResult", self.results, min_ratio, alpha, rule)[2]
        return [name for name, m in zip((*self.stages, BOTTOM_LINE), masks) if m.any()]

    def to_frame(self) -> pd.DataFrame:
        """The stacked table (see :attr:`table`)."""
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """Stages, every stage's audit and the decomposition, JSON-serialisable."""
        return {
            "stages": list(self.stages),
            "flagged_stages": self.flagged_stages(),
            "results": {
                name: r.to_dict() for name, r in zip((*self.stages, BOTTOM_LINE), self.results)
            },
            "decomposition": [
                {k: jsonable(v) for k, v in row.items()}
                for row in self._decomposition.to_dict(orient="records")
            ],
        }

    def summary(self) -> str:
        """One line: stages, and which are flagged."""
        flagged = self.flagged_stages()
        return (
            f"FunnelResult: {len(self.stages)} stage{'s' if len(self.stages) != 1 else ''} "
            f"({' > '.join(self.stages)}), {self.results[-1].n_total:,} applicants; "
            + (f"below 4/5 at: {', '.join(flagged)}" if flagged else "no stage below 4/5")
        )

    def _display(self) -> pd.DataFrame:
        table = self.table
        return table[[c for c in ["stage", *_SHOWN_COLUMNS] if c in table]]

    def __repr__(self) -> str:
        return frame_block(self.summary(), self._display(), ".3f", _DECIDE)

    @property
    def verdict(self) -> str:
        """The answer in one sentence: where groups fall below four-fifths, and the family."""
        from adverse_impact._audits._funnel_report import funnel_verdict

        return funnel_verdict(self)[0]

    def _document(self) -> Any:
        from adverse_impact._audits._funnel_report import funnel_document

        return funnel_document(self)

    def plot(self, ax: Any = None, attribute: str | None = None) -> Any:
        """Where each group's applicants leave the funnel: stacked bars (needs matplotlib).

        One bar per group of ``attribute`` (default the first), split into
        those who left at each stage and those who passed every stage, each
        part with its percentage; the key sits under the axes.  Save with
        ``bbox_inches="tight"`` to keep the key in the file.
        """
        from adverse_impact._audits._funnel_report import plot_funnel

        return plot_funnel(self, ax, attribute)


def _steps_failing(
    kind: str, results: Sequence[AuditResult], min_ratio: Any, alpha: Any, rule: Any
) -> tuple[GateArguments, np.ndarray, list[np.ndarray]]:
    """The gate's arguments and failing rows over several audits (stages, tiers).

    A significance rule reads each audit's own family at alpha / (number of
    audits): Bonferroni across the audits holds the whole verdict's error rate
    at alpha whatever their dependence (the stages share applicants).
    """
    arguments = gate_arguments(
        min_ratio,
        alpha,
        rule,
        result=kind,
        default_alpha=results[-1].params.get("alpha", 0.05),
    )
    each = arguments
    if arguments.alpha is not None:
        each = arguments._replace(alpha=arguments.alpha / len(results))
    masks = [r._failing(each) for r in results]
    return arguments, np.concatenate(masks), masks


def _steps_gate(
    kind: str,
    names: Sequence[str],
    results: Sequence[AuditResult],
    min_ratio: Any,
    alpha: Any,
    rule: Any,
) -> GateVerdict:
    arguments, _, masks = _steps_failing(kind, results, min_ratio, alpha, rule)
    failing, details = [], []
    for name, result, mask in zip(names, results, masks):
        rows = result._table.loc[mask]
        failing += [f"{name}: {a}={g}" for a, g in zip(rows["attribute"], rows["group"])]
        details += [
            row_detail(r, arguments.rule, below=below, min_ratio=arguments.min_ratio)
            for r, below in zip(
                rows.to_dict(orient="records"), result._below(arguments.min_ratio)[mask]
            )
        ]
    family = ""
    if arguments.alpha is not None:
        families = [r.params.get("family") or {} for r in results]
        n = sum(int(f.get("comparisons", 0)) for f in families)
        correction = next((f["correction"] for f in families if f.get("correction")), "")
        m = len(results)
        family = (
            f"family: {n} comparison{'s' if n != 1 else ''} in {m} audits "
            f"({', '.join(map(str, names))}), each audit's own family by {correction}; "
            f"Bonferroni across the {m} audits (each at alpha {arguments.alpha / m:.3g}), "
            f"alpha {arguments.alpha:g}"
        )
    return gate_verdict(
        arguments, min_ratio, failing, family=family, details=details, notes=notes_for(details)
    )


def _stacked(column: str, labels: Sequence[str], results: Sequence[AuditResult]) -> pd.DataFrame:
    """The steps' audit tables stacked, each step's label in ``column`` first."""
    frames = []
    for label, result in zip(labels, results):
        frame = result.table
        frame.insert(0, column, label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@validate_params()
def audit_funnel(
    data: Any = None,
    *,
    stages: Any,
    sensitive_features: Any = None,
    reference: Any = "highest",
    intersectional: bool = True,
    min_share: float | None = None,
    min_share_of: str = "known",
    unknown: Any = None,
    strata: Any = None,
    alpha: float = 0.05,
    comparison: str = "reference",
    test: str = "fisher",
) -> FunnelResult:
    """Audit every stage of a hiring funnel among its entrants, and the bottom line.

    Parameters
    ----------
    data : DataFrame, optional
        Any table :func:`adverse_impact.audit` reads (pandas, polars,
        pyarrow, DuckDB, Dask, Spark); counted in one pass for all stages.
    stages : sequence of str, or dict of arrays
        The stages in order, as 0/1 or boolean columns: 1 = passed (screened
        in, interviewed, offered).  Without ``data``, a dict mapping stage
        names to arrays, in order.  A row that failed a stage must be 0 at
        every later stage.
    sensitive_features, reference, intersectional, min_share, min_share_of, unknown, \
strata, alpha, comparison, test
        As in :func:`adverse_impact.audit`, applied to every stage.

    Returns
    -------
    FunnelResult
        Stage ``k`` is audited among the rows that passed every stage before
        it (all rows for the first stage); the bottom line is the last stage
        among all rows.  ``passes()`` is False when any stage or the bottom
        line fails; ``decomposition`` gives each stage's share of the
        bottom-line disparity.

    Raises
    ------
    InputError
        A stage that is not 0/1, has missing values or is also a group
        column; rows that pass a stage after failing an earlier one (the
        message gives their count and the first rows); and every error of
        :func:`adverse_impact.audit`.

    Notes
    -----
    29 CFR 1607.4(C) lets an agency look first at the "total selection
    process", but *Connecticut v. Teal*, 457 U.S. 440 (1982) held that a
    favourable bottom line is no defence to a component with adverse impact:
    so every stage is audited and gated.

    Examples
    --------
    *Connecticut v. Teal*: 48 Black and 259 White candidates sat a written
    test; 26 and 206 passed.  11 Black and 35 White candidates were promoted.

    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> def people(race, n, passed, promoted):
    ...     return pd.DataFrame({"race": race, "passed": [1] * passed + [0] * (n - passed),
    ...                          "promoted": [1] * promoted + [0] * (n - promoted)})
    >>> teal = pd.concat([people("Black", 48, 26, 11), people("White", 259, 206, 35)])
    >>> funnel = ai.audit_funnel(teal, stages=["passed", "promoted"], sensitive_features="race")
    >>> funnel.table[["stage", "group", "rate", "impact_ratio", "four_fifths_flag"]].round(3)
             stage  group   rate  impact_ratio  four_fifths_flag
    0       passed  Black  0.542         0.681              True
    1       passed  White  0.795         1.000             False
    2     promoted  Black  0.423         1.000             False
    3     promoted  White  0.170         0.402              True
    4  bottom line  Black  0.229         1.000             False
    5  bottom line  White  0.135         0.590              True
    >>> funnel.passes(), funnel.flagged_stages()
    (False, ['passed', 'promoted', 'bottom line'])
    """
    groups = require_sensitive_features(sensitive_features)
    options = _step_options(
        reference, intersectional, min_share, min_share_of, unknown, alpha, comparison, test
    )
    names, internal, counts = _count_funnel(data, stages, groups, strata)
    params = _step_params(options, min_share, selected=None)
    results = []
    for k, stage_counts in enumerate(_stage_counts(counts, internal)):
        label = names[k] if k < len(names) else BOTTOM_LINE
        try:
            results.append(
                audit_counts(
                    stage_counts, params={**params, "selected": label, "stage": label}, **options
                )
            )
        except InputError as error:
            raise InputError(f"stage {label!r}: {error}") from error
    return FunnelResult(tuple(names), tuple(results), _decompose(names, results))


def _step_options(
    reference: Any,
    intersectional: bool,
    min_share: float | None,
    min_share_of: str,
    unknown: Any,
    alpha: float,
    comparison: str,
    test: str,
) -> dict[str, Any]:
    """The checked keyword arguments of :func:`audit_counts` that every step's audit shares."""
    return {
        "reference": reference,
        "intersectional": intersectional,
        "min_share": check_share(min_share, "min_share"),
        "min_share_of": check_share_base(min_share_of),
        "unknown": check_unknown(unknown),
        "alpha": check_alpha(alpha),
        "comparison": check_comparison(comparison),
        "test": check_test(test),
    }


def _step_params(options: dict[str, Any], min_share: float | None, selected: Any) -> dict[str, Any]:
    """The parameters each step's result records: those of a 0/1 audit of the step."""
    reference = options["reference"]
    return {
        "selected": selected,
        "score": None,
        "rule": "selected",
        "cutoff": None,
        "reference": reference if isinstance(reference, (str, dict)) else repr(reference),
        "intersectional": bool(options["intersectional"]),
        "min_share": None if min_share is None else float(min_share),
        "unknown": sorted(map(str, options["unknown"])),
        "weighted": False,
    }


# -- counting ------------------------------------------------------------------------


def _stage_names(data: Any, stages: Any) -> tuple[list[str], dict[str, Any] | None]:
    if data is None:
        if not isinstance(stages, Mapping):
            raise type_error(
                "stages",
                f"got {type(stages).__name__} but data is None",
                "Pass data= with stage column names, or a dict stage -> 0/1 array",
            )
        names, arrays = [str(k) for k in stages], {str(k): v for k, v in stages.items()}
    else:
        if isinstance(stages, str) or not isinstance(stages, Sequence):
            raise type_error(
                "stages",
                f"expected a list of column names, got {stages!r}",
                'Pass the stages in order, e.g. ["screened", "interviewed"]',
            )
        names, arrays = list(stages), None
    if not names:
        raise input_error("stages", "no stage was given", "Pass at least one stage column")
    if len(set(map(str, names))) != len(names):
        raise input_error("stages", f"names a stage twice: {names!r}", "Name each stage once")
    return names, arrays


def _count_funnel(
    data: Any, stages: Any, groups: Any, strata: Any
) -> tuple[list[str], list[str], GroupCounts]:
    """One group-by over the attributes and every stage but the last (counted as selected).

    The stages before the last join the group-by keys under internal names,
    so that a stage called ``selected`` or ``n`` cannot collide with the
    count columns.
    """
    names, arrays = _stage_names(data, stages)
    internal = [f"__stage_{k}" for k in range(len(names) - 1)]
    if arrays is None:
        group_names = [groups] if isinstance(groups, (str, int)) else list(groups)
        clash = sorted(set(map(str, names)) & set(map(str, group_names)))
    else:
        group_arrays = label_columns(groups)
        group_names = list(group_arrays)
        clash = sorted(set(names) & set(group_names))
    if clash:
        raise input_error(
            "stages",
            f"{clash!r} are also group columns",
            "A stage is a 0/1 decision; pass protected attributes as sensitive_features=",
        )
    if arrays is None:
        source = _with_stage_keys(data, names, internal, group_names, strata)
        keys: Any = [*group_names, *internal]
        selected: Any = names[-1]
    else:
        source = None
        keys = {**group_arrays, **{key: arrays[n] for key, n in zip(internal, names)}}
        selected = arrays[names[-1]]
    try:
        counts = count_groups(source, selected=selected, groups=keys, strata=strata)
    except InputError as error:
        raise InputError(
            f"stages/groups: {error}"
            if str(error).startswith("sensitive_features[")
            else str(error).replace("selected:", f"stages[{names[-1]!r}]:", 1)
        ) from error
    table = counts.table.copy()
    for key, name in zip(internal, names):
        table[key] = _stage_values(table[key], name)
    _check_monotone(table, internal, names, data, arrays)
    attributes = tuple(str(g) for g in group_names)
    return names, internal, GroupCounts(table, attributes, counts.strata, "selected", None, False)


def _with_stage_keys(
    data: Any, names: list[str], internal: list[str], group_names: list[Any], strata: Any
) -> Any:
    """The data with the stage columns (all but the last) also under their internal names."""
    if isinstance(data, pd.DataFrame):
        columns = list(data.columns)
    else:
        columns = engine_columns(data)
        if columns is None:
            return data  # count_groups says what is wrong with it
    for i, name in enumerate(names):
        if name not in columns:
            raise input_error(
                f"stages[{i}]", f"column {name!r} is not in data", f"Use one of {columns[:20]!r}"
            )
    if isinstance(data, pd.DataFrame):
        wanted = [*group_names, *([strata] if strata is not None else []), names[-1]]
        missing = [c for c in wanted if c not in columns]
        if missing:
            return data  # count_groups names the missing column and the argument
        # Only the columns the count reads, without copying them.
        return pd.DataFrame(
            {**{c: data[c] for c in wanted}, **{key: data[n] for key, n in zip(internal, names)}},
            copy=False,
        )
    return with_column_copies(data, dict(zip(internal, names)))


def _stage_values(labels: pd.Series, name: str) -> np.ndarray:
    """A stage's labels as 0/1 (they came through the group-by as raw keys)."""
    values = np.zeros(len(labels), dtype=np.int8)
    for i, label in enumerate(labels):
        if label is None or (isinstance(label, float) and math.isnan(label)):
            raise input_error(
                f"stages[{name!r}]",
                "has missing values",
                "Fill or drop those rows before the audit (and report them)",
            )
        if isinstance(label, (bool, np.bool_)) or label in (0, 1):
            values[i] = int(label)
        else:
            raise input_error(
                f"stages[{name!r}]",
                f"must hold 0/1 or True/False, found {label!r}",
                "Map the stage outcome to 0/1 first",
            )
    return values


def _check_monotone(
    table: pd.DataFrame,
    internal: list[str],
    names: list[str],
    data: Any,
    arrays: dict[str, Any] | None,
) -> None:
    """Rows that pass a stage after failing an earlier one make the funnel meaningless."""
    failed_before = np.zeros(len(table), dtype=bool)
    bad = np.zeros(len(table), dtype=bool)
    for key in internal:
        passed = table[key].to_numpy() == 1
        bad |= failed_before & passed
        failed_before |= ~passed
    n_bad = int(table.loc[bad, "n"].sum()) + int(table.loc[failed_before & ~bad, "selected"].sum())
    if n_bad:
        raise input_error(
            "stages",
            f"{n_bad:,} row(s) pass a stage after failing an earlier "
            f"one ({_offending_rows(names, data, arrays)})",
            "A row that failed a stage must be 0 at every later stage; fix the "
            "data or the stage order",
        )


def _offending_rows(names: list[str], data: Any, arrays: dict[str, Any] | None) -> str:
    """Where the inconsistent rows are: index labels in memory, values on other engines."""
    if arrays is not None or isinstance(data, pd.DataFrame):
        frame = (
            pd.DataFrame({n: np.asarray(arrays[n]) for n in names})
            if arrays is not None
            else data[names]
        )
        values = frame.to_numpy(dtype=float)
        failed = np.zeros(len(frame), dtype=bool)
        bad = np.zeros(len(frame), dtype=bool)
        for k in range(len(names)):
            bad |= failed & (values[:, k] == 1)
            failed |= values[:, k] == 0
        index = list(frame.index[bad][:_SHOWN_ROWS])
        more = ", ..." if bad.sum() > _SHOWN_ROWS else ""
        return f"rows {', '.join(map(str, index))}{more}"
    sample = rows_out_of_order(data, names, 3)
    return "e.g. stage values " + "; ".join(map(str, sample))


def _stage_counts(counts: GroupCounts, internal: list[str]) -> list[GroupCounts]:
    """Counts per stage among its entrants, then the bottom line among all rows.

    ``internal`` names the key columns of every stage but the last, whose
    passes are the table's ``selected`` count.
    """
    table = counts.table
    keys = [*counts.attributes, *([counts.strata] if counts.strata else [])]
    n = table["n"].to_numpy()
    entered = np.ones(len(table), dtype=bool)
    plan = []
    for key in internal:
        passed = table[key].to_numpy() == 1
        plan.append((entered.copy(), np.where(passed, n, 0)))
        entered &= passed
    plan.append((entered, table["selected"].to_numpy()))  # the last stage
    plan.append((np.ones(len(table), dtype=bool), table["selected"].to_numpy()))  # bottom line
    out = []
    for rows, selected in plan:
        sub = table.loc[rows, keys].reset_index(drop=True)
        sub["n"] = n[rows]
        sub["selected"] = np.asarray(selected)[rows]
        sub["weight"] = sub["n"].astype(float)
        sub["weight_selected"] = sub["selected"].astype(float)
        out.append(GroupCounts(sub, counts.attributes, counts.strata, "selected", None, False))
    return out


# -- the bottom line, stage by stage --------------------------------------------------


def _decompose(names: list[str], results: list[AuditResult]) -> pd.DataFrame:
    """Each stage's additive share of the bottom line's log impact ratio."""
    bottom = results[-1].table
    rows = []
    for attribute, block in bottom.groupby("attribute", sort=False):
        reference = block.loc[block["is_reference"], "group"]
        if reference.empty:
            continue
        ref = reference.iloc[0]
        for group, ir_bottom in zip(block["group"], block["impact_ratio"]):
            if group == ref or not np.isfinite(ir_bottom):
                continue
            total = math.log(ir_bottom) if ir_bottom > 0 else -math.inf
            for name, result in zip(names, results[:-1]):
                stage = result.table
                stage = stage[stage["attribute"] == attribute].set_index("group")["rate"]
                if group not in stage.index or ref not in stage.index:
                    ratio = np.nan
                else:
                    ratio = stage[group] / stage[ref] if stage[ref] > 0 else np.nan
                term = math.log(ratio) if np.isfinite(ratio) and ratio > 0 else np.nan
                share = (
                    term / total
                    if np.isfinite(term) and np.isfinite(total) and total != 0
                    else np.nan
                )
                rows.append(
                    {
                        "attribute": attribute,
                        "group": group,
                        "reference": ref,
                        "stage": name,
                        "stage_ratio": ratio,
                        "log_ratio": term,
                        "bottom_line_ratio": float(ir_bottom),
                        "share": share,
                    }
                )
    columns = [
        "attribute",
        "group",
        "reference",
        "stage",
        "stage_ratio",
        "log_ratio",
        "bottom_line_ratio",
        "share",
    ]
    return pd.DataFrame(rows, columns=columns)


# -- tiers ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TierResult(Gated, Reported):
    """An audit of "placed in tier t or better" for every tier but the lowest.

    Returned by :func:`adverse_impact.audit_tiers`.

    Attributes
    ----------
    tiers : tuple of str
        The tiers audited, best first (the lowest tier, which holds everyone
        "or better", is left out).
    results : tuple of AuditResult
        One audit per tier, aligned with ``tiers``.

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> tier = pd.Categorical(["top", "middle", "bottom", "top"] * 5 + ["bottom", "middle"] * 10,
    ...                       categories=["bottom", "middle", "top"], ordered=True)
    >>> tiers = ai.audit_tiers(selected=tier, sensitive_features={"sex": ["M"] * 20 + ["F"] * 20})
    >>> tiers.summary()
    'TierResult: 2 tiers (top, middle) or better; below 4/5 at: top, middle'
    >>> tiers.table[["tier", "group", "rate", "impact_ratio"]].round(3)
         tier group  rate  impact_ratio
    0     top     F  0.00         0.000
    1     top     M  0.50         1.000
    2  middle     F  0.50         0.667
    3  middle     M  0.75         1.000
    """

    tiers: tuple[str, ...]
    results: tuple[AuditResult, ...]

    @property
    def table(self) -> pd.DataFrame:
        """Every tier's audit table stacked, with ``tier`` first (a copy)."""
        return _stacked("tier", self.tiers, self.results)

    def failing(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> np.ndarray:
        """Mask of :attr:`table` rows that fail the gate (see :meth:`gate`)."""
        return _steps_failing("TierResult", self.results, min_ratio, alpha, rule)[1]

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict on every "tier t or better", as one family.

        Each tier is an audit; the gate fails when any fails.  Under a
        significance rule each tier's own family is read at ``alpha`` divided
        by the number of tiers (Bonferroni across the tiers), so the verdict
        fails fair data at most ``alpha`` of the time.  Arguments as in
        :meth:`AuditResult.passes`.
        """
        return _steps_gate("TierResult", self.tiers, self.results, min_ratio, alpha, rule)

    def to_ll144(self, **fields: Any) -> Any:
        """The LL144 packet with one set of tables per tier (see :meth:`AuditResult.to_ll144`)."""
        from adverse_impact._publish._ll144 import build_packet

        return build_packet(list(zip(self.tiers, self.results)), **fields)

    def to_frame(self) -> pd.DataFrame:
        """The stacked table (see :attr:`table`)."""
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """Every tier's audit, JSON-serialisable."""
        return {
            "tiers": list(self.tiers),
            "results": {t: r.to_dict() for t, r in zip(self.tiers, self.results)},
        }

    def summary(self) -> str:
        """One line: tiers, and which fail four-fifths."""
        failing = [t for t, r in zip(self.tiers, self.results) if not r.passes()]
        return (
            f"TierResult: {len(self.tiers)} tier{'s' if len(self.tiers) != 1 else ''} "
            f"({', '.join(self.tiers)}) or better; "
            + (f"below 4/5 at: {', '.join(failing)}" if failing else "no tier below 4/5")
        )

    def __repr__(self) -> str:
        return frame_block(self.summary(), self.table[["tier", *_SHOWN_COLUMNS]], ".3f", _DECIDE)

    @property
    def verdict(self) -> str:
        """The answer in one sentence: the tiers at which groups fall below four-fifths."""
        return self._document().verdict

    def _document(self) -> Any:
        from adverse_impact._audits._funnel_report import tier_document

        return tier_document(self)


@validate_params()
def audit_tiers(
    data: Any = None,
    *,
    selected: Any,
    sensitive_features: Any = None,
    reference: Any = "highest",
    intersectional: bool = True,
    min_share: float | None = None,
    min_share_of: str = "known",
    unknown: Any = None,
    alpha: float = 0.05,
    comparison: str = "reference",
    test: str = "fisher",
) -> TierResult:
    """Audit a tool that places candidates in ordered tiers: "tier t or better", per tier.

    NYC's rule asks, for a tool that classifies candidates into groups,
    for the rates and ratios of each classification (6 RCNY 5-301(b)).
    With ordered tiers the question a reader asks is "who reaches tier t or
    better": each tier but the lowest gets a full audit of that decision.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        In memory (pandas or arrays): the tier must be a pandas ordered
        categorical, which the other engines do not share.
    selected : str or pandas Series/Categorical
        An ordered categorical of tiers, worst category first as pandas
        orders them (``categories=["bottom", "middle", "top"], ordered=True``).
    sensitive_features, reference, intersectional, min_share, min_share_of, unknown, alpha, \
comparison, test
        As in :func:`adverse_impact.audit`.

    Returns
    -------
    TierResult

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> tier = pd.Categorical(["top", "middle", "bottom", "top"] * 25 + ["bottom"] * 50
    ...                       + ["top", "middle"] * 25,
    ...                       categories=["bottom", "middle", "top"], ordered=True)
    >>> sex = ["M"] * 100 + ["F"] * 100
    >>> tiers = ai.audit_tiers(selected=tier, sensitive_features={"sex": sex})
    >>> tiers.table[["tier", "group", "rate", "impact_ratio"]]
         tier group  rate  impact_ratio
    0     top     F  0.25      0.500000
    1     top     M  0.50      1.000000
    2  middle     F  0.50      0.666667
    3  middle     M  0.75      1.000000
    """
    groups = require_sensitive_features(sensitive_features)
    options = _step_options(
        reference, intersectional, min_share, min_share_of, unknown, alpha, comparison, test
    )
    tiers, group_arrays = _read_tiers(data, selected, groups)
    rank, categories = _tier_ranks(tiers)
    key = "__tier"
    counts = count_groups(
        None, selected=np.zeros(len(rank), dtype=np.uint8), groups={**group_arrays, key: rank}
    )
    attributes = tuple(group_arrays)
    params = _step_params(
        options, min_share, selected=selected if isinstance(selected, str) else None
    )
    labels, results = [], []
    for t, label in enumerate(reversed(categories[1:])):
        tier_counts = _tier_or_better(counts.table, attributes, key, t)
        results.append(audit_counts(tier_counts, params={**params, "tier": label}, **options))
        labels.append(label)
    if not labels:
        raise input_error("selected", "has a single tier", "Pass two or more ordered tiers")
    return TierResult(tuple(labels), tuple(results))


def _read_tiers(data: Any, selected: Any, groups: Any) -> tuple[Any, dict[str, Any]]:
    """The column of tiers and the protected attributes, from a pandas frame or arrays."""
    if data is not None and not isinstance(data, pd.DataFrame):
        raise type_error(
            "data",
            f"tiers are read from a pandas ordered categorical; got {type(data).__name__}",
            "Pass a pandas DataFrame (e.g. "
            "frame.to_pandas()), or audit each tier's 0/1 column with ai.audit",
        )
    if data is None:
        return pd.Series(selected), label_columns(groups)
    if not isinstance(selected, str) or selected not in data.columns:
        raise input_error(
            "selected", f"{selected!r} is not a column of data", "Name the column of tiers"
        )
    names = [groups] if isinstance(groups, (str, int)) else list(groups)
    return data[selected], {str(g): data[g] for g in names}


def _tier_ranks(tiers: Any) -> tuple[np.ndarray, list[str]]:
    """Each row's tier as a rank (0 = best), and the tiers worst first; checks they are ordered."""
    dtype = getattr(tiers, "dtype", None)
    if not isinstance(dtype, pd.CategoricalDtype) or not dtype.ordered:
        raise input_error(
            "selected",
            "is not an ordered categorical of tiers",
            'Make it one, e.g. pd.Categorical(col, categories=["bottom", '
            '"middle", "top"], ordered=True); use ai.audit for 0/1 decisions',
        )
    codes = np.asarray(tiers.cat.codes)
    if (codes < 0).any():
        raise input_error(
            "selected",
            f"{int((codes < 0).sum()):,} tier value(s) are missing or not among the categories",
            "Fill or drop those rows first",
        )
    categories = [str(c) for c in dtype.categories]
    return len(categories) - 1 - codes, categories


def _tier_or_better(
    table: pd.DataFrame, attributes: tuple[str, ...], key: str, t: int
) -> GroupCounts:
    """The counts of "placed in the ``t``-th best tier or better", per group."""
    sub = table[list(attributes)].copy()
    sub["n"] = table["n"].to_numpy()
    sub["selected"] = np.where(table[key].to_numpy(dtype=np.int64) <= t, sub["n"], 0)
    sub["weight"] = sub["n"].astype(float)
    sub["weight_selected"] = sub["selected"].astype(float)
    return GroupCounts(sub, attributes, None, "selected", None, False)
