"""JSON, FHIR R4, DICOM and document adapters: rows as the mapping sees them, bad input as clear problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from oncobank.ingest.adapters import AdapterError, read_rows
from oncobank.ingest.documents import extract_text
from oncobank.ingest.mapping import Source, load_mapping
from oncobank.ingest.models import IngestDocument
from oncobank.ingest.pipeline import run_ingest
from oncobank.store.attachments import attachments_of, read_attachment
from oncobank.store.clinical import ClinicalStore
from oncobank.store.load import quarantined
from oncobank.store.models import Entry, EntryVersion, Patient

from .small_hospital import DOCS_MAPPING

JSON = Source(name="j", system="LIS", format="json", files=["x.json"], patient_id="patient.id", records="data.items")
FHIR = Source(name="f", system="FHIR", format="fhir", files=["x.json"], patient_id="patient")
DICOM = Source(name="d", system="PACS", format="dicom", files=["*.dcm"], patient_id="PatientID")
DOCS = Source(name="r", system="EMR", format="documents", files=["index.csv"], patient_id="pid", document="file")


def test_json_records_are_flattened_to_dotted_paths(tmp_path: Path) -> None:
    doc = {"data": {"items": [{"patient": {"id": "L1"}, "tests": [{"code": "3016-3", "value": 0.42}], "note": None},
                              "oops"]}}
    (tmp_path / "x.json").write_text(json.dumps(doc), encoding="utf-8")
    rows = list(read_rows(JSON, tmp_path / "x.json", tmp_path))
    assert rows[0].fields == {"patient.id": "L1", "tests.0.code": "3016-3", "tests.0.value": "0.42", "note": ""}
    assert rows[0].location == "record 1" and rows[0].problem is None
    assert rows[1].problem == "record is not a JSON object"
    (tmp_path / "x.jsonl").write_text('{"a": 1}\n{broken\n', encoding="utf-8")
    lines = list(read_rows(JSON.model_copy(update={"records": None}), tmp_path / "x.jsonl", tmp_path))
    assert lines[0].fields == {"a": "1"} and lines[1].location == "line 2" and "not valid JSON" in lines[1].problem
    (tmp_path / "x.json").write_text('{"data": {}}', encoding="utf-8")
    with pytest.raises(AdapterError, match=r"no list of records at 'data\.items'"):
        list(read_rows(JSON, tmp_path / "x.json", tmp_path))


def _bundle() -> dict:
    """A FHIR R4 bundle built with fhir.resources: one patient and one resource of each kind read."""
    from fhir.resources.R4B.bundle import Bundle

    subject = {"reference": "Patient/F1"}
    when = "2020-02-03T08:00:00+03:00"
    code = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C73"}]}
    resources = [
        {"resourceType": "Patient", "id": "F1", "gender": "female", "birthDate": "1970-05-20",
         "name": [{"family": "Иванова", "given": ["Мария", "Петровна"]}]},
        {"resourceType": "Condition", "id": "c1", "subject": subject, "code": code, "recordedDate": "2019-11-02"},
        {"resourceType": "Observation", "id": "o1", "status": "final", "subject": subject, "effectiveDateTime": when,
         "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
         "valueQuantity": {"value": 0.42, "unit": "mIU/L"},
         "referenceRange": [{"low": {"value": 0.4}, "high": {"value": 4.0}}]},
        {"resourceType": "Observation", "id": "o2", "status": "final", "subject": subject, "effectiveDateTime": when,
         "code": {"coding": [{"system": "http://loinc.org", "code": "3013-0"}]},
         "valueQuantity": {"value": 1.3, "unit": "ng/mL"}},
        {"resourceType": "Procedure", "id": "p1", "status": "completed", "subject": subject,
         "performedDateTime": "2019-12-01", "code": {"text": "thyroidectomy"}},
        {"resourceType": "MedicationStatement", "id": "m1", "status": "active", "subject": subject,
         "medicationCodeableConcept": {"text": "levothyroxine"}},
        {"resourceType": "MedicationRequest", "id": "m2", "status": "active", "intent": "order", "subject": subject,
         "medicationCodeableConcept": {"text": "lenvatinib"}},
        {"resourceType": "DiagnosticReport", "id": "d1", "status": "final", "subject": subject,
         "code": {"text": "CT neck"}, "conclusion": "no lesions"},
    ]
    bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "collection",
                                    "entry": [{"resource": r} for r in resources]})
    return json.loads(bundle.model_dump_json())


def test_fhir_bundle_rows_carry_the_subject_and_invalid_resources_are_problems(tmp_path: Path) -> None:
    doc = _bundle()
    doc["entry"].append({"resource": {"resourceType": "Observation", "id": "bad", "status": "final",
                                      "code": {"text": "x"}, "subject": {"reference": "Patient/F1"},
                                      "valueQuantity": {"value": "four"}}})
    (tmp_path / "x.json").write_text(json.dumps(doc), encoding="utf-8")
    rows = list(read_rows(FHIR, tmp_path / "x.json", tmp_path))
    kinds = [r.fields["resourceType"] for r in rows]
    assert kinds == ["Patient", "Condition", "Observation", "Observation", "Procedure", "MedicationStatement",
                     "MedicationRequest", "DiagnosticReport", "Observation"]
    assert {r.fields["patient"] for r in rows} == {"F1"}
    assert rows[2].fields["code.coding.0.code"] == "3016-3" and rows[2].fields["referenceRange"] == "0.4-4.0"
    assert [r.problem is None for r in rows] == [True] * 8 + [False]
    assert rows[8].problem.startswith("not a valid FHIR Observation")
    only = FHIR.model_copy(update={"resources": ["Condition"]})
    assert [r.fields["code.coding.0.code"] for r in read_rows(only, tmp_path / "x.json", tmp_path)] == ["C73"]


FHIR_MAPPING = """
module: thyroid
centre: C01
master: FHIR
items: {3016-3: tsh, 3013-0: tg}
sources:
  - name: fhir_patients
    system: FHIR
    format: fhir
    files: [bundle.json]
    resources: [Patient]
    date_formats: [iso]
    patient_id: patient
    identity: {surname: name.0.family, first_name: name.0.given.0, patronymic: name.0.given.1,
               birth_date: birthDate, sex: gender}
    section: demographics
    fields: {name.0.family: surname, name.0.given.0: first_name, name.0.given.1: patronymic, birthDate: birth_date,
             gender: sex}
    ignore: [resourceType, id]
  - name: fhir_labs
    system: FHIR
    format: fhir
    files: [bundle.json]
    resources: [Observation]
    date_formats: [iso]
    patient_id: patient
    section: laboratory
    record: [id]
    date: effectiveDateTime
    long: {item: code.coding.0.code, value: valueQuantity.value, unit: valueQuantity.unit,
           reference_range: referenceRange}
