"""Reading a published bias-audit summary as its auditor published it.

Real LL144 summaries are laid out for people, not for ``pandas``: a section per
attribute, each with its own header row ("Race/Ethnicity", "# of Applicants",
"Selection Rate", "Impact Ratio"), intersectional sections with two label
columns, unknown rows labelled "Unknown Race" or "Missing/Unknown", "N/A" for a
category left out of the ratios, and sometimes two thresholds in one file.
This module turns any of them, and the tidy one-row-per-category layout, into
one tidy table of *text*: every figure is kept as written, so that its number
of decimals (the published precision) is counted before it becomes a number.

Every failure to read (a missing or empty file, an unknown encoding, a
workbook with several sheets and no sheet named) is an ``InputError`` with one
line naming the fix, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error, type_error, warn
from adverse_impact._core._groups import non_answers

__all__ = ["read_summary", "is_unknown_label", "total_rows"]

#: Columns of the tidy table returned by :func:`read_summary`.
COLUMNS = (
    "table",
    "attribute",
    "group",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "unknown",
    "excluded",
    "kind",
)

# Unknown-category labels seen in published summaries ("Unknown Race",
# "Missing/Unknown", "Not Disclosed", "Declined to self-identify", ...).
_UNKNOWN = re.compile(
    r"unknown|missing|not\s+(disclosed|specified|provided|reported|identified)|undisclosed"
    r"|declin|prefer\s+not|not\s+(wish|want)|no\s+(response|answer)|unreported",
    re.IGNORECASE,
)
#: A row of totals ("Total", "Grand Total", "Overall", "All applicants"): not a category
#: in a published table, not an applicant in a file of decisions.
_TOTAL = re.compile(
    r"^\s*(grand\s+|sub-?\s*)?(total|totals|overall|all\s+(applicants|candidates))\s*:?\s*$",
    re.I,
)
# Header cells, by what the column holds.
_HEAD = {
    # In this order: "Impact Ratio (Selection Rate / Highest Rate)" is the ratio,
    # "Scoring Rate (Above Median)" the rate.
    "impact_ratio": re.compile(r"impact\s*ratio|^ir$|^ratio$", re.IGNORECASE),
    "rate": re.compile(r"(selection|scoring|pass|success)\s*rate|^rate$", re.IGNORECASE),
    "selected": re.compile(
        r"(#|number|no\.?|count|n)\s*(of\s*)?(applicants\s*|candidates\s*|individuals\s*)?"
        r"(selected|selections|hired|advanced|passed|above\s+(the\s+)?median|scored\s+above)"
        r"|^selected$|above\s+(the\s+)?median",
        re.IGNORECASE,
    ),
    "n": re.compile(
        r"(#|number|no\.?|count|total)\s*(of\s*)?(applicants|candidates|individuals|people"
        r"|applications|persons|employees|records)|^applicants$|^candidates$|^n$|^count$"
        r"|^total$",
        re.IGNORECASE,
    ),
    "excluded": re.compile(r"^excluded", re.IGNORECASE),
}
_GENERIC = re.compile(r"^(categor(y|ies)|groups?|label \d+|)$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*[-+]?[\d,]*\.?\d+\s*%?\s*$")
_EXCEL = (".xlsx", ".xlsm")


def total_rows(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Rows of a data file that hold a total ("Total", "Grand Total"): (position, column, text).

    A spreadsheet export often ends with such a row; read as data it is one
    more applicant (or a refused decision).  Only text columns are searched;
    ``position`` counts data rows from 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from adverse_impact._publish._read import total_rows
    >>> total_rows(pd.DataFrame({"id": ["a1", "a2", "Grand Total"], "hired": [1, 0, 1]}))
    [(2, 'id', 'Grand Total')]
    """
    found = []
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        hit = values.map(lambda v: isinstance(v, str) and _TOTAL.match(v) is not None)
        found += [(int(i), str(column), str(values.iloc[i])) for i in np.flatnonzero(hit)]
    return sorted(found)


