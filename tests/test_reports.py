"""Markdown (LL144), HTML and JSON reports; suppression, fingerprints, atomic writes."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._core._io import write_atomic


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
    return ai.audit(_data(), selected="selected", groups=["sex", "race"], min_share=0.02)


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
    result = ai.audit(frame, score="score", groups="sex")
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
    result = ai.audit(selected=[1, 0, 1, 1], groups={"g": ["<script>x</script>"] * 2 + ["b"] * 2})
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
        groups=["sex", "race"],
        min_share=0.02,
    )
    assert json.loads(again.to_json())["fingerprint"] == report["fingerprint"]
    frame.loc[100, "selected"] = not frame.loc[100, "selected"]
    changed = ai.audit(frame, selected="selected", groups=["sex", "race"], min_share=0.02)
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
    result = ai.audit(frame, selected="selected", groups="sex")
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


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_atomic(target, "old")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp left


# -- what people read (issue 14, item 4) ----------------------------------------------


def _tiny_group_result():
    # 300 women (60 selected), 300 men (105 selected) and one person of a third sex
    # category, not selected: flagged at ratio 0 on one person.
    selected = [1] * 60 + [0] * 240 + [1] * 105 + [0] * 195 + [0]
    sex = ["F"] * 300 + ["M"] * 300 + ["X"]
    return ai.audit(selected=selected, groups={"sex": sex})


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
    result = ai.audit(_data(), selected="selected", groups=["sex", "race"], min_share=0.02)
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
    return ai.audit(frame, selected="selected", groups="sex", strata="site")


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
