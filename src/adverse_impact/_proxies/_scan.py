"""Proxy features: association with a protected attribute, recoverability, and use by a model.

Three views of one question, which inputs stand in for a protected
attribute:

* :func:`proxy_scan` - each tabular feature's association with the attribute;
* :func:`recoverability` - how well *all* inputs together predict it;
* :func:`proxy_leakage` - which associated features the model *uses*.

Token-level association for text is :func:`adverse_impact.token_proxies`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats as sps

from adverse_impact._audits._scoring import model_scores
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_pandas
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._groups import code_groups, label_columns
from adverse_impact._core._params import validate_params
from adverse_impact._core._shape import ResultShape
from adverse_impact._core._validation import check_scalar
from adverse_impact._proxies import PUBLIC
from adverse_impact._proxies._tokens import TOKEN_PATTERN, group_codes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = list(PUBLIC["_scan"])


# -- shared ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class _Ranked(ResultShape):
    """A frozen result holding a ranked table: ``to_frame``, repr, HTML, plot."""

    _table: pd.DataFrame
    #: The column the bars of :meth:`plot` show.
    _value = ""

    __reduce__ = reduce_by_fields

    def to_frame(self) -> pd.DataFrame:
        """The ranked table (a copy)."""
        return self._table.copy()

    def top(self, k: int = 10) -> pd.DataFrame:
        """The first ``k`` rows of the ranking."""
        return self._table.head(k).reset_index(drop=True)

    def __repr__(self) -> str:
        return f"{self._headline()}\n{self.top(10).to_string(index=False)}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self._headline())}</p>{self.top(10).to_html(index=False)}"

    def plot(self, k: int = 15, ax: Axes | None = None) -> Axes:
        """Horizontal bars of the top ``k`` rows (needs matplotlib)."""
        from adverse_impact._core._render import axes

        top = self.top(k).iloc[::-1]
        ax = axes(ax, figsize=(6, 0.3 * len(top) + 1))
        ax.barh(top["feature"].astype(str), top[self._value])
        ax.set_xlabel(self._value)
        ax.set_title(self._headline().split(":")[0])
        return ax


def _attributes(sensitive_features: Any, n: int) -> dict[str, Any]:
    """Older callers' form of :func:`adverse_impact._core._groups.label_columns`."""
    return label_columns(sensitive_features, "sensitive_features")


def _frame(X: Any, feature_names: Any) -> pd.DataFrame:
    X = as_pandas(X, "X")
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
        if feature_names is not None:
            frame.columns = list(feature_names)
        return frame
    if sp.issparse(X):
        raise type_error(
            "X",
            "is a sparse matrix",
            "Pass a dense array or a DataFrame; for "
            "text, use token_proxies or proxy_leakage with the text pipeline",
        )
    array = np.asarray(X, dtype=object if not hasattr(X, "dtype") else None)
    if array.ndim != 2:
        raise input_error(
            "X",
            f"expected a 2-D table, got shape {array.shape}",
            "Pass a DataFrame or a 2-D array (one row per person)",
        )
    names = (
        list(feature_names)
        if feature_names is not None
        else [f"x{i}" for i in range(array.shape[1])]
    )
    if len(names) != array.shape[1]:
        raise input_error(
            "feature_names",
            f"has {len(names)} names for {array.shape[1]} columns",
            "Pass one name per column",
        )
    return pd.DataFrame(array, columns=names)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_text(X: Any) -> bool:
    if isinstance(X, pd.DataFrame) or sp.issparse(X):
        return False
    if isinstance(X, pd.Series):
        return X.dtype == object or pd.api.types.is_string_dtype(X)
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(isinstance(v, str) or v is None for v in X[:100])
    array = np.asarray(X)
    return array.ndim == 1 and array.dtype.kind in "OUS"


def _input_groups(
    X: Any, sensitive_features: Any, unknown: Any
) -> tuple[bool, np.ndarray, list[Any], int]:
    """Whether X is raw text, and one attribute's codes, labels and unknown count for its rows."""
    text = _is_text(X)
    n = len(X) if text or isinstance(X, pd.DataFrame) else np.asarray(X).shape[0]
    codes, groups, n_unknown = group_codes(sensitive_features, n, unknown=unknown)
    return text, codes, groups, n_unknown


