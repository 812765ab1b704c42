"""Bad rows and bad files on both backends: rows go to quarantine, files stop the run cleanly, a re-run finishes."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.ingest import writer
from oncobank.ingest.batch import IngestStopped
from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.models import IngestBatch, IngestRecord
from oncobank.ingest.pipeline import run_ingest
from oncobank.ingest.retry import retry_quarantine
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Entry, EntryVersion, Patient, PatientIdentifier, Quarantine

from .small_hospital import LABS_CSV, PATIENTS_CSV

SURNAMES = ("Иванова", "Петров", "Сидорова")


def _run(store: ClinicalStore, folder: Path, chunk_size: int = 2000) -> writer.IngestReport:
    mapping = load_mapping(folder / "mapping.yaml", store.dictionary)
    return run_ingest(store, folder, mapping, mapping.text, chunk_size=chunk_size)


def _with(text: str, *rows: str) -> str:
    return text + "".join(row + "\n" for row in rows)


def _batches(store: ClinicalStore) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(IngestBatch.status).order_by(IngestBatch.id)))


def test_nul_and_huge_values_are_quarantined_alike(store: ClinicalStore, small_hospital: Path) -> None:
    huge = "9" * 100_000
    (small_hospital / "labs.csv").write_text(_with(LABS_CSV,
        "L1;E1;R5;08.03.2019;ЦДЛ;3016-3;2,\x008;мМЕ/л;0,4 - 4,0",  # a NUL in the value
        f"L{huge};E1;R6;08.03.2019;ЦДЛ;3016-3;2,8;мМЕ/л;0,4 - 4,0",  # a 100,000-character patient ID
        f"L1;E1;R{huge};08.03.2019;ЦДЛ;3016-3;2,8;мМЕ/л;0,4 - 4,0",  # a 100,000-character order number
        f"L1;E1;R8;08.03.2019;{'Л' * 100_000};3016-3;2,8;мМЕ/л;0,4 - 4,0",  # a 100,000-character facility
        f"L1;E1;R9;08.03.2019;ЦДЛ;3016-3;2,8;{'m' * 100_000};0,4 - 4,0",  # a 100,000-character unit
    ), encoding="utf-8")
    (small_hospital / "patients.csv").write_text(PATIENTS_CSV.replace("Новгородская область", "Новгород\x00ская"),
                                                 encoding="utf-8")
    start = time.perf_counter()
    report = _run(store, small_hospital, chunk_size=2)
    assert time.perf_counter() - start < 30
    assert report.balanced and report.rows_in == 12 and report.quarantined == 6
    assert report.rules == {"characters": 2, "type": 1, "max_length": 3, "unit": 1}
    assert _batches(store) == ["done"]
    with store.session() as s:
        quarantined = s.execute(select(Quarantine.payload, Quarantine.issues)).all()
        assert s.scalar(select(func.count()).select_from(Patient)) == 3
        assert s.scalar(select(func.max(func.length(PatientIdentifier.value)))) <= 128
    assert len(quarantined) == 6
    for payload, issues in quarantined:
        assert "\x00" not in json.dumps(payload) + json.dumps(issues)
        assert all(len(issue["message"]) < 300 for issue in issues)  # it names the column and the rule
    # Retried from their payloads (the NUL is kept as U+FFFD there), the rows stay in quarantine.
    again = retry_quarantine(store, load_mapping(small_hospital / "mapping.yaml", store.dictionary), "")
    assert again.balanced and again.quarantined == 6 and again.loaded == 0


def test_no_surname_is_printed_for_a_nul_byte(store_url: str, store: ClinicalStore, small_hospital: Path) -> None:
    (small_hospital / "patients.csv").write_text(PATIENTS_CSV.replace("Иванова", "Иван\x00ова"), encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(small_hospital), "--mapping", str(small_hospital / "mapping.yaml"),
                                      "--db", store_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rules"] == {"characters": 1}
    assert not any(name in result.output for name in (*SURNAMES, "Иван\x00ова"))


def _failing_second_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second chunk's write fails as a database would, with a surname among the statement's parameters."""
    write, calls = writer.ChunkWriter.write, []

    def flaky(self, s, rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) == 2:
            raise IntegrityError("INSERT INTO entry_version …", {"values": {"surname": "Иванова"}},
                                 sqlite3.IntegrityError("UNIQUE constraint failed: entry_version.entry_id"))
        return write(self, s, rows)

    monkeypatch.setattr(writer.ChunkWriter, "write", flaky)


