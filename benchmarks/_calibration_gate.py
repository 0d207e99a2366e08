"""Calibration of the release gate: every attribute and intersection against the highest rate.

Registers two verdict families with :mod:`_calibration`:

``family``
    The family test alone (``adverse_impact._stats._family``) on simulated cell counts:
    is "any adjusted p-value below alpha" an alpha-level test of the complete null?
``gate``
    The audit as a user runs it (``ai.audit`` on rows), decided by ``passes()`` under
    each rule, by ``assert_no_adverse_impact`` (the pytest plugin's assertion) and by
    the CLI's exit status, beside the old uncorrected rule and four-fifths alone.
"""

from __future__ import annotations

import numpy as np
from _calibration import ALPHA, Design, Estimate, estimates, verdict

from adverse_impact._stats._family import FamilyAttribute, shortfall_family
from adverse_impact._stats._multiplicity import adjust

SEX = ("sex", (0.5, 0.5))
RACE6 = ("race", (0.6, 0.2, 0.1, 0.06, 0.03, 0.01))


def _family_attributes(design: Design) -> list[FamilyAttribute]:
    sizes, codes = design.cell_sizes()
    out = [
        FamilyAttribute(name, code, np.ones(len(shares), dtype=bool))
        for (name, shares), code in zip(design.attributes, codes)
    ]
    if design.intersectional and len(codes) > 1:
        out.append(
            FamilyAttribute(
                " x ".join(name for name, _ in design.attributes),
                np.arange(sizes.size),
                np.ones(sizes.size, dtype=bool),
            )
        )
    return out


FAMILY_DESIGNS = (
    Design("2 groups", (("sex", (0.9, 0.1)),), n=300, rate=0.2),
    Design("10 groups", (("team", tuple(np.geomspace(1, 100, 10))),), n=10_000, rate=0.05),
    Design("sex x race", (SEX, RACE6), n=3_000, rate=0.2),
    Design("8 equal", (("group", (1,) * 8),), n=8_000, rate=0.2),
)


@verdict("family", designs=FAMILY_DESIGNS, quick=FAMILY_DESIGNS[2:3])
def family(design: Design, n_runs: int, seed: int) -> list[Estimate]:
    """The family test on cell counts: any adjusted p-value below alpha, and Holm beside it."""
    rng = np.random.default_rng(seed)
    sizes, codes = design.cell_sizes()
    attributes = _family_attributes(design)
    n_resamples = int(design.options.get("n_resamples", 999))
    probability = np.full(sizes.size, design.rate)
    if design.impact is not None:
        name, group, ratio = design.impact
        index = [a for a, _ in design.attributes].index(name)
        probability = np.where(codes[index] == group, probability * ratio, probability)
    hits = {"maxT step-down": 0}
    holm = {"maxT step-down": 0}
    for _ in range(n_runs):
        selected = rng.binomial(sizes, probability)
        test = shortfall_family(
            sizes,
            selected,
            attributes,
            n_resamples=n_resamples,
            random_state=int(rng.integers(2**62)),
        )
        hits["maxT step-down"] += test.p_value < ALPHA
        single = np.concatenate(test.p_value_single)
        holm["maxT step-down"] += np.nanmin(adjust(single, "holm"), initial=1.0) < ALPHA
    return estimates("family", design, hits, n_runs, holm=holm)
