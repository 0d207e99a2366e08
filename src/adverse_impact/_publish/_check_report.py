"""The report of a published-summary check, as a publication document.

Reads only the check's public surface (``findings``, ``table``, ``consistent()``,
``min_share``), so the checking logic and its report change independently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adverse_impact._core._render import fmt, true
from adverse_impact._publish._document import Document, Section, Table


def _num(value: Any, digits: int = 3) -> str:
    try:
        return (
            "—" if value is None or not np.isfinite(float(value)) else f"{float(value):.{digits}f}"
        )
    except (TypeError, ValueError):
        return str(value)


def _pair(published: Any, recomputed: Any, wrong: bool, digits: int = 3) -> tuple[str, str]:
    """A published figure and its recomputed value; on a row found wrong, with the
    decimals at which they differ (a published 0.8000 against 3,998/5,000 is not
    "0.800" beside "0.800" and "error").

    Examples
    --------
    >>> from adverse_impact._publish._check_report import _pair
    >>> _pair(0.8, 3998 / 5000, True), _pair(0.8, 3998 / 5000, False)
    (('0.8000', '0.7996'), ('0.800', '0.800'))
    """
    shown = (_num(published, digits), _num(recomputed, digits))
    if not wrong or "—" in shown or shown[0] != shown[1]:
        return shown
    try:
        a, b = float(published), float(recomputed)
    except (TypeError, ValueError):
        return shown
    if abs(a - b) < 1e-12:  # equal: the row is wrong for another figure
        return shown
    for places in range(digits + 1, 16):
        if f"{a:.{places}f}" != f"{b:.{places}f}":
            return f"{a:.{places}f}", f"{b:.{places}f}"
    return shown


def check_document(check: Any) -> Document:
    """Verdict, the findings (errors first), the published figures beside the recomputed."""
    findings = sorted(check.findings, key=lambda f: f.severity != "error")
    n_err = sum(f.severity == "error" for f in findings)
    n_warn = len(findings) - n_err
    if not findings:
        verdict = "Every published figure agrees with the published counts."
    else:
        first = findings[0].message
        verdict = (
            f"The published summary has {n_err} error{'s' if n_err != 1 else ''} and "
            f"{n_warn} warning{'s' if n_warn != 1 else ''}; first: {first}"
        )
    rows = tuple(
        (
            f.severity,
            " / ".join(str(x) for x in (f.attribute, f.group) if x is not None) or "whole table",
            # One cause, one finding: the rows it explains are listed under it.
            f.message + "".join(f"; explains: {k}" for k in f.knock_on),
            _num(f.expected) if f.expected is not None else "—",
            f.code,
        )
        for f in findings
    )
    found = Table(
        ("severity", "where", "finding", "expected", "code"),
        rows,
        title="Findings",
        left=(0, 1, 2, 4),
        row_classes=tuple("flag" if f.severity == "error" else "" for f in findings),
    )
    table = check.table
    recomputed = []
    classes = []
    wrong = {(f.attribute, f.group) for f in findings if f.severity == "error"}
    for r in table.to_dict(orient="records"):
        key = (str(r["attribute"]), str(r["group"]))
        rates = _pair(r.get("published_rate"), r.get("rate"), key in wrong)
        ratios = _pair(r.get("published_ratio"), r.get("impact_ratio"), key in wrong)
        recomputed.append(
            (
                f"{r['attribute']}: {r['group']}"
                + (" (reference)" if true(r.get("is_reference")) else ""),
                fmt(r.get("n")),
                fmt(r.get("selected")),
                *rates,
                *ratios,
                "yes" if true(r.get("excluded")) else "no",
                "error" if key in wrong else "—",
            )
        )
        classes.append("flag" if key in wrong else "")
    figures = Table(
        (
            "group",
            "applicants",
            "selected",
            "rate (published)",
            "rate (recomputed)",
            "impact ratio (published)",
            "impact ratio (recomputed)",
            "excluded (published)",
            "finding",
        ),
        tuple(recomputed),
        title="Published and recomputed figures",
        left=(0, 7, 8),
        row_classes=tuple(classes),
    )
    return Document(
        title="Check of a published bias-audit summary",
        verdict=verdict,
        passes=bool(check.consistent()),
        facts=(
            f"Small-category threshold: {check.min_share:.0%} of "
            + {
                "known": "the rows of known category.",
                "all": "all rows, unknown category included.",
            }.get(check.min_share_of, "the known rows or of all rows (either is accepted)."),
        ),
        sections=(Section("What does not add up", (found,)), Section("The figures", (figures,))),
        key=(
            ("error", "a published figure or decision contradicts the counts or the rule"),
            ("warning", "something is missing or unusual"),
        ),
        method=(
            "Rates and impact ratios are recomputed exactly (as fractions) from the published "
            "counts and compared at the precision they were published with.",
        ),
        legal=("ll144", "four_fifths"),
    )
