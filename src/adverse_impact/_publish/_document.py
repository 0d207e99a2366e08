"""One publication layer: a report as a small document, rendered as HTML, Markdown or text.

A result describes its report as a :class:`Document` (a verdict sentence,
sections of tables and charts, a key, notes, the method and the dated legal
notes) built from its public surface; this module turns any document into a
self-contained HTML page, a notebook fragment, Markdown or plain text, in one
style.  It never imports a result class: :func:`publish` reads a result
through the :class:`Publishable` protocol (``to_frame()``, ``to_dict()``, a
``verdict`` string and, for a full report, ``_document()``), so publication
stays below the audits in the layers (docs/architecture.md).

Every report opens with its verdict in one sentence, then the tables, then
the method and the legal notes, each note dated by :data:`LEGAL_AS_OF`.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._render import (
    TEXT_WIDTH,
    fmt,
    html_legend,
    html_page,
    html_table,
    html_verdict,
    jsonable,
    markdown_cell,
    markdown_table,
    text_table,
    wrap,
)
from adverse_impact._version import __version__

__all__ = [
    "LEGAL",
    "LEGAL_AS_OF",
    "Document",
    "Figure",
    "Legend",
    "Publishable",
    "Section",
    "Table",
    "Text",
    "document_of",
    "publish",
    "render_fragment",
    "render_html",
    "render_markdown",
    "render_text",
]

#: The date the legal notes below were last checked against their sources.
LEGAL_AS_OF = "2026-12-01"

#: Legal notes by key, each a citation and what it says (not legal advice).
LEGAL: dict[str, str] = {
    "four_fifths": (
        "29 CFR 1607.4(D) (Uniform Guidelines on Employee Selection Procedures, 1978): a "
        "group's selection rate under four-fifths (80%) of the highest group's rate is "
        "generally regarded as evidence of adverse impact; a smaller difference may still "
        "be one when it is significant in statistical and practical terms, and a larger "
        "one may not be when it rests on small numbers."
    ),
    "bottom_line": (
        "29 CFR 1607.4(C) and Connecticut v. Teal, 457 U.S. 440 (1982): the whole selection "
        "process is looked at first, but a favourable bottom line does not excuse a step "
        "of it that has adverse impact."
    ),
    "ll144": (
        "New York City Local Law 144 of 2021 and its rules, 6 RCNY 5-300 to 5-304 (adopted "
        "April 2023, enforced from 5 July 2023): a bias audit states selection or scoring "
        "rates and impact ratios by sex, race/ethnicity and their intersection; a category "
        "under 2% of the data may be left out of the ratios (5-301(d)); the law sets no "
        "pass mark."
    ),
    "adea": (
        "Age Discrimination in Employment Act, 29 U.S.C. 621-634: protects people aged 40 "
        "and over; Smith v. City of Jackson, 544 U.S. 228 (2005) allows claims of disparate "
        "impact, answered by a reasonable factor other than age (29 CFR 1625.7)."
    ),
    "alternatives": (
        "42 U.S.C. 2000e-2(k)(1)(A)(ii): a practice with disparate impact is unlawful when a "
        "less discriminatory alternative that serves the employer's needs was available "
        "and not adopted; 2000e-2(l) forbids adjusting scores or using different cut-offs "
        "by race, colour, religion, sex or national origin, so a rule that reads the "
        "protected attribute is never offered as an alternative."
    ),
    "scores": (
        "42 U.S.C. 2000e-2(l): scores may not be adjusted, nor different cut-offs used, "
        "on the basis of race, colour, religion, sex or national origin; a score gap is "
        "addressed by the test or the cut-off chosen, not by group-specific cut-offs."
    ),
}


# -- the document -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """A table in words: cells are display strings; ``left`` columns are left-aligned."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    left: tuple[int, ...] = (0,)
    row_classes: tuple[str, ...] | None = None
    caption: str | None = None

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, title: str | None = None, digits: int = 3, **options: Any
    ) -> Table:
        """A DataFrame's cells in words (numbers by :func:`fmt`), column names as they are."""
        header = tuple(str(c) for c in frame.columns)
        rows = tuple(tuple(fmt(v, digits) for v in row) for row in frame.itertuples(index=False))
        left = tuple(j for j, c in enumerate(frame.columns) if not _numeric(frame[c]))
        return cls(header, rows, title=title, left=left or (0,), **options)


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    """A chart as inline SVG, its caption, and the words that stand for it in Markdown.

    ``narrow``, when given, is the same chart drawn for a phone (e.g. a shorter time
    axis, its legend underneath): a page shows it instead of ``svg`` on a narrow screen,
    where ``svg`` scaled down would make its text too small to read.
    """

    svg: str
    caption: str
    alt: str | None = None
    narrow: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Text:
    """A paragraph; ``meta`` ones are set smaller (facts about the data and the run)."""

    text: str
    meta: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Legend:
    """Terms and their meanings inside a section: a key read before the tables it explains
    (group codes, the hypotheses of the tests), where the document's own key comes last."""

    pairs: tuple[tuple[str, str], ...]
    title: str | None = None


