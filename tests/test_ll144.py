"""The NYC Local Law 144 publication packet: every required field, in every rendering."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai

FIELDS = {
    "audit_date": "2026-11-30",
    "distribution_date": "2025-03-01",
    "data_source": "ATS export of 2025 applicants for analyst roles",
}


def applicants(seed: int = 0, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male", None], n, p=[0.47, 0.5, 0.03])
    race = rng.choice(
        [
            "White",
            "Black or African American",
            "Asian",
            "Native Hawaiian or Pacific Islander",
            None,
        ],
        n,
        p=[0.5, 0.25, 0.2, 0.01, 0.04],
    )
    advanced = rng.random(n) < np.where(sex == "Female", 0.22, 0.3)
    return pd.DataFrame(
        {
            "sex": pd.Series(sex, dtype=object),
            "race": pd.Series(race, dtype=object),
            "advanced": advanced.astype(int),
        }
    )


@pytest.fixture(scope="module")
def result() -> ai.AuditResult:
    return ai.audit(
        applicants(), selected="advanced", sensitive_features=["sex", "race"], min_share=0.02
    )


@pytest.fixture(scope="module")
def packet(result):
    return result.to_ll144(
        **FIELDS, tool="ScreenRank 2", employer="Example Corp", auditor="Independent Audits LLC"
    )


def test_markdown_has_every_required_field(packet, result):
    text = packet.to_markdown()
    for value in FIELDS.values():
        assert value in text
    assert "Number of individuals in the unknown category" in text
    for attribute, count in result.unknown.items():
        assert f"{attribute}: {count:,}" in text
    assert "## Sex" in text and "## Race/ethnicity" in text
    assert "## Intersectional categories (sex × race)" in text
    for row in result.table.itertuples():
        label = str(row.group).replace("|", "\\|")
        assert f"| {label} | {row.n:,} | {row.selected:,} | {row.rate:.2f} |" in text
    # 0.80 sentence, the 2% base and the excluded category with n, rate and reason.
    assert "Native Hawaiian or Pacific Islander" in packet.excluded["category"].iloc[0]
    assert "## Categories excluded from the impact ratios" in text
    assert "of the rows whose category is known" in text
    assert "historical data" in text


def test_html_has_every_required_field_and_is_accessible(packet, result):
    page = packet.to_html()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    for value in FIELDS.values():
        assert value in page
    assert page.count("<caption>") >= 4 and 'scope="col"' in page and 'scope="row"' in page
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "0.000" not in re.sub(r"\d0\.000", "", page) or "< 0.001" in page
    assert "@media print" in page
    for row in result.table.itertuples():
        import html

        assert html.escape(str(row.group)) in page  # labels never truncated


def test_json_figures_equal_the_audit(packet, result):
    payload = json.loads(packet.to_json())
    meta = payload["metadata"]
    for key, value in FIELDS.items():
        assert meta[key] == value
    assert meta["min_share_of"] == "known" and meta["data_kind"] == "historical"
    (tier,) = payload["tiers"]
    assert tier["unknown"] == dict(result.unknown)
    table = result.table
    for attribute, rows in tier["tables"].items():
        expected = table[table["attribute"] == attribute]
        assert [r["category"] for r in rows] == [str(g) for g in expected["group"]]
        assert [r["n"] for r in rows] == expected["n"].tolist()
        assert [r["selected"] for r in rows] == expected["selected"].tolist()
        assert [r["rate"] for r in rows] == pytest.approx(expected["rate"].tolist())
        ratios = [np.nan if r["impact_ratio"] is None else r["impact_ratio"] for r in rows]
        np.testing.assert_allclose(ratios, expected["impact_ratio"].to_numpy(dtype=float))


def test_p_values_read_less_than_a_thousandth():
    selected = [1] * 10 + [0] * 190 + [1] * 100 + [0] * 100
    sex = ["F"] * 200 + ["M"] * 200
    packet = ai.audit(selected=selected, sensitive_features={"sex": sex}).to_ll144(**FIELDS)
    assert "< 0.001" in packet.to_markdown() and "&lt; 0.001" in packet.to_html()
    assert "0.000" not in packet.to_markdown()
    assert "statistically significant (Fisher p < 0.001)" in packet.to_markdown()
    assert "data cannot support a firm conclusion:" not in packet.to_markdown()


def test_small_samples_say_the_data_cannot_support_a_conclusion():
    packet = ai.audit(
        selected=[1, 0, 0, 1, 1, 1], sensitive_features={"sex": ["F"] * 3 + ["M"] * 3}
    ).to_ll144(**FIELDS)
    assert "data cannot support a firm conclusion:" in packet.to_markdown()


@pytest.mark.parametrize("missing", sorted(FIELDS))
def test_a_required_field_left_out_is_an_error_naming_it(result, missing):
    fields = {k: v for k, v in FIELDS.items() if k != missing}
    with pytest.raises(ai.InputError, match=f"^{missing}: is required"):
        result.to_ll144(**fields)


def test_test_data_needs_its_explanation(result):
    with pytest.raises(ai.InputError, match="^test_data_explanation: "):
        result.to_ll144(**FIELDS, data_kind="test")
    packet = result.to_ll144(
        **FIELDS,
        data_kind="test",
        test_data_explanation="Too few historical applicants; synthetic "
        "candidates drawn from the 2020 census mix.",
    )
    assert "Why test data, and how it was made" in packet.to_markdown()


def test_bad_dates_and_kinds(result):
    with pytest.raises(ai.InputError, match="^audit_date: '30/11/2026' is not an ISO date"):
        result.to_ll144(**{**FIELDS, "audit_date": "30/11/2026"})
    with pytest.raises(ai.InputError, match="^data_kind: "):
        result.to_ll144(**FIELDS, data_kind="synthetic")


def test_min_share_of_all_is_printed(result):
    every = ai.audit(
        applicants(),
        selected="advanced",
        sensitive_features=["sex", "race"],
        min_share=0.02,
        min_share_of="all",
    )
    text = every.to_ll144(**FIELDS).to_markdown()
    assert "all rows, unknown category included" in text


def test_tiers_give_one_set_of_tables_per_tier():
    rng = np.random.default_rng(1)
    sex = rng.choice(["Female", "Male"], 600)
    tier = pd.Categorical(
        rng.choice(["bottom", "middle", "top"], 600),
        categories=["bottom", "middle", "top"],
        ordered=True,
    )
    tiers = ai.audit_tiers(
        pd.DataFrame({"sex": sex, "tier": tier}), selected="tier", sensitive_features="sex"
    )
    assert tiers.tiers == ("top", "middle")
    top = tiers.results[0].table.set_index("group")
    for group in ("Female", "Male"):
        assert top.loc[group, "selected"] == ((sex == group) & (tier == "top")).sum()
    middle = tiers.results[1].table.set_index("group")
    assert middle.loc["Female", "selected"] == ((sex == "Female") & (tier >= "middle")).sum()
    packet = tiers.to_ll144(**FIELDS)
    text = packet.to_markdown()
    assert "Placed in tier “top” or better" in text and "“middle” or better" in text
    assert [t["tier"] for t in json.loads(packet.to_json())["tiers"]] == ["top", "middle"]
    with pytest.raises(ai.InputError, match="^selected: is not an ordered categorical"):
        ai.audit_tiers(selected=["a", "b"], sensitive_features={"sex": ["F", "M"]})


def test_packet_is_frozen(packet):
    with pytest.raises(AttributeError):
        packet.tiers = ()
    assert "LL144Packet: ScreenRank 2" in repr(packet)


CHROMIUM = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(name)
    ),
    None,
)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/run installs it)")
def test_packet_renders_in_headless_chromium_and_prints_to_two_pages(packet, tmp_path):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    page = tmp_path / "packet.html"
    packet.to_html(page)
    png, pdf = tmp_path / "packet.png", tmp_path / "packet.pdf"
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    done = subprocess.run(
        [*common, f"--screenshot={png}", "--window-size=1100,1500", page.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.is_file(), done.stderr[-2000:]
    rgb = matplotlib_image.imread(png)[..., :3]
    assert rgb.std() > 0.05
    done = subprocess.run(
        [*common, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pdf.is_file(), done.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 1 <= pages <= 2  # "printable in one or two pages for a typical audit"


def test_scoring_rate_packet_names_the_median():
    rng = np.random.default_rng(3)
    sex = rng.choice(["Female", "Male"], 400)
    score = rng.normal(size=400) + (sex == "Male") * 0.3
    packet = ai.audit(score=score, sensitive_features={"sex": sex}).to_ll144(**FIELDS)
    text = packet.to_markdown()
    assert "Scoring rate" in text and "Number scoring above the median" in text
    assert f"{np.median(score):.4f}" in text


def test_weighted_audits_cannot_be_published():
    result = ai.audit(
        selected=[1, 0, 1, 1],
        sensitive_features={"sex": ["F", "F", "M", "M"]},
        sample_weight=[1.0, 2.0, 1.0, 1.0],
    )
    with pytest.raises(ai.InputError, match="^result: is a weighted audit"):
        result.to_ll144(**FIELDS)
