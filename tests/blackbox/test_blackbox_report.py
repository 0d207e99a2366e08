"""Reports of ranking audits and paired tests: HTML, Markdown and notebook output (issue 26).

The browser tests render the pages in headless Chromium at desktop width and
at 390 px and print them to PDF: no text clipped (chart labels inside their
chart, table cells not squeezed), a key wherever colour is used.  They are
skipped without Chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest
from _helpers import paired_stand_in
from tests.blackbox.test_rankings import PUBLISHED

import adverse_impact as ai
from adverse_impact.datasets import load_llm_rankings

CHROMIUM = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(name)
    ),
    None,
)


@pytest.fixture(scope="module")
def shipped():
    return load_llm_rankings()


@pytest.fixture(scope="module")
def published(shipped) -> ai.RankingAudit:
    return ai.audit_rankings(
        shipped[shipped["kind"] != "oversampled"],
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    )


@pytest.fixture(scope="module")
def paired() -> ai.PairedTestResult:
    return paired_stand_in(0)


# -- rankings ------------------------------------------------------------------------------


def test_ranking_report_of_the_shipped_data_is_small_and_states_the_published_figures(
    shipped, published
):
    page = published.to_html()
    assert len(page.encode("utf-8")) < 150_000
    everything = ai.audit_rankings(
        shipped,
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    )
    assert len(everything.to_html().encode("utf-8")) < 150_000  # all 66,528 rows
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    # The verdict comes first, with the family and the correction.
    body = page.split("<body>", 1)[1]
    assert body.index('<p class="verdict') < body.index("<h2>")
    assert "Holm over all 112 groups" in body.split("</p>", 1)[0]
    for (model, job), counts in PUBLISHED.items():
        section = body.split(f"<h2>{model}, {job}</h2>", 1)[1].split("<h2>", 1)[0]
        sentence = section.split("<p>In the top 1 (race x sex): ", 1)[1].split(".", 1)[0]
        stated = dict(item.rsplit(" ", 1) for item in sentence.split(", "))
        assert stated == {c.replace("_", " | "): str(n) for c, n in counts.items()}, (model, job)
    assert "B | M 0.442 (76/1000 against A | W&#x27;s 172/1000)" in body


def test_ranking_report_keys_directions_and_tests_once(published):
    page = published.to_html()
    assert "<dt>W | W</dt><dd>White women</dd>" in page
    assert "<dt>B | M</dt><dd>Black men</dd>" in page
    assert "fewer than expected" in page and "more than expected" in page
    # Each test's hypothesis once, in the key; not on the rows.
    assert page.count("Pearson goodness of fit") == 1
    assert page.count("<svg") == 16  # per experiment: ranks received, display position
    assert page.count("Ranks received by race x sex") == 8
    assert "mean-rank test (primary)" in page


def test_ranking_markdown_is_short_and_says_the_direction(published):
    text = published.to_markdown()
    assert len(text.encode("utf-8")) < 60_000  # 180 KB before
    assert text.count("Pearson goodness of fit") == 1
    assert "fewer than expected" in text and "- **B | M**: Black men" in text


def test_ranking_report_of_unknown_codes_has_no_invented_key():
    data = pd.DataFrame({"prompt": [1, 1, 2, 2], "group": ["x", "y"] * 2, "rank": [1, 2, 1, 2]})
    page = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank"
    ).to_html()
    assert "Group codes" not in page
    keyed = ai.audit_rankings(
        data, prompt="prompt", sensitive_features="group", rank="rank"
    ).to_html(key={"group": {"x": "the x people", "y": "the y people"}})
    assert "<dt>x</dt><dd>the x people</dd>" in keyed


def test_reports_are_written_to_a_path(tmp_path, published, paired):
    published.to_html(tmp_path / "rankings.html")
    paired.to_markdown(tmp_path / "paired.md")
    assert (tmp_path / "rankings.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "paired.md").read_text("utf-8").startswith("# Paired test")


def test_notebook_output_is_the_report_without_the_page_shell(published, paired):
    for result in (published, paired):
        fragment = result._repr_html_()
        assert fragment.startswith('<div class="adverse-impact-report">')
        assert "<body" not in fragment and 'class="verdict' in fragment


# -- paired tests --------------------------------------------------------------------------


def test_paired_report_shows_effects_names_below_and_failures(paired):
    page = paired.to_html()
    body = page.split("<body>", 1)[1]
    assert body.index('<p class="verdict') < body.index("<h2>")
    assert "Holm over all 28 pairs of groups" in body
    assert "Mean difference from" in body and "<circle" in body  # effects with intervals
    assert "Names that score below their group" in body
    assert paired.names_sentence() in html.unescape(body)
    assert "Failures" in body and "TimeoutError" in body and "units lost" in body
    text = paired.to_markdown()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:3] == [
        "## Effect per group",
        "## Names that score below their group",
        "## Failures",
    ]
    assert "| B \\| M |" in text


# -- in a browser -----------------------------------------------------------------------------

_MEASURE = """
<script>
window.addEventListener("load", () => {
  const clipped = [];
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) clipped.push(text.textContent);
    }
  }
  const squeezed = [];
  for (const cell of document.querySelectorAll("td, th")) {
    if (cell.scrollWidth > cell.clientWidth + 1) squeezed.push(cell.textContent);
  }
  const page = document.documentElement;
  const out = {clipped: clipped, squeezed: squeezed,
               overflow: page.scrollWidth - page.clientWidth,
               legends: document.querySelectorAll("dl.legend").length};
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(tmp_path, *args):
    return subprocess.run(  # noqa: PLW1510 (the caller checks what was written)
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [1200, 390])
@pytest.mark.parametrize("which", ["rankings", "paired"])
def test_reports_lay_out_without_clipping_in_chromium(tmp_path, published, paired, width, which):
    result = published if which == "rankings" else paired
    page = tmp_path / f"{which}.html"
    page.write_text(result.to_html().replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    done = _chromium(
        tmp_path,
        f"--window-size={width},1000",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert measured["clipped"] == []
    assert measured["squeezed"] == []
    assert measured["overflow"] <= 1  # wide tables scroll in their own box, not the page
    assert measured["legends"] >= 1  # a key wherever colour is used


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/run installs it)")
def test_reports_print_to_pdf(tmp_path, published, paired):
    for name, result in (("rankings", published), ("paired", paired)):
        page = tmp_path / f"{name}.html"
        result.to_html(page)
        pdf = tmp_path / f"{name}.pdf"
        done = _chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
        assert pdf.is_file() and pdf.stat().st_size > 10_000, done.stderr[-2000:]
        assert pdf.read_bytes().startswith(b"%PDF")


def test_the_rankings_command_writes_each_format_and_exits_on_the_gate(tmp_path, shipped, capsys):
    from adverse_impact._cli import main

    data = tmp_path / "rankings.csv"
    shipped[shipped["kind"] != "oversampled"].to_csv(data, index=False)
    common = [
        "rankings",
        str(data),
        "--prompt",
        "run",
        "--group",
        "race",
        "--group",
        "sex",
        "--rank",
        "rank",
        "--position",
        "position",
        "--by",
        "model",
        "--by",
        "job",
    ]
    assert main([*common, "--format", "html", "--out", str(tmp_path / "r.html")]) == 1
    page = (tmp_path / "r.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "B | M 0.442" in page
    assert "Holm over all 112 groups" in capsys.readouterr().err
    assert main([*common, "--format", "md", "--fail-on", "never"]) == 0
    assert capsys.readouterr().out.startswith("# Ranking audit (top 1)")
    assert main([*common, "--format", "json", "--fail-on", "never"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] == 1


# -- a ratio beside its flag --------------------------------------------------------------


def test_ranking_report_shows_a_flagged_ratio_past_three_decimals():
    from _helpers import just_below_rankings_audit

    result = just_below_rankings_audit()
    text = result.to_markdown()
    assert "Lowest impact ratio: F 0.7996 (3998/8998 against M's 5000/8998)." in text
    row = next(line for line in text.splitlines() if line.startswith("| F "))
    assert "| 0.7996 | below 4/5 |" in row and "| 0.800 | below" not in row


def test_paired_report_shows_the_decisions_ratio_past_three_decimals():
    from _helpers import just_below_paired

    text = just_below_paired().to_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| women's "))
    # The rate (0.800) then the ratio beside its flag.
    assert "| 0.800 | 0.7996 | below 4/5 |" in row
