"""The REST API: patients, entries with the optimistic lock (409), versions, reviews, documents, the dictionary,
token authentication (own tokens, hashed, revocable), and every read and write audited with the client address."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import Client

from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import AuditEvent
from oncobank.web.models import ApiToken
from oncobank.web.sessions import digest


def _patient(client: Client) -> int:
    made = client.post("/api/patients", json={"registry_id": "TH-000010", "identifiers": {"EMR": "E-10"}},
                       headers={"X-CSRF-Token": client.csrf})
    assert made.status_code == 201 and made.json() == {"registry_id": "TH-000010", "centre": "C01"}
    added = client.post("/api/patients/TH-000010/entries", headers={"X-CSRF-Token": client.csrf},
                        json={"section": "laboratory", "entry_date": "2020-03-01", "values": {"tsh": 1.5}})
    assert added.status_code == 201 and added.json()["version"] == 1
    return added.json()["entry_id"]


def test_entries_edit_with_the_version_and_a_stale_one_is_409(web_client: Callable[[str], Client]) -> None:
    first, second = web_client("dr_ivanova"), web_client("dm_c01")
    entry = _patient(first)
    edit = {"version": 1, "values": {"tsh": 2.5}, "reason": "lab re-read"}
    done = first.put(f"/api/entries/{entry}", json=edit, headers={"X-CSRF-Token": first.csrf})
    assert done.status_code == 200 and done.json()["version"] == 2
    late = second.put(f"/api/entries/{entry}", json={**edit, "values": {"tsh": 9.0}},
                      headers={"X-CSRF-Token": second.csrf})
    assert late.status_code == 409
    assert late.json() | {"message": ""} == {"error": "conflict", "message": "", "entry": entry, "expected": 1,
                                             "actual": 2}
    versions = first.get(f"/api/entries/{entry}/versions").json()
    assert [(v["version"], v["values"]["tsh"], v["author"], v["reason"]) for v in versions] == \
        [(1, 1.5, "dr_ivanova", None), (2, 2.5, "dr_ivanova", "lab re-read")]  # nothing of the late edit


def test_a_hard_range_error_is_422_with_the_issue(web_client: Callable[[str], Client]) -> None:
    client = web_client("dr_ivanova")
    _patient(client)
    bad = client.post("/api/patients/TH-000010/entries", headers={"X-CSRF-Token": client.csrf},
                      json={"section": "laboratory", "entry_date": "2020-03-02", "values": {"tsh": -4}})
    assert bad.status_code == 422
    assert [(i["field"], i["severity"]) for i in bad.json()["issues"]] == [("tsh", "error")]


def test_reviews_retraction_and_documents(web_client: Callable[[str], Client],
                                          make_pdf: Callable[[str], bytes]) -> None:
    clinician, reviewer = web_client("dr_ivanova"), web_client("dr_petrov")
    entry = _patient(clinician)
    opinion = reviewer.post(f"/api/entries/{entry}/reviews", headers={"X-CSRF-Token": reviewer.csrf},
                            json={"agreement": "partial", "review_date": "2020-04-01",
                                  "revised_values": {"tsh": 1.8}, "comment": "re-measured"})
    assert opinion.status_code == 201
    assert [(r["reviewer"], r["agreement"], r["revised_values"]) for r in
            clinician.get(f"/api/entries/{entry}/reviews").json()] == [("dr_petrov", "partial", {"tsh": 1.8})]
    retracted = clinician.post(f"/api/entries/{entry}/retract", headers={"X-CSRF-Token": clinician.csrf},
                               json={"version": 1, "reason": "wrong patient"})
    assert retracted.json()["version"] == 2
    assert clinician.get(f"/api/entries/{entry}").json()["versions"][-1]["status"] == "retracted"
    pdf = make_pdf("discharge summary")
    up = clinician.post("/api/patients/TH-000010/attachments", headers={"X-CSRF-Token": clinician.csrf},
                        files={"file": ("summary.pdf", pdf, "application/pdf")},
                        data={"document_type": "discharge_summary", "entry_date": "2020-03-05"})
    assert up.status_code == 201 and up.json()["size"] == len(pdf)
    down = reviewer.get(f"/api/attachments/{up.json()['attachment_id']}")
    assert down.content == pdf and down.headers["content-type"] == "application/pdf"
    not_pdf = clinician.post("/api/patients/TH-000010/attachments", headers={"X-CSRF-Token": clinician.csrf},
                             files={"file": ("x.pdf", b"\x89PNG\r\n\x1a\n....", "application/pdf")},
                             data={"document_type": "discharge_summary", "entry_date": "2020-03-05"})
    assert not_pdf.status_code == 400 and "only application/pdf" in not_pdf.json()["message"]


def test_tokens_are_her_own_hashed_and_revocable(app, web_client, web_store: ClinicalStore) -> None:  # type: ignore[no-untyped-def]
    client = web_client("dr_ivanova")
    page = client.form("/account/tokens", {"name": "nightly export"})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("obk_")
    script = TestClient(app, base_url="https://testserver")
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/me", headers=bearer).json()["username"] == "dr_ivanova"
    # a script needs no CSRF token: it sends no cookie
    assert script.post("/api/patients", json={"registry_id": "TH-000020"}, headers=bearer).status_code == 201
    with web_store.session() as s:
        stored = s.scalars(select(ApiToken)).one()
    assert stored.token_hash == digest(token) and token not in stored.token_hash
    assert web_client("dr_petrov").form(f"/account/tokens/{stored.id}/revoke").status_code == 404  # not hers
    client.form(f"/account/tokens/{stored.id}/revoke")
    assert script.get("/api/me", headers=bearer).status_code == 401
    assert script.get("/api/me", headers={"Authorization": "Bearer obk_guessed"}).status_code == 401


def test_reads_and_writes_are_audited_with_the_address(web_client, web_store: ClinicalStore) -> None:  # type: ignore[no-untyped-def]
    client = web_client("dr_ivanova")
    entry = _patient(client)
    client.get("/api/patients/TH-000010")
    client.get("/api/patients")
    with web_store.session() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.username, AuditEvent.entry_id, AuditEvent.details)
                         .where(AuditEvent.action.in_(["create_patient", "create", "read"]))
                         .order_by(AuditEvent.id)).all()
    assert [(a, u, e, d.get("what")) for a, u, e, d in rows] == [
        ("create_patient", "dr_ivanova", None, None), ("create", "dr_ivanova", entry, None),
        ("read", "dr_ivanova", None, "patient_card"), ("read", "dr_ivanova", None, "patient_list")]
    assert {d["address"] for *_, d in rows} == {"testclient"}


def test_the_dictionary_and_the_docs_without_a_cdn(web_client, anonymous: Client) -> None:  # type: ignore[no-untyped-def]
    client = web_client("researcher")
    sections = {s["name"] for s in client.get("/api/dictionary").json()["sections"]}
    assert {"demographics", "laboratory", "radioiodine"} <= sections
    assert client.get("/api/dictionary/laboratory").json()["name"] == "laboratory"
    assert client.get("/api/dictionary/nothing").status_code == 404
    docs = anonymous.get("/api/docs?lang=en")
    assert "/api/entries/{entry_id}" in docs.text and "cdn" not in docs.text.lower()
    assert "/api/patients" in anonymous.get("/api/openapi.json").json()["paths"]
