"""Start-up cost, side by side: the interpreter, pandas, and adverse_impact's entry points.

    python benchmarks/startup.py               # 10 runs of each case, Markdown table
    python benchmarks/startup.py --repeats 20

Every case runs in a fresh process (``import`` caches nothing across
processes), with this checkout's ``src`` first on ``PYTHONPATH``; the figure
is the median over the runs of the wall time and of the CPU time of the
child (``resource.getrusage(RUSAGE_CHILDREN)``), which a busy machine
disturbs less.  ``benchmarks/run.py --cases startup`` runs the same cases.

Targets (issue 23): ``import adverse_impact`` under 0.35 s of CPU;
``adverse-impact --version`` under 0.3 s wall on an idle machine; a pytest
session on an unrelated test file no slower with the plugin than without it
(within noise).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

#: An unrelated test file: what a project with the library installed runs every day.
UNRELATED_TEST = "def test_arithmetic():\n    assert 1 + 1 == 2\n"


def _commands(workdir: Path) -> dict[str, list[str]]:
    python = sys.executable
    script = shutil.which("adverse-impact", path=str(Path(python).parent))
    cli = [script] if script else [python, "-m", "adverse_impact"]
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(workdir / "test_x.py")]
    return {
        "python -c pass": [python, "-c", "pass"],
        "import numpy": [python, "-c", "import numpy"],
        "import pandas": [python, "-c", "import pandas"],
        "import scipy.stats": [python, "-c", "import scipy.stats"],
        "adverse_impact: import adverse_impact": [python, "-c", "import adverse_impact"],
        "adverse_impact: adverse-impact --version": [*cli, "--version"],
        "adverse_impact: adverse-impact --help": [*cli, "--help"],
        "adverse_impact: first audit (import + ai.audit on 4 rows)": [
            python,
            "-c",
            "import adverse_impact as ai; "
            "ai.audit(selected=[1, 0, 1, 0], sensitive_features=list('aabb'))",
        ],
        "pytest, unrelated test, plugin disabled": [*pytest, "-p", "no:adverse_impact"],
        "adverse_impact: pytest, unrelated test, plugin active": pytest,
    }


def _run_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeats: int = 10, src: Path = SRC) -> list[dict[str, Any]]:
    """One row per case: median wall and CPU seconds of ``repeats`` fresh processes.

    ``src`` is the ``src`` directory of the checkout measured (this one by default).
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "test_x.py").write_text(UNRELATED_TEST)
        (workdir / "pytest.ini").write_text("[pytest]\n")
        commands = _commands(workdir)
        for command in commands.values():  # warm the file cache once
            _run_once(command, env, workdir)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        # Interleaved, so that a burst of load on the machine falls on every case alike.
        for _ in range(repeats):
            for name, command in commands.items():
                runs[name].append(_run_once(command, env, workdir))
    for name, measured in runs.items():
        rows.append(
            {
                "case": "startup",
                "implementation": name,
                "input": "fresh process",
                "rows": 0,
                "seconds": statistics.median(w for w, _ in measured),
                "cpu_seconds": statistics.median(c for _, c in measured),
                "spread_seconds": max(w for w, _ in measured) - min(w for w, _ in measured),
                "runs": repeats,
            }
        )
    return rows


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's start-up targets, measured."""
    by_name = {r["implementation"]: r for r in rows if r["case"] == "startup"}
    out = []

    def add(name: str, measured: float, limit: float) -> None:
        out.append(
            {
                "target": name,
                "measured": f"{measured:.3f}",
                "met": "yes" if measured <= limit else "no",
            }
        )

    imported = by_name.get("adverse_impact: import adverse_impact")
    if imported:
        add("import adverse_impact: CPU seconds (<= 0.35)", imported["cpu_seconds"], 0.35)
    version = by_name.get("adverse_impact: adverse-impact --version")
    if version:
        add(
            "adverse-impact --version: wall seconds (<= 0.3, idle machine)", version["seconds"], 0.3
        )
    active = by_name.get("adverse_impact: pytest, unrelated test, plugin active")
    disabled = by_name.get("pytest, unrelated test, plugin disabled")
    if active and disabled:
        # "No slower within noise": the CPU time with the plugin over that without it.
        add(
            "pytest on an unrelated file: CPU with plugin / without (<= 1.1)",
            active["cpu_seconds"] / disabled["cpu_seconds"],
            1.1,
        )
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| case | median wall s | median CPU s | wall spread s |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['implementation']} | {r['seconds']:.3f} | {r['cpu_seconds']:.3f} | "
            f"{r['spread_seconds']:.3f} |"
        )
    lines += ["", "| target | measured | met |", "|---|---:|:---:|"]
    lines += [f"| {g['target']} | {g['measured']} | {g['met']} |" for g in targets(rows)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--src", type=Path, default=SRC, help="the src directory of another checkout (before/after)"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows = measure(args.repeats, args.src)
    print(
        f"Start-up of {args.src}, median of {args.repeats} fresh processes; "
        f"{os.cpu_count()} cores, load average {load:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after.\n"
    )
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
