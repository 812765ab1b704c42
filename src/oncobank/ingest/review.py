"""The linkage review list: read it, and record a person's decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from oncobank.ingest.models import LinkDecision
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Patient, PatientIdentifier, utcnow


class ReviewError(ValueError):
    """A decision that cannot be taken (unknown pair, already decided, unknown patient)."""


def pending(store: ClinicalStore) -> list[dict[str, Any]]:
    """Pairs waiting for review, best candidate first; source IDs are not shown, only decision numbers."""
    with store.session() as s:
        rows = s.scalars(select(LinkDecision).where(LinkDecision.status == "review").order_by(LinkDecision.id)).all()
        ids = {c["patient_id"] for r in rows for c in r.candidates}
        names = dict(s.execute(select(Patient.id, Patient.registry_id).where(Patient.id.in_(ids))).all())
        return [
            {"decision": r.id, "system": r.system, "probability": r.probability or 0.0,
             "candidates": [{"registry_id": names.get(c["patient_id"]), "probability": c["probability"]}
                            for c in r.candidates]}
            for r in rows
        ]


def decide_pair(store: ClinicalStore, decision: int, registry_id: str | None, *, user: str) -> None:
    """Link the pair's source ID to `registry_id`, or reject every candidate when it is None."""
    with store.session() as s:
        row = s.get(LinkDecision, decision)
        if row is None or row.status != "review":
            raise ReviewError(f"decision {decision} is not on the review list")
        pid = None
        if registry_id is not None:
            pid = s.scalar(select(Patient.id).where(Patient.registry_id == registry_id))
            if pid is None:
                raise ReviewError(f"no patient {registry_id}")
            s.add(PatientIdentifier(patient_id=pid, system=row.system, value=row.source_id))
        s.execute(update(LinkDecision).where(LinkDecision.id == decision).values(
            status="linked" if pid else "rejected", patient_id=pid, method="manual", decided_by=user,
            decided_at=utcnow()))
