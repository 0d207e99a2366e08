"""How results look: numbers in words, tables as text, HTML and Markdown, charts as SVG.

Every result's ``__repr__`` and ``_repr_html_``, the audit reports and the
case study draw their tables and charts here, so that a flag, a reference
group, a p-value or a footnote reads the same everywhere.  A leaf module: it
imports nothing from the rest of the library (results are read by their
column names), so results and reports can both import it without a cycle.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CSS",
    "decision_rule",
    "decisive",
    "decisive_cells",
    "frame_block",
    "html_block",
    "FOUR_FIFTHS_LINE",
    "P_VALUE_WORDS",
    "READER_COLUMNS",
    "TEXT_WIDTH",
    "Footnotes",
    "audit_rows",
    "axes",
    "chart_labels",
    "family_text",
    "fmt",
    "fmt_interval",
    "fmt_p",
    "fmt_people",
    "frame_table",
    "html_legend",
    "html_notes",
    "html_table",
    "jsonable",
    "legend",
    "markdown_notes",
    "markdown_table",
    "missing",
    "pooled_rows",
    "pyplot",
    "svg_bars",
    "svg_stacked",
    "html_page",
    "html_verdict",
    "SEGMENT_COLOURS",
    "text_table",
    "true",
    "wrap",
]

FOUR_FIFTHS_LINE = 0.8
#: A float this close to a line is on it (see :func:`decisive`): the rounding error
#: of a ratio of rates is a few units in the 16th decimal; a ratio of counts that
#: differs from the line by less than this needs about half a million applicants per group.
ON_LINE = 1e-12
#: The width ``print(result)`` fits, in characters.
TEXT_WIDTH = 100


# -- values -------------------------------------------------------------------------


#: The columns a reader needs first, in this order: :meth:`AuditResult.flagged`,
#: the gate's failure message and the case study's figures all choose from it.
READER_COLUMNS = [
    "attribute",
    "group",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "ir_ci_low",
    "ir_ci_high",
    "p_value_fisher",
    "significant",
    "shortfall",
    "flip_flop",
    "detectable",
    "note",
]


def family_text(family: Mapping[str, Any] | None, alpha: Any = None) -> str:
    """The family of comparisons a gate tests and its correction, in one line.

    ``family`` is an audit's ``params["family"]`` (None when nothing is compared).

    Examples
    --------
    >>> print(family_text({"comparisons": 17, "attributes": ["sex", "race", "sex x race"],
    ...                    "against": "highest", "correction": "Westfall-Young maxT step-down",
    ...                    "n_resamples": 9999}, 0.05))
    family: 17 comparisons (sex, race, sex x race) against the highest rate;
    Westfall-Young maxT step-down (9,999 null draws), alpha 0.05
    """
    if not family:
        return "family: no comparisons (no attribute has two groups to compare)"
    against = {
        "highest": "against the highest rate",
        "reference": "against the named reference",
        "mixed": "against the named reference or the highest rate",
        "rest": "each against the rest",
    }.get(str(family.get("against")), "")
    n = int(family.get("comparisons", 0))
    names = ", ".join(map(str, family.get("attributes", ())))
    text = (
        f"family: {n} comparison{'s' if n != 1 else ''} ({names}) {against}; "
        f"{family.get('correction', '')} ({int(family.get('n_resamples', 0)):,} null draws)"
    )
    return text + (f", alpha {alpha:g}" if alpha is not None else "")


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


def missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def true(value: Any) -> bool:
    """True for a set flag; False for False, None and NA."""
    return not missing(value) and bool(value)


def _side(value: float, below: Any, line: float) -> bool:
    """The exact decision ``below`` when given, else the value's own side of ``line``
    (within :data:`ON_LINE` of it counts as on it)."""
    return value < line - ON_LINE if missing(below) else bool(below)


def decisive(value: Any, below: Any = None, line: float = 0.8, digits: int = 2) -> str:
    """A ratio with ``digits`` decimals, or as many more as it takes to show its side of ``line``.

    0.796 printed "0.80" beside "below 0.80" contradicts itself; it prints
    "0.796".  ``below`` is the exact decision (the audit compares fractions of
    counts); without it (None or NA) the value's own side of the line is used.

    A float within :data:`ON_LINE` of the line counts as on it when no
    decision is given: a ratio of counts exactly at 4/5 is often computed a
    hair below it (12/40 over 30/80 is 0.7999999999999999), and is not below.

    Examples
    --------
    >>> from adverse_impact._core._render import decisive
    >>> decisive(398 / 500), decisive(0.79999), decisive(0.8), decisive(0.8049), decisive(0.5)
    ('0.796', '0.79999', '0.80', '0.80', '0.50')
    >>> decisive(0.79996, digits=3), decisive(0.4921, digits=3)
    ('0.79996', '0.492')
    >>> decisive((12 / 40) / (30 / 80)), decisive(0.99996, True, line=1.0, digits=3)
    ('0.80', '0.99996')
    """
    if missing(value):
        return "—"
    value = float(value)
    below = _side(value, below, line)
    for places in range(digits, 16):
        text = f"{value:.{places}f}"
        if (float(text) < line) == below:
            return text
    # A float a hair from the line whose exact value is on the other side: the
    # printed digits stop at float precision; the flag beside them says the side.
    return f"{value:.15f}"


def decisive_cells(
    values: Any, below: Any = None, line: float = 0.8, spec: str = ".4g"
) -> list[Any]:
    """Ratios as ``spec`` writes them, or with :func:`decisive`'s decimals where ``spec``
    would put one on the wrong side of ``line`` (0.79996 is "0.8" in ``.4g``).

    ``below`` is the exact decision of each value (a sequence aligned with
    ``values``), or None to use each value's own side.  Missing values stay
    NaN, so a table's ``na_rep`` shows them; the rest become text, for the
    ``__repr__`` tables of :func:`frame_block`.

    Examples
    --------
    >>> from adverse_impact._core._render import decisive_cells
    >>> decisive_cells([0.79996, 0.5, 1.0, float("nan")], [True, True, False, None])
    ['0.79996', '0.5', '1', nan]
    >>> decisive_cells([3998 / 5000], spec=".3f")
    ['0.7996']
    """
    values = [float(v) if not missing(v) else math.nan for v in values]
    flags = [None] * len(values) if below is None else list(below)
    out: list[Any] = []
    for value, flag in zip(values, flags):
        if math.isnan(value):
            out.append(math.nan)
            continue
        text = f"{value:{spec}}"
        side = _side(value, flag, line)
        if (float(text) < line) != side:
            places = len(text.partition(".")[2]) if "e" not in text else 2
            text = decisive(value, side, line, digits=places)
        out.append(text)
    return out


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a reader: thousands separators, ``digits`` decimals, "—" when missing.

    Examples
    --------
    >>> from adverse_impact._core._render import fmt
    >>> fmt(12345), fmt(0.79512), fmt(None), fmt(True)
    ('12,345', '0.795', '—', 'yes')
    """
    if missing(value):
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"


