"""Parameter constraints, declared once by name: the checks, the CLI and the docs read them.

One name means one concept across the API (docs/vocabulary.md), so a
parameter's constraint is declared once, by its name, in :data:`PARAMETERS`.
A public function says ``@validate_params()`` and every parameter it shares
with the table is checked before it does any work; a function whose argument
of that name really is narrower says so with an override,
``@validate_params(k=Interval(int, 2, None))``.  ``None`` is accepted exactly
when the function's default is ``None``.  The command line builds its choices
from the same option tuples, and ``tests/core/test_params.py`` sweeps
every public function with the invalid values each constraint names.

Only the standard library is imported here (numpy on first use), so the
command line can read the options without loading the numerical stack.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from adverse_impact._core._errors import input_error, type_error

__all__ = [
    "CHECKED_IN_BODY",
    "COMPARISONS",
    "DATA_KINDS",
    "PARAMETERS",
    "PERIODS",
    "RULES",
    "SHARE_BASES",
    "SUMMARY_KINDS",
    "SUMMARY_SHARE_BASES",
    "TESTS",
    "TIES",
    "Constraint",
    "Flag",
    "Interval",
    "Options",
    "Seed",
    "constraints_of",
    "validate_params",
]

#: The gate's policies (``passes``, ``failing``, the CLI's ``--rule``).
RULES = ("four_fifths", "significance", "both", "either")
#: Each group's significance test against its comparison group.
TESTS = ("fisher", "fisher_midp", "z")
#: What each group is compared with: the reference group, or everyone else.
COMPARISONS = ("reference", "rest")
#: What to do with a top-k cut-off that falls inside a block of tied scores.
TIES = ("error", "random")
#: Which rows the 2% rule's share is taken over.
SHARE_BASES = ("known", "all")
#: The bases a published summary's 2% decisions are checked against ("either"
#: accepts a decision right under one of them).
SUMMARY_SHARE_BASES = ("either", *SHARE_BASES)
#: Which rates a published summary reports (check_summary's ``kind``).
SUMMARY_KINDS = ("auto", "selection", "scoring")
#: What an LL144 audit was run on.
DATA_KINDS = ("historical", "test")
#: A monitor's calendar periods (the keys of ``_core._counts.PERIODS``).
PERIODS = ("day", "week", "month", "quarter", "year")
#: The decimal marks of published figures (check_summary's ``decimal``).
DECIMAL_MARKS = (".", ",")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not _is_bool(value)


def _is_bool(value: Any) -> bool:
    return type(value).__name__ in ("bool", "bool_")


class Constraint:
    """What a parameter accepts: ``check`` it, ``describe`` it, name ``invalid`` values."""

    __slots__ = ()

    def check(self, value: Any, argument: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def invalid(self) -> tuple[Any, ...]:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Interval(Constraint):
    """A real number (``kind=float``) or an integer (``kind=int``) inside an interval.

    Examples
    --------
    >>> from adverse_impact._core._params import Interval
    >>> Interval(float, 0, 1, "neither", example="alpha=0.05").check(0.05, "alpha")
    0.05
    >>> Interval(float, 0, 1, "neither", example="alpha=0.05").check(1.5, "alpha")
    Traceback (most recent call last):
    ...
    adverse_impact.InputError: alpha: 1.5 is not a number in (0, 1). Pass e.g. ...
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    example: str = ""

    def describe(self) -> str:
        described = "an integer" if self.kind is int else "a number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return (
                f"{described} in {'[' if left else '('}{self.low:g}, "
                f"{self.high:g}{']' if right else ')'}"
            )
        if self.low is not None:
            return f"{described} {'>=' if left else '>'} {self.low:g}"
        if self.high is not None:
            return f"{described} {'<=' if right else '<'} {self.high:g}"
        return described

    def check(self, value: Any, argument: str) -> Any:
        wanted = self.describe()
        fix = f"Pass e.g. {self.example}" if self.example else f"Pass {wanted}"
        integer = self.kind is int
        if integer:
            ok = isinstance(value, numbers.Integral) and not _is_bool(value)
        else:
            ok = _is_real(value)
        if not ok:
            raise type_error(argument, f"{value!r} is not {wanted}", fix)
        number = int(value) if integer else float(value)
        if not integer and not math.isfinite(number):
            raise input_error(argument, f"{value!r} is not finite", fix)
        low, high, closed = self.low, self.high, self.closed
        below = low is not None and (number < low if closed in ("both", "left") else number <= low)
        above = high is not None and (
            number > high if closed in ("both", "right") else number >= high
        )
        if below or above:
            raise input_error(argument, f"{value!r} is not {wanted}", fix)
        return value

    def invalid(self) -> tuple[Any, ...]:
        out: list[Any] = ["0.5", True]
        if self.low is not None:
            out.append(self.low - 1 if self.kind is int else self.low - 0.5)
            if self.closed in ("neither", "right"):
                out.append(self.kind(self.low))
        if self.high is not None:
            out.append(self.high + 1 if self.kind is int else self.high + 0.5)
            if self.closed in ("neither", "left"):
                out.append(self.kind(self.high))
        if self.kind is int:
            out.append(2.5)
        else:
            out.append(float("nan"))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Options(Constraint):
    """One of a fixed set of values.

    Examples
    --------
    >>> from adverse_impact._core._params import Options
    >>> Options(("error", "random")).check("random", "ties")
    'random'
    """

    values: tuple[Any, ...]
    fix: str = ""

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def check(self, value: Any, argument: str) -> Any:
        try:
            known = value in self.values
        except TypeError:  # an unhashable value in a tuple of strings
            known = False
        if not known or _is_bool(value) and not any(_is_bool(v) for v in self.values):
            raise input_error(
                argument,
                f"{value!r} is not one of {list(self.values)!r}",
                self.fix or f"Pass {argument}={self.values[0]!r} or another of those",
            )
        return value

    def invalid(self) -> tuple[Any, ...]:
        return ("no-such-option", ["a", "list"])