def _auc_strength(values: np.ndarray, codes: np.ndarray, k: int) -> tuple[float, float, float]:
    """Raw AUC (binary: of group 1 vs 0; multiclass: mean one-vs-rest), strength, p-value."""
    ranks = sps.rankdata(values)
    aucs = []
    for g in range(k if k > 2 else 1):
        target = g if k > 2 else 1
        inside = codes == target
        n1, n0 = inside.sum(), (~inside).sum()
        if n1 == 0 or n0 == 0:
            continue
        u = ranks[inside].sum() - n1 * (n1 + 1) / 2
        aucs.append(u / (n1 * n0))
    if not aucs:
        return np.nan, 0.0, 1.0
    if np.ptp(values) == 0:
        return 0.5, 0.0, 1.0
    strength = float(np.mean([2 * abs(a - 0.5) for a in aucs]))
    if k == 2:
        p = sps.mannwhitneyu(values[codes == 1], values[codes == 0]).pvalue
    else:
        p = sps.kruskal(*[values[codes == g] for g in range(k) if (codes == g).any()]).pvalue
    return float(np.mean(aucs)), strength, float(p)


def _categorical_strength(values: pd.Series, codes: np.ndarray) -> tuple[float, float, float]:
    """Cramér's V, mutual information (nats) and the chi-square p-value."""
    from sklearn.metrics import mutual_info_score

    labels = values.astype(object).where(values.notna(), "(missing)").astype(str)
    table = pd.crosstab(labels, codes).to_numpy()
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0, 0.0, 1.0
    v = float(sps.contingency.association(table, method="cramer"))
    mi = float(mutual_info_score(labels, codes))
    p = float(sps.chi2_contingency(table, correction=False).pvalue)
    return v, mi, p


# -- proxy_scan -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ProxyScan(_Ranked):
    """Association of each feature with each protected attribute, ranked; immutable.

    Returned by :func:`adverse_impact.proxy_scan`.  ``to_frame()`` columns:
    ``feature``, ``attribute``, ``kind`` (numeric or categorical),
    ``strength`` in [0, 1] (0: no association), ``auc`` (numeric features),
    ``cramers_v`` and ``mutual_info`` (categorical features, MI in nats),
    ``p_value`` and ``n`` (rows used).

    Attributes
    ----------
    n_features : int
        Features scanned.
    attributes : tuple of str
        The protected attributes.
    unknown : Mapping[str, int]
        Rows left out of each attribute's comparisons for an unknown label
        (read-only), by attribute as :attr:`adverse_impact.AuditResult.unknown`.

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> X = pd.DataFrame({"club": ["chess", "rugby"] * 4, "years": [1, 2, 3, 4] * 2})
    >>> scan = ai.proxy_scan(X, {"sex": ["F", "M"] * 4})
    >>> scan.summary()
    "ProxyScan: 2 features x 1 attribute(s); unknown labels {'sex': 0}"
    >>> scan.to_frame()[["feature", "kind", "strength"]]
      feature         kind  strength
    0    club  categorical       1.0
    1   years      numeric       0.5
    """

    n_features: int
    attributes: tuple[str, ...]
    unknown: Mapping[str, int]
    _value = "strength"

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", tuple(self.attributes))
        object.__setattr__(self, "unknown", read_only(self.unknown))

    def _headline(self) -> str:
        return (
            f"ProxyScan: {self.n_features} features x {len(self.attributes)} attribute(s); "
            f"unknown labels {dict(self.unknown)}"
        )


