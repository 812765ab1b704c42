"""Web fixtures: a store with two centres and one account per role, the app on it, and clients signed in as each.

`web_client(name)` gives a TestClient signed in as `name` (a session made directly, without the password step),
whose `csrf` attribute is the token its forms and unsafe API calls carry; `anonymous` is a client never signed in.
The TestClient speaks https://testserver, so the cookies keep their Secure flag as in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oncobank.store import accounts
from oncobank.store.clinical import ClinicalStore
from oncobank.web.app import create_app
from oncobank.web.deps import SESSION_COOKIE, token_for
from oncobank.web.passwords import hash_password
from oncobank.web.sessions import open_session

SECRET = b"test-secret-of-the-csrf-tokens"
PASSWORD = "correct horse battery"
# One account per role; centre-bound ones at C01, plus a clinician of the other centre, C02.
PEOPLE: dict[str, tuple[str, str | None]] = {
    "admin": ("administrator", None),
    "dm_c01": ("data_manager", "C01"),
    "dr_ivanova": ("clinician", "C01"),
    "dr_petrov": ("reviewer", "C01"),
    "ai_eval": ("ai_evaluator", None),
    "researcher": ("researcher", None),
    "dr_sidorov": ("clinician", "C02"),
}
ROLE_USER = {role: name for name, (role, _) in PEOPLE.items() if name != "dr_sidorov"}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: one hash serves every account


@pytest.fixture
def web_store(store: ClinicalStore, password_hash: str) -> ClinicalStore:
    """The conftest `store` with centre C02, an account of every role (password PASSWORD) and patient TH-000001
    of centre C01 with demographics, one laboratory entry and a PDF."""
    store.ensure_centre("C02", "Centre two")
    for name, (role, centre) in PEOPLE.items():
        if name not in ("admin", "dr_ivanova", "dr_petrov"):
            accounts.add_user(store, name, role, by=None, centre=centre, full_name=f"Test {name}")
        accounts.set_password_hash(store, name, password_hash, by=None)
    return store


@pytest.fixture
def app(web_store: ClinicalStore, store_url: str) -> Iterator[FastAPI]:
    app = create_app(store_url, secret=SECRET, attachments=web_store.attachments)
    yield app
    app.state.web.store.engine.dispose()


class Client(TestClient):
    """A TestClient that knows its CSRF token."""

    csrf: str = ""

    def refresh_csrf(self) -> str:
        seed = self.cookies.get(SESSION_COOKIE) or self.cookies.get("ob_seed") or ""
        self.csrf = token_for(SECRET, seed)
        return self.csrf

    def form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with the CSRF token, as a page's form sends it."""
        return self.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[Client]:
    with Client(app, base_url="https://testserver") as client:
        client.get("/login")  # the seed cookie of a visitor
        client.refresh_csrf()
        yield client


@pytest.fixture
def web_client(app: FastAPI, web_store: ClinicalStore) -> Iterator[Callable[[str], Client]]:
    made: list[Client] = []

    def signed_in(name: str) -> Client:
        client = Client(app, base_url="https://testserver")
        client.cookies.set(SESSION_COOKIE, open_session(web_store, web_store.known_user(name)))
        client.refresh_csrf()
        made.append(client)
        return client

    yield signed_in
    for client in made:
        client.close()


def csrf_in(page: str) -> str:
    """The CSRF token a rendered page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
