"""Fixtures of the engine tests: a store URL per backend (a fresh PostgreSQL schema per test, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_URL = os.environ.get("ONCOBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test").replace("+psycopg", "")
REQUIRE_PG = os.environ.get("ONCOBANK_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return str(tmp_path / "analysis.duckdb")


@pytest.fixture
def parquet_url(tmp_path: Path) -> str:
    return f"spark:{tmp_path / 'snapshots-root'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL analysis-store URL on a schema of its own in the test database, dropped after the test."""
    schema = f"analysis_t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable: {exc.__class__.__name__}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty analysis store on DuckDB and on PostgreSQL (Spark has its own module: its JVM is slow)."""
    return request.getfixturevalue("duckdb_url" if request.param == "duckdb" else "pg_url")
