"""The report of a funnel or of tiers: a :class:`~adverse_impact._publish._document.Document`.

Built from the results' public surface (each step's audit table and the
decomposition), rendered by :mod:`adverse_impact._publish._document`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._core._render import (
    Footnotes,
    audit_rows,
    decisive,
    svg_stacked,
    true,
)
from adverse_impact._publish._document import Document, Figure, Section, Table

if TYPE_CHECKING:
    from adverse_impact._audits._funnel import FunnelResult, TierResult

#: The name of the bottom line among the stages (as in :attr:`FunnelResult.table`).
BOTTOM = "bottom line"

_KEY = (
    ("below 4/5", "impact ratio under 0.8, the four-fifths rule of thumb (29 CFR 1607.4(D))"),
    ("(reference)", "the group the others are compared with at that step"),
    (
        "excluded",
        "no impact ratio: the group is under the small-category share of those who entered "
        "the step (see its note)",
    ),
    ("*", "in a chart: the group is below four-fifths at the bottom line (or at that tier)"),
    ("†", "in a chart: the group falls under the small-category share at the stage named"),
)


def _step_rows(table: pd.DataFrame, attribute: str) -> pd.DataFrame:
    return table[table["attribute"] == attribute].set_index("group")


def dropouts(names: list[str], results: list[Any]) -> dict[tuple[str, str], tuple[str, float]]:
    """Where each group first falls under the small-category share: (attribute, group) ->
    (stage, its share of the stage's entrants).  A group excluded from the first stage on
    is under the share of all applicants."""
    out: dict[tuple[str, str], tuple[str, float]] = {}
    for name, result in zip(names, results):
        table = result.table
        for row in table.to_dict(orient="records"):
            key = (str(row["attribute"]), str(row["group"]))
            if key not in out and true(row.get("excluded")):
                out[key] = (name, float(row.get("share", math.nan)))
    return out


def funnel_verdict(funnel: FunnelResult) -> tuple[str, bool]:
    """The funnel's verdict sentence, and whether it is a pass."""
    names = [*funnel.stages, BOTTOM]
    flagged = funnel.flagged_stages()
    bottom = funnel.bottom_line.table
    judged = bottom[~bottom["excluded"].astype(bool) & ~bottom["is_reference"].astype(bool)]
    lowest = ""
    if len(judged) and judged["impact_ratio"].notna().any():
        low = judged.loc[judged["impact_ratio"].astype(float).idxmin()]
        lowest = (
            "; the lowest bottom-line impact ratio is "
            f"{decisive(low['impact_ratio'], low['four_fifths_flag'])} "
            f"({low['attribute']}: {low['group']})"
        )
    n_steps = len(names)
    family = (
        f"; each of the {n_steps} steps is judged on its own by the four-fifths rule, with "
        "no correction for their number"
    )
    if not flagged:
        sentence = "No stage, and not the bottom line, has a group below four-fifths"
        return f"{sentence}{lowest}{family}.", True
    where = []
    for name in flagged:
        table = funnel.stage(name).table
        rows = table[table["four_fifths_flag"].map(true)]
        worst = rows.loc[rows["impact_ratio"].astype(float).idxmin()]
        where.append(f"{name} ({worst['group']}, {decisive(worst['impact_ratio'], True)})")
    teal = "; a favourable bottom line does not excuse the stage" if BOTTOM not in flagged else ""
    return (
        f"Groups fall below four-fifths at {len(flagged)} of {n_steps} steps: "
        f"{'; '.join(where)}{lowest}{teal}{family}.",
        False,
    )


def funnel_document(funnel: FunnelResult) -> Document:
    """The funnel's report: verdict, per attribute a chart of where applicants leave, the
    stage-by-stage table, each stage's share of the bottom-line disparity; key, notes,
    method and legal notes."""
    stages = list(funnel.stages)
    names = [*stages, BOTTOM]
    results = list(funnel.results)
    notes = Footnotes()
    verdict, passes = funnel_verdict(funnel)
    bottom = funnel.bottom_line
    params = bottom.params
    dropped = dropouts(names, results)
    facts = [
        f"{bottom.n_total:,} applicants; stages, in order: {' > '.join(stages)}; each stage "
        "is audited among those who entered it, the bottom line among all applicants.",
    ]
    unknown = ", ".join(f"{k}: {v:,}" for k, v in bottom.unknown.items() if v)
    if unknown:
        facts.append(f"Unknown category, left out of every figure: {unknown}.")
    if params.get("min_share") is not None:
        facts.append(
            f"Small categories: a group under {params['min_share']:.0%} of a step's entrants "
            "gets no impact ratio from that step on."
        )
    sections = []
    decomposition = funnel.decomposition
    for attribute in bottom.attributes:
        blocks: list[Any] = []
        blocks.append(_where_they_leave(attribute, stages, results, dropped))
        blocks.append(_stage_table(attribute, names, results, notes, dropped))
        share = _share_table(attribute, stages, decomposition, bottom.table)
        if share is not None:
            blocks.append(share)
        sections.append(Section(str(attribute), tuple(blocks)))
    method = (
        "Each stage: the number who passed divided by the number who entered it, per group; "
        "impact ratio against the highest-rate group of that stage.",
        "Bottom line: the last stage among all applicants (29 CFR 1607.4(C)'s total "
        "selection process).",
        "Share of the bottom-line disparity: the bottom-line rate is the product of the "
        "stage pass rates, so log(bottom-line impact ratio) is the sum over stages of "
        "log(stage rate of the group / stage rate of the bottom line's reference group); a "
        "stage's share is its term over the total, and the shares sum to 100%. A share "
        "over 100% or below 0% means stages pull in opposite directions.",
        "Chart: each group's applicants split by the stage at which they left, and those "
        "who passed every stage.",
    )
    legal = ("four_fifths", "bottom_line") + (
        ("ll144",) if params.get("min_share") is not None else ()
    )
    return Document(
        title="Funnel audit",
        verdict=verdict,
        passes=passes,
        facts=tuple(facts),
        sections=tuple(sections),
        key=_KEY,
        notes=tuple(notes.texts),
        method=method,
        legal=legal,
    )


def leave_shares(attribute: str, results: list[Any]) -> tuple[list[str], list[list[float]]]:
    """Each group's applicants split by the stage they left at, then those who passed all.

    ``results`` are the stages' audits then the bottom line's; shares of the
    group's applicants (the bottom line's ``n``), one row per group.
    """
    bottom = _step_rows(results[-1].table, attribute)
    parts = []
    for group in bottom.index:
        total = float(bottom.loc[group, "n"]) or 1.0
        row = []
        for result in results[:-1]:
            step = _step_rows(result.table, attribute)
            if group in step.index:
                left = float(step.loc[group, "n"]) - float(step.loc[group, "selected"])
            else:
                left = 0.0
            row.append(left / total)
        last = _step_rows(results[-2].table, attribute)
        row.append(float(last.loc[group, "selected"]) / total if group in last.index else 0.0)
        parts.append(row)
    return [str(g) for g in bottom.index], parts


def plot_funnel(funnel: FunnelResult, ax: Any = None, attribute: str | None = None) -> Any:
    """Where each group's applicants leave the funnel, as matplotlib stacked bars."""
    from adverse_impact._core._errors import input_error
    from adverse_impact._core._render import SEGMENT_COLOURS, SEGMENT_TEXT, axes

    attributes = list(funnel.bottom_line.attributes)
    attribute = attributes[0] if attribute is None else attribute
    if attribute not in attributes:
        raise input_error(
            "attribute", f"{attribute!r} was not audited", f"Use one of {attributes!r}"
        )
    groups, parts = leave_shares(attribute, list(funnel.results))
    names = [f"left at {s}" for s in funnel.stages] + ["passed every stage"]
    own = ax is None
    ax = axes(ax, figsize=(7, 2.2 + 0.45 * len(groups)), layout="constrained")
    left = np.zeros(len(groups))
    for j, name in enumerate(names):
        widths = np.array([row[j] for row in parts])
        ax.barh(
            groups,
            widths,
            left=left,
            color=SEGMENT_COLOURS[j % len(SEGMENT_COLOURS)],
            edgecolor="white",
            label=f"{j + 1} {name}",
        )
        for y, (x, w) in enumerate(zip(left, widths)):
            if w >= 0.07:  # the share in words where it fits: colour is not the only signal
                ax.text(
                    x + w / 2,
                    y,
                    f"{w:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=SEGMENT_TEXT[j % len(SEGMENT_TEXT)],
                )
        left += widths
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of the group's applicants")
    ax.set_title(f"Where applicants leave the funnel, by {attribute}")
    options = {"title": "parts, left to right", "ncol": 2, "fontsize": "small", "frameon": False}
    if own:
        # The figure's constrained layout makes room for a legend placed "outside".
        ax.figure.legend(loc="outside lower center", **options)
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), **options)
    return ax


