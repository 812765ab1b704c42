"""Arrow rows as PostgreSQL COPY … (FORMAT csv) input, built column-wise by Arrow (no Python loop over rows).

Lists become array literals ({"a","b",NULL}); a null cell is an unquoted empty field, an empty string a quoted one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv

from oncobank.engine.types import TIMESTAMP

BATCH_ROWS = 200_000  # rows per chunk of CSV handed to COPY: bounds memory on large tables
_PG_SCALARS = {
    pa.string(): "text", pa.int64(): "bigint", pa.float64(): "double precision", pa.bool_(): "boolean",
    pa.date32(): "date", TIMESTAMP: "timestamptz",
}
_OPTIONS = csv.WriteOptions(include_header=False, quoting_style="needed")


def pg_type(t: pa.DataType) -> str:
    """The PostgreSQL column type of one of the store's Arrow types."""
    if pa.types.is_list(t):
        return _PG_SCALARS[t.value_type] + "[]"
    return _PG_SCALARS[t]


def _array_items(values: pa.Array) -> pa.Array:
    """Each list item as it is spelled inside an array literal: strings quoted and escaped, nulls as NULL."""
    if pa.types.is_string(values.type):
        escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
        text = pc.binary_join_element_wise('"', escaped, '"', "")
    else:
        text = pc.cast(values, pa.string())
    return pc.fill_null(text, "NULL")


def _array_literals(column: pa.Array) -> pa.Array:
    # Offsets rebuilt from the lengths: a sliced list array's own offsets do not start at 0.
    lengths = pc.fill_null(pc.list_value_length(column), 0)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths).cast(pa.int32())])
    items = pa.ListArray.from_arrays(offsets, _array_items(column.flatten()), mask=column.is_null())
    return pc.binary_join_element_wise("{", pc.binary_join(items, ","), "}", "")


def _csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns = []
    for column in batch.columns:
        if pa.types.is_list(column.type):
            column = _array_literals(column)
        elif pa.types.is_timestamp(column.type):
            # Written without the zone (the COPY runs with TimeZone UTC): Arrow formats a zoned timestamp 20× slower.
            column = column.cast(pa.timestamp("us"))
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def copy_chunks(table: pa.Table) -> Iterator[bytes]:
    """The rows of `table` as CSV chunks for COPY FROM STDIN (FORMAT csv), in column order; timestamps are UTC
    without a zone, so the session copying them must run with TimeZone UTC."""
    for batch in table.combine_chunks().to_batches(max_chunksize=BATCH_ROWS):
        if batch.num_rows:
            out = io.BytesIO()
            csv.write_csv(_csv_ready(batch), out, _OPTIONS)
            yield out.getvalue()
