"""End to end on a small synthetic hospital: facts recovered, linkage vs truth, reconciliation, re-runs."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oncobank.ingest.identify import carried_ids
from oncobank.ingest.mapping import Mapping, load_mapping, shipped_mapping
from oncobank.ingest.models import IngestAdmission, IngestFact, IngestRecord
from oncobank.ingest.pipeline import run_ingest
from oncobank.ingest.quality import linkage_quality, read_truth
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Entry, EntryVersion, Patient, PatientIdentifier

PATIENTS = 24


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from oncobank.synth import generate

    out = tmp_path_factory.mktemp("hospital")
    generate(PATIENTS, 11, out, formats={"registry", "emr", "lis", "hl7", "pacs"})
    return out


@pytest.fixture(scope="module")
def mapping_text() -> str:
    return shipped_mapping("thyroid", "synthetic_hospital").read_text(encoding="utf-8")


def _mapping(store: ClinicalStore) -> Mapping:
    return load_mapping(shipped_mapping("thyroid", "synthetic_hospital"), store.dictionary)


def _truth(hospital: Path) -> dict[tuple[str, str], str]:
    """(system, source ID) -> the ground truth's patient."""
    truth = json.loads((hospital / "ground_truth.json").read_text(encoding="utf-8"))["patients"]
    return {(system, value): tid for tid, p in truth.items() for system, value in p["identifiers"].items()}


def _registry_labs(hospital: Path) -> dict[tuple[str, str, str], float]:
    """(truth patient, date, analyte) -> value in the canonical unit, from the canonical registry."""
    labs = {}
    for line in (hospital / "registry" / "patients.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        for e in p["entries"]:
            if e["section"] == "laboratory":
                for name, v in e["values"].items():
                    labs[(p["patient_id"], e["date"], name)] = v["value"]
    return labs


def test_ingest_recovers_the_lab_facts_and_links_patients(store: ClinicalStore, hospital: Path,
                                                          mapping_text: str) -> None:
    report = run_ingest(store, hospital, _mapping(store), mapping_text)
    assert report.balanced
    owner = _truth(hospital)
    assert report.patients_created == PATIENTS  # one per EMR patient master row
    with store.session() as s:
        emr = dict(s.execute(select(PatientIdentifier.patient_id, PatientIdentifier.value)
                             .where(PatientIdentifier.system == "EMR")).all())
        links = s.execute(select(PatientIdentifier.patient_id, PatientIdentifier.system, PatientIdentifier.value)
                          .where(PatientIdentifier.system != "EMR")).all()
        stored = s.execute(
            select(Entry.patient_id, EntryVersion.entry_date, EntryVersion.values)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(Entry.section == "laboratory")
        ).all()
    # Linkage against the ground truth: precision over the links made, recall over every LIS/PACS ID.
    correct = sum(owner[(system, value)] == owner[("EMR", emr[pid])] for pid, system, value in links)
    wanted = [k for k in owner if k[0] in ("LIS", "PACS")]
    precision, recall = correct / len(links), correct / len(wanted)
    assert 2 * precision * recall / (precision + recall) >= 0.95
    assert precision == 1.0
    # `oncobank linkage report` counts the same links from the store and the truth file.
    carried = carried_ids(store, hospital, _mapping(store))
    quality = linkage_quality(store, read_truth(hospital / "ground_truth.json"), "EMR", carried)
    assert (quality.overall.true_links, quality.overall.false_links) == (correct, len(links) - correct)
    assert quality.overall.missed == len([k for k in wanted if k in carried]) - correct
    # Every lab value of a linked patient is recovered, in the canonical unit.
    got = {(owner[("EMR", emr[pid])], day.isoformat(), name): value
           for pid, day, values in stored for name, value in values.items()}
    linked_lis = {owner[(system, value)] for _, system, value in links if system == "LIS"}
    expected = {k: v for k, v in _registry_labs(hospital).items() if k[0] in linked_lis}
    assert expected
    missing = [k for k in expected if k not in got]
    assert missing == []
    # The registry writes converted values to 4 significant digits (error up to 5e-4) and uses the textbook
    # factors (bilirubin 17.1), while the dictionary converts through the molar mass (17.104): 1e-3 covers both.
    wrong = [k for k, v in expected.items() if abs(got[k] - v) > 1e-3 * abs(v) + 1e-9]
    assert wrong == []
    _check_stays(store, hospital)


def _check_stays(store: ClinicalStore, hospital: Path) -> None:
    """Every admission row is a stay; each lab entry sits in the stay whose dates hold its date, if any."""
    with (hospital / "exports" / "emr" / "admissions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    day = lambda text: date(int(text[6:10]), int(text[3:5]), int(text[:2]))  # noqa: E731  dd.mm.yyyy
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(IngestAdmission)) == len(rows)
        facts = s.execute(
            select(PatientIdentifier.value, EntryVersion.entry_date, IngestAdmission.admission_key,
                   IngestFact.admission_match)
            .join(Entry, Entry.patient_id == PatientIdentifier.patient_id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .join(IngestFact, IngestFact.entry_id == Entry.id)
            .outerjoin(IngestAdmission, IngestAdmission.id == IngestFact.admission_id)
            .where(PatientIdentifier.system == "EMR", Entry.section == "laboratory")
        ).all()
    for emr, when, stay, how in facts:
        holding = sorted((day(r["admission_date"]), r["admission_id"]) for r in rows
                         if r["patient_id"] == emr and day(r["admission_date"]) <= when <= day(r["discharge_date"]))
        assert stay == (holding[-1][1] if holding else None)
        assert how == ("date" if holding else None)


def test_rerun_changes_nothing_and_a_changed_row_makes_a_version(
    store: ClinicalStore, hospital: Path, mapping_text: str, tmp_path: Path
) -> None:
    copy = tmp_path / "h"
    shutil.copytree(hospital / "exports", copy / "exports")
    first = run_ingest(store, copy, _mapping(store), mapping_text)
    with store.session() as s:
        versions = s.scalar(select(func.count()).select_from(EntryVersion))
        records = s.scalar(select(func.count()).select_from(IngestRecord))
    again = run_ingest(store, copy, _mapping(store), mapping_text)
    assert again.balanced and again.rows_in == first.rows_in
    assert again.loaded == 0 and again.merged == 0 and again.patients_created == 0
    assert again.unchanged == first.loaded + first.merged
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(EntryVersion)) == versions
        assert s.scalar(select(func.count()).select_from(IngestRecord)) == records
    # Change one region in the EMR export: that patient's demographics gets version 2, nothing else moves.
    path = copy / "exports" / "emr" / "patients.csv"
    rows = list(csv.reader(path.read_text(encoding="cp1251").splitlines(), delimiter=";"))
    rows[1][6] = "Новгородская область"
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="cp1251")
    changed = run_ingest(store, copy, _mapping(store), mapping_text)
    assert changed.balanced and changed.loaded == 1 and changed.versions_created == 1
    with store.session() as s:
        pid = s.scalar(select(PatientIdentifier.patient_id).where(
            PatientIdentifier.system == "EMR", PatientIdentifier.value == rows[1][0]))
        entry = s.scalar(select(Entry).where(Entry.patient_id == pid, Entry.section == "demographics"))
        assert entry.current_version == 2
        assert s.scalar(select(func.count()).select_from(Patient)) == PATIENTS


