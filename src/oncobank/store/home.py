"""The data home: the folder for embedded stores, attachments, keys, logs and working files; the store's key files."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import URL

from oncobank.store.errors import StoreError

DEFAULT_HOME = "oncobank-data"
KEY_BYTES = 32
_MEMORY_KEYS: dict[str, bytes] = {}  # an in-memory store's keys live and die with this process


class KeyFileError(StoreError):
    """A key kept with the store is missing or malformed."""


def data_home() -> Path:
    """Folder for the embedded stores and attachments (ONCOBANK_HOME, else ./oncobank-data)."""
    return Path(os.environ.get("ONCOBANK_HOME", DEFAULT_HOME)).resolve()


def key_path(url: URL, name: str = "history") -> Path | None:
    """Where the key `name` of the store at `url` is kept: beside a SQLite file, in the data home for a server store."""
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        store = Path(url.database)
        return store.with_name(f"{store.name}.{name}-key")
    return data_home() / f"{name}.key"


def store_key(url: URL, name: str, env: str, what: str, *, create: bool = False) -> bytes:
    """A secret key kept with the store at `url`: `env` (hex), else its key file `name`, made (0600) if `create`.

    An in-memory store's key lives and dies with this process.
    """
    given = os.environ.get(env)
    if given:
        return _decode(given, env)
    path = key_path(url, name)
    if path is None:
        return _MEMORY_KEYS.setdefault(name, secrets.token_bytes(KEY_BYTES))
    try:
        return _decode(path.read_text(encoding="ascii"), f"the key file {path}")
    except FileNotFoundError:
        if not create:
            raise KeyFileError(
                f"the key of this store's {what.removeprefix('the ')} is missing ({path}); restore it from the "
                f"store's backup, or set {env}"
            ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key of {what} ({path}): {type(exc).__name__}") from None
    return _create_key(path)


def _decode(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"{where}: the key must be at least {2 * KEY_BYTES} hexadecimal digits")
    return key


def _create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the key
        return _decode(path.read_text(encoding="ascii"), f"the key file {path}")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key
