"""FHIR R4 as servers export it: bundles of bundles, contained resources, transactions with urn:uuid references."""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from oncobank.ingest.adapters import read_rows
from oncobank.ingest.mapping import Source

FHIR = Source(name="f", system="FHIR", format="fhir", files=["x.json"], patient_id="patient",
              resources=["Patient", "Observation", "DiagnosticReport"])
LOINC_TSH = {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]}


def _observation(oid: str, subject: str | None, **when: object) -> dict:
    obs = {"resourceType": "Observation", "id": oid, "status": "final", "code": LOINC_TSH,
           "valueQuantity": {"value": 1.5, "unit": "mIU/L"}, **when}
    if subject is not None:
        obs["subject"] = {"reference": subject}
    return obs


def _report(rid: str, subject: str, results: list[str], **extra: object) -> dict:
    return {"resourceType": "DiagnosticReport", "id": rid, "status": "final", "code": {"text": "Thyroid panel"},
            "subject": {"reference": subject}, "effectiveDateTime": "2021-03-04T09:00:00+03:00",
            "result": [{"reference": f"Observation/{r}"} for r in results], **extra}


def _write(tmp_path: Path, doc: dict) -> list:
    checked = json.loads(Bundle.model_validate(doc).model_dump_json())  # the shape fhir.resources accepts
    (tmp_path / "x.json").write_text(json.dumps(checked), encoding="utf-8")
    return list(read_rows(FHIR, tmp_path / "x.json", tmp_path))


def test_bundles_inside_a_bundle_are_read(tmp_path: Path) -> None:
    # a server's export: one searchset bundle of reports and their observations per patient, in one collection
    inner = []
    for patient, count in (("P1", 3), ("P2", 2)):
        obs = [_observation(f"{patient}-o{i}", f"Patient/{patient}", effectiveDateTime="2021-03-04")
               for i in range(count)]
        report = _report(f"{patient}-r", f"Patient/{patient}", [o["id"] for o in obs])
        inner.append({"resource": {"resourceType": "Bundle", "type": "searchset",
                                   "entry": [{"resource": r} for r in (report, *obs)]}})
    rows = _write(tmp_path, {"resourceType": "Bundle", "type": "collection", "entry": inner})
    assert [r.problem for r in rows] == [None] * 7  # 2 reports + 3 + 2 observations, none left out
    assert [(r.fields["resourceType"], r.fields["patient"]) for r in rows] == [
        ("DiagnosticReport", "P1"), ("Observation", "P1"), ("Observation", "P1"), ("Observation", "P1"),
        ("DiagnosticReport", "P2"), ("Observation", "P2"), ("Observation", "P2")]
    assert rows[1].location == "document, entry 1, entry 2"


def test_dates_fall_back_to_the_period_then_the_report(tmp_path: Path) -> None:
    contained = [_observation("c1", None), _observation("c2", None, effectivePeriod={"start": "2021-02-01"})]
    report = _report("r1", "Patient/P1", ["#c1", "#c2"], contained=contained)
    alone = _observation("o9", "Patient/P1", effectivePeriod={"start": "2021-01-15T08:00:00Z"})
    rows = _write(tmp_path, {"resourceType": "Bundle", "type": "collection",
                             "entry": [{"resource": report}, {"resource": alone}]})
    got = [(r.fields["resourceType"], r.fields.get("id"), r.fields["patient"], r.fields["effective"]) for r in rows]
    assert got == [
        ("DiagnosticReport", "r1", "P1", "2021-03-04T09:00:00+03:00"),
        ("Observation", "c1", "P1", "2021-03-04T09:00:00+03:00"),  # the report's date and subject
        ("Observation", "c2", "P1", "2021-02-01"),  # its own period
        ("Observation", "o9", "P1", "2021-01-15T08:00:00Z"),
    ]
    assert rows[1].location == "document, entry 1, contained 1"


def test_a_transaction_refers_to_its_patients_by_urn_uuid(tmp_path: Path) -> None:
    new = "urn:uuid:7d6a3e52-0a77-4b5d-9a6b-2d1a0c9b7f10"
    known = "urn:uuid:4f0c2b9e-8d0e-4e57-b1a2-0a5c6d7e8f90"
    entries = [
        {"fullUrl": new, "resource": {"resourceType": "Patient", "gender": "female"},
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": known, "resource": {"resourceType": "Patient", "id": "P7", "gender": "male"},
         "request": {"method": "PUT", "url": "Patient/P7"}},
        {"resource": _observation("o1", new, effectiveDateTime="2021-05-06"),
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": _observation("o2", known, effectiveDateTime="2021-05-06"),
         "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "DELETE", "url": "Observation/o0"}},
    ]
    rows = _write(tmp_path, {"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert [(r.fields.get("resourceType"), r.fields.get("patient")) for r in rows[:4]] == [
        ("Patient", new), ("Patient", "P7"), ("Observation", new), ("Observation", "P7")]
    assert [r.problem for r in rows[:4]] == [None] * 4
    # the request-only entry is one row, with its problem: nothing goes unsaid, nothing is counted twice
    assert len(rows) == 5
    assert rows[4].problem == "entry holds only a request (DELETE Observation/o0), no resource to load"


def test_snomed_coded_conditions_map_through_a_value_map(tmp_path: Path) -> None:
    from oncobank.dictionary import load_module
    from oncobank.ingest.mapping import Mapping
    from oncobank.ingest.records import RowMapper

    def condition(cid: str, code: str, display: str) -> dict:
        return {"resource": {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/P1"},
                             "code": {"coding": [{"system": "http://snomed.info/sct", "code": code,
                                                  "display": display}]},
                             "onsetDateTime": "2020-05-01"}}

    source = Source(name="conditions", system="FHIR", format="fhir", files=["x.json"], patient_id="patient",
                    resources=["Condition"], section="diagnosis", record=["id"], date="onsetDateTime",
                    date_formats=["iso"], fields={"code.coding.0.code": "icd10"},
                    values={"icd10": {"363478007": "C73", "94222008": "C77.0"}})
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [
        condition("c1", "363478007", "Malignant tumor of thyroid gland"),
        condition("c2", "94222008", "Secondary malignant neoplasm of lymph node"),
        condition("c3", "38341003", "Hypertensive disorder")]}
    checked = json.loads(Bundle.model_validate(doc).model_dump_json())
    (tmp_path / "x.json").write_text(json.dumps(checked), encoding="utf-8")
    mapper = RowMapper(Mapping(module="thyroid", centre="C01", master="FHIR", sources=[source]), source,
                       load_module("thyroid"))
    mapped = [mapper.map(r) for r in read_rows(source, tmp_path / "x.json", tmp_path)]
    assert [m.values["icd10"] for m in mapped] == ["C73", "C77.0", "38341003"]
    assert all(not m.issues for m in mapped)  # the validator quarantines the third as outside the ICD-10 codes
    assert mapper.unmapped["icd10=38341003"] == 1  # and the run's report lists the code once, with its count