def is_unknown_label(label: str) -> bool:
    """True when a published category label means the unknown category.

    A non-answer the audit recognises (``_core._groups.non_answers``: "Choose
    not to disclose", "I don't wish to answer", ...) or a published unknown
    row ("Unknown Race", "Missing/Unknown").
    """
    return bool(_UNKNOWN.search(str(label))) or bool(non_answers([str(label)]))


def _fail(problem: str, fix: str) -> Exception:
    return input_error("table", problem, fix)


# -- from the source to rows of text ------------------------------------------------


def _text_of(path: Path, encoding: str | None) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        return ""
    try:
        return raw.decode(encoding or "utf-8-sig")
    except LookupError:
        raise _fail(f"unknown encoding {encoding!r}", "Pass an encoding such as latin-1") from None
    except UnicodeDecodeError as exc:
        raise _fail(
            f"{str(path)!r} is not {encoding or 'UTF-8'} text (byte {exc.start})",
            "Pass its encoding, e.g. --encoding latin-1 (encoding='latin-1')",
        ) from None


def _rows_of_text(text: str) -> list[list[str]]:
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def _excel_text(value: Any, number_format: str) -> str:
    """A workbook cell as the text it displays: its number format gives the decimals."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value).strip()
    fmt = number_format.split(";")[0]
    percent = "%" in fmt
    match = re.search(r"0\.(0+)", fmt)
    if fmt in ("General", "@") or not re.search(r"[0#]", fmt):
        return repr(value) if isinstance(value, float) else str(value)
    digits = len(match.group(1)) if match else 0
    if percent:
        return f"{value * 100:.{digits}f}%"
    return f"{value:.{digits}f}"


def _rows_of_workbook(path: Path, sheet: str | None) -> list[list[str]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl ships with the [excel] extra
        raise _fail(
            "reading .xlsx needs openpyxl", "pip install openpyxl, or save the sheet as CSV"
        ) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt or encrypted workbook: one line, not a traceback
        raise _fail(f"cannot open {str(path)!r} as a workbook ({exc})", "Save it as CSV") from None
    names = list(book.sheetnames)
    if sheet is None and len(names) > 1:
        raise _fail(
            f"{str(path)!r} has {len(names)} sheets: {names!r}",
            "Name one with --sheet NAME (sheet='NAME')",
        )
    if sheet is not None and sheet not in names:
        raise _fail(
            f"no sheet {sheet!r} in {str(path)!r}; its sheets: {names!r}", "Name one of them"
        )
    ws = book[sheet if sheet is not None else names[0]]
    rows = [
        [_excel_text(c.value, c.number_format) if hasattr(c, "number_format") else "" for c in row]
        for row in ws.iter_rows()
    ]
    book.close()
    return rows


# -- the packet's own formats ------------------------------------------------------


def _from_packet_json(data: dict[str, Any]) -> pd.DataFrame:
    records = []
    measure = str(data.get("metadata", {}).get("measure", ""))
    kind = "scoring" if "scor" in measure else "selection"
    for tier in data.get("tiers", []):
        name = "" if tier.get("tier") is None else str(tier["tier"])
        for attribute, rows in tier.get("tables", {}).items():
            for row in rows:
                records.append(
                    {
                        "table": name,
                        "attribute": attribute,
                        "group": str(row.get("category", row.get("group", ""))),
                        "n": _json_figure(row.get("n"), 0),
                        "selected": _json_figure(row.get("selected"), 0),
                        "rate": _json_figure(row.get("rate"), 12),
                        "impact_ratio": ""
                        if row.get("excluded")
                        else _json_figure(row.get("impact_ratio"), 12),
                        "unknown": "no",
                        "excluded": "yes" if row.get("excluded") else "no",
                        "kind": kind,
                    }
                )
            n_unknown = tier.get("unknown", {}).get(attribute)
            if n_unknown is not None:
                records.append(_unknown_record(name, attribute, str(n_unknown), kind))
    if not records:
        raise _fail("the JSON holds no packet tables", "Pass the JSON written by --ll144")
    return pd.DataFrame(records, columns=list(COLUMNS))


def _json_figure(value: Any, digits: int) -> str:
    # The packet stores full-precision floats: 12 decimals keep them exact enough
    # and stop the float's binary tail from reading as published precision.
    if value is None:
        return ""
    if digits == 0:
        return str(int(value))
    return f"{float(value):.{digits}f}"


def _unknown_record(table: str, attribute: str, n: str, kind: str) -> dict[str, str]:
    return {
        "table": table,
        "attribute": attribute,
        "group": "Unknown",
        "n": n,
        "selected": "",
        "rate": "",
        "impact_ratio": "",
        "unknown": "yes",
        "excluded": "no",
        "kind": kind,
    }


def _rows_of_markdown(text: str) -> list[list[str]]:
    """The packet's Markdown as rows: headings become title rows, pipe tables rows."""
    rows: list[list[str]] = []
    repeated = False  # inside the packet's list of excluded categories
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            # The packet lists its excluded categories again, with the reason, after the
            # attribute tables that already hold them: read them once.
            repeated = heading.casefold() == "categories excluded from the impact ratios"
            rows.append([])
            if not repeated:
                rows.append(["## " + heading])
        elif repeated:
            continue
        elif line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            rows.append(cells)
        elif line.startswith("**Number of individuals in the unknown category**"):
            rows.append(["## unknown", line.split("):", 1)[-1].strip()])
        else:
            rows.append([])
    return rows


