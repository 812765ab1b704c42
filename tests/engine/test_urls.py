"""Analysis-store URLs: the default file in the data home, DuckDB paths, PostgreSQL schemas, Spark folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncobank.engine import EngineError, connect
from oncobank.engine.urls import parse


def test_default_is_the_duckdb_file_in_the_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path))
    monkeypatch.delenv("ONCOBANK_ANALYSIS", raising=False)
    assert parse(None) == parse(str(tmp_path / "analysis.duckdb"))
    assert parse(None).path == tmp_path / "analysis.duckdb"
    assert parse(None).backend == "duckdb"


def test_each_backend_from_its_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse("duckdb:///a.duckdb").path == tmp_path / "a.duckdb"
    assert parse("duckdb:////srv/a.duckdb").path == Path("/srv/a.duckdb")
    pg = parse("postgresql://reader:secret@db.example:5433/registry")
    assert (pg.backend, pg.schema, pg.dsn) == ("postgresql", "analysis", "postgresql://reader:secret@db.example:5433/registry")
    assert "secret" not in pg.describe()
    other = parse("postgresql+psycopg://u@h/registry?schema=research&sslmode=require")
    assert (other.schema, other.dsn) == ("research", "postgresql://u@h/registry?sslmode=require")
    assert parse("spark:lake/analysis").path == tmp_path / "lake" / "analysis"
    assert parse("spark:/srv/lake").path == Path("/srv/lake")


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://h/db", "not understood"),
    ("analysis.sqlite", "not understood"),
    ("duckdb://a.duckdb", "expected duckdb:///FILE"),
    ("spark:", "expected spark:PATH"),
    ("postgresql://h/db?schema=Research", "schema name 'Research' refused"),
    ("postgresql://h", "must name its database"),
])
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        parse(url)


def test_no_store_yet(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"no analysis store at .*run oncobank publish first"):
        connect(str(tmp_path / "none.duckdb"))
    assert not (tmp_path / "none.duckdb").exists()
    with pytest.raises(EngineError, match="no analysis store"):
        connect(f"spark:{tmp_path / 'lake'}")
