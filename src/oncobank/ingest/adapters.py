"""The files a mapping's source names, and the streaming reader of each export format (rows of text fields)."""

from __future__ import annotations

import codecs
import glob
from collections.abc import Iterator
from pathlib import Path

from oncobank.ingest import limits
from oncobank.ingest.hl7v2 import hl7_rows
from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import AdapterError, SourceRow
from oncobank.ingest.tables import csv_rows, xlsx_rows


def source_files(source: Source, root: Path) -> list[Path]:
    """The files a source names, globs expanded (`**` any number of folders deep), in a stable order; a pattern
    matching nothing is an error.

    Every file must be a regular file inside `root` once symbolic links are resolved: a mapping cannot make the
    ingest read (and quarantine the lines of) a file elsewhere.
    """
    inside = root.resolve()
    found: list[Path] = []
    for pattern in source.files:
        matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))  # `**` reaches any depth
        if not matches:
            raise AdapterError(f"source {source.name}: no file matches {pattern!r}")
        for match in matches:
            path = root / match
            if not path.resolve().is_relative_to(inside):
                raise AdapterError(f"source {source.name}: {match} leads outside the source folder")
            if not path.is_file():
                raise AdapterError(f"source {source.name}: {match} is not a regular file")
            if len(source.name) + 1 + len(path.relative_to(root).as_posix()) > limits.FILE:
                raise AdapterError(f"source {source.name}: the path of {match[:60]}… is longer than the store keeps")
            found.append(path)
    return found


PER_PATIENT_FORMATS = frozenset({"hl7"})  # formats whose rows repeat their message's patient segments


def read_rows(source: Source, path: Path, root: Path, *, per_patient: bool = False) -> Iterator[SourceRow]:
    """Rows of one file in the source's format, read as a stream.

    With `per_patient`, a format of PER_PATIENT_FORMATS gives one row per message holding only its patient
    and order segments (MSH, PID, PV1, ORC, OBR), for readers that want to know who, not what: every OBX row
    of a message would repeat them.
    """
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if source.format in TEXT_FORMATS:
        _check_text(path, name, source.encoding)
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


TEXT_FORMATS = frozenset({"csv", "hl7", "json", "fhir", "documents"})  # read as text in the source's `encoding`
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8"))
SNIFF = 4096  # bytes read from the start of a text file to see whether it is in the declared encoding


def _check_text(path: Path, name: str, encoding: str) -> None:
    """Stop on a file that is plainly not in the declared encoding (UTF-16 declared as cp1251, say).

    Read that way every row would be garbage and be quarantined; a byte-order mark of another encoding, or NUL
    bytes in a tenth of the first bytes (UTF-16 text has one in every other byte), says so before any row is read.
    """
    declared = codecs.lookup(encoding).name
    if declared.startswith(("utf-16", "utf-32")):
        return
    with path.open("rb") as handle:
        head = handle.read(SNIFF)
    bom = next((kind for mark, kind in _BOMS if head.startswith(mark)), None)
    if bom is not None and not declared.startswith(bom):
        raise AdapterError(f"{name}: starts with a {bom.upper()} byte-order mark, but the mapping declares "
                           f"encoding {encoding}: set `encoding: {bom}` for this source")
    if head and head.count(0) * 10 >= len(head):
        raise AdapterError(f"{name}: NUL bytes in {head.count(0)} of its first {len(head)} bytes: this is not "
                           f"{encoding} text (UTF-16?); set the source's `encoding`")
