"""Structuring review: facts from the store's documents proposed as entries, then accepted, corrected or rejected.

A proposal holds what one document states for one section. Accepting it writes an entry through the clinical
store (or a new version of the entry an earlier proposal of the same document and section created); the entry's
reason names the proposal, and the proposal keeps the document and the character spans, so every accepted value
points back at its text. A re-run of the rules proposes only what no decision has settled: a value a person
corrected is never proposed again, a rejected value neither, an accepted one only if the rules now read another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncobank.ingest.models import IngestDocument
from oncobank.nlp.extract import Extractor
from oncobank.nlp.facts import Fact
from oncobank.nlp.labs import LabReader
from oncobank.nlp.models import StructureProposal
from oncobank.nlp.proposed import DOCUMENTS, NOT_KEPT, date_of, proposed, record_of, values_of
from oncobank.store import audit
from oncobank.store.access import Actor, Permission
from oncobank.store.clinical import ClinicalStore, EntryRef
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Entry, EntryVersion, Patient, utcnow

LAB_REPORT = "lab_report"  # the core document type read by the lab-sheet reader instead of the report rules
DECIDED = ("accepted", "corrected", "rejected")
STATUSES = ("pending", "accepting", *DECIDED, "superseded")
CHUNK = 500
TITLE = re.compile(r"\S[^\n]*")  # a report's first line: the span of what its type states


@dataclass
class RunReport:
    """What one run of the rules over the store's documents did."""

    documents: int = 0
    proposed: int = 0  # new proposals
    unchanged: int = 0  # documents whose facts were already proposed or settled
    superseded: int = 0  # pending proposals replaced because the rules now read other facts
    auto_accepted: int = 0
    refused: list[str] = field(default_factory=list)  # auto-accepts the store refused, with the reason


@dataclass(frozen=True)
class _Document:
    entry_id: int
    patient_id: int
    registry_id: str
    sha256: str
    document_type: str
    text: str


def run(
    store: ClinicalStore,
    actor: Actor,
    *,
    auto_accept: float | None = None,
    on_document: Callable[[], None] | None = None,
) -> RunReport:
    """Run the rules over every document within the actor's reach; propose what is new; auto-accept above
    `auto_accept` (0–1). Idempotent: a second run over the same documents and rules proposes nothing."""
    actor.require(Permission.STRUCTURE, "structure documents")
    if auto_accept is not None and not 0 <= auto_accept <= 1:
        raise ValueError(f"--auto-accept {auto_accept}: expected a confidence between 0 and 1")
    extractor = Extractor(store.dictionary.name, store.dictionary.units)
    labs = LabReader(store.dictionary)
    report = RunReport()
    fresh: list[tuple[int, float]] = []
    for chunk in _documents(store, actor):
        try:
            with store.session() as s:
                earlier = _proposals_of(s, [d.entry_id for d in chunk])
                events = []
                for doc in chunk:
                    report.documents += 1
                    kind, facts = _read(doc, extractor, labs)
                    added = 0
                    for entry in proposed(facts, store.dictionary):
                        made = _propose(s, doc, kind, entry.section, entry.record, entry.items, earlier, report)
                        if made is not None:
                            added += 1
                            fresh.append((made.id, made.confidence))
                            events.append(
                                {
                                    "user_id": actor.id,
                                    "action": "structure",
                                    "patient_id": doc.patient_id,
                                    "entry_id": doc.entry_id,
                                    "details": {"proposal": made.id, "decision": "proposed", "section": entry.section},
                                }
                            )
                    report.proposed += added
                    report.unchanged += added == 0
                    if on_document is not None:
                        on_document()
                audit.record_many(s, events)
        except IntegrityError:  # the unique (document, section, seq) of a proposal another run wrote meanwhile
            raise RuleViolation(
                "another structuring run wrote proposals for the same documents meanwhile; "
                "run again (what is proposed already is kept)"
            ) from None
    if auto_accept is not None:
        for proposal_id, confidence in fresh:
            if confidence < auto_accept:
                continue
            try:
                accept(store, actor, proposal_id, reason=f"auto-accepted: confidence {confidence:.2f} ≥ {auto_accept}")
                report.auto_accepted += 1
            except ValueError as exc:  # the store refuses the entry (a required field missing): a person decides
                report.refused.append(f"proposal {proposal_id}: {exc}")
    return report


