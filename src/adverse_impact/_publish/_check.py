"""Checking a published bias-audit summary: every figure recomputed from its own counts."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import SUMMARY_KINDS, Options, validate_params
from adverse_impact._core._params import SUMMARY_SHARE_BASES as SHARE_BASES
from adverse_impact._core._render import jsonable
from adverse_impact._core._validation import check_share
from adverse_impact._publish import PUBLIC
from adverse_impact._publish._document import Reported
from adverse_impact._publish._read import is_unknown_label, read_summary

__all__ = list(PUBLIC["_check"])

#: Accepted bases of the small-category share (6 RCNY 5-301(d)); "either"
#: accepts a decision that is right under one of them.
#: Group labels read as the unknown category when there is no ``unknown`` column.
UNKNOWN_LABELS = (
    "unknown",
    "unknown category",
    "not disclosed",
    "declined to state",
    "decline to self-identify",
    "prefer not to say",
)

#: Published impact ratios meaning "not computed" (an excluded category).
_BLANK = {"", "-", "—", "–", "n/a", "na", "nan", "none", "excluded", "excl.", "excl"}
_REQUIRED = ("attribute", "group", "n", "impact_ratio")


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a published summary.

    Attributes
    ----------
    severity : {"error", "warning"}
        ``"error"``: a published figure or decision contradicts the counts or
        the rule.  ``"warning"``: something is missing or unusual.
    code : str
        A stable name: ``"wrong_ratio"``, ``"ratios_from_rounded_rates"``,
        ``"ratios_truncated"``, ``"wrong_rate"``, ``"rates_truncated"``,
        ``"unattainable_rate"``, ``"small_category_kept"``,
        ``"excluded_without_counts"``, ``"excluded_above_threshold"``,
        ``"missing_unknown"``, ``"totals_disagree"``,
        ``"reference_not_highest"``, ``"ratios_inconsistent"``,
        ``"scoring_rate_above_half"``,
        ``"rates_only"``, ``"precision_unknown"``.
    attribute, group : str or None
        Where: the attribute (prefixed with the table's title, e.g.
        ``"Selection, top: Sex"``, when a file holds several tables) and the
        category; ``group`` is None for a finding about several rows.
    message : str
        The finding in plain words.
    expected : float or None
        The value the published figure should have, where there is one.
    knock_on : tuple of str
        The findings this one explains (one cause, one finding): e.g. every
        ratio computed against the wrong reference, each in plain words.

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> published = pd.DataFrame({"attribute": ["sex"] * 2, "group": ["Male", "Female"],
    ...                           "n": [200, 100], "selected": [100, 30],
    ...                           "rate": ["0.50", "0.30"], "impact_ratio": ["1.00", "0.70"]})
    >>> finding = ai.check_summary(published).findings[0]
    >>> finding.severity, finding.code, finding.group
    ('error', 'wrong_ratio', 'Female')
    >>> print(finding.message)  # doctest: +NORMALIZE_WHITESPACE
    sex / Female: impact ratio published as 0.70; the counts give 0.600 (0.60 at the
    published precision)
    """

    severity: str
    code: str
    attribute: str | None
    group: str | None
    message: str
    expected: float | None = None
    knock_on: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict."""
        out = dataclasses.asdict(self)
        out["knock_on"] = list(self.knock_on)
        return out


# eq=False: results holding DataFrames compare (and hash) by identity.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class SummaryCheck(Reported):
    """A published summary recomputed from its counts, and what does not add up.

    Returned by :func:`adverse_impact.check_summary`.

    Attributes
    ----------
    findings : tuple of Finding
    min_share : float
    min_share_of : str

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> published = pd.DataFrame({"attribute": ["sex"] * 2, "group": ["Male", "Female"],
    ...                           "n": [200, 100], "selected": [100, 30],
    ...                           "rate": ["0.50", "0.30"], "impact_ratio": ["1.00", "0.70"]})
    >>> check = ai.check_summary(published)
    >>> check.summary(), check.consistent()
    ('SummaryCheck: 1 error, 1 warning', False)
    >>> check.findings[0].code, check.findings[0].expected
    ('wrong_ratio', 0.6)
    """

    findings: tuple[Finding, ...]
    min_share: float
    min_share_of: str
    _table: pd.DataFrame = dataclasses.field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The recomputed figures beside the published ones (a copy).

        Columns: ``table`` (its title, or ""), ``attribute``, ``group``,
        ``unknown``, ``n``, ``selected``, ``rate``, ``rate_low`` and
        ``rate_high`` (the values the rate can have: equal when counts are
        published), ``published_rate``, ``impact_ratio``, ``published_ratio``,
        ``is_reference``, ``excluded`` (as published), ``share_known`` and
        ``share_all`` (of the attribute's known rows, and of all its rows).
        """
        return self._table.copy()

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``"error"``."""
        return tuple(f for f in self.findings if f.severity == "error")

    def consistent(self) -> bool:
        """True when no finding is an error: every published figure agrees with its counts.

        Not an adverse-impact gate (a summary can be consistent and show a
        ratio of 0.5): it checks the arithmetic of what was published, so it
        is not named ``passes``.
        """
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """The recomputed table (see :attr:`table`)."""
        return self.table

    def findings_frame(self) -> pd.DataFrame:
        """The findings as a DataFrame, one row each."""
        columns = [f.name for f in dataclasses.fields(Finding)]
        return pd.DataFrame([f.to_dict() for f in self.findings], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """Findings, settings and the recomputed table, JSON-serialisable."""
        return {
            "consistent": self.consistent(),
            "min_share": self.min_share,
            "min_share_of": self.min_share_of,
            "findings": [f.to_dict() for f in self.findings],
            "table": [
                {k: jsonable(v) for k, v in row.items()}
                for row in self._table.to_dict(orient="records")
            ],
        }

    def summary(self) -> str:
        """One line: how many findings of each kind."""
        n_err, n_warn = len(self.errors), len(self.findings) - len(self.errors)
        if not self.findings:
            return "SummaryCheck: no findings; every figure agrees with the counts"
        return (
            f"SummaryCheck: {n_err} error{'s' if n_err != 1 else ''}, {n_warn} "
            f"warning{'s' if n_warn != 1 else ''}"
        )

    def __repr__(self) -> str:
        lines = [self.summary()]
        for f in self.findings:
            lines.append(f"- {f.severity}: {f.message}")
            lines += [f"    - {k}" for k in f.knock_on]
        return "\n".join(lines)

    @property
    def verdict(self) -> str:
        """The answer in one sentence: how many errors and warnings, and the first."""
        return self._document().verdict

    def _document(self) -> Any:
        from adverse_impact._publish._check_report import check_document

        return check_document(self)


# -- reading the published table -----------------------------------------------------


def _where(row: int, frame: pd.DataFrame, column: str) -> str:
    attribute, group = frame.at[row, "attribute"], frame.at[row, "group"]
    return f"table row {row} ({attribute} / {group}), column {column!r}"


def _decimals(text: str) -> int:
    match = re.search(r"\.(\d+)", text)
    return len(match.group(1)) if match else 0


def _as_text(value: Any) -> str:
    """A published figure as text; a float (read by pandas as a number) by its shortest repr,
    its binary tail (0.30000000000000004) cut at 12 decimals."""
    if isinstance(value, (float, np.floating)):
        text = repr(float(value))
        if "e" in text or _decimals(text) > 12:
            text = f"{float(value):.12f}".rstrip("0")
        return text
    return str(value).strip()


#: A number whose separators can only group thousands: 1,234 or 12,345,678.5 (with
#: "." as the decimal mark), 1.234 or 12.345.678,5 (with ","). A leading 0 never
#: starts a thousands group: "0,800" is a decimal comma.
_GROUPED = {
    ".": re.compile(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?"),
    ",": re.compile(r"[-+]?[1-9]\d{0,2}(\.\d{3})+(,\d*)?"),
}


def _plain_digits(text: str, decimal: str, row: int, frame: pd.DataFrame, column: str) -> str:
    """A published figure without thousands separators, with "." as its decimal mark.

    The other mark than ``decimal`` is read as a thousands separator only where
    it groups digits by three; elsewhere ("51,0%" or "0,80" read with ".") it is
    a decimal mark the caller did not announce, and reading it either way would
    invent a figure (510% or 80), so it is refused with the fix.
    """
    text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    other = "," if decimal == "." else "."
    if other in text:
        if not _GROUPED[decimal].fullmatch(text):
            raise input_error(
                "table",
                f"{_where(row, frame, column)}: {text!r} writes {other!r} where "
                f"{decimal!r} is the decimal mark, and not as a thousands separator",
                f"Pass decimal={other!r} if the summary writes decimals with {other!r}",
            )
        text = text.replace(other, "")
    return text.replace(",", ".")


def _parse_number(
    value: Any, row: int, frame: pd.DataFrame, column: str, decimal: str = "."
) -> tuple[Fraction | None, int]:
    """The published value exactly as written, and its number of decimals (percent aware)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, 0
    text = _as_text(value)
    if text.casefold() in _BLANK:
        return None, 0
    percent = text.endswith("%")
    # A figure that arrived as a number (not text) has "." from Python, whatever the file's mark.
    mark = decimal if isinstance(value, str) else "."
    digits = _plain_digits(text.rstrip("%").strip(), mark, row, frame, column)
    try:
        number = Fraction(digits)
    except (ValueError, ZeroDivisionError):
        raise input_error(
            "table",
            f"{_where(row, frame, column)}: {text!r} is not a number",
            "Publish numbers such as 0.78 or 78%",
        ) from None
    if percent:
        return number / 100, _decimals(digits) + 2
    return number, _decimals(digits)


