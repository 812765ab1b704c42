"""The files a mapping's source names, and the streaming reader of each export format (rows of text fields)."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path

from oncobank.ingest.hl7v2 import hl7_rows
from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import AdapterError, SourceRow
from oncobank.ingest.tables import csv_rows, xlsx_rows


def source_files(source: Source, root: Path) -> list[Path]:
    """The files a source names, globs expanded, in a stable order; a pattern matching nothing is an error."""
    found: list[Path] = []
    for pattern in source.files:
        matches = sorted(Path(p) for p in glob.glob(str(root / pattern)))
        if not matches:
            raise AdapterError(f"source {source.name}: no file matches {pattern!r}")
        found.extend(matches)
    return found


PER_PATIENT_FORMATS = frozenset({"hl7"})  # formats whose rows repeat their message's patient segments


def read_rows(source: Source, path: Path, root: Path, *, per_patient: bool = False) -> Iterator[SourceRow]:
    """Rows of one file in the source's format, read as a stream.

    With `per_patient`, a format of PER_PATIENT_FORMATS gives one row per message holding only its patient
    and order segments (MSH, PID, PV1, ORC, OBR), for readers that want to know who, not what: every OBX row
    of a message would repeat them.
    """
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if source.format in ("json", "fhir"):
        from oncobank.ingest import structured

        yield from (structured.json_rows if source.format == "json" else structured.fhir_rows)(source, path, name)
        return
    if source.format == "dicom":
        from oncobank.ingest.dicom import dicom_rows

        yield from dicom_rows(source, path, name)
        return
    if source.format == "documents":
        from oncobank.ingest.documents import document_rows

        yield from document_rows(source, path, name)
        return
    if source.format == "hl7":
        yield from hl7_rows(source, path, name, per_patient)
        return
    yield from (csv_rows if source.format == "csv" else xlsx_rows)(source, path, name)
