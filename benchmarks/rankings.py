"""Benchmark: the ranking audit of the whole shipped LLM experiment.

    python benchmarks/rankings.py             # median of 5 runs after a warm-up
    python benchmarks/rankings.py --repeats 1

The acceptance target of issue 15: all 66,528 rows, ``by=["model", "job"]``
(eight experiments), race, sex and their intersection, display position, and
every test (goodness of fit, CMH, the Monte-Carlo permutation test with its
default 1,999 resamples, Friedman, mean rank, within-position CMH, pairwise
comparisons) in under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import adverse_impact as ai
from adverse_impact.datasets import load_llm_rankings

TARGET_SECONDS = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args(argv)
    data = load_llm_rankings()

    def run() -> ai.RankingAudit:
        return ai.audit_rankings(
            data,
            prompt="run",
            sensitive_features=["race", "sex"],
            rank="rank",
            position="position",
            by=["model", "job"],
            random_state=0,
        )

    result = run()  # warm-up
    times = []
    for _ in range(options.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"audit_rankings: {len(data):,} rows, {result.n_prompts:,} prompts, "
        f"{len(result.table)} group rows, {len(result.tests)} tests: median {median:.3f} s "
        f"over {options.repeats} runs (min {min(times):.3f} s, max {max(times):.3f} s); "
        f"target < {TARGET_SECONDS} s: {'met' if median < TARGET_SECONDS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
