"""The report of a published-summary check (``_publish/_check_report.py``).

The document reads only the check's public surface, so a stand-in with that
surface pins the rendering without the checking logic (tested in test_check.py).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._publish._check_report import _num, check_document


def _finding(severity, message, attribute="sex", group="Female", expected=None, knock_on=()):
    code = "wrong_ratio" if severity == "error" else "missing_unknown"
    return SimpleNamespace(
        severity=severity,
        message=message,
        attribute=attribute,
        group=group,
        expected=expected,
        knock_on=tuple(knock_on),
        code=code,
    )


TABLE = pd.DataFrame(
    {
        "attribute": ["sex", "sex"],
        "group": ["Male", "Female"],
        "n": [217, 971],
        "selected": [170, 753],
        "published_rate": [0.78, 0.78],
        "rate": [170 / 217, 753 / 971],
        "published_ratio": [1.0, 0.93],
        "impact_ratio": [1.0, (753 / 971) / (170 / 217)],
        "is_reference": [True, False],
        "excluded": [False, False],
    }
)


def _check(findings=(), min_share_of="known"):
    return SimpleNamespace(
        findings=tuple(findings),
        table=TABLE,
        consistent=lambda: not any(f.severity == "error" for f in findings),
        min_share=0.02,
        min_share_of=min_share_of,
    )


def test_no_finding_is_a_passing_verdict_with_an_empty_findings_table():
    document = check_document(_check())
    assert document.verdict == "Every published figure agrees with the published counts."
    assert document.passes is True
    found, figures = (section.blocks[0] for section in document.sections)
    assert found.rows == () and len(figures.rows) == 2


def test_errors_come_first_and_the_verdict_counts_both_kinds():
    warning = _finding("warning", "no unknown row", attribute=None, group=None)
    error = _finding(
        "error", "Female's ratio is 0.99", expected=0.99034, knock_on=["the reference"]
    )
    second = _finding("error", "Male's rate is wrong", group="Male")
    document = check_document(_check([warning, error, second]))
    assert document.verdict == (
        "The published summary has 2 errors and 1 warning; first: Female's ratio is 0.99"
    )
    assert document.passes is False
    found = document.sections[0].blocks[0]
    assert [row[0] for row in found.rows] == ["error", "error", "warning"]
    assert found.rows[0] == (
        "error",
        "sex / Female",
        "Female's ratio is 0.99; explains: the reference",
        "0.990",
        "wrong_ratio",
    )
    assert found.rows[2][1] == "whole table" and found.rows[2][3] == "—"
    assert found.row_classes == ("flag", "flag", "")
    one = check_document(_check([error]))
    assert one.verdict.startswith("The published summary has 1 error and 0 warnings;")


def test_the_figures_mark_the_reference_and_the_rows_in_error():
    document = check_document(_check([_finding("error", "wrong")]))
    figures = document.sections[1].blocks[0]
    male, female = figures.rows
    assert male[0] == "sex: Male (reference)" and female[0] == "sex: Female"
    assert female[5:] == ("0.930", "0.990", "no", "error")
    assert male[-1] == "—"
    assert figures.row_classes == ("", "flag")


@pytest.mark.parametrize(
    ("base", "words"),
    [
        ("known", "the rows of known category."),
        ("all", "all rows, unknown category included."),
        ("either", "the known rows or of all rows (either is accepted)."),
    ],
)
def test_the_facts_say_which_base_the_two_percent_rule_used(base, words):
    facts = check_document(_check(min_share_of=base)).facts
    assert facts == (f"Small-category threshold: 2% of {words}",)


def test_numbers_are_printed_to_three_decimals_and_the_missing_as_a_dash():
    assert _num(0.99034) == "0.990" and _num(2, digits=1) == "2.0"
    assert _num(None) == _num(math.nan) == _num(math.inf) == "—"
    assert _num("n/a") == "n/a"


def test_a_real_check_renders_through_the_same_document():
    table = pd.DataFrame(
        {
            "attribute": ["sex"] * 3,
            "group": ["Male", "Female", "Unknown"],
            "n": ["217", "971", "12"],
            "selected": ["170", "753", ""],
            "rate": ["0.78", "0.78", ""],
            "impact_ratio": ["1.00", "0.93", ""],
        }
    )
    check = ai.check_summary(table)
    assert check.verdict == check_document(check).verdict
    assert check.verdict.startswith("The published summary has 1 error and 0 warnings; first: ")


# Ratios beside verdicts show the decimals that decide their side (branch decisive).


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
