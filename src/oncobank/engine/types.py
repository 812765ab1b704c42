"""The column types the analysis store keeps alike on every backend, and the casts that bring Arrow data to them.

string, int64, float64, bool, date32, timestamp (microseconds, UTC), and lists of string, float64 or int64. Narrower
integers and float32 widen without loss; anything else is refused with the table and column named.
"""

from __future__ import annotations

import pyarrow as pa

from oncobank.engine.errors import EngineError
from oncobank.engine.names import check_name

TIMESTAMP = pa.timestamp("us", tz="UTC")
SCALARS = (pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.date32(), TIMESTAMP)
LIST_ITEMS = (pa.string(), pa.float64(), pa.int64())
_UTC = {"UTC", "Etc/UTC", "+00:00", "Z"}


def _scalar(t: pa.DataType, *, naive_utc: bool) -> pa.DataType | None:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_boolean(t):
        return pa.bool_()
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_timestamp(t) and (t.tz in _UTC or (t.tz is None and naive_utc)):
        return TIMESTAMP
    if pa.types.is_integer(t) and not pa.types.is_uint64(t):
        return pa.int64()
    if pa.types.is_floating(t) and not pa.types.is_float16(t):
        return pa.float64()
    return None


def canonical_type(t: pa.DataType, *, naive_utc: bool = False) -> pa.DataType | None:
    """The store's type for Arrow type `t`, or None if the store keeps no such type.

    `naive_utc` reads a timestamp without a time zone as UTC (what a backend returns for a UTC column).
    """
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        item = _scalar(t.value_type, naive_utc=naive_utc)
        return pa.list_(item) if item in LIST_ITEMS else None
    return _scalar(t, naive_utc=naive_utc)


def _cast(column: pa.ChunkedArray, target: pa.DataType, where: str) -> pa.ChunkedArray:
    if column.type == target:
        return column
    try:
        return column.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise EngineError(f"{where}: cannot store {column.type} as {target} without loss ({exc})") from None


def conform(table: pa.Table, name: str) -> pa.Table:
    """`table` with checked column names and every column cast to the store's type (EngineError if one has none)."""
    check_name(name)
    seen: set[str] = set()
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        check_name(field.name, f"table {name}: column")
        where = f"table {name}, column {field.name}"
        if field.name in seen:
            raise EngineError(f"{where}: the column appears twice")
        seen.add(field.name)
        target = canonical_type(field.type)
        if target is None:
            hint = " (give timestamps in UTC)" if pa.types.is_timestamp(field.type) else ""
            raise EngineError(f"{where}: type {field.type} is not one the analysis store keeps{hint}")
        columns.append(_cast(column, target, where))
        fields.append(pa.field(field.name, target))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def normalize(table: pa.Table) -> pa.Table:
    """A query result with the store's types where a backend spelled them differently (list field names, string
    kinds, time zone of UTC timestamps); columns of other types (a sum's decimal) are left as they came."""
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        target = canonical_type(field.type, naive_utc=True)
        if target is not None:  # also when equal: a list's item field may be named otherwise
            column = column.cast(target)
        columns.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))
