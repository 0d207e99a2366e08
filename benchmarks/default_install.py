"""The headline audit after a plain ``pip install adverse-impact``, beside aedt-audit.

    python benchmarks/default_install.py --rows 1000000          # builds the venv first
    python benchmarks/default_install.py --venv /tmp/ai-default  # reuses one

The venv holds only the default install of this checkout and aedt-audit 0.3.0
(their pins do not conflict, so one venv serves both).  In it, each case runs
in a fresh process on the same data (``_data.applicants``: sex x race, 0/1
decisions, pandas 3 strings):

- ``ai.audit(frame, selected=..., sensitive_features=["sex", "race"])`` (Fisher tests and
  the intersection included);
- ``aedt_audit.ll144_summary(frame, sex=..., race=..., outcome=...,
  significance=True)``, the closest peer;
- both again with pyarrow hidden from the process, which is what the default
  install was before pyarrow became a dependency (pandas 3 then stores text as
  Python objects).

Target (issue 17): at least 5x faster than aedt-audit at 1M rows on the
default install.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = {
    "adverse_impact": ("ai", False),
    "aedt-audit 0.3.0": ("aedt", False),
    "adverse_impact, pyarrow hidden": ("ai", True),
    "aedt-audit 0.3.0, pyarrow hidden": ("aedt", True),
}


def _inner(which: str, rows: int, repeats: int, hide_arrow: bool) -> dict:
    if hide_arrow:
        sys.modules["pyarrow"] = None  # type: ignore[assignment]
    sys.path.insert(0, str(HERE))
    import _data

    frame = _data.applicants(rows)
    if which == "ai":
        import adverse_impact as ai

        def run():
            return ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])
    else:
        import aedt_audit

        def run():
            return aedt_audit.ll144_summary(
                frame, sex="sex", race="race", outcome="selected", significance=True
            )

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(times),
        "runs": times,
        "string_storage": str(getattr(frame["sex"].dtype, "storage", frame["sex"].dtype)),
    }


def build_venv(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(ROOT), "aedt-audit==0.3.0"], check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=Path("/tmp/adverse-impact-default-venv"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--note", default="")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--hide-arrow", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(_inner(args.inner, args.rows, args.repeats, args.hide_arrow)))
        return
    python = args.venv / "bin" / "python"
    if not python.exists():
        build_venv(args.venv)
    versions = subprocess.run(
        [
            str(python),
            "-c",
            (
                "import importlib.metadata as m, json; print(json.dumps({p: "
                "m.version(p) for p in ['adverse-impact', 'aedt-audit', 'pandas', 'pyarrow', "
                "'numpy']}))"
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    load = os.getloadavg()
    results = {}
    for name, (which, hide) in CASES.items():
        command = [
            str(python),
            __file__,
            "--inner",
            which,
            "--rows",
            str(args.rows),
            "--repeats",
            str(args.repeats),
        ] + (["--hide-arrow"] if hide else [])
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": ""},
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    load_after = os.getloadavg()
    speedup = results["aedt-audit 0.3.0"]["seconds"] / results["adverse_impact"]["seconds"]
    speedup_old = (
        results["aedt-audit 0.3.0, pyarrow hidden"]["seconds"]
        / results["adverse_impact, pyarrow hidden"]["seconds"]
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    lines = [
        f"# Default install beside aedt-audit, {stamp} UTC",
        "",
        (
            f"{args.rows:,} rows (sex x race), median of {args.repeats} runs after a warm-up; "
            f"{os.cpu_count()} cores, load average {load[0]:.1f} before and {load_after[0]:.1f} "
            f"after. Versions: {versions.strip()}. {args.note}"
        ),
        "",
        "| case | string storage | median seconds | runs |",
        "|---|---|---|---|",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['string_storage']} | {row['seconds']:.3f} | "
            f"{', '.join(f'{t:.3f}' for t in row['runs'])} |"
        )
    lines += [
        "",
        (
            f"adverse_impact is {speedup:.1f}x faster than aedt-audit on the default "
            f"install (target 5x: {'met' if speedup >= 5 else 'missed'}); "
            f"{speedup_old:.1f}x with pyarrow hidden (the old default install)."
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{stamp}-{platform.node() or 'host'}-default-install"
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(
        json.dumps(
            {
                "date": stamp,
                "rows": args.rows,
                "versions": json.loads(versions),
                "load": load,
                "load_after": load_after,
                "results": results,
                "speedup": speedup,
                "speedup_without_pyarrow": speedup_old,
                "note": args.note,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
