"""The calibration suite: how often every verdict is wrong, measured by seeded simulation.

    python benchmarks/calibration.py                  # the full run (1,000 runs per design)
    python benchmarks/calibration.py --quick          # 100 runs per design, the quick grid
    python benchmarks/calibration.py --verdicts gate --runs 2000

Writes ``benchmarks/results/<date>-calibration.md`` (and ``.json``) and, on a full run,
the table into ``docs/which-test.md`` between the ``calibration`` markers. The
framework (designs, the registry, the acceptance bounds) is ``benchmarks/_calibration.py``;
each verdict family is a module ``benchmarks/_calibration_<family>.py`` listed in
``FAMILIES``. Exit status 1 when a held verdict misses its bound.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _calibration  # noqa: E402

#: The verdict families: each module registers its verdicts with ``_calibration.verdict``.
FAMILIES = ("_calibration_gate",)


def load() -> dict[str, _calibration.Verdict]:
    for module in FAMILIES:
        importlib.import_module(module)
    return _calibration.VERDICTS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 runs, the quick designs")
    parser.add_argument("--runs", type=int, default=None, help="runs per design")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--verdicts", default=None, help="comma-separated verdict families")
    parser.add_argument("--designs", default=None, help="comma-separated design names")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-docs", action="store_true", help="do not update which-test.md")
    args = parser.parse_args(argv)
    n_runs = args.runs or (100 if args.quick else 1_000)
    names = args.verdicts.split(",") if args.verdicts else None
    load()
    args.out.mkdir(parents=True, exist_ok=True)
    partial = args.out / "calibration.partial.jsonl"
    found = _calibration.run(
        names,
        n_runs=n_runs,
        seed=args.seed,
        quick=args.quick,
        progress=lambda text: print(text, file=sys.stderr, flush=True),
        designs=args.designs.split(",") if args.designs else None,
        checkpoint=partial,
    )
    command = "python benchmarks/calibration.py " + " ".join(argv or sys.argv[1:])
    path = _calibration.write(
        found, command.strip(), args.out, docs=not args.no_docs and not args.quick
    )
    print(_calibration.markdown(found, command.strip()))
    partial.unlink(missing_ok=True)  # the full table is written: the checkpoint has served
    print(f"wrote {path}", file=sys.stderr)
    failed = [e for e in found if e.ok is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
