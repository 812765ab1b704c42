"""Connections to the analysis store, whatever its backend (DuckDB file, PostgreSQL schema, Spark Parquet snapshot)."""
