"""Data queries: the open → answered → closed → re-opened workflow in the store, who may take each step, the
centre wall, the audit trail, the pages (marks on the patient view and the form, RU/EN) and the API; and the
completeness statuses the patient list filters on, kept by the store's writes and caught up on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from tests.web.conftest import Client

from oncobank.store import accounts, audit, progress, queries
from oncobank.store.access import AccessDenied
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Centre, Patient, User
from oncobank.store.progress.models import PatientProgress, ProgressMark
from oncobank.store.queries import QueryFilter
from oncobank.web.patients import ListQuery, find

PERSON = {"surname": "Смирнова", "first_name": "Анна", "birth_date": "1961-01-02", "sex": "F"}


@pytest.fixture
def lab(web_store: ClinicalStore) -> int:
    """TH-000001 of C01 with demographics and one laboratory entry (TSH 1.2); the laboratory entry's ID."""
    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    web_store.add_entry("TH-000001", "demographics", PERSON, user="dr_ivanova")
    return web_store.add_entry("TH-000001", "laboratory", {"tsh": 1.2}, user="dr_ivanova",
                               entry_date="2020-01-10").entry_id


def _as(store: ClinicalStore, name: str) -> accounts.Actor:
    return accounts.acting(store, name)


def test_the_workflow_and_its_audit_trail(web_store: ClinicalStore, lab: int) -> None:
    reviewer, clinician = _as(web_store, "dr_petrov"), _as(web_store, "dr_ivanova")
    qid = queries.open_query(web_store, reviewer, lab, "tsh", "1.2 or 12?", suggested="12")
    assert queries.step(web_store, clinician, qid, "answer", "1.2, as the report says") == "answered"
    assert queries.step(web_store, reviewer, qid, "close") == "closed"
    assert queries.step(web_store, reviewer, qid, "reopen", "the report says 12") == "open"
    found = queries.get(web_store, clinician, qid)
    assert (found.registry_id, found.section, found.field, found.status) == ("TH-000001", "laboratory", "tsh", "open")
    assert [(m.step, m.author) for m in found.messages] == [("open", "dr_petrov"), ("answer", "dr_ivanova"),
                                                            ("close", "dr_petrov"), ("reopen", "dr_petrov")]
    assert found.messages[0].suggested == "12" and found.messages[2].text is None
    with web_store.session() as s:
        events = [e for e in audit.trail(s, "TH-000001") if e["action"].startswith("query_")]
    assert [e["action"] for e in reversed(events)] == ["query_open", "query_answer", "query_close", "query_reopen"]
    assert all(e["entry"] == lab and e["details"]["query"] == qid for e in events)
    assert "1.2 or 12?" not in str(events) and "the report says" not in str(events)  # what was said stays out


def test_who_may_take_each_step(web_store: ClinicalStore, lab: int) -> None:
    reviewer, clinician = _as(web_store, "dr_petrov"), _as(web_store, "dr_ivanova")
    with pytest.raises(AccessDenied, match=r"^user dr_ivanova \(clinician\) may not open data queries$"):
        queries.open_query(web_store, clinician, lab, "tsh", "?")
    qid = queries.open_query(web_store, _as(web_store, "dm_c01"), lab, "tsh", "which assay?")
    with pytest.raises(AccessDenied, match="answer data queries"):
        queries.step(web_store, reviewer, qid, "answer", "no")
    with pytest.raises(AccessDenied, match="close data queries"):
        queries.step(web_store, clinician, qid, "close")
    with pytest.raises(AccessDenied):
        queries.find(web_store, _as(web_store, "researcher"))
    queries.step(web_store, reviewer, qid, "close")
    with pytest.raises(RuleViolation, match=f"data query {qid} is closed: it cannot be closed"):
        queries.step(web_store, reviewer, qid, "close")
    with pytest.raises(RuleViolation, match=f"data query {qid} is closed: it cannot be answered"):
        queries.step(web_store, clinician, qid, "answer", "late")
    with pytest.raises(RuleViolation, match="the comment is empty"):
        queries.step(web_store, reviewer, qid, "reopen", "  ")
    with pytest.raises(RuleViolation, match=r"section laboratory has no field 'weight'"):
        queries.open_query(web_store, reviewer, lab, "weight", "?")
    with pytest.raises(RuleViolation, match="the question is empty"):
        queries.open_query(web_store, reviewer, lab, "tsh", "")


