"""Reader for report texts and PDFs listed in an index CSV: each document becomes a row with its extracted text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from oncobank.ingest.limits import storable
from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import SourceRow
from oncobank.ingest.tables import csv_rows
from oncobank.nlp import ocr
from oncobank.store.attachments import MAX_BYTES

MAX_TEXT = 200_000  # characters kept of one document's text


def extract_text(data: bytes) -> str:
    """Text of a PDF (its text layer, page by page; read by OCR when it has none), of a scanned image (OCR) or of
    a UTF-8 text file; ValueError when none of these."""
    if data.startswith(b"%PDF-"):
        import io

        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(io.BytesIO(data))
            text = "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
            raise ValueError(f"PDF cannot be read: {exc.__class__.__name__}") from None
        return text if text.strip() else ocr.pdf_text(data)  # a scan saved as PDF: pages of images only
    if ocr.image_type(data) is not None:
        return ocr.image_text(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("neither a PDF nor UTF-8 text") from None


def document_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    """Rows of the index with `document_text`, `document_sha256` and `document_media_type` added."""
    column = source.document or "file"
    folder = path.parent
    for row in csv_rows(source, path, name):
        if row.problem:
            yield row
            continue
        target = row.fields.get(column, "").strip()
        fields = dict(row.fields)
        doc = (folder / target).resolve() if target else None
        if doc is None or not doc.is_relative_to(folder.resolve()) or not doc.is_file():
            yield SourceRow(name, row.location, fields, f"document {target!r} named in column {column!r} is missing")
            continue
        if doc.stat().st_size > MAX_BYTES:  # checked before reading: the whole file is read into memory
            yield SourceRow(name, row.location, fields,
                            f"document {target!r} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
            continue
        data = doc.read_bytes()
        try:
            text = extract_text(data)
        except ValueError as exc:
            yield SourceRow(name, row.location, fields, f"document {target!r}: {exc}")
            continue
        fields["document_text"] = storable(text[:MAX_TEXT])  # a text layer may hold NULs
        fields["document_sha256"] = hashlib.sha256(data).hexdigest()
        fields["document_media_type"] = ("application/pdf" if data.startswith(b"%PDF-")
                                         else ocr.image_type(data) or "text/plain")
        yield SourceRow(name, row.location, fields)
