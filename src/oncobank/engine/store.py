"""The analysis store as one object whatever its backend: Ibis tables of the current snapshot, results as Arrow."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from oncobank.engine import duckdb_compat, snapshots
from oncobank.engine.errors import EngineError
from oncobank.engine.names import check_name, quote
from oncobank.engine.snapshots import META_TABLE
from oncobank.engine.types import normalize
from oncobank.engine.urls import Target, parse

if TYPE_CHECKING:
    import pandas as pd
    from ibis.backends import BaseBackend


class AnalysisStore:
    """A read connection to the current snapshot of an analysis store (DuckDB file, PostgreSQL schema, Spark).

    Write queries once as Ibis expressions on `table(name)`; `to_arrow` and `to_pandas` run them on whichever
    backend this is and return the store's column types.
    """

    def __init__(self, target: Target, backend: BaseBackend, snapshot: str | None, tables: list[str],
                 fetch: Callable[[ir.Table], pa.Table], closing: Callable[[], None]):
        self.target = target
        self.ibis = backend
        self.snapshot = snapshot
        self._tables = tables
        self._fetch = fetch
        self._closing = closing

    @property
    def backend(self) -> str:
        """duckdb, postgresql or spark."""
        return self.target.backend

    def tables(self) -> list[str]:
        """The tables of the current snapshot, sorted."""
        return list(self._tables)

    def table(self, name: str) -> ir.Table:
        """The Ibis table `name` of the current snapshot (EngineError if the snapshot has none)."""
        check_name(name)
        if name not in self._tables:
            raise EngineError(f"analysis store {self.target.describe()}: no table {name} "
                              f"(tables: {', '.join(self._tables) or 'none'})")
        if self.target.backend == "postgresql":
            return self.ibis.table(name, database=self.target.schema)
        return self.ibis.table(name)

    def to_arrow(self, expr: ir.Expr) -> Any:
        """Run `expr`: an Arrow table for a table, an Arrow array for a column, a Python value for a scalar."""
        result = normalize(self._fetch(expr.as_table()))
        if isinstance(expr, ir.Table):
            return result
        if isinstance(expr, ir.Column):
            return result.column(0)
        return result.column(0)[0].as_py()

    def to_pandas(self, expr: ir.Expr) -> pd.DataFrame | pd.Series | Any:
        """Run `expr` and return pandas: a DataFrame for a table, a Series for a column, a value for a scalar."""
        result = self.to_arrow(expr)
        if isinstance(result, pa.Table):
            return result.to_pandas()
        if isinstance(result, pa.ChunkedArray):
            return result.to_pandas().rename(expr.get_name())
        return result

    def close(self) -> None:
        """Close the connection (a Spark store leaves the process's Spark session running for the next one)."""
        self._closing()

    def __enter__(self) -> AnalysisStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AnalysisStore({self.target.describe()}, snapshot={self.snapshot})"


def connect(url: str | None = None, *, wait: float = 30.0) -> AnalysisStore:
    """Open the analysis store at `url` (None: ONCOBANK_ANALYSIS, else the DuckDB file in the data home).

    A DuckDB file is opened read-only; while a publish in another process holds it, this waits up to `wait` seconds.
    """
    return open_target(parse(url), wait=wait)


def open_target(target: Target, *, wait: float = 30.0) -> AnalysisStore:
    """Open the analysis store `target` names."""
    if target.backend == "duckdb":
        return _open_duckdb(target, wait)
    if target.backend == "postgresql":
        return _open_postgres(target)
    return _open_spark(target)


def _missing(target: Target) -> EngineError:
    return EngineError(f"no analysis store at {target.describe()}: run oncobank publish first")


def _open_duckdb(target: Target, wait: float) -> AnalysisStore:
    import duckdb

    assert target.path is not None
    if not target.path.is_file():
        raise _missing(target)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb_compat.patch(ibis.duckdb.connect(database=str(target.path), read_only=True))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise EngineError(f"analysis store {target.path} cannot be opened while a publish writes it") from None
            time.sleep(0.2)
        except duckdb.ConnectionException:
            raise EngineError(f"analysis store {target.path} is being written by this process") from None
    names = [t for t in con.list_tables() if not t.startswith("_")]
    snapshot = None
    if META_TABLE in con.list_tables():
        snapshot = con.raw_sql(f"SELECT max(id) FROM {META_TABLE}").fetchall()[0][0]
    return AnalysisStore(target, con, snapshot, sorted(names), con.to_pyarrow, con.disconnect)


def _open_postgres(target: Target) -> AnalysisStore:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(target.dsn or "")
    try:
        con = ibis.postgres.connect(host=parts.hostname or "localhost", port=parts.port or 5432,
                                    user=unquote(parts.username) if parts.username else None,
                                    password=unquote(parts.password) if parts.password else None,
                                    database=parts.path.lstrip("/"), schema=target.schema)
    except Exception as exc:  # the driver's connection errors: the server is down, the database unknown, ...
        raise EngineError(f"analysis store {target.describe()}: cannot connect ({exc.__class__.__name__})") from None
    with con.con.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (target.schema,))
        found = [r[0] for r in cursor.fetchall()]
        snapshot = None
        if META_TABLE in found:
            cursor.execute(f"SELECT max(id) FROM {quote(target.schema or '')}.{META_TABLE}")
            snapshot = cursor.fetchall()[0][0]
    if snapshot is None:
        con.disconnect()
        raise _missing(target)
    names = sorted(t for t in found if not t.startswith("_"))
    return AnalysisStore(target, con, snapshot, names, con.to_pyarrow, con.disconnect)


def _open_spark(target: Target) -> AnalysisStore:
    import pyarrow.parquet as pq

    from oncobank.engine.spark import ddl, reader_session

    assert target.path is not None
    snapshot = snapshots.current_id(target.path)
    if snapshot is None:
        raise _missing(target)
    manifest = snapshots.read_manifest(target.path, snapshot)
    session = reader_session()
    folder = snapshots.folder(target.path, snapshot)
    names = sorted(manifest["tables"])
    for name in names:
        table = folder / check_name(name)
        schema = pq.read_schema(table / manifest["tables"][name]["files"][0])
        session.read.schema(ddl(schema)).parquet(str(table)).createOrReplaceTempView(name)
    con = ibis.pyspark.connect(session)

    def fetch(expr: ir.Table) -> pa.Table:
        # Spark's own Arrow transfer keeps NaN apart from null (Ibis's default route goes through pandas).
        return session.sql(con.compile(expr)).toArrow()

    def closing() -> None:
        for name in names:
            session.catalog.dropTempView(name)

    return AnalysisStore(target, con, snapshot, names, fetch, closing)