# -- rows of text to the tidy table ------------------------------------------------


def _role(cell: str) -> str | None:
    for role, pattern in _HEAD.items():
        if pattern.search(cell):
            return role
    return None


def _is_header(row: list[str]) -> bool:
    roles = [_role(c) for c in row if c]
    return "n" in roles and ("impact_ratio" in roles or "rate" in roles)


def _clean_figure(cell: str) -> str:
    cell = cell.strip()
    cell = re.sub(r"\s*\((reference|ref\.?)\)\s*$", "", cell, flags=re.I)
    # A footnote mark after a figure or a word ("excluded¹", "0.76*") is not part of it.
    cell = re.sub(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]+$", "", cell).strip()
    return cell


def _from_rows(rows: list[list[str]]) -> pd.DataFrame:
    """The wide layout (a section per attribute) or the tidy one, to the tidy table."""
    first = next((r for r in rows if any(r)), None)
    if first is None:
        raise _fail("is empty", "Pass a file that holds the published table")
    lowered = [c.casefold() for c in first]
    if "attribute" in lowered and "group" in lowered:
        frame = pd.DataFrame(
            [r + [""] * (len(first) - len(r)) for r in rows[rows.index(first) + 1 :] if any(r)],
            columns=[c.strip() for c in first],
        )
        return frame
    return _from_wide(rows)


