"""At 2,000 patients: linkage F1 against the synthetic truth, and every exported structured fact recovered."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from oncobank.dictionary import load_module
from oncobank.ingest.identify import carried_ids
from oncobank.ingest.mapping import load_mapping, shipped_mapping
from oncobank.ingest.pipeline import IngestReport, run_ingest
from oncobank.ingest.quality import linkage_quality, read_truth
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.models import Entry, EntryVersion, Patient, PatientIdentifier

PATIENTS = 2000
EMR_COLUMNS = {"surname": "Фамилия", "first_name": "Имя", "patronymic": "Отчество", "birth_date": "Дата рождения",
               "sex": "Пол", "region": "Регион"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from oncobank.synth import generate

    out = tmp_path_factory.mktemp("hospital2000")
    generate(PATIENTS, 7, out, formats={"registry", "emr", "lis", "hl7", "pacs"})
    return out


@pytest.fixture(scope="module")
def store(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory,
          register_accounts: Callable[[str], None]) -> ClinicalStore:
    """One SQLite store for the module: the ingest of 2,000 patients runs once for both tests."""
    path = tmp_path_factory.mktemp("store2000") / "store.sqlite"
    shutil.copy(sqlite_template, path)
    register_accounts(f"sqlite:///{path}")
    return ClinicalStore(connect(f"sqlite:///{path}"), load_module("thyroid"))


@pytest.fixture(scope="module")
def ingested(store: ClinicalStore, hospital: Path) -> IngestReport:
    path = shipped_mapping("thyroid", "synthetic_hospital")
    return run_ingest(store, hospital, load_mapping(path, store.dictionary), path.read_text(encoding="utf-8"))


def _canonical(hospital: Path) -> dict[str, dict]:
    lines = (hospital / "registry" / "patients.jsonl").read_text(encoding="utf-8").splitlines()
    return {p["patient_id"]: p for p in map(json.loads, lines)}


def _stored(store: ClinicalStore, truth: dict[tuple[str, str], str]) -> dict[tuple[str, str, str | None, str], list]:
    """(true person, section, date, field) -> the values of the store's current versions (a day may hold two)."""
    with store.session() as s:
        rows = s.execute(
            select(PatientIdentifier.value, Entry.section, EntryVersion.entry_date, EntryVersion.values)
            .join(Patient, Patient.id == PatientIdentifier.patient_id)
            .join(Entry, Entry.patient_id == Patient.id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(PatientIdentifier.system == "EMR")
        ).all()
    out: dict[tuple[str, str, str | None, str], list] = {}
    for emr, section, day, values in rows:
        for name, v in values.items():
            key = (truth[("EMR", emr)], section, day.isoformat() if day else None, name)
            out.setdefault(key, []).append(v["value"] if isinstance(v, dict) else v)
    return out


def test_linkage_f1_at_2000_patients(store: ClinicalStore, hospital: Path, ingested: IngestReport) -> None:
    assert ingested.balanced and ingested.patients_created == PATIENTS
    path = shipped_mapping("thyroid", "synthetic_hospital")
    quality = linkage_quality(store, read_truth(hospital / "ground_truth.json"), "EMR",
                              carried_ids(store, hospital, load_mapping(path, store.dictionary)))
    assert quality.overall.f1 >= 0.99, quality.to_dict()
    assert set(quality.systems) == {"LIS", "PACS"}


def test_every_exported_structured_fact_is_recovered(store: ClinicalStore, hospital: Path,
                                                     ingested: IngestReport) -> None:
    """Demographics (as the EMR exports them) and every lab value, in the canonical unit, for 2,000 patients."""
    truth = read_truth(hospital / "ground_truth.json")
    stored = _stored(store, truth)
    canonical = _canonical(hospital)
    with (hospital / "exports" / "emr" / "patients.csv").open(encoding="cp1251", newline="") as handle:
        emr_rows = {r["ИД пациента"]: r for r in csv.DictReader(handle, delimiter=";")}
    noisy = {(person, n["field"]) for person, p in json.loads((hospital / "ground_truth.json").read_text(
        encoding="utf-8"))["patients"].items() for n in p["identity_noise"] if n["system"] == "EMR"}
    expected: dict[tuple[str, str, str | None, str], list] = {}
    for person, p in canonical.items():
        emr = emr_rows[next(i["value"] for i in p["identifiers"] if i["system"] == "EMR")]
        for e in p["entries"]:
            if e["section"] == "laboratory":
                for name, v in e["values"].items():
                    expected.setdefault((person, "laboratory", e["date"], name), []).append(v["value"])
            elif e["section"] == "demographics":
                for name, v in e["values"].items():
                    exported = emr[EMR_COLUMNS[name]].strip() if name in EMR_COLUMNS else ""
                    if exported and (person, name) not in noisy:
                        expected[(person, "demographics", None, name)] = [v]
    assert sum(map(len, expected.values())) > 100_000
    missing = [k for k, v in expected.items() if len(stored.get(k, [])) < len(v)]
    assert missing == []
    # Lab values: the registry rounds converted values to 4 significant digits and uses textbook factors.
    wrong = [k for k, v in expected.items() if not all(map(_close, sorted(stored[k]), sorted(v)))]
    assert wrong == []


def _close(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 1e-3 * abs(b) + 1e-9
    return a == b
