"""Two analysis stores compared table by table and cell by cell (rows sorted by key), returning the differences."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from oncobank.engine.delta import KEY

if TYPE_CHECKING:
    from oncobank.engine.store import AnalysisStore


@dataclass(frozen=True)
class Difference:
    """One way two stores differ: a table only one has, different columns or row counts, or one cell."""

    table: str
    what: str  # "table", "columns", "rows" or "cell"
    detail: str
    row: int | None = None  # position in the sorted rows
    column: str | None = None
    left: Any = None
    right: Any = None

    def __str__(self) -> str:
        where = f" row {self.row} column {self.column}" if self.what == "cell" else ""
        return f"{self.table}{where}: {self.detail}"


def compare_stores(left: AnalysisStore, right: AnalysisStore, *, keys: Mapping[str, Sequence[str]] | None = None,
                   limit: int = 100) -> list[Difference]:
    """The differences between the current snapshots of two stores, at most `limit` cells per table.

    Rows are sorted by `keys[table]` if given, else by pseudonym then every other column, so stores that hold the
    same rows in another order compare equal. Cells are equal when both are null, both NaN, or equal values.
    """
    found: list[Difference] = []
    names_left, names_right = set(left.tables()), set(right.tables())
    for name in sorted(names_left ^ names_right):
        side = "left" if name in names_left else "right"
        found.append(Difference(name, "table", f"only the {side} store has it"))
    for name in sorted(names_left & names_right):
        a = left.to_arrow(left.table(name))
        b = right.to_arrow(right.table(name))
        found.extend(compare_tables(name, a, b, keys=(keys or {}).get(name), limit=limit))
    return found


def compare_tables(name: str, a: pa.Table, b: pa.Table, *, keys: Sequence[str] | None = None,
                   limit: int = 100) -> list[Difference]:
    """The differences between two Arrow tables of the same name (see compare_stores)."""
    if a.schema.names != b.schema.names or not all(x.type.equals(y.type) for x, y in zip(a.schema, b.schema,
                                                                                          strict=True)):
        return [Difference(name, "columns", f"columns differ: {_columns(a.schema)} vs {_columns(b.schema)}")]
    if a.num_rows != b.num_rows:
        return [Difference(name, "rows", f"{a.num_rows} rows vs {b.num_rows}")]
    a, b = sort_rows(a, keys), sort_rows(b, keys)
    found: list[Difference] = []
    for column in a.column_names:
        for row in _differing_rows(a[column], b[column]):
            if len(found) >= limit:
                return found
            left, right = a[column][row].as_py(), b[column][row].as_py()
            found.append(Difference(name, "cell", f"{left!r} vs {right!r}", row, column, left, right))
    return found


def sort_rows(table: pa.Table, keys: Sequence[str] | None = None) -> pa.Table:
    """`table` sorted by `keys`, else by pseudonym first and then every column (lists by their items' text)."""
    if keys is None:
        keys = sorted(table.column_names, key=lambda c: c != KEY)
    sortable = table
    order = []
    for column in keys:
        if pa.types.is_list(table.schema.field(column).type):
            text = pc.binary_join(pc.cast(table[column], pa.list_(pa.string())), "\x1f")
            sortable = sortable.append_column(f"__sort_{column}", text)
            order.append((f"__sort_{column}", "ascending"))
        else:
            order.append((column, "ascending"))
    return table.take(pc.sort_indices(sortable, sort_keys=order))


def _differing_rows(a: pa.ChunkedArray, b: pa.ChunkedArray) -> list[int]:
    if pa.types.is_list(a.type):
        return [i for i, (x, y) in enumerate(zip(a.to_pylist(), b.to_pylist(), strict=True)) if not _same(x, y)]
    same = pc.fill_null(pc.equal(a, b), False)
    same = pc.or_(same, pc.and_(pc.is_null(a), pc.is_null(b)))
    if pa.types.is_floating(a.type):
        same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(a), pc.is_nan(b)), False))
    return pc.indices_nonzero(pc.invert(same)).to_pylist()


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(i, j) for i, j in zip(x, y, strict=True))
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return x == y and type(x) is type(y)


def _columns(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} {f.type}" for f in schema)
