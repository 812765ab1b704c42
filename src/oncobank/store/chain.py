"""The history seal: a keyed hash chain over the store's history and identity rows, extended at each commit.

Every row a store session adds to a sealed table gets a link in `history_chain`: the row's HMAC-SHA256 over the
columns listed in SEALED, and a chain hash over the link before it. The session's commit writes the links (one
INSERT per commit, serialised by the database's write lock on SQLite and an advisory lock on PostgreSQL), so the
chain's order is the order of commits. Rows written any other way stay unsealed, and `verify` names them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, Table, event, func, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from oncobank.store import crypt
from oncobank.store.home import KeyFileError, key_path, store_key  # noqa: F401 - key_path: importable here too
from oncobank.store.models import WRITE_TOKEN, WRITTEN, Base, EntryValues, HistoryLink, LookupText

# The columns each sealed table's row hash covers, in the order they are hashed. Frozen: a change is a new
# FORMAT, or every row sealed before it would fail to verify. `entry.current_version` is not here: it moves
# with every edit, and `verify` checks it against the entry's sealed versions instead.
SEALED: dict[str, tuple[str, ...]] = {
    "centre": ("id", "code"),
    "app_user": ("id", "username", "created_at"),
    "patient": ("id", "registry_id", "module", "centre_id", "created_at", "created_by"),
    "patient_identifier": ("id", "patient_id", "system", "value"),
    "entry": ("id", "patient_id", "section", "created_at", "created_by"),
    "entry_version": ("id", "entry_id", "version", "status", "entry_date", "facility", "values", "entered",
                      "reference_ranges", "warnings", "reason", "author_id", "created_at"),
    "review": ("id", "entry_id", "entry_version", "reviewer_id", "review_date", "facility", "agreement",
               "revised_values", "comment", "created_at"),
    "attachment": ("id", "patient_id", "entry_id", "sha256", "size", "media_type", "original_name", "created_at",
                   "created_by"),
    "audit_log": ("id", "at", "user_id", "username", "action", "patient_id", "entry_id", "details"),
}
FORMAT = "oncobank-history-1"
GENESIS = "genesis"  # table name of link 0, whose row hash is the store's random nonce
KEY_ENV = "ONCOBANK_HISTORY_KEY"
LOCK_KEY = int.from_bytes(hashlib.sha256(b"oncobank history seal").digest()[:8], "big", signed=True)
CONNECTIONS = "oncobank_sealed_connections"  # session info: the connections whose writes the commit seals


class HistoryKeyError(KeyFileError):
    """The key of the history seal is missing, malformed or not the one this store's chain was started with."""


def tables() -> dict[str, Table]:
    """The sealed tables by name, in the order a commit seals them (parents before the rows that point to them)."""
    return {name: Base.metadata.tables[name] for name in SEALED}


# --- the key ---------------------------------------------------------------------------------------------------


def history_key(url: URL, *, create: bool = False) -> bytes:
    """The seal's key: ONCOBANK_HISTORY_KEY (hex), else the key file of the store, made (mode 0600) if `create`."""
    try:
        return store_key(url, "history", KEY_ENV, "the history seal", create=create)
    except KeyFileError as exc:
        raise HistoryKeyError(str(exc)) from None



# --- hashing ---------------------------------------------------------------------------------------------------


