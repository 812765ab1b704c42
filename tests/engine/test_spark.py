"""The analysis store read through PySpark, and the same publishes giving cell-by-cell identical tables on all three.

One Spark session serves the module (its JVM takes about ten seconds to start): select these with `-m spark`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oncobank.engine import connect, spark
from oncobank.engine.compare import compare_stores
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink

from . import checks, data

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module", autouse=True)
def spark_session() -> Iterator[None]:
    spark.root_session()
    yield
    spark.stop()


def test_every_type_round_trips(parquet_url: str) -> None:
    checks.check_round_trip(parquet_url)


def test_full_then_patients_then_append_then_drop(parquet_url: str, tmp_path: Path) -> None:
    checks.check_full_replace_append(parquet_url, "spark")
    checks.check_drop_and_full(f"spark:{tmp_path / 'second'}")


def test_a_reader_keeps_its_snapshot_while_a_publish_switches(parquet_url: str) -> None:
    sink = open_sink(parquet_url)
    sink.apply(data.first_publish())
    with connect(parquet_url) as before:
        sink.apply(data.second_publish())
        with connect(parquet_url) as after:
            assert before.snapshot != after.snapshot == sink.snapshot
            assert before.to_arrow(before.table("visits").count()) == 4
            assert after.to_arrow(after.table("visits").count()) == 5


@pytest.mark.postgres
def test_three_engines_hold_identical_tables(duckdb_url: str, pg_url: str, parquet_url: str) -> None:
    deltas = [
        PublishDelta((TableDelta("types", data.all_types()), *data.first_publish().tables), full=True),
        data.second_publish(),
        PublishDelta((TableDelta("types", data.all_types().slice(2, 2), replace=("p01", "p03", "p04")),), full=False),
    ]
    for url in (duckdb_url, pg_url, parquet_url):
        sink = open_sink(url)
        for delta in deltas:
            sink.apply(delta)
    with connect(duckdb_url) as duck, connect(pg_url) as pg, connect(parquet_url) as lake:
        assert duck.tables() == pg.tables() == lake.tables() == ["patients", "publish_log", "types", "visits"]
        assert [str(d) for d in compare_stores(duck, pg)] == []
        assert [str(d) for d in compare_stores(duck, lake)] == []
        # p01 was replaced by no rows, p03 and p04 by themselves: five of the six rows remain
        types = lake.table("types")
        assert sorted(lake.to_arrow(types.pseudonym).to_pylist()) == ["p02", "p03", "p04", "p05", "p06"]
        # one Ibis expression, three engines, one answer
        results = []
        for store in (duck, pg, lake):
            visits = store.table("visits")
            query = visits.group_by("pseudonym").agg(n=visits.count(), kg=visits.weight.max()).order_by("pseudonym")
            results.append(store.to_arrow(query).to_pylist())
        assert results[0] == results[1] == results[2] == [
            {"pseudonym": "pa", "n": 2, "kg": 61.0}, {"pseudonym": "pb", "n": 2, "kg": 79.0},
            {"pseudonym": "pd", "n": 1, "kg": 55.0}]
