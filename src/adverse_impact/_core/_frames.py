"""Tables and columns from any dataframe library, as pandas, through narwhals.

For inputs that are read whole (a proxy scan's features, a column of group
labels passed without ``data=``): polars, pyarrow and the other libraries
narwhals speaks become the pandas objects the rest of the library reads,
with their column names and dtypes.  Counting over large data on an engine
is ``adverse_impact._core._counts``'s job, which never brings the rows here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import type_error

__all__ = ["as_frame", "as_narwhals", "as_pandas"]

_PLAIN = (pd.DataFrame, pd.Series, pd.Index, np.ndarray, list, tuple, dict, str, bytes)


def as_pandas(value: Any, argument: str, *, strict: bool = False) -> Any:
    """A pandas DataFrame or Series for a table or column of any library narwhals reads.

    pandas objects, numpy arrays and Python containers are returned as they
    are.  With ``strict``, anything else that is not a dataframe raises an
    :class:`~adverse_impact.InputTypeError` naming ``argument``; otherwise it
    is returned unchanged for the caller's own checks.

    Examples
    --------
    >>> import polars as pl
    >>> from adverse_impact._core._frames import as_pandas
    >>> frame = as_pandas(pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "X")
    >>> type(frame).__name__, frame.columns.tolist(), frame["a"].dtype
    ('DataFrame', ['a', 'b'], dtype('int64'))
    """
    if value is None or isinstance(value, _PLAIN) or np.isscalar(value):
        return value
    import narwhals as nw

    try:
        native = nw.from_native(value, allow_series=True)
    except TypeError as exc:
        if strict:
            raise type_error(
                argument,
                f"{type(value).__name__} is not a table this library can read",
                "Pass a pandas, polars or pyarrow table, or a 2-D array",
            ) from exc
        return value
    if isinstance(native, nw.LazyFrame):
        native = native.collect()
    return native.to_pandas()


def as_frame(value: Any, argument: str, fix: str) -> pd.DataFrame:
    """A pandas DataFrame for a table of any library narwhals reads, else an error naming it.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from adverse_impact._core._frames import as_frame
    >>> as_frame(pa.table({"a": [1, 2]}), "data", "Pass a table").shape
    (2, 1)
    """
    frame = as_pandas(value, argument, strict=True)
    if not isinstance(frame, pd.DataFrame):
        raise type_error(argument, f"{type(value).__name__} is not a table", fix)
    return frame


def as_narwhals(value: Any, argument: str, fix: str) -> Any:
    """A narwhals frame (eager or lazy) over a table of any library, else an error naming it.

    Unlike :func:`as_pandas`, nothing is collected: this is the way in for
    counting on the engine where the data lives.

    Examples
    --------
    >>> import polars as pl
    >>> from adverse_impact._core._frames import as_narwhals
    >>> type(as_narwhals(pl.DataFrame({"a": [1]}).lazy(), "data", "Pass a table")).__name__
    'LazyFrame'
    """
    import narwhals as nw

    try:
        return nw.from_native(value)
    except TypeError as exc:
        raise type_error(
            argument, f"{type(value).__name__} is not a dataframe this library can read", fix
        ) from exc
