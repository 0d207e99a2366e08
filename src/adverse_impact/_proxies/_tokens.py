"""Tokens that stand in for a protected attribute: log-odds with an informative prior.

One sparse pass: the documents are vectorised once, a group-indicator matrix
times the document-term matrix gives every group's token counts, and the
Monroe, Colaresi and Quinn (2008) statistic is computed for all tokens at
once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_pandas
from adverse_impact._core._groups import one_attribute
from adverse_impact._core._params import validate_params
from adverse_impact._core._shape import ResultShape
from adverse_impact._core._validation import check_scalar
from adverse_impact._proxies import PUBLIC

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [*PUBLIC["_tokens"], "as_texts", "group_codes", "tokenize"]

#: Words with inner apostrophes and hyphens kept whole: ``women's``,
#: ``co-founded``; single characters kept too.  scikit-learn's default
#: ``(?u)\b\w\w+\b`` splits ``women's`` into ``women`` and drops the ``s``,
#: which hides the very token the 2018 recruiting model penalised.
TOKEN_PATTERN = r"(?u)\b\w[\w'-]*\w\b|\b\w\b"
_TOKEN = re.compile(TOKEN_PATTERN)
_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


def normalize(text: str) -> str:
    """Lower-case and straighten typographic apostrophes and hyphens."""
    return text.translate(_CURLY).lower()


def tokenize(text: str) -> list[str]:
    """Split a text into the library's tokens.

    Examples
    --------
    >>> from adverse_impact._proxies._tokens import tokenize
    >>> tokenize("Captain, Women’s Chess Club; co-founded a start-up")
    ['captain', "women's", 'chess', 'club', 'co-founded', 'a', 'start-up']
    """
    return _TOKEN.findall(normalize(text))


def as_texts(texts: Any, argument: str = "texts") -> tuple[list[str], int]:
    """A list of strings; missing texts become empty and are counted.

    polars and pyarrow columns are read through narwhals.
    """
    texts = as_pandas(texts, argument)
    if isinstance(texts, str):
        raise type_error(
            argument,
            "got one string, not a sequence of documents",
            "Pass a list or Series of documents, e.g. [text]",
        )
    if isinstance(texts, (pd.DataFrame,)) or getattr(texts, "ndim", 1) != 1:
        raise type_error(
            argument,
            "expected one document per row (a 1-D sequence)",
            "Pass a list or Series of strings",
        )
    out, missing = [], 0
    for value in texts:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            out.append("")
            missing += 1
        elif isinstance(value, str):
            out.append(value)
        else:
            raise type_error(
                argument,
                f"holds a {type(value).__name__}, not text",
                "Pass strings (convert with .astype(str) if that is meant)",
            )
    return out, missing


def group_codes(
    sensitive_features: Any,
    n: int,
    argument: str = "sensitive_features",
    *,
    unknown: Any = None,
    warn: bool = True,
) -> tuple[np.ndarray, list[Any], int]:
    """One attribute's codes (-1 for unknown), labels and unknown count; see ``_groups``."""
    return one_attribute(sensitive_features, n, unknown=unknown, argument=argument, warn=warn)