@dataclass(frozen=True, slots=True)
class Flag(Constraint):
    """``True`` or ``False`` (numpy booleans too), never a string or a number."""

    def describe(self) -> str:
        return "True or False"

    def check(self, value: Any, argument: str) -> Any:
        if not _is_bool(value):
            raise type_error(
                argument, f"{value!r} is not True or False", f"Pass {argument}=True or False"
            )
        return value

    def invalid(self) -> tuple[Any, ...]:
        return ("yes", 2)


@dataclass(frozen=True, slots=True)
class Seed(Constraint):
    """A seed: a non-negative integer, or a numpy ``Generator`` / ``RandomState``."""

    def describe(self) -> str:
        return "a non-negative integer or a numpy Generator"

    def check(self, value: Any, argument: str) -> Any:
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            if value < 0:
                raise input_error(
                    argument, f"{value!r} is negative", f"Pass e.g. {argument}=0 (a seed)"
                )
            return value
        if type(value).__name__ == "Generator" and type(value).__module__.startswith("numpy"):
            return value
        raise type_error(
            argument,
            f"{value!r} is not {self.describe()}",
            f"Pass e.g. {argument}=0, or numpy.random.default_rng(0)",
        )

    def invalid(self) -> tuple[Any, ...]:
        return (-1, 1.5, "seed")


_SHARE = Interval(float, 0, 1, "neither")

