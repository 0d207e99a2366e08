"""Counterfactual term swaps: would this resume score the same with "men's" for "women's"?"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adverse_impact._audits._scoring import decide, model_scores
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._params import validate_params
from adverse_impact._core._shape import ResultShape
from adverse_impact._proxies import PUBLIC
from adverse_impact._proxies._tokens import as_texts, group_codes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [*PUBLIC["_counterfactual"], "load_pairs", "swap_terms"]

#: The headline numbers of :attr:`CounterfactualResult.numbers`, in order.
_NUMBERS = (
    "n_documents",
    "n_swapped",
    "mean_change",
    "mean_abs_change",
    "max_abs_change",
    "flip_rate",
    "flip_rate_all",
    "cutoff",
)

BUILT_IN_PAIRS = ("gender",)


def _read_pairs(text: str, source: str) -> list[tuple[str, str]]:
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(rows)))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:2]] != ["term", "counterpart"]:
        raise input_error(
            "pairs",
            f"{source} does not start with the header 'term,counterpart'",
            "Write a CSV with columns term,counterpart (lines starting with # are comments)",
        )
    pairs = []
    for number, row in enumerate(reader, start=2):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise input_error(
                "pairs",
                f"{source}, row {number}: expected two terms",
                "Give each row as term,counterpart",
            )
        pairs.append((row[0].strip(), row[1].strip()))
    return pairs


def load_pairs(pairs: Any = "gender") -> dict[str, str]:
    """The swap table: each term (lower case) mapped to its counterpart.

    Parameters
    ----------
    pairs : "gender", path, sequence of (term, counterpart), or dict
        A built-in list (``"gender"``: 50+ pairs from Bolukbasi et al.,
        2016, with possessives), a CSV file with columns ``term,counterpart``,
        or the pairs themselves (a dict is read as its ``(term, counterpart)``
        items, like the list).  Swaps are symmetric; when a term occurs in
        several pairs the first wins (``her`` becomes ``his``, ``him``
        becomes ``her``).

    Examples
    --------
    >>> from adverse_impact._proxies._counterfactual import load_pairs
    >>> table = load_pairs("gender")
    >>> table["women's"], table["men's"], table["her"], table["him"]
    ("men's", "women's", 'his', 'her')
    >>> load_pairs([("Alice", "Bob")])
    {'alice': 'bob', 'bob': 'alice'}
    """
    if isinstance(pairs, str) and pairs in BUILT_IN_PAIRS:
        text = (resources.files("adverse_impact") / "data" / "pairs" / f"{pairs}.csv").read_text(
            encoding="utf-8"
        )
        listed = _read_pairs(text, f"the built-in {pairs!r} list")
    elif isinstance(pairs, (str, Path)):
        path = Path(pairs)
        if not path.is_file():
            raise input_error(
                "pairs",
                f"{str(pairs)!r} is neither a built-in list {list(BUILT_IN_PAIRS)!r} nor a file",
                "Pass 'gender', a CSV path, or a list of (term, counterpart)",
            )
        listed = _read_pairs(path.read_text(encoding="utf-8"), str(path))
    elif isinstance(pairs, Mapping):
        listed = list(pairs.items())
    elif isinstance(pairs, Sequence):
        listed = []
        for item in pairs:
            if not (
                isinstance(item, (tuple, list))
                and len(item) == 2
                and all(isinstance(t, str) and t.strip() for t in item)
            ):
                raise type_error(
                    "pairs",
                    f"holds {item!r}, not a pair of terms",
                    "Pass a list of (term, counterpart) string pairs",
                )
            listed.append((item[0], item[1]))
    else:
        raise type_error(
            "pairs",
            f"got a {type(pairs).__name__}",
            "Pass 'gender', a CSV path, or a list of (term, counterpart)",
        )
    table: dict[str, str] = {}
    for a, b in listed:
        a, b = a.strip().lower(), b.strip().lower()
        if a == b:
            raise input_error("pairs", f"{a!r} is paired with itself", "Remove the pair")
        table.setdefault(a, b)
        table.setdefault(b, a)
    if not table:
        raise input_error("pairs", "is empty", "Pass at least one pair of terms")
    return table


_APOSTROPHES = "['\u2019]"


def _alternation(terms: Sequence[str]) -> str:
    """The terms as one regex alternation, factored into a trie of common prefixes.

    A flat ``a|b|c`` of a hundred terms is tried term by term at every word
    start; the trie tries one branch per character, several times faster.
    Each apostrophe also matches the typographic one (U+2019).
    """
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [
            (_APOSTROPHES if char == "'" else re.escape(char)) + emit(node[char])
            for char in sorted(c for c in node if c)
        ]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        # A term may end here: the rest is optional (the caller's boundary
        # checks decide between the shorter and the longer term).
        return body + "?" if "" in node else body

    return emit(trie)


def _pattern(table: Mapping[str, str]) -> re.Pattern[str]:
    # Apostrophes and hyphens count as word characters, as in TOKEN_PATTERN:
    # "men's" never matches inside "women's", "man" never inside "man-hours".
    return re.compile(
        rf"(?<![\w'\u2019-]){_alternation(list(table))}(?![\w'\u2019-])", re.IGNORECASE
    )


def _candidates(documents: list[str], table: Mapping[str, str]) -> np.ndarray | None:
    """Documents that may contain a listed term, found with pyarrow's RE2 (fast).

    The RE2 pattern drops the word-boundary checks, so it matches a superset
    of the exact pattern on ASCII text; documents with any non-ASCII
    character are always candidates, because Python's and RE2's case-folding
    rules differ outside ASCII.  The exact Python pattern then decides.
    Returns None when pyarrow is not installed (every document is checked).
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    array = pa.array(documents, type=pa.large_string())
    hits = pc.match_substring_regex(array, _alternation(list(table)), ignore_case=True)
    maybe = pc.or_(hits, pc.invert(pc.string_is_ascii(array)))
    return np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool)


