"""Signing in: the password check, the per-account lockout after repeated failures, the per-address throttle."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from oncobank.store import audit
from oncobank.store.access import SYSTEM
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import User
from oncobank.web.models import FailedSignIn
from oncobank.web.passwords import is_one_time, verify_password


@dataclass(frozen=True)
class Outcome:
    """How a sign-in ended: `ok`, `failed`, `locked`, `pending` or `disabled`; the user when the password matched."""

    kind: str
    user_id: int | None = None
    must_change: bool = False


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite hands back naive datetimes of what was written in UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def sign_in(store: ClinicalStore, username: str, password: str, *, max_failures: int, lock: timedelta) -> Outcome:
    """Check a user's password; `max_failures` wrong ones in a row lock the account for `lock` (audited)."""
    now = datetime.now(UTC)
    with store.session() as s:
        user = s.execute(select(User).where(User.username == username, User.role != SYSTEM)).scalar_one_or_none()
        if user is None:
            verify_password(None, password)  # as long as a real check
            return Outcome("failed")
        locked = aware(user.locked_until)
        if locked is not None and locked > now:
            return Outcome("locked")
        if not verify_password(user.password_hash, password):
            failures = user.failed_logins + 1
            values: dict[str, object] = {"failed_logins": failures}
            if failures >= max_failures:
                values.update(failed_logins=0, locked_until=now + lock)
                audit.record(s, "account", None, change="locked", account=username, failures=failures)
            s.execute(update(User).where(User.id == user.id).values(**values))
            return Outcome("locked" if failures >= max_failures else "failed")
        if user.status != "active":
            return Outcome(user.status)
        s.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
        audit.record(s, "sign_in", user.id)
        return Outcome("ok", user.id, is_one_time(user.password_hash))


class Throttle:
    """At most `limit` failed sign-ins per client address in a sliding `window` of seconds, for every worker at once.

    The failures are rows in the store (the address as a keyed hash), so N workers share one count; two requests
    racing past the check at the same moment may each add one more, never N times the limit."""

    def __init__(self, store: ClinicalStore, secret: bytes, limit: int, window: float) -> None:
        self.store, self.secret, self.limit, self.window = store, secret, limit, window

    def blocked(self, address: str) -> bool:
        since = datetime.now(UTC) - timedelta(seconds=self.window)
        with self.store.session() as s:
            found = s.execute(select(func.count()).select_from(FailedSignIn)
                              .where(FailedSignIn.address_hash == self._hash(address), FailedSignIn.at > since))
            return found.scalar_one() >= self.limit

    def failed(self, address: str) -> None:
        now = datetime.now(UTC)
        with self.store.session() as s:
            s.execute(delete(FailedSignIn).where(FailedSignIn.at <= now - timedelta(seconds=self.window)))
            s.execute(insert(FailedSignIn).values(address_hash=self._hash(address), at=now))

    def _hash(self, address: str) -> str:
        return hmac.new(self.secret, address.encode(), hashlib.sha256).hexdigest()
