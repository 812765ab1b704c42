"""Where the clinical store lives and how to connect to it (SQLite file by default, PostgreSQL by URL)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from oncobank.store.home import data_home


def default_url() -> str:
    """The store URL: ONCOBANK_DB if set, else a SQLite file under the data home."""
    return os.environ.get("ONCOBANK_DB") or f"sqlite:///{data_home() / 'oncobank.sqlite'}"


def connect(url: str | None = None, **kwargs: object) -> Engine:
    """An engine for the store URL, with SQLite set up for safe concurrent use and every commit sealed.

    A SQLite store's file is created readable by its owner only (0600), and so is any folder made for it (0700).
    """
    from oncobank.store import chain, crypt, name_index

    chain.install()
    name_index.install()
    url = url or default_url()
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)  # type: ignore[arg-type]
        if parsed.database and parsed.database != ":memory:":
            file = Path(parsed.database)
            private_folder(file.parent)
            event.listen(engine, "do_connect", lambda *_: _private_file(file))
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]
    crypt.attach(engine)  # identifying values are encrypted and decrypted at the column types
    return engine


def private_folder(folder: Path) -> None:
    """Make `folder` and any missing parents, each one made here readable by its owner only (0700)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for part in reversed(missing):
        part.mkdir(mode=0o700, exist_ok=True)
        part.chmod(0o700)  # mkdir's mode passes through the umask


def _private_file(file: Path) -> None:
    # Before SQLite opens a new store: an empty file is an empty database, and its -wal and -shm files take its mode.
    with contextlib.suppress(OSError):  # there already, or not creatable: SQLite says why when it opens it
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL (None for a server or an in-memory store)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)