def test_a_failed_write_stops_the_run_cleanly_and_a_rerun_finishes(
    store: ClinicalStore, small_hospital: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = writer.ChunkWriter.write
    _failing_second_chunk(monkeypatch)
    with pytest.raises(IngestStopped) as stopped:
        _run(store, small_hospital, chunk_size=2)
    message = str(stopped.value)
    assert "UNIQUE constraint failed" in message and "marked failed" in message
    assert not any(name in message for name in SURNAMES)
    assert stopped.value.report.rows_in == 2 and stopped.value.report.balanced  # the first chunk, committed
    assert _batches(store) == ["failed"]
    monkeypatch.setattr(writer.ChunkWriter, "write", write)  # the database works again
    report = _run(store, small_hospital, chunk_size=2)
    assert report.balanced and (report.unchanged, report.loaded) == (2, 5)
    assert _batches(store) == ["failed", "done"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(IngestRecord)) == 7
        assert s.scalar(select(func.count()).select_from(EntryVersion)) == 7


def test_the_cli_prints_the_reconciliation_of_a_stopped_run(
    store_url: str, store: ClinicalStore, small_hospital: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_second_chunk(monkeypatch)
    result = CliRunner().invoke(app, ["ingest", str(small_hospital), "--mapping", str(small_hospital / "mapping.yaml"),
                                      "--db", store_url, "--chunk-size", "2", "--json"])
    assert result.exit_code == 1
    counts = json.loads(result.stdout)
    assert (counts["status"], counts["rows_in"], counts["loaded"], counts["balanced"]) == ("failed", 2, 2, True)
    assert result.stderr.strip().splitlines()[-1].startswith("error: the ingest stopped")
    assert "unexpected" not in result.stderr and not any(name in result.output for name in SURNAMES)


def test_birth_dates_are_known_before_any_dated_entry(store: ClinicalStore, small_hospital: Path) -> None:
    # The master has more empty cells than the lab export, so the lab export is the better source by missing rate.
    gappy = PATIENTS_CSV.replace(";Петровна;", ";;").replace(";Тверская область", ";").replace(";Олеговна;", ";;")
    (small_hospital / "patients.csv").write_text(gappy, encoding="utf-8")
    (small_hospital / "labs.csv").write_text(_with(LABS_CSV, "L1;E1;R5;04.03.1960;ЦДЛ;3016-3;2,8;мМЕ/л;0,4 - 4,0"),
                                             encoding="utf-8")
    report = _run(store, small_hospital)
    assert report.missing_rates["emr"] > report.missing_rates["lis"]
    assert report.balanced and report.rules == {"before_birth": 1}


def test_a_changed_date_is_a_new_version(store: ClinicalStore, small_hospital: Path) -> None:
    _run(store, small_hospital)
    (small_hospital / "labs.csv").write_text(LABS_CSV.replace("R1;04.03.2019;ЦДЛ", "R1;14.03.2019;ЦДЛ"), "utf-8")
    report = _run(store, small_hospital)
    assert report.balanced and (report.loaded, report.versions_created, report.unchanged) == (1, 1, 6)
    with store.session() as s:
        dates = s.execute(select(EntryVersion.version, EntryVersion.entry_date).join(
            Entry, Entry.id == EntryVersion.entry_id).where(Entry.current_version == 2)).all()
    assert [(v, d.isoformat()) for v, d in dates] == [(1, "2019-03-04"), (2, "2019-03-14")]
    # A re-export that changes only a column the mapping reads but stores nowhere is no new version.
    (small_hospital / "labs.csv").write_text(LABS_CSV.replace("R1;04.03.2019;ЦДЛ", "R1;14.03.2019;ЦДЛ").replace(
        "L3;E3", "L3;E3 "), "utf-8")
    quiet = _run(store, small_hospital)
    assert quiet.balanced and quiet.versions_created == 0 and quiet.loaded == 0


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda f: (f / "patients.csv").write_text(PATIENTS_CSV.splitlines()[0] + "\n", "utf-8"), "name no patient"),
    (lambda f: (f / "patients.csv").write_bytes(b""), "name no patient"),
    (lambda f: (f / "labs.csv").write_text(LABS_CSV, "utf-16"), "starts with a UTF-16 byte-order mark"),
    (lambda f: (f / "labs.csv").write_text(LABS_CSV, "utf-16-le"), "NUL bytes in"),
    (lambda f: (f / "labs.csv").write_text(LABS_CSV.replace(";", ","), "utf-8"), "the header has no column 'Код'"),
    (lambda f: ((f / "labs.csv").unlink(), (f / "labs.csv").symlink_to(f.parent / "outside.csv")),
     "labs.csv leads outside the source folder"),
    (lambda f: ((f / "labs.csv").unlink(), (f / "labs.csv").mkdir()), "labs.csv is not a regular file"),
], ids=["header_only_master", "empty_master", "utf16_bom", "utf16_no_bom", "wrong_delimiter", "symlink_out", "dir"])
def test_a_file_that_would_quarantine_everything_stops_the_run(
    store: ClinicalStore, small_hospital: Path, damage, expected: str  # type: ignore[no-untyped-def]
) -> None:
    (small_hospital.parent / "outside.csv").write_text(LABS_CSV, "utf-8")
    damage(small_hospital)
    with pytest.raises(IngestStopped, match=expected):
        _run(store, small_hospital)
    assert _batches(store) == ["failed"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Quarantine)) == 0
        assert s.scalar(select(func.count()).select_from(EntryVersion)) == 0


def test_a_cp1251_source_that_is_utf16_is_named(store: ClinicalStore, small_hospital: Path) -> None:
    mapping = (small_hospital / "mapping.yaml").read_text("utf-8")
    (small_hospital / "mapping.yaml").write_text(
        mapping.replace("files: [labs.csv]", "files: [labs.csv]\n    encoding: cp1251"), "utf-8")
    (small_hospital / "labs.csv").write_text(LABS_CSV, "utf-16")
    with pytest.raises(IngestStopped, match="mapping declares encoding cp1251: set `encoding: utf-16`"):
        _run(store, small_hospital)
