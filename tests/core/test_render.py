"""What people read: print(result), the notebook table, chart labels (issue 14, items 3-4)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._core import _render

LONG = [
    "Native Hawaiian or Other Pacific Islander",
    "Black or African American",
    "American Indian or Alaska Native",
    "White",
    "Two or More Races",
]


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    n = 5_000
    frame = pd.DataFrame(
        {
            "sex": rng.choice(
                ["Female", "Male", "Decline to self-identify"], n, p=[0.45, 0.45, 0.1]
            ),
            "race": rng.choice(LONG, n, p=[0.004, 0.2, 0.05, 0.7, 0.046]),
        }
    )
    frame["selected"] = rng.random(n) < np.where(frame["sex"] == "Female", 0.2, 0.3)
    return ai.audit(
        frame,
        selected="selected",
        sensitive_features=["sex", "race"],
        min_share=0.02,
        unknown=["Decline to self-identify"],
    )


def test_print_fits_100_columns_and_marks_reference_and_flags(wide):
    text = repr(wide)
    assert max(len(line) for line in text.splitlines()) <= 100
    female = next(line for line in text.splitlines() if " Female " in line and "|" not in line)
    male = next(line for line in text.splitlines() if " Male " in line and "|" not in line)
    assert female.startswith("*") and male.startswith("R")
    assert "* below 4/5" in text and "R reference" in text


def test_print_shows_each_note_once(wide):
    text = repr(wide)
    # The excluded category is excluded under race and under every sex x race cell.
    assert len(re.findall(r"below min_share", text)) == len(
        set(wide.table.loc[wide.table["excluded"], "note"])
    )
    assert "[1]" in text


def test_repr_html_highlights_flags_marks_reference_explains_exclusions(wide):
    page = wide._repr_html_()
    rows = re.findall(r"<tr([^>]*)>(.*?)</tr>", page)
    flagged = [attrs for attrs, cells in rows if re.search(r"<td[^>]*>below 4/5", cells)]
    assert flagged and all('class="flag' in a and "background" in a for a in flagged)
    assert "Male (reference)" in page
    excluded = [cells for attrs, cells in rows if "excluded" in attrs]
    assert excluded and all(re.search(r"\[\d\]</td>$", cells) for cells in excluded)
    assert "below min_share" in page  # the note the [n] points to
    assert '<dl class="legend"' in page


def test_flagged_leads_with_the_columns_a_reader_needs(wide):
    flagged = wide.flagged()
    assert len(flagged)
    assert list(flagged.columns[:10]) == [
        "attribute",
        "group",
        "n",
        "selected",
        "rate",
        "impact_ratio",
        "ir_ci_low",
        "ir_ci_high",
        "p_value_fisher",
        "significant",
    ]
    assert set(flagged.columns) == set(wide.table.columns)


def test_chart_labels_are_wrapped_or_abbreviated_with_a_key():
    labels = [
        "Female",
        "Black or African American",
        "Male | Native Hawaiian or Other Pacific Islander",
    ]
    svg = _render.svg_bars("t", labels, [0.5, 0.9, 1.0], flags=[True, False, False])
    drawn = re.findall(r'<text class="label"[^>]*>(.*?)<title>', svg)
    spans = [re.findall(r"<tspan[^>]*>(.*?)</tspan>", d) for d in drawn]
    assert spans[0] == ["Female"]
    assert " ".join(spans[1]) == "Black or African American" and len(spans[1]) == 2
    assert spans[2] == ["G1"]
    assert "G1: Male | Native Hawaiian or Other Pacific Islander" in svg
    # The label area is wide enough for the longest drawn line at 7 px a character.
    left = float(re.search(r'<text class="label" x="([\d.]+)"', svg).group(1))
    assert left >= 7 * max(len(s) for parts in spans for s in parts)
    # A flag is not colour alone: the bar's value text carries a star.
    assert re.search(r'class="value"[^>]*>0\.50 \*</text>', svg)


@pytest.mark.parametrize(
    "value,expected", [(0.00099, "< 0.001"), (0.001, "0.001"), (0.04449, "0.044"), (None, "—")]
)
def test_p_values_in_words(value, expected):
    assert _render.fmt_p(value) == expected


@settings(max_examples=60, deadline=None)
@given(
    n_a=st.integers(1, 40),
    sel_b=st.integers(0, 60),
    extra=st.integers(0, 60),
    test=st.sampled_from(["fisher", "z"]),
)
def test_detectable_matches_scipy(n_a, sel_b, extra, test):
    # Reference: scipy's tests on the table of a group with no one selected.
    from scipy.stats import fisher_exact

    from adverse_impact._stats._significance import detectable

    n_b = max(sel_b + extra, 1)
    sel_b = min(sel_b, n_b)
    got = bool(
        detectable(np.array([n_a]), np.array([sel_b]), np.array([n_b]), alpha=0.05, test=test)[0]
    )
    if test == "fisher":
        p = fisher_exact([[0, n_a], [sel_b, n_b - sel_b]]).pvalue
    else:
        from statsmodels.stats.proportion import proportions_ztest

        p = 1.0 if sel_b == 0 else proportions_ztest([0, sel_b], [n_a, n_b])[1]
        p = 1.0 if not np.isfinite(p) else p
    assert got == (p < 0.05 and sel_b > 0)


def test_a_ratio_near_four_fifths_shows_the_decimals_that_decide_its_side():
    # 3,999 of 10,000 against 5,000 of 10,000: 0.7998, below four-fifths exactly.
    # Three decimals read "0.800" beside "below 4/5"; the report prints 0.7998.
    sex = ["F"] * 10_000 + ["M"] * 10_000
    selected = [1] * 3_999 + [0] * 6_001 + [1] * 5_000 + [0] * 5_000
    result = ai.audit(selected=selected, sensitive_features={"sex": sex})
    assert bool(result.table.set_index("group").loc["F", "four_fifths_flag"])
    for text in (result.to_markdown(), result.to_html(), repr(result)):
        assert "0.7998" in text
    # Away from the line the usual three decimals stay.
    fair = ai.audit(
        selected=[1, 0, 1, 1] * 50, sensitive_features={"sex": ["F", "F", "M", "M"] * 50}
    )
    assert "0.500" in fair.to_markdown()


def test_a_float_a_hair_under_the_line_from_an_exact_four_fifths_is_on_it():
    # 12/40 over 30/80 is exactly 4/5, computed 0.7999999999999999: without a
    # decision it is at the line, not below it, and reads 0.80.
    ratio = (12 / 40) / (30 / 80)
    assert ratio < 0.8
    assert _render.decisive(ratio) == "0.80"
    assert _render.decisive(ratio, digits=3) == "0.800"
    assert _render.decisive(3_998 / 5_000) == "0.7996"


def test_a_repr_table_shows_a_flagged_ratio_with_its_deciding_decimals():
    frame = pd.DataFrame(
        {"group": ["F", "G", "M"], "impact_ratio": [0.79996, 0.5, 1.0], "flag": [True, True, False]}
    )
    text = _render.frame_block("Result", frame, decide={"impact_ratio": "flag"})
    assert "0.79996" in text and " 0.8 " not in text
    assert "0.5" in text and "1" in text
    assert " 0.8 " in _render.frame_block("Result", frame)  # what .4g alone writes
    html = _render.html_block("Result", frame, ".3f", decide={"impact_ratio": "flag"})
    assert "0.79996" in html and "0.800" not in html
    # At another line (a gate's floor) with decisions given as a sequence.
    cells = _render.decisive_cells([0.89996, 0.9], [True, False], line=0.9, spec=".3f")
    assert cells == ["0.89996", "0.900"]


def test_a_chart_bar_shows_the_decimals_of_its_flag():
    svg = _render.svg_bars(
        "Impact ratio", ["F", "M"], [3_998 / 5_000, 1.0], flags=[True, False], line=0.8
    )
    assert ">0.7996 *<" in svg and "F: 0.7996</title>" in svg
    assert "0.80 *" not in svg and "0.800</title>" not in svg
    # Without a line the flag is not a side of it: the two decimals stay.
    rates = _render.svg_bars("Rates", ["F"], [0.79996], flags=[True])
    assert ">0.80 *<" in rates
