"""Calibration of the proxy and counterfactual gates on fair- and biased-history models.

    python benchmarks/calibration_proxies.py                 # 200 runs per design
    python benchmarks/calibration_proxies.py --runs 20       # a quicker look

Each run draws a hiring history from :func:`adverse_impact.datasets.make_resumes`
and new applicants (their own seed), trains the case study's model (TF-IDF +
logistic regression, ``adverse_impact.case_study._model``) on the history, and
runs the two gates of :mod:`adverse_impact.testing` with their defaults on the
applicants:

* ``assert_no_proxy_leakage(..., forbidden=GENDERED)``: every planted proxy of
  the generator and every term of the built-in ``"gender"`` pair list that the
  model knows (the broadest forbidden list a user could write);
* ``assert_counterfactual_invariance(..., select_top=<hiring rate>)``.

A *fair history* (``history_bias=0``: hiring depends on qualification only,
while the text still carries the planted proxies) measures the false-alarm
rate; the case study's *biased history* (``history_bias=1.5``) the power.  The
statistics behind each verdict (the largest leakage among the forbidden
tokens, the largest score change, the flip rate) are kept, so the noise floor
of fair models can be read from the same runs (:func:`noise_floor`).

``run(n_runs, seed)`` returns the calibration table (columns ``verdict``,
``design``, ``rate``, ``mc_se``, ``n_runs``, ``what``), as the other
calibration simulations do; the command writes it, with the noise floor, to
``benchmarks/results/<date>T<time>-calibration-proxies.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

#: History sizes (applicants: half as many); the case study uses 20,000.
SIZES = (2_000, 8_000, 20_000)
#: Designs: name -> history_bias.
HISTORIES = {"fair history": 0.0, "biased history": 1.5}

VERDICTS = {
    "leakage": "assert_no_proxy_leakage (defaults; every gendered term forbidden)",
    "counterfactual": "assert_counterfactual_invariance (defaults; select_top=hiring rate)",
}


def _gendered(model: Any) -> list[str]:
    """The planted proxies and the gender pair list's terms that the model's vocabulary holds."""
    from adverse_impact._proxies._counterfactual import load_pairs
    from adverse_impact.datasets._resumes import planted_proxies

    vocabulary = set(model[0].get_feature_names_out())
    terms = {spec.token for spec in planted_proxies()} | set(load_pairs("gender"))
    return sorted(terms & vocabulary)


def _gate(function: Any, *args: Any, **kwargs: Any) -> tuple[bool, list[Any]]:
    """Whether the gate failed, and the results it computed (through its recording hook)."""
    from adverse_impact import testing

    saved, testing._recorded = testing._recorded, []
    try:
        function(*args, **kwargs)
        failed = False
    except AssertionError:
        failed = True
    finally:
        recorded, testing._recorded = testing._recorded, saved
    return failed, [entry[1] for entry in recorded]  # (kind, result[, verdict])


def simulate(n_samples: int, history_bias: float, seed: int) -> dict[str, Any]:
    """One run: a history, a model, new applicants, both gates with their defaults."""
    from adverse_impact.case_study import _model
    from adverse_impact.datasets import make_resumes
    from adverse_impact.testing import (
        assert_counterfactual_invariance,
        assert_no_proxy_leakage,
    )

    seeds = np.random.SeedSequence([seed, n_samples]).generate_state(2)
    history = make_resumes(n_samples, history_bias=history_bias, random_state=int(seeds[0]))
    applicants = make_resumes(n_samples // 2, history_bias=history_bias, random_state=int(seeds[1]))
    model = _model(0).fit(history["resume"], history["hired"])
    forbidden = _gendered(model)
    leak_failed, (leakage,) = _gate(
        assert_no_proxy_leakage,
        applicants["resume"],
        applicants["gender"],
        model=model,
        forbidden=forbidden,
    )
    ranking = leakage.to_frame()
    ranks = dict(zip(ranking["feature"], range(1, len(ranking) + 1)))
    table = ranking[ranking["feature"].isin(forbidden)]
    worst = table.iloc[0]
    share = float(history["hired"].mean())
    cf_failed, (swaps,) = _gate(
        assert_counterfactual_invariance, model, applicants["resume"], select_top=share
    )
    return {
        "n_samples": n_samples,
        "history_bias": history_bias,
        "seed": seed,
        "leakage_failed": leak_failed,
        "max_leakage": float(worst["leakage"]),
        "max_leakage_token": str(worst["feature"]),
        "leakage_womens": float(table.loc[table["feature"] == "women's", "leakage"].max()),
        "leakage_sorority": float(table.loc[table["feature"] == "sorority", "leakage"].max()),
        # The rank-only gate this one replaced failed when a forbidden token ranked
        # in the top 20 (the docs' example: women's or sorority in the top 25).
        "rank_womens_or_sorority": min(ranks.get("women's", 10**9), ranks.get("sorority", 10**9)),
        "counterfactual_failed": cf_failed,
        "max_abs_change": swaps.max_abs_change,
        "mean_abs_change": swaps.mean_abs_change,
        "flip_rate": swaps.flip_rate,
        "n_swapped": swaps.n_swapped,
    }


def runs(
    n_runs: int,
    seed: int,
    sizes: Sequence[int] = SIZES,
    progress: bool = False,
    biased_runs: int | None = None,
) -> pd.DataFrame:
    """Every run of every design, one row each (the raw material of both tables).

    ``biased_runs`` (default ``n_runs``) sets the runs of the biased designs apart:
    their power is near 1, so fewer runs pin it down.
    """
    rows = []
    for n_samples in sizes:
        for name, bias in HISTORIES.items():
            start = time.perf_counter()
            count = n_runs if bias == 0 or biased_runs is None else biased_runs
            for i in range(count):
                rows.append({"history": name, **simulate(n_samples, bias, seed + i)})
            if progress:
                print(
                    f"{name}, n={n_samples:,}: {count} runs in {time.perf_counter() - start:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return pd.DataFrame(rows)


def rederive(raw: pd.DataFrame) -> pd.DataFrame:
    """The runs with each gate's verdict recomputed from its statistics and today's defaults."""
    from adverse_impact import testing

    out = raw.copy()
    out["leakage_failed"] = out["max_leakage"] > testing.DEFAULT_MIN_LEAKAGE
    out["counterfactual_failed"] = (out["max_abs_change"] > testing.DEFAULT_MAX_ABS_CHANGE) | (
        out["flip_rate"] > testing.DEFAULT_MAX_FLIP_RATE
    )
    return out


def _design(row: Any) -> str:
    return f"{row['history']}, {row['n_samples']:,} resumes (+{row['n_samples'] // 2:,} applicants)"


def calibration_table(raw: pd.DataFrame) -> pd.DataFrame:
    """The false-alarm rate (fair history) and the power (biased history) of each gate."""
    rows = []
    for (history, _), runs_ in raw.groupby(["history", "n_samples"], sort=False):
        for verdict, column in (
            ("leakage", "leakage_failed"),
            ("counterfactual", "counterfactual_failed"),
        ):
            rate = float(runs_[column].mean())
            n = len(runs_)
            rows.append(
                {
                    "verdict": VERDICTS[verdict],
                    "design": _design(runs_.iloc[0]),
                    "rate": rate,
                    "mc_se": math.sqrt(rate * (1 - rate) / n),
                    "n_runs": n,
                    "what": "false_alarm" if history == "fair history" else "power",
                }
            )
    return pd.DataFrame(rows, columns=["verdict", "design", "rate", "mc_se", "n_runs", "what"])


def noise_floor(raw: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of each gate's statistic over the runs of each design."""
    out = []
    for statistic in ("max_leakage", "max_abs_change", "flip_rate"):
        for _, runs_ in raw.groupby(["history", "n_samples"], sort=False):
            values = runs_[statistic].to_numpy(dtype=float)
            out.append(
                {
                    "statistic": statistic,
                    "design": _design(runs_.iloc[0]),
                    "median": float(np.median(values)),
                    "q95": float(np.quantile(values, 0.95)),
                    "q99": float(np.quantile(values, 0.99)),
                    "max": float(values.max()),
                    "min": float(values.min()),
                    "n_runs": len(values),
                }
            )
    return pd.DataFrame(out)


