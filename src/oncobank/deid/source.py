"""What a publish reads from the clinical store: its watermark, the patients changed since one, their current data.

A snapshot is fixed by the highest row IDs when the publish starts (the watermark): each entry is read at its newest
version at or below it, so writes that commit meanwhile wait for the next publish. Every add, edit, retraction or
reinstatement writes a new entry_version row, so a patient changed since a watermark has a row above it. Nothing is
written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, select

from oncobank.ingest.models import IngestDocument
from oncobank.store.models import Centre, Entry, EntryVersion, Patient, PatientIdentifier

CHUNK = 900  # patients per IN (...) list: below SQLite's default limit on bound parameters
_TABLES = {"entry_version": EntryVersion.__table__, "patient": Patient.__table__,
           "patient_identifier": PatientIdentifier.__table__, "ingest_document": IngestDocument.__table__}


@dataclass(frozen=True)
class Watermark:
    """Per table, the highest row ID and the number of rows at or below it when the snapshot was taken."""

    ids: dict[str, int]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Watermark:
        return cls({k: int(v) for k, v in data["ids"].items()}, {k: int(v) for k, v in data["counts"].items()})


def watermark(connection: Connection) -> Watermark:
    """The snapshot a publish reads: each table's highest row ID and row count, one statement per table."""
    ids, counts = {}, {}
    for name, table in _TABLES.items():
        top, n = connection.execute(select(func.max(table.c.id), func.count()).select_from(table)).one()
        ids[name], counts[name] = int(top or 0), int(n)
    return Watermark(ids, counts)


def late_commits(connection: Connection, mark: Watermark) -> bool:
    """True if rows at or below `mark` appeared after it was taken (a transaction that got its IDs earlier committed
    later, as PostgreSQL allows): changes since it cannot then be found by ID, and the publish rebuilds."""
    for name, table in _TABLES.items():
        top = mark.ids.get(name, 0)
        n = connection.scalar(select(func.count()).select_from(table).where(table.c.id <= top))
        if int(n or 0) != mark.counts.get(name, 0):
            return True
    return False


def changed_patients(connection: Connection, since: Watermark, until: Watermark) -> set[int]:
    """Patients with a new patient row, identifier, entry version or document text after `since` (up to `until`)."""

    def between(table: Any, name: str) -> Any:
        return and_(table.c.id > since.ids.get(name, 0), table.c.id <= until.ids[name])

    found: set[int] = set()
    found.update(connection.scalars(select(Patient.id).where(between(Patient.__table__, "patient"))))
    found.update(connection.scalars(select(PatientIdentifier.patient_id).where(
        between(PatientIdentifier.__table__, "patient_identifier"))))
    found.update(connection.scalars(select(Entry.patient_id).join(EntryVersion, EntryVersion.entry_id == Entry.id)
                                    .where(between(EntryVersion.__table__, "entry_version"))))
    texts = list(connection.scalars(select(IngestDocument.sha256).where(
        between(IngestDocument.__table__, "ingest_document"))))
    digest = EntryVersion.values["attachment_sha256"].as_string()
    for start in range(0, len(texts), CHUNK):  # a text taken in later than its documents entry
        found.update(connection.scalars(
            select(Entry.patient_id).join(EntryVersion, EntryVersion.entry_id == Entry.id)
            .where(Entry.section == "documents", digest.in_(texts[start : start + CHUNK]))))
    return found


@dataclass(frozen=True)
class PatientRow:
    id: int
    registry_id: str
    module: str
    centre: str


@dataclass(frozen=True)
class EntryRow:
    patient_id: int
    entry_id: int
    version_id: int
    version: int
    section: str
    status: str
    entry_date: date | None
    values: dict[str, Any]


def _chunks(ids: Sequence[int] | None) -> Iterator[Sequence[int] | None]:
    if ids is None:
        yield None
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def patients(connection: Connection, mark: Watermark, ids: Sequence[int] | None) -> list[PatientRow]:
    """The patients (all when `ids` is None) registered at or below the watermark, by ID."""
    query = (select(Patient.id, Patient.registry_id, Patient.module, Centre.code)
             .join(Centre, Centre.id == Patient.centre_id).where(Patient.id <= mark.ids["patient"]))
    rows: list[PatientRow] = []
    for chunk in _chunks(ids):
        part = query if chunk is None else query.where(Patient.id.in_(chunk))
        rows.extend(PatientRow(*r) for r in connection.execute(part))
    return sorted(rows, key=lambda r: r.id)


def identifiers(connection: Connection, mark: Watermark, ids: Sequence[int] | None) -> dict[int, list[str]]:
    """Each patient's identifiers in the source systems (values only), to be scrubbed from their texts."""
    query = select(PatientIdentifier.patient_id, PatientIdentifier.value).where(
        PatientIdentifier.id <= mark.ids["patient_identifier"])
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        part = query if chunk is None else query.where(PatientIdentifier.patient_id.in_(chunk))
        for pid, value in connection.execute(part):
            found.setdefault(pid, []).append(value)
    return found


def entries(connection: Connection, mark: Watermark, ids: Sequence[int] | None) -> Iterator[EntryRow]:
    """Every entry of the patients at its newest version at or below the watermark (retracted ones included)."""
    top = mark.ids["entry_version"]
    newest = (select(EntryVersion.entry_id, func.max(EntryVersion.id).label("vid"))
              .where(EntryVersion.id <= top).group_by(EntryVersion.entry_id))
    query = (select(Entry.patient_id, Entry.id, EntryVersion.id, EntryVersion.version, Entry.section,
                    EntryVersion.status, EntryVersion.entry_date, EntryVersion.values))
    for chunk in _chunks(ids):
        sub = newest if chunk is None else newest.join(Entry, Entry.id == EntryVersion.entry_id).where(
            Entry.patient_id.in_(chunk))
        sub = sub.subquery()
        part = (query.select_from(Entry).join(sub, sub.c.entry_id == Entry.id)
                .join(EntryVersion, EntryVersion.id == sub.c.vid))
        for row in connection.execute(part):
            yield EntryRow(*row)


def document_texts(connection: Connection, mark: Watermark, digests: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Text and media type of the documents with these content hashes, as extracted at ingest."""
    wanted = sorted(set(digests))
    found: dict[str, tuple[str, str]] = {}
    query = select(IngestDocument.sha256, IngestDocument.text, IngestDocument.media_type).where(
        IngestDocument.id <= mark.ids["ingest_document"])
    for start in range(0, len(wanted), CHUNK):
        for sha, text, media in connection.execute(query.where(IngestDocument.sha256.in_(wanted[start:start + CHUNK]))):
            found[sha] = (text, media)
    return found


def modules(connection: Connection, mark: Watermark) -> list[str]:
    """The disease modules of the patients in the snapshot."""
    return sorted(connection.scalars(select(Patient.module).where(Patient.id <= mark.ids["patient"]).distinct()))


def patient_ids(connection: Connection, mark: Watermark) -> list[int]:
    return list(connection.scalars(select(Patient.id).where(Patient.id <= mark.ids["patient"]).order_by(Patient.id)))
