"""Audit the reads of thyroid derived facts: a `read` event per patient shown, one event for an aggregate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from oncobank.diseases.thyroid.entries import CHUNK
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Patient


def record_patient_reads(store: ClinicalStore, user: str, registry_ids: Iterable[str], what: str,
                         **details: Any) -> int:
    """One `read` event per patient whose facts are shown (details: `what` and `details`, never values);
    returns how many were written. All in one transaction."""
    ids = sorted(set(registry_ids))
    uid = store.known_user(user)
    with store.session() as s:
        pids: list[int] = []
        for start in range(0, len(ids), CHUNK):
            pids.extend(s.scalars(select(Patient.id).where(Patient.registry_id.in_(ids[start : start + CHUNK]))))
        audit.record_many(s, [{"user_id": uid, "action": "read", "patient_id": pid, "entry_id": None,
                               "details": {"what": what, **details}} for pid in sorted(pids)])
    return len(pids)


def record_patient_read(store: ClinicalStore, user: str, patient_id: int, what: str, **details: Any) -> None:
    """`record_patient_reads` for one patient whose id the caller has already (a patient's page)."""
    uid = store.known_user(user)
    with store.session() as s:
        audit.record_many(s, [{"user_id": uid, "action": "read", "patient_id": patient_id, "entry_id": None,
                               "details": {"what": what, **details}}])


def record_aggregate_read(store: ClinicalStore, user: str, what: str, patients: int, **details: Any) -> None:
    """One `read` event with no patient, for counts over `patients` patients in which no patient is shown."""
    uid = store.known_user(user)
    with store.session() as s:
        audit.record(s, "read", uid, None, what=what, patients=patients, **details)
