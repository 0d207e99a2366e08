"""The monitoring report: a ratio or a sequence's upper end beside an alert shows its side.

An alert is a confidence sequence's upper end below 0.8 (or 1): an upper end of
0.79996 written "0.800" beside "wholly below 0.8" contradicts the alert, and a ratio
of 3,998 / 5,000 = 0.7996 written "0.80" beside "under four-fifths" reads as at it.
The figures are set on a real result's alerts (no data puts an upper end a hair
under the line on demand); the report reads them as it reads any.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._monitoring import _report


@pytest.fixture(scope="module")
def near_the_line():
    rng = np.random.default_rng(0)
    months = np.repeat(pd.date_range("2025-01-01", periods=12, freq="MS"), 200)
    sex = np.tile(np.repeat(["F", "M"], 100), 12)
    chosen = rng.random(len(sex)) < np.where(sex == "F", 0.18, 0.30)
    data = pd.DataFrame(
        {"month": months + pd.Timedelta(days=3), "sex": sex, "selected": chosen.astype(int)}
    )
    result = ai.monitor(data, time="month", selected="selected", sensitive_features="sex")
    alerts = result.alerts
    assert set(alerts["alert"]) == {"below_four_fifths", "below_one"}
    four_fifths = alerts["alert"] == "below_four_fifths"
    alerts["ratio_at_alert"] = 3_998 / 5_000
    alerts["cs_high"] = np.where(four_fifths, 0.79996, 0.99996)
    alerts["window_ratio_now"] = 3_998 / 5_000
    alerts["ratio_now"] = 0.79996
    table = result.table
    last = (table["group"] == "F") & (table["period"] == result.periods[-1])
    table.loc[last, ["cum_impact_ratio", "cs_high", "alert_four_fifths", "alert_any"]] = [
        3_998 / 5_000,
        0.79996,
        True,
        True,
    ]
    return dataclasses.replace(result, _table=table, _alerts=alerts)


def test_the_text_report_shows_each_alert_s_upper_end_below_its_line(near_the_line):
    text = _report.summary(near_the_line)
    assert "sequence upper end 0.79996" in text and "sequence upper end 0.99996" in text
    assert "ratio 0.7996," in text and "0.79996 cumulative" in text
    assert "0.800" not in text and "1.000" not in text


def test_the_verdict_shows_the_recent_ratio_past_two_decimals(near_the_line):
    verdict = _report.verdict(near_the_line)
    assert "(ratio 0.7996 over the last" in verdict and "0.80 " not in verdict


def test_the_alert_and_last_look_tables_show_the_deciding_decimals(near_the_line):
    header, rows = _report._alert_rows(near_the_line)
    for row in rows:
        cells = dict(zip(header, row))
        bound = "0.79996" if cells["alert"] == "below 4/5" else "0.99996"
        assert cells["upper end at alert"] == bound
        assert cells["ratio at alert"] == "0.7996"
    header, rows, _ = _report._last_look(near_the_line, "sex")
    (f,) = [dict(zip(header, r)) for r in rows if r[0] == "F"]
    assert f["impact ratio (cumulative)"] == "0.7996"
    assert f["anytime-valid interval"].endswith(" to 0.79996")
    page = near_the_line.to_markdown()
    assert "0.79996" in page


def test_the_gate_detail_shows_the_cumulative_ratio_past_three_decimals(near_the_line):
    message = near_the_line.gate().message()
    assert "cumulative ratio now 0.79996" in message and "0.800" not in message


def test_a_ratio_shows_its_side_of_both_lines_an_alert_watches():
    assert _report.ratio_text(3_998 / 5_000) == "0.7996"
    assert _report.ratio_text(0.99996) == "0.99996"
    assert _report.ratio_text(0.5) == "0.500"
    assert _report.ratio_text((12 / 40) / (30 / 80)) == "0.800"  # exactly 4/5, not below