def run(n_runs: int, seed: int = 0, sizes: Sequence[int] = SIZES) -> pd.DataFrame:
    """The calibration table: false alarms on fair-history models, power on biased ones."""
    return calibration_table(runs(n_runs, seed, sizes))


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per design")
    parser.add_argument("--biased-runs", type=int, help="runs per biased design (default --runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument(
        "--pool",
        action="append",
        default=[],
        help="a .json this command wrote earlier (other seeds): its runs join the tables",
    )
    options = parser.parse_args(argv)
    sizes = [int(s) for s in options.sizes.split(",")]
    from adverse_impact import testing

    raw = runs(options.runs, options.seed, sizes, progress=True, biased_runs=options.biased_runs)
    # The gates' verdicts follow from the statistics each run keeps: recompute them with
    # today's defaults, so runs pooled from an earlier invocation count under the same
    # limits (and check the rule against the gates' own verdicts on the fresh runs).
    fresh = rederive(raw)
    assert fresh[["leakage_failed", "counterfactual_failed"]].equals(
        raw[["leakage_failed", "counterfactual_failed"]]
    ), "the statistics' rule disagrees with the gates"
    pooled = [rederive(pd.DataFrame(json.loads(Path(p).read_text())["runs"])) for p in options.pool]
    raw = pd.concat([raw, *pooled], ignore_index=True).sort_values(
        ["n_samples", "history_bias"], kind="stable"
    )
    if len(raw.drop_duplicates(["n_samples", "history_bias", "seed"])) < len(raw):
        parser.error("--pool: the pooled runs share seeds with this run; pass another --seed")
    table, floor = calibration_table(raw), noise_floor(raw)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    defaults = {
        "min_leakage": testing.DEFAULT_MIN_LEAKAGE,
        "max_abs_change": testing.DEFAULT_MAX_ABS_CHANGE,
        "max_flip_rate": testing.DEFAULT_MAX_FLIP_RATE,
    }
    text = (
        f"# Proxy and counterfactual gates: calibration ({stamp} UTC)\n\n"
        f"`python benchmarks/calibration_proxies.py --runs {options.runs} "
        f"--biased-runs {options.biased_runs or options.runs} --seed {options.seed} "
        f"--sizes {options.sizes}`"
        + "".join(f" `--pool {Path(p).name}`" for p in options.pool)
        + f"\n\nDefaults: {defaults}\n\n"
        f"## Calibration\n\n{_markdown(table)}\n\n## Noise floor\n\n{_markdown(floor)}\n"
    )
    (out / f"{stamp}-calibration-proxies.md").write_text(text, encoding="utf-8")
    (out / f"{stamp}-calibration-proxies.json").write_text(
        json.dumps(
            {
                "defaults": defaults,
                "calibration": table.to_dict("records"),
                "noise_floor": floor.to_dict("records"),
                "runs": raw.to_dict("records"),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
