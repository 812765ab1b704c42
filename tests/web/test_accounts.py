"""Accounts on the web: sign-up → approval → sign-in, lockout and the administrator's reset, CSRF refusal, session
expiry, cookie flags, security headers, audited account events with the client address, logs without names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.web.conftest import PASSWORD, SECRET, Client, csrf_in

from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import AuditEvent, User
from oncobank.web.app import create_app
from oncobank.web.deps import Settings
from oncobank.web.models import FailedSignIn, WebSession
from oncobank.web.sessions import Lifetime

SIGN_UP = {"full_name": "Анна Смирнова", "specialty": "oncologist", "centre": "C01", "email": "a.smirnova@c01.example",
           "username": "dr_smirnova", "password": "long enough password", "password_again": "long enough password"}


def sign_in(client: Client, username: str, password: str) -> object:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_in(client.get("/login").text)}, follow_redirects=False)


def events(store: ClinicalStore, action: str) -> list[AuditEvent]:
    with store.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_sign_up_waits_for_approval_by_the_centres_data_manager(anonymous: Client, web_client, web_store) -> None:  # type: ignore[no-untyped-def]
    page = anonymous.form("/register", SIGN_UP)
    assert page.status_code == 200 and "ожидает подтверждения" in page.text
    refused = sign_in(anonymous, "dr_smirnova", SIGN_UP["password"])
    assert refused.status_code == 401 and "ожидает подтверждения" in refused.text  # pending: no session
    manager = web_client("dm_c01")
    listed = manager.get("/admin/users?lang=en")
    assert "dr_smirnova" in listed.text and "oncologist" in listed.text
    assert manager.form("/admin/users/dr_smirnova/approve", {"role": "clinician"}).status_code == 200
    signed = sign_in(anonymous, "dr_smirnova", SIGN_UP["password"])
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    assert "dr_smirnova (clinician)" in anonymous.get("/?lang=en").text
    changes = [e.details for e in events(web_store, "account") if e.details.get("account") == "dr_smirnova"]
    assert [c["change"] for c in changes] == ["created", "password", "changed"]
    assert changes[0]["status"] == "pending" and changes[2]["status"] == "active"
    assert all(c["address"] == "testclient" for c in changes)  # the client address of each request


def test_a_data_manager_approves_only_her_centres_sign_ups(anonymous: Client, web_client) -> None:  # type: ignore[no-untyped-def]
    anonymous.form("/register", {**SIGN_UP, "centre": "C02"})
    manager = web_client("dm_c01")
    assert "dr_smirnova" not in manager.get("/admin/users").text
    assert manager.form("/admin/users/dr_smirnova/approve").status_code == 403


def test_sign_up_errors_are_shown_and_nothing_is_registered(anonymous: Client, web_store: ClinicalStore) -> None:
    page = anonymous.form("/register?lang=en", {**SIGN_UP, "password_again": "something else", "specialty": " "})
    assert page.status_code == 400
    assert "The two passwords differ." in page.text and "Specialty: required" in page.text
    with web_store.session() as s:
        assert s.scalar(select(User.id).where(User.username == "dr_smirnova")) is None


def test_lockout_after_five_failures_and_the_administrators_reset(anonymous: Client, web_client,  # type: ignore[no-untyped-def]
                                                                   web_store: ClinicalStore) -> None:
    for _ in range(4):
        assert sign_in(anonymous, "dr_ivanova", "wrong password").status_code == 401
    locked = sign_in(anonymous, "dr_ivanova", "wrong password")
    assert "заблокирована на 15 мин" in locked.text
    assert "заблокирована" in sign_in(anonymous, "dr_ivanova", PASSWORD).text  # even the right password now
    assert [e.details["account"] for e in events(web_store, "account") if e.details.get("change") == "locked"] == \
        ["dr_ivanova"]
    admin = web_client("admin")
    reset = admin.form("/admin/users/dr_ivanova/reset?lang=en")
    assert reset.status_code == 200 and "One-time password for dr_ivanova" in reset.text
    one_time = reset.text.split("at sign-in): ")[1].split("<")[0].strip()
    renew = sign_in(anonymous, "dr_ivanova", one_time)
    assert renew.status_code == 200 and 'action="/login/renew"' in renew.text  # no session from it
    assert "ob_session" not in renew.headers.get("set-cookie", "")
    done = anonymous.post("/login/renew", data={"username": "dr_ivanova", "current": one_time,
                                                "password": "my own new password",
                                                "password_again": "my own new password",
                                                "csrf_token": csrf_in(renew.text)}, follow_redirects=False)
    assert done.status_code == 303 and "ob_session=" in done.headers["set-cookie"]
    assert sign_in(Client(anonymous.app, base_url="https://testserver"), "dr_ivanova", one_time).status_code == 401


def test_the_per_address_throttle(store_url: str, web_store: ClinicalStore) -> None:
    """Two workers of one deployment (two apps on one store, one secret) count an address's failures together."""
    settings = Settings(secret=SECRET, throttle_limit=3)
    first, second = (create_app(store_url, secret=SECRET, settings=settings, attachments=web_store.attachments)
                     for _ in range(2))
    with Client(first, base_url="https://testserver") as one, Client(second, base_url="https://testserver") as two:
        assert [sign_in(c, n, "x").status_code for c, n in ((one, "nobody1"), (two, "nobody2"), (one, "nobody3"))] \
            == [401, 401, 401]
        assert sign_in(two, "dr_ivanova", PASSWORD).status_code == 429
        assert sign_in(one, "dr_ivanova", PASSWORD).status_code == 429
    with web_store.session() as s:
        kept = s.scalars(select(FailedSignIn.address_hash)).all()
    assert len(kept) == 3 and "testclient" not in kept and len(set(kept)) == 1  # the address only as a keyed hash


