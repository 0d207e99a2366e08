"""Every result with a report opens it with its verdict, in every format (issue 26).

The results are built by the surface test's builders (tests/test_result_surface.py),
so a new result class with a report is checked here as soon as it has a builder there.
"""

from __future__ import annotations

import html
import re
import warnings

import pytest
from test_result_surface import BUILDERS, CLASSES

import adverse_impact as ai

#: Results with a report of their own (the others show a table in a notebook, no more).
REPORTED = [
    "AgeAudit",
    "AuditResult",
    "CaseStudyResult",
    "FunnelResult",
    "LL144Packet",
    "ModelComparison",
    "MonitorResult",
    "PairedTestResult",
    "RankingAudit",
    "ScoreGaps",
    "SummaryCheck",
    "TierResult",
]

_VERDICT = re.compile(r'<p class="verdict[^"]*"><strong>(Passes|Fails|Finding)\.</strong> ')


@pytest.fixture(scope="module")
def built():
    cache = {}

    def build(name):
        if name not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ai.UnknownCategoryWarning)
                cache[name] = BUILDERS[name]()
        return cache[name]

    return build


def test_the_list_names_every_result_that_has_a_page():
    with_pages = {name for name, cls in CLASSES.items() if hasattr(cls, "to_html")}
    assert with_pages == set(REPORTED)


@pytest.mark.parametrize("name", REPORTED)
def test_the_page_opens_with_the_verdict(built, name):
    page = built(name).to_html()
    body = page.split("<body>", 1)[1]
    first = re.search(r"<h1>.*?</h1>\s*(<p[^>]*>)", body, re.DOTALL)
    assert first and _VERDICT.match(body[first.start(1) :]), body[:300]


@pytest.mark.parametrize("name", REPORTED)
def test_the_notebook_view_opens_with_the_verdict(built, name):
    fragment = built(name)._repr_html_()
    assert "<html" not in fragment and "<body" not in fragment
    # A title line, then the verdict before any table or heading.
    verdict = fragment.index('<p class="verdict')
    assert verdict < min(
        (fragment.find(tag) for tag in ("<table", "<h2", "<h3", "<h4") if tag in fragment),
        default=len(fragment),
    )
    assert fragment.count("<p") >= 2 and fragment.index("<p") < verdict


@pytest.mark.parametrize("name", REPORTED)
def test_the_markdown_opens_with_the_verdict(built, name):
    lines = [line for line in built(name).to_markdown().splitlines() if line.strip()]
    assert lines[0].startswith("# ")
    assert re.match(r"\*\*(Passes|Fails|Finding|Against the four-fifths rule of thumb:)", lines[1])


@pytest.mark.parametrize("name", REPORTED)
def test_the_verdict_is_the_same_sentence_in_the_page_and_the_notebook(built, name):
    result = built(name)
    page = html.unescape(result.to_html())
    fragment = html.unescape(result._repr_html_())

    def sentence(text):
        return text.split('<p class="verdict', 1)[1].split("</p>", 1)[0]

    assert sentence(page) == sentence(fragment)
