"""The ``adverse-impact`` command line.

Exit status: 0 when the audit passes the gate, 1 when it fails it, 2 on bad
input (a one-line message on stderr; ``--debug`` shows the traceback).  No
traceback otherwise: output piped into ``head`` ends quietly, and a file that
cannot be written is a one-line error.  ``--out`` creates missing parent
directories.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Only light modules at the top: --version and --help must not load pandas or scipy
# (tests/core/test_public.py); the commands import what they need.
from adverse_impact._core import _params as options
from adverse_impact._core._errors import AdverseImpactError, input_error
from adverse_impact._version import __version__

#: File suffixes that hold pickles: loading one runs arbitrary code.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")
FORMATS = ("table", "markdown", "md", "html", "json")
#: The formats of the commands whose reports have no "markdown" spelling.
SHORT_FORMATS = ("table", "md", "html", "json")


def _example(args: argparse.Namespace) -> int:
    from adverse_impact._audits._audit import audit
    from adverse_impact.datasets._examples import load_eeoc_example

    data = load_eeoc_example()
    result = audit(data, selected="advanced", sensitive_features="race")
    print("EEOC 2023 technical-assistance example: 80 White and 40 Black applicants")
    print(result)
    verdict = "passes" if result.passes() else "FAILS"
    print(f"\nThe four-fifths rule (29 CFR 1607.4(D)) {verdict}.")
    return 0


#: Compressed-CSV openers by suffix, for sniffing the delimiter of the first lines.
_OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}
#: The delimiters a CSV from a spreadsheet program or a database export may use.
DELIMITERS = ",;\t|"


def _head_text(file: Path, encoding: str, size: int = 65_536) -> str:
    """The first ``size`` bytes of a (possibly compressed) text file, decoded."""
    import importlib

    suffix = file.suffix.lower()
    opener = importlib.import_module(_OPENERS[suffix]).open if suffix in _OPENERS else open
    with opener(file, "rb") as handle:
        head = handle.read(size)
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        if len(head) == size and exc.start >= size - 4:  # a character cut at the end
            return head[: exc.start].decode(encoding)
        raise


def sniff_delimiter(file: Path, encoding: str) -> str:
    """The delimiter of a CSV file: the one of ``, ; tab |`` its header and first rows share.

    A semicolon CSV (the default of spreadsheet programs where the decimal
    separator is a comma) is read as such; a one-column file is read with a comma.
    """
    text = _head_text(file, encoding)
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _encoding_error(path: str, encoding: str, exc: UnicodeDecodeError) -> Exception:
    byte = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    fix = (
        "Pass the file's encoding, e.g. --encoding latin-1 or --encoding cp1252 (files saved "
        "by spreadsheet programs on Windows), or save it as UTF-8"
        if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
        else "Pass the file's encoding with --encoding, or save it as UTF-8"
    )
    return input_error(
        "--encoding",
        f"{path!r} is not {encoding} text (byte 0x{byte} at position {exc.start})",
        fix,
    )


def read_table(
    path: str,
    columns: Sequence[str] = (),
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    sheet: str | None = None,
    decimal: str = ".",
    drop_total_rows: bool = False,
) -> Any:
    """Read a CSV (optionally compressed), Parquet or Excel (.xlsx) file into pandas.

    Columns named in ``columns`` (the protected attributes) are read as text,
    so that codes such as ``01`` keep their spelling; empty cells stay missing
    and are counted as unknown by the audit.  A CSV's delimiter is detected
    (comma, semicolon, tab or bar) unless ``delimiter`` is given; its text is
    decoded as ``encoding``; ``decimal`` is its decimal mark ("," in many
    spreadsheet locales).  A workbook with several sheets needs ``sheet``.
    Excel needs openpyxl (the ``excel`` extra).  A row holding a total
    ("Total", "Grand Total") is warned about, and left out with
    ``drop_total_rows``: it is not an applicant.
    """
    import pandas as pd

    file = Path(path)
    if not file.exists():
        raise input_error("DATA", f"no file at {path!r}", "Check the path")
    if file.is_dir():
        raise input_error(
            "DATA", f"{path!r} is a directory", "Pass one CSV, Parquet or Excel (.xlsx) file"
        )
    try:
        "".encode(encoding)
    except LookupError as exc:
        raise input_error(
            "--encoding",
            f"{encoding!r} is not a known text encoding",
            "Pass one such as utf-8, latin-1 or cp1252",
        ) from exc
    suffixes = [s.lower() for s in file.suffixes]
    text_columns = {c: "object" for c in columns}
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(file)
        elif suffixes and suffixes[-1] in (".xlsx", ".xlsm"):
            frame = _read_excel(file, text_columns, sheet)
        elif suffixes and suffixes[-1] == ".xls":
            raise input_error(
                "DATA",
                f"{path!r} is an old-style .xls workbook",
                "Save it as .xlsx or CSV in the spreadsheet program",
            )
        else:
            sep = delimiter or sniff_delimiter(file, encoding)
            frame = pd.read_csv(
                file,
                dtype=text_columns,
                keep_default_na=True,
                low_memory=False,
                sep=sep,
                encoding=encoding,
                decimal=decimal,
            )
    except AdverseImpactError:
        raise
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc) from exc
    except ImportError as exc:
        raise input_error(
            "DATA",
            f"cannot read Parquet here ({exc})",
            "Reinstall pyarrow (a dependency of adverse-impact): pip install pyarrow",
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error(
            "DATA",
            f"cannot read {path!r}: {reason}",
            "Pass a well-formed CSV file with a header row, a Parquet file or "
            "an Excel (.xlsx) file",
        ) from exc
    if len(frame.columns) == 0 or len(frame) == 0:
        raise input_error("DATA", f"{path!r} has no rows", "Pass a file with data rows")
    return _total_rows(frame, file, drop_total_rows)


def _total_rows(frame: Any, file: Path, drop: bool) -> Any:
    """Say where a row of totals is (read as data, it is one more applicant); drop it if asked."""
    from adverse_impact._core._errors import warn
    from adverse_impact._publish._read import total_rows

    found = total_rows(frame)
    if not found:
        return frame
    # The file's line (CSV) or the sheet's row (Excel): the header is line 1.
    where = "; ".join(
        f"row {position + 2:,} reads {value!r} in column {column!r}"
        for position, column, value in found[:5]
    )
    more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
    if drop:
        positions = sorted({position for position, _, _ in found})
        warn(f"DATA: {file.name}: {where}{more}; left out (--drop-total-rows)", UserWarning)
        # The index keeps each row's position in the file, so later messages name its line.
        return frame.drop(index=frame.index[positions])
    warn(
        f"DATA: {file.name}: {where}{more}; a total row is not an applicant, and is counted "
        "as one (or refused as a decision) if left in. Pass --drop-total-rows to leave it "
        "out, or delete it from the file",
        UserWarning,
    )
    return frame


def _read_excel(file: Path, text_columns: dict[str, str], sheet: str | None) -> Any:
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise input_error(
            "DATA",
            f"reading {str(file)!r} needs openpyxl, which is not installed",
            'Install it: pip install "adverse-impact[excel]", or save the sheet as CSV',
        ) from exc
    with pd.ExcelFile(file, engine="openpyxl") as book:
        names = [str(name) for name in book.sheet_names]
        shown = ", ".join(repr(name) for name in names)
        if sheet is None and len(names) > 1:
            raise input_error(
                "--sheet",
                f"{file.name!r} has {len(names)} sheets ({shown}) and none was named",
                f"Name the sheet that holds the data, e.g. --sheet {_quote(names[0])}",
            )
        if sheet is not None and sheet not in names:
            raise input_error(
                "--sheet",
                f"{file.name!r} has no sheet {sheet!r}; its sheets: {shown}",
                "Name one of them (spelling and case as in the workbook)",
            )
        return pd.read_excel(
            book, sheet_name=sheet if sheet is not None else names[0], dtype=text_columns
        )


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


#: Labels that usually mean "selected", to order the two labels of a hint.
_POSITIVE_WORDS = frozenset(
    [
        "yes",
        "y",
        "true",
        "t",
        "pass",
        "passed",
        "hired",
        "hire",
        "selected",
        "advanced",
        "advance",
        "accepted",
        "offer",
        "interview",
        "interviewed",
        "shortlisted",
    ]
)


#: Words that turn a positive-looking label around ("Not selected", "No offer").
_NEGATIONS = frozenset(["not", "no", "non", "never", "rejected", "declined", "withdrawn"])


def _looks_positive(label: str) -> bool:
    import re

    words = set(re.findall(r"[a-z]+", label.casefold()))
    return bool(words & _POSITIVE_WORDS) and not words & _NEGATIONS


def _values_hint(found: Any) -> str:
    """``--selected-values`` for the column's own labels (positive-looking ones selected).

    Falls back to the generic ``Y,N`` when a label cannot be written in the
    option (it holds a comma or a bar) or none looks positive.
    """
    import shlex

    labels = list(dict.fromkeys(str(v).strip() for v in found))
    if len(labels) < 2 or any("," in v or "|" in v or not v for v in labels):
        return "Y,N"
    yes = [v for v in labels if _looks_positive(v)] or ([labels[0]] if len(labels) == 2 else [])
    no = [v for v in labels if v not in yes]
    if not yes or not no:
        return "Y,N"
    return shlex.quote("|".join(yes) + "," + "|".join(no))


def _first_labels(labels: Any, shown: int) -> str:
    """The first ``shown`` of an array of labels, as reprs, and how many more there are."""
    more = f" and {len(labels) - shown} more" if len(labels) > shown else ""
    return ", ".join(map(repr, labels[:shown].tolist())) + more


def map_decisions(frame: Any, column: str, values: str | None) -> Any:
    """The ``--selected`` column as 0/1, mapping its labels with ``--selected-values``.

    Without ``--selected-values``, a column of labels other than 0/1 or
    true/false is refused with a message that names the option.
    """
    import pandas as pd

    series = frame[column]
    if values is None:
        if not (
            pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
        ):
            labels = pd.unique(series.dropna().astype(str).str.strip().str.lower())
            if not set(labels) <= {"0", "1", "true", "false"}:
                found = pd.unique(series.dropna())
                shown = _first_labels(found, 12)
                raise input_error(
                    "--selected",
                    f"column {column!r} holds labels ({shown}), not 0/1 decisions",
                    f"Say which labels mean selected: --selected-values {_values_hint(found)} "
                    "(the labels for selected, a comma, those for not selected; several on a "
                    "side separated by '|'; check the sides)",
                )
            return (
                series.astype(str)
                .str.strip()
                .str.lower()
                .map({"1": 1, "true": 1, "0": 0, "false": 0})
            )
        return series
    yes, no = _decision_labels(values)
    text = series.astype("string").str.strip()
    text = text.mask(text == "")  # a blank cell is a missing decision (refused by the audit)
    folded = text.str.casefold()
    known = (
        pd.Series(True, index=text.index)
        if no is None
        else (folded.isin(yes) | folded.isin(no) | text.isna()).fillna(False)
    )
    if not known.all():
        other = pd.unique(text[~known])
        shown = _first_labels(other, 6)
        raise input_error(
            "--selected-values",
            f"column {column!r} also holds {shown}",
            "Map every label: list each on its side, separated by '|' (e.g. "
            "--selected-values 'Offer|Hired,Rejected|Withdrawn'), or write '*' for the "
            "not-selected side to mean every other label",
        )
    return folded.isin(yes).astype("Int8").mask(text.isna())


def _decision_labels(values: str) -> tuple[frozenset[str], frozenset[str] | None]:
    """``--selected-values``: the labels meaning selected, and those meaning not (None: '*').

    The sides are separated by a comma, the labels of a side by '|'; labels are
    compared trimmed and case-folded ("Offer Extended" matches "offer extended ").
    """
    sides = values.split(",")
    if len(sides) != 2:
        raise input_error(
            "--selected-values",
            f"{values!r} is not two sides separated by one comma",
            "Pass the selected label(s), a comma, then the not-selected label(s), several "
            "on a side separated by '|': e.g. --selected-values Y,N or "
            "--selected-values 'Advanced to Interview|Offer Extended,Rejected|Withdrawn'",
        )
    yes, no = ([label.strip().casefold() for label in side.split("|")] for side in sides)
    if not all(yes) or not all(no):
        raise input_error(
            "--selected-values",
            f"{values!r} has an empty label",
            "Write each label once, e.g. --selected-values 'Offer|Hired,Rejected'",
        )
    if no == ["*"]:
        return frozenset(yes), None
    both = set(yes) & set(no)
    if both:
        raise input_error(
            "--selected-values",
            f"{sorted(both)!r} is on both sides",
            "Put each label on one side only",
        )
    return frozenset(yes), frozenset(no)


def numeric_column(
    frame: Any,
    column: str,
    option: str,
    decimal: str = ".",
    raw: Any = None,
    drop: bool = False,
) -> Any:
    """A score column as numbers; a cell that is not a number is refused, row by row.

    A spreadsheet export may hold "N/A", "pending" or "72,5" among the scores:
    the message names the rows (as lines of the file, the header being line 1)
    and their values as written (``raw``: the column read without turning
    "N/A" into a missing value).  Numbers written as text ("72.5", or "72,5"
    with ``decimal=","``) are converted.  With ``drop`` the rows without a
    number are left out instead (warned about, with their lines); the frame
    is returned with the numbers in ``column``.
    """
    import re

    import pandas as pd

    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        return frame
    raw = series if raw is None else raw
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series
    else:
        text = series.astype("string").str.strip()
        if decimal == ",":
            comma = text.str.contains(",", regex=False).fillna(False)
            swapped = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            text = text.where(~comma, swapped)
        numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna().to_numpy()
    if not bad.any():
        return frame.assign(**{column: numbers})
    positions = bad.nonzero()[0]
    written = ["" if pd.isna(v) else str(v).strip() for v in raw.iloc[positions]]
    # The frame's index is each row's position in the file (the header is line 1).
    lines = [_line(frame.index[p], p) for p in positions]
    shown = ", ".join(
        f"line {line:,}: {w!r}" if w else f"line {line:,}: empty"
        for line, w in zip(lines[:8], written)
    ) + (f", and {len(positions) - 8:,} more" if len(positions) > 8 else "")
    comma = decimal != "," and any(re.fullmatch(r"-?\d+,\d+", w) for w in written)
    if drop and not comma:
        from adverse_impact._core._errors import warn

        warn(
            f"{option}: left out {len(positions):,} row(s) with no number in column "
            f"{column!r} ({shown}) (--drop-unscored); say so in --data-source",
            UserWarning,
        )
        keep = ~bad
        return frame.loc[keep].assign(**{column: numbers[keep]})
    raise input_error(
        option,
        f"column {column!r} has no number in {len(positions):,} row(s) ({shown})",
        "Pass --decimal , if the file writes decimals with a comma"
        if comma
        else "Give those rows a score, or leave them out with --drop-unscored and say so "
        "in the report",
    )


def _line(label: Any, position: int) -> int:
    """A row's line in the file: from its index label (its position when read), else its place."""
    import numbers

    return (int(label) if isinstance(label, numbers.Integral) else position) + 2


