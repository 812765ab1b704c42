"""Table of the structuring review: facts extracted from a document, proposed as one section's entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oncobank.store.models import Base, Id, Json, utcnow


class StructureProposal(Base):
    """Facts one document states for one section, waiting for a person (or the auto-accept threshold).

    `items` holds one element per field: value, character spans in the document's text, rule, confidence.
    Status: pending | accepting (being written) | accepted | corrected | rejected | superseded (a later run of
    the rules found other facts before anyone decided).
    """

    __tablename__ = "structure_proposal"
    __table_args__ = (
        UniqueConstraint(
            "document_entry_id", "section", "seq", name="uq_structure_proposal_document_entry_id_section_seq"
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    document_entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    section: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per document entry and section
    kind: Mapped[str] = mapped_column(String(32))  # report type the rules recognised
    items: Mapped[list[Any]] = mapped_column(Json)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the items: a re-run that finds the same adds nothing
    confidence: Mapped[float] = mapped_column(Float)  # the lowest of the items'
    status: Mapped[str] = mapped_column(String(16), index=True)
    corrections: Mapped[dict[str, Any]] = mapped_column(Json)  # field -> value a person set instead
    reason: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))  # the entry the accepted facts went to
    entry_version: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