def fmt_p(value: Any) -> str:
    """A p-value as a reader expects it: three decimals, ``"< 0.001"`` below that.

    Examples
    --------
    >>> from adverse_impact._core._render import fmt_p
    >>> fmt_p(0.0421), fmt_p(2e-9), fmt_p(float("nan"))
    ('0.042', '< 0.001', '—')
    """
    if missing(value) or not math.isfinite(float(value)):
        return "—"
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def fmt_people(value: Any) -> str:
    """A shortfall in whole people: ``"about 12"``; none when the group is not short.

    Examples
    --------
    >>> from adverse_impact._core._render import fmt_people
    >>> fmt_people(11.6), fmt_people(0.4), fmt_people(-3.0), fmt_people(1.0)
    ('about 12', 'none', 'none', 'about 1')
    """
    if missing(value) or not math.isfinite(float(value)):
        return "—"
    people = round(float(value))
    return "none" if people < 1 else f"about {people:,}"


def fmt_interval(low: Any, high: Any, digits: int = 2) -> str:
    """An interval as ``"0.71 to 0.88"``, "—" when either end is missing."""
    if (
        missing(low)
        or missing(high)
        or not (math.isfinite(float(low)) and math.isfinite(float(high)))
    ):
        return "—"
    return f"{float(low):.{digits}f} to {float(high):.{digits}f}"


class Footnotes:
    """Numbered notes, each text once: ``ref(text)`` gives its number, the first time a new one.

    Examples
    --------
    >>> from adverse_impact._core._render import Footnotes
    >>> notes = Footnotes()
    >>> notes.ref("excluded: below 2%"), notes.ref("flip-flop"), notes.ref("excluded: below 2%")
    (1, 2, 1)
    >>> notes.texts
    ['excluded: below 2%', 'flip-flop']
    """

    __slots__ = ("texts",)

    def __init__(self) -> None:
        self.texts: list[str] = []

    def ref(self, text: str) -> int:
        if text not in self.texts:
            self.texts.append(text)
        return self.texts.index(text) + 1

    def __len__(self) -> int:
        return len(self.texts)


# -- the audit table in words --------------------------------------------------------

#: The words for each test's p-value column.
P_VALUE_WORDS = {
    "fisher": "p-value (Fisher)",
    "fisher_midp": "p-value (Fisher mid-p)",
    "z": "p-value (z test)",
}
P_VALUE_WORDS_SHORT = "p-value"

#: Marks used in text, and the words for them everywhere.
MARK_FLAG, MARK_REFERENCE, MARK_FEW = "*", "R", "!"
WORD_FLAG, WORD_FEW = "below 4/5", "few people"