def _when(value: Any) -> str:
    """A timestamp in UTC with microseconds (PostgreSQL gives aware times, SQLite naive UTC ones), a date in ISO."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a sealed column holds a {type(value).__name__}")


def _whole(value: Any) -> Any:
    """Floats of 1e16 and more as the integers they are: JSONB gives them back as integers, a JSON column as floats."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e16:
        return int(Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def row_hash(key: bytes, table: str, row: Sequence[Any]) -> str:
    """The keyed hash of one row's sealed columns (in SEALED order), as canonical JSON alike on both backends."""
    values = [FORMAT, table, *row]
    text = json.dumps(values, default=_when, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if "e+" in text:  # a float written with an exponent: 1e16 or more (rare; the walk is slow)
        text = json.dumps(_whole(values), default=_when, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()


def link_hash(key: bytes, previous: str, seq: int, table: str, row_id: int, digest: str) -> str:
    """The chain hash of link `seq`: it commits to the link before it, its place, its row and the row's hash."""
    return hmac.digest(key, f"{previous}|{seq}|{table}|{row_id}|{digest}".encode(), "sha256").hex()


def genesis_hash(key: bytes, nonce: str) -> str:
    return hmac.digest(key, f"{FORMAT}|{nonce}".encode(), "sha256").hex()


# --- sealing ---------------------------------------------------------------------------------------------------


def install() -> None:
    """Seal what every store session writes, at its commit (idempotent)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "after_begin", _after_begin)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_end)


def _after_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction's token stays
        return
    info = connection.info  # the pooled connection's: still there once the Connection is closed
    info[WRITE_TOKEN] = secrets.randbits(62) + 1
    info.pop(WRITTEN, None)
    session.info.setdefault(CONNECTIONS, []).append((connection, info))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # ORM objects still pending are written (and so sealed) now
    for connection, _ in session.info.get(CONNECTIONS, ()):
        seal(connection)


def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for _, info in session.info.pop(CONNECTIONS, ()):
            info.pop(WRITE_TOKEN, None)
            info.pop(WRITTEN, None)


def seal(connection: Connection) -> int:
    """Link the rows this connection's store session wrote to sealed tables; returns how many were linked."""
    written = connection.info.pop(WRITTEN, None)
    token = connection.info.get(WRITE_TOKEN)
    if not written or token is None:
        return 0
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    return extend(connection, ((name, _read(connection, name, f"WHERE txn = {mark}", (token,)))
                               for name in SEALED if name in written))


def adopt(connection: Connection) -> int:
    """Seal every row of the sealed tables that has no link yet (an upgraded store's earlier history)."""
    return extend(connection, (
        (name, _read(connection, name, f"WHERE NOT EXISTS (SELECT 1 FROM history_chain h WHERE h.table_name = "
                                       f"'{name}' AND h.row_id = {name}.id)"))
        for name in SEALED))


def extend(connection: Connection, rows: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> int:
    """Append a link for each (table, rows) row to the chain, under the chain's lock, in one statement."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    else:  # SQLite's write lock before the chain's end is read: a savepoint's release may have committed and freed it
        connection.exec_driver_sql("UPDATE history_chain SET seq = seq WHERE 0")
    links: list[dict[str, Any]] = []
    key, seq, previous = b"", -1, ""
    for name, batch in rows:
        for row in batch:
            if seq < 0:  # the chain's end is read once there is something to add to it
                key, seq, previous = _head(connection)
            digest = row_hash(key, name, row)
            seq += 1
            previous = link_hash(key, previous, seq, name, row[0], digest)
            links.append((seq, name, row[0], digest, previous))
    if links:
        _write(connection, links)
    return len(links)


def _write(connection: Connection, links: list[tuple[Any, ...]]) -> None:
    """The links in one statement on the driver itself: COPY on PostgreSQL, executemany on SQLite."""
    columns = "seq, table_name, row_id, row_hash, chain_hash"
    raw: Any = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        sql = f"COPY history_chain ({columns}) FROM STDIN"
        with _driver(connection, sql), raw.cursor() as cursor, cursor.copy(sql) as copy:
            for link in links:
                copy.write_row(link)
    else:
        sql = f"INSERT INTO history_chain ({columns}) VALUES (?, ?, ?, ?, ?)"
        with _driver(connection, sql):
            raw.executemany(sql, links)


def _head(connection: Connection) -> tuple[bytes, int, str]:
    """The key, and the last link's place and hash; a chain not started yet gets its link 0 (and the key its file)."""
    link = HistoryLink.__table__
    last = select(func.max(link.c.seq)).scalar_subquery()
    ends = {r.seq: r for r in connection.execute(
        select(link.c.seq, link.c.row_hash, link.c.chain_hash).where(link.c.seq.in_([0, last])))}
    if not ends:
        key = history_key(connection.engine.url, create=True)
        nonce = secrets.token_hex(16)
        start = genesis_hash(key, nonce)
        connection.execute(insert(link).values(seq=0, table_name=GENESIS, row_id=0, row_hash=nonce, chain_hash=start))
        return key, 0, start
    key = history_key(connection.engine.url)
    genesis = ends.get(0)
    if genesis is None or genesis.chain_hash != genesis_hash(key, genesis.row_hash):
        raise HistoryKeyError(
            "the history seal's key does not open this store's chain (the key is not this store's, or the chain's "
            "first link was changed); nothing was written. Run `oncobank audit verify`"
        )
    head = ends[max(ends)]
    return key, head.seq, head.chain_hash


def rows_of(connection: Connection, name: str) -> Iterator[tuple[Any, ...]]:
    """Every row of a sealed table (its sealed columns, as they are hashed), by ID, streamed."""
    return _read(connection, name, stream=True)


def _read(connection: Connection, name: str, where: str = "", params: Sequence[Any] = (), *,
          stream: bool = False) -> Iterator[tuple[Any, ...]]:
    """A sealed table's rows by ID, straight from the driver, each value turned into what is hashed.

    The driver's values skip SQLAlchemy's result processing, which cost more than the hashing: JSON comes as text
    from SQLite and decoded from PostgreSQL, times as text from SQLite and aware from PostgreSQL.
    """
    columns = SEALED[name]
    quoted = ", ".join(f'"{c}"' for c in columns)  # "values" is a keyword
    sql = f"SELECT {quoted} FROM {name} {where} ORDER BY id"
    convert = [_converter(tables()[name].c[c].type, connection) for c in columns]
    raw: Any = connection.connection.dbapi_connection
    server_side = stream and connection.dialect.name == "postgresql"  # a big table, fetched batch by batch
    cursor = raw.cursor(name=f"oncobank_{name}") if server_side else raw.cursor()
    try:
        with _driver(connection, sql):
            cursor.execute(sql, params)
            batch = cursor.fetchmany(2000)
        while batch:
            for row in batch:
                yield tuple(v if f is None or v is None else _safely(f, v) for f, v in zip(convert, row, strict=True))
            with _driver(connection, sql):
                batch = cursor.fetchmany(2000)
    finally:  # also when the reader is dropped half-way, perhaps after its connection closed
        with suppress(connection.dialect.loaded_dbapi.Error):
            cursor.close()


def _converter(kind: Any, connection: Connection) -> Callable[[Any], Any] | None:
    """How a driver's value becomes what is hashed; an encrypted value is hashed as its plain value (see
    docs/security.md: the seal vouches for the content whatever key it is encrypted with)."""
    backend = connection.dialect.name
    if isinstance(kind, EntryValues):
        show = crypt.attach(connection.engine).show_fields
        return (lambda v: show(json.loads(v))) if backend == "sqlite" else show
    if isinstance(kind, LookupText):
        return crypt.attach(connection.engine).open
    if isinstance(kind, DateTime):
        return (lambda v: _when(datetime.fromisoformat(v))) if backend == "sqlite" else _when
    if isinstance(kind, Date):
        return (lambda v: date.fromisoformat(v).isoformat()) if backend == "sqlite" else _when
    if isinstance(kind, JSON) and backend == "sqlite":
        return json.loads
    return None


def _safely(convert: Callable[[Any], Any], value: Any) -> Any:
    # A value written past the store may be anything (SQLite keeps any type in any column): it hashes as what it is.
    try:
        return convert(value)
    except (TypeError, ValueError):
        return {"unreadable": repr(value)}


@contextmanager
def _driver(connection: Connection, statement: str) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's, without parameters, as the rest of the store raises them."""
    try:
        yield
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, connection.dialect.loaded_dbapi.Error,
                                  hide_parameters=True, dialect=connection.dialect) from exc


def links_of(connection: Connection, name: str | None = None) -> Iterator[Any]:
    """The chain's links, streamed: all by place, or those of one table by row ID."""
    link = HistoryLink.__table__
    query = select(link.c.seq, link.c.table_name, link.c.row_id, link.c.row_hash, link.c.chain_hash)
    query = query.order_by(link.c.seq) if name is None else query.where(link.c.table_name == name).order_by(
        link.c.row_id)
    yield from connection.execution_options(yield_per=5000).execute(query)


def counts(connection: Connection) -> Mapping[str, int]:
    """Rows per sealed table and links in the chain."""
    found = {name: connection.scalar(select(func.count()).select_from(table)) or 0
             for name, table in tables().items()}
    found["history_chain"] = connection.scalar(select(func.count()).select_from(HistoryLink.__table__)) or 0
    return found
