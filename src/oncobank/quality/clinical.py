"""Problem records for data managers: the analysis store's pseudonyms and entry keys turned back into registry and
entry IDs, through the publish secret kept with the clinical store, for the patients within the user's reach.

Nothing identifying goes the other way: the analysis store is only read, and the clinical store only maps keys.
One audit event (action `read`, counts only) records that problem records were identified.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from oncobank.deid.keys import Keys, publish_secret
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Entry, Patient


def identify(store: ClinicalStore, rows: list[dict[str, Any]], check: str) -> list[dict[str, Any]]:
    """`rows` (pseudonym, entry_key, ...) with `registry_id`, `entry_id` and the command that opens each record;
    rows of patients outside the acting user's reach (or unknown to the store) are left out."""
    keys = Keys(publish_secret(store.engine.url, create=False))
    actor = store.actor
    with store.session() as s:
        patients = s.execute(select(Patient.id, Patient.registry_id, Patient.centre_id)).all()
        known = {keys.pseudonym(p.registry_id): p for p in patients if actor is None or actor.reaches(p.centre_id)}
        wanted = {known[r["pseudonym"]].id for r in rows if r["pseudonym"] in known}
        entries = s.execute(select(Entry.id).where(Entry.patient_id.in_(wanted))).scalars().all() if wanted else []
        entry_ids = {keys.entry_key(e): e for e in entries}
        found = []
        for row in rows:
            patient = known.get(row["pseudonym"])
            if patient is None:
                continue
            entry = entry_ids.get(row.get("entry_key") or "")
            found.append({**row, "registry_id": patient.registry_id, "entry_id": entry,
                          "open": f"oncobank patient show {patient.registry_id}"})
        audit.record(s, "read", actor.id if actor else None, purpose="quality_issues", check=check,
                     patients=len({r["registry_id"] for r in found}), rows=len(found))
    return found
