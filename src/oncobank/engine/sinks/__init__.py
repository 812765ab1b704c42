"""Writers of the analysis store, one per backend, chosen by URL: `open_sink(url).apply(delta)`."""

from __future__ import annotations

from oncobank.engine.sinks.base import Sink
from oncobank.engine.urls import parse

__all__ = ["Sink", "open_sink"]


def open_sink(url: str | None = None) -> Sink:
    """The writer of the analysis store at `url` (None: ONCOBANK_ANALYSIS, else the data home's DuckDB file)."""
    target = parse(url)
    if target.backend == "duckdb":
        from oncobank.engine.sinks.duckdb import DuckDBSink

        return DuckDBSink(target)
    if target.backend == "postgresql":
        from oncobank.engine.sinks.postgres import PostgresSink

        return PostgresSink(target)
    from oncobank.engine.sinks.parquet import ParquetSink

    return ParquetSink(target)
