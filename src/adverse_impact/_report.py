"""Reports of an audit: the LL144 Markdown summary, a self-contained HTML page, JSON.

Every report is rendered from the result's aggregate tables; none of them
sees a row of input data.  ``min_cell`` suppresses small counts for
publishing: a count below ``k`` is shown as ``"<k"`` and the rates and
ratios that would reveal it are withheld.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._errors import input_error
from adverse_impact._version import __version__

if TYPE_CHECKING:
    from adverse_impact._result import AuditResult

__all__ = ["check_min_cell", "fingerprint", "render_html", "render_json", "render_markdown",
           "suppressed_table", "wilson_interval"]

FOUR_FIFTHS_LINE = 0.8


def check_min_cell(min_cell: Any) -> int | None:
    if min_cell is None:
        return None
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise input_error("min_cell", f"{min_cell!r} is not a positive integer",
                          "Pass the smallest count that may be published, e.g. min_cell=5")
    return int(min_cell)


def _today() -> str:
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


# -- suppression and numbers ------------------------------------------------------

def suppressed_table(result: AuditResult, min_cell: int | None) -> pd.DataFrame:
    """The result table with small counts replaced by ``"<k"`` and dependent numbers removed.

    A row is suppressed when its ``n`` or its ``selected`` count is below
    ``min_cell``: both counts show ``"<k"`` where small, and every rate,
    ratio, test and interval of the row becomes missing, since with the other
    count they would reveal the small one.
    """
    table = result.table
    if min_cell is None:
        table["suppressed"] = False
        return table
    small_n = table["n"] < min_cell
    small_sel = table["selected"] < min_cell
    hidden = small_n | small_sel
    out = table.astype({"n": object, "selected": object})
    out.loc[small_n, "n"] = f"<{min_cell}"
    out.loc[small_sel, "selected"] = f"<{min_cell}"
    counts = {"attribute", "group", "n", "selected", "is_reference", "excluded", "note", "share"}
    for column in out.columns:
        if column not in counts:
            out[column] = out[column].astype(object)
            out.loc[hidden, column] = None
    # A share of the known rows, with the published totals, gives n back.
    out["share"] = out["share"].astype(object)
    out.loc[small_n, "share"] = None
    out["suppressed"] = hidden
    return out


def _count(value: Any, min_cell: int | None) -> Any:
    if min_cell is not None and isinstance(value, (int, np.integer)) and value < min_cell:
        return f"<{min_cell}"
    return int(value) if isinstance(value, (int, np.integer)) else value


def fingerprint(result: AuditResult) -> str:
    """SHA-256 of the audit's per-group counts, canonically serialised.

    What is hashed: the JSON text (sorted keys, no spaces) of
    ``{"attributes": [...], "strata": name or null, "rule": ..., "cutoff": ...,
    "cells": [[label, ..., n, selected, weight, weight_selected], ...]}`` with
    the cells sorted, labels as strings (missing labels as null) and weights
    rounded to 12 significant digits.  Two audits of the same counts give
    the same fingerprint, whatever the row order or engine of the input.
    Note that with very small counts a fingerprint can be matched by trying
    candidate counts; it identifies data, it does not hide it.
    """
    counts = result.counts
    columns = list(counts.attributes) + ([counts.strata] if counts.strata else [])
    cells = []
    for values in counts.table.to_dict(orient="records"):
        labels = [None if _missing(values.get(c, None)) else str(values.get(c))
                  for c in columns]
        cells.append(labels + [int(values["n"]), int(values["selected"]),
                               float(f"{values['weight']:.12g}"),
                               float(f"{values['weight_selected']:.12g}")])
    cells.sort(key=lambda cell: json.dumps(cell))
    canonical = json.dumps({"attributes": list(counts.attributes), "strata": counts.strata,
                            "rule": counts.rule, "cutoff": counts.cutoff, "cells": cells},
                           sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _true(value: Any) -> bool:
    return not _missing(value) and bool(value)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def wilson_interval(selected: np.ndarray, n: np.ndarray,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a selection rate (Wilson 1927)."""
    from scipy.stats import norm

    selected = np.asarray(selected, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = selected / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _fmt(value: Any, digits: int = 3) -> str:
    if _missing(value):
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"


# -- Markdown: the NYC Local Law 144 summary ---------------------------------------

def share_rule(params: Any) -> str | None:
    """The small-category rule in words, with its base (6 RCNY 5-301(d)), if one was used."""
    if params.get("min_share") is None:
        return None
    base = ("the rows whose category is known" if params.get("min_share_of", "known") == "known"
            else "all rows, unknown category included")
    return (f"categories under {params['min_share']:.0%} of {base} are excluded from the "
            "impact ratios (6 RCNY 5-301(d)); their number and rate are still reported")


def _measure(result: AuditResult) -> tuple[str, str]:
    """Names of the count and rate columns: selection or scoring (LL144 6 RCNY 5-300)."""
    if result.params.get("rule") == "scoring_rate":
        return "Number scoring above the median", "Scoring rate"
    return "Number selected", "Selection rate"


def render_markdown(result: AuditResult, *, min_cell: int | None = None,
                    data_source: str | None = None, audit_date: str | None = None,
                    data_type: str = "historical") -> str:
    min_cell = check_min_cell(min_cell)
    table = suppressed_table(result, min_cell)
    count_name, rate_name = _measure(result)
    params = result.params
    lines = ["# Bias audit summary", ""]
    lines.append(f"- **Date of the audit:** {audit_date or _today()}")
    lines.append(f"- **Data source:** {data_source or 'not stated'} ({data_type} data)")
    lines.append(f"- **Number of applicants audited:** {_fmt(_count(result.n_total, min_cell))}"
                 " (unknown category included)")
    if params.get("rule") == "scoring_rate":
        lines.append(f"- **Measure:** scoring rate: share of a category scoring above the "
                     f"median score of the full sample ({_fmt(params.get('cutoff'), 4)})")
    elif params.get("rule") == "threshold":
        lines.append(f"- **Measure:** selection rate at the score cut-off "
                     f"{_fmt(params.get('cutoff'), 4)}")
    else:
        lines.append("- **Measure:** selection rate (number selected / number of applicants)")
    unknown = "; ".join(f"{name}: {_fmt(_count(v, min_cell))}"
                        for name, v in result.unknown.items())
    lines.append(f"- **Number of individuals in the unknown category** (excluded from the "
                 f"calculations): {unknown}")
    if share_rule(params):
        lines.append(f"- **Small categories:** {share_rule(params)}")
    if min_cell:
        lines.append(f"- Counts below {min_cell} are shown as \"<{min_cell}\" and the rates "
                     "that would reveal them are withheld.")
    lines.append("")
    for attribute in result.attributes:
        rows = table[table["attribute"] == attribute]
        lines += [f"## {attribute}", "",
                  f"| Category | Number of applicants | {count_name} | {rate_name} | "
                  "Impact ratio |", "|---|---:|---:|---:|---:|"]
        for row in rows.itertuples(index=False):
            ratio = _fmt(row.impact_ratio)
            if row.excluded:
                ratio = "excluded¹"
            elif _true(row.four_fifths_flag):
                ratio += " *"
            label = str(row.group).replace("|", "\\|")
            lines.append(f"| {label} | {_fmt(row.n)} | {_fmt(row.selected)} | "
                         f"{_fmt(row.rate)} | {ratio} |")
        excluded = rows[rows["excluded"].astype(bool)]
        lines.append("")
        for row in excluded.itertuples(index=False):
            lines.append(f"¹ {row.group}: {row.note}; its {_fmt(row.n)} applicants and "
                         f"{rate_name.lower()} {_fmt(row.rate)} are reported, as 6 RCNY "
                         "5-301(d) requires.")
        if len(excluded):
            lines.append("")
    lines += [
        "Impact ratio: a category's rate divided by the rate of the "
        + ("highest-rate category" if params.get("reference", "highest") == "highest"
           else "reference category") + ". `*` marks ratios below 0.80 (the four-fifths "
        "rule of 29 CFR 1607.4(D)); Local Law 144 itself sets no pass mark.",
        "",
        f"Generated by adverse-impact {__version__}; fingerprint of the counts: "
        f"`{fingerprint(result)}`.",
        "",
    ]
    return "\n".join(lines)


# -- JSON ---------------------------------------------------------------------------

def render_json(result: AuditResult, *, min_cell: int | None = None, indent: int | None = 2,
                extra: dict[str, Any] | None = None) -> str:
    from adverse_impact._result import jsonable

    min_cell = check_min_cell(min_cell)
    payload = result.to_dict()
    table = suppressed_table(result, min_cell)
    payload["table"] = [{k: jsonable(v) for k, v in row.items()}
                        for row in table.to_dict(orient="records")]
    payload["unknown"] = {k: _count(v, min_cell) for k, v in result.unknown.items()}
    payload["n_total"] = _count(result.n_total, min_cell)
    if min_cell is not None:
        for name in ("pooled", "error_rates"):
            frame = payload.get(name)
            if frame:
                payload[name] = [_suppress_record(row, min_cell) for row in frame]
    payload["min_cell"] = min_cell
    payload["library"] = {"name": "adverse-impact", "version": __version__}
    payload["generated"] = _now()
    payload["fingerprint"] = fingerprint(result)
    if extra:
        payload.update(jsonable(extra))
    return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)


