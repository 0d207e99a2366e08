"""Group coding: the one place that turns protected-attribute labels into groups.

It owns reading the attributes from whatever the caller passed
(:func:`label_columns`), factorizing labels (:func:`factorize`; and
:func:`factorize_values` for the unbounded columns of BISG), which labels
are unknown (:func:`is_unknown`), the attributes and intersections audited
(:func:`specs`), the order of groups (:func:`sort_key`) and their printed
labels (:func:`label`), the reference group (the highest rate,
:func:`highest`, or the caller's: :func:`check_reference`,
:func:`find_reference`, :func:`check_reference_keys`,
:func:`check_reference_found`), names that cannot be attributes
(:func:`check_attribute_names`), and the warnings about labels
(near-duplicates, ``unknown=`` labels that match nothing, labels that look
like non-answers).

Two entry points share those rules, so every table of the library lists the
same groups in the same order:

* :func:`code_groups` - rows in memory to one group code per row, for every
  attribute and intersection (token proxies, proxy scan, proxy leakage,
  recoverability, counterfactual summaries), and :func:`code_cells`, the
  same as one cell per row of the cross of all attributes and each group's
  cells (the threshold sweep counts the cells once for every attribute);
* :func:`group_totals` - a table of per-cell counts (from
  :func:`adverse_impact._core._counts.count_groups`, which may have counted on an
  engine) summed per known group (audit, error rates, Mantel-Haenszel).
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import UnknownCategoryWarning, input_error, type_error
from adverse_impact._core._errors import warn as _warn
from adverse_impact._core._frames import as_pandas
from adverse_impact._core._validation import (
    MAX_GROUPS,
    check_consistent_length,
    check_unknown,
    is_missing_label,
    refuse_column_names,
)

__all__ = [
    "ATTRIBUTE_SEP",
    "LABEL_SEP",
    "CodedAttribute",
    "CodedCells",
    "code_cells",
    "code_groups",
    "factorize",
    "factorize_columns",
    "factorize_values",
    "group_totals",
    "highest",
    "is_unknown",
    "non_answers",
    "label",
    "label_columns",
    "one_attribute",
    "sort_key",
    "specs",
    "warn_labels",
    "warn_near_duplicates",
    "warn_non_answers",
    "warn_unused_unknown",
]

#: Intersectional labels and attribute names, as in NYC LL144 summaries.
LABEL_SEP = " | "
ATTRIBUTE_SEP = " x "
#: Count columns of a counts table (see ``adverse_impact._core._counts.GroupCounts``).
COUNT_COLUMNS = ("n", "selected", "weight", "weight_selected")


def check_attribute_names(names: Iterable[Any], argument: str = "sensitive_features") -> None:
    """No protected attribute or stratum may share a name with a count column.

    A counts table holds the labels and the counts side by side, so an
    attribute called ``n`` or ``weight`` would be read as a count (and
    audited as one group): refuse it with the fix.
    """
    for name in names:
        if str(name) in COUNT_COLUMNS:
            raise input_error(
                argument,
                f"the column {name!r} has the name of one of the counts the audit computes "
                f"({', '.join(COUNT_COLUMNS)})",
                f"Rename that column in the data (e.g. to {str(name) + '_group'!r})",
            )


# -- reading the attributes ----------------------------------------------------------


def label_columns(groups: Any, argument: str = "sensitive_features") -> dict[str, Any]:
    """The protected attributes by name: one column of labels each, in the caller's order.

    A Series or 1-D array is one attribute (named after the Series, else
    ``"group"``); a DataFrame, a dict of arrays or a 2-D array is several.
    polars and pyarrow columns and tables are read through narwhals.
    """
    groups = as_pandas(groups, argument)
    if isinstance(groups, pd.DataFrame):
        if groups.columns.duplicated().any():
            raise input_error(
                argument,
                "has duplicate column names",
                "Rename the columns so each attribute has one name",
            )
        return {str(c): groups[c] for c in groups.columns}
    if isinstance(groups, Mapping):
        return {str(k): as_pandas(v, f"{argument}[{k!r}]") for k, v in groups.items()}
    if isinstance(groups, pd.Series):
        return {str(groups.name) if groups.name not in (None, "") else "group": groups}
    refuse_column_names({argument: groups}, "the labels themselves")
    if groups is None:
        raise input_error(
            argument, "is required", f"Pass the protected attribute(s), e.g. {argument}=df['sex']"
        )
    array = np.asarray(groups, dtype=object)
    if array.ndim == 1:
        return {"group": groups}
    if array.ndim == 2:
        return {f"sensitive_feature_{i}": array[:, i] for i in range(array.shape[1])}
    raise input_error(
        argument,
        f"expected 1-D or 2-D labels, got {array.ndim}-D",
        "Pass one label per row, or one column per attribute",
    )


def factorize(values: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing, in the smallest dtype the source has) and labels.

    The labels come in order of first appearance (categories in their own
    order); :func:`sort_key` orders groups for display.  More than
    ``MAX_GROUPS`` labels is refused as an ID or free-text column.
    """
    return factorize_columns([(values, name)])[0]