def _where_they_leave(
    attribute: str,
    stages: list[str],
    results: list[Any],
    dropped: dict[tuple[str, str], tuple[str, float]],
) -> Figure:
    bottom = _step_rows(results[-1].table, attribute)
    groups, parts = leave_shares(attribute, results)
    marks = []
    for group in bottom.index:
        mark = []
        if true(bottom.loc[group, "four_fifths_flag"]):
            mark.append("* below 4/5")
        if (attribute, str(group)) in dropped:
            mark.append(f"† from {dropped[(attribute, str(group))][0]}")
        marks.append("; ".join(mark))
    names = [f"left at {s}" for s in stages] + ["passed every stage"]
    svg = svg_stacked(
        f"Where applicants leave the funnel, by {attribute}", groups, parts, names, marks=marks
    )
    return Figure(
        svg,
        f"Where each {attribute} group's applicants leave the funnel (share of the group's "
        "applicants); * below four-fifths at the bottom line; † under the small-category "
        "share from that stage on",
        alt=f"where each {attribute} group's applicants leave the funnel, stage by stage",
    )


def _shown_row(record: dict[str, Any], step: str, notes: str) -> tuple:
    """One group at one step (a stage, or "tier t or better"): the row both tables show."""
    return (
        record["group"],
        step,
        record["n"],
        record["selected"],
        record["rate"],
        record["ratio"],
        record["interval"],
        record["flag"],
        notes,
    )