def proposals(
    store: ClinicalStore, actor: Actor, *, status: str | None = "pending", registry_id: str | None = None
) -> list[dict[str, Any]]:
    """Proposals within the actor's reach (of one patient, one status or all), each item with its span's text.

    The values are patient data: each patient shown gets a read event in the audit log.
    """
    actor.require(Permission.STRUCTURE, "review structured facts")
    if status is not None and status not in STATUSES:
        raise ValueError(f"--status {status!r}: expected one of {', '.join(STATUSES)}")
    with store.session() as s:
        query = (
            select(StructureProposal, Patient.registry_id)
            .join(Patient, Patient.id == StructureProposal.patient_id)
            .order_by(StructureProposal.id)
        )
        if not actor.whole_registry:
            query = query.where(Patient.centre_id == actor.centre_id)
        if status is not None:
            query = query.where(StructureProposal.status == status)
        if registry_id is not None:
            query = query.where(Patient.registry_id == registry_id)
        rows = s.execute(query).all()
        texts = _texts(s, {p.document_sha256 for p, _ in rows})
        out = [_shown(p, rid, texts.get(p.document_sha256, "")) for p, rid in rows]
        audit.record_many(
            s,
            [
                {
                    "user_id": actor.id,
                    "action": "read",
                    "patient_id": pid,
                    "entry_id": None,
                    "details": {"what": "structure proposals"},
                }
                for pid in sorted({p.patient_id for p, _ in rows})
            ],
        )
    return out


def accept(
    store: ClinicalStore,
    actor: Actor,
    proposal_id: int,
    corrections: Mapping[str, Any] | None = None,
    *,
    reason: str | None = None,
) -> EntryRef:
    """Write the proposal's facts (with a person's `corrections`: field -> value, None to leave a field out) as an
    entry, or as a new version of the entry this document's earlier accepted facts made; audited."""
    actor.require(Permission.STRUCTURE, "accept structured facts")
    actor.require(Permission.WRITE_PATIENTS, "accept structured facts")
    corrections = dict(corrections or {})
    proposal, registry_id = _claim(store, actor, proposal_id)
    try:
        values = values_of(proposal.items) | corrections
        why = reason or ("corrected" if corrections else "accepted")
        why = f"structured from document {proposal.document_sha256[:12]}, proposal {proposal.id}: {why}"
        ref = _write(store, actor, proposal, registry_id, values, why)
    except Exception:
        _set(store, proposal_id, "accepting", status="pending")
        raise
    status = "corrected" if corrections else "accepted"
    with store.session() as s:
        s.execute(
            update(StructureProposal)
            .where(StructureProposal.id == proposal_id)
            .values(
                status=status,
                corrections=corrections,
                reason=reason,
                entry_id=ref.entry_id,
                entry_version=ref.version,
                decided_by=actor.id,
                decided_at=utcnow(),
            )
        )
        audit.record(
            s,
            "structure",
            actor.id,
            proposal.patient_id,
            ref.entry_id,
            proposal=proposal_id,
            decision=status,
            section=proposal.section,
            version=ref.version,
            corrected=sorted(corrections),
        )
    return ref


def reject(store: ClinicalStore, actor: Actor, proposal_id: int, *, reason: str) -> None:
    """Refuse the proposal's facts (with the reason why); its values are not proposed again for this document."""
    actor.require(Permission.STRUCTURE, "reject structured facts")
    if not reason or not reason.strip():
        raise RuleViolation(f"proposal {proposal_id}: a rejection needs a reason (--reason)")
    proposal, _ = _claim(store, actor, proposal_id)
    with store.session() as s:
        s.execute(
            update(StructureProposal)
            .where(StructureProposal.id == proposal_id)
            .values(status="rejected", reason=reason, decided_by=actor.id, decided_at=utcnow())
        )
        audit.record(
            s,
            "structure",
            actor.id,
            proposal.patient_id,
            proposal.document_entry_id,
            proposal=proposal_id,
            decision="rejected",
            section=proposal.section,
        )


def section_of(store: ClinicalStore, actor: Actor, proposal_id: int) -> str:
    """The section a proposal is for (NotFound outside the actor's reach, as if there were none)."""
    with store.session() as s:
        found = s.execute(
            select(StructureProposal.section, Patient.centre_id)
            .join(Patient, Patient.id == StructureProposal.patient_id)
            .where(StructureProposal.id == proposal_id)
        ).first()
    if found is None or not actor.reaches(found[1]):
        raise NotFound(f"no proposal {proposal_id}")
    return found[0]


def spans_of(store: ClinicalStore, actor: Actor, entry_id: int) -> list[dict[str, Any]]:
    """Where an entry's structured values came from: per accepted proposal, the document and each field's spans."""
    actor.require(Permission.READ_PATIENTS, "read where an entry's values came from")
    with store.session() as s:
        query = (
            select(StructureProposal, Patient.registry_id)
            .join(Patient, Patient.id == StructureProposal.patient_id)
            .where(StructureProposal.entry_id == entry_id)
            .order_by(StructureProposal.id)
        )
        rows = [(p, rid) for p, rid in s.execute(query) if actor.reaches(_centre(s, p.patient_id))]
        if not rows:
            raise NotFound(f"no structured facts behind entry {entry_id}")
        texts = _texts(s, {p.document_sha256 for p, _ in rows})
        out = [_shown(p, rid, texts.get(p.document_sha256, "")) for p, rid in rows]
        audit.record(s, "read", actor.id, rows[0][0].patient_id, entry_id, what="structure provenance")
    return out


