"""Ranking audits: who a ranker puts in its top k, tested within the prompts that ranked them.

A ranking experiment shows a ranker a set of candidates (a *prompt*, or
block) and records the order it returns.  Its statistics must respect that
design: the candidates of one prompt compete for the same top places, so the
top-k counts of the groups are not independent samples (a two-sample z or
Fisher test is wrong there).  Every test here conditions on the prompts: the
null hypothesis is that, within each prompt, the ranker's order is
independent of the candidates' group labels (the labels are exchangeable
within the prompt).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from adverse_impact._audits._audit import FOUR_FIFTHS
from adverse_impact._audits._result import _DISPLAY_ROWS
from adverse_impact._blackbox import PUBLIC
from adverse_impact._core import _groups
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_frame
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import (
    decisive,
    fmt,
    fmt_p,
    frame_block,
    jsonable,
)
from adverse_impact._core._validation import (
    below_ratio,
    check_columns_exist,
    check_consistent_length,
    check_unknown,
    column_names,
    require_sensitive_features,
)
from adverse_impact._stats._gate import (
    GateArguments,
    GateVerdict,
    RowGated,
    gate_arguments,
    row_detail,
)
from adverse_impact._stats._gate import verdict as gate_verdict
from adverse_impact._stats._multiplicity import adjust
from adverse_impact._stats._significance import check_alpha

__all__ = list(PUBLIC["_rankings"])

_SHOWN = [
    "attribute",
    "group",
    "n",
    "selected",
    "unranked",
    "rate",
    "impact_ratio",
    "four_fifths_flag",
    "expected",
    "p_value_holm",
    "mean_rank",
]
#: The position effect's primary test, named before the data: the whole ranking.
PRIMARY_POSITION_TEST = "mean_rank"
_TEST_COLUMNS = [
    "attribute",
    "test",
    "measure",
    "comparison",
    "statistic",
    "df",
    "p_value",
    "p_value_holm",
    "p_value_bh",
    "n_resamples",
    "hypothesis",
    "note",
]
_HYPOTHESES = {
    "chi_square_gof": "top-k counts equal the counts the design expects (Pearson goodness of "
    "fit; exact multinomial setting when each prompt holds one candidate "
    "per group and k=1)",
    "cmh": "top-k independent of group within prompts (generalised Cochran-Mantel-Haenszel, "
    "prompts as strata)",
    "permutation": "top-k counts equal the design's expectation: Monte-Carlo p-value of the "
    "goodness-of-fit statistic, group labels permuted within prompts (the "
    "Monte-Carlo multinomial test when each prompt holds one candidate per "
    "group and k=1)",
    "friedman": "ranks independent of group within prompts (Friedman's test with tie "
    "correction; complete blocks: one candidate per group in every prompt)",
    "mean_rank": "ranks independent of group within prompts, any blocks (CMH mean-score test "
    "on within-prompt mid-ranks; equals Friedman's test in complete blocks)",
    "cmh_within_position": "top-k independent of group within display positions "
    "(generalised CMH, positions as strata): a group effect not "
    "explained by where candidates were shown",
    "pairwise": "two groups have the same top-k count relative to the design's expectation "
    "(z from the within-prompt permutation covariance)",
    "pairwise_rank": "two groups have the same rank sum relative to the design's expectation "
    "(z from the within-prompt permutation covariance)",
}


# -- the result -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, repr=False, eq=False)
class RankingAudit(RowGated):
    """A ranking audit: top-k rates, impact ratios and design-based tests; immutable.

    Returned by :func:`adverse_impact.audit_rankings`.

    Attributes
    ----------
    by : tuple of str
        The columns that split the data into separate experiments (the
        first columns of every table).
    k : int
        "Selected" means a rank of ``k`` or better.
    alpha : float
    n_rows, n_prompts, n_unranked : int
        Candidates, prompts, and candidates the ranker never ranked (counted
        in ``n`` as shown and not selected; tied last in rank tests).
    n_resamples : int
        Monte-Carlo resamples of the permutation test (0: not run).
    unknown : Mapping[str, int]
        Rows with an unknown label, per attribute (left out of its rows and
        tests).

    Examples
    --------
    Four prompts of two candidates; the ranker left one candidate unranked.

    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> data = pd.DataFrame({"prompt": [1, 1, 2, 2, 3, 3, 4, 4], "group": ["a", "b"] * 4,
    ...                      "rank": [1, 2, 1, 2, 2, 1, 1, None]})
    >>> result = ai.audit_rankings(data, prompt="prompt", sensitive_features="group", rank="rank",
    ...                            random_state=0)
    >>> result.table[["group", "n", "selected", "unranked", "expected", "mean_rank"]]
      group  n  selected  unranked  expected  mean_rank
    0     a  4         3         0       2.0       1.25
    1     b  4         1         1       2.0       1.75
    >>> result.summary().splitlines()[0]
    'RankingAudit (top 1): 1 of 2 groups below 4/5, 0 significantly below expectation ...'
    >>> result.passes(), result.passes(rule="both")
    (False, True)
    """

    # Read-only mappings inside cannot be pickled: rebuild through the constructor.
    __reduce__ = reduce_by_fields

    by: tuple[str, ...]
    k: int
    alpha: float
    n_rows: int
    n_prompts: int
    n_unranked: int
    n_resamples: int
    unknown: Mapping[str, int]
    _table: pd.DataFrame
    _tests: pd.DataFrame
    _positions: pd.DataFrame | None
    _ratios: tuple[Fraction | None, ...]
    _params: Mapping[str, Any]
    _rank_counts: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        """One row per (by..., attribute, group) (a copy).

        Columns: the ``by`` columns, ``attribute``, ``group``, ``n``
        (appearances), ``selected`` (times ranked in the top k), ``unranked``
        (appearances the ranker left unranked), ``rate``, ``impact_ratio``
        (against the reference, by default the highest rate),
        ``is_reference``, ``four_fifths_flag`` (exact), ``expected`` (top-k
        count the design expects under no effect), ``statistic`` (z), ``p_value`` (the
        group's count against ``expected``), ``p_value_holm`` (Holm within the
        attribute), ``significant`` (``p_value_holm < alpha``),
        ``p_value_below`` (one-sided: fewer than expected), ``p_value_gate``
        (``p_value_below``, Holm over every row of the audit: the family of
        ``passes(rule="significance")``),
        ``mean_rank`` (within-prompt mid-ranks, unranked tied last) with
        ``mean_rank_ci_low``/``mean_rank_ci_high`` (prompt-clustered normal
        interval at ``1 - alpha``) and ``note``.
        """
        return self._table.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """The tests, one row each, tidy (a copy).

        Columns: the ``by`` columns, ``attribute``, ``test``
        (``chi_square_gof``, ``cmh``, ``permutation``, ``friedman``,
        ``mean_rank``, ``cmh_within_position``, ``pairwise``,
        ``pairwise_rank``), ``measure`` (``top_k`` or ``rank``),
        ``comparison`` (``"A vs B"`` for pairwise rows), ``statistic``,
        ``df``, ``p_value``, ``p_value_holm`` and ``p_value_bh`` (pairwise rows,
        adjusted within one experiment, attribute and measure),
        ``n_resamples``, ``hypothesis`` (the null, in words) and ``note``.
        """
        return self._tests.copy()

    @property
    def positions(self) -> pd.DataFrame | None:
        """Top-k rate by display position, when ``position`` was given (a copy)."""
        return None if self._positions is None else self._positions.copy()

    @property
    def rank_counts(self) -> pd.DataFrame | None:
        """How often each group got each rank, per experiment and attribute (a copy).

        Columns: the ``by`` columns, ``attribute``, ``group``, ``rank`` (1, 2,
        ...; 0 = unranked; ranks past 20 counted as 20) and ``count``; ranks
        a group never got are left out.
        """
        return None if self._rank_counts is None else self._rank_counts.copy()

    @property
    def params(self) -> Mapping[str, Any]:
        return dict(self._params)

    @property
    def exact_ratios(self) -> tuple[Fraction | None, ...]:
        """Impact ratios as exact fractions of the counts, aligned with ``table``."""
        return self._ratios

    def _gate_arguments(self, min_ratio: Any, alpha: Any, rule: Any) -> GateArguments:
        return gate_arguments(
            min_ratio, alpha, rule, result="RankingAudit", default_alpha=self.alpha
        )

    def _failing(self, arguments: GateArguments) -> np.ndarray:
        below = below_ratio(self._ratios, arguments.min_ratio)
        if arguments.rule == "four_fifths":
            return below
        p = self._table["p_value_gate"].to_numpy(dtype=float)
        # One-sided: fewer in the top k than the design expects.
        lower = (self._table["selected"] < self._table["expected"]).to_numpy(dtype=bool)
        significant = (np.nan_to_num(p, nan=1.0) < arguments.alpha) & lower
        return {
            "significance": significant,
            "both": below & significant,
            "either": below | significant,
        }[arguments.rule]

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict: the failing groups, the rule, the family (one-sided Holm
        over every group of every attribute, intersection and experiment).

        ``passes(...)`` is exactly ``gate(...).passes``.

        Parameters
        ----------
        min_ratio : float or Fraction, default 0.8
            A group is *below* when its impact ratio is strictly less than
            this, decided exactly on the counts (0.8 is exactly 4/5).
        alpha : float, optional
            Significance level; default the audit's ``alpha``.
        rule : {"four_fifths", "significance", "both", "either"}, optional
            As in :meth:`adverse_impact.AuditResult.gate`: ``"four_fifths"``
            (the default without ``alpha``), ``"significance"`` (a group's
            top-k count significantly *below* the design's expectation:
            one-sided, Holm over every group of every attribute, intersection
            and experiment, the column ``p_value_gate``), ``"both"`` (the
            default with ``alpha``) or ``"either"``.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> from adverse_impact.datasets import load_llm_rankings
        >>> df = load_llm_rankings()
        >>> df = df[(df["kind"] != "oversampled") & (df["model"] == "gpt-3.5-turbo")
        ...         & (df["job"] == "financial analyst")]
        >>> result = ai.audit_rankings(df, prompt="run", sensitive_features=["race", "sex"],
        ...                            rank="rank", random_state=0)
        >>> result.passes(), result.passes(rule="significance")
        (False, False)
        """
        arguments = self._gate_arguments(min_ratio, alpha, rule)
        failing = self._failing(arguments)
        rows = self._table.loc[failing]
        below = below_ratio(self._ratios, arguments.min_ratio)[failing]
        where = [
            " ".join(f"{b}={row[b]}" for b in self.by) + ": " if self.by else ""
            for row in rows.to_dict(orient="records")
        ]
        details = [
            row_detail(
                row,
                arguments.rule,
                selected=f"in the top {self.k}",
                p_column="p_value_gate",
                p_words="Holm p",
                below=low,
                min_ratio=arguments.min_ratio,
            )
            for row, low in zip(rows.to_dict(orient="records"), below)
        ]
        family = ""
        if arguments.rule != "four_fifths":
            family = f"family: {self.gate_family()}, alpha {arguments.alpha:g}"
        return gate_verdict(
            arguments,
            min_ratio,
            (f"{w}{a}={g}" for w, a, g in zip(where, rows["attribute"], rows["group"])),
            family=family,
            details=details,
        )

    def flagged(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> pd.DataFrame:
        """The table rows that fail the rule (a copy)."""
        return self._table.loc[self.failing(min_ratio, alpha, rule)].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-group table as a tidy DataFrame (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Every number and setting as JSON-serialisable Python objects."""
        out: dict[str, Any] = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }
        out["unknown"] = jsonable(dict(self.unknown))
        out["params"] = jsonable(dict(self._params))
        for name, frame in (
            ("table", self._table),
            ("tests", self._tests),
            ("positions", self._positions),
        ):
            out[name] = (
                None
                if frame is None
                else [{k: jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
            )
        return out

    def summary(self) -> str:
        """The headline and, per experiment, the lowest ratio and the main test, as text."""
        lines = [self._headline()]
        table, tests = self._table, self._tests
        keys = list(self.by)
        groups = [((), table)] if not keys else table.groupby(keys, sort=False)
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            where = ", ".join(map(str, key))
            if not part["impact_ratio"].notna().any():
                continue
            low = part.loc[part["impact_ratio"].idxmin()]
            mask = (tests["test"] == "chi_square_gof") & (tests["attribute"] == low["attribute"])
            for column, value in zip(keys, key):
                mask &= tests[column] == value
            gof = tests.loc[mask].iloc[0] if mask.any() else None
            rank_mask = mask & False
            if mask.any():
                rank_mask = (tests["test"] == "mean_rank") & (
                    tests["attribute"] == low["attribute"]
                )
                for column, value in zip(keys, key):
                    rank_mask &= tests[column] == value
            text = (
                f"{where + ': ' if where else ''}lowest impact ratio {low['group']} "
                f"({low['attribute']}) "
                f"{decisive(low['impact_ratio'], low['four_fifths_flag'], digits=3)}"
            )
            if gof is not None:
                text += (
                    f"; goodness of fit chi2={gof['statistic']:.2f}, df={gof['df']:.0f}, "
                    f"p={gof['p_value']:.2g}"
                )
            if rank_mask.any():
                text += f"; mean-rank test p={tests.loc[rank_mask, 'p_value'].iloc[0]:.2g}"
            lines.append(text)
        if self._positions is not None:
            lines.append(self.position_sentence())
        return "\n".join(lines)

    def position_sentence(self) -> str:
        """The display-position finding: its primary test, named before the data.

        The primary test of a position effect is ``mean_rank`` (the whole
        ranking: a ranker favouring what it reads first moves every place,
        not only the first); the top-k ``cmh`` test is reported beside it.
        """
        tests = self._tests
        rows = tests[tests["attribute"] == "position"]

        def smallest(test: str) -> str:
            p = rows.loc[rows["test"] == test, "p_value"]
            worst = float(p.min()) if len(p) and p.notna().any() else float("nan")
            return "—" if math.isnan(worst) else (f"{worst:.2g}" if worst > 0 else "< 1e-300")

        where = " (smallest over the experiments)" if self.by else ""
        return (
            f"Display position: mean-rank test (primary) p = {smallest(PRIMARY_POSITION_TEST)}"
            f"{where}; top-{self.k} test (cmh) p = {smallest('cmh')}"
        )

    def to_markdown(
        self, path: str | None = None, *, key: Mapping[str, Mapping[str, str]] | None = None
    ) -> str:
        """The report as Markdown: verdict, group-code key, per-experiment tables, tests.

        Each experiment gets its figures in a sentence, one table of its
        groups (observed and expected top-k counts, direction in words,
        rates, impact ratios, mean ranks) and its tests once each; the
        tests' null hypotheses are stated once, at the top.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> from adverse_impact.datasets import load_llm_rankings
        >>> df = load_llm_rankings()
        >>> df = df[(df["kind"] != "oversampled") & (df["model"] == "gpt-3.5-turbo")
        ...         & (df["job"] == "financial analyst")]
        >>> text = ai.audit_rankings(df, prompt="run", sensitive_features=["race", "sex"],
        ...                          rank="rank", random_state=0).to_markdown()
        >>> text.splitlines()[0]
        '# Ranking audit (top 1)'
        >>> "- **B | M**: Black men" in text
        True
        """
        from adverse_impact._publish._document import render_markdown

        return _written(render_markdown(self._document(key=key)), path)

    def to_html(
        self,
        path: str | None = None,
        *,
        key: Mapping[str, Mapping[str, str]] | None = None,
        title: str | None = None,
    ) -> str:
        """One self-contained HTML page: verdict, keys, tables and charts per experiment.

        Per experiment: its figures in a sentence, a table per attribute with
        observed and expected top-k counts, the direction in words, rates,
        impact ratios and mean ranks; the impact-ratio chart, the ranks each
        group received, the top-k rate by display position; the design's
        tests once each (their hypotheses in the key).  ``key`` maps each
        attribute's codes to words (``{"race": {"B": "Black"}, "sex": {"W":
        "women"}}``); the shipped data's codes are known without it.  Written
        to ``path`` when given.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> data = pd.DataFrame({"prompt": [1, 1, 2, 2], "group": ["a", "b"] * 2,
        ...                      "rank": [1, 2, 2, 1]})
        >>> page = ai.audit_rankings(data, prompt="prompt", sensitive_features="group",
        ...                          rank="rank").to_html()
        >>> page.startswith("<!DOCTYPE html>"), "<svg" in page, "<script" in page
        (True, True, False)
        """
        from adverse_impact._publish._document import render_html

        return _written(render_html(self._document(key=key, title=title)), path)

    def _document(
        self, *, key: Mapping[str, Mapping[str, str]] | None = None, title: str | None = None
    ) -> Any:
        """The report for the publication layer (``_publish._document``)."""
        from adverse_impact._blackbox._report import ranking_document

        return ranking_document(self, key=key, title=title)

    def _headline(self) -> str:
        below = int(below_ratio(self._ratios, FOUR_FIFTHS).sum())
        n_sig = int(self.failing(rule="significance").sum())
        experiments = (
            "" if not self.by else f" in {self._params.get('n_experiments', 0)} experiments"
        )
        return (
            f"RankingAudit (top {self.k}): {below} of {len(self._table)} groups below 4/5, "
            f"{n_sig} significantly below expectation ({self.gate_family()}, "
            f"alpha={self.alpha}){experiments}"
            f"; {self.n_prompts:,} prompts, {self.n_rows:,} candidates, "
            f"{self.n_unranked:,} unranked"
        )

    def gate_family(self) -> str:
        """The family and correction of ``passes(rule="significance")``, in words."""
        n = int(self._table["p_value_gate"].notna().sum())
        return f"one-sided, Holm over all {n} groups"

    def verdict(self, min_ratio: float | Fraction = 0.8, alpha: float | None = None) -> str:
        """The report's first sentence: both rules' findings, the family and the correction.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> data = pd.DataFrame({"prompt": [1, 1, 2, 2], "group": ["a", "b"] * 2,
        ...                      "rank": [1, 2, 1, 2]})
        >>> result = ai.audit_rankings(data, prompt="prompt", sensitive_features="group",
        ...                            rank="rank")
        >>> print(result.verdict())  # doctest: +NORMALIZE_WHITESPACE
        1 of 2 groups is in the top 1 at under four-fifths of the highest rate; 0 are
        significantly below the design's expectation (one-sided, Holm over all 2 groups,
        alpha=0.05).
        """
        level = self.alpha if alpha is None else check_alpha(alpha)
        below = int(self.failing(min_ratio, rule="four_fifths").sum())
        n_sig = int(self.failing(min_ratio, level, rule="significance").sum())
        where = f" in {self._params.get('n_experiments', 0)} experiments" if self.by else ""
        verb = "is" if below == 1 else "are"
        return (
            f"{below} of {len(self._table)} groups{where} {verb} in the top {self.k} at under "
            f"four-fifths of the highest rate; {n_sig} "
            f"{'is' if n_sig == 1 else 'are'} significantly below the design's expectation "
            f"({self.gate_family()}, alpha={level})."
        )

    def _display(self, limit: int = _DISPLAY_ROWS) -> pd.DataFrame:
        columns = [*self.by, *[c for c in _SHOWN if c in self._table.columns]]
        return self._table[columns].head(limit)

    def __repr__(self) -> str:
        frame = self._display()
        more = len(self._table) - len(frame)
        text = frame_block(
            self._headline(), frame, ".3g", decide={"impact_ratio": "four_fifths_flag"}
        )
        return text + (f"\n... {more} more rows" if more > 0 else "")

    def _repr_html_(self) -> str:
        from adverse_impact._publish._document import render_fragment

        return render_fragment(self._document())


def _written(text: str, path: Any) -> str:
    """``text``, also written to ``path`` (atomically) when one is given."""
    if path is not None:
        from adverse_impact._core._io import write_atomic

        write_atomic(path, text)
    return text


# -- the design: blocks, ranks, selections ------------------------------------------------


@dataclasses.dataclass
class _Design:
    cell: np.ndarray  # experiment (by-cell) of each row
    block: np.ndarray  # prompt of each row, numbered in experiment order
    block_cell: np.ndarray  # experiment of each prompt (sorted)
    n_cells: int
    cell_values: list[tuple]
    selected: np.ndarray  # float 0/1
    midrank: np.ndarray  # within-prompt mid-rank, unranked tied last
    unranked: np.ndarray  # bool
    rank: np.ndarray  # the rank given (float, NaN when unranked)


def _cell(value: Any, column: str) -> str:
    """A Markdown cell: p-values as "< 0.001", flags in words, other numbers to 3 digits."""
    if column.startswith("p_value"):
        return fmt_p(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return fmt(value) if isinstance(value, (float, np.floating)) else str(value)


def _as_pandas(data: Any) -> pd.DataFrame:
    return as_frame(
        data, "data", "Pass a pandas, polars or pyarrow table with one row per candidate per prompt"
    )


def _codes(values: Any, argument: str, sort: bool = True) -> tuple[np.ndarray, list[Any]]:
    """Codes (in sorted label order with ``sort``); missing labels refused (rows must be placed)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = int((codes < 0).sum())
    if missing:
        raise input_error(
            argument,
            f"{missing:,} row(s) have no value",
            "Fill or drop those rows first: every candidate must belong to "
            "one prompt and one experiment",
        )
    uniques = list(uniques)
    if not sort:
        return codes.astype(np.int64), uniques
    order = sorted(range(len(uniques)), key=lambda i: _groups.sort_key((uniques[i],)))
    remap = np.empty(len(uniques), dtype=np.int64)
    remap[order] = np.arange(len(uniques))
    return remap[codes], [uniques[i] for i in order]


