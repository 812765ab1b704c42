"""The cohort suite on Spark (local mode): members, attrition and evidence identical to DuckDB and PostgreSQL.

One Spark session serves the module (its JVM takes about ten seconds to start): select these with `-m spark`.
"""

from __future__ import annotations

import pytest
from tests.engine.test_spark import spark_session  # noqa: F401 - the engine tests' one session per module

from oncobank.cohort import run
from oncobank.engine import connect
from oncobank.engine.delta import PublishDelta
from oncobank.engine.sinks import open_sink

from . import checks
from .definitions import ATTRITION

pytestmark = pytest.mark.spark


@pytest.mark.slow
@pytest.mark.postgres
def test_three_engines_give_identical_cohorts(cohort_delta: PublishDelta, analysis_url: str, parquet_url: str,
                                              pg_url: str) -> None:
    open_sink(parquet_url).apply(cohort_delta)
    open_sink(pg_url).apply(cohort_delta)
    checks.check_suite(parquet_url)  # every member set as counted by hand, as on DuckDB and PostgreSQL
    results = []
    for url in (analysis_url, pg_url, parquet_url):
        with connect(url) as store:
            result = run(ATTRITION, store)
            results.append((result.attrition.to_dict(), result.members.to_pylist(), result.evidence.to_pylist()))
    assert results[0] == results[1] == results[2]
    assert results[2][0]["rules"][-1]["remaining"] == 2