def raw_column(args: argparse.Namespace, column: str, index: Any) -> Any:
    """One column of the data file as written ("N/A" and blanks kept), for the rows ``index``.

    ``index`` holds the rows' positions in the file (rows left out, e.g. a
    total row, keep the others' positions).
    """
    return _raw_column(args, column).reindex(index)


def _raw_column(args: argparse.Namespace, column: str) -> Any:
    import pandas as pd

    file = Path(args.data)
    suffix = file.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(
            file,
            sheet_name=args.sheet or 0,
            usecols=[column],
            dtype=object,
            keep_default_na=False,
            engine="openpyxl",
        )[column]
    if suffix in (".parquet", ".pq"):
        return read_table(args.data)[column]
    return pd.read_csv(
        file,
        usecols=[column],
        dtype=object,
        keep_default_na=False,
        sep=args.delimiter or sniff_delimiter(file, args.encoding),
        encoding=args.encoding,
    )[column]


def fold_labels(frame: Any, columns: Sequence[str]) -> Any:
    """``--fold-labels``: labels that differ only in case or spaces become one group.

    Each label is trimmed (inner runs of spaces become one); the labels that
    are then equal ignoring case take the spelling most rows use ("Female"
    for "female", " Female" and "FEMALE " when most rows say "Female").
    """
    import pandas as pd

    for column in columns:
        series = frame[column]
        text = series.astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
        text = text.mask(text == "")
        key = text.str.casefold()
        counts = pd.DataFrame({"key": key, "text": text}).dropna().value_counts(sort=True)
        spelling: dict[str, str] = {}
        for k, t in counts.index:  # most rows first: the first spelling of a key wins
            spelling.setdefault(k, t)
        frame[column] = key.map(spelling).astype(object).where(text.notna(), None)
    return frame


