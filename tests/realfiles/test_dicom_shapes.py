"""DICOM files as archives hold them: nested folders, files without the DICM preamble, old dates, pydicom's warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from oncobank.ingest.adapters import read_rows, source_files
from oncobank.ingest.mapping import Source

PACS = Source(name="pacs", system="PACS", format="dicom", files=["exports/pacs/**/*.dcm"], patient_id="PatientID")
RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"


def _dataset(patient: str, **header: str) -> Dataset:
    ds = Dataset()
    ds.PatientID = patient
    ds.SOPClassUID = RT_DOSE
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    for key, value in header.items():
        setattr(ds, key, value)
    return ds


def _with_preamble(path: Path, ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def test_double_star_reaches_every_depth(tmp_path: Path) -> None:
    # an archive's layout: patient / study / series / instance, plus a file at the top
    for relative in ("x.dcm", "P1/x.dcm", "P1/S1/x.dcm", "P2/S7/SE3/x.dcm"):
        _with_preamble(tmp_path / "exports/pacs" / relative, _dataset("P"))
    found = [p.relative_to(tmp_path / "exports/pacs").as_posix() for p in source_files(PACS, tmp_path)]
    assert sorted(found) == ["P1/S1/x.dcm", "P1/x.dcm", "P2/S7/SE3/x.dcm", "x.dcm"]


def test_a_file_without_the_preamble_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom says the old date is not a valid DA while it is set
        ds = _dataset("OLD1", Modality="RTDOSE", StudyDate="1997.04.24")
    dcmwrite(path, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert path.read_bytes()[128:132] != b"DICM"
    try:
        pydicom.dcmread(path)
        raise AssertionError("pydicom read the file without force")
    except pydicom.errors.InvalidDicomError:
        pass
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        [row] = read_rows(PACS, path, tmp_path)
    assert leaked == []
    assert row.problem is None
    assert (row.fields["PatientID"], row.fields["Modality"], row.fields["StudyDate"]) == ("OLD1", "RTDOSE", "19970424")
    assert row.fields["dicom_warnings"] == "read without the DICM preamble"


def test_pydicom_warnings_go_into_the_row_not_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "a.dcm"
    _with_preamble(path, _dataset("W1", Modality="CT", SeriesNumber="77"))
    raw = path.read_bytes()
    element = b"\x20\x00\x11\x00IS\x02\x00"  # (0020,0011) Series Number, VR IS, 2 bytes, explicit little endian
    assert raw.count(element + b"77") == 1
    path.write_bytes(raw.replace(element + b"77", element + b"7x"))  # an integer string that is not one
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        [row] = read_rows(PACS, path, tmp_path)
    assert leaked == []
    assert row.problem is None and row.fields["SeriesNumber"] == "7x"
    assert row.fields["dicom_warnings"].startswith("Invalid value for VR IS: '7x'.")


def test_other_files_are_still_refused(tmp_path: Path) -> None:
    for name, data in (("text.dcm", b"PatientID,StudyDate\nP1,20200101\n"), ("zeros.dcm", bytes(300))):
        (tmp_path / name).write_bytes(data)
        [row] = read_rows(PACS, tmp_path / name, tmp_path)
        assert row.problem is not None and row.problem.startswith("not a readable DICOM file"), name
