"""In a real browser (Debian's Chromium through Playwright) against Uvicorn on 127.0.0.1: sign up, approval,
sign-in, sign-out; the CSP lets the app's own script run and nothing else loads. ONCOBANK_SCREENSHOTS=1 also saves
the pages into docs/img/ for docs/web.md."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from tests.web.conftest import PASSWORD, SECRET

from oncobank.store.clinical import ClinicalStore
from oncobank.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(web_store: ClinicalStore, store_url: str) -> Iterator[str]:
    if not store_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the browser")
    from oncobank.web.deps import Settings

    # Plain HTTP on loopback: the Secure flag is tested with TestClient; here the browser must keep the cookie.
    app = create_app(store_url, settings=Settings(secret=SECRET, secure_cookies=False),
                     attachments=web_store.attachments)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("ONCOBANK_SCREENSHOTS") == "1":
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit] >> text=Sign in")


def _new_patient_page(browser, base: str, username: str, password: str, registry_id: str):  # type: ignore[no-untyped-def]
    """A laptop-sized page signed in as `username` on the page of a patient just created; the page's script errors
    are gathered into the list returned with it."""
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, base, username, password)
    page.goto(f"{base}/patients/new?lang=en")
    page.fill("#registry_id", registry_id)
    with page.expect_navigation():
        page.click("button >> text=Create")
    assert page.url.endswith(f"/patients/{registry_id}")
    return page, errors


def test_sign_up_approval_sign_in_and_out(server: str) -> None:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        doctor = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
        doctor.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
        console: list[str] = []
        doctor.on("console", lambda m: console.append(m.text))
        answer = doctor.goto(f"{server}/register?lang=en")
        assert answer is not None and "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        doctor.fill("#full_name", "Anna Smirnova")
        doctor.fill("#specialty", "oncologist")
        doctor.select_option("#centre", "C01")
        doctor.fill("#email", "a.smirnova@c01.example")
        doctor.fill("#username", "dr_smirnova")
        doctor.fill("#password", "long enough password")
        doctor.fill("#password_again", "long enough password")
        _shot(doctor, "web-register")
        doctor.click("button[type=submit] >> text=Register")
        assert "awaits approval" in doctor.content()

        admin = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
        _sign_in(admin, server, "admin", PASSWORD)
        admin.goto(f"{server}/admin/users?lang=en")
        _shot(admin, "web-accounts")
        admin.click("form[action='/admin/users/dr_smirnova/approve'] button")
        assert "awaiting approval" not in admin.inner_text("table")

        _sign_in(doctor, server, "dr_smirnova", "long enough password")
        assert "Signed in as dr_smirnova (clinician)" in doctor.content()
        _shot(doctor, "web-home")
        cookie = next(c for c in doctor.context.cookies() if c["name"] == "ob_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert doctor.evaluate("document.cookie").find("ob_session") == -1  # no script can read it
        doctor.click("text=Sign out")
        assert doctor.url.endswith("/login")
        doctor.goto(f"{server}/")
        assert "/login" in doctor.url
        admin.goto(f"{server}/admin/audit?lang=en&user=dr_smirnova")
        _shot(admin, "web-audit")
        assert "signed out" in admin.content() and "127.0.0.1" in admin.content()
        browser.close()
    assert outside == []  # every asset came from the app
    assert not [m for m in console if "Content Security Policy" in m]
