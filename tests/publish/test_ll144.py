"""The NYC Local Law 144 publication packet: every required field, in every rendering."""

from __future__ import annotations

import html
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
    assert f"{np.median(score):.6g}" in text and "taken over all 400 rows" in text


def test_weighted_audits_cannot_be_published():
    result = ai.audit(
        selected=[1, 0, 1, 1],
        sensitive_features={"sex": ["F", "F", "M", "M"]},
        sample_weight=[1.0, 2.0, 1.0, 1.0],
    )
    with pytest.raises(ai.InputError, match="^result: is a weighted audit"):
        result.to_ll144(**FIELDS)


# -- issue 25: the packet near the line, its flag column, title and fields -------------------


def _near_the_line(female: int = 398) -> ai.AuditResult:
    """Female 398/1000 against male 500/1000: an impact ratio of 0.796."""
    return ai.audit(
        selected=[1] * female + [0] * (1000 - female) + [1] * 500 + [0] * 500,
        sensitive_features={"sex": ["Female"] * 1000 + ["Male"] * 1000},
    )


@pytest.mark.parametrize(
    ("female", "shown"), [(398, "0.796"), (399, "0.798"), (400, "0.80"), (401, "0.80")]
)
def test_a_ratio_near_the_line_shows_the_decimals_that_decide_it(female, shown):
    packet = _near_the_line(female).to_ll144(**FIELDS)
    below = female < 400
    markdown, page = packet.to_markdown(), packet.to_html()
    tier = json.loads(packet.to_json())["tiers"][0]
    headline = tier["headlines"]["sex"]
    assert tier["tables"]["sex"][0]["impact_ratio_text"] == shown
    row = next(line for line in markdown.splitlines() if line.startswith("| Female"))
    assert row.split("|")[5].strip() == shown
    assert f"at {shown} times the rate" in headline and f"at {shown} times" in markdown
    assert ("below the four-fifths reference line" in headline) == below
    assert f"<td>{shown}{' — below 0.80' if below else ''}</td>" in page
    assert packet.summary().splitlines()[0].endswith(f"lowest impact ratio {shown}")
    # The verdict under the title names the same ratio, in every format.
    assert f"the lowest is {shown} (Female, sex)" in packet.verdict
    for text in (markdown, html.unescape(page), packet.summary()):
        assert packet.verdict in text
    # Nowhere does a ratio print as 0.80 beside a flag that says it is below 0.80.
    if below:
        for text in (markdown, page, headline):
            assert "0.80 times" not in text and "<td>0.80 — below" not in text


def test_the_decisive_digits_agree_with_the_exact_flag_over_a_grid():
    from fractions import Fraction

    from adverse_impact._publish._ll144 import FOUR_FIFTHS, decisive

    for num in range(1, 400):
        for den in (400, 401, 997, 1000):
            exact = Fraction(num, den) / Fraction(1, 2)
            if not Fraction(3, 4) < exact < Fraction(17, 20):
                continue
            below = exact < Fraction(4, 5)
            text = decisive(float(exact), below)
            assert (float(text) < FOUR_FIFTHS) == below, (num, den, text)
            assert len(text.split(".")[1]) >= 2


def test_markdown_table_has_the_flag_column():
    text = _near_the_line().to_ll144(**FIELDS).to_markdown()
    header = next(line for line in text.splitlines() if line.startswith("| Category"))
    assert "Four-fifths flag" in header
    female = next(line for line in text.splitlines() if line.startswith("| Female"))
    male = next(line for line in text.splitlines() if line.startswith("| Male"))
    assert "| below 0.80 |" in female and "below" not in male


def test_the_packet_reads_back_with_its_flag_column(tmp_path):
    path = tmp_path / "packet.md"
    _near_the_line().to_ll144(**FIELDS).to_markdown(path)
    check = ai.check_summary(str(path))
    assert check.consistent(), check.findings


