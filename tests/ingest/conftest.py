"""Shared by the ingest tests: the fuzzing contract of the adapters and a small hospital's exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from oncobank.ingest.adapters import AdapterError, read_rows
from oncobank.ingest.mapping import Source

from .small_hospital import LABS_CSV, PATIENTS_CSV, SMALL_MAPPING


def _rows_or_clear_error(source: Source, name: str, folder: Path, data: bytes) -> None:
    """Write `data` as file `name` and read it: rows (each with a stated problem or none) or an error naming it."""
    path = folder / name
    path.write_bytes(data)
    try:
        for row in read_rows(source, path, folder):
            assert row.problem is None or row.problem
    except AdapterError as exc:
        assert name in str(exc)


@pytest.fixture(scope="session")
def rows_or_clear_error() -> Callable[[Source, str, Path, bytes], None]:
    return _rows_or_clear_error


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each ingest test's own data home (survey working files, logs, a server store's history key)."""
    home = tmp_path / "home"
    monkeypatch.setenv("ONCOBANK_HOME", str(home))
    return home


@pytest.fixture
def small_hospital(tmp_path: Path) -> Path:
    """A folder with a three-patient EMR master, four LIS results linked to it by EMR ID, and `mapping.yaml`."""
    folder = tmp_path / "small"
    folder.mkdir()
    (folder / "patients.csv").write_text(PATIENTS_CSV, encoding="utf-8")
    (folder / "labs.csv").write_text(LABS_CSV, encoding="utf-8")
    (folder / "mapping.yaml").write_text(SMALL_MAPPING, encoding="utf-8")
    return folder
