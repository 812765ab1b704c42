"""Loading canonical registry JSON: valid entries stored, bad ones quarantined, counts reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import RuleViolation
from oncobank.store.load import load_registry
from oncobank.store.models import Quarantine

DEMOGRAPHICS = {"surname": "Петров", "first_name": "Иван", "birth_date": "1965-03-02", "sex": "M"}


def _patient(pid: str, emr: str, entries: list[dict]) -> dict:
    return {"patient_id": pid, "centre": "C01", "identifiers": [{"system": "EMR", "value": emr}],
            "entries": [{"section": "demographics", "values": DEMOGRAPHICS}, *entries]}


def _write(folder: Path, lines: list[str], module: str = "thyroid") -> Path:
    (folder / "registry").mkdir(parents=True)
    manifest = {"format": "oncobank-registry", "format_version": 1, "module": module, "seed": 0,
                "patients": len(lines), "centres": [{"code": "C01", "name": "Centre one"}]}
    (folder / "registry" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "registry" / "patients.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    good_rai = {"section": "radioiodine", "date": "2018-06-01", "facility": "MF-1",
                "values": {"procedure": "therapy", "isotope": "I-131", "activity": {"value": 3.7, "unit": "GBq"}}}
    bad_unit = {"section": "laboratory", "date": "2018-07-01", "values": {"tg": {"value": 2, "unit": "mmHg"}}}
    before_birth = {"section": "hormone_therapy", "date": "1950-01-01", "values": {"levothyroxine_dose": 100}}
    lines = [
        json.dumps(_patient("TH-1", "E-1", [good_rai, bad_unit, before_birth])),
        "{not json",
        json.dumps({**_patient("TH-2", "E-2", [good_rai]), "centre": "C99"}),
        json.dumps(_patient("TH-3", "E-1", [good_rai])),  # EMR id already used by TH-1
        json.dumps(_patient("TH-4", "E-4", [good_rai, {"section": "demographics", "values": DEMOGRAPHICS}])),
    ]
    return _write(tmp_path / "hospital", lines)


def test_load_quarantines_bad_records_and_reconciles(store: ClinicalStore, registry: Path) -> None:
    report = load_registry(store, registry)
    assert report.balanced
    assert (report.patients_in, report.patients_loaded, report.patients_quarantined) == (5, 2, 3)
    # TH-1: 4 entries (2 loaded); not-json: 0; TH-2: 2 (quarantined with patient); TH-3: 2; TH-4: 3 (2 loaded)
    assert report.entries_in == 4 + 0 + 2 + 2 + 3
    assert report.entries_loaded == 2 + 2
    assert report.entries_quarantined == 2 + 2 + 2 + 1
    assert report.rules == {"unit": 1, "before_birth": 1, "json": 1, "unknown_centre": 1,
                            "duplicate_identifier": 1, "single_entry": 1}
    card = read_card(store, "TH-1", user="system")
    rai = card.section("radioiodine")[0].current
    assert rai.values["activity"] == 3700.0  # 3.7 GBq
    with store.session() as s:
        rows = s.scalars(select(Quarantine).order_by(Quarantine.id)).all()
    assert len(rows) == 6
    unit_row = next(r for r in rows if r.issues[0]["rule"] == "unit")
    assert (unit_row.location, unit_row.patient_ref, unit_row.section) == ("line 1", "TH-1", "laboratory")
    assert unit_row.payload["values"]["tg"] == {"value": 2, "unit": "mmHg"}
    assert "'mmHg' cannot be converted to 'ng/mL'" in unit_row.issues[0]["message"]


def test_reloading_skips_patients_already_present(store: ClinicalStore, registry: Path) -> None:
    load_registry(store, registry)
    again = load_registry(store, registry)
    assert again.balanced
    assert again.patients_loaded == 0
    assert again.patients_skipped == 2
    with store.session() as s:
        from oncobank.store.models import EntryVersion

        assert s.scalar(select(func.count()).select_from(EntryVersion)) == 4


def test_module_mismatch_is_refused(store: ClinicalStore, tmp_path: Path) -> None:
    folder = _write(tmp_path / "lung", [json.dumps(_patient("L-1", "E-9", []))], module="lung")
    with pytest.raises(RuleViolation, match=r'manifest.json:1: module: "lung": the store uses module thyroid'):
        load_registry(store, folder)
