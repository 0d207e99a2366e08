"""Auditing when race is not recorded: BISG estimates, the weighted audit's bias, the bounds.

A simulated national applicant pool of 60,000 adults in which surname and
place are independent given race (BISG's assumption), so the BISG
probabilities are calibrated: each person's race is drawn from the 2010
surname list's race totals, their surname from the list given their race,
and their ZCTA from a made-up geography given their race.  Selection
depends on race alone: Black applicants are selected at 15%, White at 25%,
a true impact ratio of 0.60.

The geography is made up (the package ships no adult counts per ZCTA; with
real data, pass the CFPB's ``zip_over18_race_dec10.dta`` as ``zcta_table``):
5,000 ZCTAs whose make-up is drawn around the surname list's national mix,
as segregated as a Dirichlet with concentration 3 makes them.

Run with ``python examples/audit_without_race.py`` (about 5 seconds).
The figures are quoted in docs/race-estimates.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import adverse_impact as ai
from adverse_impact._bisg._tables import CATEGORIES, surname_table

N = 60_000
N_ZCTA = 5_000
RATES = {
    "white": 0.25,
    "black": 0.15,
    "api": 0.25,
    "aian": 0.20,
    "multiracial": 0.22,
    "hispanic": 0.20,
}


def made_up_geography(national: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Adult counts per ZCTA in impute_race's zcta_table columns (made up)."""
    make_up = rng.dirichlet(national * 3.0, size=N_ZCTA)
    adults = rng.integers(500, 40_000, N_ZCTA)
    counts = np.rint(make_up * adults[:, None]).astype(np.int64)
    frame = pd.DataFrame(counts, columns=list(CATEGORIES))
    frame.insert(0, "zcta", [f"{z:05d}" for z in range(10_000, 10_000 + N_ZCTA)])
    return frame


def simulate(n: int = N, seed: int = 2024):
    rng = np.random.default_rng(seed)
    names = surname_table("2010")
    people = names.count[:, None] * names.probabilities  # people per (surname, race)
    national = people.sum(axis=0) / people.sum()
    geography = made_up_geography(national, rng)
    counts = geography[list(CATEGORIES)].to_numpy(dtype=float)
    given_race = counts / counts.sum(axis=0)  # P(ZCTA | race)
    race = rng.choice(6, size=n, p=national)
    surname = np.empty(n, dtype=object)
    zcta = np.empty(n, dtype=object)
    for k in range(6):
        rows = np.flatnonzero(race == k)
        pick = rng.choice(len(names.index), size=len(rows), p=people[:, k] / people[:, k].sum())
        surname[rows] = np.asarray(names.index)[pick]
        where = rng.choice(N_ZCTA, size=len(rows), p=given_race[:, k])
        zcta[rows] = geography["zcta"].to_numpy()[where]
    rate = np.array([RATES[c] for c in CATEGORIES])
    selected = rng.random(n) < rate[race]
    return race, surname, zcta, selected, geography


def main() -> None:
    race, surname, zcta, selected, geography = simulate()
    estimates = ai.impute_race(surname, zcta=zcta, zcta_table=geography)
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
