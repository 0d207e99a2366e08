"""The small published examples (``datasets/_examples.py``).

Reference: the EEOC's technical assistance of 18 May 2023 (withdrawn January 2025):
48 of 80 White and 12 of 40 Black applicants advance.  (The audit of it is in
``tests/audits/test_audit.py``; here, the table itself.)
"""

from __future__ import annotations

from fractions import Fraction

from adverse_impact.datasets import load_eeoc_example


def test_the_eeoc_example_has_the_published_counts_one_row_per_applicant():
    frame = load_eeoc_example()
    assert frame.columns.tolist() == ["race", "advanced"]
    assert len(frame) == 120 and set(frame["advanced"]) == {0, 1}
    counts = frame.groupby("race")["advanced"].agg(["size", "sum"])
    assert counts.loc["White"].tolist() == [80, 48]
    assert counts.loc["Black"].tolist() == [40, 12]
    # The published arithmetic: 30% / 60% = 1/2, under four-fifths.
    ratio = Fraction(12, 40) / Fraction(48, 80)
    assert ratio == Fraction(1, 2) < Fraction(4, 5)


def test_each_call_returns_a_fresh_table():
    first = load_eeoc_example()
    first.loc[0, "advanced"] = 0
    first["extra"] = 1
    second = load_eeoc_example()
    assert second.loc[0, "advanced"] == 1 and "extra" not in second.columns