def _require_columns(frame: Any, columns: dict[str, Sequence[str] | str | None]) -> None:
    present = set(map(str, frame.columns))
    for option, names in columns.items():
        if names is None:
            continue
        for name in [names] if isinstance(names, str) else names:
            if name not in present:
                shown = ", ".join(sorted(present)[:20])
                raise input_error(option, f"no column {name!r} in the data", f"Use one of: {shown}")


def report_fields(args: argparse.Namespace) -> dict[str, Any]:
    """What the report states about the audit, from the report options."""
    data_source = args.data_source or Path(args.data).name
    return {
        "title": args.title,
        "data_source": data_source,
        "audit_date": args.audit_date,
        "data_type": args.data_kind,
    }


def _render(result: Any, args: argparse.Namespace) -> str:
    fmt = args.format
    if getattr(args, "ll144", False):
        packet = result.to_ll144(
            audit_date=args.audit_date,
            distribution_date=args.distribution_date,
            data_source=args.data_source,
            data_kind=args.data_kind,
            test_data_explanation=args.test_data_explanation,
            tool=args.tool,
            employer=args.employer,
            auditor=args.auditor,
            title=args.title,
        )
        return {"html": packet.to_html, "json": packet.to_json}.get(fmt, packet.to_markdown)()
    fields = report_fields(args)
    fmt = "markdown" if fmt == "md" else fmt
    if fmt == "table":
        # The terminal table stops at a screenful; at a terminal the way to every row
        # is an option, not a Python method.
        return repr(result).replace(
            "(result.to_frame() has them all)", "(--format md, html or json has them all)"
        )
    if fmt == "markdown":
        return result.to_markdown(min_cell=args.min_cell, **fields)
    if fmt == "html":
        return result.to_html(min_cell=args.min_cell, **fields)
    from adverse_impact._publish._report import render_json

    return render_json(result, min_cell=args.min_cell, extra={"report": fields})


def _out_of_core(path: str) -> str | None:
    """The path itself when it names Parquet files DuckDB or polars can stream, else None."""
    import glob
    import importlib.util

    suffix = Path(path).suffix.lower()
    if not (glob.has_magic(path) or Path(path).is_dir() or suffix in (".parquet", ".pq")):
        return None
    if any(importlib.util.find_spec(m) for m in ("duckdb", "polars")):
        return path
    return None if Path(path).is_file() else path  # a glob needs an engine: say so there


def _emit(result: Any, args: argparse.Namespace) -> int:
    # The gate decides first, so the log records the verdict this command gives (an
    # audit no gate can judge is logged as such, then refused below).
    try:
        verdict, judge_error = _verdict(result, args), None
    except AdverseImpactError as exc:
        verdict, judge_error = None, exc
    _log(result, args, verdict)
    if judge_error is not None:
        raise judge_error
    text = _render(result, args)
    status, message = _gate(verdict)
    _write_or_print(text, args.out)
    if message:
        print(message, file=sys.stderr)
    return status


#: The gate's impact-ratio line when no --fail-under is given.
GATE_RATIO = 0.8


