"""Password hashes (argon2id) and the rule a new password must meet; a reset password is marked one-time."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
ONE_TIME = "once:"  # prefix of the hash of a password an administrator set: it must be changed at sign-in
_hasher = PasswordHasher()  # argon2id with the library's recommended cost (RFC 9106, low-memory profile)
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))  # verified against when there is no account, to take as long


def hash_password(password: str, *, one_time: bool = False) -> str:
    return (ONE_TIME if one_time else "") + _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; with no hash, a dummy one is checked so that time tells nothing."""
    target = _DUMMY if not stored else stored.removeprefix(ONE_TIME)
    try:
        ok = _hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and bool(stored)


def is_one_time(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(ONE_TIME)  # type: ignore[union-attr]


def password_problem(password: str, again: str | None = None) -> str | None:
    """The label key of what is wrong with a new password (None: it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return "password_short"
    if again is not None and again != password:
        return "passwords_differ"
    return None


def one_time_password() -> str:
    """A random password an administrator hands over (about 72 bits, easy to read aloud: no 0/O or 1/l)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