def test_the_centre_wall(web_store: ClinicalStore, lab: int) -> None:
    accounts.add_user(web_store, "rev_c02", "reviewer", by=None, centre="C02")
    outsider, other_reviewer = _as(web_store, "dr_sidorov"), _as(web_store, "rev_c02")
    qid = queries.open_query(web_store, _as(web_store, "dr_petrov"), lab, "tsh", "1.2 or 12?")
    for attempt in (lambda: queries.get(web_store, outsider, qid),
                    lambda: queries.step(web_store, outsider, qid, "answer", "guess"),
                    lambda: queries.step(web_store, other_reviewer, qid, "close")):
        with pytest.raises(NotFound, match=f"^no data query {qid}$"):
            attempt()
    with pytest.raises(NotFound, match=f"^no entry {lab}$"):
        queries.open_query(web_store, other_reviewer, lab, "tsh", "?")
    assert queries.find(web_store, outsider) == []
    assert queries.find(web_store, outsider, QueryFilter(patient="TH-000001")) == []
    assert [q.id for q in queries.find(web_store, _as(web_store, "dr_ivanova"))] == [qid]
    assert [q.id for q in queries.find(web_store, _as(web_store, "admin"), QueryFilter(centre="C01"))] == [qid]
    assert queries.find(web_store, _as(web_store, "admin"), QueryFilter(centre="C02")) == []


def test_filters(web_store: ClinicalStore, lab: int) -> None:
    reviewer, dm = _as(web_store, "dr_petrov"), _as(web_store, "dm_c01")
    first = queries.open_query(web_store, reviewer, lab, "tsh", "1.2 or 12?")
    second = queries.open_query(web_store, dm, lab, "tsh", "unit?")
    queries.step(web_store, _as(web_store, "dr_ivanova"), second, "answer", "mU/l")
    ids = lambda wanted: [q.id for q in queries.find(web_store, reviewer, wanted)]  # noqa: E731
    assert ids(QueryFilter(status="open")) == [first]
    assert ids(QueryFilter(status="answered")) == [second]
    assert ids(QueryFilter(mine=True)) == [first]
    assert sorted(ids(QueryFilter(section="laboratory"))) == [first, second]
    assert ids(QueryFilter(section="demographics")) == []


def test_pages_marks_and_labels(web_client: Callable[[str], Client], web_store: ClinicalStore, lab: int) -> None:
    reviewer, clinician = web_client("dr_petrov"), web_client("dr_ivanova")
    answer = reviewer.form(f"/entries/{lab}/queries", {"field": "tsh", "text": "1.2 or 12?", "suggested": "12"},
                           follow_redirects=False)
    assert answer.status_code == 303
    qid = int(answer.headers["location"].rsplit("/", 1)[1])
    view = clinician.get("/patients/TH-000001?lang=en").text
    assert f'href="/queries/{qid}"' in view and "query-mark query-open" in view
    assert f"?{qid}" in clinician.get(f"/entries/{lab}/edit?lang=en").text  # the form marks the field too
    listed = clinician.get("/queries?lang=ru").text
    assert f'href="/queries/{qid}"' in listed and "открыт" in listed and "Запросы по данным" in listed
    assert "Data queries" in clinician.get("/queries?lang=en").text
    page = clinician.get(f"/queries/{qid}?lang=en").text
    assert "1.2 or 12?" in page and "Suggested value" in page and f'action="/queries/{qid}/answer"' in page
    assert f'action="/queries/{qid}/close"' not in page  # a clinician answers; she does not close
    assert clinician.form(f"/queries/{qid}/answer", {"text": "1.2"}, follow_redirects=False).status_code == 303
    assert "query-mark query-answered" in clinician.get("/patients/TH-000001").text
    assert reviewer.form(f"/queries/{qid}/close", {"text": ""}, follow_redirects=False).status_code == 303
    assert f'href="/queries/{qid}"' not in clinician.get("/patients/TH-000001").text  # closed: no mark
    assert f'href="/queries/{qid}"' in clinician.get("/patients/TH-000001/queries?status=closed").text
    assert f'href="/queries/{qid}"' not in clinician.get("/patients/TH-000001/queries?status=open").text
    assert web_client("dr_sidorov").get(f"/queries/{qid}").status_code == 404


