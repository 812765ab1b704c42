"""Every route of the app × every role: allowed or refused as the role definitions of issue 13 say, and a clinician
of another centre can neither read, list, count nor guess a patient of centre C01 through any route.

The routes are enumerated from `app.routes`, so a route added without a row in NEEDS fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from tests.web.conftest import ROLE_USER, Client

from oncobank.store.attachments import attach
from oncobank.store.clinical import ClinicalStore

EVERYONE = "anyone, signed in or not"
SIGNED_IN = frozenset(ROLE_USER)
# Written from the roles as issue 13 defines them (not from store/access.py): who works on patients, who reviews,
# who manages accounts; the audit log is the registry's, so a centre's data manager does not read it.
READ = frozenset({"administrator", "data_manager", "clinician", "reviewer"})
WRITE = frozenset({"administrator", "data_manager", "clinician"})
REVIEW = frozenset({"administrator", "data_manager", "reviewer"})
ACCOUNTS = frozenset({"administrator", "data_manager"})
AUDIT = frozenset({"administrator"})
ASK = frozenset({"administrator", "data_manager", "reviewer"})  # "a data manager or reviewer opens a query"

NEEDS: dict[tuple[str, str], Any] = {
    ("GET", "/static"): EVERYONE,
    ("GET", "/api/openapi.json"): EVERYONE,
    ("GET", "/api/docs"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/login/renew"): EVERYONE,
    ("GET", "/register"): EVERYONE,
    ("POST", "/register"): EVERYONE,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): SIGNED_IN,
    ("GET", "/admin/users"): ACCOUNTS,
    ("POST", "/admin/users/{username}/approve"): ACCOUNTS,
    ("POST", "/admin/users/{username}/reject"): ACCOUNTS,
    ("POST", "/admin/users/{username}/disable"): ACCOUNTS,
    ("POST", "/admin/users/{username}/enable"): ACCOUNTS,
    ("POST", "/admin/users/{username}/reset"): ACCOUNTS,
    ("GET", "/admin/audit"): AUDIT,
    ("GET", "/api/me"): SIGNED_IN,
    ("GET", "/api/dictionary"): SIGNED_IN,
    ("GET", "/api/dictionary/{section}"): SIGNED_IN,
    ("GET", "/api/patients"): READ,
    ("POST", "/api/patients"): WRITE,
    ("GET", "/api/patients/{registry_id}"): READ,
    ("POST", "/api/patients/{registry_id}/entries"): WRITE,
    ("POST", "/api/patients/{registry_id}/attachments"): WRITE,
    ("GET", "/api/entries/{entry_id}"): READ,
    ("GET", "/api/entries/{entry_id}/versions"): READ,
    ("GET", "/api/entries/{entry_id}/reviews"): READ,
    ("PUT", "/api/entries/{entry_id}"): WRITE,
    ("POST", "/api/entries/{entry_id}/retract"): WRITE,
    ("POST", "/api/entries/{entry_id}/reinstate"): WRITE,
    ("POST", "/api/entries/{entry_id}/reviews"): REVIEW,
    ("GET", "/api/attachments/{attachment_id}"): READ,
    # The patient pages and forms (routes_patients.py, routes_entries.py).
    ("GET", "/patients"): READ,
    ("GET", "/patients/new"): WRITE,
    ("POST", "/patients/new"): WRITE,
    ("GET", "/patients/{registry_id}"): READ,
    ("POST", "/patients/{registry_id}/documents"): WRITE,
    ("GET", "/patients/{registry_id}/sections/{section}/new"): WRITE,
    ("POST", "/patients/{registry_id}/sections/{section}/new"): WRITE,
    ("POST", "/patients/{registry_id}/sections/{section}/check"): WRITE,
    ("GET", "/entries/{entry_id}/edit"): WRITE,
    ("POST", "/entries/{entry_id}/edit"): WRITE,
    ("GET", "/entries/{entry_id}/history"): READ,
    ("POST", "/entries/{entry_id}/retract"): WRITE,
    ("POST", "/entries/{entry_id}/reinstate"): WRITE,
    ("GET", "/entries/{entry_id}/review"): REVIEW,
    ("POST", "/entries/{entry_id}/review"): REVIEW,
    # Data queries (routes_queries.py, api_queries.py): asked and closed by reviewers' side, answered by clinicians.
    ("GET", "/queries"): READ,
    ("GET", "/patients/{registry_id}/queries"): READ,
    ("GET", "/queries/{query_id}"): READ,
    ("POST", "/entries/{entry_id}/queries"): ASK,
    ("POST", "/queries/{query_id}/answer"): WRITE,
    ("POST", "/queries/{query_id}/close"): ASK,
    ("POST", "/queries/{query_id}/reopen"): ASK,
    ("GET", "/api/queries"): READ,
    ("GET", "/api/queries/{query_id}"): READ,
    ("POST", "/api/entries/{entry_id}/queries"): ASK,
    ("POST", "/api/queries/{query_id}/answer"): WRITE,
    ("POST", "/api/queries/{query_id}/close"): ASK,
    ("POST", "/api/queries/{query_id}/reopen"): ASK,
    # Data quality (routes_quality.py): scores for whoever reads the analysis store or patients; problem records,
    # identified on the clinical store, for those who read patients.
    ("GET", "/quality"): READ | {"researcher"},
    ("GET", "/quality/issues"): READ,
}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers' too; a mount counts as a GET of its prefix."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append(("GET", route.path))
            continue
        assert route.methods, f"a route of unknown kind: {route.original_route!r}"
        found.extend((m, route.path) for m in sorted(route.methods) if m != "HEAD")
    return found


@pytest.fixture
def objects(web_store: ClinicalStore, make_pdf: Callable[[str], bytes]) -> dict[str, Any]:
    """A patient of C01 with an entry and a document, and a pending sign-up of C01 for the account routes."""
    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    entry = web_store.add_entry("TH-000001", "laboratory", {"tsh": 1.2}, user="dr_ivanova", entry_date="2020-01-10")
    document = attach(web_store, "TH-000001", make_pdf("discharge"), filename="d.pdf", user="dr_ivanova",
                      document_type="discharge_summary", entry_date="2020-01-11")
    from oncobank.store import accounts, queries

    accounts.add_user(web_store, "dr_new", "clinician", by=None, centre="C01", status="pending")
    query = queries.open_query(web_store, accounts.acting(web_store, "dr_petrov"), entry.entry_id, "tsh", "unit?")
    return {"registry_id": "TH-000001", "entry_id": entry.entry_id, "attachment_id": document.attachment_id,
            "username": "dr_new", "token_id": 999, "section": "laboratory", "query_id": query}


def concrete(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def url_of(method: str, path: str, values: dict[str, Any]) -> str:
    return "/static/app.css" if path == "/static" else concrete(path, values)


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"X-CSRF-Token": client.csrf}
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    return client.request(method, url, json=body if body is not None else {}, headers=headers,
                          follow_redirects=False)


def test_every_route_has_a_row_in_the_table(app: FastAPI) -> None:
    served = set(routes(app))
    assert served - set(NEEDS) == set(), "routes without a row in NEEDS: add who may use them"
    assert set(NEEDS) - served == set(), "rows of routes the app no longer has"


def test_every_route_for_every_role(app: FastAPI, web_client: Callable[[str], Client], anonymous: Client,
                                    objects: dict[str, Any]) -> None:
    wrong = []
    for method, path in routes(app):
        url = url_of(method, path, objects)
        allowed = NEEDS[(method, path)]
        answer = send(anonymous, method, url)
        to_sign_in = answer.status_code == 401 or answer.headers.get("location", "").startswith("/login")
        if to_sign_in == (allowed is EVERYONE):
            wrong.append(f"anonymous {method} {path}: {answer.status_code}")
        if allowed is EVERYONE:
            continue
        for role, name in ROLE_USER.items():
            answer = send(web_client(name), method, url)  # a new session each time: /logout ends one
            refused = answer.status_code == 403
            if refused == (role in allowed) or answer.status_code == 401:
                wrong.append(f"{role} {method} {path}: {answer.status_code} {answer.text[:120]}")
    assert wrong == []


def bodies(objects: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Valid requests, so that a write reaches the reach check instead of stopping at validation."""
    return {
        ("POST", "/api/patients/{registry_id}/entries"): {"section": "laboratory", "values": {"tsh": 2.0},
                                                          "entry_date": "2021-01-01"},
        ("PUT", "/api/entries/{entry_id}"): {"version": 1, "values": {"tsh": 3.0}, "reason": "typo"},
        ("POST", "/api/entries/{entry_id}/retract"): {"version": 1, "reason": "duplicate"},
        ("POST", "/api/entries/{entry_id}/reinstate"): {"version": 1, "reason": "not a duplicate"},
        ("POST", "/api/entries/{entry_id}/reviews"): {"agreement": "agree", "review_date": "2021-02-01"},
        ("POST", "/api/entries/{entry_id}/queries"): {"field": "tsh", "text": "which assay?"},
        ("POST", "/api/queries/{query_id}/answer"): {"text": "the usual one"},
        ("POST", "/api/queries/{query_id}/close"): {},
        ("POST", "/api/queries/{query_id}/reopen"): {"text": "not the usual one"},
    }


