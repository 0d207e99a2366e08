"""Assertions for release gates: fail loudly, with the whole table.

Use them in a pytest suite that decides whether a model ships.  Each returns
its result on success, for further checks, and raises ``AssertionError`` with
the offending rows as an aligned table and the rule that failed.

The pytest plugin shipped with the library (``adverse_impact._plugin``)
records every result these assertions compute during a test, and writes them
as JSON and HTML when pytest runs with ``--adverse-impact-report=DIR``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from adverse_impact._core._errors import InputError, type_error
from adverse_impact._core._params import validate_params

if TYPE_CHECKING:
    import pandas as pd

    from adverse_impact._stats._gate import SupportsGate

# pandas and the audit modules are imported inside the assertions: the pytest
# plugin imports this module in every test of every session, audit or not.

__all__ = [
    "assert_counterfactual_invariance",
    "assert_no_adverse_impact",
    "assert_no_proxy_leakage",
]

#: (kind, result, verdict) computed by the assertions during the current test; the
#: pytest plugin swaps in a list per test, writes them out and logs each with the
#: verdict the assertion gave.
_recorded: list[tuple[str, Any, Any]] | None = None

#: A failing gate shows the reader's columns but these, which the message states in words.
_NOT_SHOWN = ("ir_ci_low", "ir_ci_high", "shortfall")


def _record(kind: str, result: Any, verdict: Any = None) -> None:
    if _recorded is not None:
        _recorded.append((kind, result, verdict))


def _aligned(frame: pd.DataFrame) -> str:
    import pandas as pd

    with pd.option_context(
        "display.max_rows",
        200,
        "display.max_columns",
        30,
        "display.width",
        200,
        "display.float_format",
        "{:.4g}".format,
    ):
        return frame.to_string(index=False)


@validate_params()
def assert_no_adverse_impact(
    result_or_model: Any,
    X: Any = None,
    sensitive_features: Any = None,
    *,
    min_ratio: float | Fraction = 0.8,
    alpha: float | None = None,
    rule: str | None = None,
    threshold: float | None = None,
    select_top: int | float | None = None,
    **audit_kwargs: Any,
) -> SupportsGate:
    """Assert that no group fails the adverse-impact rule.

    Parameters
    ----------
    result_or_model : result with ``gate()``, or fitted classifier
        Any result that judges adverse impact (:class:`~adverse_impact.AuditResult`,
        :class:`~adverse_impact.FunnelResult`, :class:`~adverse_impact.TierResult`,
        :class:`~adverse_impact.RankingAudit`, :class:`~adverse_impact.AgeAudit`,
        :class:`~adverse_impact.MonitorResult`,
        :class:`~adverse_impact.PairedTestResult`,
        :class:`~adverse_impact.ImputedAudit`: each has ``gate(min_ratio, alpha,
        rule)``), or a model to audit on ``X``.
    X, sensitive_features : optional
        The candidates and their protected attributes, when a model is given.
    min_ratio : float, default 0.8
        The impact-ratio floor (exact comparison, see
        :meth:`AuditResult.passes`).
    alpha : float, optional
        Significance level of the family of comparisons the result's gate
        tests (for an audit: every group of every attribute and intersection
        against the highest rate, adjusted by Westfall-Young maxT; see
        :meth:`AuditResult.passes`); with it the default rule becomes
        ``"both"``.  A result that cannot decide at a level raises
        :class:`~adverse_impact.InputError`.
    rule : {"four_fifths", "significance", "both", "either"}, optional
        The gate policy, as in :meth:`AuditResult.passes`.
    threshold, select_top, **audit_kwargs
        Passed to :func:`adverse_impact.audit_model` when a model is given.

    Returns
    -------
    The result (the audit made, when a model was given).

    Raises
    ------
    AssertionError
        With the gate's message (:meth:`GateVerdict.message`: the rule, the
        family and its correction, each failing group with its figures),
        then the failing rows and the full table where the result has rows.
    InputError
        When the result cannot be judged (no one, or everyone, selected), or
        cannot decide the rule or ``alpha`` asked for: the gate never passes
        what it cannot judge.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact.testing import assert_no_adverse_impact
    >>> fair = ai.audit(selected=[1, 0, 0, 1] * 25, sensitive_features={"sex": ["F", "F", "M",
    ...                 "M"] * 25})
    >>> assert_no_adverse_impact(fair).passes()
    True
    >>> skewed = ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30 + [0] * 20,
    ...                   sensitive_features={"sex": ["F"] * 50 + ["M"] * 50})
    >>> assert_no_adverse_impact(skewed)
    Traceback (most recent call last):
    ...
    AssertionError: adverse impact: 1 group fails the rule (impact ratio below 0.8) ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this library's frames
    if callable(getattr(result_or_model, "gate", None)):
        if X is not None or sensitive_features is not None:
            raise type_error(
                "X",
                f"X and sensitive_features are only for a model, but a "
                f"{type(result_or_model).__name__} was given",
                "Drop X= and sensitive_features=, or pass the model instead of the result",
            )
        result = result_or_model
    else:
        from adverse_impact._audits._model import audit_model

        if X is None or sensitive_features is None:
            raise type_error(
                "sensitive_features",
                f"{type(result_or_model).__name__!r} has no gate(), so it was taken for a "
                "model, but X and sensitive_features were not given",
                "Pass a result that judges adverse impact (one with gate(), e.g. an "
                "AuditResult or FunnelResult), or a model with X and sensitive_features",
            )
        result = audit_model(
            result_or_model,
            X,
            sensitive_features,
            threshold=threshold,
            select_top=select_top,
            **audit_kwargs,
        )
    kind = _KINDS.get(type(result).__name__, type(result).__name__)
    try:
        verdict = result.gate(min_ratio, alpha=alpha, rule=rule)
    except InputError:
        _record(kind, result)  # logged as "not judged", with the reason
        raise
    _record(kind, result, verdict)
    if not verdict.passes:
        raise AssertionError(verdict.message() + _tables(result, min_ratio, alpha, rule))
    return result


