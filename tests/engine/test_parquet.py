"""The Parquet snapshot layout (no Spark needed to write or check it): links, appended parts, pruning, leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from oncobank.engine.compare import compare_tables
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from oncobank.engine.sinks.parquet import ParquetSink
from oncobank.engine.urls import parse

from . import data


def _root(url: str) -> Path:
    return Path(url.removeprefix("spark:"))


def test_unchanged_tables_are_links_and_appends_add_a_part(parquet_url: str) -> None:
    sink = open_sink(parquet_url)
    sink.apply(data.first_publish())
    first = sink.snapshot
    sink.apply(data.second_publish())
    second = sink.snapshot
    assert first and second and second > first
    root = _root(parquet_url)
    assert (root / "CURRENT").read_text().strip() == second
    old, new = root / "snapshots" / first, root / "snapshots" / second
    # patients did not change: the new snapshot holds the same file, not a copy
    for part in ("patients/part-00000.parquet", "publish_log/part-00000.parquet"):
        assert (new / part).stat().st_ino == (old / part).stat().st_ino
    assert sorted(p.name for p in (new / "publish_log").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    manifest = json.loads((new / "manifest.json").read_text())
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == {"patients": 3, "publish_log": 2, "visits": 5}
    visits = pq.read_table(new / "visits").cast(data.VISITS)
    assert compare_tables("visits", visits, data.VISITS_AFTER) == []
    # the old snapshot is untouched: a reader that opened it still reads the first publish
    assert compare_tables("visits", pq.read_table(old / "visits").cast(data.VISITS),
                          data.first_publish().tables[0].rows) == []


def test_old_snapshots_are_pruned(parquet_url: str) -> None:
    sink = ParquetSink(parse(parquet_url), keep=2)
    ids = []
    for number in range(1, 5):
        sink.apply(PublishDelta((TableDelta("publish_log", data.log(number, "n")),), full=True))
        ids.append(sink.snapshot)
    kept = sorted(p.name for p in (_root(parquet_url) / "snapshots").iterdir())
    assert kept == ids[-2:]


def test_a_half_written_snapshot_is_removed_by_the_next_publish(parquet_url: str) -> None:
    sink = open_sink(parquet_url)
    sink.apply(data.first_publish())
    half = _root(parquet_url) / "snapshots" / ".tmp-20000101T000000000000Z" / "visits"
    half.mkdir(parents=True)
    (half / "part-00000.parquet").write_bytes(b"PAR1 cut off")
    sink.apply(data.second_publish())
    assert not half.parent.exists()
    assert sorted(p.name for p in (_root(parquet_url) / "snapshots").iterdir())[-1] == sink.snapshot
