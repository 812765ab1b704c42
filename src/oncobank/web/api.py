"""The REST API under /api: patients, entries, versions, reviews, attachments and the dictionary.

Each route names the permission it needs (`requires`), and every patient, entry or attachment is checked against
the user's reach first (`require_reach`: another centre's patient is "not found", exactly like a missing one). The
writes and audited reads are the store's own service calls, the same the CLI makes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from oncobank.store import accounts, audit
from oncobank.store.access import AccessDenied, Actor, Permission
from oncobank.store.attachments import MAX_BYTES, attach, read_attachment
from oncobank.store.card import read_card
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Attachment, Centre, Entry, EntryVersion, Patient
from oncobank.web.deps import SignedIn, requires, web_of

router = APIRouter(prefix="/api", tags=["registry"])
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]
Writer = Annotated[Actor, Depends(requires(Permission.WRITE_PATIENTS))]
Reviewer = Annotated[Actor, Depends(requires(Permission.REVIEW))]
PAGE = 100


class PatientIn(BaseModel):
    registry_id: str = Field(description="The registry ID to give the patient, e.g. TH-000123.")
    centre: str | None = Field(None, description="Centre code; a centre's own users may leave it out.")
    identifiers: dict[str, str] = Field(default_factory=dict, description="Source system -> the patient's ID there.")


class EntryIn(BaseModel):
    section: str
    values: dict[str, Any]
    entry_date: date | None = None
    facility: str | None = None


class EntryEdit(BaseModel):
    version: int = Field(description="The version the change is made to: the current one, or 409 Conflict.")
    values: dict[str, Any] = Field(description="The fields that change (the others keep the version's values).")
    reason: str
    entry_date: date | None = None
    facility: str | None = None


class StatusChange(BaseModel):
    version: int
    reason: str


class ReviewIn(BaseModel):
    agreement: str = Field(description="agree, partial or disagree")
    review_date: date
    revised_values: dict[str, Any] = Field(default_factory=dict)
    comment: str | None = None
    facility: str | None = None
    version: int | None = Field(None, description="The version reviewed (default: the current one).")


def _written(ref: Any) -> dict[str, Any]:
    return {"entry_id": ref.entry_id, "version": ref.version, "warnings": [w.to_dict() for w in ref.warnings]}


@router.get("/me", summary="The signed-in user: name, role, centre, and what her role allows")
def me(actor: SignedIn) -> dict[str, Any]:
    return {"username": actor.username, "role": str(actor.role), "centre": actor.centre_code,
            "permissions": sorted(str(p) for p in Permission if actor.can(p))}


@router.get("/patients", summary="Patients within the user's reach, by registry ID (keyset paging)")
def patients(request: Request, actor: Reader, after: str | None = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = PAGE) -> dict[str, Any]:
    """Registry IDs and centres only; `total` counts the patients the user may see, never the others."""
    store = web_of(request).store
    reach = [] if actor.whole_registry else [Patient.centre_id == actor.centre_id]
    query = (select(Patient.registry_id, Centre.code, Patient.created_at).join(Centre, Centre.id == Patient.centre_id)
             .where(*reach).order_by(Patient.registry_id).limit(limit))
    if after:
        query = query.where(Patient.registry_id > after)
    with store.session() as s:
        rows = s.execute(query).all()
        total = s.scalar(select(func.count()).select_from(Patient).where(*reach))
        audit.record(s, "read", actor.id, what="patient_list", shown=len(rows))
    items = [{"registry_id": r, "centre": c, "created_at": at.isoformat()} for r, c, at in rows]
    return {"total": total, "items": items, "next": items[-1]["registry_id"] if len(items) == limit else None}


@router.post("/patients", status_code=201, summary="Register a patient (no clinical data yet)")
def create_patient(request: Request, actor: Writer, body: PatientIn) -> dict[str, Any]:
    centre = body.centre or actor.centre_code
    if centre is None:
        raise RuleViolation("centre: a registry-wide user names the patient's centre")
    if not actor.whole_registry and centre != actor.centre_code:
        raise AccessDenied(f"user {actor.username} works for centre {actor.centre_code} only and cannot register "
                           "patients of another centre")
    web_of(request).store.create_patient(body.registry_id, centre, actor.username, body.identifiers)
    return {"registry_id": body.registry_id, "centre": centre}


@router.get("/patients/{registry_id}", summary="A patient's card: every entry, version, review and attachment")
def patient(request: Request, registry_id: str, actor: Reader) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, patient=registry_id)
    return read_card(store, registry_id, user=actor.username).to_dict()


@router.post("/patients/{registry_id}/entries", status_code=201, summary="Add an entry (version 1)")
def add_entry(request: Request, registry_id: str, actor: Writer, body: EntryIn) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, patient=registry_id)
    return _written(store.add_entry(registry_id, body.section, body.values, user=actor.username,
                                    entry_date=body.entry_date, facility=body.facility))


def _entry(request: Request, entry_id: int, actor: Actor) -> dict[str, Any]:
    """One entry of the patient's card with its versions and reviews (the read is audited as the card's)."""
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    with store.session() as s:
        registry_id = s.scalar(select(Patient.registry_id).join(Entry, Entry.patient_id == Patient.id)
                               .where(Entry.id == entry_id))
    card = read_card(store, registry_id, user=actor.username).to_dict()
    found = next(e for e in card["entries"] if e["entry_id"] == entry_id)
    return {"registry_id": registry_id, **found}


@router.get("/entries/{entry_id}", summary="One entry: its section, every version and its reviews")
def entry(request: Request, entry_id: int, actor: Reader) -> dict[str, Any]:
    return _entry(request, entry_id, actor)


@router.get("/entries/{entry_id}/versions", summary="Every version of an entry: values, who, when and why")
def versions(request: Request, entry_id: int, actor: Reader) -> list[dict[str, Any]]:
    return _entry(request, entry_id, actor)["versions"]


@router.get("/entries/{entry_id}/reviews", summary="The second opinions given on an entry")
def reviews(request: Request, entry_id: int, actor: Reader) -> list[dict[str, Any]]:
    return _entry(request, entry_id, actor)["reviews"]


@router.put("/entries/{entry_id}", summary="Edit an entry: a new version; 409 when `version` is not current")
def edit_entry(request: Request, entry_id: int, actor: Writer, body: EntryEdit) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    with store.session() as s:
        section = store.get_entry(s, entry_id).section
        base = s.scalars(select(EntryVersion).where(EntryVersion.entry_id == entry_id,
                                                    EntryVersion.version == body.version)).one_or_none()
    if base is None:
        raise NotFound(f"entry {entry_id} has no version {body.version}")
    return _written(store.edit_entry(entry_id, body.version, store.edited_input(section, base, body.values),
                                     user=actor.username, reason=body.reason,
                                     entry_date=body.entry_date or base.entry_date,
                                     facility=body.facility or base.facility))


@router.post("/entries/{entry_id}/retract", summary="Withdraw an entry (a new version; the history stays)")
def retract(request: Request, entry_id: int, actor: Writer, body: StatusChange) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    return _written(store.retract_entry(entry_id, body.version, user=actor.username, reason=body.reason))


@router.post("/entries/{entry_id}/reinstate", summary="Make a retracted entry active again")
def reinstate(request: Request, entry_id: int, actor: Writer, body: StatusChange) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    return _written(store.reinstate_entry(entry_id, body.version, user=actor.username, reason=body.reason))


@router.post("/entries/{entry_id}/reviews", status_code=201, summary="Give a second opinion on an entry")
def review(request: Request, entry_id: int, actor: Reviewer, body: ReviewIn) -> dict[str, Any]:
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    review_id = store.review_entry(entry_id, reviewer=actor.username, review_date=body.review_date,
                                   agreement=body.agreement, revised_values=body.revised_values,
                                   comment=body.comment, facility=body.facility, version=body.version)
    return {"review_id": review_id, "entry_id": entry_id}


@router.post("/patients/{registry_id}/attachments", status_code=201, summary="Upload a PDF document")
async def upload(request: Request, registry_id: str, actor: Writer, file: Annotated[UploadFile, File()],
                 document_type: Annotated[str, Form()], entry_date: Annotated[str, Form()],
                 description: Annotated[str | None, Form()] = None,
                 facility: Annotated[str | None, Form()] = None) -> dict[str, Any]:
    store = web_of(request).store
    data = await file.read(MAX_BYTES + 1)  # over the limit by one byte is enough to refuse it

    def store_it() -> Any:
        accounts.require_reach(store, actor, patient=registry_id)
        return attach(store, registry_id, data, filename=file.filename or "document.pdf", user=actor.username,
                      document_type=document_type, entry_date=entry_date, description=description,
                      facility=facility)

    from starlette.concurrency import run_in_threadpool

    ref = await run_in_threadpool(store_it)
    return {"attachment_id": ref.attachment_id, "entry_id": ref.entry_id, "sha256": ref.sha256, "size": ref.size}


@router.get("/attachments/{attachment_id}", summary="Download a document (its bytes, checked against its hash)")
def download(request: Request, attachment_id: int, actor: Reader) -> Response:
    store = web_of(request).store
    accounts.require_reach(store, actor, attachment=attachment_id)
    data = read_attachment(store, attachment_id, user=actor.username)
    with store.session() as s:
        media_type = s.scalar(select(Attachment.media_type).where(Attachment.id == attachment_id))
    # The stored name may identify the patient: the download is named by its number only.
    return Response(data, media_type=media_type or "application/octet-stream",
                    headers={"content-disposition": f'attachment; filename="attachment-{attachment_id}.pdf"'})


@router.get("/dictionary", summary="The registry's data dictionary: sections, fields, units, ranges, code lists")
def dictionary(request: Request, actor: SignedIn) -> dict[str, Any]:
    d = web_of(request).store.dictionary
    return {"module": d.name, "sections": [s.model_dump(mode="json") for s in d.sections.values()],
            "domains": {name: dom.model_dump(mode="json") for name, dom in d.domains.items()}}


@router.get("/dictionary/{section}", summary="One section of the dictionary")
def dictionary_section(request: Request, section: str, actor: SignedIn) -> dict[str, Any]:
    d = web_of(request).store.dictionary
    if section not in d.sections:
        raise NotFound(f"no section {section} in module {d.name}")
    return d.sections[section].model_dump(mode="json")
