"""The calibration suite's framework: registry, estimates, the acceptance bound, the table."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def calibration():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _calibration
        import calibration as script

        script.load()
        yield _calibration
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_every_family_is_registered_with_designs(calibration):
    # Every verdict of issue 24 in the one table: the gate's, the CLI's, the monitor's
    # alerts, paired and ranking "differ" counts, the proxy and counterfactual gates.
    assert set(calibration.VERDICTS) == {
        "family",
        "gate",
        "cli",
        "monitor",
        "paired",
        "rankings",
        "proxies",
    }
    for entry in calibration.VERDICTS.values():
        assert entry.designs and entry.quick_designs


def test_the_bound_uses_the_standard_error_of_a_correct_test(calibration):
    design = calibration.Design("d", (("g", (1, 1)),), n=100, rate=0.2)
    [e] = calibration.estimates("v", design, {"rule": 0}, 1_000)
    assert e.rate == 0 and e.se == 0
    assert e.bound == pytest.approx(0.05 + 3 * math.sqrt(0.05 * 0.95 / 1_000))
    assert e.ok is True
    [high] = calibration.estimates("v", design, {"rule": 80}, 1_000)
    assert high.ok is False
    [reported] = calibration.estimates("v", design, {"r": 900}, 1_000, reported=["r"])
    assert reported.ok is None and reported.bound is None


def test_power_is_held_against_holm_on_the_same_runs(calibration):
    design = calibration.Design("d", (("g", (1, 1)),), n=100, rate=0.2, impact=("g", 0, 0.7))
    [e] = calibration.estimates("v", design, {"rule": 400}, 1_000, holm={"rule": 420})
    assert e.kind == "power" and e.ok is False
    [e] = calibration.estimates("v", design, {"rule": 430}, 1_000, holm={"rule": 420})
    assert e.ok is True


def test_a_quick_seeded_run_is_reproducible_and_writes_a_table(calibration, tmp_path):
    first = calibration.run(["family"], n_runs=30, quick=True, checkpoint=tmp_path / "p.jsonl")
    again = calibration.run(["family"], n_runs=30, quick=True)
    assert [e.hits for e in first] == [e.hits for e in again]
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == len(first)
    path = calibration.write(first, "test", tmp_path, docs=False)
    text = path.read_text()
    assert "| family | maxT step-down | sex x race | false alarm | 30 |" in text


def test_a_stated_power_target_decides_a_power_row(calibration):
    scenario = calibration.Scenario("s", "a change", "power")
    [low] = calibration.estimates("v", scenario, {"r": 700}, 1_000, targets={"r": 0.8})
    [high] = calibration.estimates("v", scenario, {"r": 850}, 1_000, targets={"r": 0.8})
    [untargeted] = calibration.estimates("v", scenario, {"r": 100}, 1_000)
    assert (low.ok, high.ok, untargeted.ok) == (False, True, None)
    assert calibration.Estimate.from_dict(high.to_dict()) == high


def test_combine_joins_earlier_runs_and_later_rows_replace_earlier(calibration, tmp_path):
    design = calibration.Scenario("s", "fair", "false alarm")
    old = calibration.estimates("v", design, {"a": 10, "b": 20}, 1_000)
    path = calibration.write(old, "first", tmp_path, docs=False, stem="first")
    new = calibration.estimates("v", design, {"b": 30}, 1_000)
    merged = calibration.combine([path.with_suffix(".json")], new)
    assert {(e.rule, e.hits) for e in merged} == {("a", 10), ("b", 30)}
    # A stopped run's checkpoint (one estimate a line) joins the same way.
    checkpoint = tmp_path / "stopped.jsonl"
    checkpoint.write_text(json.dumps(new[0].to_dict()) + "\n")
    merged = calibration.combine([path.with_suffix(".json"), checkpoint])
    assert {(e.rule, e.hits) for e in merged} == {("a", 10), ("b", 30)}


@pytest.mark.parametrize("family", ["monitor", "paired", "rankings"])
def test_quick_seeded_runs_of_the_monitor_and_black_box_families(calibration, family):
    # 30 seeded runs of each quick design (a few seconds). Tolerances: a false-alarm
    # rate at most alpha + 3 SE of 30 runs (17.0%): the benchmark measures 0.2% to 5%
    # on 1,000 runs; the monitor's power at a 50% reference rate is 99.9% there.
    found = calibration.run([family], n_runs=30, quick=True, seed=11)
    assert found and all(e.verdict == family for e in found)
    for e in found:
        if e.kind == "false alarm":
            assert e.ok is True, e
    if family == "monitor":
        [strong] = [
            e
            for e in found
            if "rate 0.50" in e.design and e.rule.startswith("four-fifths alert within 6")
        ]
        assert strong.rate >= 0.9
        assert any(e.target == 0.8 for e in found)


def test_the_script_rebuilds_the_table_from_earlier_runs_alone(calibration, tmp_path):
    import calibration as script

    design = calibration.Scenario("s", "fair", "false alarm")
    path = calibration.write(
        calibration.estimates("monitor", design, {"a": 10}, 1_000), "x", tmp_path, docs=False
    )
    out = tmp_path / "out"
    status = script.main(
        ["--only", "none", "--combine", str(path.with_suffix(".json")), "--out", str(out)]
        + ["--no-docs", "--note", "Fewer runs than the full benchmark."]
    )
    assert status == 0
    [written] = out.glob("*-calibration.md")
    text = written.read_text()
    assert "Fewer runs than the full benchmark." in text and "| monitor | a | s |" in text
    # Each joined row names the run it comes from.
    assert f"- [1] `{path.with_suffix('.json').name}`" in text and "| yes | [1] |" in text


def test_the_gate_and_cli_families_run_the_audit_as_users_call_it(calibration):
    # A smoke run (3 runs a quick design): the simulated data reach ai.audit and the
    # command line with today's argument names (sensitive_features=, --group).
    found = calibration.run(["gate", "cli"], n_runs=3, quick=True, seed=5)
    assert {e.verdict for e in found} == {"gate", "cli"}
    assert all(e.n_runs == 3 for e in found if e.verdict == "cli")