def test_forms_and_api_writes_without_the_csrf_token_are_refused(web_client, anonymous: Client) -> None:  # type: ignore[no-untyped-def]
    admin = web_client("admin")
    refused = admin.post("/admin/users/dr_petrov/disable", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "обновите страницу" in refused.text
    assert admin.post("/api/patients", json={"registry_id": "TH-1"}).json()["error"] == "csrf"
    assert anonymous.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403
    other = web_client("dr_ivanova")  # another user's token does not fit this session
    assert admin.post("/admin/users/dr_petrov/disable", data={"csrf_token": other.csrf}).status_code == 403
    assert "dr_petrov" in admin.get("/admin/users").text and admin.form("/admin/users/dr_petrov/disable",
                                                                         follow_redirects=False).status_code == 303


def test_cookie_flags_and_security_headers(anonymous: Client) -> None:
    answer = sign_in(anonymous, "admin", PASSWORD)
    session = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("ob_session="))
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=43200"} <= set(session.split("; "))
    page = anonymous.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " on" + "click=" not in page.text  # no inline script the CSP would block


@pytest.mark.parametrize("aged", ["last_seen", "created_at"])
def test_sessions_end_when_idle_or_too_old(web_client, web_store: ClinicalStore, aged: str) -> None:  # type: ignore[no-untyped-def]
    client = web_client("dr_ivanova")
    assert client.get("/").status_code == 200
    back = timedelta(minutes=31) if aged == "last_seen" else timedelta(hours=12, minutes=1)
    with web_store.session() as s:
        row = s.scalars(select(WebSession)).all()[-1]
        s.execute(update(WebSession).where(WebSession.id == row.id).values({aged: getattr(row, aged) - back}))
    gone = client.get("/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/"
    with web_store.session() as s:
        assert s.scalars(select(WebSession.ended_at)).all()[-1] is not None


def test_a_short_lifetime_is_a_setting(store_url: str, web_store: ClinicalStore) -> None:
    settings = Settings(secret=SECRET, lifetime=Lifetime(idle=timedelta(0), absolute=timedelta(hours=1)))
    with Client(create_app(store_url, settings=settings, attachments=web_store.attachments),
                base_url="https://testserver") as client:
        sign_in(client, "admin", PASSWORD)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_and_a_disabled_account_is_signed_out(web_client, anonymous: Client) -> None:  # type: ignore[no-untyped-def]
    sign_in(anonymous, "dr_petrov", PASSWORD)
    anonymous.refresh_csrf()
    cookie = anonymous.cookies.get("ob_session")
    assert anonymous.form("/logout", follow_redirects=False).status_code == 303
    replay = TestClient(anonymous.app, base_url="https://testserver", cookies={"ob_session": cookie})
    assert replay.get("/api/me").status_code == 401  # the old cookie is dead server-side
    clinician = web_client("dr_ivanova")
    assert clinician.get("/api/me").status_code == 200
    web_client("admin").form("/admin/users/dr_ivanova/disable")
    assert clinician.get("/api/me").status_code == 401


def test_password_change_needs_the_current_one(web_client) -> None:  # type: ignore[no-untyped-def]
    client = web_client("dr_petrov")
    wrong = client.form("/account/password?lang=en", {"current": "nope", "password": "a new password 1",
                                                       "password_again": "a new password 1"})
    assert wrong.status_code == 400 and "Wrong user name or password." in wrong.text
    done = client.form("/account/password", {"current": PASSWORD, "password": "a new password 1",
                                              "password_again": "a new password 1"}, follow_redirects=False)
    assert done.status_code == 303


def test_access_log_has_paths_without_query_strings(anonymous: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="oncobank.web.access"):
        anonymous.get("/login?next=/&q=Иванова+Мария")
        sign_in(anonymous, "admin", PASSWORD)
    lines = [r.getMessage() for r in caplog.records if r.name == "oncobank.web.access"]
    assert any('"GET /login" 200' in line for line in lines) and any('"POST /login" 303' in line for line in lines)
    assert not any("Иванова" in line or "q=" in line or PASSWORD in line for line in lines)


def test_an_unexpected_error_is_a_bare_500_without_traceback(app: FastAPI, caplog: pytest.LogCaptureFixture,
                                                             web_client: Callable[[str], Client]) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("patient Иванова broke it")

    with caplog.at_level(logging.INFO):
        answer = web_client("admin").get("/boom")
    assert answer.status_code == 500 and "Иванова" not in answer.text and "Traceback" not in answer.text
    assert "Иванова" not in caplog.text and "unhandled RuntimeError on GET /boom" in caplog.text
