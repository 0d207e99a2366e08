"""The NYC Local Law 144 publication packet: the fields of 6 RCNY 5-303 as Markdown, HTML, JSON.

Built from one or more audit results (one per tier for a tool that sorts
candidates into tiers); renders from aggregate tables only.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._groups import ATTRIBUTE_SEP
from adverse_impact._core._params import DATA_KINDS
from adverse_impact._core._render import decisive, html_verdict, jsonable, scoring_median
from adverse_impact._publish import PUBLIC
from adverse_impact._version import __version__

if TYPE_CHECKING:
    from adverse_impact._audits._result import AuditResult

__all__ = [*PUBLIC["_ll144"], "build_packet"]

#: The rule's sections, cited in every rendering (6 RCNY 5-300 to 5-304).
RULES = {
    "summary": "6 RCNY 5-303 (published results)",
    "small": "6 RCNY 5-301(d) (categories under 2% may be excluded from the impact ratios)",
    "test_data": "6 RCNY 5-302(b) (test data only when historical data is insufficient)",
    "tiers": "6 RCNY 5-301(b) (a tool that classifies candidates into groups)",
}
#: The four-fifths line is a reference for readers; LL144 sets no threshold.
FOUR_FIFTHS = 0.8
#: The packet table's column holding the audit's exact decision "below 0.80".
FLAG = "below_four_fifths"
#: Power behind the "too few to tell" sentences (the audit's min_detectable_ratio).
POWER = 0.8


# eq=False: results holding DataFrames compare (and hash) by identity.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class LL144Packet:
    """A bias-audit summary ready to publish under NYC Local Law 144.

    Returned by :meth:`AuditResult.to_ll144`.  Render it with
    :meth:`to_markdown`, :meth:`to_html` (one self-contained, printable page)
    or :meth:`to_json`.

    Attributes
    ----------
    metadata : Mapping[str, object]
        Dates, data source and kind, tool, employer, auditor, measure, the
        small-category threshold and its base, and the library version.
    tiers : tuple of str or None
        ``(None,)`` for a selection tool; for a tiered tool the label of each
        "placed in tier t or better" table, best first.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> result = ai.audit(selected=[1, 0, 1, 1] * 10, sensitive_features={"sex": ["F", "F", "M",
    ...                   "M"] * 10})
    >>> packet = result.to_ll144(audit_date="2026-11-30", distribution_date="2026-01-05",
    ...                          data_source="ATS export")
    >>> print(packet.summary().splitlines()[0])
    LL144Packet: AEDT, audit of 2026-11-30; lowest impact ratio 0.50
    >>> for part in packet.verdict.split("; "):
    ...     print(part)
    1 of 1 category compared has an impact ratio below 0.80, the four-fifths reference line
    (Local Law 144 sets no pass mark)
    the lowest is 0.50 (F, sex)
    each category is compared on its own with the most selected category of its attribute,
    with no correction for the number of comparisons.
    >>> packet.to_frame()[["attribute", "category", "n", "rate", "impact_ratio"]]
      attribute category   n  rate  impact_ratio
    0       sex        F  20   0.5           0.5
    1       sex        M  20   1.0           1.0
    """

    # Read-only mappings inside cannot be pickled: rebuild through the constructor.
    __reduce__ = reduce_by_fields

    metadata: Mapping[str, Any]
    tiers: tuple[str | None, ...]
    _tables: pd.DataFrame = dataclasses.field(repr=False)
    _unknown: pd.DataFrame = dataclasses.field(repr=False)

    @property
    def tables(self) -> pd.DataFrame:
        """Every category's row, tier by tier and attribute by attribute (a copy).

        Columns: ``tier``, ``attribute``, ``category``, ``n``, ``selected``,
        ``rate``, ``impact_ratio``, ``excluded``, ``reason`` (why excluded),
        ``is_reference``, ``p_value`` (Fisher's exact test against the
        reference), ``min_detectable_ratio`` and ``headline``-ready flags.
        """
        return self._tables.copy()

    @property
    def unknown(self) -> pd.DataFrame:
        """Individuals in the unknown category per tier and attribute (a copy)."""
        return self._unknown.copy()

    @property
    def excluded(self) -> pd.DataFrame:
        """Every category excluded from the impact ratios, with n, rate and the reason."""
        table = self._tables
        return table.loc[
            table["excluded"], ["tier", "attribute", "category", "n", "rate", "reason"]
        ].reset_index(drop=True)

    # -- renderings ------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: every category's row (see :attr:`tables`; a copy)."""
        return self._tables.copy()

    def to_dict(self) -> dict[str, Any]:
        """The finding, metadata, tables, unknown counts and exclusions, JSON-serialisable.

        ``finding`` is :attr:`verdict`, the sentence that opens every rendering.
        """
        tiers = []
        for tier in self.tiers:
            rows = self._tables[_is(self._tables["tier"], tier)]
            unknown = self._unknown[_is(self._unknown["tier"], tier)]
            tiers.append(
                {
                    "tier": tier,
                    "headlines": {
                        a: _headline(rows[rows["attribute"] == a], a, self.metadata)
                        for a in dict.fromkeys(rows["attribute"])
                    },
                    "unknown": {r.attribute: int(r.n) for r in unknown.itertuples()},
                    "tables": {
                        a: [
                            {k: jsonable(v) for k, v in row.items() if k != "tier"}
                            # The ratio as the packet prints it (the decimals that
                            # decide its side of 0.80), for a page built from the JSON.
                            | {"impact_ratio_text": _ratio_text(row_tuple)}
                            for row, row_tuple in zip(
                                rows[rows["attribute"] == a].to_dict("records"),
                                rows[rows["attribute"] == a].itertuples(index=False),
                            )
                        ]
                        for a in dict.fromkeys(rows["attribute"])
                    },
                }
            )
        return {
            "finding": self.verdict,
            "metadata": jsonable(dict(self.metadata)),
            "rules": dict(RULES),
            "tiers": tiers,
        }

    def to_json(self, path: Any = None, *, indent: int | None = 2) -> str:
        """The packet as JSON (see :meth:`to_dict`); optionally written atomically."""
        return _write(json.dumps(self.to_dict(), indent=indent, ensure_ascii=False), path)

    def to_markdown(self, path: Any = None) -> str:
        """The packet as Markdown, in the rule's layout; optionally written atomically."""
        return _write(_markdown(self), path)

    def to_html(self, path: Any = None) -> str:
        """One self-contained, printable HTML page; optionally written atomically."""
        return _write(_html(self), path)

    @property
    def verdict(self) -> str:
        """What the packet finds, in one sentence: how many categories are below 0.80.

        The first thing under the title in every rendering.  Local Law 144 sets
        no pass mark, so this is a finding, neither a pass nor a fail.
        """
        return _finding(self)

    def summary(self) -> str:
        """Two lines: the tool, the audit date and the lowest impact ratio; the verdict."""
        kept = self._tables.dropna(subset=["impact_ratio"])
        low = (
            "lowest impact ratio "
            + decisive(*kept.loc[kept["impact_ratio"].idxmin(), ["impact_ratio", FLAG]])
            if len(kept)
            else "no impact ratio"
        )
        tiers = "" if self.tiers == (None,) else f", {len(self.tiers)} tiers"
        return (
            f"LL144Packet: {self.metadata.get('tool') or 'AEDT'}, audit of "
            f"{self.metadata['audit_date']}{tiers}; {low}\n{self.verdict}"
        )

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = self.summary().splitlines()[0]
        return (
            f"<div><p><strong>{html.escape(head)}</strong></p>"
            f"{html_verdict(self.verdict, None)}</div>"
        )


