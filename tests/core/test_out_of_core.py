"""Audits out of core: Parquet paths and globs, lazy relations, the CLI, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._cli import main

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")


def _monthly_files(folder, months: int = 4, per_month: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for m in range(1, months + 1):
        part = pd.DataFrame(
            {
                "sex": rng.choice(["F", "M", None], per_month, p=[0.48, 0.48, 0.04]),
                "race": rng.choice(["A", "B", "C"], per_month),
                "month": pd.Timestamp(f"2025-{m:02d}-01")
                + pd.to_timedelta(rng.integers(0, 27, per_month), unit="D"),
                "selected": rng.integers(0, 2, per_month),
            }
        )
        sub = folder / f"month={m:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        part.to_parquet(sub / "part-0.parquet", index=False)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _sorted_counts(result) -> pd.DataFrame:
    table = result.counts.table.copy()
    columns = list(result.counts.attributes)
    table[columns] = table[columns].astype(str)
    return table.sort_values(columns).reset_index(drop=True)


@pytest.mark.parametrize("source", ["glob", "directory", "list", "polars", "duckdb"])
def test_out_of_core_counts_equal_the_in_memory_counts(tmp_path, source):
    frame = _monthly_files(tmp_path)
    files = sorted(str(p) for p in tmp_path.rglob("*.parquet"))
    data = {
        "glob": str(tmp_path / "month=*" / "*.parquet"),
        "directory": str(tmp_path),
        "list": files,
        "polars": pl.scan_parquet(files),
        "duckdb": duckdb.read_parquet(files),
    }[source]
    expected = ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])
    result = ai.audit(data, selected="selected", sensitive_features=["sex", "race"])
    pd.testing.assert_frame_equal(
        _sorted_counts(result), _sorted_counts(expected), check_dtype=False
    )
    pd.testing.assert_frame_equal(result.table, expected.table, check_dtype=False)
    assert result.unknown == expected.unknown


def test_monitor_reads_the_same_files_in_one_pass(tmp_path):
    frame = _monthly_files(tmp_path, months=6)
    expected = ai.monitor(frame, time="month", selected="selected", sensitive_features="sex")
    result = ai.monitor(
        str(tmp_path / "**" / "*.parquet"),
        time="month",
        selected="selected",
        sensitive_features="sex",
    )
    pd.testing.assert_frame_equal(result.table, expected.table)
    assert result.periods == [f"2025-0{m}" for m in range(1, 7)]


def test_a_glob_matching_nothing_is_an_input_error(tmp_path):
    with pytest.raises(ai.InputError, match="^data: the pattern .* matches no file"):
        ai.audit(str(tmp_path / "*.parquet"), selected="selected", sensitive_features="sex")
    with pytest.raises(ai.InputError, match="^data: the directory .* holds no .parquet"):
        ai.audit(str(tmp_path), selected="selected", sensitive_features="sex")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ai.InputError, match="is not a Parquet file"):
        ai.audit(str(tmp_path / "*.csv"), selected="selected", sensitive_features="sex")


def test_files_with_different_schemas_are_refused_with_the_difference(tmp_path):
    pd.DataFrame({"sex": ["F", "M"], "selected": [1, 0]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"sex": ["F", "M"], "selected": ["yes", "no"]}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(
        ai.InputError,
        match=r"different schemas: .*b\.parquet.*types differ "
        r"for selected \(integer vs string\)",
    ):
        ai.audit(str(tmp_path / "*.parquet"), selected="selected", sensitive_features="sex")
    pd.DataFrame({"sex": ["F"], "chosen": [1]}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ai.InputError, match=r"missing \['selected'\]; extra \['chosen'\]"):
        ai.audit(str(tmp_path / "*.parquet"), selected="selected", sensitive_features="sex")


def test_unparseable_times_in_parquet_are_counted(tmp_path):
    pd.DataFrame(
        {
            "sex": ["F", "M"] * 3,
            "selected": [1, 0, 1, 1, 0, 1],
            "t": ["2025-01-02", "2025-01-09", "soon", None, "2025-02-01", "2025-02-03"],
        }
    ).to_parquet(tmp_path / "a.parquet")
    result = ai.monitor(
        str(tmp_path / "a.parquet"), time="t", selected="selected", sensitive_features="sex"
    )
    assert (result.n_unparseable_time, result.n_missing_time) == (1, 1)
    assert result.table["n"].sum() == 4


def test_cli_audits_a_glob_and_logs_it(tmp_path, capsys):
    _monthly_files(tmp_path / "data")
    log = tmp_path / "audits.db"
    code = main(
        [
            "audit",
            str(tmp_path / "data" / "*" / "*.parquet"),
            "--selected",
            "selected",
            "--group",
            "sex",
            "--log",
            str(log),
            "--log-label",
            "q1",
            "--model-version",
            "2.0",
            "--format",
            "json",
            "--fail-under",
            "0.1",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n_total"] == 2000
    assert "logged entry 1" in captured.err
    assert main(["history", str(log), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["label"], r["model_version"], r["n_total"]) for r in records] == [
        ("q1", "2.0", 2000)
    ]
    assert main(["history", str(log)]) == 0
    assert "q1" in capsys.readouterr().out
    assert main(["history", str(tmp_path / "missing.db")]) == 2
    assert (
        main(
            ["audit", str(tmp_path / "none-*.parquet"), "--selected", "selected", "--group", "sex"]
        )
        == 2
    )
    assert "matches no file" in capsys.readouterr().err


def test_cli_monitor_exits_1_on_a_four_fifths_alert_and_logs(tmp_path, capsys):
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame(
        {
            "sex": np.tile(["F", "M"], n // 2),
            "month": np.repeat(pd.date_range("2025-01-01", periods=8, freq="MS"), n // 8),
        }
    )
    frame["selected"] = (rng.random(n) < np.where(frame["sex"] == "F", 0.12, 0.30)).astype(int)
    frame.to_csv(tmp_path / "decisions.csv", index=False)
    log = tmp_path / "audits.db"
    code = main(
        [
            "monitor",
            str(tmp_path / "decisions.csv"),
            "--time",
            "month",
            "--selected",
            "selected",
            "--group",
            "sex",
            "--log",
            str(log),
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and {a["alert"] for a in report["alerts"]} == {
        "below_four_fifths",
        "below_one",
    }
    assert ai.AuditLog(log).history()["kind"].tolist() == ["monitor"]
    assert (
        main(
            [
                "monitor",
                str(tmp_path / "decisions.csv"),
                "--time",
                "month",
                "--selected",
                "selected",
                "--group",
                "sex",
                "--fail-on",
                "never",
            ]
        )
        == 0
    )
    assert "wholly below 0.8" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1, 0, 2, 1], "must hold 0/1"),
        ([1, 0, -1, 1], "must hold 0/1"),
        ([1, 0, None, 1], "1 value.s. are missing"),
    ],
)
def test_integer_decisions_are_checked_by_aggregates_on_every_lazy_engine(values, message):
    # Integer decisions are validated by count/min/max riding on the group-by.
    frame = pl.DataFrame(
        {"g": ["a", "b", "a", "b"], "s": values}, schema={"g": pl.String, "s": pl.Int64}
    )
    for data in (frame.lazy(), duckdb.sql("SELECT * FROM frame"), frame.to_arrow()):
        with pytest.raises(ai.InputError, match=f"^selected: {message}"):
            ai.audit(data, selected="s", sensitive_features="g")


def test_storage_differences_between_writers_are_not_schema_changes(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "sex": pa.array(["F", "M"]).dictionary_encode(),
                "selected": pa.array([1, 0], pa.int8()),
            }
        ),
        tmp_path / "a.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "sex": pa.array(["F", "M"], pa.large_string()),
                "selected": pa.array([1, 1], pa.int64()),
            }
        ),
        tmp_path / "b.parquet",
    )
    result = ai.audit(str(tmp_path / "*.parquet"), selected="selected", sensitive_features="sex")
    assert result.table["n"].tolist() == [2, 2]


def test_a_damaged_parquet_file_is_named(tmp_path):
    pd.DataFrame({"sex": ["F", "M"], "selected": [1, 0]}).to_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(ai.InputError, match=r"^data: cannot read the Parquet metadata of .*b\."):
        ai.audit(str(tmp_path / "*.parquet"), selected="selected", sensitive_features="sex")


def test_without_duckdb_the_files_stream_through_polars(tmp_path, monkeypatch):
    import sys

    frame = _monthly_files(tmp_path, months=2)
    monkeypatch.setitem(sys.modules, "duckdb", None)
    result = ai.audit(
        str(tmp_path / "**" / "*.parquet"), selected="selected", sensitive_features=["sex", "race"]
    )
    expected = ai.audit(frame, selected="selected", sensitive_features=["sex", "race"])
    pd.testing.assert_frame_equal(result.table, expected.table, check_dtype=False)
    watched = ai.monitor(
        str(tmp_path / "**" / "*.parquet"),
        time="month",
        selected="selected",
        sensitive_features="sex",
    )
    assert watched.periods == ["2025-01", "2025-02"]
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ai.InputError, match=r"needs DuckDB or polars.*adverse-impact\[duckdb\]"):
        ai.audit(str(tmp_path / "**" / "*.parquet"), selected="selected", sensitive_features="sex")
