"""Writing a publish as a new immutable Parquet snapshot, then pointing CURRENT at it in one rename (Spark reads it)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oncobank.engine import snapshots
from oncobank.engine.delta import KEY, PublishDelta
from oncobank.engine.sinks.base import Change, Sink, checked, same_columns
from oncobank.engine.snapshots import MANIFEST, TEMP_PREFIX
from oncobank.engine.types import normalize
from oncobank.engine.urls import Target
from oncobank.store.db import private_folder

KEEP = 3  # snapshots kept: the current one and two before it, for readers that opened an older one


class ParquetSink(Sink):
    """Snapshots under PATH/snapshots/<id>/<table>/part-*.parquet; unchanged tables are hard links to the last one."""

    def __init__(self, target: Target, *, keep: int = KEEP):
        super().__init__(target)
        assert target.path is not None
        self.root: Path = target.path
        self.keep = max(keep, 1)

    @property
    def snapshot(self) -> str | None:
        return snapshots.current_id(self.root)

    def apply(self, delta: PublishDelta) -> None:
        changes = checked(delta)
        private_folder(self.root / snapshots.SNAPSHOTS)
        snapshots.remove_leftovers(self.root)
        previous = snapshots.current_id(self.root)
        before: dict[str, Any] = snapshots.read_manifest(self.root, previous)["tables"] if previous else {}
        new = snapshots.new_id(previous)
        temp = self.root / snapshots.SNAPSHOTS / f"{TEMP_PREFIX}{new}"
        temp.mkdir()
        old = snapshots.folder(self.root, previous) if previous else None
        tables: dict[str, Any] = {}
        written = {c.name for c in changes}
        for name, entry in before.items():
            if name not in written and name not in delta.drop and not delta.full:
                tables[name] = _link(old / name, temp / name, entry)  # type: ignore[operator]
        for change in changes:
            tables[change.name] = _write(change, old, before.get(change.name), temp / change.name)
        created = datetime.now(UTC).isoformat()
        snapshots.write_json(temp / MANIFEST, {"id": new, "created_at": created, "full": delta.full,
                                              "tables": tables})
        snapshots.fsync_folder(temp)
        os.rename(temp, snapshots.folder(self.root, new))
        snapshots.fsync_folder(self.root / snapshots.SNAPSHOTS)
        snapshots.switch(self.root, new)
        snapshots.prune(self.root, self.keep)


def _link(source: Path, target: Path, entry: dict[str, Any]) -> dict[str, Any]:
    target.mkdir(exist_ok=True)
    for name in entry["files"]:
        try:
            os.link(source / name, target / name)
        except OSError:  # another file system, or one without hard links
            shutil.copy2(source / name, target / name)
    return entry


def _write_part(rows: pa.Table, path: Path) -> None:
    pq.write_table(rows, path, compression="snappy")
    with open(path, "rb") as written:
        os.fsync(written.fileno())


def _write(change: Change, old: Path | None, entry: dict[str, Any] | None, target: Path) -> dict[str, Any]:
    target.mkdir()
    rows = change.rows
    if change.mode == "replace" or entry is None or old is None:
        _write_part(rows, target / "part-00000.parquet")
        return {"rows": rows.num_rows, "files": ["part-00000.parquet"]}
    source = old / change.name
    stored = pq.read_schema(source / entry["files"][0])
    same_columns(change.name, _plain(stored), rows.schema)
    if change.mode == "append":  # earlier parts are shared; the new rows get a part of their own
        _link(source, target, entry)
        part = f"part-{len(entry['files']):05d}.parquet"
        _write_part(rows, target / part)
        return {"rows": entry["rows"] + rows.num_rows, "files": [*entry["files"], part]}
    kept = pq.read_table(source, schema=stored)
    assert change.keys is not None
    kept = kept.filter(pc.invert(pc.is_in(kept[KEY], value_set=change.keys[KEY])))
    merged = pa.concat_tables([kept.cast(rows.schema), rows])
    _write_part(merged, target / "part-00000.parquet")
    return {"rows": merged.num_rows, "files": ["part-00000.parquet"]}


def _plain(schema: pa.Schema) -> pa.Schema:
    """A schema read from a Parquet file in the store's types (list item names and metadata left out)."""
    return normalize(schema.empty_table()).schema
