"""check_summary on the committed corpus of published LL144 tables, against a hand check.

``tests/data/published/`` holds one CSV per published table, transcribed figure by
figure (facts only) in the layout auditors publish, and ``SOURCES.csv``: where each
came from and the error codes a hand recomputation with fractions found
(``hand_check.py`` beside it, sharing no code with the package).  The checker's error
findings must equal the hand findings: no false alarm, no miss.  See
docs/publishing.md, "Real published summaries".
"""

from __future__ import annotations

import csv
import importlib.util
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai

CORPUS = Path(__file__).parents[1] / "data" / "published"
_FIELDS = ("id", "file", "real", "url", "publisher", "auditor", "date", "kind", "counts")


def _sources() -> list[dict[str, str]]:
    with (CORPUS / "SOURCES.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


SOURCES = _sources()


def _codes(text: str) -> list[str]:
    return sorted(c for c in text.split(";") if c)


def test_every_source_is_complete_and_every_table_is_indexed():
    files = {p.name for p in CORPUS.glob("*.csv")} - {"SOURCES.csv"}
    assert files == {s["file"] for s in SOURCES}
    for source in SOURCES:
        assert all(source[f].strip() for f in _FIELDS), source["id"]
        assert source["real"] in ("yes", "no") and source["kind"] in ("selection", "scoring")


def test_the_corpus_counts_its_real_tables_honestly():
    # Rule examples (DCWP's own worked tables) are kept but do not count.
    real = [s for s in SOURCES if s["real"] == "yes"]
    assert len(real) == 2
    assert {s["url"] for s in real} == {"https://employer.gotlanded.com/nyc-audit-2024"}


@pytest.mark.parametrize("source", SOURCES, ids=[s["id"] for s in SOURCES])
def test_the_checker_finds_exactly_the_hand_findings(source):
    check = ai.check_summary(CORPUS / source["file"])
    found = sorted({f.code for f in check.errors})
    hand = _codes(source["hand_findings"])
    assert found == hand, [f.message for f in check.errors]
    # Read as published: the kind from the header, every rate without a count.
    kinds = {f.code for f in check.findings if f.severity == "warning"}
    assert "rates_only" in kinds if source["counts"] == "rates only" else True
    assert (check.table["published_rate"].notna()).all()


def test_the_hand_check_script_gives_the_recorded_findings():
    spec = importlib.util.spec_from_file_location("hand_check", CORPUS / "hand_check.py")
    hand_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hand_check)
    for source in SOURCES:
        codes = hand_check.check(CORPUS / source["file"], source["kind"] == "scoring")
        assert codes == _codes(source["hand_findings"]), source["id"]


def test_every_unattainable_rate_in_the_corpus_is_found_and_named():
    check = ai.check_summary(CORPUS / "dcwp-example-scoring-race.csv")
    (finding,) = [f for f in check.errors if f.code == "unattainable_rate"]
    assert finding.group == "Hispanic or Latino"
    # The figure as the reader sees it, and the whole counts either side of it.
    assert "64.2%" in finding.message and "18 of 28 is 0.643" in finding.message


def test_ratios_that_fit_no_single_highest_rate_are_one_error():
    # Issue 25 corpus: LANDED 2024's intersectional table.  Each ratio passes alone
    # (against the highest of the other rates), so the checker saw nothing before;
    # together they need the top rate both <= 50.75% and >= 51.32%.
    check = ai.check_summary(CORPUS / "landed-2024-intersectional.csv")
    (finding,) = check.errors
    assert finding.code == "ratios_inconsistent" and finding.group is None
    assert "Native American or Alaska Native' (rate 49%, ratio 0.98)" in finding.message
    assert "Male | White' (rate 50%, ratio 0.96)" in finding.message
    assert "at most 50.75%" in finding.message and "at least 51.32%" in finding.message


def test_the_smallest_inconsistent_table():
    # 49% with 0.98 and 51% with 0.99 against a top published at 51% (n = 2,500 each):
    # 0.98 needs the top <= 1237/2500 / 0.975 = 50.75%, 0.99 needs it >= 1263/2500 / 0.995.
    def table(low_ratio: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "attribute": ["race"] * 4,
                "group": ["Top", "High", "Low", "Unknown"],
                "n": ["2500", "2500", "2500", "0"],
                "rate": ["51%", "51%", "49%", ""],
                "impact_ratio": ["1.00", "0.99", low_ratio, ""],
            }
        )

    assert [f.code for f in ai.check_summary(table("0.98")).errors] == ["ratios_inconsistent"]
    assert ai.check_summary(table("0.97")).errors == ()
    # With counts the top rate is known and the row checks decide alone.
    counted = table("0.98").assign(selected=["1287", "1263", "1237", ""])
    assert "ratios_inconsistent" not in {f.code for f in ai.check_summary(counted).errors}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3000), st.floats(0, 1)), min_size=2, max_size=9),
    st.sampled_from([(0, True), (1, True), (2, False), (3, False)]),
    st.sampled_from([2, 3]),
)
def test_a_correct_rates_only_table_never_fits_no_reference(groups, rate_format, ratio_digits):
    # No false alarm: rates and ratios rounded from true k/n, in percent or shares.
    places, percent = rate_format
    rates = [Fraction(round(share * n), n) for n, share in groups]
    top = max(rates)
    if top == 0:
        return

    def shown(rate: Fraction) -> str:
        return f"{float(rate * 100):.{places}f}%" if percent else f"{float(rate):.{places}f}"

    table = pd.DataFrame(
        {
            "attribute": ["a"] * len(groups),
            "group": [f"g{i}" for i in range(len(groups))],
            "n": [str(n) for n, _ in groups],
            "rate": [shown(r) for r in rates],
            "impact_ratio": [f"{float(r / top):.{ratio_digits}f}" for r in rates],
        }
    )
    assert ai.check_summary(table, min_share=1e-9).errors == ()
