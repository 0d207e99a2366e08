"""Reports of the black-box results, ranking audits and paired tests, as publication documents.

Each function reads a result's public surface (tables, counts, sentences) and
returns a :class:`~adverse_impact._publish._document.Document`: the verdict in
one sentence (the finding, the family of comparisons and its correction), the
tables and charts, the key, the method and the dated legal notes.  The
results' ``to_html``, ``to_markdown`` and ``_repr_html_`` render it with
:mod:`adverse_impact._publish._document`, in the style, print rules and phone
layout every other report has.  The results import this module inside their
methods; it never imports their classes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._render import decisive, fmt, fmt_p
from adverse_impact._publish._document import (
    Document,
    Figure,
    Legend,
    Section,
    Table,
    Text,
)

__all__ = ["group_key", "paired_document", "ranking_document"]

#: Code -> words of the shipped LLM-ranking data (adverse_impact.datasets.load_llm_rankings).
SHIPPED_KEY: dict[str, dict[str, str]] = {
    "race": {"A": "Asian", "B": "Black", "H": "Hispanic", "W": "White"},
    "sex": {"M": "men", "W": "women"},
}

#: Colours of the rank segments (best first, dark to light), with the unranked segment grey.
_RANK_COLOURS = (
    "#0a3069",
    "#0550ae",
    "#0969da",
    "#218bff",
    "#54aeff",
    "#80ccff",
    "#b6e3ff",
    "#ddf4ff",
)
_UNRANKED_COLOUR = "#8c959f"

#: The four-fifths rule applied to a ranking or a paired test: what it does and does not say.
_TOP_K_AS_SELECTION = (
    'The four-fifths rule (29 CFR 1607.4(D)) is applied to "in the top k" or "above the '
    'cut-off" as the selection: a choice of this audit, not a finding that the ranker or '
    "scorer was used to select anyone. The significance tests answer another question: "
    "whether chance alone could explain the counts, given the design."
)


def _attributes(result: Any) -> list[str]:
    """The attributes the groups were coded by (an intersection's codes join theirs)."""
    return [str(a) for a in result.params.get("sensitive_features", [])]


def _direction(observed: float, expected: float, p: float, alpha: float) -> str:
    """The direction of a count against its expectation, in words."""
    if any(isinstance(v, float) and math.isnan(v) for v in (observed, expected)):
        return "—"
    if observed == expected:
        return "as expected"
    word = "fewer than expected" if observed < expected else "more than expected"
    return word if (not math.isnan(p) and p < alpha) else f"{word} (within chance)"


def group_key(
    labels: Sequence[str], key: Mapping[str, Mapping[str, str]] | None, attributes: Sequence[str]
) -> list[tuple[str, str]]:
    """Each group code with its words, e.g. ("W | W", "White women"), where a key covers it."""
    if not key:
        return []
    out = []
    for label in labels:
        parts = str(label).split(" | ")
        if len(parts) != len(attributes):
            continue
        words = [key.get(a, {}).get(p) for a, p in zip(attributes, parts)]
        if all(words):
            out.append((str(label), " ".join(words)))
    return out


def _default_key(result: Any) -> dict[str, dict[str, str]] | None:
    """The shipped data's key when the result's labels are its codes."""
    attributes = _attributes(result)
    table = result.table
    for attribute in attributes:
        labels = set(map(str, table.loc[table["attribute"] == attribute, "group"]))
        if attribute not in SHIPPED_KEY or not labels <= set(SHIPPED_KEY[attribute]):
            return None
    return SHIPPED_KEY if attributes else None


# -- charts ---------------------------------------------------------------------------


def _svg_rank_shares(title: str, rows: list[tuple[str, list[float], float]], max_rank: int) -> str:
    """One stacked bar per group: the share of its appearances at each rank, unranked last.

    ``rows``: (label, shares by rank 1..max_rank, unranked share).  Each bar's
    tooltip lists its shares, and the first place's share is written after
    the bar, so the chart reads without colour; the legend names the ranks.
    The colours run dark (best) to light, unranked grey.
    """
    longest = max([len(label) for label, _, _ in rows] + [5])
    left, width, row, room = int(longest * 7.0) + 14, 300, 24, 70
    legend_rows = math.ceil((max_rank + 1) / 5)
    total_w = max(left + width + room, 5 * 74 + 8)
    height = 12 + row * len(rows) + 38 + 18 * legend_rows
    parts = [
        f'<svg role="img" width="{total_w}" height="{height}" viewBox="0 0 {total_w} {height}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (label, shares, unranked) in enumerate(rows):
        y = 8 + i * row
        summary = ", ".join(
            [f"rank {r + 1} {v:.1%}" for r, v in enumerate(shares)] + [f"unranked {unranked:.1%}"]
        )
        parts.append(
            f'<g><title>{html.escape(label)}: {summary}</title><text class="label" '
            f'x="{left - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{html.escape(label)}</text>"
        )
        x = float(left)
        for r, share in enumerate([*shares, unranked]):
            if share <= 0:
                continue
            w = share * width
            parts.append(
                f'<rect fill="{_rank_colour(r, len(shares))}" x="{x:.1f}" y="{y + 3}" '
                f'width="{w:.1f}" height="18"/>'
            )
            x += w
        parts.append(
            f'<text class="value" x="{left + width + 4}" y="{y + 16}" font-size="11">'
            f"1st {shares[0] if shares else 0:.0%}</text></g>"
        )
    axis = 8 + row * len(rows)
    parts.append(
        f'<line x1="{left}" y1="{axis}" x2="{left + width}" y2="{axis}" stroke="#57606a"/>'
    )
    for tick in (0, 0.5, 1):
        parts.append(
            f'<text x="{left + tick * width:.0f}" y="{axis + 13}" font-size="10" '
            f'text-anchor="middle">{tick:.0%}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{left + width / 2:.0f}" y="{axis + 28}" font-size="11" '
        'text-anchor="middle">share of the group\'s appearances</text>'
    )
    for j in range(max_rank + 1):
        lx, ly = 4 + (j % 5) * 74, axis + 46 + (j // 5) * 18
        name = "unranked" if j == max_rank else f"rank {j + 1}"
        parts.append(
            f'<rect fill="{_rank_colour(j, max_rank)}" x="{lx}" y="{ly - 9}" width="10" '
            f'height="10"/><text class="key" x="{lx + 14}" y="{ly}" font-size="10">{name}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _rank_colour(index: int, n_ranks: int) -> str:
    """The colour of a rank segment: darkest for the first place, grey for unranked."""
    if index == n_ranks:
        return _UNRANKED_COLOUR
    return _RANK_COLOURS[min(index, len(_RANK_COLOURS) - 1)]


def _svg_positions(title: str, labels: list[str], rates: list[float], chance: float) -> str:
    """Top-k rate by display position, with the rate chance alone would give as a line."""
    left, width, row, room = 86, 300, 22, 60
    x_max = max([chance * 1.2, *[r for r in rates if np.isfinite(r)]] + [0.01])
    height = 10 + row * len(labels) + 40
    total_w = left + width + room
    scale = width / x_max
    parts = [
        f'<svg role="img" width="{total_w}" height="{height}" viewBox="0 0 {total_w} {height}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (label, rate) in enumerate(zip(labels, rates)):
        y = 8 + i * row
        parts.append(
            f'<text class="label" x="{left - 6}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="12">position {html.escape(label)}</text>'
        )
        if not np.isfinite(rate):
            continue
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{rate * scale:.1f}" height="{row - 6}" '
            f'fill="#0969da"/><text class="value" x="{left + min(rate * scale, width) + 4:.0f}" '
            f'y="{y + 15}" font-size="11">{rate:.0%}</text>'
        )
    axis = 8 + row * len(labels)
    x = left + chance * scale
    parts.append(
        f'<line x1="{left}" y1="{axis}" x2="{left + width}" y2="{axis}" stroke="#57606a"/>'
        f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{axis}" stroke="#1b1f24" '
        f'stroke-dasharray="4 3"><title>chance: {chance:.1%}</title></line>'
        f'<text class="key" x="{left}" y="{axis + 28}" font-size="10">top-k rate; dashed '
        f"line: the rate chance alone gives ({chance:.1%})</text>"
    )
    for tick in np.linspace(0, x_max, 4):
        parts.append(
            f'<text x="{left + tick * scale:.1f}" y="{axis + 13}" font-size="10" '
            f'text-anchor="middle">{tick:.0%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_effects(
    title: str,
    labels: list[str],
    est: list[float],
    low: list[float],
    high: list[float],
    axis_title: str,
) -> str:
    """Point estimates with intervals around a zero line (differences can be negative),
    each estimate also written after its row, the axis titled."""
    longest = max([len(label) for label in labels] + [5])
    left, width, row, room = int(longest * 7.0) + 14, 300, 24, 80
    values = [v for v in [*est, *low, *high] if np.isfinite(v)] or [0.0]
    span = max(abs(min(values + [0.0])), abs(max(values + [0.0])), 1e-12) * 1.1
    lo, hi = -span, span
    total_w = left + width + room
    height = 10 + row * len(labels) + 42

    def x_of(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    parts = [
        f'<svg role="img" width="{total_w}" height="{height}" viewBox="0 0 {total_w} {height}">',
        f"<title>{html.escape(title)}</title>",
    ]
    axis = 8 + row * len(labels)
    parts.append(
        f'<line x1="{x_of(0):.1f}" y1="4" x2="{x_of(0):.1f}" y2="{axis}" stroke="#57606a" '
        'stroke-dasharray="4 3"><title>no difference</title></line>'
    )
    for i, label in enumerate(labels):
        y = 8 + i * row + row / 2
        parts.append(
            f'<text class="label" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="12">{html.escape(label)}</text>'
        )
        if not np.isfinite(est[i]):
            continue
        if np.isfinite(low[i]) and np.isfinite(high[i]):
            parts.append(
                f'<line x1="{x_of(low[i]):.1f}" y1="{y:.1f}" x2="{x_of(high[i]):.1f}" '
                f'y2="{y:.1f}" stroke="#1b1f24" stroke-width="1.5"/>'
            )
        parts.append(
            f'<circle cx="{x_of(est[i]):.1f}" cy="{y:.1f}" r="4" fill="#0969da">'
            f"<title>{html.escape(label)}: {est[i]:+.3g}</title></circle>"
            f'<text class="value" x="{left + width + 4}" y="{y + 4:.1f}" font-size="11">'
            f"{est[i]:+.3g}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{axis}" x2="{left + width}" y2="{axis}" stroke="#57606a"/>'
    )
    for tick in (lo, 0.0, hi):
        parts.append(
            f'<text x="{x_of(tick):.1f}" y="{axis + 13}" font-size="10" '
            f'text-anchor="middle">{"0" if tick == 0 else f"{tick:+.2g}"}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{x_of(0):.1f}" y="{axis + 30}" font-size="11" '
        f'text-anchor="middle">{html.escape(axis_title)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


# -- rankings ---------------------------------------------------------------------------


def _experiments(result: Any, frame: pd.DataFrame) -> list[tuple[tuple, pd.DataFrame]]:
    keys = list(result.by)
    if not keys:
        return [((), frame)]
    return [
        (key if isinstance(key, tuple) else (key,), part)
        for key, part in frame.groupby(keys, sort=False)
    ]


def _select(frame: pd.DataFrame | None, by: Sequence[str], key: tuple) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame()
    mask = np.ones(len(frame), dtype=bool)
    for column, value in zip(by, key):
        mask &= (frame[column] == value).to_numpy()
    return frame[mask]


def _published_sentence(part: pd.DataFrame, k: int) -> str:
    """The experiment's figures as a sentence: top-k counts, highest first, the lowest ratio."""
    finest = part[part["attribute"] == part["attribute"].iloc[-1]]
    ordered = finest.sort_values("selected", ascending=False, kind="stable")
    counts = ", ".join(f"{g} {int(s):,}" for g, s in zip(ordered["group"], ordered["selected"]))
    text = f"In the top {k} ({finest['attribute'].iloc[0]}): {counts}."
    ratios = finest["impact_ratio"]
    if ratios.notna().any():
        low = finest.loc[ratios.idxmin()]
        ref = finest[finest["is_reference"].astype(bool)]
        if len(ref):
            ref = ref.iloc[0]
            text += (
                f" Lowest impact ratio: {low['group']} "
                f"{decisive(low['impact_ratio'], low.get('four_fifths_flag'), digits=3)} "
                f"({int(low['selected'])}/{int(low['n'])} against {ref['group']}'s "
                f"{int(ref['selected'])}/{int(ref['n'])})."
            )
    return text


_RANK_COLUMNS = [
    ("group", "group"),
    ("n", "shown"),
    ("selected", "in top k"),
    ("expected", "expected"),
    ("direction", "against expectation"),
    ("rate", "rate"),
    ("impact_ratio", "impact ratio"),
    ("four_fifths_flag", "below 4/5"),
    ("p_value_gate", "p-value (gate family)"),
    ("mean_rank", "mean rank"),
]


def _group_rows(
    part: pd.DataFrame, alpha: float, p_column: str = "p_value_gate"
) -> tuple[list[str], list[list[str]], list[str]]:
    """The rows of a group table; ``p_column`` is the p-value shown (and read for the
    direction's "within chance")."""
    columns = [
        (p_column, "p-value (Holm)") if c == "p_value_gate" and p_column != c else (c, h)
        for c, h in _RANK_COLUMNS
    ]
    header = [h for _, h in columns]
    rows, classes = [], []
    for row in part.to_dict("records"):
        cells = []
        for column, _ in columns:
            value = row.get(column)
            if column == "direction":
                cells.append(
                    _direction(
                        float(row["selected"]),
                        float(row["expected"]),
                        float(row.get(p_column, math.nan)),
                        alpha,
                    )
                )
            elif column == "four_fifths_flag":
                cells.append("below 4/5" if bool(value) else "no")
            elif column.startswith("p_value"):
                cells.append(fmt_p(value))
            elif column == "expected":
                cells.append(fmt(value, 1))
            elif column == "group":
                cells.append(str(value) + (" (reference)" if row.get("is_reference") else ""))
            elif column == "impact_ratio":
                cells.append(decisive(value, row.get("four_fifths_flag"), digits=3))
            else:
                cells.append(fmt(value))
        rows.append(cells)
        classes.append(
            " ".join(
                c
                for c, on in (
                    ("flag", bool(row.get("four_fifths_flag"))),
                    ("reference", bool(row.get("is_reference"))),
                )
                if on
            )
        )
    return header, rows, classes


_TEST_NAMES = {
    "chi_square_gof": "goodness of fit",
    "cmh": "CMH",
    "permutation": "permutation",
    "friedman": "Friedman",
    "mean_rank": "mean rank",
    "cmh_within_position": "CMH within position",
}


_TEST_ORDER = (
    "chi_square_gof",
    "permutation",
    "cmh",
    "friedman",
    "mean_rank",
    "cmh_within_position",
)


def _test_rows(tests: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The design's tests once each: a row per attribute, a column per test.

    A cell is ``statistic (df): p``; "n/a" where the test does not apply
    (Friedman outside complete blocks of three or more groups), "—" where it
    was not run.
    """
    omnibus = tests[~tests["test"].isin(["pairwise", "pairwise_rank"])]
    used = [t for t in _TEST_ORDER if t in set(omnibus["test"])]
    header = ["attribute", *[_TEST_NAMES[t] for t in used]]
    rows = []
    for attribute, part in omnibus.groupby("attribute", sort=False):
        cells = [str(attribute)]
        by_test = {r["test"]: r for r in part.to_dict("records")}
        for test in used:
            r = by_test.get(test)
            if r is None:
                cells.append("—")
            elif r["note"] and str(r["note"]).startswith("not applicable"):
                cells.append("n/a")
            elif pd.isna(r["p_value"]):
                cells.append("—")
            else:
                cells.append(
                    f"{fmt(r['statistic'], 1)} ({fmt(r['df'], 0)}): p {fmt_p(r['p_value'])}"
                )
        rows.append(cells)
    return header, rows


def _pairs_sentence(tests: pd.DataFrame, alpha: float) -> str:
    pairs = tests[tests["test"].isin(["pairwise", "pairwise_rank"])]
    live = pairs[pairs["p_value"].notna()]
    hits = live[live["p_value_holm"] < alpha]
    if not len(live):
        return ""
    shown = "; ".join(
        f"{r['comparison']} ({'top k' if r['test'] == 'pairwise' else 'rank'}, "
        f"{r['attribute']}, Holm p {fmt_p(r['p_value_holm'])})"
        for r in hits.head(12).to_dict("records")
    )
    more = f" and {len(hits) - 12} more" if len(hits) > 12 else ""
    return (
        f"Pairs of groups: {len(hits)} of {len(live)} comparisons differ (z from the "
        f"permutation covariance, Holm within experiment, attribute and measure; groups "
        f"absent from the experiment left out of the family)"
        + (f": {shown}{more}." if len(hits) else ".")
    )


def _hypotheses(result: Any) -> list[tuple[str, str]]:
    from adverse_impact._blackbox._rankings import _HYPOTHESES

    used = list(dict.fromkeys(result.tests["test"]))
    # Named as the tests table heads its columns, with the code of result.tests.
    return [
        (f"{_TEST_NAMES.get(test, test.replace('_', ' '))} ({test})", _HYPOTHESES[test])
        for test in used
        if test in _HYPOTHESES
    ]


def _rank_chart(counts: pd.DataFrame, attribute: str, title: str) -> str:
    part = counts[counts["attribute"] == attribute]
    if not len(part):
        return ""
    max_rank = int(part["rank"].max())
    rows = []
    for group, g in part.groupby("group", sort=False):
        total = float(g["count"].sum())
        by_rank = dict(zip(g["rank"].astype(int), g["count"]))
        shares = [by_rank.get(r, 0) / total for r in range(1, max_rank + 1)]
        rows.append((str(group), shares, by_rank.get(0, 0) / total))
    rows.sort(key=lambda row: str(row[0]))
    return _svg_rank_shares(title, rows, max_rank)


def _ranking_key(result: Any, key: Mapping[str, Mapping[str, str]] | None) -> Section:
    """The key, first: the columns, the group codes in words, the tests' null hypotheses."""
    table, alpha, k = result.table, result.alpha, result.k
    attributes = _attributes(result)
    columns = (
        ("in top k", f"times ranked in the top {k}"),
        ("expected", "the count the design expects if the ranker ignored the groups"),
        (
            "against expectation",
            'the direction in words; "within chance" when the one-sided p-value in the '
            f"gate's family is {alpha} or more",
        ),
        ("below 4/5", "impact ratio under 0.8 (exact on the counts); rows shaded red"),
        ("(reference)", "the group the impact ratios are computed against"),
        ("p-value (gate family)", f"{result.gate_family()}: fewer in the top k than expected"),
    )
    codes = group_key(list(dict.fromkeys(map(str, table["group"]))), key, attributes)
    if len(attributes) > 1:
        codes += [
            (f"{code} ({attribute})", words)
            for attribute in attributes
            for code, words in group_key(
                list(dict.fromkeys(map(str, table.loc[table["attribute"] == attribute, "group"]))),
                {attribute: (key or {}).get(attribute, {})},
                [attribute],
            )
        ]
    blocks: list[Any] = [Legend(columns)]
    if codes:
        blocks.append(Legend(tuple(dict.fromkeys(codes)), title="Group codes"))
    blocks.append(Legend(tuple(_hypotheses(result)), title="Tests"))
    return Section("Key", tuple(blocks))


def _experiment(result: Any, where: tuple, part: pd.DataFrame, tests: pd.DataFrame) -> Section:
    """One experiment: its figures in a sentence, a table per attribute, the charts, the
    design's tests once each."""
    alpha, k, by = result.alpha, result.k, list(result.by)
    part_tests = _select(tests, by, where)
    blocks: list[Any] = [Text(_published_sentence(part, k))]
    for attribute in dict.fromkeys(part["attribute"]):
        header, cells, classes = _group_rows(part[part["attribute"] == attribute], alpha)
        blocks.append(
            Table(
                tuple(header),
                tuple(tuple(c) for c in cells),
                title=str(attribute),
                left=_left(header),
                row_classes=tuple(classes),
            )
        )
    finest = str(part["attribute"].iloc[-1])
    counts = result.rank_counts
    if counts is not None:
        blocks.append(
            Figure(
                _rank_chart(_select(counts, by, where), finest, f"Ranks received by {finest}"),
                "Share of each group's appearances at each rank (best on the left, unranked "
                "grey); the first place's share is written after each bar",
                alt=f"Ranks received by each {finest} group (see the mean ranks in the table).",
            )
        )
    positions = result.positions
    here = _select(positions, by, where)
    if len(here):
        n = float(here["n"].sum())
        chance = float(here["expected"].sum()) / n if n else math.nan
        blocks.append(
            Figure(
                _svg_positions(
                    "Top-k rate by display position",
                    [str(p) for p in here["position"]],
                    [float(v) for v in here["rate"]],
                    chance,
                ),
                "Top-k rate by the position the candidate was shown at",
                alt="Top-k rate by display position (see the display-position test).",
            )
        )
    header, cells = _test_rows(part_tests)
    blocks.append(
        Table(
            tuple(header),
            tuple(tuple(c) for c in cells),
            title="Tests of the design",
            caption="Each cell: statistic (degrees of freedom): p-value; the null hypotheses "
            "are in the key; n/a: not applicable to this design.",
        )
    )
    sentence = _pairs_sentence(part_tests, alpha)
    if sentence:
        blocks.append(Text(sentence))
    return Section(", ".join(map(str, where)) or "Results", tuple(blocks))


def ranking_document(
    result: Any,
    *,
    key: Mapping[str, Mapping[str, str]] | None = None,
    title: str | None = None,
) -> Document:
    """The ranking audit: verdict, key (columns, group codes, tests), per experiment its
    published figures, tables, charts and tests, then the display position and the method.

    ``key`` maps each attribute's codes to words; the shipped data's codes are known
    without it.
    """
    key = key if key is not None else _default_key(result)
    table, tests = result.table, result.tests
    attributes = _attributes(result)
    facts = (
        f"{result.n_prompts:,} prompts, {result.n_rows:,} candidates ({result.n_unranked:,} "
        "left unranked by the ranker, counted as shown and not selected), "
        f"{len(attributes)} attribute(s)"
        + (f", {result.params.get('n_experiments', 0)} experiments" if result.by else "")
        + ". Every test conditions on the prompts: under the null hypothesis the group "
        "labels are exchangeable within each prompt.",
    )
    sections = [_ranking_key(result, key)]
    sections += [
        _experiment(result, where, part, tests) for where, part in _experiments(result, table)
    ]
    if result.positions is not None:
        sections.append(Section("Display position", (Text(result.position_sentence()),)))
    return Document(
        title=title or f"Ranking audit (top {result.k})",
        verdict=result.verdict(),
        passes=bool(result.passes()),
        facts=facts,
        sections=tuple(sections),
        method=(
            "Expected counts: a prompt with m candidates, s of them in the top k and n_g of "
            "group g gives g an expected s n_g / m places, summed over prompts.",
            'The gate (passes(rule="significance")): each group\'s top-k count against its '
            "expectation, z with the exact permutation variance, one-sided, Holm over every "
            "group of every attribute and experiment.",
            "The primary position test is the mean-rank test, named before the data; the "
            "top-k test is reported beside it.",
            "Friedman's test only where every prompt holds one candidate of each of three or "
            "more groups; the mean-rank test covers any design.",
            _TOP_K_AS_SELECTION,
        ),
        legal=("four_fifths",),
    )


# -- paired tests -----------------------------------------------------------------------


def _paired_group_rows(result: Any) -> tuple[list[str], list[list[str]], list[str]]:
    table = result.table
    if result.kind == "rank":
        return _group_rows(table, result.alpha, "p_value_holm")
    level = 1 - result.alpha
    header = [
        "group",
        "pairs",
        "mean difference",
        f"{level:.0%} interval",
        "Wilcoxon p",
        "adjusted p",
        "differs",
    ]
    decisions = "impact_ratio" in table
    if decisions:
        header += ["rate", "impact ratio", "below 4/5", "McNemar p"]
    rows, classes = [], []
    for r in table.to_dict("records"):
        ref = bool(r["is_reference"])
        cells = [
            str(r["group"]) + (" (reference)" if ref else ""),
            fmt(r["n_pairs"]),
            "—" if ref else f"{r['mean_diff']:+.3g}",
            "—" if ref else f"{r['ci_low']:+.3g} to {r['ci_high']:+.3g}",
            "—" if ref else fmt_p(r["p_value_wilcoxon"]),
            "—" if ref else fmt_p(r["p_value_holm"]),
            "—" if ref else ("yes" if bool(r["significant"]) else "no"),
        ]
        if decisions:
            cells += [
                fmt(r["rate"]),
                decisive(r["impact_ratio"], r["four_fifths_flag"], digits=3),
                "below 4/5" if bool(r["four_fifths_flag"]) else "no",
                "—" if ref else fmt_p(r["p_value_mcnemar"]),
            ]
        rows.append(cells)
        classes.append(
            "reference"
            if ref
            else ("flag" if bool(r["significant"]) or bool(r.get("four_fifths_flag")) else "")
        )
    return header, rows, classes


#: Columns that hold words, not numbers: left-aligned.
_WORD_COLUMNS = frozenset(
    {"group", "against expectation", "below 4/5", "differs", "signal", "error", "message"}
)


def _left(header: Sequence[str]) -> tuple[int, ...]:
    return tuple(j for j, h in enumerate(header) if j == 0 or h in _WORD_COLUMNS)


def _shown(shown: int, total: int, what: str, where: str) -> str | None:
    """A caption saying that a table shows the first rows only, and where the rest are."""
    return None if shown >= total else f"The first {shown} of {total:,} {what}; {where} has all."


def _names_rows(result: Any, limit: int = 25) -> tuple[list[str], list[list[str]]]:
    names = result.name_effects
    below = names[names["flagged"].astype(bool)].sort_values("q_value").head(limit)
    header = ["signal", "group", "texts", "effect against its group", "one-sided p", "q (BH)"]
    rows = [
        [
            str(r["signal"]),
            str(r["group"]),
            fmt(r["n"]),
            f"{r['effect']:+.3g}",
            fmt_p(r["p_value_below"]),
            fmt_p(r["q_value"]),
        ]
        for r in below.to_dict("records")
    ]
    return header, rows


def _failure_rows(result: Any, limit: int = 10) -> tuple[list[str], list[list[str]]]:
    failures = result.failures
    header = ["call", "texts", "error", "message"]
    rows = [
        [fmt(r["call"]), fmt(r["n_texts"]), str(r["error"]), str(r["message"])[:160]]
        for r in failures.head(limit).to_dict("records")
    ]
    return header, rows


def _design_sentence(result: Any) -> str:
    size = (
        f"{result.n_units:,} units, {result.n_texts:,} texts"
        if result.kind == "score"
        else f"{result.n_units:,} prompts"
    )
    return (
        f"{result.n_templates:,} templates, {result.n_variants:,} signal variants in "
        f"{result.n_groups} groups, {result.n_repeats} repeat(s): {size}. Scorer calls: "
        f"{result.n_calls:,} made, {result.n_cached:,} answers from the cache, "
        f"{result.n_failed_calls:,} failed."
    )


def paired_document(result: Any, *, title: str | None = None) -> Document:
    """The paired test: verdict, design, effect per group with intervals (table and chart),
    the names that score below their group (signed), the failures and where they fell."""
    score = result.kind == "score"
    header, rows, classes = _paired_group_rows(result)
    effects: list[Any] = [
        Table(
            tuple(header),
            tuple(tuple(r) for r in rows),
            left=_left(header),
            row_classes=tuple(classes),
        )
    ]
    table = result.table
    if score:
        others = table[~table["is_reference"].astype(bool)]
        effects.append(
            Figure(
                _svg_effects(
                    f"Mean difference from {result.reference} with intervals",
                    [str(g) for g in others["group"]],
                    [float(v) for v in others["mean_diff"]],
                    [float(v) for v in others["ci_low"]],
                    [float(v) for v in others["ci_high"]],
                    "score difference from the reference, same template",
                ),
                f"Mean paired difference from {result.reference} with its "
                f"{1 - result.alpha:.0%} interval; dashed line: no difference",
                alt=f"Mean difference from {result.reference} per group (see the table).",
            )
        )
    elif result.rankings is not None:
        effects += [Text(line) for line in result.rankings.summary().splitlines()[1:]]
    names: list[Any] = [Text(result.names_sentence() + ".")]
    header, rows = _names_rows(result)
    if rows:
        flagged = int(result.name_effects["flagged"].astype(bool).sum())
        names.append(
            Table(
                tuple(header),
                tuple(tuple(r) for r in rows),
                left=_left(header),
                caption=_shown(len(rows), flagged, "such names", "result.name_effects"),
            )
        )
    if result.n_failed_calls or result.n_failed:
        header, rows = _failure_rows(result)
        failures: list[Any] = [
            Text(result.failures_sentence() + "."),
            Table(
                tuple(header),
                tuple(tuple(r) for r in rows),
                left=_left(header),
                caption=_shown(len(rows), len(result.failures), "failed calls", "result.failures"),
            ),
        ]
    else:
        failures = [Text("No scorer call failed.")]
    return Document(
        title=title or f"Paired test ({'scores' if score else 'rankings'})",
        verdict=result.verdict(),
        # A paired test has no pass mark: its verdict is a finding.
        passes=None,
        facts=(
            _design_sentence(result),
            f"Reference group: {result.reference}.",
        ),
        sections=(
            Section("Effect per group", tuple(effects)),
            Section("Names that score below their group", tuple(names)),
            Section("Failures", tuple(failures)),
        ),
        key=(
            ("(reference)", "the group every other group is compared with"),
            ("mean difference", "group minus reference within a unit (same template)"),
            ("adjusted p", result.family),
            ("differs", "adjusted p below alpha"),
            ("shaded rows", "a group that differs, or is below 4/5; said in words too"),
            ("effect against its group", "a name's mean score minus its group's (signed)"),
        ),
        method=(f"{result.method[0].upper()}{result.method[1:]}.", _TOP_K_AS_SELECTION),
        legal=("four_fifths",),
    )
