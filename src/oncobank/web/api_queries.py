"""The REST API of data queries under /api: list, read, open on a field of an entry, answer, close, re-open.

The same store calls as the pages (`oncobank.store.queries`), so the same permissions and the same centre wall."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from oncobank.store import queries
from oncobank.store.access import Actor, Permission
from oncobank.store.queries import QueryFilter
from oncobank.web.deps import requires, web_of

router = APIRouter(prefix="/api", tags=["data queries"])
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]
Writer = Annotated[Actor, Depends(requires(Permission.WRITE_PATIENTS))]
Asker = Annotated[Actor, Depends(requires(Permission.QUERY))]


class QueryIn(BaseModel):
    field: str = Field(description="The field of the entry the question is about.")
    text: str = Field(description="The question.")
    suggested: str | None = Field(None, description="The value the asker suggests, if any.")


class StepIn(BaseModel):
    text: str | None = Field(None, description="The answer or comment (needed to answer or re-open).")


@router.get("/queries", summary="Data queries within the user's reach, newest change first")
def query_list(request: Request, actor: Reader, status: str = "", patient: str = "", centre: str = "",
               section: str = "", mine: bool = False) -> dict[str, Any]:
    wanted = QueryFilter(status, patient, centre, section, mine)
    return {"items": [q.to_dict() for q in queries.find(web_of(request).store, actor, wanted)]}


@router.get("/queries/{query_id}", summary="One data query with its thread")
def query(request: Request, query_id: int, actor: Reader) -> dict[str, Any]:
    return queries.get(web_of(request).store, actor, query_id).to_dict()


@router.post("/entries/{entry_id}/queries", status_code=201, summary="Open a data query on a field of an entry")
def open_query(request: Request, entry_id: int, actor: Asker, body: QueryIn) -> dict[str, Any]:
    query_id = queries.open_query(web_of(request).store, actor, entry_id, body.field, body.text, body.suggested)
    return {"id": query_id, "status": queries.OPEN}


def _step(request: Request, actor: Actor, query_id: int, name: str, body: StepIn) -> dict[str, Any]:
    return {"id": query_id, "status": queries.step(web_of(request).store, actor, query_id, name, body.text)}


@router.post("/queries/{query_id}/answer", summary="Answer a data query (the clinician)")
def answer(request: Request, query_id: int, actor: Writer, body: StepIn) -> dict[str, Any]:
    return _step(request, actor, query_id, "answer", body)


@router.post("/queries/{query_id}/close", summary="Close a data query")
def close(request: Request, query_id: int, actor: Asker, body: StepIn) -> dict[str, Any]:
    return _step(request, actor, query_id, "close", body)


@router.post("/queries/{query_id}/reopen", summary="Re-open a data query")
def reopen(request: Request, query_id: int, actor: Asker, body: StepIn) -> dict[str, Any]:
    return _step(request, actor, query_id, "reopen", body)