@dataclass(frozen=True, slots=True, eq=False)
class TokenProxies(ResultShape):
    """Tokens ranked by how strongly they mark a group; immutable.

    Returned by :func:`adverse_impact.token_proxies`.

    Attributes
    ----------
    n_documents : int
    n_unknown : int
        Documents whose group label was missing; left out of the comparison.
    n_empty : int
        Documents that were missing or empty (counted, not dropped).
    groups : tuple
        The compared groups.
    vocabulary_size : int
        Tokens kept (those occurring at least ``min_count`` times).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> texts = ["her chess club, python", "his chess club, java", "python, sql"] * 10
    >>> result = ai.token_proxies(texts, ["F", "M", "F"] * 10, min_count=1)
    >>> result.summary()
    "TokenProxies: 7 tokens in 30 documents, groups ['F', 'M'], 0 with unknown group"
    >>> result.to_frame()[["token", "group", "count", "log_odds"]].head(3).round(3)
        token group  count  log_odds
    0  python     F     20     4.615
    1     his     M     10     5.294
    2    java     M     10     5.294
    """

    _table: pd.DataFrame
    n_documents: int
    n_unknown: int
    n_empty: int
    groups: tuple
    vocabulary_size: int
    prior: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))

    def to_frame(self) -> pd.DataFrame:
        """One row per (token, group), ranked by z (most over-represented first).

        Columns: ``token``, ``group``, ``count`` and ``count_rest`` (token
        occurrences in the group and in all other groups), ``doc_share`` and
        ``doc_share_rest`` (share of documents containing it), ``log_odds``
        (the log-odds ratio with the prior, group vs rest) and ``z``.
        """
        return self._table.copy()

    def top(self, k: int = 20, group: Any = None) -> pd.DataFrame:
        """The ``k`` tokens most over-represented in ``group`` (in any group when None)."""
        table = self._table
        if group is not None:
            if group not in self.groups:
                raise input_error(
                    "group",
                    f"{group!r} is not one of {list(self.groups)!r}",
                    "Pass one of the compared groups",
                )
            table = table[table["group"] == group]
        return table.head(k).reset_index(drop=True)

    def z(self, token: str, group: Any) -> float:
        """The z-score of one token for one group (NaN if the token was not kept)."""
        rows = self._table[(self._table["token"] == token) & (self._table["group"] == group)]
        return float(rows["z"].iloc[0]) if len(rows) else float("nan")

    def plot(self, k: int = 15, group: Any = None, ax: Axes | None = None) -> Axes:
        """Horizontal bars of the top tokens' z-scores (needs matplotlib)."""
        from adverse_impact._core._render import axes

        top = self.top(k, group).iloc[::-1]
        ax = axes(ax, figsize=(6, 0.3 * len(top) + 1))
        ax.barh([f"{t} ({g})" for t, g in zip(top["token"], top["group"])], top["z"])
        ax.set_xlabel("z (log-odds with informative Dirichlet prior)")
        ax.set_title("Tokens over-represented in a group")
        return ax

    def _headline(self) -> str:
        return (
            f"TokenProxies: {self.vocabulary_size:,} tokens in {self.n_documents:,} "
            f"documents, groups {list(self.groups)!r}, {self.n_unknown:,} with unknown group"
        )

    def __repr__(self) -> str:
        shown = self.top(10)[["token", "group", "count", "count_rest", "z"]]
        return f"{self._headline()}\n{shown.to_string(index=False)}"

    def _repr_html_(self) -> str:
        shown = self.top(10)[
            ["token", "group", "count", "count_rest", "doc_share", "doc_share_rest", "z"]
        ]
        return f"<p>{html.escape(self._headline())}</p>{shown.to_html(index=False)}"