def few_people(row: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether a row's flag rests on a handful of people (Uniform Guidelines Q&A 21).

    Two checks of the audit table's row: one different selection would reverse
    the comparison (``flip_flop``), and no rate could be significantly lower
    (``detectable`` False).  The gate's message and the reports word them
    differently; the decision is made here only.
    """
    detectable = row.get("detectable")
    return true(row.get("flip_flop")), not missing(detectable) and not bool(detectable)


def _few_people_notes(row: Mapping[str, Any], alpha: Any) -> list[str]:
    """Why a flag rests on a handful of people (Uniform Guidelines Q&A 21), if it does."""
    notes = []
    flips, undetectable = few_people(row)
    if flips:
        notes.append(
            "one different selection would reverse this comparison: the group would "
            "then have the higher rate (the flip-flop check of the Uniform "
            "Guidelines' Q&A 21)"
        )
    if undetectable:
        level = f" at alpha {alpha:g}" if isinstance(alpha, (int, float)) else ""
        notes.append(
            "too few people for any rate to be significantly lower: even no one "
            f"selected would not be{level} (Q&A 21 and 22 ask for more data before "
            "relying on such a flag)"
        )
    return notes


def audit_rows(
    table: pd.DataFrame,
    notes: Footnotes,
    *,
    alpha: Any = None,
    p_column: str | None = "p_value_fisher",
) -> list[dict[str, Any]]:
    """One display record per table row: labels, marks and every number in words.

    Keys: ``attribute``, ``group`` (with "(reference)"), ``mark`` (``*``,
    ``R``, ``!``), ``classes`` (CSS: ``flag``, ``reference``, ``excluded``,
    ``few``), ``flag`` (words), ``n``, ``selected``, ``rate``, ``ratio``,
    ``interval``, ``p``, ``shortfall``, ``notes`` (footnote numbers as
    ``"[1] [2]"``).  Notes are registered in ``notes`` once each.
    """
    out = []
    for row in table.to_dict(orient="records"):
        flagged = true(row.get("four_fifths_flag"))
        reference = true(row.get("is_reference"))
        texts = [row["note"]] if isinstance(row.get("note"), str) and row["note"] else []
        few = flagged and bool(_few_people_notes(row, alpha))
        if flagged:
            texts += _few_people_notes(row, alpha)
        refs = [notes.ref(t) for t in texts]
        mark = (
            (MARK_REFERENCE if reference else "")
            + (MARK_FLAG if flagged else "")
            + (MARK_FEW if few else "")
        )
        flag = ", ".join(w for w, on in ((WORD_FLAG, flagged), (WORD_FEW, few)) if on)
        classes = " ".join(
            c
            for c, on in (
                ("flag", flagged),
                ("reference", reference),
                ("excluded", true(row.get("excluded"))),
                ("few", few),
            )
            if on
        )
        out.append(
            {
                "attribute": str(row["attribute"]),
                "group": str(row["group"]) + (" (reference)" if reference else ""),
                "label": str(row["group"]),
                "mark": mark,
                "classes": classes,
                "flag": flag or "—",
                "flagged": flagged,
                "few": few,
                "n": fmt(row.get("n")),
                "selected": fmt(row.get("selected")),
                "rate": fmt(row.get("rate")),
                "ratio": "excluded"
                if true(row.get("excluded"))
                else decisive(row.get("impact_ratio"), row.get("four_fifths_flag"), digits=3),
                "interval": fmt_interval(row.get("ir_ci_low"), row.get("ir_ci_high")),
                "p": fmt_p(row.get(p_column)) if p_column else "—",
                "shortfall": fmt_people(row.get("shortfall")) if "shortfall" in row else "—",
                "notes": " ".join(f"[{r}]" for r in refs),
            }
        )
    return out


def legend(*, few: bool = True, reference: str = "highest") -> list[tuple[str, str]]:
    """(mark, meaning) pairs for the audit tables."""
    ref = (
        "the group the others are compared with (the highest-rate group)"
        if reference == "highest"
        else "the group the others are compared with"
    )
    pairs = [
        (MARK_REFERENCE, f"reference: {ref}"),
        (
            MARK_FLAG,
            (
                f"{WORD_FLAG}: impact ratio under 0.8, the four-fifths rule of thumb "
                "(29 CFR 1607.4(D))"
            ),
        ),
    ]
    if few:
        pairs.append(
            (
                MARK_FEW,
                (f"{WORD_FEW}: the flag rests on a handful of people (see the numbered note)"),
            )
        )
    return pairs


_POOLED_WORDS = {
    "group": "group",
    "comparison": "compared with",
    "n_strata_used": "strata used",
    "mh_odds_ratio": "Mantel-Haenszel odds ratio",
    "mh_ci": "95% interval",
    "cmh_p_value": "p-value (CMH)",
    "breslow_day_p_value": "p-value (same in every stratum)",
    "naive_impact_ratio": "impact ratio, strata ignored",
    "simpson_reversal": "Simpson reversal",
}


def pooled_rows(pooled: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The Mantel-Haenszel results in words: (header, rows)."""
    header = ["attribute"] + list(_POOLED_WORDS.values())
    rows = []
    for row in pooled.to_dict(orient="records"):
        rows.append(
            [
                str(row.get("attribute")),
                str(row.get("group")),
                str(row.get("comparison")),
                fmt(row.get("n_strata_used")),
                fmt(row.get("mh_odds_ratio")),
                fmt_interval(row.get("mh_ci_low"), row.get("mh_ci_high")),
                fmt_p(row.get("cmh_p_value")),
                fmt_p(row.get("breslow_day_p_value")),
                fmt(row.get("naive_impact_ratio")),
                fmt(row.get("simpson_reversal")),
            ]
        )
    return header, rows


# -- text ---------------------------------------------------------------------------


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: Sequence[int] = (0,),
    max_width: Sequence[int | None] | None = None,
) -> str:
    """Aligned plain text; columns in ``left`` are left-aligned, the others right-aligned.

    ``max_width`` caps a column's width (longer cells end in "…").
    """
    caps = list(max_width) if max_width is not None else [None] * len(header)
    cells = [
        [_clip(str(c), caps[j]) if caps[j] else str(c) for j, c in enumerate(r)]
        for r in [header, *rows]
    ]
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = []
    for r in cells:
        parts = [c.ljust(w) if j in left else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def wrap(text: str, width: int = TEXT_WIDTH, indent: str = "") -> str:
    return textwrap.fill(text, width=width, subsequent_indent=indent)


# -- Markdown -----------------------------------------------------------------------


def markdown_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, left: Sequence[int] = (0,)
) -> list[str]:
    """A pipe table's lines; columns in ``left`` left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(markdown_cell(h) for h in header) + " |",
        "|" + "|".join("---" if j in left else "---:" for j in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(markdown_cell(c) for c in r) + " |" for r in rows]
    return lines


def markdown_notes(notes: Footnotes) -> list[str]:
    """Numbered notes as an ordered list: each stays its own item when rendered."""
    return [f"{i}. {markdown_cell(text)}" for i, text in enumerate(notes.texts, 1)]


# -- HTML ---------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:70rem;color:#1b1f24;line-height:1.45;padding:0 1rem;overflow-wrap:break-word}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;margin:.75rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right;overflow-wrap:normal}
th:first-child,td:first-child,th.l,td.l{text-align:left}thead th{background:#f6f8fa}
tr.flag td{background:#fff1f0}tr.reference td{font-weight:600}
tr.excluded td{color:#6e7781;font-style:italic}
.table-wrap{overflow-x:auto;max-width:100%;margin:.75rem 0}.table-wrap table{margin:0}
.table-wrap th:first-child,.table-wrap td:first-child{position:sticky;left:0;z-index:1;
background:#fff;min-width:7rem}
.table-wrap thead th:first-child{background:#f6f8fa}
.table-wrap tr.flag td:first-child{background:#fff1f0}
.meta{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
figure{margin:.75rem 0;max-width:100%;min-width:0}code{overflow-wrap:anywhere}
figcaption{font-size:.85rem;color:#57606a}
svg{max-width:100%;height:auto}
dl.legend{display:grid;grid-template-columns:max-content auto;gap:.1rem .6rem;font-size:.85rem}
dl.legend dt{font-weight:600}dl.legend dd{margin:0}ol.notes{font-size:.85rem;color:#57606a}
p.verdict{font-size:1.1rem;border-left:4px solid #57606a;padding:.4rem .8rem;
background:#f6f8fa}p.verdict.fail{border-color:#cf222e}p.verdict.pass{border-color:#1a7f37}
ul.legal li,ul.method li{margin:.2rem 0}
@media (max-width:40rem){body{margin:1rem auto;padding:0 .6rem}
dl.legend{grid-template-columns:auto}dl.legend dd{margin:0 0 .3rem .8rem}}
tr,figure,dl.legend,p.verdict,.keep{break-inside:avoid;page-break-inside:avoid}
h1,h2,h3,caption{break-after:avoid;page-break-after:avoid}
thead{display:table-header-group}
@page{margin:1.5cm 1.2cm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}
.table-wrap{overflow:visible}
.table-wrap th:first-child,.table-wrap td:first-child{position:static}
table{font-size:8.5pt}th,td{padding:.15rem .35rem}
h2{margin-top:1.2rem}.charts{gap:.5rem;flex-wrap:nowrap}.charts figure{flex:1 1 0}}
"""

