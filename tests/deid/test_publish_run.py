"""A publish run end to end: into a DuckDB analysis store, incremental, idempotent, audited, from the CLI, killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.deid.keys import publish_secret
from oncobank.deid.publish import publish
from oncobank.engine import connect as analysis
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import AuditEvent, Entry

from .publishing import add_other_patient, add_patient_data, differences, strings

CHILD = Path(__file__).with_name("publish_child.py")
runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _rows(url: str, name: str) -> list[dict]:  # type: ignore[type-arg]
    with analysis(url) as store:
        return store.to_arrow(store.table(name)).to_pylist()


def test_incremental_publishes_equal_a_full_rebuild(store: ClinicalStore, patient: str, tmp_path: Path,
                                                    home) -> None:  # type: ignore[no-untyped-def]
    target = str(tmp_path / "analysis.duckdb")
    add_patient_data(store, patient)
    first = publish(store, target)
    assert (first.number, first.full, first.reason) == (1, True, "first")
    add_other_patient(store)
    with store.session() as s:
        imaging = s.scalar(select(Entry.id).where(Entry.section == "imaging").order_by(Entry.id).limit(1))
    store.retract_entry(imaging, 1, user="dr_ivanova", reason="wrong patient")
    second = publish(store, target)
    assert (second.number, second.full, second.patients_changed, second.entries_retracted) == (2, False, 2, 1)
    assert len(_rows(target, "thyroid_imaging")) == 1  # the retracted study is gone
    assert len(_rows(target, "patient")) == 2
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    assert publish(store, rebuilt, full=True).full
    assert differences(target, rebuilt) == []
    log = _rows(target, "publish_log")
    assert [(r["number"], r["full"], r["patients_changed"]) for r in log] == [(1, True, 1), (2, False, 2)]


def test_a_rerun_with_no_changes_changes_nothing(store: ClinicalStore, patient: str, tmp_path: Path,
                                                 home) -> None:  # type: ignore[no-untyped-def]
    from oncobank.engine.sinks import open_sink

    target = str(tmp_path / "analysis.duckdb")
    add_patient_data(store, patient)
    publish(store, target)
    snapshot = open_sink(target).snapshot
    again = publish(store, target)
    assert (again.changed, again.reason) == (False, "no_changes")
    assert open_sink(target).snapshot == snapshot
    assert len(_rows(target, "publish_log")) == 1


def test_each_run_is_one_audit_event_with_counts(store: ClinicalStore, patient: str, tmp_path: Path,
                                                 home) -> None:  # type: ignore[no-untyped-def]
    target = str(tmp_path / "analysis.duckdb")
    add_patient_data(store, patient)
    add_other_patient(store)
    with store.session() as s:
        before = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    publish(store, target, user="dr_ivanova")
    publish(store, target, user="dr_ivanova")
    with store.session() as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.details)
                           .where(AuditEvent.id > before).order_by(AuditEvent.id)).all()
    assert [(a, p) for a, p, _ in events] == [("publish", None), ("publish", None)]
    assert (events[0].details["patients"], events[0].details["outcome"]) == (2, "applied")
    assert (events[1].details["patients"], events[1].details["outcome"]) == (0, "nothing to publish")


def test_the_secret_stays_with_the_clinical_store(store: ClinicalStore, patient: str, tmp_path: Path,
                                                  home) -> None:  # type: ignore[no-untyped-def]
    target = str(tmp_path / "analysis.duckdb")
    add_patient_data(store, patient)
    publish(store, target)
    secret = publish_secret(store.engine.url, create=False).hex()
    if store.engine.url.get_backend_name() == "sqlite":
        key = Path(store.engine.url.database + ".publish-key")
        assert key.stat().st_mode & 0o777 == 0o600
    with analysis(target) as published:
        for name in published.tables():
            table = published.to_arrow(published.table(name))
            assert not any(secret in text for text in strings(table)), name
    assert not any(secret in p.read_bytes().hex() or secret.encode() in p.read_bytes()
                   for p in tmp_path.glob("analysis.duckdb*"))


def test_the_command_publishes_and_reports(store: ClinicalStore, patient: str, tmp_path: Path, home,
                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_USER", "admin")
    add_patient_data(store, patient)
    url = store.engine.url.render_as_string(hide_password=False)
    target = str(tmp_path / "analysis.duckdb")
    done = runner.invoke(app, ["publish", "--db", url, "--to", target, "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert (result["number"], result["full"], result["rows"]["thyroid_imaging"]) == (1, True, 2)
    shown = runner.invoke(app, ["publish", "--db", url, "--to", target, "--full", "--lang", "ru"])
    assert shown.exit_code == 0 and "Публикация 2: полная пересборка" in shown.stdout
    assert "по запросу (--full)" in shown.stdout


def test_a_bad_policy_is_one_error_line_and_nothing_is_written(store: ClinicalStore, tmp_path: Path, home,
                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_USER", "admin")
    policy = tmp_path / "policy.yaml"
    policy.write_text("dates: shift\nshift_min_days: 30\nshift_max_days: 10\n", encoding="utf-8")
    url = store.engine.url.render_as_string(hide_password=False)
    target = tmp_path / "analysis.duckdb"
    done = runner.invoke(app, ["publish", "--db", url, "--to", str(target), "--policy", str(policy)])
    assert done.exit_code == 1
    assert done.stderr.strip() == (f"error: policy {policy}: policy: Value error, shift_min_days 30 is above "
                                   "shift_max_days 10")
    assert not target.exists()
    done = runner.invoke(app, ["publish", "--db", url, "--to", "ftp://elsewhere/x"])
    assert done.exit_code == 1
    assert done.stderr.startswith("error: analysis store URL 'ftp://elsewhere/x' not understood")


def test_a_killed_publish_leaves_the_last_snapshot_and_the_next_run_finishes(
        store: ClinicalStore, patient: str, tmp_path: Path, home) -> None:  # type: ignore[no-untyped-def]
    if store.engine.url.get_backend_name() != "sqlite":
        pytest.skip("the subprocess opens the SQLite store's file; the sinks' own tests kill on every backend")
    url = store.engine.url.render_as_string(hide_password=False)
    target = str(tmp_path / "analysis.duckdb")
    add_patient_data(store, patient)
    publish(store, target)
    before = _rows(target, "follow_up")
    add_other_patient(store)
    child = subprocess.Popen([sys.executable, str(CHILD), url, target], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    assert _rows(target, "follow_up") == before
    assert len(_rows(target, "publish_log")) == 1
    resumed = publish(store, target)
    assert (resumed.number, resumed.patients_changed) == (2, 1)
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    publish(store, rebuilt, full=True)
    assert differences(target, rebuilt) == []


def test_a_postgresql_analysis_store_holds_what_duckdb_holds(store: ClinicalStore, patient: str, tmp_path: Path,
                                                             home) -> None:  # type: ignore[no-untyped-def]
    if store.engine.url.get_backend_name() != "postgresql":
        pytest.skip("the analysis schema is put in the PostgreSQL test database of the clinical store")
    server = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    target = f"{server}?schema=research"
    add_patient_data(store, patient)
    publish(store, target)
    add_other_patient(store)
    assert publish(store, target).patients_changed == 1
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    publish(store, rebuilt, full=True)
    assert differences(target, rebuilt) == []


def test_a_spark_snapshot_holds_what_duckdb_holds(store: ClinicalStore, patient: str, tmp_path: Path, home,
                                                  monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if store.engine.url.get_backend_name() != "sqlite":
        pytest.skip("one clinical store is enough to check the Parquet snapshots")
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    target = f"spark:{tmp_path / 'spark'}"
    add_patient_data(store, patient)
    publish(store, target)
    add_other_patient(store)
    assert publish(store, target).patients_changed == 1
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    publish(store, rebuilt, full=True)
    assert differences(target, rebuilt) == []
