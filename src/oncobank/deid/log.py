"""The publish log: one row appended per publish that changed something, and reading the last one back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from oncobank.deid.source import Watermark

SCHEMA = pa.schema([
    ("number", pa.int64()), ("published_at", pa.timestamp("us", tz="UTC")), ("full", pa.bool_()),
    ("reason", pa.string()), ("patients_changed", pa.int64()), ("entries_retracted", pa.int64()),
    ("rows", pa.string()), ("tables", pa.list_(pa.string())), ("watermark", pa.string()), ("policy", pa.string()),
    ("schema", pa.string()), ("secret", pa.string()),
])


@dataclass(frozen=True)
class LastPublish:
    """What the next publish needs of the last one: where it read up to, under what rules, which tables it wrote."""

    number: int
    watermark: Watermark
    policy: str
    schema: str
    secret: str
    tables: tuple[str, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LastPublish:
        return cls(int(row["number"]), Watermark.from_dict(json.loads(row["watermark"])), row["policy"],
                   row["schema"], row["secret"], tuple(row["tables"] or ()))


def log_row(*, number: int, full: bool, reason: str, patients: int, retracted: int, rows: dict[str, int],
            tables: list[str], mark: Watermark, policy: str, schema: str, secret: str) -> pa.Table:
    """The publish's row of `publish_log`: `rows` are the rows written per table by this publish."""
    row = {"number": number, "published_at": datetime.now(UTC), "full": full, "reason": reason,
           "patients_changed": patients, "entries_retracted": retracted, "rows": json.dumps(rows, sort_keys=True),
           "tables": sorted(tables), "watermark": json.dumps(mark.to_dict(), sort_keys=True), "policy": policy,
           "schema": schema, "secret": secret}
    return pa.Table.from_pylist([row], schema=SCHEMA)