@pytest.mark.parametrize("suffix", [".md", ".json"])
def test_a_packet_with_excluded_categories_checks_clean_as_published(packet, tmp_path, suffix):
    # "excluded¹" is a footnoted word, and the list of excluded categories repeats
    # rows of the attribute tables: neither is a finding.
    assert len(packet.excluded)
    path = tmp_path / f"packet{suffix}"
    (packet.to_markdown if suffix == ".md" else packet.to_json)(path)
    check = ai.check_summary(str(path), min_share_of="known")
    assert check.consistent() and not check.findings, check.findings


def test_title_applies_to_the_packet():
    packet = _near_the_line().to_ll144(**FIELDS, tool="ScreenRank", title="Acme 2026 bias audit")
    assert packet.to_markdown().startswith("# Acme 2026 bias audit\n")
    assert "<h1>Acme 2026 bias audit</h1>" in packet.to_html()
    assert packet.to_dict()["metadata"]["title"] == "Acme 2026 bias audit"


def test_every_missing_field_is_named_at_once(result):
    with pytest.raises(ai.InputError) as error:
        result.to_ll144()
    message = str(error.value)
    assert message.startswith("audit_date, distribution_date, data_source: are required")
    for name in FIELDS:
        assert f"{name}=" in message


def test_exclusion_reason_states_the_share_of_all_rows():
    groups = ["F"] * 1000 + ["M"] * 1000 + ["X"] * 20 + [None] * 30
    selected = [1] * 400 + [0] * 600 + [1] * 500 + [0] * 500 + [1] * 10 + [0] * 40
    every = ai.audit(
        selected=selected, sensitive_features={"sex": groups}, min_share=0.01, min_share_of="all"
    )
    packet = every.to_ll144(**FIELDS)
    reason = packet.excluded["reason"].iloc[0]
    # 20 of 2,050 rows (0.98%), as the audit's own note says; of known rows it is 0.99%.
    assert "0.98% of all rows" in every.table["note"].iloc[2]
    assert reason.startswith("0.98% of all rows (unknown category included) is under the 1%")
    known = ai.audit(selected=selected, sensitive_features={"sex": groups}, min_share=0.01)
    assert (
        known.to_ll144(**FIELDS)
        .excluded["reason"]
        .iloc[0]
        .startswith("0.99% of the rows of known category")
    )


def test_a_scoring_audit_states_its_median_and_its_rows_in_every_format():
    from adverse_impact._publish._report import render_json

    rng = np.random.default_rng(3)
    sex = rng.choice(["Female", "Male", None], 400, p=[0.45, 0.45, 0.1])
    score = np.round(rng.normal(70, 10, 400), 1)
    result = ai.audit(score=score, sensitive_features={"sex": sex})
    median = f"{np.median(score):.6g}"
    said = f"median score, {median}, taken over all 400 rows (unknown category included)"
    packet = result.to_ll144(**FIELDS)
    for name, text in {
        "terminal": " ".join(repr(result).split()),
        "notebook": result._repr_html_(),
        "HTML report": result.to_html(),
        "Markdown report": result.to_markdown(),
        "JSON report": json.loads(render_json(result))["measure"],
        "packet (Markdown)": packet.to_markdown(),
        "packet (HTML)": packet.to_html(),
    }.items():
        assert said in text, name


def test_test_data_explanation_is_named_with_the_other_missing_fields(result):
    with pytest.raises(ai.InputError) as error:
        result.to_ll144(data_source="synthetic candidates", data_kind="test")
    message = str(error.value)
    assert message.startswith("audit_date, distribution_date, test_data_explanation: are")
    assert "5-302(b)" in message


def test_to_dict_opens_with_the_packet_s_finding(packet):
    payload = packet.to_dict()
    assert payload["finding"] == packet.verdict
    assert list(payload)[0] == "finding"
    assert json.loads(packet.to_json())["finding"] == packet.verdict
    assert payload["finding"].startswith(packet.summary().splitlines()[1][:40])
