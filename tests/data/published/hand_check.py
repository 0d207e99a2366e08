"""The hand check behind SOURCES.csv's ``hand_findings``: every figure recomputed with
fractions, sharing no code with ``adverse_impact``.

Run from the repository root: ``python tests/data/published/hand_check.py``.  It prints,
per corpus table, each figure's arithmetic and the error codes it supports; the codes
were then written into SOURCES.csv by hand after reading that arithmetic.

Rules (6 RCNY 5-300/5-301; a published figure with d decimals stands for every value
within half a unit of its last place):

- a rate published without its count is the set of k/n with k whole in that interval;
  no such k: ``unattainable_rate``;
- a ratio is r/M with M the highest rate; each ratio alone must be reachable with its
  row's rate and the highest of the other rates (``wrong_ratio`` if not), and all the
  ratios together must be reachable with one M (``ratios_inconsistent`` if not: M must
  lie in [r_lo / (p + h), r_hi / (p - h)] for every row, and between the largest lower
  and the largest upper end of the rates);
- a scoring rate is the share above the whole sample's median: the rated rows cannot
  lie above one half together (``scoring_rate_above_half``).
"""

from __future__ import annotations

import csv
import math
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).parent


def figure(text: str) -> tuple[Fraction, int] | None:
    text = text.strip().replace(",", "")
    if not text or text.upper() in {"N/A", "NA", "-"}:
        return None
    percent = text.endswith("%")
    digits = text.rstrip("%")
    places = len(digits.split(".")[1]) if "." in digits else 0
    value = Fraction(digits)
    return (value / 100, places + 2) if percent else (value, places)


def half(places: int) -> Fraction:
    return Fraction(1, 2 * 10**places)


def rows_of(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header = table[0]
    n_col = next(i for i, c in enumerate(header) if "applicant" in c.lower())
    rate_col = next(i for i, c in enumerate(header) if "rate" in c.lower())
    ratio_col = next(i for i, c in enumerate(header) if "ratio" in c.lower())
    out = []
    for row in table[1:]:
        label = " | ".join(c for c in row[:n_col] if c)
        n = int(row[n_col].replace(",", ""))
        rate, rate_places = figure(row[rate_col])
        ratio = figure(row[ratio_col])
        h = half(rate_places)
        k_lo, k_hi = math.ceil((rate - h) * n), math.floor((rate + h) * n)
        out.append(
            {
                "label": label,
                "n": n,
                "rate": rate,
                "k": (k_lo, k_hi),
                "lo": Fraction(k_lo, n) if k_lo <= k_hi else rate - h,
                "hi": Fraction(k_hi, n) if k_lo <= k_hi else rate + h,
                "attainable": k_lo <= k_hi,
                "ratio": ratio,
            }
        )
    return out


def check(path: Path, scoring: bool) -> list[str]:
    rows = rows_of(path)
    codes: list[str] = []
    print(f"\n{path.name}")
    for r in rows:
        if not r["attainable"]:
            print(f"  {r['label']}: {float(r['rate']):.4f} of {r['n']}: no whole k")
            codes.append("unattainable_rate")
    upper_m, lower_m = [], []
    for r in rows:
        p, places = r["ratio"]
        h = half(places)
        others = [o for o in rows if o is not r]
        m_lo, m_hi = max(o["lo"] for o in others), max(o["hi"] for o in others)
        alone_lo = min(Fraction(1), r["lo"] / m_hi)
        alone_hi = min(Fraction(1), r["hi"] / m_lo)
        if alone_lo > p + h or alone_hi < p - h:
            codes.append("wrong_ratio")
        lower_m.append((r["lo"] / min(Fraction(1), p + h), r["label"]))
        if p - h > 0:
            upper_m.append((r["hi"] / (p - h), r["label"]))
        print(
            f"  {r['label']}: n={r['n']} rate in [{float(r['lo']):.5f}, {float(r['hi']):.5f}]"
            f" ratio {float(p):.2f}: alone [{float(alone_lo):.4f}, {float(alone_hi):.4f}]"
        )
    lo_m = max(max(lower_m), (max(r["lo"] for r in rows), "rates"))
    hi_m = min(min(upper_m), (max(r["hi"] for r in rows), "rates"))
    print(
        f"  one highest rate M must lie in [{float(lo_m[0]):.5f} ({lo_m[1]}),"
        f" {float(hi_m[0]):.5f} ({hi_m[1]})]"
    )
    if lo_m[0] > hi_m[0] and "wrong_ratio" not in codes:
        codes.append("ratios_inconsistent")
    if scoring:
        share = sum(r["n"] * r["lo"] for r in rows) / sum(r["n"] for r in rows)
        print(f"  share above the median, at least {float(share):.4f}")
        if share > Fraction(1, 2):
            codes.append("scoring_rate_above_half")
    return sorted(set(codes))


def main() -> None:
    with (HERE / "SOURCES.csv").open(newline="", encoding="utf-8") as handle:
        sources = list(csv.DictReader(handle))
    for source in sources:
        codes = check(HERE / source["file"], source["kind"] == "scoring")
        print(f"  hand findings: {codes or 'consistent'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