def _design(frame: pd.DataFrame, prompt: str, rank: str, by: list[str], k: int) -> _Design:
    n = len(frame)
    cell = np.zeros(n, dtype=np.int64)
    values: list[list[Any]] = []
    for column in by:
        codes, uniques = _codes(frame[column], f"by[{column!r}]")
        cell = cell * len(uniques) + codes
        values.append(uniques)
    cells, cell = np.unique(cell, return_inverse=True)
    cell_values = []
    for code in cells:
        key = []
        for uniques in reversed(values):
            key.append(uniques[code % len(uniques)])
            code //= len(uniques)
        cell_values.append(tuple(reversed(key)))
    prompt_codes, prompts = _codes(frame[prompt], "prompt", sort=False)
    blocks, block = np.unique(cell * len(prompts) + prompt_codes, return_inverse=True)
    block_cell = blocks // len(prompts)

    column = frame[rank]
    if column.dtype == object:  # ints with None: numbers all the same
        numbers = pd.to_numeric(column, errors="coerce")
        if not (numbers.isna() == column.isna()).all():
            numbers = column
        column = numbers
    if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(column.dtype):
        raise type_error(
            "rank",
            f"expected numeric ranks (1 = best), got dtype {column.dtype}",
            "Pass the rank each candidate received, empty when unranked",
        )
    r = column.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(r).any() or (r[~np.isnan(r)] < 1).any():
        raise input_error(
            "rank",
            "holds values below 1 or infinite",
            "Pass ranks 1 (best), 2, ...; leave unranked candidates empty",
        )
    unranked = np.isnan(r)
    selected = (r <= k).astype(float)

    # Mid-ranks within each prompt: sort by (prompt, rank), unranked last.
    filled = np.where(unranked, np.inf, r)
    order = np.lexsort((filled, block))
    b_sorted, v_sorted = block[order], filled[order]
    sizes = np.bincount(block, minlength=len(blocks))
    starts = np.cumsum(sizes) - sizes
    place = np.arange(n) - np.repeat(starts, sizes) + 1.0
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (b_sorted[1:] != b_sorted[:-1]) | (v_sorted[1:] != v_sorted[:-1])
    run = np.cumsum(new_run) - 1
    mid = np.bincount(run, weights=place) / np.bincount(run)
    midrank = np.empty(n)
    midrank[order] = mid[run]
    return _Design(cell, block, block_cell, len(cells), cell_values, selected, midrank, unranked, r)


