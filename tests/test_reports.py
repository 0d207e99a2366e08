"""Markdown (LL144), HTML and JSON reports; suppression, fingerprints, atomic writes."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._io import write_atomic


def _data():
    rng = np.random.default_rng(3)
    n = 2_000
    frame = pd.DataFrame({
        "sex": rng.choice(["Female", "Male"], n, p=[0.4, 0.6]),
        "race": rng.choice(["Asian", "Black", "White", "Two or More Races"], n,
                           p=[0.2, 0.2, 0.59, 0.01]),
    })
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
    assert "| Category | Number of applicants | Number selected | Selection rate | Impact ratio |" \
        in text
    assert f"sex: {result.unknown['sex']}" in text  # the unknown category's count
    assert "excluded¹" in text and "Two or More Races" in text and "5-301(d)" in text
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
    again = ai.audit(frame.sample(frac=1, random_state=1), selected="selected",
                     groups=["sex", "race"], min_share=0.02)
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
    frame = pd.DataFrame({
        "applicant_id": [f"ID-MARKER-{i:05d}" for i in range(n)],
        "email": [f"person{i}@marker.example" for i in range(n)],
        "sex": rng.choice(["F", "M"], n),
        "selected": rng.integers(0, 2, n),
        "score": rng.random(n) + 0.123456789,
    })
    result = ai.audit(frame, selected="selected", groups="sex")
    texts = [result.to_markdown(), result.to_html(), result.to_json(), repr(result),
             result._repr_html_()]
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