#: The kind a recorded result is written and logged under.
_KINDS = {"AuditResult": "audit", "MonitorResult": "monitor"}


def _tables(result: Any, min_ratio: Any, alpha: Any, rule: Any) -> str:
    """The failing rows and the full table, after the message, where the result has rows."""
    if not callable(getattr(result, "failing", None)):
        return ""
    import pandas as pd

    from adverse_impact._core._render import READER_COLUMNS, decisive_cells
    from adverse_impact._core._validation import check_min_ratio

    full = result.to_frame()
    failing = result.failing(min_ratio, alpha=alpha, rule=rule)
    reader = [c for c in READER_COLUMNS if c in full and c not in _NOT_SHOWN]
    if {"attribute", "group", "impact_ratio"} <= set(reader):
        steps = [c for c in ("stage", "tier") if c in full]
        shown = steps + reader
    else:
        shown = list(full.columns)
    table = full[shown].copy()
    if "impact_ratio" in shown:
        # The ratio with the decimals that show its side of the gate's floor: the
        # table's exact flag at 4/5, else the value's own side (a flagged 0.79996
        # is not "0.8" in .4g).
        floor = check_min_ratio(min_ratio)
        flags = full.get("four_fifths_flag") if floor == Fraction(4, 5) else None
        cells = decisive_cells(
            table["impact_ratio"], None if flags is None else list(flags), floor, ".4g"
        )
        table["impact_ratio"] = pd.Series(cells, index=table.index, dtype=object)
    return f"\n\nFailing rows:\n{_aligned(table.loc[failing])}\n\nFull table:\n{_aligned(table)}"


# -- proxy and counterfactual gates ------------------------------------------------------
# The defaults below are measured, not chosen: benchmarks/calibration_proxies.py trains
# the case study's model (TF-IDF + logistic regression) on fair hiring histories from
# make_resumes(history_bias=0) over many seeds and sizes, and on the case study's biased
# history; docs/proxies.md ("The noise floor") has the distributions.  A fair-history
# model still gives the planted proxies small, random coefficients, so a gate without a
# floor under them fails fair models (issue 24).

#: Leakage (association x influence, :func:`adverse_impact.proxy_leakage`) at or below
#: which a forbidden token is noise: fair-history models stay below it.
DEFAULT_MIN_LEAKAGE = 0.08
#: Largest change of any document's score under the gender swaps that fair-history
#: models stay below.
DEFAULT_MAX_ABS_CHANGE = 0.10
#: Share of the swapped documents whose decision may flip in fair-history models.
DEFAULT_MAX_FLIP_RATE = 0.06

#: Where the noise floor behind the defaults is documented, for failure messages.
_NOISE_FLOOR_DOCS = "docs: Finding proxies, 'The noise floor of a fair model'"


