"""Accounts in the clinical store: register, change and list users, and resolve who is acting (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import clip
from oncobank.store import audit
from oncobank.store.access import SYSTEM, AccessDenied, Actor, Role, check_account, role_of
from oncobank.store.codes import code_issue
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Attachment, Centre, Entry, Patient, User

if TYPE_CHECKING:
    from oncobank.store.clinical import ClinicalStore

STATUSES = ("active", "pending", "disabled")
PROFILE = ("full_name", "email", "specialty")


@dataclass(frozen=True)
class Account:
    """One account as an administrator sees it (never its password hash)."""

    username: str
    role: str
    centre: str | None
    status: str
    full_name: str | None
    email: str | None
    specialty: str | None
    created_at: datetime


def add_user(store: ClinicalStore, username: str, role: str, *, by: Actor | None, centre: str | None = None,
             status: str = "active", **profile: str | None) -> int:
    """Register an account; `by` None is the store itself (the first administrator, the system account)."""
    wanted = _role(role, system_ok=by is None)
    _check_name(username, system_ok=by is None)
    with store.session() as s:
        centre_id = _centre_id(s, centre)
        if wanted is not None:
            check_account(wanted, centre_id)
            _may_manage(by, wanted, centre_id)
        values = {"username": username, "role": str(wanted or SYSTEM), "centre_id": centre_id,
                  "status": _status(status), **_profile(profile)}
        try:
            with s.begin_nested():
                uid = s.execute(insert(User).values(**values).returning(User.id)).scalar_one()
        except IntegrityError:
            raise RuleViolation(f"user {username} is already registered") from None
        audit.record(s, "account", by.id if by else None, change="created", account=username, role=values["role"],
                     centre=centre, status=values["status"])
        return uid


def change_user(store: ClinicalStore, username: str, *, by: Actor, role: str | None = None,
                centre: str | None = None, status: str | None = None, **profile: str | None) -> None:
    """Change an account's role, centre, status or profile (the name never changes: history is kept by it)."""
    with store.session() as s:
        row = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if row is None or row.role == SYSTEM:
            raise NotFound(f"no user {username}")
        old_role = role_of(row.role)
        new_role = old_role if role is None else _role(role, system_ok=False)
        centre_id = row.centre_id if centre is None else _centre_id(s, centre or None)
        _may_manage(by, old_role, row.centre_id)
        _may_manage(by, new_role, centre_id)
        check_account(new_role, centre_id)
        if username == by.username and (new_role is not old_role or status not in (None, "active")):
            raise AccessDenied("you cannot change your own role or disable your own account")
        changes: dict[str, Any] = {"role": str(new_role), "centre_id": centre_id, **_profile(profile)}
        if status is not None:
            changes["status"] = _status(status)
            if status == "active":
                changes.update(failed_logins=0, locked_until=None)
        shown = {k: v for k, v in changes.items() if k in ("role", "status") and v != getattr(row, k)}
        if centre_id != row.centre_id:
            shown["centre"] = centre or None
        s.execute(update(User).where(User.id == row.id).values(**changes, changed_at=datetime.now(UTC)))
        audit.record(s, "account", by.id, change="changed", account=username, **shown,
                     profile=sorted(k for k, v in profile.items() if v is not None))


def set_password_hash(store: ClinicalStore, username: str, password_hash: str, *, by: Actor | None) -> None:
    """Store a new password hash (argon2, made by the caller); audited without the hash."""
    with store.session() as s:
        uid = s.scalar(select(User.id).where(User.username == username, User.role != SYSTEM))
        if uid is None:
            raise NotFound(f"no user {username}")
        s.execute(update(User).where(User.id == uid).values(password_hash=password_hash, failed_logins=0,
                                                             locked_until=None, changed_at=datetime.now(UTC)))
        audit.record(s, "account", by.id if by else uid, change="password", account=username)


def accounts(store: ClinicalStore, *, by: Actor) -> list[Account]:
    """The accounts `by` may manage: all for an administrator, her centre's for a centre's data manager."""
    query = (select(User, Centre.code).join(Centre, Centre.id == User.centre_id, isouter=True)
             .where(User.role != SYSTEM).order_by(User.username))
    if not by.whole_registry:
        query = query.where(User.centre_id == by.centre_id)
    with store.session() as s:
        return [Account(u.username, u.role, code, u.status, u.full_name, u.email, u.specialty, u.created_at)
                for u, code in s.execute(query)]


