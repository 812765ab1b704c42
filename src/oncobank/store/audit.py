"""Append-only audit log of every read and write of patient data."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from oncobank.store.models import AuditEvent, Patient, User

ACTIONS = (
    "create_patient", "create", "edit", "retract", "reinstate", "review", "attach", "read", "read_attachment", "load",
    "publish", "account", "sign_in", "sign_out", "token", "structure", "query_open", "query_answer", "query_close",
    "query_reopen",
)
# The client address of the web request being served (None outside one); every event recorded in it carries it.
ADDRESS: ContextVar[str | None] = ContextVar("oncobank_audit_address", default=None)


def record(
    session: Session,
    action: str,
    user_id: int | None,
    patient_id: int | None = None,
    entry_id: int | None = None,
    **details: Any,
) -> None:
    """Write one audit event in the caller's transaction; details must hold no identifying values."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    address = ADDRESS.get()
    if address is not None:
        details.setdefault("address", address)
    session.execute(
        insert(AuditEvent).values(
            user_id=user_id, username=_names(session, [user_id]).get(user_id), action=action, patient_id=patient_id,
            entry_id=entry_id, details=details
        )
    )


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk form of `record` for jobs that touch many patients at once."""
    if rows:
        names = _names(session, {r["user_id"] for r in rows})
        rows = [{**r, "username": names.get(r["user_id"])} for r in rows]
        session.connection().execute(insert(AuditEvent.__table__), rows)  # Core executemany, not row by row


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int | None, str]:
    """The users' names now, so that each event keeps the name its user had when it happened."""
    wanted = sorted({u for u in user_ids if u is not None})
    if not wanted:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.username).where(User.id.in_(wanted)))}


def trail(session: Session, registry_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit events, for one patient or for all; `user` is the name the user had at the time."""
    query = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.username,
            AuditEvent.action,
            Patient.registry_id,
            AuditEvent.entry_id,
            AuditEvent.details,
        )
        .join(Patient, Patient.id == AuditEvent.patient_id, isouter=True)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if registry_id is not None:
        query = query.where(Patient.registry_id == registry_id)
    return [
        {
            "id": r.id,
            "at": _iso(r.at),
            "user": r.username,
            "action": r.action,
            "patient": r.registry_id,
            "entry": r.entry_id,
            "details": r.details,
        }
        for r in session.execute(query)
    ]


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
