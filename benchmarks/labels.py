"""Text labels against categoricals, before and after issue 23, interleaved in one process.

    python benchmarks/labels.py

The audit of sex x race (``_data.applicants``) from pandas text columns
(Arrow strings) on the path before issue 23 (``pandas.factorize`` on every
column), on the path after it (Arrow's dictionary encoding, columns in
threads), and from categoricals.  The three run in turn, so a burst of load
on a shared machine falls on all of them; the table gives median wall and
CPU seconds and each over the categorical audit's.  Target: text within 3x
of categoricals.
"""

import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _data  # noqa: E402

import adverse_impact as ai  # noqa: E402
from adverse_impact._core import _groups  # noqa: E402


def main() -> None:
    warnings.simplefilter("ignore")  # the "Unknown" label warning, once per audit
    # The path before issue 23 is the same function with no column taken as Arrow text.
    new_arrow_text = _groups._arrow_text
    for n, reps in ((1_000_000, 9), (10_000_000, 3)):
        f = _data.applicants(n)
        c = _data.categorical(f)
        res = {}
        cases = {
            "text, before (pandas.factorize)": (f, lambda v: None),
            "text, after (Arrow dictionary encoding, threads)": (f, new_arrow_text),
            "categoricals": (c, new_arrow_text),
        }
        for i in range(reps + 1):
            for name, (d, arrow) in cases.items():
                _groups._arrow_text = arrow
                c0 = time.process_time()
                s = time.perf_counter()
                ai.audit(d, selected="selected", sensitive_features=["sex", "race"])
                if i:
                    res.setdefault(name, []).append(
                        (time.perf_counter() - s, time.process_time() - c0)
                    )
        cat_w = statistics.median(w for w, _ in res["categoricals"])
        cat_c = statistics.median(c for _, c in res["categoricals"])
        print(f"\n{n:,} rows, load average {os.getloadavg()[0]:.1f}\n")
        print("| path | rows | wall s | x categoricals | CPU s | x categoricals |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, v in res.items():
            w = statistics.median(x for x, _ in v)
            cpu = statistics.median(x for _, x in v)
            print(f"| {name} | {n:,} | {w:.3f} | {w / cat_w:.2f} | {cpu:.3f} | {cpu / cat_c:.2f} |")
        del f, c
    _groups._arrow_text = new_arrow_text


if __name__ == "__main__":
    main()