def _stage_table(
    attribute: str,
    names: list[str],
    results: list[Any],
    notes: Footnotes,
    dropped: dict[tuple[str, str], tuple[str, float]],
) -> Table:
    header = (
        "group",
        "step",
        "entered",
        "passed",
        "pass rate",
        "impact ratio",
        "95% interval",
        "flag",
        "notes",
    )
    rows, classes = [], []
    for name, result in zip(names, results):
        table = result.table
        block = table[table["attribute"] == attribute]
        for record, raw in zip(
            audit_rows(block, notes, alpha=result.params.get("alpha"), p_column=None),
            block.to_dict(orient="records"),
        ):
            refs = record["notes"]
            where = dropped.get((attribute, str(raw["group"])))
            if where is not None and where[0] == name:
                text = (
                    f"{raw['group']} falls under the small-category share at {name} "
                    f"({where[1]:.1%} of those who entered it) and gets no impact ratio "
                    "from this step on (6 RCNY 5-301(d))"
                )
                refs = (refs + " " if refs else "") + f"[{notes.ref(text)}]"
            rows.append(_shown_row(record, name, refs))
            classes.append(record["classes"])
    return Table(
        header,
        tuple(rows),
        title=f"{attribute}: stage by stage",
        left=(0, 1, 7, 8),
        row_classes=tuple(classes),
    )


