"""Time Aequitas' Group().get_crosstabs on the benchmark data (runs in its own venv).

Aequitas needs pandas < 3, so benchmarks/run.py runs this script with the
interpreter of a separate virtual environment and reads one JSON line back.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from _data import applicants
from _memory import peak, reset_peak, rss


def main() -> None:
    rows, repeats = int(sys.argv[1]), int(sys.argv[2])
    from aequitas.group import Group

    frame = applicants(rows)
    frame = frame.rename(columns={"selected": "score"})
    frame["label_value"] = frame["score"]
    before = rss()
    reset_peak()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Group().get_crosstabs(frame, attr_cols=["sex", "race"])
        times.append(time.perf_counter() - start)
    found = peak()
    print(
        json.dumps(
            {
                "seconds": statistics.median(times),
                "peak_bytes": found - before,
                "input_bytes": int(frame.memory_usage(deep=True).sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
