"""Administration pages: approve, reject, disable, enable and reset accounts; the audit log with filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from oncobank.store import accounts
from oncobank.store.access import SYSTEM, AccessDenied, Actor, Permission, Role
from oncobank.store.audit import ACTIONS
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import AuditEvent, Patient, User
from oncobank.web.deps import requires, web_of
from oncobank.web.labels import text
from oncobank.web.pages import lang_of, redirect, render
from oncobank.web.passwords import hash_password, one_time_password
from oncobank.web.sessions import end_sessions_of
from oncobank.web.signin import aware

router = APIRouter(prefix="/admin")
Manager = Annotated[Actor, Depends(requires(Permission.MANAGE_USERS))]
SHOWN_EVENTS = 200


def _users_page(request: Request, actor: Actor, notes: list[str] | None = None, status_code: int = 200) -> Response:
    web = web_of(request)
    listed = accounts.accounts(web.store, by=actor)
    with web.store.session() as s:
        locks = {name: aware(until) for name, until in s.execute(
            select(User.username, User.locked_until).where(User.locked_until.is_not(None), User.role != SYSTEM))}
    now = datetime.now(UTC)
    locked = {name: until for name, until in locks.items() if until is not None and until > now}
    roles = [r for r in Role if actor.may_manage(r, actor.centre_id)]
    return render(request, "admin/users.html", status_code=status_code, notes=notes or [],
                  pending=[a for a in listed if a.status == "pending"], users=listed, locked=locked, roles=roles)


@router.get("/users")
def users(request: Request, actor: Manager) -> Response:
    return _users_page(request, actor)


@router.post("/users/{username}/approve")
def approve(request: Request, username: str, actor: Manager, role: Annotated[str, Form()] = "clinician") -> Response:
    """Make a pending account active, with the role the approver gives it (the sign-up asks for clinician)."""
    accounts.change_user(web_of(request).store, username, by=actor, role=role, status="active")
    return redirect("/admin/users")


def _set_status(request: Request, username: str, actor: Actor, status: str) -> Response:
    web = web_of(request)
    accounts.change_user(web.store, username, by=actor, status=status)
    if status != "active":
        end_sessions_of(web.store, username)
    return redirect("/admin/users")


@router.post("/users/{username}/reject")
def reject(request: Request, username: str, actor: Manager) -> Response:
    """Refuse a sign-up: the account stays, disabled, because the audit log names it."""
    return _set_status(request, username, actor, "disabled")


@router.post("/users/{username}/disable")
def disable(request: Request, username: str, actor: Manager) -> Response:
    return _set_status(request, username, actor, "disabled")


@router.post("/users/{username}/enable")
def enable(request: Request, username: str, actor: Manager) -> Response:
    """Activate an account again; this also lifts a lockout."""
    return _set_status(request, username, actor, "active")


@router.post("/users/{username}/reset")
def reset(request: Request, username: str, actor: Manager) -> Response:
    """Give the account a one-time password, shown once to the administrator; it unlocks the account, ends its
    sessions, and must be replaced at the next sign-in."""
    web = web_of(request)
    with web.store.session() as s:
        found = s.execute(select(User.role, User.centre_id).where(User.username == username,
                                                                  User.role != SYSTEM)).one_or_none()
    if found is None:
        raise NotFound(f"no user {username}")
    if not actor.may_manage(Role(found.role), found.centre_id):
        raise AccessDenied(f"user {actor.username} ({actor.role}) may not reset the password of {username}")
    password = one_time_password()
    accounts.set_password_hash(web.store, username, hash_password(password, one_time=True), by=actor)
    end_sessions_of(web.store, username)
    return _users_page(request, actor, [text("one_time_password", lang_of(request), user=username,
                                             password=password)])


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RuleViolation(f"date {value!r}: expected YYYY-MM-DD") from None


@router.get("/audit")
def audit_page(request: Request, actor: Annotated[Actor, Depends(requires(Permission.READ_AUDIT))],
               user: str = "", patient: str = "", action: str = "", start: str = "", end: str = "") -> Response:
    """The newest audit events, filtered by user, patient (registry ID), action and a range of days (UTC)."""
    query = (select(AuditEvent, Patient.registry_id).join(Patient, Patient.id == AuditEvent.patient_id, isouter=True)
             .order_by(AuditEvent.id.desc()).limit(SHOWN_EVENTS))
    if user:
        query = query.where(AuditEvent.username == user)
    if patient:
        query = query.where(Patient.registry_id == patient)
    if action:
        if action not in ACTIONS:
            raise RuleViolation(f"action {action!r}: expected one of {', '.join(ACTIONS)}")
        query = query.where(AuditEvent.action == action)
    first, last = _day(start), _day(end)
    if first:
        query = query.where(AuditEvent.at >= datetime.combine(first, time(), UTC))
    if last:
        query = query.where(AuditEvent.at < datetime.combine(last + timedelta(days=1), time(), UTC))
    with web_of(request).store.session() as s:
        events = [_event(e, rid) for e, rid in s.execute(query)]
    filters = {"user": user, "patient": patient, "action": action, "start": start, "end": end}
    return render(request, "admin/audit.html", events=events, filters=filters, actions=ACTIONS)


def _event(event: AuditEvent, registry_id: str | None) -> dict[str, Any]:
    details = dict(event.details or {})
    return {"at": aware(event.at), "user": event.username, "action": event.action, "patient": registry_id,
            "entry": event.entry_id, "address": details.pop("address", None),
            "details": ", ".join(f"{k}={v}" for k, v in sorted(details.items()))}
