"""Tables of data queries: a question on one field of an entry, and the thread of its steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oncobank.store.models import Base, Id, utcnow


class DataQuery(Base):
    """A question on one field of an entry: open, answered (by the clinician) or closed (by the opener's side)."""

    __tablename__ = "data_query"
    __table_args__ = (Index("ix_data_query_status_patient", "status", "patient_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | answered | closed
    opened_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QueryMessage(Base):
    """One step of a query's thread: who, when, what she did (open, answer, close, reopen) and what she wrote."""

    __tablename__ = "data_query_message"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    text: Mapped[str | None] = mapped_column(Text)
    suggested: Mapped[str | None] = mapped_column(Text)  # the value the opener suggests (open only)
