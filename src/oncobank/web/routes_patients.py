"""Pages of patients: the list with its search and filters, registering a patient, the patient view, documents.

Every route names its permission (`requires`) and checks the patient against the user's reach first: a patient of
another centre is "not found", exactly like a missing one. Writes and audited reads are the store's service calls.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from oncobank.store import accounts, audit, queries
from oncobank.store.access import AccessDenied, Actor, Permission
from oncobank.store.attachments import MAX_BYTES, attach
from oncobank.store.card import open_card
from oncobank.store.errors import RuleViolation
from oncobank.store.models import Centre
from oncobank.web import patient_labels, query_labels  # noqa: F401  (registers the pages' labels)
from oncobank.web.deps import requires, web_of
from oncobank.web.forms import ORDER, typed_date
from oncobank.web.labels import text
from oncobank.web.pages import NAV, NavItem, lang_of, redirect, render
from oncobank.web.patient_view import build, shown, warning_text
from oncobank.web.patients import PAGE, ListQuery, disease_hook, find

router = APIRouter()
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]
Writer = Annotated[Actor, Depends(requires(Permission.WRITE_PATIENTS))]
Text = Annotated[str, Form()]
NAV.insert(1, NavItem("/patients", "patients", Permission.READ_PATIENTS))


@router.get("/patients")
def patient_list(request: Request, actor: Reader, q: str = "", status: str = "", section: str = "", state: str = "",
                 derived: str = "", after: str = "") -> Response:
    store = web_of(request).store
    lang = lang_of(request)
    query = ListQuery(q, status if status in ORDER else "", section, state, derived, after, PAGE)
    page = find(store, actor, query)
    hook = disease_hook(store.dictionary.name)
    derived_options = [(code, pair[1] if lang == "ru" else pair[0]) for code, pair in hook.STATUSES.items()] \
        if hook else []
    with store.session() as s:
        audit.record(s, "read", actor.id, what="patient_list", shown=len(page.rows), name_search=page.name_search)
    return render(request, "patient/list.html", page=page, query=query, statuses=ORDER,
                  sections=[(s.name, s.label.get(lang)) for s in store.dictionary.sections.values()],
                  derived_options=derived_options, derived_labels=dict(derived_options),
                  may_write=actor.can(Permission.WRITE_PATIENTS))


@router.get("/patients/new")
def new_patient_page(request: Request, actor: Writer) -> Response:
    return render(request, "patient/new.html", error=None, registry_id="", centres=_centres(request, actor))


def _centres(request: Request, actor: Actor) -> list[str]:
    if not actor.whole_registry:
        return [actor.centre_code or ""]
    with web_of(request).store.session() as s:
        return list(s.scalars(select(Centre.code).order_by(Centre.code)))


@router.post("/patients/new")
def new_patient(request: Request, actor: Writer, registry_id: Text, centre: Annotated[str, Form()] = "") -> Response:
    store = web_of(request).store
    chosen = centre or actor.centre_code or ""
    if not actor.whole_registry and chosen != actor.centre_code:
        raise AccessDenied(f"user {actor.username} works for centre {actor.centre_code} only")
    try:
        store.create_patient(registry_id.strip(), chosen, actor.username)
    except RuleViolation as exc:
        return render(request, "patient/new.html", status_code=400, error=str(exc), registry_id=registry_id,
                      centres=_centres(request, actor))
    return redirect(f"/patients/{registry_id.strip()}")


@router.get("/patients/{registry_id}")
def patient_page(request: Request, registry_id: str, actor: Reader, saved: int | None = None,
                 v: int | None = None) -> Response:
    store = web_of(request).store
    lang = lang_of(request)
    accounts.require_reach(store, actor, patient=registry_id)
    pid, card = open_card(store, registry_id, user=actor.username)
    hook = disease_hook(card.module)
    summary = None
    with store.session() as s:
        queried = queries.markers(s, patient_id=pid)
    if hook is not None:
        summary = hook.summary(store, registry_id, pid, actor.username, lang)
    view = build(store.dictionary, card, lang, summary)
    notes = []
    if saved is not None:
        notes.append(text("saved", lang, entry=str(saved), version=str(v or 1)))
    return render(request, "patient/view.html", view=view, dictionary=store.dictionary, notes=notes, shown=shown,
                  warning_text=warning_text,
                  may_write=actor.can(Permission.WRITE_PATIENTS), may_review=actor.can(Permission.REVIEW),
                  may_query=actor.can(Permission.QUERY), queried=queried,
                  query_count=sum(len(found) for found in queried.values()),
                  document_types=[(c.code, c.label.get(lang)) for c in store.dictionary.domains["document_type"].codes])


@router.post("/patients/{registry_id}/documents")
async def upload_document(request: Request, registry_id: str, actor: Writer, file: Annotated[UploadFile, File()],
                          document_type: Text, entry_date: Text,
                          description: Annotated[str, Form()] = "") -> Response:
    store = web_of(request).store
    data = await file.read(MAX_BYTES + 1)

    def store_it() -> None:
        accounts.require_reach(store, actor, patient=registry_id)
        attach(store, registry_id, data, filename=file.filename or "document.pdf", user=actor.username,
               document_type=document_type, entry_date=typed_date(entry_date), description=description or None)

    await run_in_threadpool(store_it)
    return redirect(f"/patients/{registry_id}#documents")
