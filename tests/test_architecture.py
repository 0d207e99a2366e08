"""The declared layers (.importlinter, docs/architecture.md) hold, and the check can fail;
public functions stay short."""

from __future__ import annotations

import ast
import importlib
import inspect
import shutil
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"


def _lint(src: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("importlinter")
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


# -- short public functions (issue 23: "no public function over about 60 lines of code") --

#: The public modules, as users import them (docs/architecture.md).
PUBLIC_MODULES = (
    "adverse_impact",
    "adverse_impact.stats",
    "adverse_impact.testing",
    "adverse_impact.datasets",
    "adverse_impact.case_study",
)
#: Lines of code a public function's body may hold: the outline of its work, the steps
#: in private helpers named for what they do.
MAX_BODY_LINES = 65


def _in_package(obj: object) -> bool:
    try:
        source = inspect.getsourcefile(obj)
    except TypeError:  # built in
        return False
    package = Path(importlib.import_module("adverse_impact").__file__).parent
    return source is not None and Path(source).resolve().is_relative_to(package.resolve())


def _public_functions() -> Iterator[tuple[str, Callable]]:
    """Every public function of the public modules, and every public method (properties
    included) of their public classes and of those classes' bases defined in the package."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", None) or dir(module):
            if name.startswith("_"):
                continue
            value = getattr(module, name)
            if isinstance(value, types.ModuleType):
                continue
            if inspect.isclass(value):
                for klass in value.__mro__:
                    if not _in_package(klass):
                        continue
                    for attribute, member in vars(klass).items():
                        if attribute.startswith("_"):
                            continue
                        if isinstance(member, (staticmethod, classmethod)):
                            member = member.__func__
                        elif isinstance(member, property):
                            member = member.fget
                        if inspect.isfunction(member):
                            yield f"{module_name}.{name}.{attribute}", member
            elif callable(value) and inspect.isfunction(inspect.unwrap(value)):
                yield f"{module_name}.{name}", inspect.unwrap(value)


def body_lines(function: Callable) -> int:
    """Lines of code in a function's body: after its docstring, neither blank nor comments."""
    source = textwrap.dedent(inspect.getsource(function))
    node = ast.parse(source).body[0]
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    if not body:
        return 0
    first = min([body[0].lineno, *(d.lineno for d in getattr(body[0], "decorator_list", []))])
    lines = source.splitlines()[first - 1 : node.end_lineno]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def test_body_lines_counts_code_after_the_docstring():
    def sample():  # pragma: no cover - read, never run
        """A docstring.

        Of two paragraphs.
        """
        # a comment

        a = 1  # code with a comment
        return max(
            a,
            # a comment inside a statement
            2,
        )

    assert body_lines(sample) == 5


def test_no_public_function_is_long():
    # A long public function reads as its steps, not its outline: split it into a short
    # public function and private helpers that each do one step.
    seen: set[object] = set()
    found = 0
    long = []
    for name, function in _public_functions():
        if function.__code__ in seen or not _in_package(function):
            continue
        seen.add(function.__code__)
        found += 1
        n = body_lines(function)
        if n > MAX_BODY_LINES:
            long.append(f"{name} ({n} lines)")
    assert found > 150, found  # the walk saw the API (220 functions and methods in 2026-12)
    assert not long, f"public functions over {MAX_BODY_LINES} lines of code: " + ", ".join(
        sorted(long)
    )


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
