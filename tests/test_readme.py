"""The README's quick start and .ci/run stay in agreement, and the commands work."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_command_lines():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].startswith("python -m pip install .")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert quick_start_commands()[1] in ci.splitlines()


def test_main_job_runs_through_the_installed_entry_point(tmp_path):
    # The first command's install step is exercised by .ci/run itself; here we
    # run its second half, the console script's code path, in a subprocess.
    main_job = quick_start_commands()[0].split("&&", 1)[1].split()
    assert main_job[0] == "adverse-impact"
    done = subprocess.run(
        [sys.executable, "-m", "adverse_impact", *main_job[1:]],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "impact ratio" in done.stdout
    assert (tmp_path / "case-study" / "case-study.html").is_file()


def _after_quick_start() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return " ".join(section.split("```", 2)[2].split())


def test_readme_says_how_long_the_quick_start_takes_on_two_cores():
    prose = _after_quick_start()
    assert "2-core machine" in prose
    assert re.search(r"the case study about \d+( to \d+)? seconds", prose)
    assert re.search(r"install takes about \d+ minutes", prose)
    assert re.search(r"test suite, .* about \d+ minutes on a 2-core machine", prose)


def test_case_study_output_is_git_ignored():
    patterns = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert "case-study/" in patterns
    if shutil.which("git") and (ROOT / ".git").exists():
        done = subprocess.run(
            ["git", "check-ignore", "-q", "case-study/case-study.html"], cwd=ROOT, check=False
        )
        assert done.returncode == 0
