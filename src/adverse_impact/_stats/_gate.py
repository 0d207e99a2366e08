"""The one pass/fail protocol: a gate's arguments, its verdict, and its message.

Every result that judges adverse impact answers the same three calls:

- ``gate(min_ratio=0.8, alpha=None, rule=None) -> GateVerdict``: pass or fail, the
  failing groups with their figures, the rule in words, the family of comparisons
  and its correction;
- ``passes(min_ratio=0.8, alpha=None, rule=None) -> bool``: exactly ``gate(...).passes``;
- ``failing(min_ratio=0.8, alpha=None, rule=None)``: a boolean mask of the rows of
  ``to_frame()``, where the verdict is a verdict on those rows.

The rule is checked here once (:func:`gate_arguments`): a result says which rules it
can decide and at which ``alpha`` and ``min_ratio``, and an argument it cannot honour
is refused with an :class:`~adverse_impact.InputError` naming it and the fix, never
ignored.  The text a failing gate shows (the pytest assertion, the command line's exit
line, the audit log's entry) is built from the verdict alone
(:meth:`GateVerdict.message`, :meth:`GateVerdict.describe`), so it reads the same
wherever it is shown.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import RULES
from adverse_impact._core._shape import ResultShape
from adverse_impact._core._validation import check_min_ratio, check_rule
from adverse_impact._stats import PUBLIC

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    *PUBLIC["_gate"],
    "FEW_PEOPLE_ADVICE",
    "MESSAGE_GROUPS",
    "RULE_WORDS",
    "GateArguments",
    "Gated",
    "SupportsGate",
    "criterion",
    "few_people_text",
    "gate_arguments",
    "notes_for",
    "row_detail",
    "verdict",
]

#: The rules in words, as an audit of selection decisions applies them.
RULE_WORDS = {
    "four_fifths": "impact ratio below {ratio}",
    "significance": "significantly lower at alpha {alpha:g}",
    "both": "impact ratio below {ratio} and significantly lower at alpha {alpha:g}",
    "either": "impact ratio below {ratio} or significantly lower at alpha {alpha:g}",
}

#: Failing groups a message lists one per line before "... and N more".
MESSAGE_GROUPS = 20

#: Said under a failing gate when a failing group rests on a handful of people.
FEW_PEOPLE_ADVICE = (
    "A flag that rests on a handful of people is weak evidence: the Uniform Guidelines "
    "(Q&A 21) look at more data\nbefore acting on it (docs: Release gates, 'When a flag "
    "rests on a handful of people')."
)


@runtime_checkable
class SupportsGate(Protocol):
    """A result a release gate can judge: it has ``gate(min_ratio, alpha, rule)``."""

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict: ...


class Gated:
    """Mixin of every result with a gate: ``passes(...)`` is ``gate(...).passes``.

    The class defines ``gate(min_ratio, alpha, rule)``; the pass/fail answer is
    written here once, so it cannot drift from the verdict a report, the command
    line or the audit log shows.
    """

    __slots__ = ()

    def passes(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> bool:
        """True when the gate passes: exactly ``gate(min_ratio, alpha, rule).passes``.

        The parameters, the rule and the family of comparisons are those of
        this result's ``gate``.
        """
        return self.gate(min_ratio, alpha, rule).passes  # type: ignore[attr-defined]


class RowGated(Gated):
    """Mixin of a gated result whose gate is a mask over the rows of its table.

    The class defines ``_gate_arguments(min_ratio, alpha, rule)`` (the checked
    arguments, with its own defaults) and ``_failing(arguments)`` (the mask); the
    public ``failing`` that joins them is written here once.
    """

    __slots__ = ()

    def failing(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> np.ndarray:
        """Boolean mask of the table rows that fail the gate; see ``gate``.

        Raises :class:`~adverse_impact.InputError` when the result cannot be
        judged (an audit in which no one, or everyone, was selected): a gate
        must not pass what it cannot judge.
        """
        arguments = self._gate_arguments(min_ratio, alpha, rule)  # type: ignore[attr-defined]
        return self._failing(arguments)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class GateVerdict(ResultShape):
    """A gate's decision on a result: pass or fail, why, and with what error rate.

    Returned by the ``gate()`` method of every result that judges adverse impact
    (:meth:`AuditResult.gate`, :meth:`FunnelResult.gate`, :meth:`MonitorResult.gate`,
    ...); what the command line prints, the pytest assertion raises and the audit
    log records.

    Attributes
    ----------
    passes : bool
    rule : str
        ``"four_fifths"``, ``"significance"``, ``"both"`` or ``"either"``.
    min_ratio : str
        The impact-ratio floor, as written.
    alpha : float or None
        The family's significance level (None when no test decided).
    failing : tuple of str
        ``"attribute=group"`` of every failing group (prefixed ``"stage: "`` in a
        funnel, ``"tier: "`` in tiers; the group alone in a paired test, whose
        groups are the levels of one signal).
    family : str
        The family of comparisons and the correction behind a significance rule,
        or what a four-fifths verdict rests on when it is not a ratio of counts
        (empty under four-fifths alone, which is not a test).
    criterion : str
        The rule in words, as this result applies it (e.g. "impact ratio below
        0.8", or for a monitor "confidence sequence wholly below 0.8").
    details : tuple of str
        The figures behind each failing group, aligned with ``failing``.
    notes : tuple of str
        Sentences that qualify the verdict (e.g. a flag resting on few people).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> result = ai.audit(selected=[1, 0, 0, 1] * 25,
    ...                   sensitive_features={"sex": ["F", "F", "M", "M"] * 25})
    >>> result.gate()
    GateVerdict: passes; rule four_fifths: impact ratio below 0.8
    """

    passes: bool
    rule: str
    min_ratio: str
    alpha: float | None
    failing: tuple[str, ...]
    family: str
    criterion: str
    details: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def _headline(self) -> str:
        return f"GateVerdict: {self.describe()}"

    def describe(self) -> str:
        """The verdict in one line: pass or fail, the rule, the family, the correction."""
        n = len(self.failing)
        head = (
            "passes"
            if self.passes
            else f"fails: {n} group{'s' if n != 1 else ''} ({', '.join(self.failing)})"
        )
        text = f"{head}; rule {self.rule}: {self.criterion}"
        return f"{text}; {self.family}" if self.family else text

    def message(self) -> str:
        """The gate's message: first line the finding, then the family, each failing
        group with its figures, and the notes.

        The one text of a gate's decision: the pytest assertion raises it (tables
        follow), the command line prints it when its exit status follows the gate.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.audit(selected=[1] * 12 + [0] * 28 + [1] * 48 + [0] * 32,
        ...                   sensitive_features={"sex": ["F"] * 40 + ["M"] * 80})
        >>> print(result.gate().message())
        adverse impact: 1 group fails the rule (impact ratio below 0.8)
          sex=F: impact ratio 0.500, 12 of 40 selected
        """
        n = len(self.failing)
        if self.passes:
            head = f"adverse impact: no group fails the rule ({self.criterion})"
        else:
            head = (
                f"adverse impact: {n} group{'s' if n != 1 else ''} "
                f"fail{'s' if n == 1 else ''} the rule ({self.criterion})"
            )
        lines = [head]
        if self.family:
            lines.append(self.family[0].upper() + self.family[1:])
        details = self.details if len(self.details) == n else ("",) * n
        lines += [
            f"  {item}: {detail}" if detail else f"  {item}"
            for item, detail in zip(self.failing[:MESSAGE_GROUPS], details)
        ]
        if n > MESSAGE_GROUPS:
            lines.append(f"  ... and {n - MESSAGE_GROUPS:,} more (every one is in failing)")
        lines += list(self.notes)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The failing groups, one row each: ``failing`` (the label) and ``detail``."""
        import pandas as pd

        details = self.details if len(self.details) == len(self.failing) else None
        return pd.DataFrame(
            {
                "failing": pd.Series(self.failing, dtype=object),
                "detail": pd.Series(
                    details if details is not None else [""] * len(self.failing), dtype=object
                ),
            }
        )

    def __repr__(self) -> str:
        return self._headline()

    def _repr_html_(self) -> str:
        return f"<p><strong>GateVerdict</strong>: {html.escape(self.describe())}</p>"


