"""Checking a published bias-audit summary: every figure recomputed from its own counts."""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._params import Options, validate_params
from adverse_impact._core._render import jsonable
from adverse_impact._core._validation import check_option, check_share

__all__ = ["Finding", "SummaryCheck", "check_summary"]

#: Accepted bases of the small-category share (6 RCNY 5-301(d)); "either"
#: accepts a decision that is right under one of them.
SHARE_BASES = ("either", "known", "all")
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
        ``"wrong_rate"``, ``"small_category_kept"``,
        ``"excluded_without_counts"``, ``"excluded_above_threshold"``,
        ``"missing_unknown"``, ``"totals_disagree"``,
        ``"reference_not_highest"``, ``"rates_only"``.
    attribute, group : str or None
    message : str
        The finding in plain words.
    expected : float or None
        The value the published figure should have, where there is one.

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

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict."""
        return dataclasses.asdict(self)


# eq=False: results holding DataFrames compare (and hash) by identity.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class SummaryCheck:
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
    >>> check.summary(), check.passes()
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

        Columns: ``attribute``, ``group``, ``unknown``, ``n``, ``selected``,
        ``rate``, ``published_rate``, ``impact_ratio``, ``published_ratio``,
        ``is_reference``, ``excluded`` (as published), ``share_known`` and
        ``share_all`` (of the attribute's known rows, and of all its rows).
        """
        return self._table.copy()

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``"error"``."""
        return tuple(f for f in self.findings if f.severity == "error")

    def passes(self) -> bool:
        """True when no finding is an error."""
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
            "passes": self.passes(),
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
        lines += [f"- {f.severity}: {f.message}" for f in self.findings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><strong>{html.escape(f.severity)}</strong>: {html.escape(f.message)}</li>"
            for f in self.findings
        )
        return f"<div><p><strong>{html.escape(self.summary())}</strong></p><ul>{items}</ul></div>"


# -- reading the published table -----------------------------------------------------


def _where(row: int, frame: pd.DataFrame, column: str) -> str:
    attribute, group = frame.at[row, "attribute"], frame.at[row, "group"]
    return f"table row {row} ({attribute} / {group}), column {column!r}"


def _decimals(text: str) -> int:
    match = re.search(r"\.(\d+)", text)
    return len(match.group(1)) if match else 0


def _parse_number(
    value: Any, row: int, frame: pd.DataFrame, column: str
) -> tuple[Fraction | None, int]:
    """The published value exactly as written, and its number of decimals (percent aware)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, 0
    text = str(value).strip()
    if text.casefold() in _BLANK:
        return None, 0
    percent = text.endswith("%")
    digits = text.rstrip("%").strip().replace(",", "")
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


