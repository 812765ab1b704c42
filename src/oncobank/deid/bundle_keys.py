"""Keys of the bundle exchange: a central platform's X25519 pair, a node's Ed25519 pair, the trusted node keys.

Keys are PEM files: a private key in PKCS#8 (unencrypted, mode 0600: protect it as the file it is), a public key as
SubjectPublicKeyInfo. A key's fingerprint is the SHA-256 of its raw 32 bytes, in hex. The central platform's folder
(ONCOBANK_CENTRAL, else `central` in the data home) holds its recipient key pair and `trusted-nodes.json`: each node
(centre) code with the public key its bundles must be signed with.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from oncobank.store.db import private_folder
from oncobank.store.home import data_home

CENTRAL_ENV = "ONCOBANK_CENTRAL"
TRUST_FILE = "trusted-nodes.json"
RECIPIENT_KEY = "recipient.key"
CENTRE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")  # no ':' — it separates centre and pseudonym

PublicKey = X25519PublicKey | Ed25519PublicKey
PrivateKey = X25519PrivateKey | Ed25519PrivateKey


class KeyFileError(ValueError):
    """A key file that is missing, unreadable or of the wrong kind (the message names the file)."""


def central_folder() -> Path:
    """The central platform's folder of keys and trusted nodes (ONCOBANK_CENTRAL, else <data home>/central)."""
    return Path(os.environ.get(CENTRAL_ENV) or data_home() / "central").resolve()


def check_centre(code: str) -> str:
    """`code` if it can name a centre (letters, digits, _ and -, at most 32), else ValueError."""
    if not isinstance(code, str) or not CENTRE_CODE.fullmatch(code):
        raise ValueError(f"centre code {code!r}: use letters, digits, _ and - (at most 32, starting with a letter "
                         "or digit)")
    return code


def fingerprint(key: PublicKey | PrivateKey) -> str:
    """SHA-256 of the raw public key, in hex."""
    public = key.public_key() if isinstance(key, X25519PrivateKey | Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate(kind: Literal["recipient", "signing"], private_file: Path) -> Path:
    """A new key pair: the private key at `private_file` (0600, never overwritten), the public one beside it (.pub).

    Returns the public key's file. Refused when either file exists.
    """
    public_file = private_file.with_name(private_file.name + ".pub")
    for file in (private_file, public_file):
        if file.exists():
            raise ValueError(f"{file} exists: remove it first, or write the new key elsewhere with --out")
    key: PrivateKey = X25519PrivateKey.generate() if kind == "recipient" else Ed25519PrivateKey.generate()
    private_folder(private_file.parent)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    _write_new(private_file, private_pem, 0o600)
    _write_new(public_file, public_pem(key.public_key()), 0o644)
    return public_file


def public_pem(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write_new(file: Path, data: bytes, mode: int) -> None:
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _read(file: Path) -> bytes:
    try:
        return Path(file).read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file {file}: not found") from None
    except OSError as exc:
        raise KeyFileError(f"key file {file}: {exc.strerror or type(exc).__name__}") from None


def load_private(file: Path, kind: type[X25519PrivateKey] | type[Ed25519PrivateKey]) -> PrivateKey:
    """The private key in PEM file `file`, refused unless it is of `kind`."""
    try:
        key = serialization.load_pem_private_key(_read(file), password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"key file {file}: not an unencrypted PEM private key") from None
    if not isinstance(key, kind):
        raise KeyFileError(f"key file {file}: not {_kind_name(kind)}")
    return key


def load_public(file: Path, kind: type[X25519PublicKey] | type[Ed25519PublicKey]) -> PublicKey:
    """The public key in PEM file `file`, refused unless it is of `kind`."""
    return public_from_pem(_read(file), kind, str(file))


def public_from_pem(pem: bytes, kind: type[X25519PublicKey] | type[Ed25519PublicKey], where: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise KeyFileError(f"key file {where}: not a PEM public key") from None
    if not isinstance(key, kind):
        raise KeyFileError(f"key file {where}: not {_kind_name(kind)}")
    return key


def _kind_name(kind: type) -> str:
    if kind in (X25519PrivateKey, X25519PublicKey):
        return "an X25519 recipient key (oncobank central keygen)"
    return "an Ed25519 signing key (oncobank central keygen --signing)"


def trusted(folder: Path | None = None) -> dict[str, Ed25519PublicKey]:
    """The trusted node keys by centre code (none when nothing was trusted yet)."""
    file = (folder or central_folder()) / TRUST_FILE
    if not file.exists():
        return {}
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))["centres"]
        keys = {check_centre(code): public_from_pem(e["public_key"].encode(), Ed25519PublicKey, f"{file} ({code})")
                for code, e in entries.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyFileError(f"{file}: not a list of trusted nodes written by oncobank central trust") from None
    return keys  # type: ignore[return-value]


def trust(code: str, public_file: Path, folder: Path | None = None) -> str:
    """Trust `public_file`'s Ed25519 key for centre `code` (replacing an earlier one); its fingerprint."""
    check_centre(code)
    key = load_public(public_file, Ed25519PublicKey)
    folder = folder or central_folder()
    private_folder(folder)
    file = folder / TRUST_FILE
    trusted(folder)  # refuses a damaged file before it is rewritten
    data = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {"centres": {}}
    data["centres"][code] = {"public_key": public_pem(key).decode(), "fingerprint": fingerprint(key),
                             "added_at": datetime.now(UTC).isoformat()}
    temp = file.with_name(file.name + ".tmp")
    temp.unlink(missing_ok=True)
    _write_new(temp, json.dumps(data, indent=2, sort_keys=True).encode(), 0o600)
    os.replace(temp, file)
    return fingerprint(key)