MISSING = {"registry_id": "TH-999999", "entry_id": 999999, "attachment_id": 999999, "query_id": 999999}


def test_another_centre_cannot_read_or_guess_a_patient(app: FastAPI, web_client: Callable[[str], Client],
                                                       objects: dict[str, Any]) -> None:
    """Every route about a patient, entry or document answers for C01's as for one that does not exist."""
    outsider, own = web_client("dr_sidorov"), web_client("dr_ivanova")
    valid = bodies(objects)
    checked = 0
    for method, path in routes(app):
        names = set(re.findall(r"\{(\w+)\}", path)) & set(MISSING)
        if not names:
            continue
        body = valid.get((method, path))
        theirs = send(outsider, method, concrete(path, objects), body)
        missing = send(outsider, method, concrete(path, {**objects, **MISSING}), body)
        assert theirs.status_code == missing.status_code, f"{method} {path}"
        shown = theirs.text
        for name in names:  # the ID as a word of its own: "1" is also in an HTML page's "initial-scale=1"
            shown = re.sub(rf"(?<![\w=.-]){objects[name]}(?![\w.])", str(MISSING[name]), shown)
        assert shown == missing.text, f"{method} {path} tells another centre's patient from a missing one"
        if "clinician" in NEEDS[(method, path)] and (method == "GET" or body is not None):
            assert theirs.status_code == 404, f"{method} {path}: {theirs.status_code}"
        checked += 1
    assert checked >= 10
    assert outsider.get("/api/patients").json() == {"total": 0, "items": [], "next": None}
    assert own.get("/api/patients").json()["total"] == 1
    assert own.get("/api/patients/TH-000001").status_code == 200