def _suppress_record(row: dict[str, Any], min_cell: int) -> dict[str, Any]:
    small = any(isinstance(row.get(k), int) and not isinstance(row.get(k), bool)
                and row[k] < min_cell for k in ("n", "selected", "n_positive", "n_negative"))
    if not small:
        return row
    return {k: (v if k in ("attribute", "group", "comparison") else None)
            for k, v in row.items()} | {"suppressed": True}


# -- HTML ---------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:70rem;color:#1b1f24;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.75rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f6f8fa}
tr.flag td{background:#fff1f0}tr.excluded td{color:#6e7781;font-style:italic}
.meta{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
figure{margin:0}figcaption{font-size:.85rem;color:#57606a}
"""


def _svg_bars(title: str, labels: list[str], values: list[float], *,
              low: list[float] | None = None, high: list[float] | None = None,
              flags: list[bool] | None = None, line: float | None = None,
              x_max: float = 1.0, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG, optional whiskers and a dashed reference line."""
    row, left, width = 22, 170, 300
    height = row * len(labels) + 40
    scale = width / x_max if x_max > 0 else width
    parts = [f'<svg role="img" width="{left + width + 60}" '
             f'height="{height}" viewBox="0 0 {left + width + 60} {height}">',
             f"<title>{html.escape(title)}</title>"]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * row
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
                     f"{html.escape(short)}</text>")
        if value is None or not np.isfinite(value):
            parts.append(f'<text x="{left + 4}" y="{y + 14}" font-size="11" fill="#6e7781">'
                         "no value</text>")
            continue
        colour = "#cf222e" if flags and flags[i] else "#0969da"
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{max(value, 0) * scale:.1f}" '
                     f'height="{row - 8}" fill="{colour}" opacity="0.8">'
                     f"<title>{html.escape(label)}: {value:.3f}{unit}</title></rect>")
        if low is not None and high is not None and np.isfinite(low[i]) and np.isfinite(high[i]):
            x1, x2 = left + low[i] * scale, left + min(high[i], x_max) * scale
            mid = y + row / 2
            parts.append(f'<line x1="{x1:.1f}" y1="{mid:.1f}" x2="{x2:.1f}" y2="{mid:.1f}" '
                         'stroke="#1b1f24" stroke-width="1.5"/>')
            for x in (x1, x2):
                parts.append(f'<line x1="{x:.1f}" y1="{mid - 4:.1f}" x2="{x:.1f}" '
                             f'y2="{mid + 4:.1f}" stroke="#1b1f24" stroke-width="1.5"/>')
    axis_y = 10 + row * len(labels)
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + width}" y2="{axis_y}" '
                 'stroke="#57606a"/>')
    for tick in np.linspace(0, x_max, 5):
        x = left + tick * scale
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle">'
                     f"{tick:.2g}</text>")
    if line is not None:
        x = left + line * scale
        parts.append(f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{axis_y}" stroke="#cf222e" '
                     'stroke-dasharray="4 3"><title>four-fifths line</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(frame: pd.DataFrame, *, row_classes: list[str] | None = None) -> str:
    head = "".join(f"<th scope=\"col\">{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_HTML_COLUMNS = ["group", "n", "selected", "rate", "impact_ratio", "ir_ci_low", "ir_ci_high",
                 "p_value_fisher", "significant", "shortfall", "note"]


def render_html(result: AuditResult, *, min_cell: int | None = None, title: str | None = None,
                sweep: Any = None, proxies: Any = None) -> str:
    min_cell = check_min_cell(min_cell)
    table = suppressed_table(result, min_cell)
    count_name, rate_name = _measure(result)
    title = title or "Adverse-impact audit"
    unknown = ", ".join(f"{html.escape(str(k))}: {html.escape(_fmt(_count(v, min_cell)))}"
                        for k, v in result.unknown.items())
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f'<p class="meta">{html.escape(_fmt(_count(result.n_total, min_cell)))} applicants '
           f"audited; unknown category (excluded from the calculations): {unknown}. "
           f"Generated {html.escape(_now())} by adverse-impact {html.escape(__version__)}; "
           f"counts fingerprint <code>{html.escape(fingerprint(result))}</code>.</p>"]
    if share_rule(result.params):
        out.append(f'<p class="meta">Small categories: {html.escape(share_rule(result.params))}'
                   "</p>")
    if min_cell:
        out.append(f'<p class="meta">Counts below {min_cell} are shown as "&lt;{min_cell}" and '
                   "the numbers that would reveal them are withheld.</p>")
    for attribute in result.attributes:
        rows = table[table["attribute"] == attribute].reset_index(drop=True)
        shown = rows[[c for c in _HTML_COLUMNS if c in rows]].rename(
            columns={"selected": count_name.lower(), "rate": rate_name.lower()})
        classes = ["excluded" if e else ("flag" if _true(f) else "")
                   for e, f in zip(rows["excluded"], rows["four_fifths_flag"])]
        labels = [str(g) for g in rows["group"]]
        rates = [float(r) if r is not None else float("nan") for r in rows["rate"]]
        visible = ~rows["suppressed"].to_numpy(dtype=bool)
        n = np.array([v if isinstance(v, (int, np.integer)) else 0 for v in rows["n"]])
        sel = np.array([v if isinstance(v, (int, np.integer)) else 0 for v in rows["selected"]])
        low, high = wilson_interval(sel, np.where(n > 0, n, 1))
        low, high = np.where(visible, low, np.nan), np.where(visible, high, np.nan)
        ratios = [float(r) if r is not None else float("nan") for r in rows["impact_ratio"]]
        ratio_max = max([1.0] + [r for r in ratios if np.isfinite(r)])
        flags = [_true(f) for f in rows["four_fifths_flag"]]
        out += [f"<h2>{html.escape(str(attribute))}</h2>",
                _html_table(shown, row_classes=classes), '<div class="charts">',
                "<figure>" + _svg_bars(f"{rate_name} by {attribute} with 95% Wilson intervals",
                                       labels, rates, low=list(low), high=list(high),
                                       flags=flags)
                + f"<figcaption>{html.escape(rate_name)} with 95% confidence intervals"
                "</figcaption></figure>",
                "<figure>" + _svg_bars(f"Impact ratio by {attribute} against the 0.8 line",
                                       labels, ratios, flags=flags, line=FOUR_FIFTHS_LINE,
                                       x_max=ratio_max)
                + "<figcaption>Impact ratio; the dashed line is four-fifths (0.8)"
                "</figcaption></figure>", "</div>"]
        notes = rows.loc[rows["excluded"].astype(bool), ["group", "note"]]
        for row in notes.itertuples(index=False):
            out.append(f"<p class=\"meta\">{html.escape(str(row.group))}: "
                       f"{html.escape(str(row.note))}</p>")
    pooled = result.pooled
    if pooled is not None and len(pooled):
        if min_cell is not None:
            pooled = pd.DataFrame([_suppress_record(r, min_cell)
                                   for r in pooled.to_dict(orient="records")])
        out += ["<h2>Pooled across strata (Mantel-Haenszel)</h2>", _html_table(pooled)]
    if sweep is not None:
        summary = sweep.summary()
        out += ["<h2>Threshold sweep</h2>",
                "<figure>" + _svg_bars("Lowest impact ratio at each cut-off",
                                       [f"{t:.3g}" for t in summary["threshold"]][::max(
                                           1, len(summary) // 25)],
                                       list(summary["min_impact_ratio"])[::max(
                                           1, len(summary) // 25)],
                                       line=FOUR_FIFTHS_LINE)
                + "<figcaption>Lowest impact ratio by cut-off (every "
                f"{max(1, len(summary) // 25)}th cut-off shown)</figcaption></figure>"]
    if proxies is not None:
        out += ["<h2>Top proxies</h2>", _html_table(proxies.to_frame().head(10))]
    out.append("</body></html>")
    return "\n".join(out)
