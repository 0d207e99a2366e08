"""How the publication layer lays out charts and keys, and what the monitoring chart names."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import adverse_impact as ai
from adverse_impact._publish._document import (
    Document,
    Figure,
    Legend,
    Section,
    Text,
    render_fragment,
    render_html,
    render_markdown,
    render_text,
)

_SVG = '<svg role="img" width="10" height="10" viewBox="0 0 10 10"><title>{}</title></svg>'


def _document(*blocks):
    return Document(title="T", verdict="V.", sections=(Section("S", tuple(blocks)),))


def test_neighbouring_charts_share_a_row_and_a_lone_chart_stands_alone():
    a, b, c = (Figure(_SVG.format(n), f"caption {n}") for n in "abc")
    page = render_html(_document(a, b, Text("between"), c))
    assert page.count('<div class="charts">') == 1
    row = page.split('<div class="charts">', 1)[1].split("</div>", 1)[0]
    assert "caption a" in row and "caption b" in row and "caption c" not in row
    # In a notebook the row's layout is inline: no page stylesheet there.
    fragment = render_fragment(_document(a, b))
    assert '<div class="charts" style="display:flex' in fragment
    assert fragment.count('<figure style="flex:1 1 22rem">') == 2


def test_a_chart_drawn_for_a_phone_replaces_the_wide_one_on_a_narrow_screen_only():
    figure = Figure(_SVG.format("wide"), "c", narrow=_SVG.format("narrow"))
    page = render_html(_document(figure))
    assert '<div class="ai-wide"><svg' in page and '<div class="ai-narrow"><svg' in page
    assert re.search(r"@media screen and \(max-width:40rem\)\{\.ai-wide\{display:none\}", page)
    # A notebook cell is wide: the wide drawing only.
    fragment = render_fragment(_document(figure))
    assert "<title>wide</title>" in fragment and "narrow" not in fragment


def test_a_legend_in_a_section_reads_in_every_format():
    legend = Legend((("W | W", "White women"),), title="Group codes")
    document = _document(legend)
    assert "<h3>Group codes</h3>" in render_html(document)
    assert "<dt>W | W</dt><dd>White women</dd>" in render_html(document)
    assert "- **W | W**: White women" in render_markdown(document)
    assert "  W | W: White women" in render_text(document)


def test_the_monitoring_chart_names_a_drawn_group_that_is_the_reference_now():
    # Men are the reference at most looks but not all (women's rate is higher at a few
    # early ones), so their line is drawn; its label says that they are the reference now.
    rng = np.random.default_rng(1)
    months = np.repeat(pd.date_range("2025-01-01", periods=18, freq="MS"), 1500)
    sex = np.tile(["Female", "Male"], 13_500)
    late = (sex == "Female") & (months >= "2025-09-01")
    chosen = rng.random(len(sex)) < np.where(late, 0.21, 0.30)
    result = ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex})
    male = result.table[result.table["group"] == "Male"]
    assert male["is_reference"].iloc[-1] and not male["is_reference"].all()
    page = result.to_html()
    labels = re.findall(r'<text class="label"[^>]*>(.*?)<title>', page)
    assert any("Male (reference)" in label for label in labels)
    assert '"(reference)" when it is the reference at the last look' in page.replace("&quot;", '"')