def gate_ratio(args: argparse.Namespace) -> float | None:
    """The gate's line: --fail-under, else 0.8; None when writing a packet without a gate.

    Writing the LL144 packet is publication, not a gate: it exits 0 once the
    packet is written, unless a gate option (--fail-under, --rule,
    --gate-alpha) is given with it.
    """
    if args.fail_under is not None:
        return float(args.fail_under)
    explicit = args.rule is not None or args.alpha_gate is not None
    if getattr(args, "ll144", False) and not explicit:
        return None
    return GATE_RATIO


def _verdict(result: Any, args: argparse.Namespace) -> Any:
    """The gate's verdict on ``result`` (None without a gate); raises when it cannot judge."""
    ratio = gate_ratio(args)
    if ratio is None:
        return None
    return result.gate(ratio, alpha=args.alpha_gate, rule=args.rule)


def _gate(verdict: Any) -> tuple[int, str]:
    """The exit status and the gate's message (:meth:`GateVerdict.message`).

    The message names the rule, and for a significance rule the family of
    comparisons and its correction, so the exit status can be read for what it
    is; it is said on a pass too: a per-row p-value under alpha in the table is
    not a failure when the family's adjusted p-value is not (docs/which-test.md).
    """
    if verdict is None:
        return 0, ""
    return (0 if verdict.passes else 1), verdict.message()


def _audit_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "reference": args.reference or "highest",
        "intersectional": not args.no_intersectional,
        "min_share": args.min_share,
        "min_share_of": args.min_share_of,
        "unknown": args.unknown or None,
        "alpha": args.alpha,
        "comparison": args.comparison,
        "test": args.test,
    }


def _read(args: argparse.Namespace) -> Any:
    frame = read_table(
        args.data,
        args.group,
        encoding=args.encoding,
        delimiter=args.delimiter,
        sheet=args.sheet,
        decimal=args.decimal,
        drop_total_rows=args.drop_total_rows,
    )
    present = [c for c in args.group if c in frame.columns]
    if getattr(args, "fold_labels", False):
        frame = fold_labels(frame, present)
    if getattr(args, "unknown_non_answers", False):
        from adverse_impact._core._groups import non_answers

        found = non_answers(v for c in present for v in frame[c].dropna().unique())
        if found:
            args.unknown = [*(args.unknown or []), *found]
            print(
                "adverse-impact: counted as unknown (--unknown-non-answers): "
                + ", ".join(map(repr, found)),
                file=sys.stderr,
            )
    return frame


def _audit(args: argparse.Namespace) -> int:
    from adverse_impact._audits._audit import audit

    if args.selected is None and args.score is None:
        raise input_error(
            "--selected",
            "neither --selected nor --score was given",
            "Name the 0/1 decision column with --selected, or the score column with --score",
        )
    frame = _out_of_core(args.data)
    if frame is None:
        frame = _read(args)
        _require_columns(
            frame,
            {
                "--selected": args.selected,
                "--group": args.group,
                "--score": args.score,
                "--strata": args.strata,
                "--weight": args.weight,
            },
        )
        if args.score is not None:
            raw = None
            if not frame[args.score].notna().all() or frame[args.score].dtype == object:
                # Name the cells as the file writes them ("N/A" was read as missing).
                raw = raw_column(args, args.score, frame.index)
            frame = numeric_column(
                frame, args.score, "--score", args.decimal, raw=raw, drop=args.drop_unscored
            )
        if args.selected is not None:
            frame[args.selected] = map_decisions(frame, args.selected, args.selected_values)
        elif args.selected_values is not None:
            raise input_error(
                "--selected-values",
                "given without --selected",
                "Name the decision column with --selected",
            )
    result = audit(
        frame,
        selected=args.selected,
        sensitive_features=list(args.group),
        score=args.score,
        threshold=args.threshold,
        strata=args.strata,
        sample_weight=args.weight,
        **_audit_options(args),
    )
    return _emit(result, args)


def load_model(
    path: str, *, trust_model_file: bool = False, trusted_types: Sequence[str] = ()
) -> Any:
    """Load a model saved with skops (``.skops``); refuse pickles unless trusted."""
    file = Path(path)
    if not file.exists():
        raise input_error("MODEL", f"no file at {path!r}", "Check the path")
    if file.suffix.lower() in PICKLE_SUFFIXES:
        if not trust_model_file:
            raise input_error(
                "MODEL",
                f"{path!r} is a pickle/joblib file, and loading one runs whatever code it contains",
                "Save the model with skops.io.dump(model, 'model.skops'), or pass "
                "--trust-model-file if you made this file yourself",
            )
        import joblib

        return joblib.load(file)
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as exc:  # skops raises several types for a damaged file
        raise input_error(
            "MODEL",
            f"cannot read {path!r} as a skops file ({exc})",
            "Save the model with skops.io.dump(model, 'model.skops')",
        ) from exc
    missing = sorted(set(untrusted) - set(trusted_types))
    if missing:
        raise input_error(
            "MODEL",
            f"the model file uses types skops does not trust by default: {', '.join(missing)}",
            "Check them, then pass each with --trust-type",
        )
    return sio.load(file, trusted=list(untrusted))


def _audit_model(args: argparse.Namespace) -> int:
    from adverse_impact._audits._model import audit_model

    model = load_model(
        args.model, trust_model_file=args.trust_model_file, trusted_types=args.trust_type or ()
    )
    frame = _read(args)
    _require_columns(
        frame,
        {
            "--group": args.group,
            "--text": args.text,
            "--features": args.features,
            "--y-true": args.y_true,
        },
    )
    if args.text:
        X = frame[args.text].fillna("").astype(str).tolist()
    else:
        names = args.features or [str(c) for c in getattr(model, "feature_names_in_", [])]
        if not names:
            set_aside = set(args.group) | {args.y_true}
            names = [c for c in frame.columns if c not in set_aside]
        _require_columns(frame, {"--features": names})
        X = frame[names]
    result = audit_model(
        model,
        X,
        frame[list(args.group)],
        threshold=args.threshold,
        select_top=args.select_top,
        ties=args.ties,
        random_state=args.random_state,
        y_true=None if args.y_true is None else frame[args.y_true],
        **_audit_options(args),
    )
    return _emit(result, args)