def _from_wide(rows: list[list[str]]) -> pd.DataFrame:
    records: list[dict[str, str]] = []
    table = ""
    section: dict[str, Any] | None = None
    audit_unknown: dict[str, str] = {}
    markdown_unknown: list[tuple[str, str]] = []
    attribute_order: list[tuple[str, str]] = []
    heading: str | None = None  # a Markdown heading names the next section
    # A title row right above a header whose label column says only "Category"
    # names that section's attribute ("Race/Ethnicity" over "Category, # of ...").
    title_above: tuple[str, str] | None = None  # (title, the table before it)
    for row in rows:
        cells = [c for c in row if c]
        if not cells:
            section = None
            continue
        above, title_above = title_above, None
        if _is_header(row):
            roles = [_role(c) if c else None for c in row]
            first_figure = min(i for i, r in enumerate(roles) if r is not None)
            labels = [c or f"label {i + 1}" for i, c in enumerate(row[:first_figure])]
            if not labels:
                raise _fail(
                    f"a header row has no label column: {row!r}",
                    "Put the category labels in the first column(s)",
                )
            rate_cell = next((c for c, r in zip(row, roles) if r == "rate"), "")
            kind = "scoring" if re.search(r"scor|median", rate_cell, re.I) else "selection"
            attribute = heading if heading is not None else " x ".join(labels)
            heading = None
            if above is not None and all(_GENERIC.match(c) for c in labels):
                attribute, table = above

            section = {
                "attribute": attribute,
                "labels": len(labels),
                "columns": {r: i for i, r in enumerate(roles) if r is not None},
                "kind": kind,
            }
            attribute_order.append((table, attribute))
            continue
        if len(cells) == 1 and not _NUMBER.match(cells[0]):
            title = cells[0]
            if title.startswith("## "):  # a Markdown heading
                heading, section = title[3:], None
                continue
            title_above = (title, table)
            table, section = title, None
            continue
        if section is None:
            label = cells[0].removeprefix("## ")
            if label == "unknown" and len(cells) > 1:  # the packet's Markdown unknown line
                markdown_unknown += re.findall(r"([^:;]+):\s*([\d,]+)", cells[1])
                continue
            if is_unknown_label(label) and len(cells) > 1 and _NUMBER.match(cells[1]):
                # One unknown count for the whole audit, outside any section.
                audit_unknown[table] = cells[1]
                continue
            raise _fail(
                f"row {row!r} is outside any section",
                "Start each section with a header row such as "
                "'Sex, # of Applicants, Selection Rate, Impact Ratio'",
            )
        labels = [c for c in row[: section["labels"]]]
        label = " | ".join(c for c in labels if c) or ""
        if _TOTAL.match(label):
            # Not a category: left out of the check, and said (a reader may have
            # meant it as one, or a total row may hide a wrong sum).
            warn(
                f"table: the row {label!r} of section {section['attribute']!r} is read as a "
                "total and left out of the check; rename it if it is a category",
                UserWarning,
            )
            continue
        figures = {
            role: _clean_figure(row[i]) if i < len(row) else ""
            for role, i in section["columns"].items()
        }
        n = figures.get("n", "")
        if n.casefold() in {"", "n/a", "na", "-", "—"} and not any(
            figures.get(k, "").casefold() not in {"", "n/a", "na", "-", "—"}
            for k in ("selected", "rate", "impact_ratio")
        ):
            continue  # a category listed without any figure: nothing was published
        unknown = any(is_unknown_label(c) for c in labels if c)
        records.append(
            {
                "table": table,
                "attribute": section["attribute"],
                "group": label,
                "n": n,
                "selected": figures.get("selected", ""),
                "rate": figures.get("rate", ""),
                "impact_ratio": figures.get("impact_ratio", ""),
                "unknown": "yes" if unknown else "no",
                "excluded": figures.get("excluded", ""),
                "kind": section["kind"],
            }
        )
    if not records:
        raise _fail(
            "no section of the table could be read (no header row with '# of Applicants' "
            "and 'Impact Ratio' or a rate column)",
            "Give each section a header row, or use columns attribute, group, n, "
            "selected and/or rate, impact_ratio",
        )
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    for (name, attribute), (_, n) in zip(attribute_order, markdown_unknown):
        frame = pd.concat(
            [frame, pd.DataFrame([_unknown_record(name, attribute, n, "selection")])],
            ignore_index=True,
        )
    # An audit-wide unknown count applies to every attribute of its table.
    for name, n in audit_unknown.items():
        for attribute in dict.fromkeys(frame.loc[frame["table"] == name, "attribute"]):
            has = frame[(frame["table"] == name) & (frame["attribute"] == attribute)]
            if not (has["unknown"] == "yes").any():
                kind = has["kind"].iloc[0]
                frame = pd.concat(
                    [frame, pd.DataFrame([_unknown_record(name, attribute, n, kind)])],
                    ignore_index=True,
                )
    if not frame["excluded"].astype(bool).any():
        frame = frame.drop(columns="excluded")
    return frame


