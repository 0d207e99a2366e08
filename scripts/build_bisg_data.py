"""Rebuild the BISG tables shipped in ``src/adverse_impact/_bisg/data/`` from public sources.

The library ships four compact files, built by this script from local copies of
public files (nothing is downloaded here; see ``PROVENANCE.md`` beside the
tables for where each source comes from and how its bytes were checked):

* ``surnames_2010.npz`` from the Census Bureau's ``Names_2010Census.csv``
  (surnames occurring 100 or more times in the 2010 census, with the
  ``ALL OTHER NAMES`` row);
* ``surnames_2000.npz`` from the Census Bureau's ``app_c.csv`` (the 2000 list);
* ``zcta_2010.npz`` from the CFPB's ``input_files/zip_over18_race_dec10.dta``
  (adults 18 and over by race and ethnicity per ZCTA, 2010 Summary File 1);
* ``zcta_2020.npz`` from the CFPB's ``2024-update/input_files/zip_over18_race_jan20.dta``
  (the same from the 2020 Demographic and Housing Characteristics file).

What is stored is the source's own numbers, as integers, so that the
library applies the CFPB's adjustments itself, in code that is tested:

* surnames: the six percentages in hundredths (the Census prints two
  decimals), with ``-1`` where the Census suppressed a cell ("(S)"); the
  library fills those cells as the CFPB's ``surname_creation_lower.do`` does;
* ZCTAs: integer adult counts after the CFPB's step 2 (the "some other race"
  combinations folded into the single races, Asian and Pacific Islander
  combined, the multiracial total reduced accordingly), with the
  non-Hispanic "other race alone" count kept as its own column, so the
  library can redistribute it (step 3) exactly as the CFPB does.  Puerto Rico
  (ZCTAs 006xx to 009xx) is dropped here, as the CFPB drops it, because the
  surname lists do not cover it.

Usage::

    python scripts/build_bisg_data.py \\
        --names-2010 Names_2010Census.csv --names-2000 app_c.csv \\
        --zcta-2010 zip_over18_race_dec10.dta --zcta-2020 zip_over18_race_jan20.dta \\
        --out src/adverse_impact/_bisg/data \\
        --cfpb-test-output test_proxied_final.csv   # optional: the test extract
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

#: The Census surname files' percentage columns, in the library's category order.
PCT_COLUMNS = ["pctwhite", "pctblack", "pctapi", "pctaian", "pct2prace", "pcthispanic"]

#: Column order of the shipped ZCTA counts: the six categories, then "other race alone".
ZCTA_COLUMNS = ["white", "black", "api", "aian", "multiracial", "hispanic", "other"]


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


def build_zcta(path: Path, out: Path) -> None:
    frame = pd.read_stata(path)
    # Step 1 of the CFPB's create_attr_over18_all_geo_entities.do: Puerto Rico out.
    frame = frame[~frame["ZCTA5"].str[:3].isin(["006", "007", "008", "009"])]
    counts = {}
    for name in frame.columns[frame.columns.get_loc("Total_Pop") :]:
        values = frame[name].to_numpy(dtype=float)
        if not np.all(values == np.rint(values)):
            raise ValueError(f"{path}: {name} holds a count that is not whole")
        counts[name] = values.astype(np.int64)
    c = counts
    # Step 2 (after Word 2008): "X and some other race" counts go to X; Asian and
    # Pacific Islander combinations join API; the multiracial total loses them.
    white = c["NH_White_alone"] + c["NH_White_Other"]
    black = c["NH_Black_alone"] + c["NH_Black_Other"]
    aian = c["NH_AIAN_alone"] + c["NH_AIAN_Other"]
    api = c["NH_API_alone"] + c["NH_API_Other"] + c["NH_Asian_HPI"] + c["NH_Asian_HPI_Other"]
    multi = c["NH_Mult_Total"] - (
        c["NH_White_Other"]
        + c["NH_Black_Other"]
        + c["NH_AIAN_Other"]
        + c["NH_Asian_HPI"]
        + c["NH_API_Other"]
        + c["NH_Asian_HPI_Other"]
    )
    hispanic, other = c["Hispanic_Total"], c["NH_Other_alone"]
    table = np.column_stack([white, black, api, aian, multi, hispanic, other])
    if not np.array_equal(table.sum(axis=1), c["Total_Pop"]):
        raise ValueError(f"{path}: the categories do not add up to Total_Pop")
    if np.any(table < 0):
        raise ValueError(f"{path}: a negative count after step 2")
    np.savez_compressed(
        out,
        zcta=frame["ZCTA5"].astype(int).to_numpy().astype(np.int32),
        counts=table.astype(np.int32),
    )


def build_cfpb_fixture(test_output: Path, data: Path, out: Path) -> None:
    """The test extract: the CFPB's ZIP-level columns, with the inputs recovered.

    The CFPB's ``test_output/test_proxied_final.csv`` holds each row's
    surname-only, ZCTA-only and BISG probabilities but not the surname or the
    ZCTA.  Both are recovered here: the ZCTA whose adult make-up (after the
    CFPB's adjustment) equals the row's ``zip18_geo_pr_*`` to 1e-7 (ZCTAs
    with the same make-up give the same BISG, so the first is taken), and a 2000-list surname whose
    probabilities equal ``name_pr_*`` (several surnames can share them; any
    gives the same BISG).  The test then recomputes ``zip18_pr_*``.
    """
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from adverse_impact._bisg._tables import surname_table, zcta_table

    del data  # read through the package in src/, i.e. the tables just written there
    names, places = surname_table("2000"), zcta_table("2010")
    cfpb = ["white", "black", "api", "aian", "mult_other", "hispanic"]
    frame = pd.read_csv(test_output)
    with np.errstate(invalid="ignore", divide="ignore"):
        make_up = places.counts / places.counts.sum(axis=1, keepdims=True)
    rows = []
    for record in frame.to_dict("records"):
        geo = np.array([record[f"zip18_geo_pr_{c}"] for c in cfpb])
        gaps = np.abs(make_up - geo).max(axis=1)  # NaN for ZCTAs without adults
        order = np.argsort(np.where(np.isnan(gaps), np.inf, gaps))
        if not gaps[order[0]] < 1e-7:
            raise ValueError(f"row {record['rownum']}: no ZCTA")
        name = np.array([record[f"name_pr_{c}"] for c in cfpb])
        found = np.flatnonzero(np.abs(names.probabilities - name).max(axis=1) < 1e-7)
        if len(found) == 0:
            raise ValueError(f"row {record['rownum']}: no surname")
        row = {
            "rownum": record["rownum"],
            "surname": names.index[found[0]],
            "zcta": f"{places.index[order[0]]:05d}",
        }
        row.update({f"name_pr_{c}": record[f"name_pr_{c}"] for c in cfpb})
        row.update({f"zip18_geo_pr_{c}": record[f"zip18_geo_pr_{c}"] for c in cfpb})
        row.update({f"zip18_pr_{c}": record[f"zip18_pr_{c}"] for c in cfpb})
        rows.append(row)
    pd.DataFrame(rows).to_csv(out, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names-2010", type=Path, required=True)
    parser.add_argument("--names-2000", type=Path, required=True)
    parser.add_argument("--zcta-2010", type=Path, required=True)
    parser.add_argument("--zcta-2020", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--cfpb-test-output",
        type=Path,
        help="the CFPB's test_output/test_proxied_final.csv: also write the test extract",
    )
    parser.add_argument("--fixture", type=Path, default=Path("tests/data/bisg_cfpb_zip.csv"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    build_surnames(args.names_2010, args.out / "surnames_2010.npz")
    build_surnames(args.names_2000, args.out / "surnames_2000.npz")
    build_zcta(args.zcta_2010, args.out / "zcta_2010.npz")
    build_zcta(args.zcta_2020, args.out / "zcta_2020.npz")
    for source in (args.names_2010, args.names_2000, args.zcta_2010, args.zcta_2020):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        print(f"{digest}  {source.name}")
    for built in sorted(args.out.glob("*.npz")):
        print(f"{built.stat().st_size:>9,d} bytes  {built.name}")
    if args.cfpb_test_output is not None:
        args.fixture.parent.mkdir(parents=True, exist_ok=True)
        build_cfpb_fixture(args.cfpb_test_output, args.out, args.fixture)
        print(f"wrote {args.fixture}")


if __name__ == "__main__":
    main()