class GateArguments(NamedTuple):
    """The gate's arguments once checked: the rule decided, the floor exact, the level."""

    rule: str
    min_ratio: Fraction
    alpha: float | None


def gate_arguments(
    min_ratio: Any,
    alpha: Any,
    rule: Any,
    *,
    result: str,
    rules: Iterable[str] = RULES,
    why: str = "",
    default: str | None = None,
    default_alpha: float = 0.05,
    fixed_alpha: float | None = None,
    alpha_fix: str = "",
    fixed_min_ratio: float | None = None,
    min_ratio_fix: str = "",
) -> GateArguments:
    """Check a gate's ``min_ratio``, ``alpha`` and ``rule`` against what a result can decide.

    Parameters
    ----------
    min_ratio, alpha, rule
        As given to ``gate()``.
    result : str
        The result's class name, for the messages.
    rules : iterable of str
        The rules the result can decide; another is refused (``why`` says why).
    default : str, optional
        The rule when ``rule`` is None, if not the usual one (four-fifths, or
        ``"both"`` when ``alpha`` is given).
    default_alpha : float
        The level a significance rule uses when ``alpha`` is None (the result's own).
    fixed_alpha : float, optional
        The only level the result can decide at (its tests were run at it); another
        ``alpha`` is refused with ``alpha_fix``.
    fixed_min_ratio : float, optional
        The only floor the result can decide at; another is refused with
        ``min_ratio_fix`` when the rule reads the floor.

    Returns
    -------
    GateArguments
        ``alpha`` is the level a significance rule decides at, None under four-fifths.

    Examples
    --------
    >>> from adverse_impact._stats._gate import gate_arguments
    >>> gate_arguments(0.8, 0.05, None, result="AuditResult")
    GateArguments(rule='both', min_ratio=Fraction(4, 5), alpha=0.05)
    >>> gate_arguments(0.8, 0.05, None, result="ImputedAudit", rules=("four_fifths",),
    ...                why="bounds are not a test")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    adverse_impact.InputError: alpha: an ImputedAudit cannot decide at a significance level ...
    """
    rules = tuple(rules)
    floor = check_min_ratio(min_ratio)
    level = None
    if alpha is not None:
        from adverse_impact._stats._significance import check_alpha

        level = check_alpha(alpha)
    article = "an" if result[:1].lower() in "aeiou" else "a"
    tests = any(r != "four_fifths" for r in rules)
    if level is not None and not tests:
        raise input_error(
            "alpha",
            f"{article} {result} cannot decide at a significance level"
            + (f" ({why})" if why else ""),
            "Drop alpha= (the gate is four-fifths only)",
        )
    chosen = check_rule(rule, alpha) if rule is not None or default is None else default
    if chosen not in rules:
        raise input_error(
            "rule",
            f"{article} {result} cannot decide rule {chosen!r}" + (f" ({why})" if why else ""),
            f"Pass rule={rules[0]!r}" + (f" or one of {list(rules[1:])!r}" if rules[1:] else ""),
        )
    if chosen == "four_fifths":
        level = None
    elif level is None:
        level = float(default_alpha if fixed_alpha is None else fixed_alpha)
    elif fixed_alpha is not None and level != fixed_alpha:
        raise input_error(
            "alpha",
            f"{article} {result} was computed at alpha={fixed_alpha:g}, not {level:g}",
            alpha_fix or f"Drop alpha= or pass alpha={fixed_alpha:g}",
        )
    if (
        fixed_min_ratio is not None
        and chosen != "significance"
        and floor != check_min_ratio(fixed_min_ratio)
    ):
        raise input_error(
            "min_ratio",
            f"{article} {result} decides at a floor of {fixed_min_ratio:g}, not {min_ratio!r}",
            min_ratio_fix or f"Drop min_ratio= or pass min_ratio={fixed_min_ratio:g}",
        )
    return GateArguments(chosen, floor, level)


