"""The benchmark suite: adverse_impact side by side with its peers, in one run.

    python benchmarks/run.py                 # the default run (1M rows, every case)
    python benchmarks/run.py --rows 1000000,10000000 --with-aequitas   # the published run
    python benchmarks/run.py --quick         # tiny sizes: checks that everything runs

Each case times every implementation in this process (median of ``--repeats``
runs after one warm-up) and, for the audit case, measures peak memory in a
fresh subprocess per implementation.  Results are printed as Markdown and
written to ``benchmarks/results/<date>T<time>-<host>.md`` and ``.json``, so the
history of runs shows regressions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import _memory  # noqa: E402

import adverse_impact as ai  # noqa: E402

Row = dict[str, Any]


# -- measuring -----------------------------------------------------------------------


def timed(
    function: Callable[[], Any], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median seconds of ``repeats`` calls, after one warm-up call (``clock``: wall or CPU)."""
    function()
    times = []
    for _ in range(repeats):
        start = clock()
        function()
        times.append(clock() - start)
    return statistics.median(times)


def timed_once(function: Callable[[], Any]) -> float:
    """Seconds of a single call, for peers that take minutes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# -- case 1: the audit ------------------------------------------------------------------


def _audit_implementations(frame: pd.DataFrame, kind: str) -> dict[str, Callable[[], Any]]:
    """Functions to time on one input kind: pandas str, pandas categorical, polars, duckdb."""
    impls: dict[str, Callable[[], Any]] = {}
    if kind in ("pandas-str", "pandas-categorical"):
        data = frame if kind == "pandas-str" else _data.categorical(frame)
        impls["adverse_impact"] = lambda: ai.audit(
            data, selected="selected", sensitive_features=["sex", "race"]
        )
        impls["pandas groupby"] = lambda: data.groupby(["sex", "race"], observed=True)[
            "selected"
        ].agg(["size", "sum"])

        def factorize_bincount() -> Any:
            combined = np.zeros(len(data), dtype=np.int64)
            for column in ("sex", "race"):
                codes, uniques = pd.factorize(data[column])
                combined = combined * (len(uniques) + 1) + codes + 1
            return (np.bincount(combined), np.bincount(combined, weights=data["selected"]))

        impls["factorize + bincount"] = factorize_bincount
        aedt = _aedt_audit(data)
        if aedt is not None:
            impls["aedt-audit 0.3.0 ll144_summary"] = aedt
        cells, selected = _data.codes(frame)
        impls["bincount floor"] = lambda: (np.bincount(cells), np.bincount(cells, weights=selected))
        import duckdb

        scan = duckdb.connect()
        scan.register("frame", data)
        impls["duckdb GROUP BY (pandas frame)"] = lambda: scan.sql(
            "SELECT sex, race, count(*), sum(selected) FROM frame GROUP BY ALL"
        ).fetchall()
    elif kind == "polars":
        import polars as pl

        data = pl.from_pandas(frame)
        impls["adverse_impact"] = lambda: ai.audit(
            data, selected="selected", sensitive_features=["sex", "race"]
        )
        impls["polars group_by"] = lambda: data.group_by(["sex", "race"]).agg(
            pl.len(), pl.col("selected").sum()
        )
    elif kind == "duckdb":
        import duckdb

        connection = duckdb.connect()
        connection.register("applicants_frame", frame)
        connection.execute("CREATE TABLE applicants AS SELECT * FROM applicants_frame")
        relation = connection.table("applicants")
        impls["adverse_impact"] = lambda: ai.audit(
            relation, selected="selected", sensitive_features=["sex", "race"]
        )
        impls["duckdb GROUP BY"] = lambda: connection.sql(
            "SELECT sex, race, count(*), sum(selected) FROM applicants GROUP BY ALL"
        ).fetchall()
    return impls


def _aedt_audit(data: pd.DataFrame) -> Callable[[], Any] | None:
    """aedt-audit's LL144 tables with its significance analysis, the closest peer (if installed).

    ``pip install aedt-audit==0.3.0``; ``benchmarks/default_install.py`` runs it
    in a venv of its own, after a plain install.
    """
    try:
        import aedt_audit
    except ImportError:
        return None
    return lambda: aedt_audit.ll144_summary(
        data, sex="sex", race="race", outcome="selected", significance=True
    )


def _fairlearn(frame: pd.DataFrame) -> Callable[[], Any]:
    from fairlearn.metrics import MetricFrame, count, selection_rate

    def run() -> Any:
        mf = MetricFrame(
            metrics={"selection_rate": selection_rate, "count": count},
            y_true=frame["selected"],
            y_pred=frame["selected"],
            sensitive_features=frame[["sex", "race"]],
        )
        return mf.by_group, mf.ratio()

    return run


def _memory_probe(kind: str, impl: str, rows: int) -> dict[str, int]:
    """Run one implementation in a fresh process; return its peak RSS above the baseline."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--memory-probe", kind, impl, str(rows)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        return {"peak_bytes": -1, "input_bytes": -1}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _probe(kind: str, impl: str, rows: int) -> None:
    def build(frame: pd.DataFrame) -> Callable[[], Any]:
        if impl == "fairlearn MetricFrame":
            return _fairlearn(frame)
        return _audit_implementations(frame, kind)[impl]

    # A first call on 1,000 rows loads the modules each implementation imports on
    # first use (the library loads scipy and its own modules lazily): import memory
    # is not the audit's, and the peers' imports happened at module level.
    build(_data.applicants(1_000))()
    frame = _data.applicants(rows)
    function = build(frame)
    input_bytes = int(frame.memory_usage(deep=True).sum())
    baseline = _memory.rss()
    _memory.reset_peak()
    function()
    print(json.dumps({"peak_bytes": max(_memory.peak() - baseline, 0), "input_bytes": input_bytes}))