Block = Table | Figure | Text | Legend


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    """A heading and its blocks, in order."""

    title: str
    blocks: tuple[Block, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """What a report says, independent of its format.

    Attributes
    ----------
    title : str
    verdict : str
        The answer in one sentence, first in every format.
    passes : bool or None
        Whether the verdict is a pass (said in words; the colour repeats it).
    facts : tuple of str
        What was analysed: data, sizes, settings.
    sections : tuple of Section
    key : tuple of (term, meaning)
        The meaning of every mark, word and colour the tables and charts use.
    notes : tuple of str
        Numbered notes the tables refer to as ``[1]``, ``[2]``, ...
    method : tuple of str
        How the figures were computed, one point each.
    legal : tuple of str
        Keys of :data:`LEGAL`, shown with :data:`LEGAL_AS_OF`.
    """

    title: str
    verdict: str
    passes: bool | None = None
    facts: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    key: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    method: tuple[str, ...] = ()
    legal: tuple[str, ...] = ()


@runtime_checkable
class Publishable(Protocol):
    """What the publication layer reads of a result."""

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...


def document_of(result: Any) -> Document:
    """The result's report: its own ``_document()``, else its verdict over its table."""
    build = getattr(result, "_document", None)
    if callable(build):
        return build()
    if not isinstance(result, Publishable):
        raise input_error(
            "result",
            f"a {type(result).__name__} has no to_frame() and to_dict()",
            "Pass a result of adverse_impact (an audit, funnel, score gaps, ...)",
        )
    verdict = getattr(result, "verdict", None)
    if not isinstance(verdict, str):
        summary = getattr(result, "summary", None)
        verdict = summary() if callable(summary) else type(result).__name__
    frame = result.to_frame()
    return Document(
        title=type(result).__name__,
        verdict=verdict.splitlines()[0] if verdict else "",
        sections=(Section("Table", (Table.from_frame(frame),)),),
    )


#: Output formats of :func:`publish`, with their aliases.
FORMATS = {"html": "html", "markdown": "markdown", "md": "markdown", "text": "text", "json": "json"}


def publish(result: Any, format: str = "html", path: Any = None) -> str:
    """A result's report as ``"html"``, ``"markdown"`` (``"md"``), ``"text"`` or ``"json"``.

    Written atomically to ``path`` when given.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact._publish._document import publish
    >>> funnel = ai.audit_funnel(stages={"screened": [1, 1, 1, 0], "offered": [1, 0, 1, 0]},
    ...                          sensitive_features={"sex": ["F", "F", "M", "M"]})
    >>> publish(funnel, "md").splitlines()[0]
    '# Funnel audit'
    """
    kind = FORMATS.get(str(format).lower())
    if kind is None:
        raise input_error(
            "format", f"{format!r} is not a report format", f"Use one of {sorted(FORMATS)!r}"
        )
    if kind == "json":
        text = json.dumps(jsonable(result.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
    else:
        document = document_of(result)
        text = {"html": render_html, "markdown": render_markdown, "text": render_text}[kind](
            document
        )
    if path is not None:
        from adverse_impact._core._io import write_atomic

        write_atomic(path, text)
    return text


# -- HTML -------------------------------------------------------------------------------


def _html_block(block: Block, inline: bool) -> str:
    if isinstance(block, Table):
        head = f"<h3>{html.escape(block.title)}</h3>" if block.title else ""
        caption = f'<p class="meta">{html.escape(block.caption)}</p>' if block.caption else ""
        return (
            head
            + caption
            + html_table(
                block.header,
                block.rows,
                row_classes=block.row_classes,
                inline=inline,
                label=block.title,
                left=block.left,
            )
        )
    if isinstance(block, Figure):
        svg = block.svg
        if block.narrow and not inline:  # a notebook is wide: the wide drawing only
            svg = f'<div class="ai-wide">{svg}</div><div class="ai-narrow">{block.narrow}</div>'
        return f"<figure>{svg}<figcaption>{html.escape(block.caption)}</figcaption></figure>"
    if isinstance(block, Legend):
        head = f"<h3>{html.escape(block.title)}</h3>" if block.title else ""
        return head + html_legend(block.pairs)
    cls = ' class="meta"' if block.meta else ""
    return f"<p{cls}>{html.escape(block.text)}</p>"


def _html_blocks(blocks: Sequence[Block], inline: bool) -> list[str]:
    """The blocks in order; figures next to each other share a row (side by side when the
    page is wide enough, one under the other on a phone)."""
    out: list[str] = []
    run: list[str] = []
    for block in [*blocks, None]:
        if isinstance(block, Figure):
            run.append(_html_block(block, inline))
            continue
        if len(run) == 1:
            out.append(run[0])
        elif run:
            if inline:  # a notebook has no page stylesheet: the row's layout goes inline
                run = [f.replace("<figure>", '<figure style="flex:1 1 22rem">', 1) for f in run]
                out.append('<div class="charts" style="display:flex;flex-wrap:wrap;gap:1.5rem">')
            else:
                out.append('<div class="charts">')
            out[-1] += "".join(run) + "</div>"
        run = []
        if block is not None:
            out.append(_html_block(block, inline))
    return out


def _html_body(document: Document, *, inline: bool = False, level: int = 2) -> list[str]:
    h = f"h{level}"
    out = [html_verdict(document.verdict, document.passes)]
    if document.facts:
        out.append('<p class="meta">' + " ".join(html.escape(f) for f in document.facts) + "</p>")
    for section in document.sections:
        out.append(f"<{h}>{html.escape(section.title)}</{h}>")
        out += _html_blocks(section.blocks, inline)
    if document.key:
        out += [f"<{h}>Key</{h}>", html_legend(document.key)]
    if document.notes:
        items = "".join(
            f'<li id="note-{i}">{html.escape(t)}</li>' for i, t in enumerate(document.notes, 1)
        )
        out += [f"<{h}>Notes</{h}>", f'<ol class="notes">{items}</ol>']
    if document.method:
        items = "".join(f"<li>{html.escape(t)}</li>" for t in document.method)
        out += [f"<{h}>Method</{h}>", f'<ul class="method">{items}</ul>']
    if document.legal:
        items = "".join(f"<li>{html.escape(LEGAL[k])}</li>" for k in document.legal)
        out += [
            f"<{h}>Legal notes (as checked on {LEGAL_AS_OF}; not legal advice)</{h}>",
            f'<ul class="legal">{items}</ul>',
        ]
    out.append(f'<p class="meta">Generated by adverse-impact {html.escape(__version__)}.</p>')
    return out


#: Charts in a row share it, each at least 22rem wide (side by side on a desktop, one under
#: the other on a phone), so a long caption wraps under its chart instead of pushing the
#: next chart to a row of its own.  (Print has its own rule: one row, equal shares.)
#: A chart drawn twice shows its narrow drawing on a phone's screen, the wide one elsewhere
#: (and in print).
_CSS = (
    "@media screen{.charts figure{flex:1 1 22rem}}.ai-narrow{display:none}"
    "@media screen and (max-width:40rem){.ai-wide{display:none}.ai-narrow{display:block}}"
)


def render_html(document: Document) -> str:
    """A self-contained page: inline CSS and SVG, no script, nothing fetched."""
    return html_page(
        document.title,
        [f"<h1>{html.escape(document.title)}</h1>", *_html_body(document)],
        css=_CSS,
    )


def render_fragment(document: Document) -> str:
    """The report for a notebook cell: no page, row styles inline, headings one level down."""
    return (
        '<div class="adverse-impact-report">'
        f"<p><strong>{html.escape(document.title)}</strong></p>"
        + "".join(_html_body(document, inline=True, level=4))
        + "</div>"
    )


class Reported:
    """Mixin of every result whose report is a :class:`Document`: HTML, Markdown, notebook.

    The class defines ``_document()``; the three ways to show that document are
    written here once, so every report is published the same way.
    """

    __slots__ = ()

    def to_html(self, path: Any = None) -> str:
        """The report as one self-contained HTML page (inline CSS and SVG, nothing fetched).

        The verdict first, then the result's tables and charts, the key, the method
        and the dated legal notes.  Written atomically to ``path`` when given.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> funnel = ai.audit_funnel(stages={"screened": [1, 1, 1, 0], "offered": [1, 0, 1, 0]},
        ...                          sensitive_features={"sex": ["F", "F", "M", "M"]})
        >>> page = funnel.to_html()
        >>> page.startswith("<!DOCTYPE html>"), "Where applicants leave" in page
        (True, True)
        """
        return publish(self, "html", path)

    def to_markdown(self, path: Any = None) -> str:
        """The same report as Markdown (charts stand as their captions)."""
        return publish(self, "markdown", path)

    def _repr_html_(self) -> str:
        return render_fragment(self._document())  # type: ignore[attr-defined]


# -- Markdown ---------------------------------------------------------------------------


def render_markdown(document: Document) -> str:
    """The same report as Markdown (charts stand as their captions)."""
    word = {True: "Passes.", False: "Fails.", None: "Finding."}[document.passes]
    lines = [f"# {document.title}", "", f"**{word}** {document.verdict}", ""]
    if document.facts:
        lines += [f"- {markdown_cell(f)}" for f in document.facts] + [""]
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                if block.title:
                    lines += [f"### {block.title}", ""]
                if block.caption:
                    lines += [block.caption, ""]
                lines += markdown_table(block.header, block.rows, left=block.left) + [""]
            elif isinstance(block, Figure):
                lines += [f"*Chart (in the HTML report): {block.alt or block.caption}*", ""]
            elif isinstance(block, Legend):
                if block.title:
                    lines += [f"### {block.title}", ""]
                lines += [f"- **{t}**: {markdown_cell(m)}" for t, m in block.pairs] + [""]
            else:
                lines += [block.text, ""]
    if document.key:
        lines += ["## Key", ""]
        lines += [f"- **{markdown_cell(t)}**: {markdown_cell(m)}" for t, m in document.key]
        lines.append("")
    if document.notes:
        lines += ["## Notes", ""]
        lines += [f"{i}. {markdown_cell(t)}" for i, t in enumerate(document.notes, 1)] + [""]
    if document.method:
        lines += ["## Method", ""] + [f"- {t}" for t in document.method] + [""]
    if document.legal:
        lines += [f"## Legal notes (as checked on {LEGAL_AS_OF}; not legal advice)", ""]
        lines += [f"- {LEGAL[k]}" for k in document.legal] + [""]
    lines += [f"Generated by adverse-impact {__version__}.", ""]
    return "\n".join(lines)


# -- text -------------------------------------------------------------------------------


def render_text(document: Document, width: int = TEXT_WIDTH) -> str:
    """The report as plain text, ``width`` characters wide (tables as aligned columns)."""
    word = {True: "PASSES", False: "FAILS", None: "FINDING"}[document.passes]
    lines = [document.title, "=" * min(len(document.title), width), ""]
    lines += [wrap(f"{word}: {document.verdict}", width), ""]
    lines += [wrap(f, width) for f in document.facts]
    for section in document.sections:
        lines += ["", section.title, "-" * min(len(section.title), width)]
        for block in section.blocks:
            if isinstance(block, Table):
                if block.title:
                    lines += ["", f"{block.title}:"]
                if block.caption:
                    lines.append(wrap(block.caption, width))
                lines.append(text_table(block.header, block.rows, left=block.left))
            elif isinstance(block, Text):
                lines += ["", wrap(block.text, width)]
            elif isinstance(block, Legend):
                lines += ["", f"{block.title or 'Key'}:"]
                lines += [wrap(f"  {t}: {m}", width, "    ") for t, m in block.pairs]
    if document.key:
        lines += ["", "Key:"] + [wrap(f"  {t}: {m}", width, "    ") for t, m in document.key]
    if document.notes:
        lines += ["", "Notes:"]
        lines += [wrap(f"[{i}] {t}", width, "    ") for i, t in enumerate(document.notes, 1)]
    if document.method:
        lines += ["", "Method:"] + [wrap(f"- {t}", width, "  ") for t in document.method]
    if document.legal:
        lines += ["", f"Legal notes (as checked on {LEGAL_AS_OF}; not legal advice):"]
        lines += [wrap(f"- {LEGAL[k]}", width, "  ") for k in document.legal]
    return "\n".join(lines)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    left: Sequence[int] = (0,),
    row_classes: Sequence[str] | None = None,
    caption: str | None = None,
) -> Table:
    """A :class:`Table` from any sequences (numbers shown by :func:`fmt`)."""
    return Table(
        tuple(str(h) for h in header),
        tuple(tuple(c if isinstance(c, str) else fmt(c) for c in r) for r in rows),
        title=title,
        left=tuple(left),
        row_classes=None if row_classes is None else tuple(row_classes),
        caption=caption,
    )
