"""The leak test end to end: a seeded-identifier registry loaded, published with `oncobank publish`, and every cell
of every table of the analysis store scanned for each seeded identifier: none may be found."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.deid.leaks import scan_store
from oncobank.deid.seeded import seed_registry
from oncobank.engine import connect
from oncobank.store.clinical import ClinicalStore
from oncobank.store.load import load_registry

PATIENTS = 8


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_no_seeded_identifier_survives_a_publish(store: ClinicalStore, tmp_path: Path,
                                                 home) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_registry(tmp_path / "seeded", patients=PATIENTS, seed=12)
    report = load_registry(store, tmp_path / "seeded")
    # Every seeded patient and entry is in the clinical store: otherwise the scan would test less than it says.
    assert report.balanced and report.patients_loaded == PATIENTS and report.entries_quarantined == 0, report.rules
    url = store.engine.url.render_as_string(hide_password=False)
    target = str(tmp_path / "analysis.duckdb")
    done = CliRunner().invoke(app, ["publish", "--db", url, "--to", target, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["patients_changed"] == PATIENTS
    with connect(target) as published:
        cells = [v for t in published.tables() for column in published.to_arrow(published.table(t)).columns
                 for v in column.to_pylist()]
        findings = scan_store(published, seeded.identifiers)
    # The seeded texts were published (scrubbed), so the scan read them.
    assert sum(isinstance(v, str) and "[ИМЯ]" in v for v in cells) >= PATIENTS
    assert sum(isinstance(v, str) and "[NAME]" in v for v in cells) >= PATIENTS
    leaked = Counter((f.table, f.column, f.category, f.form) for f in findings)
    assert not leaked, leaked