#: Inline styles for notebook output, where a page's stylesheet may not apply.
ROW_STYLE = {
    "flag": "background:#fff1f0",
    "reference": "font-weight:600",
    "excluded": "color:#6e7781;font-style:italic",
}


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    row_classes: Sequence[str] | None = None,
    inline: bool = False,
    scroll: bool = True,
    label: str | None = None,
    left: Sequence[int] = (0,),
) -> str:
    """A table with ``scope="col"`` headers; ``inline`` adds row styles for notebooks.

    With ``scroll`` (the default) the table sits in a ``div.table-wrap`` that
    scrolls sideways on a narrow screen with the first (label) column fixed,
    so no value is ever clipped or squeezed out of the page; in print the
    wrapper lets the table through whole.  ``label`` names the scrolling
    region for screen readers.  Columns in ``left`` are left-aligned (words),
    the others right-aligned (numbers).
    """
    words = set(left) - {0}  # the first column is left-aligned by the stylesheet

    def align(j: int) -> str:
        return ' class="l"' if j in words else ""

    head = "".join(
        f'<th scope="col"{align(j)}>{html.escape(str(c))}</th>' for j, c in enumerate(header)
    )
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes else ""
        attrs = f' class="{cls}"' if cls else ""
        if inline and cls:
            style = ";".join(ROW_STYLE[c] for c in cls.split() if c in ROW_STYLE)
            attrs += f' style="{style}"' if style else ""
        cells = "".join(
            f"<td{align(j)}>{html.escape(c if isinstance(c, str) else fmt(c))}</td>"
            for j, c in enumerate(row)
        )
        body.append(f"<tr{attrs}>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if not scroll:
        return table
    name = f' aria-label="{html.escape(label)}"' if label else ""
    # tabindex: a scrolling region must be reachable from the keyboard (WCAG 2.1.1).
    return f'<div class="table-wrap" role="region" tabindex="0"{name}>{table}</div>'


def frame_table(frame: pd.DataFrame, **options: Any) -> str:
    """A DataFrame as :func:`html_table` (column names as they are)."""
    return html_table(
        [str(c) for c in frame.columns], [list(r) for r in frame.itertuples(index=False)], **options
    )


def html_legend(pairs: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{html.escape(m)}</dt><dd>{html.escape(t)}</dd>" for m, t in pairs)
    return f'<dl class="legend" aria-label="legend">{items}</dl>'


def html_notes(notes: Footnotes, start: int = 1) -> str:
    if not len(notes):
        return ""
    items = "".join(
        f'<li id="note-{i}">{html.escape(t)}</li>'
        for i, t in enumerate(notes.texts[start - 1 :], start)
    )
    return f'<ol class="notes" start="{start}">{items}</ol>'


def html_page(title: str, body: Sequence[str], *, css: str = "") -> str:
    """A self-contained HTML page: inline CSS (:data:`CSS` and ``css``), no script, no fetch.

    Examples
    --------
    >>> page = html_page("A & B", ["<p>hi</p>"])
    >>> page.startswith("<!DOCTYPE html>"), "<title>A &amp; B</title>" in page
    (True, True)
    """
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title><style>{CSS}{css}</style></head><body>",
            *body,
            "</body></html>",
        ]
    )


