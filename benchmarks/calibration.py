"""The calibration suite: how often every verdict is wrong, measured by seeded simulation.

    python benchmarks/calibration.py                  # the full run (1,000 runs per design)
    python benchmarks/calibration.py --quick          # 100 runs per design, the quick grid
    python benchmarks/calibration.py --only monitor,paired --runs 2000
    python benchmarks/calibration.py --only monitor --combine results/<earlier>.json

Every verdict family: ``family`` (the family test on counts), ``gate`` (``passes()``
per rule and the pytest assertion), ``cli`` (the exit status), ``monitor`` (alerts),
``paired`` and ``rankings`` ("N differ", "differ"), ``proxies`` (the proxy and
counterfactual gates). Writes ``benchmarks/results/<date>-calibration.md`` (and
``.json``) and, unless ``--quick`` or ``--no-docs``, the table into
``docs/which-test.md`` between the ``calibration`` markers. ``--combine`` joins the
estimates of earlier runs (their ``.json``), so one family can be rerun and the one
table rebuilt; the rows measured now replace theirs. The
framework (designs, the registry, the acceptance bounds) is ``benchmarks/_calibration.py``;
each verdict family is a module ``benchmarks/_calibration_<family>.py`` listed in
``FAMILIES``. Exit status 1 when a held verdict misses its bound.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _calibration  # noqa: E402

#: The verdict families: each module registers its verdicts with ``_calibration.verdict``.
FAMILIES = (
    "_calibration_gate",
    "_calibration_monitor",
    "_calibration_blackbox",
    "_calibration_proxies",
)


def load() -> dict[str, _calibration.Verdict]:
    for module in FAMILIES:
        importlib.import_module(module)
    return _calibration.VERDICTS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 runs, the quick designs")
    parser.add_argument("--runs", type=int, default=None, help="runs per design")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--only",
        "--verdicts",
        dest="verdicts",
        default=None,
        help="comma-separated verdict families (family, gate, cli, monitor, paired, "
        "rankings, proxies); default all",
    )
    parser.add_argument("--designs", default=None, help="comma-separated design names")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-docs", action="store_true", help="do not update which-test.md")
    parser.add_argument(
        "--combine",
        type=Path,
        action="append",
        default=[],
        help="a results .json of an earlier run (or the .jsonl checkpoint of a stopped "
        "one) whose estimates join the table; later sources replace earlier rows",
    )
    parser.add_argument(
        "--note", action="append", default=[], help="a sentence printed above the table"
    )
    args = parser.parse_args(argv)
    n_runs = args.runs or (100 if args.quick else 1_000)
    names = args.verdicts.split(",") if args.verdicts else None
    if args.verdicts == "none":
        names = []  # only --combine: rebuild the table from earlier runs
    load()
    args.out.mkdir(parents=True, exist_ok=True)
    partial = args.out / "calibration.partial.jsonl"
    found = []
    if names != []:
        found = _calibration.run(
            names,
            n_runs=n_runs,
            seed=args.seed,
            quick=args.quick,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
            designs=args.designs.split(",") if args.designs else None,
            checkpoint=partial,
        )
    if args.combine:
        found = _calibration.combine(args.combine, found)
    given = list(sys.argv[1:] if argv is None else argv)
    # The notes are printed above the table: the command line names them, not repeats them.
    shown = [a if given[i - 1 : i] != ["--note"] else "..." for i, a in enumerate(given)]
    command = "python benchmarks/calibration.py " + " ".join(
        a if a == "..." else shlex.quote(a) for a in shown
    )
    notes = args.note + [
        f"Rows of an earlier run joined with `--combine {source.name}`"
        + (
            f": `{json.loads(source.read_text())['command']}`"
            if source.suffix == ".json"
            else " (the checkpoint of a run that was stopped)"
        )
        for source in args.combine
    ]
    path = _calibration.write(
        found, command.strip(), args.out, docs=not args.no_docs and not args.quick, notes=notes
    )
    print(_calibration.markdown(found, command.strip(), notes))
    partial.unlink(missing_ok=True)  # the full table is written: the checkpoint has served
    print(f"wrote {path}", file=sys.stderr)
    failed = [e for e in found if e.ok is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
