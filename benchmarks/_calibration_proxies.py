"""Calibration of the proxy and counterfactual gates, registered with :mod:`_calibration`.

The simulation is ``benchmarks/calibration_proxies.py``: each run draws a hiring
history from ``make_resumes``, trains the case study's model on it and runs
``assert_no_proxy_leakage`` and ``assert_counterfactual_invariance`` with their
defaults on new applicants. A fair history measures the false-alarm rate (held to
alpha + 3 SE: a gate that fails fair models gets switched off like any other), the
case study's biased history the power. A run trains a model (1 to 4 seconds), so
the designs cap their runs (``max_runs``): 200 per fair design, 50 per biased one,
whose power is near 1. ``python benchmarks/calibration_proxies.py`` also writes
the noise floor (quantiles of each gate's statistic) from the same kind of runs.
"""

from __future__ import annotations

import calibration_proxies as simulation
from _calibration import Estimate, Scenario, estimates, verdict

LEAKAGE = "assert_no_proxy_leakage (defaults)"
COUNTERFACTUAL = "assert_counterfactual_invariance (defaults)"

#: Runs per design at most: the fair designs' false-alarm rates, the biased ones' power.
FAIR_RUNS, BIASED_RUNS = 200, 50


def _scenarios() -> tuple[Scenario, ...]:
    out = []
    for n_samples in simulation.SIZES:
        for history, bias in simulation.HISTORIES.items():
            kind = "false alarm" if bias == 0 else "power"
            text = (
                f"{history} (history_bias={bias:g}), {n_samples:,} resumes, "
                f"{n_samples // 2:,} applicants; TF-IDF + logistic regression"
            )
            out.append(
                Scenario(
                    f"{history}, {n_samples:,}",
                    text,
                    kind,
                    {
                        "n_samples": n_samples,
                        "bias": bias,
                        "max_runs": FAIR_RUNS if bias == 0 else BIASED_RUNS,
                    },
                )
            )
    return tuple(out)


SCENARIOS = _scenarios()


@verdict("proxies", designs=SCENARIOS, quick=SCENARIOS[:1])
def proxies(scenario: Scenario, n_runs: int, seed: int) -> list[Estimate]:
    hits = {LEAKAGE: 0, COUNTERFACTUAL: 0}
    for i in range(n_runs):
        run = simulation.simulate(scenario.options["n_samples"], scenario.options["bias"], seed + i)
        hits[LEAKAGE] += bool(run["leakage_failed"])
        hits[COUNTERFACTUAL] += bool(run["counterfactual_failed"])
    return estimates("proxies", scenario, hits, n_runs)