@validate_params()
def proxy_scan(
    X: Any, sensitive_features: Any, *, feature_names: Any = None, unknown: Any = None
) -> ProxyScan:
    """Rank tabular features by their association with each protected attribute.

    * Numeric features: the single-feature ROC AUC for telling the groups
      apart (the mean one-vs-rest AUC for several groups), as ``strength =
      2 |AUC - 0.5|`` (Somers' D) and the raw ``auc``, with the Mann-Whitney
      (two groups) or Kruskal-Wallis p-value.  Missing values are left out of
      that feature's ``n``.
    * Categorical, boolean and text-label features: Cramér's V as
      ``strength`` (``scipy.stats.contingency.association``) and the mutual
      information in nats, with the chi-square p-value.  Missing values form
      their own category.

    Both strengths run from 0 (no association) to 1 (the feature determines
    the group).  Association is not use: a strong proxy the model ignores is
    harmless to that model, and a weak one it leans on heavily is not; see
    :func:`adverse_impact.proxy_leakage`.

    Parameters
    ----------
    X : DataFrame or 2-D array
        The inputs, one row per person: a pandas, polars or pyarrow table
        (read through narwhals), or an array.
    sensitive_features : array-like, Series, DataFrame or dict
        One or several protected attributes.  Missing labels (None, NaN,
        empty) and ``unknown`` labels are counted (``result.unknown``) and left out.
    feature_names : sequence of str, optional
        Names for the columns of an array.
    unknown : label or list of labels, optional
        Labels meaning "unknown category", as in :func:`adverse_impact.audit`.

    Returns
    -------
    ProxyScan
        One row per (feature, attribute), the strongest association first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 500)
    >>> X = pd.DataFrame({"height": rng.normal(size=500) + (sex == "M"),
    ...                   "college": np.where(rng.random(500) < 0.8, sex, "other"),
    ...                   "noise": rng.normal(size=500)})
    >>> ai.proxy_scan(X, sex).to_frame()["feature"].tolist()
    ['college', 'height', 'noise']
    """
    frame = _frame(X, feature_names)
    coded = code_groups(sensitive_features, len(frame), unknown=unknown, intersectional=False)
    rows, n_unknown = [], {}
    for attribute in coded:
        n_unknown[attribute.name] = attribute.n_unknown
        known = attribute.known
        codes, groups = attribute.codes, attribute.keys
        for feature in frame.columns:
            column = frame[feature][known]
            group = codes[known]
            row = {
                "feature": feature,
                "attribute": attribute.name,
                "auc": np.nan,
                "cramers_v": np.nan,
                "mutual_info": np.nan,
            }
            if _is_numeric(column):
                values = column.to_numpy(dtype=float)
                ok = np.isfinite(values)
                auc, strength, p = _auc_strength(values[ok], group[ok], len(groups))
                row.update(kind="numeric", strength=strength, auc=auc, p_value=p, n=int(ok.sum()))
            else:
                v, mi, p = _categorical_strength(column, group)
                row.update(
                    kind="categorical",
                    strength=v,
                    cramers_v=v,
                    mutual_info=mi,
                    p_value=p,
                    n=int(len(column)),
                )
            rows.append(row)
    table = pd.DataFrame(
        rows,
        columns=[
            "feature",
            "attribute",
            "kind",
            "strength",
            "auc",
            "cramers_v",
            "mutual_info",
            "p_value",
            "n",
        ],
    )
    table = table.sort_values("strength", ascending=False, kind="mergesort").reset_index(drop=True)
    return ProxyScan(
        table,
        n_features=frame.shape[1],
        attributes=tuple(a.name for a in coded),
        unknown=n_unknown,
    )


# -- recoverability ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Recoverability(_Ranked):
    """How well the protected attribute can be predicted from the inputs; immutable.

    Returned by :func:`adverse_impact.recoverability`.  ``to_frame()`` gives
    the per-fold scores: ``fold``, ``roc_auc``, ``balanced_accuracy``.

    Attributes
    ----------
    roc_auc, balanced_accuracy : float
        Means over the folds.
    chance_roc_auc, chance_balanced_accuracy : float
        Their chance levels: 0.5, and 1 / number of groups.
    n : int
        Rows with a known label.
    n_unknown : int
        Rows left out for an unknown label.
    groups : tuple
        The groups predicted.
    estimator : str
        The estimator's class (its steps, for a pipeline).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> X = [[0.1], [0.2], [0.3], [0.4], [1.1], [1.2], [1.3], [1.4]]
    >>> found = ai.recoverability(X, ["F"] * 4 + ["M"] * 4, cv=2, random_state=0)
    >>> found.roc_auc, found.chance_roc_auc, found.groups
    (1.0, 0.5, ('F', 'M'))
    >>> found.to_frame().columns.tolist()
    ['fold', 'roc_auc', 'balanced_accuracy']
    """

    roc_auc: float
    balanced_accuracy: float
    chance_roc_auc: float
    chance_balanced_accuracy: float
    n: int
    n_unknown: int
    groups: tuple
    estimator: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))

    def _headline(self) -> str:
        return (
            f"Recoverability: ROC AUC {self.roc_auc:.3f} (chance {self.chance_roc_auc:.2f}), "
            f"balanced accuracy {self.balanced_accuracy:.3f} (chance "
            f"{self.chance_balanced_accuracy:.2f}); {self.n:,} rows, "
            f"{self.n_unknown:,} unknown"
        )

    def __repr__(self) -> str:
        return self._headline()

    def plot(self, k: int = 15, ax: Axes | None = None) -> Axes:
        from adverse_impact._core._render import axes

        ax = axes(ax, figsize=(5, 3))
        ax.bar(["ROC AUC", "balanced accuracy"], [self.roc_auc, self.balanced_accuracy])
        ax.hlines(
            [self.chance_roc_auc, self.chance_balanced_accuracy],
            [-0.4, 0.6],
            [0.4, 1.4],
            colors="black",
            linestyles="dashed",
            label="chance",
        )
        ax.set_ylim(0, 1)
        ax.legend()
        ax.set_title("Recoverability of the protected attribute")
        return ax


