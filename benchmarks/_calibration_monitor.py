"""Calibration of ``monitor``'s alerts, registered with :mod:`_calibration`.

The simulation is ``benchmarks/calibration_monitor.py`` (monthly counts run through
``_monitor._look``, the code ``ai.monitor`` runs after counting); this module turns
each of its designs into a scenario of the one calibration table:

* false alarm: any alert (below 1 or below 0.8, cumulative or change detector, any
  group and attribute) within 36 months when no ratio changes; on the designs held
  steadily at ratio 0.85 or 0.80, the four-fifths alert (a below-1 alert is true
  there). The guarantee ``monitor`` states is alpha over 36 months.
* power: the four-fifths alert within 6 months of a change to impact ratio 0.7 at
  month 9, at reference rates of 10% to 50%; beside it the cumulative sequences
  alone (the detector before the change detector existed), reported. The issue's
  acceptance (80% within 6 months) is stated on its own example, 1,500 a group a
  month at a 30% reference rate; the other rates draw the power curve.
"""

from __future__ import annotations

import calibration_monitor as simulation
import numpy as np
from _calibration import Estimate, Scenario, estimates, verdict

#: The issue's acceptance: the four-fifths alert within 6 months in 80% of runs.
TARGET = 0.80
#: The design the acceptance is stated on (the issue's example: 0.30 against 0.21).
TARGET_RATE = 0.30

FALSE_ALARM = "any alert within 36 months"
FOUR_FIFTHS_FALSE = "four-fifths alert within 36 months"
POWER = "four-fifths alert within 6 months of the change"
CUMULATIVE = "cumulative sequences only: four-fifths alert within 6 months"


def _scenario(design: simulation.Design) -> Scenario:
    kind = "false alarm" if design.what == "false_alarm" else "power"
    return Scenario(design.name, design.name, kind, {"design": design})


SCENARIOS = tuple(_scenario(d) for d in simulation.designs())


@verdict(
    "monitor",
    designs=SCENARIOS,
    quick=tuple(
        s
        for s in SCENARIOS
        if s.name.startswith(
            ("2 groups x 1,500 a month, rate 0.30", "2 groups x 1,500 a month, rate 0.50")
        )
    ),
)
def monitor(scenario: Scenario, n_runs: int, seed: int) -> list[Estimate]:
    design: simulation.Design = scenario.options["design"]
    first = simulation.simulate(design, n_runs, seed)
    if design.what == "false_alarm":
        rule = FALSE_ALARM if design.null_alert == "any" else FOUR_FIFTHS_FALSE
        hits = {rule: int(np.isfinite(first[design.null_alert].to_numpy()).sum())}
        return estimates("monitor", scenario, hits, n_runs)
    by = design.change_month + design.within - 1
    hits = {
        POWER: int((first["four_fifths"].to_numpy() <= by).sum()),
        CUMULATIVE: int((first["four_fifths_cumulative"].to_numpy() <= by).sum()),
    }
    on_target = (
        abs(design.rates[-1] - TARGET_RATE) < 1e-9
        and design.per_cell == [1500, 1500]
        and design.change_ratio == 0.7
    )
    return estimates(
        "monitor",
        scenario,
        hits,
        n_runs,
        reported=[CUMULATIVE],
        targets={POWER: TARGET} if on_target else None,
    )
