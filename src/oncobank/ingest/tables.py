"""Read CSV/TSV and XLSX exports as streams of source rows (the header names the fields)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import AdapterError, SourceRow


def csv_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    with path.open(encoding=source.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip().lstrip("\ufeff") for h in header]
            check_header(source, header, name)
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


def check_header(source: Source, header: list[str], name: str) -> None:
    """Stop on a header without the patient ID column (a wrong delimiter, encoding or file): no row would map."""
    if source.patient_id not in header:
        hint = f" (delimiter {source.delimiter!r}, encoding {source.encoding})" if source.format != "xlsx" else ""
        raise AdapterError(f"{name}: the header has no column {source.patient_id!r} (the patient ID){hint}: "
                           "check the delimiter, the encoding and the file")


def xlsx_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    import openpyxl  # only when a workbook is read

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors for damaged files
        raise AdapterError(f"{name}: not a readable XLSX workbook: {exc.__class__.__name__}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(c).strip() for c in next(rows, ())]
        if not header:
            return
        check_header(source, header, name)
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
