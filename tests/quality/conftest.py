"""The engine tests' store-URL fixtures (DuckDB file, PostgreSQL schema, Spark snapshot folder), reused here."""

from tests.engine.conftest import duckdb_url, parquet_url, pg_url, url  # noqa: F401 - fixtures