def read_summary(
    source: Any, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    r"""A published summary as one tidy table of text, whatever its layout.

    Parameters
    ----------
    source : path, str, text stream or DataFrame
        A CSV (any of ``,;\t|``, sniffed), an ``.xlsx`` workbook, the LL144
        packet's own ``.json`` or ``.md``, or a DataFrame (kept as it is when
        it has ``attribute`` and ``group`` columns, else read as wide rows).
    sheet : str, optional
        The workbook's sheet; required when it has several.
    encoding : str, optional
        The text encoding (default UTF-8, with or without a byte-order mark).

    Returns
    -------
    DataFrame
        Columns ``table``, ``attribute``, ``group``, ``n``, ``selected``,
        ``rate``, ``impact_ratio``, ``unknown``, ``kind`` (and ``excluded``
        when published), every figure as the text that was published.

    Examples
    --------
    >>> import io
    >>> from adverse_impact._publish._read import read_summary
    >>> text = io.StringIO(
    ...     "Sex,# of Applicants,Selection Rate,Impact Ratio\n"
    ...     'Male,"5,000",51%,1.00\n'
    ...     'Female,"5,000",50%,0.99\n'
    ...     "Unknown,12,,\n")
    >>> print(read_summary(text)[["attribute", "group", "n", "rate", "unknown"]])
      attribute    group      n rate unknown
    0       Sex     Male  5,000  51%      no
    1       Sex   Female  5,000  50%      no
    2       Sex  Unknown     12          yes
    """
    if isinstance(source, pd.DataFrame):
        lowered = {str(c).strip().casefold() for c in source.columns}
        if {"attribute", "group"} <= lowered:
            return source.copy()
        rows = [[str(c) for c in source.columns]] + [
            ["" if pd.isna(v) else str(v) for v in row] for row in source.itertuples(index=False)
        ]
        return _from_rows(rows)
    if isinstance(source, io.TextIOBase):
        return _from_rows(_rows_of_text(source.read()))
    if not isinstance(source, (str, Path)):
        raise type_error(
            "table",
            f"got {type(source).__name__}",
            "Pass a pandas DataFrame or the path of a CSV, .xlsx, .json or .md file",
        )
    path = Path(source)
    if not path.is_file():
        raise _fail(f"no file {str(source)!r}", "Pass the path of a CSV, .xlsx, .json or .md file")
    suffix = path.suffix.casefold()
    if suffix in _EXCEL:
        return _from_rows(_rows_of_workbook(path, sheet))
    if suffix == ".xls":
        raise _fail(f"{str(path)!r} is an old .xls workbook", "Save it as .xlsx or CSV")
    text = _text_of(path, encoding)
    if not text.strip():
        raise _fail(f"{str(path)!r} is empty", "Pass a file that holds the published table")
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _fail(
                f"{str(path)!r} is not valid JSON ({exc.msg})", "Pass the packet's JSON"
            ) from None
        if not isinstance(data, dict) or "tiers" not in data:
            raise _fail(
                f"{str(path)!r} is not an LL144 packet's JSON (no 'tiers')",
                "Pass the JSON written by --ll144, or the table as CSV",
            )
        return _from_packet_json(data)
    if suffix in (".md", ".markdown"):
        return _from_rows(_rows_of_markdown(text))
    if text.lstrip().startswith("PK") or "\x00" in text[:1000]:
        raise _fail(f"{str(path)!r} is not text", "Pass a CSV, or an .xlsx named .xlsx")
    return _from_rows(_rows_of_text(text))