def _count_or_share(text: str) -> int | float:
    """``--select-top``: "50" is a number of candidates, "0.2" a share of them."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither a number of candidates (e.g. 50) nor a share (e.g. 0.2)"
            ) from None


def _add_audit_options(parser: argparse.ArgumentParser) -> None:
    """The options ``audit`` and ``audit-model`` share, in the order ``--help`` lists them."""
    _add_group_option(parser)
    parser.add_argument("--threshold", type=float, help="score cut-off: selected if >= X")
    _add_group_coding_options(parser)
    _add_test_options(parser)
    _add_report_output_options(parser)
    _add_gate_options(parser)
    _add_debug_option(parser)
    _add_file_options(parser)
    _add_ll144_options(add_report_options(parser))
    _add_log_options(
        parser, "append the result to this audit log (SQLite; see 'adverse-impact history')"
    )


def _add_group_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group",
        action="append",
        required=True,
        metavar="COL",
        help="a protected-attribute column (repeat for several)",
    )


def _add_group_coding_options(parser: argparse.ArgumentParser) -> None:
    """Which groups enter the ratios, against which reference, with which labels unknown."""
    parser.add_argument(
        "--min-share",
        type=float,
        metavar="SHARE",
        help="exclude groups below this share from the ratios (LL144: 0.02)",
    )
    parser.add_argument(
        "--min-share-of",
        choices=options.SHARE_BASES,
        default="known",
        help="base of --min-share: rows of known category (default) or all rows, unknown included",
    )
    parser.add_argument(
        "--reference",
        metavar="LABEL",
        help="the comparison group (default: the highest-rate group)",
    )
    parser.add_argument(
        "--unknown",
        action="append",
        metavar="LABEL",
        help="a label meaning 'unknown' (repeatable); blanks always are",
    )
    parser.add_argument(
        "--unknown-non-answers",
        action="store_true",
        help="count every label that records a non-answer ('Prefer not to say', 'I do not "
        "wish to self-identify', 'Choose not to disclose', 'N/A', ...) as unknown, and list "
        "them",
    )
    parser.add_argument(
        "--fold-labels",
        action="store_true",
        help="trim spaces and ignore case in the --group labels ('female ', 'FEMALE' and "
        "'Female' are one group, spelt as most rows spell it)",
    )
    parser.add_argument(
        "--no-intersectional",
        action="store_true",
        help="do not audit the intersection of the attributes",
    )


def _add_test_options(parser: argparse.ArgumentParser) -> None:
    """The significance tests: their level, their comparison and the test itself."""
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="significance level of the tests (default 0.05)"
    )
    parser.add_argument(
        "--comparison",
        choices=options.COMPARISONS,
        default="reference",
        help="test each group against the reference group or the rest",
    )
    parser.add_argument(
        "--test",
        choices=options.TESTS,
        default="fisher",
        help="the test behind the 'significant' column",
    )


def _add_report_output_options(parser: argparse.ArgumentParser) -> None:
    """The report's format, where it goes, and the small counts it hides."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output format (default: an aligned table)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="write the report here (atomically; missing parent directories are created)",
    )
    parser.add_argument(
        "--min-cell",
        type=int,
        metavar="K",
        help="show counts below K as '<K' in reports (for publishing)",
    )


def _add_gate_options(parser: argparse.ArgumentParser) -> None:
    """When the exit status says the audit fails."""
    parser.add_argument(
        "--fail-under",
        type=float,
        metavar="RATIO",
        help="exit 1 when a group's impact ratio is below RATIO (default 0.8; with --ll144 "
        "there is no gate unless --fail-under, --rule or --gate-alpha is given)",
    )
    parser.add_argument(
        "--rule",
        choices=options.RULES,
        help=(
            "gate policy (default: four_fifths; 'both' when --gate-alpha); the "
            "significance rules test every group of every attribute and intersection "
            "as one family (Westfall-Young maxT), so fair data fails at most alpha of the time"
        ),
    )
    parser.add_argument(
        "--gate-alpha",
        dest="alpha_gate",
        type=float,
        metavar="ALPHA",
        help="significance level for the gate's rule",
    )


def _add_format_and_out(
    parser: argparse.ArgumentParser, formats: Sequence[str], format_help: str | None = None
) -> None:
    """``--format`` (a table by default) and ``--out``, which every report command has."""
    parser.add_argument("--format", choices=formats, default="table", help=format_help)
    parser.add_argument("--out", metavar="PATH", help="write the report here (atomically)")


def _add_debug_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _add_log_options(parser: argparse.ArgumentParser, log_help: str) -> None:
    """``--log`` and the label and model version of the entry it appends."""
    parser.add_argument("--log", metavar="DB", help=log_help)
    parser.add_argument("--log-label", metavar="TEXT", help="the log entry's label")
    parser.add_argument("--model-version", metavar="TEXT", help="the log entry's model version")


def _add_file_options(parser: argparse.ArgumentParser) -> None:
    files = parser.add_argument_group("reading the file")
    files.add_argument(
        "--encoding",
        default="utf-8",
        metavar="NAME",
        help="the CSV's text encoding (default utf-8; e.g. latin-1, cp1252)",
    )
    files.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="the CSV's delimiter (default: detected among , ; tab |)",
    )
    files.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet of an .xlsx workbook (needed when it has several)",
    )
    files.add_argument(
        "--drop-total-rows",
        action="store_true",
        help="leave out rows that hold a total ('Total', 'Grand Total'), as spreadsheet "
        "exports often end with one (they are warned about either way)",
    )
    files.add_argument(
        "--decimal",
        default=".",
        metavar="CHAR",
        choices=list(options.DECIMAL_MARKS),
        help="the decimal mark of numbers in a CSV or in text cells (default '.'; ',' in "
        "many spreadsheet locales, e.g. 72,5)",
    )


def _iso_date(text: str) -> str:
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from exc


#: Values of ``--data-kind`` (6 RCNY 5-301: historical data, or test data when there is
#: not enough historical data).


def add_report_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The options that say what a report states about the audit; returns their group.

    The LL144 publication options join this group (``group.add_argument``).
    """
    report = parser.add_argument_group("what the report states")
    report.add_argument("--title", metavar="TEXT", help="the report's title")
    report.add_argument(
        "--data-source", metavar="TEXT", help="where the data came from (default: the file's name)"
    )
    report.add_argument(
        "--audit-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="the date of the audit (default: today, UTC)",
    )
    report.add_argument(
        "--data-kind",
        choices=options.DATA_KINDS,
        default="historical",
        help="historical data, or test data (LL144; default historical)",
    )
    return report


def _add_ll144_options(report: argparse._ArgumentGroup) -> None:
    """The NYC Local Law 144 packet's options, in the report group (which has the
    audit date, the data source and the data kind they share with every report)."""
    report.add_argument(
        "--ll144",
        action="store_true",
        help="write the LL144 publication packet (--format markdown, html or "
        "json) instead of the audit report; exits 0 once it is written (add --fail-under "
        "for a gate)",
    )
    report.add_argument(
        "--distribution-date", metavar="YYYY-MM-DD", help="LL144: distribution date of the tool"
    )
    report.add_argument(
        "--test-data-explanation",
        metavar="TEXT",
        help="LL144: why test data and how it was made (needed with test data)",
    )
    report.add_argument(
        "--tool", metavar="NAME", help="LL144: the automated employment decision tool"
    )
    report.add_argument(
        "--employer", metavar="NAME", help="LL144: the employer or employment agency"
    )
    report.add_argument("--auditor", metavar="NAME", help="LL144: the independent auditor")


def _check_summary(args: argparse.Namespace) -> int:
    from adverse_impact._publish._check import check_summary

    check = check_summary(
        args.table,
        min_share=args.min_share,
        min_share_of=args.min_share_of,
        kind=args.kind,
        sheet=args.sheet,
        encoding=args.encoding,
        decimal=args.decimal,
    )
    if args.format == "json":
        import json

        text = json.dumps(check.to_dict(), indent=2)
    elif args.format == "table":
        text = repr(check)
    else:
        from adverse_impact._publish._document import publish

        text = publish(check, args.format)
    _write_or_print(text, getattr(args, "out", None))
    return 0 if check.consistent() else 1


def _write_or_print(text: str, out: str | None) -> None:
    """The report to ``--out`` (atomically) or to standard output: every command's output."""
    if out:
        from adverse_impact._core._io import write_atomic

        try:
            write_atomic(out, text)
        except OSError as exc:
            raise input_error(
                "--out",
                f"cannot write {out!r} ({exc.strerror or exc})",
                "Pass a path in a directory you can write to",
            ) from exc
        print(f"wrote {out}", file=sys.stderr)
    else:
        try:
            print(text, flush=True)
        except BrokenPipeError:
            # The reader (``| head``) has seen enough; the gate's verdict still stands.
            _silence_stdout()