def criterion(
    rule: str, min_ratio: Any, alpha: float | None, words: Mapping[str, str] = RULE_WORDS
) -> str:
    """The rule in words, e.g. "impact ratio below 0.8 and significantly lower at alpha 0.05"."""
    return words[rule].format(ratio=min_ratio, alpha=alpha or 0.0)


def verdict(
    arguments: GateArguments,
    min_ratio: Any,
    failing: Iterable[str],
    *,
    family: str = "",
    details: Iterable[str] = (),
    notes: Iterable[str] = (),
    words: Mapping[str, str] = RULE_WORDS,
) -> GateVerdict:
    """A :class:`GateVerdict` from checked arguments and the failing groups."""
    failing = tuple(failing)
    return GateVerdict(
        passes=not failing,
        rule=arguments.rule,
        min_ratio=str(min_ratio),
        alpha=arguments.alpha,
        failing=failing,
        family=family,
        criterion=criterion(arguments.rule, min_ratio, arguments.alpha, words),
        details=tuple(details),
        notes=tuple(notes),
    )


def few_people_text(row: Mapping[str, Any]) -> str:
    """Why a failing row rests on a handful of people, or "" (Uniform Guidelines Q&A 21)."""
    # Imported here: the gate's module stays free of pandas until a message is made.
    from adverse_impact._core._render import few_people

    flips, undetectable = few_people(row)
    reasons = []
    if flips:
        reasons.append("one different selection would reverse it")
    if undetectable:
        reasons.append("too small for any rate to be significantly lower")
    return "few people: " + "; ".join(reasons) if reasons else ""


