"""Vendors' SRs: a highdicom TID 1500 measurement report and a pydicom Basic Text SR read through a concept mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from typer.testing import CliRunner

from oncobank.aieval.errors import InputFileError
from oncobank.aieval.sr_build import SrContent, source_image
from oncobank.aieval.sr_map import load_map
from oncobank.aieval.sr_read import open_sr, read_sr_results
from oncobank.aieval.sr_tid1500 import read_mapped
from oncobank.cli.main import app

STUDY = "2.25.4242"
MAP = """
probability: {concept: "DCM:111047", when_absent: 0}
category:
  concept: "99ACME:LRADS"
  values: {"99ACME:LR2": "CT-1", "99ACME:LR4A": "CT-2", "99ACME:LR4B": "CT-3"}
sent_at: study
"""
TEXT_MAP = """
probability: {concept: "99ACME:PMAL", pattern: 'probability ([0-9.,]+)', scale: 0.01}
category: {concept: "99ACME:CAT"}
version: "99ACME:VER"
sent_at: study
received_at: "99ACME:DONE"
"""


def _image() -> Dataset:
    content = SrContent(study_uid=STUDY, service_name="x", supplier="x", version="x",
                        sent_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC), received_at=datetime(2026, 3, 2, 9, 15,
                                                                                              tzinfo=UTC),
                        probability=0.0, category="", conclusion="")
    return source_image(content)  # type: ignore[return-value]


def measurement_report(groups: list[tuple[str, float | None, str, str]], path: Path) -> Path:
    """A TID 1500 report as highdicom writes it: per nodule a tracking ID, diameter, probability, Lung-RADS."""
    from highdicom.sr import (
        AlgorithmIdentification,
        CodedConcept,
        Comprehensive3DSR,
        DeviceObserverIdentifyingAttributes,
        FindingSite,
        ImageRegion3D,
        Measurement,
        MeasurementReport,
        ObservationContext,
        ObserverContext,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        QualitativeEvaluation,
        TrackingIdentifier,
    )
    from pydicom.sr.codedict import codes

    image = _image()
    algorithm = AlgorithmIdentification(name="ACME Lung", version="3.2.1")
    device = ObserverContext(observer_type=codes.DCM.Device, observer_identifying_attributes=(
        DeviceObserverIdentifyingAttributes(uid=generate_uid(), name="ACME Lung")))
    lung_rads = CodedConcept("LRADS", "99ACME", "Lung-RADS category")
    measurements = []
    for i, (label, probability, unit, category) in enumerate(groups, start=1):
        measurements.append(PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=TrackingIdentifier(uid=generate_uid(), identifier=f"Nodule {i}"),
            referenced_region=ImageRegion3D("POINT", np.array([[10.0 * i, 5.0, -40.0]]), image.FrameOfReferenceUID),
            finding_type=CodedConcept("27925004", "SCT", "Nodule"),
            finding_sites=[FindingSite(CodedConcept("39607008", "SCT", "Lung structure"))],
            algorithm_id=algorithm,
            measurements=[
                Measurement(CodedConcept("81827009", "SCT", "Diameter"), 6.0 + i, CodedConcept("mm", "UCUM", "mm")),
                *([] if probability is None else [Measurement(CodedConcept("111047", "DCM", "Probability of cancer"),
                                                              probability, CodedConcept(unit, "UCUM", unit))]),
            ],
            qualitative_evaluations=[QualitativeEvaluation(lung_rads, CodedConcept(category, "99ACME", label))],
        ))
    report = MeasurementReport(
        observation_context=ObservationContext(observer_device_context=device),
        procedure_reported=CodedConcept("77477000", "SCT", "CT"), imaging_measurements=measurements)
    sr = Comprehensive3DSR(evidence=[image], content=report, series_instance_uid=generate_uid(), series_number=77,
                           sop_instance_uid=generate_uid(), instance_number=1, manufacturer="ACME")
    sr.ContentDate, sr.ContentTime = "20260302", "091900"
    sr.save_as(path, enforce_file_format=True)
    return path


def _text(concept: tuple[str, str, str], value: str, relation: str = "CONTAINS") -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = relation, "TEXT"
    item.ConceptNameCodeSequence = Sequence([_code(*concept)])
    item.TextValue = value
    return item


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
    return code


def basic_text_sr(path: Path, probability: str = "Malignancy probability 87,5 (of 100)") -> Path:
    """A Basic Text SR as a vendor's gateway writes it with pydicom: findings and impression as TEXT items."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.Modality = "2.25.777", generate_uid(), "SR"
    ds.StudyDate, ds.StudyTime = "20260302", "101500"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([_code("18748-4", "LN", "Diagnostic imaging report")])
    done = Dataset()
    done.RelationshipType, done.ValueType, done.DateTime = "CONTAINS", "DATETIME", "20260302101730+0000"
    done.ConceptNameCodeSequence = Sequence([_code("DONE", "99ACME", "Analysis finished")])
    findings = Dataset()
    findings.RelationshipType, findings.ValueType, findings.ContinuityOfContent = "CONTAINS", "CONTAINER", "SEPARATE"
    findings.ConceptNameCodeSequence = Sequence([_code("121070", "DCM", "Findings")])
    findings.ContentSequence = Sequence([_text(("121071", "DCM", "Finding"), "Solid nodule, right upper lobe, 9 mm"),
                                         _text(("PMAL", "99ACME", "Malignancy"), probability)])
    ds.ContentSequence = Sequence([_text(("VER", "99ACME", "Software"), "ACME Chest 5.0"), done, findings,
                                   _text(("CAT", "99ACME", "Category"), "Lung-RADS 4A")])
    ds.save_as(path, enforce_file_format=True)
    return path