def _default_estimator(X: Any, random_state: Any) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    # Balanced class weights: with a 25% minority an unweighted model calls
    # almost everyone the majority, and its balanced accuracy sits near chance
    # even when its AUC shows the attribute is plainly recoverable.
    classifier = LogisticRegression(
        max_iter=2000, class_weight="balanced", random_state=random_state
    )
    if _is_text(X):
        return make_pipeline(TfidfVectorizer(token_pattern=TOKEN_PATTERN, min_df=2), classifier)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    numeric = [c for c in frame.columns if _is_numeric(frame[c])]
    other = [c for c in frame.columns if c not in numeric]
    steps = []
    if numeric:
        steps.append(("numeric", make_pipeline(SimpleImputer(), StandardScaler()), numeric))
    if other:
        steps.append(
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                other,
            )
        )
    return make_pipeline(ColumnTransformer(steps), classifier)


@validate_params()
def recoverability(
    X: Any,
    sensitive_features: Any,
    *,
    estimator: Any = None,
    cv: int = 5,
    random_state: Any = None,
    unknown: Any = None,
) -> Recoverability:
    """Cross-validated accuracy of predicting the protected attribute from the inputs.

    Removing the protected attribute from a model's inputs does not remove it
    from the data: if the remaining inputs predict it well, a model can use
    it.  This fits ``estimator`` to predict the attribute with stratified
    ``cv``-fold cross-validation and reports the ROC AUC (one-vs-rest macro
    average for several groups) and the balanced accuracy, beside their
    chance levels (0.5, and 1 / number of groups).

    A high value says the information is *there*, not that a model uses it
    (see :func:`adverse_impact.proxy_leakage`); a value near chance says a
    model of this family could not use it either.

    Parameters
    ----------
    X : DataFrame, 2-D array, or sequence of str
        The model's inputs; raw text is vectorised by the default estimator.
    sensitive_features : array-like
        One protected attribute.  Missing labels are counted and left out.
    estimator : classifier, optional
        Cloned for each fold.  Default: logistic regression with balanced
        class weights (so that a minority group is not simply out-voted) on
        TF-IDF features for text, on scaled numeric and one-hot categorical
        columns otherwise.
    cv : int, default 5
    random_state : int, optional
        Seeds the fold split and the default estimator.
    unknown : label or list of labels, optional
        Labels meaning "unknown category", as in :func:`adverse_impact.audit`.

    Returns
    -------
    Recoverability
        The scores of each fold, their means and their chance levels.

    Examples
    --------
    >>> import numpy as np
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 600)
    >>> X = np.c_[rng.normal(size=600) + 2 * (sex == "M"), rng.normal(size=600)]
    >>> found = ai.recoverability(X, sex, random_state=0)
    >>> found.roc_auc > 0.8, found.chance_roc_auc
    (True, 0.5)
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X = as_pandas(X, "X")
    text, codes, groups, n_unknown = _input_groups(X, sensitive_features, unknown)
    known = codes >= 0
    cv = check_scalar(cv, "cv", int, low=2, example="cv=5")
    smallest = np.bincount(codes[known]).min()
    if smallest < cv:
        raise input_error(
            "sensitive_features",
            f"the smallest group has {smallest} rows, fewer than cv={cv} folds",
            "Lower cv or audit more rows",
        )
    if text:
        X_known = [x if isinstance(x, str) else "" for x, k in zip(X, known) if k]
    elif isinstance(X, pd.DataFrame):
        X_known = X.reset_index(drop=True)[known]
    else:
        X_known = np.asarray(X)[known]
    model = clone(estimator) if estimator is not None else _default_estimator(X_known, random_state)
    scoring = {
        "roc_auc": "roc_auc" if len(groups) == 2 else "roc_auc_ovr",
        "balanced_accuracy": "balanced_accuracy",
    }
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    scores = cross_validate(model, X_known, codes[known], cv=folds, scoring=scoring)
    table = pd.DataFrame(
        {
            "fold": np.arange(1, cv + 1),
            "roc_auc": scores["test_roc_auc"],
            "balanced_accuracy": scores["test_balanced_accuracy"],
        }
    )
    return Recoverability(
        table,
        roc_auc=float(table["roc_auc"].mean()),
        balanced_accuracy=float(table["balanced_accuracy"].mean()),
        chance_roc_auc=0.5,
        chance_balanced_accuracy=1 / len(groups),
        n=int(known.sum()),
        n_unknown=n_unknown,
        groups=tuple(groups),
        estimator=type(model).__name__
        if not hasattr(model, "steps")
        else " + ".join(type(s).__name__ for _, s in model.steps),
    )


# -- proxy_leakage ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ProxyLeakage(_Ranked):
    """Proxies the model uses: association x influence, ranked; immutable.

    Returned by :func:`adverse_impact.proxy_leakage`.  ``to_frame()``
    columns: ``feature``, ``association``, ``over_represented_in`` (the
    group in which the feature is higher), ``coefficient`` (linear models),
    ``influence``, ``leakage`` (association x influence) and
    ``works_against`` (the group whose scores the feature lowers, given its
    association and its effect's sign).

    Attributes
    ----------
    method : {"coefficients", "permutation"}
        How influence was measured.
    attribute : str
        The protected attribute's name.
    groups : tuple
        Its groups.
    n : int
        Rows with a known label.
    n_unknown : int
        Rows left out for an unknown label.

    Examples
    --------
    >>> import pandas as pd
    >>> import adverse_impact as ai
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"rugby": [0, 0, 0, 1, 1, 1, 1, 0], "years": [1, 2, 3, 4] * 2})
    >>> sex = pd.Series(["F"] * 4 + ["M"] * 4, name="sex")
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1, 1, 1, 1, 0])
    >>> leakage = ai.proxy_leakage(model, X, sex)
    >>> leakage.method, leakage.rank("rugby")
    ('coefficients', 1)
    >>> leakage.top(1)[["feature", "over_represented_in", "works_against"]]
      feature over_represented_in works_against
    0   rugby                   M             F
    """

    method: str
    attribute: str
    groups: tuple
    n: int
    n_unknown: int
    _value = "leakage"

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))

    def _headline(self) -> str:
        return (
            f"ProxyLeakage ({self.method}): {len(self._table):,} features, attribute "
            f"{self.attribute!r}, groups {list(self.groups)!r}"
        )

    def rank(self, feature: str) -> int:
        """1-based rank of a feature (or token) in the leakage ranking."""
        hits = np.flatnonzero(self._table["feature"].astype(str).to_numpy() == feature)
        if not len(hits):
            raise input_error(
                "feature",
                f"{feature!r} is not among the model's features",
                "Check the spelling (tokens are lower case)",
            )
        return int(hits[0]) + 1


def _column_moments(
    matrix: Any, codes: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group column means (k x p), overall std (p), and group sizes, sparse-aware."""
    n = matrix.shape[0]
    indicator = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(k, n))
    sizes = np.bincount(codes, minlength=k).astype(float)
    sums = np.asarray((indicator @ matrix).todense() if sp.issparse(matrix) else indicator @ matrix)
    means = sums / sizes[:, None]
    if sp.issparse(matrix):
        squares = np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel()
    else:
        squares = (np.asarray(matrix) ** 2).sum(axis=0)
    total = sums.sum(axis=0)
    variance = np.maximum(squares / n - (total / n) ** 2, 0)
    return means, np.sqrt(variance), sizes


