"""Benchmark: search_alternatives against the floor of fitting its models.

    python benchmarks/alternatives.py                        # 20,000 resumes, 20 x 5-fold
    python benchmarks/alternatives.py --rows 5000 --cv 3     # a reduced run

The search fits ``candidates x cv`` models; the floor fits exactly the same
models on the same folds and nothing else.  Target (issue 16): the search
costs no more than the floor plus 10%.  The resumes are vectorised once
(TF-IDF) outside both timings; the estimator is a logistic regression.
Results are printed and written to ``benchmarks/results/<date>T<time>-alternatives.{md,json}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterGrid, StratifiedKFold

import adverse_impact as ai
from adverse_impact.datasets import make_resumes

HERE = Path(__file__).resolve().parent


class TimedLogisticRegression(LogisticRegression):
    """LogisticRegression that adds the seconds of every fit to a class-level total.

    The search's own fits, timed inside the same run, give its overhead
    without the run-to-run noise of a shared machine.
    """

    fit_seconds = 0.0

    def fit(self, X, y, sample_weight=None):
        start = time.perf_counter()
        fitted = super().fit(X, y, sample_weight=sample_weight)
        TimedLogisticRegression.fit_seconds += time.perf_counter() - start
        return fitted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--n-bootstrap", type=int, default=200)
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="alternate floor and search this many times; report the minimum "
        "of each (a contended machine slows one more than the other)",
    )
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()

    data = make_resumes(args.rows, random_state=0)
    X = TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN, min_df=5).fit_transform(data["resume"])
    y = data["hired"].to_numpy()
    n_features = X.shape[1]
    # 5 values of C x 4 feature sets (all, and three fixed subsets) = 20 candidates.
    rng = np.random.default_rng(0)
    feature_sets = {"all": None}
    for k in (1, 2, 3):
        drop = set(rng.choice(n_features, size=50 * k, replace=False).tolist())
        feature_sets[f"minus {50 * k}"] = [i for i in range(n_features) if i not in drop]
    grid = {"C": [0.1, 0.3, 1.0, 3.0, 10.0]}
    estimator = TimedLogisticRegression(solver="liblinear")
    n_candidates = len(feature_sets) * len(ParameterGrid(grid))

    def run_floor() -> float:
        start = time.perf_counter()
        folds = list(
            StratifiedKFold(args.cv, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
        )
        Xc = X.tocsr()
        subsets = {}
        for name, columns in feature_sets.items():
            subsets[name] = Xc if columns is None else Xc[:, columns]
            subsets[name].sort_indices()
        for (name, _), params in itertools.product(feature_sets.items(), ParameterGrid(grid)):
            for train, _ in folds:
                clone(estimator).set_params(**params).fit(subsets[name][train], y[train])
        return time.perf_counter() - start

    def run_search() -> tuple[float, object]:
        TimedLogisticRegression.fit_seconds = 0.0
        start = time.perf_counter()
        found = ai.search_alternatives(
            estimator,
            X,
            y,
            {"gender": data["gender"]},
            param_grid=grid,
            feature_sets=feature_sets,
            cv=args.cv,
            random_state=0,
            n_resamples=args.n_resamples,
        )
        return time.perf_counter() - start, found

    floors, searches, inside = [], [], []
    for _ in range(args.repeats):
        floors.append(run_floor())
        seconds, result = run_search()
        searches.append(seconds)
        inside.append(TimedLogisticRegression.fit_seconds)
    floor, search = min(floors), min(searches)
    ratio = search / floor
    row = {
        "rows": args.rows,
        "cv": args.cv,
        "candidates": n_candidates,
        "models_fitted": n_candidates * args.cv,
        "n_resamples": args.n_resamples,
        "features": n_features,
        "floor_seconds": round(floor, 3),
        "search_seconds": round(search, 3),
        "ratio": round(ratio, 4),
        "repeats": args.repeats,
        "search_fit_seconds": [round(t, 3) for t in inside],
        "overhead_share_within_run": [round(t / f - 1, 4) for t, f in zip(searches, inside)],
        "floor_runs": [round(f, 3) for f in floors],
        "search_runs": [round(t, 3) for t in searches],
        "target": 1.10,
        "meets_target": ratio <= 1.10,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "models_in_table": len(result.table),
    }
    text = "\n".join(
        [
            "## search_alternatives vs fitting its models",
            "",
            "| rows | cv | candidates | models fitted | floor (s) | search (s) | ratio | target |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
            (
                f"| {args.rows:,} | {args.cv} | {n_candidates} | {n_candidates * args.cv} | "
                f"{floor:.2f} | {search:.2f} | {ratio:.3f} | <= 1.10 "
                f"{'met' if ratio <= 1.10 else 'MISSED'} |"
            ),
            "",
            "Within each search run, its time over the time of its own fits: "
            + ", ".join(f"{t / f:.3f}" for t, f in zip(searches, inside))
            + ".",
            f"Load average at the end: {os.getloadavg()} on {os.cpu_count()} cores.",
        ]
    )
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    (out / f"{stamp}-alternatives.md").write_text(text + "\n")
    (out / f"{stamp}-alternatives.json").write_text(json.dumps(row, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
