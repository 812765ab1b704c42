"""The name index: keyed hashes of each patient's folded names and birth date, kept up to date at every commit.

A commit that wrote demographics versions re-indexes those patients from their current active demographics, so
every writer (entry edits, loads, ingests) keeps the index without code of its own, as it does the history seal.
The index holds HMACs only (the index key lives outside the database): it answers "who is called this" for a
whole word, not "what are the names".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, event, func, insert, select
from sqlalchemy.orm import Session

from oncobank.store import crypt
from oncobank.store.chain import CONNECTIONS
from oncobank.store.models import WRITE_TOKEN, WRITTEN, Entry, EntryVersion, NameToken, Patient

NAME_FIELDS = ("surname", "first_name", "patronymic")
SECTION = "demographics"
CHUNK = 500


def install() -> None:
    """Re-index, at each commit, the patients whose demographics the session wrote (idempotent)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit, insert=True)  # before the seal takes its notes


def words(values: Mapping[str, Any]) -> set[str]:
    """What the index keeps of one patient's demographics: each name's words and the birth date."""
    found = crypt.name_words(values, NAME_FIELDS)
    born = values.get("birth_date")
    if isinstance(born, str) and born:
        found.add(f"b|{born}")
    return found


def query_words(names: Iterable[str], dates: Iterable[str]) -> set[str]:
    """The index words a search asks for: each typed word whole, and each ISO birth date."""
    return {f"n|{crypt.fold(w)}" for w in names if crypt.fold(w)} | {f"b|{d}" for d in dates}


def matching(codec: crypt.Codec, centre_id: int, wanted: set[str]) -> Select[tuple[int]]:
    """The patients of `centre_id` whose index holds every one of `wanted` (an index lookup per word)."""
    tokens = codec.tokens(sorted(wanted))
    return (select(NameToken.patient_id).join(Patient, Patient.id == NameToken.patient_id)
            .where(NameToken.token.in_(tokens), Patient.centre_id == centre_id)
            .group_by(NameToken.patient_id).having(func.count(NameToken.token) == len(tokens)))


def reindex(connection: Connection, patient_ids: Iterable[int]) -> None:
    """Replace the index rows of these patients with those of their current active demographics."""
    codec = crypt.attach(connection.engine)
    ordered = sorted(set(patient_ids))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        current = (select(Entry.patient_id, EntryVersion.values)
                   .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id,
                                            EntryVersion.version == Entry.current_version))
                   .where(Entry.patient_id.in_(chunk), Entry.section == SECTION, EntryVersion.status == "active"))
        rows = {(pid, token) for pid, values in connection.execute(current)
                for token in codec.tokens(sorted(words(values or {})))}
        connection.execute(delete(NameToken).where(NameToken.patient_id.in_(chunk)))
        if rows:
            connection.execute(insert(NameToken), [{"patient_id": p, "token": t} for p, t in sorted(rows)])


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    for connection, info in session.info.get(CONNECTIONS, ()):
        token = info.get(WRITE_TOKEN)
        if token is None or "entry_version" not in info.get(WRITTEN, ()):
            continue
        # The session's own versions first (the txn index), then their entries: as one join, SQLite's planner,
        # whose statistics count NULLs as one value, scanned every entry of a store whose rows were bulk-loaded.
        written = list(connection.scalars(select(EntryVersion.entry_id).where(EntryVersion.txn == token)))
        patients = []
        for start in range(0, len(written), CHUNK):
            patients.extend(connection.scalars(select(Entry.patient_id).where(
                Entry.id.in_(written[start:start + CHUNK]), Entry.section == SECTION).distinct()))
        if patients:
            reindex(connection, patients)