def _log(result: Any, args: argparse.Namespace, verdict: Any) -> None:
    """With ``--log``, append the result and the verdict this command gives to the log."""
    if not getattr(args, "log", None):
        return
    from adverse_impact._monitoring._log import AuditLog

    entry = AuditLog(args.log).add(
        result, label=args.log_label, model_version=args.model_version, verdict=verdict
    )
    print(f"logged entry {entry} in {args.log}", file=sys.stderr)


def _funnel(args: argparse.Namespace) -> int:
    from adverse_impact._audits._funnel import audit_funnel
    from adverse_impact._publish._document import publish

    frame = _read(args)
    _require_columns(frame, {"--stage": args.stage, "--group": args.group})
    result = audit_funnel(
        frame, stages=list(args.stage), sensitive_features=list(args.group), **_audit_options(args)
    )
    fmt = args.format
    text = repr(result) if fmt == "table" else publish(result, fmt)
    status, message = _gate(_verdict(result, args))
    _write_or_print(text, args.out)
    if message:
        print(message, file=sys.stderr)
    return status


def _history(args: argparse.Namespace) -> int:
    from adverse_impact._monitoring._log import AuditLog

    if not Path(args.log).is_file():
        raise input_error("LOG", f"no audit log at {args.log!r}", "Check the path")
    frame = AuditLog(args.log).history(label=args.label)
    if args.json:
        print(frame.to_json(orient="records", indent=2))
    else:
        print(frame.to_string(index=False, na_rep="-") if len(frame) else "(no entries)")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from adverse_impact._monitoring._monitor import RULE_ALERTS, monitor

    data = _out_of_core(args.data) or read_table(args.data, args.group)
    result = monitor(
        data,
        time=args.time,
        selected=args.selected,
        score=args.score,
        threshold=args.threshold,
        sensitive_features=list(args.group),
        period=args.period,
        alpha=args.alpha,
        reference=args.reference or "highest",
        horizon=None if args.horizon == 0 else args.horizon,
        window=args.window,
    )
    # The gate decides first, so the log records the verdict this command gives.
    verdict = None if args.fail_on == "never" else result.gate(rule=args.fail_on)
    _log(result, args, verdict)
    text = {
        "table": result.summary,
        "json": result.to_json,
        "html": result.to_html,
        "md": result.to_markdown,
    }[args.format]()
    _write_or_print(text, args.out)
    # The exit code follows the alerts printed: the gate's message says which fail the run.
    where = sys.stdout if args.format == "table" and not args.out else sys.stderr
    printed = len(result.alerts)
    if verdict is None:
        print("exit 0: no alert fails the run (--fail-on never)", file=where)
        return 0
    spared = printed - int(result.alerts["alert"].isin(RULE_ALERTS[args.fail_on]).sum())
    line = (
        f"exit 1: the gate fails (--fail-on {args.fail_on})"
        if not verdict.passes
        else f"exit 0: the gate passes (--fail-on {args.fail_on})"
        + (
            f"; the {spared} alert(s) reported do not fail it (below 1, not below 0.8)"
            if spared
            else ""
        )
    )
    print(f"{verdict.message()}\n{line}", file=where)
    return int(not verdict.passes)


def _command(
    commands: Any, name: str, func: Callable[[argparse.Namespace], int], summary: str, example: str
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=summary,
        description=f"{summary}.\n\nExample:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adverse-impact",
        description="Test hiring decisions and models for adverse impact.",
        epilog="Exit status: 0 passes, 1 fails the gate, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _command(
        commands,
        "example",
        _example,
        "Audit the EEOC's 2023 worked example",
        "adverse-impact example",
    )
    _add_audit_parser(commands)
    _add_audit_model_parser(commands)
    _add_check_summary_parser(commands)
    _add_funnel_parser(commands)
    _add_monitor_parser(commands)
    _add_history_parser(commands)
    _add_case_study_parser(commands)
    _add_rankings_parser(commands)
    return parser


def _rankings(args: argparse.Namespace) -> int:
    import json

    from adverse_impact._blackbox._rankings import audit_rankings

    data = read_table(args.data, [*args.group, *(args.by or [])])
    result = audit_rankings(
        data,
        prompt=args.prompt,
        sensitive_features=list(args.group),
        rank=args.rank,
        position=args.position,
        by=args.by,
        k=args.k,
        alpha=args.alpha,
        random_state=args.random_state,
    )
    render = {
        "table": result.summary,
        "md": result.to_markdown,
        "html": result.to_html,
        "json": lambda: json.dumps(result.to_dict(), indent=2, allow_nan=False),
    }
    text = render[args.format]()
    _write_or_print(text, args.out)
    print(result.verdict(), file=sys.stderr)
    if args.fail_on == "never":
        return 0
    verdict = result.gate(rule=args.fail_on)
    print(verdict.message(), file=sys.stderr)
    return int(not verdict.passes)


