"""Every HTML report rendered by a real browser (headless Chromium): layout, keys, print.

Each report is laid out at desktop width (1200 px) and at phone width (390 px)
and measured there by a script the test adds (the reports have none): no table
cell clips its text, no chart label leaves its chart, the page does not
overflow sideways, a key is shown wherever colour is used, and the print rules
hold (rows not split, headings kept with what follows, table headers repeated).
Each report is also printed to PDF and read back with poppler's ``pdftotext``:
every table row lies whole on one page, and no page ends with a heading.

Headless Chromium does not make a window narrower than 500 px, so the report
is measured inside a 390-px-wide iframe, which reports back by ``postMessage``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from _helpers import paired_stand_in

import adverse_impact as ai

CHROMIUM = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(name)
    ),
    None,
)
PDFTOTEXT = shutil.which("pdftotext")

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

WIDTHS = {"desktop": 1200, "phone": 390}


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


# -- the reports ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    n = 3_000
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.05, 0.05, 0.5])
    selected = rng.random(n) < np.where(sex == "Female", 0.2, 0.35)
    return ai.audit(selected=selected, sensitive_features={"sex": sex, "race": race})


def _funnel():
    rng = np.random.default_rng(1)
    n = 3_000
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.03, 0.07, 0.5])
    small = race == RACES[2]
    screened = rng.random(n) < np.where(small, 0.3, 0.6)
    interviewed = screened & (rng.random(n) < np.where(small, 0.3, 0.5))
    offered = interviewed & (rng.random(n) < 0.4)
    frame = pd.DataFrame(
        {"race": race, "screened": screened, "interviewed": interviewed, "offered": offered}
    ).astype({"screened": int, "interviewed": int, "offered": int})
    return ai.audit_funnel(
        frame,
        stages=["screened", "interviewed", "offered"],
        sensitive_features="race",
        min_share=0.02,
    )


def _tiers():
    rng = np.random.default_rng(2)
    sex = rng.choice(["Female", "Male"], 1_000)
    draw = rng.random(1_000) - np.where(sex == "Female", 0.1, 0.0)
    tier = pd.Categorical(
        np.select([draw > 0.8, draw > 0.45], ["top", "middle"], "bottom"),
        categories=["bottom", "middle", "top"],
        ordered=True,
    )
    return ai.audit_tiers(selected=tier, sensitive_features={"sex": sex})


def _gaps():
    rng = np.random.default_rng(3)
    race = rng.choice(RACES, 2_000)
    score = rng.normal(0, 1, 2_000) - 0.4 * (race == RACES[1])
    return ai.score_gaps(score=score, sensitive_features={"race": race})


def _age():
    rng = np.random.default_rng(4)
    age = rng.integers(20, 66, 2_000)
    return ai.audit_age(selected=rng.random(2_000) < np.where(age >= 50, 0.2, 0.3), age=age)


def _models():
    rng = np.random.default_rng(5)
    n = 800
    sex = rng.choice(["Female", "Male"], n)
    y = rng.random(n) < 0.4
    skill = y + rng.normal(0, 1, n)
    models = {"current keyword model": skill - 0.5 * (sex == "Female"), "skills only": skill}
    return ai.compare_models(
        models, None, y, {"sex": sex}, select_top=0.3, n_resamples=20, random_state=0
    )


def _check():
    published = pd.DataFrame(
        {
            "attribute": ["sex"] * 2 + ["race"] * 3,
            "group": ["Male", "Female", "White", "Black or African American", "Asian"],
            "n": [200, 100, 150, 100, 50],
            "selected": [100, 30, 60, 30, 40],
            "rate": ["0.50", "0.30", "0.40", "0.30", "0.80"],
            "impact_ratio": ["1.00", "0.70", "0.50", "0.375", "1.00"],
        }
    )
    return ai.check_summary(published)


def _case_study():
    from adverse_impact.case_study import recruiting_tool

    return recruiting_tool(1_000, random_state=0)


def _monitoring():
    import pandas as pd

    rng = np.random.default_rng(1)
    months = np.repeat(pd.date_range("2025-01-01", periods=18, freq="MS"), 1500)
    sex = np.tile(["Female", "Male"], 13_500)
    race = rng.choice(RACES, len(sex), p=[0.2, 0.2, 0.1, 0.1, 0.4])
    late = (sex == "Female") & (months >= "2025-09-01")
    chosen = rng.random(len(sex)) < np.where(late, 0.21, 0.30)
    return ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex, "race": race})


def _rankings():
    from adverse_impact.datasets import load_llm_rankings

    data = load_llm_rankings()
    return ai.audit_rankings(
        data[data["kind"] != "oversampled"],
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    )


def _packet():
    # The LL144 packet has its own page (a legal layout): long census labels in an
    # intersection table, a category excluded as small, a ratio just under 0.80.
    rng = np.random.default_rng(6)
    n = 4_000
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.015, 0.085, 0.5])
    selected = rng.random(n) < np.where(sex == "Female", 0.24, 0.3)
    result = ai.audit(
        selected=selected, sensitive_features={"sex": sex, "race": race}, min_share=0.02
    )
    return result.to_ll144(
        audit_date="2026-11-30",
        distribution_date="2026-01-05",
        data_source="ATS export of 2025 applicants, every requisition",
        tool="ScreenRank 2",
        employer="Example Corp",
        auditor="Independent Audits LLC",
    )


REPORTS = {
    "ll144-packet": _packet,
    "monitoring": _monitoring,
    "funnel": _funnel,
    "tiers": _tiers,
    "score-gaps": _gaps,
    "age": _age,
    "model-comparison": _models,
    "summary-check": _check,
    "case-study": _case_study,
    "rankings": _rankings,
    "paired": paired_stand_in,
}


@pytest.fixture(scope="module")
def pages(result):
    built = {"audit": result.to_html()}
    for name, make in REPORTS.items():
        built[name] = make().to_html()
    return built


NAMES = ["audit", *REPORTS]


# -- measuring in the browser ------------------------------------------------------------

# Added to the report (which has no script of its own); it reports to the parent page.
_MEASURE = """
<script>
window.addEventListener("load", () => {
  const chart = [];
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) chart.push(text.textContent);
    }
  }
  const cells = [...document.querySelectorAll("td, th")]
    .filter(c => c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1)
    .map(c => c.textContent);
  const neutral = new Set(["#fff", "#ffffff", "white", "none", "#1b1f24", "#57606a", "#6e7781"]);
  const coloured = [...document.querySelectorAll("svg")].filter(svg =>
    [...svg.querySelectorAll("rect")].some(r => !neutral.has((r.getAttribute("fill") || "none")
      .toLowerCase())));
  const unexplained = coloured.filter(svg => !svg.querySelector("text.key") &&
    !document.querySelector("dl.legend")).length;
  const wraps = [...document.querySelectorAll(".table-wrap")];
  const scrolling = wraps.filter(w => w.scrollWidth > w.clientWidth + 1);
  const unfixed = scrolling.filter(w => {
    const first = w.querySelector("tbody tr > :first-child");  // td, or th scope=row
    return first && getComputedStyle(first).position !== "sticky";
  }).length;
  // A caption wider than its scrolling frame is cut off at the frame's edge.
  const captions = [...document.querySelectorAll(".table-wrap caption")].filter(c =>
    c.getBoundingClientRect().right > c.closest(".table-wrap").getBoundingClientRect().right + 1)
    .map(c => c.textContent);
  const style = (selector, property) => {
    const el = document.querySelector(selector);
    return el ? getComputedStyle(el)[property] : null;
  };
  const h1 = document.querySelector("h1");
  const out = {
    width: window.innerWidth,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    chart: chart, cells: cells, captions: captions,
    coloured: coloured.length, unexplained: unexplained,
    flagRows: document.querySelectorAll("tr.flag").length,
    legend: document.querySelector("dl.legend") ?
      document.querySelector("dl.legend").textContent : "",
    scrolling: scrolling.length, unfixed: unfixed,
    tr: style("tr", "breakInside"), h2: style("h2", "breakAfter"),
    thead: style("thead", "display"),
    verdictFirst: !!(h1 && h1.nextElementSibling &&
      h1.nextElementSibling.classList.contains("verdict")),
    tables: document.querySelectorAll("table").length,
  };
  parent.postMessage(JSON.stringify(out), "*");
});
</script>
"""

_FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="report.html" style="border:0;width:{width}px;height:2000px"></iframe>
<pre id="measured"></pre>
<script>window.addEventListener("message", e => {{
  document.getElementById("measured").textContent = e.data; }});</script>
</body></html>"""


