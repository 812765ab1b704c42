"""Tables of the web registry: signed-in sessions, API tokens and failed sign-ins (secrets and addresses as hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oncobank.store.models import Base, Id, utcnow


class WebSession(Base):
    """One browser session: the SHA-256 of its cookie value, whose user, and when it began and was last used."""

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A token a user made for her own scripts: the SHA-256 of its secret, its name, and whether it is revoked."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FailedSignIn(Base):
    """A failed sign-in or a sign-up from one client address, kept while it counts against the address's limit.

    In the store, not in a worker's memory, so that N workers do not allow N times the limit. The address is kept
    as a keyed hash (HMAC-SHA256 with the deployment's secret): the table names no one's address."""

    __tablename__ = "failed_sign_in"
    __table_args__ = (Index("ix_failed_sign_in_address_at", "address_hash", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