def html_verdict(sentence: str, passes: bool | None = None) -> str:
    """The report's opening sentence; pass or fail is said in words, the colour only repeats it.

    Examples
    --------
    >>> html_verdict("No group is below four-fifths.", True)
    '<p class="verdict pass"><strong>Passes.</strong> No group is below four-fifths.</p>'
    """
    word = {True: "Passes.", False: "Fails.", None: "Finding."}[passes]
    cls = {True: " pass", False: " fail", None: ""}[passes]
    return f'<p class="verdict{cls}"><strong>{word}</strong> {html.escape(sentence)}</p>'


# -- SVG ----------------------------------------------------------------------------

#: Labels up to this many characters are drawn whole (wrapped on two lines past half).
LABEL_CHARS = 40
_CHAR_PX = 7.0  # generous width of a 12px system-ui character, so labels are never clipped


def chart_labels(labels: Sequence[str]) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Lines to draw for each label, and the key for labels too long to draw.

    A label of up to 20 characters is one line; up to :data:`LABEL_CHARS`, two
    lines broken at a space or " | "; longer, an abbreviation ``G1``, ``G2``,
    ... explained in a key under the chart.
    """
    lines, key = [], []
    for label in labels:
        if len(label) <= LABEL_CHARS // 2:
            lines.append([label])
            continue
        wrapped = textwrap.wrap(label, LABEL_CHARS // 2 + 4, break_long_words=False)
        if (
            len(label) <= LABEL_CHARS
            and len(wrapped) <= 2
            and all(len(w) <= LABEL_CHARS // 2 + 4 for w in wrapped)
        ):
            lines.append(wrapped)
        else:
            short = f"G{len(key) + 1}"
            key.append((short, label))
            lines.append([short])
    return lines, key


def svg_bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    flags: Sequence[bool] | None = None,
    line: float | None = None,
    x_max: float = 1.0,
    unit: str = "",
) -> str:
    """A horizontal bar chart as inline SVG: whiskers, a dashed reference line, values.

    Each bar carries its value as text, followed by ``*`` when flagged, so a
    flag is never shown by colour alone.  With a ``line``, a flag is the
    value's side of it, and the value is written with the decimals that show
    that side (:func:`decisive`: a flagged 0.7996 is "0.7996 *", never
    "0.80 *").  Labels are sized to fit (wrapped, or abbreviated with a key
    below the chart): none is clipped.
    """
    drawn, key = chart_labels([str(label) for label in labels])
    longest = max([len(part) for parts in drawn for part in parts] + [4])
    row, width = 26, 300
    left = int(longest * _CHAR_PX) + 16
    value_room = 64
    total_width = left + width + value_room
    # The key wraps to the chart's width, so it is never clipped either.
    key_lines = [
        line
        for short, label in key
        for line in textwrap.wrap(
            f"{short}: {label}", int((total_width - 8) / _CHAR_PX), subsequent_indent="    "
        )
    ]
    height = row * len(labels) + 40 + 16 * len(key_lines)
    scale = width / x_max if x_max > 0 else width
    parts = [
        (
            f'<svg role="img" width="{total_width}" height="{height}" '
            f'viewBox="0 0 {total_width} {height}">'
        ),
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * row
        parts.append(_svg_label(str(label), drawn[i], y, left, row))
        if value is None or not np.isfinite(value):
            parts.append(
                f'<text x="{left + 4}" y="{y + row / 2 + 4:.1f}" font-size="11" '
                'fill="#6e7781">no value</text>'
            )
            continue
        flagged = bool(flags and flags[i])
        colour = "#cf222e" if flagged else "#0969da"
        bar = max(float(value), 0) * scale
        # A flag that is the value's side of the line: the value shows that side.
        decided = line is not None and flags is not None
        title = decisive(value, flagged, line, 3) if decided else f"{value:.3f}"
        shown = decisive(value, flagged, line) if decided else f"{value:.2f}"
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" '
            f'fill="{colour}" opacity="0.8">'
            f"<title>{html.escape(str(label))}: {title}{unit}</title></rect>"
        )
        whisker_end = 0.0
        if low is not None and high is not None and np.isfinite(low[i]) and np.isfinite(high[i]):
            x1, x2 = left + low[i] * scale, left + min(high[i], x_max) * scale
            whisker_end = x2 - left
            parts += _svg_whisker(x1, x2, y + row / 2)
        text_x = left + min(max(bar, whisker_end) + 4, width + 4)
        # A white halo keeps the value readable where it crosses the dashed line.
        parts.append(
            f'<text class="value" x="{text_x:.1f}" y="{y + row / 2 + 4:.1f}" '
            'font-size="11" paint-order="stroke" stroke="#fff" stroke-width="3">'
            f"{shown}{' *' if flagged else ''}</text>"
        )
    axis_y = 10 + row * len(labels)
    parts += _svg_axis(left, width, axis_y, x_max, scale, line)
    parts += [
        f'<text class="key" x="4" y="{axis_y + 32 + 16 * j}" font-size="11" '
        f'xml:space="preserve">{html.escape(text)}</text>'
        for j, text in enumerate(key_lines)
    ]
    parts.append("</svg>")
    return "".join(parts)


#: Okabe-Ito colours (safe for the common colour-vision deficiencies), for parts of a whole.
SEGMENT_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: Text colour readable on each segment colour.
SEGMENT_TEXT = ("#fff", "#000", "#fff", "#000", "#000", "#fff", "#000")


def svg_stacked(
    title: str,
    labels: Sequence[str],
    parts: Sequence[Sequence[float]],
    names: Sequence[str],
    *,
    marks: Sequence[str] | None = None,
) -> str:
    """Horizontal 100% stacked bars as inline SVG: each label's whole split into ``names``.

    ``parts[i][j]`` is the share of label ``i`` in part ``j`` (each row sums
    to 1).  Colour is never the only signal: a part wide enough carries its
    percentage, every part has a hover title naming it, the parts run left to
    right in the order of the key drawn under the chart (numbered), and
    ``marks[i]`` is written after bar ``i`` (e.g. "* below 4/5").  Labels are
    wrapped or abbreviated with a key as in :func:`svg_bars`, never clipped.

    Examples
    --------
    >>> svg = svg_stacked("Where applicants leave", ["F", "M"], [[0.5, 0.5], [0.25, 0.75]],
    ...                   ["left at screening", "offered"], marks=["*", ""])
    >>> svg.startswith("<svg") and "1 left at screening" in svg and "75%" in svg
    True
    """
    drawn, key = chart_labels([str(label) for label in labels])
    longest = max([len(part) for lines in drawn for part in lines] + [4])
    row, width = 26, 320
    left = int(longest * _CHAR_PX) + 16
    mark_room = int(max([len(m) for m in (marks or [])] + [2]) * _CHAR_PX) + 12
    total_width = left + width + mark_room
    chars = int((total_width - 8) / _CHAR_PX)
    legend_lines = [
        line
        for j, name in enumerate(names)
        for line in textwrap.wrap(f"{j + 1} {name}", chars - 4, subsequent_indent="  ")
    ]
    key_lines = [
        line
        for short, label in key
        for line in textwrap.wrap(f"{short}: {label}", chars, subsequent_indent="    ")
    ]
    top = 8
    bars_bottom = top + row * len(labels)
    legend_top = bars_bottom + 34
    height = legend_top + 16 * (len(legend_lines) + len(key_lines)) + 8
    out = [
        (
            f'<svg role="img" width="{total_width}" height="{height}" '
            f'viewBox="0 0 {total_width} {height}">'
        ),
        f"<title>{html.escape(title)}</title>",
    ]
    for i, label in enumerate(labels):
        y = top + i * row
        out.append(_svg_label(str(label), drawn[i], y, left, row))
        x = float(left)
        for j, share in enumerate(parts[i]):
            share = 0.0 if share is None or not np.isfinite(share) else max(float(share), 0.0)
            w = share * width
            colour = SEGMENT_COLOURS[j % len(SEGMENT_COLOURS)]
            out.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                f'fill="{colour}" stroke="#fff" stroke-width="1">'
                f"<title>{html.escape(str(label))}: {html.escape(names[j])} {share:.1%}</title>"
                "</rect>"
            )
            text = f"{share:.0%}"
            if w >= len(text) * 7 + 6:
                out.append(
                    f'<text class="value" x="{x + w / 2:.1f}" y="{y + row / 2 + 4:.1f}" '
                    f'font-size="11" text-anchor="middle" '
                    f'fill="{SEGMENT_TEXT[j % len(SEGMENT_TEXT)]}">{text}</text>'
                )
            x += w
        if marks and marks[i]:
            out.append(
                f'<text class="mark" x="{left + width + 6}" y="{y + row / 2 + 4:.1f}" '
                f'font-size="11">{html.escape(marks[i])}</text>'
            )
    out.append(
        f'<text class="key" x="4" y="{bars_bottom + 14}" font-size="11" fill="#57606a">'
        "Parts, left to right:</text>"
    )
    y = legend_top
    for line in legend_lines:
        number = line.split(" ", 1)[0]
        if number.isdigit():
            colour = SEGMENT_COLOURS[(int(number) - 1) % len(SEGMENT_COLOURS)]
            out.append(f'<rect x="4" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(
            f'<text class="key" x="20" y="{y}" font-size="11" xml:space="preserve">'
            f"{html.escape(line)}</text>"
        )
        y += 16
    for line in key_lines:
        out.append(
            f'<text class="key" x="4" y="{y}" font-size="11" xml:space="preserve">'
            f"{html.escape(line)}</text>"
        )
        y += 16
    out.append("</svg>")
    return "".join(out)


def _svg_label(label: str, lines: list[str], y: float, left: int, row: int) -> str:
    """A bar's label, right-aligned before the bar, on one or two lines, full text on hover."""
    first = y + (row / 2 + 4 if len(lines) == 1 else row / 2 - 2)
    spans = "".join(
        f'<tspan x="{left - 6}" dy="{0 if j == 0 else 12}">{html.escape(part)}</tspan>'
        for j, part in enumerate(lines)
    )
    return (
        f'<text class="label" x="{left - 6}" y="{first:.1f}" text-anchor="end" '
        f'font-size="{12 if len(lines) == 1 else 11}">{spans}'
        f"<title>{html.escape(label)}</title></text>"
    )


