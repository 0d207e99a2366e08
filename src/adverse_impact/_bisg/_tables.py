"""The Census surname tables shipped with the package, and the user's geography table.

Two tables feed BISG (Elliott et al. 2009; CFPB 2014):

* ``P(race | surname)`` from the Census surname lists (shipped), with the
  cells the Census suppressed ("(S)", counts of 1 to 4) filled as the CFPB's
  ``surname_creation_lower.do`` fills them: the share the printed cells leave
  (100 minus their sum) split equally among the suppressed ones;
* ``P(ZCTA | race)`` from adult (18+) counts per ZIP Code Tabulation Area,
  which the user supplies (the package does not ship them): the CFPB's
  ``zip_over18_race_dec10.dta`` or ``zip_over18_race_jan20.dta``, or a
  DataFrame of counts.  The CFPB's adjustments are applied here: step 1
  (Puerto Rico dropped) and step 2 (the "some other race" combinations folded
  into the single races, Asian and Pacific Islander combined) to the CFPB's
  own columns, and step 3 of its ``create_attr_over18_all_geo_entities.do``
  to every table: the non-Hispanic "some other race alone" adults handed to
  the five non-Hispanic categories in proportion to their counts (all five
  equally where there is no one else), then each category's count divided by
  its national total.

The surname files hold the Census's own integers (see ``data/PROVENANCE.md``
and ``scripts/build_bisg_data.py``); everything derived is computed here, in
float64.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error, type_error

__all__ = [
    "CATEGORIES",
    "LABELS",
    "SurnameTable",
    "ZctaTable",
    "geography_table",
    "national_from_surnames",
    "surname_table",
]

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

#: Columns of an adult-count table in the library's own form; ``other`` (the
#: non-Hispanic "some other race alone" adults) is optional.
COUNT_COLUMNS = ("zcta", *CATEGORIES)

#: The CFPB's columns that its step 2 reads (``zip_over18_race_*.dta``).
CFPB_COLUMNS = (
    "ZCTA5",
    "Total_Pop",
    "Hispanic_Total",
    "NH_White_alone",
    "NH_Black_alone",
    "NH_AIAN_alone",
    "NH_API_alone",
    "NH_Other_alone",
    "NH_Mult_Total",
    "NH_White_Other",
    "NH_Black_Other",
    "NH_AIAN_Other",
    "NH_Asian_HPI",
    "NH_API_Other",
    "NH_Asian_HPI_Other",
)

#: Where to get the CFPB's tables: said in every error about a missing one.
WHERE_TO_GET = (
    "Download the CFPB's adult counts per ZCTA from the GitHub repository "
    "cfpb/proxy-methodology (CC0): input_files/zip_over18_race_dec10.dta (2010 census) "
    "or 2024-update/input_files/zip_over18_race_jan20.dta (2020), and pass its path, "
    "e.g. impute_race(surname, zcta=zcta, zcta_table='zip_over18_race_dec10.dta'), "
    "or a DataFrame with the columns zcta, white, black, api, aian, multiracial, "
    "hispanic (and optionally other); see the 'Race estimates' page of the documentation"
)


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
    source: str  # what the table was read from, for the result's metadata


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
def national_from_surnames(which: str) -> np.ndarray:
    """The surname list's own race shares: everyone the list counts, by category.

    What stands in for an unlisted surname when no geography table is given.
    The 2010 list's "ALL OTHER NAMES" row is included (the 2000 list has none).
    All ages, where a geography table's national shares count adults.
    """
    table = surname_table(which)
    people = table.count @ table.probabilities
    if table.all_other is not None:
        people = people + float(_load("surnames_2010.npz")["all_other_count"]) * table.all_other
    return people / people.sum()


def zcta_codes(uniques: np.ndarray) -> np.ndarray:
    """Distinct ZCTA values as integers (-1 where not a 5-digit code).

    Accepts integers (02139 stored as 2139) and text: "02139", " 2139 ",
    "02139-4307" (a ZIP+4 is cut to its first five digits).
    """
    out = np.full(len(uniques), -1, dtype=np.int64)
    if len(uniques) == 0:
        return out
    if uniques.dtype.kind == "O":
        arrow = _arrow_codes(uniques)
        if arrow is not None:
            return arrow
    if uniques.dtype.kind in "iuf":
        values = uniques.astype(float)
        ok = np.isfinite(values) & (values == np.floor(values)) & (values >= 0) & (values < 1e5)
        out[ok] = values[ok].astype(np.int64)
        return out
    text = pd.Series(uniques, dtype=object).map(
        lambda v: (
            str(int(v))
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            else (v.strip() if isinstance(v, str) else "")
        )
    )
    head = text.str.split("-", n=1).str[0]
    ok = head.str.fullmatch(r"\d{1,5}").fillna(False).to_numpy(dtype=bool)
    out[ok] = head[ok].astype(np.int64).to_numpy()
    return out


#: The characters ``str.strip`` removes from ASCII text.
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _arrow_codes(uniques: np.ndarray) -> np.ndarray | None:
    """:func:`zcta_codes` of an object array of ASCII text or of integers, in Arrow's kernels.

    The same rules as the Python path (strip, cut at the first hyphen, one to
    five digits), without a Python call per value; None when the values are
    of mixed types or not ASCII, which the Python path takes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(uniques, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if pa.types.is_integer(array.type):
        return zcta_codes(array.to_numpy(zero_copy_only=False))
    if not pa.types.is_string(array.type) or not pc.all(pc.string_is_ascii(array)).as_py():
        return None
    head = pc.list_element(
        pc.split_pattern(pc.utf8_trim(array, _ASCII_SPACE), "-", max_splits=1), 0
    )
    ok = pc.fill_null(pc.match_substring_regex(head, r"^[0-9]{1,5}$"), False)
    out = np.full(len(uniques), -1, dtype=np.int64)
    found = ok.to_numpy(zero_copy_only=False)
    out[found] = pc.cast(head.filter(ok), pa.int64()).to_numpy()
    return out


def _whole_counts(frame: pd.DataFrame, columns: list[str], argument: str) -> dict[str, np.ndarray]:
    counts = {}
    for name in columns:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        if not (np.all(np.isfinite(values)) and np.all(values >= 0)):
            raise input_error(
                argument,
                f"column {name!r} holds a value that is missing, negative or not a number",
                "Pass adult counts: numbers of people, 0 or more",
            )
        counts[name] = values
    return counts


def cfpb_step2(frame: pd.DataFrame, argument: str = "zcta_table") -> pd.DataFrame:
    """The CFPB's ``zip_over18_race_*.dta`` columns to the library's seven, steps 1 and 2.

    Step 1: Puerto Rico's ZCTAs (006xx to 009xx) dropped, as the surname lists
    do not cover it.  Step 2: each "X and some other race" count added to X,
    the Asian and Pacific Islander combinations added to API, and the
    multiracial total reduced by the same counts; the non-Hispanic "other race
    alone" adults kept as ``other`` for step 3.

    Examples
    --------
    >>> import pandas as pd
    >>> from adverse_impact._bisg._tables import CFPB_COLUMNS, cfpb_step2
    >>> row = dict.fromkeys(CFPB_COLUMNS, 0)
    >>> row.update(ZCTA5="02139", Total_Pop=20, Hispanic_Total=2, NH_White_alone=10,
    ...            NH_Black_alone=4, NH_Mult_Total=4, NH_White_Other=1, NH_Asian_HPI=2)
    >>> cfpb_step2(pd.DataFrame([row])).iloc[0].tolist()
    [2139.0, 11.0, 4.0, 2.0, 0.0, 1.0, 2.0, 0.0]
    """
    missing = [c for c in CFPB_COLUMNS if c not in frame.columns]
    if missing:
        raise input_error(
            argument,
            f"the CFPB table lacks the column(s) {missing}",
            "Pass the CFPB's zip_over18_race_dec10.dta or zip_over18_race_jan20.dta unchanged",
        )
    zcta = frame["ZCTA5"].astype(str).str.strip()
    frame = frame[~zcta.str[:3].isin(["006", "007", "008", "009"]).to_numpy()]
    c = _whole_counts(frame, list(CFPB_COLUMNS[1:]), argument)
    folded = (
        c["NH_White_Other"]
        + c["NH_Black_Other"]
        + c["NH_AIAN_Other"]
        + c["NH_Asian_HPI"]
        + c["NH_API_Other"]
        + c["NH_Asian_HPI_Other"]
    )
    out = pd.DataFrame(
        {
            "zcta": zcta_codes(frame["ZCTA5"].astype(str).to_numpy(dtype=object)),
            "white": c["NH_White_alone"] + c["NH_White_Other"],
            "black": c["NH_Black_alone"] + c["NH_Black_Other"],
            "api": c["NH_API_alone"]
            + c["NH_API_Other"]
            + c["NH_Asian_HPI"]
            + c["NH_Asian_HPI_Other"],
            "aian": c["NH_AIAN_alone"] + c["NH_AIAN_Other"],
            "multiracial": c["NH_Mult_Total"] - folded,
            "hispanic": c["Hispanic_Total"],
            "other": c["NH_Other_alone"],
        }
    )
    if not np.array_equal(out.iloc[:, 1:].sum(axis=1).to_numpy(), c["Total_Pop"]):
        raise input_error(
            argument,
            "the CFPB table's categories do not add up to Total_Pop",
            "Pass the CFPB's zip_over18_race_dec10.dta or zip_over18_race_jan20.dta unchanged",
        )
    if (out.iloc[:, 1:].to_numpy() < 0).any():
        raise input_error(
            argument,
            "a ZCTA has more multiracial combinations than multiracial adults",
            "Pass the CFPB's zip_over18_race_dec10.dta or zip_over18_race_jan20.dta unchanged",
        )
    return out


def _from_frame(frame: pd.DataFrame, source: str, argument: str) -> ZctaTable:
    if "ZCTA5" in frame.columns and "NH_White_alone" in frame.columns:
        frame = cfpb_step2(frame, argument)
    else:
        missing = [c for c in COUNT_COLUMNS if c not in frame.columns]
        if missing:
            raise input_error(
                argument,
                f"the table lacks the column(s) {missing}",
                "Pass adult (18+) counts per ZCTA in the columns zcta, white, black, api, aian, "
                "multiracial, hispanic (and optionally other), or the CFPB's "
                "zip_over18_race_dec10.dta as read by pandas.read_stata",
            )
    codes = zcta_codes(np.asarray(frame["zcta"].to_numpy()))
    if (codes < 0).any():
        bad = frame["zcta"].to_numpy()[codes < 0][0]
        raise input_error(
            argument,
            f"the zcta column holds {bad!r}, which is not a 5-digit code",
            "Give each row's ZCTA as text ('02139') or an integer (2139)",
        )
    if pd.Index(codes).has_duplicates:
        dup = int(pd.Index(codes)[pd.Index(codes).duplicated()][0])
        raise input_error(
            argument,
            f"ZCTA {dup:05d} appears more than once",
            "Give one row of adult counts per ZCTA",
        )
    columns = [*CATEGORIES, "other"] if "other" in frame.columns else list(CATEGORIES)
    c = _whole_counts(frame, columns, argument)
    seven = np.column_stack([c[name] for name in CATEGORIES] + [c.get("other", 0 * codes)])
    counts = redistribute_other(seven)
    totals = counts.sum(axis=0)
    if not np.all(totals > 0):
        empty = [name for name, total in zip(CATEGORIES, totals) if total <= 0]
        raise input_error(
            argument,
            f"no adults at all in the category(ies) {empty}",
            "Pass a table that covers the whole country (the CFPB's does)",
        )
    return ZctaTable(
        index=pd.Index(codes),
        counts=counts,
        given_race=counts / totals,
        national=totals / totals.sum(),
        source=source,
    )


@functools.lru_cache(maxsize=4)
def _from_file(path: str, modified: int, size: int) -> ZctaTable:
    del modified, size  # part of the cache key only: a changed file is read again
    name = Path(path).name
    if path.lower().endswith(".dta"):
        frame = pd.read_stata(path)
    else:
        frame = pd.read_csv(path, dtype={"zcta": str, "ZCTA5": str})
    return _from_frame(frame, name, "zcta_table")


def geography_table(source: Any, argument: str = "zcta_table") -> ZctaTable:
    """The geography table from a path (``.dta`` or ``.csv``) or a DataFrame.

    A file is read once per process (until it changes); a DataFrame each call.
    """
    if isinstance(source, ZctaTable):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise input_error(argument, f"no file at {str(source)!r}", WHERE_TO_GET)
        stat = path.stat()
        return _from_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if isinstance(source, pd.DataFrame):
        return _from_frame(source, f"a DataFrame of {len(source):,} ZCTAs", argument)
    raise type_error(
        argument,
        f"got {type(source).__name__}, not a path or a pandas DataFrame",
        WHERE_TO_GET,
    )
