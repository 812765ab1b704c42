"""Who is acting: only registered, active users act, each within her role and her centre; `system` is nobody's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.dictionary import load_module
from oncobank.store.access import GRANTS, REGISTRY_WIDE, AccessDenied, Actor, Permission, Role
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.models import AuditEvent, User

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store the first command creates, acting as `boss`, with centres C01 and C02 and one patient of C01."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("ONCOBANK_DB", url)
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONCOBANK_USER", "boss")
    made = runner.invoke(app, ["init"])
    assert made.exit_code == 0 and "Administrator: boss." in made.stdout, made.output
    for code in ("C01", "C02"):
        assert runner.invoke(app, ["centre", "add", code]).exit_code == 0
    _registry(tmp_path / "hospital")
    loaded = runner.invoke(app, ["load", str(tmp_path / "hospital")])
    assert loaded.exit_code == 0, loaded.output
    return url


def _registry(folder: Path) -> None:
    (folder / "registry").mkdir(parents=True)
    manifest = {"format": "oncobank-registry", "format_version": 1, "module": "thyroid", "seed": 0, "patients": 1,
                "centres": [{"code": "C01", "name": "Centre one"}]}
    patient = {"patient_id": "TH-1", "centre": "C01", "identifiers": [{"system": "EMR", "value": "E-1"}],
               "entries": [{"section": "demographics",
                            "values": {"surname": "Смирнова", "first_name": "Ольга", "birth_date": "1980-01-02",
                                       "sex": "F"}},
                           {"section": "laboratory", "date": "2020-01-10", "values": {"tsh": 1.2}}]}
    (folder / "registry" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "registry" / "patients.jsonl").write_text(json.dumps(patient, ensure_ascii=False) + "\n",
                                                       encoding="utf-8")


def _as(monkeypatch: pytest.MonkeyPatch, name: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("ONCOBANK_USER", name)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _add(*args: str) -> None:
    result = runner.invoke(app, ["user", "add", *args])
    assert result.exit_code == 0, result.output


def _users(url: str) -> int:
    engine = connect(url)
    with engine.connect() as c:
        n = c.scalar(select(func.count()).select_from(User))
    engine.dispose()
    return int(n or 0)


def _lab_entry(url: str) -> int:
    engine = connect(url)
    with engine.connect() as c:
        found = c.exec_driver_sql("SELECT id FROM entry WHERE section = 'laboratory'").scalar_one()
    engine.dispose()
    return int(found)


def test_an_unregistered_or_hostile_name_acts_as_nobody_and_becomes_nobody(db: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    before = _users(db)
    for name in ("stranger", "x" * 5000, "system"):
        code, out = _as(monkeypatch, name, "patient", "show", "TH-1")
        assert code == 1 and out.startswith("error: ") and "Traceback" not in out and "Смирнова" not in out
        assert len(out) < 400  # a 5,000-character name is cut, not echoed
    assert "not registered" in _as(monkeypatch, "stranger", "patient", "show", "TH-1")[1]
    assert "nobody may act as 'system'" in _as(monkeypatch, "system", "patient", "show", "TH-1")[1]
    assert _users(db) == before  # reading did not register anyone
    code, out = _as(monkeypatch, "boss", "user", "add", "system", "--role", "clinician", "--centre", "C01")
    assert code == 1 and "store's own account" in out
    code, out = _as(monkeypatch, "boss", "user", "add", "y" * 5000, "--role", "researcher")
    assert code == 1 and "[rule: max_length]" in out and _users(db) == before


def test_each_role_may_do_what_it_is_for(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _add("ivanova", "--role", "clinician", "--centre", "C01", "--full-name", "Иванова А. П.")
    _add("petrov", "--role", "reviewer", "--centre", "C01")
    _add("dm", "--role", "data_manager", "--centre", "C01")
    _add("netdm", "--role", "data_manager")
    _add("ai", "--role", "ai_evaluator")
    _add("res", "--role", "researcher")
    entry = str(_lab_entry(db))
    commands = {
        "read": ["patient", "show", "TH-1"],
        "write": ["entry", "add", "TH-1", "laboratory", "--date", "2021-01-01", "--set", "tsh=2"],
        "review": ["entry", "review", entry, "--agreement", "agree", "--date", "2021-02-01"],
        "audit": ["audit"],
        "load": ["quarantine", "list"],
        "registry": ["thyroid", "rair"],
        "users": ["user", "list"],
        "ai": ["ai", "list"],
    }
    allowed = {  # worked out from the roles' definitions in docs/security.md, not from running the code
        "boss": set(commands),
        "ivanova": {"read", "write"},
        "petrov": {"read", "review"},
        "dm": {"read", "write", "review", "users"},
        "netdm": {"read", "write", "review", "audit", "load", "registry", "users"},
        "ai": {"ai"},
        "res": set(),
    }
    for user, may in allowed.items():
        for what, args in commands.items():
            code, out = _as(monkeypatch, user, *args)
            if what in may:
                assert code == 0, (user, what, out)
            else:
                assert code == 1 and out.startswith("error: user ") and ("may not" in out or "only" in out), (
                    user, what, out)


def test_a_clinician_of_another_centre_cannot_tell_the_patient_exists(db: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _add("sidorova", "--role", "clinician", "--centre", "C02")
    entry = _lab_entry(db)
    missing = _as(monkeypatch, "sidorova", "patient", "show", "TH-404")[1]
    assert missing.strip() == "error: no patient TH-404"
    for args, refusal in (
        (["patient", "show", "TH-1"], "error: no patient TH-1"),
        (["thyroid", "facts", "TH-1"], "error: no patient TH-1"),
        (["provenance", "TH-1"], "error: no patient TH-1"),
        (["entry", "add", "TH-1", "laboratory", "--date", "2021-01-01", "--set", "tsh=2"], "error: no patient TH-1"),
        (["entry", "edit", str(entry), "--version", "1", "--reason", "x", "--set", "tsh=3"],
         f"error: no entry {entry}"),
        (["entry", "retract", str(entry), "--version", "1", "--reason", "x"], f"error: no entry {entry}"),
        (["attachment", "get", "1", "--out", "x.pdf"], "error: no attachment 1"),
    ):
        code, out = _as(monkeypatch, "sidorova", *args)
        assert code == 1 and out.strip() == refusal, (args, out)
    # the same commands work for a clinician of the patient's centre
    _as(monkeypatch, "boss", "user", "add", "ivanova", "--role", "clinician", "--centre", "C01")
    assert _as(monkeypatch, "ivanova", "patient", "show", "TH-1")[0] == 0


def test_accounts_are_managed_within_reach_and_audited(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _add("dm", "--role", "data_manager", "--centre", "C01")
    assert _as(monkeypatch, "dm", "user", "add", "newdoc", "--role", "clinician", "--centre", "C01")[0] == 0
    for args in (["user", "add", "other", "--role", "clinician", "--centre", "C02"],
                 ["user", "add", "boss2", "--role", "administrator"],
                 ["user", "set", "boss", "--status", "disabled"]):
        code, out = _as(monkeypatch, "dm", *args)
        assert code == 1 and "may not manage" in out, (args, out)
    code, out = _as(monkeypatch, "boss", "user", "add", "lost", "--role", "clinician")
    assert code == 1 and "needs a centre" in out
    code, out = _as(monkeypatch, "boss", "user", "set", "boss", "--status", "disabled")
    assert code == 1 and "your own account" in out
    assert _as(monkeypatch, "boss", "user", "set", "newdoc", "--status", "disabled")[0] == 0
    code, out = _as(monkeypatch, "newdoc", "patient", "show", "TH-1")
    assert code == 1 and "account is disabled" in out
    assert _as(monkeypatch, "boss", "user", "set", "newdoc", "--status", "active", "--role", "reviewer")[0] == 0
    assert _as(monkeypatch, "newdoc", "patient", "show", "TH-1")[0] == 0
    listed = json.loads(_as(monkeypatch, "dm", "user", "list", "--json")[1])
    assert {a["username"] for a in listed} == {"dm", "newdoc"}  # her centre's accounts only
    engine = connect(db)
    with engine.connect() as c:
        changes = [(u, d["change"], d["account"]) for u, d in c.execute(
            select(AuditEvent.username, AuditEvent.details).where(AuditEvent.action == "account")
            .order_by(AuditEvent.id))]
    engine.dispose()
    assert ("dm", "created", "newdoc") in changes
    assert ("boss", "changed", "newdoc") in changes and changes.count(("boss", "changed", "newdoc")) == 2
    assert (None, "created", "boss") in changes  # the store registered its first administrator itself


def test_user_list_speaks_russian(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _add("ivanova", "--role", "clinician", "--centre", "C01")
    from oncobank.cli.common import console

    console.width = 200  # the table's columns whole
    try:
        out = runner.invoke(app, ["user", "list", "--lang", "ru"]).stdout
    finally:
        console.width = 80
    assert "Пользователи" in out and "врач" in out and "администратор" in out and "весь регистр" in out


def test_an_older_store_gets_its_administrator_from_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose accounts were made before roles were enforced: nobody administers it until its owner says."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    from oncobank.store.migrate import upgrade

    engine = connect(url)
    upgrade(engine)
    ClinicalStore(engine, load_module("core")).ensure_user("olddoc", "researcher")
    engine.dispose()
    code, out = _as(monkeypatch, "stranger", "audit", "--db", url)
    assert code == 1 and "no administrator yet" in out and "init --admin" in out
    made = runner.invoke(app, ["init", "--db", url, "--admin", "olddoc"])
    assert made.exit_code == 0 and "Administrator: olddoc." in made.stdout
    assert _as(monkeypatch, "olddoc", "audit", "--db", url)[0] == 0
    again = runner.invoke(app, ["init", "--db", url, "--admin", "stranger"])
    assert again.exit_code == 0 and "Administrator" not in again.stdout  # it has one: nobody else is made one
    assert _as(monkeypatch, "stranger", "audit", "--db", url)[0] == 1


def test_the_rules_of_reach() -> None:
    """Registry-wide permissions need a registry-wide account; a centre's account reaches its centre only."""
    centre = Actor(1, "dm", Role.DATA_MANAGER, 7, "C07")
    network = Actor(2, "netdm", Role.DATA_MANAGER, None)
    assert centre.can(Permission.READ_PATIENTS) and not centre.can(Permission.LOAD)
    assert network.can(Permission.LOAD) and network.can(Permission.PUBLISH)
    assert centre.reaches(7) and not centre.reaches(8) and network.reaches(8)
    with pytest.raises(AccessDenied, match="works for centre C07 only"):
        centre.require(Permission.READ_AUDIT, "read the audit trail")
    assert centre.may_manage(Role.CLINICIAN, 7) and not centre.may_manage(Role.CLINICIAN, 8)
    assert not centre.may_manage(Role.ADMINISTRATOR, None) and not network.may_manage(Role.ADMINISTRATOR, None)
    assert GRANTS[Role.RESEARCHER] == {Permission.READ_ANALYSIS}  # never identified data
    assert not GRANTS[Role.CLINICIAN] & REGISTRY_WIDE