"""


def test_a_fhir_bundle_ingests_end_to_end(store: ClinicalStore, tmp_path: Path) -> None:
    (tmp_path / "bundle.json").write_text(json.dumps(_bundle()), encoding="utf-8")
    (tmp_path / "m.yaml").write_text(FHIR_MAPPING, encoding="utf-8")
    report = run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), FHIR_MAPPING)
    assert report.balanced and (report.rows_in, report.loaded, report.quarantined) == (3, 3, 0)
    with store.session() as s:
        stored = s.execute(select(Entry.section, EntryVersion.entry_date, EntryVersion.values)
                           .join(EntryVersion, EntryVersion.entry_id == Entry.id)).all()
    people = [values for section, _, values in stored if section == "demographics"]
    assert len(people) == 1 and people[0]["sex"] == "F" and people[0]["patronymic"] == "Петровна"
    labs = {name: (day.isoformat(), v) for section, day, values in stored if section == "laboratory"
            for name, v in values.items()}
    assert labs == {"tsh": ("2020-02-03", 0.42), "tg": ("2020-02-03", 1.3)}


def _dicom(path: Path, **header: str) -> None:
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    for key, value in header.items():
        setattr(ds, key, value)
    ds.save_as(path, enforce_file_format=True)


def test_dicom_headers_become_rows(tmp_path: Path) -> None:
    _dicom(tmp_path / "a.dcm", PatientID="RD1", PatientName="Иванова^Мария^Петровна", PatientBirthDate="19700520",
           PatientSex="F", StudyDate="20200203", Modality="CT", AccessionNumber="A77", StudyDescription="Шея")
    (tmp_path / "b.dcm").write_bytes(b"not dicom at all")
    good = list(read_rows(DICOM, tmp_path / "a.dcm", tmp_path))
    assert len(good) == 1 and good[0].problem is None
    fields = good[0].fields
    assert (fields["PatientID"], fields["PatientName"], fields["Modality"], fields["StudyDescription"]) == (
        "RD1", "Иванова^Мария^Петровна", "CT", "Шея")
    bad = list(read_rows(DICOM, tmp_path / "b.dcm", tmp_path))
    assert bad[0].problem.startswith("not a readable DICOM file")


def test_documents_keep_their_extracted_text(
    store: ClinicalStore, tmp_path: Path, make_pdf: Callable[[str], bytes]
) -> None:
    (tmp_path / "r1.txt").write_text("Заключение: узловое образование 12 мм.", encoding="utf-8")
    (tmp_path / "r2.pdf").write_bytes(make_pdf("Discharge summary: total thyroidectomy"))
    (tmp_path / "index.csv").write_text(
        "pid;file;kind;date;surname;first;born;sex\n"
        "E1;r1.txt;imaging_report;03.02.2020;Иванова;Мария;20.05.1970;Ж\n"
        "E1;r2.pdf;discharge_summary;05.02.2020;Иванова;Мария;20.05.1970;Ж\n"
        "E1;gone.pdf;discharge_summary;06.02.2020;Иванова;Мария;20.05.1970;Ж\n", encoding="utf-8")
    rows = list(read_rows(DOCS.model_copy(update={"delimiter": ";"}), tmp_path / "index.csv", tmp_path))
    assert rows[0].fields["document_text"] == "Заключение: узловое образование 12 мм."
    assert "total thyroidectomy" in rows[1].fields["document_text"]
    assert rows[1].fields["document_media_type"] == "application/pdf"
    assert rows[2].problem == "document 'gone.pdf' named in column 'file' is missing"
    text = DOCS_MAPPING
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), text)
    assert report.balanced and (report.loaded, report.quarantined) == (2, 1) and report.rules == {"malformed": 1}
    with store.session() as s:
        kept = {d.media_type: d.text for d in s.scalars(select(IngestDocument))}
        shas = {v["attachment_sha256"] for v in s.scalars(select(EntryVersion.values))}
    assert kept["text/plain"] == "Заключение: узловое образование 12 мм."
    assert "total thyroidectomy" in kept["application/pdf"]
    assert shas == {rows[0].fields["document_sha256"], rows[1].fields["document_sha256"]}
    # The PDF itself is in the attachment store, tied to its documents entry; the text file's text is enough.
    with store.session() as s:
        [patient] = s.scalars(select(Patient.registry_id)).all()
    [attachment] = attachments_of(store, patient)
    store.ensure_user("reader", "data_manager")
    assert read_attachment(store, attachment, user="reader") == (tmp_path / "r2.pdf").read_bytes()


def test_a_pdf_the_attachment_store_refuses_is_quarantined(
    store: ClinicalStore, tmp_path: Path, make_pdf: Callable[[str], bytes]
) -> None:
    # pypdf reads its text, but its end-of-file marker is not in the last 2 KB where the attachment store
    # checks that a PDF arrived whole.
    (tmp_path / "cut.pdf").write_bytes(make_pdf("Discharge summary") + b"\n" + b" " * 3000)
    (tmp_path / "index.csv").write_text(
        "pid;file;kind;date;surname;first;born;sex\n"
        "E1;cut.pdf;discharge_summary;05.02.2020;Иванова;Мария;20.05.1970;Ж\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(DOCS_MAPPING, encoding="utf-8")
    report = run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), DOCS_MAPPING)
    assert report.balanced and report.quarantined == 1 and report.rules == {"attachment": 1}
    [item] = quarantined(store, "ingest")
    assert item["location"] == "line 2" and item["rule"] == "attachment" and item["message"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_any_bytes_are_rows_problems_or_a_clear_error(
    tmp_path: Path, rows_or_clear_error: Callable[[Source, str, Path, bytes], None], data: bytes
) -> None:
    for source, name in ((JSON, "x.json"), (JSON.model_copy(update={"records": None}), "x.jsonl"), (FHIR, "x.json"),
                         (DICOM, "x.dcm")):
        rows_or_clear_error(source, name, tmp_path, data)
    try:
        assert isinstance(extract_text(b"%PDF-" + data), str)
    except ValueError as exc:
        assert str(exc)


JSONS = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(JSONS)
def test_any_json_document_is_rows_or_a_clear_error(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for source in (JSON.model_copy(update={"records": None}), FHIR):
        try:
            rows = list(read_rows(source, path, tmp_path))
        except AdapterError as exc:
            assert "x.json" in str(exc)
            continue
        assert all(isinstance(v, str) for r in rows for v in r.fields.values())
