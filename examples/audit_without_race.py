"""Auditing when race is not recorded: BISG estimates, the weighted audit's bias, the bounds.

A simulated national applicant pool of 60,000 adults in which surname and
place are independent given race (BISG's assumption), so the BISG
probabilities are calibrated: each person's race is drawn from the 2010
surname list's race totals, their surname from the list given their race,
and their ZCTA from the 2010 adult counts given their race.  Selection
depends on race alone: Black applicants are selected at 15%, White at 25%,
a true impact ratio of 0.60.

Run with ``python examples/audit_without_race.py`` (about 5 seconds).
The figures are quoted in docs/race-estimates.md.
"""

from __future__ import annotations

import numpy as np

import adverse_impact as ai
from adverse_impact._bisg._tables import CATEGORIES, surname_table, zcta_table

N = 60_000
RATES = {
    "white": 0.25,
    "black": 0.15,
    "api": 0.25,
    "aian": 0.20,
    "multiracial": 0.22,
    "hispanic": 0.20,
}


def simulate(n: int = N, seed: int = 2024):
    rng = np.random.default_rng(seed)
    names, places = surname_table("2010"), zcta_table("2010")
    people = names.count[:, None] * names.probabilities  # people per (surname, race)
    race = rng.choice(6, size=n, p=people.sum(axis=0) / people.sum())
    surname = np.empty(n, dtype=object)
    zcta = np.empty(n, dtype=np.int64)
    for k in range(6):
        rows = np.flatnonzero(race == k)
        pick = rng.choice(len(names.index), size=len(rows), p=people[:, k] / people[:, k].sum())
        surname[rows] = np.asarray(names.index)[pick]
        where = rng.choice(len(places.index), size=len(rows), p=places.given_race[:, k])
        zcta[rows] = np.asarray(places.index)[where]
    rate = np.array([RATES[c] for c in CATEGORIES])
    selected = rng.random(n) < rate[race]
    return race, surname, zcta, selected


def main() -> None:
    race, surname, zcta, selected = simulate()
    estimates = ai.impute_race(surname, zcta=[f"{z:05d}" for z in zcta])
    result = ai.audit_imputed(
        selected, estimates, reference="white", min_share=0.02, corrected=True
    )
    true_rate = {c: selected[race == k].mean() for k, c in enumerate(CATEGORIES)}
    table = result.table.set_index("group")
    black = table.loc["black"]
    print(result.summary())
    print()
    print(f"true Black/White impact ratio        {true_rate['black'] / true_rate['white']:.3f}")
    print(f"probability-weighted estimate        {black['impact_ratio']:.3f}")
    print(f"argmax (hard assignment) estimate    {black['argmax_impact_ratio']:.3f}")
    print(f"corrected (BIRDiE pooled) estimate   {black['corrected_impact_ratio']:.3f}")
    print(
        f"sharp bounds                         [{black['bound_low']:.3f}, "
        f"{black['bound_high']:.3f}]"
    )
    true_share = {c: (race == k).mean() for k, c in enumerate(CATEGORIES)}
    print(
        "shares (true vs sum of probabilities): "
        + ", ".join(f"{c} {true_share[c]:.3f}/{table.loc[c, 'share']:.3f}" for c in CATEGORIES)
    )


if __name__ == "__main__":
    main()
