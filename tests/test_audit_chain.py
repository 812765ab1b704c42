"""The history seal: every way of rewriting history the store was found open to is refused or caught by verify."""

from __future__ import annotations

import json
import os
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.dictionary import load_module
from oncobank.ingest.mapping import load_mapping, shipped_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.store import audit
from oncobank.store.card import read_card
from oncobank.store.chain import KEY_ENV, SEALED, HistoryKeyError, key_path, row_hash
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.load import load_registry
from oncobank.store.migrate import upgrade
from oncobank.store.models import AuditEvent, HistoryLink
from oncobank.store.verify import Verdict, verify

DOSE = {"levothyroxine_dose": 100}


@pytest.fixture
def history(store: ClinicalStore, patient: str) -> dict[str, int]:
    """A patient with an entry edited to version 2, a review, a retracted entry, an audited read; their IDs."""
    entry = store.add_entry(patient, "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2020-02-01")
    store.edit_entry(entry.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_petrov", reason="dose corrected",
                     entry_date="2020-02-01")
    store.review_entry(entry.entry_id, reviewer="dr_petrov", review_date="2020-03-01", agreement="agree")
    other = store.add_entry(patient, "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2021-02-01")
    store.retract_entry(other.entry_id, 1, user="dr_ivanova", reason="wrong patient")
    read_card(store, patient, user="dr_petrov")
    with store.session() as s:
        pid = store.patient_id(s, patient)
        ids = {"entry": entry.entry_id, "patient": pid, "user": store.user_id(s, "dr_petrov")}
        ids["identifier"] = s.scalar(text("SELECT id FROM patient_identifier WHERE patient_id = :p"), {"p": pid})
        ids["audit"] = s.scalar(text("SELECT min(id) FROM audit_log WHERE patient_id = :p"), {"p": pid})
        ids["version"] = s.scalar(text("SELECT id FROM entry_version WHERE entry_id = :e AND version = 1"),
                                  {"e": entry.entry_id})
    return ids


def _sql(engine: Engine, *statements: str, unguard: tuple[str, ...] = ()) -> None:
    """Run statements as the database's owner would, after switching off the store's triggers on `unguard`."""
    with engine.begin() as c:
        for table in unguard:
            if c.dialect.name == "postgresql":
                c.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for (name,) in c.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)).all():
                    c.exec_driver_sql(f"DROP TRIGGER {name}")
        for statement in statements:
            c.execute(text(statement))


def _refused(engine: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError, match=r"not allowed|only moves on|never overwritten"), engine.begin() as c:
        c.execute(text(statement))


def _broken(store: ClinicalStore, kind: str, table: str | None, row_id: int | None = None) -> Verdict:
    verdict = verify(store.engine)
    assert not verdict.intact
    first = verdict.first
    assert first is not None
    assert (first.kind, first.table) == (kind, table), verdict.to_dict()["breaks"][:3]
    if row_id is not None:
        assert first.row_id == row_id
    return verdict


def test_an_untouched_history_verifies(store: ClinicalStore, history: dict[str, int]) -> None:
    verdict = verify(store.engine)
    assert verdict.intact, verdict.to_dict()
    assert verdict.rows == verdict.links - 1 > 20  # every row has its link; link 0 starts the chain
    assert verdict.head is not None and verdict.head[0] == verdict.rows


def test_load_ingest_and_edits_verify(store: ClinicalStore, tmp_path: Path) -> None:
    from oncobank.synth import generate

    hospital = tmp_path / "hospital"
    generate(12, 5, hospital, formats={"registry", "emr", "lis", "hl7", "pacs"})
    assert load_registry(store, hospital, user="admin").balanced
    path = shipped_mapping("thyroid", "synthetic_hospital")
    report = run_ingest(store, hospital, load_mapping(path, store.dictionary), path.read_text(encoding="utf-8"),
                        user="admin")
    assert report.balanced
    with store.session() as s:
        entry_id, version = s.execute(text("SELECT id, current_version FROM entry WHERE section = 'hormone_therapy' "
                                           "ORDER BY id LIMIT 1")).one()
    store.edit_entry(entry_id, version, {"levothyroxine_dose": 75}, user="dr_ivanova", reason="dose lowered",
                     entry_date="2020-02-01")
    verdict = verify(store.engine)
    assert verdict.intact, verdict.to_dict()["breaks"][:3]
    assert verdict.rows > 1000



