"""The same checks give the same counts, per centre, on DuckDB, PostgreSQL and Spark (one Spark session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oncobank.engine import spark
from oncobank.quality.scoring import rescore

from . import registry
from .checks import run_on

pytestmark = [pytest.mark.spark, pytest.mark.postgres, pytest.mark.slow]  # about three minutes on two cores


@pytest.fixture(scope="module", autouse=True)
def spark_session() -> Iterator[None]:
    spark.root_session()
    yield
    spark.stop()


def test_three_engines_find_the_same(duckdb_url: str, pg_url: str, parquet_url: str) -> None:
    found = []
    for url in (duckdb_url, pg_url, parquet_url):
        scored = rescore(run_on(url, registry.defective()))
        found.append([(r["id"], r["status"], r["violated"], r["denominator"], r["by_centre"], r["error"])
                      for r in scored])
    assert found[0] == found[1] == found[2]
    failed = {row[0]: (row[2], row[3]) for row in found[2] if row[1] == "failed"}
    assert failed == registry.PLANTED
