"""Snapshot ids, and the folder layout of a Parquet analysis store: immutable snapshots behind one CURRENT pointer.

    PATH/CURRENT                                   the id of the snapshot readers open (replaced atomically)
    PATH/snapshots/<id>/manifest.json              its tables, row counts and files
    PATH/snapshots/<id>/<table>/part-NNNNN.parquet
    PATH/snapshots/.tmp-<id>/                      a snapshot being written (never pointed at; removed next time)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncobank.engine.errors import EngineError

POINTER = "CURRENT"
SNAPSHOTS = "snapshots"
MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"
LOG_TABLE = "publish_log"
META_TABLE = "_oncobank_snapshots"  # DuckDB and PostgreSQL: one row per applied publish


def new_id(previous: str | None = None) -> str:
    """A snapshot id from the UTC clock, sorting after `previous` even if the clock stood still or went back."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    if previous is None or stamp > previous:
        return stamp
    return f"{previous}-1"


def current_id(root: Path) -> str | None:
    """The snapshot CURRENT points at, or None if nothing was published under `root` yet."""
    try:
        value = (root / POINTER).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return value or None


def folder(root: Path, snapshot: str) -> Path:
    """The folder of one snapshot."""
    return root / SNAPSHOTS / snapshot


def read_manifest(root: Path, snapshot: str) -> dict[str, Any]:
    """The manifest of a complete snapshot (EngineError if it is missing: the snapshot was pruned or damaged)."""
    path = folder(root, snapshot) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"analysis store spark:{root}: snapshot {snapshot} has no manifest (pruned?)") from None


def write_json(path: Path, value: Any) -> None:
    """Write `value` as JSON to `path` and flush it to disk."""
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch(root: Path, snapshot: str) -> None:
    """Point CURRENT at `snapshot` in one step: a temporary file renamed over the old pointer."""
    temp = root / f"{POINTER}.{os.getpid()}.tmp"
    with open(temp, "w", encoding="ascii") as out:
        out.write(snapshot + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, root / POINTER)
    fsync_folder(root)


def remove_leftovers(root: Path) -> None:
    """Remove snapshots a killed publish left half-written, and stray pointer files."""
    base = root / SNAPSHOTS
    if base.is_dir():
        for path in base.iterdir():
            if path.name.startswith(TEMP_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(f"{POINTER}.*.tmp"):
        with contextlib.suppress(OSError):
            path.unlink()


def prune(root: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` complete snapshots (never the current one); the ids removed."""
    base = root / SNAPSHOTS
    current = current_id(root)
    ids = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(TEMP_PREFIX))
    old = [i for i in ids[: max(len(ids) - keep, 0)] if i != current]
    for snapshot in old:
        shutil.rmtree(base / snapshot, ignore_errors=True)
    return old
