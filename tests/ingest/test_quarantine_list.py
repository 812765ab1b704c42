"""`oncobank quarantine list` explains itself: message and value (identifying values masked), filters, CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app

from .small_hospital import LABS_CSV, PATIENTS_CSV

runner = CliRunner()


@pytest.fixture
def quarantined(small_hospital: Path, tmp_path: Path) -> str:
    """An ingest with one TSH of 5000 mIU/l (beyond its hard range) and one surname holding a control character."""
    (small_hospital / "labs.csv").write_text(LABS_CSV.replace(";1,2;", ";5000;"), encoding="utf-8")
    (small_hospital / "patients.csv").write_text(PATIENTS_CSV.replace("Сидорова", "Сидо\x00рова"), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    done = runner.invoke(app, ["ingest", str(small_hospital), "--mapping", str(small_hospital / "mapping.yaml"),
                               "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["quarantined"] == 2
    return db


def _rows(db: str, *args: str) -> list[dict]:
    done = runner.invoke(app, ["quarantine", "list", "--db", db, "--json", *args])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_each_problem_names_its_field_value_message_and_rule(quarantined: str) -> None:
    rows = {r["rule"]: r for r in _rows(quarantined)}
    assert set(rows) == {"hard_range", "characters"}
    lab = rows["hard_range"]
    assert lab["field"] == "tsh" and lab["value"] == "5000 мМЕ/л" and lab["source"].startswith("lis:labs.csv")
    assert lab["location"] == "line 4" and lab["message"]  # the header, two results of E1, then this one
    name = rows["characters"]  # found in the source column, before it was mapped to a field
    assert "'Фамилия'" in name["message"] and name["value"] is None  # an identifying value is never listed
    assert "Сидо" not in json.dumps(name, ensure_ascii=False)


def test_filters_by_rule_source_and_job(quarantined: str) -> None:
    assert [r["field"] for r in _rows(quarantined, "--rule", "hard_range")] == ["tsh"]
    assert [r["rule"] for r in _rows(quarantined, "--source", "emr:")] == ["characters"]
    assert _rows(quarantined, "--job", "load") == []
    assert len(_rows(quarantined, "--job", "ingest")) == 2
    bad = runner.invoke(app, ["quarantine", "list", "--db", quarantined, "--job", "nosuch"])
    assert bad.exit_code == 1 and bad.output.startswith("error: --job 'nosuch'")


def test_the_list_exports_as_csv_and_reads_in_russian(quarantined: str, tmp_path: Path) -> None:
    out = tmp_path / "quarantine.csv"
    shown = runner.invoke(app, ["quarantine", "list", "--db", quarantined, "--csv", str(out), "--lang", "ru"])
    assert shown.exit_code == 0, shown.output
    assert "Записи в карантине" in shown.stdout and "hard_range" in shown.stdout
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["field"], r["value"], r["rule"]) for r in rows} == {("tsh", "5000 мМЕ/л", "hard_range"),
                                                                   ("", "", "characters")}
    assert "Сидо" not in out.read_text(encoding="utf-8-sig")
