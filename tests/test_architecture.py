"""The declared layers (.importlinter, docs/architecture.md) hold, and the check can fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"

pytest.importorskip("importlinter")


def _lint(src: Path) -> subprocess.CompletedProcess:
    # lint-imports finds the package on sys.path; point it at the tree under test.
    env_path = str(src)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--config",
            str(CONFIG),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": env_path, "PATH": ""},
    )


def test_the_package_keeps_its_declared_layers():
    done = _lint(ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path):
    # The contract must see imports inside functions: the cycles the hand-written
    # test missed were all of that kind.
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "adverse_impact", copy / "adverse_impact")
    render = copy / "adverse_impact" / "_core" / "_render.py"
    render.write_text(
        render.read_text()
        + "\n\ndef _upward():\n    from adverse_impact._audits import _audit\n\n    return _audit\n"
    )
    done = _lint(copy)
    assert done.returncode != 0
    assert "adverse_impact._core._render -> adverse_impact._audits._audit" in done.stdout


def test_the_tests_mirror_the_package():
    # One folder of tests a subpackage (docs/architecture.md, "Where the tests go"), and
    # file names unique across the folders (pytest imports each test file by its name).
    package = ROOT / "src" / "adverse_impact"
    subpackages = {p.name.lstrip("_") for p in package.iterdir() if (p / "__init__.py").exists()}
    folders = {
        p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and any(p.glob("test_*.py"))
    }
    assert folders <= subpackages, folders - subpackages
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
