"""Ibis 12 on DuckDB 2: give Ibis's DuckDB connection back the two fetch methods DuckDB 2 renamed.

DuckDB 2 dropped `fetch_arrow_table` and `fetch_record_batch` from connections (`to_arrow_table`,
`to_arrow_reader` remain); Ibis 12 still calls the old names after `execute` in list_tables, get_schema of a SQL
query and to_pyarrow_batches. The wrapper forwards everything else to the real connection.
"""

from __future__ import annotations

import warnings
from typing import Any

import duckdb


class Connection:
    """A DuckDB connection that also answers to the fetch names Ibis 12 uses."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, *args: Any, **kwargs: Any) -> Connection:
        self._con.execute(*args, **kwargs)
        return self

    def fetch_arrow_table(self) -> Any:
        with warnings.catch_warnings():  # DuckDB 2 warns of the copy a DB-API result makes; these are small
            warnings.simplefilter("ignore", UserWarning)
            return self._con.to_arrow_table()

    def fetch_record_batch(self, rows_per_batch: int = 1_000_000) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self._con.to_arrow_reader(rows_per_batch)


def patch(backend: Any) -> Any:
    """`backend` (an Ibis DuckDB backend) with its connection wrapped, if this DuckDB lacks the old names."""
    if not hasattr(backend.con, "fetch_arrow_table") and not isinstance(backend.con, Connection):
        backend.con = Connection(backend.con)
    return backend