@validate_params()
def assert_no_proxy_leakage(
    X: Any,
    sensitive_features: Any,
    *,
    model: Any = None,
    max_auc: float | None = None,
    forbidden: Iterable[str] = (),
    min_leakage: float = DEFAULT_MIN_LEAKAGE,
    top_k: int | None = None,
    cv: int = 5,
    random_state: Any = 0,
) -> dict[str, Any]:
    """Assert that the inputs do not reveal, and the model does not use, a protected attribute.

    Parameters
    ----------
    X : array-like, DataFrame or sequence of str
        The model's inputs (raw text for a text pipeline).
    sensitive_features : array-like
        The protected attribute, one label per row of ``X``.
    model : fitted classifier, optional
        Needed for ``forbidden``: the proxies the model *uses* are measured by
        :func:`adverse_impact.proxy_leakage`.
    max_auc : float, optional
        Ceiling on the cross-validated ROC AUC with which the attribute can
        be predicted from ``X`` (:func:`adverse_impact.recoverability`).
    forbidden : iterable of str
        Features or tokens (e.g. ``"women's"``) the model must not use: each
        fails when its leakage exceeds ``min_leakage``.  A token the model
        does not know is not used.
    min_leakage : float, default 0.08 (``DEFAULT_MIN_LEAKAGE``)
        The absolute floor: leakage at or below it is the noise of a model
        trained on a fair history, in which the planted proxies get small,
        random coefficients.  The default holds the case study's model
        (TF-IDF + logistic regression on 2,000 to 20,000 resumes) to a
        measured false-alarm rate; see "The noise floor of a fair model" in
        the docs (Finding proxies), and calibrate your own model's floor the
        same way when it differs.
    top_k : int, optional
        Also require a failing token to rank among the model's ``top_k``
        proxies.  A rank alone is no evidence: some token always ranks
        first, so the floor decides.
    cv, random_state
        Passed to :func:`adverse_impact.recoverability`.

    Returns
    -------
    dict
        ``{"recoverability": ..., "leakage": ...}``, each present when checked.

    Raises
    ------
    AssertionError
        Naming each forbidden token above the floor with its leakage and
        rank, the floor itself, the forbidden tokens below it, and the
        ranking.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact.testing import assert_no_proxy_leakage
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], size=400)
    >>> X = rng.normal(size=(400, 3))
    >>> checked = assert_no_proxy_leakage(X, sex, max_auc=0.65)
    >>> sorted(checked)
    ['recoverability']
    """
    __tracebackhide__ = True
    forbidden = [str(t) for t in forbidden]
    # min_leakage, top_k and max_auc were checked by validate_params (_core/_params.py).
    if max_auc is None and not forbidden:
        raise type_error(
            "max_auc",
            "neither max_auc nor forbidden was given, so nothing would be checked",
            "Pass max_auc, forbidden, or both",
        )
    if forbidden and model is None:
        raise type_error(
            "model",
            "forbidden= needs the model whose use of the proxies is checked",
            "Pass model= (the fitted model)",
        )
    out: dict[str, Any] = {}
    problems: list[str] = []
    if max_auc is not None:
        from adverse_impact._proxies._scan import recoverability

        found = recoverability(X, sensitive_features, cv=cv, random_state=random_state)
        _record("recoverability", found)
        out["recoverability"] = found
        if found.roc_auc > max_auc:
            problems.append(
                f"the protected attribute is recoverable from the inputs with "
                f"cross-validated ROC AUC {found.roc_auc:.3f} > max_auc {max_auc}"
                f"\n\n{_aligned(found.to_frame())}"
            )
    if forbidden:
        from adverse_impact._proxies._scan import proxy_leakage

        leakage = proxy_leakage(model, X, sensitive_features, random_state=random_state)
        _record("leakage", leakage)
        out["leakage"] = leakage
        problem = _leakage_problem(leakage.to_frame(), forbidden, min_leakage, top_k)
        if problem:
            problems.append(problem)
    if problems:
        raise AssertionError("proxy leakage: " + "\n\n".join(problems))
    return out


def _leakage_problem(
    table: pd.DataFrame, forbidden: list[str], min_leakage: float, top_k: int | None
) -> str:
    """The failure text for forbidden tokens used above the floor, or "" when none is."""
    table = table.reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    names = table["feature"].astype(str).str.casefold()
    wanted = {t.casefold() for t in forbidden}
    rows = table[names.isin(wanted)]
    above = rows["leakage"] > min_leakage
    if top_k is not None:
        above &= rows["rank"] <= top_k
    if not above.any():
        return ""

    def line(row: Any) -> str:
        return (
            f"  {row['feature']!r}: leakage {row['leakage']:.4g} (rank {row['rank']}, "
            f"association {row['association']:.3g} x influence {row['influence']:.3g}), "
            f"works against {row['works_against']}"
        )

    failing, quiet = rows[above], rows[~above]
    within = f" and among the model's top {top_k}" if top_k is not None else ""
    count = len(failing)
    text = (
        f"{count} forbidden proxy{'' if count == 1 else ' proxies'} used above the floor "
        f"(leakage > min_leakage {min_leakage:g}{within}; below the floor is the noise of a "
        f"model trained on a fair history, {_NOISE_FLOOR_DOCS})\n"
        + "\n".join(line(r) for r in failing.to_dict("records"))
    )
    if len(quiet):
        text += "\nForbidden but at or below the floor (not failing): " + ", ".join(
            f"{r['feature']!r} {r['leakage']:.2g} (rank {r['rank']})"
            for r in quiet.to_dict("records")
        )
    missing = sorted(wanted - set(names))
    if missing:
        text += "\nForbidden but not among the model's features: " + ", ".join(map(repr, missing))
    shown = table.head(max(10, int(failing["rank"].max())))
    return f"{text}\n\nLeakage ranking:\n{_aligned(shown)}"


