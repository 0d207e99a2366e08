"""Surnames cleaned as the CFPB's ``surname_parser.do`` cleans them, one pass per unique name.

The CFPB's steps, in its order (CFPB 2014, the ``name_parse`` program):

1. lower case (here: upper case, the lists' case), padded with a space each side;
2. the characters ```` ` { } \\ , . 0-9 ```` and double quotes become spaces,
   apostrophes are removed (so "O'Leary" stays one word);
3. the suffixes JR, SR, II, III, IV, DDS, MD, PHD standing alone are removed;
4. lone letters other than O and D (middle initials) are removed, and a name
   that is only "O" or "D" becomes empty;
5. all spaces are removed ("De La Cruz" -> "DELACRUZ");
6. a hyphen splits the name: the first part is looked up, and the second
   only where the first is not on the list ("Smith-Garcia" is SMITH, and
   "Xyz-Garcia" is GARCIA).

Anything else (other punctuation, accented letters) is left as it is, as the
CFPB leaves it, and such a name will usually not be found.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clean_surnames"]

_DROP = re.compile(r"[`{}\\,.0-9\"]")
_SUFFIXES = ("JR", "SR", "II", "III", "IV", "DDS", "MD", "PHD")
_INITIAL = re.compile(r" [A-CE-NP-Z] ")


def _remove_suffixes(text: pd.Series) -> pd.Series:
    # Stata's subinstr replaces every non-overlapping " jr " in turn, suffix by suffix;
    # a repeated suffix (" JR JR ") shares its middle space, so loop until none is left.
    for suffix in _SUFFIXES:
        token = f" {suffix} "
        while True:
            found = text.str.contains(token, regex=False)
            if not found.any():
                break
            text = text.where(~found, text.str.replace(token, " ", regex=False))
    return text


def _remove_initials(text: pd.Series) -> pd.Series:
    # The CFPB's loop removes the first " x " (with both spaces) until none remains.
    while True:
        found = text.str.contains(_INITIAL)
        if not found.any():
            return text
        text = text.where(~found, text.str.replace(_INITIAL, "", n=1, regex=True))


def clean_surnames(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two parts (before and after a hyphen) of each cleaned surname; "" where none.

    ``names`` holds unique values (strings or missing); the work is per value.

    Examples
    --------
    >>> import numpy as np
    >>> from adverse_impact._bisg._names import clean_surnames
    >>> first, second = clean_surnames(
    ...     np.array(["O'Brien Jr.", "de la Cruz", "Smith-Garcia", "J. Lee III", "d", None],
    ...              dtype=object))
    >>> first.tolist()
    ['OBRIEN', 'DELACRUZ', 'SMITH', 'LEE', '', '']
    >>> second.tolist()
    ['', '', 'GARCIA', '', '', '']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = _text(names)
    upper = pc.utf8_upper(text)
    first = upper.to_numpy(zero_copy_only=False)
    second = np.full(len(first), "", dtype=object)
    # Most surnames are two or more letters and not a suffix, and every step below
    # leaves those as they are (upper-cased): only the others go through the CFPB's steps.
    plain = pc.and_(
        pc.match_substring_regex(text, r"^[A-Za-z]{2,}$"),
        pc.invert(pc.is_in(upper, value_set=pa.array(_SUFFIXES))),
    )
    rest = ~plain.to_numpy(zero_copy_only=False)
    if rest.any():
        others = pd.Series(text.filter(pc.invert(plain)).to_numpy(zero_copy_only=False))
        first[rest], second[rest] = _clean(others.astype(str))
    return first, second


def _text(names: np.ndarray) -> Any:
    """The names as Arrow text, "" for anything that is not a string (missing values too)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.infer_dtype(names, skipna=True) not in ("string", "empty"):
        # Numbers or other objects among the names: each becomes "" (a Python pass).
        series = pd.Series(names, dtype=object)
        names = series.where(series.map(lambda v: isinstance(v, str)), "").to_numpy()
    return pc.fill_null(pa.array(names, type=pa.string(), from_pandas=True), "")


def _clean(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    text = " " + text.str.upper() + " "
    text = text.str.replace(_DROP, " ", regex=True).str.replace("'", "", regex=False)
    text = _remove_suffixes(text)
    text = _remove_initials(text)
    text = text.where(~text.str.strip().isin(["O", "D"]), "")
    text = text.str.replace(" ", "", regex=False)
    parts = text.str.replace("-", " ", regex=False).str.split()
    first = parts.map(lambda p: p[0] if len(p) > 0 else "")
    second = parts.map(lambda p: p[1] if len(p) > 1 else "")
    return first.to_numpy(dtype=object), second.to_numpy(dtype=object)