def _attribute_codes(values: Any, name: str, unknown: frozenset) -> tuple[np.ndarray, list]:
    """Codes in sorted label order, -1 for unknown labels (missing or in ``unknown``)."""
    codes, uniques = _groups.factorize(values, f"sensitive_features[{name!r}]")
    keep = [i for i, u in enumerate(uniques) if not _groups.is_unknown(u, unknown)]
    keep.sort(key=lambda i: _groups.sort_key((uniques[i],)))
    remap = np.full(len(uniques) + 1, -1, dtype=np.int64)
    remap[np.asarray(keep, dtype=np.int64)] = np.arange(len(keep))
    return remap[codes], [uniques[i] for i in keep]


def _intersection(parts: list[tuple[np.ndarray, list]]) -> tuple[np.ndarray, list[tuple]]:
    combined = np.zeros(len(parts[0][0]), dtype=np.int64)
    known = np.ones(len(combined), dtype=bool)
    for codes, labels in parts:
        combined = combined * max(len(labels), 1) + np.maximum(codes, 0)
        known &= codes >= 0
    present, inverse = np.unique(combined[known], return_inverse=True)
    codes = np.full(len(combined), -1, dtype=np.int64)
    codes[known] = inverse
    keys = []
    for value in present:
        key = []
        for _, labels in reversed(parts):
            key.append(labels[value % len(labels)])
            value //= len(labels)
        keys.append(tuple(reversed(key)))
    return codes, keys


