"""Reports of score gaps, age audits and model comparisons, as publication documents.

Each function reads a result's public surface and returns a
:class:`~adverse_impact._publish._document.Document`; the results' ``to_html``,
``to_markdown`` and ``_repr_html_`` render it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from adverse_impact._core._render import (
    FOUR_FIFTHS_LINE,
    Footnotes,
    audit_rows,
    decisive,
    fmt,
    fmt_interval,
    fmt_p,
    svg_bars,
    true,
)
from adverse_impact._publish._document import Document, Figure, Section, Table, Text

if TYPE_CHECKING:
    from adverse_impact._scores._age import AgeAudit
    from adverse_impact._scores._alternatives import ModelComparison
    from adverse_impact._scores._gaps import ScoreGaps

_FLAG_KEY = (
    "below 4/5",
    "impact ratio under 0.8, the four-fifths rule of thumb (29 CFR 1607.4(D)); red bars, "
    "values followed by *",
)


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# -- score gaps -------------------------------------------------------------------------


def gaps_document(gaps: ScoreGaps) -> Document:
    """Score gaps: verdict, per attribute the groups' d and g, the impact ratio at each
    cut-off, and a chart of the ratios at the middle cut-off."""
    table, cutoffs = gaps.table, gaps.thresholds
    compared = table[~table["is_reference"].astype(bool)]
    level = f"{gaps.confidence:.0%}"
    if compared["d"].notna().any():
        worst = compared.loc[compared["d"].astype(float).idxmax()]
        ref = gaps.reference[worst["attribute"]]
        sentence = (
            f"The largest score gap is d = {worst['d']:.2f} ({worst['attribute']}: "
            f"{worst['group']} below {ref}; Hedges' g {level} interval "
            f"{fmt_interval(worst['g_ci_low'], worst['g_ci_high'])})"
        )
    else:
        sentence = "No score gap could be computed"
    flagged = cutoffs[cutoffs["four_fifths_flag"].map(true)]
    n_cut = cutoffs["threshold"].nunique()
    if len(flagged):
        groups = sorted({f"{a}: {g}" for a, g in zip(flagged["attribute"], flagged["group"])})
        sentence += (
            f"; {len(groups)} group{'s' if len(groups) != 1 else ''} ({', '.join(groups)}) "
            f"fall below four-fifths at one or more of the {n_cut} cut-offs examined"
        )
    else:
        sentence += f"; no group falls below four-fifths at any of the {n_cut} cut-offs examined"
    sentence += "; each cut-off and group is read on its own, with no correction for their number."
    sections = []
    for attribute in gaps.reference:
        block = table[table["attribute"] == attribute]
        rows, classes = [], []
        for r in block.to_dict(orient="records"):
            reference = true(r["is_reference"])
            rows.append(
                (
                    str(r["group"]) + (" (reference)" if reference else ""),
                    fmt(r["n"]),
                    fmt(r["mean"]),
                    fmt(r["sd"]),
                    "—" if reference else fmt(r["d"]),
                    "—" if reference else fmt(r["g"]),
                    "—" if reference else fmt_interval(r["g_ci_low"], r["g_ci_high"]),
                    "—" if reference else fmt(r["ks_statistic"]),
                    "—" if reference else fmt_p(r["ks_p_value"]),
                    r["note"] if isinstance(r.get("note"), str) and r["note"] else "",
                )
            )
            classes.append("reference" if reference else "")
        groups_table = Table(
            (
                "group",
                "n",
                "mean score",
                "sd",
                "Cohen's d",
                "Hedges' g",
                f"{level} interval (g)",
                "KS statistic",
                "p-value (KS)",
                "note",
            ),
            tuple(rows),
            title=f"{attribute}: score distributions",
            left=(0, 9),
            row_classes=tuple(classes),
            caption="d and g: the reference group's mean minus the group's, in pooled standard "
            "deviations (positive: the group scores lower).",
        )
        blocks: list[Any] = [groups_table]
        cut = cutoffs[cutoffs["attribute"] == attribute]
        thresholds = sorted(cut["threshold"].unique())
        if thresholds:
            groups = [
                g
                for g in block["group"]
                if not true(block.set_index("group").loc[g, "is_reference"])
            ]
            header = ["cut-off (score at least)"] + [f"{g}: impact ratio" for g in groups]
            rows = []
            for t in thresholds:
                at = cut[cut["threshold"] == t].set_index("group")
                cells = [fmt(t, 3)]
                for g in groups:
                    if g not in at.index or not _finite(at.loc[g, "impact_ratio"]):
                        cells.append("—")
                        continue
                    below = true(at.loc[g, "four_fifths_flag"])
                    star = " * below 4/5" if below else ""
                    cells.append(f"{decisive(at.loc[g, 'impact_ratio'], below, digits=3)}{star}")
                rows.append(tuple(cells))
            blocks.append(
                Table(
                    tuple(header),
                    tuple(rows),
                    title=f"{attribute}: impact ratio at each cut-off",
                    caption="Rate with a score at or above the cut-off, divided by the "
                    "reference group's rate.",
                )
            )
            middle = thresholds[len(thresholds) // 2]
            at = cut[cut["threshold"] == middle]
            labels = [str(g) for g in at["group"]]
            ratios = [float(v) if _finite(v) else float("nan") for v in at["impact_ratio"]]
            blocks.append(
                Figure(
                    svg_bars(
                        f"Impact ratio by {attribute} at the cut-off {middle:.3g}",
                        labels,
                        ratios,
                        flags=[true(f) for f in at["four_fifths_flag"]],
                        line=FOUR_FIFTHS_LINE,
                        x_max=max([1.0] + [r for r in ratios if np.isfinite(r)]),
                    ),
                    f"Impact ratio at the middle cut-off ({middle:.3g}); the dashed line is "
                    "four-fifths (0.8); * marks a group below it",
                )
            )
        sections.append(Section(str(attribute), tuple(blocks)))
    unknown = ", ".join(f"{k}: {v:,}" for k, v in gaps.unknown.items() if v)
    return Document(
        title="Score gaps",
        verdict=sentence,
        passes=None,
        facts=(
            f"Scores compared by group against the reference group of each attribute"
            f"{' (weighted)' if gaps.weighted else ''}."
            + (f" Unknown category, left out: {unknown}." if unknown else ""),
        ),
        sections=tuple(sections),
        key=(("(reference)", "the group the others are compared with"), _FLAG_KEY),
        method=(
            "Cohen's d: difference of means over the pooled standard deviation; Hedges' g: d "
            f"corrected for small samples, with a {level} interval from its standard error "
            "(Hedges and Olkin 1985).",
            "KS: the two-sample Kolmogorov-Smirnov statistic and p-value against the "
            "reference group.",
            "Impact ratio at a cut-off: the share of the group with a score at or above it, "
            "over the reference group's share.",
        ),
        legal=("four_fifths", "scores"),
    )


# -- age --------------------------------------------------------------------------------


def age_document(age: AgeAudit) -> Document:
    """An age audit: verdict, the audit at the cut-off, the sweep (chart and table), the trend."""
    sweep = age.sweep
    audit = age.audit
    table = audit.table
    older = table[~table["is_reference"].astype(bool)]
    cutoff = f"{age.cutoff:g}"
    if len(older) and _finite(older["impact_ratio"].iloc[0]):
        # The audit's exact flag, as the table below it shows (a float ratio at
        # exactly 4/5 can be computed a hair under 0.8).
        below = true(older["four_fifths_flag"].iloc[0])
        sentence = (
            f"Applicants {cutoff} and over are selected at "
            f"{decisive(older['impact_ratio'].iloc[0], below)} times the rate of "
            f"those under {cutoff} ({'below' if below else 'not below'} four-fifths)"
        )
    else:
        sentence = f"No comparison at {cutoff} could be made"
    first = age.first_failing_cutoff()
    sentence += f"; of the {len(sweep)} cut-offs of the sweep, " + (
        f"the first below four-fifths is {first:g} and over"
        if first is not None
        else "none is below four-fifths"
    )
    t = age.trend
    if t.converged:
        sentence += (
            f"; the odds of selection change by x{t.odds_ratio_10y:.2f} per 10 years of age "
            f"(interval {t.ci_low:.2f} to {t.ci_high:.2f})"
        )
    sentence += "; the main comparison is the one judged, the sweep and trend describe."
    notes = Footnotes()
    records = audit_rows(table, notes, alpha=audit.params.get("alpha"))
    main = Table(
        (
            "group",
            "applicants",
            "selected",
            "rate",
            "impact ratio",
            "95% interval",
            "p-value (Fisher)",
            "flag",
            "notes",
        ),
        tuple(
            (
                r["group"],
                r["n"],
                r["selected"],
                r["rate"],
                r["ratio"],
                r["interval"],
                r["p"],
                r["flag"],
                r["notes"],
            )
            for r in records
        ),
        title=f"{cutoff} and over against under {cutoff}",
        left=(0, 7, 8),
        row_classes=tuple(r["classes"] for r in records),
    )
    labels = [f"{c:g} and over" for c in sweep["cutoff"]]
    ratios = [float(v) if _finite(v) else float("nan") for v in sweep["impact_ratio"]]
    figure = Figure(
        svg_bars(
            "Impact ratio of the older group at each age cut-off",
            labels,
            ratios,
            flags=[true(f) for f in sweep["four_fifths_flag"]],
            line=FOUR_FIFTHS_LINE,
            x_max=max([1.0] + [r for r in ratios if np.isfinite(r)]),
        ),
        "The older group's impact ratio against the younger at each cut-off; the dashed line "
        "is four-fifths (0.8); * marks a cut-off below it",
    )
    sweep_rows = []
    for r in sweep.to_dict(orient="records"):
        sweep_rows.append(
            (
                f"{r['cutoff']:g} and over",
                fmt(r["n_older"]),
                fmt(r["rate_older"]),
                fmt(r["n_younger"]),
                fmt(r["rate_younger"]),
                decisive(r["impact_ratio"], r["four_fifths_flag"], digits=3),
                fmt_p(r["p_value_fisher"]),
                "below 4/5" if true(r["four_fifths_flag"]) else "—",
            )
        )
    sweep_table = Table(
        (
            "older group",
            "older: applicants",
            "older: rate",
            "younger: applicants",
            "younger: rate",
            "impact ratio",
            "p-value (Fisher)",
            "flag",
        ),
        tuple(sweep_rows),
        title="The sweep of cut-offs",
        left=(0, 7),
    )
    trend = Text(
        "Trend: "
        + (
            f"the odds of selection change by x{t.odds_ratio_10y:.3f} per 10 years of age "
            f"(interval {t.ci_low:.3f} to {t.ci_high:.3f}, p = {fmt_p(t.p_value)}; logistic "
            f"regression on {t.n:,} applicants)."
            if t.converged
            else f"undefined ({t.note})."
        )
    )
    return Document(
        title="Age audit",
        verdict=sentence,
        passes=bool(age.passes()),
        facts=(f"Applicants whose age is unknown, left out: {age.unknown:,}.",),
        sections=(
            Section(f"At {cutoff}", (main,)),
            Section("Where a gap starts", (figure, sweep_table)),
            Section("Age as a number", (trend,)),
        ),
        key=(("(reference)", "the younger group, compared with"), _FLAG_KEY),
        notes=tuple(notes.texts),
        method=(
            "Each cut-off c compares applicants aged c and over with those under c; the "
            "younger group is the reference.",
            "p-value: Fisher's exact test, two-sided; interval of the ratio: Katz's log interval.",
            "Trend: a logistic regression of selection on age; the odds ratio is per 10 years.",
        ),
        legal=("adea", "four_fifths"),
    )


# -- model comparison -------------------------------------------------------------------


def models_document(result: ModelComparison) -> Document:
    """Models side by side: verdict, the table, the lowest impact ratio per model (chart)."""
    table = result.table
    level = f"{result.confidence:.0%}"
    rows, classes = [], []
    for r in table.to_dict(orient="records"):
        name = str(r["model"]) + (" (current)" if true(r.get("is_current")) else "")
        # The comparison's exact verdict (no group of the model below 4/5 of counts).
        flagged = _finite(r["min_impact_ratio"]) and not true(r["passes_four_fifths"])
        rows.append(
            (
                name,
                fmt(r["metric"], 4),
                fmt_interval(r.get("metric_ci_low"), r.get("metric_ci_high"), 3),
                fmt(r["precision"]),
                f"{r['selected_share']:.1%}" if _finite(r["selected_share"]) else "—",
                decisive(r["min_impact_ratio"], flagged, digits=3),
                fmt_interval(r.get("ir_ci_low"), r.get("ir_ci_high")),
                str(r.get("worst_group") or "—"),
                "below 4/5" if flagged else "—",
                "yes" if true(r.get("less_discriminatory")) else "no",
                "yes (not an option)" if true(r.get("uses_protected_attribute")) else "no",
            )
        )
        classes.append(" ".join(c for c, on in (("flag", flagged),) if on))
    models = Table(
        (
            "model",
            result.metric_name,
            f"{level} interval",
            "precision",
            "selected",
            "lowest impact ratio",
            f"{level} interval (ratio)",
            "lowest group",
            "flag",
            "less discriminatory",
            "uses the protected attribute",
        ),
        tuple(rows),
        title="Validity and adverse impact",
        left=(0, 7, 8, 9, 10),
        row_classes=tuple(classes),
    )
    ratios = [float(v) if _finite(v) else float("nan") for v in table["min_impact_ratio"]]
    low = [float(v) if _finite(v) else float("nan") for v in table["ir_ci_low"]]
    high = [float(v) if _finite(v) else float("nan") for v in table["ir_ci_high"]]
    figure = Figure(
        svg_bars(
            "Lowest impact ratio of each model",
            [str(m) for m in table["model"]],
            ratios,
            low=low,
            high=high,
            flags=[
                np.isfinite(r) and not true(p) for r, p in zip(ratios, table["passes_four_fifths"])
            ],
            line=FOUR_FIFTHS_LINE,
            x_max=max([1.0] + [h for h in high if np.isfinite(h)]),
        ),
        f"Each model's lowest impact ratio over every group, with its {level} bootstrap "
        "interval; the dashed line is four-fifths (0.8); * marks a model below it",
    )
    ratios_frame = result.impact_ratios
    by_group = Table(
        ("model", "attribute", "group", "applicants", "selected", "rate", "impact ratio", "flag"),
        tuple(
            (
                str(r["model"]),
                str(r["attribute"]),
                str(r["group"]),
                fmt(r["n"]),
                fmt(r["selected"]),
                fmt(r["rate"]),
                decisive(r["impact_ratio"], r["four_fifths_flag"], digits=3),
                "below 4/5" if true(r["four_fifths_flag"]) else "—",
            )
            for r in ratios_frame.to_dict(orient="records")
        ),
        title="Every group under every model",
        left=(0, 1, 2, 7),
        row_classes=tuple("flag" if true(f) else "" for f in ratios_frame["four_fifths_flag"]),
    )
    current = table[table["is_current"].astype(bool)]
    passes = None
    if len(current):
        passes = not result.alternatives and bool(current["passes_four_fifths"].iloc[0])
    return Document(
        title="Model comparison",
        verdict=result.verdict,
        passes=passes,
        facts=(
            f"{len(table)} models; current: {result.current!r}; validity: "
            f"{result.metric_name}; a model is a less discriminatory alternative when its "
            f"validity is within {result.tolerance:g} of the current model's and its lowest "
            f"impact ratio is higher; {result.n_resamples:,} bootstrap samples.",
        ),
        sections=(Section("Models", (models, figure)), Section("By group", (by_group,))),
        key=(
            _FLAG_KEY,
            ("(current)", "the model the others are alternatives to"),
        ),
        method=(
            "Every model's scores are turned into decisions by the same rule, then audited.",
            "Lowest impact ratio: the smallest ratio over every group of every attribute.",
            f"Intervals: {level} percentile bootstrap over applicants, paired across models.",
        ),
        legal=("alternatives", "four_fifths"),
    )
