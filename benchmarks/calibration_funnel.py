"""Calibration of the funnel's and the tiers' gate: one family over every stage.

    python benchmarks/calibration_funnel.py              # 1,000 runs per design
    python benchmarks/calibration_funnel.py --runs 200   # quicker

``FunnelResult.gate`` judges every stage (among its entrants) and the bottom line
(among all applicants), and fails when any of them fails.  Under a significance rule
each audit's own family (Westfall-Young maxT over every group of every attribute and
intersection) is read at alpha / (number of audits): Bonferroni across the audits.
This script measures, by seeded simulation of fair funnels (selection independent of
sex and race at every stage), how often the gate fails with that correction and how
often it failed before it (each audit at alpha, no correction for their number), and
prints one row per design and verdict with the Monte-Carlo standard error
``sqrt(rate (1 - rate) / n_runs)``.  The target for the false-alarm rate is
``alpha + 3 MC SE`` (alpha = 0.05).

Designs: 3,000 applicants, sex (2) x race (6 groups, shares 40/25/15/10/6/4%), their
intersection (17 comparisons per audit); two stages (screened 50%, then offered 30% of
those screened) or four (60%, 60%, 50%, 40%).
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np
import pandas as pd

import adverse_impact as ai

RACES = ["White", "Black", "Hispanic", "Asian", "Native", "Other"]
SHARES = [0.40, 0.25, 0.15, 0.10, 0.06, 0.04]
DESIGNS = {"2 stages": [0.5, 0.3], "4 stages": [0.6, 0.6, 0.5, 0.4]}
ALPHA = 0.05


def _funnel(rng: np.random.Generator, rates: list[float], n: int = 3_000) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], size=n), "race": rng.choice(RACES, size=n, p=SHARES)}
    )
    alive = np.ones(n, dtype=bool)
    for i, rate in enumerate(rates):
        alive = alive & (rng.random(n) < rate)
        frame[f"stage{i + 1}"] = alive.astype(int)
    return frame


def run(runs: int, seed: int = 0) -> pd.DataFrame:
    rows = []
    for name, rates in DESIGNS.items():
        rng = np.random.default_rng(seed)
        hits = {"gate significance (Bonferroni across audits)": 0, "before: each audit at alpha": 0}
        hits["gate both (Bonferroni across audits)"] = 0
        for _ in range(runs):
            frame = _funnel(rng, rates)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                funnel = ai.audit_funnel(
                    frame,
                    stages=[f"stage{i + 1}" for i in range(len(rates))],
                    sensitive_features=["sex", "race"],
                )
            hits["gate significance (Bonferroni across audits)"] += not funnel.passes(
                alpha=ALPHA, rule="significance"
            )
            hits["gate both (Bonferroni across audits)"] += not funnel.passes(alpha=ALPHA)
            hits["before: each audit at alpha"] += any(
                r.failing(alpha=ALPHA, rule="significance").any() for r in funnel.results
            )
        for verdict, count in hits.items():
            rate = count / runs
            rows.append(
                {
                    "design": name,
                    "verdict": verdict,
                    "false_alarm": rate,
                    "mc_se": math.sqrt(rate * (1 - rate) / runs),
                    "runs": runs,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = run(args.runs, args.seed)
    with pd.option_context("display.width", 120, "display.float_format", "{:.4f}".format):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
