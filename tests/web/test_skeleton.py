"""The app's frame: pages in both languages, the signed-in user, static files served by the app, the sign-in wall."""

from __future__ import annotations

from tests.web.conftest import Client, csrf_in


def test_sign_in_page_in_russian_and_english(anonymous: Client) -> None:
    assert "Войти" in anonymous.get("/login?lang=ru").text
    page = anonymous.get("/login?lang=en")
    assert "Sign in" in page.text and 'lang="en"' in page.text
    assert "Sign in" in anonymous.get("/login").text  # the choice is kept in a cookie


def test_pages_need_a_session_and_the_api_answers_401(anonymous: Client) -> None:
    page = anonymous.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/"
    api = anonymous.get("/api/me")
    assert api.status_code == 401 and api.json()["error"] == "sign_in_required"


def test_signed_in_user_sees_her_role_and_her_navigation(web_client) -> None:  # type: ignore[no-untyped-def]
    clinician = web_client("dr_ivanova").get("/?lang=en")
    assert "dr_ivanova (clinician)" in clinician.text and "/admin/users" not in clinician.text
    admin = web_client("admin")
    page = admin.get("/?lang=en")
    assert "/admin/users" in page.text and "/admin/audit" in page.text
    assert csrf_in(page.text) == admin.csrf  # the forms carry the token the helper computes


def test_assets_come_from_the_app(anonymous: Client) -> None:
    page = anonymous.get("/login").text
    assert "/static/app.css" in page and "/static/app.js" in page and "http" not in page.split("<body")[0]
    assert anonymous.get("/static/app.css").status_code == 200
    assert anonymous.get("/static/app.js").headers["content-type"].startswith(("text/javascript",
                                                                                "application/javascript"))
