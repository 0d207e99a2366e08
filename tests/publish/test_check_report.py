"""The report of a published-summary check: a wrong figure is shown where it differs."""

from __future__ import annotations

import pandas as pd

import adverse_impact as ai
from adverse_impact._publish._check_report import check_document


def test_a_wrong_ratio_is_shown_with_the_decimals_at_which_it_differs():
    # Published 0.8000 for 3,998 of 5,000 against 5,000 of 5,000, which is 0.7996:
    # wrong at four decimals, and three decimals would write both as 0.800.
    table = pd.DataFrame(
        {
            "attribute": ["sex", "sex"],
            "group": ["M", "F"],
            "n": ["5000", "5000"],
            "selected": ["5000", "3998"],
            "rate": ["1.0000", "0.7996"],
            "impact_ratio": ["1.0000", "0.8000"],
        }
    )
    check = ai.check_summary(table)
    assert [f.code for f in check.errors] == ["wrong_ratio"]
    document = check_document(check)
    figures = next(
        b
        for s in document.sections
        for b in s.blocks
        if getattr(b, "title", "") == "Published and recomputed figures"
    )
    (f,) = [r for r in figures.rows if r[0] == "sex: F"]
    assert f[5:7] == ("0.8000", "0.7996")
    # A row found right keeps three decimals.
    (m,) = [r for r in figures.rows if r[0].startswith("sex: M")]
    assert m[5:7] == ("1.000", "1.000")
