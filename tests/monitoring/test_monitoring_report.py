"""The monitor's reports (``_monitoring/_report.py``): the verdict first, in every format.

The scenario: exact counts, fair for eight months, then women selected at 0.7 times
men's rate (``_helpers.drift_rows``); the detector itself is tested in test_change.py.
"""

from __future__ import annotations

import re

import pytest
from _helpers import drift_rows

import adverse_impact as ai
from adverse_impact._monitoring._report import _ticks, family_clause, svg_chart, verdict


@pytest.fixture(scope="module")
def drift_result():
    return ai.monitor(drift_rows(), time="month", selected="selected", sensitive_features="sex")


def test_verdict_opens_every_report_and_names_family_and_guarantee(drift_result):
    sentence = drift_result.verdict
    assert sentence.startswith("Alert: F (sex) has been selected at under four-fifths")
    assert "since 2025-09" in sentence and "1 comparison (sex)" in sentence
    assert "the chance of any false alert within 36 months is at most 0.05" in sentence
    assert drift_result.summary().replace("\n", " ").startswith(sentence)
    assert sentence in drift_result.to_markdown().splitlines()[2]
    page = drift_result.to_html()
    # The publication layer's page: pass or fail in words, then the sentence, first.
    first = re.search(r'<p class="verdict fail"><strong>Fails.</strong> (.*?)</p>', page)
    assert first and first.group(1) == sentence.replace("'", "&#x27;")
    assert page.index('<p class="verdict') < page.index("<table")
    fragment = drift_result._repr_html_()
    assert fragment.startswith('<div class="adverse-impact-report">') and "Alert: F" in fragment
    from adverse_impact._publish._document import LEGAL_AS_OF, publish

    assert f"as checked on {LEGAL_AS_OF}" in page
    assert publish(drift_result, "md") == drift_result.to_markdown()


def test_html_report_is_self_contained_with_chart_legend_and_alerts(drift_result):
    page = drift_result.to_html()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "<script" not in page
    assert "<svg" in page and ">impact ratio</text>" in page and ">month</text>" in page
    assert "four-fifths (0.8)" in page and 'aria-label="legend"' in page
    assert "ratio now (last 3)" in page and "ratio now (cumulative)" in page
    assert page.count("<path d=") >= 2  # the alerts, marked on the chart
    assert "@media print" in page and 'name="viewport"' in page


def test_markdown_report_lists_alerts_with_the_ratio_now(drift_result):
    text = drift_result.to_markdown()
    assert "| sex | F | below 4/5 | since a change | 2025-12 | 2025-09 |" in text
    assert "## Method" in text and "29 CFR 1607.4(D)" in text


def test_plot_keeps_every_label_inside_the_saved_figure(drift_result, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = drift_result.plot("sex")
    figure = ax.figure
    figure.savefig(tmp_path / "plot.png")  # a plain savefig, no bbox_inches
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    texts = [*ax.get_xticklabels(), ax.xaxis.label, ax.yaxis.label, ax.get_legend()]
    for item in texts:
        extent = item.get_window_extent(renderer)
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, item
        assert extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1, item
    import matplotlib.pyplot as plt

    plt.close(figure)


# -- the module's own pieces ---------------------------------------------------------------


def _fair(**options):
    return ai.monitor(
        time=["2025-01-03", "2025-02-07", "2025-03-05"] * 4,
        selected=[1, 0, 1] * 4,
        sensitive_features={"sex": list("FFFFFFMMMMMM")},
        **options,
    )


def test_no_alert_says_what_was_watched_with_or_without_the_change_detector():
    with_change = _fair()
    assert verdict(with_change) == (
        "No alert: no group is shown selected at a lower rate than its reference group, "
        f"either cumulatively or since a change; {family_clause(with_change)}."
    )
    assert family_clause(with_change).startswith(
        "family: 1 comparison (sex) watched cumulatively and since every later month; "
    )


def test_one_alerting_group_is_named_with_when_and_the_ratio_now(drift_result):
    sentence = verdict(drift_result)
    assert re.match(
        r"^Alert: F \(sex\) has been selected at under four-fifths of its reference group's "
        r"rate since 2025-09 \(ratio 0\.70 over the last 3 months\); family: ",
        sentence,
    ), sentence


@pytest.mark.parametrize(
    ("y_max", "ticks"),
    [(1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]), (1.6, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6])],
)
def test_the_axis_is_marked_every_fifth_up_to_its_top(y_max, ticks):
    assert _ticks(y_max) == ticks


def test_a_tall_axis_is_marked_every_half():
    assert _ticks(2.2) == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_the_chart_is_one_svg_with_its_titles_inside_the_drawing(drift_result):
    wide = svg_chart(drift_result, "sex")
    narrow = svg_chart(drift_result, "sex", narrow=True)
    for chart in (wide, narrow):
        assert chart.startswith("<svg") and chart.rstrip().endswith("</svg>")
        assert chart.count("<svg") == 1 and "<script" not in chart
        assert ">impact ratio</text>" in chart and ">month</text>" in chart
        width, height = (
            float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', chart).groups()
        )
        xs = [float(x) for x in re.findall(r'<text[^>]* x="(-?[\d.]+)"', chart)]
        assert xs and min(xs) >= 0 and max(xs) <= width
    assert narrow != wide
