"""Browser sessions and API tokens: random secrets handed out once, kept in the store only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import User
from oncobank.web.models import ApiToken, WebSession
from oncobank.web.signin import aware

TOKEN_PREFIX = "obk_"  # API tokens are recognisable in a script or a leaked file
TOUCH_EVERY = timedelta(seconds=60)  # a session's last use is written at most once a minute


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: `idle` since its last request, `absolute` since sign-in."""

    idle: timedelta
    absolute: timedelta


def open_session(store: ClinicalStore, user_id: int) -> str:
    """Start a session for the user; returns the cookie value (shown nowhere else)."""
    secret = secrets.token_urlsafe(32)
    with store.session() as s:
        s.execute(insert(WebSession).values(token_hash=digest(secret), user_id=user_id))
    return secret


def session_user(store: ClinicalStore, secret: str, lifetime: Lifetime) -> str | None:
    """The user name of a live session (None: unknown, ended, idle too long or too old; an expired one is ended)."""
    now = datetime.now(UTC)
    with store.session() as s:
        row = s.execute(select(WebSession, User.username).join(User, User.id == WebSession.user_id)
                        .where(WebSession.token_hash == digest(secret))).one_or_none()
        if row is None or row[0].ended_at is not None:
            return None
        found, username = row
        seen, began = aware(found.last_seen), aware(found.created_at)
        assert seen is not None and began is not None
        if now - seen > lifetime.idle or now - began > lifetime.absolute:
            s.execute(update(WebSession).where(WebSession.id == found.id).values(ended_at=now))
            return None
        if now - seen > TOUCH_EVERY:
            s.execute(update(WebSession).where(WebSession.id == found.id).values(last_seen=now))
        return username


def end_session(store: ClinicalStore, secret: str) -> None:
    with store.session() as s:
        s.execute(update(WebSession).where(WebSession.token_hash == digest(secret), WebSession.ended_at.is_(None))
                  .values(ended_at=datetime.now(UTC)))


def end_sessions_of(store: ClinicalStore, username: str) -> None:
    """End every session of a user (her password changed or was reset, her account was changed)."""
    with store.session() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        s.execute(update(WebSession).where(WebSession.user_id == uid, WebSession.ended_at.is_(None))
                  .values(ended_at=datetime.now(UTC)))


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    created_at: datetime
    last_used: datetime | None
    revoked: bool


def create_token(store: ClinicalStore, user_id: int, name: str) -> str:
    """A new API token for the user herself; returns the secret (shown once, stored only as its hash)."""
    name = name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise RuleViolation("token name: 1 to 100 printable characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as s:
        token_id = s.execute(insert(ApiToken).values(token_hash=digest(secret), user_id=user_id, name=name)
                             .returning(ApiToken.id)).scalar_one()
        audit.record(s, "token", user_id, change="created", token=token_id)
    return secret


def revoke_token(store: ClinicalStore, user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's is refused as one that does not exist)."""
    with store.session() as s:
        done = s.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id,
                                                ApiToken.revoked_at.is_(None))
                         .values(revoked_at=datetime.now(UTC)))
        if done.rowcount != 1:
            raise NotFound(f"no token {token_id}")
        audit.record(s, "token", user_id, change="revoked", token=token_id)


def tokens_of(store: ClinicalStore, user_id: int) -> list[TokenView]:
    with store.session() as s:
        rows = s.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
        return [TokenView(t.id, t.name, t.created_at, t.last_used, t.revoked_at is not None) for t in rows]


def token_user(store: ClinicalStore, secret: str) -> str | None:
    """The user name an unrevoked API token belongs to (None otherwise); its last use is noted."""
    now = datetime.now(UTC)
    with store.session() as s:
        row = s.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                        .where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None))).one_or_none()
        if row is None:
            return None
        token, username = row
        used = aware(token.last_used)
        if used is None or now - used > TOUCH_EVERY:
            s.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used=now))
        return username