def _read(table: Any) -> pd.DataFrame:
    if isinstance(table, (str, Path)):
        try:
            return pd.read_csv(table, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise input_error(
                "table", f"no file {str(table)!r}", "Pass the path of a CSV file or a DataFrame"
            ) from None
    if isinstance(table, pd.DataFrame):
        return table.copy()
    raise type_error(
        "table", f"got {type(table).__name__}", "Pass a pandas DataFrame or the path of a CSV file"
    )


def _count(value: Any, row: int, frame: pd.DataFrame, column: str, required: bool) -> int | None:
    number, _ = _parse_number(value, row, frame, column)
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


def _rows(frame: pd.DataFrame, unknown: Iterable[str]) -> list[dict[str, Any]]:
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
        is_unknown = (
            _is_true(frame.at[i, "unknown"])
            if "unknown" in frame.columns
            else str(frame.at[i, "group"]).strip().casefold() in labels
        )
        n = _count(frame.at[i, "n"], i, frame, "n", required=True)
        selected = (
            _count(frame.at[i, "selected"], i, frame, "selected", required=False)
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
            _parse_number(frame.at[i, "rate"], i, frame, "rate")
            if "rate" in frame.columns
            else (None, 0)
        )
        if rate is not None and not 0 <= rate <= 1:
            raise input_error(
                "table",
                f"{_where(i, frame, 'rate')}: {frame.at[i, 'rate']!r} is outside [0, 1]",
                "A rate is a share between 0 and 1 (or 0% and 100%)",
            )
        ratio, ratio_digits = _parse_number(frame.at[i, "impact_ratio"], i, frame, "impact_ratio")
        if ratio is not None and ratio < 0:
            raise input_error(
                "table",
                f"{_where(i, frame, 'impact_ratio')}: {frame.at[i, 'impact_ratio']!r} is negative",
                "An impact ratio is 0 or more",
            )
        excluded = (
            _is_true(frame.at[i, "excluded"])
            if "excluded" in frame.columns
            else (ratio is None and not is_unknown)
        )
        out.append(
            {
                "attribute": str(frame.at[i, "attribute"]),
                "group": str(frame.at[i, "group"]),
                "unknown": is_unknown,
                "n": n,
                "selected": selected,
                "published_rate": rate,
                "rate_digits": rate_digits,
                "published_ratio": ratio,
                "ratio_digits": ratio_digits,
                "excluded": excluded,
            }
        )
    return out


# -- checking -----------------------------------------------------------------------


def _agrees(exact: Fraction, published: Fraction, digits: int) -> bool:
    """``published`` is ``exact`` rounded to ``digits`` decimals (either way on a tie)."""
    return abs(exact - published) <= Fraction(1, 2 * 10**digits)


def _fmt(value: Fraction | float, digits: int) -> str:
    return f"{float(value):.{max(digits, 1)}f}"


@validate_params(min_share_of=Options(("either", "known", "all")))
def check_summary(
    table: Any,
    *,
    min_share: float = 0.02,
    min_share_of: str = "either",
    unknown: Iterable[str] = UNKNOWN_LABELS,
) -> SummaryCheck:
    """Recompute a published bias-audit summary from its counts and list what disagrees.

    Parameters
    ----------
    table : DataFrame or path to a CSV file
        One row per category with columns ``attribute`` (e.g. ``"sex"``),
        ``group``, ``n`` (applicants), ``selected`` and/or ``rate``, and
        ``impact_ratio`` as published (empty or ``"excluded"`` for a category
        left out of the ratios).  Optional: ``excluded`` (yes/no) and
        ``unknown`` (yes/no) columns; without ``unknown``, a row whose group
        is a label in ``unknown`` is the attribute's unknown-category count.
        Rates may be written as shares (0.78) or percentages (78%).  Read a
        CSV as text, so that the published precision (``1.00``) is kept.
    min_share : float, default 0.02
        The small-category threshold of 6 RCNY 5-301(d).
    min_share_of : {"either", "known", "all"}, default "either"
        The base of that share: the attribute's rows of known category, all
        its rows (unknown included), or ``"either"``: accept a decision that
        is right under one of the two readings of the rule.
    unknown : iterable of str
        Group labels (case-insensitive) meaning the unknown category.

    Returns
    -------
    SummaryCheck
        ``findings`` in plain words, the recomputed table beside the
        published one, and ``passes()`` (no error finding).

    Raises
    ------
    InputError
        A missing column, a negative or fractional count, ``selected`` above
        ``n``, a rate outside [0, 1]: the message names the row and column.

    Notes
    -----
    Each published figure is compared with the value recomputed from the
    counts, rounded to the figure's own number of decimals (a tie may round
    either way).  A ratio that fails that check but equals one *rounded*
    published rate divided by another is reported as computed from rounded
    rates.  The reference is the highest-rate category among those kept in
    the ratios (6 RCNY 5-300, "impact ratio").

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
    >>> check.passes()
    False
    >>> print(check.findings[0].message)  # doctest: +NORMALIZE_WHITESPACE
    sex / Female: impact ratio published as 1.00 matches only the rounded rates (0.78 / 0.78); the
    counts give 0.990 (0.99 at the published precision)
    """
    share = check_share(min_share, "min_share")
    check_option(min_share_of, "min_share_of", SHARE_BASES, f"Pass one of {list(SHARE_BASES)!r}")
    frame = _read(table)
    rows = _rows(frame, unknown)
    findings: list[Finding] = []
    out_rows: list[dict[str, Any]] = []
    totals: dict[str, int] = {}
    has_unknown: dict[str, bool] = {}
    for attribute in dict.fromkeys(r["attribute"] for r in rows):
        block = [r for r in rows if r["attribute"] == attribute]
        known = [r for r in block if not r["unknown"]]
        has_unknown[attribute] = any(r["unknown"] for r in block)
        totals[attribute] = _recompute(block, known, share, "excluded" in frame.columns)
        findings += _check_rates(attribute, block)
        findings += _check_shares(attribute, known, share, min_share_of)
        findings += _check_ratios(attribute, known)
        findings += _completeness_warnings(attribute, known, has_unknown[attribute])
        out_rows += block
    findings += _check_totals({a: t for a, t in totals.items() if has_unknown[a]})
    return SummaryCheck(tuple(findings), float(share), min_share_of, _frame(out_rows))


def _recompute(
    block: list[dict[str, Any]],
    known: list[dict[str, Any]],
    share: Fraction | None,
    excluded_published: bool,
) -> int:
    """Each row's rate and shares from the counts, and whether it is below the threshold
    under each base (set on the rows); returns the attribute's total, unknown included."""
    n_unknown = sum(r["n"] for r in block if r["unknown"])
    n_known = sum(r["n"] for r in known)
    for r in block:
        r["rate"] = (
            Fraction(r["selected"], r["n"])
            if r["selected"] is not None and r["n"]
            else r["published_rate"]
        )
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
    large = [r for r in known if not any(r["below"].values())]
    if not excluded_published and large and all(not r["rate"] for r in large):
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
    if any(r["selected"] is None and not r["excluded"] for r in known):
        found.append(
            Finding(
                "warning",
                "rates_only",
                attribute,
                None,
                f"{attribute}: some categories publish no number selected, so their rates "
                "are taken as published and ratios computed from rounded rates cannot be "
                "detected for them",
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


def _check_rates(attribute: str, block: list[dict[str, Any]]) -> list[Finding]:
    found = []
    for r in block:
        if r["selected"] is None or r["published_rate"] is None or not r["n"]:
            continue
        exact = Fraction(r["selected"], r["n"])
        if not _agrees(exact, r["published_rate"], r["rate_digits"]):
            found.append(
                Finding(
                    "error",
                    "wrong_rate",
                    attribute,
                    r["group"],
                    f"{attribute} / {r['group']}: rate published as "
                    f"{_fmt(r['published_rate'], r['rate_digits'])}; {r['selected']:,} of "
                    f"{r['n']:,} is {float(exact):.4f}",
                    float(exact),
                )
            )
    return found


def _check_shares(
    attribute: str, known: list[dict[str, Any]], share: Fraction, base: str
) -> list[Finding]:
    found = []
    for r in known:
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


def _check_ratios(attribute: str, known: list[dict[str, Any]]) -> list[Finding]:
    kept = [r for r in known if not r["excluded"] and r["rate"] is not None]
    for r in known:
        r["impact_ratio"], r["is_reference"] = None, False
    if not kept:
        return []
    top = max(r["rate"] for r in kept)
    reference = next(r for r in kept if r["rate"] == top)
    reference["is_reference"] = True
    found = []
    # A table computed against another group: say so once, not once per row.
    published = [r for r in kept if r["published_ratio"] is not None]
    for r in kept:
        r["impact_ratio"] = r["rate"] / top if top else None
    if top and any(
        r["published_ratio"] > 1 + Fraction(1, 2 * 10 ** r["ratio_digits"]) for r in published
    ):
        other = next(
            (
                o
                for o in kept
                if o["rate"]
                and all(
                    _agrees(p["rate"] / o["rate"], p["published_ratio"], p["ratio_digits"])
                    for p in published
                )
            ),
            None,
        )
        against = f" (they match ratios against {other['group']!r})" if other else ""
        return [
            Finding(
                "error",
                "reference_not_highest",
                attribute,
                reference["group"],
                f"{attribute}: published ratios above 1 mean the reference is not the "
                f"highest-rate category, which is {reference['group']!r} at "
                f"{float(top):.4f}{against}",
            )
        ]
    if not top:
        return found
    for r in published:
        exact = r["impact_ratio"]
        digits = r["ratio_digits"]
        if _agrees(exact, r["published_ratio"], digits):
            continue
        rounded = _from_rounded_rates(r, reference, digits)
        shown = f"{float(exact):.3f} ({_fmt(exact, digits)} at the published precision)"
        if rounded is not None:
            found.append(
                Finding(
                    "error",
                    "ratios_from_rounded_rates",
                    attribute,
                    r["group"],
                    f"{attribute} / {r['group']}: impact ratio published as "
                    f"{_fmt(r['published_ratio'], digits)} matches only the rounded rates "
                    f"({rounded}); the counts give {shown}",
                    float(exact),
                )
            )
        else:
            found.append(
                Finding(
                    "error",
                    "wrong_ratio",
                    attribute,
                    r["group"],
                    f"{attribute} / {r['group']}: impact ratio published as "
                    f"{_fmt(r['published_ratio'], digits)}; the counts give {shown}",
                    float(exact),
                )
            )
    return found


def _from_rounded_rates(r: dict[str, Any], reference: dict[str, Any], digits: int) -> str | None:
    """The rounded rates that give the published ratio, if they do."""
    if (
        r["published_rate"] is None
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


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def num(value: Any) -> float:
        return float(value) if value is not None else np.nan

    return pd.DataFrame(
        {
            "attribute": [r["attribute"] for r in rows],
            "group": pd.Series([r["group"] for r in rows], dtype=object),
            "unknown": [r["unknown"] for r in rows],
            "n": [r["n"] for r in rows],
            "selected": pd.array([r["selected"] for r in rows], dtype="Int64"),
            "rate": [num(r["rate"]) for r in rows],
            "published_rate": [num(r["published_rate"]) for r in rows],
            "impact_ratio": [num(r.get("impact_ratio")) for r in rows],
            "published_ratio": [num(r["published_ratio"]) for r in rows],
            "is_reference": [bool(r.get("is_reference", False)) for r in rows],
            "excluded": [r["excluded"] for r in rows],
            "share_known": [num(r["share_known"]) for r in rows],
            "share_all": [num(r["share_all"]) for r in rows],
        }
    )
