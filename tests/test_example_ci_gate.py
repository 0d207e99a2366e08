"""examples/ci_gate: the release gate passes the fair candidate and stops the biased model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import adverse_impact

#: The library under test, for the subprocesses too (PYTHONPATH may be relative).
LIBRARY = str(Path(adverse_impact.__file__).resolve().parents[1])
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ci_gate"


def _copy(tmp_path: Path) -> Path:
    """The repository's layout around the example: its pyproject.toml above it."""
    repo = tmp_path / "repo"
    shutil.copytree(
        EXAMPLE,
        repo / "examples" / "ci_gate",
        ignore=shutil.ignore_patterns("model.skops", "__pycache__", "evidence"),
    )
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    return repo


def _plain_pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """pytest as on a plain install: no plugin but the library's own (no pytest-socket...)."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=LIBRARY)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "adverse_impact._plugin",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("biased,expected", [(False, 0), (True, 1)])
def test_gate(tmp_path, biased, expected):
    repo = _copy(tmp_path)
    work = repo / "examples" / "ci_gate"
    build = [sys.executable, "make_model.py"] + (["--biased"] if biased else [])
    subprocess.run(
        build,
        cwd=work,
        check=True,
        capture_output=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=LIBRARY),
    )
    # As the README says: from the repository's root, on a plain install plus pytest.
    done = _plain_pytest("examples/ci_gate", "--adverse-impact-report=evidence", cwd=repo)
    assert done.returncode == expected, done.stdout[-3000:] + done.stderr[-2000:]
    assert "configfile: pytest.ini" in done.stdout  # its own configuration, not ours
    evidence = sorted(p.name for p in (repo / "evidence").iterdir())
    assert any(name.endswith("test_no_adverse_impact.json") for name in evidence)
    if biased:
        assert "adverse impact: 1 group fails the rule" in done.stdout
        assert "1 forbidden proxy used above the floor (leakage > min_leakage 0.08" in done.stdout
        assert '"women\'s": leakage' in done.stdout


def test_example_config_needs_no_test_extras(tmp_path):
    # The repository's own options need pytest-socket (--disable-socket); the example's don't.
    repo = _copy(tmp_path)
    done = _plain_pytest("examples/ci_gate", "--collect-only", "-q", cwd=repo)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test_model_release.py::test_no_adverse_impact" in done.stdout
