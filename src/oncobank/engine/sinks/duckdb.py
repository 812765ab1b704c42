"""Writing a publish into a DuckDB file: the whole delta in one transaction, rows bulk-copied from Arrow."""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa

from oncobank.engine.delta import KEY, PublishDelta
from oncobank.engine.errors import EngineError
from oncobank.engine.names import quote
from oncobank.engine.sinks.base import Change, Sink, checked, same_columns
from oncobank.engine.snapshots import META_TABLE, new_id
from oncobank.engine.types import normalize
from oncobank.engine.urls import Target
from oncobank.store.db import private_folder

ROWS = "_oncobank_rows"
KEYS = "_oncobank_keys"
META_DDL = f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id VARCHAR, created_at TIMESTAMPTZ, full_publish BOOLEAN)"


def open_file(target: Target, *, wait: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the store's file (read-write unless `read_only`), waiting up to `wait` seconds while another
    process holds it."""
    assert target.path is not None
    private_folder(target.path.parent)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(target.path), read_only=read_only)
            break
        except duckdb.ConnectionException:
            raise EngineError(f"analysis store {target.path} is open for reading in this process: "
                              "close it before publishing") from None
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise EngineError(f"analysis store {target.path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise EngineError(f"analysis store {target.path} is open in another process: close its readers "
                                  "and publish again") from None
            time.sleep(0.2)
    if not read_only:
        con.execute("SET TimeZone = 'UTC'")
    return con


class DuckDBSink(Sink):
    """A DuckDB file written one transaction per publish; a killed process leaves the last committed snapshot."""

    def __init__(self, target: Target, *, wait: float = 30.0):
        super().__init__(target)
        self.wait = wait

    @property
    def snapshot(self) -> str | None:
        assert self.target.path is not None
        if not self.target.path.exists():
            return None
        con = open_file(self.target, wait=self.wait, read_only=True)  # beside this process's readers
        try:
            return _current(con)
        finally:
            con.close()

    def apply(self, delta: PublishDelta) -> None:
        changes = checked(delta)
        con = open_file(self.target, wait=self.wait)
        try:
            con.begin()
            try:
                con.execute(META_DDL)
                previous = _current(con)
                existing = _tables(con)
                written = {c.name for c in changes}
                gone = set(delta.drop) | (existing - written if delta.full else set())
                for name in sorted(gone & existing):
                    con.execute(f"DROP TABLE {quote(name)}")
                for change in changes:
                    _write(con, change, exists=change.name in existing)
                con.execute(f"INSERT INTO {META_TABLE} VALUES (?, now(), ?)", [new_id(previous), delta.full])
                con.commit()
            except duckdb.Error as exc:
                con.rollback()
                raise EngineError(f"analysis store {self.target.path}: {exc}; nothing was written") from None
            except BaseException:
                con.rollback()
                raise
            con.execute("CHECKPOINT")  # fold the WAL into the file so read-only openers start fast
        finally:
            con.close()


def _current(con: duckdb.DuckDBPyConnection) -> str | None:
    found = con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [META_TABLE]).fetchall()
    if not found:
        return None
    return con.execute(f"SELECT max(id) FROM {META_TABLE}").fetchall()[0][0]


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_catalog = current_database()").fetchall()
    return {r[0] for r in rows if not r[0].startswith("_")}


def stored_schema(con: duckdb.DuckDBPyConnection, name: str) -> pa.Schema:
    """The store's types of table `name`'s columns."""
    return normalize(con.sql(f"SELECT * FROM {quote(name)} LIMIT 0").to_arrow_table()).schema


def _write(con: duckdb.DuckDBPyConnection, change: Change, *, exists: bool) -> None:
    table = quote(change.name)
    con.register(ROWS, change.rows)
    try:
        if change.mode == "replace" or not exists:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {ROWS}")
            return
        same_columns(change.name, stored_schema(con, change.name), change.rows.schema)
        if change.mode == "patients":
            con.register(KEYS, change.keys)
            try:
                con.execute(f"DELETE FROM {table} WHERE {quote(KEY)} IN (SELECT {quote(KEY)} FROM {KEYS})")
            finally:
                con.unregister(KEYS)
        con.execute(f"INSERT INTO {table} SELECT * FROM {ROWS}")
    finally:
        con.unregister(ROWS)