def _count(
    value: Any, row: int, frame: pd.DataFrame, column: str, required: bool, decimal: str
) -> int | None:
    other = "," if decimal == "." else "."
    if isinstance(value, str) and _GROUPED[other].fullmatch(value.strip()):
        # "5.000" or "1.200" read with "." would be 5 or 1.2 people: a count
        # written with three decimals is the other mark grouping thousands.
        raise input_error(
            "table",
            f"{_where(row, frame, column)}: {value!r} is a count whose {decimal!r} "
            "is followed by three digits, as a thousands separator's is",
            f"If {decimal!r} groups thousands there, pass decimal={other!r}",
        )
    number, _ = _parse_number(value, row, frame, column, decimal)
    if number is None:
        if required:
            raise input_error(
                "table",
                f"{_where(row, frame, column)}: is empty",
                "Publish the number of applicants of every category",
            )
        return None
    if number < 0:
        raise input_error(
            "table",
            f"{_where(row, frame, column)}: {value!r} is negative",
            "Counts of people are 0 or more",
        )
    if number.denominator != 1:
        raise input_error(
            "table",
            f"{_where(row, frame, column)}: {value!r} is not a whole number",
            "Counts of people are whole numbers",
        )
    return int(number)


def _is_true(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return str(value).strip().casefold() in {"true", "yes", "y", "1", "x"}


def _rows(frame: pd.DataFrame, unknown: Iterable[str], decimal: str) -> list[dict[str, Any]]:
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise input_error(
            "table",
            f"missing column(s) {missing!r}; found {list(map(str, frame.columns))!r}",
            "Name the columns attribute, group, n, selected and/or rate, impact_ratio",
        )
    if "selected" not in frame.columns and "rate" not in frame.columns:
        raise input_error(
            "table",
            "has neither a 'selected' nor a 'rate' column",
            "Publish the number selected or the selection rate of each category",
        )
    frame = frame.reset_index(drop=True)
    labels = {str(u).strip().casefold() for u in unknown}
    out = []
    for i in range(len(frame)):
        group = str(frame.at[i, "group"])
        is_unknown = (
            _is_true(frame.at[i, "unknown"])
            if "unknown" in frame.columns
            else group.strip().casefold() in labels or is_unknown_label(group)
        )
        n = _count(frame.at[i, "n"], i, frame, "n", required=True, decimal=decimal)
        selected = (
            _count(frame.at[i, "selected"], i, frame, "selected", required=False, decimal=decimal)
            if "selected" in frame.columns
            else None
        )
        if selected is not None and selected > n:
            raise input_error(
                "table",
                f"{_where(i, frame, 'selected')}: {selected:,} selected is more than n = {n:,}",
                "Check the row's counts",
            )
        rate, rate_digits = (
            _parse_number(frame.at[i, "rate"], i, frame, "rate", decimal)
            if "rate" in frame.columns
            else (None, 0)
        )
        if rate is not None and not 0 <= rate <= 1:
            raise input_error(
                "table",
                f"{_where(i, frame, 'rate')}: {frame.at[i, 'rate']!r} is outside [0, 1]",
                "A rate is a share between 0 and 1 (or 0% and 100%)",
            )
        ratio, ratio_digits = _parse_number(
            frame.at[i, "impact_ratio"], i, frame, "impact_ratio", decimal
        )
        if ratio is not None and ratio < 0:
            raise input_error(
                "table",
                f"{_where(i, frame, 'impact_ratio')}: {frame.at[i, 'impact_ratio']!r} is negative",
                "An impact ratio is 0 or more",
            )
        excluded_text = str(frame.at[i, "excluded"]).strip() if "excluded" in frame.columns else ""
        # A category with no applicants has no rate and no ratio: that is not a
        # fault, and it is neither kept in nor excluded from the ratios.
        empty = n == 0
        excluded = (
            _is_true(excluded_text)
            if excluded_text
            else (ratio is None and not is_unknown and not empty)
        )
        table = str(frame.at[i, "table"]).strip() if "table" in frame.columns else ""
        kind = str(frame.at[i, "kind"]).strip().casefold() if "kind" in frame.columns else ""
        out.append(
            {
                "table": "" if table.casefold() in ("nan", "none") else table,
                "kind": kind,
                "attribute": str(frame.at[i, "attribute"]),
                "group": group,
                "unknown": is_unknown,
                "empty": empty,
                "n": n,
                "selected": selected,
                "published_rate": rate,
                "rate_digits": rate_digits,
                # As published (64.2%, 0.642): messages quote the figure the reader sees.
                "rate_text": _as_text(frame.at[i, "rate"]) if rate is not None else "",
                "published_ratio": ratio,
                "ratio_digits": ratio_digits,
                "excluded": excluded and not empty,
            }
        )
    return out


# -- checking -----------------------------------------------------------------------


def _half(digits: int) -> Fraction:
    return Fraction(1, 2 * 10**digits)


def _agrees(exact: Fraction, published: Fraction, digits: int) -> bool:
    """``published`` is ``exact`` rounded to ``digits`` decimals (either way on a tie)."""
    return abs(exact - published) <= _half(digits)


def _meets(lo: Fraction, hi: Fraction, published: Fraction, digits: int) -> bool:
    """Some value in [lo, hi] rounds to ``published`` at ``digits`` decimals."""
    return lo <= published + _half(digits) and hi >= published - _half(digits)


def _truncates(lo: Fraction, hi: Fraction, published: Fraction, digits: int) -> bool:
    """Some value in [lo, hi] truncated (not rounded) to ``digits`` decimals is ``published``."""
    return lo < published + 2 * _half(digits) and hi >= published


def _fmt(value: Fraction | float, digits: int) -> str:
    return f"{float(value):.{max(digits, 1)}f}"


def _span(lo: Fraction, hi: Fraction, digits: int) -> str:
    """An interval of values at a precision a little finer than the published one."""
    d = max(digits + 1, 3)
    if lo == hi:
        return f"{float(lo):.{d}f}"
    return f"{float(lo):.{d}f} to {float(hi):.{d}f}"


@validate_params(min_share_of=Options(SHARE_BASES), kind=Options(SUMMARY_KINDS))
def check_summary(
    table: Any,
    *,
    min_share: float = 0.02,
    min_share_of: str = "either",
    unknown: Iterable[str] = UNKNOWN_LABELS,
    kind: str = "auto",
    sheet: str | None = None,
    encoding: str | None = None,
    decimal: str = ".",
) -> SummaryCheck:
    """Recompute a published bias-audit summary from its counts and list what disagrees.

    Parameters
    ----------
    table : DataFrame or path
        The summary as published.  A file may be a CSV (the delimiter is
        sniffed), an ``.xlsx`` workbook, or the LL144 packet's own ``.json`` or
        ``.md``; it may be in the wide layout auditors publish (a section per
        attribute with a header row such as "Race/Ethnicity, # of Applicants,
        Number Selected, Selection Rate, Impact Ratio"; intersectional
        sections with two label columns; "N/A" for an excluded category; a
        title row such as "Threshold: top" before each of several tables), or
        the tidy layout: one row per category with columns ``attribute``,
        ``group``, ``n`` (applicants), ``selected`` and/or ``rate``, and
        ``impact_ratio`` (empty or ``"excluded"`` for an excluded category),
        optional ``excluded``, ``unknown`` (yes/no), ``table`` and ``kind``
        (``"selection"``/``"scoring"``).  Rates may be shares (0.78) or
        percentages (78%).  Every figure is read as text, so the published
        precision (``1.00``) is kept.
    min_share : float, default 0.02
        The small-category threshold of 6 RCNY 5-301(d).
    min_share_of : {"either", "known", "all"}, default "either"
        The base of that share: the attribute's rows of known category, all
        its rows (unknown included), or ``"either"``: accept a decision that
        is right under one of the two readings of the rule.
    unknown : iterable of str
        Group labels (case-insensitive) meaning the unknown category, besides
        labels that say so ("Unknown Race", "Missing/Unknown", "Declined").
    kind : {"auto", "selection", "scoring"}, default "auto"
        Whether the rates are selection or scoring rates; ``"auto"`` reads it
        from the published header ("Scoring Rate") or ``kind`` column.
    sheet : str, optional
        The sheet of an ``.xlsx`` workbook (required when it has several).
    encoding : str, optional
        The encoding of a text file (default UTF-8), e.g. ``"latin-1"``.
    decimal : {".", ","}, default "."
        The decimal mark of the published figures ("51,0%" and "0,80" in many
        European spreadsheets).  The other mark is read as a thousands
        separator where it groups digits by three ("1,234" or, with
        ``decimal=","``, "1.234"); anywhere else it is refused with this fix,
        never guessed.

    Returns
    -------
    SummaryCheck
        ``findings`` in plain words, the recomputed table beside the
        published one, and ``consistent()`` (no error finding).

    Raises
    ------
    InputError
        A file that cannot be read, a missing column, a negative or
        fractional count, ``selected`` above ``n``, a rate outside [0, 1]:
        the message names the row and column, or the fix.

    Notes
    -----
    A published figure with *d* decimals stands for every value that rounds
    to it.  Where counts are published each figure is compared with the
    exact value.  Where only rates are published each rate is the interval of
    values that round to it, narrowed to the fractions *k/n* a whole count
    can give (no such *k*: the rate is unattainable), and a ratio is wrong
    only if no choice of whole counts within those rates gives it at its own
    precision (exact arithmetic with fractions).  All the ratios share one
    highest rate: ratios that each pass alone but that no single highest
    rate (one category's *k/n*) gives together are one
    ``ratios_inconsistent`` error.  The
    reference is the highest-rate category among those kept in the ratios
    (6 RCNY 5-300, "impact ratio").  Findings with one cause are reported once, with the
    rows they explain as ``knock_on``: ratios computed from rounded rates,
    truncated rather than rounded, or against another reference.

    Examples
    --------
    Ratios computed from rounded rates: 170 of 217 men and 753 of 971 women
    selected, both published as 0.78, so a ratio of 1.00 where the counts
    give 0.990.

    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> published = pd.DataFrame({
    ...     "attribute": ["sex"] * 3, "group": ["Male", "Female", "Unknown"],
    ...     "n": [217, 971, 12], "selected": [170, 753, 9],
    ...     "rate": ["0.78", "0.78", "0.75"], "impact_ratio": ["1.00", "1.00", ""]})
    >>> check = ai.check_summary(published)
    >>> check.consistent()
    False
    >>> print(check.findings[0].message)  # doctest: +NORMALIZE_WHITESPACE
    sex / Female: impact ratio published as 1.00 matches only the rounded rates (0.78 / 0.78); the
    counts give 0.990 (0.99 at the published precision)

    Rates only: 51% and 50% of 5,000 each stand for 50.5-51.5% and
    49.5-50.5%, so a ratio of 0.99 is possible and nothing is wrong.

    >>> rates_only = pd.DataFrame({
    ...     "attribute": ["sex"] * 3, "group": ["Male", "Female", "Unknown"],
    ...     "n": ["5,000", "5,000", "0"], "rate": ["51%", "50%", ""],
    ...     "impact_ratio": ["1.00", "0.99", ""]})
    >>> ai.check_summary(rates_only).errors
    ()

    The same table as a spreadsheet with decimal commas writes it:

    >>> european = rates_only.assign(
    ...     n=["5.000", "5.000", "0"], rate=["51%", "50%", ""], impact_ratio=["1,00", "0,99", ""])
    >>> ai.check_summary(european, decimal=",").errors
    ()
    >>> ai.check_summary(european)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adverse_impact.InputError: table: ... pass decimal=','
    """
    share = check_share(min_share, "min_share")
    frame = read_summary(table, sheet=sheet, encoding=encoding)
    findings: list[Finding] = []
    if isinstance(table, pd.DataFrame):
        findings += _precision_warnings(table)
    rows = _rows(frame, unknown, decimal)
    out_rows: list[dict[str, Any]] = []
    for name in dict.fromkeys(r["table"] for r in rows):
        in_table = [r for r in rows if r["table"] == name]
        blocks = {
            (f"{name}: {a}" if name else a): [r for r in in_table if r["attribute"] == a]
            for a in dict.fromkeys(r["attribute"] for r in in_table)
        }
        has_unknown = {a: any(r["unknown"] for r in b) for a, b in blocks.items()}
        totals = {
            a: _recompute(b, [r for r in b if not r["unknown"]], share, "excluded" in frame.columns)
            for a, b in blocks.items()
        }
        for label, block in blocks.items():
            known = [r for r in block if not r["unknown"]]
            rate_findings, wrong_rates = _check_rates(label, block)
            findings += rate_findings
            findings += _check_shares(label, known, share, min_share_of)
            findings += _check_ratios(label, known, wrong_rates)
            scoring = kind == "scoring" or (
                kind == "auto" and any(r["kind"] == "scoring" for r in block)
            )
            if scoring:
                # The median is the whole sample's: the largest total any attribute
                # of this table publishes (an attribute may leave its unknowns out).
                findings += _check_scoring(label, block, max(totals.values()))
            findings += _completeness_warnings(label, known, has_unknown[label])
            out_rows += block
        findings += _check_totals({a: t for a, t in totals.items() if has_unknown[a]})
    return SummaryCheck(tuple(findings), float(share), min_share_of, _frame(out_rows))


def _precision_warnings(table: pd.DataFrame) -> list[Finding]:
    """A warning when figures arrived as numbers: their published decimals are lost."""
    numeric = [
        c
        for c in ("rate", "impact_ratio")
        if c in table.columns and pd.api.types.is_float_dtype(table[c])
    ]
    if not numeric:
        return []
    return [
        Finding(
            "warning",
            "precision_unknown",
            None,
            None,
            f"column(s) {numeric!r} hold numbers, not the published text: a figure published "
            "as 0.80 reads as 0.8, so its precision is taken as one decimal and a wrong last "
            "digit can go unseen; pass the file's path, or read it with dtype=str",
        )
    ]


def _recompute(
    block: list[dict[str, Any]],
    known: list[dict[str, Any]],
    share: Fraction,
    excluded_published: bool,
) -> int:
    """Each row's rate (an exact value, or the interval the published rate stands for) and
    its shares, and whether it is below the threshold under each base (set on the rows);
    returns the attribute's total, unknown included."""
    n_unknown = sum(r["n"] for r in block if r["unknown"])
    n_known = sum(r["n"] for r in known)
    for r in block:
        r["unattainable"] = False
        if r["selected"] is not None and r["n"]:
            r["rate"] = Fraction(r["selected"], r["n"])
            r["lo"] = r["hi"] = r["rate"]
        elif r["published_rate"] is not None and r["n"]:
            r["rate"] = r["published_rate"]
            half = _half(r["rate_digits"])
            lo, hi = max(r["rate"] - half, Fraction(0)), min(r["rate"] + half, Fraction(1))
            # The true rate is k / n for a whole k: narrow the interval to those.
            k_lo, k_hi = math.ceil(lo * r["n"]), math.floor(hi * r["n"])
            if k_lo > k_hi:
                r["unattainable"] = True
                r["lo"], r["hi"] = lo, hi
            else:
                r["lo"], r["hi"] = Fraction(k_lo, r["n"]), Fraction(k_hi, r["n"])
        else:
            r["rate"] = r["published_rate"]
            r["lo"] = r["hi"] = None
        r["share_known"] = Fraction(r["n"], n_known) if n_known and not r["unknown"] else None
        r["share_all"] = (
            Fraction(r["n"], n_known + n_unknown)
            if n_known + n_unknown and not r["unknown"]
            else None
        )
    for r in known:
        r["below"] = {
            "known": r["share_known"] is not None and r["share_known"] < share,
            "all": r["share_all"] is not None and r["share_all"] < share,
        }
    large = [r for r in known if not any(r["below"].values()) and not r["empty"]]
    if not excluded_published and large and all(not r["hi"] for r in large):
        # Every rate that could be the reference is 0: no ratio exists, and
        # an empty ratio then means "none", not "excluded".
        for r in large:
            r["excluded"] = r["excluded"] and r["published_ratio"] is not None
    return n_known + n_unknown


def _check_totals(with_unknown: dict[str, int]) -> list[Finding]:
    """An error when the attributes that publish an unknown count cover different totals."""
    if len(set(with_unknown.values())) <= 1:
        return []
    shown = ", ".join(f"{a} {t:,}" for a, t in with_unknown.items())
    return [
        Finding(
            "error",
            "totals_disagree",
            None,
            None,
            f"attribute tables count different numbers of people (unknown included): {shown}; "
            "every table should cover the same applicants",
        )
    ]


def _completeness_warnings(
    attribute: str, known: list[dict[str, Any]], has_unknown: bool
) -> list[Finding]:
    """Warnings for what the table leaves out: numbers selected, the unknown category."""
    found = []
    if any(r["selected"] is None and not r["excluded"] and not r["empty"] for r in known):
        found.append(
            Finding(
                "warning",
                "rates_only",
                attribute,
                None,
                f"{attribute}: some categories publish no number selected, so each of their "
                "rates stands for the interval of values that round to it, and ratios are "
                "checked against every rate in those intervals",
            )
        )
    if not has_unknown:
        found.append(
            Finding(
                "warning",
                "missing_unknown",
                attribute,
                None,
                f"{attribute}: no unknown-category row; 6 RCNY 5-303 requires the number of "
                "individuals in the unknown category to be published (0 if none)",
            )
        )
    return found


def _check_rates(attribute: str, block: list[dict[str, Any]]) -> tuple[list[Finding], set[int]]:
    """Rates that their counts do not give, or that no whole count of n gives.

    Returns the findings and the ids of the rows whose rate is wrong (a wrong
    count there can explain the ratios' findings)."""
    found: list[Finding] = []
    wrong: set[int] = set()
    truncated: list[str] = []
    rounded_wrong: list[tuple[dict[str, Any], str, Fraction]] = []
    for r in block:
        if r["empty"] or r["published_rate"] is None:
            continue
        shown = r["rate_text"]
        if r["selected"] is None:
            if r["unattainable"]:
                wrong.add(id(r))
                k = round(r["published_rate"] * r["n"])
                near = sorted({max(0, min(r["n"], k + d)) for d in (-1, 0, 1)})
                options = ", ".join(
                    f"{j:,} of {r['n']:,} is {_fmt(Fraction(j, r['n']), r['rate_digits'])}"
                    for j in near
                )
                found.append(
                    Finding(
                        "error",
                        "unattainable_rate",
                        attribute,
                        r["group"],
                        f"{attribute} / {r['group']}: rate published as {shown}, which no whole "
                        f"number of its {r['n']:,} applicants gives ({options})",
                    )
                )
            continue
        exact = Fraction(r["selected"], r["n"])
        if _agrees(exact, r["published_rate"], r["rate_digits"]):
            continue
        wrong.add(id(r))
        message = (
            f"{attribute} / {r['group']}: rate published as {shown}; {r['selected']:,} of "
            f"{r['n']:,} is {float(exact):.4f}"
        )
        if _truncates(exact, exact, r["published_rate"], r["rate_digits"]):
            truncated.append(message)
        rounded_wrong.append((r, message, exact))
    if len(truncated) == len(rounded_wrong) and len(truncated) > 1:
        found.append(
            Finding(
                "error",
                "rates_truncated",
                attribute,
                None,
                f"{attribute}: {len(truncated)} rates are their counts' rates truncated, not "
                f"rounded, to the published decimals (pattern: truncation): "
                + ", ".join(r["group"] for r, _, _ in rounded_wrong),
                knock_on=tuple(truncated),
            )
        )
        return found, wrong
    for r, message, exact in rounded_wrong:
        found.append(Finding("error", "wrong_rate", attribute, r["group"], message, float(exact)))
    return found, wrong


def _check_shares(
    attribute: str, known: list[dict[str, Any]], share: Fraction, base: str
) -> list[Finding]:
    found = []
    for r in known:
        if r["empty"]:
            continue
        below = r["below"]
        below_any = below["known"] or below["all"] if base == "either" else below[base]
        below_all = below["known"] and below["all"] if base == "either" else below[base]
        pct = (
            f"{float(r['share_known']):.2%} of known rows, {float(r['share_all']):.2%} of all rows"
        )
        if r["excluded"]:
            if r["published_rate"] is None and r["selected"] is None:
                found.append(
                    Finding(
                        "error",
                        "excluded_without_counts",
                        attribute,
                        r["group"],
                        f"{attribute} / {r['group']}: excluded from the ratios without its "
                        "selection rate; 6 RCNY 5-301(d) requires its number of applicants and "
                        "rate to be published",
                    )
                )
            if not below_any:
                found.append(
                    Finding(
                        "error",
                        "excluded_above_threshold",
                        attribute,
                        r["group"],
                        f"{attribute} / {r['group']}: excluded from the ratios but it is {pct}, "
                        f"not below {float(share):.0%}",
                    )
                )
        elif below_all:
            found.append(
                Finding(
                    "warning",
                    "small_category_kept",
                    attribute,
                    r["group"],
                    f"{attribute} / {r['group']}: kept in the ratios though it is {pct}, below "
                    f"{float(share):.0%}; it may be excluded with a justification (6 RCNY "
                    "5-301(d)); if it is the highest rate, it sets every other ratio",
                )
            )
    return found


def _bounds(r: dict[str, Any], ref: dict[str, Any]) -> tuple[Fraction, Fraction]:
    """The ratios r / ref possible within the two rows' rate intervals."""
    if r is ref:
        return Fraction(1), Fraction(1)
    lo = r["lo"] / ref["hi"] if ref["hi"] else Fraction(0)
    hi = r["hi"] / ref["lo"] if ref["lo"] else Fraction(10**9)
    return lo, hi


def _against_top(r: dict[str, Any], kept: list[dict[str, Any]]) -> tuple[Fraction, Fraction]:
    """The impact ratios r can have against the highest rate, within the rate intervals.

    With M the highest of the *other* rates, the ratio is min(1, r / M): the
    top is either r itself (ratio 1) or another row, never r's own upper bound
    set against r's lower one."""
    others = [o for o in kept if o is not r]
    if not others:
        return Fraction(1), Fraction(1)
    m_lo, m_hi = max(o["lo"] for o in others), max(o["hi"] for o in others)
    lo = min(Fraction(1), r["lo"] / m_hi) if m_hi else Fraction(1)
    hi = min(Fraction(1), r["hi"] / m_lo) if m_lo else Fraction(1)
    return lo, hi


def _check_ratios(
    attribute: str, known: list[dict[str, Any]], wrong_rates: set[int]
) -> list[Finding]:
    kept = [r for r in known if not r["excluded"] and not r["empty"] and r["lo"] is not None]
    for r in known:
        r["impact_ratio"], r["is_reference"] = None, False
    if not kept:
        return []
    top_hi = max(r["hi"] for r in kept)
    reference = max(kept, key=lambda r: (r["hi"], r["lo"]))
    reference["is_reference"] = True
    exact = all(r["lo"] == r["hi"] for r in kept)
    for r in kept:
        r["impact_ratio"] = r["rate"] / reference["rate"] if reference["rate"] else None
    if not top_hi:
        return []
    published = [r for r in kept if r["published_ratio"] is not None]
    # Against the highest rate (whichever row it is, within its interval).
    allowed = {id(r): _against_top(r, kept) for r in published}
    failing = [
        r for r in published if not _meets(*allowed[id(r)], r["published_ratio"], r["ratio_digits"])
    ]
    # The intervals above are of real numbers; the rates are k / n for whole k.  A ratio
    # more precise than its rate can fall between the values those give.
    stepped = (
        [] if exact else [r for r in published if r not in failing and not _ratios_fit(kept, [r])]
    )
    failing += stepped
    above_one = [r for r in published if r["published_ratio"] > 1 + _half(r["ratio_digits"])]
    if not failing and not above_one:
        return [] if exact else _common_reference(attribute, kept, published)
    source = "the counts give" if exact else "the published rates allow"

    def says(r: dict[str, Any]) -> str:
        lo, hi = allowed[id(r)]
        return (
            f"{attribute} / {r['group']}: impact ratio published as "
            f"{_fmt(r['published_ratio'], r['ratio_digits'])}; {source} "
            f"{_span(lo, hi, r['ratio_digits'])}"
            + (f" ({_fmt(lo, r['ratio_digits'])} at the published precision)" if lo == hi else "")
            + (
                f", but only as a range: no whole number of its {r['n']:,} applicants within "
                f"its rate {r['rate_text']} gives that ratio"
                if r in stepped
                else ""
            )
        )

    # One cause, one finding: ratios computed from rounded rates (when every
    # failing ratio fits them), else against another category.
    all_rounded = exact and all(
        _from_rounded_rates(r, reference, r["ratio_digits"]) is not None for r in failing
    )
    other = (
        None
        if all_rounded and not above_one
        else _published_reference(kept, published, reference, bool(above_one))
    )
    if other is not None:
        agree = [
            r
            for r in published
            if _meets(*_bounds(r, other), r["published_ratio"], r["ratio_digits"])
        ]
        explained = [r for r in failing if r in agree]
        if above_one or len(explained) >= 2 or (explained and len(agree) == len(published)):
            return _wrong_reference(
                attribute,
                kept,
                published,
                reference,
                other,
                agree,
                explained,
                says,
                wrong_rates,
                above_one,
            )
    found: list[Finding] = []
    if above_one:
        # Ratios above 1, and no other category explains the published ratios:
        # the reference used is not the highest; say so once, with those rows.
        found.append(
            Finding(
                "error",
                "reference_not_highest",
                attribute,
                reference["group"],
                f"{attribute}: ratios above 1 ("
                + ", ".join(repr(r["group"]) for r in above_one)
                + ") mean the reference is not the highest-rate category (pattern: wrong "
                "reference)",
                knock_on=tuple(says(r) for r in above_one if r in failing),
            )
        )
        failing = [r for r in failing if r not in above_one]
    return found + _ratio_patterns(attribute, failing, reference, allowed, exact, says, stepped)


def _inconsistent(attribute: str, why: str) -> list[Finding]:
    """The error of an attribute whose ratios no single highest rate gives, and why."""
    return [Finding("error", "ratios_inconsistent", attribute, None, f"{attribute}: {why}")]


def _common_reference(
    attribute: str, kept: list[dict[str, Any]], published: list[dict[str, Any]]
) -> list[Finding]:
    """An error when each published ratio is reachable on its own but not all together.

    Every ratio divides its row's rate by the same highest rate M.  A ratio p
    published with d decimals (half a unit h) and a rate between lo and hi
    allow M only in [lo / min(1, p + h), hi / (p - h)]; M itself lies between
    the largest lower and the largest upper end of the rates.  When those
    intervals do not meet, no single set of true rates gives the published
    table, though every row passes alone (rates only: with counts M is known
    and the row checks already decide).  When they meet, M is still one
    category's rate, k / n for a whole k: no such value between them is the
    same error."""
    bounds_lo: list[tuple[Fraction, dict[str, Any] | None]] = [(max(r["lo"] for r in kept), None)]
    bounds_hi: list[tuple[Fraction, dict[str, Any] | None]] = [(max(r["hi"] for r in kept), None)]
    for r in published:
        p, h = r["published_ratio"], _half(r["ratio_digits"])
        bounds_lo.append((r["lo"] / min(Fraction(1), p + h), r))
        if p - h > 0:
            bounds_hi.append((r["hi"] / (p - h), r))
    (low, by_low), (high, by_high) = (
        max(bounds_lo, key=lambda b: b[0]),
        min(bounds_hi, key=lambda b: b[0]),
    )
    if _ratios_fit(kept, published):
        return []
    if low <= high:
        return _top_between(attribute, kept, low, high) or _stepped_over(attribute, low, high)
    if by_low is None or by_high is None:
        return _stepped_over(attribute, None, None)

    def needs(r: dict[str, Any], bound: Fraction, side: str) -> str:
        return (
            f"{r['group']!r} (rate {r['rate_text']}, ratio "
            f"{_fmt(r['published_ratio'], r['ratio_digits'])}) needs it {side} "
            f"{float(bound):.2%}"
        )

    return _inconsistent(
        attribute,
        "each impact ratio is reachable on its own, but no single highest "
        f"rate gives them all: {needs(by_high, high, 'at most')}, "
        f"{needs(by_low, low, 'at least')}",
    )


#: Past this many separate rates k / n of one category inside the window, its rates
#: are taken as one interval of reals (lenient: a miss is possible, a false alarm not).
_MAX_STEPS = 20_000


def _ratios_fit(kept: list[dict[str, Any]], constrained: list[dict[str, Any]]) -> bool:
    """Whole counts within every rate and one highest rate M among ``kept`` give each
    ``constrained`` ratio at its precision (exact: the rates are k / n, not intervals).

    For each category that could be the highest, M runs over its own values; every
    other category's rate r, one of its k / n, must give r / M in [p - h, p + h]
    (in [0, 1] when unconstrained), so M lies in the union of [r / b, r / a]."""

    held = {id(r) for r in constrained}

    def span(r: dict[str, Any]) -> tuple[Fraction, Fraction]:
        if id(r) not in held:
            return Fraction(0), Fraction(1)
        p, h = r["published_ratio"], _half(r["ratio_digits"])
        return max(Fraction(0), p - h), min(Fraction(1), p + h)

    # The likeliest top first; the categories that narrow M least first (a ratio much
    # more precise than its rate splits M into many pieces: best done last).
    tops = sorted(kept, key=lambda r: (r["hi"], r["lo"]), reverse=True)
    others = sorted(kept, key=lambda r: (id(r) in held, r["ratio_digits"] - r["rate_digits"]))
    for top in tops:
        if id(top) in held and abs(top["published_ratio"] - 1) > _half(top["ratio_digits"]):
            continue
        window = [(top["lo"], top["hi"])]
        for r in others:
            if r is not top:
                window = _tops_within(r, *span(r), window)
                if not window:
                    break
        if top["unattainable"]:
            if any(hi > 0 for _, hi in window):
                return True
            continue
        for lo, hi in window:
            # M is k / n of the top's own count, and above 0 (a ratio needs it).
            if max(math.ceil(lo * top["n"]), 1) <= math.floor(hi * top["n"]):
                return True
    return False


def _tops_within(
    r: dict[str, Any], a: Fraction, b: Fraction, window: list[tuple[Fraction, Fraction]]
) -> list[tuple[Fraction, Fraction]]:
    """The highest rates M in ``window`` (sorted, disjoint closed intervals) for which one
    of r's rates gives r / M in [a, b]: M in [k / (n b), k / (n a)] for a whole count k."""
    out: list[tuple[Fraction, Fraction]] = []

    def add(lo: Fraction, hi: Fraction | None, x: Fraction, y: Fraction) -> None:
        lo, hi = max(lo, x), y if hi is None else min(hi, y)
        if lo <= hi:
            out.append((lo, hi))

    if r["unattainable"]:  # any real rate in [lo, hi]: the spans join into one
        if a > 0 and not r["hi"]:
            return []
        for x, y in window:
            add(r["lo"] / b, r["hi"] / a if a > 0 else None, x, y)
        return out
    n = r["n"]
    k_lo, k_hi = int(r["lo"] * n), int(r["hi"] * n)
    # Spans of neighbouring counts overlap once a (k + 1) <= b k: from there on, one.
    joined = k_hi + 1 if a == b else math.ceil(a / (b - a)) if a > 0 else 0
    pieces = []
    for x, y in window:
        # The counts whose span meets [x, y]: k / (n a) >= x and k / (n b) <= y.
        k1, k2 = max(k_lo, math.ceil(x * a * n)), min(k_hi, math.floor(y * b * n))
        if k1 <= k2:
            pieces.append((x, y, k1, k2))
    if sum(max(0, min(joined, k2 + 1) - max(k1, 1)) for _, _, k1, k2 in pieces) > _MAX_STEPS:
        joined = 0
    for x, y, k1, k2 in pieces:
        if a <= 0:
            add(Fraction(k1, n) / b, None, x, y)
            continue
        for k in range(max(k1, 1), min(joined, k2 + 1)):
            add(Fraction(k, n) / b, Fraction(k, n) / a, x, y)
        if max(k1, joined) <= k2:
            add(Fraction(max(k1, joined), n) / b, Fraction(k2, n) / a, x, y)
    return out


def _stepped_over(attribute: str, low: Fraction | None, high: Fraction | None) -> list[Finding]:
    """Ratios that real-valued rates could give together but whole counts cannot."""
    window = (
        f"they need the highest rate between {float(low):.2%} and {float(high):.2%}, and "
        if low is not None and high is not None
        else ""
    )
    return _inconsistent(
        attribute,
        "each impact ratio is reachable on its own, but no whole numbers of "
        f"applicants within the published rates give them all against one highest rate "
        f"({window}the rates k / n step over every value that fits)",
    )


def _top_between(
    attribute: str, kept: list[dict[str, Any]], low: Fraction, high: Fraction
) -> list[Finding]:
    """An error when the ratios need the highest rate in [low, high] and no category that
    can be the highest (ratio 1 at its precision) has a whole count giving a rate there:
    with few applicants at the top, the rates k / n step over the window."""

    def can_top(r: dict[str, Any]) -> bool:
        p = r["published_ratio"]
        return p is None or abs(p - 1) <= _half(r["ratio_digits"])

    def counts_within(r: dict[str, Any]) -> tuple[int, int]:
        n = r["n"]
        return max(math.ceil(low * n), int(r["lo"] * n), 1), min(
            math.floor(high * n), int(r["hi"] * n)
        )

    tops = [r for r in kept if can_top(r)]
    for r in tops:
        if r["unattainable"]:
            if r["lo"] <= high and r["hi"] >= low:
                return []
        elif (span := counts_within(r))[0] <= span[1]:
            return []
    window = f"between {float(low):.2%} and {float(high):.2%}"
    if not tops:
        return _inconsistent(
            attribute,
            f"the impact ratios need the highest rate {window}, and no "
            "category's ratio is 1 at its precision",
        )
    top = max(tops, key=lambda r: (r["hi"], r["lo"]))
    n = top["n"]
    # The top's whole counts either side of the window (within its published rate).
    near = sorted(
        {
            min(max(k, int(top["lo"] * n)), int(top["hi"] * n))
            for k in (math.ceil(low * n) - 1, math.floor(high * n) + 1)
        }
    )
    sides = ", ".join(f"{k:,} of {n:,} is {float(Fraction(k, n)):.2%}" for k in near)
    return _inconsistent(
        attribute,
        "each impact ratio is reachable on its own, and together they need "
        f"the highest rate {window}, but no whole count of a category that can be the "
        f"highest gives a rate there ({top['group']!r}, rate {top['rate_text']}: {sides})",
    )


def _published_reference(
    kept: list[dict[str, Any]],
    published: list[dict[str, Any]],
    reference: dict[str, Any],
    above_one: bool,
) -> dict[str, Any] | None:
    """The category the published ratios were most likely computed against, if not the top."""
    best, best_score = None, (0, 0)
    for o in kept:
        if o is reference or not o["lo"]:
            continue
        agree = sum(
            _meets(*_bounds(r, o), r["published_ratio"], r["ratio_digits"]) for r in published
        )
        says_one = o["published_ratio"] is not None and abs(o["published_ratio"] - 1) <= _half(
            o["ratio_digits"]
        )
        score = (agree, int(says_one))
        if score > best_score:
            best, best_score = o, score
    if best is None:
        return None
    top_agree = sum(
        _meets(*_bounds(r, reference), r["published_ratio"], r["ratio_digits"]) for r in published
    )
    # Ratios above 1 prove the reference is not the top: then a tie goes to the other.
    return best if best_score[0] > top_agree or (above_one and best_score[0] >= top_agree) else None


def _wrong_reference(
    attribute: str,
    kept: list[dict[str, Any]],
    published: list[dict[str, Any]],
    reference: dict[str, Any],
    other: dict[str, Any],
    agree: list[dict[str, Any]],
    explained: list[dict[str, Any]],
    says: Any,
    wrong_rates: set[int],
    above_one: list[dict[str, Any]],
) -> list[Finding]:
    exact = all(r["lo"] == r["hi"] for r in kept)
    source = "the counts give" if exact else "the published rates allow"
    cause = (
        f"; {reference['group']!r}'s rate does not match its counts, so a mistyped count "
        "there may be the one cause"
        if id(reference) in wrong_rates
        else ""
    )
    why = "ratios above 1 mean" if above_one else "the published ratios show"
    found = [
        Finding(
            "error",
            "reference_not_highest",
            attribute,
            reference["group"],
            f"{attribute}: {why} the reference is not the highest-rate category, which is "
            f"{reference['group']!r} at {_span(reference['lo'], reference['hi'], 2)}; "
            f"they match ratios against {other['group']!r} (pattern: wrong reference)"
            + (f", which explains {len(explained)} ratio finding(s)" if explained else "")
            + cause,
            knock_on=tuple(
                f"{says(r)} against the highest rate; right against {other['group']!r}"
                for r in explained
            ),
        )
    ]
    # Rows that contradict the published reference too: wrong on their own.
    for r in published:
        if r in agree:
            continue
        lo, hi = _bounds(r, other)
        digits = r["ratio_digits"]
        found.append(
            Finding(
                "error",
                "wrong_ratio",
                attribute,
                r["group"],
                f"{attribute} / {r['group']}: impact ratio published as "
                f"{_fmt(r['published_ratio'], digits)} contradicts the published reference "
                f"{other['group']!r} too: against it {source} {_span(lo, hi, digits)}",
                float(lo) if lo == hi else None,
            )
        )
    return found


def _ratio_patterns(
    attribute: str,
    failing: list[dict[str, Any]],
    reference: dict[str, Any],
    allowed: dict[int, tuple[Fraction, Fraction]],
    exact: bool,
    says: Any,
    stepped: list[dict[str, Any]],
) -> list[Finding]:
    """Wrong ratios, with those that share a cause (rounded rates, truncation) grouped;
    ``stepped`` ratios fit the intervals of reals but no whole count, so their interval
    says nothing about truncation."""
    if not failing:
        return []
    rounded = {id(r): _from_rounded_rates(r, reference, r["ratio_digits"]) for r in failing}
    truncated = [
        r
        for r in failing
        if r not in stepped and _truncates(*allowed[id(r)], r["published_ratio"], r["ratio_digits"])
    ]
    found: list[Finding] = []
    if len(truncated) == len(failing) and len(failing) > 1:
        return [
            Finding(
                "error",
                "ratios_truncated",
                attribute,
                None,
                f"{attribute}: {len(failing)} impact ratios are truncated, not rounded, to the "
                "published decimals (pattern: truncation): "
                + ", ".join(r["group"] for r in failing),
                knock_on=tuple(says(r) for r in failing),
            )
        ]
    from_rounded = [r for r in failing if rounded[id(r)] is not None]
    if len(from_rounded) > 1:
        found.append(
            Finding(
                "error",
                "ratios_from_rounded_rates",
                attribute,
                None,
                f"{attribute}: {len(from_rounded)} impact ratios match only the rounded rates, "
                "not the counts (pattern: rounded rates): "
                + ", ".join(r["group"] for r in from_rounded),
                knock_on=tuple(
                    f"{says(r)}; the rounded rates give it ({rounded[id(r)]})" for r in from_rounded
                ),
            )
        )
    for r in failing:
        if len(from_rounded) > 1 and r in from_rounded:
            continue
        lo, hi = allowed[id(r)]
        digits = r["ratio_digits"]
        expected = float(r["impact_ratio"]) if exact and r["impact_ratio"] is not None else None
        if rounded[id(r)] is not None:
            shown = f"{float(lo):.3f} ({_fmt(lo, digits)} at the published precision)"
            found.append(
                Finding(
                    "error",
                    "ratios_from_rounded_rates",
                    attribute,
                    r["group"],
                    f"{attribute} / {r['group']}: impact ratio published as "
                    f"{_fmt(r['published_ratio'], digits)} matches only the rounded rates "
                    f"({rounded[id(r)]}); the counts give {shown}",
                    expected,
                )
            )
        else:
            found.append(Finding("error", "wrong_ratio", attribute, r["group"], says(r), expected))
    return found


def _from_rounded_rates(r: dict[str, Any], reference: dict[str, Any], digits: int) -> str | None:
    """The rounded rates that give the published ratio, if they do (counts published only:
    with rates alone, the rounded rates lie inside the intervals already tried)."""
    if (
        r["selected"] is None
        or r["published_rate"] is None
        or reference["published_rate"] is None
        or not reference["published_rate"]
    ):
        return None
    ratio = r["published_rate"] / reference["published_rate"]
    if _agrees(ratio, r["published_ratio"], digits):
        return (
            f"{_fmt(r['published_rate'], r['rate_digits'])} / "
            f"{_fmt(reference['published_rate'], reference['rate_digits'])}"
        )
    return None


def _check_scoring(attribute: str, block: list[dict[str, Any]], n_total: int) -> list[Finding]:
    """A scoring rate is the share scoring above the sample's median: at most one half of
    the sample.  An overall rate whose lowest possible value is above one half is an error;
    above one half of the rated rows only, a warning (the people without a rate may all
    have scored below the median)."""
    rated = [r for r in block if not r["empty"] and r["lo"] is not None]
    if not rated:
        return []
    n_rated = sum(r["n"] for r in rated)
    n_unknown = max(n_total - n_rated, 0)
    above = sum(r["n"] * r["lo"] for r in rated)
    low_all = above / (n_rated + n_unknown)
    low_rated = above / n_rated
    if low_all > Fraction(1, 2):
        return [
            Finding(
                "error",
                "scoring_rate_above_half",
                attribute,
                None,
                f"{attribute}: the scoring rates give an overall share above the median of at "
                f"least {float(low_all):.1%}; at most half of a sample scores above its median, "
                "so the median or the rates are wrong",
                float(low_all),
            )
        ]
    if low_rated > Fraction(1, 2):
        return [
            Finding(
                "warning",
                "scoring_rate_above_half",
                attribute,
                None,
                f"{attribute}: the categories with a rate score above the median at least "
                f"{float(low_rated):.1%} of the time; that is possible only if the "
                f"{n_unknown:,} people without a rate (unknown category) scored mostly below it",
                float(low_rated),
            )
        ]
    return []


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def num(value: Any) -> float:
        return float(value) if value is not None else np.nan

    return pd.DataFrame(
        {
            "table": [r["table"] for r in rows],
            "attribute": [r["attribute"] for r in rows],
            "group": pd.Series([r["group"] for r in rows], dtype=object),
            "unknown": [r["unknown"] for r in rows],
            "n": [r["n"] for r in rows],
            "selected": pd.array([r["selected"] for r in rows], dtype="Int64"),
            "rate": [num(r["rate"]) for r in rows],
            "rate_low": [num(r.get("lo")) for r in rows],
            "rate_high": [num(r.get("hi")) for r in rows],
            "published_rate": [num(r["published_rate"]) for r in rows],
            "impact_ratio": [num(r.get("impact_ratio")) for r in rows],
            "published_ratio": [num(r["published_ratio"]) for r in rows],
            "is_reference": [bool(r.get("is_reference", False)) for r in rows],
            "excluded": [r["excluded"] for r in rows],
            "share_known": [num(r["share_known"]) for r in rows],
            "share_all": [num(r["share_all"]) for r in rows],
        }
    )
