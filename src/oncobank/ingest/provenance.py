"""Where each ingested value came from, and the conflicts between sources, read back for people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from oncobank.ingest.models import DataIssue, IngestBatch, IngestRecord
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Entry, EntryVersion, Patient

HIDDEN = "(identifying: shown only on the patient card)"


class ProvenanceError(LookupError):
    """No such patient."""


def provenance(store: ClinicalStore, registry_id: str, *, user: str) -> list[dict[str, Any]]:
    """Every source row behind the patient's ingested entries: source, file, row, batch and what became of each
    field (`used` for the stored value, `duplicate` when it agreed, `conflict` when it did not)."""
    uid = store.known_user(user)
    with store.session() as s:
        pid = s.scalar(select(Patient.id).where(Patient.registry_id == registry_id))
        if pid is None:
            raise ProvenanceError(f"no patient {registry_id}")
        query = (
            select(Entry.id, Entry.section, EntryVersion.entry_date, IngestRecord.source, IngestRecord.file,
                   IngestRecord.location, IngestRecord.fields, IngestRecord.batch_id, IngestBatch.started_at)
            .join(IngestRecord, IngestRecord.entry_id == Entry.id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .join(IngestBatch, IngestBatch.id == IngestRecord.batch_id)
            .where(Entry.patient_id == pid)
            .order_by(Entry.section, EntryVersion.entry_date, Entry.id, IngestRecord.source, IngestRecord.id)
        )
        rows = [
            {"entry": r.id, "section": r.section, "date": r.entry_date, "source": r.source, "file": r.file,
             "location": r.location, "batch": r.batch_id, "batch_started": r.started_at, "fields": r.fields}
            for r in s.execute(query)
        ]
        audit.record(s, "read", uid, pid, what="provenance")
    return rows


def conflicts(
    store: ClinicalStore, *, user: str, registry_id: str | None = None, status: str = "open"
) -> list[dict[str, Any]]:
    """Values two sources disagree on, as recorded by the ingest; identifying fields are not shown.

    The values are patient data: each patient shown gets a read event in the audit log.
    """
    uid = store.known_user(user)
    with store.session() as s:
        query = (
            select(DataIssue, Patient.registry_id, Entry.section)
            .join(Patient, Patient.id == DataIssue.patient_id)
            .join(Entry, Entry.id == DataIssue.entry_id)
            .where(DataIssue.status == status)
            .order_by(DataIssue.id)
        )
        if registry_id is not None:
            query = query.where(Patient.registry_id == registry_id)
        out = []
        shown: set[int] = set()
        for issue, rid, section in s.execute(query):
            shown.add(issue.patient_id)
            hide = store.dictionary.section(section).field(issue.field).identifying
            offered = issue.offered
            out.append({
                "id": issue.id, "registry_id": rid, "section": section, "field": issue.field, "rule": issue.rule,
                "kept": HIDDEN if hide else issue.kept.get("value"),
                "offered": HIDDEN if hide else offered.get("value"),
                "source": offered.get("source"), "file": offered.get("file"), "location": offered.get("location"),
                "batch": issue.batch_id,
            })
        audit.record_many(s, [{"user_id": uid, "action": "read", "patient_id": pid, "entry_id": None,
                               "details": {"what": "conflicts"}} for pid in sorted(shown)])
    return out
