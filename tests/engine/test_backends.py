"""The analysis store on DuckDB and PostgreSQL: types round-trip, publishes replace, append and drop, refusals."""

from __future__ import annotations

import pytest

from . import checks


def test_every_type_round_trips(url: str) -> None:
    checks.check_round_trip(url)


def test_full_then_patients_then_append(url: str) -> None:
    checks.check_full_replace_append(url, "postgresql" if url.startswith("postgresql") else "duckdb")


def test_drop_and_full_publish(url: str) -> None:
    checks.check_drop_and_full(url)


def test_refused_deltas_change_nothing(url: str) -> None:
    checks.check_refusals_leave_store(url)


@pytest.mark.postgres
def test_postgres_timestamps_whatever_the_session_time_zone(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c TimeZone=Asia/Vladivostok")  # every connection's default zone, UTC+10
    checks.check_round_trip(pg_url)