def _map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_tid1500_report_gives_the_highest_probability_and_most_severe_category(tmp_path: Path) -> None:
    # nodule 1: 41 % (unit %, read as 0.41), Lung-RADS 2; nodule 2: 0.87 (unit 1), Lung-RADS 4B
    path = measurement_report([("2", 41.0, "%", "LR2"), ("4B", 0.87, "1", "LR4B")], tmp_path / "a.dcm")
    issues: list = []
    row, found = read_mapped("a.dcm", open_sr(path), load_map(_map(tmp_path, MAP)), issues)
    assert issues == []
    assert row == {"study_uid": STUDY, "service_version": "3.2.1",
                   "sent_at": datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
                   "received_at": datetime(2026, 3, 2, 9, 19, tzinfo=UTC), "probability": 0.87, "category": "CT-3"}
    assert [f["tracking_id"] for f in found] == ["Nodule 1", "Nodule 2"]
    assert all(f["tracking_uid"] for f in found)
    assert found[0]["finding"] == ("SCT", "27925004", "Nodule")
    assert found[0]["site"] == ("SCT", "39607008", "Lung structure")
    assert found[1]["measurements"]["Diameter"] == (8.0, "mm")
    assert found[1]["evaluations"] == {"Lung-RADS category": "4B"}


def test_report_without_probability_takes_when_absent_and_unknown_codes_are_named(tmp_path: Path) -> None:
    smap = load_map(_map(tmp_path, MAP))
    issues: list = []
    # a service that measured a nodule but gave it no probability: the mapping's when_absent
    path = measurement_report([("2", None, "1", "LR2")], tmp_path / "e.dcm")
    row, found = read_mapped("e.dcm", open_sr(path), smap, issues)
    assert issues == [] and row["probability"] == 0.0 and row["category"] == "CT-1"
    assert found[0]["measurements"] == {"Diameter": (7.0, "mm")}
    bad = measurement_report([("3", 1.4, "1", "LR3")], tmp_path / "bad.dcm")
    with pytest.raises(InputFileError) as exc:
        read_sr_results(bad, smap)
    text = str(exc.value)
    assert ("file bad.dcm, item Imaging Measurements > Measurement Group 1 > Probability of cancer, "
            "field probability: value 1.4: must be a number from 0 to 1") in text
    assert "the code 99ACME:LR3 (3) is not among the mapping's category values [rule: sr_category]" in text


def test_basic_text_sr_reads_numbers_from_text(tmp_path: Path) -> None:
    path = basic_text_sr(tmp_path / "t.dcm")
    frame = read_sr_results(path, load_map(_map(tmp_path, TEXT_MAP)))
    assert frame.to_dict("records") == [{
        "study_uid": "2.25.777", "service_version": "ACME Chest 5.0",
        "sent_at": pd.Timestamp("2026-03-02T10:15:00Z"), "received_at": pd.Timestamp("2026-03-02T10:17:30Z"),
        "probability": 0.875, "category": "Lung-RADS 4A"}]
    with pytest.raises(InputFileError, match=r"Findings > Malignancy, field probability: value None: no number in "
                                             r"the text \[rule: sr_probability\]"):
        read_sr_results(basic_text_sr(tmp_path / "n.dcm", "not assessed"), load_map(_map(tmp_path, TEXT_MAP)))


def test_without_a_mapping_a_vendor_sr_is_refused_with_the_way_out(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"field title: value '18748-4 \(LN\) Diagnostic imaging report'.*"
                                             r"read with a concept mapping \(--map\)"):
        read_sr_results(basic_text_sr(tmp_path / "t.dcm"))


@pytest.mark.parametrize(("text", "message"), [
    ("probability: {concept: 111047}", "field probability.concept: value 111047: expected a concept as SCHEME:CODE"),
    ("probability: {concept: 'DCM:1', scal: 2}", "field probability.scal: value None: unknown key"),
    ("sent: study", "field sent: value None: unknown key"),
    ("sent_at: study", "the mapping names neither the probability nor the category"),
    ("probability: {concept: 'DCM:1', scale: high}", "field probability.scale: value 'high': expected a number"),
])
def test_bad_mappings_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_map(_map(tmp_path, text))


def test_cli_imports_a_folder_of_vendor_srs(tmp_path: Path) -> None:
    folder = tmp_path / "sr"
    folder.mkdir()
    measurement_report([("4A", 0.66, "1", "LR4A")], folder / "1.dcm")
    no_time = _map(tmp_path, MAP.replace("sent_at: study\n", ""))
    result = CliRunner().invoke(app, ["ai", "sr", "import", str(folder), "--map", str(no_time), "--out",
                                      str(tmp_path / "rows.csv"), "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "Результатов: 1" in result.output and "В 1 отчётах не указано время отправки" in result.output
    rows = pd.read_csv(tmp_path / "rows.csv", dtype=str, keep_default_na=False)
    assert rows.to_dict("records") == [{"study_uid": STUDY, "service_version": "3.2.1", "sent_at": "",
                                        "received_at": "2026-03-02T09:19:00+00:00", "probability": "0.66",
                                        "category": "CT-2"}]
    result = CliRunner().invoke(app, ["ai", "sr", "import", str(folder), "--map", str(_map(tmp_path, MAP)), "--out",
                                      str(tmp_path / "rows.parquet"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["without_sent_at"] == 0
    result = CliRunner().invoke(app, ["ai", "sr", "import", str(folder), "--out", str(tmp_path / "no.csv")])
    assert result.exit_code == 1 and result.output.startswith("error: file 1.dcm, document title")
    assert not (tmp_path / "no.csv").exists()
    assert pydicom.dcmread(folder / "1.dcm").SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"
