"""Loading canonical registry JSON: valid entries stored, bad ones quarantined, counts reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import LoadStopped, RuleViolation
from oncobank.store.load import JOB, load_registry, quarantined
from oncobank.store.models import Patient, Quarantine

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


def _lab(day: str, tsh: float) -> dict:
    return {"section": "laboratory", "date": day, "values": {"tsh": tsh}}


HOSTILE = [
    {"patient_id": "TH-\u0000"},
    {"patient_id": "T" * 1_000_000},
    {"identifiers": [{"system": "EMR", "value": "E" * 1_000_000}]},
    {"identifiers": [{"system": "S" * 1000, "value": "E-9"}]},
    {"identifiers": [{"system": "EMR", "value": "E-\u0000"}]},
    {"centre": "C" * 1000},
    {"entries": [{"section": "laboratory", "date": "2019-01-01", "facility": "F" * 1_000_000, "values": {"tsh": 1}}]},
    {"entries": [{"section": "laboratory", "date": "2019-01-01", "facility": "MF\u00001", "values": {"tsh": 1}}]},
    {"entries": [{"section": "laboratory\u0000", "values": {"tsh": "\ud800"}}]},
]


def test_what_postgresql_cannot_hold_is_quarantined_alike_on_both_backends(store: ClinicalStore, tmp_path: Path
                                                                            ) -> None:
    lines = [json.dumps({**_patient(f"TH-{n}", f"E-{n}", []), **change}) for n, change in enumerate(HOSTILE)]
    lines.append('{"patient_id": "TH-NaN", "entries": NaN}')  # JSON's NaN: PostgreSQL's JSON has none
    report = load_registry(store, _write(tmp_path / "hostile", lines))
    assert report.balanced and report.patients_in == len(HOSTILE) + 1
    found = sorted((p["line"], p["field"], p["rule"]) for p in report.quarantined)
    assert found == [(1, "patient_id", "characters"), (2, "patient_id", "max_length"),
                     (3, "identifiers[0].value", "max_length"), (4, "identifiers[0].system", "max_length"),
                     (5, "identifiers[0].value", "characters"), (6, "centre", "unknown_centre"),
                     (7, "facility", "max_length"), (8, "facility", "characters"), (9, None, "unknown_section"),
                     (10, "centre", "required"), (10, "entries", "type")]
    with store.session() as s:
        kept = s.scalars(select(Quarantine.payload)).all()
    assert len(kept) == len(HOSTILE) + 1  # one row a line: the patient, or (lines 7-9) its bad entry alone
    assert "\u0000" not in json.dumps(kept)


def test_a_fixed_file_loads_the_fixed_entries_of_patients_already_present(store: ClinicalStore, tmp_path: Path
                                                                          ) -> None:
    good, bad = _lab("2019-01-01", 2.0), _lab("2019-02-01", 5000)
    folder = _write(tmp_path / "v1", [json.dumps(_patient("TH-1", "E-1", [good, bad]))])
    first = load_registry(store, folder)
    assert (first.entries_loaded, first.entries_quarantined) == (2, 1)
    assert [r["rule"] for r in quarantined(store, JOB)] == ["hard_range"]
    fixed = _write(tmp_path / "v2", [json.dumps(_patient("TH-1", "E-1", [good, _lab("2019-02-01", 5.0)]))])
    again = load_registry(store, fixed)
    assert again.balanced
    assert (again.patients_skipped, again.entries_loaded, again.entries_skipped, again.entries_quarantined) == (
        1, 1, 2, 0)  # demographics and the good lab are there already; the fixed lab is new
    assert quarantined(store, JOB) == []  # the problem is gone, so its row is resolved
    assert [r["rule"] for r in quarantined(store, JOB, status="resolved")] == ["hard_range"]
    labs = read_card(store, "TH-1", user="system").section("laboratory")
    assert sorted(e.current.values["tsh"] for e in labs) == [2.0, 5.0]
    assert load_registry(store, fixed).entries_loaded == 0  # and a third time changes nothing


def test_a_reload_never_brings_back_an_entry_edited_or_retracted_since(store: ClinicalStore, tmp_path: Path) -> None:
    folder = _write(tmp_path / "v1", [json.dumps(_patient("TH-1", "E-1", [_lab("2019-01-01", 2.0),
                                                                           _lab("2019-02-01", 3.0)]))])
    load_registry(store, folder)
    first, second = read_card(store, "TH-1", user="system").section("laboratory")
    store.edit_entry(first.entry_id, 1, {"tsh": 2.5}, user="system", reason="typo", entry_date="2019-01-01")
    store.retract_entry(second.entry_id, 1, user="system", reason="wrong patient")
    again = load_registry(store, folder)
    assert (again.entries_loaded, again.entries_skipped) == (0, 3)
    assert len(read_card(store, "TH-1", user="system").section("laboratory")) == 2


def test_a_changed_one_entry_section_is_quarantined_not_doubled(store: ClinicalStore, tmp_path: Path) -> None:
    load_registry(store, _write(tmp_path / "v1", [json.dumps(_patient("TH-1", "E-1", []))]))
    changed = {**_patient("TH-1", "E-1", []), "entries": [
        {"section": "demographics", "values": {**DEMOGRAPHICS, "first_name": "Пётр"}}]}
    again = load_registry(store, _write(tmp_path / "v2", [json.dumps(changed)]))
    (problem,) = again.quarantined
    assert problem["rule"] == "single_entry" and "oncobank entry edit" in problem["message"]
    assert "Пётр" not in json.dumps(again.to_dict())


def test_quarantine_listing_names_line_field_and_rule_but_no_identifying_value(store: ClinicalStore,
                                                                                tmp_path: Path) -> None:
    bad_demo = {"section": "demographics", "values": {**DEMOGRAPHICS, "birth_date": "1800-01-01"}}
    line = {**_patient("TH-1", "E-1", [_lab("2019-01-01", 5000)]), "entries": [bad_demo, _lab("2019-01-01", 5000)]}
    load_registry(store, _write(tmp_path / "r", [json.dumps(line)]))
    rows = {r["field"]: r for r in quarantined(store, JOB)}
    assert (rows["tsh"]["location"], rows["tsh"]["patient"], rows["tsh"]["value"], rows["tsh"]["rule"]) == (
        "line 1", "TH-1", 5000, "hard_range")
    assert rows["birth_date"]["value"] is None and rows["birth_date"]["rule"] == "earliest"
    assert "1800" not in json.dumps(rows)


def test_a_load_that_stops_part_way_says_what_it_committed_and_a_rerun_finishes(
    store: ClinicalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    import oncobank.store.load as load_module

    lines = [json.dumps(_patient(f"TH-{n}", f"E-{n}", [])) for n in range(1, 301)]
    folder = _write(tmp_path / "r", lines)
    real = load_module._insert
    calls = iter(range(10))

    def failing(*args: object, **kwargs: object) -> None:
        if next(calls) == 1:  # the second batch: lines 251-300
            raise OperationalError("INSERT …", {"surname": "Соболева"}, Exception("server closed the connection"))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load_module, "_insert", failing)
    with pytest.raises(LoadStopped) as caught:
        load_registry(store, folder)
    stopped = caught.value
    assert (stopped.report.patients_in, stopped.report.patients_loaded, stopped.report.lines) == (250, 250, 300)
    assert stopped.report.balanced
    message = str(stopped)
    assert "line 251" in message and "250 patient lines before it are committed" in message
    assert "the 50 from it on are not" in message and "Соболева" not in message
    monkeypatch.setattr(load_module, "_insert", real)
    again = load_registry(store, folder)
    assert (again.patients_loaded, again.patients_skipped) == (50, 250)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 300