def _smd(means: np.ndarray, std: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest absolute standardised difference, group vs rest, and that group's index."""
    k = len(sizes)
    total = (means * sizes[:, None]).sum(axis=0)
    rest = (total[None, :] - means * sizes[:, None]) / (sizes.sum() - sizes)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(std > 0, (means - rest) / np.where(std > 0, std, 1), 0.0)
    if k == 2:
        return np.abs(d[1]), np.where(d[1] >= 0, 1, 0)
    which = np.argmax(np.abs(d), axis=0)
    return np.abs(d[which, np.arange(d.shape[1])]), np.where(
        d[which, np.arange(d.shape[1])] >= 0, which, -1
    )


def _permutation_influence(
    model: Any, X: Any, frame: pd.DataFrame, n_repeats: int, random_state: Any
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Per column: mean absolute score change when permuted, the sign of its effect, and
    the columns read as numbers (NaN where not numeric)."""
    rng = np.random.default_rng(random_state)
    base, _ = model_scores(model, X)
    influence = np.zeros(frame.shape[1])
    direction = np.zeros(frame.shape[1])
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    for j, column in enumerate(frame.columns):
        changes = []
        for _ in range(n_repeats):
            shuffled = frame.copy()
            shuffled[column] = frame[column].to_numpy()[rng.permutation(len(frame))]
            permuted_X = shuffled if isinstance(X, pd.DataFrame) else shuffled.to_numpy()
            scores, _ = model_scores(model, permuted_X)
            changes.append(np.abs(scores - base).mean())
        influence[j] = float(np.mean(changes))
        values = numeric[column].to_numpy(dtype=float)
        ok = np.isfinite(values)
        if ok.sum() > 2 and np.ptp(values[ok]) > 0:
            direction[j] = np.sign(np.corrcoef(values[ok], base[ok])[0, 1])
    return influence, direction, numeric


def _linear_features(model: Any, X: Any, feature_names: Any) -> tuple[list[Any], Any]:
    """The names and values of the features a linear model's last step sees.

    For a pipeline, what its earlier steps make of ``X`` (a sparse matrix for
    a vectoriser); for a bare model, ``X`` itself, as floats.
    """
    if hasattr(model, "steps") and len(model.steps) > 1:
        head = model[:-1]
        matrix = head.transform(X)
        try:
            names = [str(f) for f in head.get_feature_names_out()]
        except (AttributeError, ValueError):
            names = [f"x{i}" for i in range(matrix.shape[1])]
    else:
        frame = X if isinstance(X, pd.DataFrame) else None
        matrix = X.to_numpy(dtype=float) if frame is not None else np.asarray(X, dtype=float)
        names = (
            list(frame.columns)
            if frame is not None
            else list(feature_names)
            if feature_names is not None
            else [f"x{i}" for i in range(matrix.shape[1])]
        )
    matrix = sp.csr_matrix(matrix) if sp.issparse(matrix) else np.asarray(matrix, dtype=float)
    return names, matrix


def _works_against(
    groups: list[Any], where: np.ndarray, effect: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per feature: the group it is over-represented in, and the group whose scores it lowers.

    A negative effect lowers the over-represented group's scores; a positive
    one the other group's (``"others"`` with more than two groups).
    """
    over = np.array([groups[w] if w >= 0 else "rest" for w in where], dtype=object)
    if len(groups) == 2:
        other = np.array([groups[1 - w] for w in where], dtype=object)
    else:
        other = np.full(len(where), "others", dtype=object)
    against = np.where(effect < 0, over, np.where(effect > 0, other, "none")).astype(object)
    return over, against


@validate_params()
def proxy_leakage(
    model: Any,
    X: Any,
    sensitive_features: Any,
    *,
    feature_names: Any = None,
    n_repeats: int = 5,
    random_state: Any = None,
    unknown: Any = None,
) -> ProxyLeakage:
    """Rank the proxies a model actually uses: association times influence.

    For each feature (each token, for a text pipeline):

    * ``association``: the absolute standardised mean difference (Cohen's
      d with the overall standard deviation) between the group where the
      feature is most over-represented and the rest, computed in the
      model's own feature space (TF-IDF weights for a text pipeline);
    * ``influence`` on the model's score: for a model whose last step is
      linear (``coef_``: logistic regression, linear SVM, ...), ``|coef| x
      std`` of the feature as the model sees it; otherwise the mean absolute
      change of the score when the feature's column is permuted
      (``n_repeats`` times);
    * ``leakage = association x influence``, ranked.

    ``works_against`` names the group whose scores the feature lowers: the
    over-represented group for a negative effect, the others for a positive
    one.

    Parameters
    ----------
    model : fitted classifier
        A pipeline (vectorising raw text included) or a plain estimator.
    X : DataFrame, array or sequence of str
        Inputs as the model takes them.
    sensitive_features : array-like
        One protected attribute.  Missing labels are counted and left out.
    feature_names : sequence of str, optional
        Names of the columns of an array ``X``.
    n_repeats : int, default 5
        Permutations per feature (non-linear models only).
    random_state : int, optional
        Seeds the permutations.
    unknown : label or list of labels, optional
        Labels meaning "unknown category", as in :func:`adverse_impact.audit`.

    Returns
    -------
    ProxyLeakage
        One row per feature (per token for text), the highest leakage first.

    Notes
    -----
    With correlated features, permutation influence is shared out
    unpredictably, and the coefficients of a regularised linear model split
    weight between near-duplicates; look at groups of related features
    (``proxy_scan``) before concluding a proxy is unused.  Non-linear text
    models are not supported: their raw-text columns cannot be permuted.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> import adverse_impact as ai
    >>> texts = (["women's chess club, python, sql"] * 30 + ["chess club, python"] * 30
    ...          + ["chess club, python, sql"] * 60)
    >>> sex = ["F"] * 30 + ["F"] * 15 + ["M"] * 15 + ["M"] * 60
    >>> hired = [0] * 30 + [1] * 30 + [1, 0] * 30
    >>> vectorizer = TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN)
    >>> model = make_pipeline(vectorizer, LogisticRegression()).fit(texts, hired)
    >>> leakage = ai.proxy_leakage(model, texts, sex)
    >>> leakage.top(1)[["feature", "over_represented_in", "works_against"]]
       feature over_represented_in works_against
    0  women's                   F             F
    """
    n_repeats = check_scalar(n_repeats, "n_repeats", int, low=1, example="n_repeats=5")
    text, codes, groups, n_unknown = _input_groups(X, sensitive_features, unknown)
    known = codes >= 0
    model_scores(model, X[:1] if not isinstance(X, pd.DataFrame) else X.iloc[:1])  # fitted?
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    coef = getattr(final, "coef_", None)
    if coef is not None and np.asarray(coef).ndim == 2 and np.asarray(coef).shape[0] == 1:
        method = "coefficients"
        names, matrix = _linear_features(model, X, feature_names)
        matrix = matrix[np.flatnonzero(known)]
        means, std, sizes = _column_moments(matrix, codes[known], len(groups))
        effect = np.asarray(coef, dtype=float)[0]
        influence = np.abs(effect) * std
    else:
        if text:
            raise type_error(
                "model",
                "is a non-linear text model; its raw-text input cannot "
                "be permuted column by column",
                "Use a pipeline whose last step is linear, or token_proxies and "
                "counterfactual_test",
            )
        method = "permutation"
        frame = _frame(X, feature_names)
        names = [str(c) for c in frame.columns]
        influence, direction, numeric = _permutation_influence(
            model, X, frame, n_repeats, random_state
        )
        codes_known = codes[known]
        encoded = numeric.fillna(numeric.mean()).fillna(0).to_numpy(dtype=float)[known]
        means, std, sizes = _column_moments(encoded, codes_known, len(groups))
        effect = direction
    association, where = _smd(means, std, sizes)
    if method == "permutation":
        # Non-numeric columns: Cramér's V, and the group most over-represented
        # among the rows of the column's most common value.
        for j, column in enumerate(frame.columns):
            if not _is_numeric(frame[column]):
                values = frame[column][known].reset_index(drop=True)
                association[j], _, _ = _categorical_strength(values, codes[known])
    over, against = _works_against(groups, where, effect)
    table = pd.DataFrame(
        {
            "feature": names,
            "association": association,
            "over_represented_in": over,
            "coefficient": effect if method == "coefficients" else np.nan,
            "influence": influence,
            "leakage": association * influence,
            "works_against": against,
        }
    )
    table = table.sort_values("leakage", ascending=False, kind="mergesort").reset_index(drop=True)
    attribute = getattr(sensitive_features, "name", None) or "sensitive_feature"
    return ProxyLeakage(
        table,
        method=method,
        attribute=str(attribute),
        groups=tuple(groups),
        n=int(known.sum()),
        n_unknown=n_unknown,
    )
