"""Streaming readers that turn export files (CSV/TSV, XLSX, HL7 v2; others by module) into rows of text fields."""

from __future__ import annotations

import csv
import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from oncobank.ingest.mapping import Source

HL7_CHUNK = 1 << 16


class AdapterError(ValueError):
    """A file that cannot be read at all (missing, wrong encoding): names the file and where it broke."""


@dataclass(frozen=True)
class SourceRow:
    """One row as the source wrote it; `problem` is set when the row itself is malformed."""

    file: str
    location: str
    fields: dict[str, str]
    problem: str | None = field(default=None)


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
        yield from _hl7_rows(source, path, name, per_patient)
        return
    yield from (csv_rows if source.format == "csv" else _xlsx_rows)(source, path, name)


def csv_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    with path.open(encoding=source.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip().lstrip("\ufeff") for h in header]
            for values in reader:
                line = reader.line_num
                if not "".join(values).strip():
                    continue
                if len(values) != len(header):
                    yield SourceRow(
                        name,
                        f"line {line}",
                        dict(zip(header, values, strict=False)),
                        f"row has {len(values)} fields, the header has {len(header)}",
                    )
                    continue
                yield SourceRow(name, f"line {line}", dict(zip(header, values, strict=True)))
        except UnicodeDecodeError as exc:
            where = f"{name}: after line {line}"
            raise AdapterError(f"{where}: bytes are not valid {source.encoding}: {exc.reason}") from None
        except csv.Error as exc:
            raise AdapterError(f"{name}: line {line}: not valid CSV: {exc}") from None


def _xlsx_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    import openpyxl  # only when a workbook is read

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors for damaged files
        raise AdapterError(f"{name}: not a readable XLSX workbook: {exc.__class__.__name__}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(c).strip() for c in next(rows, ())]
        for number, cells in enumerate(rows, start=2):
            texts = [_cell_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            yield SourceRow(name, f"row {number}", dict(zip(header, texts, strict=False)))
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _hl7_rows(source: Source, path: Path, name: str, per_patient: bool = False) -> Iterator[SourceRow]:
    message: list[str] = []
    number = 0
    for segment in _segments(path, name, source.encoding):
        kind = segment[:3]
        if kind == "MSH" and message:
            number += 1
            yield from _hl7_message(message, name, number, per_patient)
            message = []
        if kind in ("FHS", "BHS", "BTS", "FTS") or (per_patient and kind not in _CONTEXT):
            continue
        message.append(segment)
    if message:
        yield from _hl7_message(message, name, number + 1, per_patient)


def _segments(path: Path, name: str, encoding: str) -> Iterator[str]:
    # HL7 ends segments with \r; files copied through other systems may carry \n or \r\n.
    rest = b""
    with path.open("rb") as handle:
        while chunk := handle.read(HL7_CHUNK):
            parts = (rest + chunk).replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
            rest = parts.pop()
            for part in parts:
                if part.strip():
                    yield _decode(part, name, encoding)
    if rest.strip():
        yield _decode(rest, name, encoding)


def _decode(raw: bytes, name: str, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise AdapterError(f"{name}: a segment is not valid {encoding}: {exc.reason}") from None


_CONTEXT = ("MSH", "PID", "OBR", "ORC", "PV1")  # segments whose fields every later OBX row of a message carries


def _hl7_message(segments: list[str], name: str, number: int, per_patient: bool = False) -> Iterator[SourceRow]:
    """One row per OBX, carrying the message's MSH, PID and the OBR it belongs to as `SEG-n.c` keys."""
    where = f"message {number}"
    if not segments[0].startswith("MSH") or len(segments[0]) < 8:
        yield SourceRow(name, where, {"segments": "\r".join(segments)[:2000]}, "message does not start with MSH")
        return
    separator = segments[0][3]
    components = segments[0][4] if len(segments[0]) > 4 else "^"
    repetition = segments[0][5] if len(segments[0]) > 5 else "~"
    context: dict[str, str] = {}
    count = 0
    for segment in segments:
        kind = segment[:3]
        parts = segment.split(separator)
        if kind == "MSH":
            parts = ["MSH", separator, *parts[1:]]  # MSH-1 is the separator itself
        fields = _flatten(kind, parts, components, repetition)
        if kind == "OBX":
            count += 1
            yield SourceRow(name, f"{where}, OBX {count}", {**context, **fields})
        elif kind in _CONTEXT:
            if kind == "OBR":
                context = {k: v for k, v in context.items() if not k.startswith("OBR-")}
            context.update(fields)
    if per_patient:
        yield SourceRow(name, where, context)
    elif count == 0:
        yield SourceRow(name, where, {k: v for k, v in context.items() if not k.startswith("PID-")},
                        "message carries no OBX result")


def _flatten(kind: str, parts: list[str], components: str, repetition: str) -> dict[str, str]:
    """`PID-5` → whole field, `PID-5.1` → its components; identifier lists as `PID-3:<authority>`."""
    out: dict[str, str] = {}
    for index in range(1, len(parts)):
        value = parts[index]
        key = _field_key(kind, index)
        out[key] = value
        first = value.split(repetition, 1)[0] if repetition in value else value
        if components in first:
            for c, part in enumerate(first.split(components), start=1):
                out[_component_key(key, c)] = part
        else:  # most fields have one component: skip the split (this loop runs for every field of every row)
            out[_component_key(key, 1)] = first
        if index == 3 and kind == "PID":
            for rep in value.split(repetition):
                bits = rep.split(components)
                if len(bits) >= 4 and bits[3]:
                    out[f"PID-3:{bits[3]}"] = bits[0]
    return out


@lru_cache(maxsize=4096)
def _field_key(kind: str, index: int) -> str:
    return f"{kind}-{index}"


@lru_cache(maxsize=16384)
def _component_key(key: str, component: int) -> str:
    return f"{key}.{component}"