def _svg_whisker(x1: float, x2: float, mid: float) -> list[str]:
    """An interval from ``x1`` to ``x2`` at height ``mid``, with end caps."""
    parts = [
        f'<line x1="{x1:.1f}" y1="{mid:.1f}" x2="{x2:.1f}" y2="{mid:.1f}" '
        'stroke="#1b1f24" stroke-width="1.5"/>'
    ]
    parts += [
        f'<line x1="{x:.1f}" y1="{mid - 4:.1f}" x2="{x:.1f}" '
        f'y2="{mid + 4:.1f}" stroke="#1b1f24" stroke-width="1.5"/>'
        for x in (x1, x2)
    ]
    return parts


def _svg_axis(
    left: int, width: int, axis_y: int, x_max: float, scale: float, line: float | None
) -> list[str]:
    """The value axis with five ticks, and the dashed reference line when there is one."""
    parts = [
        f'<line x1="{left}" y1="{axis_y}" x2="{left + width}" y2="{axis_y}" stroke="#57606a"/>'
    ]
    for tick in np.linspace(0, x_max, 5):
        x = left + tick * scale
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle">'
            f"{tick:.2g}</text>"
        )
    if line is not None:
        x = left + line * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{axis_y}" stroke="#cf222e" '
            'stroke-dasharray="4 3"><title>four-fifths line</title></line>'
        )
    return parts


