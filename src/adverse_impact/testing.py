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
from typing import Any

import pandas as pd

from adverse_impact._audits._result import AuditResult
from adverse_impact._core._errors import type_error
from adverse_impact._core._params import validate_params
from adverse_impact._core._render import READER_COLUMNS
from adverse_impact._core._validation import check_scalar

__all__ = [
    "assert_counterfactual_invariance",
    "assert_no_adverse_impact",
    "assert_no_proxy_leakage",
]

#: Results computed by the assertions during the current test; the pytest
#: plugin swaps in a list per test and writes them out afterwards.
_recorded: list[tuple[str, Any]] | None = None

#: A failing gate shows the reader's columns but the interval and the shortfall,
#: which the message states in words.
_FAILURE_COLUMNS = [c for c in READER_COLUMNS if c not in ("ir_ci_low", "ir_ci_high", "shortfall")]


def _record(kind: str, result: Any) -> None:
    if _recorded is not None:
        _recorded.append((kind, result))


def _aligned(frame: pd.DataFrame) -> str:
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


def _rule_text(min_ratio: Any, alpha: float | None, rule: str) -> str:
    ratio = f"impact ratio below {min_ratio}"
    test = (
        f"significantly lower rate at alpha={alpha}"
        if alpha is not None
        else "significantly lower rate at the audit's alpha"
    )
    return {
        "four_fifths": ratio,
        "significance": test,
        "both": f"{ratio} and {test}",
        "either": f"{ratio} or {test}",
    }[rule]


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
) -> AuditResult:
    """Assert that no group fails the adverse-impact rule.

    Parameters
    ----------
    result_or_model : AuditResult or fitted classifier
        An audit already made, or a model to audit on ``X``.
    X, sensitive_features : optional
        The candidates and their protected attributes, when a model is given.
    min_ratio : float, default 0.8
        The impact-ratio floor (exact comparison, see
        :meth:`AuditResult.passes`).
    alpha : float, optional
        Significance level; with it the default rule becomes ``"both"``.
    rule : {"four_fifths", "significance", "both", "either"}, optional
        The gate policy, as in :meth:`AuditResult.passes`.
    threshold, select_top, **audit_kwargs
        Passed to :func:`adverse_impact.audit_model` when a model is given.

    Returns
    -------
    AuditResult

    Raises
    ------
    AssertionError
        Listing the failing rows as an aligned table, the rule, and the full
        table below.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact.testing import assert_no_adverse_impact
    >>> fair = ai.audit(selected=[1, 0, 0, 1] * 25, groups={"sex": ["F", "F", "M", "M"] * 25})
    >>> assert_no_adverse_impact(fair).passes()
    True
    >>> skewed = ai.audit(selected=[1] * 10 + [0] * 40 + [1] * 30 + [0] * 20,
    ...                   groups={"sex": ["F"] * 50 + ["M"] * 50})
    >>> assert_no_adverse_impact(skewed)
    Traceback (most recent call last):
    ...
    AssertionError: adverse impact: 1 group fails the rule (impact ratio below 0.8) ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this library's frames
    if isinstance(result_or_model, AuditResult):
        if X is not None or sensitive_features is not None:
            raise type_error(
                "X",
                "X and sensitive_features are only for a model, but an AuditResult was given",
                "Drop X= and sensitive_features=, or pass the model instead of the result",
            )
        result = result_or_model
    else:
        from adverse_impact._audits._model import audit_model

        if X is None or sensitive_features is None:
            raise type_error(
                "sensitive_features",
                "a model was given without X and sensitive_features",
                "Pass X and sensitive_features to audit the model, or pass an AuditResult",
            )
        result = audit_model(
            result_or_model,
            X,
            sensitive_features,
            threshold=threshold,
            select_top=select_top,
            **audit_kwargs,
        )
    _record("audit", result)
    chosen = rule or ("four_fifths" if alpha is None else "both")
    failing = result.failing(min_ratio, alpha=alpha, rule=chosen)
    if failing.any():
        raise AssertionError(_gate_message(result, failing, _rule_text(min_ratio, alpha, chosen)))
    return result


def _few_people(row: Any) -> str:
    """Why a failing row rests on a handful of people, or "" (Uniform Guidelines Q&A 21)."""
    reasons = []
    if _set(row.get("flip_flop")):
        reasons.append("one different selection would reverse it")
    detectable = row.get("detectable")
    if detectable is not None and not pd.isna(detectable) and not bool(detectable):
        reasons.append("too small for any rate to be significantly lower")
    return "; few people: " + "; ".join(reasons) if reasons else ""


def _set(value: Any) -> bool:
    return value is not None and not pd.isna(value) and bool(value)


def _gate_message(result: AuditResult, failing: Any, rule: str) -> str:
    """The message first, in one line per failing group; the tables after."""
    table = result.table
    shown = [c for c in _FAILURE_COLUMNS if c in table]
    count = int(failing.sum())
    groups = []
    for row in table.loc[failing].to_dict(orient="records"):
        ratio = row["impact_ratio"]
        groups.append(
            f"  {row['attribute']}={row['group']}: impact ratio {ratio:.3f}, "
            f"{row['selected']:,} of {row['n']:,} selected{_few_people(row)}"
        )
    few = any("few people" in g for g in groups)
    advice = (
        "\nA flag that rests on a handful of people is weak evidence: the Uniform "
        "Guidelines (Q&A 21) look at more data\nbefore acting on it (docs: Release "
        "gates, 'When a flag rests on a handful of people')."
        if few
        else ""
    )
    return (
        f"adverse impact: {count} group{'s' if count > 1 else ''} "
        f"fail{'' if count > 1 else 's'} the rule ({rule})\n"
        + "\n".join(groups)
        + advice
        + f"\n\nFailing rows:\n{_aligned(table.loc[failing, shown])}"
        f"\n\nFull table:\n{_aligned(table[shown])}"
    )


@validate_params()
def assert_no_proxy_leakage(
    X: Any,
    sensitive_features: Any,
    *,
    model: Any = None,
    max_auc: float | None = None,
    forbidden: Iterable[str] = (),
    top_k: int = 20,
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
        Needed for ``forbidden``: the proxies the model *uses* are ranked by
        :func:`adverse_impact.proxy_leakage`.
    max_auc : float, optional
        Ceiling on the cross-validated ROC AUC with which the attribute can
        be predicted from ``X`` (:func:`adverse_impact.recoverability`).
    forbidden : iterable of str
        Features or tokens (e.g. ``"women's"``) that must not rank among the
        ``top_k`` proxies the model uses.
    top_k : int, default 20
    cv, random_state
        Passed to :func:`adverse_impact.recoverability`.

    Returns
    -------
    dict
        ``{"recoverability": ..., "leakage": ...}``, each present when checked.

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
    top_k = check_scalar(top_k, "top_k", int, low=1, example="top_k=20")
    if max_auc is not None:
        max_auc = check_scalar(max_auc, "max_auc", float, low=0, high=1, example="max_auc=0.6")
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
        ranked = leakage.to_frame().head(top_k)
        names = ranked["feature"].astype(str).str.casefold()
        hits = [t for t in forbidden if t.casefold() in set(names)]
        if hits:
            problems.append(
                f"forbidden proxies among the model's top {top_k}: "
                f"{', '.join(map(repr, hits))}\n\n{_aligned(ranked)}"
            )
    if problems:
        raise AssertionError("proxy leakage: " + "\n\n".join(problems))
    return out


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

    Parameters
    ----------
    model : fitted classifier
        A text model (e.g. a ``TfidfVectorizer`` + classifier pipeline).
    texts : sequence of str
    pairs : str, path or list of pairs, default "gender"
        The terms to swap, as in :func:`adverse_impact.counterfactual_test`.
    max_abs_change : float, optional
        Ceiling on the largest absolute change of any document's score.
    max_flip_rate : float, optional
        Ceiling on the share of re-scored documents whose decision flips
        (needs ``threshold`` or ``select_top``).
    threshold, select_top : optional
        The decision rule.
    ties, random_state : optional
        Ties at a ``select_top`` cut-off, as in
        :func:`adverse_impact.counterfactual_test`.

    Returns
    -------
    CounterfactualResult

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
    if max_abs_change is not None:
        max_abs_change = check_scalar(
            max_abs_change, "max_abs_change", float, low=0, example="max_abs_change=0.05"
        )
    if max_flip_rate is not None:
        max_flip_rate = check_scalar(
            max_flip_rate, "max_flip_rate", float, low=0, high=1, example="max_flip_rate=0.01"
        )
    if max_abs_change is None and max_flip_rate is None:
        raise type_error(
            "max_abs_change",
            "neither max_abs_change nor max_flip_rate was given, so nothing would be checked",
            "Pass max_abs_change, max_flip_rate, or both",
        )
    if max_flip_rate is not None and threshold is None and select_top is None:
        raise type_error(
            "max_flip_rate", "a flip rate needs a decision rule", "Pass threshold= or select_top="
        )
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
    if max_abs_change is not None and result.max_abs_change > max_abs_change:
        problems.append(
            f"largest score change {result.max_abs_change:.4g} > max_abs_change {max_abs_change}"
        )
    if max_flip_rate is not None and result.flip_rate > max_flip_rate:
        problems.append(
            f"decision flip rate {result.flip_rate:.4g} > max_flip_rate {max_flip_rate}"
        )
    if problems:
        frame = result.to_frame()
        worst = frame.reindex(frame["change"].abs().sort_values(ascending=False).index).head(10)
        raise AssertionError(
            "counterfactual change: "
            + "; ".join(problems)
            + f" ({result.n_swapped} of {result.n_documents} documents "
            f"re-scored)\n\nLargest changes:\n{_aligned(worst)}"
        )
    return result