def _aequitas(rows: int, repeats: int) -> dict[str, Any] | None:
    venv = HERE / ".venv-aequitas"
    python = venv / "bin" / "python"
    if not python.exists():
        print("creating the Aequitas environment (pandas < 3) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "aequitas"], check=True)
    done = subprocess.run(
        [str(python), str(HERE / "aequitas_peer.py"), str(rows), str(repeats)],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=HERE,
    )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def case_audit(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for n in sizes:
        frame = _data.applicants(n)
        for kind in ("pandas-str", "pandas-categorical", "polars", "duckdb"):
            impls = _audit_implementations(frame, kind)
            for name, function in impls.items():
                row = {
                    "case": "audit",
                    "implementation": name,
                    "input": kind,
                    "rows": n,
                    "seconds": timed(function, repeats),
                }
                if (
                    options.memory
                    and kind == "pandas-str"
                    and name in ("adverse_impact", "pandas groupby")
                ):
                    probe = _memory_probe(kind, name, n)
                    row["peak_x_input"] = probe["peak_bytes"] / probe["input_bytes"]
                rows.append(row)
        if n <= options.fairlearn_max_rows:
            # Above 1M rows MetricFrame takes minutes: one run, no warm-up, no
            # memory probe (a warm-up cannot matter at that scale).
            once = n > 1_000_000
            function = _fairlearn(frame)
            seconds = timed_once(function) if once else timed(function, max(1, min(repeats, 3)))
            row = {
                "case": "audit",
                "implementation": "fairlearn MetricFrame",
                "input": "pandas-str",
                "rows": n,
                "seconds": seconds,
            }
            if options.memory and not once:
                probe = _memory_probe("pandas-str", "fairlearn MetricFrame", n)
                row["peak_x_input"] = probe["peak_bytes"] / probe["input_bytes"]
            rows.append(row)
        if options.with_aequitas:
            found = _aequitas(n, max(1, min(repeats, 3)))
            if found is not None:
                rows.append(
                    {
                        "case": "audit",
                        "implementation": "Aequitas get_crosstabs",
                        "input": "pandas-str (pandas 2, own venv)",
                        "rows": n,
                        "seconds": found["seconds"],
                        "peak_x_input": found["peak_bytes"] / found["input_bytes"],
                    }
                )
        del frame
    return rows


# -- case 2: statistics -------------------------------------------------------------------


def case_stats(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    from adverse_impact import stats

    rows: list[Row] = []
    for per_group in (1_000, 100_000) if not options.quick else (1_000,):
        rng = np.random.default_rng(0)
        n = np.full(100, per_group)
        sel_a = rng.binomial(n, 0.28)
        sel_b = rng.binomial(n, 0.30)
        m = per_group // 50
        a, b = rng.binomial(m, 0.28, size=50), rng.binomial(m, 0.30, size=50)
        tables = np.array([[[x, m - x], [y, m - y]] for x, y in zip(a, b)])

        # Defaults bind this iteration's arrays (timed within the iteration anyway).
        def all_statistics(sel_a=sel_a, n=n, sel_b=sel_b, tables=tables) -> Any:
            return (
                stats.two_proportion_z(sel_a, n, sel_b, n),
                stats.fisher_exact(sel_a, n, sel_b, n),
                stats.impact_ratio_test(sel_a, n, sel_b, n),
                stats.mantel_haenszel(tables),
            )

        rows.append(
            {
                "case": "statistics",
                "implementation": "adverse_impact (z, Fisher + mid-p, IR CI, MH over 50 strata)",
                "input": f"100 groups x {per_group:,}",
                "rows": 100 * per_group,
                "seconds": timed(all_statistics, repeats),
            }
        )
        from scipy.stats import fisher_exact

        rows.append(
            {
                "case": "statistics",
                "implementation": "scipy fisher_exact, loop of 100",
                "input": f"100 groups x {per_group:,}",
                "rows": 100 * per_group,
                "seconds": timed(
                    lambda sel_a=sel_a, sel_b=sel_b, n=n: [
                        fisher_exact([[a, m - a], [b, m - b]]) for a, b, m in zip(sel_a, sel_b, n)
                    ],
                    max(1, repeats),
                ),
            }
        )
    return rows


# -- case 3: token proxies ----------------------------------------------------------------


def _corpus(documents: int, vocabulary: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = np.array([f"t{i}" for i in range(vocabulary)], dtype=object)
    weights = 1 / np.arange(1, vocabulary + 1) ** 0.8
    weights /= weights.sum()
    sex = rng.choice(["female", "male"], documents, p=[0.3, 0.7])
    lengths = rng.integers(40, 80, documents)
    tokens = words[rng.choice(vocabulary, int(lengths.sum()), p=weights)]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(tokens[starts[i] : starts[i + 1]]) for i in range(documents)]
    return texts, sex


def case_tokens(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import mutual_info_classif

    documents = 2_000 if options.quick else 200_000
    texts, sex = _corpus(documents, 2_000 if options.quick else 50_000)
    vectorize = lambda: CountVectorizer(token_pattern=ai.TOKEN_PATTERN).fit_transform(texts)  # noqa: E731
    rows = [
        {
            "case": "token proxies",
            "implementation": "CountVectorizer pass alone",
            "input": f"{documents:,} documents",
            "rows": documents,
            "seconds": timed(vectorize, max(1, repeats - 1)),
        },
        {
            "case": "token proxies",
            "implementation": "adverse_impact.token_proxies",
            "input": f"{documents:,} documents",
            "rows": documents,
            "seconds": timed(lambda: ai.token_proxies(texts, sex), max(1, repeats - 1)),
        },
    ]
    matrix = vectorize()
    subset = min(documents, 20_000)
    mi = timed(
        lambda: mutual_info_classif(matrix[:subset], sex[:subset], discrete_features=True), 1
    )
    rows.append(
        {
            "case": "token proxies",
            "implementation": f"sklearn mutual_info_classif (timed on {subset:,}, scaled linearly)",
            "input": f"{documents:,} documents",
            "rows": documents,
            "seconds": mi * documents / subset,
        }
    )
    return rows


# -- case 4: counterfactual test ------------------------------------------------------------


def case_counterfactual(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    documents = 2_000 if options.quick else 100_000
    texts, sex = _corpus(documents, 2_000 if options.quick else 20_000, seed=1)
    rng = np.random.default_rng(1)
    marked = rng.random(documents) < 0.2
    texts = [f"women's chess club {t}" if m else t for t, m in zip(texts, marked)]
    model = make_pipeline(
        TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN), LogisticRegression(max_iter=200)
    )
    model.fit(texts[:20_000], (rng.random(min(documents, 20_000)) < 0.3).astype(int))
    return [
        {
            "case": "counterfactual",
            "implementation": "one predict_proba pass",
            "input": f"{documents:,} documents, 20% swappable",
            "rows": documents,
            "seconds": timed(lambda: model.predict_proba(texts), repeats),
        },
        {
            "case": "counterfactual",
            "implementation": "adverse_impact.counterfactual_test",
            "input": f"{documents:,} documents, 20% swappable",
            "rows": documents,
            "seconds": timed(lambda: ai.counterfactual_test(model, texts, select_top=0.3), repeats),
        },
    ]


# -- case 5: threshold sweep ------------------------------------------------------------------


def case_sweep(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    n = 10_000 if options.quick else 1_000_000
    frame = _data.applicants(n)
    scores = np.random.default_rng(2).random(n)
    groups = frame[["sex", "race"]]
    grid = np.quantile(scores, np.linspace(0, 1, 1_000))
    return [
        {
            "case": "threshold sweep",
            "implementation": "one audit (score >= 0.5)",
            "input": f"{n:,} scores",
            "rows": n,
            "seconds": timed(
                lambda: ai.audit(score=scores, threshold=0.5, sensitive_features=groups), repeats
            ),
        },
        {
            "case": "threshold sweep",
            "implementation": "threshold_sweep, 1,000 cut-offs",
            "input": f"{n:,} scores",
            "rows": n,
            "seconds": timed(
                lambda: ai.threshold_sweep(scores, sensitive_features=groups, thresholds=grid),
                repeats,
            ),
        },
    ]


def case_startup(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    """Start-up in fresh processes: the interpreter, pandas, the import, the CLI, pytest."""
    import startup

    return startup.measure(repeats=1 if options.quick else max(5, repeats))


def case_gate(sizes: list[int], repeats: int, options: argparse.Namespace) -> list[Row]:
    """The calibrated gate (the family test's 9,999 draws, then passes()) against the audit.

    "The audit itself" is the same call read no further (counting, rates, ratios and
    the per-row tests): the family test runs on the first read that needs it, here
    ``passes(alpha=0.05)``.
    Besides wall-clock seconds, CPU seconds of this process (``time.process_time``)
    are recorded: on a shared machine they are what the ratio should be read from.
    """
    rows: list[Row] = []
    for n in sizes:
        frame = _data.applicants(n)

        def gate(frame: pd.DataFrame = frame) -> Any:
            audited = ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])
            return audited.passes(alpha=0.05)

        def audit_alone(frame: pd.DataFrame = frame) -> Any:
            return ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])

        for name, function in (
            ("audit (family test not read)", audit_alone),
            ("calibrated gate: audit + family test (9,999 draws) + passes()", gate),
        ):
            for clock, label in ((time.perf_counter, "wall"), (time.process_time, "CPU")):
                rows.append(
                    {
                        "case": "calibrated gate",
                        "implementation": f"{name}, {label} seconds",
                        "input": "pandas-str, sex x race",
                        "rows": n,
                        "seconds": timed(function, repeats, clock=clock),
                    }
                )
    return rows


CASES = {
    "audit": case_audit,
    "gate": case_gate,
    "stats": case_stats,
    "tokens": case_tokens,
    "counterfactual": case_counterfactual,
    "sweep": case_sweep,
    "startup": case_startup,
}


# -- targets -----------------------------------------------------------------------------


def _seconds(
    rows: list[Row], case: str, impl: str, kind: str | None = None, n: int | None = None
) -> float | None:
    for row in rows:
        if (
            row["case"] == case
            and row["implementation"] == impl
            and (kind is None or row["input"] == kind)
            and (n is None or row["rows"] == n)
        ):
            return row["seconds"]
    return None


def targets(rows: list[Row]) -> list[Row]:
    out: list[Row] = []

    def add(name: str, measured: float | None, limit: float, better: str) -> None:
        if measured is None or not math.isfinite(measured):
            out.append({"target": name, "measured": "not run", "met": "-"})
            return
        met = measured >= limit if better == "higher" else measured <= limit
        out.append({"target": name, "measured": f"{measured:.2f}", "met": "yes" if met else "no"})

    sizes = sorted({r["rows"] for r in rows if r["case"] == "audit"})
    for n in sizes:
        ours = lambda kind, n=n: _seconds(rows, "audit", "adverse_impact", kind, n)  # noqa: E731
        fl = _seconds(rows, "audit", "fairlearn MetricFrame", "pandas-str", n)
        aeq = _seconds(rows, "audit", "Aequitas get_crosstabs", None, n)
        label = f"{n:,} rows"
        add(
            f"{label}: MetricFrame time / ours (>= 100)",
            fl / ours("pandas-str") if fl else None,
            100,
            "higher",
        )
        add(
            f"{label}: Aequitas time / ours (>= 4)",
            aeq / ours("pandas-str") if aeq else None,
            4,
            "higher",
        )
        add(
            f"{label}: ours / pandas groupby, strings (<= 1)",
            ours("pandas-str") / _seconds(rows, "audit", "pandas groupby", "pandas-str", n),
            1,
            "lower",
        )
        add(
            f"{label}: ours / bincount floor, categoricals (<= 3)",
            ours("pandas-categorical")
            / _seconds(rows, "audit", "bincount floor", "pandas-categorical", n),
            3,
            "lower",
        )
        add(
            f"{label}: ours from text / ours from categoricals (<= 3)",
            ours("pandas-str") / ours("pandas-categorical"),
            3,
            "lower",
        )
        aedt = _seconds(rows, "audit", "aedt-audit 0.3.0 ll144_summary", "pandas-str", n)
        add(
            f"{label}: aedt-audit time / ours, text labels (>= 5)",
            aedt / ours("pandas-str") if aedt else None,
            5,
            "higher",
        )
        add(
            f"{label}: ours / polars group_by, polars input (<= 2)",
            ours("polars") / _seconds(rows, "audit", "polars group_by", "polars", n),
            2,
            "lower",
        )
        add(
            f"{label}: ours / DuckDB GROUP BY, DuckDB input (<= 2)",
            ours("duckdb") / _seconds(rows, "audit", "duckdb GROUP BY", "duckdb", n),
            2,
            "lower",
        )
        peak = [
            r.get("peak_x_input")
            for r in rows
            if r["case"] == "audit"
            and r["rows"] == n
            and r["implementation"] == "adverse_impact"
            and r["input"] == "pandas-str"
        ]
        add(
            f"{label}: peak memory / input frame (<= 1.5)",
            peak[0] if peak and peak[0] is not None else None,
            1.5,
            "lower",
        )
    stat = [
        r
        for r in rows
        if r["case"] == "statistics" and r["implementation"].startswith("adverse_impact")
    ]
    for row in stat:
        add(f"statistics, {row['input']}: milliseconds (<= 50)", row["seconds"] * 1000, 50, "lower")
    vec = _seconds(rows, "token proxies", "CountVectorizer pass alone")
    tok = _seconds(rows, "token proxies", "adverse_impact.token_proxies")
    mi = [r["seconds"] for r in rows if r["implementation"].startswith("sklearn mutual_info")]
    if vec and tok:
        add(
            "token proxies: added time / vectorising pass (<= 0.5)", (tok - vec) / vec, 0.5, "lower"
        )
    if tok and mi:
        add("token proxies: mutual_info_classif time / ours (>= 50)", mi[0] / tok, 50, "higher")
    one = _seconds(rows, "counterfactual", "one predict_proba pass")
    cf = _seconds(rows, "counterfactual", "adverse_impact.counterfactual_test")
    if one and cf:
        add("counterfactual test / one predict_proba pass (<= 1.5)", cf / one, 1.5, "lower")
    for n in sorted({r["rows"] for r in rows if r["case"] == "calibrated gate"}):
        for label in ("CPU", "wall"):
            alone = _seconds(
                rows,
                "calibrated gate",
                f"audit (family test not read), {label} seconds",
                None,
                n,
            )
            gated = _seconds(
                rows,
                "calibrated gate",
                f"calibrated gate: audit + family test (9,999 draws) + passes(), {label} seconds",
                None,
                n,
            )
            if alone and gated:
                add(
                    f"{n:,} rows: calibrated gate / the audit, {label} time (<= 2)",
                    gated / alone,
                    2,
                    "lower",
                )
    audit_once = _seconds(rows, "threshold sweep", "one audit (score >= 0.5)")
    sweep = _seconds(rows, "threshold sweep", "threshold_sweep, 1,000 cut-offs")
    if audit_once and sweep:
        add("threshold sweep / one audit (<= 2)", sweep / audit_once, 2, "lower")
    if any(r["case"] == "startup" for r in rows):
        import startup

        out += startup.targets(rows)
    return out


# -- output --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for name in (
        "numpy",
        "pandas",
        "polars",
        "duckdb",
        "fairlearn",
        "scikit-learn",
        "scipy",
        "narwhals",
    ):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing optional peer is reported as absent
            versions[name] = "absent"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "adverse_impact": ai.__version__,
        "platform": platform.platform(),
        "versions": versions,
    }