def _add_rankings_parser(commands: Any) -> None:
    ranks = _command(
        commands,
        "rankings",
        _rankings,
        "Audit a ranking experiment: who a ranker puts in its top k, within the prompts",
        "adverse-impact rankings rankings.csv --prompt run --group race --group sex --rank rank "
        "--position position --by model --by job --format html --out rankings.html",
    )
    ranks.add_argument("data", metavar="DATA", help="a CSV, Parquet or Excel file")
    ranks.add_argument("--prompt", required=True, metavar="COL", help="the prompt (block) id")
    _add_group_option(ranks)
    ranks.add_argument("--rank", required=True, metavar="COL", help="ranks, 1 = best")
    ranks.add_argument("--position", metavar="COL", help="the display position")
    ranks.add_argument("--by", action="append", metavar="COL", help="separate experiments")
    ranks.add_argument("--k", type=int, default=1, help="top k counts as selected (default 1)")
    ranks.add_argument("--alpha", type=float, default=0.05, help="significance level")
    ranks.add_argument("--random-state", type=int, default=0, metavar="SEED")
    _add_format_and_out(ranks, SHORT_FORMATS)
    ranks.add_argument(
        "--fail-on",
        choices=[*options.RULES, "never"],
        default="both",
        help="exit 1 when a group fails this rule (default: both, below 4/5 and "
        "significantly below the design's expectation)",
    )
    _add_debug_option(ranks)


def _add_audit_parser(commands: Any) -> None:
    audit = _command(
        commands,
        "audit",
        _audit,
        "Audit selection decisions in a CSV or Parquet file",
        "adverse-impact audit applicants.csv --selected advanced --group sex --group race "
        "--min-share 0.02 --format markdown --out audit.md",
    )
    audit.add_argument(
        "data",
        metavar="DATA",
        help="a CSV (.csv, .csv.gz), Parquet or Excel "
        "(.xlsx) file, or a directory or quoted glob of Parquet files (read "
        "out of core)",
    )
    audit.add_argument("--selected", metavar="COL", help="the 0/1 decision column")
    audit.add_argument(
        "--selected-values",
        metavar="YES,NO",
        help="the labels of a --selected column of words: those meaning selected, a comma, "
        "those meaning not selected; several on a side separated by '|', '*' for every "
        "other label (e.g. Y,N or 'Advanced to Interview|Offer Extended,*'); compared "
        "without case or surrounding spaces",
    )
    audit.add_argument(
        "--score",
        metavar="COL",
        help="a score column (with --threshold, or the LL144 scoring rate)",
    )
    audit.add_argument(
        "--drop-unscored",
        action="store_true",
        help="leave out rows whose --score cell holds no number ('N/A', 'pending', empty), "
        "naming their lines (say so in the report); without it they are refused",
    )
    audit.add_argument(
        "--strata", metavar="COL", help="pools, e.g. requisition (adds Mantel-Haenszel results)"
    )
    audit.add_argument("--weight", metavar="COL", help="a sample-weight column")
    _add_audit_options(audit)


def _add_audit_model_parser(commands: Any) -> None:
    model = _command(
        commands,
        "audit-model",
        _audit_model,
        "Audit a saved model's decisions on a file",
        "adverse-impact audit-model model.skops applicants.csv --text resume --group sex "
        "--threshold 0.5",
    )
    model.add_argument("model", metavar="MODEL", help="a model saved with skops (.skops)")
    model.add_argument("data", metavar="DATA", help="a CSV or Parquet file of candidates")
    model.add_argument("--text", metavar="COL", help="the text column a text model reads")
    model.add_argument(
        "--features",
        nargs="+",
        metavar="COL",
        help="the model's input columns (default: the model's "
        "feature_names_in_, else every column but --group/--y-true)",
    )
    model.add_argument(
        "--select-top",
        type=_count_or_share,
        metavar="K",
        help="select the top K candidates (or a fraction if < 1)",
    )
    model.add_argument(
        "--ties",
        choices=options.TIES,
        default="error",
        help="scores tied at the --select-top cut-off: refuse (default) or "
        "fill the places at random among them (with --random-state)",
    )
    model.add_argument(
        "--random-state",
        type=int,
        metavar="SEED",
        help="seed of the random tie-break (--ties random)",
    )
    model.add_argument("--y-true", metavar="COL", help="known outcomes, for error rates")
    model.add_argument(
        "--trust-model-file",
        action="store_true",
        help="allow a pickle/joblib model file (runs its code: only for files you made)",
    )
    model.add_argument(
        "--trust-type",
        action="append",
        metavar="TYPE",
        help="a type in the skops file to trust (repeatable)",
    )
    _add_audit_options(model)


def _add_check_summary_parser(commands: Any) -> None:
    checker = _command(
        commands,
        "check-summary",
        _check_summary,
        "Recompute a published bias-audit summary from its counts (exit 1 on an error finding)",
        "adverse-impact check-summary published.csv --min-share 0.02",
    )
    checker.add_argument(
        "table",
        metavar="TABLE",
        help="the summary as published: a CSV (wide layout with a section per attribute, or "
        "columns attribute, group, n, selected and/or rate, impact_ratio), an .xlsx, or the "
        "packet's .json or .md",
    )
    checker.add_argument(
        "--sheet", metavar="NAME", help="the sheet of an .xlsx workbook with several sheets"
    )
    checker.add_argument(
        "--encoding",
        metavar="NAME",
        help="the text encoding of a CSV (default UTF-8), e.g. latin-1",
    )
    checker.add_argument(
        "--decimal",
        default=".",
        metavar="CHAR",
        choices=list(options.DECIMAL_MARKS),
        help="the decimal mark of the published figures (default '.'; ',' as in 51,0%%)",
    )
    checker.add_argument(
        "--kind",
        choices=options.SUMMARY_KINDS,
        default="auto",
        help="selection or scoring rates (default: read from the header, e.g. 'Scoring Rate')",
    )
    checker.add_argument(
        "--min-share",
        type=float,
        default=0.02,
        metavar="SHARE",
        help="the small-category threshold (default 0.02)",
    )
    checker.add_argument(
        "--min-share-of",
        choices=options.SUMMARY_SHARE_BASES,
        default="either",
        help="base of the share (default: accept either)",
    )
    _add_format_and_out(
        checker, FORMATS, "findings as text (default), a Markdown or HTML report, or JSON"
    )
    _add_debug_option(checker)


def _add_funnel_parser(commands: Any) -> None:
    funnel = _command(
        commands,
        "funnel",
        _funnel,
        "Audit every stage of a hiring funnel among its entrants, and the bottom line",
        "adverse-impact funnel applicants.csv --stage screened --stage interviewed "
        "--stage offered --group sex --min-share 0.02 --format html --out funnel.html",
    )
    funnel.add_argument("data", metavar="DATA", help="a CSV, Parquet or Excel file")
    funnel.add_argument(
        "--stage",
        action="append",
        required=True,
        metavar="COL",
        help="a 0/1 stage column, in funnel order (repeat for each stage)",
    )
    _add_group_option(funnel)
    _add_group_coding_options(funnel)
    _add_test_options(funnel)
    _add_format_and_out(
        funnel, FORMATS, "output format: an aligned table (default), markdown (md), html or json"
    )
    _add_gate_options(funnel)
    _add_debug_option(funnel)
    _add_file_options(funnel)


