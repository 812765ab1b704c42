"""Data queries (REDCap's data resolution workflow): a reviewer or data manager asks about one field of an entry,
the clinician answers, the asking side closes or re-opens it; every step is a message of its thread and an audited
event. The CLI, the pages and the API call these functions; permissions and the centre wall are checked here.

Statuses: open (asked or re-opened) → answered (the clinician replied) → closed; closed or answered → open again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import text_problem
from oncobank.store import accounts, audit
from oncobank.store.access import Actor, Permission
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Centre, Entry, Patient, User, utcnow
from oncobank.store.queries.models import DataQuery, QueryMessage

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATUSES = (OPEN, ANSWERED, CLOSED)
TEXT_LIMIT = 4000
LIST_LIMIT = 500
# step -> (permission, statuses it starts from, status it leads to)
STEPS: dict[str, tuple[Permission, tuple[str, ...], str]] = {
    "answer": (Permission.WRITE_PATIENTS, (OPEN, ANSWERED), ANSWERED),
    "close": (Permission.QUERY, (OPEN, ANSWERED), CLOSED),
    "reopen": (Permission.QUERY, (ANSWERED, CLOSED), OPEN),
}
WHAT = {
    "open": "open data queries",
    "answer": "answer data queries",
    "close": "close data queries",
    "reopen": "re-open data queries",
}


@dataclass(frozen=True)
class Message:
    step: str
    author: str
    at: datetime
    text: str | None
    suggested: str | None = None


@dataclass
class QueryView:
    """A query as lists and pages show it: where it points, its status, who opened it, (on its page) its thread."""

    id: int
    registry_id: str
    centre: str
    entry_id: int
    section: str
    field: str
    status: str
    opened_by: str
    opened_at: datetime
    changed_at: datetime
    messages: list[Message] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "patient": self.registry_id,
            "centre": self.centre,
            "entry": self.entry_id,
            "section": self.section,
            "field": self.field,
            "status": self.status,
            "opened_by": self.opened_by,
            "opened_at": self.opened_at.isoformat(),
            "changed_at": self.changed_at.isoformat(),
            "messages": [
                {"step": m.step, "author": m.author, "at": m.at.isoformat(), "text": m.text, "suggested": m.suggested}
                for m in self.messages
            ],
        }


@dataclass(frozen=True)
class QueryFilter:
    """What a list asks for; empty strings ask for everything within the user's reach."""

    status: str = ""
    patient: str = ""
    centre: str = ""
    section: str = ""
    mine: bool = False  # only the queries the user opened


def _text(what: str, raw: str | None, *, required: bool) -> str | None:
    value = (raw or "").strip()
    if not value:
        if required:
            raise RuleViolation(f"data query: {what} is empty; say what is asked or answered")
        return None
    problem = text_problem(value, TEXT_LIMIT, single_line=False)
    if problem is not None:
        raise RuleViolation(f"data query, {what}: {problem[1]} [rule: {problem[0]}]")
    return value


def open_query(
    store: ClinicalStore, actor: Actor, entry_id: int, field_name: str, text: str, suggested: str | None = None
) -> int:
    """Ask about `field_name` of entry `entry_id`; the new query's ID."""
    actor.require(Permission.QUERY, WHAT["open"])
    accounts.require_reach(store, actor, entry=entry_id)
    asked = _text("the question", text, required=True)
    proposal = _text("the suggested value", suggested, required=False)
    with store.session() as s:
        entry = store.get_entry(s, entry_id)
        section = store.dictionary.section(entry.section)
        if field_name not in {f.name for f in section.fields}:
            raise RuleViolation(f"entry {entry_id}: section {entry.section} has no field {field_name!r}")
        query_id = s.execute(
            insert(DataQuery)
            .values(
                patient_id=entry.patient_id,
                entry_id=entry_id,
                field=field_name,
                status=OPEN,
                opened_by=actor.id,
            )
            .returning(DataQuery.id)
        ).scalar_one()
        s.execute(
            insert(QueryMessage).values(
                query_id=query_id, step="open", author_id=actor.id, text=asked, suggested=proposal
            )
        )
        audit.record(
            s,
            "query_open",
            actor.id,
            entry.patient_id,
            entry_id,
            query=query_id,
            field=field_name,
            section=entry.section,
        )
        return query_id


def step(store: ClinicalStore, actor: Actor, query_id: int, name: str, text: str | None = None) -> str:
    """Answer, close or re-open query `query_id` (an answer or a re-opening says why); the status it now has."""
    permission, starts, leads = STEPS[name]
    actor.require(permission, WHAT[name])
    said = _text("the answer" if name == "answer" else "the comment", text, required=name != "close")
    with store.session() as s:
        found = _reachable(s, actor, query_id)
        if found.status not in starts:
            raise RuleViolation(f"data query {query_id} is {found.status}: it cannot be {_done(name)}")
        s.execute(update(DataQuery).where(DataQuery.id == query_id).values(status=leads, changed_at=utcnow()))
        s.execute(insert(QueryMessage).values(query_id=query_id, step=name, author_id=actor.id, text=said))
        audit.record(
            s,
            f"query_{name}",
            actor.id,
            found.patient_id,
            found.entry_id,
            query=query_id,
            field=found.field,
            status=leads,
        )
    return leads


