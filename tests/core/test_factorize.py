"""Coding text labels on Arrow, in slices and threads.

``_core._groups.factorize_columns`` codes Arrow-backed text by looking each
slice up among the labels of the column's head (``pyarrow.compute.index_in``)
and dictionary-encoding the rows whose label first appears later; the codes
and labels must be exactly those of the path it replaced
(``pandas.factorize``): labels in order of first appearance, -1 for a
missing label.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._core import _groups

LABELS = ["F", "M", "", "Native Hawaiian or Pacific Islander", "é", "Ünknown", " M", "NaN"]


@contextlib.contextmanager
def _slicing(rows: int, parallel_from: int, head: int = _groups.HEAD_ROWS):
    """Small slices, threads from ``parallel_from`` rows and a short head, for tiny inputs."""
    saved = _groups.SLICE_ROWS, _groups.PARALLEL_ROWS, _groups.HEAD_ROWS
    _groups.SLICE_ROWS, _groups.PARALLEL_ROWS, _groups.HEAD_ROWS = rows, parallel_from, head
    try:
        yield
    finally:
        _groups.SLICE_ROWS, _groups.PARALLEL_ROWS, _groups.HEAD_ROWS = saved


def _old(values: pd.Series) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, list(np.asarray(uniques, dtype=object))


def _arrow_series(labels: list, kind: str, chunks: int) -> pd.Series:
    if kind == "str":
        return pd.Series(labels, dtype=pd.StringDtype("pyarrow"))
    if kind == "str-nan":
        return pd.Series(labels, dtype="str")
    arrow_type = pa.string() if kind == "arrow-string" else pa.large_string()
    cut = np.linspace(0, len(labels), chunks + 1).astype(int)
    data = pa.chunked_array(
        [pa.array(labels[a:b], type=arrow_type) for a, b in zip(cut[:-1], cut[1:])],
        type=arrow_type,
    )
    return pd.Series(pd.arrays.ArrowExtensionArray(data))


@given(
    labels=st.lists(
        st.one_of(st.sampled_from(LABELS), st.none(), st.text(max_size=3)), max_size=60
    ),
    kind=st.sampled_from(["str", "str-nan", "arrow-string", "arrow-large-string"]),
    chunks=st.integers(1, 3),
    slice_rows=st.integers(1, 9),
    threads=st.booleans(),
    head=st.integers(0, 12),
)
def test_arrow_coding_gives_the_codes_and_labels_of_pandas_factorize(
    labels, kind, chunks, slice_rows, threads, head
):
    """Labels first seen in the head, past it, or both; one slice or many; threads or not."""
    values = _arrow_series(labels, kind, chunks)
    assert _groups._arrow_text(values) is not None
    expected_codes, expected_labels = _old(values)
    with _slicing(slice_rows, parallel_from=0 if threads else 10**9, head=head):
        codes, uniques = _groups.factorize(values, "sensitive_features['x']")
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == expected_labels
    assert all(type(u) is str for u in uniques)


@given(
    columns=st.lists(
        st.lists(st.one_of(st.sampled_from(LABELS[:4]), st.none()), min_size=30, max_size=30),
        min_size=1,
        max_size=3,
    )
)
def test_several_columns_coded_in_threads_match_one_by_one(columns):
    series = [pd.Series(c, dtype="str") for c in columns]
    with _slicing(4, parallel_from=0, head=7):
        together = _groups.factorize_columns([(s, f"c{i}") for i, s in enumerate(series)])
    for s, (codes, uniques) in zip(series, together):
        expected_codes, expected_labels = _old(s)
        assert codes.tolist() == expected_codes.tolist() and list(uniques) == expected_labels


def test_non_arrow_columns_take_the_pandas_path_unchanged():
    for values in (
        pd.Series(["b", "a", None], dtype=object),
        pd.Series(["b", "a", None], dtype=pd.StringDtype("python")),
        pd.Series([3, 1, 3]),
        pd.Series(["b", "a", "b"], dtype="category"),
    ):
        assert _groups._arrow_text(values) is None
    codes, uniques = _groups.factorize(pd.Series(["b", "a", None], dtype="category"), "x")
    assert codes.tolist() == [1, 0, -1] and list(uniques) == ["a", "b"]


@pytest.mark.parametrize("head", [_groups.HEAD_ROWS, 10, 0])
def test_an_id_column_is_refused_with_the_same_message_on_either_path(head):
    """Whether the head already shows too many labels or only the rows after it do."""
    ids = [f"id{i}" for i in range(1_500)]
    messages = []
    for values in (pd.Series(ids, dtype=object), pd.Series(ids, dtype="str")):
        with _slicing(_groups.SLICE_ROWS, _groups.PARALLEL_ROWS, head=head):
            with pytest.raises(ai.InputError, match="looks like an ID") as info:
                _groups.factorize(values, "sensitive_features['id']")
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_a_label_first_seen_past_the_head_is_coded_after_the_head_labels():
    values = pd.Series(["b", "a", None, "b", "c", "a", "d", "c"], dtype="str")
    with _slicing(3, parallel_from=0, head=4):
        codes, uniques = _groups.factorize(values, "sensitive_features['x']")
    assert codes.tolist() == [0, 1, -1, 0, 2, 1, 3, 2]
    assert uniques.tolist() == ["b", "a", "c", "d"]


def test_an_audit_from_text_labels_equals_the_audit_from_categoricals():
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    import _data

    frame = _data.applicants(300_000, seed=3)
    assert frame["sex"].dtype == "str"  # pandas' default text: Arrow strings
    options = {
        "selected": "selected",
        "sensitive_features": ["sex", "race"],
        "unknown": ["Unknown"],
    }
    # Threads, eight slices per column, and a head that misses the rarer labels.
    with _slicing(40_000, parallel_from=100_000, head=20):
        text = ai.audit(frame, **options)
    categorical = ai.audit(_data.categorical(frame), **options)
    pd.testing.assert_frame_equal(text.table, categorical.table)


@given(
    values=st.lists(
        st.one_of(st.sampled_from(LABELS), st.none(), st.just(float("nan")), st.text(max_size=3)),
        max_size=40,
    ),
    kind=st.sampled_from(["object-array", "object-series", "str", "ints", "mixed"]),
)
def test_factorize_values_gives_the_codes_and_values_of_pandas_factorize(values, kind):
    """Unbounded factorizing (surnames, ZCTAs) through Arrow equals pandas.factorize."""
    if kind == "ints":
        values = [None if v is None else len(str(v)) for v in values]
    if kind == "mixed":
        values = [*values, 7]
    column = np.array(values, dtype=object)
    if kind == "object-series":
        column = pd.Series(column, dtype=object)
    elif kind == "str":
        column = pd.Series([v if isinstance(v, str) else None for v in values], dtype="str")
    expected_codes, expected_values = pd.factorize(column, use_na_sentinel=True)
    codes, uniques = _groups.factorize_values(column)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_values)


def test_factorize_values_has_no_limit_on_distinct_values():
    ids = np.array([f"id{i}" for i in range(5_000)] * 2, dtype=object)
    codes, uniques = _groups.factorize_values(ids)
    assert len(uniques) == 5_000 and codes.max() == 4_999 and codes[5_000] == 0


def test_the_labels_benchmark_runs_on_a_small_sample(capsys):
    import runpy

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "labels.py"
    module = runpy.run_path(str(script))
    assert module["main"](["--sizes", "3000", "--repeats", "1", "--peer-repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| categoricals |" in out and "| text (Arrow strings) |" in out
    assert "Text / categoricals (wall)" in out