def _add_monitor_parser(commands: Any) -> None:
    watch = _command(
        commands,
        "monitor",
        _monitor,
        "Monitor decisions over time with anytime-valid alerts",
        "adverse-impact monitor 'logs/*.parquet' --time "
        "decided_at --selected advanced --group sex --period month",
    )
    watch.add_argument(
        "data",
        metavar="DATA",
        help="a CSV or Parquet file, or a directory or quoted glob of Parquet files",
    )
    watch.add_argument("--time", required=True, metavar="COL", help="when each decision was made")
    watch.add_argument("--selected", metavar="COL", help="the 0/1 decision column")
    watch.add_argument("--score", metavar="COL", help="a score column (needs --threshold)")
    watch.add_argument("--threshold", type=float, help="score cut-off: selected if >= X")
    _add_group_option(watch)
    watch.add_argument("--period", default="month", choices=options.PERIODS)
    watch.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="chance of any false alarm over all looks (default 0.05)",
    )
    watch.add_argument("--reference", metavar="LABEL", help="a fixed comparison group")
    watch.add_argument(
        "--horizon",
        type=int,
        default=36,
        metavar="N",
        help="periods the false-alarm guarantee covers, with the change detector "
        "(default 36; 0: cumulative sequences only)",
    )
    watch.add_argument(
        "--window",
        type=int,
        default=3,
        metavar="N",
        help="periods in the 'ratio now' shown beside the cumulative one (default 3)",
    )
    _add_format_and_out(watch, SHORT_FORMATS)
    watch.add_argument(
        "--fail-on",
        choices=[*options.RULES, "never"],
        default="four_fifths",
        help="the gate's rule, read through the alerts: four_fifths and both exit 1 on a "
        "sequence (cumulative or since a change) wholly below 0.8 (the default), "
        "significance and either on one wholly below 1; never exits 0",
    )
    _add_log_options(watch, "append the result to this audit log")
    _add_debug_option(watch)


def _add_history_parser(commands: Any) -> None:
    history = _command(
        commands,
        "history",
        _history,
        "List the entries of an audit log",
        "adverse-impact history audits.db --json",
    )
    history.add_argument("log", metavar="LOG", help="an audit log written with --log")
    history.add_argument("--label", metavar="TEXT", help="only entries with this label")
    history.add_argument("--json", action="store_true", help="print JSON records")
    _add_debug_option(history)


def _add_case_study_parser(commands: Any) -> None:
    study = _command(
        commands,
        "case-study",
        _case_study,
        "Reproduce the 2018 recruiting-tool failure on synthetic data and audit it",
        "adverse-impact case-study --out case-study --n-samples 20000 --seed 0",
    )
    study.add_argument(
        "--out",
        default="case-study",
        metavar="DIR",
        help="where to write case-study.html and case-study.json (default: ./case-study)",
    )
    study.add_argument(
        "--n-samples",
        type=int,
        default=20_000,
        metavar="N",
        help="historical resumes (default 20,000; half as many applicants)",
    )
    study.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_debug_option(study)


def _case_study(args: argparse.Namespace) -> int:
    from adverse_impact.case_study import run_cli

    return run_cli(args)


#: Library argument names whose command-line option has another name.
_FLAG_ALIASES = {
    "sensitive_features": "--group",
    "sample_weight": "--weight",
    "stages": "--stage",
    "alpha_gate": "--gate-alpha",
    "min_ratio": "--fail-under",
}


def option_names(parser: argparse.ArgumentParser, command: str | None) -> dict[str, str]:
    """Each argument name of the library, mapped to the option of ``command`` that sets it."""
    names = dict(_FLAG_ALIASES)
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            actions += action.choices[command]._actions
    for action in actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if longs:
            names[action.dest] = longs[0]
        elif not action.option_strings and action.dest not in ("help", "command"):
            names.setdefault(action.dest, action.metavar or action.dest.upper())
    return names


def speak_flags(message: str, names: dict[str, str]) -> str:
    """A library message in the command line's words: ``--audit-date``, not ``audit_date=``.

    The argument the message opens with (``audit_date: ...``, or several
    separated by commas) becomes its option, and ``name=value`` in the fix
    becomes ``--name value`` (a list of labels, one option per label).
    """
    import ast
    import re

    head, sep, rest = message.partition(": ")
    if sep and re.fullmatch(r"(?:[\w, ]|\[(?:'[^']*'|\"[^\"]*\")\])+", head):

        def option(match: re.Match) -> str:
            return names.get(match.group(0), match.group(0))

        # sensitive_features['sex'] is the option with that value: --group sex
        head = re.sub(
            r"\b([a-z][a-z0-9_]*)\[(?:'([^']*)'|\"([^\"]*)\")\]",
            lambda m: f"{names.get(m.group(1), m.group(1))} {_shell(m.group(2) or m.group(3))}",
            head,
        )
        head = re.sub(r"(?<![-\w])[a-z][a-z0-9_]*\b", option, head)
        message = head + sep + rest

    def assignment(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        flag = names.get(name)
        if flag is None or not flag.startswith("--"):
            return match.group(0)
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return f"{flag} {value}"
        values = parsed if isinstance(parsed, (list, tuple)) else [parsed]
        return " ".join(f"{flag} {_shell(str(v))}" for v in values)

    value = r"(\[[^\]]*\]|'[^']*'|\"[^\"]*\"|[^\s,;)]+)"
    return re.sub(r"\b([a-z][a-z0-9_]*)=" + value, assignment, message)


def _shell(text: str) -> str:
    """``text`` as one shell word: bare, in single quotes, or in double quotes (I don't)."""
    import re
    import shlex

    if "'" in text and not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return shlex.quote(text)


def _format_warning(names: dict[str, str]) -> Callable[..., str]:
    """A warnings formatter for the terminal: one line in flags, no Python source line."""

    def format_warning(message: Any, category: Any, filename: str, lineno: int, line: Any = None):
        text = " ".join(str(message).split())
        return f"adverse-impact: warning: {speak_flags(text, names)}\n"

    return format_warning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adverse-impact`` console script."""
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    names = option_names(parser, getattr(args, "command", None))
    # Warnings are for the analyst at the terminal: the library's line that raised
    # them (Python's default format) means nothing there.
    formatter, warnings.formatwarning = warnings.formatwarning, _format_warning(names)
    try:
        return _run(args, names)
    finally:
        warnings.formatwarning = formatter


def _run(args: argparse.Namespace, names: dict[str, str]) -> int:
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader (e.g. ``| head``) stopped reading: end quietly, as Unix tools do.
        # Point stdout at devnull so that flushing it at exit raises nothing either.
        _silence_stdout()
        return 0
    except AdverseImpactError as exc:
        if getattr(args, "debug", False):
            raise
        message = speak_flags(" ".join(str(exc).split()), names)
        print(f"adverse-impact: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("adverse-impact: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
