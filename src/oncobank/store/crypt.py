"""Encryption at rest of identifying values: AES-GCM envelopes, keys outside the database, blind indexes.

Two secrets, each kept like the history seal's key (beside a SQLite store, in the data home for a server store, or
from the environment), never in the database:

- the **data key ring** (`NAME.sqlite.data-key` / `data.key`, or ONCOBANK_DATA_KEY): one key per line, the newest
  last. Values are encrypted with the newest key into `v1:<key id>:<base64 of nonce + ciphertext>`; a value
  names its key, so keys added by a rotation leave older values readable while their keys stay in the ring.
- the **index key** (`NAME.sqlite.index-key` / `index.key`, or ONCOBANK_INDEX_KEY): keyed hashes for lookups.
  A source system's patient ID is encrypted deterministically (`d1:…`: the nonce is an HMAC of the value, so the
  same ID always gives the same text and the store's equality lookups and unique constraints keep working), and
  name tokens for the patient list's search are HMACs of the folded words. It is never rotated in place: its
  outputs are the lookup keys of append-only rows.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from oncobank.store.errors import StoreError
from oncobank.store.home import key_path, store_key

DATA_ENV = "ONCOBANK_DATA_KEY"  # the key ring: hex keys separated by commas, the newest last
INDEX_ENV = "ONCOBANK_INDEX_KEY"
ENVELOPE = "enc"  # an encrypted JSON value: {"enc": "v1:<key id>:<base64>"}
RANDOM = "v1"
FIXED = "d1"
KEY_BYTES = 32
NONCE = 12
FIXED_CACHE = 50_000  # values of deterministic encryption kept in memory, each way
_AAD = b"oncobank-data-1"
_ATTR = "oncobank_codec"  # the dialect attribute holding the engine's codec


class DataKeyError(StoreError):
    """A data or index key is missing or malformed, or a value was encrypted with a key the ring does not hold."""


def _key_id(key: bytes) -> str:
    return hmac.digest(key, b"oncobank key id", "sha256").hex()[:8]


def _decode(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise DataKeyError(f"{where}: each key must be {2 * KEY_BYTES} hexadecimal digits")
    return key


def _write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Codec:
    """The encryption of one store: its key ring, its index key, and which JSON fields are identifying."""

    def __init__(self, url: URL):
        self.url = url
        self.fields: set[str] = set()  # names of identifying fields, whose values in entry JSON are encrypted
        self._ring: dict[str, AESGCM] | None = None
        self._newest = ""
        self._index: tuple[bytes, AESGCM, bytes] | None = None
        self._memory: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()
        # Deterministic encryption gives the same text for the same value, and an ingest binds the same source IDs
        # over and over (a patient's every row): both directions are kept, up to FIXED_CACHE values.
        self._fixed: dict[str, str] = {}
        self._opened: dict[str, str] = {}

    # - keys -

    def _ring_keys(self, create: bool) -> list[bytes]:
        given = os.environ.get(DATA_ENV)
        if given:
            return [_decode(part, DATA_ENV) for part in given.split(",") if part.strip()]
        path = key_path(self.url, "data")
        if path is None:
            return self._memory.setdefault("data", [secrets.token_bytes(KEY_BYTES)])
        try:
            lines = path.read_text(encoding="ascii").split()
        except FileNotFoundError:
            if not create:
                raise DataKeyError(f"the data key ring of this store is missing ({path}); restore it from the "
                                   f"store's backup, or set {DATA_ENV}") from None
            _create(path)
            lines = path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataKeyError(f"cannot read the data key ring ({path}): {type(exc).__name__}") from None
        return [_decode(line, f"the key file {path}") for line in lines]

    def _keys(self, create: bool) -> dict[str, AESGCM]:
        with self._lock:
            if self._ring is None or (create and not self._newest):
                keys = self._ring_keys(create)
                self._ring = {_key_id(k): AESGCM(k) for k in keys}
                self._newest = _key_id(keys[-1]) if keys else ""
            return self._ring

    def _index_keys(self) -> tuple[bytes, AESGCM, bytes]:
        """(the key of deterministic nonces, the cipher of identifiers, the key of name tokens)."""
        with self._lock:
            if self._index is None:
                root = store_key(self.url, "index", INDEX_ENV, "the blind index", create=True)
                part = [hmac.digest(root, label, "sha256") for label in (b"nonce", b"identifier", b"name")]
                self._index = (part[0], AESGCM(part[1]), part[2])
            return self._index

    def rotate(self) -> str:
        """Add a new newest key to the ring file (values written from now on use it); returns its key ID."""
        if os.environ.get(DATA_ENV):
            raise DataKeyError(f"the key ring comes from {DATA_ENV}: append a new key there (64 hexadecimal "
                               "digits, after a comma) and restart the application")
        path = key_path(self.url, "data")
        if path is None:
            raise DataKeyError("an in-memory store's keys live only as long as the process")
        keys = self._ring_keys(create=True)
        fresh = secrets.token_bytes(KEY_BYTES)
        _write_private(path, "".join(k.hex() + "\n" for k in (*keys, fresh)))
        with self._lock:
            self._ring = None
        return _key_id(fresh)

    def key_ids(self) -> list[str]:
        """The ring's key IDs, the newest last."""
        return [_key_id(k) for k in self._ring_keys(create=False)]

    # - text -

    def seal(self, plain: str) -> str:
        """`plain` encrypted with the ring's newest key under a random nonce."""
        ring = self._keys(create=True)
        nonce = secrets.token_bytes(NONCE)
        body = nonce + ring[self._newest].encrypt(nonce, plain.encode("utf-8"), _AAD)
        return f"{RANDOM}:{self._newest}:{base64.b64encode(body).decode('ascii')}"

    def fixed(self, plain: str) -> str:
        """`plain` encrypted deterministically (the same text for the same value), for lookups and uniqueness."""
        found = self._fixed.get(plain)
        if found is None:
            nonce_key, cipher, _ = self._index_keys()
            data = plain.encode("utf-8")
            nonce = hmac.digest(nonce_key, data, "sha256")[:NONCE]
            found = f"{FIXED}:{base64.b64encode(nonce + cipher.encrypt(nonce, data, _AAD)).decode('ascii')}"
            self._remember(plain, found)
        return found

    def _remember(self, plain: str, text: str) -> None:
        if len(self._fixed) >= FIXED_CACHE:
            self._fixed, self._opened = {}, {}
        self._fixed[plain], self._opened[text] = text, plain

    def open(self, text: str) -> str:
        """The plain text of `seal` or `fixed` output; any other text is returned as it is (written before)."""
        kind, _, rest = text.partition(":")
        try:
            if kind == FIXED:
                plain = self._opened.get(text)
                if plain is None:
                    body = base64.b64decode(rest, validate=True)
                    plain = self._index_keys()[1].decrypt(body[:NONCE], body[NONCE:], _AAD).decode("utf-8")
                    self._remember(plain, text)
                return plain
            if kind == RANDOM and rest[8:9] == ":":
                key_id, body = rest[:8], base64.b64decode(rest[9:], validate=True)
                ring = self._keys(create=False)
                if key_id not in ring:
                    self._ring = None
                    ring = self._keys(create=False)
                if key_id not in ring:
                    raise DataKeyError(f"a value was encrypted with key {key_id}, which the data key ring does not "
                                       "hold; restore that key from the store's backup")
                return ring[key_id].decrypt(body[:NONCE], body[NONCE:], _AAD).decode("utf-8")
        except (ValueError, InvalidTag):
            raise DataKeyError("an encrypted value does not open with its key (a wrong key, or the value was "
                               "changed outside the store)") from None
        return text

    # - JSON -

    def hide(self, value: Any) -> dict[str, str]:
        """One JSON value as an envelope."""
        return {ENVELOPE: self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))}

    def show(self, value: Any) -> Any:
        """An envelope's JSON value; anything else as it is."""
        if is_envelope(value):
            return json.loads(self.open(value[ENVELOPE]))
        return value

    def show_text(self, value: Any) -> Any:
        """A field read as text by SQL (`json_extract`, `->>`): an envelope's JSON text opened; anything else as is."""
        if isinstance(value, str) and value.startswith('{"' + ENVELOPE + '"'):
            found = self.show(json.loads(value))
            return found if isinstance(found, str) or found is None else json.dumps(found, ensure_ascii=False)
        return value

    def hide_fields(self, values: Any) -> Any:
        """Entry values (a JSON object) with the identifying fields' values in envelopes."""
        if not isinstance(values, Mapping) or not self.fields:
            return values
        return {k: self.hide(v) if k in self.fields and v is not None and not is_envelope(v) else v
                for k, v in values.items()}

    def show_fields(self, values: Any) -> Any:
        """Entry values with every envelope opened."""
        if isinstance(values, Mapping):
            if is_envelope(values):
                return self.show(values)
            return {k: self.show(v) for k, v in values.items()}
        return values

    # - blind index of names -

    def tokens(self, words: Iterable[str]) -> list[str]:
        """The keyed hashes of the words (already folded), as the name index keeps them."""
        key = self._index_keys()[2]
        return [hmac.digest(key, w.encode("utf-8"), "sha256")[:16].hex() for w in words]


