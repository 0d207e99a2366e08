"""The documentation site builds without a warning, and the code on its runnable pages runs."""

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
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "api" / "index.html").exists()


def test_every_public_name_is_documented():
    import adverse_impact as ai

    pages = "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [
        name
        for name in ai.__all__
        if not name.startswith("_") and f"adverse_impact.{name}" not in pages
    ]
    assert not missing, f"public names without an API entry: {missing}"


#: Pages whose Python blocks form a runnable script (in order, one namespace).
#: The others show code against the reader's own files (a Parquet lake, a CSV).
RUNNABLE_PAGES = [
    "index.md",
    "auditing-a-model.md",
    "proxies.md",
    "race-estimates.md",
    "reports.md",
    "resumes.md",
    "release-gate.md",
    "score-gaps-age-alternatives.md",
    "vocabulary.md",
]


@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_the_code_on_the_page_runs(page, tmp_path, monkeypatch):
    import re

    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # pages may write reports to the working directory
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, f"{page} has no Python block"
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/{page} block {i + 1}", "exec"), namespace)


def test_small_numbers_section_says_what_the_law_says_dated_with_primary_sources():
    page = (ROOT / "docs" / "release-gate.md").read_text(encoding="utf-8")
    section = page.split("## When a flag rests on a handful of people", 1)[1].split("\n## ")[0]
    assert "as of 2026-12-01" in section
    for citation in ("29 CFR 1607.4(D)", "Q&A 21", "44 Fed. Reg. 11996", "6 RCNY 5-301(d)", "2%"):
        assert citation in section, citation
    for source in (
        "https://www.ecfr.gov/current/title-29/part-1607/section-1607.4",
        "https://www.eeoc.gov/laws/guidance/questions-and-answers-clarify-and-"
        "provide-common-interpretation-uniform-guidelines",
        "https://codelibrary.amlegal.com/",
    ):
        assert source in section, source
