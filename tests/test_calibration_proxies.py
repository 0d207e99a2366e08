"""A quick, seeded run of the proxy and counterfactual gates' calibration (benchmarks/).

The benchmark (``python benchmarks/calibration_proxies.py``) measures, over hundreds
of fair-history and biased-history models, how often each gate fails; this test runs
the same simulation on a handful of small models and holds it to stated tolerances.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def calibration():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import calibration_proxies
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return calibration_proxies


@pytest.fixture(scope="module")
def raw(calibration):
    # 4 fair and 4 biased histories of 2,000 resumes (a few seconds), seeded.
    return calibration.runs(4, seed=7, sizes=(2_000,))


def test_quick_calibration_fair_models_pass_and_biased_models_fail(calibration, raw):
    # Tolerances: the benchmark measures false-alarm rates of 0 of 175 (leakage) and
    # 2 of 175 (counterfactual) at this size, so two or more failures among 4 fair
    # models (probability under 1% at a 5% rate) would mean the defaults no longer
    # sit above the noise; it measures a power of 65 of 65 and 64 of 65, so every
    # biased model fails (at 64/65, all 4 fail with probability 94%; the seed is fixed).
    table = calibration.calibration_table(raw)
    assert list(table.columns) == ["verdict", "design", "rate", "mc_se", "n_runs", "what"]
    assert set(table["what"]) == {"false_alarm", "power"} and (table["n_runs"] == 4).all()
    false_alarms = table[table["what"] == "false_alarm"]
    power = table[table["what"] == "power"]
    assert len(false_alarms) == 2 and len(power) == 2
    assert (false_alarms["rate"] <= 0.25).all(), false_alarms
    assert (false_alarms["mc_se"] >= 0).all()
    assert (power["rate"] == 1.0).all(), power


def test_noise_floor_table_has_quantiles_of_each_gate_statistic(calibration, raw):
    floor = calibration.noise_floor(raw)
    assert set(floor["statistic"]) == {"max_leakage", "max_abs_change", "flip_rate"}
    assert (floor["q95"] <= floor["max"]).all() and (floor["min"] <= floor["median"]).all()