def acting(store: ClinicalStore, username: str) -> Actor:
    """The registered, active user called `username`, or AccessDenied saying why not (nothing is created)."""
    if username == SYSTEM:
        raise AccessDenied(f"nobody may act as {SYSTEM!r}: it is the store's own account")
    with store.session() as s:
        row = s.execute(select(User, Centre.code).join(Centre, Centre.id == User.centre_id, isouter=True)
                        .where(User.username == username)).one_or_none()
    if row is None:
        raise AccessDenied(f"user {clip(username, 64)} is not registered in this store; an administrator adds it "
                           f"with `oncobank user add NAME --role ROLE --centre CODE`")
    user, code = row
    if user.status != "active":
        raise AccessDenied(f"user {username}'s account is {user.status}; an administrator can activate it")
    role = role_of(user.role)
    try:
        check_account(role, user.centre_id)
    except AccessDenied as exc:
        raise AccessDenied(f"user {username}'s account cannot act: {exc}") from None
    return Actor(user.id, username, role, user.centre_id, code)


def set_up(store: ClinicalStore, administrator: str | None) -> str | None:
    """Register the store's own account and, when the store has no active administrator, the first one.

    Returns the name of the administrator created, or None when there already was one (or none was asked for).
    """
    store.ensure_user(SYSTEM, role=SYSTEM)
    if administrator is None or has_administrator(store):
        return None
    with store.session() as s:
        found = s.execute(select(User).where(User.username == administrator)).scalar_one_or_none()
        if found is not None and found.role != SYSTEM:  # an account of an older store becomes its administrator
            s.execute(update(User).where(User.id == found.id).values(
                role=str(Role.ADMINISTRATOR), centre_id=None, status="active", changed_at=datetime.now(UTC)))
            audit.record(s, "account", None, change="changed", account=administrator, role=str(Role.ADMINISTRATOR))
            return administrator
    add_user(store, administrator, str(Role.ADMINISTRATOR), by=None)
    return administrator


def has_administrator(store: ClinicalStore) -> bool:
    with store.session() as s:
        found = s.scalar(select(func.count()).select_from(User)
                         .where(User.role == str(Role.ADMINISTRATOR), User.status == "active"))
    return bool(found)


def require_reach(store: ClinicalStore, actor: Actor, *, patient: str | None = None, entry: int | None = None,
                  attachment: int | None = None) -> None:
    """Refuse a patient (or an entry or attachment of one) outside the actor's reach exactly as one that does not
    exist, so that a patient of another centre cannot be read, counted or guessed."""
    for what, key, query in (
        ("patient", patient, select(Patient.centre_id).where(Patient.registry_id == patient)),
        ("entry", entry, select(Patient.centre_id).join(Entry, Entry.patient_id == Patient.id)
         .where(Entry.id == entry)),
        ("attachment", attachment, select(Patient.centre_id).join(Attachment, Attachment.patient_id == Patient.id)
         .where(Attachment.id == attachment)),
    ):
        if key is None:
            continue
        with store.session() as s:
            centre_id = s.scalar(query)
        if centre_id is None or not actor.reaches(centre_id):
            raise NotFound(f"no {what} {key}")


def _role(name: str, *, system_ok: bool) -> Role | None:
    if name == SYSTEM and system_ok:
        return None
    return role_of(name)


def _check_name(username: str, *, system_ok: bool) -> None:
    issue = code_issue("username", username, User.username, section="user")
    if issue is not None:
        raise RuleViolation(str(issue))
    if username == SYSTEM and not system_ok:
        raise AccessDenied(f"{SYSTEM!r} is the store's own account and cannot be registered")


def _centre_id(s: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = s.scalar(select(Centre.id).where(Centre.code == code))
    if found is None:
        raise NotFound(f"no centre {code}")
    return found


def _may_manage(by: Actor | None, role: Role, centre_id: int | None) -> None:
    if by is not None and not by.may_manage(role, centre_id):
        raise AccessDenied(f"user {by.username} ({by.role}) may not manage {role} accounts"
                           + ("" if by.whole_registry else f" outside centre {by.centre_code}"))


def _status(status: str) -> str:
    if status not in STATUSES:
        raise RuleViolation(f"account status {status!r}: expected one of {', '.join(STATUSES)}")
    return status


def _profile(profile: dict[str, str | None]) -> dict[str, str]:
    unknown = set(profile) - set(PROFILE)
    if unknown:
        raise TypeError(f"unknown account fields: {', '.join(sorted(unknown))}")
    given = {k: v for k, v in profile.items() if v is not None}
    for key, value in given.items():
        issue = code_issue(key, value, getattr(User, key), section="user")
        if issue is not None:
            raise RuleViolation(str(issue))
    return given
