"""Where an analysis store lives, read from its URL: a DuckDB file, a PostgreSQL schema or a Spark snapshot folder.

    (none)                           ONCOBANK_ANALYSIS, else <data home>/analysis.duckdb
    duckdb:///analysis.duckdb        a DuckDB file (relative; four slashes for an absolute path, as SQLite URLs)
    some/folder/analysis.duckdb      a plain path ending in .duckdb
    postgresql://user@host/db        the schema `analysis` of that database (?schema=NAME for another)
    spark:PATH                       Parquet snapshots under PATH, read by PySpark in local mode
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from oncobank.engine.errors import EngineError
from oncobank.engine.names import check_name
from oncobank.store.home import data_home

URL_ENV = "ONCOBANK_ANALYSIS"
DEFAULT_FILE = "analysis.duckdb"
DEFAULT_SCHEMA = "analysis"
BACKENDS = ("duckdb", "postgresql", "spark")


@dataclass(frozen=True)
class Target:
    """A parsed analysis-store URL: `path` for DuckDB and Spark, `dsn` and `schema` for PostgreSQL."""

    backend: str
    path: Path | None = None
    dsn: str | None = None
    schema: str | None = None

    def describe(self) -> str:
        """Where the store is, for messages (a server's password left out)."""
        if self.backend == "postgresql":
            parts = urlsplit(self.dsn or "")
            host = parts.hostname or "localhost"
            return f"postgresql://{host}{':' + str(parts.port) if parts.port else ''}{parts.path} schema {self.schema}"
        return f"{self.backend}:{self.path}"


def default_url() -> str:
    """ONCOBANK_ANALYSIS if set, else the DuckDB file in the data home."""
    return os.environ.get(URL_ENV) or str(data_home() / DEFAULT_FILE)


def parse(url: str | None = None) -> Target:
    """The Target of `url` (None: the default); EngineError names a URL of no known backend."""
    url = url or default_url()
    if url.startswith("duckdb://"):
        rest = url.removeprefix("duckdb://")
        if not rest.startswith("/") or rest == "/":
            raise EngineError(f"analysis store URL {url!r}: expected duckdb:///FILE")
        return Target("duckdb", path=Path(rest[1:]).resolve())
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return _postgres(url)
    if url.startswith("spark:"):
        rest = url.removeprefix("spark:").removeprefix("//")
        if not rest:
            raise EngineError(f"analysis store URL {url!r}: expected spark:PATH (a folder)")
        return Target("spark", path=Path(rest).resolve())
    if url.endswith(".duckdb") and "://" not in url:
        return Target("duckdb", path=Path(url).resolve())
    raise EngineError(
        f"analysis store URL {url!r} not understood: expected a .duckdb file, duckdb:///FILE, "
        "postgresql://… or spark:PATH"
    )


def _postgres(url: str) -> Target:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = check_name(schemas[-1] if schemas else DEFAULT_SCHEMA, "schema")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, rest, ""))
    if not parts.path.strip("/"):
        raise EngineError("analysis store URL: a PostgreSQL URL must name its database (postgresql://host/DB)")
    return Target("postgresql", dsn=dsn, schema=schema)
