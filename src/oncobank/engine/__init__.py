"""Connections to the analysis store, whatever its backend (DuckDB file, PostgreSQL schema, Spark Parquet snapshot).

    with oncobank.engine.connect() as store:      # or connect("postgresql://…"), connect("spark:PATH")
        t = store.table("demographics")
        store.to_pandas(t.group_by("sex").count())
"""

from oncobank.engine.errors import EngineError
from oncobank.engine.store import AnalysisStore, connect

__all__ = ["AnalysisStore", "EngineError", "connect"]
