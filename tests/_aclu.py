"""The tables posted LL144 audits published, read from the ACLU's dataset, and a hand check.

The ACLU's study of posted bias audits ("Auditing the Audits", FAccT 2025; repository
aclu-national/auditing-the-audits-facct-2025, licence CC BY-NC 4.0) transcribed the
figures of 116 audits into ``audits/audits_full.csv``.  That file is **not** in this
repository and nothing read from it may be committed (no rows, no figures, no per-audit
findings): whoever holds it places it at
``../shared/data/aclu-auditing-the-audits/audits_full.csv`` beside the repository, or
points ``ADVERSE_IMPACT_ACLU_CSV`` at it.  ``tests/publish/test_published_aclu.py`` skips
without it.

Two halves that share nothing:

- :func:`read_tables` turns the dataset's rows into the tables an audit published: one
  per audit, attribute (sex, race/ethnicity, intersectional) and threshold ("Selection,
  top", "Scoring", ...).  The figures published are ``number_of_applications``,
  ``result`` (the rate) and ``impact_ratio`` as the ACLU transcribed them; their
  number of selected only where every count of the table is a whole number (the ACLU
  derived the others from rates, and a derived count that happens to be whole is not a
  published one); "Missing/Unknown" rows are the unknown category; a category whose
  number of applicants is NA and that publishes nothing else was not published.
- :func:`hand_check` decides, for each table, which published figures no whole count
  and no choice of the highest rate can produce, with fractions and no code from
  ``adverse_impact`` (the style of ``tests/data/published/hand_check.py``).

The dataset keeps a figure's digits, not its trailing zeros (a published 47.0% is
0.47), so a figure's precision is read as at most what was published: each figure
stands for a wider interval than it did on the page, and every check here errs toward
"consistent".

Run ``python tests/_aclu.py`` (with the dataset in place) for the aggregate figures of
docs/publishing.md, "The ACLU's dataset of posted audits".
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import re
import sys
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Where the dataset's holder places it (it may not be committed: CC BY-NC 4.0, and it
#: reached this project through a mirror); ADVERSE_IMPACT_ACLU_CSV points elsewhere.
DATASET = Path(
    os.environ.get(
        "ADVERSE_IMPACT_ACLU_CSV",
        ROOT.parent / "shared" / "data" / "aclu-auditing-the-audits" / "audits_full.csv",
    )
)
UNKNOWN = "Missing/Unknown"
#: LL144's small-category threshold (6 RCNY 5-301(d)).
MIN_SHARE = Fraction(2, 100)


# -- reading the dataset -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One published category: every figure as text ("" when not published)."""

    label: str
    unknown: bool
    n: str
    selected: str
    rate: str
    ratio: str


@dataclasses.dataclass(frozen=True)
class Table:
    """One published table: an audit's attribute at one threshold."""

    audit_id: str
    attribute: str
    threshold: str
    rows: tuple[Row, ...]

    @property
    def kind(self) -> str:
        return "scoring" if self.threshold == "Scoring" else "selection"

    @property
    def key(self) -> str:
        return f"{self.audit_id} / {self.attribute} / {self.threshold}"

    def frame(self):  # -> pandas.DataFrame, in check_summary's tidy layout, all text
        import pandas as pd

        return pd.DataFrame(
            {
                "attribute": [self.attribute] * len(self.rows),
                "group": [r.label for r in self.rows],
                "n": [r.n for r in self.rows],
                "selected": [r.selected for r in self.rows],
                "rate": [r.rate for r in self.rows],
                "impact_ratio": [r.ratio for r in self.rows],
                "unknown": ["yes" if r.unknown else "no" for r in self.rows],
            },
            dtype=object,
        )


def _figure(text: str) -> str:
    """A rate or ratio as published: "" for NA; the binary tail of a percentage the ACLU
    divided by 100 (0.4920000000000001) cut, its real digits kept."""
    text = text.strip()
    if text in ("", "NA"):
        return ""
    if re.fullmatch(r"-?\d+\.\d{13,}", text):
        text = f"{float(text):.12f}".rstrip("0").rstrip(".")
    return text


