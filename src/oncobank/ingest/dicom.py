"""Reader for DICOM files: the header of each file (pixel data never read) as one row of keyword fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import SourceRow


def dicom_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    """One row per file: top-level data elements by keyword (PatientID, StudyDate, Modality, …) as text."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        yield SourceRow(name, "file", {}, f"not a readable DICOM file: {exc.__class__.__name__}")
        return
    fields: dict[str, str] = {}
    try:
        for element in ds:
            if not element.keyword or element.VR in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN"):
                continue
            value = element.value
            fields[element.keyword] = "\\".join(str(v) for v in value) if element.VM > 1 else str(value)
    except Exception as exc:  # a damaged element raises while it is decoded
        yield SourceRow(name, "file", fields, f"DICOM header cannot be decoded: {exc.__class__.__name__}")
        return
    yield SourceRow(name, "file", fields)