def is_envelope(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get(ENVELOPE), str)


def _create(path: Path) -> None:
    """A new key ring of one key (mode 0600); another process's, if it made one first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def attach(engine: Engine) -> Codec:
    """The engine's codec, made on first use; it rides on the engine's dialect, which every column type sees."""
    found = getattr(engine.dialect, _ATTR, None)
    if found is None:
        found = Codec(engine.url)
        setattr(engine.dialect, _ATTR, found)
    return found


def codec_of(dialect: Any) -> Codec:
    found = getattr(dialect, _ATTR, None)
    if found is None:
        raise DataKeyError("identifying values are encrypted in this store: open it with oncobank.store.db.connect")
    return found


# - folding of names -

_SPLIT = re.compile(r"[\s\-‐‑–—]+")


def fold(text: str) -> str:
    """A name as the index compares it: case folded (Cyrillic too), ё as е, spaces collapsed."""
    return " ".join(text.casefold().replace("ё", "е").split())


def name_words(values: Mapping[str, Any], fields: Iterable[str]) -> set[str]:
    """The folded words of a person's names: each name whole and each part of a double name."""
    words: set[str] = set()
    for name in fields:
        value = values.get(name)
        if isinstance(value, str) and (folded := fold(value)):
            words.add(f"n|{folded}")
            words.update(f"n|{part}" for part in _SPLIT.split(folded) if part)
    return words