#: Rows of Arrow-backed text from which label columns are coded in threads: below it
#: starting a thread costs more than it saves.
PARALLEL_ROWS = 200_000
#: The longest slice of an Arrow column coded as one piece.
SLICE_ROWS = 1 << 24
#: Rows at the head of an Arrow text column whose distinct labels every row is looked
#: up in: a protected attribute shows (nearly) all its labels early, and looking a
#: row up in a fixed table costs a third less than growing the table row by row.
HEAD_ROWS = 1 << 16


def factorize_columns(columns: Sequence[tuple[Any, str]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`factorize` several label columns (``(values, name)`` pairs) at once.

    Text stored as Arrow strings (pandas' default string dtype with pyarrow)
    is coded by Arrow: the distinct labels of the column's first
    ``HEAD_ROWS`` rows, then every row looked up among them
    (``pyarrow.compute.index_in``), slices of all the columns in parallel
    threads (Arrow releases the GIL); the few rows whose label first appears
    later are dictionary-encoded on their own.  Hashing millions of strings
    is most of an audit from text labels, and a categorical column costs
    nothing.  Codes and labels are those of ``pandas.factorize``: labels in
    order of first appearance, -1 for a missing label.
    """
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(columns)
    arrow = {}
    for i, (values, name) in enumerate(columns):
        column = _arrow_text(values)
        if column is None:
            out[i] = _factorize_one(values, name)
        else:
            arrow[i] = _ArrowLabels(column, name)
    if not arrow:
        return out  # type: ignore[return-value]
    rows = sum(len(labels.column) for labels in arrow.values())
    workers = os.cpu_count() or 1
    parallel = rows >= PARALLEL_ROWS and workers > 1
    # Every slice is coded against its column's one table of labels, so slices
    # need no renumbering: two per thread and column keep both cores busy when
    # one column's strings are longer than another's.
    per_column = 2 * workers if parallel else 1
    tasks = [task for labels in arrow.values() for task in labels.tasks(per_column)]
    pool = ThreadPoolExecutor(min(workers, len(tasks))) if parallel and len(tasks) > 1 else None
    try:
        late = iter(list((pool.map if pool is not None else map)(_look_up, tasks)))
    finally:
        if pool is not None:
            pool.shutdown()
    for i, labels in arrow.items():
        out[i] = labels.finish([next(late) for _ in range(labels.n_tasks)])
    return out  # type: ignore[return-value]


def factorize_values(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and the distinct values in order of first appearance, unbounded.

    For columns with many distinct values that are not protected attributes
    (surnames, ZCTAs), so no ``MAX_GROUPS`` limit.  Text is encoded by Arrow:
    pandas' Arrow strings as they are, and an object column of Python
    strings (or of integers) converted to Arrow first, which with the
    encoding costs a quarter of hashing a million scattered Python strings;
    anything else goes to ``pandas.factorize``.  The distinct values are a
    numpy array: objects for text, integers for integers.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._core._groups import factorize_values
    >>> codes, uniques = factorize_values(np.array(["b", None, "a", "b"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    column = _arrow_text(values)
    if column is None:
        column = _object_as_arrow(values)
    if column is None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return codes, np.asarray(uniques)
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    if not encoded.num_chunks:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=object)
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy() for c in encoded.chunks])
    # Every chunk carries the one dictionary of the whole column.
    return codes, encoded.chunks[-1].dictionary.to_numpy(zero_copy_only=False)


def _object_as_arrow(values: Any) -> Any:
    """An object column of strings or of integers (missing values allowed) as Arrow, else None."""
    if not isinstance(values, (pd.Series, np.ndarray)) or values.dtype != object:
        return None
    import pyarrow as pa

    try:
        # from_pandas: None, NaN and pd.NA are missing, as pandas.factorize takes them.
        array = pa.array(np.asarray(values), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None  # mixed types: pandas.factorize keeps each value as it is
    types = pa.types
    text = types.is_string(array.type) or types.is_large_string(array.type)
    if not (text or types.is_integer(array.type)):
        return None
    # Past 2 GB of text, pyarrow returns chunks already.
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _factorize_one(values: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = np.asarray(values.cat.categories, dtype=object)
    else:
        if not isinstance(values, (pd.Series, pd.Index, np.ndarray)):
            values = np.asarray(values, dtype=object)
        if getattr(values, "ndim", 1) != 1:
            raise input_error(
                name,
                f"expected one label per row, got shape {values.shape}",
                "Pass a 1-D column of labels",
            )
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    check_group_count(len(uniques), name)
    return codes, uniques


def _arrow_text(values: Any) -> Any:
    """The Arrow data (a ``ChunkedArray``) of a pandas text column stored by pyarrow, else None."""
    if not isinstance(values, pd.Series):
        return None
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        if dtype.storage != "pyarrow":
            return None
    elif isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        kind = dtype.pyarrow_dtype
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return None
    else:
        return None
    # The Arrow data behind the column, without a copy (the __arrow_array__ protocol).
    return values.array.__arrow_array__()


class _ArrowLabels:
    """One Arrow text column being coded: its head's labels, its codes, its slices."""

    def __init__(self, column: Any, name: str) -> None:
        import pyarrow.compute as pc

        self.column, self.name = column, name
        known = pc.unique(column.slice(0, HEAD_ROWS)).drop_null()
        # An ID column shows it in its head: refuse it before making Python strings.
        check_group_count(len(known), name)
        self.known = known
        self.codes = np.empty(len(column), dtype=np.int32)
        self.n_tasks = 0

    def tasks(self, pieces: int) -> list[tuple[Any, Any, np.ndarray, int]]:
        step = max(min(-(-len(self.column) // pieces), SLICE_ROWS), 1)
        out, start = [], 0
        for chunk in self.column.chunks:
            for offset in range(0, len(chunk), step):
                piece = chunk.slice(offset, step)
                out.append((piece, self.known, self.codes, start))
                start += len(piece)
        self.n_tasks = len(out)
        return out

    def finish(self, late: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Codes and labels, after the slices; labels first seen past the head come last."""
        labels = self.known.to_pylist()
        late = [found for found in late if found is not None]
        if late:
            import pyarrow as pa
            import pyarrow.compute as pc

            # In row order, so that their order is the order of first appearance.
            encoded = pc.dictionary_encode(pa.concat_arrays([values for _, values in late]))
            check_group_count(len(labels) + len(encoded.dictionary), self.name)
            positions = np.concatenate([rows for rows, _ in late])
            self.codes[positions] = encoded.indices.to_numpy() + len(labels)
            labels += encoded.dictionary.to_pylist()
        return self.codes, np.array(labels, dtype=object)


def _look_up(task: tuple[Any, Any, np.ndarray, int]) -> tuple[np.ndarray, Any] | None:
    """Code one slice into its rows of the column's codes (-1 for missing).

    Returns the rows (and their labels) not among the head's labels, or None.
    """
    import pyarrow.compute as pc

    piece, known, codes, start = task
    found = pc.index_in(piece, value_set=known)
    target = codes[start : start + len(piece)]
    if not found.null_count:
        target[:] = found.to_numpy()
        return None
    target[:] = pc.fill_null(found, -1).to_numpy()
    if found.null_count == piece.null_count:
        return None
    late = pc.and_(found.is_null(), piece.is_valid())
    return np.flatnonzero(late.to_numpy(zero_copy_only=False)) + start, piece.filter(late)


def check_group_count(count: int, name: str) -> None:
    """Refuse a column with more than ``MAX_GROUPS`` distinct labels (an ID column)."""
    if count > MAX_GROUPS:
        raise input_error(
            name,
            f"has {count:,} distinct labels, which looks like an ID or free-text "
            f"column rather than a protected attribute (limit {MAX_GROUPS:,})",
            "Pass a protected-attribute column such as sex or race/ethnicity, or bin it first",
        )


# -- labels: unknown, order, printing -------------------------------------------------


def is_unknown(value: Any, unknown: frozenset = frozenset()) -> bool:
    """Missing (None, NaN, NA, blank) or one of the caller's ``unknown=`` labels."""
    if is_missing_label(value):
        return True
    try:
        return value in unknown
    except TypeError:
        return False


def sort_key(key: tuple) -> tuple:
    """The library's order of groups: numbers numerically (1, 2, 10), then text.

    Mixed label types (1 and "1") cannot be compared directly, so each label
    sorts by (type name, value), numbers first.
    """
    return tuple(
        (
            type(v).__name__ if not isinstance(v, (int, float, np.number)) else "",
            v if isinstance(v, (int, float, np.number)) else str(v),
        )
        for v in key
    )


def label(key: tuple) -> Any:
    """A group's printed label: the label itself, or ``"Female | Asian"`` for a cell."""
    return key[0] if len(key) == 1 else LABEL_SEP.join(map(str, key))


def specs(attributes: Sequence[str], intersectional: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The audited attributes, as (name, columns): each one, then their intersection."""
    out = [(a, (a,)) for a in attributes]
    if intersectional and len(attributes) > 1:
        out.append((ATTRIBUTE_SEP.join(attributes), tuple(attributes)))
    return out


# -- the reference group -----------------------------------------------------------------


def check_reference(reference: Any) -> None:
    """``reference``: "highest", a hashable label, or a dict attribute -> label."""
    if isinstance(reference, Mapping):
        return
    if not isinstance(reference, Hashable):
        raise type_error(
            "reference",
            f"got an unhashable {type(reference).__name__}",
            'Pass "highest", a group label, or a dict attribute -> label',
        )


def find_reference(
    name: str, columns: tuple[str, ...], keys: list[tuple], reference: Any
) -> int | None | str:
    """Index of the requested reference group, ``"highest"``, or None if absent."""
    wanted = reference.get(name, "highest") if isinstance(reference, Mapping) else reference
    if isinstance(wanted, str) and wanted == "highest":
        return "highest"
    for i, key in enumerate(keys):
        if key == (wanted,) or key == wanted or (len(columns) > 1 and label(key) == wanted):
            return i
    if isinstance(reference, Mapping):
        labels = [label(k) for k in keys]
        raise input_error(
            "reference",
            f"{wanted!r} is not a known group of {name!r}",
            f"Use one of {labels[:20]!r}",
        )
    return None


def check_reference_found(reference: Any, found: bool, verb: str = "audited") -> None:
    """A single named ``reference`` must be a group of at least one attribute (audited, ...)."""
    named = not isinstance(reference, Mapping) and not (
        isinstance(reference, str) and reference == "highest"
    )
    if named and not found:
        raise input_error(
            "reference",
            f"{reference!r} is not a group of any {verb} attribute",
            'Pass one of the labels in the table, or "highest"',
        )


def check_reference_keys(
    reference: Any, specs: Sequence[tuple[str, tuple[str, ...]]], verb: str = "audited"
) -> None:
    """A dict ``reference`` names only the attributes in ``specs`` (audited, monitored, ...)."""
    if isinstance(reference, Mapping):
        names = [name for name, _ in specs]
        for key in reference:
            if key not in names:
                raise input_error(
                    "reference",
                    f"{key!r} is not {article(verb)} {verb} attribute",
                    f"Use keys from {names!r}",
                )


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def highest(rates: Sequence[Any], eligible: Sequence[bool]) -> int | None:
    """Index of the reference group: the highest rate among eligible groups.

    Ties go to the first group in the library's order (29 CFR 1607.4(D)
    compares with the highest rate; which of equal rates is immaterial).
    """
    candidates = [i for i in range(len(rates)) if eligible[i]]
    return max(candidates, key=lambda i: (rates[i], -i)) if candidates else None


# -- warnings about labels --------------------------------------------------------------


def warn_near_duplicates(
    name: str, keys: Sequence[tuple], argument: str = "sensitive_features"
) -> None:
    """Warn when labels differ only in case, spaces or type ("F" and "f ")."""
    variants: dict[str, list[Any]] = {}
    for (value,) in keys:
        variants.setdefault(str(value).strip().casefold(), []).append(value)
    clashes = [v for v in variants.values() if len(v) > 1]
    if clashes:
        # Every set, so the reader can fix them all at once (up to a screenful).
        shown = "; ".join(" vs ".join(repr(x) for x in v) for v in clashes[:20])
        more = f"; and {len(clashes) - 20} more" if len(clashes) > 20 else ""
        _warn(
            f"{argument}[{name!r}]: labels that differ only in case, spaces or type are "
            f"audited as different groups ({len(clashes)} set{'s' if len(clashes) > 1 else ''}"
            f"): {shown}{more}. Normalise the column first (e.g. .str.strip().str.title(); "
            "on the command line, --fold-labels) if they mean the same category.",
            UserWarning,
        )


def warn_unused_unknown(labels: Mapping[str, Iterable[Any]], unknown: frozenset) -> None:
    """Warn about ``unknown=`` labels that occur in no attribute (a misspelling)."""
    if not unknown:
        return
    seen: set = set()
    for values in labels.values():
        for value in values:
            try:
                if value in unknown:
                    seen.add(value)
            except TypeError:
                pass
    unused = [u for u in unknown if u not in seen]
    if unused:
        _warn(
            f"unknown: the label(s) {sorted(map(repr, unused))} occur in no audited "
            "column; check the spelling",
            UserWarning,
        )


#: What a non-answer declines to do ("... to self-identify", "... to answer").
_DECLINED_ACT = (
    r"(?:self )?(?:identify|answer|disclose|say|state|respond|reply|specify|provide|share|"
    r"report|declare|indicate)(?: (?:this|the) question| my \w+| myself)?"
)
#: Labels that record a non-answer rather than a group, matched on the
#: case-folded label with punctuation as spaces: "Decline to self-identify",
#: "Prefer not to say", "I do not wish to self-identify", "I don't wish to
#: answer", "Choose not to disclose", "Unknown", "Not disclosed", "N/A", ...
#: The one definition of the non-answers the library recognises.
_NON_ANSWER = re.compile(
    r"^\s*(?:"
    r"unknown|not known|unk|undisclosed|not disclosed|non disclosed|nondisclosed|"
    r"undeclared|not declared|opted out|opt out|"
    r"(?:i )?declined?(?: to)?(?: " + _DECLINED_ACT + r")?|"
    r"declined|refused|refused to (?:answer|say|state|disclose)|"
    # "I do not wish to ...", "I don't want to ...", "Do not wish to ..."
    r"(?:i )?(?:do not|don t|did not|didn t|does not|doesn t) (?:wish|want|care|choose)"
    r" to " + _DECLINED_ACT + r"|"
    # "Choose not to disclose", "I chose not to answer", "Wish not to say", "Rather not say"
    r"(?:i )?(?:choose|chose|chooses|choosing|elect|elected|elects|opt|opted|wish|would)"
    r" not to " + _DECLINED_ACT + r"|"
    r"(?:i )?(?:d |would |had )?rather not (?:to )?" + _DECLINED_ACT + r"|"
    r"(?:i )?(?:do not|don t|did not|didn t) " + _DECLINED_ACT + r"|"
    r"i?\s*(?:would )?prefer(?:s|red)? not(?: to " + _DECLINED_ACT + r")?|"
    r"not (?:specified|stated|provided|reported|answered|given|recorded|available|"
    r"disclosed|identified|declared)|"
    r"unspecified|unreported|unanswered|no (?:answer|response|data|information|info|reply)|"
    r"n a|na|none|null|nan|missing|withheld|blank|not applicable|-+|\?+"
    r")\s*$"
)


def _looks_like_non_answer(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = re.sub(r"[\W_]+", " ", value.casefold()).strip()
    if not text:  # only punctuation, e.g. "-" or "?"
        return value.strip() in ("-", "--", "?", "??")
    return bool(_NON_ANSWER.match(text))


def non_answers(values: Iterable[Any]) -> list[Any]:
    """The distinct labels among ``values`` that record a non-answer, in order of appearance.

    Examples
    --------
    >>> from adverse_impact._core._groups import non_answers
    >>> non_answers(["Female", "I do not wish to self-identify", "Male", "Choose not to disclose"])
    ['I do not wish to self-identify', 'Choose not to disclose']
    """
    return [v for v in dict.fromkeys(values) if _looks_like_non_answer(v)]


def warn_non_answers(
    labels: Mapping[str, Iterable[Any]], unknown: frozenset, argument: str = "unknown"
) -> None:
    """Warn once when known group labels look like non-answers ("Prefer not to say").

    Such labels are audited as protected groups unless passed as
    ``unknown=``; the decision stays with the caller, so this only warns,
    naming every such label and the argument to pass.
    """
    found: dict[str, list[Any]] = {}
    for name, values in labels.items():
        for value in values:
            if _looks_like_non_answer(value) and not is_unknown(value, unknown):
                found.setdefault(name, []).append(value)
    if not found:
        return
    every = sorted({v for values in found.values() for v in values}, key=str)
    where = "; ".join(f"{name!r}: {', '.join(map(repr, values))}" for name, values in found.items())
    _warn(
        f"labels that look like a non-answer are audited as protected groups ({where}). "
        f"If they mean the unknown category, pass {argument}={every!r} (on the command "
        f"line, --unknown-non-answers); they are then counted as unknown and left "
        "out of rates, ratios and the reference.",
        UnknownCategoryWarning,
    )


def warn_labels(
    labels: Mapping[str, Iterable[Any]], unknown: frozenset, argument: str = "unknown"
) -> None:
    """The label warnings every audit gives once: unused ``unknown=``, non-answers."""
    # A counts table repeats each label once per cell it is in: name it once.
    labels = {name: list(dict.fromkeys(values)) for name, values in labels.items()}
    warn_unused_unknown(labels, unknown)
    warn_non_answers(labels, unknown, argument)


# -- rows to group codes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodedAttribute:
    """One attribute (or intersection) coded row by row.

    Attributes
    ----------
    name : str
        ``"sex"``, or ``"sex x race"`` for an intersection.
    columns : tuple of str
        The attributes it is made of.
    keys : tuple of tuple
        The known groups, in the library's order (:func:`sort_key`).
    codes : numpy.ndarray
        Per row, the index of its group in ``keys``; ``len(keys)`` for an
        unknown row (a read-only int64 array).
    n_unknown : int
        Rows whose label (any label, for an intersection) is unknown.
    """

    name: str
    columns: tuple[str, ...]
    keys: tuple[tuple, ...]
    codes: np.ndarray
    n_unknown: int

    @property
    def labels(self) -> list[Any]:
        """The groups' printed labels, in order."""
        return [label(k) for k in self.keys]

    @property
    def known(self) -> np.ndarray:
        """Per row: True when its group is known."""
        return self.codes < len(self.keys)

    def rows(self, cells: np.ndarray) -> CodedAttribute:
        """The attribute coded per row, from its codes per cell and every row's cell."""
        codes = self.codes[cells]
        codes.flags.writeable = False
        return CodedAttribute(self.name, self.columns, self.keys, codes, self.n_unknown)


def code_groups(
    sensitive_features: Any,
    n: int | None = None,
    *,
    unknown: Any = None,
    intersectional: bool = True,
    argument: str = "sensitive_features",
    min_groups: int = 2,
    warn: bool = True,
) -> list[CodedAttribute]:
    """Code every row's group, for each attribute and (optionally) their intersection.

    This is the function new code calls for group coding in memory.

    Parameters
    ----------
    sensitive_features : array-like, Series, DataFrame or dict
        The protected attribute(s), one label per row.
    n : int, optional
        The number of rows the labels must describe.
    unknown : label or list of labels, optional
        Labels meaning "unknown category", besides missing ones.
    intersectional : bool, default True
        With two or more attributes, also code their intersection.
    argument : str
        The caller's name for ``sensitive_features``, used in messages.
    min_groups : int, default 2
        Refuse an attribute with fewer known groups than this.
    warn : bool, default True
        Give the label warnings (near-duplicates, unused ``unknown=`` labels,
        non-answers); a caller that has already warned passes False.

    Returns
    -------
    list of CodedAttribute
        The attributes in the caller's order, the intersection last.

    Examples
    --------
    >>> from adverse_impact._core._groups import code_groups
    >>> (sex,) = code_groups({"sex": ["M", "F", None, "F"]})
    >>> sex.keys, sex.codes.tolist(), sex.n_unknown
    ((('F',), ('M',)), [1, 0, 2, 0], 1)
    >>> code_groups({"grade": [10, 2, 1, 2]})[0].labels
    [1, 2, 10]
    """
    coded, n = _coded_columns(sensitive_features, n, unknown, argument, warn)
    out = []
    for name, parts in specs(tuple(coded), intersectional):
        # Each attribute from its own cells: crossing all of them when the
        # intersection is not wanted could only cost more.
        cells, digits = _cross([coded[part] for part in parts], n)
        counts = np.bincount(cells, minlength=len(digits))
        attribute = _cell_groups(name, parts, list(range(len(parts))), coded, digits, counts)
        _check_groups(attribute, argument, min_groups, warn)
        out.append(attribute.rows(cells))
    return out


@dataclass(frozen=True, slots=True)
class CodedCells:
    """Every row's cell in the cross of all attributes, and each attribute's groups by cell.

    A cell is one combination of labels, every unknown label of an attribute
    (and a missing one) counting as one level, so any attribute's or
    intersection's count is a sum over cells: count (cell, whatever) once
    over the rows, then sum the cells per group instead of counting the rows
    again for each attribute.

    Attributes
    ----------
    cells : numpy.ndarray
        Per row, its cell, 0 to ``n_cells - 1`` (a read-only int64 array).
    n_cells : int
        Cells numbered (at most ``max(4 * rows, 65536)``; some may hold no row).
    attributes : tuple of CodedAttribute
        As :func:`code_groups` returns them, except that ``codes`` gives each
        *cell*'s group (``len(keys)`` when unknown or empty), not each row's:
        ``attribute.rows(cells)`` is the attribute of :func:`code_groups`.
    """

    cells: np.ndarray
    n_cells: int
    attributes: tuple[CodedAttribute, ...]


def code_cells(
    sensitive_features: Any,
    n: int | None = None,
    *,
    unknown: Any = None,
    intersectional: bool = True,
    argument: str = "sensitive_features",
    min_groups: int = 2,
    warn: bool = True,
) -> CodedCells:
    """:func:`code_groups` as cells: one cell per row, and each attribute's group per cell.

    Takes the arguments of :func:`code_groups`, and refuses and warns alike.

    Examples
    --------
    >>> from adverse_impact._core._groups import code_cells
    >>> coded = code_cells({"sex": ["M", "F", None, "F"], "race": ["A", "B", "A", "A"]})
    >>> coded.cells.tolist(), coded.n_cells  # 3 x 3: M, F, unknown x A, B, unknown
    ([0, 4, 6, 3], 9)
    >>> sex, race, both = coded.attributes
    >>> sex.keys, sex.codes.tolist()  # cells with no row: unknown too
    ((('F',), ('M',)), [1, 2, 2, 0, 0, 2, 2, 2, 2])
    >>> sex.rows(coded.cells).codes.tolist(), both.n_unknown
    ([1, 0, 2, 0], 1)
    """
    coded, n = _coded_columns(sensitive_features, n, unknown, argument, warn)
    columns = list(coded)
    cells, digits = _cross([coded[name] for name in columns], n)
    counts = np.bincount(cells, minlength=len(digits))
    out = []
    for name, parts in specs(tuple(columns), intersectional):
        where = [columns.index(part) for part in parts]
        attribute = _cell_groups(name, parts, where, coded, digits, counts)
        _check_groups(attribute, argument, min_groups, warn)
        out.append(attribute)
    cells.flags.writeable = False
    return CodedCells(cells, len(digits), tuple(out))


def _coded_columns(
    sensitive_features: Any, n: int | None, unknown: Any, argument: str, warn: bool
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], int]:
    """Per attribute, its codes, labels and which label is unknown; and the rows.

    Reads, factorizes and warns about the labels once for :func:`code_groups`
    and :func:`code_cells`.
    """
    unknown = check_unknown(unknown)
    columns = label_columns(sensitive_features, argument)
    if not columns:
        raise input_error(
            argument, "no protected attribute was given", "Pass at least one column of group labels"
        )
    lengths = {f"{argument}[{k!r}]": len(v) for k, v in columns.items()}
    if n is not None:
        lengths = {"rows": n, **lengths}
    n = check_consistent_length(lengths)
    coded = {}
    factorized = factorize_columns([(v, f"{argument}[{k!r}]") for k, v in columns.items()])
    for name, (codes, uniques) in zip(columns, factorized):
        # The last entry stands for code -1 (a missing label): always unknown.
        unknown_label = np.array([is_unknown(u, unknown) for u in uniques] + [True])
        coded[name] = (codes, uniques, unknown_label)
    if warn:
        warn_labels({k: v[1] for k, v in coded.items()}, unknown)
    return coded, n


def _check_groups(attribute: CodedAttribute, argument: str, min_groups: int, warn: bool) -> None:
    """Refuse an attribute with too few known groups; warn about near-duplicate labels."""
    if len(attribute.keys) < min_groups:
        keys = attribute.keys
        found = "no known group" if not keys else f"one known group ({label(keys[0])!r})"
        raise input_error(
            argument,
            f"attribute {attribute.name!r} has {found} after {attribute.n_unknown:,} "
            "unknown rows were set aside; a comparison needs at least two groups",
            "Pass an attribute with two or more groups, or check the unknown= labels",
        )
    if warn and len(attribute.columns) == 1:
        warn_near_duplicates(attribute.name, attribute.keys, argument)


def _cross(columns: Sequence[tuple], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every row's cell of the cross of ``columns`` (``(codes, uniques, unknown_label)``).

    Returns the cells (int64, per row) and each cell's digits (cells x columns):
    label codes, every unknown label (and a missing one, code -1) the extra
    top digit, so a cell is known for an attribute exactly when its digit is
    not the top one.  While the cross is small, cells are numbered densely
    (mixed radix, all combinations, in the order of their digits); once it
    would exceed ``max(4 n, 65536)``, only the combinations present are kept,
    still in that order (:func:`_distinct`), which keeps the numbers small
    however many attributes and labels there are.
    """
    limit = max(4 * n, 1 << 16)
    cells = None
    digits = np.zeros((1, 0), dtype=np.int64)
    for codes, uniques, unknown_label in columns:
        radix = len(uniques) + 1
        digit = np.where(unknown_label, radix - 1, np.arange(radix))  # index -1: missing
        if cells is None:
            cells = digit[codes]
        else:
            cells *= radix
            cells += digit[codes]
        if len(digits) * radix <= limit:
            digits = np.column_stack(
                [np.repeat(digits, radix, axis=0), np.tile(np.arange(radix), len(digits))]
            )
        else:
            present, cells = _distinct(cells)
            digits = np.column_stack([digits[present // radix], present % radix])
    return (np.zeros(n, dtype=np.int64) if cells is None else cells), digits


def _distinct(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(numbers, return_inverse=True)``, by hashing: the values, ascending, and
    each number's index among them.

    Hashing finds the few distinct values of a million numbers six times
    faster than sorting them all; only the distinct values are sorted.
    """
    codes, values = pd.factorize(numbers)
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return values[order], rank[codes]


def _cell_groups(
    name: str,
    columns: tuple[str, ...],
    where: list[int],
    coded: Mapping[str, tuple],
    digits: np.ndarray,
    counts: np.ndarray,
) -> CodedAttribute:
    """One attribute's known groups in order, each cell's group, its unknown rows."""
    own = digits[:, where]
    tops = np.array([len(coded[c][1]) for c in columns])
    known = (own < tops).all(axis=1)
    n_unknown = int(counts[~known].sum())
    present = np.flatnonzero(known & (counts > 0))
    rows = own[present]
    if len(where) == digits.shape[1]:
        # The intersection of every attribute: each cell is its own group, and the
        # cells come in the order of their digits already.
        group_of = np.arange(len(present))
    else:
        # Number each cell's own digits (one attribute: the digit itself) and
        # group equal numbers; sorting numbers costs far less than sorting rows.
        radices = [int(top) + 1 for top in tops]
        if int(np.prod(radices, dtype=object)) < 2**62:
            number = np.zeros(len(present), dtype=np.int64)
            for column, radix in zip(rows.T, radices):
                number *= radix
                number += column
            distinct, group_of = _distinct(number)
            rows = np.stack(np.unravel_index(distinct, radices), axis=1)
        else:
            rows, group_of = np.unique(rows, axis=0, return_inverse=True)
    # Labels gathered column by column, then zipped: a Python loop over digits costs more.
    keys = list(zip(*(coded[c][1][rows[:, i]].tolist() for i, c in enumerate(columns))))
    rank = sorted(range(len(keys)), key=lambda i: sort_key(keys[i]))
    position = np.empty(len(keys), dtype=np.int64)
    position[rank] = np.arange(len(keys))
    gid = np.full(len(digits), len(keys), dtype=np.int64)
    gid[present] = position[group_of.ravel()]
    gid.flags.writeable = False
    return CodedAttribute(name, tuple(columns), tuple(keys[i] for i in rank), gid, n_unknown)


def one_attribute(
    sensitive_features: Any,
    n: int,
    *,
    unknown: Any = None,
    argument: str = "sensitive_features",
    warn: bool = True,
) -> tuple[np.ndarray, list[Any], int]:
    """One protected attribute: codes (-1 for unknown), labels in order, unknown count.

    For the functions that compare the groups of a single attribute (token
    proxies, proxy leakage, recoverability, counterfactual summaries).
    """
    if isinstance(sensitive_features, str):
        raise type_error(
            argument,
            f"got the string {sensitive_features!r}",
            "Pass the labels themselves, one per row",
        )
    sensitive_features = as_pandas(sensitive_features, argument)
    if not isinstance(sensitive_features, (pd.Series, pd.DataFrame, Mapping, np.ndarray)):
        sensitive_features = np.asarray(list(sensitive_features), dtype=object)
    if len(label_columns(sensitive_features, argument)) != 1:
        raise input_error(argument, "has several columns", "Pass one protected attribute at a time")
    (attribute,) = code_groups(
        sensitive_features, n, unknown=unknown, intersectional=False, argument=argument, warn=warn
    )
    codes = np.where(attribute.known, attribute.codes, -1)
    return codes, attribute.labels, attribute.n_unknown


# -- counts tables to per-group totals --------------------------------------------------


def group_totals(
    counts: Any, columns: Sequence[str], unknown: frozenset = frozenset()
) -> tuple[pd.DataFrame, int]:
    """Sum a counts table over ``columns``: known groups, and the unknown row count.

    ``counts`` is a :class:`~adverse_impact._core._counts.GroupCounts`.  A row is
    unknown for an intersection when any of its labels is unknown.  The
    returned frame is indexed by label tuples in the library's order.
    """
    table = counts.table
    labels = [table[column].to_numpy(dtype=object) for column in columns]
    # Column by column: selecting a sub-frame first costs more than the whole sum here.
    values = np.column_stack([table[column].to_numpy(dtype=float) for column in COUNT_COLUMNS])
    unknown_row = np.zeros(len(table), dtype=bool)
    for column in labels:
        unknown_row |= np.fromiter(
            (is_unknown(v, unknown) for v in column), dtype=bool, count=len(table)
        )
    n_unknown = int(values[unknown_row, 0].sum())
    # Plain dict and numpy work here: the tables are a few dozen rows, where
    # pandas' per-call overhead would cost more than the arithmetic.
    sums: dict[tuple, np.ndarray] = {}
    for row in np.flatnonzero(~unknown_row):
        key = tuple(column[row] for column in labels)
        sums[key] = sums[key] + values[row] if key in sums else values[row].copy()
    keys = sorted(sums, key=sort_key)
    data = np.array([sums[k] for k in keys]).reshape(len(keys), len(COUNT_COLUMNS))
    frame = pd.DataFrame(
        {
            "n": np.rint(data[:, 0]).astype(np.int64),
            "selected": np.rint(data[:, 1]).astype(np.int64),
            "weight": data[:, 2],
            "weight_selected": data[:, 3],
        },
        index=pd.Index(keys, tupleize_cols=False, dtype=object),
    )
    return frame, n_unknown
