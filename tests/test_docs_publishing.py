"""The code on the funnels and publishing pages runs (as tests/test_docs.py does for others)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", ["funnels.md", "publishing.md"])
def test_the_code_on_the_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the publishing page writes the packet here
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/{page} block {i + 1}", "exec"), namespace)  # noqa: S102
    if page == "publishing.md":
        assert (tmp_path / "ll144.html").is_file()


def test_legal_landscape_is_dated_and_marks_what_is_unverified():
    text = (ROOT / "docs" / "legal-landscape.md").read_text()
    assert "**As of 2026-12-01.**" in text
    assert text.count("unverified") >= 3
    for rule in (
        "29 CFR",
        "6 RCNY 5-300",
        "N.J.A.C. 13:16",
        "HB 3773",
        "SB 24-205",
        "2024/1689",
        "Executive Order 14281",
        "withdrawn",
    ):
        assert rule in text
