"""A publish killed with SIGKILL while it writes leaves the previous snapshot whole; the next run completes it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pytest

from oncobank.engine import EngineError, connect
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from oncobank.engine.urls import parse

from . import data
from .checks import assert_holds
from .killing import finish, kill_mid_apply

ROWS = 1_000_000  # two tables of this many rows take a few seconds to write on the test machine


def _after(seconds: float):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    return lambda: time.monotonic() - start > seconds


def _assert_first_publish(url: str) -> None:
    with connect(url) as store:
        assert store.tables() == ["patients", "publish_log", "visits"]
    for table in data.first_publish().tables:
        assert_holds(url, table.name, table.rows)


def _assert_next_run_completes(url: str) -> None:
    finish(url, 1000)
    with connect(url) as store:
        assert store.tables() == ["extra", "visits"]
        assert store.to_arrow(store.table("visits").count()) == 1000


def test_duckdb_killed_mid_transaction_keeps_previous(duckdb_url: str) -> None:
    open_sink(duckdb_url).apply(data.first_publish())
    kill_mid_apply(duckdb_url, ROWS, _after(1.0))
    _assert_first_publish(duckdb_url)
    _assert_next_run_completes(duckdb_url)


@pytest.mark.postgres
def test_postgres_killed_mid_copy_keeps_previous(pg_url: str) -> None:
    open_sink(pg_url).apply(data.first_publish())
    dsn = parse(pg_url).dsn or ""

    def copying() -> bool:
        with psycopg.connect(dsn) as c:
            return bool(c.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                  "AND query LIKE 'COPY %%'").fetchone()[0])  # type: ignore[index]

    kill_mid_apply(pg_url, ROWS, copying)
    _assert_first_publish(pg_url)
    _assert_next_run_completes(pg_url)


@pytest.mark.postgres
def test_postgres_failure_mid_transaction_rolls_back(pg_url: str) -> None:
    """The server refuses the second table's rows (a NUL character in text) after the first was rewritten."""
    sink = open_sink(pg_url)
    sink.apply(data.first_publish())
    before = sink.snapshot
    delta = PublishDelta((TableDelta("patients", data.patients(("pz", "m"))),
                          TableDelta("visits", data.visits(("pz", 1, 1.0, ["bad\x00text"])))), full=True)
    with pytest.raises(EngineError, match=r"table visits: invalid byte sequence .*; nothing was written") as refused:
        sink.apply(delta)
    assert "bad" not in str(refused.value)  # the server's context line quotes the row; the message leaves it out
    assert sink.snapshot == before
    _assert_first_publish(pg_url)


def test_parquet_killed_mid_snapshot_keeps_pointer(parquet_url: str) -> None:
    root = Path(parquet_url.removeprefix("spark:"))
    sink = open_sink(parquet_url)
    sink.apply(data.first_publish())
    first = sink.snapshot
    snapshots = root / "snapshots"
    # Killed once the new snapshot's first table is written and before it is complete.
    kill_mid_apply(parquet_url, ROWS, lambda: any(snapshots.glob(".tmp-*/visits/part-*.parquet")))
    assert (root / "CURRENT").read_text().strip() == first
    assert list(snapshots.glob(".tmp-*")), "the killed publish left its half-written snapshot"
    manifest = json.loads((snapshots / str(first) / "manifest.json").read_text())
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == {"patients": 3, "publish_log": 1, "visits": 4}
    finish(parquet_url, 1000)
    assert not list(snapshots.glob(".tmp-*"))
    latest = (root / "CURRENT").read_text().strip()
    manifest = json.loads((snapshots / latest / "manifest.json").read_text())
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == {"extra": 1000, "visits": 1000}


def test_duckdb_publish_waits_then_refuses_while_another_process_reads(duckdb_url: str) -> None:
    import subprocess
    import sys

    from oncobank.engine.sinks.duckdb import DuckDBSink

    open_sink(duckdb_url).apply(data.first_publish())
    reader = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1], "
                               "read_only=True); print('open', flush=True); sys.stdin.read()", duckdb_url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
        with pytest.raises(EngineError, match="open in another process"):
            DuckDBSink(parse(duckdb_url), wait=0.5).apply(data.second_publish())
    finally:
        reader.communicate("", timeout=30)
    _assert_first_publish(duckdb_url)
    open_sink(duckdb_url).apply(data.second_publish())
    assert_holds(duckdb_url, "visits", data.VISITS_AFTER)


def test_duckdb_publish_refused_while_this_process_reads(duckdb_url: str) -> None:
    sink = open_sink(duckdb_url)
    sink.apply(data.first_publish())
    with connect(duckdb_url) as store:
        with pytest.raises(EngineError, match="open for reading in this process"):
            sink.apply(data.second_publish())
        assert store.snapshot == sink.snapshot
    sink.apply(data.second_publish())
    assert_holds(duckdb_url, "visits", data.VISITS_AFTER)