def _share_table(
    attribute: str, stages: list[str], decomposition: pd.DataFrame, bottom: pd.DataFrame
) -> Table | None:
    block = decomposition[decomposition["attribute"] == attribute]
    if block.empty:
        return None
    # The bottom line's flag: the ratio here is the one the stage table flags.
    flags = dict(_step_rows(bottom, attribute)["four_fifths_flag"])
    header = ["group", "bottom-line impact ratio", *[f"share: {s}" for s in stages]]
    rows = []
    for (group, reference), rows_ in block.groupby(["group", "reference"], sort=False):
        shares = rows_.set_index("stage")["share"]
        cells = [
            f"{shares[s]:.0%}" if s in shares.index and np.isfinite(shares[s]) else "—"
            for s in stages
        ]
        ratio = decisive(rows_["bottom_line_ratio"].iloc[0], flags.get(group), digits=3)
        rows.append((f"{group} vs {reference}", ratio, *cells))
    return Table(
        tuple(header),
        tuple(rows),
        title=f"{attribute}: each stage's share of the bottom-line disparity",
        caption=(
            "Against the bottom line's reference group; the shares of a row sum to 100% "
            "(blank when the bottom-line ratio is 1 or a rate is 0)."
        ),
    )


# -- tiers ------------------------------------------------------------------------------


def tier_document(tiers: TierResult) -> Document:
    """The tiers' report: verdict, per attribute a chart of each group across the tiers and
    the table of "tier t or better"; key, notes, method, legal notes."""
    notes = Footnotes()
    names = list(tiers.tiers)
    failing = [t for t, r in zip(names, tiers.results) if not r.passes()]
    first = tiers.results[-1]
    if failing:
        verdict = (
            f"Groups fall below four-fifths at {len(failing)} of {len(names)} tiers "
            f"(reaching {', '.join(failing)} or better); each tier is judged on its own, "
            "with no correction for their number."
        )
    else:
        verdict = (
            f"No group is below four-fifths at any of the {len(names)} tiers "
            "(reaching each tier or better)."
        )
    sections = []
    for attribute in first.attributes:
        widest = _step_rows(first.table, attribute)  # the lowest audited tier: most people
        groups = [str(g) for g in widest.index]
        parts, marks = [], []
        for group in widest.index:
            n = float(widest.loc[group, "n"]) or 1.0
            cumulative = [
                float(_step_rows(r.table, attribute).loc[group, "selected"]) / n
                for r in tiers.results
            ]
            shares = [cumulative[0]] + [b - a for a, b in zip(cumulative, cumulative[1:])]
            parts.append([*shares, 1.0 - cumulative[-1]])
            flagged = [
                t
                for t, r in zip(names, tiers.results)
                if true(_step_rows(r.table, attribute).loc[group, "four_fifths_flag"])
            ]
            marks.append(f"* at {', '.join(flagged)}" if flagged else "")
        figure = Figure(
            svg_stacked(
                f"Tiers reached by {attribute}",
                groups,
                parts,
                [*names, "the lowest tier"],
                marks=marks,
            ),
            f"Share of each {attribute} group placed in each tier, best first; * below "
            "four-fifths at the tiers named (tier or better)",
            alt=f"share of each {attribute} group in each tier",
        )
        rows, classes = [], []
        for name, result in zip(names, tiers.results):
            block = result.table[result.table["attribute"] == attribute]
            for record in audit_rows(block, notes, alpha=result.params.get("alpha")):
                rows.append(_shown_row(record, f"{name} or better", record["notes"]))
                classes.append(record["classes"])
        table = Table(
            (
                "group",
                "tier",
                "applicants",
                "reached",
                "rate",
                "impact ratio",
                "95% interval",
                "flag",
                "notes",
            ),
            tuple(rows),
            title=f"{attribute}: tier or better",
            left=(0, 1, 7, 8),
            row_classes=tuple(classes),
        )
        sections.append(Section(str(attribute), (figure, table)))
    return Document(
        title="Tier audit",
        verdict=verdict,
        passes=not failing,
        facts=(
            f"{first.n_total:,} applicants in {len(names) + 1} ordered tiers; each tier but "
            'the lowest is audited as the decision "placed in this tier or better" '
            "(6 RCNY 5-301(b)).",
        ),
        sections=tuple(sections),
        key=_KEY[:3] + (("*", "in a chart: below four-fifths at the tiers named"),),
        notes=tuple(notes.texts),
        method=(
            "Rate at a tier: the share of the group placed in that tier or a better one; "
            "impact ratio against the highest-rate group at that tier.",
        ),
        legal=("four_fifths", "ll144"),
    )