def test_api(web_client: Callable[[str], Client], web_store: ClinicalStore, lab: int) -> None:
    reviewer, clinician = web_client("dr_petrov"), web_client("dr_ivanova")
    opened = reviewer.post(f"/api/entries/{lab}/queries", json={"field": "tsh", "text": "1.2 or 12?"},
                           headers={"X-CSRF-Token": reviewer.csrf})
    assert opened.status_code == 201 and opened.json()["status"] == "open"
    qid = opened.json()["id"]
    answered = clinician.post(f"/api/queries/{qid}/answer", json={"text": "1.2"},
                              headers={"X-CSRF-Token": clinician.csrf})
    assert answered.json() == {"id": qid, "status": "answered"}
    items = clinician.get("/api/queries?status=answered").json()["items"]
    assert [(q["id"], q["patient"], q["field"], [m["step"] for m in q["messages"]]) for q in items] == \
        [(qid, "TH-000001", "tsh", [])]
    thread = clinician.get(f"/api/queries/{qid}").json()["messages"]
    assert [(m["step"], m["author"], m["text"]) for m in thread] == [("open", "dr_petrov", "1.2 or 12?"),
                                                                     ("answer", "dr_ivanova", "1.2")]
    refused = clinician.post(f"/api/queries/{qid}/close", json={}, headers={"X-CSRF-Token": clinician.csrf})
    assert refused.status_code == 403
    assert web_client("dr_sidorov").get("/api/queries").json() == {"items": []}
    assert web_client("dr_sidorov").get(f"/api/queries/{qid}").status_code == 404


# --- the completeness statuses of the patient list -------------------------------------------------------------


def _statuses(store: ClinicalStore) -> dict[str, str]:
    with store.session() as s:
        return dict(s.execute(select(PatientProgress.registry_id, PatientProgress.status)).all())


def test_statuses_follow_every_write(web_store: ClinicalStore) -> None:
    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    assert _statuses(web_store) == {"TH-000001": "incomplete"}  # demographics, which every patient needs, is missing
    demo = web_store.add_entry("TH-000001", "demographics", PERSON, user="dr_ivanova")
    assert _statuses(web_store) == {"TH-000001": "unverified"}  # entered, without a second opinion
    web_store.review_entry(demo.entry_id, reviewer="dr_petrov", review_date="2024-01-01", agreement="agree")
    assert _statuses(web_store) == {"TH-000001": "complete"}
    edited = web_store.edit_entry(demo.entry_id, 1, {**PERSON, "sex": "M"}, user="dr_ivanova", reason="typo")
    assert _statuses(web_store) == {"TH-000001": "unverified"}  # the opinion was on version 1
    web_store.retract_entry(demo.entry_id, edited.version, user="dr_ivanova", reason="wrong patient")
    assert _statuses(web_store) == {"TH-000001": "incomplete"}