def markdown(rows: list[Row], goals: list[Row], info: dict[str, Any], command: str) -> str:
    lines = [
        f"# Benchmark results, {dt.date.today().isoformat()}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
        f"Python {info['python']}; adverse-impact {info['adverse_impact']}; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        "",
    ]
    frame = pd.DataFrame(rows)
    for case, part in frame.groupby("case", sort=False):
        lines += [
            f"## {case}",
            "",
            "| implementation | input | rows | median seconds | x adverse_impact | peak / input |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for _, row in part.iterrows():
            ours = part[
                (part["implementation"].str.startswith("adverse_impact"))
                & (part["rows"] == row["rows"])
                & (part["input"] == row["input"])
            ]
            ratio = f"{row['seconds'] / ours['seconds'].iloc[0]:.2f}" if len(ours) else ""
            peak = row.get("peak_x_input")
            peak_text = f"{peak:.2f}" if isinstance(peak, float) and math.isfinite(peak) else ""
            lines.append(
                f"| {row['implementation']} | {row['input']} | {row['rows']:,} | "
                f"{row['seconds']:.4f} | {ratio} | {peak_text} |"
            )
        lines.append("")
    lines += [
        "`x adverse_impact` is the implementation's time divided by adverse_impact's on "
        "the same input (above 1: adverse_impact is faster).",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
    ]
    lines += [f"| {g['target']} | {g['measured']} | {g['met']} |" for g in goals]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="adverse-impact benchmarks")
    parser.add_argument(
        "--rows",
        default="1000000",
        help="comma-separated row counts for the audit case (default 1,000,000)",
    )
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--with-aequitas",
        action="store_true",
        help="also time Aequitas (installed into benchmarks/.venv-aequitas)",
    )
    parser.add_argument(
        "--no-memory", dest="memory", action="store_false", help="skip the peak-memory subprocesses"
    )
    parser.add_argument(
        "--fairlearn-max-rows",
        type=int,
        default=10_000_000,
        help="run MetricFrame up to this many rows (about 80 s at 10M, run once there)",
    )
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument(
        "--memory-probe", nargs=3, metavar=("KIND", "IMPL", "ROWS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.memory_probe:
        kind, impl, rows = args.memory_probe
        _probe(kind, impl, int(rows))
        return 0
    sizes = [10_000] if args.quick else [int(s) for s in args.rows.split(",")]
    repeats = 1 if args.quick else args.repeats
    rows: list[Row] = []
    for name in args.cases.split(","):
        if name not in CASES:
            parser.error(f"unknown case {name!r}; choose from {', '.join(CASES)}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += CASES[name](sizes, repeats, args)
    goals = targets(rows)
    info = machine()
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(rows, goals, info, command.strip())
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Date and time in the name: two runs on one day (before and after a
    # change) must both stay in the history.
    stem = f"{dt.datetime.now():%Y-%m-%dT%H%M}-{platform.node() or 'machine'}" + (
        "-quick" if args.quick else ""
    )
    (out / f"{stem}.md").write_text(text)
    (out / f"{stem}.json").write_text(
        json.dumps({"machine": info, "rows": rows, "targets": goals}, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
