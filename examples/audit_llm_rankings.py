"""Reproduce the published analysis of GPT-3.5 and GPT-4 ranking resumes (Bloomberg, 2024).

Eight equally qualified resumes that differ only in the candidate's name, one
name per race x sex cell, shown in a shuffled order; each model asked about
1,000 times per job to rank them.  The published analysis counts first
places per cell among the 1,000 prompts of each model and job, divides by
1,000, and compares each cell with the most favoured one (the four-fifths
rule).  This script prints that table from the shipped data, then what the
design-based tests add: a goodness-of-fit test against 125 first places per
cell, Friedman's test on the whole rankings, and the display-position effect.

Run it with ``python examples/audit_llm_rankings.py`` (a few seconds); add a
path to write the HTML report too (``python examples/audit_llm_rankings.py
rankings.html``: verdict, group-code key, per-experiment tables and charts,
139 KB).

Data: ``BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination``,
Copyright 2024 Bloomberg L.P., Apache License 2.0 (licence and NOTICE ship
with the package in ``adverse_impact/datasets/data/llm_rankings/``).
"""

from __future__ import annotations

import sys

import pandas as pd

import adverse_impact as ai
from adverse_impact.datasets import load_llm_rankings


def main(report: str | None = None) -> dict[str, object]:
    data = load_llm_rankings()
    # The published analysis used the "main" and "rebalance" prompts (1,000 per
    # model and job) and left the "oversampled" ones out: filter them out.
    published = data[data["kind"] != "oversampled"]
    result = ai.audit_rankings(
        published,
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    )
    table = result.table
    cells = table[table["attribute"] == "race x sex"].copy()
    cells["demo"] = cells["group"].str.replace(" | ", "_", regex=False)

    print("1. First places per race x sex cell among 1,000 prompts (the published table)")
    wide = cells.pivot_table(
        index=["model", "job"], columns="demo", values="selected", aggfunc="sum"
    )
    print(wide.to_string())
    print()
    print("   Impact ratio against the most favoured cell (below 0.8 marked *)")
    ratios = cells.pivot_table(index=["model", "job"], columns="demo", values="impact_ratio")
    flags = cells.pivot_table(
        index=["model", "job"], columns="demo", values="four_fifths_flag", aggfunc="any"
    )
    shown = ratios.map(lambda v: f"{v:.3f}") + flags.map(lambda f: "*" if f else " ")
    print(shown.to_string())
    print()

    tests = result.tests
    print("2. Is any cell first more or less often than 1/8? (goodness of fit, 7 df)")
    gof = tests[
        (tests["attribute"] == "race x sex")
        & (tests["test"].isin(["chi_square_gof", "permutation", "friedman"]))
    ]
    summary = gof.pivot_table(index=["model", "job"], columns="test", values="p_value")
    summary.insert(
        0, "chi2", gof[gof["test"] == "chi_square_gof"].set_index(["model", "job"])["statistic"]
    )
    with pd.option_context("display.float_format", lambda v: f"{v:.3g}"):
        print(summary.to_string())
    print()

    print("3. Display position: share of first places by position shown (1 = first)")
    positions = result.positions.pivot_table(
        index=["model", "job"], columns="position", values="rate"
    )
    with pd.option_context("display.float_format", lambda v: f"{v:.3f}"):
        print(positions.to_string())
    print()
    print(result.summary())
    print(
        f"The resume shown first is ranked first in {positions[1].min():.0%} to "
        f"{positions[1].max():.0%} of the prompts, against 1/8 = 12.5% by chance."
    )
    if report:
        result.to_html(report)
        print(f"Report written to {report}")
    return {"result": result, "counts": wide, "ratios": ratios}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
