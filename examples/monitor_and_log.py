"""Monitor a deployed screener month by month, and keep a record of every audit.

    python examples/monitor_and_log.py

Writes a year of synthetic decisions as monthly Parquet files, in which the
screener treats women and men alike for six months and then, after a
retraining, selects women at 0.6 times the men's rate.  Then:

1. each month, the usual one-look audit of that month, appended to an audit log;
2. ``ai.monitor`` over all the files at once: when the anytime-valid
   sequences (cumulative, and restarted at every month: the change detector,
   which names July) first lie wholly below 1 and below 0.8, and the ratio now;
3. the log's history, as an auditor would read it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import adverse_impact as ai


def write_months(folder: Path, *, per_group: int = 150, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for month in range(1, 13):
        women_rate = 0.30 if month <= 6 else 0.18
        sex = np.repeat(["Female", "Male"], per_group)
        chosen = rng.random(2 * per_group) < np.where(sex == "Female", women_rate, 0.30)
        days = rng.integers(0, 28, 2 * per_group)
        pd.DataFrame(
            {
                "decided_at": pd.Timestamp(f"2026-{month:02d}-01") + pd.to_timedelta(days, "D"),
                "sex": sex,
                "advanced": chosen.astype(int),
                "model_version": "1.0" if month <= 6 else "2.0",
            }
        ).to_parquet(folder / f"decisions-2026-{month:02d}.parquet", index=False)


def main(folder: str | Path | None = None) -> dict[str, Any]:
    folder = Path(folder or tempfile.mkdtemp())
    write_months(folder)
    log = ai.AuditLog(folder / "audits.db")

    print("1. Each month on its own, as a monthly one-look audit would see it")
    for file in sorted(folder.glob("decisions-*.parquet")):
        month = file.stem.removeprefix("decisions-")
        result = ai.audit(str(file), selected="advanced", sensitive_features="sex")
        version = "1.0" if month <= "2026-06" else "2.0"
        log.add(result, label=f"screener {month}", model_version=version)
        lower = result.table.query("not is_reference").iloc[0]
        print(
            f"   {month}: {lower['group']:6} impact ratio {lower['impact_ratio']:.2f}, "
            f"Fisher p = {lower['p_value_fisher']:.3f}"
        )

    print("\n2. Monitoring with an anytime-valid sequence")
    files = sorted(str(f) for f in folder.glob("decisions-*.parquet"))
    whole_year = ai.monitor(files, time="decided_at", selected="advanced", sensitive_features="sex")
    print("   From January (six months of the old model dilute the cumulative ratio;")
    print("   the change detector finds the disparity since July):")
    print("   " + whole_year.summary().replace("\n", "\n   "))
    # A sequence is about one screener: start a new one at each model change.
    watch = ai.monitor(files[6:], time="decided_at", selected="advanced", sensitive_features="sex")
    log.add(watch, label="screener 2026, model 2.0 monitor", model_version="2.0")
    print("   From the release of model 2.0 in July:")
    print("   " + watch.summary().replace("\n", "\n   "))

    print("\n3. The record")
    history = log.history()
    print(
        history[["id", "kind", "label", "model_version", "min_impact_ratio", "passes"]].to_string(
            index=False
        )
    )
    return {"monitor": watch, "whole_year": whole_year, "history": history, "folder": folder}


if __name__ == "__main__":
    main()
