"""Audits out of core: monthly Parquet files, the audit and the monitor against DuckDB.

    python benchmarks/out_of_core.py --rows 10000000            # the validation run
    python benchmarks/out_of_core.py --rows 100000000           # the published run
    python benchmarks/out_of_core.py --rows 200000 --months 12  # a smoke run

The script writes ``--rows`` rows of (sex, race, month, selected) as one
Parquet file per month (``--months`` of them) under ``--data``, then times,
each in a fresh subprocess so that its peak memory is its own:

- ``duckdb GROUP BY``: DuckDB's own query over the same files, the floor;
- ``ai.audit``: ``ai.audit(glob, selected=..., sensitive_features=["sex", "race"])``;
- ``ai.monitor``: ``ai.monitor(glob, time="month", ...)``, one pass over all months.

Targets (issue 17): the audit within 1.5x of DuckDB's GROUP BY, peak memory
under 1.5 GB, the monitor within 2x of the audit.  Results go to
``benchmarks/results/<date>T<time>-<host>-out-of-core.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEXES = ["Female", "Male"]
RACES = ["Asian", "Black", "Hispanic or Latino", "White", "Two or more races"]


def generate(folder: Path, rows: int, months: int, seed: int = 0) -> None:
    """Monthly files of (sex, race, month, selected); women selected at 0.85x the men's rate."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per_month = rows // months
    start = dt.date(2016, 1, 1)
    for m in range(months):
        n = per_month + (1 if m < rows % months else 0)
        day = dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        sex = rng.integers(0, 2, n, dtype=np.int8)
        race = rng.choice(5, n, p=[0.1, 0.15, 0.2, 0.5, 0.05]).astype(np.int8)
        selected = (rng.random(n) < np.where(sex == 0, 0.255, 0.30)).astype(np.int8)
        table = pa.table(
            {
                "sex": pa.DictionaryArray.from_arrays(sex, pa.array(SEXES)),
                "race": pa.DictionaryArray.from_arrays(race, pa.array(RACES)),
                "month": pa.array(np.full(n, np.datetime64(day, "D"))),
                "selected": selected,
            }
        )
        pq.write_table(table, folder / f"month-{day:%Y-%m}.parquet", row_group_size=1 << 20)


# -- one measurement per subprocess ---------------------------------------------------


def _measure(mode: str, pattern: str, repeats: int) -> dict:
    sys.path.insert(0, str(HERE))
    from _memory import peak, reset_peak, rss

    if mode == "duckdb":
        import duckdb

        def run():
            return duckdb.sql(
                "SELECT sex, race, count(*) AS n, sum(selected) AS selected "
                f"FROM read_parquet('{pattern}') GROUP BY ALL"
            ).fetchall()
    else:
        import adverse_impact as ai

        if mode == "audit":

            def run():
                return ai.audit(pattern, selected="selected", sensitive_features=["sex", "race"])
        else:

            def run():
                return ai.monitor(
                    pattern,
                    time="month",
                    selected="selected",
                    sensitive_features=["sex", "race"],
                    intersectional=True,
                )

    before = rss()
    reset_peak()
    run()  # warm-up (file metadata, imports)
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # CPU seconds (all threads) are less disturbed than wall time on a shared machine.
    return {
        "mode": mode,
        "seconds": statistics.median(times),
        "runs": times,
        "cpu_seconds": statistics.median(cpu),
        "cpu_runs": cpu,
        "peak_bytes": peak(),
        "baseline_bytes": before,
    }


def measure(mode: str, pattern: str, repeats: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            mode,
            "--pattern",
            pattern,
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/adverse-impact-out-of-core"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--note", default="", help="contention or other context to record")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--pattern", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.pattern, args.repeats)))
        return

    folder = args.data / f"rows{args.rows}-months{args.months}"
    if not folder.exists():
        start = time.perf_counter()
        generate(folder, args.rows, args.months)
        print(
            f"generated {args.rows:,} rows in {args.months} files in "
            f"{time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
    pattern = str(folder / "*.parquet")
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    load = os.getloadavg()
    results = {
        mode: measure(mode, pattern, args.repeats) for mode in ("duckdb", "audit", "monitor")
    }
    load_after = os.getloadavg()
    floor = results["duckdb"]["seconds"]
    audit = results["audit"]["seconds"]
    monitor = results["monitor"]["seconds"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    host = platform.node() or "host"
    import duckdb

    import adverse_impact

    report = {
        "date": stamp,
        "rows": args.rows,
        "months": args.months,
        "files_bytes": size,
        "repeats": args.repeats,
        "cores": os.cpu_count(),
        "load_before": load,
        "load_after": load_after,
        "note": args.note,
        "python": platform.python_version(),
        "adverse_impact": adverse_impact.__version__,
        "duckdb": duckdb.__version__,
        "results": results,
        "targets": {
            "audit_vs_duckdb": audit / floor,
            "audit_peak_gb": results["audit"]["peak_bytes"] / 1e9,
            "monitor_vs_audit": monitor / audit,
            "audit_vs_duckdb_cpu": results["audit"]["cpu_seconds"]
            / results["duckdb"]["cpu_seconds"],
            "monitor_vs_audit_cpu": results["monitor"]["cpu_seconds"]
            / results["audit"]["cpu_seconds"],
        },
    }
    lines = [
        f"# Out-of-core benchmark, {stamp} UTC",
        "",
        (
            f"{args.rows:,} rows in {args.months} monthly Parquet files ({size / 1e6:,.0f} MB), "
            f"{os.cpu_count()} cores, load average {load[0]:.1f} before and {load_after[0]:.1f} "
            f"after. {args.note}"
        ),
        "",
        "| implementation | median seconds | runs | median CPU seconds | peak memory (MB) |",
        "|---|---|---|---|---|",
    ]
    names = {
        "duckdb": "duckdb GROUP BY (floor)",
        "audit": "ai.audit(glob)",
        "monitor": "ai.monitor(glob), sex x race x month",
    }
    for mode, row in results.items():
        lines.append(
            f"| {names[mode]} | {row['seconds']:.2f} | "
            f"{', '.join(f'{t:.2f}' for t in row['runs'])} | "
            f"{row['cpu_seconds']:.2f} | {row['peak_bytes'] / 1e6:,.0f} |"
        )
    t = report["targets"]
    lines += [
        "",
        "| target | measured (wall) | met | measured (CPU) |",
        "|---|---|---|---|",
        (
            f"| audit within 1.5x of DuckDB's GROUP BY | {t['audit_vs_duckdb']:.2f}x | "
            f"{'yes' if t['audit_vs_duckdb'] <= 1.5 else 'no'} | "
            f"{t['audit_vs_duckdb_cpu']:.2f}x |"
        ),
        (
            f"| audit peak memory under 1.5 GB | {t['audit_peak_gb']:.2f} GB | "
            f"{'yes' if t['audit_peak_gb'] < 1.5 else 'no'} | |"
        ),
        (
            f"| monitor within 2x of the audit | {t['monitor_vs_audit']:.2f}x | "
            f"{'yes' if t['monitor_vs_audit'] <= 2 else 'no'} | "
            f"{t['monitor_vs_audit_cpu']:.2f}x |"
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{stamp}-{host}-out-of-core"
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
