"""Parquet files on disk as one lazy table: paths and globs resolved, schemas checked.

Called by :mod:`adverse_impact._core._counts` when ``data`` is a path, a glob or
a list of them.  The files are opened lazily (a DuckDB relation, or a
polars ``LazyFrame`` where DuckDB is not installed), so the count query
streams through the engine and no row reaches Python.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adverse_impact._core._errors import input_error

__all__ = ["duckdb_connection", "is_path_like", "open_parquet", "resolve_files"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def is_path_like(data: Any) -> bool:
    """A path, a glob, or a non-empty list of them."""
    if isinstance(data, (str, os.PathLike)):
        return True
    return (
        isinstance(data, (list, tuple))
        and len(data) > 0
        and all(isinstance(d, (str, os.PathLike)) for d in data)
    )


def resolve_files(data: str | os.PathLike[str] | Sequence[Any]) -> list[str]:
    """Every Parquet file named by ``data``, sorted; a directory means all files under it.

    Examples
    --------
    >>> import tempfile
    >>> from adverse_impact._core._sources import resolve_files
    >>> try:
    ...     resolve_files(tempfile.mkdtemp() + "/*.parquet")
    ... except ValueError as error:
    ...     print(str(error).split(":")[0])
    data
    """
    patterns = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    files: list[str] = []
    for pattern in map(str, patterns):
        path = Path(pattern)
        if path.is_dir():
            found = sorted(
                str(p)
                for p in path.rglob("*")
                if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file()
            )
            where = f"the directory {pattern!r} holds no .parquet file"
        elif glob.has_magic(pattern):
            found = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
            where = f"the pattern {pattern!r} matches no file"
        else:
            found = [pattern] if path.is_file() else []
            where = f"no file at {pattern!r}"
        if not found:
            raise input_error(
                "data", where, "Check the path or the glob (e.g. 'logs/year=*/month=*/*.parquet')"
            )
        for file in found:
            if Path(file).suffix.lower() not in PARQUET_SUFFIXES:
                raise input_error(
                    "data",
                    f"{file!r} is not a Parquet file (.parquet or .pq)",
                    "Pass Parquet files; read CSV files into a DataFrame first",
                )
        files += found
    return list(dict.fromkeys(files))


def _family(dtype: Any) -> str:
    """A column type up to storage details the engines reconcile themselves.

    Integer widths, float widths, dictionary encoding, large offsets and
    timestamp units differ between writers of the same export; a change of
    kind (numbers to text, dates to text) is what the schema check is for.
    """
    import pyarrow as pa

    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "floating"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string"
    if pa.types.is_timestamp(dtype):
        return f"timestamp[tz={dtype.tz}]" if dtype.tz else "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    return str(dtype)


def _check_schemas(files: list[str]) -> None:
    """Refuse files whose columns or types differ: a silent union would hide the change."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return

    def read(file: str) -> Any:
        try:
            return pq.read_schema(file)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
            return exc

    # Footers are read in threads (pyarrow releases the GIL): years of daily
    # files are thousands of small reads.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(files))) as pool:
        schemas = list(pool.map(read, files))
    first = None
    for file, schema in zip(files, schemas):
        if isinstance(schema, Exception):
            raise input_error(
                "data",
                f"cannot read the Parquet metadata of {file!r} ({schema})",
                "Remove or repair the file",
            ) from schema
        columns = {f.name: _family(f.type) for f in schema}
        if first is None:
            first = (file, columns)
            continue
        if columns != first[1]:
            missing = sorted(set(first[1]) - set(columns))
            extra = sorted(set(columns) - set(first[1]))
            changed = sorted(k for k in set(columns) & set(first[1]) if columns[k] != first[1][k])
            details = "; ".join(
                part
                for part in (
                    f"missing {missing}" if missing else "",
                    f"extra {extra}" if extra else "",
                    "types differ for "
                    + ", ".join(f"{k} ({first[1][k]} vs {columns[k]})" for k in changed)
                    if changed
                    else "",
                )
                if part
            )
            raise input_error(
                "data",
                f"the files have different schemas: {file!r} differs from {first[0]!r} ({details})",
                "Rewrite the files with one schema, or audit them separately",
            )


def duckdb_connection() -> Any:
    """A DuckDB connection of the library's own, with the progress bar off.

    DuckDB draws a progress bar on stdout for queries over two seconds, even
    when stdout is not a terminal; from a library call (and the CLI's JSON or
    HTML on stdout) that is output nobody asked for.  The user's default
    connection is left as it is: a relation keeps its connection alive.
    """
    import duckdb

    connection = duckdb.connect()
    # Session options only (not accepted by connect's config).  Both: with the bar
    # "disabled" DuckDB 1.x still prints it when a result is fetched as a DataFrame
    # or an Arrow table, unless printing is off too.
    connection.execute("SET enable_progress_bar = false")
    connection.execute("SET enable_progress_bar_print = false")
    return connection


def open_parquet(data: Any) -> Any:
    """A lazy table over the Parquet files ``data`` names (DuckDB, else polars)."""
    files = resolve_files(data)
    _check_schemas(files)
    try:
        import duckdb
    except ImportError:
        duckdb = None
    if duckdb is not None:
        try:
            return duckdb_connection().read_parquet(files)
        except duckdb.Error as exc:
            raise input_error(
                "data",
                f"DuckDB cannot read the files ({exc})",
                "Check that every file is a valid Parquet file",
            ) from exc
    try:
        import polars as pl
    except ImportError as exc:
        raise input_error(
            "data",
            "reading Parquet files out of core needs DuckDB or polars",
            'Install one: pip install "adverse-impact[duckdb]" (or [polars])',
        ) from exc
    return pl.scan_parquet(files)
