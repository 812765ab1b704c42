"""PDF attachments: sniffed type, size limit, content hash, files outside the database, audited reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from oncobank.dictionary.validate import EntryRejected
from oncobank.store.attachments import attach, blob_path, read_attachment
from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import RuleViolation


def test_pdf_is_stored_by_hash_and_listed_on_the_card(
    store: ClinicalStore, patient: str, make_pdf: Callable[[str], bytes]
) -> None:
    data = make_pdf("Discharge summary")
    ref = attach(store, patient, data, filename="discharge.pdf", user="dr_ivanova",
                 document_type="discharge_summary", entry_date="2020-03-01", description="after thyroidectomy")
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    path = blob_path(store.attachments, ref.sha256)
    assert path.read_bytes() == data
    card = read_card(store, patient, user="dr_ivanova")
    (doc,) = card.section("documents")
    assert doc.current.values["attachment_sha256"] == ref.sha256
    assert doc.current.values["document_type"] == "discharge_summary"
    (listed,) = card.attachments
    assert (listed.media_type, listed.size, listed.original_name) == ("application/pdf", len(data), "discharge.pdf")
    assert read_attachment(store, ref.attachment_id, user="dr_petrov") == data


def test_type_comes_from_the_bytes_not_the_name(store: ClinicalStore, patient: str) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with pytest.raises(RuleViolation, match=r"scan\.pdf: content is image/png"):
        attach(store, patient, png, filename="scan.pdf", user="dr_ivanova", document_type="other",
               entry_date="2020-03-01")


def test_size_limit_empty_and_truncated_files(
    store: ClinicalStore, patient: str, make_pdf: Callable[[str], bytes]
) -> None:
    data = make_pdf("x")
    with pytest.raises(RuleViolation, match="over the limit of 100 bytes"):
        attach(store, patient, data, filename="a.pdf", user="dr_ivanova", document_type="other",
               entry_date="2020-03-01", max_bytes=100)
    with pytest.raises(RuleViolation, match="empty"):
        attach(store, patient, b"", filename="b.pdf", user="dr_ivanova", document_type="other",
               entry_date="2020-03-01")
    with pytest.raises(RuleViolation, match="truncated"):
        attach(store, patient, data[: len(data) // 2], filename="c.pdf", user="dr_ivanova",
               document_type="other", entry_date="2020-03-01")


def test_a_tampered_file_is_detected(
    store: ClinicalStore, patient: str, make_pdf: Callable[[str], bytes]
) -> None:
    ref = attach(store, patient, make_pdf("Report"), filename="r.pdf", user="dr_ivanova", document_type="other",
                 entry_date="2020-03-01")
    path = blob_path(store.attachments, ref.sha256)
    path.write_bytes(path.read_bytes() + b"%changed")
    with pytest.raises(RuleViolation, match="no longer matches its hash"):
        read_attachment(store, ref.attachment_id, user="dr_ivanova")


def _pdf_with(make_pdf: Callable[[str], bytes], extra: bytes) -> bytes:
    """A valid fpdf2 PDF with `extra` spliced in just before its cross-reference table."""
    data = make_pdf("Report")
    at = data.rindex(b"xref")
    return data[:at] + extra + data[at:]


def _active_pdf(kind: str) -> bytes:
    """A one-page PDF (pypdf) that opens with JavaScript, launches a program, or carries an embedded file."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if kind == "embedded":
        writer.add_attachment("payload.bin", b"\x7fELF....")
    else:
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject("app.alert('hello');")} if kind == "javascript"
                                  else {NameObject("/S"): NameObject("/Launch"),
                                        NameObject("/F"): TextStringObject("calc.exe")})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["html_polyglot", "elf_inside", "eleven_bytes", "javascript", "embedded", "launch"])
def test_what_only_looks_like_a_pdf_is_refused_and_leaves_no_file(
    store: ClinicalStore, patient: str, make_pdf: Callable[[str], bytes], kind: str
) -> None:
    data = {
        "html_polyglot": lambda: b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n",
        "elf_inside": lambda: _pdf_with(make_pdf, b"\x7fELF\x02\x01\x01" + b"\0" * 64 + b"\n"),
        "eleven_bytes": lambda: b"%PDF-\n%%EOF",
        "javascript": lambda: _active_pdf("javascript"),
        "embedded": lambda: _active_pdf("embedded"),
        "launch": lambda: _active_pdf("launch"),
    }[kind]()
    with pytest.raises(RuleViolation, match=r"refused: .*\[rule: plain_pdf\]"):
        attach(store, patient, data, filename="x.pdf", user="dr_ivanova", document_type="other",
               entry_date="2020-03-01")
    assert not store.attachments.exists() or not any(p.is_file() for p in store.attachments.rglob("*"))


def test_a_refused_entry_leaves_no_orphan_file(store: ClinicalStore, patient: str,
                                               make_pdf: Callable[[str], bytes]) -> None:
    with pytest.raises(EntryRejected):
        attach(store, patient, make_pdf("Report"), filename="r.pdf", user="dr_ivanova", document_type="nosuch",
               entry_date="2020-03-01")
    assert not any(p.is_file() for p in store.attachments.rglob("*"))


def test_pipes_devices_and_big_files_are_refused_before_reading(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    import os

    from oncobank.store.attachments import read_document_file

    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(RuleViolation, match="not a regular file"):
        read_document_file(fifo)  # would block forever if it were opened
    zero = tmp_path / "zero.pdf"
    zero.symlink_to("/dev/zero")
    with pytest.raises(RuleViolation, match="not a regular file"):
        read_document_file(zero)  # would never end if it were read
    big = tmp_path / "big.pdf"
    big.write_bytes(make_pdf("x"))
    with pytest.raises(RuleViolation, match="over the limit of 10 bytes"):
        read_document_file(big, max_bytes=10)
    assert read_document_file(big) == big.read_bytes()


def test_control_characters_in_names_are_escaped(store: ClinicalStore, patient: str,
                                                 make_pdf: Callable[[str], bytes]) -> None:
    ref = attach(store, patient, make_pdf("Report"), filename="scan\x1b[2J\x1b]0;x\x07.pdf", user="dr_ivanova",
                 document_type="other", entry_date="2020-03-01")
    (listed,) = read_card(store, patient, user="dr_ivanova").attachments
    assert listed.original_name == "scan\\x1b[2J\\x1b]0;x\\x07.pdf"
    assert read_attachment(store, ref.attachment_id, user="dr_ivanova")[:5] == b"%PDF-"
