"""The shipped Census tables, read once and turned into BISG's two conditionals.

Two tables feed BISG (Elliott et al. 2009; CFPB 2014):

* ``P(race | surname)`` from the Census surname lists, with the cells the
  Census suppressed ("(S)", counts of 1 to 4) filled as the CFPB's
  ``surname_creation_lower.do`` fills them: the share the printed cells leave
  (100 minus their sum) split equally among the suppressed ones;
* ``P(ZCTA | race)`` from adult (18+) counts per ZIP Code Tabulation Area,
  adjusted as the CFPB's ``create_attr_over18_all_geo_entities.do`` does:
  the non-Hispanic "some other race alone" adults are handed to the five
  non-Hispanic categories in proportion to their counts (all five equally
  where there is no one else), then each category's count is divided by its
  national total.

The files hold the sources' own integers (see ``data/PROVENANCE.md`` and
``scripts/build_bisg_data.py``); everything derived is computed here, in
float64, once per process.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["CATEGORIES", "LABELS", "SurnameTable", "ZctaTable", "surname_table", "zcta_table"]

#: Column names of the six categories, in the order every array here uses.
CATEGORIES = ("white", "black", "api", "aian", "multiracial", "hispanic")

#: What each column means (the Census surname list's and the CFPB's definitions).
LABELS = {
    "white": "White (non-Hispanic)",
    "black": "Black (non-Hispanic)",
    "api": "Asian/Pacific Islander (non-Hispanic)",
    "aian": "American Indian/Alaska Native (non-Hispanic)",
    "multiracial": "Multiracial/other (non-Hispanic)",
    "hispanic": "Hispanic",
}

SURNAME_LISTS = ("2010", "2000", "2010+2000")
ZCTA_YEARS = ("2010", "2020")


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class SurnameTable:
    """P(race | surname) for every listed surname (upper case), and the residual row."""

    index: pd.Index  # surname -> row
    probabilities: np.ndarray  # (n_names, 6) float64, rows sum to 1
    count: np.ndarray  # (n_names,) people with the surname in that census
    source: np.ndarray  # (n_names,) the list each row came from, e.g. "2010"
    all_other: np.ndarray | None  # the "ALL OTHER NAMES" shares, or None (the 2000 list)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ZctaTable:
    """Adult counts per ZCTA after the CFPB's adjustment, and the two conditionals."""

    index: pd.Index  # ZCTA as int -> row
    counts: np.ndarray  # (n_zcta, 6) float64 adults per category after step 3
    given_race: np.ndarray  # (n_zcta, 6) P(this ZCTA | race)
    national: np.ndarray  # (6,) national adult shares (the ZCTAs' totals)


def _load(name: str) -> dict[str, np.ndarray]:
    with resources.files("adverse_impact._bisg").joinpath("data", name).open("rb") as handle:
        with np.load(handle) as npz:
            return {key: npz[key] for key in npz.files}


def fill_suppressed(pct: np.ndarray) -> np.ndarray:
    """Percentages in hundredths (-1 = "(S)") to proportions, suppressed cells filled.

    The CFPB fills each row's suppressed cells with an equal share of what
    the printed cells leave: ``(1 - sum of printed) / number suppressed``.
    A row with nothing suppressed is the printed percentages over 100, as
    printed (they need not sum to exactly 1 after the Census's rounding).

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._bisg._tables import fill_suppressed
    >>> # AAB on the 2010 list: 87.97, (S), (S), 0, 6.77, (S)
    >>> fill_suppressed(np.array([[8797, -1, -1, 0, 677, -1]])).round(6).tolist()
    [[0.8797, 0.017533, 0.017533, 0.0, 0.0677, 0.017533]]
    """
    suppressed = pct < 0
    shares = np.where(suppressed, 0.0, pct / 100.0) / 100.0
    n_suppressed = suppressed.sum(axis=1, keepdims=True)
    left = 1.0 - shares.sum(axis=1, keepdims=True)
    fill = np.divide(left, n_suppressed, out=np.zeros_like(left), where=n_suppressed > 0)
    return np.where(suppressed, fill, shares)


def _normalise(p: np.ndarray) -> np.ndarray:
    return p / p.sum(axis=1, keepdims=True)


def _names(arrays: dict[str, np.ndarray]) -> list[str]:
    return arrays["names"].tobytes().decode("ascii").split("\n")


@functools.cache
def surname_table(which: str) -> SurnameTable:
    """The surname table of ``which`` ("2010", "2000" or "2010+2000"), cached."""
    if which == "2010+2000":
        # The CFPB's list: every 2010 surname, and the 2000 surnames the 2010 list lacks.
        new, old = surname_table("2010"), surname_table("2000")
        extra = ~old.index.isin(new.index)
        return SurnameTable(
            index=new.index.append(old.index[extra]),
            probabilities=np.vstack([new.probabilities, old.probabilities[extra]]),
            count=np.concatenate([new.count, old.count[extra]]),
            source=np.concatenate([new.source, old.source[extra]]),
            all_other=new.all_other,
        )
    arrays = _load(f"surnames_{which}.npz")
    # The printed percentages of a row with nothing suppressed need not add up to
    # exactly 100 (each is rounded); rows are scaled to sum to 1.  BISG's own
    # normalisation makes this scaling immaterial wherever a ZCTA is used.
    probabilities = _normalise(fill_suppressed(arrays["pct"].astype(np.int64)))
    all_other = None
    if "all_other_pct" in arrays:
        other = fill_suppressed(arrays["all_other_pct"].astype(np.int64)[None, :])
        all_other = _normalise(other)[0]
    names = _names(arrays)
    return SurnameTable(
        index=pd.Index(names),
        probabilities=probabilities,
        count=arrays["count"].astype(np.int64),
        source=np.full(len(names), which, dtype=object),
        all_other=all_other,
    )


def redistribute_other(counts: np.ndarray) -> np.ndarray:
    """The CFPB's step 3: "other race alone" adults shared among the five non-Hispanic groups.

    ``counts`` has the six categories then "other" as columns.  Each
    non-Hispanic group ``x`` gains ``x / (non-Hispanic total - other) *
    other``; where the non-Hispanic adults are all "other", each of the five
    gets a fifth of them.
    """
    six, other = counts[:, :6].astype(float), counts[:, 6].astype(float)
    non_hispanic = np.delete(six, 5, axis=1)  # white, black, api, aian, multiracial
    base = non_hispanic.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        grown = non_hispanic + non_hispanic / base[:, None] * other[:, None]
    only_other = base == 0
    grown[only_other] = (other[only_other] / 5.0)[:, None]
    return np.insert(grown, 5, six[:, 5], axis=1)


@functools.cache
def zcta_table(year: str) -> ZctaTable:
    """The ZCTA table of ``year`` ("2010" or "2020"), cached."""
    arrays = _load(f"zcta_{year}.npz")
    counts = redistribute_other(arrays["counts"].astype(np.int64))
    totals = counts.sum(axis=0)
    return ZctaTable(
        index=pd.Index(arrays["zcta"].astype(np.int64)),
        counts=counts,
        given_race=counts / totals,
        national=totals / totals.sum(),
    )
