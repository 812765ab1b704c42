"""Cohort definitions on DuckDB and PostgreSQL: members, attrition and evidence as counted by hand."""

from __future__ import annotations

import pytest

from oncobank.engine.delta import PublishDelta
from oncobank.engine.sinks import open_sink

from . import checks


def test_suite_and_attrition_on_duckdb(analysis_url: str) -> None:
    checks.check_suite(analysis_url)
    checks.check_attrition(analysis_url)


@pytest.mark.postgres
def test_suite_and_attrition_on_postgresql(cohort_delta: PublishDelta, pg_url: str) -> None:
    open_sink(pg_url).apply(cohort_delta)
    checks.check_suite(pg_url)
    checks.check_attrition(pg_url)
