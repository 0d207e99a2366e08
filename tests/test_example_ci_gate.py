"""examples/ci_gate: the release gate passes the fair candidate and stops the biased model."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ci_gate"


@pytest.mark.slow
@pytest.mark.parametrize("biased,expected", [(False, 0), (True, 1)])
def test_gate(tmp_path, biased, expected):
    work = tmp_path / "ci_gate"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("model.skops", "__pycache__"))
    build = [sys.executable, "make_model.py"] + (["--biased"] if biased else [])
    subprocess.run(build, cwd=work, check=True, capture_output=True, timeout=600)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(work), "-c", "/dev/null",
                           "--adverse-impact-report=evidence", "test_model_release.py"],
                          cwd=work, capture_output=True, text=True, timeout=600)
    assert done.returncode == expected, done.stdout[-3000:]
    evidence = sorted(p.name for p in (work / "evidence").iterdir())
    assert any(name.endswith("test_no_adverse_impact.json") for name in evidence)
    if biased:
        assert "adverse impact: 1 group fails the rule" in done.stdout
        assert "forbidden proxies among the model's top 20: \"women's\"" in done.stdout
