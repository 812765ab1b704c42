"""What the survey learns about patients (identities, other systems' IDs, case-finding hits), kept in a DuckDB file.

The ingest reads every export once to learn who is who before it writes anything. Keeping that knowledge in a
temporary DuckDB database instead of Python dictionaries keeps the run's memory flat however many patients
the exports hold; linkage then runs on the same database (Splink's DuckDB backend reads its tables directly).

The database holds folded names and birth dates, so it lives beside the store, in a folder of the data home that
only its owner can open (`work/`, mode 0700), never in the system's temporary folder; `close()` removes it, and a
run killed before it could do so leaves a folder that the next survey removes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oncobank.ingest.linkage import IDENTITY_COLUMNS, identity_columns
from oncobank.ingest.records import Identity
from oncobank.store.home import data_home

BATCH = 2000  # rows buffered in Python before they go to DuckDB
RECENT = 10_000  # source IDs whose last spelling is remembered: rows of one patient usually come together
MEMORY_LIMIT = "32MB"  # DuckDB's buffer pool while the survey writes; beyond it, it works from its file

_TABLES = {
    "identity": ("system", "sid", "seq", "completeness", *IDENTITY_COLUMNS),
    "link": ("system", "sid", "other_system", "other", "seq"),
    "found_case": ("sid",),
    "open_id": ("system", "sid"),
    "registry": ("sid", "pid"),
}


class Survey:
    """A temporary DuckDB database of what the survey found; `finish()` before reading, `close()` at the end."""

    def __init__(self) -> None:
        import duckdb

        self._dir, self._lock = _claim(work_folder())
        self.con = duckdb.connect(str(self._dir / "survey.duckdb"))
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute("SET temp_directory = ?", [str(self._dir / "spill")])
        self.con.execute("SET preserve_insertion_order = false")
        for table, columns in _TABLES.items():
            types = ", ".join(f"{c} {'BIGINT' if c in ('seq', 'completeness', 'pid') else 'VARCHAR'}"
                              for c in columns)
            self.con.execute(f"CREATE TABLE {table} ({types})")
        self._buffers: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _TABLES}
        self._recent: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._seq = 0
        self.cells: dict[str, list[int]] = {}  # per section source: [empty, all] value cells (missing rate)

    # - while reading -

    def identity(self, system: str, sid: str, spelling: int, read: Callable[[], Identity]) -> None:
        """Record what a row says about who `sid` is; a spelling seen just before for the same ID is skipped."""
        key = (system, sid)
        if self._recent.get(key) == spelling:
            self._recent.move_to_end(key)
            return
        self._recent[key] = spelling
        self._recent.move_to_end(key)
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        found = read()
        self.add("identity", (system, sid, self._next(), found.completeness(), *identity_columns(found)))

    def link(self, system: str, sid: str, other_system: str, other: str) -> None:
        self.add("link", (system, sid, other_system, other, self._next()))

    def case(self, sid: str) -> None:
        self.add("found_case", (sid,))

    def finish(self) -> None:
        """Flush the buffers and settle each ID's fullest identity (the first of equals) and last-seen links."""
        for table in _TABLES:
            self.flush(table)
        self.con.execute("""
            CREATE OR REPLACE TABLE best AS SELECT * FROM identity
            QUALIFY row_number() OVER (PARTITION BY system, sid ORDER BY completeness DESC, seq) = 1""")
        self.con.execute("""
            CREATE OR REPLACE TABLE best_link AS SELECT * FROM link
            QUALIFY row_number() OVER (PARTITION BY system, sid, other_system ORDER BY seq DESC) = 1""")

    def flush(self, table: str) -> None:
        rows = self._buffers[table]
        if not rows:
            return
        import pandas as pd

        frame = pd.DataFrame.from_records(rows, columns=list(_TABLES[table]))
        self.con.register("incoming", frame)
        self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        self.con.unregister("incoming")
        self._buffers[table] = []

    # - reading back -

    def rows(self, sql: str, params: list[Any] | None = None, size: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
        """The query's rows in batches, read on a cursor of its own (other queries may run meanwhile)."""
        cursor = self.con.cursor()
        try:
            cursor.execute(sql, params or [])
            while batch := cursor.fetchmany(size):
                yield batch
        finally:
            cursor.close()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        found = self.con.execute(sql, params or []).fetchall()  # read to the end: the connection is free again
        return found[0][0] if found else None

    def close(self) -> None:
        """Close the database and remove its folder (the survey's lock file last)."""
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir.with_suffix(".lock").unlink(missing_ok=True)
        os.close(self._lock)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        """A row for one of the tables, buffered; `flush` (or `finish`) writes what is left."""
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush(table)

    def _next(self) -> int:
        self._seq += 1
        return self._seq


def work_folder() -> Path:
    """The ingest's working folder under the data home, readable by its owner only."""
    folder = data_home() / "work"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def _claim(work: Path) -> tuple[Path, int]:
    """A new survey folder and the descriptor whose lock says it is in use; stale folders are removed first.

    Each survey holds an exclusive lock on `survey-….lock` while it lives (the system drops it when the process
    dies, however it dies). Under the work folder's own lock, a survey that can take another's lock knows that
    one is dead and removes its folder.
    """
    with _locked(work / "lock"):
        for stale in work.glob("survey-*.lock"):
            try:
                fd = os.open(stale, os.O_RDWR)
            except FileNotFoundError:
                continue  # its survey closed meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its run is alive
            finally:
                os.close(fd)
            shutil.rmtree(stale.with_suffix(""), ignore_errors=True)
            stale.unlink(missing_ok=True)
        fd, lock = tempfile.mkstemp(prefix="survey-", suffix=".lock", dir=work)
        fcntl.flock(fd, fcntl.LOCK_EX)
        folder = Path(lock).with_suffix("")
        folder.mkdir(mode=0o700)
    return folder, fd


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
