"""Attached documents: type sniffed from the bytes, size-limited, content-addressed files outside the database."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Attachment
from oncobank.store.pdfcheck import NotAPlainPdf, check_pdf

MAX_BYTES = 25 * 1024 * 1024
ALLOWED_TYPES = ("application/pdf",)
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"{\\rtf", "application/rtf"),
    (b"\xd0\xcf\x11\xe0", "application/x-ole-storage"),
)


@dataclass(frozen=True)
class AttachmentRef:
    attachment_id: int
    entry_id: int
    sha256: str
    size: int


def sniff(data: bytes) -> str:
    """Media type from the file's leading bytes (never from its name)."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    return "application/octet-stream"


def attach(
    store: ClinicalStore,
    registry_id: str,
    data: bytes,
    *,
    filename: str,
    user: str,
    document_type: str,
    entry_date: date | str,
    description: str | None = None,
    facility: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> AttachmentRef:
    """Check and store a document, and record it as a `documents` entry of the patient."""
    name = safe_name(filename)
    media_type = check_document(data, f"patient {registry_id}, file {name}", max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    created = not blob_path(store.attachments, digest).exists()
    keep_blob(store.attachments, data)
    try:
        return _record(store, registry_id, data, digest, media_type, name, user=user, document_type=document_type,
                       entry_date=entry_date, description=description, facility=facility)
    except BaseException:
        if created:  # a refused attach leaves no file behind
            blob_path(store.attachments, digest).unlink(missing_ok=True)
        raise


def _record(store: ClinicalStore, registry_id: str, data: bytes, digest: str, media_type: str, name: str, *,
            user: str, document_type: str, entry_date: date | str, description: str | None,
            facility: str | None) -> AttachmentRef:
    ref = store.add_entry(
        registry_id,
        "documents",
        {"document_type": document_type, "description": description, "attachment_sha256": digest},
        user=user,
        entry_date=entry_date,
        facility=facility,
    )
    with store.session() as s:
        uid = store.user_id(s, user)
        pid = store.patient_id(s, registry_id)
        attachment_id = s.execute(
            insert(Attachment)
            .values(
                patient_id=pid,
                entry_id=ref.entry_id,
                sha256=digest,
                size=len(data),
                media_type=media_type,
                original_name=name,
                created_by=uid,
            )
            .returning(Attachment.id)
        ).scalar_one()
        audit.record(s, "attach", uid, pid, ref.entry_id, media_type=media_type, size=len(data))
    return AttachmentRef(attachment_id, ref.entry_id, digest, len(data))


def check_document(data: bytes, where: str, max_bytes: int = MAX_BYTES) -> str:
    """The media type of an acceptable document; RuleViolation naming `where` and the rule otherwise."""
    if len(data) == 0:
        raise RuleViolation(f"{where}: the file is empty")
    if len(data) > max_bytes:
        raise RuleViolation(f"{where}: {len(data)} bytes is over the limit of {max_bytes} bytes")
    media_type = sniff(data)
    if media_type not in ALLOWED_TYPES:
        raise RuleViolation(f"{where}: content is {media_type}, only {', '.join(ALLOWED_TYPES)} is accepted")
    if b"%%EOF" not in data[-2048:]:
        raise RuleViolation(f"{where}: the PDF is truncated (no end-of-file marker)")
    try:
        check_pdf(data)
    except NotAPlainPdf as exc:
        raise RuleViolation(f"{where}: refused: {exc} [rule: plain_pdf]") from None
    return media_type


def read_document_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A document file's bytes, refused before reading unless it is a regular file within the size limit.

    A FIFO would block and a link to a device would be read without end: both are refused by their type.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise RuleViolation(f"file {path.name}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise RuleViolation(f"file {path.name}: not a regular file (a pipe, device or folder) [rule: regular_file]")
    if info.st_size > max_bytes:
        raise RuleViolation(f"file {path.name}: {info.st_size} bytes is over the limit of {max_bytes} bytes")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # the file may grow after stat
    if len(data) > max_bytes:
        raise RuleViolation(f"file {path.name}: over the limit of {max_bytes} bytes")
    return data


def safe_name(filename: str) -> str:
    """The file's base name with control characters written as \\xNN, so that it prints as what it is."""
    name = Path(filename).name
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)[:255]


def keep_blob(root: Path, data: bytes) -> str:
    """Write the bytes under their SHA-256 (once: an existing file is the same content) and return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(root, digest)
    if not path.exists():
        write_atomically(path, data)
    return digest


def read_attachment(store: ClinicalStore, attachment_id: int, *, user: str) -> bytes:
    """The file's bytes, checked against its recorded hash; the read is audited."""
    with store.session() as s:
        uid = store.user_id(s, user)
        row = s.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(f"no attachment {attachment_id}")
        path = blob_path(store.attachments, row.sha256)
        if not path.exists():
            raise NotFound(f"attachment {attachment_id}: its file is missing from the attachment folder")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise RuleViolation(f"attachment {attachment_id}: the stored file no longer matches its hash")
        audit.record(s, "read_attachment", uid, row.patient_id, row.entry_id, attachment=attachment_id)
        return data


def attachments_of(store: ClinicalStore, registry_id: str) -> list[int]:
    with store.session() as s:
        pid = store.patient_id(s, registry_id)
        return list(s.scalars(select(Attachment.id).where(Attachment.patient_id == pid)))


def blob_path(root: Path, digest: str) -> Path:
    return root / digest[:2] / digest[2:4] / digest


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a 0600 temporary file beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # patients' documents: the owner only
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
