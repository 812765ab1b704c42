"""Checks every backend must pass, shared by the DuckDB/PostgreSQL tests and the Spark module."""

from __future__ import annotations

import pyarrow as pa
import pytest

from oncobank.engine import EngineError, connect
from oncobank.engine.compare import compare_tables
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink

from . import data


def assert_holds(url: str, name: str, expected: pa.Table) -> None:
    """The store's table `name` has exactly `expected`'s columns, types and rows (in any order)."""
    with connect(url) as store:
        got = store.to_arrow(store.table(name))
    assert got.schema.equals(expected.schema), f"{got.schema} != {expected.schema}"
    assert [str(d) for d in compare_tables(name, got, expected)] == []


def check_round_trip(url: str) -> None:
    """Every stored type comes back with the same type and value."""
    open_sink(url).apply(PublishDelta((TableDelta("types", data.all_types()),), full=True))
    assert_holds(url, "types", data.all_types())
    with connect(url) as store:
        t = store.table("types")
        frame = store.to_pandas(t.filter(t.pseudonym == "p05"))
        assert frame["words"][0].tolist() == ["Иванова", "папиллярный рак"]
        assert store.to_arrow(t.count()) == 6


def check_full_replace_append(url: str, backend: str) -> None:
    """A full publish, then one replacing three patients' rows (one retracted) and appending to the log."""
    sink = open_sink(url)
    assert sink.snapshot is None
    sink.apply(data.first_publish())
    first = sink.snapshot
    assert sink.last_log("number") == {"number": 1, "note": "first"}
    sink.apply(data.second_publish())
    assert sink.snapshot is not None and first is not None and sink.snapshot > first
    assert_holds(url, "visits", data.VISITS_AFTER)
    assert_holds(url, "patients", data.PATIENTS_AFTER)
    assert_holds(url, "publish_log", data.LOG_AFTER)
    assert sink.last_log("number") == {"number": 2, "note": "second"}
    with connect(url) as store:
        assert store.tables() == ["patients", "publish_log", "visits"]
        assert store.snapshot == sink.snapshot
        assert store.backend == backend


def check_drop_and_full(url: str) -> None:
    """`drop` removes a table; a full publish keeps only the tables it names."""
    sink = open_sink(url)
    sink.apply(data.first_publish())
    sink.apply(PublishDelta((), full=False, drop=("patients",)))
    with connect(url) as store:
        assert store.tables() == ["publish_log", "visits"]
        with pytest.raises(EngineError, match="no table patients"):
            store.table("patients")
    only = data.patients(("px", "m"))
    sink.apply(PublishDelta((TableDelta("patients", only),), full=True))
    with connect(url) as store:
        assert store.tables() == ["patients"]
    assert_holds(url, "patients", only)


def check_refusals_leave_store(url: str) -> None:
    """A bad name, type or changed columns is refused with the culprit named, and the store is as it was."""
    sink = open_sink(url)
    sink.apply(data.first_publish())
    before = sink.snapshot
    bad = [
        (PublishDelta((TableDelta("Visits", data.visits()),), full=False), "table name 'Visits' refused"),
        (PublishDelta((TableDelta("visits-2", data.visits()),), full=False), "table name 'visits-2' refused"),
        (PublishDelta((TableDelta("ok", pa.table({"Bad Name": [1]})),), full=False),
         "table ok: column name 'Bad Name' refused"),
        (PublishDelta((TableDelta("ok", pa.table({"n": pa.array([1], pa.uint64())})),), full=False),
         "table ok, column n: type uint64"),
        (PublishDelta((TableDelta("ok", pa.table({"t": pa.array([0], pa.timestamp("us"))})),), full=False),
         "give timestamps in UTC"),
        (PublishDelta((TableDelta("visits", data.patients(("pa", "f")), replace=("pa",)),), full=False),
         "differ from the stored table"),
        (PublishDelta((TableDelta("visits", data.visits(("zz", 1, 1.0, [])), replace=("pa",)),), full=False),
         "not listed among those replaced"),
    ]
    for delta, message in bad:
        with pytest.raises(EngineError, match=message.replace("(", r"\(")):
            sink.apply(delta)
    assert sink.snapshot == before
    assert_holds(url, "visits", data.first_publish().tables[0].rows)
