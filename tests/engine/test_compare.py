"""compare_stores finds every kind of difference, and calls equal what differs only in row order or NaN."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from oncobank.engine import connect
from oncobank.engine.compare import compare_stores, compare_tables
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink

from . import data


def test_row_order_and_nan_do_not_count() -> None:
    table = data.all_types()
    reversed_rows = table.take(pa.array(range(table.num_rows - 1, -1, -1)))
    assert compare_tables("types", table, reversed_rows) == []


def test_one_changed_cell_is_found_where_it_is() -> None:
    before = data.visits(("pa", 1, 60.5, ["x"]), ("pb", 1, 80.0, None))
    after = data.visits(("pa", 1, 60.5, ["x", "y"]), ("pb", 1, 80.0, None))
    [difference] = compare_tables("visits", before, after)
    assert (difference.what, difference.row, difference.column) == ("cell", 0, "drugs")
    assert (difference.left, difference.right) == (["x"], ["x", "y"])
    nan = data.visits(("pa", 1, float("nan"), ["x"]), ("pb", 1, 80.0, None))
    [difference] = compare_tables("visits", before, nan)
    assert (difference.row, difference.column, difference.left) == (0, "weight", 60.5)
    missing = data.visits(("pa", 1, 60.5, ["x"]), ("pb", 1, None, None))
    assert [(d.row, d.column) for d in compare_tables("visits", before, missing)] == [(1, "weight")]


def test_columns_rows_and_tables_that_differ(tmp_path: Path) -> None:
    left, right = str(tmp_path / "left.duckdb"), str(tmp_path / "right.duckdb")
    open_sink(left).apply(data.first_publish())
    changed = PublishDelta((
        TableDelta("visits", data.visits(("pa", 1, 60.5, ["x"]))),
        TableDelta("patients", pa.table({"pseudonym": ["pa"], "sex": [1]})),
        TableDelta("other", data.log(1, "x")),
    ), full=True)
    open_sink(right).apply(changed)
    with connect(left) as a, connect(right) as b:
        found = {(d.table, d.what) for d in compare_stores(a, b)}
    assert found == {("publish_log", "table"), ("other", "table"), ("visits", "rows"), ("patients", "columns")}
