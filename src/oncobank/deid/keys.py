"""Keyed hashes of the publish secret: pseudonyms, entry keys, per-patient date offsets, re-mapped references.

The secret stays with the clinical store (beside a SQLite file, or ONCOBANK_PUBLISH_KEY / the data home for a server
store) and is never written to the analysis store. Each use hashes under its own prefix, so knowing one kind of value
tells nothing about another; a new secret makes every pseudonym and offset new and unlinkable to the old ones.
"""

from __future__ import annotations

import hmac
import re

from sqlalchemy.engine import URL

from oncobank.store.chain import store_key

KEY_ENV = "ONCOBANK_PUBLISH_KEY"
KEY_NAME = "publish"
DIGITS = 24  # hex digits kept of a pseudonym or key: 96 bits, no collision in any registry's lifetime
# A DICOM UID (digits and dots, up to 64 characters), and a file's content hash (it names a file kept in the hospital).
# Four or more components, or a UUID-derived 2.25.<integer>: three short ones would be a date (1.5.2021).
DICOM_UID = re.compile(r"(?<![0-9.])(?:[0-2](?:\.(?:0|[1-9][0-9]*)){3,}|2\.25\.[1-9][0-9]{9,})(?!\.?[0-9])")
SHA256 = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])")


def publish_secret(url: URL, *, create: bool = True) -> bytes:
    """The secret of the store at `url`, made on first publish (mode 0600) unless ONCOBANK_PUBLISH_KEY gives it."""
    return store_key(url, KEY_NAME, KEY_ENV, "the publish secret", create=create)


class Keys:
    """Every keyed value a publish derives from the secret."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.digest(self._secret, f"{kind}|{value}".encode(), "sha256")

    def fingerprint(self) -> str:
        """A digest that tells whether two publishes used the same secret, without revealing it."""
        return self._digest("fingerprint", "oncobank publish secret").hex()[:DIGITS]

    def pseudonym(self, registry_id: str) -> str:
        return self._digest("pseudonym", registry_id).hex()[:DIGITS]

    def entry_key(self, entry_id: int) -> str:
        return self._digest("entry", str(entry_id)).hex()[:DIGITS]

    def shift_days(self, registry_id: str, low: int, high: int) -> int:
        """The patient's date offset, in [low, high], the same for every date of the patient and every publish."""
        number = int.from_bytes(self._digest("shift", registry_id)[:8], "big")
        return low + number % (high - low + 1)

    def reference(self, value: str) -> str:
        """A DICOM UID or a content hash re-mapped: a UID stays a UID (2.25.<integer>), a hash stays 64 hex digits."""
        digest = self._digest("reference", value)
        if SHA256.fullmatch(value):
            return digest.hex()
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"

    def remap_references(self, text: str) -> str:
        """`text` with every DICOM UID and content hash in it re-mapped (a value may be one, or hold several)."""
        text = SHA256.sub(lambda m: self.reference(m.group(0)), text)
        return DICOM_UID.sub(lambda m: self.reference(m.group(0)) if len(m.group(0)) <= 64 else m.group(0), text)

