"""First start of the web registry: administrators without a password get a one-time one."""

from __future__ import annotations

from sqlalchemy import select

from oncobank.store import accounts
from oncobank.store.access import Role
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import User
from oncobank.web.passwords import hash_password, one_time_password


def first_passwords(store: ClinicalStore) -> list[tuple[str, str]]:
    """Give each active administrator who has no password a one-time one; returns (name, password) to show."""
    with store.session() as s:
        names = list(s.scalars(select(User.username).where(User.role == str(Role.ADMINISTRATOR),
                                                           User.status == "active", User.password_hash.is_(None))))
    given = []
    for name in names:
        password = one_time_password()
        accounts.set_password_hash(store, name, hash_password(password, one_time=True), by=None)
        given.append((name, password))
    return given
