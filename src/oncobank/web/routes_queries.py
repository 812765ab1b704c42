"""Pages of data queries: the list (per centre or patient, with filters), one query with its thread and the
answer, close and re-open forms, and opening a query on a field of an entry. The store decides who may do what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from oncobank.store import accounts, queries
from oncobank.store.access import Actor, Permission
from oncobank.store.queries import QueryFilter
from oncobank.web import patient_labels, query_labels  # noqa: F401  (registers the pages' labels)
from oncobank.web.deps import requires, web_of
from oncobank.web.pages import NAV, NavItem, lang_of, redirect, render

router = APIRouter()
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]
Writer = Annotated[Actor, Depends(requires(Permission.WRITE_PATIENTS))]
Asker = Annotated[Actor, Depends(requires(Permission.QUERY))]
Text = Annotated[str, Form()]
Optional = Annotated[str, Form()]
NAV.insert(2, NavItem("/queries", "queries", Permission.READ_PATIENTS))


def _list(request: Request, actor: Actor, wanted: QueryFilter, **more: object) -> Response:
    store = web_of(request).store
    found = queries.find(store, actor, wanted)
    lang = lang_of(request)
    sections = [(s.name, s.label.get(lang)) for s in store.dictionary.sections.values()]
    return render(request, "queries/list.html", found=found, wanted=wanted, statuses=queries.STATUSES,
                  limit=queries.LIST_LIMIT, labels=_field_labels(request, lang),
                  sections=sections, section_labels=dict(sections), **more)


def _field_labels(request: Request, lang: str) -> dict[tuple[str, str], str]:
    return {(s.name, f.name): f.label.get(lang) for s in web_of(request).store.dictionary.sections.values()
            for f in s.fields}


@router.get("/queries")
def query_list(request: Request, actor: Reader, status: str = "", patient: str = "", centre: str = "",
               section: str = "", mine: bool = False) -> Response:
    wanted = QueryFilter(status, patient.strip(), centre.strip() if actor.whole_registry else "", section, mine)
    return _list(request, actor, wanted)


@router.get("/patients/{registry_id}/queries")
def patient_queries(request: Request, registry_id: str, actor: Reader, status: str = "") -> Response:
    accounts.require_reach(web_of(request).store, actor, patient=registry_id)
    return _list(request, actor, QueryFilter(status=status, patient=registry_id), patient=registry_id)


@router.get("/queries/{query_id}")
def query_page(request: Request, query_id: int, actor: Reader) -> Response:
    found = queries.get(web_of(request).store, actor, query_id)
    return render(request, "queries/query.html", q=found, label=_field_labels(request, lang_of(request)),
                  may_answer=actor.can(Permission.WRITE_PATIENTS), may_close=actor.can(Permission.QUERY))


@router.post("/entries/{entry_id}/queries")
def open_query(request: Request, entry_id: int, actor: Asker, field: Text, text: Text,
               suggested: Optional = "") -> Response:
    query_id = queries.open_query(web_of(request).store, actor, entry_id, field, text, suggested or None)
    return redirect(f"/queries/{query_id}")


def _step(request: Request, actor: Actor, query_id: int, name: str, text: str) -> Response:
    queries.step(web_of(request).store, actor, query_id, name, text or None)
    return redirect(f"/queries/{query_id}")


@router.post("/queries/{query_id}/answer")
def answer(request: Request, query_id: int, actor: Writer, text: Text) -> Response:
    return _step(request, actor, query_id, "answer", text)


@router.post("/queries/{query_id}/close")
def close(request: Request, query_id: int, actor: Asker, text: Optional = "") -> Response:
    return _step(request, actor, query_id, "close", text)


@router.post("/queries/{query_id}/reopen")
def reopen(request: Request, query_id: int, actor: Asker, text: Text) -> Response:
    return _step(request, actor, query_id, "reopen", text)
