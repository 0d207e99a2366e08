"""The monitoring report: a verdict in one sentence, the alerts, a chart per attribute.

Text (``summary()``), Markdown, notebook HTML and a self-contained page, all
drawn with the audit report's primitives (:mod:`adverse_impact._core._render`:
its stylesheet, tables, legend and number formats), so a ratio or a key reads
the same in both reports.  Reads a :class:`MonitorResult` by its fields only.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from adverse_impact._core._render import (
    axes,
    chart_labels,
    decisive,
    fmt,
    fmt_interval,
    wrap,
)

__all__ = [
    "document",
    "family_clause",
    "markdown",
    "notebook_html",
    "page_html",
    "plot",
    "ratio_text",
    "summary",
    "svg_chart",
    "verdict",
]

FOUR_FIFTHS = 0.8
_COLOURS = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a", "#bc4c00"]
_CHAR_PX = 7.0  # generous width of an 11-12px system-ui character: labels never clip


def _period_word(result: Any, plural: bool = True) -> str:
    period = result.params.get("period")
    if not period:
        return "periods" if plural else "period"
    return f"{period}s" if plural else str(period)


#: The lines a monitor's alerts watch: four-fifths, and any lower rate.
_LINES = {"below_four_fifths": FOUR_FIFTHS, "below_one": 1.0}


def ratio_text(value: Any, digits: int = 3) -> str:
    """A ratio with the decimals that show its side of both lines an alert watches.

    An alert is read on the confidence sequence, not on the ratio; the ratio
    has no decision of its own, so its own side of 0.8 and of 1 is shown
    (0.79996 is not "0.800" beside an alert under four-fifths).

    Examples
    --------
    >>> from adverse_impact._monitoring._report import ratio_text
    >>> ratio_text(3998 / 5000), ratio_text(0.99996, 2), ratio_text(0.5)
    ('0.7996', '0.99996', '0.500')
    """
    return _upper(value, None, None, digits)


def _upper(value: Any, four_fifths: Any, any_lower: Any, digits: int = 3) -> str:
    """A value on the sides of 0.8 and of 1 that ``four_fifths`` and ``any_lower`` decide
    (a sequence's upper end and its alerts); None: the value's own sides."""
    return max(
        (
            decisive(value, four_fifths, FOUR_FIFTHS, digits),
            decisive(value, any_lower, 1.0, digits),
        ),
        key=len,
    )


def _who(row: Any) -> str:
    return f"{row['group']} ({row['attribute']})"


def _since_words(row: Any, result: Any) -> str:
    if row["detector"] == "cumulative":
        return f"since monitoring began in {result.periods[0]}"
    return f"since {row['since']}"


def family_clause(result: Any) -> str:
    """The family watched and the false-alarm guarantee, in words."""
    params = result.params
    horizon = params.get("horizon")
    scope = (
        f"cumulatively and since every later {_period_word(result, plural=False)}"
        if horizon is not None
        else "cumulatively"
    )
    return f"family: {params['family']} watched {scope}; {params['guarantee']}"


def verdict(result: Any) -> str:
    """The report's first sentence: what was found, for which family, with which guarantee.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> result = ai.monitor(time=["2025-01-03", "2025-02-07"] * 4, selected=[1, 0] * 4,
    ...                     sensitive_features={"sex": list("FFFFMMMM")})
    >>> print(verdict(result))  # doctest: +NORMALIZE_WHITESPACE
    No alert: no group is shown selected at a lower rate than its reference group, either
    cumulatively or since a change; family: 1 comparison (sex) watched cumulatively and since
    every later month; the chance of any false alert within 36 months is at most 0.05.
    """
    alerts = result.alerts
    clause = family_clause(result)
    for kind, head, how, tail in (
        ("below_four_fifths", "Alert", "under four-fifths of {its} reference group's rate", ""),
        (
            "below_one",
            "Alert (not below four-fifths)",
            "a lower rate than {its} reference group",
            ", though not shown under four-fifths",
        ),
    ):
        rows = alerts[alerts["alert"] == kind]
        if rows.empty:
            continue
        order = {p: i for i, p in enumerate(result.periods)}
        # One finding per group: the alert that fired first.
        first = (
            rows.assign(_at=rows["first_period"].map(order.__getitem__))
            .sort_values(["_at", "detector"])
            .drop_duplicates(["attribute", "group"])
        )
        window = result.params.get("window")
        found = [
            f"{_who(row)} {_since_words(row, result)}"
            + (
                f" (ratio {ratio_text(row['window_ratio_now'], 2)} over the last {window} "
                f"{_period_word(result, window != 1)})"
                if window
                else ""  # a result logged before the recent window existed
            )
            for row in first.to_dict(orient="records")
        ]
        if len(first) == 1:
            row = first.iloc[0]
            return (
                f"{head}: {_who(row)} has been selected at {how.format(its='its')} "
                f"{found[0].removeprefix(_who(row) + ' ')}{tail}; {clause}."
            )
        if len(found) > 3:
            found = found[:3] + [f"{len(found) - 3} more group(s)"]
        names = ", ".join(found[:-1]) + " and " + found[-1]
        return f"{head}: {names} have been selected at {how.format(its='their')}{tail}; {clause}."
    return (
        "No alert: no group is shown selected at a lower rate than its reference group, "
        f"either cumulatively or since a change; {clause}."
        if result.params.get("horizon") is not None
        else "No alert: no group is shown selected at a lower rate than its reference "
        f"group; {clause}."
    )


_ALERT_WORDS = {"below_four_fifths": "below 4/5", "below_one": "below 1"}
_DETECTOR_WORDS = {"cumulative": "cumulative", "change": "since a change"}
ALERT_HEADER = [
    "attribute",
    "group",
    "alert",
    "detector",
    "first alerted",
    "since",
    "ratio at alert",
    "upper end at alert",
    "ratio now (last {w})",
    "ratio now (cumulative)",
    "still alerting",
]


def _alert_rows(result: Any) -> tuple[list[str], list[list[str]]]:
    window = result.params.get("window") or "?"
    header = [h.format(w=window) for h in ALERT_HEADER]
    rows = [
        [
            str(r["attribute"]),
            str(r["group"]),
            _ALERT_WORDS.get(r["alert"], str(r["alert"])),
            _DETECTOR_WORDS.get(r["detector"], str(r["detector"])),
            str(r["first_period"]),
            str(r["since"]),
            ratio_text(r["ratio_at_alert"]),
            # The alert is this upper end below its line.
            decisive(r["cs_high"], True, _LINES.get(r["alert"], FOUR_FIFTHS), 3),
            ratio_text(r["window_ratio_now"]),
            ratio_text(r["ratio_now"]),
            fmt(r["still_alerting"]),
        ]
        for r in result.alerts.to_dict(orient="records")
    ]
    return header, rows


def _last_look(result: Any, attribute: Any) -> tuple[list[str], list[list[str]], list[str]]:
    """Each group at the last look: counts, cumulative ratio and sequence, recent and change."""
    table = result.table
    last = table[(table["attribute"] == attribute) & (table["period"] == result.periods[-1])]
    window = result.params.get("window") or "?"
    header = [
        "group",
        "applicants (cumulative)",
        "selection rate (cumulative)",
        "impact ratio (cumulative)",
        "anytime-valid interval",
        f"impact ratio (last {window})",
        "lowest window: since",
        "its ratio",
        "its upper end",
    ]
    rows, classes = [], []
    for r in last.to_dict(orient="records"):
        reference = bool(r["is_reference"])
        rows.append(
            [
                str(r["group"]) + (" (reference)" if reference else ""),
                fmt(r["cum_n"]),
                fmt(r["cum_rate"]),
                ratio_text(r["cum_impact_ratio"]),
                _interval(r),
                ratio_text(r["win_impact_ratio"]),
                "—" if r.get("change_since") is None else str(r["change_since"]),
                ratio_text(r.get("change_impact_ratio")),
                _upper(
                    r.get("change_cs_high"),
                    r.get("alert_change_four_fifths"),
                    r.get("alert_change_any"),
                ),
            ]
        )
        alerting = bool(r["alert_four_fifths"]) or bool(r.get("alert_change_four_fifths"))
        classes.append(
            " ".join(c for c, on in (("flag", alerting), ("reference", reference)) if on)
        )
    return header, rows, classes


def _interval(row: Any) -> str:
    """The cumulative sequence as "low to high", its upper end on the side its alerts say."""
    text = fmt_interval(row["cs_low"], row["cs_high"])
    if text == "—":
        return text
    high = _upper(row["cs_high"], row.get("alert_four_fifths"), row.get("alert_any"), 2)
    return f"{text.partition(' to ')[0]} to {high}"


def _method(result: Any) -> list[str]:
    """The method and guarantee, as paragraphs of plain text."""
    params = result.params
    out = [f"{params['method'][0].upper()}{params['method'][1:]}."]
    horizon = params.get("horizon")
    if horizon is not None:
        out.append(
            f"Guarantee: if no ratio changes, {params['guarantee']} (Ville's inequality for "
            "each sequence, a union bound over the comparisons and restarts); after "
            f"{horizon} {_period_word(result)} the restarts continue at the same level and "
            f"the expected time to a false change alert is at least "
            f"{params['average_run_length']:,.0f} {_period_word(result)}. The bounds are "
            "asymptotic (Katz's variance); the seeded simulations in docs/monitoring.md "
            "check them."
        )
    if horizon is not None and len(result.periods) > horizon:
        out.append(
            f"This result covers {len(result.periods)} {_period_word(result)}, more than the "
            f"horizon of {horizon}: the within-horizon guarantee covers its first {horizon}."
        )
    out.append(
        "An alert says the anytime-valid interval lies wholly below the line (0.8 for the "
        "four-fifths alert, 1 for below 1)."
    )
    return out


def _set_aside(result: Any) -> str | None:
    bad = [
        f"{count:,} {what}"
        for count, what in (
            (result.n_missing_time, "with no time"),
            (result.n_unparseable_time, "with an unparseable time"),
        )
        if count
    ]
    return ("set aside: " + ", ".join(bad) + " rows") if bad else None


def _headline(result: Any) -> str:
    periods = result.periods
    count = len(periods)
    word = _period_word(result, count != 1)
    return (
        f"MonitorResult: {count} {word}"
        + (f" ({periods[0]} to {periods[-1]})" if periods else "")
        + f", {result.n_total:,} rows, alpha {result.params['alpha']:g} anytime-valid"
    )


def summary(result: Any) -> str:
    """The text report: the verdict, the headline, the alerts, what was set aside."""
    lines = [wrap(verdict(result)), _headline(result)]
    if result.alerts.empty:
        lines.append("no alert: every confidence sequence reaches 1")
    else:
        for r in result.alerts.to_dict(orient="records"):
            bound = "0.8" if r["alert"] == "below_four_fifths" else "1"
            where = (
                "cumulative"
                if r["detector"] == "cumulative"
                else f"since {r['since']}, change detector"
            )
            window = result.params.get("window")
            now = (
                f"{ratio_text(r['window_ratio_now'])} over the last {window}, " if window else ""
            ) + f"{ratio_text(r['ratio_now'])} cumulative"
            # The alert is the upper end below its line: it shows that side.
            high = decisive(r["cs_high"], True, _LINES.get(r["alert"], FOUR_FIFTHS), 3)
            lines.append(
                wrap(
                    f"alert: {r['attribute']}={r['group']} wholly below {bound} from "
                    f"{r['first_period']} ({where}: ratio {ratio_text(r['ratio_at_alert'])}, "
                    f"sequence upper end {high}); ratio now {now}",
                    indent="    ",
                )
            )
    horizon = result.params.get("horizon")
    if horizon is not None and len(result.periods) > horizon:
        lines.append(
            wrap(
                f"note: {len(result.periods)} {_period_word(result)}, beyond the horizon of "
                f"{horizon}; past it the guarantee is the average run length to a false "
                f"change alert (at least {result.params['average_run_length']:,.0f})",
                indent="    ",
            )
        )
    aside = _set_aside(result)
    if aside:
        lines.append(aside)
    return "\n".join(lines)


def document(result: Any) -> Any:
    """The report as the publication layer's :class:`Document`: verdict, alerts, a chart
    and a table per attribute, the key, the method and the dated legal note."""
    from adverse_impact._publish._document import Document, Figure, Section, Table, Text

    if result.alerts.empty:
        alerts_block = Text("No alert.")
    else:
        header, rows = _alert_rows(result)
        classes = tuple("flag" if r[2] == _ALERT_WORDS["below_four_fifths"] else "" for r in rows)
        alerts_block = Table(
            tuple(header),
            tuple(tuple(r) for r in rows),
            left=(0, 1, 2, 3, 4, 5),
            row_classes=classes,
        )
    sections = [Section("Alerts", (alerts_block,))]
    for attribute in dict.fromkeys(result.table["attribute"]):
        header, rows, classes = _last_look(result, attribute)
        sections.append(
            Section(
                str(attribute),
                (
                    Figure(
                        svg_chart(result, attribute),
                        f"{attribute}: impact ratio against the reference group by "
                        f"{_period_word(result, plural=False)}",
                        alt=f"Chart of {attribute}'s impact ratios over time (see the table).",
                        narrow=svg_chart(result, attribute, narrow=True),
                    ),
                    Table(
                        tuple(header),
                        tuple(tuple(r) for r in rows),
                        title=f"At the last look ({result.periods[-1]})",
                        left=(0, 6),
                        row_classes=tuple(classes),
                    ),
                ),
            )
        )
    kinds = set(result.alerts["alert"])
    passes = None if kinds == {"below_one"} else not kinds
    facts = [_headline(result) + "."]
    aside = _set_aside(result)
    if aside:
        facts.append(aside.capitalize() + ".")
    return Document(
        title="Adverse-impact monitoring",
        verdict=verdict(result),
        passes=passes,
        facts=tuple(facts),
        sections=tuple(sections),
        key=tuple(_legend_pairs(result)),
        method=tuple(_method(result)),
        legal=("four_fifths",),
    )


def markdown(result: Any) -> str:
    """The report as Markdown (the publication layer's rendering of :func:`document`)."""
    from adverse_impact._publish._document import render_markdown

    return render_markdown(document(result))


# -- the chart ----------------------------------------------------------------------


def _legend_pairs(result: Any) -> list[tuple[str, str]]:
    level = result.params["alpha_per_comparison"]
    window = result.params.get("window") or "?"
    return [
        ("solid line", "impact ratio, cumulative from the first period"),
        ("dashed line", f"impact ratio over the last {window} {_period_word(result)}"),
        (
            "shaded band",
            f"{1 - level:.4g} anytime-valid confidence sequence of the cumulative ratio",
        ),
        ("red dashed line", "four-fifths (0.8)"),
        ("▼ filled", "four-fifths alert (first period it fired)"),
        ("▽ hollow", "below-1 alert (first period it fired)"),
        (
            "name at a line's end",
            'the group, "(reference)" when it is the reference at the last look; a line lies '
            "at 1 while its group is the reference, and a group that is the reference at "
            "every look has no line",
        ),
    ]


def _ticks(y_max: float) -> list[float]:
    step = 0.2 if y_max <= 1.6 else 0.5
    return [round(v, 2) for v in np.arange(0, y_max + 1e-9, step)]


def svg_chart(result: Any, attribute: Any, *, narrow: bool = False) -> str:
    """One attribute's time chart as inline SVG: axes with titles, the 0.8 line, the
    cumulative ratio with its band, the recent-window ratio, alerts, labels at line ends.

    Every text is placed inside the drawing's box (labels are wrapped or abbreviated with
    a key below the chart), so none is clipped at any width: the picture scales.  The
    ``narrow`` drawing is for a phone: a shorter time axis and the line styles' legend
    under the plot instead of beside it, so that scaled to a phone its text stays
    readable.
    """
    table = result.table
    periods = result.periods
    rows = table[table["attribute"] == attribute]
    drawn = [
        (g, part) for g, part in rows.groupby("group", sort=False) if not part["is_reference"].all()
    ]
    # A group drawn although it is the reference now (it was not at some earlier look) says
    # so at its line's end, as the table under the chart does.
    last = periods[-1]
    labels, key = chart_labels(
        [
            str(g)
            + (" (reference)" if part.loc[part["period"] == last, "is_reference"].any() else "")
            for g, part in drawn
        ]
    )
    longest = max([len(s) for parts in labels for s in parts] + [4])
    left, top, plot_w, plot_h = 58, 14, (250 if narrow else 470), 220
    right = int(longest * _CHAR_PX) + 18
    x_title_y = top + plot_h + 40
    if narrow:  # the line styles' legend under the plot, in two columns of three
        legend_x, legend_y = 8, x_title_y + 16
        width = left + plot_w + right
        key_y = legend_y + 3 * 18 + 4
    else:  # beside the lines
        legend_x, legend_y = left + plot_w + right + 8, top + 8
        width = legend_x + 150
        key_y = x_title_y + 20
    height = key_y - 12 + 16 * len(key) + (8 if narrow else 0)
    values = [1.0]
    for _, part in drawn:
        for column in ("cum_impact_ratio", "win_impact_ratio"):
            values += [v for v in part[column] if np.isfinite(v)]
    y_max = min(2.0, max(1.2, math.ceil(max(values) * 1.05 / 0.2) * 0.2))
    span = max(len(periods) - 1, 1)
    position = {p: i for i, p in enumerate(periods)}

    def x_of(i: float) -> float:
        return left + (i / span) * plot_w if len(periods) > 1 else left + plot_w / 2

    def y_of(v: float) -> float:
        return top + (1 - min(max(v, 0.0), y_max) / y_max) * plot_h

    title = f"{attribute}: impact ratio over time, cumulative and over recent periods"
    parts = [
        f'<svg role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif">',
        f"<title>{html.escape(title)}</title>",
    ]
    # Grid, ticks and axis titles.
    for tick in _ticks(y_max):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d7de" stroke-width="{1.2 if tick == 1 else 0.6}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end">{tick:.1f}</text>'
        )
    label_px = max(len(str(p)) for p in periods) * _CHAR_PX * 0.9 + 10
    spacing = plot_w / max(len(periods), 1)
    step = max(1, math.ceil(label_px / spacing))
    for i in range(0, len(periods), step):
        parts.append(
            f'<text class="tick" x="{x_of(i):.1f}" y="{top + plot_h + 16}" font-size="11" '
            f'text-anchor="middle">{html.escape(str(periods[i]))}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#57606a"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#57606a"/>'
        f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{x_title_y}" font-size="12" '
        f'text-anchor="middle">{html.escape(_period_word(result, plural=False))}</text>'
        f'<text class="axis-title" x="14" y="{top + plot_h / 2:.1f}" font-size="12" '
        f'text-anchor="middle" transform="rotate(-90 14 {top + plot_h / 2:.1f})">'
        "impact ratio</text>"
    )
    y80 = y_of(FOUR_FIFTHS)
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y80:.1f}" y2="{y80:.1f}" '
        'stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4">'
        "<title>four-fifths line (0.8)</title></line>"
        f'<text class="line-label" x="{left + 4}" y="{y80 + 14:.1f}" font-size="11" '
        'fill="#cf222e" paint-order="stroke" stroke="#fff" stroke-width="3">'
        "four-fifths (0.8)</text>"
    )
    ends = []
    alerts = result.alerts
    for k, (group, part) in enumerate(drawn):
        colour = _COLOURS[k % len(_COLOURS)]
        idx = [position[p] for p in part["period"]]
        low, high = part["cs_low"].to_numpy(float), part["cs_high"].to_numpy(float)
        ok = np.isfinite(low) & np.isfinite(high)
        top_pts = [f"{x_of(i):.1f},{y_of(h):.1f}" for i, h, g in zip(idx, high, ok) if g]
        bottom_pts = [f"{x_of(i):.1f},{y_of(v):.1f}" for i, v, g in zip(idx, low, ok) if g]
        if len(top_pts) > 1:
            parts.append(
                f'<polygon points="{" ".join(top_pts + bottom_pts[::-1])}" fill="{colour}" '
                f'opacity="0.13"><title>{html.escape(str(group))}: confidence sequence'
                "</title></polygon>"
            )
        for column, dash in (
            ("win_impact_ratio", ' stroke-dasharray="5 3"'),
            ("cum_impact_ratio", ""),
        ):
            pts = [
                f"{x_of(i):.1f},{y_of(v):.1f}"
                for i, v in zip(idx, part[column].to_numpy(float))
                if np.isfinite(v)
            ]
            if pts:
                what = "cumulative" if column == "cum_impact_ratio" else "recent window"
                parts.append(
                    f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" '
                    f'stroke-width="{2.2 if not dash else 1.5}"{dash}>'
                    f"<title>{html.escape(str(group))}: {what} impact ratio</title></polyline>"
                )
        last_cum = part["cum_impact_ratio"].to_numpy(float)
        finite = np.isfinite(last_cum)
        if finite.any():
            ends.append([y_of(last_cum[finite][-1]), k, colour])
        mine = alerts[(alerts["attribute"] == attribute) & (alerts["group"] == group)]
        for r in mine.to_dict(orient="records"):
            if not np.isfinite(r["ratio_at_alert"]):
                continue
            cx, cy = x_of(position[r["first_period"]]), y_of(r["ratio_at_alert"])
            filled = r["alert"] == "below_four_fifths"
            parts.append(
                f'<path d="M{cx - 6:.1f},{cy - 11:.1f} L{cx + 6:.1f},{cy - 11:.1f} '
                f'L{cx:.1f},{cy - 1:.1f} Z" fill="{colour if filled else "#fff"}" '
                f'stroke="#1b1f24" stroke-width="1"><title>{html.escape(str(group))}: '
                f"{_ALERT_WORDS[r['alert']]} alert ({_DETECTOR_WORDS[r['detector']]}) from "
                f"{html.escape(str(r['first_period']))}</title></path>"
            )
    # Labels at the lines' ends, pushed apart so that none overlaps another.
    ends.sort()
    for j in range(1, len(ends)):
        lines_above = len(labels[ends[j - 1][1]])
        ends[j][0] = max(ends[j][0], ends[j - 1][0] + 13 * lines_above + 2)
    for y, k, colour in ends:
        spans = "".join(
            f'<tspan x="{left + plot_w + 8}" dy="{0 if j == 0 else 12}">{html.escape(s)}</tspan>'
            for j, s in enumerate(labels[k])
        )
        parts.append(
            f'<text class="label" x="{left + plot_w + 8}" y="{min(y + 4, height - 4):.1f}" '
            f'font-size="12" fill="{colour}" font-weight="600">{spans}'
            f"<title>{html.escape(str(drawn[k][0]))}</title></text>"
        )
    window = result.params.get("window")
    styles = [
        ('<line x1="0" x2="22" y1="0" y2="0" stroke="#57606a" stroke-width="2.2"/>', "cumulative"),
        (
            '<line x1="0" x2="22" y1="0" y2="0" stroke="#57606a" stroke-width="1.5" '
            'stroke-dasharray="5 3"/>',
            f"last {window} {_period_word(result, window != 1)}" if window else "recent",
        ),
        ('<rect x="0" y="-5" width="22" height="10" fill="#57606a" opacity="0.2"/>', "sequence"),
        (
            '<line x1="0" x2="22" y1="0" y2="0" stroke="#cf222e" stroke-width="1.5" '
            'stroke-dasharray="6 4"/>',
            "four-fifths",
        ),
        ('<path d="M5,-5 L17,-5 L11,5 Z" fill="#57606a" stroke="#1b1f24"/>', "4/5 alert"),
        ('<path d="M5,-5 L17,-5 L11,5 Z" fill="#fff" stroke="#1b1f24"/>', "below-1 alert"),
    ]
    parts.append(f'<g class="legend" transform="translate({legend_x} {legend_y})">')
    column_w = (width - 2 * legend_x) / 2
    for j, (mark, words) in enumerate(styles):
        dx, dy = ((j // 3) * column_w, (j % 3) * 18) if narrow else (0, 18 * j)
        parts.append(
            f'<g transform="translate({dx:.0f} {dy})">{mark}<text class="legend-label" x="28" '
            f'y="4" font-size="11">{html.escape(words)}</text></g>'
        )
    parts.append("</g>")
    for j, (short, label) in enumerate(key):
        parts.append(
            f'<text class="key" x="4" y="{key_y + 16 * j}" font-size="11">'
            f"{html.escape(short)}: {html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# -- HTML ---------------------------------------------------------------------------


def notebook_html(result: Any) -> str:
    """The report for a notebook cell: the publication layer's fragment."""
    from adverse_impact._publish._document import render_fragment

    return render_fragment(document(result))


def page_html(result: Any) -> str:
    """The report as a self-contained page: no script, no network, the audit report's style."""
    from adverse_impact._publish._document import render_html

    return render_html(document(result))


# -- matplotlib ---------------------------------------------------------------------


def plot(result: Any, attribute: Any = None, *, ax: Any = None) -> Any:
    """The chart with matplotlib: returns the axes; the figure uses constrained layout so
    a plain ``savefig`` keeps every label."""
    table = result.table
    attribute = attribute if attribute is not None else table["attribute"].iloc[0]
    rows = table[table["attribute"] == attribute]
    ax = axes(ax, figsize=(9, 4.5), layout="constrained")
    periods = result.periods
    position = {p: i for i, p in enumerate(periods)}
    alerts = result.alerts
    for k, (group, part) in enumerate(rows.groupby("group", sort=False)):
        if part["is_reference"].all():
            continue
        colour = _COLOURS[k % len(_COLOURS)]
        x = [position[p] for p in part["period"]]
        # As in the HTML chart: a group drawn although it is the reference now says so.
        now = part.loc[part["period"] == periods[-1], "is_reference"].any()
        name = f"{group} (reference)" if now else str(group)
        ax.plot(x, part["cum_impact_ratio"], color=colour, linewidth=2, label=f"{name}, cumulative")
        ax.plot(
            x,
            part["win_impact_ratio"],
            color=colour,
            linestyle="--",
            linewidth=1.2,
            label=f"{name}, last {result.params.get('window', 3)}",
        )
        ax.fill_between(
            x,
            part["cs_low"].clip(0, 2),
            part["cs_high"].clip(0, 2),
            color=colour,
            alpha=0.15,
            label=f"{name}, confidence sequence",
        )
        mine = alerts[(alerts["attribute"] == attribute) & (alerts["group"] == group)]
        for r in mine.to_dict(orient="records"):
            filled = r["alert"] == "below_four_fifths"
            ax.plot(
                [position[r["first_period"]]],
                [r["ratio_at_alert"]],
                marker="v",
                markersize=9,
                color=colour if filled else "white",
                markeredgecolor="black",
                linestyle="none",
            )
    ax.axhline(FOUR_FIFTHS, color="#cf222e", linestyle="--", label="four-fifths (0.8)")
    ax.axhline(1.0, color="#57606a", linewidth=0.8)
    step = max(1, len(periods) // 12)
    ax.set_xticks(range(0, len(periods), step), [str(p) for p in periods[::step]])
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_ylim(0, 2)
    ax.set_xlabel(_period_word(result, plural=False))
    ax.set_ylabel("impact ratio")
    ax.set_title(f"{attribute}: impact ratio against the reference group")
    # The legend beside the lines, outside the axes; constrained layout makes room.
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    return ax
