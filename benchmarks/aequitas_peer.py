"""Time Aequitas' Group().get_crosstabs on the benchmark data (runs in its own venv).

Aequitas needs pandas < 3, so benchmarks/run.py runs this script with the
interpreter of a separate virtual environment and reads one JSON line back.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time

from _data import applicants


def main() -> None:
    rows, repeats = int(sys.argv[1]), int(sys.argv[2])
    from aequitas.group import Group

    frame = applicants(rows)
    frame = frame.rename(columns={"selected": "score"})
    frame["label_value"] = frame["score"]
    before = _rss()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Group().get_crosstabs(frame, attr_cols=["sex", "race"])
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": statistics.median(times), "peak_bytes": peak - before,
                      "input_bytes": int(frame.memory_usage(deep=True).sum())}))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


if __name__ == "__main__":
    main()
