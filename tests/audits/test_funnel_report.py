"""The funnel's and the tiers' reports and reprs: a ratio beside its flag shows its side.

F's ratio is 3,998 / 5,000 = 0.7996 against M's every one of 5,000, below four-fifths
exactly; two or three decimals round it to 0.80 / 0.800, beside "below 4/5".
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _helpers import just_below

import adverse_impact as ai
from adverse_impact._audits._funnel_report import funnel_document


@pytest.fixture(scope="module")
def funnel():
    # One of each sex not screened: the bottom line is 3,998 of 5,001 against 5,000 of
    # 5,001, and the second stage 3,998 of 5,000 against 5,000 of 5,000: 0.7996 both.
    unscreened = pd.DataFrame({"sex": ["F", "M"], "selected": 0, "screened": 0})
    people = pd.concat([just_below().assign(screened=1), unscreened], ignore_index=True)
    return ai.audit_funnel(people, stages=["screened", "selected"], sensitive_features="sex")


def test_the_funnel_verdict_shows_the_decimals_that_put_the_ratio_below(funnel):
    assert funnel.flagged_stages() == ["selected", "bottom line"]
    verdict = funnel.verdict
    assert "selected (F, 0.7996)" in verdict
    assert "the lowest bottom-line impact ratio is 0.7996 (sex: F)" in verdict
    assert "0.80 " not in verdict and "0.80)" not in verdict


def test_the_share_table_shows_the_bottom_line_ratio_on_its_flagged_side(funnel):
    document = funnel_document(funnel)
    tables = [b for s in document.sections for b in s.blocks if hasattr(b, "rows")]
    shares = [t for t in tables if "share of the bottom-line disparity" in (t.title or "")]
    (share,) = shares
    assert share.rows[0][:2] == ("F vs M", "0.7996")
    assert "0.7996" in funnel.to_markdown()


def test_the_funnel_and_tier_reprs_show_the_flagged_ratio_past_three_decimals(funnel):
    # The ratio column sits beside the flag; the rate column (F's 0.7996 too) is a rate.
    text = repr(funnel)
    assert re.search(r"0\.7996\s+True", text) and not re.search(r"0\.800\s+True", text)
    data = just_below()
    tier = pd.Categorical(
        ["high" if s else "low" for s in data["selected"]],
        categories=["low", "high"],
        ordered=True,
    )
    tiers = ai.audit_tiers(selected=tier, sensitive_features={"sex": data["sex"]})
    text = repr(tiers)
    assert re.search(r"0\.7996\s+True", text) and not re.search(r"0\.800\s+True", text)
