"""The documentation site builds without a warning (mkdocs build --strict)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "api" / "index.html").exists()


def test_every_public_name_is_documented():
    import adverse_impact as ai

    pages = "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [name for name in ai.__all__
               if not name.startswith("_") and f"adverse_impact.{name}" not in pages]
    assert not missing, f"public names without an API entry: {missing}"
