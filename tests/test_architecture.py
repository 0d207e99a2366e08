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


#: Modules without a test file of their own, each with where it is exercised instead.
#: (Package ``__init__.py`` files re-export names; tests/test_api.py and
#: tests/core/test_public.py hold them.)
NO_TEST_FILE = {
    "__main__.py": "three lines that call the CLI; `python -m adverse_impact` in tests/test_cli.py",
    "_version.py": "one constant; `adverse-impact --version` in tests/test_cli.py",
}


def _missing_test_files(package: Path, tests: Path, exempt=()) -> list[str]:
    """Modules with no test file by the naming rule, each with the file it should have.

    ``_sub/_module.py`` is tested in ``tests/sub/test_module.py``, or in
    ``tests/sub/test_sub_module.py`` where the short name is taken elsewhere (three
    ``_report.py`` modules); a top-level ``module.py`` in ``tests/test_module.py``.
    """
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if path.name == "__init__.py" or relative.as_posix() in exempt:
            continue
        name = path.stem.lstrip("_")
        if len(relative.parts) == 1:
            candidates = [tests / f"test_{name}.py"]
        else:
            sub = relative.parts[0].lstrip("_")
            candidates = [tests / sub / f"test_{name}.py", tests / sub / f"test_{sub}_{name}.py"]
        if not any(c.is_file() for c in candidates):
            missing.append(f"{relative.as_posix()} -> {candidates[0].relative_to(tests.parent)}")
    return missing


def test_every_module_has_a_test_file_of_its_own():
    package = ROOT / "src" / "adverse_impact"
    missing = _missing_test_files(package, ROOT / "tests", NO_TEST_FILE)
    assert not missing, "modules without a test file of their own:\n" + "\n".join(missing)
    # The exemptions are real modules: a stale entry would hide nothing and mislead.
    assert all((package / name).is_file() for name in NO_TEST_FILE)


def test_a_module_without_its_test_file_is_named(tmp_path):
    package, tests = tmp_path / "src" / "pkg", tmp_path / "tests"
    for module in ("_core/_io.py", "_report/__init__.py", "_publish/_report.py", "stats.py"):
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        (package / module).write_text("")
    (tests / "publish").mkdir(parents=True)
    (tests / "publish" / "test_publish_report.py").write_text("")
    assert _missing_test_files(package, tests) == [
        "_core/_io.py -> tests/core/test_io.py",
        "stats.py -> tests/test_stats.py",
    ]