#: Every constrained parameter of the public API, by name (docs/vocabulary.md).
PARAMETERS: Mapping[str, Constraint] = MappingProxyType(
    {
        "alpha": Interval(float, 0, 1, "neither", "alpha=0.05"),
        "confidence": Interval(float, 0, 1, "neither", "confidence=0.95"),
        "power": Interval(float, 0, 1, "neither", "power=0.8"),
        "min_ratio": Interval(float, 0, 1, "right", "min_ratio=0.8"),
        "min_share": Interval(float, 0, 1, "neither", "min_share=0.02"),
        "min_share_of": Options(SHARE_BASES),
        "tolerance": Interval(float, 0, 1, "both", "tolerance=0.005"),
        "rule": Options(RULES),
        "test": Options(TESTS),
        "comparison": Options(COMPARISONS),
        "ties": Options(TIES),
        "intersectional": Flag(),
        "random_state": Seed(),
        "n_resamples": Interval(int, 0, None, "both", "n_resamples=1999 (0: no resampling)"),
        "n_repeats": Interval(int, 1, None, "both", "n_repeats=5"),
        "cv": Interval(int, 2, None, "both", "cv=5"),
        "n_jobs": Interval(int, 1, None, "both", "n_jobs=1"),
        "max_calls": Interval(int, 0, None, "both", "max_calls=1000"),
        "batch_size": Interval(int, 1, None, "both", "batch_size=16"),
        "min_count": Interval(int, 1, None, "both", "min_count=5"),
        "top_k": Interval(int, 1, None, "both", "top_k=20"),
        "prior": Interval(float, 0, None, "neither", "prior=0.01"),
        "planned_se": Interval(float, 0, None, "neither", "planned_se=0.1"),
        "change_planned_se": Interval(float, 0, None, "neither", "change_planned_se=0.04"),
        "window": Interval(int, 1, None, "both", "window=3"),
        "impact_ratio": Interval(float, 0, None, "neither", "impact_ratio=0.8"),
        "selection_rate": _SHARE,
        "focal_share": _SHARE,
        "ratio": Interval(float, 0, None, "neither", "ratio=1.0"),
        "max_abs_change": Interval(float, 0, None, "left", "max_abs_change=0.05"),
        "max_flip_rate": Interval(float, 0, 1, "both", "max_flip_rate=0.01"),
        "max_auc": Interval(float, 0.5, 1, "both", "max_auc=0.6"),
        "min_leakage": Interval(float, 0, None, "both", "min_leakage=0.08"),
        "n_samples": Interval(int, 1, None, "both", "n_samples=10000"),
        "group_cutoffs": Flag(),
        "decimal": Options(DECIMAL_MARKS),
    }
)

#: Parameters without a constraint above: each is checked against the data it
#: describes by the function itself (with the helpers of ``_validation``), and
#: ``tests/core/test_params.py`` requires every public parameter to be in
#: one table or the other.
CHECKED_IN_BODY: Mapping[str, str] = MappingProxyType(
    {
        "data": "a table, when the other arguments name its columns",
        "selected": "0/1 decisions, a column name or an array",
        "y_pred": "0/1 decisions",
        "y_true": "actual outcomes, coded with pos_label",
        "y": "training labels",
        "pos_label": "the label of the positive outcome in y_true",
        "score": "scores, a column name or an array",
        "scores_or_model": "scores, or a fitted model",
        "thresholds": "score cut-offs, or shares selected",
        "k": "the top k: a count from 1 to the candidates shown at once",
        "progress": "True, False, or a callable given (done, total)",
        "threshold": "a score cut-off (a finite number)",
        "select_top": "a count k of candidates (1 to n) or a share in (0, 1); "
        "search_alternatives: one or several",
        "sensitive_features": "protected-attribute labels, a column name or a mapping",
        "unknown": "labels that mean 'unknown category'",
        "reference": "'highest' or a group label (or a mapping of them)",
        "sample_weight": "non-negative row weights",
        "strata": "a column of requisitions or periods",
        "stages": "funnel stages in order",
        "time": "a date or period column",
        "period": "a calendar period or a column of periods",
        "correction": "how alerts share their error rate",
        "horizon": "periods the false-alarm guarantee covers (2 or more), or None",
        "X": "model inputs",
        "model": "a fitted model",
        "models": "fitted models by name",
        "estimator": "an unfitted scikit-learn estimator",
        "texts": "documents",
        "table": "a published summary table",
        "sheet": "a sheet of the workbook named by table",
        "encoding": "a text encoding Python knows (e.g. latin-1)",
        "tables": "2 x 2 tables, one per stratum",
        "scorer": "a callable scoring texts",
        "scorer_id": "a name for the scorer's cache",
        "templates": "resume templates",
        "signals": "names or terms to swap in",
        "pairs": "term pairs to swap",
        "cache": "a folder or None",
        "kind": "what the scorer returns; check_summary: auto, selection or scoring",
        "positions": "where a swapped resume is shown",
        "prompt": "the column of prompt identifiers",
        "rank": "the column of ranks",
        "position": "the column of display positions",
        "by": "the column of experiments",
        "age": "ages (make_resumes: whether to generate them)",
        "cutoff": "an age cut-off",
        "cutoffs": "age cut-offs (age_groups)",
        "sweep": "age cut-offs",
        "labels": "band labels",
        "reference_date": "the date ages are taken at",
        "feature_names": "names of X's columns",
        "feature_sets": "candidate feature subsets",
        "param_grid": "candidate hyper-parameters",
        "current": "the name of the model in use",
        "metric": "'roc_auc', 'average_precision' or a callable f(y_true, scores)",
        "forbidden": "tokens that must not leak",
        "tokenizer": "a callable splitting text into tokens",
        "ngram_range": "(min_n, max_n) token n-grams",
        "result_or_model": "an audit result or a fitted model",
        "audit_kwargs": "options passed to audit",
        "job": "a job title",
        "sel_a": "selected counts (arrays broadcast)",
        "n_a": "applicant counts (arrays broadcast)",
        "sel_b": "selected counts (arrays broadcast)",
        "n_b": "applicant counts (arrays broadcast)",
        "n_focal": "focal-group sizes (arrays broadcast)",
        "n_reference": "reference-group sizes (arrays broadcast)",
        "rate_reference": "the reference group's rate (arrays broadcast)",
        "overall_rate": "the overall selection rate",
        "d": "a standardised mean difference",
        "surname": "surnames, one per person",
        "zcta": "5-digit ZCTAs (text or integers), one per person",
        "zcta_table": "adult counts per ZCTA: the CFPB's .dta file's path, or a DataFrame",
        "probabilities": "group probabilities per person, or impute_race's result",
        "cells": "proxy-cell labels, one per person",
    }
)

