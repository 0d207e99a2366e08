"""Text labels against categoricals and against aedt-audit, interleaved in one process.

    python benchmarks/labels.py                       # 1M rows x 9 and 10M rows x 5
    python benchmarks/labels.py --sizes 1000000 --repeats 3 --peer-repeats 1

The audit of sex x race (``_data.applicants``) from pandas text columns
(pandas' default ``str`` dtype: Arrow strings) and from categoricals, beside
the path before issue 23 (``pandas.factorize`` on every column, forced here
by taking no column as Arrow text) and aedt-audit 0.3.0's
``ll144_summary`` on the same text frame (if installed).  The cases run in
turn within each repeat, so a burst of load on the shared machine falls on
all of them; each gets one warm-up call.  The table gives the median wall
and CPU seconds with their range (min-max), each median over the
categorical audit's, and the median of the per-repeat wall ratios (paired
within a repeat, steadier under load).  The load average is printed before
and after each size.  Targets (issue 23): text within 3x of categoricals,
and aedt-audit at least 5x slower than the audit from text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _data  # noqa: E402

import adverse_impact as ai  # noqa: E402
from adverse_impact._core import _groups  # noqa: E402

TEXT_FACTOR = 3.0
PEER_FACTOR = 5.0
TEXT = "text (Arrow strings)"
CATEGORICAL = "categoricals"
BEFORE = "text, pandas.factorize (before issue 23)"
PEER = "aedt-audit 0.3.0 ll144_summary, text"


def _cases(text: Any, categorical: Any) -> dict[str, tuple[Callable[[], Any], bool]]:
    """Name -> (function, whether it is the slow peer run fewer times)."""

    def audit(frame: Any) -> Callable[[], Any]:
        return lambda: ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])

    def before() -> Any:
        # The same audit with no column taken as Arrow text: pandas.factorize on each.
        arrow_text = _groups._arrow_text
        _groups._arrow_text = lambda values: None
        try:
            return audit(text)()
        finally:
            _groups._arrow_text = arrow_text

    cases = {CATEGORICAL: (audit(categorical), False), TEXT: (audit(text), False)}
    cases[BEFORE] = (before, False)
    try:
        import aedt_audit
    except ImportError:  # pragma: no cover - a benchmark-only peer
        return cases
    cases[PEER] = (
        lambda: aedt_audit.ll144_summary(
            text, sex="sex", race="race", outcome="selected", significance=True
        ),
        True,
    )
    return cases


def measure(rows: int, repeats: int, peer_repeats: int) -> list[str]:
    frame = _data.applicants(rows)
    assert str(frame["sex"].dtype) == "str", frame["sex"].dtype  # pandas 3: Arrow strings
    cases = _cases(frame, _data.categorical(frame))
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    load_before = os.getloadavg()
    for i in range(repeats + 1):
        for name, (function, slow) in cases.items():
            if slow and i > peer_repeats:
                continue
            start_cpu, start = time.process_time(), time.perf_counter()
            function()
            if i:  # repeat 0 is the warm-up
                times[name].append((time.perf_counter() - start, time.process_time() - start_cpu))
    load_after = os.getloadavg()
    base_wall = statistics.median(w for w, _ in times[CATEGORICAL])
    base_cpu = statistics.median(c for _, c in times[CATEGORICAL])
    lines = [
        f"\n{rows:,} rows, {repeats} repeats ({peer_repeats} for the peer) after a warm-up; "
        f"load average (1, 5, 15 min) {_load(load_before)} before, {_load(load_after)} after\n",
        "| case | wall s, median | wall range | x categoricals | paired x categoricals "
        "| CPU s, median | CPU x categoricals |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        wall = [w for w, _ in values]
        cpu = [c for _, c in values]
        paired = [w / base for (w, _), (base, _) in zip(values, times[CATEGORICAL])]
        lines.append(
            f"| {name} | {statistics.median(wall):.3f} | {min(wall):.3f}-{max(wall):.3f} "
            f"| {statistics.median(wall) / base_wall:.2f} | {statistics.median(paired):.2f} "
            f"| {statistics.median(cpu):.3f} | {statistics.median(cpu) / base_cpu:.2f} |"
        )
    text_wall = statistics.median(w for w, _ in times[TEXT])
    lines.append("")
    verdict = "met" if text_wall / base_wall <= TEXT_FACTOR else "MISSED"
    lines.append(
        f"Text / categoricals (wall): {text_wall / base_wall:.2f} "
        f"(target <= {TEXT_FACTOR:g}: {verdict})"
    )
    if times.get(PEER):
        peer = statistics.median(w for w, _ in times[PEER]) / text_wall
        verdict = "met" if peer >= PEER_FACTOR else "MISSED"
        lines.append(f"aedt-audit / text (wall): {peer:.1f} (target >= {PEER_FACTOR:g}: {verdict})")
    return lines


def _load(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, nargs="+", default=[9, 5])
    parser.add_argument("--peer-repeats", type=int, nargs="+", default=[5, 2])
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the "Unknown" label warning, once per audit
    print(f"cores: {os.cpu_count()}; {ai.__name__} from {os.path.dirname(ai.__file__)}")
    for k, rows in enumerate(options.sizes):
        repeats = options.repeats[min(k, len(options.repeats) - 1)]
        peer_repeats = options.peer_repeats[min(k, len(options.peer_repeats) - 1)]
        print("\n".join(measure(rows, repeats, peer_repeats)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
