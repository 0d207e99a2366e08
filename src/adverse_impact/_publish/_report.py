"""Reports of an audit: the LL144 Markdown summary, a self-contained HTML page, JSON.

Every report is rendered from the result's aggregate tables; none of them
sees a row of input data.  ``min_cell`` suppresses small counts for
publishing: a count below ``k`` is shown as ``"<k"`` and the rates and
ratios that would reveal it are withheld.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._render import (
    FOUR_FIFTHS_LINE,
    P_VALUE_WORDS,
    P_VALUE_WORDS_SHORT,
    WORD_FEW,
    WORD_FLAG,
    Footnotes,
    audit_rows,
    decision_rule,
    decisive,
    family_text,
    fmt,
    fmt_interval,
    jsonable,
    markdown_notes,
    markdown_table,
    missing,
    pooled_rows,
    scoring_median,
    svg_bars,
    true,
)
from adverse_impact._publish._document import (
    Document,
    Figure,
    Legend,
    Section,
    Table,
    Text,
)
from adverse_impact._version import __version__

if TYPE_CHECKING:
    from adverse_impact._audits._result import AuditResult

__all__ = [
    "audit_document",
    "check_min_cell",
    "fingerprint",
    "render_html",
    "render_json",
    "render_markdown",
    "suppressed_table",
    "verdict",
    "wilson_interval",
]


def check_min_cell(min_cell: Any) -> int | None:
    if min_cell is None:
        return None
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise input_error(
            "min_cell",
            f"{min_cell!r} is not a positive integer",
            "Pass the smallest count that may be published, e.g. min_cell=5",
        )
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
        labels = [None if missing(values.get(c, None)) else str(values.get(c)) for c in columns]
        cells.append(
            labels
            + [
                int(values["n"]),
                int(values["selected"]),
                float(f"{values['weight']:.12g}"),
                float(f"{values['weight_selected']:.12g}"),
            ]
        )
    cells.sort(key=lambda cell: json.dumps(cell))
    canonical = json.dumps(
        {
            "attributes": list(counts.attributes),
            "strata": counts.strata,
            "rule": counts.rule,
            "cutoff": counts.cutoff,
            "cells": cells,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def wilson_interval(
    selected: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
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


# -- Markdown: the NYC Local Law 144 summary ---------------------------------------


def share_rule(params: Any) -> str | None:
    """The small-category rule in words, with its base (6 RCNY 5-301(d)), if one was used."""
    if params.get("min_share") is None:
        return None
    base = (
        "the rows whose category is known"
        if params.get("min_share_of", "known") == "known"
        else "all rows, unknown category included"
    )
    return (
        f"categories under {params['min_share']:.0%} of {base} are excluded from the "
        "impact ratios (6 RCNY 5-301(d)); their number and rate are still reported"
    )


def _measure(result: AuditResult) -> tuple[str, str]:
    """Names of the count and rate columns: selection or scoring (LL144 6 RCNY 5-300)."""
    if result.params.get("rule") == "scoring_rate":
        return "Number scoring above the median", "Scoring rate"
    return "Number selected", "Selection rate"


def _p_column(result: AuditResult) -> tuple[str | None, str]:
    """The p-value column behind the audit's ``significant`` column, and its header."""
    test = result.params.get("test")
    column = {
        "fisher": "p_value_fisher",
        "fisher_midp": "p_value_fisher_midp",
        "z": "p_value_z",
    }.get(test or "")
    if column is None or column not in result.table.columns:
        return None, "p-value"
    return column, P_VALUE_WORDS[test]


def _columns(
    table: pd.DataFrame,
    p_column: str | None,
    count_name: str,
    rate_name: str,
    p_words: str = P_VALUE_WORDS_SHORT,
) -> list[tuple[str, str]]:
    """(record key, header in words) of the audit table's columns, as the table has them."""
    columns = [
        ("group", "Category"),
        ("n", "Number of applicants"),
        ("selected", count_name),
        ("rate", rate_name),
        ("ratio", "Impact ratio"),
    ]
    if "ir_ci_low" in table:
        columns.append(("interval", "95% interval (impact ratio)"))
    if p_column is not None:
        columns.append(("p", p_words))
    if "shortfall" in table:
        columns.append(("shortfall", "Shortfall (people)"))
    return columns + [("flag", "Flag"), ("notes", "Notes")]