def test_icd10_case_finding_registers_only_patients_with_the_code(
    store: ClinicalStore, hospital: Path, mapping_text: str, tmp_path: Path
) -> None:
    text = mapping_text + ("case_finding: {source: emr_admissions, patient_id: patient_id, "
                           "columns: [icd10_main, icd10_other], codes: [C73]}\n")
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run_ingest(store, hospital, load_mapping(tmp_path / "m.yaml", store.dictionary), text)
    # Expected straight from the export: C73 as main or other diagnosis of any stay, the Cyrillic "С73" that
    # the generator types into some stays included (it is the same code).
    with (hospital / "exports" / "emr" / "admissions.csv").open(encoding="utf-8", newline="") as f:
        stays = list(csv.DictReader(f, delimiter=";"))
    cases = {r["patient_id"] for r in stays
             if "C73" in {c.strip().replace("\u0421", "C") for c in [r["icd10_main"], *r["icd10_other"].split(",")]}}
    with (hospital / "exports" / "emr" / "patients.csv").open(encoding="cp1251", newline="") as f:
        master = {r["ИД пациента"] for r in csv.DictReader(f, delimiter=";")}
    assert cases < master  # some patients were treated elsewhere: no stay, so no code here
    assert report.balanced and report.patients_created == len(cases)
    assert report.excluded > 0
    with store.session() as s:
        registered = set(s.scalars(select(PatientIdentifier.value).where(PatientIdentifier.system == "EMR")))
    assert registered == cases


def test_linkage_retries_with_more_memory_when_duckdb_runs_out(
    store: ClinicalStore, hospital: Path, mapping_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncobank.ingest import linkage

    monkeypatch.setattr(linkage, "MEMORY_LIMITS", ("1MB", "256MB"))  # 1 MB cannot hold Splink's first join
    attempts: list[str] = []
    score = linkage._score

    def counted(con, people):  # type: ignore[no-untyped-def]
        attempts.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return score(con, people)

    monkeypatch.setattr(linkage, "_score", counted)
    report = run_ingest(store, hospital, _mapping(store), mapping_text)
    assert len(attempts) >= 2 and report.balanced
    assert report.linkage.get("linked", 0) > 0