def _match_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def swap_terms(text: str, pairs: Any = "gender") -> str:
    """Swap every listed term for its counterpart, keeping case and word boundaries.

    Parameters
    ----------
    text : str
    pairs : "gender", path, sequence of (term, counterpart), or dict
        As in :func:`load_pairs`.  Every form means the same: each pair swaps
        both ways, so ``{"alice": "bob"}`` turns "alice" into "bob" *and*
        "bob" into "alice", exactly as ``[("alice", "bob")]`` does.

    Examples
    --------
    >>> from adverse_impact._proxies._counterfactual import swap_terms
    >>> swap_terms("Captain, Women's Chess Club. She led the MEN'S team; manager.")
    "Captain, Men's Chess Club. He led the WOMEN'S team; manager."
    >>> swap_terms("Alice met Bob", {"alice": "bob"})
    'Bob met Alice'
    """
    return _swapper(load_pairs(pairs))(text)


def _swapper(table: Mapping[str, str]):
    pattern = _pattern(table)

    def term(found: str) -> str:
        key = found.lower().replace("\u2019", "'")
        if key in table:
            return key
        # Python's case-insensitive matching also equates a few non-ASCII
        # letters with ASCII ones ("ſ" with "s", "ı" with "i"), which lower()
        # does not map back: find the listed term the match stands for.
        return next(
            t
            for t in table
            if re.fullmatch(re.escape(t).replace("'", _APOSTROPHES), found, re.IGNORECASE)
        )

    def swap(text: str) -> str:
        return pattern.sub(lambda m: _match_case(m.group(0), table[term(m.group(0))]), text)

    return swap