def _excluded_note(table: pd.DataFrame, rate_name: str) -> pd.DataFrame:
    """The excluded rows' notes, saying the category is still reported (6 RCNY 5-301(d))."""
    table = table.copy()
    excluded = table["excluded"].astype(bool)
    table.loc[excluded, "note"] = [
        f"{note}; the category's applicants and {rate_name.lower()} are still reported, as "
        "6 RCNY 5-301(d) requires"
        for note in table.loc[excluded, "note"]
    ]
    return table


def _family_sentence(result: AuditResult) -> str:
    """What the per-row p-values are, and the family a release gate tests instead."""
    family = result.params.get("family")
    if not family:
        return ""
    return (
        "Each row's p-value tests that one comparison. A release gate asks whether any "
        "group of any attribute or intersection is significantly below the highest rate, "
        f"and tests them as one {family_text(family, result.params.get('alpha'))} "
        "(the adjusted p-values are in the JSON report; fair data fails this test at most "
        "alpha of the time)."
    )


def render_markdown(
    result: AuditResult,
    *,
    min_cell: int | None = None,
    data_source: str | None = None,
    audit_date: str | None = None,
    data_type: str = "historical",
    title: str | None = None,
) -> str:
    min_cell = check_min_cell(min_cell)
    table = _excluded_note(suppressed_table(result, min_cell), _measure(result)[1])
    count_name, rate_name = _measure(result)
    params = result.params
    # The finding first, as in every report.  Local Law 144 sets no pass mark: the
    # published summary states it against the four-fifths rule of thumb, not as a pass or
    # a fail.
    lines = [
        f"# {title or 'Bias audit summary'}",
        "",
        f"**Against the four-fifths rule of thumb:** {verdict(result, table)}",
        "",
    ]
    lines.append(f"- **Date of the audit:** {audit_date or _today()}")
    lines.append(f"- **Data source:** {data_source or 'not stated'} ({data_type} data)")
    lines.append(
        f"- **Number of applicants audited:** {fmt(_count(result.n_total, min_cell))}"
        " (unknown category included)"
    )
    median = scoring_median(params, result.n_total)
    if median:
        lines.append(f"- **Measure:** {median.removeprefix('Scoring rate: ')}")
    elif params.get("rule") == "threshold":
        lines.append(
            f"- **Measure:** selection rate at the score cut-off {fmt(params.get('cutoff'), 4)}"
        )
    else:
        lines.append("- **Measure:** selection rate (number selected / number of applicants)")
    unknown = "; ".join(f"{name}: {fmt(_count(v, min_cell))}" for name, v in result.unknown.items())
    lines.append(
        f"- **Number of individuals in the unknown category** (excluded from the "
        f"calculations): {unknown}"
    )
    if share_rule(params):
        lines.append(f"- **Small categories:** {share_rule(params)}")
    rule = decision_rule(params, result.n_total)
    if rule:
        lines.append(f"- **Decisions:** {rule.removeprefix('Decisions: ')}")
    if min_cell:
        lines.append(
            f'- Counts below {min_cell} are shown as "<{min_cell}" and the rates '
            "that would reveal them are withheld."
        )
    lines.append("")
    notes = Footnotes()
    p_column, p_words = _p_column(result)
    columns = _columns(table, p_column, count_name, rate_name, p_words)
    records = audit_rows(table, notes, alpha=params.get("alpha"), p_column=p_column)
    for attribute in result.attributes:
        rows = [r for r in records if r["attribute"] == str(attribute)]
        lines += [f"## {attribute}", ""]
        lines += markdown_table(
            [h for _, h in columns],
            [[r[k] for k, _ in columns] for r in rows],
            left=(0, len(columns) - 2, len(columns) - 1),
        )
        lines.append("")
    lines += _markdown_pooled(result, min_cell)
    reference = (
        "highest-rate category"
        if params.get("reference", "highest") == "highest"
        else "reference category"
    )
    lines += [
        (
            "**Key.** Impact ratio: a category's rate divided by the rate of the "
            f'{reference}, marked "(reference)". Flag "{WORD_FLAG}": a ratio under 0.80, '
            "the four-fifths rule of 29 CFR 1607.4(D) (Local Law 144 itself sets no pass "
            f'mark). Flag "{WORD_FEW}": the flag rests on a handful of people (see its '
            "note). 95% interval: the impact ratio's confidence interval; p-value: "
            "two-sided, against the comparison group; shortfall: how many more people the "
            "category would need selected to match the comparison group's rate."
        ),
        "",
    ]
    family = _family_sentence(result)
    if family:
        lines += [f"**Significance across the audit.** {family}", ""]
    if len(notes):
        lines += ["## Notes", ""] + markdown_notes(notes) + [""]
    lines += [
        (
            f"Generated by adverse-impact {__version__}; fingerprint of the counts: "
            f"`{fingerprint(result)}`."
        ),
        "",
    ]
    return "\n".join(lines)


