"""Paired (correspondence) tests of a black-box scorer: same resume, only the signal changes.

The design (which text carries which name, in which position), the scoring
through :mod:`adverse_impact._blackbox._calls`, and the analysis: paired
differences, Wilcoxon and paired t, McNemar's exact test on decisions, and,
for rankers, the ranking audit of the generated prompts.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from adverse_impact._audits._scoring import decide, model_scores
from adverse_impact._blackbox import PUBLIC
from adverse_impact._blackbox._calls import (
    CallLog,
    ScoreCache,
    check_n_jobs,
    run_calls,
    scorer_identity,
)
from adverse_impact._blackbox._rankings import _written
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._params import RULES, validate_params
from adverse_impact._core._render import decisive, frame_block, jsonable
from adverse_impact._core._validation import below_ratio, check_scalar
from adverse_impact._proxies._tokens import as_texts
from adverse_impact._stats._gate import (
    RULE_WORDS,
    GateArguments,
    GateVerdict,
    RowGated,
    gate_arguments,
    row_detail,
)
from adverse_impact._stats._gate import verdict as gate_verdict
from adverse_impact._stats._multiplicity import benjamini_hochberg, holm
from adverse_impact._stats._significance import check_alpha

__all__ = list(PUBLIC["_paired"])

_KINDS = ("score", "rank")
_SEP = "\x1e"


# -- signals and design -----------------------------------------------------------


def _load_signals(signals: Any, templates: list[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The signal variants, their slot columns and their group columns."""
    if isinstance(signals, str):
        if signals != "names":
            raise input_error(
                "signals",
                f"{signals!r} is not a built-in signal set",
                "Pass 'names' or a DataFrame of slot values with group labels",
            )
        from adverse_impact.datasets import load_names

        names = load_names()
        # The groups are race x sex; the other columns are slots a template may use.
        used = [
            c
            for c in ("name", "first_name", "last_name")
            if any("{" + c + "}" in t for t in templates)
        ] or ["name"]
        frame = names[[*used, "race", "sex"]]
    elif isinstance(signals, pd.DataFrame):
        frame = signals
    else:
        raise type_error(
            "signals",
            f"got a {type(signals).__name__}",
            "Pass 'names' or a pandas DataFrame with one column per template slot "
            "(e.g. 'name') and one or more group columns (e.g. 'race', 'sex')",
        )
    frame = frame.reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    slots = [c for c in columns if any("{" + c + "}" in t for t in templates)]
    if not slots:
        raise input_error(
            "templates",
            f"no template holds a slot named after a signals column "
            f"({', '.join('{' + c + '}' for c in columns)})",
            "Write the slot into the texts, e.g. '{name}\\nExperience: ...'",
        )
    missing = [i for i, t in enumerate(templates) if not any("{" + s + "}" in t for s in slots)]
    if missing:
        raise input_error(
            "templates",
            f"{len(missing):,} template(s) hold no slot "
            f"({', '.join('{' + s + '}' for s in slots)}), e.g. number {missing[0]}",
            "Every template must carry the signal; drop or fix those texts",
        )
    groups = [c for c in columns if c not in slots]
    if not groups:
        raise input_error(
            "signals",
            f"has no group column besides the slot column(s) {slots!r}",
            "Add the group label of each variant, e.g. 'sex'",
        )
    bad = frame[groups].isna().any(axis=1) | frame[slots].isna().any(axis=1)
    if bad.any():
        raise input_error(
            "signals",
            f"{int(bad.sum())} row(s) have a missing slot value or group label",
            "Drop or fill those rows",
        )
    if frame[groups].drop_duplicates().shape[0] < 2:
        raise input_error(
            "signals",
            "holds one group only; a paired test compares two or more",
            "Add the variants of at least one other group",
        )
    return frame, slots, groups


def _labels(frame: pd.DataFrame, groups: list[str]) -> np.ndarray:
    values = frame[groups].astype(str)
    label = values.iloc[:, 0]
    for column in groups[1:]:
        label = label + " | " + values[column]  # as audit() labels intersections
    return label.to_numpy(dtype=object)


def _fill(template: str, row: dict[str, str]) -> str:
    for slot, value in row.items():
        template = template.replace("{" + slot + "}", value)
    return template


