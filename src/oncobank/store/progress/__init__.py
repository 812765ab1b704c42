"""Each patient's completeness status (incomplete / unverified / complete), kept in `patient_progress` so that the
patient list filters on an index instead of testing every patient's entries.

incomplete: a section every patient needs (one per patient, with a required field) has no active entry;
unverified: an active entry has no second opinion on its current version; complete otherwise.
The clinical store refreshes a patient in the transaction of each write (`refresh`); writers that bypass it (bulk
loads) and a store migrated with patients already in it are caught up on first use (`catch_up`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, false, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import Section
from oncobank.store.models import Entry, EntryVersion, Patient, Review
from oncobank.store.progress.models import PatientProgress, ProgressMark

INCOMPLETE, UNVERIFIED, COMPLETE = "incomplete", "unverified", "complete"
LOCK_SPACE = int.from_bytes(hashlib.sha256(b"oncobank progress").digest()[:4], "big", signed=True)  # advisory locks
EVERYONE = 0  # the second key of the advisory lock a catch-up holds over every patient (patient IDs start at 1)
STATUSES = (INCOMPLETE, UNVERIFIED, COMPLETE)


def expected(section: Section) -> bool:
    """Whether every patient should have an entry of `section`: a one-per-patient section with a required field."""
    return not section.repeating and any(f.required for f in section.fields)


def active_of(section: str) -> Any:
    """Entries of `section` whose current version is active (correlated to the outer patient row)."""
    return (
        select(Entry.id)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.current_version))
        .where(Entry.patient_id == Patient.id, Entry.section == section, EntryVersion.status == "active")
    )


def unreviewed(section: str | None = None) -> Any:
    """Active entries (of `section`, or any) with no second opinion on their current version."""
    query = (
        select(Entry.id)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.current_version))
        .where(
            Entry.patient_id == Patient.id,
            EntryVersion.status == "active",
            ~exists(
                select(Review.id).where(Review.entry_id == Entry.id, Review.entry_version == Entry.current_version)
            ),
        )
    )
    return query.where(Entry.section == section) if section else query


def incomplete(dictionary: Dictionary) -> ColumnElement[bool]:
    needed = [s.name for s in dictionary.sections.values() if expected(s)]
    return or_(*(~exists(active_of(name)) for name in needed)) if needed else false()


def compute(s: Session, dictionary: Dictionary, patient_ids: Collection[int]) -> dict[int, str]:
    """The patients' statuses from their entries, in two queries."""
    base = select(Patient.id).where(Patient.id.in_(sorted(patient_ids)))
    lacking = set(s.scalars(base.where(incomplete(dictionary))))
    waiting = set(s.scalars(base.where(exists(unreviewed()))))
    return {pid: INCOMPLETE if pid in lacking else UNVERIFIED if pid in waiting else COMPLETE for pid in patient_ids}


def refresh(s: Session, dictionary: Dictionary, patient_ids: Collection[int]) -> None:
    """Recompute the patients' statuses in the caller's transaction.

    The patients are locked first (PostgreSQL: a transaction-scoped advisory lock per patient, taken in ID order,
    behind a shared lock that a catch-up takes exclusively; SQLite: its write lock is held already), so two
    transactions writing to one patient compute her status one after the other, each seeing the other's writes.
    An advisory lock, not FOR UPDATE on `patient`: the application's database role may not update patient rows,
    and FOR UPDATE needs that right."""
    if not patient_ids:
        return
    ids = sorted(set(patient_ids))
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock_shared(:space, :all)"), {"space": LOCK_SPACE, "all": EVERYONE})
        s.execute(text("SELECT pg_advisory_xact_lock(:space, i) FROM (SELECT unnest(CAST(:ids AS integer[])) AS i "
                       "ORDER BY 1) AS patients"), {"space": LOCK_SPACE, "ids": ids})
    _write(s, dictionary, ids)


def _write(s: Session, dictionary: Dictionary, ids: list[int]) -> None:
    found = compute(s, dictionary, ids)
    rows = s.execute(select(Patient.id, Patient.registry_id, Patient.centre_id).where(Patient.id.in_(ids))).all()
    s.execute(delete(PatientProgress).where(PatientProgress.patient_id.in_(ids)))
    s.execute(
        insert(PatientProgress),
        [
            {"patient_id": pid, "registry_id": rid, "centre_id": centre, "status": found[pid]}
            for pid, rid, centre in rows
        ],
    )


BATCH = 5_000


def catch_up(s: Session, dictionary: Dictionary) -> int:
    """Refresh the patients written since the mark (all of them the first time); how many were refreshed.

    Costs three index lookups when nothing is new. A bulk load that commits rows numbered below a newer write's
    while this runs is seen only by the store's own refresh of those patients, so loaders end with `rebuild`."""
    newest = s.execute(
        select(
            func.coalesce(select(func.max(Patient.id)).scalar_subquery(), 0),
            func.coalesce(select(func.max(EntryVersion.id)).scalar_subquery(), 0),
            func.coalesce(select(func.max(Review.id)).scalar_subquery(), 0),
        )
    ).one()
    if tuple(newest) == _seen(s, lock=False):
        return 0
    seen = _seen(s, lock=True)  # one catch-up at a time; the one that waited finds little or nothing left to do
    if s.get_bind().dialect.name == "postgresql":
        # One lock over every patient, not one per patient: 100,000 of those would exhaust the server's lock table.
        # Writers wait for the catch-up to commit, then refresh on what it wrote.
        s.execute(text("SELECT pg_advisory_xact_lock(:space, :all)"), {"space": LOCK_SPACE, "all": EVERYONE})
    touched = set(s.scalars(select(Patient.id).where(Patient.id > seen[0])))
    touched |= set(
        s.scalars(
            select(Entry.patient_id)
            .join(EntryVersion, EntryVersion.entry_id == Entry.id)
            .where(EntryVersion.id > seen[1])
        )
    )
    touched |= set(
        s.scalars(select(Entry.patient_id).join(Review, Review.entry_id == Entry.id).where(Review.id > seen[2]))
    )
    ordered = sorted(touched)
    for start in range(0, len(ordered), BATCH):
        _write(s, dictionary, ordered[start : start + BATCH])
    s.execute(
        update(ProgressMark)
        .where(ProgressMark.id == 1)
        .values(patient_id=newest[0], version_id=newest[1], review_id=newest[2])
    )
    return len(ordered)


def _seen(s: Session, *, lock: bool) -> tuple[int, int, int]:
    query = select(ProgressMark.patient_id, ProgressMark.version_id, ProgressMark.review_id).where(ProgressMark.id == 1)
    return tuple(s.execute(query.with_for_update() if lock else query).one())  # type: ignore[return-value]


def rebuild(s: Session, dictionary: Dictionary) -> int:
    """Recompute every patient's status (after a bulk load); how many patients."""
    s.execute(update(ProgressMark).where(ProgressMark.id == 1).values(patient_id=0, version_id=0, review_id=0))
    return catch_up(s, dictionary)
