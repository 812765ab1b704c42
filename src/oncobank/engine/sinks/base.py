"""What every analysis-store backend's writer shares: the checks on a delta before it is applied, and reading back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from oncobank.engine.delta import KEY, PublishDelta, TableDelta
from oncobank.engine.errors import EngineError
from oncobank.engine.names import check_name
from oncobank.engine.snapshots import LOG_TABLE
from oncobank.engine.types import conform
from oncobank.engine.urls import Target


@dataclass(frozen=True)
class Change:
    """One table's part of a checked delta: rows in the store's types; `mode` is replace, patients or append."""

    name: str
    rows: pa.Table
    mode: str
    keys: pa.Table | None = None  # the pseudonyms whose rows go first (mode "patients")


def checked(delta: PublishDelta) -> list[Change]:
    """The delta's tables with names and types checked and rows cast to the store's types (EngineError if not)."""
    changes: list[Change] = []
    seen: set[str] = set()
    for name in delta.drop:
        check_name(name)
    for table in delta.tables:
        change = _checked_table(table)
        if change.name in seen:
            raise EngineError(f"table {change.name}: appears twice in one publish")
        if change.name in delta.drop:
            raise EngineError(f"table {change.name}: both written and dropped in one publish")
        seen.add(change.name)
        changes.append(change)
    return changes


def _checked_table(table: TableDelta) -> Change:
    rows = conform(table.rows, table.name)
    if table.append and table.replace is not None:
        raise EngineError(f"table {table.name}: a delta either appends or replaces patients, not both")
    if table.append:
        return Change(table.name, rows, "append")
    if table.replace is None:
        return Change(table.name, rows, "replace")
    if KEY not in rows.column_names:
        raise EngineError(f"table {table.name}: replacing patients needs a {KEY} column")
    keys = pa.array(table.replace, pa.string())
    if rows.num_rows and not pc.all(pc.is_in(rows[KEY], value_set=keys)).as_py():
        raise EngineError(f"table {table.name}: rows of a patient not listed among those replaced")
    return Change(table.name, rows, "patients", pa.table({KEY: keys}))


def same_columns(name: str, stored: pa.Schema, rows: pa.Schema) -> None:
    """EngineError unless rows added to stored table `name` have its columns and types, in its order."""
    if stored.equals(rows):
        return
    have = ", ".join(f"{f.name} {f.type}" for f in stored)
    given = ", ".join(f"{f.name} {f.type}" for f in rows)
    raise EngineError(f"table {name}: the rows' columns ({given}) differ from the stored table's ({have}); "
                      "publish the table whole to change its columns")


class Sink(ABC):
    """Writes publish deltas into one analysis store, each all at once or not at all."""

    def __init__(self, target: Target):
        self.target = target

    @abstractmethod
    def apply(self, delta: PublishDelta) -> None:
        """Apply the whole delta as one new snapshot; after an error or a kill, the previous one is intact."""

    @property
    @abstractmethod
    def snapshot(self) -> str | None:
        """The id of the store's current snapshot (None before the first publish)."""

    def last_log(self, order_by: str = "published_at") -> dict[str, Any] | None:
        """The publish_log row with the greatest `order_by` in the current snapshot (None if there is none)."""
        from oncobank.engine.store import open_target

        with open_target(self.target) as store:
            if LOG_TABLE not in store.tables():
                return None
            table = store.table(LOG_TABLE)
            if order_by not in table.columns:
                raise EngineError(f"table {LOG_TABLE}: no column {order_by} to find the last publish by")
            rows = store.to_arrow(table.order_by(table[order_by].desc()).limit(1)).to_pylist()
        return rows[0] if rows else None
