"""Benchmark: BISG estimates for a million people, and the audit from their probabilities.

    python benchmarks/bisg.py                # 1,000,000 rows, median of 3 runs after a warm-up
    python benchmarks/bisg.py --rows 100000 --repeats 1

The targets of issue 27: ``ai.impute_race`` on 1M surnames with ZCTAs in under
2 s, and ``ai.audit_imputed`` on 1M rows within 3x the plain ``ai.audit`` of
the same decisions with hard labels.

The people: surnames drawn from the 2010 list in proportion to how many
people carry them (so they repeat as real surnames do), title case, with 5%
replaced by made-up letter strings on no list (about 50,000 distinct) and
1% missing; ZCTAs drawn in proportion to their adults, as 5-digit text, 2%
missing.  The geography is made up (the package ships no
adult counts per ZCTA): 33,000 ZCTAs, about as many as the CFPB's table,
whose make-up is drawn around the surname list's national mix, passed as a
DataFrame (so each call also builds the table from it).  A second surname
case draws uniformly from the list (about 160,000 distinct surnames in a
million rows), the worst case for the per-distinct-value work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import adverse_impact as ai
from adverse_impact._bisg._tables import CATEGORIES, surname_table

IMPUTE_TARGET = 2.0
AUDIT_FACTOR = 3.0
N_ZCTA = 33_000


def _timed(function: Callable[[], Any], repeats: int) -> tuple[float, float, Any, str]:
    """Median wall-clock and CPU seconds (the CPU figure is steadier on a shared machine).

    Also the range of the wall-clock times, as text.
    """
    result = function()  # warm-up (and the tables' one-time load)
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    spread = f"{min(wall):.3f}-{max(wall):.3f}"
    return statistics.median(wall), statistics.median(cpu), result, spread


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def made_up_geography(seed: int = 0) -> pd.DataFrame:
    """Adult counts per ZCTA in impute_race's zcta_table columns (made up)."""
    rng = np.random.default_rng(seed)
    names = surname_table("2010")
    national = names.count @ names.probabilities
    make_up = rng.dirichlet(national / national.sum() * 3.0, size=N_ZCTA)
    adults = rng.integers(0, 40_000, N_ZCTA)
    frame = pd.DataFrame(np.rint(make_up * adults[:, None]), columns=list(CATEGORIES))
    codes = np.sort(rng.choice(np.arange(1_000, 100_000), size=N_ZCTA, replace=False))
    frame.insert(0, "zcta", np.char.zfill(codes.astype(str), 5))
    return frame


def people(
    rows: int, geography: pd.DataFrame, uniform: bool = False, seed: int = 0
) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    names = surname_table("2010")
    weights = None if uniform else names.count / names.count.sum()
    surname = np.asarray(names.index)[rng.choice(len(names.index), size=rows, p=weights)]
    surname = pd.Series(surname, dtype=object).str.title().to_numpy(dtype=object, copy=True)
    unlisted = rng.random(rows) < 0.05
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"), dtype=object)
    made_up = "Qx" + letters[rng.integers(0, 26, unlisted.sum())]
    for _ in range(3):
        made_up = made_up + letters[rng.integers(0, 26, unlisted.sum())]
    surname[unlisted] = made_up
    surname[rng.random(rows) < 0.01] = None
    surname = pd.Series(surname, dtype=object)
    adults = geography[list(CATEGORIES)].sum(axis=1).to_numpy()
    codes = geography["zcta"].to_numpy()
    zcta = pd.Series(codes[rng.choice(len(adults), size=rows, p=adults / adults.sum())])
    zcta = zcta.astype(object)
    zcta[rng.random(rows) < 0.02] = None
    return surname, zcta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    rows, repeats = options.rows, options.repeats

    geography = made_up_geography()
    surname, zcta = people(rows, geography)
    cases: dict[str, tuple[Any, Any]] = {
        "pandas object": (surname, zcta),
        "pandas string[pyarrow]": (surname.astype("string[pyarrow]"), zcta.astype("string")),
    }
    try:
        import polars as pl

        cases["polars"] = (
            pl.from_pandas(surname.astype("string")),
            pl.from_pandas(zcta.astype("string")),
        )
    except ImportError:  # pragma: no cover - polars is a test extra
        pass
    uniform = people(rows, geography, uniform=True, seed=1)
    cases["pandas object, uniform surnames"] = uniform

    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) {_load()}")
    print(f"impute_race on {rows:,} people (median of {repeats} after a warm-up):")
    estimates = None
    for label, (names, places) in cases.items():
        seconds, cpu, result, spread = _timed(
            lambda n=names, z=places: ai.impute_race(n, zcta=z, zcta_table=geography), repeats
        )
        estimates = estimates or result
        distinct = pd.Series(np.asarray(names, dtype=object)).nunique()
        verdict = "met" if seconds < IMPUTE_TARGET else "MISSED"
        print(
            f"  {label:32s} {seconds:6.3f} s (range {spread}; CPU {cpu:.3f} s; "
            f"{distinct:,} distinct surnames; target < {IMPUTE_TARGET:g} s: {verdict})"
        )

    rng = np.random.default_rng(2)
    p = estimates.probabilities.to_numpy()
    race = (rng.random(rows)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    race = np.minimum(race, 5)
    selected = (rng.random(rows) < np.where(race == 1, 0.15, 0.25)).astype(np.int8)
    labels = np.array(estimates.probabilities.columns)[p.argmax(axis=1)]
    plain, plain_cpu, _, plain_spread = _timed(
        lambda: ai.audit(selected=selected, sensitive_features={"race": labels}), repeats
    )
    weighted, weighted_cpu, result, weighted_spread = _timed(
        lambda: ai.audit_imputed(selected, estimates, reference="white"), repeats
    )
    factor, factor_cpu = weighted / plain, weighted_cpu / plain_cpu
    verdict = "met" if factor_cpu <= AUDIT_FACTOR else "MISSED"
    print(f"audits of {rows:,} rows:")
    print(
        f"  ai.audit (argmax labels)         {plain:6.3f} s (range {plain_spread}; "
        f"CPU {plain_cpu:.3f} s)"
    )
    print(
        f"  ai.audit_imputed                 {weighted:6.3f} s (range {weighted_spread}; "
        f"CPU {weighted_cpu:.3f} s): {factor:.2f}x the plain audit ({factor_cpu:.2f}x in CPU "
        f"time; target <= {AUDIT_FACTOR:g}x: {verdict})"
    )
    print(f"load average (1, 5, 15 min) {_load()}")
    print()
    print(result.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