# --- internals ---------------------------------------------------------------------------------------------------


def _documents(store: ClinicalStore, actor: Actor) -> Iterable[list[_Document]]:
    """The active documents entries within reach whose file's text the ingest kept, in chunks."""
    query = (
        select(Entry.id, Entry.patient_id, Patient.registry_id, EntryVersion.values)
        .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
        .join(Patient, Patient.id == Entry.patient_id)
        .where(Entry.section == DOCUMENTS, EntryVersion.status == "active", Patient.module == store.dictionary.name)
        .order_by(Entry.id)
    )
    if not actor.whole_registry:
        query = query.where(Patient.centre_id == actor.centre_id)
    with store.session() as s:
        heads = s.execute(query).all()
    for start in range(0, len(heads), CHUNK):
        part = heads[start : start + CHUNK]
        with store.session() as s:
            texts = _texts(s, {(v or {}).get("attachment_sha256") for *_, v in part})
        yield [
            _Document(eid, pid, rid, sha, v.get("document_type") or "", texts[sha])
            for eid, pid, rid, v in part
            if (sha := (v or {}).get("attachment_sha256")) in texts
        ]


def _texts(s: Session, digests: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted(d for d in digests if d)
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(IngestDocument.sha256, IngestDocument.text).where(
            IngestDocument.sha256.in_(wanted[start : start + CHUNK])
        )
        found.update((sha, text) for sha, text in s.execute(query))
    return found


def _read(doc: _Document, extractor: Extractor, labs: LabReader) -> tuple[str, list[Fact]]:
    """The report type and facts of one document: a lab report through the lab-sheet reader, others by the rules."""
    if doc.document_type == LAB_REPORT:
        return "lab", labs.read(doc.text)
    result = extractor.extract(doc.text)
    if result.kind is None:
        return "", result.facts
    return result.kind, result.facts + _constants(extractor, result.kind, doc.text, result.facts)


def _constants(extractor: Extractor, kind: str, text: str, facts: list[Fact]) -> list[Fact]:
    """What the report type itself states for its section (a PET-CT report's modality), with the title as its span
    and its facts' lowest confidence; only when the text states facts of that section."""
    report = extractor.by_kind[kind]
    stated = [f.confidence for f in facts if f.section == report.section]
    if not stated:
        return []
    title = TITLE.search(text)
    start, end = title.span() if title else (0, 0)
    return [
        Fact(report.section, name, value, start, end, f"{kind}.constants", min(stated))
        for name, value in report.constants.items()
    ]


def _proposals_of(s: Session, entry_ids: list[int]) -> dict[tuple[int, str], list[StructureProposal]]:
    """The earlier proposals per (document, section), in order."""
    out: dict[tuple[int, str], list[StructureProposal]] = {}
    query = (
        select(StructureProposal)
        .where(StructureProposal.document_entry_id.in_(entry_ids))
        .order_by(StructureProposal.seq)
    )
    for p in s.scalars(query):
        out.setdefault((p.document_entry_id, p.section), []).append(p)
    return out


def _settled(earlier: list[StructureProposal]) -> tuple[set[str], set[str]]:
    """Of one record's earlier proposals: fields a person set by hand, and (field, value) keys already accepted or
    rejected."""
    fields: set[str] = set()
    values: set[str] = set()
    for p in earlier:
        if p.status not in DECIDED:
            continue
        fields.update(p.corrections)
        values.update(_key(i["field"], i["value"]) for i in p.items)
    return fields, values


def _key(name: str, value: Any) -> str:
    return json.dumps([name, value], sort_keys=True, ensure_ascii=False)


def _propose(
    s: Session,
    doc: _Document,
    kind: str,
    section: str,
    record: int,
    items: list[dict[str, Any]],
    earlier: dict[tuple[int, str], list[StructureProposal]],
    report: RunReport,
) -> StructureProposal | None:
    """The new pending proposal of what no decision on this record settled (None when nothing is new); a pending
    proposal of the record the rules no longer agree with is superseded."""
    of_section = earlier.setdefault((doc.entry_id, section), [])
    mine = [p for p in of_section if record_of(p.items) == record]
    fields, values = _settled(mine)
    items = [i for i in items if i["field"] not in fields and _key(i["field"], i["value"]) not in values]
    if not values_of(items):
        items = []  # only a date or values the store does not keep: nothing to decide
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    pending = [p for p in mine if p.status in ("pending", "accepting")]
    if any(p.digest == digest for p in pending) or (not items and not pending):
        return None
    for p in pending:
        if p.status == "pending":
            p.status = "superseded"
            report.superseded += 1
    if not items:
        return None
    proposal = StructureProposal(
        patient_id=doc.patient_id,
        document_entry_id=doc.entry_id,
        document_sha256=doc.sha256,
        section=section,
        seq=max((p.seq for p in of_section), default=0) + 1,
        kind=kind,
        items=items,
        digest=digest,
        confidence=min(i["confidence"] for i in items if i.get("role") != NOT_KEPT),
        status="pending",
        corrections={},
    )
    s.add(proposal)
    s.flush()
    of_section.append(proposal)  # the section's next record takes the next seq
    return proposal


def _centre(s: Session, patient_id: int) -> int:
    return s.scalars(select(Patient.centre_id).where(Patient.id == patient_id)).one()


def _claim(store: ClinicalStore, actor: Actor, proposal_id: int) -> tuple[StructureProposal, str]:
    """The pending proposal, marked `accepting` so that no one else decides on it meanwhile."""
    with store.session() as s:
        found = s.execute(
            select(StructureProposal, Patient.registry_id, Patient.centre_id)
            .join(Patient, Patient.id == StructureProposal.patient_id)
            .where(StructureProposal.id == proposal_id)
        ).first()
        if found is None or not actor.reaches(found[2]):
            raise NotFound(f"no proposal {proposal_id}")
        proposal, registry_id = found[0], found[1]
        if proposal.status != "pending":
            raise RuleViolation(f"proposal {proposal_id} is {proposal.status}; only a pending proposal is decided")
    if not _set(store, proposal_id, "pending", status="accepting"):
        raise RuleViolation(f"proposal {proposal_id} was decided by someone else meanwhile")
    return proposal, registry_id


def _set(store: ClinicalStore, proposal_id: int, expected: str, **values: Any) -> bool:
    with store.session() as s:
        result = s.execute(
            update(StructureProposal)
            .where(StructureProposal.id == proposal_id, StructureProposal.status == expected)
            .values(**values)
        )
        return result.rowcount == 1


def _write(
    store: ClinicalStore,
    actor: Actor,
    proposal: StructureProposal,
    registry_id: str,
    values: dict[str, Any],
    reason: str,
) -> EntryRef:
    """A new version of the entry an earlier accepted proposal of the same record made, else a new entry dated as
    the record (or the document)."""
    record = record_of(proposal.items)
    with store.session() as s:
        made = s.execute(
            select(StructureProposal.entry_id, StructureProposal.items)
            .where(
                StructureProposal.document_entry_id == proposal.document_entry_id,
                StructureProposal.section == proposal.section,
                StructureProposal.entry_id.is_not(None),
                StructureProposal.status.in_(DECIDED),
            )
            .order_by(StructureProposal.seq.desc())
        ).all()
        earlier = next((entry_id for entry_id, items in made if record_of(items) == record), None)
        document = s.execute(
            select(EntryVersion.entry_date, EntryVersion.facility)
            .join(Entry, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(Entry.id == proposal.document_entry_id)
        ).one()
        current = (
            None
            if earlier is None
            else s.execute(
                select(EntryVersion)
                .join(Entry, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
                .where(Entry.id == earlier)
            ).scalar_one()
        )
    if current is None:
        values = {k: v for k, v in values.items() if v is not None}  # a field left out by a correction
        return store.add_entry(
            registry_id,
            proposal.section,
            values,
            user=actor.username,
            entry_date=date_of(proposal.items) or document.entry_date,
            facility=document.facility,
            reason=reason,
        )
    if current.status != "active":
        raise RuleViolation(
            f"entry {earlier} that this document's facts went to is {current.status}; "
            f"reinstate it before accepting proposal {proposal.id}"
        )
    changes = store.edited_input(proposal.section, current, values)
    return store.edit_entry(
        earlier,
        current.version,
        changes,
        user=actor.username,
        reason=reason,
        entry_date=current.entry_date,
        facility=current.facility,
    )


def _shown(p: StructureProposal, registry_id: str, text: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "patient": registry_id,
        "section": p.section,
        "record": record_of(p.items),
        "kind": p.kind,
        "status": p.status,
        "confidence": p.confidence,
        "document": p.document_sha256,
        "entry": p.entry_id,
        "version": p.entry_version,
        "corrections": p.corrections,
        "reason": p.reason,
        "items": [{**i, "text": [text[a:b] for a, b in i["spans"]]} for i in p.items],
    }