# -- the statistics ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Moments:
    """Observed and expected group sums of a score and their permutation covariance."""

    observed: np.ndarray  # (cells, G)
    expected: np.ndarray  # (cells, G)
    cov: np.ndarray  # (cells, G, G)


def _reduce(values: np.ndarray, strata_cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Sum rows of ``values`` (strata x ...) into their experiments (strata sorted by cell)."""
    out = np.zeros((n_cells, *values.shape[1:]))
    if len(values):
        starts = np.searchsorted(strata_cell, np.arange(n_cells))
        present = np.append(starts[1:], len(strata_cell)) > starts
        out[present] = np.add.reduceat(values, starts[present], axis=0)
    return out


def _moments(
    stratum: np.ndarray,
    strata_cell: np.ndarray,
    n_cells: int,
    g: np.ndarray,
    n_groups: int,
    y: np.ndarray,
) -> _Moments:
    """Sums of ``y`` by group, their expectation and covariance under within-stratum permutation.

    Sampling without replacement within stratum b (size m, score variance
    s2 with divisor m): Var(S_g) = n_g (m - n_g) s2 / (m - 1) and
    Cov(S_g, S_h) = -n_g n_h s2 / (m - 1) (e.g. Landis, Heyman and Koch
    1978, the generalised Cochran-Mantel-Haenszel statistics).
    """
    n_strata = len(strata_cell)
    m = np.bincount(stratum, minlength=n_strata).astype(float)
    total = np.bincount(stratum, weights=y, minlength=n_strata)
    square = np.bincount(stratum, weights=y * y, minlength=n_strata)
    key = stratum * n_groups + g
    counts = np.bincount(key, minlength=n_strata * n_groups).reshape(n_strata, n_groups)
    sums = np.bincount(key, weights=y, minlength=n_strata * n_groups).reshape(n_strata, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(m > 0, total / m, 0.0)
        s2 = np.where(m > 0, square / m - mean * mean, 0.0)
        c = np.where(m > 1, np.maximum(s2, 0.0) / (m - 1), 0.0)
    observed = _reduce(sums, strata_cell, n_cells)
    expected = _reduce(counts * mean[:, None], strata_cell, n_cells)
    weighted = counts * c[:, None]
    diag = _reduce(weighted * m[:, None], strata_cell, n_cells)
    cov = -_outer(weighted, counts.astype(float), strata_cell, n_cells)
    idx = np.arange(n_groups)
    cov[:, idx, idx] += diag
    return _Moments(observed, expected, cov)


def _outer(
    left: np.ndarray, right: np.ndarray, strata_cell: np.ndarray, n_cells: int
) -> np.ndarray:
    """Per experiment, the sum over its strata of outer(left_b, right_b)."""
    if n_cells > 64:
        return _reduce(left[:, :, None] * right[:, None, :], strata_cell, n_cells)
    bounds = np.searchsorted(strata_cell, np.arange(n_cells + 1))
    out = np.zeros((n_cells, left.shape[1], right.shape[1]))
    for c in range(n_cells):
        part = slice(bounds[c], bounds[c + 1])
        out[c] = left[part].T @ right[part]
    return out


def _quadratic(moments: _Moments) -> tuple[np.ndarray, np.ndarray]:
    """The CMH-type statistic d' V^+ d per experiment and its degrees of freedom."""
    d = moments.observed - moments.expected
    cov = moments.cov
    scale = np.maximum(np.abs(cov).max(axis=(1, 2), initial=0.0), 1e-300)
    pinv = np.linalg.pinv(cov / scale[:, None, None], rcond=1e-10, hermitian=True)
    statistic = np.einsum("ci,cij,cj->c", d, pinv, d) / scale
    df = np.linalg.matrix_rank(cov / scale[:, None, None], tol=1e-10, hermitian=True)
    statistic = np.where(df > 0, np.maximum(statistic, 0.0), np.nan)
    return statistic, df.astype(float)


def _gof(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's goodness-of-fit statistic per experiment (groups expected > 0)."""
    live = expected > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(live, (observed - expected) ** 2 / np.where(live, expected, 1.0), 0.0)
    df = live.sum(axis=-1) - 1.0
    statistic = terms.sum(axis=-1)
    return np.where(df > 0, statistic, np.nan), df


def _chi2_sf(statistic: np.ndarray, df: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, special.chdtrc(np.maximum(df, 1), statistic), np.nan)


def _normal_p(z: np.ndarray) -> np.ndarray:
    return special.erfc(np.abs(z) / math.sqrt(2.0))


def _permutation_draws(
    stratum: np.ndarray,
    strata_cell: np.ndarray,
    n_cells: int,
    g: np.ndarray,
    n_groups: int,
    selected: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Top-k counts per experiment and group under within-prompt permutation (B x C x G).

    Permuting the labels within a prompt that has s top-k places among m
    candidates puts a random s-subset of its candidates in the top k.
    Prompts with the same experiment, group composition and s are
    exchangeable, so each such pattern of q prompts is drawn at once: a
    multinomial(q, n/m) when s = 1; otherwise a multinomial of the q prompts
    over the outcomes of one prompt when those are few, else a sum of q
    multivariate hypergeometric draws.
    """
    n_strata = len(strata_cell)
    counts = np.bincount(stratum * n_groups + g, minlength=n_strata * n_groups).reshape(
        n_strata, n_groups
    )
    s = np.rint(np.bincount(stratum, weights=selected, minlength=n_strata)).astype(np.int64)
    m = counts.sum(axis=1)
    live = (s > 0) & (m > 0)
    patterns, multiplicity = _patterns(
        np.column_stack([strata_cell[live], s[live], counts[live]]).astype(np.int64)
    )
    draws = np.zeros((n_resamples, n_cells, n_groups))
    for row, q in zip(patterns, multiplicity):
        cell, size, composition = int(row[0]), int(row[1]), row[2:]
        total = int(composition.sum())
        if size >= total:
            draws[:, cell, :] += q * composition
        elif size == 1:
            draws[:, cell, :] += rng.multinomial(q, composition / total, size=n_resamples)
        else:
            support = _outcomes(composition, size, limit=int(q) * len(composition))
            if support is not None:
                outcomes, pmf = support
                draws[:, cell, :] += rng.multinomial(q, pmf, size=n_resamples) @ outcomes
            else:
                picked = rng.multivariate_hypergeometric(
                    composition, size, size=(n_resamples, int(q))
                )
                draws[:, cell, :] += picked.sum(axis=1)
    return draws


def _permutation_p(draws: np.ndarray, expected: np.ndarray, statistic: np.ndarray) -> np.ndarray:
    """Monte-Carlo p-value of the goodness-of-fit statistic over permutation draws.

    p = (1 + #{T* >= T}) / (1 + resamples) (Davison and Hinkley 1997, eq. 4.11).
    """
    resampled, _ = _gof(draws, expected[None, :, :])
    tolerance = 1e-9 * np.maximum(1.0, np.abs(statistic))
    exceed = (resampled >= (statistic - tolerance)[None, :]).sum(axis=0)
    p = (1.0 + exceed) / (1.0 + len(draws))
    return np.where(np.isnan(statistic), np.nan, p)


def _outcomes(
    composition: np.ndarray, size: int, limit: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every outcome of drawing ``size`` of a prompt's candidates, and its probability.

    The outcomes are the group-count vectors x with 0 <= x_g <= n_g and
    sum(x) = size, with multivariate hypergeometric probabilities
    prod C(n_g, x_g) / C(m, size).  None when there are more than ``limit``.
    """
    partial = np.zeros((1, 0), dtype=np.int64)
    remaining = int(size)
    for n_g in composition:
        taken = partial.sum(axis=1)
        options = np.arange(min(int(n_g), remaining) + 1)
        grown = np.concatenate(
            [np.repeat(partial, len(options), axis=0), np.tile(options, len(partial))[:, None]],
            axis=1,
        )
        partial = grown[np.repeat(taken, len(options)) + grown[:, -1] <= remaining]
        if len(partial) > 50 * max(limit, 1):
            return None
    outcomes = partial[partial.sum(axis=1) == remaining]
    if len(outcomes) > limit:
        return None
    log_pmf = (
        special.gammaln(composition + 1)
        - special.gammaln(outcomes + 1)
        - special.gammaln(composition - outcomes + 1)
    ).sum(axis=1)
    pmf = np.exp(log_pmf - log_pmf.max())
    return outcomes.astype(float), pmf / pmf.sum()


def _patterns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a small non-negative integer matrix and their multiplicities."""
    if not len(rows):
        return rows, np.zeros(0, dtype=np.int64)
    radix = rows.max(axis=0) + 1
    if float(np.prod(radix.astype(float))) < 2.0**62:
        key = np.zeros(len(rows), dtype=np.int64)
        for column, r in zip(rows.T, radix):
            key = key * r + column
        _, first, multiplicity = np.unique(key, return_index=True, return_counts=True)
        return rows[first], multiplicity
    return np.unique(rows, axis=0, return_counts=True)


# -- the audit ----------------------------------------------------------------------------------


def _check_int(value: Any, argument: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise type_error(
            argument,
            f"expected an integer, got {type(value).__name__}",
            f"Pass {argument}={example}",
        )
    if value < minimum:
        raise input_error(argument, f"{value!r} is below {minimum}", f"Pass {argument}={example}")
    return int(value)


def _names(value: Any, argument: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if not isinstance(name, str):
            raise type_error(
                argument,
                f"expected column names, got {type(name).__name__}",
                "Pass the name of a column of data",
            )
    return names


def _check_columns(
    frame: pd.DataFrame, prompt: Any, groups: Any, rank: Any, position: Any, by: Any
) -> tuple[list[str], list[str]]:
    """The column arguments name distinct columns of ``frame``: (attributes, by)."""
    for argument, value in (("prompt", prompt), ("rank", rank), ("position", position)):
        if value is not None and not isinstance(value, str):
            raise type_error(
                argument,
                f"expected a column name, got {type(value).__name__}",
                "Pass the name of a column of data",
            )
    attributes = [str(a) for a in column_names(groups, "sensitive_features")]
    by_names = _names(by, "by")
    check_columns_exist(
        frame.columns,
        {
            "prompt": prompt,
            "rank": rank,
            "position": position,
            **{f"sensitive_features[{i}]": a for i, a in enumerate(attributes)},
            **{f"by[{i}]": b for i, b in enumerate(by_names)},
        },
    )
    clash = set(attributes) & set(by_names)
    if clash:
        raise input_error(
            "by",
            f"names the group column(s) {sorted(clash)!r}",
            "Split experiments by other columns than the protected attributes",
        )
    return attributes, by_names


@validate_params()
def audit_rankings(
    data: Any,
    *,
    prompt: str,
    sensitive_features: str | Sequence[str] = None,
    rank: str,
    position: str | None = None,
    k: int = 1,
    by: str | Sequence[str] | None = None,
    reference: Any = "highest",
    unknown: Any = None,
    intersectional: bool = True,
    alpha: float = 0.05,
    n_resamples: int = 1999,
    random_state: int | np.random.Generator | None = None,
) -> RankingAudit:
    """Audit a ranker: who it puts in the top k, tested within the prompts it ranked.

    One row per candidate shown in a prompt.  Per experiment (``by``),
    protected attribute and group: how often the group is in the top k, its
    impact ratio against the highest group and the four-fifths flag (exact,
    as in :func:`adverse_impact.audit`), the count the design expects, and the
    mean rank; then the tests that fit a ranking design.

    Parameters
    ----------
    data : DataFrame
        A pandas (or polars, pyarrow) table, one row per candidate per prompt.
    prompt : str
        The column identifying the prompt (block) a candidate was ranked in;
        unique within an experiment.
    sensitive_features : str or sequence of str
        The protected attribute column(s).  With two or more, their
        intersection is audited too (``"race x sex"``, labels ``"B | M"``), as
        in :func:`adverse_impact.audit`.
    rank : str
        The column of ranks, 1 = best.  Empty (NaN, None, ``<NA>``) when the
        ranker left the candidate unranked (an answer that omits a name).
    position : str, optional
        The display position of the candidate in the prompt.  Adds the top-k
        rate by position and its tests (:attr:`RankingAudit.positions`, and
        ``attribute="position"`` rows in ``tests``), and each attribute's
        group effect tested within position (``cmh_within_position``).
    k : int, default 1
        "Selected" means a rank of ``k`` or better.
    by : str or sequence of str, optional
        Columns that split separate experiments (model, job): each is
        audited separately, in one call; their values are the first columns
        of every table.
    reference : "highest", label or dict, default "highest"
        The comparison group of the impact ratios, as in
        :func:`adverse_impact.audit`.
    unknown : label or list of labels, optional
        Labels meaning "unknown" besides missing values.  Rows with an
        unknown label are counted in ``unknown`` and left out of that
        attribute's rows and tests (they still occupy their places in the
        ranking).
    intersectional : bool, default True
        With two or more attributes, also audit their intersection.
    alpha : float, default 0.05
        Level of ``significant`` and of the mean-rank intervals
        (``1 - alpha``).
    n_resamples : int, default 1999
        Monte-Carlo resamples of the permutation test; 0 skips it.
    random_state : int or numpy Generator, optional
        Seed of the permutation test.

    Returns
    -------
    RankingAudit

    Raises
    ------
    InputError
        Missing columns, rows without a prompt or experiment, ranks below 1,
        an attribute with fewer than two known groups, ``k < 1``, ...
    InputTypeError
        Non-numeric ranks, arguments of the wrong kind.

    See Also
    --------
    adverse_impact.audit : selection decisions of independent candidates.

    Notes
    -----
    **Unranked candidates** (rank missing) are never dropped: they count in
    ``n`` (they were shown), are not selected, are counted per group in
    ``unranked``, and share the mid-rank of the places left unfilled in
    their prompt (tied last) in mean ranks and rank tests.  The published
    analysis of the shipped data divides by the prompts, so it treats them
    the same way.

    **The tests** condition on the prompts.  Under the null hypothesis the
    group labels are exchangeable within each prompt.  For a prompt with m
    candidates, s of them in the top k and n_g of group g, the expected top-k
    count of g is s n_g / m, summed over prompts (``expected``: 125 of 1,000
    first places for one of eight groups shown once per prompt).

    - ``chi_square_gof``: Pearson's sum (O - E)^2 / E on G - 1 degrees of
      freedom.  When every prompt holds one candidate per group and k = 1
      the counts are one multinomial draw and this is the textbook test; its
      p-value is asymptotic.
    - ``permutation``: the same statistic's Monte-Carlo p-value under
      within-prompt permutation, valid for any design (incomplete or
      unbalanced prompts, k > 1, ties); the Monte-Carlo multinomial test in
      the complete design with k = 1.
    - ``cmh``: the generalised Cochran-Mantel-Haenszel statistic with
      prompts as strata, d' V^- d with V the exact permutation covariance;
      asymptotically chi-square for any design.
    - ``friedman`` (complete blocks only) and ``mean_rank`` (any blocks): the
      same quadratic form on within-prompt mid-ranks, which is Friedman's
      statistic with its tie correction in complete blocks.
    - ``pairwise`` / ``pairwise_rank``: every pair of groups, a z test of
      the difference of their deviations from expectation with the
      permutation variance, Holm- and Benjamini-Hochberg-adjusted within
      experiment, attribute and measure.
    - The table's ``p_value``: each group's count against its expectation
      (z with the permutation variance), Holm within the attribute.

    **Display position** is a nuisance: a ranker that favours whatever is
    shown first, in a design where positions are shuffled, shows up in the
    position tests and not in the group tests.  If positions are not
    counterbalanced (a group shown first more often), the within-prompt
    group tests mix the two effects; ``cmh_within_position`` compares
    groups only among candidates shown at the same position.

    References
    ----------
    .. [1] Landis, J. R., Heyman, E. R. and Koch, G. G. (1978). Average
       partial association in three-way contingency tables: a review and
       discussion of alternative tests. International Statistical Review
       46, 237-254.
    .. [2] Friedman, M. (1937). The use of ranks to avoid the assumption of
       normality implicit in the analysis of variance. JASA 32, 675-701.
    .. [3] Davison, A. C. and Hinkley, D. V. (1997). Bootstrap Methods and
       their Application, section 4.3. Cambridge University Press.
    .. [4] 29 CFR 1607.4(D) (the four-fifths rule).

    Examples
    --------
    The published 2024 experiment: GPT-3.5 ranking eight resumes for a
    financial analyst job, 1,000 prompts (the ``oversampled`` prompts were
    not part of the published analysis).

    >>> import adverse_impact as ai
    >>> from adverse_impact.datasets import load_llm_rankings
    >>> df = load_llm_rankings()
    >>> df = df[(df["kind"] != "oversampled") & (df["model"] == "gpt-3.5-turbo")
    ...         & (df["job"] == "financial analyst")]
    >>> result = ai.audit_rankings(df, prompt="run", sensitive_features=["race", "sex"],
    ...                            rank="rank", position="position", random_state=0)
    >>> t = result.table
    >>> t[t["attribute"] == "race x sex"][["group", "selected", "rate", "impact_ratio"]]
        group  selected   rate  impact_ratio
    6   A | M       146  0.146      0.848837
    7   A | W       172  0.172      1.000000
    8   B | M        76  0.076      0.441860
    9   B | W       100  0.100      0.581395
    10  H | M       124  0.124      0.720930
    11  H | W       129  0.129      0.750000
    12  W | M       121  0.121      0.703488
    13  W | W       132  0.132      0.767442
    >>> tests = result.tests
    >>> gof = tests[(tests["attribute"] == "race x sex") & (tests["test"] == "chi_square_gof")]
    >>> gof[["statistic", "df", "p_value"]].round(10).to_numpy().tolist()
    [[46.064, 7.0, 8.5e-08]]
    """
    groups = require_sensitive_features(sensitive_features)
    frame = _as_pandas(data)
    attributes, by_names = _check_columns(frame, prompt, groups, rank, position, by)
    k = _check_int(k, "k", 1, "1 (the first place)")
    n_resamples = _check_int(n_resamples, "n_resamples", 0, "1999")
    alpha = check_alpha(alpha)
    _groups.check_reference(reference)
    unknown_labels = check_unknown(unknown)
    check_consistent_length({"data": len(frame)})
    rng = np.random.default_rng(random_state)

    design = _design(frame, prompt, rank, by_names, k)
    coded = {a: _attribute_codes(frame[a], a, unknown_labels) for a in attributes}
    specs = _groups.specs(attributes, intersectional)
    _groups.check_reference_keys(reference, specs)

    tests: list[dict[str, Any]] = []
    shared = _shared_draws(design, specs, coded, n_resamples, rng)
    rows, ratios, unknown_counts = _attribute_rows(
        design, specs, coded, reference, alpha, tests, rng, n_resamples, shared
    )
    positions = None
    if position is not None:
        positions = _position_tests(frame[position], design, specs, coded, tests, rng, n_resamples)

    rank_counts = _with_by(
        pd.concat([part.attrs.pop("rank_counts") for part in rows], ignore_index=True),
        design,
        by_names,
    )
    table = _with_by(pd.concat(rows, ignore_index=True), design, by_names)
    # The gate's family: passes(rule="significance") is one verdict over every
    # group of every attribute (and intersection) of every experiment, so its
    # Holm adjustment runs over all of them (issue 24: one family, one error rate).
    table["p_value_gate"] = adjust(table["p_value_below"].to_numpy(dtype=float), "holm")
    test_frame = _with_by(_columns_frame(tests, ["_cell", *_TEST_COLUMNS]), design, by_names)
    test_frame["n_resamples"] = test_frame["n_resamples"].astype("Int64")
    if positions is not None:
        positions = _with_by(positions, design, by_names)
    params = {
        "prompt": prompt,
        "sensitive_features": attributes,
        "rank": rank,
        "position": position,
        "reference": reference if isinstance(reference, (str, dict)) else repr(reference),
        "unknown": sorted(map(str, unknown_labels)),
        "intersectional": intersectional,
        "random_state": random_state if isinstance(random_state, int) else None,
        "n_experiments": design.n_cells,
    }
    return RankingAudit(
        by=tuple(by_names),
        k=k,
        alpha=alpha,
        n_rows=len(frame),
        n_prompts=len(design.block_cell),
        n_unranked=int(design.unranked.sum()),
        n_resamples=n_resamples,
        unknown=read_only(unknown_counts),
        _table=table,
        _tests=test_frame,
        _positions=positions,
        _ratios=tuple(ratios),
        _params=params,
        _rank_counts=rank_counts,
    )


def _group_codes(
    coded: Mapping[str, tuple[np.ndarray, list]], columns: Sequence[str]
) -> tuple[np.ndarray, list[tuple]]:
    """Each row's group code (-1 unknown) and the group keys, of one attribute or of the
    intersection of several."""
    if len(columns) == 1:
        g, labels = coded[columns[0]]
        return g, [(label,) for label in labels]
    return _intersection([coded[c] for c in columns])


def _attribute_rows(
    design: _Design,
    specs: list[tuple[str, tuple[str, ...]]],
    coded: Mapping[str, tuple[np.ndarray, list]],
    reference: Any,
    alpha: float,
    tests: list[dict[str, Any]],
    rng: np.random.Generator,
    n_resamples: int,
    shared: dict[str, np.ndarray],
) -> tuple[list[pd.DataFrame], list[Fraction | None], dict[str, int]]:
    """Every attribute's group rows, exact ratios and unknown count; appends its tests."""
    rows: list[pd.DataFrame] = []
    ratios: list[Fraction | None] = []
    unknown_counts: dict[str, int] = {}
    reference_found = False
    z_level = float(special.ndtri(1 - alpha / 2))
    for name, columns in specs:
        g, keys = _group_codes(coded, columns)
        unknown_counts[name] = int((g < 0).sum())
        if len(keys) < 2:
            raise input_error(
                "sensitive_features",
                f"attribute {name!r} has {len(keys)} known group(s); a ranking audit "
                "compares at least two",
                "Audit an attribute with two or more groups, or check the unknown= labels",
            )
        part, part_ratios, found = _group_rows(
            design,
            name,
            columns,
            g,
            keys,
            reference,
            alpha,
            z_level,
            tests,
            rng,
            n_resamples,
            shared.get(name),
        )
        reference_found |= found
        rows.append(part)
        ratios += part_ratios
    _groups.check_reference_found(reference, reference_found)
    return rows, ratios, unknown_counts


def _position_tests(
    positions: Any,
    design: _Design,
    specs: list[tuple[str, tuple[str, ...]]],
    coded: Mapping[str, tuple[np.ndarray, list]],
    tests: list[dict[str, Any]],
    rng: np.random.Generator,
    n_resamples: int,
) -> pd.DataFrame:
    """The top-k rate by display position; appends its tests and each attribute's tests
    within position."""
    p_codes, p_labels = _codes(positions, "position")
    table = _position_rows(design, p_codes, p_labels, tests, rng, n_resamples)
    for name, columns in specs:
        g, _ = _group_codes(coded, columns)
        _within_position(design, name, g, p_codes, len(p_labels), tests)
    return table


def _shared_draws(
    design: _Design,
    specs: list[tuple[str, tuple[str, ...]]],
    coded: Mapping[str, tuple[np.ndarray, list]],
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Permutation draws of the intersection, and of each attribute summed from them.

    A within-prompt permutation moves whole candidates, so the attributes'
    top-k counts are margins of the intersection's.  Drawing once for the
    intersection serves every attribute when no label is unknown (otherwise
    each attribute's tests use its own known candidates, and draw for
    themselves).
    """
    joint = [(name, columns) for name, columns in specs if len(columns) > 1]
    if not n_resamples or not joint or any((coded[a][0] < 0).any() for a in coded):
        return {}
    name, columns = joint[0]
    g, keys = _intersection([coded[c] for c in columns])
    draws = _permutation_draws(
        design.block,
        design.block_cell,
        design.n_cells,
        g,
        len(keys),
        design.selected,
        n_resamples,
        rng,
    )
    shared = {name: draws}
    for i, column in enumerate(columns):
        labels = {label: j for j, label in enumerate(coded[column][1])}
        margin = np.zeros((len(keys), len(labels)))
        margin[np.arange(len(keys)), [labels[key[i]] for key in keys]] = 1.0
        shared[column] = draws @ margin
    return shared


def _with_by(frame: pd.DataFrame, design: _Design, by: list[str]) -> pd.DataFrame:
    cells = frame.pop("_cell").to_numpy(dtype=np.int64)
    for i, column in reversed(list(enumerate(by))):
        values = np.array([v[i] for v in design.cell_values] + [None], dtype=object)
        frame.insert(0, column, values[cells])
    return frame.reset_index(drop=True)


def _test_rows(
    tests: list[dict[str, Any]],
    name: str,
    test: str,
    measure: str,
    statistic: np.ndarray,
    df: np.ndarray,
    pvalue: np.ndarray,
    *,
    n_resamples: int | None = None,
    note: Sequence[str] | None = None,
) -> None:
    """One row per experiment, appended to ``tests`` as a block of columns."""
    n_cells = len(statistic)
    nan = np.full(n_cells, np.nan)
    tests.append(
        {
            "_cell": np.arange(n_cells),
            "attribute": [name] * n_cells,
            "test": [test] * n_cells,
            "measure": [measure] * n_cells,
            "comparison": [None] * n_cells,
            "statistic": np.asarray(statistic, float),
            "df": np.asarray(df, float),
            "p_value": np.asarray(pvalue, float),
            "p_value_holm": nan,
            "p_value_bh": nan,
            "n_resamples": [n_resamples] * n_cells,
            "hypothesis": [_HYPOTHESES[test]] * n_cells,
            "note": list(note) if note is not None else [""] * n_cells,
        }
    )


def _pairwise(
    tests: list[dict[str, Any]],
    name: str,
    labels: list[Any],
    test: str,
    measure: str,
    moments: _Moments,
    present: np.ndarray,
) -> None:
    """Every pair of groups shown in an experiment; Holm and BH within the experiment.

    A group absent from an experiment (``present`` False) has no comparison
    there: "g vs absent" would get a finite z from g's own variance alone and
    join the family, inflating the real comparisons' adjusted p-values.
    """
    n_cells, n_groups = moments.observed.shape
    i, j = np.triu_indices(n_groups, 1)
    d = moments.observed - moments.expected
    cov = moments.cov
    var = cov[:, i, i] + cov[:, j, j] - 2 * cov[:, i, j]
    both = present[:, i] & present[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(
            both & (var > 0), (d[:, i] - d[:, j]) / np.sqrt(np.where(var > 0, var, 1.0)), np.nan
        )
    p = _normal_p(z)
    family = np.repeat(np.arange(n_cells), len(i))
    size = n_cells * len(i)
    tests.append(
        {
            "_cell": family,
            "attribute": [name] * size,
            "test": [test] * size,
            "measure": [measure] * size,
            "comparison": [f"{labels[a]} vs {labels[b]}" for a, b in zip(i, j)] * n_cells,
            "statistic": z.ravel(),
            "df": np.full(size, np.nan),
            "p_value": p.ravel(),
            "p_value_holm": adjust(p.ravel(), "holm", family=family),
            "p_value_bh": adjust(p.ravel(), "bh", family=family),
            "n_resamples": [None] * size,
            "hypothesis": [_HYPOTHESES[test]] * size,
            "note": [""] * size,
        }
    )


def _columns_frame(blocks: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Concatenate blocks of columns (each a dict of equal-length sequences) into a frame."""
    data = {}
    for column in columns:
        parts = [
            np.asarray(block[column], dtype=object)
            if not isinstance(block[column], np.ndarray)
            else block[column]
            for block in blocks
        ]
        data[column] = np.concatenate(parts) if parts else np.array([], dtype=object)
    return pd.DataFrame(data)


def _omnibus(
    tests: list[dict[str, Any]],
    name: str,
    design: _Design,
    block: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    sel: np.ndarray,
    mid: np.ndarray,
    rng: np.random.Generator,
    n_resamples: int,
    draws: np.ndarray | None = None,
) -> tuple[_Moments, _Moments]:
    """The within-prompt tests of one attribute (or of position), appended to ``tests``.

    ``draws``: permutation draws of this attribute's top-k counts, when they
    were derived from those of the intersection (the same permutations).
    """
    n_cells = design.n_cells
    top = _moments(block, design.block_cell, n_cells, g, n_groups, sel)
    ranks = _moments(block, design.block_cell, n_cells, g, n_groups, mid)
    gof, gof_df = _gof(top.observed, top.expected)
    _test_rows(tests, name, "chi_square_gof", "top_k", gof, gof_df, _chi2_sf(gof, gof_df))
    cmh, cmh_df = _quadratic(top)
    _test_rows(tests, name, "cmh", "top_k", cmh, cmh_df, _chi2_sf(cmh, cmh_df))
    if n_resamples:
        if draws is None:
            draws = _permutation_draws(
                block, design.block_cell, n_cells, g, n_groups, sel, n_resamples, rng
            )
        p_perm = _permutation_p(draws, top.expected, gof)
        _test_rows(
            tests, name, "permutation", "top_k", gof, gof_df, p_perm, n_resamples=n_resamples
        )
    rank_stat, rank_df = _quadratic(ranks)
    if name != "position":
        complete, notes = _complete(block, design, g, n_groups)
        _test_rows(
            tests,
            name,
            "friedman",
            "rank",
            np.where(complete, rank_stat, np.nan),
            np.where(complete, rank_df, np.nan),
            np.where(complete, _chi2_sf(rank_stat, rank_df), np.nan),
            note=notes,
        )
    _test_rows(tests, name, "mean_rank", "rank", rank_stat, rank_df, _chi2_sf(rank_stat, rank_df))
    return top, ranks


def _deviations(top: _Moments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's top-k count against its expectation: z, p and Holm within experiment."""
    n_cells, n_groups = top.observed.shape
    d = top.observed - top.expected
    var = np.diagonal(top.cov, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, d / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
    p = _normal_p(z)
    holm = adjust(p.ravel(), "holm", family=np.repeat(np.arange(n_cells), n_groups))
    return z, p, holm.reshape(p.shape)


def _group_rows(
    design: _Design,
    name: str,
    columns: tuple[str, ...],
    g: np.ndarray,
    keys: list[tuple],
    reference: Any,
    alpha: float,
    z_level: float,
    tests: list[dict[str, Any]],
    rng: np.random.Generator,
    n_resamples: int,
    draws: np.ndarray | None,
) -> tuple[pd.DataFrame, list[Fraction | None], bool]:
    """One attribute: its tests, and the per-group rows of every experiment."""
    n_cells, n_groups = design.n_cells, len(keys)
    labels = [_groups.label(key) for key in keys]
    known = g >= 0
    gk, block = g[known], design.block[known]
    sel, mid = design.selected[known], design.midrank[known]
    top, ranks = _omnibus(
        tests, name, design, block, gk, n_groups, sel, mid, rng, n_resamples, draws
    )
    flat = design.cell[known] * n_groups + gk
    size = n_cells * n_groups
    counts = {
        "n": np.bincount(flat, minlength=size),
        "selected": np.rint(np.bincount(flat, weights=sel, minlength=size)),
        "unranked": np.bincount(flat, weights=design.unranked[known], minlength=size),
    }
    columns_out = {k: v.astype(np.int64).reshape(n_cells, n_groups) for k, v in counts.items()}
    present = columns_out["n"] > 0
    _pairwise(tests, name, labels, "pairwise", "top_k", top, present)
    _pairwise(tests, name, labels, "pairwise_rank", "rank", ranks, present)
    z, p, holm = _deviations(top)
    mean_rank, low, high = _mean_rank(block, design, gk, mid, n_groups, z_level)
    found = _groups.find_reference(name, columns, keys, reference)
    ratios: list[Fraction | None] = []
    rows: list[dict[str, Any]] = []
    for c in range(n_cells):
        n, selected = columns_out["n"][c], columns_out["selected"][c]
        rates = [Fraction(int(s), int(m)) if m else None for s, m in zip(selected, n)]
        ref = _reference_index(found, rates)
        for i in range(n_groups):
            ratio, note = _ratio(rates[i], rates[ref] if ref is not None else None)
            ratios.append(ratio)
            rows.append(
                {
                    "_cell": c,
                    "attribute": name,
                    "group": labels[i],
                    "n": int(n[i]),
                    "selected": int(selected[i]),
                    "unranked": int(columns_out["unranked"][c, i]),
                    "rate": float(rates[i]) if rates[i] is not None else np.nan,
                    "impact_ratio": float(ratio) if ratio is not None else np.nan,
                    "is_reference": i == ref,
                    "four_fifths_flag": ratio is not None and ratio < FOUR_FIFTHS,
                    "expected": float(top.expected[c, i]),
                    "statistic": float(z[c, i]),
                    "p_value": float(p[c, i]),
                    "p_value_holm": float(holm[c, i]),
                    "significant": bool(holm[c, i] < alpha),
                    # One-sided: fewer in the top k than the design expects.
                    "p_value_below": float(special.ndtr(z[c, i])),
                    "mean_rank": float(mean_rank[c, i]),
                    "mean_rank_ci_low": float(low[c, i]),
                    "mean_rank_ci_high": float(high[c, i]),
                    "note": note,
                }
            )
    frame = pd.DataFrame(rows)
    frame["group"] = frame["group"].astype(object)
    frame.attrs["rank_counts"] = _rank_counts(design, name, labels, g)
    return frame, ratios, isinstance(found, int)


#: Ranks past this are pooled in the rank-distribution counts ("20 or worse").
_RANK_CAP = 20


def _rank_counts(design: _Design, name: str, labels: list[Any], g: np.ndarray) -> pd.DataFrame:
    """How often each group got each rank (1, 2, ..., unranked as 0), per experiment."""
    known = g >= 0
    rank = design.rank[known]
    bucket = np.where(np.isnan(rank), 0, np.minimum(np.floor(np.nan_to_num(rank)), _RANK_CAP))
    bucket = bucket.astype(np.int64)
    n_groups, width = len(labels), _RANK_CAP + 1
    flat = (design.cell[known] * n_groups + g[known]) * width + bucket
    counts = np.bincount(flat, minlength=design.n_cells * n_groups * width)
    cell, group, rank_of = np.unravel_index(
        np.flatnonzero(counts), (design.n_cells, n_groups, width)
    )
    return pd.DataFrame(
        {
            "_cell": cell,
            "attribute": name,
            "group": np.asarray(labels, dtype=object)[group],
            "rank": rank_of,
            "count": counts[counts > 0],
        }
    )


def _reference_index(found: Any, rates: list[Fraction | None]) -> int | None:
    """The requested reference group, or the highest rate (ties: the first in label order)."""
    if isinstance(found, int):
        return found if rates[found] is not None else None
    candidates = [i for i, r in enumerate(rates) if r is not None]
    return max(candidates, key=lambda i: (rates[i], -i)) if candidates else None


def _ratio(rate: Fraction | None, reference: Fraction | None) -> tuple[Fraction | None, str]:
    if rate is None:
        return None, "not shown in this experiment"
    if reference is None:
        return None, "no ratio: the reference group was not shown in this experiment"
    if reference == 0:
        return None, "no ratio: the reference group's top-k rate is 0"
    return rate / reference, ""


def _complete(
    block: np.ndarray, design: _Design, g: np.ndarray, n_groups: int
) -> tuple[np.ndarray, list[str]]:
    """Per experiment: is Friedman's test applicable, and if not, why (a note).

    Friedman's test needs complete blocks: every prompt holds exactly one
    candidate of each group shown in the experiment and nobody else, and
    three or more such groups (with two, it is the sign test, and the
    ``mean_rank`` row covers it).
    """
    n_blocks = len(design.block_cell)
    counts = np.bincount(block * n_groups + g, minlength=n_blocks * n_groups)
    counts = counts.reshape(n_blocks, n_groups)
    shown = _reduce(counts.astype(float), design.block_cell, design.n_cells) > 0
    n_shown = shown.sum(axis=1)
    everyone = np.bincount(design.block, minlength=n_blocks)
    expected = shown[design.block_cell]
    ok = ((counts == 1) == expected).all(axis=1) & (counts <= 1).all(axis=1)
    ok &= everyone == n_shown[design.block_cell]
    bad = np.bincount(design.block_cell, weights=~ok, minlength=design.n_cells) > 0
    notes = []
    for c in range(design.n_cells):
        if bad[c]:
            notes.append("not applicable: a prompt lacks a group or holds one twice; see mean_rank")
        elif n_shown[c] < 3:
            notes.append("not applicable: fewer than three groups; see mean_rank")
        else:
            notes.append("")
    return ~bad & (n_shown >= 3), notes


def _mean_rank(
    block: np.ndarray,
    design: _Design,
    g: np.ndarray,
    mid: np.ndarray,
    n_groups: int,
    z_level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean mid-rank per group and a normal interval clustered by prompt (a ratio estimator)."""
    n_blocks, n_cells = len(design.block_cell), design.n_cells
    key = block * n_groups + g
    count = np.bincount(key, minlength=n_blocks * n_groups).reshape(n_blocks, n_groups)
    total = np.bincount(key, weights=mid, minlength=n_blocks * n_groups).reshape(n_blocks, n_groups)
    sums = _reduce(
        np.stack(
            [count, total, total * total, total * count, count * count, count > 0], axis=-1
        ).astype(float),
        design.block_cell,
        n_cells,
    )
    n, r, rr, rn, nn, clusters = (sums[..., i] for i in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = r / n
        residual = np.maximum(rr - 2 * mean * rn + mean * mean * nn, 0.0)
        var = residual / (n * n) * clusters / (clusters - 1)
        half = z_level * np.sqrt(np.where(clusters > 1, var, np.nan))
    return mean, mean - half, mean + half


def _position_rows(
    design: _Design,
    codes: np.ndarray,
    labels: list[Any],
    tests: list[dict[str, Any]],
    rng: np.random.Generator,
    n_resamples: int,
) -> pd.DataFrame:
    """Top-k rate by display position, and the tests of a position effect."""
    n_cells, n_pos = design.n_cells, len(labels)
    top, _ = _omnibus(
        tests,
        "position",
        design,
        design.block,
        codes,
        n_pos,
        design.selected,
        design.midrank,
        rng,
        n_resamples,
    )
    flat = design.cell * n_pos + codes
    n = np.bincount(flat, minlength=n_cells * n_pos)
    selected = np.rint(np.bincount(flat, weights=design.selected, minlength=n_cells * n_pos))
    z, p, holm = _deviations(top)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = selected / n
    return pd.DataFrame(
        {
            "_cell": np.repeat(np.arange(n_cells), n_pos),
            "position": np.tile(np.asarray(labels), n_cells),
            "n": n,
            "selected": selected.astype(np.int64),
            "rate": rate,
            "expected": top.expected.ravel(),
            "statistic": z.ravel(),
            "p_value": p.ravel(),
            "p_value_holm": holm.ravel(),
        }
    )


def _within_position(
    design: _Design,
    name: str,
    g: np.ndarray,
    positions: np.ndarray,
    n_pos: int,
    tests: list[dict[str, Any]],
) -> None:
    """Group effect on the top k among candidates shown at the same position."""
    known = g >= 0
    stratum = design.cell[known] * n_pos + positions[known]
    strata_cell = np.arange(design.n_cells * n_pos) // n_pos
    n_groups = int(g.max()) + 1
    moments = _moments(
        stratum, strata_cell, design.n_cells, g[known], n_groups, design.selected[known]
    )
    statistic, df = _quadratic(moments)
    notes = [
        "" if d > 0 else "no variation: within each position every candidate has the same outcome"
        for d in df
    ]
    _test_rows(
        tests,
        name,
        "cmh_within_position",
        "top_k",
        statistic,
        np.where(df > 0, df, np.nan),
        _chi2_sf(statistic, df),
        note=notes,
    )