def test_statuses_are_caught_up_on_first_use(web_store: ClinicalStore) -> None:
    """A store migrated with patients in it (or written by a bulk load): the list computes what it lacks."""
    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    web_store.create_patient("TH-000002", "C01", "dr_ivanova")
    web_store.add_entry("TH-000002", "demographics", PERSON, user="dr_ivanova")
    with web_store.session() as s:
        s.execute(delete(PatientProgress))
        s.execute(update(ProgressMark).values(patient_id=0, version_id=0, review_id=0))
    actor = _as(web_store, "dr_ivanova")
    assert [r.registry_id for r in find(web_store, actor, ListQuery(status="unverified")).rows] == ["TH-000002"]
    assert _statuses(web_store) == {"TH-000001": "incomplete", "TH-000002": "unverified"}
    with web_store.session() as s:
        assert progress.catch_up(s, web_store.dictionary) == 0  # nothing new since


@pytest.mark.postgres
def test_catching_up_more_patients_than_the_server_can_lock_one_by_one(web_store: ClinicalStore,
                                                                       store_url: str) -> None:
    """30,000 patients written around the store (as a bulk load does): far more than PostgreSQL's lock table holds
    by default (64 locks per transaction × 100 connections, and some slack), so a lock per patient would fail the
    catch-up with "out of shared memory"."""
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite takes no advisory locks")
    with web_store.session() as s:
        centre = s.scalar(select(Centre.id).where(Centre.code == "C01"))
        user = s.scalar(select(User.id).where(User.username == "admin"))
        s.execute(insert(Patient), [{"registry_id": f"TH-{i:06d}", "module": "thyroid", "centre_id": centre,
                                     "created_by": user} for i in range(1, 30_001)])
    with web_store.session() as s:
        assert progress.catch_up(s, web_store.dictionary) == 30_000
    statuses = _statuses(web_store)
    assert len(statuses) == 30_000 and set(statuses.values()) == {"incomplete"}  # nobody has demographics


@pytest.mark.postgres
def test_two_writers_on_one_patient_leave_the_right_status(web_store: ClinicalStore, store_url: str) -> None:
    """Each of two transactions reviews one of a patient's two entries; neither alone completes her. The lock on
    the patient makes the second compute after the first commits, so the status ends complete."""
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time")
    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    entries = [web_store.add_entry("TH-000001", "demographics", PERSON, user="dr_ivanova").entry_id,
               web_store.add_entry("TH-000001", "laboratory", {"tsh": 1.0}, user="dr_ivanova",
                                   entry_date="2020-01-10").entry_id]
    start = threading.Barrier(2)

    def review(entry_id: int) -> None:
        start.wait()
        web_store.review_entry(entry_id, reviewer="dr_petrov", review_date="2024-01-01", agreement="agree")

    threads = [threading.Thread(target=review, args=(e,)) for e in entries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _statuses(web_store) == {"TH-000001": "complete"}


def test_the_command_line(web_store: ClinicalStore, lab: int, store_url: str, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from oncobank.cli.main import app

    monkeypatch.setenv("ONCOBANK_DB", store_url)
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def run(user: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("ONCOBANK_USER", user)
        result = runner.invoke(app, ["query", *args])
        return result.exit_code, result.output.strip()

    assert run("dr_petrov", "open", str(lab), "tsh", "--text", "1.2 or 12?", "--suggest", "12") == \
        (0, f"data query 1 opened on entry {lab}, field tsh")
    assert run("dr_ivanova", "answer", "1", "--text", "1.2") == (0, "data query 1: answered")
    assert run("dr_ivanova", "close", "1") == (1, "error: user dr_ivanova (clinician) may not close data queries")
    assert run("dr_petrov", "close", "1") == (0, "data query 1: closed")
    assert run("dr_petrov", "list", "--status", "pending") == \
        (1, "error: --status 'pending': expected one of open, answered, closed")
    code, out = run("dr_ivanova", "list", "--status", "closed")
    assert code == 0 and out.splitlines()[0].split()[:7] == ["1", "closed", "TH-000001", "entry", str(lab),
                                                             "laboratory.tsh", "dr_petrov"]
    assert out.splitlines()[-1] == "1 data queries"
    assert run("dr_sidorov", "show", "1") == (1, "error: no data query 1")
