"""What data managers get from the clinical store: problem records with registry and entry IDs, and the counts of
the checks only it can answer (the ingest's open conflicts between sources), within the user's reach.

Problem records: the analysis store's pseudonyms and entry keys are turned back into registry and entry IDs through
the publish secret kept with the clinical store; one audit event (action `read`, counts only) records it. Conflict
counts read no patient values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select

from oncobank.deid.keys import Keys, publish_secret
from oncobank.deid.schema import table_name
from oncobank.ingest.models import DataIssue
from oncobank.quality.model import Check
from oncobank.quality.run import Result
from oncobank.store import audit
from oncobank.store.access import Actor, Permission
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Centre, Entry, EntryVersion, Patient


def identify(store: ClinicalStore, rows: list[dict[str, Any]], check: str,
             actor: Actor | None = None) -> list[dict[str, Any]]:
    """`rows` (pseudonym, entry_key, ...) with `registry_id`, `entry_id` and the command that opens each record;
    rows of patients outside the reach of `actor` (default the store's acting user), or unknown to the store, are
    left out. Refused (AccessDenied) unless the actor may read patients."""
    actor = actor or store.actor
    if actor is not None:
        actor.require(Permission.READ_PATIENTS, "identify problem records")
    keys = Keys(publish_secret(store.engine.url, create=False))
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


def conflict_results(store: ClinicalStore, checks: list[Check]) -> dict[str, Result]:
    """The `source_conflict` checks: active entries of the section with an open conflict on the field, of the
    section's active entries, per centre."""
    wanted = {(c.table, c.field): c for c in checks if c.type == "source_conflict"}
    actor = store.actor
    active = (select(Entry.id.label("entry"), Entry.section, Centre.code.label("centre"))
              .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
              .join(Patient, Patient.id == Entry.patient_id).join(Centre, Centre.id == Patient.centre_id)
              .where(EntryVersion.status == "active"))
    if actor is not None and not actor.whole_registry:
        active = active.where(Patient.centre_id == actor.centre_id)
    rows = active.subquery()
    results = {c.id: Result(c.id, query="clinical store") for c in wanted.values()}
    with store.session() as s:
        totals = s.execute(select(rows.c.section, rows.c.centre, func.count())
                           .group_by(rows.c.section, rows.c.centre)).all()
        issues = s.execute(select(rows.c.section, DataIssue.field, rows.c.centre, func.count(distinct(rows.c.entry)))
                           .join(DataIssue, DataIssue.entry_id == rows.c.entry).where(DataIssue.status == "open")
                           .group_by(rows.c.section, DataIssue.field, rows.c.centre)).all()
    found = {(table_name(store.dictionary, section), f, centre): n for section, f, centre, n in issues}
    for section, centre, n in totals:
        table = table_name(store.dictionary, section)
        for (t, f), check in wanted.items():
            if t == table:
                v = found.get((t, f, centre), 0)
                result = results[check.id]
                result.by_centre[centre] = [v, n]
                result.violated += v
                result.denominator += n
    return results
