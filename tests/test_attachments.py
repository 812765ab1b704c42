"""PDF attachments: sniffed type, size limit, content hash, files outside the database, audited reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

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
