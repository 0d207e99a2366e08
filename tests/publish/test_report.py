"""Markdown (LL144), HTML and JSON reports; suppression, fingerprints, atomic writes."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from _helpers import funnel_with_dropout

import adverse_impact as ai


def _data():
    rng = np.random.default_rng(3)
    n = 2_000
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["Female", "Male"], n, p=[0.4, 0.6]),
            "race": rng.choice(
                ["Asian", "Black", "White", "Two or More Races"], n, p=[0.2, 0.2, 0.59, 0.01]
            ),
        }
    )
    frame["selected"] = rng.random(n) < np.where(frame["sex"] == "Female", 0.2, 0.35)
    frame.loc[:20, "sex"] = None
    return frame


@pytest.fixture(scope="module")
def result():
    return ai.audit(
        _data(), selected="selected", sensitive_features=["sex", "race"], min_share=0.02
    )


def test_markdown_has_the_ll144_layout(result):
    text = result.to_markdown(data_source="ATS export 2025", audit_date="2026-01-15")
    assert "2026-01-15" in text and "ATS export 2025 (historical data)" in text
    for heading in ("## sex", "## race", "## sex x race"):
        assert heading in text
    assert (
        "| Category | Number of applicants | Number selected | Selection rate | Impact ratio |"
        in text
    )
    assert f"sex: {result.unknown['sex']}" in text  # the unknown category's count
    line = next(x for x in text.splitlines() if x.startswith("| Two or More Races |"))
    assert "| excluded |" in line and line.endswith("| [1] |")
    assert "\n1. excluded: " in text and "5-301(d)" in text
    assert "Female | Asian" in text.replace("\\|", "|")


def test_markdown_names_the_scoring_rate():
    frame = _data()
    frame["score"] = np.random.default_rng(0).random(len(frame))
    result = ai.audit(frame, score="score", sensitive_features="sex")
    text = result.to_markdown()
    assert "Scoring rate" in text and "above the median" in text


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.links.append(value)


def test_html_is_self_contained_with_tables_and_charts(result, tmp_path):
    page = result.to_html(tmp_path / "audit.html")
    assert (tmp_path / "audit.html").read_text(encoding="utf-8") == page
    parser = _Collector()
    parser.feed(page)
    assert parser.tags.count("table") == 3 and parser.tags.count("svg") == 6
    assert parser.tags.count("dl") == 1  # the key: flags are words, not colour alone
    assert parser.links == []  # nothing fetched: no src or href at all
    assert "<script" not in page
    assert "four-fifths line" in page


def test_html_escapes_labels():
    result = ai.audit(
        selected=[1, 0, 1, 1], sensitive_features={"g": ["<script>x</script>"] * 2 + ["b"] * 2}
    )
    page = result.to_html()
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_html_with_sweep_and_proxies(result):
    scores = np.linspace(0, 1, 200)
    sweep = ai.threshold_sweep(scores, sensitive_features={"sex": ["F", "M"] * 100})
    frame = pd.DataFrame({"feature": ["women's"], "leakage": [0.4]})

    class Proxies:
        def to_frame(self):
            return frame

    page = result.to_html(sweep=sweep, proxies=Proxies())
    assert "Threshold sweep" in page and "Top proxies" in page and "women&#x27;s" in page


def test_json_round_trip_and_fingerprint(result):
    report = json.loads(result.to_json())
    assert [row["group"] for row in report["table"]] == list(result.table["group"])
    assert [row["n"] for row in report["table"]] == list(result.table["n"])
    assert report["library"]["name"] == "adverse-impact" and report["generated"].endswith("+00:00")
    assert report["unknown"] == dict(result.unknown)
    # Same counts, rows shuffled: same fingerprint; one selection moved: a different one.
    frame = _data()
    again = ai.audit(
        frame.sample(frac=1, random_state=1),
        selected="selected",
        sensitive_features=["sex", "race"],
        min_share=0.02,
    )
    assert json.loads(again.to_json())["fingerprint"] == report["fingerprint"]
    frame.loc[100, "selected"] = not frame.loc[100, "selected"]
    changed = ai.audit(
        frame, selected="selected", sensitive_features=["sex", "race"], min_share=0.02
    )
    assert json.loads(changed.to_json())["fingerprint"] != report["fingerprint"]


def test_min_cell_suppresses_in_every_format(result):
    k = 30
    small = result.table.loc[result.table["n"] < k]
    assert len(small)  # the 1% category is small
    label = str(small["group"].iloc[0])
    report = json.loads(result.to_json(min_cell=k))
    row = next(r for r in report["table"] if r["group"] == label)
    assert row["n"] == f"<{k}" and row["rate"] is None and row["impact_ratio"] is None
    assert row["suppressed"] is True
    markdown = result.to_markdown(min_cell=k)
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {label} |"))
    assert f"<{k}" in line and "—" in line
    page = result.to_html(min_cell=k)
    assert f"&lt;{k}" in page
    with pytest.raises(ai.InputError, match="min_cell"):
        result.to_json(min_cell=0)


def test_reports_hold_no_row_level_data(tmp_path):
    # Unique markers in every column that is not an aggregate: none may leak.
    n = 300
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "applicant_id": [f"ID-MARKER-{i:05d}" for i in range(n)],
            "email": [f"person{i}@marker.example" for i in range(n)],
            "sex": rng.choice(["F", "M"], n),
            "selected": rng.integers(0, 2, n),
            "score": rng.random(n) + 0.123456789,
        }
    )
    result = ai.audit(frame, selected="selected", sensitive_features="sex")
    texts = [
        result.to_markdown(),
        result.to_html(),
        result.to_json(),
        repr(result),
        result._repr_html_(),
    ]
    for text in texts:
        assert "MARKER" not in text and "marker.example" not in text
        assert "0.123456789" not in text


# -- what people read (issue 14, item 4) ----------------------------------------------


def _tiny_group_result():
    # 300 women (60 selected), 300 men (105 selected) and one person of a third sex
    # category, not selected: flagged at ratio 0 on one person.
    selected = [1] * 60 + [0] * 240 + [1] * 105 + [0] * 195 + [0]
    sex = ["F"] * 300 + ["M"] * 300 + ["X"]
    return ai.audit(selected=selected, sensitive_features={"sex": sex})


def test_markdown_reads_in_words_with_flag_column_and_legend():
    text = _tiny_group_result().to_markdown(audit_date="2026-12-01")
    header = next(line for line in text.splitlines() if line.startswith("| Category |"))
    for words in (
        "Impact ratio",
        "95% interval (impact ratio)",
        "p-value (Fisher)",
        "Shortfall (people)",
        "Flag",
        "Notes",
    ):
        assert f"| {words} |" in header
    assert "p_value" not in text and "ir_ci" not in text and "four_fifths_flag" not in text
    women = next(line for line in text.splitlines() if line.startswith("| F |"))
    # Fisher's p for 60/300 vs 105/300 (scipy.stats.fisher_exact) is 6e-5: shown "< 0.001".
    from scipy.stats import fisher_exact

    assert fisher_exact([[60, 240], [105, 195]]).pvalue < 0.001
    assert "| < 0.001 |" in women
    assert "| about 45 |" in women  # shortfall 300 * 105/300 - 60 = 45 people
    assert "| below 4/5 |" in women  # the flag in words, not colour
    assert "| M (reference) |" in text
    assert "**Key.**" in text and 'Flag "below 4/5"' in text


def test_markdown_footnotes_stay_separate_when_rendered():
    markdown = pytest.importorskip("markdown")
    text = _tiny_group_result().to_markdown()
    page = markdown.markdown(text, extensions=["tables"])
    notes = page.split("<h2>Notes</h2>")[1]
    assert notes.count("<li>") == 2  # two numbered notes, each its own list item
    assert "<li>one different selection would reverse" in notes


def test_notes_are_shown_once_in_every_format():
    result = ai.audit(
        _data(), selected="selected", sensitive_features=["sex", "race"], min_share=0.02
    )
    # The excluded category appears under race and under every sex x race cell; the same
    # note text once in each report.
    md = result.to_markdown()
    note = next(line for line in md.splitlines() if line.startswith("1. excluded"))
    assert md.count(note[3:]) == 1
    page = result.to_html()
    assert page.count(html_escape(note[3:])) == 1
    text = repr(result)
    assert text.count(note[3:40]) == 1


def html_escape(text):
    import html

    return html.escape(text)


def _strata_result():
    rng = np.random.default_rng(4)
    n = 1_200
    frame = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], n), "site": rng.choice(["north", "south", "east"], n)}
    )
    frame["selected"] = rng.random(n) < np.where(frame["sex"] == "F", 0.2, 0.35)
    return ai.audit(frame, selected="selected", sensitive_features="sex", strata="site")


def test_strata_results_in_every_format():
    result = _strata_result()
    odds = result.pooled["mh_odds_ratio"].dropna().iloc[0]
    shown = f"{odds:.3f}"
    assert "Mantel-Haenszel" in result.to_markdown() and shown in result.to_markdown()
    assert "Mantel-Haenszel" in result.to_html() and shown in result.to_html()
    assert "Mantel-Haenszel" in repr(result) and shown in repr(result)
    assert "Mantel-Haenszel" in result._repr_html_() and shown in result._repr_html_()
    assert json.loads(result.to_json())["pooled"][0]["mh_odds_ratio"] is not None


def test_tiny_group_flag_is_explained_in_reports():
    result = _tiny_group_result()
    row = result.table.set_index("group").loc["X"]
    assert bool(row["four_fifths_flag"]) and bool(row["flip_flop"])
    assert not bool(row["detectable"])  # even 0 of 1 is not significantly lower
    md = result.to_markdown()
    line = next(x for x in md.splitlines() if x.startswith("| X |"))
    assert "below 4/5, few people" in line
    assert "flip-flop" in md and "Q&A 21" in md
    page = result.to_html()
    assert "few people" in page and "flip-flop" in page
    text = repr(result)
    assert "few people" in text and "flip-flop" in text


# -- one publication layer for every result (issue 26) ---------------------------------------


def _results():
    rng = np.random.default_rng(12)
    n = 600
    sex = rng.choice(["F", "M"], n)
    age = rng.integers(20, 66, n)
    score = rng.normal(0, 1, n) - 0.4 * (sex == "F")
    y = rng.random(n) < 0.4
    tier = pd.Categorical(
        np.select([score > 0.8, score > 0], ["top", "middle"], "bottom"),
        categories=["bottom", "middle", "top"],
        ordered=True,
    )
    published = pd.DataFrame(
        {
            "attribute": ["sex"] * 2,
            "group": ["Male", "Female"],
            "n": [200, 100],
            "selected": [100, 30],
            "rate": ["0.50", "0.30"],
            "impact_ratio": ["1.00", "0.70"],
        }
    )
    return {
        "funnel": funnel_with_dropout(),
        "tiers": ai.audit_tiers(selected=tier, sensitive_features={"sex": sex}),
        "gaps": ai.score_gaps(score=score, sensitive_features={"sex": sex}),
        "age": ai.audit_age(selected=rng.random(n) < 0.3, age=age),
        "models": ai.compare_models(
            {"a": score + y, "b": score + y + 0.4 * (sex == "F")},
            None,
            y,
            {"sex": sex},
            select_top=0.3,
            n_resamples=10,
            random_state=0,
        ),
        "check": ai.check_summary(published),
    }


@pytest.fixture(scope="module")
def results():
    return _results()


@pytest.mark.parametrize("name", ["funnel", "tiers", "gaps", "age", "models", "check"])
def test_every_result_has_a_report_that_opens_with_its_verdict(results, name, tmp_path):
    from adverse_impact._publish._document import LEGAL_AS_OF, publish

    result = results[name]
    page = result.to_html(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == page
    parser = _Collector()
    parser.feed(page)
    assert parser.links == [] and "<script" not in page  # self-contained
    # The verdict sentence comes first, in words, then the tables, method and legal notes.
    first = page.index('<p class="verdict')
    assert first < page.index("<table") < page.index("<h2>Method</h2>")
    assert page.index("<h2>Method</h2>") < page.index(f"as checked on {LEGAL_AS_OF}")
    assert html_escape(result.verdict) in page
    assert parser.tags.count("dl") >= 1  # the key
    markdown = result.to_markdown()
    assert markdown.startswith("# ") and result.verdict in markdown
    assert "| ---" in markdown.replace("|---", "| ---") or "|---" in markdown
    text = publish(result, "text")
    assert result.verdict.split(";")[0][:40] in " ".join(text.split())
    assert json.loads(publish(result, "json")) == json.loads(json.dumps(result.to_dict()))
    fragment = result._repr_html_()
    assert fragment.startswith('<div class="adverse-impact-report">') and "<html" not in fragment


def test_publish_reads_any_result_through_the_protocol():
    from adverse_impact._publish._document import publish

    class Plain:
        verdict = "Nothing to report."

        def to_frame(self):
            return pd.DataFrame({"group": ["a"], "rate": [0.5]})

        def to_dict(self):
            return {"rate": 0.5}

    page = publish(Plain(), "html")
    assert "Nothing to report." in page and "<td>0.500</td>" in page
    assert publish(Plain(), "md").startswith("# Plain")
    with pytest.raises(ai.InputError, match="format"):
        publish(Plain(), "pdf")


def test_audit_report_opens_with_its_verdict_and_has_print_and_phone_rules(result):
    page = result.to_html()
    assert page.index('<p class="verdict') < page.index("<table")
    assert "groups compared are below four-fifths" in page
    assert "without a correction for their number" in page  # the family, until calib's verdict
    for rule in ("tr,figure", "break-inside:avoid", "break-after:avoid", "table-header-group"):
        assert rule in page
    assert 'class="table-wrap"' in page and "position:sticky" in page
    assert "<h2>Method</h2>" in page and "Legal notes (as checked on" in page


def test_audit_report_quotes_a_calibrated_verdict_when_the_result_has_one(result):
    from adverse_impact._publish import _report

    class Calibrated:
        verdict = "2 of 9 comparisons differ (Holm, family of 9 at 5%)."

    assert _report.verdict(Calibrated()) == Calibrated.verdict


def test_case_study_reports_the_lowest_ratio_in_both_directions():
    from adverse_impact.case_study import recruiting_tool

    study = recruiting_tool(2_000, random_state=0)
    for step, (_, audit) in zip(("4.", "5."), study._stages()[1:]):
        table = audit.table[audit.table["attribute"] == "gender"]
        low = table.loc[table["impact_ratio"].idxmin()]
        who = "women" if low["group"] == "female" else "men"
        line = next(x for x in study.summary().splitlines() if x.startswith(step))
        assert f"lowest impact ratio by gender {low['impact_ratio']:.2f} ({who})" in line
    page = study.to_html()
    assert "Lowest impact ratio by gender at each stage" in page
    mitigated = study.audit_mitigated.table
    men = mitigated[(mitigated["attribute"] == "gender") & (mitigated["group"] == "male")]
    # With this seed the mitigation turns the gap round: men become the lower-rate group,
    # and the women's ratio of 1.00 is not what the report headlines.
    assert float(men["impact_ratio"].iloc[0]) < 0.8
    assert "After mitigation: men" in page
    assert "impact ratio 1.00" not in study.summary()


def test_cli_writes_the_funnel_report_in_every_format(tmp_path):
    from adverse_impact._cli import main

    rng = np.random.default_rng(13)
    n = 400
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], n)})
    frame["screened"] = (rng.random(n) < np.where(frame["sex"] == "F", 0.4, 0.6)).astype(int)
    frame["offered"] = frame["screened"] * (rng.random(n) < 0.5)
    data = tmp_path / "funnel.csv"
    frame.to_csv(data, index=False)
    common = [str(data), "--stage", "screened", "--stage", "offered", "--group", "sex"]
    for fmt, start in (("html", "<!DOCTYPE html>"), ("md", "# Funnel audit"), ("json", "{")):
        out = tmp_path / f"funnel.{fmt}"
        status = main(["funnel", *common, "--format", fmt, "--out", str(out)])
        assert status in (0, 1)
        assert out.read_text(encoding="utf-8").startswith(start)
    report = json.loads((tmp_path / "funnel.json").read_text(encoding="utf-8"))
    assert report["stages"] == ["screened", "offered"]


def test_cli_writes_the_summary_check_as_html(tmp_path):
    from adverse_impact._cli import main

    table = tmp_path / "published.csv"
    pd.DataFrame(
        {
            "attribute": ["sex"] * 2,
            "group": ["Male", "Female"],
            "n": [200, 100],
            "selected": [100, 30],
            "impact_ratio": ["1.00", "0.70"],
        }
    ).to_csv(table, index=False)
    out = tmp_path / "check.html"
    assert main(["check-summary", str(table), "--format", "html", "--out", str(out)]) == 1
    assert "Check of a published bias-audit summary" in out.read_text(encoding="utf-8")


def test_every_report_has_its_screenshots_in_the_docs():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "reports.md").read_text(encoding="utf-8")
    script = (root / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    names = ["audit", "funnel", "tiers", "score-gaps", "age", "model-comparison"]
    names += ["summary-check", "case-study", "monitoring", "rankings", "paired", "ll144-packet"]
    for name in names:
        assert f'"{name}":' in script  # redrawn by scripts/screenshots.py
        for size in ("desktop", "phone"):
            image = f"images/{name}-{size}.png"
            assert image in page and (root / "docs" / image).is_file(), image


def test_min_cell_withholds_the_rates_when_only_the_selected_count_is_small():
    # 200 women of whom 3 are selected: n is large, `selected` is small, and the rate
    # with n would reveal it.  (Suppressing on n alone survived the whole suite.)
    selected = [1] * 3 + [0] * 197 + [1] * 100 + [0] * 100
    result = ai.audit(selected=selected, sensitive_features={"sex": ["F"] * 200 + ["M"] * 200})
    k = 5
    row = next(r for r in json.loads(result.to_json(min_cell=k))["table"] if r["group"] == "F")
    assert row["n"] == 200 and row["selected"] == f"<{k}" and row["suppressed"] is True
    assert row["rate"] is None and row["impact_ratio"] is None and row["p_value_fisher"] is None
    line = next(
        line for line in result.to_markdown(min_cell=k).splitlines() if line.startswith("| F |")
    )
    assert f"<{k}" in line and "0.015" not in line and "1.5%" not in line
    male = next(r for r in json.loads(result.to_json(min_cell=k))["table"] if r["group"] == "M")
    assert male["suppressed"] is False and male["rate"] == 0.5


def test_min_cell_withholds_the_share_of_a_small_group():
    # Sibling: the share of known rows times the published known total gives n back.
    result = ai.audit(
        selected=[1, 0] * 100 + [1, 0], sensitive_features={"sex": ["M"] * 200 + ["F"] * 2}
    )
    row = next(r for r in json.loads(result.to_json(min_cell=5))["table"] if r["group"] == "F")
    assert row["n"] == "<5" and row["share"] is None


def test_the_report_verdict_and_ratio_chart_show_the_decimals_that_put_a_ratio_below():
    from _helpers import just_below

    # 3,998 of 5,000 against 5,000 of 5,000: 0.7996, below four-fifths exactly.
    result = ai.audit(just_below(), selected="selected", sensitive_features="sex")
    text = result.to_markdown()
    assert "lowest impact ratio 0.7996 (sex: F" in text
    assert "lowest impact ratio 0.80 " not in text
    # The ratio chart (the rate chart's 0.80 * is F's rate, flagged, with no line).
    chart = result.to_html().split("Impact ratio by sex against the 0.8 line")[1]
    chart = chart.split("</svg>")[0]
    assert ">0.7996 *<" in chart and ">0.80 *<" not in chart
