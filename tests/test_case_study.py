"""The recruiting-tool case study: its findings hold across seeds; the CLI writes the report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adverse_impact.case_study import recruiting_tool, scrub_gendered_terms


@pytest.fixture(scope="module", params=[1, 2, 3])
def study(request):
    return recruiting_tool(6_000, random_state=request.param)


def test_the_model_reproduces_the_historys_skew(study):
    n = study.numbers
    assert n["data"]["history_impact_ratio"] < 0.6
    # Equally qualified by construction ...
    assert abs(n["data"]["qualified_rate_women"] - n["data"]["qualified_rate_men"]) < 0.05
    # ... yet the model's impact ratio is below four-fifths, significantly, and qualified
    # women advance less often than qualified men.
    assert n["audit"]["impact_ratio_women"] < 0.8 and n["audit"]["significant_women"]
    assert n["audit"]["ci_high_women"] < 0.8
    assert n["audit"]["qualified_ratio_women"] < 0.8


def test_the_proxy_tools_find_the_planted_proxies(study):
    n = study.numbers["proxies"]
    assert n["top_tokens_women"][0] == "women's"
    assert n["rank_womens"] <= 3
    assert n["recall_planted_top20"] >= 0.6
    # An all-women's college is among the model's top proxies (issue: "women's
    # and the all-women's colleges at the top").
    colleges = {"wellesley", "smith", "bryn", "mawr"}
    assert colleges & set(n["top_leakage"][:12])
    # Swapping "women's" for "men's" raises women's scores; the reverse swap
    # lowers men's.  (The overall mean mixes both directions.)
    change = {row["group"]: row["mean_change"] for row in n["counterfactual_by_group"]}
    assert change["female"] > 0.02 and change["male"] < -0.02
    assert n["counterfactual_n_swapped"] > 0 and n["counterfactual_flip_rate"] > 0


def test_names_on_resumes_a_paired_test_finds_the_gap(study):
    """2024 edition: swapping only the name moves score and decision; ranker counterbalanced."""
    n = study.numbers["names"]
    assert n["mean_diff_women"] < 0 and n["ci_high_women"] < 0
    assert n["p_value_wilcoxon_women"] < 1e-6 and n["p_value_t_women"] < 1e-6
    assert n["only_men_advance"] > n["only_women_advance"]
    assert n["impact_ratio_women"] < 1
    # The stand-in ranker's primacy bonus shows in the position test; with
    # positions counterbalanced it does not hide or create the sex effect.
    assert n["ranker_p_value_position"] < 1e-10 and n["ranker_first_shown_rate"] > 0.2
    assert n["ranker_first_rate_women"] < n["ranker_first_rate_men"]
    assert study.paired_screener.n_calls == 1 and study.paired_ranker.n_units == 1_000
    assert "3b. Names" in study.summary()


def test_scrubbing_is_not_enough(study):
    n = study.numbers
    assert "women's" not in " ".join(scrub_gendered_terms(study.applicants["resume"][:200]))
    assert n["scrub"]["recoverability_auc"] > 0.75  # gender is still in the text
    assert n["scrub"]["impact_ratio_women"] < 0.9
    assert "women's" not in n["scrub"]["top_leakage"]


def test_mitigation_closes_the_rate_gap_and_reports_its_cost(study):
    m = study.numbers["mitigation"]
    assert m["impact_ratio_women"] > study.numbers["scrub"]["impact_ratio_women"]
    assert 0 < m["selected_share"] < 1 and 0 < m["precision"] <= 1
    assert "2000e-2(l)" in study.numbers["notes"]["mitigation"]


def test_reports_hold_aggregates_only(study, tmp_path):
    study.to_html(tmp_path / "study.html")
    text = (tmp_path / "study.html").read_text() + study.to_json()
    sample = study.applicants["resume"].iloc[0].splitlines()[-1]  # the unique filler line
    assert sample not in text
    assert json.loads(study.to_json())["audit"]["impact_ratio_women"] < 0.8
    assert "<svg" in text and "http" not in (tmp_path / "study.html").read_text()


def test_bad_arguments():
    from adverse_impact import InputError

    with pytest.raises(InputError, match="n_samples"):
        recruiting_tool(10)
    with pytest.raises(InputError, match="select_top"):
        recruiting_tool(2_000, select_top=1.5)


def test_cli_case_study_writes_report_and_json(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "adverse_impact",
            "case-study",
            "--out",
            str(tmp_path / "out"),
            "--n-samples",
            "3000",
            "--seed",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Generating" in done.stderr and "impact ratio" in done.stdout
    numbers = json.loads((tmp_path / "out" / "case-study.json").read_text())
    assert numbers["params"]["random_state"] == 4
    assert (tmp_path / "out" / "case-study.html").stat().st_size > 5_000


def test_the_search_finds_or_refuses_a_less_discriminatory_alternative(study):
    n = study.numbers["alternatives"]
    table = {row["model"]: row for row in n["table"]}
    lawful = [r for r in table.values() if not r["uses_protected_attribute"]]
    best = max(r["metric"] for r in lawful)
    current = table[n["current"]]
    qualifies = [
        r
        for r in lawful
        if r["metric"] >= best - n["tolerance"]
        and r["min_impact_ratio"] >= current["min_impact_ratio"] + n["min_gain"]
    ]
    assert n["found"] == bool(qualifies)
    if n["found"]:
        assert n["chosen"] in {r["model"] for r in qualifies} and n["chosen"] in n["sentence"]
    else:
        assert "cannot" in n["sentence"]
    # Gender-specific cut-offs are shown beside the candidates, never chosen.
    aside = [r for r in table.values() if r["uses_protected_attribute"]]
    assert len(aside) == 1 and n["chosen"] != aside[0]["model"]
    assert "6. Search for a less discriminatory alternative" in study.summary()
    assert "Less discriminatory alternatives" in study.to_html()