def _pooled_frame(result: AuditResult, min_cell: int | None) -> pd.DataFrame | None:
    pooled = result.pooled
    if pooled is None or not len(pooled):
        return None
    if min_cell is not None:
        pooled = pd.DataFrame(
            [_suppress_record(r, min_cell) for r in pooled.to_dict(orient="records")]
        )
    return pooled


_POOLED_TITLE = "Pooled across strata (Mantel-Haenszel)"
_POOLED_TEXT = (
    "Each group's odds of selection against the comparison group's, pooled over "
    "the strata by Mantel-Haenszel; the CMH p-value tests for a difference within "
    "strata, the Breslow-Day p-value for a difference that varies between strata. "
    "A Simpson reversal is a pooled direction opposite to the strata-ignored one."
)


def _markdown_pooled(result: AuditResult, min_cell: int | None) -> list[str]:
    pooled = _pooled_frame(result, min_cell)
    if pooled is None:
        return []
    header, rows = pooled_rows(pooled)
    strata = result.params.get("strata")
    return (
        [f"## {_POOLED_TITLE}", "", f"Strata: {strata}. {_POOLED_TEXT}", ""]
        + markdown_table(header, rows, left=(0, 1, 2))
        + [""]
    )


# -- JSON ---------------------------------------------------------------------------


def render_json(
    result: AuditResult,
    *,
    min_cell: int | None = None,
    indent: int | None = 2,
    extra: dict[str, Any] | None = None,
) -> str:
    min_cell = check_min_cell(min_cell)
    payload = result.to_dict()
    table = suppressed_table(result, min_cell)
    payload["table"] = [
        {k: jsonable(v) for k, v in row.items()} for row in table.to_dict(orient="records")
    ]
    payload["unknown"] = {k: _count(v, min_cell) for k, v in result.unknown.items()}
    payload["n_total"] = _count(result.n_total, min_cell)
    if min_cell is not None:
        for name in ("pooled", "error_rates"):
            frame = payload.get(name)
            if frame:
                payload[name] = [_suppress_record(row, min_cell) for row in frame]
    median = scoring_median(result.params, result.n_total)
    if median:
        payload["measure"] = median
    payload["min_cell"] = min_cell
    payload["library"] = {"name": "adverse-impact", "version": __version__}
    payload["generated"] = _now()
    payload["fingerprint"] = fingerprint(result)
    if extra:
        payload.update(jsonable(extra))
    return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)


def _suppress_record(row: dict[str, Any], min_cell: int) -> dict[str, Any]:
    small = any(
        isinstance(row.get(k), int) and not isinstance(row.get(k), bool) and row[k] < min_cell
        for k in ("n", "selected", "n_positive", "n_negative")
    )
    if not small:
        return row
    return {
        k: (v if k in ("attribute", "group", "comparison") else None) for k, v in row.items()
    } | {"suppressed": True}


# -- HTML: the audit as a publication document ----------------------------------------


def _facts(
    result: AuditResult,
    min_cell: int | None,
    data_source: str | None,
    audit_date: str | None,
    data_type: str | None,
) -> list[str]:
    """What was audited and how, one sentence each, under the verdict."""
    unknown = ", ".join(f"{k}: {fmt(_count(v, min_cell))}" for k, v in result.unknown.items())
    facts = []
    if audit_date:
        facts.append(f"Date of the audit: {audit_date}.")
    if data_source or data_type:
        facts.append(
            f"Data source: {data_source or 'not stated'}"
            + (f" ({data_type} data)" if data_type else "")
            + "."
        )
    facts.append(
        f"{fmt(_count(result.n_total, min_cell))} applicants audited; unknown category "
        f"(excluded from the calculations): {unknown}. Generated {_now()}; counts "
        f"fingerprint {fingerprint(result)}."
    )
    if share_rule(result.params):
        facts.append(f"Small categories: {share_rule(result.params)}.")
    median = scoring_median(result.params, result.n_total)
    if median:
        facts.append(median)
    rule = decision_rule(result.params, result.n_total)
    if rule:
        facts.append(rule)
    if min_cell:
        facts.append(
            f'Counts below {min_cell} are shown as "<{min_cell}" and the numbers that would '
            "reveal them are withheld."
        )
    return facts


