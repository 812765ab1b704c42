"""What a publish hands to an analysis-store backend: whole tables or per-patient row replacements, applied at once.

The publish builder (`oncobank.deid`) decides what changed; a backend (`oncobank.engine.sinks`) only writes it, all of
it or nothing, so a reader always sees one complete snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

KEY = "pseudonym"  # every patient-level table carries it; per-patient replacement deletes by it


@dataclass(frozen=True)
class TableDelta:
    """New rows for one table.

    `replace` None: the table is replaced by `rows` (created if missing, schema from `rows`).
    `replace` a tuple of pseudonyms: the rows of those patients are deleted first, then `rows` are inserted
    (`rows` holds only those patients' current rows; a retracted patient has a key here and no rows).
    `append` True: `rows` are added and nothing is deleted (the publish log).
    """

    name: str
    rows: pa.Table
    replace: tuple[str, ...] | None = None
    append: bool = False


@dataclass(frozen=True)
class PublishDelta:
    """Everything one publish changes; `full` True means every table of the snapshot is in `tables`, replaced."""

    tables: tuple[TableDelta, ...]
    full: bool
    drop: tuple[str, ...] = field(default=())  # tables of the previous snapshot that no longer exist