# -- plots --------------------------------------------------------------------------


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError that names the extra to install.

    Examples
    --------
    >>> from adverse_impact._core._render import pyplot
    >>> pyplot().__name__
    'matplotlib.pyplot'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ModuleNotFoundError(
            "plot() draws with matplotlib, which is not installed: "
            'pip install "adverse-impact[plot]" (or pip install matplotlib). '
            "The HTML report (result.to_html()) draws its charts without it.",
            name="matplotlib",
        ) from exc
    return plt


def axes(ax: Any = None, **figure: Any) -> Any:
    """The matplotlib axes a ``plot`` method draws on: ``ax``, or a new figure's.

    ``figure`` holds the new figure's keywords (``figsize``, ``layout``);
    matplotlib is imported here, with :func:`pyplot`'s message when it is missing.

    Examples
    --------
    >>> from adverse_impact._core._render import axes
    >>> ax = axes(figsize=(4, 3))
    >>> axes(ax) is ax, ax.figure.get_size_inches().tolist()
    (True, [4.0, 3.0])
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(**figure)
    return ax


def scoring_median(params: Any, n_total: int) -> str | None:
    """The LL144 scoring rate's median and the rows it was taken over, in words.

    None unless the audit used the scoring rate (scores with no threshold).
    Every format of a scoring audit states it: the rates mean nothing without it.

    Examples
    --------
    >>> print(scoring_median({"rule": "scoring_rate", "cutoff": 71.5}, 8000))
    Scoring rate: the share of a category scoring above the median score, 71.5, taken over
    all 8,000 rows (unknown category included).
    """
    if params.get("rule") != "scoring_rate":
        return None
    return (
        f"Scoring rate: the share of a category scoring above the median score, "
        f"{_median_text(params.get('cutoff'))}, taken over all {n_total:,} rows (unknown "
        "category included)."
    )


def _median_text(value: Any) -> str:
    # Six significant digits: a score of 71.5 reads 71.5, one of 0.0930652 keeps its digits.
    return "—" if missing(value) else f"{float(value):.6g}"


def decision_rule(params: Any, n_total: int) -> str | None:
    """How a model audit turned scores into decisions, requested beside achieved, in words.

    None for an audit of decisions already made (no ``score_method`` in
    ``params``).

    Examples
    --------
    >>> print(decision_rule({"score_method": "predict_proba", "rule": "select_top",
    ...                      "cutoff": 0.62, "requested_selected": 300, "n_selected": 300,
    ...                      "n_tie_break": 0}, 1500))
    Decisions: the top 300 of 1,500 requested (20.0%), 300 selected (20.0%); scores from
    predict_proba, cut-off 0.62.
    """
    if "score_method" not in params:
        return None
    method = params["score_method"]
    n_selected = params.get("n_selected")
    achieved = ""
    if n_selected is not None and n_total:
        achieved = f"{n_selected:,} selected ({n_selected / n_total:.1%})"
    rule = params.get("rule")
    if rule == "select_top":
        k = params.get("requested_selected")
        text = (
            f"Decisions: the top {k:,} of {n_total:,} requested ({k / n_total:.1%}), "
            f"{achieved}; scores from {method}, cut-off {params.get('cutoff'):.4g}"
        )
        if params.get("n_tie_break"):
            text += (
                f"; {params['n_tie_break']:,} chosen at random among the "
                f"{params.get('n_tied_at_cutoff', 0):,} tied at the cut-off"
            )
        return text + "."
    if rule == "threshold":
        return f"Decisions: score >= {params.get('threshold'):g} on {method} scores, {achieved}."
    return f"Decisions: the model's own predict, {achieved}."


def _decided(
    frame: pd.DataFrame, spec: str, decide: Mapping[str, Any] | None, line: float
) -> pd.DataFrame:
    """``frame`` with each ratio column of ``decide`` written by :func:`decisive_cells`.

    ``decide`` maps a ratio column to its exact decisions against ``line``: the
    name of a column of ``frame``, or a sequence aligned with its rows.
    """
    if not decide:
        return frame
    frame = frame.copy()
    for column, below in decide.items():
        if column not in frame:
            continue
        if isinstance(below, str):
            flags = frame[below] if below in frame else None
        else:
            flags = below
        frame[column] = pd.Series(
            decisive_cells(frame[column], flags, line, spec), index=frame.index, dtype=object
        )
    return frame


def frame_block(
    headline: str,
    frame: pd.DataFrame,
    spec: str = ".4g",
    decide: Mapping[str, Any] | None = None,
    line: float = FOUR_FIFTHS_LINE,
) -> str:
    """A result's plain-text repr: its headline over an aligned table (numbers as ``spec``).

    ``decide`` maps a ratio column to its decisions (a column name, or a
    sequence aligned with the rows): the ratio is written with the decimals
    that show its side of ``line`` (:func:`decisive_cells`), so a flagged
    0.79996 is not "0.8" beside its flag.

    Examples
    --------
    >>> import pandas as pd
    >>> print(frame_block("Result: 1 group", pd.DataFrame({"group": ["F"], "rate": [0.25]})))
    Result: 1 group
    group  rate
        F  0.25
    >>> frame = pd.DataFrame({"impact_ratio": [0.79996], "four_fifths_flag": [True]})
    >>> print(frame_block("Result", frame, decide={"impact_ratio": "four_fifths_flag"}))
    Result
    impact_ratio  four_fifths_flag
         0.79996              True
    """
    frame = _decided(frame, spec, decide, line)
    body = frame.to_string(index=False, float_format=lambda v: f"{v:{spec}}", na_rep="-")
    return f"{headline}\n{body}"


def html_block(
    headline: str,
    frame: pd.DataFrame | None = None,
    spec: str = ".4g",
    decide: Mapping[str, Any] | None = None,
    line: float = FOUR_FIFTHS_LINE,
) -> str:
    """A result's notebook HTML: its headline in bold over the table (numbers as ``spec``).

    ``decide`` and ``line`` as in :func:`frame_block`.

    Examples
    --------
    >>> import pandas as pd
    >>> html_block("Result & more").startswith("<div><p><strong>Result &amp; more")
    True
    """
    if frame is not None:
        frame = _decided(frame, spec, decide, line)
    table = (
        ""
        if frame is None
        else frame.to_html(
            index=False,
            na_rep="",
            border=0,
            float_format=lambda v: f"{v:{spec}}",
            classes="adverse-impact",
        )
    )
    return f"<div><p><strong>{html.escape(headline)}</strong></p>{table}</div>"