def _latin_square(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random Latin square: a cyclic one with rows, columns and symbols shuffled."""
    square = (np.arange(size)[:, None] + np.arange(size)[None, :]) % size
    square = square[rng.permutation(size)][:, rng.permutation(size)]
    return rng.permutation(size)[square]


def _variant_picks(n_units: int, members: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Variant of each group for each unit: rounds of fresh shuffles of each group.

    Units go through a group's variants in rounds; each round is a new random
    permutation of the group.  Every variant is used ``floor(n/size)`` or
    ``ceil(n/size)`` times (balanced); a template's units take distinct
    variants unless they straddle two rounds (when ``n_repeats`` equals the
    group size they never do, and each template gets every variant); and a
    variant meets different
    variants of the other groups from round to round, so that one name's
    effect is not tied to a fixed partner's.
    """
    picks = np.empty((n_units, len(members)), dtype=np.int64)
    for g, rows in enumerate(members):
        rounds = -(-n_units // rows.size)
        picks[:, g] = np.concatenate([rng.permutation(rows) for _ in range(rounds)])[:n_units]
    return picks


# -- the scorer, wrapped ------------------------------------------------------------


def _pointwise_asker(scorer: Any, pos_label: Any) -> Callable[[list[str]], list[float]]:
    def ask(texts: list[str]) -> list[float]:
        scores, _ = model_scores(scorer, texts, pos_label=pos_label)
        if scores.size != len(texts):
            raise input_error(
                "scorer",
                f"returned {scores.size} scores for {len(texts)} texts",
                "Return one score per text",
            )
        return [float(s) for s in scores]

    return ask


def _ranker_asker(scorer: Any) -> Callable[[list[str]], list[list[int]]]:
    def ask(prompts: list[str]) -> list[list[int]]:
        out = []
        for prompt in prompts:
            candidates = prompt.split(_SEP)
            order = [int(i) for i in scorer(candidates)]
            if len(set(order)) != len(order) or any(not 0 <= i < len(candidates) for i in order):
                raise input_error(
                    "scorer",
                    f"returned {order!r}, not an order of {len(candidates)} candidates",
                    "Return the candidates' indices, best first, each once",
                )
            out.append(order)
        return out

    return ask


# -- the result -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class PairedTestResult(RowGated):
    """A paired (correspondence) test of a scorer; immutable.

    Returned by :func:`adverse_impact.paired_test`.

    Attributes
    ----------
    kind : {"score", "rank"}
    reference : object
        The group every other group is compared with.
    n_templates, n_variants, n_groups, n_repeats : int
        The design: templates, signal variants (e.g. names), groups, repeats.
    n_units : int
        Pointwise: template x repeat units, each scored once per group.
        Ranker: prompts.
    n_texts : int
        Texts (pointwise) or prompts (ranker) in the design.
    n_calls, n_cached : int
        Scorer calls made in this run, and answers read from the cache.
    n_failed_calls, n_failed : int
        Calls that raised, and the texts or prompts left without an answer.
    n_pairs_lost : int
        Units with at least one unanswered text (pointwise), or prompts
        without an answer (ranker): left out of the analysis and counted here.
    cutoff : float or None
        The decision cut-off (``threshold`` or the ``select_top`` score).
    alpha : float
    method : str
        What was tested, in words.
    family : str
        The family of comparisons behind "N group(s) differ" and its
        correction, in words: with ``reference="highest"`` every pair of
        groups (the reference was chosen by the data), else the comparisons
        with the named reference.
    failed_by_group : Mapping[str, int]
        Pointwise: unanswered texts per group (only groups with any).  When
        they fall on one group the summary names it.
    rankings : object or None
        For a ranker, the ranking audit of the generated prompts
        (:func:`adverse_impact.audit_rankings`).

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> signals = pd.DataFrame({"college": ["Wellesley College", "Dalton College"],
    ...                         "type": ["women's", "co-ed"]})
    >>> templates = [f"Python, SQL; {i} years; {{college}}" for i in range(10)]
    >>> def scorer(texts):
    ...     return [int(t.split()[2]) / 10 - 0.1 * ("Wellesley" in t) for t in texts]
    >>> result = ai.paired_test(scorer, templates, signals=signals)
    >>> print(result.summary().splitlines()[1])  # doctest: +NORMALIZE_WHITESPACE
    Largest gap: women's scores -0.1 against co-ed (95% CI -0.1 to -0.1; Wilcoxon p=0.00195,
    paired t p=0, n=10 pairs)
    """

    kind: str
    reference: Any
    n_templates: int
    n_variants: int
    n_groups: int
    n_repeats: int
    n_units: int
    n_texts: int
    n_calls: int
    n_cached: int
    n_failed_calls: int
    n_failed: int
    n_pairs_lost: int
    cutoff: float | None
    alpha: float
    method: str
    rankings: Any
    family: str
    failed_by_group: Mapping[str, int]
    _table: pd.DataFrame
    _names: pd.DataFrame
    _scores: pd.DataFrame
    _failures: pd.DataFrame

    # Read-only mappings inside cannot be pickled: rebuild through the constructor.
    __reduce__ = reduce_by_fields

    @property
    def table(self) -> pd.DataFrame:
        """One row per group: effect against the reference and its tests (a copy)."""
        return self._table.copy()

    @property
    def name_effects(self) -> pd.DataFrame:
        """One row per signal variant: its effect against its own group (a copy).

        Columns: ``group``, ``variant``, ``signal``, ``n`` (texts), ``effect``,
        ``p_value`` (two-sided: Welch's t pointwise, Fisher's exact for a
        ranker), ``p_value_below`` (one-sided, below the group: Student's t
        with pooled variance pointwise, Fisher's exact for a ranker),
        ``q_value`` (Benjamini-Hochberg over ``p_value_below``) and
        ``flagged`` (``q_value < alpha``: scores below its group).
        """
        return self._names.copy()

    @property
    def scores(self) -> pd.DataFrame:
        """Every scored text (pointwise) or candidate (ranker) of the design (a copy)."""
        return self._scores.copy()

    @property
    def failures(self) -> pd.DataFrame:
        """One row per failed call: its number, texts, error type and message (a copy)."""
        return self._failures.copy()

    def to_frame(self) -> pd.DataFrame:
        """The per-group table as a tidy DataFrame (a copy)."""
        return self.table

    def flagged(self) -> pd.DataFrame:
        """Groups whose difference from the reference is significant (Holm), or below 4/5."""
        table = self._table
        mask = table.get("significant", pd.Series(False, index=table.index)).fillna(False)
        if "four_fifths_flag" in table:
            mask = mask | table["four_fifths_flag"].fillna(False)
        return table.loc[mask.astype(bool)].reset_index(drop=True)

    def _gate_arguments(self, min_ratio: Any, alpha: Any, rule: Any) -> GateArguments:
        decides = "impact_ratio" in self._table
        return gate_arguments(
            min_ratio,
            alpha,
            rule,
            result="PairedTestResult",
            rules=RULES if decides else ("significance",),
            why="" if decides else "no decisions: it was run without threshold= or select_top=",
            default=None if decides else "significance",
            default_alpha=self.alpha,
        )

    def _exact_ratios(self) -> list[Fraction | None]:
        """Each group's impact ratio as a fraction of counts (the table's ``impact_ratio``)."""
        table = self._table
        rates = [
            Fraction(int(s), int(n)) if n else None for s, n in zip(table["selected"], table["n"])
        ]
        if self.kind == "rank":
            (ref,) = [r for r, is_ref in zip(rates, table["is_reference"]) if is_ref]
        else:  # the decisions' audit compares with the highest rate
            ref = max((r for r in rates if r is not None), default=None)
        return [None if r is None or not ref else r / ref for r in rates]

    def _failing(self, arguments: GateArguments) -> np.ndarray:
        table = self._table
        if arguments.rule == "four_fifths":
            return below_ratio(self._exact_ratios(), arguments.min_ratio)
        p = table["p_value_holm"].to_numpy(dtype=float)
        # Two-sided, as the headline's "N differ": identical texts scored (or ranked)
        # differently by group are unequal treatment whichever group comes out ahead.
        # The reference's own row has no p-value for a scorer; for a ranker every
        # group, the reference too, is tested against the design's expectation.
        differ = np.nan_to_num(p, nan=1.0) < arguments.alpha
        if arguments.rule == "significance":
            return differ
        below = below_ratio(self._exact_ratios(), arguments.min_ratio)
        return below & differ if arguments.rule == "both" else below | differ

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict: the headline's "N differ" as the significance rule.

        ``rule="significance"`` fails on the groups the headline counts as
        differing from the reference: Holm-adjusted p-values (``p_value_holm``,
        Wilcoxon signed-rank on the paired differences for a scorer, the
        ranking audit's test for a ranker) below ``alpha``, in the family
        :attr:`family` names (every pair of groups when the reference was
        chosen as the highest).  Two-sided: the same text scored differently
        by group is unequal treatment whichever group comes out ahead.  With
        decisions (``threshold`` or ``select_top``), ``"four_fifths"``,
        ``"both"`` and ``"either"`` read the decisions' impact ratios, exactly,
        as :meth:`AuditResult.passes` does; without them only
        ``"significance"`` can be decided (the default), and another rule
        raises :class:`~adverse_impact.InputError`.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> signals = pd.DataFrame({"college": ["Wellesley College", "Dalton College"],
        ...                         "type": ["women's", "co-ed"]})
        >>> templates = [f"Python, SQL; {i} years; {{college}}" for i in range(10)]
        >>> def scorer(texts):
        ...     return [int(t.split()[2]) / 10 - 0.1 * ("Wellesley" in t) for t in texts]
        >>> result = ai.paired_test(scorer, templates, signals=signals)
        >>> result.gate().failing, result.passes() == (result.n_differ() == 0)
        (("women's",), True)
        """
        arguments = self._gate_arguments(min_ratio, alpha, rule)
        failing = self._failing(arguments)
        rows = self._table.loc[failing]
        # Without decisions there is no impact ratio (and no counts to decide one).
        below = (
            below_ratio(self._exact_ratios(), arguments.min_ratio)[failing]
            if "impact_ratio" in self._table
            else [None] * len(rows)
        )
        details = []
        for row, low in zip(rows.to_dict(orient="records"), below):
            parts = []
            if self.kind == "score" and row.get("mean_diff") == row.get("mean_diff"):
                parts.append(f"mean difference {float(row['mean_diff']):+.4g}")
            detail = row_detail(
                row,
                arguments.rule,
                selected="selected" if self.kind == "score" else f"in the top {self._top_k()}",
                p_column="p_value_holm",
                p_words="Holm p",
                below=low,
                min_ratio=arguments.min_ratio,
            )
            details.append(", ".join([*parts, detail] if detail else parts))
        family = ""
        if arguments.rule != "four_fifths":
            family = f"family: {self.family}, alpha {arguments.alpha:g}"
        return gate_verdict(
            arguments,
            min_ratio,
            (str(g) for g in rows["group"]),
            family=family,
            details=details,
            words=self._rule_words(),
        )

    def _rule_words(self) -> dict[str, str]:
        """The rules in words: "differs" is from the reference (scorer) or from the
        design's expectation (ranker), as the headline counts it."""
        differs = (
            "differs from the reference"
            if self.kind == "score"
            else f"in the top {self._top_k()} more or less often than the design expects"
        )
        return {
            "four_fifths": RULE_WORDS["four_fifths"],
            "significance": f"{differs} at alpha {{alpha:g}}",
            "both": f"impact ratio below {{ratio}} and {differs} at alpha {{alpha:g}}",
            "either": f"impact ratio below {{ratio}} or {differs} at alpha {{alpha:g}}",
        }

    def to_dict(self) -> dict[str, Any]:
        """Every number, the design and the failures, JSON-serialisable."""
        out: dict[str, Any] = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_") and f.name != "rankings"
        }
        for name, frame in (
            ("table", self._table),
            ("name_effects", self._names),
            ("failures", self._failures),
        ):
            out[name] = [
                {k: jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
            ]
        rankings = self.rankings
        out["rankings"] = rankings.to_dict() if hasattr(rankings, "to_dict") else None
        return out

    def to_markdown(self, path: str | None = None) -> str:
        """The report as Markdown: verdict, design, effect per group, names, failures.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> signals = pd.DataFrame({"college": ["Wellesley College", "Dalton College"],
        ...                         "type": ["women's", "co-ed"]})
        >>> result = ai.paired_test(lambda texts: [0.5] * len(texts),
        ...                         [f"{{college}}; {i} years" for i in range(5)], signals=signals)
        >>> print(result.to_markdown().splitlines()[0])
        # Paired test (scores)
        """
        from adverse_impact._publish._document import publish

        return publish(self, "markdown", path)

    def to_html(self, path: str | None = None, *, title: str | None = None) -> str:
        """One self-contained HTML page: verdict, effect per group with intervals (chart and
        table), the names that score below their group, the failures and where they fell.

        Written to ``path`` when given.

        Examples
        --------
        >>> import pandas as pd
        >>> import adverse_impact as ai
        >>> signals = pd.DataFrame({"college": ["Wellesley College", "Dalton College"],
        ...                         "type": ["women's", "co-ed"]})
        >>> result = ai.paired_test(lambda texts: [0.5] * len(texts),
        ...                         [f"{{college}}; {i} years" for i in range(5)], signals=signals)
        >>> page = result.to_html()
        >>> page.startswith("<!DOCTYPE html>"), 'class="verdict' in page
        (True, True)
        """
        from adverse_impact._publish._document import render_html

        return _written(render_html(self._document(title=title)), path)

    def _document(self, *, title: str | None = None) -> Any:
        """The report for the publication layer (``_publish._document``)."""
        from adverse_impact._blackbox._report import paired_document

        return paired_document(self, title=title)

    def summary(self) -> str:
        """The headline in a few lines of plain text."""
        lines = [self._headline()]
        table = self._table
        others = table[table["group"] != self.reference] if "group" in table else table
        if self.kind == "score" and len(others):
            worst = others.sort_values("mean_diff").iloc[0]
            lines.append(
                f"Largest gap: {worst['group']} scores {worst['mean_diff']:+.4g} against "
                f"{self.reference} ({1 - self.alpha:.0%} CI {worst['ci_low']:+.4g} to "
                f"{worst['ci_high']:+.4g}; Wilcoxon p={worst['p_value_wilcoxon']:.3g}, "
                f"paired t p={worst['p_value_t']:.3g}, n={int(worst['n_pairs'])} pairs)"
            )
            if "impact_ratio" in table:
                low = others.sort_values("impact_ratio").iloc[0]
                lines.append(
                    f"Decisions (cut-off {self.cutoff:.4g}): lowest impact ratio "
                    f"{low['group']} "
                    f"{decisive(low['impact_ratio'], low['four_fifths_flag'], digits=3)}; "
                    "McNemar exact p="
                    f"{low['p_value_mcnemar']:.3g} on {int(low['n_only_group'])} + "
                    f"{int(low['n_only_reference'])} discordant pairs"
                )
        if self.kind == "rank" and self.rankings is not None:
            lines += self.rankings.summary().splitlines()[1:]
        lines.append(self.names_sentence())
        if self.n_failed_calls or self.n_failed:
            lines.append(self.failures_sentence())
        return "\n".join(lines)

    def names_sentence(self) -> str:
        """How many signal variants score below their own group, one-sided, in words."""
        names = self._names
        below = int(names["flagged"].astype(bool).sum()) if len(names) else 0
        test = "Student's t, pooled variance" if self.kind == "score" else "Fisher's exact"
        return (
            f"{below:,} of {len(names):,} signals (names) score below their own group "
            f"(one-sided {test}, Benjamini-Hochberg q < {self.alpha} over the {len(names):,})"
        )

    def failures_sentence(self) -> str:
        """The failures, where they fell, and the units lost, in words."""
        where = ""
        by_group = dict(self.failed_by_group)
        if len(by_group) == 1:
            ((group, count),) = by_group.items()
            where = f", all {count:,} on {group} texts"
        elif by_group:
            worst = max(by_group, key=by_group.get)
            total = sum(by_group.values())
            # Name a group when most failures fall on it: a scorer refusing one
            # group's texts biases what is left, whatever is counted.
            most = (
                f"; {by_group[worst]:,} of {total:,} on {worst}"
                if by_group[worst] * 2 > total
                else ""
            )
            where = f" ({', '.join(f'{g}: {c:,}' for g, c in by_group.items())}{most})"
        unit = "units" if self.kind == "score" else "prompts"
        return (
            f"Failures: {self.n_failed_calls:,} call(s) raised; {self.n_failed:,} "
            f"{'answer(s)' if self.kind == 'score' else 'prompt(s)'} missing{where}; "
            f"{self.n_pairs_lost:,} of {self.n_units:,} {unit} lost (left out whole)"
        )

    def n_differ(self) -> int:
        """Groups whose difference from the reference is significant in the stated family."""
        return int(self._table.get("significant", pd.Series(dtype=bool)).fillna(False).sum())

    def verdict(self) -> str:
        """The report's first sentence: the finding, its family and its correction."""
        n_sig = self.n_differ()
        if self.kind == "score":
            finding = (
                f"{n_sig} of {self.n_groups - 1} group(s) score differently from {self.reference}"
            )
        else:
            finding = (
                f"{n_sig} of {self.n_groups} group(s) are ranked in the top "
                f"{self._top_k()} more or less often than the design expects"
            )
        return f"{finding} at alpha={self.alpha}; family and correction: {self.family}."

    def _top_k(self) -> int:
        rankings = self.rankings
        return int(getattr(rankings, "k", 1)) if rankings is not None else 1

    def _headline(self) -> str:
        n_sig = self.n_differ()
        if self.kind == "score":
            design = f"{self.n_units:,} units, {self.n_texts:,} texts"
            finding = f"{n_sig} group(s) differ from {self.reference}"
        else:
            design = f"{self.n_units:,} prompts"
            finding = f"{n_sig} group(s) off the design's expected top-k count"
        correction = (
            f"Holm over all {self.n_groups * (self.n_groups - 1) // 2} pairs"
            if self.family.startswith("Holm over all")
            else ("Holm" if self.n_groups > 2 else "one comparison")
        )
        return (
            f"PairedTestResult ({self.kind}): {self.n_groups} groups, {design}; {finding} "
            f"({correction}, alpha={self.alpha}); {self.n_calls:,} calls, {self.n_cached:,} "
            f"cached, {self.n_failed_calls:,} failed"
        )

    def __repr__(self) -> str:
        return frame_block(
            self._headline(), self._table, decide={"impact_ratio": "four_fifths_flag"}
        )

    def _repr_html_(self) -> str:
        from adverse_impact._publish._document import render_fragment

        return render_fragment(self._document())


# -- analysis -------------------------------------------------------------------------


def _paired_stats(diff: np.ndarray, alpha: float) -> dict[str, float]:
    """Mean paired difference, its t interval, paired t and Wilcoxon signed-rank."""
    return _paired_columns(np.asarray(diff, dtype=float)[:, None], alpha)[0]


def _paired_columns(diffs: np.ndarray, alpha: float) -> list[dict[str, float]]:
    """:func:`_paired_stats` of every column of ``diffs`` (pairs x comparisons), at once.

    The t test is computed as ``scipy.stats.ttest_1samp`` computes it, the
    Wilcoxon test by ``scipy.stats.wilcoxon`` itself (in one call when no
    column has a zero or a tie, which gives each column the result of its own
    call; column by column otherwise, since scipy then chooses the method from
    the whole input).
    """
    n, m = diffs.shape
    out = [
        {
            "n_pairs": n,
            "mean_diff": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "t": math.nan,
            "p_value_t": math.nan,
            "wilcoxon": math.nan,
            "p_value_wilcoxon": math.nan,
        }
        for _ in range(m)
    ]
    if n == 0:
        return out
    mean = diffs.mean(axis=0)
    for j in range(m):
        out[j]["mean_diff"] = float(mean[j])
    if n < 2:
        return out
    sd = diffs.std(axis=0, ddof=1)
    se = sd / math.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / se
    p_t = 2 * sps.t.sf(np.abs(t), n - 1)
    half = sps.t.ppf(1 - alpha / 2, n - 1) * se
    # Differences equal up to rounding (a scorer subtracting a constant):
    # the t test would divide by a rounding error.  Every pair differs by the
    # same amount: no sampling variation to test against.  Equal scores are no
    # evidence (p = 1); a constant non-zero shift in every pair is as strong
    # as evidence gets (p = 0).
    flat = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    zero = np.all(diffs == 0, axis=0)
    live = np.flatnonzero(~zero)
    stat, p_w = np.zeros(m), np.ones(m)
    if live.size:
        block = diffs[:, live]
        ordered = np.sort(np.abs(block), axis=0)
        if not (block == 0).any() and not (ordered[1:] == ordered[:-1]).any():
            test = sps.wilcoxon(block, axis=0)
            stat[live], p_w[live] = test.statistic, test.pvalue
        else:
            for j in live:
                test = sps.wilcoxon(diffs[:, j])
                stat[j], p_w[j] = float(test.statistic), float(test.pvalue)
    for j in range(m):
        row = out[j]
        if flat[j]:
            row.update(
                ci_low=float(mean[j]),
                ci_high=float(mean[j]),
                t=math.nan if mean[j] == 0 else math.copysign(math.inf, mean[j]),
                p_value_t=1.0 if mean[j] == 0 else 0.0,
            )
        else:
            row.update(
                ci_low=float(mean[j] - half[j]),
                ci_high=float(mean[j] + half[j]),
                t=float(t[j]),
                p_value_t=float(p_t[j]),
            )
        row.update(wilcoxon=float(stat[j]), p_value_wilcoxon=float(p_w[j]))
    return out


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """McNemar's exact test: two-sided binomial p-value of the discordant pairs.

    Examples
    --------
    >>> from adverse_impact._blackbox._paired import mcnemar_exact
    >>> round(mcnemar_exact(2, 9), 4)
    0.0654
    """
    n = int(only_a) + int(only_b)
    if n == 0:
        return 1.0
    return float(sps.binomtest(int(only_a), n, 0.5).pvalue)


def _pick_reference(reference: Any, labels: list[Any], values: dict[Any, float]) -> Any:
    if reference is None or (isinstance(reference, str) and reference == "highest"):
        return max(labels, key=lambda g: (values.get(g, -math.inf), -labels.index(g)))
    if reference not in labels:
        raise input_error(
            "reference",
            f"{reference!r} is not one of the groups {labels!r}",
            "Pass one of them, or 'highest'",
        )
    return reference


def _analyse_scores(
    scores: np.ndarray,
    units: np.ndarray,
    group_index: np.ndarray,
    labels: list[Any],
    *,
    reference: Any,
    alpha: float,
    threshold: Any,
    select_top: Any,
    ties: str = "error",
    tie_state: Any = None,
) -> tuple[pd.DataFrame, Any, float | None, np.ndarray | None, str]:
    """The per-group table, the reference, the cut-off, the decisions and the family.

    Only *complete* units enter: a unit with any unanswered text is lost
    whole (counted in ``n_pairs_lost``), so every group is compared on the
    same units and a failure on the reference's text leaves no half pair.
    """
    n_units = int(units.max()) + 1 if units.size else 0
    G = len(labels)
    matrix = np.full((n_units, G), np.nan)
    matrix[units, group_index] = scores
    complete = ~np.isnan(matrix).any(axis=1)
    kept = matrix[complete]
    means = {g: float(kept[:, i].mean()) if len(kept) else -math.inf for i, g in enumerate(labels)}
    highest = reference is None or (isinstance(reference, str) and reference == "highest")
    ref = _pick_reference(reference, labels, means)
    r = labels.index(ref)
    cutoff, decisions = None, None
    if threshold is not None or select_top is not None:
        # Decisions on the complete units' texts only: the cut-off of a
        # select_top rule is a share of the texts that are analysed.
        ok = complete[units] & ~np.isnan(scores)
        chosen = np.zeros(scores.size, dtype=bool)
        cut = decide(
            scores[ok],
            threshold=threshold,
            select_top=select_top,
            ties=ties,
            random_state=tie_state,
        )
        chosen[ok], cutoff = cut.selected, cut.cutoff
        decisions = np.full((n_units, G), np.nan)
        decisions[units, group_index] = np.where(ok, chosen, np.nan)
    paired = _paired_columns(kept - kept[:, [r]], alpha)
    rows = []
    for i, g in enumerate(labels):
        row: dict[str, Any] = {
            "group": g,
            "is_reference": i == r,
            "n": int(complete.sum()),
            "n_lost": int(n_units - complete.sum()),
            "mean_score": means[g] if len(kept) else math.nan,
        }
        row.update(paired[i])
        if decisions is not None:
            mine, theirs = decisions[complete, i], decisions[complete, r]
            b = int(np.sum((mine == 1) & (theirs == 0)))
            c = int(np.sum((mine == 0) & (theirs == 1)))
            row.update(
                selected=int(np.nansum(decisions[complete, i])),
                n_only_group=b,
                n_only_reference=c,
                p_value_mcnemar=mcnemar_exact(b, c),
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    table["group"] = table["group"].astype(object)
    others = ~table["is_reference"].to_numpy()
    table["p_value_holm"] = np.nan
    if highest:
        # The reference was chosen because it came out highest: comparing the
        # others with it alone (G - 1 tests) ignores that choice and fails a
        # fair scorer far more often than alpha.  Every pair of groups is a
        # comparison the choice could have made, so the family is all
        # G(G-1)/2 pairs, Holm-adjusted; each group's verdict is its pair with
        # the reference (Holm 1979 holds for any dependence among the pairs).
        first, second = np.triu_indices(G, 1)
        pair_stats = _paired_columns(kept[:, first] - kept[:, second], alpha)
        pair_p = {
            (int(a), int(b)): stats["p_value_wilcoxon"]
            for a, b, stats in zip(first, second, pair_stats)
        }
        adjusted = dict(zip(pair_p, holm(list(pair_p.values()))))
        table.loc[others, "p_value_holm"] = [
            adjusted[min(i, r), max(i, r)] for i in np.flatnonzero(others)
        ]
        n_pairs = G * (G - 1) // 2
        family = (
            f"Holm over all {n_pairs} pairs of groups (the reference was chosen as the "
            "highest mean score)"
            if G > 2
            else "one comparison of two groups, no correction needed"
        )
    else:
        table.loc[others, "p_value_holm"] = holm(table.loc[others, "p_value_wilcoxon"])
        family = (
            f"Holm over the {G - 1} comparisons with the named reference {ref}"
            if G > 2
            else "one comparison of two groups, no correction needed"
        )
    table["significant"] = (table["p_value_holm"] < alpha) & others
    if decisions is not None:
        table = _with_impact_ratios(table, decisions[complete], labels)
    return table, ref, cutoff, decisions, family


def _with_impact_ratios(
    table: pd.DataFrame, decisions: np.ndarray, labels: list[Any]
) -> pd.DataFrame:
    """Selection rates and impact ratios, from the library's audit (exact four-fifths)."""
    from adverse_impact._audits._audit import audit

    ok = ~np.isnan(decisions)
    group = np.broadcast_to(np.arange(len(labels)), decisions.shape)[ok]
    audited = audit(
        selected=decisions[ok].astype(np.uint8),
        sensitive_features={"group": np.asarray(labels, dtype=object)[group]},
    )
    rates = audited.table.set_index("group")[["rate", "impact_ratio", "four_fifths_flag"]]
    columns = list(table.columns)
    at = columns.index("selected") + 1
    merged = table.join(rates, on="group")
    order = columns[:at] + ["rate", "impact_ratio", "four_fifths_flag"] + columns[at:]
    return merged[order]


def _name_effects_scores(
    unit: np.ndarray,
    variant: np.ndarray,
    scores: np.ndarray,
    variant_group: np.ndarray,
    labels: list[Any],
    signal_text: list[str],
    alpha: float,
) -> pd.DataFrame:
    """Each variant's residuals against the rest of its group's: Welch's t test, vectorised.

    A residual is a text's score minus the mean score of the other texts of
    its unit (the same template, the other groups), which removes the
    template's effect without diluting the variant's own.
    """
    ok = ~np.isnan(scores)
    size = unit.max() + 1
    # Differences from one of the unit's own scores before summing: scores
    # far from 0 (1e6 + noise) keep their digits (exact for two texts a unit).
    pivot = np.zeros(size)
    pivot[unit[ok][::-1]] = scores[ok][::-1]
    shifted = scores - pivot[unit]
    unit_sum = np.bincount(unit[ok], weights=shifted[ok], minlength=size)
    unit_n = np.bincount(unit[ok], minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        others = (unit_sum[unit] - shifted) / (unit_n[unit] - 1)
    residual = shifted - others
    ok &= np.isfinite(residual)
    n_variants, n_groups = len(variant_group), len(labels)
    v, r = variant[ok], residual[ok]
    g = variant_group[v]
    # Two passes (Welford's point, Chan et al. 1983): centre every residual on
    # its group's mean before squaring.  The one-pass q - n m^2 cancels
    # catastrophically on shifted scores (p 0.288 where scipy gives 0.129).
    group_n = np.bincount(g, minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        group_mean = np.bincount(g, weights=r, minlength=n_groups) / group_n
        # A correction pass: the mean of what is left (the first mean's rounding).
        group_mean += np.bincount(g, weights=r - group_mean[g], minlength=n_groups) / group_n
    c = r - group_mean[g]
    n1 = np.bincount(v, minlength=n_variants).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = np.bincount(v, weights=c, minlength=n_variants) / n1  # variant mean, centred
    # Second pass: squares about the variant's own mean, exact for the variant.
    ss1 = np.bincount(v, weights=(c - c1[v]) ** 2, minlength=n_variants)
    largest = np.zeros(n_variants)
    np.maximum.at(largest, v, np.abs(r))
    gn = group_n[variant_group]
    n2 = gn - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        c2 = np.where(n2 > 0, -n1 * np.nan_to_num(c1) / n2, np.nan)  # rest's mean, centred
        # The group's squares about its (centred) mean 0, less the variant's about 0,
        # less the rest's n2 * c2^2: the rest's squares about its own mean.
        ss_group = np.bincount(g, weights=c * c, minlength=n_groups)[variant_group]
        ss2 = ss_group - (ss1 + n1 * np.nan_to_num(c1) ** 2) - n2 * c2**2
        v1 = ss1 / (n1 - 1)
        v2 = np.maximum(ss2, 0.0) / (n2 - 1)
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        t = (c1 - c2) / se
        p = 2 * sps.t.sf(np.abs(t), df)
        # The one-sided test behind the headline pools the two sides'
        # variances (Student's t, as scipy's ttest_ind(equal_var=True)):
        # Welch's degrees of freedom fail in the far tail when a name has two
        # or three texts (P(p < 1e-4) = 2.1% instead of 0.01% with 2 against
        # 200 normal values, 20,000 seeded draws), and Benjamini-Hochberg over
        # 800 names works in that tail.  A name's texts share its group's
        # noise, so the pooled variance is the right one under the null.
        pooled = (ss1 + np.maximum(ss2, 0.0)) / (n1 + n2 - 2)
        se_pooled = np.sqrt(pooled * (1 / n1 + 1 / n2))
        p_below = sps.t.cdf((c1 - c2) / se_pooled, n1 + n2 - 2)
    group_largest = np.zeros(n_groups)
    np.maximum.at(group_largest, variant_group, largest)
    scale = np.maximum(1.0, group_largest[variant_group])
    gap = c1 - c2
    # No variation within either side (a deterministic scorer): a gap is
    # certain, its absence too.
    flat = se <= 1e-12 * scale
    none = np.abs(gap) <= 1e-12 * scale
    p = np.where(flat, np.where(none, 1.0, 0.0), p)
    flat_pooled = se_pooled <= 1e-12 * scale
    p_below = np.where(flat_pooled, np.where(none | (gap > 0), 1.0, 0.0), p_below)
    usable = (n1 >= 2) & (n2 >= 2)
    p = np.where(usable, p, np.nan)
    p_below = np.where(usable, p_below, np.nan)
    used = np.flatnonzero(n1 > 0)
    used = used[np.lexsort((used, variant_group[used]))]
    rows = pd.DataFrame(
        {
            "group": np.asarray(labels, dtype=object)[variant_group[used]],
            "variant": used,
            "signal": np.asarray(signal_text, dtype=object)[used],
            "n": n1[used].astype(int),
            "effect": gap[used],
            "p_value": p[used],
            "p_value_below": p_below[used],
        }
    )
    return _adjust_names(rows.to_dict(orient="records"), alpha)


def _name_effects_ranks(frame: pd.DataFrame, k: int, alpha: float) -> pd.DataFrame:
    """Each variant's top-k rate against the rest of its group's, Fisher's exact test."""
    from adverse_impact._stats._tests import fisher_exact

    ok = frame[frame["answered"]]
    top = (ok["rank"] <= k).to_numpy()
    ok = ok.assign(top=top)
    per = (
        ok.groupby(["group", "variant"], sort=True)
        .agg(signal=("signal", "first"), n=("top", "size"), selected=("top", "sum"))
        .reset_index()
    )
    group_n = per.groupby("group")["n"].transform("sum")
    group_sel = per.groupby("group")["selected"].transform("sum")
    n_rest, sel_rest = group_n - per["n"], group_sel - per["selected"]
    rows = []
    p = np.full(len(per), np.nan)
    p_below = np.full(len(per), np.nan)
    usable = (per["n"] > 0) & (n_rest > 0)
    if usable.any():
        test = fisher_exact(
            per.loc[usable, "selected"].to_numpy(),
            per.loc[usable, "n"].to_numpy(),
            sel_rest[usable].to_numpy(),
            n_rest[usable].to_numpy(),
        )
        p[usable.to_numpy()] = np.asarray(test.p_value, dtype=float)
        p_below[usable.to_numpy()] = np.asarray(test.p_value_less, dtype=float)
    for i, row in enumerate(per.itertuples(index=False)):
        rest_rate = sel_rest.iloc[i] / n_rest.iloc[i] if n_rest.iloc[i] else math.nan
        rows.append(
            {
                "group": row.group,
                "variant": row.variant,
                "signal": row.signal,
                "n": int(row.n),
                "effect": row.selected / row.n - rest_rate,
                "p_value": float(p[i]),
                "p_value_below": float(p_below[i]),
            }
        )
    return _adjust_names(rows, alpha)


def _adjust_names(rows: list[dict[str, Any]], alpha: float) -> pd.DataFrame:
    """Benjamini-Hochberg over the variants' one-sided p-values: which score *below*.

    The finding a reader acts on is a name penalised against its own group,
    so the test is one-sided and named before the data; a name scoring above
    its group is not counted with the ones below (the two-sided ``p_value``
    stays for the record).
    """
    columns = ["group", "variant", "signal", "n", "effect", "p_value", "p_value_below"]
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = benjamini_hochberg(table["p_value_below"].to_numpy(dtype=float))
    table["flagged"] = table["q_value"] < alpha
    return table


# -- the public function ----------------------------------------------------------------


@validate_params()
def paired_test(
    scorer: Any,
    templates: Any,
    *,
    signals: Any = "names",
    kind: str = "score",
    n_repeats: int = 1,
    k: int = 1,
    threshold: float | None = None,
    select_top: float | None = None,
    positions: str = "balanced",
    random_state: int | np.random.Generator | None = None,
    cache: Any = None,
    max_calls: int | None = None,
    reference: Any = "highest",
    alpha: float = 0.05,
    batch_size: int | None = None,
    n_jobs: int = 1,
    progress: bool | Callable[[str], None] = False,
    scorer_id: str | None = None,
    pos_label: Any = 1,
    ties: str = "error",
) -> PairedTestResult:
    """Run a paired (correspondence) test of any scorer: only the signal of group changes.

    The same resumes are scored with only a name (or another signal of
    group membership) changed, so any difference in score, decision or
    rank is caused by the signal.  Works for scorers that cannot be opened:
    a language model asked to rank resumes, an embedding retriever, a
    vendor's API, wrapped in a Python function.

    Parameters
    ----------
    scorer : fitted classifier or callable
        ``kind="score"``: a fitted scikit-learn text model (scores from
        ``predict_proba``, ``decision_function`` or ``predict``, as in
        :func:`adverse_impact.audit_model`) or a function taking a list of
        texts and returning one score per text (higher is better).
        ``kind="rank"``: a function taking one prompt's candidate texts and
        returning their order, best first, as indices into the list (a
        candidate left out is counted as never ranked).
    templates : sequence of str
        Resume texts with a slot, ``{name}`` or any column name of
        ``signals`` written in braces.
    signals : "names" or DataFrame, default "names"
        ``"names"``: the 800 names of :func:`adverse_impact.datasets.load_names`
        (100 per race x sex cell).  A DataFrame: one row per variant, a
        column per slot (its name in braces in the templates) and one or more
        group columns (their combination is the group, labelled as
        :func:`adverse_impact.audit` labels intersections: ``"B | M"``).
    kind : {"score", "rank"}, default "score"
    n_repeats : int, default 1
        Pointwise: each template is scored ``n_repeats`` times per group, each
        time with a different variant (name) while the group has unused ones;
        ``n_repeats`` equal to the group size scores every template with every
        variant (the full design).  Ranker: blocks of prompts (one Latin
        square each, below).
    k : int, default 1
        Ranker: "selected" means ranked in the top ``k``.
    threshold, select_top : optional
        Pointwise: a decision rule (as in :func:`adverse_impact.audit_model`),
        adding selection rates, impact ratios and McNemar's exact test.
    ties : {"error", "random"}, default "error"
        Pointwise with ``select_top``: tied scores that straddle the cut-off
        are refused, or broken at random (seeded by ``random_state``), as in
        :func:`adverse_impact.audit_model`.  A scorer that ignores the signal
        gives every variant of a template the same score, so a top-k cut-off
        often falls inside such a tie: ``threshold=`` avoids the question.
    positions : {"balanced", "random"}, default "balanced"
        Ranker: display positions counterbalanced by Latin squares (every
        group in every position equally often), or shuffled at random.
    random_state : int, Generator or None
        Seeds which variant goes where.
    cache : path, optional
        A directory storing each answer under a hash of the scorer's identity
        and the text (see ``scorer_id``): a rerun, or a run resumed after a
        crash, pays only for what is missing.
    max_calls : int, optional
        Refuse, before calling anything, a design needing more scorer calls
        (after the cache); the error says how many it needs.  ``0`` means
        "cache only": answer from ``cache`` and call nothing.
    reference : "highest" or group label, default "highest"
        The comparison group: by default the group with the highest mean score
        (pointwise) or top-k rate (ranker).  Pointwise, "N group(s) differ"
        then controls the family-wise error over every pair of groups (Holm),
        because the reference was chosen by the data; a named reference is
        compared with the others alone (Holm over ``G - 1`` comparisons).
    alpha : float, default 0.05
        For the intervals (``1 - alpha``), Holm's control over groups and
        Benjamini-Hochberg's over variants.
    batch_size : int, optional
        Pointwise: texts per scorer call (default: all in one call; pass e.g.
        20 for an API).  A ranker is called once per prompt.
    n_jobs : int, default 1
        Threads calling the scorer (for scorers that wait on a network); the
        result does not depend on it.
    progress : bool or callable, default False
        Show calls done and time left on stderr, or pass each line to a function.
    scorer_id : str, optional
        The scorer's identity for the cache (e.g. ``"gpt-4o-2024-08-06/prompt-v3"``);
        default a fingerprint of the model's pickled state or the function's code.
    pos_label : default 1
        The class meaning "selected", for a classifier.

    Returns
    -------
    PairedTestResult
        ``table`` (per group), ``name_effects`` (per variant), ``scores``
        (every answer), ``failures`` (every failed call), and for rankers
        ``rankings``, the ranking audit.

    Notes
    -----
    *Pointwise design.* A unit is one template asked once per group, each
    group's text carrying a variant of that group; the variants of a group
    are dealt in rounds, each a fresh shuffle, so every variant is used
    equally often (within one), a template's units take distinct variants
    unless they straddle two rounds (with ``n_repeats`` equal to the group size
    each template gets every variant), and partners change from round to
    round.
    Per group, the paired differences (group minus reference, within unit)
    give the mean difference with its t interval, the paired t test and
    Wilcoxon's signed-rank test (``scipy.stats.wilcoxon`` defaults: zero
    differences dropped, exact distribution for small samples without ties);
    Holm's method controls the error rate over the groups, on Wilcoxon's
    p-values.  With several repeats, units sharing a template are treated as
    independent pairs: the difference within a unit removes the template's
    own effect, leaving only template-by-group interactions shared.  When
    every pair differs by the same amount (a deterministic scorer adding a
    constant), the t statistic is undefined: its p-value is reported as 0
    (1 when the amount is 0), the interval as that amount.  With a
    decision rule, McNemar's exact test (binomial on the discordant pairs)
    compares each group's decisions with the reference's.

    *Ranker design.* Each prompt holds one candidate per group.  Each repeat
    is a block of as many prompts as groups, laid out by two random Latin
    squares: one gives every group every display position once, the other
    every template slot once (templates cycle over blocks when there are more
    templates than groups).  Each prompt draws a fresh variant per group.  The
    generated rankings go to :func:`adverse_impact.audit_rankings` with the
    display position as a nuisance factor.

    *"N group(s) differ".* With ``reference="highest"`` the family is every
    pair of groups (Holm over G(G-1)/2 Wilcoxon p-values), because the
    reference was chosen by the data; with a named reference, its G - 1
    comparisons.  ``family`` says which.

    *Variant effects.* For a pointwise scorer: each variant's mean residual
    (its score minus the mean of the other texts of its unit) against its
    group's other variants: Welch's t test two-sided (``p_value``), and the
    one-sided test behind the headline, Student's t with pooled variance
    (``p_value_below``; Welch's degrees of freedom fail in the far tail with
    two or three texts a name); for a ranker, its top-k rate against the rest
    of its group's, Fisher's exact test.  Benjamini-Hochberg q-values over all
    variants of the one-sided p-values: the names that score *below* their
    group.

    *Failures.* A call that raises, or returns the wrong number of scores or
    an invalid order, is recorded in ``failures``; its texts have no score and
    the units or prompts they belong to are left out whole and counted
    (``n_pairs_lost``, units); ``failed_by_group`` says where they fell.  If
    every call fails, an error is raised instead.  A scorer whose fingerprint
    changes while it runs (mutable state) warns with ``CacheMissWarning``
    when ``cache`` is given without ``scorer_id``.

    Examples
    --------
    A scorer that takes 0.1 off for an all-women's college:

    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> signals = pd.DataFrame({"college": ["Wellesley College", "Dalton College"],
    ...                         "type": ["women's", "co-ed"]})
    >>> templates = [f"Python, SQL; {i} years; {{college}}" for i in range(30)]
    >>> def scorer(texts):
    ...     return [int(t.split()[2]) / 30 - 0.1 * ("Wellesley" in t) for t in texts]
    >>> result = ai.paired_test(scorer, templates, signals=signals, threshold=0.51)
    >>> row = result.table.set_index("group").loc["women's"]
    >>> print(f"{row['mean_diff']:.3f} {row['impact_ratio']:.3f}")
    -0.100 0.786
    >>> bool(row["p_value_wilcoxon"] < 1e-5), bool(row["significant"])
    (True, True)
    >>> int(row["n_only_group"]), int(row["n_only_reference"]), float(row["p_value_mcnemar"])
    (0, 3, 0.25)
    >>> result.n_calls, result.n_pairs_lost
    (1, 0)
    """
    texts = _check_templates(kind, templates)
    n_repeats = check_scalar(n_repeats, "n_repeats", int, low=1, example="n_repeats=5")
    k = check_scalar(k, "k", int, low=1, example="k=1")
    alpha = check_alpha(alpha)
    n_jobs = check_n_jobs(n_jobs)
    batch_size, max_calls = _check_call_limits(batch_size, max_calls)
    _check_layout(kind, positions, scorer, threshold, select_top)
    variants = _variants(signals, texts)
    rng = np.random.default_rng(random_state)
    identity = scorer_id if scorer_id is not None else scorer_identity(scorer, kind)
    store = ScoreCache(cache, identity) if cache is not None else None
    study = _Study(
        scorer,
        texts,
        variants,
        rng,
        n_repeats,
        reference,
        alpha,
        store,
        max_calls,
        n_jobs,
        progress,
    )
    if kind == "score":
        run = _pointwise_run(
            study,
            batch_size=batch_size,
            pos_label=pos_label,
            threshold=threshold,
            select_top=select_top,
            ties=ties,
        )
    else:
        run = _ranker_run(study, positions=positions, k=k)
    if store is not None and scorer_id is None:
        _warn_if_identity_moved(scorer, kind, identity)
    log = study.log
    return PairedTestResult(
        kind=kind,
        n_templates=len(texts),
        n_variants=len(variants.frame),
        n_groups=len(variants.labels),
        n_repeats=n_repeats,
        n_calls=log.n_calls,
        n_cached=log.n_cached,
        n_failed_calls=len(log.failures),
        alpha=alpha,
        _failures=pd.DataFrame(
            log.failures, columns=["call", "questions", "n_texts", "error", "message"]
        ),
        **run.fields(),
    )


def _check_call_limits(batch_size: Any, max_calls: Any) -> tuple[int | None, int | None]:
    """``batch_size`` and ``max_calls``: positive whole numbers or None (``max_calls`` may be 0)."""
    if batch_size is not None:
        batch_size = check_scalar(batch_size, "batch_size", int, low=1, example="batch_size=20")
    if max_calls is not None:
        max_calls = check_scalar(
            max_calls, "max_calls", int, low=0, example="max_calls=1000 (or 0: cache only)"
        )
    return batch_size, max_calls


def _warn_if_identity_moved(scorer: Any, kind: str, before: str) -> None:
    """Warn when calling the scorer changed its fingerprint: a rerun will miss the cache.

    A scorer that refers to mutable state (a call counter, a random
    generator, a list it appends to) changes its own fingerprint each time it
    runs, so its answers are stored under an identity no rerun computes.
    """
    if scorer_identity(scorer, kind) != before:
        warnings.warn(
            "scorer: its fingerprint changed while it ran (it refers to mutable state, such "
            "as a call counter or a random generator), so a rerun will not find these "
            "answers in the cache and will pay for them again. Pass scorer_id= (e.g. the "
            "model and prompt version) to key the cache by a name you choose",
            CacheMissWarning,
            stacklevel=3,
        )


class CacheMissWarning(UserWarning):
    """A paired test's cached answers will not be found by a rerun (see ``scorer_id``)."""


def _check_templates(kind: str, templates: Any) -> list[str]:
    """The checks of the design's kind and of the templates; returns the templates."""
    if kind not in _KINDS:
        raise input_error(
            "kind",
            f"{kind!r} is not one of {list(_KINDS)}",
            "Pass kind='score' for a pointwise scorer, 'rank' for a ranker",
        )
    texts, missing = as_texts(templates, "templates")
    if not texts or missing:
        raise input_error(
            "templates",
            "is empty or holds missing texts" if texts else "is empty",
            "Pass one or more resume texts with a slot such as {name}",
        )
    return texts


def _check_layout(kind: str, positions: str, scorer: Any, threshold: Any, select_top: Any) -> None:
    """The checks of the positions, and of a ranker (a function, with no score to cut)."""
    if positions not in ("balanced", "random"):
        raise input_error(
            "positions",
            f"{positions!r} is not 'balanced' or 'random'",
            "Pass positions='balanced' (Latin squares) or 'random'",
        )
    if kind == "rank":
        if not callable(scorer) or hasattr(scorer, "predict"):
            raise type_error(
                "scorer",
                "a ranker must be a function of one prompt's texts",
                "Wrap it: def rank(texts): return order_best_first",
            )
        if threshold is not None or select_top is not None:
            raise input_error(
                "threshold",
                "a ranker has no score to cut",
                "Use k= to say how many top places count as selected",
            )


@dataclasses.dataclass(frozen=True, slots=True)
class _Variants:
    """The signal's variants: their table, group of each, and slot values."""

    frame: pd.DataFrame
    group_columns: list[str]
    labels: list[Any]
    members: list[np.ndarray]
    slot_values: list[dict[str, str]]
    signal_text: list[str]


def _variants(signals: Any, texts: list[str]) -> _Variants:
    """The variants of ``signals`` read for ``texts``, grouped by their group columns."""
    frame, slots, group_columns = _load_signals(signals, texts)
    labels_of_rows = _labels(frame, group_columns)
    labels = sorted(set(labels_of_rows), key=str)
    slot_values = frame[slots].astype(str).to_dict(orient="records")
    return _Variants(
        frame=frame,
        group_columns=group_columns,
        labels=labels,
        members=[np.flatnonzero(labels_of_rows == g) for g in labels],
        slot_values=slot_values,
        signal_text=[" / ".join(v.values()) for v in slot_values],
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Study:
    """What both designs share: the scorer and its texts, the seed, the analysis settings,
    how the scorer is called (cache, budget, threads, progress) and the log of the calls."""

    scorer: Any
    texts: list[str]
    variants: _Variants
    rng: np.random.Generator
    n_repeats: int
    reference: Any
    alpha: float
    cache: ScoreCache | None
    max_calls: int | None
    n_jobs: int
    progress: Any
    log: CallLog = dataclasses.field(default_factory=CallLog)

    def call(
        self,
        ask: Callable[[list[str]], list[Any]],
        questions: list[list[str]],
        batch_size: int | None,
    ) -> list[Any]:
        """The scorer's answer to every question (None where its call failed)."""
        return run_calls(
            ask,
            questions,
            batch_size=batch_size,
            cache=self.cache,
            max_calls=self.max_calls,
            n_jobs=self.n_jobs,
            progress=self.progress,
            log=self.log,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _Run:
    """What one design's run gives the result: its tables, counts and method (named as
    the result's fields)."""

    reference: Any
    cutoff: float | None
    method: str
    rankings: Any
    n_units: int
    n_texts: int
    n_failed: int
    n_pairs_lost: int
    family: str
    failed_by_group: Mapping[str, int]
    _table: pd.DataFrame
    _names: pd.DataFrame
    _scores: pd.DataFrame

    def fields(self) -> dict[str, Any]:
        """The fields by name, for :class:`PairedTestResult`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _pointwise_run(
    study: _Study,
    *,
    batch_size: int | None,
    pos_label: Any,
    threshold: float | None,
    select_top: float | None,
    ties: str,
) -> _Run:
    """Score every unit's texts, one per group, and analyse the paired differences."""
    variants, texts, n_repeats, rng = study.variants, study.texts, study.n_repeats, study.rng
    G = len(variants.labels)
    n_units = len(texts) * n_repeats
    picks = _variant_picks(n_units, variants.members, rng)
    # Unit u = template u // n_repeats; group g's text is the template
    # filled with the unit's pick for g.
    unit = np.repeat(np.arange(n_units), G)
    group_index = np.tile(np.arange(G), n_units)
    variant = picks.ravel()
    template = unit // n_repeats
    design = [_fill(texts[t], variants.slot_values[v]) for t, v in zip(template, variant)]
    answers = study.call(
        _pointwise_asker(study.scorer, pos_label), [[t] for t in design], batch_size
    )
    scores = np.array([math.nan if a is None else float(a) for a in answers])
    _raise_if_all_failed(study.log, scores.size, int(np.isnan(scores).sum()))
    table, ref, cutoff, decisions, family = _analyse_scores(
        scores,
        unit,
        group_index,
        variants.labels,
        reference=study.reference,
        alpha=study.alpha,
        threshold=threshold,
        select_top=select_top,
        ties=ties,
        tie_state=rng,
    )
    long = pd.DataFrame(
        {
            "unit": unit,
            "template": template,
            "repeat": unit % n_repeats,
            "group": np.asarray(variants.labels, dtype=object)[group_index],
            "variant": variant,
            "signal": np.asarray(variants.signal_text, dtype=object)[variant],
            "score": scores,
        }
    )
    if decisions is not None:
        long["selected"] = decisions[unit, group_index]
    variant_group = np.empty(len(variants.frame), dtype=np.int64)
    for g, rows_of in enumerate(variants.members):
        variant_group[rows_of] = g
    failed = np.isnan(scores)
    lost = np.zeros(n_units, dtype=bool)
    lost[unit[failed]] = True
    # The name effects use the same complete units as the group table.
    names = _name_effects_scores(
        unit,
        variant,
        np.where(lost[unit], np.nan, scores),
        variant_group,
        variants.labels,
        variants.signal_text,
        study.alpha,
    )
    method = (
        "paired differences within template x repeat units (complete units only): mean "
        "with t interval, paired t, Wilcoxon signed-rank; "
        + family
        + ("; McNemar exact on decisions" if decisions is not None else "")
    )
    return _Run(
        reference=ref,
        cutoff=cutoff,
        method=method,
        rankings=None,
        n_units=n_units,
        n_texts=len(design),
        n_failed=int(failed.sum()),
        n_pairs_lost=int(lost.sum()),
        family=family,
        failed_by_group=_count_by_group(group_index[failed], variants.labels),
        _table=table,
        _names=names,
        _scores=long,
    )


def _ranker_layout(
    n_prompts: int, G: int, n_repeats: int, positions: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each prompt's display position and template slot of each group, block by block."""
    position = np.empty((n_prompts, G), dtype=np.int64)
    slot_of = np.empty((n_prompts, G), dtype=np.int64)
    for block in range(n_repeats):
        rows = slice(block * G, (block + 1) * G)
        if positions == "balanced":
            position[rows] = _latin_square(G, rng)
        else:
            position[rows] = np.array([rng.permutation(G) for _ in range(G)])
        slot_of[rows] = _latin_square(G, rng) + block * G
    return position, slot_of


def _ranker_run(study: _Study, *, positions: str, k: int) -> _Run:
    """Ask the ranker to order every prompt, one candidate per group, and audit the rankings."""
    variants, texts, n_repeats, rng = study.variants, study.texts, study.n_repeats, study.rng
    G = len(variants.labels)
    n_prompts = n_repeats * G
    picks = _variant_picks(n_prompts, variants.members, rng)
    position, slot_of = _ranker_layout(n_prompts, G, n_repeats, positions, rng)
    template = slot_of % len(texts)
    prompts = []
    for p in range(n_prompts):
        shown = np.argsort(position[p])  # group shown at each position
        prompts.append(
            [_fill(texts[template[p, g]], variants.slot_values[picks[p, g]]) for g in shown]
        )
    answers = study.call(_ranker_asker(study.scorer), prompts, 1)
    n_failed = sum(a is None for a in answers)
    _raise_if_all_failed(study.log, n_prompts, n_failed)
    long, lost_units = _ranker_frame(answers, position, template, picks, variants)
    from adverse_impact._blackbox._rankings import audit_rankings

    rankings = audit_rankings(
        long[long["answered"]],
        prompt="prompt",
        sensitive_features=variants.group_columns,
        rank="rank",
        position="position",
        k=k,
        alpha=study.alpha,
        reference=study.reference,
        random_state=int(rng.integers(2**32)),
    )
    names = _name_effects_ranks(long, k, study.alpha)
    # The per-group table is the ranking audit's, for the groups as defined
    # here (the intersection of the group columns).
    ranked = rankings.table
    attribute = " x ".join(variants.group_columns)
    table = ranked[ranked["attribute"] == attribute].drop(columns="attribute")
    table = table.reset_index(drop=True)
    method = (
        f"ranker, one candidate per group per prompt, positions "
        f"{'counterbalanced by Latin squares' if positions == 'balanced' else 'random'}"
        f"; selected = rank <= {k}; tests by audit_rankings"
    )
    return _Run(
        reference=table.loc[table["is_reference"], "group"].iloc[0],
        cutoff=None,
        method=method,
        rankings=rankings,
        n_units=n_prompts,
        n_texts=n_prompts,
        n_failed=n_failed,
        n_pairs_lost=len(lost_units),
        family=(f"Holm over the {G} groups' top-{k} counts against the design's expectation"),
        # A failed prompt loses every group's candidate: no group is singled out.
        failed_by_group={},
        _table=table,
        _names=names,
        _scores=long,
    )


def _count_by_group(group_index: np.ndarray, labels: list[Any]) -> Mapping[str, int]:
    """Unanswered texts per group (groups without any left out)."""
    counts = np.bincount(group_index, minlength=len(labels))
    return read_only({str(g): int(c) for g, c in zip(labels, counts) if c})


def _raise_if_all_failed(log: CallLog, n: int, n_failed: int) -> None:
    if n and n_failed == n:
        first = log.failures[0] if log.failures else {"error": "?", "message": ""}
        raise input_error(
            "scorer",
            f"every call failed ({len(log.failures):,} calls; first: "
            f"{first['error']}: {first['message']})",
            "Call the scorer on one template by hand and fix the error",
        )


def _ranker_frame(
    answers: list[Any],
    position: np.ndarray,
    template: np.ndarray,
    picks: np.ndarray,
    variants: _Variants,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per candidate shown: prompt, position, group columns, variant, rank."""
    n_prompts, G = position.shape
    rank = np.full((n_prompts, G), np.nan)
    answered = np.zeros(n_prompts, dtype=bool)
    for p, order in enumerate(answers):
        if order is None:
            continue
        answered[p] = True
        shown = np.argsort(position[p])
        for r, index in enumerate(order):
            rank[p, shown[int(index)]] = r + 1
    variant = picks.ravel()
    long = pd.DataFrame(
        {
            "prompt": np.repeat(np.arange(n_prompts), G),
            "position": position.ravel() + 1,
            "template": template.ravel(),
            "group": np.asarray(variants.labels, dtype=object)[np.tile(np.arange(G), n_prompts)],
            "variant": variant,
            "signal": np.asarray(variants.signal_text, dtype=object)[variant],
            "rank": rank.ravel(),
            "answered": np.repeat(answered, G),
        }
    )
    for column in variants.group_columns:
        long[column] = variants.frame[column].to_numpy(dtype=object)[variant]
    return long, np.flatnonzero(~answered)
