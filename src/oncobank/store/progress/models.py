"""The table of each patient's completeness status as last computed, which the patient list filters on."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncobank.store.models import Base


class PatientProgress(Base):
    """A patient's completeness (incomplete / unverified / complete), kept by every write of the clinical store;
    its registry ID and centre are copied here so that a filtered page of the list is one index range."""

    __tablename__ = "patient_progress"
    __table_args__ = (
        Index("ix_patient_progress_status_registry_id", "status", "registry_id"),
        Index("ix_patient_progress_centre_status", "centre_id", "status", "registry_id"),
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True, autoincrement=False)
    registry_id: Mapped[str] = mapped_column(String(32))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    status: Mapped[str] = mapped_column(String(16))


class ProgressMark(Base):
    """How far the statuses are known to follow the store: the newest patient, version and review they reflect
    (one row). Writers that bypass the clinical store (bulk loads) are caught up from here."""

    __tablename__ = "patient_progress_mark"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    patient_id: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(BigInteger)
    review_id: Mapped[int] = mapped_column(BigInteger)
