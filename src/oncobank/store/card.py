"""The patient card: every entry of one patient in date order, with all versions and reviews (an audited read)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound
from oncobank.store.models import (
    Attachment,
    Centre,
    Entry,
    EntryVersion,
    Patient,
    PatientIdentifier,
    Review,
    User,
)


@dataclass(frozen=True)
class VersionView:
    version: int
    status: str
    entry_date: date | None
    facility: str | None
    values: dict[str, Any]
    entered: dict[str, Any]
    reference_ranges: dict[str, Any]
    warnings: list[Any]
    author: str
    created_at: datetime
    reason: str | None


@dataclass(frozen=True)
class ReviewView:
    id: int
    entry_version: int
    reviewer: str
    review_date: date
    facility: str | None
    agreement: str
    revised_values: dict[str, Any]
    comment: str | None


@dataclass(frozen=True)
class EntryView:
    entry_id: int
    section: str
    versions: list[VersionView] = field(default_factory=list)
    reviews: list[ReviewView] = field(default_factory=list)

    @property
    def current(self) -> VersionView:
        return self.versions[-1]

    @property
    def retracted(self) -> bool:
        return self.current.status == "retracted"


@dataclass(frozen=True)
class AttachmentView:
    id: int
    entry_id: int | None
    sha256: str
    size: int
    media_type: str
    original_name: str


@dataclass(frozen=True)
class PatientCard:
    registry_id: str
    module: str
    centre: str
    identifiers: dict[str, str]
    entries: list[EntryView]
    attachments: list[AttachmentView]

    def section(self, name: str) -> list[EntryView]:
        return [e for e in self.entries if e.section == name]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def read_card(store: ClinicalStore, registry_id: str, *, user: str) -> PatientCard:
    """All of a patient's entries, undated sections first, then by date; the read is audited."""
    return open_card(store, registry_id, user=user)[1]


def open_card(store: ClinicalStore, registry_id: str, *, user: str) -> tuple[int, PatientCard]:
    """`read_card` with the patient's store id, for a page that reads more of her (no second look-up)."""
    with store.session() as s:
        uid = store.user_id(s, user)
        pid, card = _load(s, registry_id)
        audit.record(s, "read", uid, pid, what="patient_card")
        return pid, card


def _load(s: Session, registry_id: str) -> tuple[int, PatientCard]:
    row = s.execute(
        select(Patient.id, Patient.module, Centre.code)
        .join(Centre, Centre.id == Patient.centre_id)
        .where(Patient.registry_id == registry_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no patient {registry_id}")
    pid, module, centre = row
    identifiers = dict(
        s.execute(select(PatientIdentifier.system, PatientIdentifier.value).where(PatientIdentifier.patient_id == pid))
        .all()
    )
    entries: dict[int, EntryView] = {}
    versions = s.execute(
        select(Entry.id, Entry.section, EntryVersion, User.username)
        .join(EntryVersion, EntryVersion.entry_id == Entry.id)
        .join(User, User.id == EntryVersion.author_id)
        .where(Entry.patient_id == pid)
        .order_by(Entry.id, EntryVersion.version)
    )
    for entry_id, section, v, author in versions:
        view = entries.setdefault(entry_id, EntryView(entry_id, section))
        view.versions.append(
            VersionView(
                v.version,
                v.status,
                v.entry_date,
                v.facility,
                v.values,
                v.entered,
                v.reference_ranges,
                v.warnings,
                author,
                v.created_at,
                v.reason,
            )
        )
    reviews = s.execute(
        select(Review, User.username)
        .join(User, User.id == Review.reviewer_id)
        .join(Entry, Entry.id == Review.entry_id)
        .where(Entry.patient_id == pid)
        .order_by(Review.id)
    )
    for r, reviewer in reviews:
        entries[r.entry_id].reviews.append(
            ReviewView(
                r.id, r.entry_version, reviewer, r.review_date, r.facility, r.agreement, r.revised_values, r.comment
            )
        )
    attachments = [
        AttachmentView(a.id, a.entry_id, a.sha256, a.size, a.media_type, a.original_name)
        for a in s.scalars(select(Attachment).where(Attachment.patient_id == pid).order_by(Attachment.id))
    ]
    ordered = sorted(entries.values(), key=_chronological)
    return pid, PatientCard(registry_id, module, centre, identifiers, ordered, attachments)


def _chronological(entry: EntryView) -> tuple[int, date, int]:
    when = entry.current.entry_date
    return (0 if when is None else 1, when or date.min, entry.entry_id)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
