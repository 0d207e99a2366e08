"""examples/monitor_and_log.py runs and finds the retraining's disparity."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_monitor_example_alerts_after_the_retraining_and_keeps_the_record(tmp_path, capsys):
    pytest.importorskip("duckdb")
    module = runpy.run_path(str(ROOT / "examples" / "monitor_and_log.py"))
    found = module["main"](tmp_path)
    out = capsys.readouterr().out
    assert "1. Each month" in out and "3. The record" in out
    # Restarted at the model change, the sequence alerts within months of it...
    watch = found["monitor"]
    assert watch.periods[0] == "2026-07"
    assert watch.first_alert("below_one") <= "2026-09"
    # ...and never before the change when monitoring the whole year, where the change
    # detector names the month the disparity began.
    whole_year = found["whole_year"]
    assert whole_year.first_alert("below_one") >= "2026-07"
    change = whole_year.alerts.query("detector == 'change'")
    assert set(change["since"]) == {"2026-07"}
    history = found["history"]
    assert history["kind"].tolist() == ["audit"] * 12 + ["monitor"]
    assert not history["passes"].iloc[-1]