def test_a_row_hashes_alike_on_both_backends(store: ClinicalStore) -> None:
    # JSONB keeps 3700.0 but gives 1e16 back as an integer and sorts keys; SQLite gives back what JSON wrote.
    details = {"b": 1e16, "a": 3700.0, "c": 1e-07, "e": 1.2345e20, "n": [1, 2.5, {"z": "ё"}], "t": True, "x": None}
    with store.session() as s:
        audit.record(s, "read", None, **details)
    sealed = [AuditEvent.__table__.c[c] for c in SEALED["audit_log"]]
    with store.engine.connect() as c:
        row = c.execute(select(*sealed).order_by(AuditEvent.id.desc()).limit(1)).one()
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    key = b"k" * 32
    assert row_hash(key, "audit_log", row) == row_hash(key, "audit_log", (row.id, at, None, None, "read", None, None,
                                                                          details))
    assert verify(store.engine).intact

@pytest.mark.parametrize("table", ["audit_log", "entry_version"])
def test_insert_or_replace_is_refused_and_caught_once_the_trigger_is_dropped(
    store: ClinicalStore, history: dict[str, int], table: str
) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    row = history["audit" if table == "audit_log" else "version"]
    change = ("action = 'read'" if table == "audit_log" else "reason = 'rewritten'")
    replace = (f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE id = {row}")
    _refused(store.engine, replace)
    _sql(store.engine, f"DROP TRIGGER {table}_no_replace", f"CREATE TEMP TABLE copy AS SELECT * FROM {table} "
         f"WHERE id = {row}", f"UPDATE copy SET {change}", f"INSERT OR REPLACE INTO {table} SELECT * FROM copy")
    _broken(store, "changed", table, row)


def test_update_of_a_version_after_its_trigger_is_dropped(store: ClinicalStore, history: dict[str, int]) -> None:
    _refused(store.engine, "UPDATE entry_version SET reason = 'rewritten'")
    _sql(store.engine, f"UPDATE entry_version SET \"values\" = '{{\"levothyroxine_dose\": 250}}' "
         f"WHERE id = {history['version']}", unguard=("entry_version",))
    _broken(store, "changed", "entry_version", history["version"])



def test_a_value_the_store_never_writes_is_a_change_not_a_crash(store: ClinicalStore, history: dict[str, int]) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps any type in any column")
    _sql(store.engine, f"UPDATE entry_version SET \"values\" = x'00ff', created_at = 7 WHERE id = {history['version']}",
         unguard=("entry_version",))
    _broken(store, "changed", "entry_version", history["version"])

def test_delete_of_an_audit_event_after_its_trigger_is_dropped(store: ClinicalStore, history: dict[str, int]) -> None:
    _refused(store.engine, "DELETE FROM audit_log")
    _sql(store.engine, f"DELETE FROM audit_log WHERE id = {history['audit']}", unguard=("audit_log",))
    _broken(store, "missing", "audit_log", history["audit"])


def test_turning_an_entry_back_to_an_older_version(store: ClinicalStore, history: dict[str, int]) -> None:
    _refused(store.engine, f"UPDATE entry SET current_version = 1 WHERE id = {history['entry']}")
    _sql(store.engine, f"UPDATE entry SET current_version = 1 WHERE id = {history['entry']}", unguard=("entry",))
    verdict = _broken(store, "version", "entry", history["entry"])
    assert "points at version 1, but its newest version is 2" in verdict.first.detail  # type: ignore[union-attr]


def test_moving_an_entry_to_another_patient(store: ClinicalStore, history: dict[str, int]) -> None:
    other = store.create_patient("TH-000002", "C01", "dr_ivanova")
    statement = f"UPDATE entry SET patient_id = {other} WHERE id = {history['entry']}"
    _refused(store.engine, statement)
    _sql(store.engine, statement, unguard=("entry",))
    _broken(store, "changed", "entry", history["entry"])


def test_renumbering_a_patient(store: ClinicalStore, history: dict[str, int]) -> None:
    statement = f"UPDATE patient SET registry_id = 'TH-999999' WHERE id = {history['patient']}"
    _refused(store.engine, statement)
    _sql(store.engine, statement, unguard=("patient",))
    _broken(store, "changed", "patient", history["patient"])


def test_changing_a_source_identifier(store: ClinicalStore, history: dict[str, int]) -> None:
    statement = f"UPDATE patient_identifier SET value = 'E-2002' WHERE id = {history['identifier']}"
    _refused(store.engine, statement)
    _sql(store.engine, statement, unguard=("patient_identifier",))
    _broken(store, "changed", "patient_identifier", history["identifier"])


def test_renaming_a_user_leaves_past_events_under_the_old_name(store: ClinicalStore, history: dict[str, int],
                                                                 patient: str) -> None:
    statement = f"UPDATE app_user SET username = 'someone_else' WHERE id = {history['user']}"
    _refused(store.engine, statement)
    _sql(store.engine, statement, unguard=("app_user",))
    with store.session() as s:
        users = {e["user"] for e in audit.trail(s, patient)}
    assert users == {"dr_ivanova", "dr_petrov"}  # as they were called when they acted
    _broken(store, "changed", "app_user", history["user"])


def test_truncating_the_audit_log(store: ClinicalStore, history: dict[str, int]) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    _refused(store.engine, "TRUNCATE audit_log")
    _sql(store.engine, "TRUNCATE audit_log", unguard=("audit_log",))
    _broken(store, "missing", "audit_log")


def test_a_forged_event(store: ClinicalStore, history: dict[str, int]) -> None:
    with store.engine.begin() as c:  # written past the store's sessions, as a client of the database would
        forged = c.execute(insert(AuditEvent.__table__).values(
            user_id=history["user"], username="dr_petrov", action="read", patient_id=history["patient"], details={})
            .returning(AuditEvent.id)).scalar_one()
    _broken(store, "unsealed", "audit_log", forged)
    store.add_entry("TH-000001", "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2022-01-01")
    _broken(store, "unsealed", "audit_log", forged)  # later commits seal their own rows, never a forged one


def test_a_forged_event_with_a_forged_link(store: ClinicalStore, history: dict[str, int]) -> None:
    with store.engine.begin() as c:
        forged = c.execute(insert(AuditEvent.__table__).values(
            user_id=history["user"], username="dr_petrov", action="read", patient_id=history["patient"], details={})
            .returning(AuditEvent.id)).scalar_one()
        seq = c.scalar(select(HistoryLink.seq).order_by(HistoryLink.seq.desc()).limit(1)) + 1
        c.execute(insert(HistoryLink.__table__).values(seq=seq, table_name="audit_log", row_id=forged,
                                                       row_hash="0" * 64, chain_hash="1" * 64))
    verdict = _broken(store, "link", "audit_log", forged)
    assert verdict.counts["changed"] == 1


def test_links_swapped(store: ClinicalStore, history: dict[str, int]) -> None:
    _refused(store.engine, "UPDATE history_chain SET seq = seq + 1000")
    _sql(store.engine, "UPDATE history_chain SET seq = -1 WHERE seq = 3", "UPDATE history_chain SET seq = 3 "
         "WHERE seq = 4", "UPDATE history_chain SET seq = 4 WHERE seq = -1", unguard=("history_chain",))
    verdict = _broken(store, "link", _table_at(store, 3))
    assert verdict.first.seq == 3  # type: ignore[union-attr]


def _table_at(store: ClinicalStore, seq: int) -> str:
    with store.engine.connect() as c:
        return c.scalar(select(HistoryLink.table_name).where(HistoryLink.seq == seq))


def test_the_newest_history_cut_off_is_caught_against_a_recorded_head(
    store: ClinicalStore, history: dict[str, int]
) -> None:
    recorded = verify(store.engine).head
    assert recorded is not None
    head = f"{recorded[0]}:{recorded[1][:32]}"
    assert verify(store.engine, head=head).intact
    with store.engine.connect() as c:
        last = c.execute(select(HistoryLink.table_name, HistoryLink.row_id).where(
            HistoryLink.seq == recorded[0])).one()
    _sql(store.engine, f"DELETE FROM history_chain WHERE seq = {recorded[0]}",
         f"DELETE FROM {last.table_name} WHERE id = {last.row_id}", unguard=("history_chain", last.table_name))
    assert verify(store.engine).intact  # a cut at the end leaves a shorter chain that holds together…
    verdict = verify(store.engine, head=head)  # …which the recorded head shows up
    assert (verdict.first.kind, verdict.first.seq) == ("head", recorded[0])  # type: ignore[union-attr]


def test_writing_with_a_wrong_or_missing_key_is_refused(store: ClinicalStore, history: dict[str, int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    with pytest.raises(HistoryKeyError, match="does not open this store's chain"):
        store.add_entry("TH-000001", "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2022-01-01")
    verdict = verify(store.engine)
    assert verdict.first.kind == "start"  # type: ignore[union-attr]
    monkeypatch.delenv(KEY_ENV)
    path = key_path(store.engine.url)
    if store.engine.dialect.name == "sqlite":
        assert path is not None
        path.rename(path.with_name("elsewhere"))
        with pytest.raises(HistoryKeyError, match="missing"):
            store.add_entry("TH-000001", "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2022-01-01")
    with store.session() as s:  # nothing was written by the refused commits
        assert s.scalar(text("SELECT count(*) FROM entry WHERE created_at IS NOT NULL")) == 3


def test_concurrent_writers_make_one_chain(store: ClinicalStore, patient: str) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(8):
                store.add_entry(patient, "hormone_therapy", DOSE, user="dr_ivanova",
                                entry_date=f"20{10 + n}-01-0{i + 1}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    verdict = verify(store.engine)
    assert verdict.intact, verdict.to_dict()["breaks"][:3]


def test_a_store_from_before_the_seal_is_sealed_when_upgraded(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'old.sqlite'}")
    for revision in ("0002", "0003", "0004"):
        upgrade(engine, revision)
    with engine.begin() as c:
        for statement in (
            "INSERT INTO centre (id, code, name) VALUES (1, 'C01', 'Centre one')",
            "INSERT INTO app_user (id, username, role, created_at) VALUES (1, 'dr_old', 'clinician', "
            "'2026-01-01 10:00:00.000000')",
            "INSERT INTO patient (id, registry_id, module, centre_id, created_at, created_by) "
            "VALUES (1, 'TH-1', 'thyroid', 1, '2026-01-01 10:00:00.000000', 1)",
            "INSERT INTO audit_log (id, at, user_id, action, patient_id, details) "
            "VALUES (1, '2026-01-01 10:00:00.000000', 1, 'create_patient', 1, '{}')",
        ):
            c.execute(text(statement))
    upgrade(engine)
    verdict = verify(engine)
    assert verdict.intact and verdict.rows == 4 and verdict.links == 5
    with engine.connect() as c:
        assert c.scalar(text("SELECT username FROM audit_log")) == "dr_old"
    engine.dispose()


def test_a_new_store_and_its_key_are_the_owners_only(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "stores"
    engine = connect(f"sqlite:///{folder / 'oncobank.sqlite'}")
    upgrade(engine)
    store = ClinicalStore(engine, load_module("core"))
    store.ensure_user("dr_ivanova", "data_manager")
    for path, mode in ((folder, 0o700), (folder.parent, 0o700), (folder / "oncobank.sqlite", 0o600),
                       (folder / "oncobank.sqlite-wal", 0o600), (folder / "oncobank.sqlite.history-key", 0o600)):
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, path
    engine.dispose()


# --- PostgreSQL: the application's role -----------------------------------------------------------------------


@pytest.fixture
def app_engine(store_url: str) -> Iterator[Engine]:
    """An engine on the store connected as a login role that is a member of oncobank_app (as a deployment is)."""
    if not store_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    role = f"oncobank_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(store_url, isolation_level="AUTOCOMMIT")  # as the owner
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN IN ROLE oncobank_app")
    engine = connect(store_url.replace("postgres@", f"{role}@", 1))
    yield engine
    engine.dispose()
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP ROLE {role}")
    admin.dispose()


def test_the_application_role_writes_history_and_cannot_rewrite_it(app_engine: Engine) -> None:
    store = ClinicalStore(app_engine, load_module("thyroid"))
    store.ensure_centre("C01")
    store.ensure_user("dr_ivanova", "data_manager")
    store.create_patient("TH-000001", "C01", "dr_ivanova", {"EMR": "E-1"})
    ref = store.add_entry("TH-000001", "hormone_therapy", DOSE, user="dr_ivanova", entry_date="2020-02-01")
    store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_ivanova", reason="dose corrected",
                     entry_date="2020-02-01")
    read_card(store, "TH-000001", user="dr_ivanova")
    assert verify(app_engine).intact
    for statement in ("UPDATE audit_log SET action = 'read'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                      "UPDATE entry_version SET reason = 'x'", "DELETE FROM entry_version", "TRUNCATE entry_version",
                      "DELETE FROM history_chain", "UPDATE patient SET registry_id = 'TH-2'",
                      "UPDATE patient_identifier SET value = 'E-2'", "UPDATE entry SET patient_id = 1",
                      "DELETE FROM entry", "DROP TRIGGER audit_log_no_truncate ON audit_log",
                      "ALTER TABLE audit_log DISABLE TRIGGER USER", "DROP TABLE audit_log"):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), app_engine.begin() as c:
            c.execute(text(statement))


# --- the command --------------------------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONCOBANK_USER", "dr_ivanova")
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(app, list(args))

    return run


def test_audit_verify_command(cli_store: Callable[..., object], tmp_path: Path) -> None:
    assert cli_store("synth", "--patients", "3", "--seed", "2", "--out", str(tmp_path / "h")).exit_code == 0
    assert cli_store("load", str(tmp_path / "h")).exit_code == 0
    ok = cli_store("audit", "verify")
    assert ok.exit_code == 0 and "History intact" in ok.stdout  # type: ignore[attr-defined]
    head = json.loads(cli_store("audit", "verify", "--json").stdout)["head"]  # type: ignore[attr-defined]
    store = tmp_path / "home" / "oncobank.sqlite"
    _sql(connect(f"sqlite:///{store}"), "UPDATE audit_log SET action = 'read' WHERE id = 2", unguard=("audit_log",))
    broken = cli_store("audit", "verify", "--head", f"{head['seq']}:{head['hash']}")
    assert broken.exit_code == 1  # type: ignore[attr-defined]
    assert "First broken link: audit_log row 2 differs" in " ".join(broken.stdout.split())  # type: ignore[attr-defined]
    found = json.loads(cli_store("audit", "verify", "--json").stdout)  # type: ignore[attr-defined]
    assert found["intact"] is False and found["first_broken"]["kind"] == "changed"
    assert found["first_broken"]["table"] == "audit_log" and found["first_broken"]["row_id"] == 2
    bad = cli_store("audit", "verify", "--head", "12")
    assert bad.exit_code == 1 and "expected SEQ:HASH" in bad.stderr  # type: ignore[attr-defined]
    assert cli_store("audit", "verify", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}").exit_code == 1
    assert not (tmp_path / "none.sqlite").exists()
