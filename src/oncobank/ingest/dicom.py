"""Reader for DICOM files: the header of each file (pixel data never read) as one row of keyword fields."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import SourceRow

# A file read without its 128-byte preamble and "DICM" (old ACR-NEMA exports, some archives' own files) must hold
# one of these to count as DICOM: a forced read of any other file gives a few random "elements" instead.
_IDENTIFYING = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPClassUID")
_OLD_DATE = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")  # ACR-NEMA's 1997.04.24, read as DICOM's 19970424
WARNINGS_KEY = "dicom_warnings"  # what pydicom warned about while reading the file, one line each


def dicom_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    """One row per file: top-level data elements by keyword (PatientID, StudyDate, Modality, …) as text.

    A file without the DICM preamble is read as the data set it is; pydicom's warnings about a file are kept in
    the row (`dicom_warnings`), not printed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds, problem = _read(path)
        if ds is None:
            yield SourceRow(name, "file", {}, problem)
            return
        fields: dict[str, str] = {}
        try:
            for element in ds:
                if not element.keyword or element.VR in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN"):
                    continue
                fields[element.keyword] = _text(element)
        except Exception as exc:  # a damaged element raises while it is decoded
            yield SourceRow(name, "file", fields, f"DICOM header cannot be decoded: {exc.__class__.__name__}")
            return
    said = list(dict.fromkeys(" ".join(str(w.message).split())[:200] for w in caught))
    if problem:
        said.insert(0, problem)
    if said:
        fields[WARNINGS_KEY] = "; ".join(said)
    yield SourceRow(name, "file", fields)


def _read(path: Path) -> tuple[Any, str | None]:
    """The data set, and a note when it was read without its preamble; or None and why it cannot be read."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True), None
    except InvalidDicomError:
        pass
    except (OSError, ValueError, EOFError) as exc:
        return None, f"not a readable DICOM file: {exc.__class__.__name__}"
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        found = any(isinstance(ds.get(k), str) and ds.get(k) for k in _IDENTIFYING)
    except Exception as exc:  # a forced read of a file that is not DICOM fails in many ways
        return None, f"not a readable DICOM file: {exc.__class__.__name__}"
    if not found:
        return None, "not a readable DICOM file: no DICM preamble and no DICOM identifiers"
    return ds, "read without the DICM preamble"


def _text(element: Any) -> str:
    values = list(element.value) if element.VM > 1 else [element.value]
    out = [str(v) for v in values]
    if element.VR == "DA":
        out = [_OLD_DATE.sub(r"\1\2\3", v) for v in out]
    return "\\".join(out)