@validate_params()
def assert_counterfactual_invariance(
    model: Any,
    texts: Any,
    *,
    pairs: Any = "gender",
    max_abs_change: float | None = None,
    max_flip_rate: float | None = None,
    threshold: float | None = None,
    select_top: int | float | None = None,
    ties: str = "error",
    random_state: Any = None,
) -> Any:
    """Assert that swapping gendered terms barely changes scores and decisions.

    Both limits default to values just above the noise of a model trained
    on a fair history (measured by ``benchmarks/calibration_proxies.py``;
    see "The noise floor of a fair model" in the docs, Finding proxies):
    such a model gives the gendered terms small, random weights, so its
    scores move a little under the swaps, and a limit below that movement
    fails fair models.

    Parameters
    ----------
    model : fitted classifier
        A text model (e.g. a ``TfidfVectorizer`` + classifier pipeline).
    texts : sequence of str
    pairs : str, path or list of pairs, default "gender"
        The terms to swap, as in :func:`adverse_impact.counterfactual_test`.
    max_abs_change : float, optional
        Ceiling on the largest absolute change of any document's score;
        default ``DEFAULT_MAX_ABS_CHANGE`` (0.10 on a probability score).
        A probability score changes by at most 1: ``max_abs_change=1``
        checks decisions only.
    max_flip_rate : float, optional
        Ceiling on the share of re-scored documents whose decision flips;
        default ``DEFAULT_MAX_FLIP_RATE`` (0.06) when a decision rule
        (``threshold`` or ``select_top``) is given, none without one.
    threshold, select_top : optional
        The decision rule.
    ties, random_state : optional
        Ties at a ``select_top`` cut-off, as in
        :func:`adverse_impact.counterfactual_test`.

    Returns
    -------
    CounterfactualResult

    Raises
    ------
    AssertionError
        Stating each statistic against its limit, and the largest changes.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from adverse_impact.testing import assert_counterfactual_invariance
    >>> texts = ["python sql", "java", "python", "sql java python", "her python"] * 4
    >>> hired = [1, 0, 1, 1, 1] * 4
    >>> model = make_pipeline(CountVectorizer(vocabulary=["python", "sql", "java"]),
    ...                       LogisticRegression()).fit(texts, hired)
    >>> assert_counterfactual_invariance(model, texts, max_abs_change=0.0).max_abs_change
    0.0
    """
    # The limits given were checked by validate_params; the defaults are in range.
    decides = threshold is not None or select_top is not None
    if max_flip_rate is not None and not decides:
        raise type_error(
            "max_flip_rate", "a flip rate needs a decision rule", "Pass threshold= or select_top="
        )
    if max_abs_change is None:
        max_abs_change = DEFAULT_MAX_ABS_CHANGE
    if max_flip_rate is None and decides:
        max_flip_rate = DEFAULT_MAX_FLIP_RATE
    from adverse_impact._proxies._counterfactual import counterfactual_test

    result = counterfactual_test(
        model,
        texts,
        pairs=pairs,
        threshold=threshold,
        select_top=select_top,
        ties=ties,
        random_state=random_state,
    )
    _record("counterfactual", result)
    __tracebackhide__ = True  # the failure points at the caller's line
    problems = []
    if result.max_abs_change > max_abs_change:
        problems.append(
            f"largest score change {result.max_abs_change:.4g} > max_abs_change {max_abs_change:g}"
        )
    if max_flip_rate is not None and result.flip_rate > max_flip_rate:
        problems.append(
            f"decision flip rate {result.flip_rate:.4g} > max_flip_rate {max_flip_rate:g}"
        )
    if problems:
        frame = result.to_frame()
        worst = frame.reindex(frame["change"].abs().sort_values(ascending=False).index).head(10)
        limits = f"max_abs_change {max_abs_change:g}" + (
            f", max_flip_rate {max_flip_rate:g}" if max_flip_rate is not None else ""
        )
        raise AssertionError(
            "counterfactual change: "
            + "; ".join(problems)
            + f" ({result.n_swapped} of {result.n_documents} documents re-scored; limits "
            f"{limits}: the defaults sit above the noise of models trained on a fair "
            f"history, {_NOISE_FLOOR_DOCS})"
            f"\n\nLargest changes:\n{_aligned(worst)}"
        )
    return result


def __dir__() -> list[str]:
    # dir(ai.testing) lists the assertions, not the typing helpers imported above.
    return list(__all__)
