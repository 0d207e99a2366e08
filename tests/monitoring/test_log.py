"""The audit log: round trips, append-only, concurrent writers, crashes, newer files."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._monitoring._log import SCHEMA_VERSION
from adverse_impact._publish._report import fingerprint

SRC = str(Path(ai.__file__).resolve().parents[1])


def _result(seed: int = 0, n: int = 400, **kwargs) -> ai.AuditResult:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["A", "B", "C"], n),
            "site": rng.choice(["x", "y"], n),
        }
    )
    data["selected"] = (rng.random(n) < np.where(data["sex"] == "F", 0.2, 0.3)).astype(int)
    return ai.audit(data, selected="selected", sensitive_features=["sex", "race"], **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"min_share": 0.2}, {"comparison": "rest"}])
def test_get_returns_the_result_that_was_added(tmp_path, kwargs):
    log = ai.AuditLog(tmp_path / "audits.db")
    result = _result(**kwargs)
    entry = log.add(result, label="q1", model_version="1.0")
    again = log.get(entry)
    assert again.to_dict() == result.to_dict()
    assert again.exact_ratios == result.exact_ratios
    assert fingerprint(again) == fingerprint(result)
    assert again.passes() == result.passes() and again.passes(alpha=0.05) == result.passes(
        alpha=0.05
    )
    pd.testing.assert_frame_equal(again.table, result.table, check_dtype=False)


def test_weighted_strata_and_monitor_results_round_trip(tmp_path):
    log = ai.AuditLog(tmp_path / "audits.db")
    weighted = ai.audit(
        selected=[1, 0, 1, 1, 0, 1],
        sensitive_features={"sex": list("FFFMMM")},
        sample_weight=[0.5, 1.5, 1.0, 2.0, 1.0, 0.25],
    )
    assert log.get(log.add(weighted)).exact_ratios == weighted.exact_ratios
    months = np.repeat(pd.date_range("2025-01-01", periods=4, freq="MS"), 100)
    sex = np.tile(["F", "M"], 200)
    chosen = np.random.default_rng(1).random(400) < 0.3
    watched = ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex})
    again = log.get(log.add(watched, label="monthly"))
    assert isinstance(again, ai.MonitorResult)
    assert again.to_dict() == watched.to_dict()
    assert log.history(kind="monitor")["fingerprint"].item() == watched.fingerprint()


def test_model_audits_with_error_rates_and_strata_round_trip(tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (X["a"] + rng.normal(size=n) > 0).astype(int)
    sex = pd.Series(rng.choice(["F", "M"], n), name="sex")
    model = LogisticRegression().fit(X, y)
    log = ai.AuditLog(tmp_path / "audits.db")
    scored = ai.audit_model(model, X, sex, threshold=0.5, y_true=y)
    again = log.get(log.add(scored))
    assert again.to_dict() == scored.to_dict() and again.error_rates is not None
    data = pd.DataFrame(
        {"sex": sex, "site": rng.choice(["x", "y"], n), "selected": rng.integers(0, 2, n)}
    )
    pooled = ai.audit(data, selected="selected", sensitive_features="sex", strata="site")
    again = log.get(log.add(pooled))
    assert again.to_dict() == pooled.to_dict() and fingerprint(again) == fingerprint(pooled)


def test_history_has_the_documented_figures_and_filters(tmp_path):
    log = ai.AuditLog(tmp_path / "audits.db")
    first = _result(0)
    log.add(first, label="a", model_version="1")
    log.add(_result(1), label="b", model_version="2")
    history = log.history()
    assert history.columns.tolist() == [
        "id",
        "recorded_at",
        "library_version",
        "kind",
        "label",
        "model_version",
        "fingerprint",
        "n_total",
        "n_groups",
        "n_below_four_fifths",
        "min_impact_ratio",
        "passes",
        "rule",
        "verdict",
    ]
    row = history.iloc[0]
    assert row["library_version"] == ai.__version__ and row["n_total"] == 400
    assert row["min_impact_ratio"] == pytest.approx(
        min(float(r) for r in first.exact_ratios if r is not None)
    )
    assert row["passes"] == first.passes()
    assert row["rule"] == "four_fifths" and row["verdict"] == first.gate().describe()
    assert log.history(label="b")["model_version"].tolist() == ["2"]
    assert log.history(since="2999-01-01").empty
    assert len(log) == 2 and "2 entries" in repr(log)


def test_entries_cannot_be_changed_or_deleted(tmp_path):
    log = ai.AuditLog(tmp_path / "audits.db")
    log.add(_result())
    db = sqlite3.connect(tmp_path / "audits.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audits SET label = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audits")
    db.close()


def test_no_row_of_data_is_stored(tmp_path):
    n = 500
    data = pd.DataFrame(
        {
            "applicant": [f"ID-{i:05d}" for i in range(n)],
            "sex": ["F", "M"] * (n // 2),
            "selected": [1, 0, 0, 1, 1] * (n // 5),
        }
    )
    log = ai.AuditLog(tmp_path / "audits.db")
    log.add(ai.audit(data, selected="selected", sensitive_features="sex"))
    raw = (tmp_path / "audits.db").read_bytes()
    assert b"ID-00" not in raw
    stored = json.loads(
        sqlite3.connect(tmp_path / "audits.db").execute("SELECT result FROM audits").fetchone()[0]
    )
    assert len(stored["counts"]["cells"]) == 2  # two groups, not 500 rows


def _add_many(path: str, seed: int, count: int) -> None:
    log = ai.AuditLog(path)
    result = _result(seed, n=60)
    for i in range(count):
        log.add(result, label=f"writer-{seed}", model_version=str(i))


def test_two_processes_adding_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "audits.db")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_many, args=(path, seed, 25)) for seed in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    log = ai.AuditLog(path)
    history = log.history()
    assert len(history) == 50 and history["id"].is_unique
    for seed in (1, 2):
        mine = history[history["label"] == f"writer-{seed}"]
        assert sorted(mine["model_version"].astype(int)) == list(range(25))
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_CRASHING_WRITER = """
import sqlite3, sys, time
import adverse_impact as ai
path = sys.argv[1]
log = ai.AuditLog(path)
log.add(ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]}), label="kept")
db = sqlite3.connect(path, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO audits (recorded_at, library_version, kind, parameters, fingerprint,"
           " n_total, n_groups, n_below_four_fifths, passes, result) VALUES"
           " ('t', 'v', 'audit', '{}', 'f', 1, 1, 0, 1, '" + "x" * 200000 + "')")
print("ready", flush=True)
time.sleep(60)
"""


def test_a_crash_mid_write_leaves_the_log_readable(tmp_path):
    path = str(tmp_path / "audits.db")
    env = {**os.environ, "PYTHONPATH": SRC}
    writer = subprocess.Popen(
        [sys.executable, "-c", _CRASHING_WRITER, path], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    log = ai.AuditLog(path)  # the hot journal is rolled back on open
    history = log.history()
    assert history["label"].tolist() == ["kept"]
    assert log.get(int(history["id"].iloc[0])).passes() is False
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    log.add(_result(), label="after")
    assert len(log) == 2


def test_killing_a_busy_writer_keeps_every_committed_entry(tmp_path):
    path = str(tmp_path / "audits.db")
    script = (
        "import sys, adverse_impact as ai\n"
        "log = ai.AuditLog(sys.argv[1])\n"
        "r = ai.audit(selected=[1, 0, 1, 1], sensitive_features={'sex': ['F', 'F', 'M', 'M']})\n"
        "while True:\n    log.add(r, label='loop')\n    print('added', flush=True)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, path],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # Killed while it is writing: after 20 committed entries, not after a sleep.
        for _ in range(20):
            assert writer.stdout.readline().strip() == "added"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    log = ai.AuditLog(path)
    history = log.history()
    assert len(history) >= 20  # every entry it reported as added is there
    for entry in history["id"]:
        assert log.get(int(entry)).exact_ratios[0] == 0.5
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "audits.db"
    ai.AuditLog(path).add(_result())
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ai.InputError, match="newer adverse-impact.*Upgrade"):
        ai.AuditLog(path)


def test_other_files_are_refused(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text " * 50)
    with pytest.raises(ai.InputError, match="^path:.*not a readable SQLite"):
        ai.AuditLog(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ai.InputError, match="not an adverse-impact audit log"):
        ai.AuditLog(other)
    with pytest.raises(ai.InputError, match="^id:"):
        ai.AuditLog(tmp_path / "new.db").get(7)
    with pytest.raises(ai.InputTypeError, match="^result:"):
        ai.AuditLog(tmp_path / "new.db").add("not a result")


def test_the_log_records_the_verdict_the_gate_gave_with_rule_family_and_correction(tmp_path):
    # Issue 24: a gate under "both" passed while the log said passes=False under
    # four-fifths. The entry now holds the verdict that was given.
    small = ai.audit(
        selected=[1] * 2 + [0] * 8 + [1] * 5 + [0] * 5,
        sensitive_features={"sex": ["F"] * 10 + ["M"] * 10},
    )
    verdict = small.gate(alpha=0.05)
    assert verdict.passes and not small.passes()  # below 4/5, not significant
    log = ai.AuditLog(tmp_path / "audits.db")
    log.add(small, label="gate", verdict=verdict)
    row = log.history().iloc[0]
    assert bool(row["passes"]) is True and row["rule"] == "both"
    assert "Westfall-Young maxT" in row["verdict"] and "1 comparison (sex)" in row["verdict"]


def test_an_audit_no_gate_can_judge_is_logged_as_not_passing_with_the_reason(tmp_path):
    nobody = ai.audit(selected=[0] * 8, sensitive_features={"sex": ["F", "M"] * 4})
    log = ai.AuditLog(tmp_path / "audits.db")
    log.add(nobody)
    row = log.history().iloc[0]
    assert not row["passes"] and row["verdict"].startswith("not judged: selected: no one")


def test_a_schema_1_log_gains_the_verdict_columns_and_keeps_its_entries(tmp_path):
    import sqlite3

    from adverse_impact._monitoring import _log

    path = tmp_path / "old.db"
    old_schema = _log.SCHEMA.replace(
        """    result TEXT NOT NULL,               -- JSON: to_dict() plus the per-group counts
    rule TEXT,                          -- the gate's rule: four_fifths, significance, both, either
    verdict TEXT                        -- the verdict in words: rule, family, correction
""",
        "    result TEXT NOT NULL\n",
    )
    assert "verdict TEXT" not in old_schema
    db = sqlite3.connect(path)
    for statement in old_schema.split("\n--\n"):
        db.execute(statement)
    db.execute(f"PRAGMA application_id = {_log.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    log = ai.AuditLog(path)
    log.add(_result(0), label="after")
    assert log.history()["label"].tolist() == ["after"]


def _below_one_only_monitor():
    # Women at 0.9 of the men's rate, 3,000 a sex a month: below 1 is shown within a
    # few months, below four-fifths never (the ratio is 0.9).
    rng = np.random.default_rng(5)
    months = np.repeat(pd.date_range("2025-01-01", periods=12, freq="MS"), 6000)
    sex = np.tile(["F", "M"], 36000)
    chosen = rng.random(72000) < np.where(sex == "F", 0.27, 0.30)
    return ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex})


def test_a_monitor_entry_records_its_verdict_with_rule_family_and_correction(tmp_path):
    # Issue 24, item 4 for monitors: the entry said passes=False on any alert, with no
    # rule and no verdict, while the monitor's gate (four-fifths, the CLI's default)
    # passed: a below-1 alert is not a four-fifths failure.
    watched = _below_one_only_monitor()
    assert not watched.alerts.empty and watched.passes()
    log = ai.AuditLog(tmp_path / "audits.db")
    log.add(watched, label="monthly")
    row = log.history(kind="monitor").iloc[0]
    assert bool(row["passes"]) is True and row["rule"] == "four_fifths"
    text = row["verdict"]
    assert text.startswith("passes")
    assert "1 comparison (sex)" in text  # the family
    assert "Bonferroni" in text  # the correction
    assert "within 36 months is at most 0.05" in text  # the guarantee it holds