@dataclass(frozen=True, slots=True, eq=False)
class CounterfactualResult(ResultShape):
    """Score changes when gendered terms are swapped; immutable.

    Returned by :func:`adverse_impact.counterfactual_test`.

    Attributes
    ----------
    n_documents, n_swapped : int
        Documents scored, and those containing a swappable term (only these
        were re-scored).
    mean_abs_change, max_abs_change : float
        Over the swapped documents (0 when none).
    flip_rate : float
        Share of swapped documents whose decision flips (NaN without a
        decision rule).
    flip_rate_all : float
        Flips over all documents.
    by_group : pandas.DataFrame or None
        The same summaries per group, when ``sensitive_features`` was given.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> texts = ["she led the women's chess club", "he led the men's chess club", "chess"] * 4
    >>> def model(docs):
    ...     return [0.9 - 0.5 * ("women's" in doc) for doc in docs]
    >>> result = ai.counterfactual_test(model, texts, threshold=0.5)
    >>> print(result.summary())  # doctest: +NORMALIZE_WHITESPACE
    CounterfactualResult: 8 of 12 documents had a swappable term; mean change +0.0000, mean
    |change| 0.5000, max |change| 0.5000, flip rate 1.000
      scores from callable; decisions at cut-off 0.5: flip rate 1.000 of the swapped
      documents, 0.667 of all
    >>> result.numbers["n_swapped"], result.numbers["flip_rate"]
    (8, 1.0)
    """

    _table: pd.DataFrame
    _by_group: pd.DataFrame | None
    cutoff: float | None
    score_method: str
    n_documents: int
    n_swapped: int
    mean_abs_change: float
    max_abs_change: float
    mean_change: float
    flip_rate: float
    flip_rate_all: float

    @classmethod
    def _from_table(
        cls,
        table: pd.DataFrame,
        *,
        by_group: pd.DataFrame | None,
        cutoff: float | None,
        score_method: str,
    ) -> CounterfactualResult:
        swapped = table["swapped"].to_numpy(dtype=bool)
        change = table["change"].to_numpy(dtype=float)
        flipped = table["flipped"]
        return cls(
            table,
            by_group,
            cutoff,
            score_method,
            n_documents=int(len(table)),
            n_swapped=int(swapped.sum()),
            mean_abs_change=float(np.abs(change[swapped]).mean()) if swapped.any() else 0.0,
            max_abs_change=float(np.abs(change[swapped]).max()) if swapped.any() else 0.0,
            mean_change=float(change[swapped].mean()) if swapped.any() else 0.0,
            flip_rate=(
                float(flipped[swapped].astype(float).mean())
                if cutoff is not None and swapped.any()
                else (0.0 if cutoff is not None else math.nan)
            ),
            flip_rate_all=(float(flipped.astype(float).mean()) if cutoff is not None else math.nan),
        )

    def _fields(self) -> dict[str, Any]:
        return {
            **ResultShape._fields(self),
            "by_group": None
            if self._by_group is None
            else self._by_group.to_dict(orient="records"),
        }

    @property
    def by_group(self) -> pd.DataFrame | None:
        """The summaries per group (a copy), when ``sensitive_features`` was given."""
        return None if self._by_group is None else self._by_group.copy()

    def to_frame(self) -> pd.DataFrame:
        """Per document: ``swapped``, ``score``, ``swapped_score``, ``change``, ``flipped``."""
        return self._table.copy()

    @property
    def numbers(self) -> dict[str, Any]:
        """The headline numbers as a dict (a new one on every access).

        ``n_documents``, ``n_swapped``, ``mean_change``, ``mean_abs_change``,
        ``max_abs_change``, ``flip_rate``, ``flip_rate_all`` and ``cutoff``,
        as the attributes hold them (NaN stays NaN; ``to_dict()`` has them
        too, JSON-ready, beside every document's row).
        """
        return {name: getattr(self, name) for name in _NUMBERS}

    def summary(self) -> str:
        """The headline, the decision rule and one line per group, in plain text.

        The first line is the first line of ``repr``.  The dict of headline
        numbers is :attr:`numbers`.
        """
        lines = [self._headline()]
        if self.cutoff is None:
            lines.append(
                f"  scores from {self.score_method}; no decision rule, so no flips "
                "(pass threshold= or select_top=)"
            )
        else:
            lines.append(
                f"  scores from {self.score_method}; decisions at cut-off {self.cutoff:.4g}: "
                f"flip rate {self.flip_rate:.3f} of the swapped documents, "
                f"{self.flip_rate_all:.3f} of all"
            )
        if self._by_group is not None:
            for row in self._by_group.itertuples(index=False):
                flips = "" if math.isnan(row.flip_rate) else f", flip rate {row.flip_rate:.3f}"
                lines.append(
                    f"  {row.group}: {row.n_swapped:,} of {row.n:,} swapped, mean change "
                    f"{row.mean_change:+.4f}, mean |change| {row.mean_abs_change:.4f}{flips}"
                )
        return "\n".join(lines)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Histogram of the score changes of the swapped documents (needs matplotlib)."""
        from adverse_impact._core._render import axes

        ax = axes(ax, figsize=(6, 3.5))
        changes = self._table.loc[self._table["swapped"], "change"]
        ax.hist(changes, bins=40)
        ax.axvline(0, color="black", linewidth=1)
        ax.set_xlabel("score change (swapped - original)")
        ax.set_ylabel("documents")
        ax.set_title(f"Counterfactual swaps: {self.n_swapped:,} of {self.n_documents:,} changed")
        return ax

    def _headline(self) -> str:
        flips = "" if math.isnan(self.flip_rate) else f", flip rate {self.flip_rate:.3f}"
        return (
            f"CounterfactualResult: {self.n_swapped:,} of {self.n_documents:,} documents "
            f"had a swappable term; mean change {self.mean_change:+.4f}, mean |change| "
            f"{self.mean_abs_change:.4f}, max |change| {self.max_abs_change:.4f}{flips}"
        )

    def __repr__(self) -> str:
        text = self._headline()
        if self.by_group is not None:
            text += "\n" + self.by_group.to_string(index=False)
        return text

    def _repr_html_(self) -> str:
        body = f"<p>{html.escape(self._headline())}</p>"
        if self.by_group is not None:
            body += self.by_group.to_html(index=False)
        return body


@validate_params()
def counterfactual_test(
    model: Any,
    texts: Any,
    *,
    pairs: Any = "gender",
    threshold: float | None = None,
    select_top: int | float | None = None,
    sensitive_features: Any = None,
    pos_label: Any = 1,
    ties: str = "error",
    random_state: Any = None,
    unknown: Any = None,
) -> CounterfactualResult:
    """Swap gendered terms and re-score: does the model's score or decision change?

    Each document containing a listed term (``"women's"``, ``"she"``,
    ``"sorority"``, ...) is rewritten with every such term swapped for its
    counterpart (``"men's"``, ``"he"``, ``"fraternity"``), keeping case and
    word boundaries, and scored again.  Documents without a swappable term
    are not re-scored (their change is 0 by definition).  A model that
    ignores the listed terms shows zero change; a model that has learned to
    penalise them shows it document by document.

    Parameters
    ----------
    model : fitted classifier or callable
        A text model (e.g. ``TfidfVectorizer`` + ``LogisticRegression``);
        scores come from ``predict_proba``, ``decision_function`` or
        ``predict``, as in :func:`adverse_impact.audit_model`.
    texts : sequence of str
        The documents.  Missing documents are scored as empty text.
    pairs : "gender", path, list of pairs or dict, default "gender"
        The terms to swap; see :func:`adverse_impact._proxies._counterfactual.load_pairs`.
    threshold : float, optional
        Decision cut-off on the score: a flip is a decision that changes.
    select_top : int or float, optional
        Top-k rule instead: the cut-off is the k-th highest *original*
        score, held fixed for the swapped documents.  Ties at the cut-off
        are refused or broken at random, as in
        :func:`adverse_impact.audit_model` (see ``ties``).
    sensitive_features : sequence, optional
        One label per document: adds the summaries by group.
    pos_label : default 1
        The class meaning "selected".
    ties : {"error", "random"}, default "error"
        With ``select_top``: what to do when tied original scores straddle
        the cut-off (see :func:`adverse_impact.audit_model`).
    random_state : int, numpy Generator or None
        Seed of the random tie-break.
    unknown : label or list of labels, optional
        Labels meaning "unknown category" in ``sensitive_features``, as in
        :func:`adverse_impact.audit`; those documents are summarised as
        ``"unknown"``.

    Returns
    -------
    CounterfactualResult

    Notes
    -----
    The test only probes the listed terms.  A model can still use gender
    through proxies that are not in the list (colleges, sports, style);
    combine it with :func:`adverse_impact.proxy_leakage`.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> texts = ["women's chess club, python", "men's chess club, python",
    ...          "chess club, python", "women's soccer, sql"] * 10
    >>> hired = [0, 1, 1, 0] * 10
    >>> vectorizer = CountVectorizer(token_pattern=r"(?u)\\b\\w[\\w'-]*\\w\\b")
    >>> model = make_pipeline(vectorizer, LogisticRegression()).fit(texts, hired)
    >>> result = ai.counterfactual_test(model, texts, threshold=0.5)
    >>> result.n_swapped, result.mean_change > 0, result.flip_rate
    (30, True, 1.0)
    """
    documents, _ = as_texts(texts)
    if not documents:
        raise input_error("texts", "is empty", "Pass at least one document")
    changed, swapped_docs = _swapped(documents, load_pairs(pairs))
    scores, method = model_scores(model, documents, pos_label=pos_label)
    new_scores = scores.copy()
    if swapped_docs:
        rescored, _ = model_scores(model, swapped_docs, pos_label=pos_label)
        new_scores[changed] = rescored
    cutoff = None
    flipped = np.zeros(len(documents), dtype=bool)
    if threshold is not None or select_top is not None:
        cut = decide(
            scores, threshold=threshold, select_top=select_top, ties=ties, random_state=random_state
        )
        before, cutoff = cut.selected, cut.cutoff
        # A document that was not re-scored keeps its decision, so a random
        # tie-break (ties="random") among unchanged documents is never a flip.
        after = np.where(changed, new_scores >= cutoff, before)
        flipped = before != after
    frame = pd.DataFrame(
        {
            "swapped": changed,
            "score": scores,
            "swapped_score": new_scores,
            "change": new_scores - scores,
            "flipped": flipped,
        }
    )
    by_group = None
    if sensitive_features is not None:
        by_group = _by_group(frame, sensitive_features, unknown, decided=cutoff is not None)
    return CounterfactualResult._from_table(
        frame, by_group=by_group, cutoff=cutoff, score_method=method
    )


def _swapped(documents: list[str], table: Mapping[str, str]) -> tuple[np.ndarray, list[str]]:
    """Which documents a swap changes, and their swapped texts (in document order)."""
    swap = _swapper(table)
    candidates = _candidates(documents, table)
    rows = range(len(documents)) if candidates is None else np.flatnonzero(candidates)
    changed = np.zeros(len(documents), dtype=bool)
    swapped_docs = []
    for i in rows:
        text = swap(documents[i])
        if text != documents[i]:
            changed[i] = True
            swapped_docs.append(text)
    return changed, swapped_docs


def _by_group(
    frame: pd.DataFrame, sensitive_features: Any, unknown: Any, *, decided: bool
) -> pd.DataFrame:
    """The changes and flips summarised per group (``"unknown"`` last, when there are any)."""
    changed = frame["swapped"].to_numpy()
    codes, labels, n_unknown = group_codes(sensitive_features, len(frame), unknown=unknown)
    rows = []
    for i, label in enumerate([*labels, None]):
        mask = codes == (i if label is not None else -1)
        if label is None and not mask.any():
            continue
        sub = frame[mask & changed]
        rows.append(
            {
                "group": "unknown" if label is None else label,
                "n": int(mask.sum()),
                "n_swapped": int(len(sub)),
                "mean_change": float(sub["change"].mean()) if len(sub) else 0.0,
                "mean_abs_change": float(sub["change"].abs().mean()) if len(sub) else 0.0,
                "max_abs_change": float(sub["change"].abs().max()) if len(sub) else 0.0,
                "flip_rate": (float(sub["flipped"].mean()) if len(sub) else 0.0)
                if decided
                else math.nan,
            }
        )
    by_group = pd.DataFrame(rows)
    by_group["group"] = by_group["group"].astype(object)
    return by_group
