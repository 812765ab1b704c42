"""Encrypted, signed bundles of a de-identified snapshot, from a hospital node to the central platform.

Format 1, byte by byte:

    "ONCOBNDL"            8 bytes, the magic
    header length         4 bytes, big-endian
    header                canonical JSON (sorted keys, no spaces, ASCII): format, centre, snapshot_id, created_at
                          (ISO-8601 UTC), recipient and signer (SHA-256 fingerprints of the raw public keys),
                          content_hash ("sha256:" + hex of the plaintext payload), tables (name → rows),
                          payload_bytes, ephemeral_key, wrapped_key, nonce (base64)
    ciphertext            payload_bytes bytes: AES-256-GCM of the payload, the header bytes as associated data
    signature             64 bytes: Ed25519 over everything before it

The payload is an uncompressed tar of one Parquet file per table (`NAME.parquet`). Its random content key is wrapped
(AES key wrap, RFC 3394) under a key derived by HKDF-SHA256 from an X25519 exchange between a fresh ephemeral key
and the recipient's key (salt: both public keys). Reading checks, before anything decrypted is used: the magic and
format, the signature by the key trusted for the header's centre, the recipient fingerprint against this
platform's key, the key unwrap, the AEAD tag, the content hash, and each table against the header.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from oncobank.deid.bundle_keys import check_centre, fingerprint
from oncobank.engine.errors import EngineError
from oncobank.engine.names import check_name
from oncobank.store.attachments import write_atomically

MAGIC = b"ONCOBNDL"
FORMAT = 1
SIGNATURE_BYTES = 64
HEADER_LIMIT = 1 << 20
_INFO = b"oncobank bundle 1: content key wrap"
_FIELDS = {"format", "centre", "snapshot_id", "created_at", "recipient", "signer", "content_hash", "tables",
           "payload_bytes", "ephemeral_key", "wrapped_key", "nonce"}
_SNAPSHOT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}")


class BundleError(ValueError):
    """A bundle that is refused; the message says which check failed."""


@dataclass(frozen=True)
class BundleHeader:
    """The signed header of a bundle."""

    centre: str
    snapshot_id: str
    created_at: datetime
    recipient: str
    signer: str
    content_hash: str
    tables: dict[str, int]
    payload_bytes: int
    ephemeral_key: bytes
    wrapped_key: bytes
    nonce: bytes
    format: int = FORMAT

    def to_json(self) -> bytes:
        data = {"format": self.format, "centre": self.centre, "snapshot_id": self.snapshot_id,
                "created_at": self.created_at.isoformat(timespec="microseconds"), "recipient": self.recipient,
                "signer": self.signer, "content_hash": self.content_hash, "tables": self.tables,
                "payload_bytes": self.payload_bytes, "ephemeral_key": _b64(self.ephemeral_key),
                "wrapped_key": _b64(self.wrapped_key), "nonce": _b64(self.nonce)}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    def describe(self) -> dict[str, Any]:
        """What a person checks: centre, snapshot, when, keys, tables (no key material)."""
        return {"centre": self.centre, "snapshot_id": self.snapshot_id, "created_at": self.created_at.isoformat(),
                "recipient": self.recipient, "signer": self.signer, "content_hash": self.content_hash,
                "tables": dict(self.tables)}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(shared: bytes, ephemeral: X25519PublicKey, recipient: X25519PublicKey) -> bytes:
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    salt = ephemeral.public_bytes(*raw) + recipient.public_bytes(*raw)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(shared)


def _payload(tables: Mapping[str, pa.Table]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(tables):
            part = io.BytesIO()
            pq.write_table(tables[name], part, compression="zstd")
            info = tarfile.TarInfo(f"{name}.parquet")
            info.size, info.mode, info.mtime = part.tell(), 0o600, 0
            part.seek(0)
            tar.addfile(info, part)
    return buffer.getvalue()


def write_bundle(tables: Mapping[str, pa.Table], *, centre: str, snapshot_id: str, recipient_public: X25519PublicKey,
                 signing_private: Ed25519PrivateKey, out: Path, created_at: datetime | None = None) -> BundleHeader:
    """Write `tables` as a bundle for `recipient_public`, signed with `signing_private`, to the new file `out`.

    The file appears whole or not at all (written beside `out`, then renamed), mode 0600; an existing `out` is
    refused. `created_at` (default now, UTC) orders a centre's bundles: the central platform takes only newer ones.
    """
    check_centre(centre)
    if not isinstance(snapshot_id, str) or not _SNAPSHOT.fullmatch(snapshot_id):
        raise BundleError(f"snapshot id {snapshot_id!r}: use letters, digits and _ . : + - (at most 64)")
    for name in tables:
        _table_name(name)
    if not isinstance(recipient_public, X25519PublicKey) or not isinstance(signing_private, Ed25519PrivateKey):
        raise BundleError("a bundle needs the recipient's X25519 public key and the node's Ed25519 signing key")
    out = Path(out)
    if out.exists():
        raise BundleError(f"{out} exists: a bundle is never written over another file")
    when = (created_at or datetime.now(UTC)).astimezone(UTC)
    plain = _payload(tables)
    ephemeral = X25519PrivateKey.generate()
    content_key = AESGCM.generate_key(bit_length=256)
    kek = _kek(ephemeral.exchange(recipient_public), ephemeral.public_key(), recipient_public)
    header = BundleHeader(
        centre=centre, snapshot_id=snapshot_id, created_at=when, recipient=fingerprint(recipient_public),
        signer=fingerprint(signing_private), content_hash="sha256:" + hashlib.sha256(plain).hexdigest(),
        tables={name: tables[name].num_rows for name in sorted(tables)}, payload_bytes=len(plain) + 16,
        ephemeral_key=ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        wrapped_key=aes_key_wrap(kek, content_key), nonce=os.urandom(12))
    head = header.to_json()
    signed = MAGIC + len(head).to_bytes(4, "big") + head + AESGCM(content_key).encrypt(header.nonce, plain, head)
    write_atomically(out, signed + signing_private.sign(signed))
    return header


def _table_name(name: object) -> str:
    try:
        return check_name(name)
    except EngineError as exc:
        raise BundleError(str(exc)) from None


def parse_header(data: bytes, where: str) -> tuple[BundleHeader, int]:
    """The header of bundle bytes `data` and where its ciphertext starts; nothing about it is trusted yet."""
    if len(data) < len(MAGIC) + 4 + SIGNATURE_BYTES or not data.startswith(MAGIC):
        raise BundleError(f"{where}: not an OncoBank bundle")
    size = int.from_bytes(data[8:12], "big")
    if size > HEADER_LIMIT or 12 + size + SIGNATURE_BYTES > len(data):
        raise BundleError(f"{where}: the header length does not fit the file (damaged or cut off)")
    try:
        raw = json.loads(data[12:12 + size].decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError(f"{where}: the header is not readable (damaged)") from None
    if not isinstance(raw, dict) or set(raw) != _FIELDS:
        raise BundleError(f"{where}: the header does not have the fields of a bundle (damaged)")
    if raw["format"] != FORMAT:
        raise BundleError(f"{where}: bundle format {raw['format']!r}; this version of OncoBank reads format {FORMAT}")
    try:
        header = BundleHeader(
            centre=check_centre(raw["centre"]), snapshot_id=str(raw["snapshot_id"]),
            created_at=datetime.fromisoformat(raw["created_at"]).astimezone(UTC), recipient=str(raw["recipient"]),
            signer=str(raw["signer"]), content_hash=str(raw["content_hash"]),
            tables={_table_name(k): int(v) for k, v in dict(raw["tables"]).items()},
            payload_bytes=int(raw["payload_bytes"]),
            ephemeral_key=base64.b64decode(raw["ephemeral_key"], validate=True),
            wrapped_key=base64.b64decode(raw["wrapped_key"], validate=True),
            nonce=base64.b64decode(raw["nonce"], validate=True))
    except (ValueError, TypeError):
        raise BundleError(f"{where}: a header field has the wrong form (damaged)") from None
    if 12 + size + header.payload_bytes + SIGNATURE_BYTES != len(data):
        raise BundleError(f"{where}: the file's length does not match its header (damaged or cut off)")
    return header, 12 + size


def verify(data: bytes, *, trusted: Mapping[str, Ed25519PublicKey], recipient: X25519PrivateKey,
           where: str) -> BundleHeader:
    """The header, once the signature is the trusted key's for its centre and the bundle is addressed to us."""
    header, _ = parse_header(data, where)
    key = trusted.get(header.centre)
    if key is None:
        raise BundleError(f"{where}: centre {header.centre} is not trusted here: add its public key with "
                          f"`oncobank central trust {header.centre} KEYFILE`")
    try:
        key.verify(data[-SIGNATURE_BYTES:], data[:-SIGNATURE_BYTES])
    except InvalidSignature:
        if header.signer != fingerprint(key):
            raise BundleError(f"{where}: signed by key {header.signer[:16]}…, not centre {header.centre}'s trusted "
                              f"key {fingerprint(key)[:16]}…") from None
        raise BundleError(f"{where}: the signature does not verify: the bundle was changed after it was "
                          "signed") from None
    if header.recipient != fingerprint(recipient):
        raise BundleError(f"{where}: addressed to another recipient (key {header.recipient[:16]}…), not this "
                          f"platform's key {fingerprint(recipient)[:16]}…")
    return header