def row_detail(
    row: Mapping[str, Any],
    rule: str,
    *,
    selected: str = "selected",
    p_column: str = "p_value_adjusted",
    p_words: str = "adjusted p",
    below: Any = None,
    min_ratio: Any = Fraction(4, 5),
) -> str:
    """A failing row's figures: impact ratio, counts, the family's p and few-people notes.

    ``below`` is the row's exact decision against ``min_ratio`` (the gate's
    floor): the ratio is written with the decimals that show its side, so a
    group failing at 3,998/5,000 of the reference rate reads 0.7996, not 0.800.

    Examples
    --------
    >>> from adverse_impact._stats._gate import row_detail
    >>> row_detail({"impact_ratio": 0.5, "selected": 12, "n": 40}, "four_fifths")
    'impact ratio 0.500, 12 of 40 selected'
    >>> row_detail({"impact_ratio": 0.79996}, "four_fifths", below=True)
    'impact ratio 0.79996'
    """
    import pandas as pd

    # Imported here: the gate's module stays free of pandas until a message is made.
    from adverse_impact._core._render import decisive

    parts = []
    ratio = row.get("impact_ratio")
    if ratio is not None and not pd.isna(ratio):
        parts.append(f"impact ratio {decisive(ratio, below, min_ratio, digits=3)}")
    if row.get("selected") is not None and row.get("n") is not None:
        parts.append(f"{int(row['selected']):,} of {int(row['n']):,} {selected}")
    p = row.get(p_column)
    if rule != "four_fifths" and p is not None and not pd.isna(p):
        parts.append(f"{p_words} {float(p):.3g}")
    text = ", ".join(parts)
    few = few_people_text(row)
    return f"{text}; {few}" if few else text


def notes_for(details: Iterable[str]) -> tuple[str, ...]:
    """The advice a failing gate adds when a failing group rests on a handful of people."""
    return (FEW_PEOPLE_ADVICE,) if any("few people:" in d for d in details) else ()
