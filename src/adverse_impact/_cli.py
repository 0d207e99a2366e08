"""The ``adverse-impact`` command line.

Exit status: 0 when the audit passes the gate, 1 when it fails it, 2 on bad
input (a one-line message on stderr; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from adverse_impact._errors import AdverseImpactError, input_error
from adverse_impact._version import __version__

#: File suffixes that hold pickles: loading one runs arbitrary code.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")
FORMATS = ("table", "markdown", "html", "json")


def _example(args: argparse.Namespace) -> int:
    from adverse_impact._audit import audit
    from adverse_impact.datasets._examples import load_eeoc_example

    data = load_eeoc_example()
    result = audit(data, selected="advanced", groups="race")
    print("EEOC 2023 technical-assistance example: 80 White and 40 Black applicants")
    print(result)
    verdict = "passes" if result.passes() else "FAILS"
    print(f"\nThe four-fifths rule (29 CFR 1607.4(D)) {verdict}.")
    return 0


def read_table(path: str, columns: Sequence[str] = ()) -> Any:
    """Read a CSV (optionally compressed) or Parquet file into pandas.

    Columns named in ``columns`` (the protected attributes) are read as text,
    so that codes such as ``01`` keep their spelling; empty cells stay missing
    and are counted as unknown by the audit.
    """
    import pandas as pd

    file = Path(path)
    if not file.exists():
        raise input_error("DATA", f"no file at {path!r}", "Check the path")
    if file.is_dir():
        raise input_error("DATA", f"{path!r} is a directory",
                          "Pass one CSV or Parquet file")
    suffixes = [s.lower() for s in file.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, dtype={c: "object" for c in columns},
                                keep_default_na=True, low_memory=False)
    except ImportError as exc:
        raise input_error("DATA", f"cannot read Parquet here ({exc})",
                          'Reinstall pyarrow (a dependency of adverse-impact): pip install pyarrow'
                          ) from exc
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error("DATA", f"cannot read {path!r}: {reason}",
                          "Pass a well-formed CSV file with a header row, or a Parquet file"
                          ) from exc
    if len(frame.columns) == 0 or len(frame) == 0:
        raise input_error("DATA", f"{path!r} has no rows", "Pass a file with data rows")
    return frame


def _require_columns(frame: Any, columns: dict[str, Sequence[str] | str | None]) -> None:
    present = set(map(str, frame.columns))
    for option, names in columns.items():
        if names is None:
            continue
        for name in [names] if isinstance(names, str) else names:
            if name not in present:
                shown = ", ".join(sorted(present)[:20])
                raise input_error(option, f"no column {name!r} in the data",
                                  f"Use one of: {shown}")


def _render(result: Any, args: argparse.Namespace) -> str:
    fmt = args.format
    if fmt == "table":
        return repr(result)
    if fmt == "markdown":
        return result.to_markdown(min_cell=args.min_cell, data_source=args.data)
    if fmt == "html":
        return result.to_html(min_cell=args.min_cell)
    return result.to_json(min_cell=args.min_cell)


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
    from adverse_impact._io import write_atomic

    if getattr(args, "log", None):
        from adverse_impact._monitoring._log import AuditLog

        entry = AuditLog(args.log).add(result, label=args.log_label,
                                       model_version=args.model_version)
        print(f"logged entry {entry} in {args.log}", file=sys.stderr)
    text = _render(result, args)
    if args.out:
        write_atomic(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    if args.fail_under is None:
        return 0
    failing = result.failing(args.fail_under, alpha=args.alpha_gate, rule=args.rule)
    if failing.any():
        rows = result.table.loc[failing, ["attribute", "group", "impact_ratio"]]
        shown = "; ".join(f"{a}={g} ({r:.3f})" for a, g, r in rows.itertuples(index=False))
        print(f"adverse-impact: gate failed ({args.rule or 'four_fifths'}, min ratio "
              f"{args.fail_under}): {shown}", file=sys.stderr)
        return 1
    return 0


def _audit_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "reference": args.reference or "highest",
        "intersectional": not args.no_intersectional,
        "min_share": args.min_share,
        "unknown": args.unknown or None,
        "alpha": args.alpha,
        "comparison": args.comparison,
        "test": args.test,
    }


def _audit(args: argparse.Namespace) -> int:
    from adverse_impact._audit import audit

    if args.selected is None and args.score is None:
        raise input_error("--selected", "neither --selected nor --score was given",
                          "Name the 0/1 decision column with --selected, or the score column "
                          "with --score")
    frame = _out_of_core(args.data)
    if frame is None:
        frame = read_table(args.data, args.group)
        _require_columns(frame, {"--selected": args.selected, "--group": args.group,
                                 "--score": args.score, "--strata": args.strata,
                                 "--weight": args.weight})
    result = audit(frame, selected=args.selected, groups=list(args.group), score=args.score,
                   threshold=args.threshold, strata=args.strata, sample_weight=args.weight,
                   **_audit_options(args))
    return _emit(result, args)


def load_model(path: str, *, trust_model_file: bool = False,
               trusted_types: Sequence[str] = ()) -> Any:
    """Load a model saved with skops (``.skops``); refuse pickles unless trusted."""
    file = Path(path)
    if not file.exists():
        raise input_error("MODEL", f"no file at {path!r}", "Check the path")
    if file.suffix.lower() in PICKLE_SUFFIXES:
        if not trust_model_file:
            raise input_error(
                "MODEL", f"{path!r} is a pickle/joblib file, and loading one runs whatever "
                "code it contains",
                "Save the model with skops.io.dump(model, 'model.skops'), or pass "
                "--trust-model-file if you made this file yourself")
        import joblib

        return joblib.load(file)
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as exc:  # skops raises several types for a damaged file
        raise input_error("MODEL", f"cannot read {path!r} as a skops file ({exc})",
                          "Save the model with skops.io.dump(model, 'model.skops')") from exc
    missing = sorted(set(untrusted) - set(trusted_types))
    if missing:
        raise input_error("MODEL", f"the model file uses types skops does not trust by "
                          f"default: {', '.join(missing)}",
                          "Check them, then pass each with --trust-type")
    return sio.load(file, trusted=list(untrusted))


def _audit_model(args: argparse.Namespace) -> int:
    from adverse_impact._model import audit_model

    model = load_model(args.model, trust_model_file=args.trust_model_file,
                       trusted_types=args.trust_type or ())
    frame = read_table(args.data, args.group)
    _require_columns(frame, {"--group": args.group, "--text": args.text,
                             "--features": args.features, "--y-true": args.y_true})
    if args.text:
        X = frame[args.text].fillna("").astype(str).tolist()
    else:
        names = args.features or [str(c) for c in getattr(model, "feature_names_in_", [])]
        if not names:
            set_aside = set(args.group) | {args.y_true}
            names = [c for c in frame.columns if c not in set_aside]
        _require_columns(frame, {"--features": names})
        X = frame[names]
    result = audit_model(model, X, frame[list(args.group)], threshold=args.threshold,
                         select_top=args.select_top,
                         y_true=None if args.y_true is None else frame[args.y_true],
                         **_audit_options(args))
    return _emit(result, args)


def _add_audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", action="append", required=True, metavar="COL",
                        help="a protected-attribute column (repeat for several)")
    parser.add_argument("--threshold", type=float, help="score cut-off: selected if >= X")
    parser.add_argument("--min-share", type=float, metavar="SHARE",
                        help="exclude groups below this share from the ratios (LL144: 0.02)")
    parser.add_argument("--reference", metavar="LABEL",
                        help="the comparison group (default: the highest-rate group)")
    parser.add_argument("--unknown", action="append", metavar="LABEL",
                        help="a label meaning 'unknown' (repeatable); blanks always are")
    parser.add_argument("--no-intersectional", action="store_true",
                        help="do not audit the intersection of the attributes")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level of the tests (default 0.05)")
    parser.add_argument("--comparison", choices=["reference", "rest"], default="reference",
                        help="test each group against the reference group or the rest")
    parser.add_argument("--test", choices=["fisher", "fisher_midp", "z"], default="fisher",
                        help="the test behind the 'significant' column")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: an aligned table)")
    parser.add_argument("--out", metavar="PATH", help="write the report here (atomically)")
    parser.add_argument("--min-cell", type=int, metavar="K",
                        help="show counts below K as '<K' in reports (for publishing)")
    parser.add_argument("--fail-under", type=float, default=0.8, metavar="RATIO",
                        help="exit 1 when a group's impact ratio is below RATIO (default 0.8)")
    parser.add_argument("--rule", choices=["four_fifths", "significance", "both", "either"],
                        help="gate policy (default: four_fifths; 'both' when --gate-alpha)")
    parser.add_argument("--gate-alpha", dest="alpha_gate", type=float, metavar="ALPHA",
                        help="significance level for the gate's rule")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--log", metavar="DB", help="append the result to this audit log "
                        "(SQLite; see 'adverse-impact history')")
    parser.add_argument("--log-label", metavar="TEXT", help="the log entry's label")
    parser.add_argument("--model-version", metavar="TEXT", help="the log entry's model version")


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
    from adverse_impact._io import write_atomic
    from adverse_impact._monitoring._monitor import monitor

    data = _out_of_core(args.data) or read_table(args.data, args.group)
    result = monitor(data, time=args.time, selected=args.selected, score=args.score,
                     threshold=args.threshold, groups=list(args.group), period=args.period,
                     alpha=args.alpha, reference=args.reference or "highest")
    if args.log:
        from adverse_impact._monitoring._log import AuditLog

        entry = AuditLog(args.log).add(result, label=args.log_label,
                                       model_version=args.model_version)
        print(f"logged entry {entry} in {args.log}", file=sys.stderr)
    text = {"table": result.summary, "json": result.to_json, "html": result.to_html}[
        args.format]()
    if args.out:
        write_atomic(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    kinds = {"four_fifths": ["below_four_fifths"], "any": ["below_four_fifths", "below_one"],
             "never": []}[args.fail_on]
    return int(bool(result.alerts["alert"].isin(kinds).any()))


def _command(commands: Any, name: str, func: Callable[[argparse.Namespace], int], summary: str,
             example: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=summary, description=f"{summary}.\n\nExample:\n  {example}",
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
    _command(commands, "example", _example, "Audit the EEOC's 2023 worked example",
             "adverse-impact example")
    audit = _command(
        commands, "audit", _audit, "Audit selection decisions in a CSV or Parquet file",
        "adverse-impact audit applicants.csv --selected advanced --group sex --group race "
        "--min-share 0.02 --format markdown --out audit.md")
    audit.add_argument("data", metavar="DATA", help="a CSV (.csv, .csv.gz) or Parquet file, "
                       "or a directory or quoted glob of Parquet files (read out of core)")
    audit.add_argument("--selected", metavar="COL", help="the 0/1 decision column")
    audit.add_argument("--score", metavar="COL",
                       help="a score column (with --threshold, or the LL144 scoring rate)")
    audit.add_argument("--strata", metavar="COL", help="pools, e.g. requisition (adds "
                       "Mantel-Haenszel results)")
    audit.add_argument("--weight", metavar="COL", help="a sample-weight column")
    _add_audit_options(audit)
    model = _command(
        commands, "audit-model", _audit_model, "Audit a saved model's decisions on a file",
        "adverse-impact audit-model model.skops applicants.csv --text resume --group sex "
        "--threshold 0.5")
    model.add_argument("model", metavar="MODEL", help="a model saved with skops (.skops)")
    model.add_argument("data", metavar="DATA", help="a CSV or Parquet file of candidates")
    model.add_argument("--text", metavar="COL", help="the text column a text model reads")
    model.add_argument("--features", nargs="+", metavar="COL",
                       help="the model's input columns (default: the model's "
                       "feature_names_in_, else every column but --group/--y-true)")
    model.add_argument("--select-top", type=float, metavar="K",
                       help="select the top K candidates (or a fraction if < 1)")
    model.add_argument("--y-true", metavar="COL", help="known outcomes, for error rates")
    model.add_argument("--trust-model-file", action="store_true",
                       help="allow a pickle/joblib model file (runs its code: only for "
                       "files you made)")
    model.add_argument("--trust-type", action="append", metavar="TYPE",
                       help="a type in the skops file to trust (repeatable)")
    _add_audit_options(model)
    watch = _command(commands, "monitor", _monitor, "Monitor decisions over time with "
                     "anytime-valid alerts", "adverse-impact monitor 'logs/*.parquet' --time "
                     "decided_at --selected advanced --group sex --period month")
    watch.add_argument("data", metavar="DATA", help="a CSV or Parquet file, or a directory or "
                       "quoted glob of Parquet files")
    watch.add_argument("--time", required=True, metavar="COL", help="when each decision was made")
    watch.add_argument("--selected", metavar="COL", help="the 0/1 decision column")
    watch.add_argument("--score", metavar="COL", help="a score column (needs --threshold)")
    watch.add_argument("--threshold", type=float, help="score cut-off: selected if >= X")
    watch.add_argument("--group", action="append", required=True, metavar="COL",
                       help="a protected-attribute column (repeat for several)")
    watch.add_argument("--period", default="month",
                       choices=["day", "week", "month", "quarter", "year"])
    watch.add_argument("--alpha", type=float, default=0.05,
                       help="chance of any false alarm over all looks (default 0.05)")
    watch.add_argument("--reference", metavar="LABEL", help="a fixed comparison group")
    watch.add_argument("--format", choices=["table", "json", "html"], default="table")
    watch.add_argument("--out", metavar="PATH", help="write the report here (atomically)")
    watch.add_argument("--fail-on", choices=["four_fifths", "any", "never"],
                       default="four_fifths", help="exit 1 on this alert (default: a sequence "
                       "wholly below 0.8)")
    watch.add_argument("--log", metavar="DB", help="append the result to this audit log")
    watch.add_argument("--log-label", metavar="TEXT", help="the log entry's label")
    watch.add_argument("--model-version", metavar="TEXT", help="the log entry's model version")
    watch.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    history = _command(commands, "history", _history, "List the entries of an audit log",
                       "adverse-impact history audits.db --json")
    history.add_argument("log", metavar="LOG", help="an audit log written with --log")
    history.add_argument("--label", metavar="TEXT", help="only entries with this label")
    history.add_argument("--json", action="store_true", help="print JSON records")
    history.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    study = _command(
        commands, "case-study", _case_study,
        "Reproduce the 2018 recruiting-tool failure on synthetic data and audit it",
        "adverse-impact case-study --out case-study --n-samples 20000 --seed 0")
    study.add_argument("--out", default="case-study", metavar="DIR",
                       help="where to write case-study.html and case-study.json "
                       "(default: ./case-study)")
    study.add_argument("--n-samples", type=int, default=20_000, metavar="N",
                       help="historical resumes (default 20,000; half as many applicants)")
    study.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    study.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return parser


def _case_study(args: argparse.Namespace) -> int:
    from adverse_impact.case_study import run_cli

    return run_cli(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adverse-impact`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AdverseImpactError as exc:
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(exc).split())
        print(f"adverse-impact: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