def log_odds_z(group_counts: np.ndarray, prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Monroe et al. (2008) log-odds and z of each group vs the rest, for all tokens.

    ``group_counts`` is (groups x tokens).  The prior is Dirichlet with
    ``alpha_w = prior * y_w`` (``y_w`` the token's total count), so that
    ``alpha_0 = prior * n``: an informative prior shrinking rare tokens
    towards the corpus frequency.
    """
    y = np.asarray(group_counts, dtype=float)
    total = y.sum(axis=0)
    alpha = prior * total
    alpha0 = alpha.sum()
    n_group = y.sum(axis=1, keepdims=True)
    rest = total - y
    n_rest = total.sum() - n_group
    odds_group = np.log((y + alpha) / (n_group + alpha0 - y - alpha))
    odds_rest = np.log((rest + alpha) / (n_rest + alpha0 - rest - alpha))
    delta = odds_group - odds_rest
    variance = 1 / (y + alpha) + 1 / (rest + alpha)
    return delta, delta / np.sqrt(variance)


@validate_params()
def token_proxies(
    texts: Any,
    sensitive_features: Any,
    *,
    min_count: int = 5,
    ngram_range: tuple[int, int] = (1, 1),
    tokenizer: Callable[[str], list[str]] | None = None,
    prior: float = 0.01,
    unknown: Any = None,
) -> TokenProxies:
    r"""Rank the tokens that mark a group: log-odds with an informative Dirichlet prior.

    For each token ``w`` and group ``i`` against all other groups ``j``
    (Monroe, Colaresi & Quinn, 2008, eq. 16-22):

    .. math::

        \delta_w = \log\frac{y^i_w + \alpha_w}{n^i + \alpha_0 - y^i_w - \alpha_w}
                 - \log\frac{y^j_w + \alpha_w}{n^j + \alpha_0 - y^j_w - \alpha_w},
        \qquad
        z_w = \delta_w \Big/ \sqrt{\tfrac{1}{y^i_w + \alpha_w} + \tfrac{1}{y^j_w + \alpha_w}}

    with ``y`` token counts, ``n`` total token counts and the prior
    ``alpha_w = prior * y_w`` proportional to the token's corpus frequency.
    A large positive ``z`` means the token is over-represented in the group
    beyond what its frequency explains by chance: a candidate proxy.  The
    z-score measures association, not use; see :func:`adverse_impact.proxy_leakage`
    for what a model relies on.

    Parameters
    ----------
    texts : sequence of str
        Documents (resumes).  Missing documents count as empty.
    sensitive_features : sequence
        One protected-attribute label per document.  Missing labels (None,
        NaN, empty strings) and ``unknown`` labels are counted in
        ``n_unknown`` and left out.
    min_count : int, default 5
        Tokens with fewer occurrences in the whole corpus are not ranked.
    ngram_range : (int, int), default (1, 1)
        As in scikit-learn's ``CountVectorizer``.
    tokenizer : callable, optional
        ``str -> list[str]``.  The default keeps possessives and hyphenated
        words whole (``"women's"`` is one token, :data:`TOKEN_PATTERN`) and
        lower-cases.
    prior : float, default 0.01
        Scale of the informative prior (pseudo-counts per corpus count).
    unknown : label or list of labels, optional
        Labels meaning "unknown category", as in :func:`adverse_impact.audit`.

    Returns
    -------
    TokenProxies

    References
    ----------
    .. [1] Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin'
       words: lexical feature selection and evaluation for identifying the
       content of political conflict. *Political Analysis*, 16(4), 372-403.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> texts = (["captain of the women's chess club, python"] * 20
    ...          + ["captain of the chess club, python"] * 60)
    >>> sex = ["F"] * 20 + ["M"] * 60
    >>> ai.token_proxies(texts, sex).top(1)[["token", "group", "count", "count_rest"]]
         token group  count  count_rest
    0  women's     F     20           0
    """
    from sklearn.feature_extraction.text import CountVectorizer

    min_count = check_scalar(min_count, "min_count", int, low=1, example="min_count=5")
    prior = check_scalar(prior, "prior", float, low=0, closed="neither", example="prior=0.01")
    documents, n_missing = as_texts(texts)
    codes, labels, n_unknown = group_codes(sensitive_features, len(documents), unknown=unknown)
    n_empty = sum(1 for d in documents if not d.strip())  # missing documents included
    vectorizer = CountVectorizer(
        token_pattern=TOKEN_PATTERN if tokenizer is None else None,
        tokenizer=tokenizer,
        preprocessor=normalize if tokenizer is None else None,
        lowercase=tokenizer is not None,
        ngram_range=ngram_range,
    )
    known = codes >= 0
    try:
        counts = vectorizer.fit_transform([d for d, k in zip(documents, known) if k])
    except ValueError as exc:  # empty vocabulary
        raise input_error("texts", "holds no tokens", "Pass non-empty documents") from exc
    known_codes = codes[known]
    by_group, docs_by_group = _counts_by_group(sp.csr_matrix(counts), known_codes, len(labels))
    keep = by_group.sum(axis=0) >= min_count
    tokens = vectorizer.get_feature_names_out()[keep]
    by_group, docs_by_group = by_group[:, keep], docs_by_group[:, keep]
    group_docs = np.bincount(known_codes, minlength=len(labels)).astype(float)
    table = _token_table(tokens, labels, by_group, docs_by_group, group_docs, prior)
    return TokenProxies(
        table,
        n_documents=len(documents),
        n_unknown=n_unknown,
        n_empty=n_empty,
        groups=labels,
        vocabulary_size=int(keep.sum()),
        prior=float(prior),
    )


def _counts_by_group(
    counts: sp.csr_matrix, known_codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group and token: the occurrences, and the documents holding the token."""
    indicator = sp.csr_matrix(
        (np.ones(len(known_codes)), (known_codes, np.arange(len(known_codes)))),
        shape=(n_groups, len(known_codes)),
    )
    by_group = np.asarray((indicator @ counts).todense())
    presence = counts.copy()
    presence.data[:] = 1
    docs_by_group = np.asarray((indicator @ presence).todense())
    return by_group, docs_by_group


def _token_table(
    tokens: np.ndarray,
    labels: list[Any],
    by_group: np.ndarray,
    docs_by_group: np.ndarray,
    group_docs: np.ndarray,
    prior: float,
) -> pd.DataFrame:
    """One row per (token, group) with its counts, document shares and z, highest z first."""
    delta, z = log_odds_z(by_group, prior)
    frames = []
    for i, label in enumerate(labels):
        rest_docs = group_docs.sum() - group_docs[i]
        frames.append(
            pd.DataFrame(
                {
                    "token": tokens,
                    "group": [label] * len(tokens),
                    "count": by_group[i].astype(np.int64),
                    "count_rest": (by_group.sum(axis=0) - by_group[i]).astype(np.int64),
                    "doc_share": docs_by_group[i] / group_docs[i],
                    "doc_share_rest": (docs_by_group.sum(axis=0) - docs_by_group[i]) / rest_docs,
                    "log_odds": delta[i],
                    "z": z[i],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = table.sort_values("z", ascending=False, kind="mergesort").reset_index(drop=True)
    table["group"] = table["group"].astype(object)
    return table