def _done(name: str) -> str:
    return {"answer": "answered", "close": "closed", "reopen": "re-opened"}[name]


def _reachable(s: Session, actor: Actor, query_id: int) -> DataQuery:
    """The query, if its patient is within the user's reach; "no data query N" otherwise, as if it did not exist."""
    found = s.get(DataQuery, query_id)
    centre = None if found is None else s.scalar(select(Patient.centre_id).where(Patient.id == found.patient_id))
    if found is None or centre is None or not actor.reaches(centre):
        raise NotFound(f"no data query {query_id}")
    return found


def _listing(actor: Actor) -> Select[Any]:
    query = (
        select(DataQuery, Patient.registry_id, Centre.code, Entry.section, User.username)
        .join(Patient, Patient.id == DataQuery.patient_id)
        .join(Centre, Centre.id == Patient.centre_id)
        .join(Entry, Entry.id == DataQuery.entry_id)
        .join(User, User.id == DataQuery.opened_by)
    )
    return query if actor.whole_registry else query.where(Patient.centre_id == actor.centre_id)


def _view(row: Any) -> QueryView:
    q, registry_id, centre, section, opener = row
    return QueryView(
        q.id, registry_id, centre, q.entry_id, section, q.field, q.status, opener, q.opened_at, q.changed_at
    )


def find(
    store: ClinicalStore, actor: Actor, wanted: QueryFilter = QueryFilter(), limit: int = LIST_LIMIT
) -> list[QueryView]:
    """The queries within the user's reach that match `wanted`, newest change first (an audited read)."""
    actor.require(Permission.READ_PATIENTS, "read data queries")
    query = _listing(actor).order_by(DataQuery.changed_at.desc(), DataQuery.id.desc()).limit(limit)
    if wanted.status in STATUSES:
        query = query.where(DataQuery.status == wanted.status)
    if wanted.patient:
        query = query.where(Patient.registry_id == wanted.patient)
    if wanted.centre:
        query = query.where(Centre.code == wanted.centre)
    if wanted.section:
        query = query.where(Entry.section == wanted.section)
    if wanted.mine:
        query = query.where(DataQuery.opened_by == actor.id)
    with store.session() as s:
        found = [_view(r) for r in s.execute(query)]
        # A one-patient list is a read of that patient, if she is within reach (else nothing was shown).
        patient = _reached(s, actor, wanted.patient) if wanted.patient else None
        audit.record(s, "read", actor.id, patient, what="data_queries", shown=len(found))
    return found


def _reached(s: Session, actor: Actor, registry_id: str) -> int | None:
    query = select(Patient.id).where(Patient.registry_id == registry_id)
    return s.scalar(query if actor.whole_registry else query.where(Patient.centre_id == actor.centre_id))


def get(store: ClinicalStore, actor: Actor, query_id: int) -> QueryView:
    """One query with its thread (an audited read)."""
    actor.require(Permission.READ_PATIENTS, "read data queries")
    with store.session() as s:
        found = _reachable(s, actor, query_id)
        view = _view(s.execute(_listing(actor).where(DataQuery.id == query_id)).one())
        thread = (
            select(QueryMessage, User.username)
            .join(User, User.id == QueryMessage.author_id)
            .where(QueryMessage.query_id == query_id)
            .order_by(QueryMessage.id)
        )
        view.messages = [Message(m.step, name, m.at, m.text, m.suggested) for m, name in s.execute(thread)]
        audit.record(s, "read", actor.id, found.patient_id, found.entry_id, what="data_query", query=query_id)
    return view


def markers(
    s: Session, *, patient_id: int | None = None, entry_id: int | None = None
) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """The queries not closed of a patient (or of one entry), per (entry, field): [(query ID, status)], for the marks
    on the patient view and the forms."""
    found: dict[tuple[int, str], list[tuple[int, str]]] = {}
    query = select(DataQuery.entry_id, DataQuery.field, DataQuery.id, DataQuery.status).where(
        DataQuery.status != CLOSED
    )
    if patient_id is not None:
        query = query.where(DataQuery.patient_id == patient_id)
    if entry_id is not None:
        query = query.where(DataQuery.entry_id == entry_id)
    for entry, name, query_id, status in s.execute(query.order_by(DataQuery.id)):
        found.setdefault((entry, name), []).append((query_id, status))
    return found
