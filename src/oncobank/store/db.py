"""Where the clinical store lives and how to connect to it (SQLite file by default, PostgreSQL by URL)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_HOME = "oncobank-data"


def data_home() -> Path:
    """Folder for the embedded stores and attachments (ONCOBANK_HOME, else ./oncobank-data)."""
    return Path(os.environ.get("ONCOBANK_HOME", DEFAULT_HOME)).resolve()


def default_url() -> str:
    """The store URL: ONCOBANK_DB if set, else a SQLite file under the data home."""
    return os.environ.get("ONCOBANK_DB") or f"sqlite:///{data_home() / 'oncobank.sqlite'}"


def connect(url: str | None = None, **kwargs: object) -> Engine:
    """An engine for the store URL, with SQLite set up for safe concurrent use."""
    url = url or default_url()
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)  # type: ignore[arg-type]
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


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
