"""The funnel's and the tiers' reports (``_audits/_funnel_report.py``).

Reference: a funnel counted by hand (who leaves at which stage), and the stage
audits' own tables.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _helpers import funnel_with_dropout, just_below

import adverse_impact as ai
from adverse_impact._audits._funnel_report import (
    dropouts,
    funnel_document,
    funnel_verdict,
    leave_shares,
    tier_document,
)


@pytest.fixture(scope="module")
def funnel():
    return funnel_with_dropout()


def test_funnel_report_marks_where_a_group_falls_under_two_percent(funnel):
    # The group is counted at the first stage and excluded from the second on.
    screened = funnel.stage("screened").table.set_index("group")
    offered = funnel.stage("offered").table.set_index("group")
    assert not screened.loc["Pacific", "excluded"] and offered.loc["Pacific", "excluded"]
    markdown = funnel.to_markdown()
    line = next(x for x in markdown.splitlines() if x.startswith("| Pacific | offered |"))
    number = line.rstrip(" |").rsplit("[", 1)[1].rstrip("]")
    note = next(x for x in markdown.splitlines() if x.startswith(f"{number}. "))
    assert "Pacific falls under the small-category share at offered" in note
    assert "5-301(d)" in note
    # ... and in the chart, where its bar ends with the dagger and the stage.
    assert "† from offered" in funnel.to_html()


def test_funnel_report_has_the_stage_shares_of_the_bottom_line_disparity(funnel):
    markdown = funnel.to_markdown()
    assert "each stage's share of the bottom-line disparity" in markdown
    shares = funnel.decomposition
    row = shares[(shares["group"] == "Black") & (shares["stage"] == "screened")].iloc[0]
    line = next(x for x in markdown.splitlines() if x.startswith("| Black vs "))
    assert f"{row['share']:.0%}" in line
    assert "Connecticut v. Teal" in markdown and "bottom line" in funnel.verdict


def test_funnel_plot_keeps_its_labels_and_key_inside_a_plain_savefig(funnel, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = funnel.plot()
    figure = ax.figure
    figure.savefig(tmp_path / "funnel.png")  # no bbox_inches: what a user does first
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    legend = figure.legends[0]
    texts = [legend, *ax.get_yticklabels(), ax.xaxis.label, ax.title]
    for artist in texts:
        extent = artist.get_window_extent(renderer)
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, artist
        assert extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1, artist
    # Each part's share is written on it where it fits (colour is not the only signal).
    assert any(t.get_text().endswith("%") for t in ax.texts)
    assert [t.get_text() for t in legend.get_texts()][-1] == "3 passed every stage"
    matplotlib.pyplot.close(figure)


# -- by hand -------------------------------------------------------------------------------


def _hand_funnel(offered_b=12):
    # A: 100 apply, 60 screened, 30 offered.  B: 100 apply, 50 screened, offered_b offered.
    rows = []
    for group, screened, offered in (("A", 60, 30), ("B", 50, offered_b)):
        rows += [(group, 1, 1)] * offered
        rows += [(group, 1, 0)] * (screened - offered)
        rows += [(group, 0, 0)] * (100 - screened)
    frame = pd.DataFrame(rows, columns=["race", "screened", "offered"])
    return ai.audit_funnel(frame, stages=["screened", "offered"], sensitive_features="race")


def test_each_groups_applicants_are_split_by_the_stage_they_left_at():
    funnel = _hand_funnel()
    groups, parts = leave_shares("race", list(funnel.results))
    shares = dict(zip(groups, parts))
    # Left at screening, left at the offer, passed both: of each group's 100 applicants.
    assert shares["A"] == pytest.approx([0.40, 0.30, 0.30], abs=1e-15)
    assert shares["B"] == pytest.approx([0.50, 0.38, 0.12], abs=1e-15)
    assert all(sum(row) == pytest.approx(1.0, abs=1e-15) for row in parts)


def test_the_verdict_names_each_failing_step_with_its_worst_group():
    verdict, passes = funnel_verdict(_hand_funnel())
    # B: offered 12 of 50 screened (0.24) against A's 30 of 60 (0.50): 0.48; bottom line
    # 12 of 100 against 30 of 100: 0.40.  Screening: 0.50 against 0.60, 0.83, passes.
    assert passes is False
    assert verdict == (
        "Groups fall below four-fifths at 2 of 3 steps: offered (B, 0.48); bottom line "
        "(B, 0.40); the lowest bottom-line impact ratio is 0.40 (race: B); each of the 3 "
        "steps is judged on its own by the four-fifths rule, with no correction for their "
        "number."
    )


def test_a_passing_funnel_says_so_with_its_lowest_bottom_line_ratio():
    verdict, passes = funnel_verdict(_hand_funnel(offered_b=28))
    assert passes is True
    assert verdict.startswith(
        "No stage, and not the bottom line, has a group below four-fifths; the lowest "
        "bottom-line impact ratio is 0.93 (race: B)"
    )


def test_a_group_is_marked_where_it_first_falls_under_the_small_category_share(funnel):
    names = [*funnel.stages, "bottom line"]
    dropped = dropouts(names, list(funnel.results))
    stage, share = dropped[("race", "Pacific")]
    offered = funnel.stage("offered").table.set_index("group")
    assert stage == "offered" and share == pytest.approx(offered.loc["Pacific", "share"])
    assert share < 0.02 and ("race", "White") not in dropped


def test_the_documents_open_with_the_verdicts():
    funnel = _hand_funnel()
    document = funnel_document(funnel)
    assert (document.verdict, document.passes) == funnel_verdict(funnel)
    assert [section.title for section in document.sections] == ["race"]
    assert document.facts[0].startswith("200 applicants; stages, in order: screened > offered")
    tier = pd.Categorical(
        ["top"] * 30 + ["bottom"] * 70 + ["top"] * 10 + ["bottom"] * 90,
        categories=["bottom", "top"],
        ordered=True,
    )
    tiers = ai.audit_tiers(selected=tier, sensitive_features={"sex": ["F"] * 100 + ["M"] * 100})
    tiered = tier_document(tiers)
    assert tiered.verdict == tiers.verdict and tiered.passes is False


# Ratios beside verdicts show the decimals that decide their side (branch decisive).
# F's ratio is 3,998 / 5,000 = 0.7996 against M's every one of 5,000, below four-fifths
# exactly; two or three decimals round it to 0.80 / 0.800, beside "below 4/5".


@pytest.fixture(scope="module")
def just_below_funnel():
    # One of each sex not screened: the bottom line is 3,998 of 5,001 against 5,000 of
    # 5,001, and the second stage 3,998 of 5,000 against 5,000 of 5,000: 0.7996 both.
    unscreened = pd.DataFrame({"sex": ["F", "M"], "selected": 0, "screened": 0})
    people = pd.concat([just_below().assign(screened=1), unscreened], ignore_index=True)
    return ai.audit_funnel(people, stages=["screened", "selected"], sensitive_features="sex")


def test_the_funnel_verdict_shows_the_decimals_that_put_the_ratio_below(just_below_funnel):
    assert just_below_funnel.flagged_stages() == ["selected", "bottom line"]
    verdict = just_below_funnel.verdict
    assert "selected (F, 0.7996)" in verdict
    assert "the lowest bottom-line impact ratio is 0.7996 (sex: F)" in verdict
    assert "0.80 " not in verdict and "0.80)" not in verdict


def test_the_share_table_shows_the_bottom_line_ratio_on_its_flagged_side(just_below_funnel):
    document = funnel_document(just_below_funnel)
    tables = [b for s in document.sections for b in s.blocks if hasattr(b, "rows")]
    shares = [t for t in tables if "share of the bottom-line disparity" in (t.title or "")]
    (share,) = shares
    assert share.rows[0][:2] == ("F vs M", "0.7996")
    assert "0.7996" in just_below_funnel.to_markdown()


def test_the_funnel_and_tier_reprs_show_the_flagged_ratio_past_three_decimals(just_below_funnel):
    # The ratio column sits beside the flag; the rate column (F's 0.7996 too) is a rate.
    text = repr(just_below_funnel)
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