def open_payload(data: bytes, header: BundleHeader, recipient: X25519PrivateKey, where: str) -> dict[str, pa.Table]:
    """Decrypt and check a verified bundle's payload: its tables by name."""
    start = len(data) - SIGNATURE_BYTES - header.payload_bytes
    head = data[12:start]
    try:
        ephemeral = X25519PublicKey.from_public_bytes(header.ephemeral_key)
        kek = _kek(recipient.exchange(ephemeral), ephemeral, recipient.public_key())
        content_key = aes_key_unwrap(kek, header.wrapped_key)
        plain = AESGCM(content_key).decrypt(header.nonce, data[start:-SIGNATURE_BYTES], head)
    except (InvalidUnwrap, ValueError):
        raise BundleError(f"{where}: the content key does not unwrap with this platform's key") from None
    except InvalidTag:
        raise BundleError(f"{where}: the payload fails its authentication tag (changed or damaged)") from None
    if "sha256:" + hashlib.sha256(plain).hexdigest() != header.content_hash:
        raise BundleError(f"{where}: the payload does not match the header's content hash")
    return _tables(plain, header, where)


def _tables(plain: bytes, header: BundleHeader, where: str) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
            for member in tar:
                name = member.name.removesuffix(".parquet")
                if not member.isfile() or name not in header.tables or name in tables:
                    raise BundleError(f"{where}: the payload holds {member.name!r}, which its header does not list")
                file = tar.extractfile(member)
                assert file is not None
                tables[name] = pq.read_table(io.BytesIO(file.read()))
    except (tarfile.TarError, pa.ArrowException):
        raise BundleError(f"{where}: the payload is not a tar of Parquet tables") from None
    for name, rows in header.tables.items():
        if name not in tables or tables[name].num_rows != rows:
            raise BundleError(f"{where}: table {name} does not have the {rows} rows its header lists")
    return tables


def read_bundle(path: Path, *, trusted: Mapping[str, Ed25519PublicKey],
                recipient: X25519PrivateKey) -> tuple[BundleHeader, dict[str, pa.Table]]:
    """Verify and open the bundle at `path`: its header and tables (BundleError if any check fails)."""
    data = read_file(path)
    header = verify(data, trusted=trusted, recipient=recipient, where=str(path))
    return header, open_payload(data, header, recipient, str(path))


def read_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BundleError(f"{path}: a folder, not a bundle") from None
    except OSError as exc:
        raise BundleError(f"{path}: {exc.strerror or type(exc).__name__}") from None
