"""Calibration of the black-box verdicts: false alarms on fair scorers, power on biased ones.

    python benchmarks/calibration_blackbox.py              # 1,000 runs per design
    python benchmarks/calibration_blackbox.py --runs 200   # quicker

Every verdict of ``paired_test`` and ``audit_rankings`` that says "N differ" or
fails a gate is a test with an error rate.  This script measures it by seeded
simulation and prints (and writes to ``benchmarks/results/calibration_blackbox.csv``)
one row per verdict and design: the rate, its Monte-Carlo standard error
``sqrt(rate (1 - rate) / n_runs)``, the number of runs and what the rate is
(``false_alarm`` under a fair scorer, ``power`` under a stated disparity).
The target for a false-alarm rate is ``alpha + 3 MC SE`` (alpha = 0.05).

The designs:

- ``paired_differ_highest``: ``paired_test`` with ``reference="highest"``,
  eight race x sex groups of names, 30 resume templates, a fair scorer with a
  template effect and noise (sd 1 against template spread 1); "N group(s)
  differ" > 0 is the alarm.  Power: one group's scores 0.5 lower.
- ``paired_differ_fixed``: the same with a named reference (``"W | M"``).
- ``paired_names_below``: any name flagged as scoring below its group (one-sided
  Welch, Benjamini-Hochberg over the 800 names) under the fair scorer, 5
  repeats per template.  Power: one name's scores 2.0 lower.
- ``rankings_significance``: ``audit_rankings`` of a fair ranker (a random
  order), 200 prompts of eight candidates, one per race x sex cell;
  ``passes(rule="significance")`` False is the alarm (race, sex and race x sex,
  Holm over every group of every attribute of the experiment).  Power: Black
  men's candidates never ranked first when their turn comes up at rate 0.7 of
  the others'.
- ``rankings_by_absent``: the same with ``by=`` two experiments, one of which
  (experiment 1) never shows Black women; the absent group must stay out of
  that experiment's pairwise family (21 pairs, not 28: before the fix the 7
  "vs absent" rows joined it and cost power); alarm: any pairwise comparison
  of experiment 1 with Holm p < alpha.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

import adverse_impact as ai
from adverse_impact.datasets import load_names

ALPHA = 0.05
_TEMPLATES = [f"{{name}}\nExperience: {i} years; id {i}" for i in range(30)]
_RACES, _SEXES = ["A", "B", "H", "W"], ["M", "W"]


def _template_id(text: str) -> int:
    return int(text.rsplit("id ", 1)[1])


def _paired_scorer(rng: np.random.Generator, penalised: set[str], shift: float):
    quality = rng.normal(size=len(_TEMPLATES))

    def scorer(texts: list[str]) -> list[float]:
        base = np.array([quality[_template_id(t)] for t in texts])
        hit = np.array([t.split("\n", 1)[0] in penalised for t in texts])
        return (base + rng.normal(size=len(texts)) - shift * hit).tolist()

    return scorer


def _paired_differ(rng, names, reference, power):
    penalised = set(names.loc[(names["race"] == "B") & (names["sex"] == "M"), "name"])
    scorer = _paired_scorer(rng, penalised if power else set(), 0.5)
    result = ai.paired_test(
        scorer,
        _TEMPLATES,
        signals=names[["name", "race", "sex"]],
        reference=reference,
        random_state=int(rng.integers(1 << 31)),
    )
    return result.n_differ() > 0


def _paired_names(rng, names, power):
    odd = {names["name"].iloc[int(rng.integers(len(names)))]} if power else set()
    scorer = _paired_scorer(rng, odd, 2.0)
    result = ai.paired_test(
        scorer,
        _TEMPLATES,
        signals=names[["name", "race", "sex"]],
        n_repeats=5,
        random_state=int(rng.integers(1 << 31)),
    )
    return bool(result.name_effects["flagged"].any())


def _ranking_frame(rng, n_prompts: int, low_rate: float, absent: bool = False) -> pd.DataFrame:
    cells = [(r, s) for r in _RACES for s in _SEXES]
    rows = []
    for p in range(n_prompts):
        shown = [c for c in cells if not (absent and p % 2 and c == ("B", "W"))]
        # A fair ranker: a random order; with low_rate < 1 the B | M candidate
        # keeps first place only with that probability (else it swaps with
        # the runner-up).
        order = list(rng.permutation(len(shown)))
        first = shown[order[0]]
        if first == ("B", "M") and rng.random() > low_rate:
            order[0], order[1] = order[1], order[0]
        for rank, index in enumerate(order, 1):
            race, sex = shown[index]
            rows.append((p, p % 2 if absent else 0, race, sex, rank))
    return pd.DataFrame(rows, columns=["prompt", "experiment", "race", "sex", "rank"])


def _rankings_significance(rng, power):
    frame = _ranking_frame(rng, 200, 0.7 if power else 1.0)
    result = ai.audit_rankings(
        frame, prompt="prompt", sensitive_features=["race", "sex"], rank="rank", n_resamples=0
    )
    return not result.passes(rule="significance")


def _rankings_by_absent(rng, power):
    frame = _ranking_frame(rng, 400, 0.7 if power else 1.0, absent=True)
    result = ai.audit_rankings(
        frame,
        prompt="prompt",
        sensitive_features=["race", "sex"],
        rank="rank",
        by="experiment",
        n_resamples=0,
        intersectional=True,
    )
    tests = result.tests
    pairs = tests[
        (tests["test"] == "pairwise")
        & (tests["attribute"] == "race x sex")
        & (tests["experiment"] == 1)
    ]
    return bool((pairs["p_value_holm"] < ALPHA).any())


#: verdict -> (design, function of (rng, names, power) -> alarm)
DESIGNS = {
    "paired_differ_highest": (
        "8 race x sex groups, 30 templates, reference='highest'; power: B | M -0.5 sd",
        lambda rng, names, power: _paired_differ(rng, names, "highest", power),
    ),
    "paired_differ_fixed": (
        "8 race x sex groups, 30 templates, reference='W | M'; power: B | M -0.5 sd",
        lambda rng, names, power: _paired_differ(rng, names, "W | M", power),
    ),
    "paired_names_below": (
        "800 names, 30 templates x 5 repeats; power: one name -2 sd",
        lambda rng, names, power: _paired_names(rng, names, power),
    ),
    "rankings_significance": (
        "200 prompts x 8 cells, k=1, race, sex, race x sex; power: B | M first at 0.7x",
        lambda rng, names, power: _rankings_significance(rng, power),
    ),
    "rankings_by_absent": (
        "by= 2 experiments of 200 prompts, B | W absent from one; its pairwise Holm; "
        "power: B | M first at 0.7x",
        lambda rng, names, power: _rankings_by_absent(rng, power),
    ),
}


def run(
    n_runs: int = 1000, seed: int = 0, verdicts: list[str] | None = None, progress=None
) -> pd.DataFrame:
    """One row per verdict and kind of rate (false_alarm, power), seeded.

    Columns: verdict, design, rate, mc_se, n_runs, what (false_alarm|power).
    ``progress``, when given, is called with each row as it is done.
    """
    names = load_names()
    rows = []
    for verdict in verdicts or list(DESIGNS):
        number = list(DESIGNS).index(verdict)  # the seed does not depend on the selection
        design, function = DESIGNS[verdict]
        for what, power in (("false_alarm", False), ("power", True)):
            rng = np.random.default_rng([seed, number, int(power)])
            alarms = sum(bool(function(rng, names, power)) for _ in range(n_runs))
            rate = alarms / n_runs
            rows.append(
                {
                    "verdict": verdict,
                    "design": design,
                    "rate": rate,
                    "mc_se": math.sqrt(max(rate * (1 - rate), 1e-12) / n_runs),
                    "n_runs": n_runs,
                    "what": what,
                }
            )
            if progress is not None:
                progress(rows[-1])
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verdict", action="append", choices=list(DESIGNS))
    args = parser.parse_args()
    start = time.perf_counter()
    table = run(
        args.runs,
        args.seed,
        args.verdict,
        progress=lambda row: print(
            f"{row['verdict']:>24} {row['what']:>11}: {row['rate']:.3f} "
            f"(MC SE {row['mc_se']:.3f}, {row['n_runs']} runs, "
            f"{time.perf_counter() - start:.0f} s)",
            flush=True,
        ),
    )
    name = "calibration_blackbox.csv" if not args.verdict else f"calibration_{args.verdict[0]}.csv"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    table.to_csv(out, index=False)
    with pd.option_context("display.width", 200, "display.max_colwidth", 90):
        print(table.to_string(index=False))
    bad = table[(table["what"] == "false_alarm") & (table["rate"] > ALPHA + 3 * table["mc_se"])]
    print(f"\n{time.perf_counter() - start:.0f} s; written to {out}")
    if len(bad):
        print("ABOVE alpha + 3 MC SE:", ", ".join(bad["verdict"]))


if __name__ == "__main__":
    main()
