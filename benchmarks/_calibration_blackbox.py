"""Calibration of the black-box verdicts, registered with :mod:`_calibration`.

The simulations are ``benchmarks/calibration_blackbox.py``'s (a fair noisy scorer
of resumes that differ only in a name; a random ranker of eight candidates); this
module registers them as two families of the one calibration table:

``paired``
    ``paired_test``: "N group(s) differ" with ``reference="highest"`` and with a
    named reference, and any name flagged below its group.
``rankings``
    ``audit_rankings``: ``passes(rule="significance")``, and, with ``by=`` and a
    group absent from one experiment, any pairwise comparison of that experiment
    significant after Holm.

Each verdict is a false-alarm scenario (fair scorer or ranker, held to
alpha + 3 SE) and a power scenario (the disparity the script states, reported).
"""

from __future__ import annotations

import functools

import calibration_blackbox as simulation
import numpy as np
from _calibration import Estimate, Scenario, estimates, verdict

#: verdict key in the script -> (family, rule as the table shows it)
RULES = {
    "paired_differ_highest": ("paired", "N differ > 0 (reference='highest')"),
    "paired_differ_fixed": ("paired", "N differ > 0 (named reference)"),
    "paired_names_below": ("paired", "any name below its group (BH)"),
    "rankings_significance": ("rankings", "passes(rule='significance') False"),
    "rankings_by_absent": ("rankings", "by=, group absent: any pair differs (Holm)"),
}


def _scenarios(family: str) -> tuple[Scenario, ...]:
    out = []
    for key, (owner, _) in RULES.items():
        if owner != family:
            continue
        description, _ = simulation.DESIGNS[key]
        fair, _, biased = description.partition("; power: ")
        for kind in ("false alarm", "power"):
            text = fair if kind == "false alarm" else f"{fair}; {biased}"
            suffix = "" if kind == "false alarm" else ", power"
            out.append(Scenario(f"{key}{suffix}", text, kind, {"key": key}))
    return tuple(out)


@functools.cache
def _names():
    from adverse_impact.datasets import load_names

    return load_names()


def _run(family: str, scenario: Scenario, n_runs: int, seed: int) -> list[Estimate]:
    key = scenario.options["key"]
    _, function = simulation.DESIGNS[key]
    power = scenario.kind == "power"
    rng = np.random.default_rng(seed)
    names = _names()
    hits = sum(bool(function(rng, names, power)) for _ in range(n_runs))
    return estimates(family, scenario, {RULES[key][1]: hits}, n_runs)


PAIRED = _scenarios("paired")
RANKINGS = _scenarios("rankings")


@verdict("paired", designs=PAIRED, quick=PAIRED[:1] + PAIRED[2:3])
def paired(scenario: Scenario, n_runs: int, seed: int) -> list[Estimate]:
    return _run("paired", scenario, n_runs, seed)


@verdict("rankings", designs=RANKINGS, quick=RANKINGS[:1])
def rankings(scenario: Scenario, n_runs: int, seed: int) -> list[Estimate]:
    return _run("rankings", scenario, n_runs, seed)
