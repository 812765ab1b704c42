"""Tables of the ingest: batch log, source-record map with provenance, linkage decisions, data-quality issues."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oncobank.store.models import Base, Id, Json, LookupText, SecretJson, SecretText, utcnow


class IngestBatch(Base):
    """One run of `oncobank ingest`: what it read and how every row ended."""

    __tablename__ = "ingest_batch"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mapping: Mapped[str] = mapped_column(String(300))
    mapping_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed
    counts: Mapped[dict[str, Any]] = mapped_column(Json)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IngestFact(Base):
    """The entry that holds one fact (a lab order, a patient's demographics) whatever source brought it."""

    __tablename__ = "ingest_fact"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    fact_key: Mapped[str] = mapped_column(LookupText(300), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    admission_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_admission.id"), index=True)
    admission_match: Mapped[str | None] = mapped_column(String(8))  # id (the row names it) | date (within the stay)


class IngestAdmission(Base):
    """One hospital stay from an admissions export: the records of the stay are attached to it."""

    __tablename__ = "ingest_admission"
    __table_args__ = (UniqueConstraint("system", "admission_key", name="uq_ingest_admission_system_admission_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    system: Mapped[str] = mapped_column(String(32))
    admission_key: Mapped[str] = mapped_column(String(128))  # the admission record ID in the source system
    admitted: Mapped[date] = mapped_column(Date)
    discharged: Mapped[date | None] = mapped_column(Date)
    department: Mapped[str | None] = mapped_column(String(300))
    codes: Mapped[list[Any]] = mapped_column(Json)  # ICD-10 codes as the source wrote them
    content_hash: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))


class IngestDocument(Base):
    """A report text or PDF taken in by a documents source: its extracted text, keyed by the file's SHA-256."""

    __tablename__ = "ingest_document"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # = the documents entry's attachment_sha256
    media_type: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(SecretText)
    source: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(500))  # the index the document was listed in
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))


class IngestRecord(Base):
    """One source row already taken in: its content hash, the entry it went to, the fields it supplied."""

    __tablename__ = "ingest_record"
    __table_args__ = (UniqueConstraint("source", "record_key", name="uq_ingest_record_source_record_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(LookupText(300))  # may be a source's patient ID
    fact_key: Mapped[str] = mapped_column(LookupText(300), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict[str, Any]] = mapped_column(Json)  # field -> "used" | "duplicate" | "conflict"
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))


class LinkDecision(Base):
    """How a source system's patient ID was tied to a registry patient, or why it waits for review."""

    __tablename__ = "link_decision"
    __table_args__ = (
        UniqueConstraint("system", "source_id", name="uq_link_decision_system_source_id"),
        Index("ix_link_decision_status", "status"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    system: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(LookupText(128))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    probability: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))  # deterministic | probabilistic | manual
    status: Mapped[str] = mapped_column(String(16))  # linked | review | rejected
    candidates: Mapped[list[Any]] = mapped_column(Json)  # [{patient_id, probability}], best first
    decided_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DataIssue(Base):
    """A data-quality problem found while merging sources (conflicting values); never resolved silently."""

    __tablename__ = "data_issue"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    field: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32))  # conflict
    kept: Mapped[Any] = mapped_column(SecretJson)  # the stored value and where it came from
    offered: Mapped[Any] = mapped_column(SecretJson)  # the other source's value and where it came from
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
