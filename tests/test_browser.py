"""The HTML report rendered by a real browser (headless Chromium): layout, legend, pixels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import adverse_impact as ai

CHROMIUM = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(name)
    ),
    None,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/run installs it)"),
]

#: Long census labels, as in an LL144 intersection table.
RACES = [
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "American Indian or Alaska Native",
    "White",
]


def _chromium(tmp_path, *args):
    return subprocess.run(  # noqa: PLW1510 (the caller checks what was written)
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    n = 3_000
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.05, 0.05, 0.5])
    selected = rng.random(n) < np.where(sex == "Female", 0.2, 0.35)
    return ai.audit(selected=selected, groups={"sex": sex, "race": race})


def test_report_renders_in_headless_chromium(tmp_path, result):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    page = tmp_path / "audit.html"
    result.to_html(page)
    png = tmp_path / "audit.png"
    done = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,1600", page.as_uri())
    assert png.is_file(), done.stderr[-2000:]
    image = matplotlib_image.imread(png)
    assert image.shape[0] >= 1_000 and image.shape[1] >= 1_000
    rgb = image[..., :3]
    assert rgb.std() > 0.05  # not a blank page
    # The flagged group's bars are drawn in the report's red (#cf222e, at 80% opacity).
    red = (rgb[..., 0] > 0.75) & (rgb[..., 1] < 0.45) & (rgb[..., 2] < 0.45)
    assert red.sum() > 200


# The report itself has no script; the test adds one that measures the laid-out page.
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
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        clipped.push(text.textContent);
      }
    }
  }
  const legend = document.querySelector("dl.legend");
  const out = {clipped: clipped,
               legend: legend ? legend.getBoundingClientRect().height : 0,
               legendText: legend ? legend.textContent : "",
               labels: [...document.querySelectorAll("svg text.label")].map(t => t.textContent),
               keys: [...document.querySelectorAll("svg text.key")].map(t => t.textContent)};
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def test_chart_labels_are_never_clipped_and_the_legend_is_shown(tmp_path, result):
    page = tmp_path / "measure.html"
    page.write_text(result.to_html().replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    done = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert measured["clipped"] == []
    assert measured["legend"] > 20 and "below 4/5" in measured["legendText"]
    # Every label is drawn whole, or abbreviated with its full text in the chart's key.
    drawn = " ".join(measured["labels"]) + " " + " ".join(measured["keys"])
    for label in RACES + ["Female | Native Hawaiian or Other Pacific Islander"]:
        words = label.split()
        assert all(w in drawn for w in words), label


# -- the monitoring report -----------------------------------------------------------

_MEASURE_PAGE = """
<script>
window.addEventListener("load", () => {
  const clippedCells = [];
  for (const cell of document.querySelectorAll("td, th")) {
    if (cell.scrollWidth > cell.clientWidth + 1) clippedCells.push(cell.textContent);
  }
  const clippedText = [];
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        clippedText.push(text.textContent);
      }
    }
  }
  const root = document.documentElement;
  const legend = document.querySelector("dl.legend");
  const out = {cells: clippedCells, text: clippedText,
               pageOverflow: root.scrollWidth - root.clientWidth,
               width: root.clientWidth,
               svgWider: [...document.querySelectorAll("svg")].filter(
                   s => s.getBoundingClientRect().width > root.clientWidth + 0.5).length,
               legend: legend ? legend.textContent : "",
               verdict: (document.querySelector("p.verdict") || {}).textContent || "",
               axisTitles: [...document.querySelectorAll("svg text.axis-title")].map(
                   t => t.textContent)};
  // The page is laid out in a frame of the wanted width; the result goes to the parent.
  const pre = parent.document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  parent.document.body.appendChild(pre);
});
</script>
"""


def _framed(page: str, width: int) -> str:
    """The page in a same-origin frame ``width`` CSS pixels wide: a headless window has a
    minimum width (about 500 px), a frame does not."""
    import html as html_module

    return (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="width:{width}px;height:4000px;border:0" '
        f'srcdoc="{html_module.escape(page, quote=True)}"></iframe></body></html>'
    )


@pytest.fixture(scope="module")
def monitored():
    import pandas as pd

    rng = np.random.default_rng(1)
    months = np.repeat(pd.date_range("2025-01-01", periods=18, freq="MS"), 3000)
    sex = np.tile(["Female", "Male"], 27_000)
    race = rng.choice(RACES, len(sex), p=[0.2, 0.2, 0.1, 0.1, 0.4])
    late = (sex == "Female") & (months >= "2025-09-01")
    chosen = rng.random(len(sex)) < np.where(late, 0.21, 0.30)
    return ai.monitor(time=months, selected=chosen, groups={"sex": sex, "race": race})


@pytest.mark.parametrize("width", [1200, 390])
def test_monitoring_report_has_no_clipped_text_at_desktop_and_phone_width(
    tmp_path, monitored, width
):
    page = tmp_path / f"monitor-{width}.html"
    report = monitored.to_html().replace("</body>", _MEASURE_PAGE + "</body>")
    page.write_text(_framed(report, width), encoding="utf-8")
    done = _chromium(
        tmp_path,
        "--window-size=1400,2000",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert width - 20 <= measured["width"] <= width  # laid out at that width
    assert measured["cells"] == []  # every value whole in its cell
    assert measured["text"] == []  # every chart label, tick and title inside its chart
    assert measured["pageOverflow"] <= 0  # wide tables scroll in their box, not the page
    assert measured["svgWider"] == 0  # the charts scale down to the page
    assert measured["verdict"].startswith("Alert: Female (sex)")
    assert "four-fifths (0.8)" in measured["legend"] and "dashed line" in measured["legend"]
    assert {"impact ratio", "month"} <= set(measured["axisTitles"])
