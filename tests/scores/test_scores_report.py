"""Reports of score gaps, age audits and model comparisons: a ratio beside its flag.

F (or the older group) is selected in 3,998 of 5,000 against every one of 5,000: an
impact ratio of 0.7996, below four-fifths exactly, which two or three decimals write
0.80 / 0.800 beside "below 4/5".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai

SEX = np.array(["F"] * 5_000 + ["M"] * 5_000)
#: F's first 3,998 and every M at 1, the rest of F at 0: a cut-off of 0.5 selects
#: 3,998 of 5,000 F and 5,000 of 5,000 M.
SCORE = np.r_[np.ones(3_998), np.zeros(1_002), np.ones(5_000)]


def test_score_gap_report_shows_the_ratio_at_a_cut_off_below_four_fifths():
    gaps = ai.score_gaps(score=SCORE, sensitive_features={"sex": SEX}, thresholds=[0.5])
    text = gaps.to_markdown()
    assert "0.7996 * below 4/5" in text and "0.800 *" not in text
    assert ">0.7996 *<" in gaps.to_html()


def test_age_report_verdict_and_sweep_show_the_ratio_below_four_fifths():
    # F plays the older applicants (41 to 80), M the younger (20 to 39).
    spread = np.arange(10_000) % 20
    age = np.where(SEX == "F", 41 + 2 * spread, 20 + spread)
    data = pd.DataFrame({"age": age, "selected": SCORE.astype(int)})
    age = ai.audit_age(data, selected="selected", age="age", cutoff=40, sweep=[40, 45])
    verdict = age.verdict
    assert "selected at 0.7996 times the rate" in verdict and "(below four-fifths)" in verdict
    text = age.to_markdown()
    # The main comparison's row and the sweep's row at 40 (45 and over is not flagged);
    # F's rate, 0.800 in the first, is a rate.
    rows = [line for line in text.splitlines() if line.startswith("| 40 and over")]
    assert len(rows) == 2 and all("| 0.7996 |" in r and "below 4/5" in r for r in rows)


@pytest.fixture(scope="module")
def comparison():
    X = pd.DataFrame({"x": np.arange(10_000)})
    y = np.r_[np.ones(3_998), np.zeros(1_002), np.ones(4_000), np.zeros(1_000)].astype(bool)
    models = {"current": lambda X: SCORE, "other": lambda X: SCORE * 0.9}
    return ai.compare_models(
        models, X, y, {"sex": SEX}, threshold=0.5, current="current", n_resamples=0
    )


def test_model_comparison_report_shows_the_lowest_ratio_below_four_fifths(comparison):
    table = comparison.table.set_index("model")
    assert table.loc["current", "min_impact_ratio"] == pytest.approx(0.7996)
    assert not table.loc["current", "passes_four_fifths"]
    text = comparison.to_markdown()
    (model,) = [line for line in text.splitlines() if line.startswith("| current (current)")]
    assert "| 0.7996 |" in model and "| 0.800 |" not in model
    # The by-group table: F's rate 0.800 (a rate), then its ratio beside the flag.
    (f,) = [line for line in text.splitlines() if line.startswith("| current | sex | F")]
    assert "| 0.7996 | below 4/5 |" in f
    assert ">0.7996 *<" in comparison.to_html()