def _attribute(record: dict[str, str]) -> str:
    """The attribute a row belongs to, from its labels (the dataset's own column files a
    few intersectional rows under race/ethnicity); unknown rows keep the column's."""
    race, sex = record["race_ethnicity"], record["sex"]
    if UNKNOWN in (race, sex):
        return record["protected_char_group"]
    if race == "Total":
        return "sex"
    if sex == "Total":
        return "race/ethnicity"
    return "intersectional"


def _label(record: dict[str, str]) -> str:
    race, sex = record["race_ethnicity"], record["sex"]
    if UNKNOWN in (race, sex):
        return UNKNOWN
    if race == "Total":
        return sex
    if sex == "Total":
        return race
    return f"{race} | {sex}"


def read_tables(path: Path = DATASET) -> tuple[list[Table], list[tuple[str, str]]]:
    """The published tables, and the (table, reason) of each that cannot be checked."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    grouped: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for record in records:
        key = (record["audit_id"], _attribute(record), record["selection_or_scoring_rate"])
        grouped[key].append(record)
    tables, skipped = [], []
    for (audit_id, attribute, threshold), group in grouped.items():
        key = f"{audit_id} / {attribute} / {threshold}"
        rows, reason = _rows(group)
        if reason:
            skipped.append((key, reason))
        else:
            tables.append(Table(audit_id, attribute, threshold, tuple(rows)))
    return tables, skipped


def _rows(records: list[dict[str, str]]) -> tuple[list[Row], str]:
    labels = Counter(_label(r) for r in records)
    if any(count > 1 for label, count in labels.items() if label != UNKNOWN):
        return [], "a category appears twice"
    # Counts are published only if every count of the table is whole.
    counts = [
        r["n_selected_or_n_above_median"]
        for r in records
        if r["n_selected_or_n_above_median"] != "NA"
    ]
    counts_published = bool(counts) and all(re.fullmatch(r"\d+", c) for c in counts)
    rows = []
    n_unknown = 0
    for r in records:
        unknown = _label(r) == UNKNOWN
        # Some audits publish two unknown counts (race unknown; race and sex unknown):
        # both are the unknown category, told apart by a number.
        n_unknown += unknown
        label = f"{UNKNOWN} {n_unknown}" if unknown and labels[UNKNOWN] > 1 else _label(r)
        n = r["number_of_applications"].strip()
        rate, ratio = _figure(r["result"]), _figure(r["impact_ratio"])
        selected = r["n_selected_or_n_above_median"] if counts_published else "NA"
        if n == "NA":
            if rate or ratio or selected != "NA":
                return [], "a category publishes figures without its number of applicants"
            continue  # not published (an unknown count the audit does not state)
        rows.append(Row(label, unknown, n, "" if selected == "NA" else selected, rate, ratio))
    if not any(not r.unknown and int(r.n) > 0 for r in rows):
        return [], "no category with applicants"
    return rows, ""


# -- the hand check ----------------------------------------------------------------


def value(text: str) -> tuple[Fraction, int] | None:
    """A published figure and its number of decimals (None when not published)."""
    if not text:
        return None
    places = len(text.split(".")[1]) if "." in text else 0
    return Fraction(text), places


def half(places: int) -> Fraction:
    return Fraction(1, 2 * 10**places)


@dataclasses.dataclass
class Cat:
    """A category as the hand check sees it: the set its true rate lies in."""

    label: str
    unknown: bool
    n: int
    k: int | None
    rate: tuple[Fraction, int] | None
    ratio: tuple[Fraction, int] | None
    # The true rate: k/n for a whole k in [k_lo, k_hi] (discrete), or any value in
    # [lo, hi] (continuous: a rate no whole count gives, already a finding).
    k_lo: int = 0
    k_hi: int = 0
    lo: Fraction = Fraction(0)
    hi: Fraction = Fraction(0)
    discrete: bool = True
    has_rate: bool = False


def _cats(table: Table) -> list[Cat]:
    out = []
    for r in table.rows:
        c = Cat(
            r.label, r.unknown, int(r.n), int(r.selected) if r.selected else None,
            value(r.rate), value(r.ratio),
        )  # fmt: skip
        if c.n and c.k is not None:
            c.k_lo = c.k_hi = c.k
            c.has_rate = True
        elif c.n and c.rate is not None:
            p, places = c.rate
            lo, hi = max(Fraction(0), p - half(places)), min(Fraction(1), p + half(places))
            c.k_lo, c.k_hi = math.ceil(lo * c.n), math.floor(hi * c.n)
            c.has_rate = True
            if c.k_lo > c.k_hi:
                c.discrete, c.lo, c.hi = False, lo, hi
        if c.has_rate and c.discrete:
            c.lo, c.hi = Fraction(c.k_lo, c.n), Fraction(c.k_hi, c.n)
        out.append(c)
    return out


Interval = tuple[Fraction, Fraction | None]  # None: no upper end


def _meet(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of disjoint closed intervals."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        ends = [e for e in (a[i][1], b[j][1]) if e is not None]
        hi = min(ends) if ends else None
        if hi is None or lo <= hi:
            out.append((lo, hi))
        if a[i][1] is None or (b[j][1] is not None and b[j][1] < a[i][1]):
            j += 1
        else:
            i += 1
    return out


def _tops_for(c: Cat, a: Fraction, b: Fraction, window: Interval) -> list[Interval]:
    """The highest rates M (within ``window``) for which c's rate r, one of its possible
    values, has r / M in [a, b]: M in [r / b, r / a] for some r (no upper end if a = 0)."""
    if not c.discrete:
        # Any r in [lo, hi]: the spans of a continuum join into one.
        if a > 0 and not c.hi:
            return []
        return _meet([(c.lo / b, c.hi / a if a > 0 else None)], [window])
    w_lo, w_hi = window
    # Only the k whose span can meet the window: r / a >= w_lo and r / b <= w_hi.
    k_first = max(c.k_lo, math.ceil(w_lo * a * c.n))
    k_last = c.k_hi if w_hi is None else min(c.k_hi, math.floor(w_hi * b * c.n))
    if k_first > k_last:
        return []

    def span(k: int) -> Interval | None:
        if k == 0:
            return (Fraction(0), None) if a <= 0 else None
        r = Fraction(k, c.n)
        return (r / b, r / a if a > 0 else None)

    # The spans of k and k + 1 overlap once a (k + 1) <= b k, i.e. from k >= a / (b - a)
    # on: those merge into one interval.
    merge_from = k_first if a <= 0 else k_last + 1 if a == b else math.ceil(a / (b - a))
    spans = [s for k in range(k_first, min(k_last, merge_from - 1) + 1) if (s := span(k))]
    k_merge = max(k_first, merge_from)
    if k_merge <= k_last:
        first, last = span(k_merge), span(k_last)
        if first and last:
            spans.append((first[0], last[1]))
    return _meet(_union(spans), [window])


def _union(spans: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(spans, key=lambda s: s[0]):
        if out and (out[-1][1] is None or lo <= out[-1][1]):
            if out[-1][1] is not None and (hi is None or hi > out[-1][1]):
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _bounds(c: Cat, rounding: str) -> tuple[Fraction, Fraction]:
    """The true ratios a published ratio stands for: rounded (either way on a tie) or
    truncated to its decimals; capped at 1 (no rate exceeds the highest)."""
    p, places = c.ratio
    if rounding == "truncated":
        return max(Fraction(0), p), min(Fraction(1), p + 2 * half(places))
    return max(Fraction(0), p - half(places)), min(Fraction(1), p + half(places))


def feasible(kept: list[Cat], constrained: list[Cat], rounding: str = "rounded") -> bool:
    """Is there a whole count for every category (within its published rate) and one
    highest rate M among them such that each constrained ratio is r / M at its precision?"""
    for top in kept:
        if top in constrained:
            a, b = _bounds(top, rounding)
            if not a <= 1 <= b:
                continue
        # M is one of the top's own values, and above 0 (a ratio needs a top rate).
        if top.discrete:
            k_lo = max(top.k_lo, 1)
            if k_lo > top.k_hi:
                continue
            window: Interval = (Fraction(k_lo, top.n), Fraction(top.k_hi, top.n))
        else:
            if not top.hi:
                continue
            window = (top.lo, top.hi)
        allowed = [window]
        for c in kept:
            if c is top:
                continue
            a, b = _bounds(c, rounding) if c in constrained else (Fraction(0), Fraction(1))
            if a > b:
                allowed = []
                break
            allowed = _meet(allowed, _tops_for(c, a, b, window))
            if not allowed:
                break
        if top.discrete:
            for lo, hi in allowed:
                k_from = max(math.ceil(lo * top.n), top.k_lo, 1)
                k_to = top.k_hi if hi is None else min(math.floor(hi * top.n), top.k_hi)
                if k_from <= k_to:
                    return True
        elif any(hi is None or (lo <= hi and hi > 0) for lo, hi in allowed):
            return True
    return False


@dataclasses.dataclass
class HandResult:
    """What the hand check found in one table."""

    faults: set[tuple[str, str | None]]  # (kind, category label or None for the table)
    patterns: set[str]  # how the faulty ratios or rates came about, where one fits

    @property
    def kinds(self) -> set[str]:
        return {k for k, _ in self.faults}


def hand_check(table: Table) -> HandResult:
    """The faults of one published table, decided with fractions.

    - ``unattainable_rate``: a rate without its count that no whole count of its n
      rounds to;
    - ``rate_contradicts_count``: a rate that its published count does not round to;
    - ``ratio``: ratios that no choice of whole counts (within the published rates) and
      of the highest rate among the ratio's categories give, each rounded to its
      decimals; the rows that fail even alone are ``ratio_row`` (their own fault), and
      ratios above 1 are ``ratio_above_one``;
    - ``scoring_rate_above_half``: scoring rates whose lowest possible share of the
      whole table above its median exceeds one half;
    - ``excluded_above_threshold``: a category left out of the ratios that is not
      below 2% of the applicants (of known category, nor of all);
    - ``excluded_without_figures``: a category left out with neither rate nor count.
    """
    cats = _cats(table)
    faults: set[tuple[str, str | None]] = set()
    patterns: set[str] = set()
    for c in cats:
        if not c.n or c.rate is None:
            continue
        p, places = c.rate
        if c.k is None and not c.discrete:
            faults.add(("unattainable_rate", c.label))
        elif c.k is not None and abs(Fraction(c.k, c.n) - p) > half(places):
            faults.add(("rate_contradicts_count", c.label))
            exact = Fraction(c.k, c.n)
            patterns.add(
                "rate truncated"
                if p <= exact < p + 2 * half(places)
                else "rate off by one last unit"
                if abs(exact - p) <= 3 * half(places)
                else "rate far from its count"
            )
    known = [c for c in cats if not c.unknown]
    n_known = sum(c.n for c in known)
    n_all = sum(c.n for c in cats)

    def small(c: Cat) -> bool:
        return Fraction(c.n, n_known) < MIN_SHARE or Fraction(c.n, n_all) < MIN_SHARE

    large = [c for c in known if c.n and not small(c)]
    # Every rate that could be the reference is 0: no ratio exists, a blank one is no
    # exclusion.
    no_ratios = bool(large) and all(c.has_rate and not c.hi for c in large)
    for c in known:
        if not c.n or c.ratio is not None or (no_ratios and c in large):
            continue
        if not c.has_rate:
            faults.add(("excluded_without_figures", c.label))
        if not small(c):
            faults.add(("excluded_above_threshold", c.label))
    if not any(c.ratio for c in known) and not no_ratios:
        patterns.add("no impact ratio published (every category reads as excluded)")
    kept = [c for c in known if c.n and c.has_rate and c.ratio is not None]
    if kept and any(c.hi for c in kept) and not feasible(kept, kept):
        faults.add(("ratio", None))
        for c in kept:
            if c.ratio[0] - half(c.ratio[1]) > 1:
                faults.add(("ratio_above_one", c.label))
            if not feasible(kept, [c]):
                faults.add(("ratio_row", c.label))
        patterns |= _ratio_patterns(kept)
    if table.kind == "scoring":
        rated = [c for c in cats if c.n and c.has_rate]
        if rated and sum(c.n * c.lo for c in rated) / n_all > Fraction(1, 2):
            faults.add(("scoring_rate_above_half", None))
    return HandResult(faults, patterns)


def _ratio_patterns(kept: list[Cat]) -> set[str]:
    """How faulty ratios came about, where one explanation fits them all."""
    found = set()
    if feasible(kept, kept, "truncated"):
        found.add("ratios truncated, not rounded")
    if all(c.k is not None for c in kept) and all(c.rate for c in kept):
        top = max(c.rate[0] for c in kept)
        if top and all(abs(c.rate[0] / top - c.ratio[0]) <= half(c.ratio[1]) for c in kept):
            found.add("ratios from the rounded rates")
    if any(c.ratio[0] - half(c.ratio[1]) > 1 for c in kept):
        found.add("a reference that is not the highest rate")
    elif not found:
        if all(feasible(kept, [c]) for c in kept):
            found.add("ratios that each fit alone but fit no single highest rate")
        else:
            found.add("a ratio that fits no rate")
    return found


# -- the checker's findings in the hand check's terms --------------------------------

#: check_summary's error codes, by the kind of fault the hand check names.
CHECKER_KINDS = {
    "unattainable_rate": "unattainable_rate",
    "wrong_rate": "rate_contradicts_count",
    "rates_truncated": "rate_contradicts_count",
    "wrong_ratio": "ratio",
    "ratios_from_rounded_rates": "ratio",
    "ratios_truncated": "ratio",
    "reference_not_highest": "ratio",
    "ratios_inconsistent": "ratio",
    "scoring_rate_above_half": "scoring_rate_above_half",
    "excluded_above_threshold": "excluded_above_threshold",
    "excluded_without_counts": "excluded_without_figures",
}
#: Kinds compared row by row (the others table by table).
ROW_KINDS = ("unattainable_rate", "excluded_above_threshold", "excluded_without_figures")


def compared(faults: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    """Faults as the comparison sees them: row kinds with their row, others by kind."""
    return {
        (kind, label if kind in ROW_KINDS else None)
        for kind, label in faults
        if kind not in ("ratio_row", "ratio_above_one")
    }


def checker_faults(check) -> set[tuple[str, str | None]]:  # check: SummaryCheck
    return {
        (
            CHECKER_KINDS.get(f.code, f.code),
            f.group if CHECKER_KINDS.get(f.code) in ROW_KINDS else None,
        )
        for f in check.errors
    }


def run(path: Path = DATASET) -> dict:
    """Every table through check_summary and the hand check: the aggregate figures."""
    import warnings

    import adverse_impact as ai

    tables, skipped = read_tables(path)
    out: dict = {
        "audits": len({t.audit_id for t in tables}),
        "tables": len(tables),
        "skipped": Counter(reason for _, reason in skipped),
        "consistent": 0,
        "fault_tables": Counter(),
        "patterns": Counter(),
        "rates_only": 0,
        "rates_only_consistent": 0,
        "false_alarms": [],
        "misses": [],
        "unattainable": 0,
    }
    for table in tables:
        hand = hand_check(table)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check = ai.check_summary(table.frame(), kind=table.kind)
        mine, theirs = compared(hand.faults), checker_faults(check)
        rates_only = not any(r.selected for r in table.rows)
        out["rates_only"] += rates_only
        if not mine:
            out["consistent"] += 1
            out["rates_only_consistent"] += rates_only
        for kind in {k for k, _ in mine}:
            out["fault_tables"][kind] += 1
        for pattern in hand.patterns:
            out["patterns"][pattern] += 1
        out["unattainable"] += sum(k == "unattainable_rate" for k, _ in mine)
        for fault in sorted(theirs - mine, key=str):
            out["false_alarms"].append((table.key, fault, check))
        for fault in sorted(mine - theirs, key=str):
            out["misses"].append((table.key, fault, check))
    return out


def main() -> None:
    if not DATASET.is_file():
        sys.exit(f"no dataset at {DATASET}; set ADVERSE_IMPACT_ACLU_CSV")
    out = run()
    print(f"audits: {out['audits']}, tables checked: {out['tables']}")
    print(f"tables not checkable: {dict(out['skipped'])}")
    print(
        f"consistent by the hand check: {out['consistent']} "
        f"(rates only: {out['rates_only_consistent']} of {out['rates_only']})"
    )
    print(f"tables with each kind of fault: {dict(out['fault_tables'])}")
    print(f"unattainable rates: {out['unattainable']}")
    print(f"patterns: {dict(out['patterns'])}")
    # Counts only: the per-table keys stay on the screen of whoever runs this.
    print(f"checker false alarms: {len(out['false_alarms'])}, misses: {len(out['misses'])}")
    if "-v" in sys.argv:
        for label, items in (("FALSE ALARM", out["false_alarms"]), ("MISS", out["misses"])):
            for key, fault, check in items:
                print(f"{label} {key}: {fault}")
                print("   ", repr(check).replace("\n", "\n    "))


if __name__ == "__main__":
    main()