#: The key of the HTML report's flags and marks.
_KEY = (
    (
        WORD_FLAG,
        (
            "impact ratio under 0.8, the four-fifths rule of thumb "
            "(29 CFR 1607.4(D)); its bars are red and its values end in *"
        ),
    ),
    (WORD_FEW, "the flag rests on a handful of people: see its note"),
    ("(reference)", "the group the others are compared with"),
    ("excluded", "no ratio: the group is below min_share; see its note"),
)


def _charts(attribute: Any, rows: pd.DataFrame, flags: list[bool], rate_name: str) -> list[Figure]:
    """One attribute's two charts: rates with Wilson intervals, and impact ratios against
    the four-fifths line (suppressed counts get no interval)."""
    labels = [str(g) for g in rows["group"]]
    rates = [float(r) if not missing(r) else float("nan") for r in rows["rate"]]
    visible = ~rows["suppressed"].to_numpy(dtype=bool)
    n = np.array([v if isinstance(v, (int, np.integer)) else 0 for v in rows["n"]])
    sel = np.array([v if isinstance(v, (int, np.integer)) else 0 for v in rows["selected"]])
    low, high = wilson_interval(sel, np.where(n > 0, n, 1))
    low, high = np.where(visible, low, np.nan), np.where(visible, high, np.nan)
    ratios = [float(r) if not missing(r) else float("nan") for r in rows["impact_ratio"]]
    ratio_max = max([1.0] + [r for r in ratios if np.isfinite(r)])
    return [
        Figure(
            svg_bars(
                f"{rate_name} by {attribute} with 95% Wilson intervals",
                labels,
                rates,
                low=list(low),
                high=list(high),
                flags=flags,
            ),
            f"{rate_name} with 95% confidence intervals",
        ),
        Figure(
            svg_bars(
                f"Impact ratio by {attribute} against the 0.8 line",
                labels,
                ratios,
                flags=flags,
                line=FOUR_FIFTHS_LINE,
                x_max=ratio_max,
            ),
            "Impact ratio; the dashed line is four-fifths (0.8); * marks a flag",
        ),
    ]


