"""Rebuild the surname tables shipped in ``src/adverse_impact/_bisg/data/`` from local copies.

The library ships two compact files, built by this script from local copies of
the Census Bureau's files (nothing is downloaded here; see ``PROVENANCE.md``
beside the tables for where the copies come from and how their bytes were
checked):

* ``surnames_2010.npz`` from ``Names_2010Census.csv`` (surnames occurring 100
  or more times in the 2010 census, with the ``ALL OTHER NAMES`` row);
* ``surnames_2000.npz`` from ``app_c.csv`` (the 2000 list).

What is stored is the source's own numbers: the six percentages in
hundredths (the Census prints two decimals), with ``-1`` where the Census
suppressed a cell ("(S)"); the library fills those cells as the CFPB's
``surname_creation_lower.do`` does.

No geography table is built or shipped: the user passes the CFPB's adult
counts per ZCTA (``zip_over18_race_dec10.dta``) to ``impute_race`` as
``zcta_table``, and ``adverse_impact._bisg._tables`` applies the CFPB's
adjustments when it reads them.  ``--zcta`` prints a local copy's SHA-256
beside the surname files', to compare with ``PROVENANCE.md``.

Usage::

    python scripts/build_bisg_data.py \\
        --names-2010 Names_2010Census.csv --names-2000 app_c.csv \\
        --out src/adverse_impact/_bisg/data
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

#: The Census surname files' percentage columns, in the library's category order.
PCT_COLUMNS = ["pctwhite", "pctblack", "pctapi", "pctaian", "pct2prace", "pcthispanic"]


def _hundredths(column: pd.Series) -> np.ndarray:
    """Percentages with two decimals as integer hundredths; "(S)" as -1."""
    text = column.astype(str).str.strip()
    suppressed = text.eq("(S)").to_numpy()
    values = pd.to_numeric(text.where(~suppressed, "0"), errors="raise").to_numpy(dtype=float)
    scaled = np.rint(values * 100)
    if np.any(np.abs(scaled - values * 100) > 1e-6):
        raise ValueError(f"{column.name}: a value has more than two decimals")
    out = scaled.astype(np.int16)
    out[suppressed] = -1
    return out


def build_surnames(path: Path, out: Path) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["name"] = frame["name"].str.strip().str.upper()
    other = frame["name"].eq("ALL OTHER NAMES")
    rows = frame[~other]
    if rows["name"].duplicated().any():
        raise ValueError(f"{path}: a surname appears twice")
    if not rows["name"].str.fullmatch(r"[A-Z]+").all():
        raise ValueError(f"{path}: a surname has a character other than A-Z")
    pct = np.column_stack([_hundredths(rows[c]) for c in PCT_COLUMNS])
    arrays = {
        "names": np.frombuffer("\n".join(rows["name"]).encode("ascii"), dtype=np.uint8),
        "count": rows["count"].astype(np.int64).to_numpy().astype(np.int32),
        "pct": pct,
    }
    if other.any():
        row = frame[other].iloc[0]
        arrays["all_other_pct"] = np.array(
            [_hundredths(pd.Series([row[c]], name=c))[0] for c in PCT_COLUMNS], dtype=np.int16
        )
        arrays["all_other_count"] = np.array(int(row["count"]), dtype=np.int64)
    np.savez_compressed(out, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names-2010", type=Path, required=True)
    parser.add_argument("--names-2000", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--zcta",
        type=Path,
        action="append",
        default=[],
        help="a local copy of a CFPB zip_over18_race_*.dta: its SHA-256 is printed (not shipped)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    build_surnames(args.names_2010, args.out / "surnames_2010.npz")
    build_surnames(args.names_2000, args.out / "surnames_2000.npz")
    for source in (args.names_2010, args.names_2000, *args.zcta):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        print(f"{digest}  {source.name}")
    for built in sorted(args.out.glob("surnames_*.npz")):
        print(f"{built.stat().st_size:>9,d} bytes  {built.name}")


if __name__ == "__main__":
    main()
