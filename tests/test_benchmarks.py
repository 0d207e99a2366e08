"""The benchmark suite runs (smoke test on tiny sizes; no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_run_writes_a_table_of_every_case(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--no-memory",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for case in (
        "## audit",
        "## statistics",
        "## token proxies",
        "## counterfactual",
        "## threshold sweep",
        "## Targets",
    ):
        assert case in done.stdout
    [report] = list(tmp_path.glob("*.json"))
    results = json.loads(report.read_text())
    implementations = {row["implementation"] for row in results["rows"]}
    assert {
        "adverse_impact",
        "pandas groupby",
        "bincount floor",
        "fairlearn MetricFrame",
        "polars group_by",
        "duckdb GROUP BY",
    } <= implementations
    assert all(row["seconds"] > 0 for row in results["rows"])
    assert results["machine"]["cores"] >= 1
