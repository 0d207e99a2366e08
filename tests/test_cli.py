"""The command line, through its real entry point."""

from __future__ import annotations

import subprocess
import sys

from adverse_impact._cli import main


def test_example_command_prints_the_audit(capsys):
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    assert "Black" in out and "0.500" in out and "FAILS" in out


def test_help_and_version_through_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "adverse_impact", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "example" in done.stdout
    done = subprocess.run([sys.executable, "-m", "adverse_impact", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "adverse-impact" in done.stdout