def _measure(tmp_path, page: str, width: int) -> dict:
    (tmp_path / "report.html").write_text(
        page.replace("</body>", _MEASURE + "</body>"), encoding="utf-8"
    )
    frame = tmp_path / "frame.html"
    frame.write_text(_FRAME.format(width=width), encoding="utf-8")
    done = _chromium(
        tmp_path,
        "--virtual-time-budget=10000",
        "--allow-file-access-from-files",
        f"--window-size={max(width, 500)},2000",
        "--dump-dom",
        frame.as_uri(),
    )
    found = re.search(r'<pre id="measured">(.+?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", NAMES)
def test_report_lays_out_without_clipping_with_keys_and_print_rules(tmp_path, pages, name, width):
    measured = _measure(tmp_path, pages[name], WIDTHS[width])
    assert measured["width"] == WIDTHS[width]
    assert measured["cells"] == [], "table cells clip their text"
    assert measured["captions"] == [], "table captions run past their frame"
    assert measured["chart"] == [], "chart text leaves its chart"
    assert measured["overflow"] <= 1, "the page overflows sideways"
    # A table too wide for the screen scrolls inside its frame, its label column fixed.
    assert measured["unfixed"] == 0
    # Colour is never alone: every coloured chart has its own key or the page's key.
    assert measured["unexplained"] == 0
    if measured["flagRows"]:
        assert measured["legend"], "flagged rows are tinted, so the page needs its key"
    assert measured["tr"] == "avoid" and measured["h2"] == "avoid"
    assert measured["thead"] == "table-header-group"
    assert measured["tables"] >= 1
    # Every report opens with its verdict, the LL144 packet too (its finding, then the
    # fields 6 RCNY 5-303 requires).
    assert measured["verdictFirst"]


def test_the_audit_report_scrolls_its_tables_at_phone_width(tmp_path, pages):
    # The intersection table is wider than a phone: it scrolls, label column fixed.
    measured = _measure(tmp_path, pages["audit"], 390)
    assert measured["scrolling"] >= 1 and measured["unfixed"] == 0


# -- printing ------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """The text of every table row and of every heading of a page."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self._in_svg = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self._in_svg += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self._in_svg -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data):
        if self._in_svg:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def _words(text: str) -> set[str]:
    # Hyphens go: the browser may break "cut-offs" after its hyphen, which pdftotext
    # then joins as "cutoffs".
    # pdftotext may also print a narrow "A | M" as "A|M": the bar separates words either way.
    text = text.replace("-\n", "").replace("-", "").replace("|", " ")
    return {w for w in text.split() if w != "—"}


@pytest.mark.skipif(PDFTOTEXT is None, reason="no pdftotext (Debian: poppler-utils)")
@pytest.mark.parametrize("name", NAMES)
def test_printed_report_keeps_rows_whole_and_headings_with_their_content(tmp_path, pages, name):
    page = tmp_path / "report.html"
    page.write_text(pages[name], encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    done = _chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf.is_file(), done.stderr[-2000:]
    text = subprocess.run(
        [PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    printed = [p for p in text.split("\f") if p.strip()]
    parsed = _Tables()
    parsed.feed(pages[name])
    page_words = [_words(p) for p in printed]
    # Every row's words are on one page: a row is neither split nor clipped in print.
    broken = [
        " | ".join(row)
        for row in parsed.rows
        if _words(" ".join(row)) and not any(_words(" ".join(row)) <= w for w in page_words)
    ]
    assert broken == [], f"rows split across pages or clipped in print: {broken[:3]}"
    # No page but the last ends with a heading.
    headings = set(parsed.headings)
    for number, content in enumerate(printed[:-1], 1):
        last = [line.strip() for line in content.splitlines() if line.strip()][-1]
        assert last not in headings, f"page {number} ends with the heading {last!r}"


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


_LABELS = """
<script>
window.addEventListener("load", () => {
  const out = {labels: [...document.querySelectorAll("svg text.label")].map(t => t.textContent),
               keys: [...document.querySelectorAll("svg text.key")].map(t => t.textContent)};
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def test_long_chart_labels_are_drawn_whole_or_keyed(tmp_path, result):
    page = tmp_path / "measure.html"
    page.write_text(result.to_html().replace("</body>", _LABELS + "</body>"), encoding="utf-8")
    done = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    measured = json.loads(html.unescape(found.group(1)))
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
    return _monitoring()


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
    assert measured["verdict"].startswith("Fails. Alert: Female (sex)")
    assert "four-fifths (0.8)" in measured["legend"] and "dashed line" in measured["legend"]
    assert {"impact ratio", "month"} <= set(measured["axisTitles"])
