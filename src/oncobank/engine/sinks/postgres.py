"""Writing a publish into a PostgreSQL schema: the whole delta in one transaction, rows streamed with COPY."""

from __future__ import annotations

import psycopg
import pyarrow as pa

from oncobank.engine.delta import KEY, PublishDelta
from oncobank.engine.errors import EngineError
from oncobank.engine.names import quote
from oncobank.engine.pgcopy import copy_chunks, pg_type
from oncobank.engine.sinks.base import Change, Sink, checked, same_columns
from oncobank.engine.snapshots import META_TABLE, new_id
from oncobank.engine.types import TIMESTAMP
from oncobank.engine.urls import Target

_FROM_PG = {
    "text": pa.string(), "bigint": pa.int64(), "double precision": pa.float64(), "boolean": pa.bool_(),
    "date": pa.date32(), "timestamp with time zone": TIMESTAMP,
}
_FROM_PG_ARRAY = {"_text": pa.string(), "_int8": pa.int64(), "_float8": pa.float64()}


class PostgresSink(Sink):
    """A PostgreSQL schema written one transaction per publish; readers see the old tables until it commits."""

    def __init__(self, target: Target):
        super().__init__(target)
        assert target.dsn is not None and target.schema is not None
        self.schema = target.schema

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.target.dsn or "", autocommit=False)
        except psycopg.Error as exc:
            raise EngineError(f"analysis store {self.target.describe()}: cannot connect "
                              f"({exc.__class__.__name__})") from None

    @property
    def snapshot(self) -> str | None:
        with self._connect() as conn:
            return _current(conn, self.schema)

    def apply(self, delta: PublishDelta) -> None:
        changes = checked(delta)
        step = ["connecting"]  # what the transaction was doing, for the message if the server refuses it
        try:
            with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
                self._apply(cur, conn, delta, changes, step)
        except psycopg.Error as exc:  # the server's own words, without the row it quotes in its context
            reason = exc.diag.message_primary or exc.__class__.__name__
            raise EngineError(f"analysis store {self.target.describe()}, {step[0]}: {reason}; "
                              "nothing was written") from None

    def _apply(self, cur: psycopg.Cursor, conn: psycopg.Connection, delta: PublishDelta, changes: list[Change],
               step: list[str]) -> None:
        schema = quote(self.schema)
        step[0] = "schema"
        # One publish at a time per schema: a second waits here instead of interleaving its tables.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"oncobank-analysis:{self.schema}",))
        cur.execute("SET LOCAL TimeZone = 'UTC'")  # the COPY input's timestamps are UTC without a zone
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{META_TABLE} "
                    "(id text, created_at timestamptz, full_publish boolean)")
        previous = _current(conn, self.schema)
        existing = _tables(cur, self.schema)
        written = {c.name for c in changes}
        gone = set(delta.drop) | (existing - written if delta.full else set())
        for name in sorted(gone & existing):
            step[0] = f"dropping table {name}"
            cur.execute(f"DROP TABLE {schema}.{quote(name)}")
        for change in changes:
            step[0] = f"table {change.name}"
            self._write(cur, change, exists=change.name in existing)
        step[0] = "snapshot"
        cur.execute(f"INSERT INTO {schema}.{META_TABLE} VALUES (%s, now(), %s)", (new_id(previous), delta.full))

    def _write(self, cur: psycopg.Cursor, change: Change, *, exists: bool) -> None:
        table = f"{quote(self.schema)}.{quote(change.name)}"
        if change.mode == "replace" or not exists:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            columns = ", ".join(f"{quote(f.name)} {pg_type(f.type)}" for f in change.rows.schema)
            cur.execute(f"CREATE TABLE {table} ({columns})")
        else:
            same_columns(change.name, _stored_schema(cur, self.schema, change.name), change.rows.schema)
            if change.mode == "patients":
                assert change.keys is not None
                cur.execute(f"DELETE FROM {table} WHERE {quote(KEY)} = ANY(%s)", (change.keys[KEY].to_pylist(),))
        names = ", ".join(quote(n) for n in change.rows.column_names)
        with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in copy_chunks(change.rows):
                copy.write(chunk)


def _current(conn: psycopg.Connection, schema: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f"{quote(schema)}.{META_TABLE}",))
        if cur.fetchone()[0] is None:  # type: ignore[index]
            return None
        cur.execute(f"SELECT max(id) FROM {quote(schema)}.{META_TABLE}")
        return cur.fetchone()[0]  # type: ignore[index]


def _tables(cur: psycopg.Cursor, schema: str) -> set[str]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
    return {r[0] for r in cur.fetchall() if not r[0].startswith("_")}


def _stored_schema(cur: psycopg.Cursor, schema: str, name: str) -> pa.Schema:
    cur.execute("SELECT column_name, data_type, udt_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (schema, name))
    fields = []
    for column, data_type, udt in cur.fetchall():
        kind = pa.list_(_FROM_PG_ARRAY[udt]) if data_type == "ARRAY" else _FROM_PG[data_type]
        fields.append(pa.field(column, kind))
    return pa.schema(fields)
