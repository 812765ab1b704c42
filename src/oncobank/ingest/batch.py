"""One ingest batch at a time per store: the store's ingest lock, the batch log entry, and a run that stops cleanly.

Two ingests of one store at once would both number new registry patients and both link the same source IDs, so
a run holds the store's ingest lock from before its batch opens until the batch is closed: a PostgreSQL advisory
lock (the server drops it when the holding connection goes, however the process ends), or on SQLite an
exclusive lock on `<store>.ingest-lock` beside the store file (the system drops it with the process). A second
run waits for the first. Holding the lock, a run knows that any batch still `running` belongs to a run that was
killed, and marks it `failed`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from oncobank.ingest.limits import storable
from oncobank.ingest.mapping import Mapping, MappingError
from oncobank.ingest.models import IngestBatch
from oncobank.ingest.rows import AdapterError
from oncobank.ingest.writer import IngestReport
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import sqlite_file
from oncobank.store.errors import StoreError
from oncobank.store.models import utcnow

# The advisory lock's key: advisory locks are per database, so one constant key is one lock per store.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"oncobank ingest").digest()[:8], "big", signed=True)


class IngestStopped(Exception):
    """A run that stopped part-way: its batch is marked failed and `report` counts what it committed."""

    def __init__(self, report: IngestReport, reason: str):
        self.report, self.reason = report, reason
        super().__init__(
            f"the ingest stopped: {reason}. Batch {report.batch_id} is marked failed; the rows counted above are "
            "committed, the others are not: run the same command again (after fixing the cause) to finish"
        )


@contextmanager
def running_batch(
    store: ClinicalStore, mapping: Mapping, mapping_text: str, user: str,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, IngestReport]]:
    """The acting user's ID and the report of a new `running` batch, under the store's ingest lock.

    The batch is marked `done` with its counts when the block ends, and `failed` when it raises: a clean reason
    (an unreadable export, a mapping or store error, a write the database refused) becomes IngestStopped, anything
    else is raised as it is (a bug) once the batch is marked.
    """
    with ingest_lock(store.engine, lambda: on_wait and on_wait(_running(store))):
        _fail_interrupted(store)
        uid, batch_id = open_batch(store, mapping, mapping_text, user)
        report = IngestReport(batch_id)
        try:
            yield uid, report
        except (AdapterError, MappingError, StoreError) as exc:
            _mark_failed(store, report)
            raise IngestStopped(report, str(exc)) from None
        except SQLAlchemyError as exc:
            _mark_failed(store, report)
            raise IngestStopped(report, database_reason(exc)) from None
        except BaseException:
            _mark_failed(store, report)
            raise
        _finish(store, report, "done")


@contextmanager
def ingest_lock(engine: Engine, on_wait: Callable[[], object] | None = None) -> Iterator[None]:
    """Hold the store's ingest lock for the block; when another run holds it, call `on_wait` and wait for it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            conn.commit()  # the lock belongs to the session: no transaction stays open while the run works
            if not got:
                if on_wait:
                    on_wait()
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
                conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                conn.commit()
        return
    file = sqlite_file(engine.url.render_as_string(hide_password=False))
    if file is None:  # an in-memory store lives in one process
        yield
        return
    fd = os.open(Path(f"{file}.ingest-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def open_batch(store: ClinicalStore, mapping: Mapping, mapping_text: str, user: str) -> tuple[int, int]:
    """The acting user's ID and a new `running` entry of the batch log."""
    uid = store.known_user(user)
    store.ensure_centre(mapping.centre)
    with store.session() as s:
        batch_id = s.execute(
            insert(IngestBatch)
            .values(
                mapping=mapping.module, mapping_sha256=hashlib.sha256(mapping_text.encode()).hexdigest(),
                status="running", counts={},
            )
            .returning(IngestBatch.id)
        ).scalar_one()
    return uid, batch_id


def database_reason(exc: SQLAlchemyError) -> str:
    """What the database refused, without the statement, its parameters or a message that may quote a value."""
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: the SQLSTATE and where it happened
        where = [f"{name} {value}" for name, value in (
            ("table", diag.table_name), ("column", diag.column_name), ("constraint", diag.constraint_name)) if value]
        return f"the database refused a write: {type(orig).__name__} (SQLSTATE {orig.sqlstate}" + "".join(
            f", {w}" for w in where) + ")"
    if isinstance(orig, sqlite3.Error):  # SQLite's messages name tables and columns, never values
        return f"the database refused a write: {type(orig).__name__}: {str(orig).splitlines()[0]}"
    return f"the database refused a write: {type(orig or exc).__name__}"


def _running(store: ClinicalStore) -> str:
    with store.session() as s:
        found = s.execute(select(IngestBatch.id, IngestBatch.started_at).where(IngestBatch.status == "running")
                          .order_by(IngestBatch.id.desc()).limit(1)).first()
    if found is None:
        return "another ingest of this store is running: waiting for it to finish"
    return (f"another ingest of this store is running (batch {found.id}, started {found.started_at:%Y-%m-%d %H:%M}"
            " UTC): waiting for it to finish")


def _fail_interrupted(store: ClinicalStore) -> None:
    """Batches left `running` by a run that was killed (no live run holds the lock) are marked failed."""
    with store.session() as s:
        s.execute(update(IngestBatch).where(IngestBatch.status == "running")
                  .values(status="failed", finished_at=utcnow()))


def _finish(store: ClinicalStore, report: IngestReport, status: str) -> None:
    with store.session() as s:
        s.execute(update(IngestBatch).where(IngestBatch.id == report.batch_id)
                  .values(status=status, counts=storable(report.to_dict()), finished_at=utcnow()))


def _mark_failed(store: ClinicalStore, report: IngestReport) -> None:
    with suppress(SQLAlchemyError):  # the database is gone: the next run, holding the lock, marks the batch failed
        _finish(store, report, "failed")
