"""Several worker processes: each builds its own app from the environment `oncobank serve` sets, and a session,
its CSRF token and a lockout started through one app hold in another (nothing lives in a process)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, SECRET

from oncobank.store.clinical import ClinicalStore
from oncobank.web.app import MODULE_ENV, PLAIN_COOKIES_ENV, SECRET_ENV, STORE_ENV, from_environment
from oncobank.web.deps import SESSION_COOKIE, token_for


@pytest.fixture
def workers(web_store: ClinicalStore, store_url: str, monkeypatch: pytest.MonkeyPatch) -> list[TestClient]:
    monkeypatch.setenv(SECRET_ENV, SECRET.decode())
    monkeypatch.setenv(STORE_ENV, store_url)
    monkeypatch.setenv(MODULE_ENV, "thyroid")
    monkeypatch.setenv(PLAIN_COOKIES_ENV, "0")
    return [TestClient(from_environment(), base_url="https://testserver") for _ in range(2)]


def sign_in(client: TestClient, password: str) -> httpx.Response:
    client.get("/login")  # the visitor's seed cookie, which her CSRF token is made from
    return client.post("/login", data={"username": "dr_ivanova", "password": password,
                                       "csrf_token": token_for(SECRET, client.cookies["ob_seed"])},
                       follow_redirects=False)


def test_a_session_opened_by_one_worker_serves_on_the_other(workers: list[TestClient]) -> None:
    first, second = workers
    answer = sign_in(first, PASSWORD)
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]
    cookie = first.cookies[SESSION_COOKIE]
    second.cookies.set(SESSION_COOKIE, cookie)
    assert second.get("/api/me").json()["username"] == "dr_ivanova"
    refused = second.put("/api/entries/1", json={})
    assert refused.status_code == 403  # no CSRF token: refused before the route
    accepted = second.put("/api/entries/1", json={}, headers={"X-CSRF-Token": token_for(SECRET, cookie)})
    assert accepted.status_code != 403  # the token made by the other worker's secret is this one's too


def test_a_lockout_counted_on_both_workers_locks_the_account(workers: list[TestClient]) -> None:
    # Five wrong passwords (Settings.max_failures) lock the account, however the attempts are spread.
    for n in range(5):
        assert sign_in(workers[n % 2], "wrong").status_code != 303
    client = workers[1]
    assert sign_in(client, PASSWORD).status_code != 303  # the right password no longer signs her in
    assert SESSION_COOKIE not in client.cookies