F = TypeVar("F", bound=Callable[..., Any])


def constraints_of(function: Callable[..., Any]) -> dict[str, Constraint]:
    """The constraint of each parameter of ``function`` that has one (overrides first).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact._core._params import constraints_of
    >>> sorted(constraints_of(ai.stats.power))
    ['alpha', 'impact_ratio', 'test']
    """
    overrides = getattr(function, "__constraints__", None)
    if overrides is None:  # not a validated function
        return {}
    names = inspect.signature(function).parameters
    table = {name: PARAMETERS[name] for name in names if name in PARAMETERS}
    table.update(overrides)
    return {name: constraint for name, constraint in table.items() if constraint is not None}


def validate_params(**overrides: Constraint | None) -> Callable[[F], F]:
    """Check a public function's parameters against :data:`PARAMETERS` before it runs.

    Parameters
    ----------
    **overrides : Constraint or None
        A narrower (or different) constraint for this function's argument of
        that name; ``None`` leaves the argument to the function's own checks.

    Examples
    --------
    >>> from adverse_impact._core._params import validate_params
    >>> @validate_params()
    ... def level(alpha=0.05):
    ...     return 1 - alpha
    >>> level(alpha=2)
    Traceback (most recent call last):
    ...
    adverse_impact.InputError: alpha: 2 is not a number in (0, 1). Pass e.g. ...
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        table = {name: PARAMETERS[name] for name in signature.parameters if name in PARAMETERS}
        table.update(overrides)
        checks = {
            name: (constraint, signature.parameters[name].default is None)
            for name, constraint in table.items()
            if constraint is not None
        }
        unknown = set(overrides) - set(signature.parameters)
        if unknown:  # a typo in an override would silently check nothing
            raise TypeError(f"{function.__qualname__} has no parameter {sorted(unknown)}")

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind_partial(*args, **kwargs)
            except TypeError:
                return function(*args, **kwargs)  # Python's own message
            for name, value in bound.arguments.items():
                entry = checks.get(name)
                if entry is None or (value is None and entry[1]):
                    continue
                entry[0].check(value, name)
            return function(*args, **kwargs)

        checked.__constraints__ = MappingProxyType(dict(overrides))  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def markdown_table() -> str:
    """The constraint table as Markdown: docs/vocabulary.md shows it (a test keeps it current).

    Examples
    --------
    >>> from adverse_impact._core._params import markdown_table
    >>> print(markdown_table().splitlines()[2])
    | `alpha` | a number in (0, 1) (e.g. `alpha=0.05`) |
    """
    lines = ["| parameter | accepts |", "|---|---|"]
    for name, constraint in PARAMETERS.items():
        example = getattr(constraint, "example", "")
        shown = f"{constraint.describe()}" + (f" (e.g. `{example}`)" if example else "")
        lines.append(f"| `{name}` | {shown} |")
    lines += ["", "| parameter | checked against the data as |", "|---|---|"]
    lines += [f"| `{name}` | {what} |" for name, what in CHECKED_IN_BODY.items()]
    return "\n".join(lines)
