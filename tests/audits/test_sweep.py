"""The threshold sweep's summary and repr: the lowest ratio beside the verdict shows its side."""

from __future__ import annotations

import numpy as np

import adverse_impact as ai


def test_sweep_summary_and_repr_show_the_lowest_ratio_below_four_fifths():
    # At the cut-off 0.5, 39,998 of 50,000 F and every M: 0.79996, below four-fifths
    # exactly; ".4g" (the repr) and three decimals (the summary) write 0.8 / 0.800.
    sex = np.array(["F"] * 50_000 + ["M"] * 50_000)
    scores = np.r_[np.ones(39_998), np.zeros(10_002), np.ones(50_000)]
    sweep = ai.threshold_sweep(scores, sensitive_features={"sex": sex}, thresholds=[0.5])
    assert sweep.by_threshold()["n_flagged"].tolist() == [1]
    summary = sweep.summary()
    assert "lowest impact ratio 0.79996: sex F" in summary and "0.800" not in summary
    text = repr(sweep)
    assert "0.79996" in text and " 0.8 " not in text
    assert "0.79996" in sweep._repr_html_()