# -- building -----------------------------------------------------------------------------


def _date(value: Any, name: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise input_error(
            name, "is required by 6 RCNY 5-303 and was not given", f"Pass {name}='YYYY-MM-DD'"
        )
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise type_error(name, f"got {type(value).__name__}", "Pass an ISO date 'YYYY-MM-DD'")
    try:
        return _dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise input_error(
            name, f"{value!r} is not an ISO date", "Pass a date as 'YYYY-MM-DD'"
        ) from None


def _text(value: Any, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise input_error(
                name,
                "is required by 6 RCNY 5-303 and was not given",
                f"Pass {name}= (e.g. where the data came from and what it covers)",
            )
        return None
    if not isinstance(value, str):
        raise type_error(name, f"got {type(value).__name__}", f"Pass {name} as text")
    return value.strip()


def build_packet(
    results: Sequence[tuple[str | None, AuditResult]],
    *,
    audit_date: Any,
    distribution_date: Any,
    data_source: Any,
    data_kind: str = "historical",
    test_data_explanation: str | None = None,
    tool: str | None = None,
    employer: str | None = None,
    auditor: str | None = None,
    title: str | None = None,
) -> LL144Packet:
    """The packet of one audit, or of one audit per tier (best tier first)."""
    required = {
        "audit_date": audit_date,
        "distribution_date": distribution_date,
        "data_source": data_source,
    }
    if data_kind == "test":  # 6 RCNY 5-302(b): test data must be explained
        required["test_data_explanation"] = test_data_explanation
    _check_required(required)
    metadata: dict[str, Any] = {
        "audit_date": _date(audit_date, "audit_date"),
        "distribution_date": _date(distribution_date, "distribution_date"),
        "data_source": _text(data_source, "data_source", True),
        "title": _text(title, "title", False),
    }
    explanation = _check_data_kind(data_kind, test_data_explanation)
    first = results[0][1]
    params = first.params
    if params.get("weighted"):
        raise input_error(
            "result",
            "is a weighted audit; LL144 counts people",
            "Audit unweighted decisions for the published summary",
        )
    metadata.update(
        {
            "data_kind": data_kind,
            "test_data_explanation": explanation,
            "tool": _text(tool, "tool", False),
            "employer": _text(employer, "employer", False),
            "auditor": _text(auditor, "auditor", False),
            "measure": "scoring rate" if params.get("rule") == "scoring_rate" else "selection rate",
            "median_score": params.get("cutoff") if params.get("rule") == "scoring_rate" else None,
            "n_total": first.n_total,
            "min_share": params.get("min_share"),
            "min_share_of": params.get("min_share_of", "known"),
            "alpha": params.get("alpha"),
            "library": f"adverse-impact {__version__}",
        }
    )
    return LL144Packet(
        read_only(metadata),
        tuple(t for t, _ in results),
        pd.concat([_tier_table(tier, r, metadata) for tier, r in results], ignore_index=True),
        pd.concat([_tier_unknown(tier, r) for tier, r in results], ignore_index=True),
    )


#: What each required field holds, for the message that names every missing one.
_REQUIRED = {
    "audit_date": "audit_date='YYYY-MM-DD'",
    "distribution_date": "distribution_date='YYYY-MM-DD'",
    "data_source": "data_source='where the data came from and what it covers'",
    "test_data_explanation": "test_data_explanation='why historical data was not used and "
    "how the test data was made (6 RCNY 5-302(b))'",
}


def _check_required(values: Mapping[str, Any]) -> None:
    """Every required field left out, named in one error (not one error per attempt)."""
    missing = [
        name
        for name, value in values.items()
        if value is None or (isinstance(value, str) and not value.strip())
    ]
    if missing == ["test_data_explanation"]:
        return  # said by _check_data_kind, with the rule it comes from
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise input_error(
            ", ".join(missing),
            f"{verb} required by 6 RCNY 5-303 and {'was' if len(missing) == 1 else 'were'} "
            "not given",
            "Pass " + ", ".join(_REQUIRED[name] for name in missing),
        )


def _check_data_kind(data_kind: str, test_data_explanation: Any) -> str | None:
    """The kind of data checked; returns the explanation test data requires."""
    if data_kind not in DATA_KINDS:
        raise input_error(
            "data_kind",
            f"{data_kind!r} is not a kind of data",
            'Pass "historical" or "test" (6 RCNY 5-302)',
        )
    explanation = _text(test_data_explanation, "test_data_explanation", False)
    if data_kind == "test" and explanation is None:
        raise input_error(
            "test_data_explanation",
            'is required with data_kind="test"',
            "Explain why historical data was not used and how the test data "
            "was made (6 RCNY 5-302(b))",
        )
    return explanation


def _tier_table(tier: str | None, result: AuditResult, metadata: Mapping[str, Any]) -> pd.DataFrame:
    """One tier's rows of the packet's table: each category's counts, rate and ratio."""
    table = result.table
    # The audit's own words for the base (its note says "of all rows" too).
    share_base = (
        "the rows of known category"
        if metadata["min_share_of"] == "known"
        else "all rows (unknown category included)"
    )
    return pd.DataFrame(
        {
            "tier": tier,
            "attribute": table["attribute"],
            "category": table["group"].astype(str),
            "n": table["n"],
            "selected": table["selected"],
            "rate": table["rate"],
            "impact_ratio": table["impact_ratio"].where(~table["excluded"]),
            "excluded": table["excluded"].astype(bool),
            "reason": [
                (
                    f"{share:.2%} of {share_base} is under the {metadata['min_share']:.0%} "
                    "threshold of 6 RCNY 5-301(d); too few to compare reliably"
                )
                if ex
                else ""
                for ex, share in zip(table["excluded"], _shares(result, metadata))
            ],
            "is_reference": table["is_reference"].astype(bool),
            # The audit's exact decision (fractions of counts), which the printed
            # ratio must agree with: see decisive().
            "below_four_fifths": (table["four_fifths_flag"].fillna(False).astype(bool))
            & ~table["excluded"].astype(bool),
            "p_value": table.get("p_value_fisher", pd.Series(float("nan"), index=table.index)),
            "min_detectable_ratio": table.get(
                "min_detectable_ratio", pd.Series(float("nan"), index=table.index)
            ),
            "flip_flop": table.get("flip_flop", pd.Series(pd.NA, index=table.index)),
        }
    )


def _tier_unknown(tier: str | None, result: AuditResult) -> pd.DataFrame:
    """One tier's count of unknown category, per attribute."""
    return pd.DataFrame(
        {"tier": tier, "attribute": list(result.unknown), "n": list(result.unknown.values())}
    )


def _shares(result: AuditResult, metadata: Mapping[str, Any]) -> list[float]:
    table = result.table
    if metadata["min_share_of"] == "known":
        return table["share"].tolist()
    out = []
    for attribute, n in zip(table["attribute"], table["n"]):
        known = table.loc[table["attribute"] == attribute, "n"].sum()
        out.append(n / (known + result.unknown[attribute]))
    return out


# -- plain language -------------------------------------------------------------------------


def _is(column: pd.Series, tier: str | None) -> pd.Series:
    return column.isna() if tier is None else column == tier


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def p_text(p: Any) -> str:
    """A p-value as a reader sees it: "< 0.001" rather than "0.000"."""
    if _missing(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _num(value: Any, digits: int = 2) -> str:
    return "—" if _missing(value) else f"{float(value):.{digits}f}"


def _headline(rows: pd.DataFrame, attribute: str, metadata: Mapping[str, Any]) -> str:
    """One sentence a non-statistician can read: the lowest ratio and what it means."""
    measure = "selected" if metadata["measure"] == "selection rate" else "scored above the median"
    kept = rows[~rows["excluded"] & rows["impact_ratio"].notna()]
    reference = rows[rows["is_reference"]]
    if kept.empty or reference.empty:
        return (
            f"No impact ratio could be computed for {attribute} (no category has a "
            "rate above zero among those compared)."
        )
    ref = reference.iloc[0]
    low = kept.loc[kept["impact_ratio"].idxmin()]
    if low["category"] == ref["category"]:
        return f"All {attribute} categories were {measure} at the same rate."
    most = (
        "the most selected category"
        if metadata["measure"] == "selection rate"
        else "the category with the highest scoring rate"
    )
    sentence = (
        f"{low['category']} candidates were {measure} at "
        f"{decisive(low['impact_ratio'], low['below_four_fifths'])} "
        f"times the rate of {ref['category']} candidates, {most}"
    )
    if low["below_four_fifths"]:
        sentence += " (below the four-fifths reference line of 0.80)"
    sentence += "."
    mdr = low["min_detectable_ratio"]
    alpha = metadata.get("alpha") or 0.05
    significant = not _missing(low["p_value"]) and low["p_value"] < alpha
    if not significant and not _missing(mdr) and mdr < FOUR_FIFTHS:
        detect = (
            "no impact ratio at all"
            if mdr == 0
            else f"only impact ratios below {decisive(mdr, below=True)}"
        )
        sentence += (
            f" The difference is not statistically significant, and with "
            f"{int(low['n']):,} {low['category']} candidates the data cannot support "
            f"a firm conclusion: {detect} would be detected {POWER:.0%} of the time."
        )
    elif significant:
        shown = p_text(low["p_value"])
        shown = shown if shown.startswith("<") else f"= {shown}"
        sentence += f" The difference is statistically significant (Fisher p {shown})."
    return sentence


def _finding(packet: LL144Packet) -> str:
    """The packet's verdict: how many categories compared are below 0.80, the lowest, the
    categories excluded as small, and the family (each comparison on its own)."""
    meta = packet.metadata
    table = packet._tables
    compared = table[~table["excluded"] & ~table["is_reference"] & table["impact_ratio"].notna()]
    excluded = int(table["excluded"].sum())
    tiered = packet.tiers != (None,)
    scope = f"Across the {len(packet.tiers)} tiers, " if tiered else ""
    small = (
        f"; {excluded} {'category' if excluded == 1 else 'categories'} under "
        f"{meta['min_share']:.0%} {'is' if excluded == 1 else 'are'} excluded from the "
        "ratios (6 RCNY 5-301(d))"
        if excluded
        else ""
    )
    if compared.empty:
        sentence = (
            "no category could be compared with another (no category has a rate above "
            f"zero among those compared){small}."
        )
        return scope + sentence if scope else sentence[0].upper() + sentence[1:]
    below = int(compared[FLAG].sum())
    n = len(compared)
    low = compared.loc[compared["impact_ratio"].astype(float).idxmin()]
    where = f"{low['category']}, {str(low['attribute']).replace(ATTRIBUTE_SEP, ' × ')}"
    if tiered:
        where += f", {_tier_title(low['tier']).lower()}"
    most = (
        "the most selected category"
        if meta["measure"] == "selection rate"
        else "the category with the highest scoring rate"
    )
    count = (
        f"{below} of {n} {'category' if n == 1 else 'categories'} compared "
        f"{'has' if below == 1 else 'have'}"
        if below
        else f"none of the {n} {'category' if n == 1 else 'categories'} compared has"
    )
    sentence = (
        f"{count} an impact ratio below 0.80, the four-fifths reference line (Local Law "
        f"144 sets no pass mark); the lowest is {decisive(low['impact_ratio'], low[FLAG])} "
        f"({where}){small}; each category is compared on its own with {most} of its "
        "attribute, with no correction for the number of comparisons."
    )
    return scope + sentence if scope else sentence[0].upper() + sentence[1:]


def _tier_title(tier: str | None) -> str:
    return "" if tier is None else f"Placed in tier “{tier}” or better"


def _meta_lines(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    kind = metadata["data_kind"]
    lines = [
        ("Date of the bias audit", metadata["audit_date"]),
        ("Distribution date of the tool", metadata["distribution_date"]),
        ("Source and explanation of the data", f"{metadata['data_source']} ({kind} data)"),
    ]
    if kind == "test":
        lines.append(("Why test data, and how it was made", metadata["test_data_explanation"]))
    for key, label in (
        ("tool", "Automated employment decision tool"),
        ("employer", "Employer or employment agency"),
        ("auditor", "Independent auditor"),
    ):
        if metadata.get(key):
            lines.append((label, metadata[key]))
    measure = metadata["measure"]
    if measure == "scoring rate":
        median = scoring_median(
            {"rule": "scoring_rate", "cutoff": metadata["median_score"]}, metadata["n_total"]
        )
        measure += f": {(median or '').removeprefix('Scoring rate: ')}"
    else:
        measure += " (number selected ÷ number of applicants)"
    lines.append(("Measure", measure))
    lines.append(
        ("Applicants in the audit", (f"{metadata['n_total']:,} (unknown category included)"))
    )
    if metadata.get("min_share") is None:
        lines.append(("Small categories", "none excluded from the impact ratios"))
    else:
        base = (
            "the rows whose category is known"
            if metadata["min_share_of"] == "known"
            else "all rows, unknown category included"
        )
        lines.append(
            (
                "Small categories",
                (
                    f"categories under {metadata['min_share']:.0%} of "
                    f"{base} are excluded from the impact ratios (6 RCNY 5-301(d)); their "
                    "number of applicants and rate are still shown"
                ),
            )
        )
    return lines


# -- Markdown --------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def _markdown(packet: LL144Packet) -> str:
    meta = packet.metadata
    count, rate = _measure_words(meta)
    lines = [
        f"# {_title(meta)}",
        "",
        f"**Finding.** {packet.verdict}",
        "",
        "Published under NYC Local Law 144 of 2021 and " + RULES["summary"] + ".",
        "",
    ]
    lines += [f"- **{label}:** {value}" for label, value in _meta_lines(meta)]
    lines.append("")
    for tier, unknown, blocks in _tier_blocks(packet):
        if tier is not None:
            lines += [f"## {_tier_title(tier)}", ""]
        lines.append(
            "**Number of individuals in the unknown category** (not in the rates or "
            "ratios): " + "; ".join(f"{r.attribute}: {int(r.n):,}" for r in unknown.itertuples())
        )
        lines.append("")
        level = "###" if tier is not None else "##"
        for attribute, block in blocks:
            lines += [
                f"{level} {_attribute_title(attribute)}",
                "",
                _headline(block, attribute, meta),
                "",
                (
                    f"| Category | Number of applicants | {count} | {rate} | Impact ratio |"
                    f" {FLAG_HEADING} | Fisher p-value |"
                ),
                "|---|---:|---:|---:|---:|---|---:|",
            ]
            lines += [
                f"| {_md_escape(r.category)} | {int(r.n):,} | {int(r.selected):,} "
                f"| {_num(r.rate)} | {_ratio_text(r)} | {_flag_text(r)} | {p_text(r.p_value)} |"
                for r in block.itertuples(index=False)
            ]
            lines.append("")
    lines += _markdown_excluded(packet)
    lines += ["## How to read this", "", *_reading_notes(meta), ""]
    return "\n".join(lines)


def _markdown_excluded(packet: LL144Packet) -> list[str]:
    """The Markdown section of the categories excluded from the ratios (none without any)."""
    excluded = packet.excluded
    if not len(excluded):
        return []
    tiered = packet.tiers != (None,)
    lines = [
        "## Categories excluded from the impact ratios",
        "",
        "¹ " + RULES["small"] + ".",
        "",
        ("| Tier " if tiered else "")
        + "| Attribute | Category | Number of applicants | Rate | Reason |",
        ("|---" if tiered else "") + "|---|---|---:|---:|---|",
    ]
    for r in excluded.itertuples(index=False):
        tier_cell = f"| {_md_escape(r.tier)} " if tiered else ""
        lines.append(
            f"{tier_cell}| {_md_escape(r.attribute)} | "
            f"{_md_escape(r.category)} | {int(r.n):,} | {_num(r.rate)} | "
            f"{r.reason} |"
        )
    lines.append("")
    return lines


def _title(meta: Mapping[str, Any]) -> str:
    if meta.get("title"):
        return str(meta["title"])
    return f"Bias audit summary{': ' + meta['tool'] if meta.get('tool') else ''}"


def _measure_words(meta: Mapping[str, Any]) -> tuple[str, str]:
    """The headings of the count and of the rate columns, for the packet's measure."""
    if meta["measure"] == "selection rate":
        return "Number selected", "Selection rate"
    return "Number scoring above the median", "Scoring rate"


def _tier_blocks(
    packet: LL144Packet,
) -> Iterator[tuple[str | None, pd.DataFrame, list[tuple[str, pd.DataFrame]]]]:
    """Each tier (None when untiered), its unknown counts, and its rows by attribute."""
    for tier in packet.tiers:
        rows = packet._tables[_is(packet._tables["tier"], tier)]
        unknown = packet._unknown[_is(packet._unknown["tier"], tier)]
        blocks = [(a, rows[rows["attribute"] == a]) for a in dict.fromkeys(rows["attribute"])]
        yield tier, unknown, blocks


def _ratio_text(row: Any) -> str:
    """A category's impact ratio as the packet writes it: excluded, or the number, and
    whether it is the reference."""
    ratio = "excluded¹" if row.excluded else decisive(row.impact_ratio, row.below_four_fifths)
    if row.is_reference:
        ratio += " (reference)"
    return ratio


#: The heading of the column that says, in words, which ratios are under the line.
FLAG_HEADING = "Four-fifths flag"


def _flag_text(row: Any) -> str:
    """The flag column's cell: "below 0.80", or empty (excluded rows say so elsewhere)."""
    return "below 0.80" if row.below_four_fifths else ""


def _attribute_title(attribute: str) -> str:
    names = {"sex": "Sex", "race": "Race/ethnicity", "race/ethnicity": "Race/ethnicity"}
    if ATTRIBUTE_SEP in attribute:
        return "Intersectional categories (" + attribute.replace(ATTRIBUTE_SEP, " × ") + ")"
    return names.get(attribute.casefold(), attribute)


def _reading_notes(meta: Mapping[str, Any]) -> list[str]:
    return [
        (
            "- The **impact ratio** is a category's rate divided by the rate of the most "
            "selected category. Local Law 144 sets no pass mark; the Uniform Guidelines' "
            "four-fifths rule (29 CFR 1607.4(D)) treats a ratio below 0.80 as a sign of adverse "
            "impact."
        ),
        (
            "- The **Fisher p-value** is the chance of a difference at least this large if every "
            "category had the same underlying rate; below 0.05 it is called statistically "
            "significant. Small categories rarely reach it even when the difference is real."
        ),
        (
            f"- Where a sentence says the data cannot support a firm conclusion, the sample is too "
            f"small to detect an impact ratio of 0.80 at least {POWER:.0%} of the time "
            f"(two-sided test at {meta.get('alpha') or 0.05:g})."
        ),
        f"- Computed with {meta['library']} from per-category counts.",
    ]


# -- HTML --------------------------------------------------------------------------------

_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:56rem;color:#1b1f24;background:#fff;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:1.6rem}
h3{font-size:1.05rem;margin-top:1.2rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:1rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
p.headline{font-size:1.02rem;margin:.3rem 0 .6rem}
p.verdict{font-size:1.08rem;border-left:4px solid #57606a;padding:.4rem .8rem;
background:#f6f8fa;margin:.6rem 0}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.92rem;width:100%}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:#1b1f24}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .55rem;text-align:right}
th[scope=row],td.text,th.text{text-align:left}
thead th{background:#eaeef2;color:#1b1f24}
tr.below td,tr.below th{background:#ffebe9}
tr.excluded td,tr.excluded th{color:#424a53;font-style:italic}
.track{display:inline-block;position:relative;width:10rem;height:.8rem;
vertical-align:middle}
.bar{position:absolute;left:0;top:0;height:100%;background:#0969da}
tr.below .bar{background:#a40e26}
.line{position:absolute;left:80%;top:-.2rem;bottom:-.2rem;border-left:2px dashed #1b1f24}
.note{color:#424a53;font-size:.9rem}
.table-wrap{overflow-x:auto;max-width:100%;margin:.4rem 0 1rem}.table-wrap table{margin:0}
.table-wrap th:first-child,.table-wrap td:first-child{position:sticky;left:0;z-index:1;
background:#fff}
.table-wrap thead th:first-child{background:#eaeef2}
.table-wrap{container-type:inline-size}
.table-wrap caption{position:sticky;left:0;max-width:100cqw;box-sizing:border-box}
.table-wrap tr.below th:first-child,.table-wrap tr.below td:first-child{background:#ffebe9}
tr,dl.meta,p.headline,p.verdict{break-inside:avoid;page-break-inside:avoid}
h1,h2,h3,caption{break-after:avoid;page-break-after:avoid}
thead{display:table-header-group}
@media (max-width:40rem){body{margin:1rem auto;padding:0 .6rem;overflow-wrap:break-word}
dl.meta{grid-template-columns:auto}dl.meta dd{margin:0 0 .4rem .8rem}
th,td{padding:.25rem .4rem}.track{width:6rem}}
@media print{.table-wrap{overflow:visible;margin:.1rem 0 .4rem}
.table-wrap th:first-child,.table-wrap td:first-child,.table-wrap caption{position:static}
.table-wrap caption{max-width:none}
body{margin:0;max-width:none;font-size:8pt;line-height:1.25}
h1{font-size:13pt;margin:0}h2{font-size:10.5pt;margin:.5rem 0 .2rem;break-after:avoid}
h3{font-size:9.5pt;margin:.4rem 0 .15rem}p{margin:.2rem 0}
p.headline{font-size:8.5pt;margin:.1rem 0 .2rem}
p.verdict{font-size:9pt;margin:.2rem 0 .3rem;padding:.2rem .5rem}
dl.meta{margin:.3rem 0;gap:0 .8rem}table{margin:.1rem 0 .4rem;font-size:7.5pt;break-inside:avoid}
th,td{padding:.05rem .3rem}.track{width:5rem}
.bar,.line{-webkit-print-color-adjust:exact;print-color-adjust:exact}
tr.below td,tr.below th{background:#ffebe9 !important;
-webkit-print-color-adjust:exact;print-color-adjust:exact}@page{margin:1cm}}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _html(packet: LL144Packet) -> str:
    meta = packet.metadata
    title = _title(meta)
    count, rate = _measure_words(meta)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        html_verdict(packet.verdict, None),
        (
            f'<p class="note">Published under NYC Local Law 144 of 2021 and '
            f"{_e(RULES['summary'])}.</p>"
        ),
        '<dl class="meta">',
    ]
    out += [f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in _meta_lines(meta)]
    out.append("</dl>")
    for tier, unknown, blocks in _tier_blocks(packet):
        level = 3 if tier is not None else 2
        if tier is not None:
            out.append(f"<h2>{_e(_tier_title(tier))}</h2>")
        out.append(
            "<p><strong>Number of individuals in the unknown category</strong> (not in "
            "the rates or ratios): "
            + "; ".join(f"{_e(r.attribute)}: {int(r.n):,}" for r in unknown.itertuples())
            + "</p>"
        )
        for attribute, block in blocks:
            out += _html_attribute(tier, attribute, block, meta, level, count, rate)
    out += _html_excluded(packet)
    out.append("<h2>How to read this</h2><ul>")
    out += [f"<li>{_e(note[2:]).replace('**', '')}</li>" for note in _reading_notes(meta)]
    out.append("</ul></main></body></html>")
    return "\n".join(out)


def _html_attribute(
    tier: str | None,
    attribute: str,
    block: pd.DataFrame,
    meta: Mapping[str, Any],
    level: int,
    count: str,
    rate: str,
) -> list[str]:
    """One attribute's section: its heading, headline sentence and table of categories."""
    name = _attribute_title(attribute)
    out = [
        f"<section><h{level}>{_e(name)}</h{level}>",
        f'<p class="headline">{_e(_headline(block, attribute, meta))}</p>',
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_e(name)}">'
        f"<table><caption>{_e(name)}: {_e(rate.lower())} and impact ratio by "
        f"category{(' — ' + _e(_tier_title(tier))) if tier else ''}</caption>",
        '<thead><tr><th scope="col" class="text">Category</th>'
        '<th scope="col">Number of applicants</th>'
        f'<th scope="col">{_e(count)}</th><th scope="col">{_e(rate)}</th>'
        '<th scope="col">Impact ratio</th>'
        '<th scope="col" class="text barcol">Impact ratio (bar; dashed '
        "line at 0.80)</th>"
        '<th scope="col">Fisher p-value</th></tr></thead><tbody>',
    ]
    out += [_html_row(r) for r in block.itertuples(index=False)]
    out.append("</tbody></table></div></section>")
    return out


def _html_row(r: Any) -> str:
    """One category's table row, marked below 0.80 or excluded, with its bar."""
    below = bool(r.below_four_fifths)
    cls = "excluded" if r.excluded else ("below" if below else "")
    ratio = _ratio_text(r)
    if below:
        ratio += " — below 0.80"
    # A share of the track, so the bar and the dashed 0.80 line scale with it.
    width = 0 if r.excluded or _missing(r.impact_ratio) else min(float(r.impact_ratio), 1.0) * 100
    bar = (
        (
            f'<span class="track" aria-hidden="true"><span class="bar" '
            f'style="width:{width:.1f}%"></span><span class="line"></span>'
            "</span>"
        )
        if width
        else ""
    )
    return (
        f'<tr class="{cls}"><th scope="row" class="text">{_e(r.category)}'
        f"</th><td>{int(r.n):,}</td><td>{int(r.selected):,}</td>"
        f"<td>{_num(r.rate)}</td><td>{_e(ratio)}</td>"
        f'<td class="text barcol">{bar}</td>'
        f"<td>{_e(p_text(r.p_value))}</td></tr>"
    )


def _html_excluded(packet: LL144Packet) -> list[str]:
    """The HTML section of the categories excluded from the ratios (none without any)."""
    excluded = packet.excluded
    if not len(excluded):
        return []
    tiered = packet.tiers != (None,)
    out = [
        "<h2>Categories excluded from the impact ratios</h2>",
        f'<p class="note">¹ {_e(RULES["small"])}.</p>',
        '<div class="table-wrap" role="region" tabindex="0" aria-label="Excluded categories">'
        "<table><caption>Excluded categories, with their number of applicants and "
        "rate</caption><thead><tr>"
        + ('<th scope="col" class="text">Tier</th>' if tiered else "")
        + '<th scope="col" class="text">Attribute</th>'
        '<th scope="col" class="text">Category</th>'
        '<th scope="col">Number of applicants</th><th scope="col">Rate</th>'
        '<th scope="col" class="text">Reason</th></tr></thead><tbody>',
    ]
    for r in excluded.itertuples(index=False):
        tier_cell = f'<td class="text">{_e(r.tier)}</td>' if tiered else ""
        out.append(
            f"<tr>{tier_cell}"
            f'<td class="text">{_e(r.attribute)}</td>'
            f'<th scope="row" class="text">{_e(r.category)}</th>'
            f"<td>{int(r.n):,}</td><td>{_num(r.rate)}</td>"
            f'<td class="text">{_e(r.reason)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return out


def _write(text: str, path: Any) -> str:
    if path is not None:
        from adverse_impact._core._io import write_atomic

        write_atomic(path, text)
    return text
