"""A PACS export in a run: modalities outside the dictionary mapped or kept as "other"; pydicom's warnings."""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from sqlalchemy import select
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.store.clinical import ClinicalStore
from oncobank.store.load import quarantined
from oncobank.store.models import Entry, EntryVersion

from .small_hospital import SMALL_MAPPING

PACS = """  - name: pacs
    system: PACS
    format: dicom
    files: [pacs/**/*.dcm]
    date_formats: ["%Y%m%d"]
    patient_id: PatientID
    links: {EMR: PatientID}
    section: imaging
    record: [StudyInstanceUID]
    date: StudyDate
    fields: {Modality: modality}
    values: {modality: {CR: XR, DX: XR}}
    ignore: [SOPClassUID, SOPInstanceUID, SeriesInstanceUID, dicom_warnings]
"""


def _file(path: Path, patient: str, modality: str, date: str, series: str = "77") -> None:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.Modality = patient, modality
    ds.StudyDate, ds.SeriesNumber = date, "77"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    element = b"\x20\x00\x11\x00IS\x02\x00"  # (0020,0011) Series Number, IS, 2 bytes: as an archive holds it
    path.write_bytes(path.read_bytes().replace(element + b"77", element + series.encode()))


def test_modalities_are_mapped_or_kept_as_other_and_warnings_reach_the_report(store: ClinicalStore,
                                                                              small_hospital: Path) -> None:
    pacs = small_hospital / "pacs"
    _file(pacs / "E1/ct.dcm", "E1", "CT", "20190301")
    _file(pacs / "E1/cr.dcm", "E1", "CR", "20190302")
    _file(pacs / "E2/dose1.dcm", "E2", "RTDOSE", "20190303")
    _file(pacs / "E3/dose2.dcm", "E3", "RTDOSE", "20190304")
    _file(pacs / "E3/seg.dcm", "E3", "SEG", "20190305", series="7x")  # not an integer string: pydicom warns
    mapping = small_hospital / "mapping.yaml"
    mapping.write_text(SMALL_MAPPING + PACS, encoding="utf-8")
    report = run_ingest(store, small_hospital, load_mapping(mapping, store.dictionary),
                        mapping.read_text(encoding="utf-8"))
    # RTDOSE and SEG have no code among the imaging modalities: kept under "other" with the text the archive wrote
    assert report.balanced and report.quarantined == 0 and quarantined(store) == []
    assert report.others["pacs"] == {"modality=RTDOSE": 2, "modality=SEG": 1}  # one line per value, not three
    assert not any(k.startswith("modality=") for k in report.unmapped.get("pacs", {}))
    with store.session() as s:
        stored = s.execute(
            select(EntryVersion.entry_date, EntryVersion.values)
            .join(Entry, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(Entry.section == "imaging")
        ).all()
    kept = sorted((when.isoformat(), v["modality"], v.get("modality_other")) for when, v in stored)
    assert kept == [("2019-03-01", "CT", None), ("2019-03-02", "XR", None), ("2019-03-03", "other", "RTDOSE"),
                    ("2019-03-04", "other", "RTDOSE"), ("2019-03-05", "other", "SEG")]
    (said, files), = report.warnings["pacs"].items()
    assert files == 1 and said.startswith("Invalid value for VR IS: '…'.")  # the value it quoted is not repeated
    # the command prints the groups under its counts (a fresh embedded store, as a data manager starts)
    db = f"sqlite:///{small_hospital.parent / 'cli.sqlite'}"
    result = CliRunner().invoke(app, ["ingest", str(small_hospital), "--mapping", str(mapping), "--db", db])
    assert result.exit_code == 0, result.output
    assert 'pacs: kept as "other" with its text (2 rows): modality=RTDOSE' in result.output
    assert "pacs: reader's warning (1 files):" in result.output


def test_a_field_keeps_other_values_only_where_the_dictionary_says_so(store: ClinicalStore,
                                                                      small_hospital: Path) -> None:
    # the same export, but into a field without `other:`: a value outside its domain is still refused, grouped
    pacs = small_hospital / "pacs"
    _file(pacs / "E2/dose1.dcm", "E2", "RTDOSE", "20190303")
    mapping = small_hospital / "mapping.yaml"
    mapping.write_text(SMALL_MAPPING + PACS.replace("{Modality: modality}", "{Modality: lesions_present}"),
                       encoding="utf-8")
    report = run_ingest(store, small_hospital, load_mapping(mapping, store.dictionary),
                        mapping.read_text(encoding="utf-8"))
    assert report.balanced and report.quarantined == 1 and "pacs" not in report.others
    assert report.unmapped["pacs"]["lesions_present=RTDOSE"] == 1