def audit_document(
    result: AuditResult,
    *,
    min_cell: int | None = None,
    title: str | None = None,
    sweep: Any = None,
    proxies: Any = None,
    data_source: str | None = None,
    audit_date: str | None = None,
    data_type: str | None = None,
) -> Document:
    """The audit's report as a publication document: the verdict, what was audited, the
    key, per attribute its table and charts, the pooled strata, an optional threshold
    sweep and top proxies, the notes, the method and the dated legal notes.

    The page (``to_html``) and the notebook view (``_repr_html_``) both render it.
    """
    min_cell = check_min_cell(min_cell)
    count_name, rate_name = _measure(result)
    table = _excluded_note(suppressed_table(result, min_cell), rate_name)
    notes = Footnotes()
    p_column, p_words = _p_column(result)
    columns = _columns(table, p_column, count_name.lower(), rate_name.lower(), p_words)
    columns = [(k, h[0].lower() + h[1:] if k != "group" else "group") for k, h in columns]
    records = audit_rows(table, notes, alpha=result.params.get("alpha"), p_column=p_column)
    key: list[Any] = [Legend(_KEY)]
    family = _family_sentence(result)
    if family:
        key.append(Text(family, meta=True))
    sections = [Section("Key", tuple(key))]
    for attribute in result.attributes:
        rows = table[table["attribute"] == attribute].reset_index(drop=True)
        shown = [r for r in records if r["attribute"] == str(attribute)]
        grid = Table(
            tuple(h for _, h in columns),
            tuple(tuple(r[k] for k, _ in columns) for r in shown),
            left=(0, len(columns) - 2, len(columns) - 1),
            row_classes=tuple(r["classes"] for r in shown),
        )
        charts = _charts(attribute, rows, [r["flagged"] for r in shown], rate_name)
        sections.append(Section(str(attribute), (grid, *charts)))
    pooled = _pooled_frame(result, min_cell)
    if pooled is not None:
        header, rows_ = pooled_rows(pooled)
        strata = f"Strata: {result.params.get('strata')}. {_POOLED_TEXT}"
        sections.append(
            Section(
                _POOLED_TITLE,
                (
                    Text(strata, meta=True),
                    Table(tuple(header), tuple(map(tuple, rows_)), left=(0, 1, 2)),
                ),
            )
        )
    if sweep is not None:
        summary = sweep.by_threshold()
        step = max(1, len(summary) // 25)
        svg = svg_bars(
            "Lowest impact ratio at each cut-off",
            [f"{t:.3g}" for t in summary["threshold"]][::step],
            list(summary["min_impact_ratio"])[::step],
            line=FOUR_FIFTHS_LINE,
        )
        caption = f"Lowest impact ratio by cut-off (every {step}th cut-off shown)"
        sections.append(Section("Threshold sweep", (Figure(svg, caption),)))
    if proxies is not None:
        sections.append(Section("Top proxies", (Table.from_frame(proxies.to_frame().head(10)),)))
    return Document(
        title=title or "Adverse-impact audit",
        verdict=verdict(result, table),
        passes=bool(result.passes()),
        facts=tuple(_facts(result, min_cell, data_source, audit_date, data_type)),
        sections=tuple(sections),
        notes=tuple(notes.texts),
        method=tuple(method(result)),
        legal=("four_fifths", "ll144"),
    )


def render_html(result: AuditResult, **options: Any) -> str:
    """The audit as one self-contained page: :func:`audit_document`, rendered."""
    from adverse_impact._publish._document import render_html as render

    return render(audit_document(result, **options))


def verdict(result: AuditResult, table: pd.DataFrame | None = None) -> str:
    """The audit's answer in one sentence: the result's own ``verdict`` when it has one.

    The hook for calibrated verdicts: a result that carries a ``verdict``
    string (with the family of comparisons and the correction used) is
    quoted as it is; otherwise the sentence is built from the table, and
    says that each group is judged on its own.
    """
    own = getattr(result, "verdict", None)
    if isinstance(own, str) and own:
        return own
    table = result.table if table is None else table
    hidden = table["suppressed"].astype(bool) if "suppressed" in table else False
    judged = table[~table["excluded"].astype(bool) & ~table["is_reference"].astype(bool) & ~hidden]
    flagged = judged[judged["four_fifths_flag"].map(true)]
    ratios = judged["impact_ratio"].astype(float)
    if not len(judged) or not ratios.notna().any():
        return "No group could be compared with a reference group."
    low = judged.loc[ratios.idxmin()]
    where = f"{low['attribute']}: {low['group']}"
    interval = fmt_interval(low.get("ir_ci_low"), low.get("ir_ci_high"))
    ratio = decisive(low["impact_ratio"], low["four_fifths_flag"])
    lowest = f"lowest impact ratio {ratio} ({where}" + (
        f", 95% interval {interval})" if interval != "—" else ")"
    )
    family = (
        f"each of the {len(judged)} comparisons is judged on its own by the four-fifths "
        "rule of thumb, without a correction for their number"
    )
    n_hidden = int(np.sum(hidden))
    if n_hidden:
        family += f" ({n_hidden} withheld as small counts)"
    if len(flagged):
        return (
            f"{len(flagged)} of {len(judged)} groups compared are below four-fifths of "
            f"their reference group's rate; {lowest}; {family}."
        )
    return f"No group is below four-fifths of its reference group's rate; {lowest}; {family}."


def method(result: AuditResult) -> list[str]:
    """How the audit's figures were computed, in words (the report's Method section)."""
    params = result.params
    reference = (
        "the highest-rate group of each attribute"
        if params.get("reference", "highest") == "highest"
        else f"the group {params.get('reference')!r}"
    )
    out = [
        "Rate: the number selected divided by the number of applicants in the group; "
        "rows of unknown category are left out of every rate.",
        f"Impact ratio: a group's rate divided by the rate of {reference}.",
        "95% interval of the impact ratio: Katz's log interval (Katz et al. 1978).",
    ]
    test = {
        "fisher": "Fisher's exact test",
        "fisher_midp": "Fisher's exact test, mid-p",
        "z": "the two-proportion z test",
    }.get(params.get("test") or "")
    if test:
        comparison = (
            "the rest of the attribute's groups"
            if params.get("comparison") == "rest"
            else "the reference group"
        )
        out.append(f"p-value: {test}, two-sided, each group against {comparison}.")
    out.append(
        "Shortfall: how many more of the group would have to be selected for its rate "
        "to equal the comparison group's."
    )
    if share_rule(params):
        out.append(f"Small categories: {share_rule(params)}.")
    return out
