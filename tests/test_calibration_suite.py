"""The calibration suite's framework: registry, estimates, the acceptance bound, the table."""

from __future__ import annotations

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
    assert {"family", "gate", "cli"} <= set(calibration.VERDICTS)
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
