"""Tables and columns of any dataframe library, as pandas (``_core/_frames.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._core._frames import as_frame, as_narwhals, as_pandas

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        "sex",
        [1, 2],
        (1, 2),
        {"a": [1]},
        np.arange(3),
        pd.Series([1, 2]),
        pd.DataFrame({"a": [1]}),
        pd.Index(["x"]),
    ],
    ids=lambda v: type(v).__name__,
)
def test_pandas_numpy_and_python_values_come_back_as_they_are(value):
    assert as_pandas(value, "X") is value
    assert as_pandas(value, "X", strict=True) is value


def test_polars_and_arrow_tables_become_pandas_with_names_and_dtypes():
    polars = pl.DataFrame({"sex": ["F", "M"], "score": [0.5, 0.25], "n": [1, 2]})
    for table in (polars, polars.lazy(), polars.to_arrow()):
        frame = as_pandas(table, "data")
        assert isinstance(frame, pd.DataFrame)
        assert frame.columns.tolist() == ["sex", "score", "n"]
        assert frame["score"].tolist() == [0.5, 0.25] and frame["n"].dtype == np.int64
        assert frame["sex"].tolist() == ["F", "M"]
    column = as_pandas(pl.Series("sex", ["F", "M", None]), "sensitive_features")
    assert isinstance(column, pd.Series) and column.name == "sex"
    assert column.tolist()[:2] == ["F", "M"] and column.isna().tolist() == [False, False, True]


def test_what_no_library_reads_is_returned_or_refused_naming_the_argument():
    thing = object()
    assert as_pandas(thing, "X") is thing  # the caller's own check decides
    with pytest.raises(ai.InputTypeError) as caught:
        as_pandas(thing, "X", strict=True)
    assert str(caught.value) == (
        "X: object is not a table this library can read. "
        "Pass a pandas, polars or pyarrow table, or a 2-D array"
    )


def test_as_frame_wants_a_table_not_a_column():
    frame = as_frame(pl.DataFrame({"a": [1, 2]}), "data", "Pass a table")
    assert isinstance(frame, pd.DataFrame) and frame.shape == (2, 1)
    with pytest.raises(ai.InputTypeError, match=r"^data: Series is not a table\. Pass a table$"):
        as_frame(pd.Series([1, 2]), "data", "Pass a table")
    with pytest.raises(ai.InputTypeError, match=r"^data: list is not a table\. Pass a table$"):
        as_frame([[1, 2]], "data", "Pass a table")


def test_as_narwhals_keeps_a_lazy_frame_lazy_and_names_the_argument():
    import narwhals as nw

    lazy = as_narwhals(pl.DataFrame({"a": [1]}).lazy(), "data", "Pass a table")
    assert isinstance(lazy, nw.LazyFrame)
    eager = as_narwhals(pd.DataFrame({"a": [1]}), "data", "Pass a table")
    assert isinstance(eager, nw.DataFrame)
    with pytest.raises(
        ai.InputTypeError,
        match=r"^data: list is not a dataframe this library can read\. Pass a table$",
    ):
        as_narwhals([1, 2], "data", "Pass a table")
