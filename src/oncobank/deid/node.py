"""A hospital node's side of the exchange: its current published snapshot written as a bundle for the platform."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from oncobank.deid.bundle import BundleError, BundleHeader, write_bundle
from oncobank.deid.bundle_keys import load_private, load_public
from oncobank.engine import connect


def bundle_snapshot(url: str | None, out: Path, *, centre: str, recipient_key: Path,
                    signing_key: Path) -> BundleHeader:
    """Write every table of the analysis store's current snapshot at `url` as a bundle for the central platform.

    Only what publish wrote leaves: the de-identified snapshot, read back from the analysis store, never the
    clinical store. The snapshot's own ID orders the centre's bundles (a newer publish, a newer bundle).
    """
    recipient = load_public(recipient_key, X25519PublicKey)
    signer = load_private(signing_key, Ed25519PrivateKey)
    with connect(url) as store:
        if store.snapshot is None:
            raise BundleError(f"analysis store {store.target.describe()}: nothing published yet; run "
                              "`oncobank publish` first")
        tables = {name: store.to_arrow(store.table(name)) for name in store.tables()}
        snapshot = store.snapshot
    return write_bundle(tables, centre=centre, snapshot_id=snapshot, recipient_public=recipient,  # type: ignore[arg-type]
                        signing_private=signer, out=out)  # type: ignore[arg-type]
