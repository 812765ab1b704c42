"""A real `oncobank ingest` killed with SIGKILL mid-run and re-run ends exactly like an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from oncobank.ingest.mapping import shipped_mapping
from oncobank.ingest.models import DataIssue, IngestBatch, IngestFact, IngestRecord, LinkDecision
from oncobank.store.db import connect
from oncobank.store.models import AuditEvent, Entry, EntryVersion, Patient, PatientIdentifier, Quarantine

PATIENTS = 20
CHUNK = 60
TABLES = (Patient, PatientIdentifier, LinkDecision, Entry, EntryVersion, IngestFact, IngestRecord, DataIssue)


def _command(hospital: Path, url: str) -> list[str]:
    mapping = shipped_mapping("thyroid", "synthetic_hospital")
    return [sys.executable, "-c", "from oncobank.cli import app; app()", "ingest", str(hospital),
            "--mapping", str(mapping), "--db", url, "--json", "--chunk-size", str(CHUNK)]


def _counts(url: str) -> dict[str, int]:
    engine = connect(url)
    with engine.connect() as c:
        counts = {t.__tablename__: c.scalar(select(func.count()).select_from(t)) for t in TABLES}
        counts["open quarantine"] = c.scalar(
            select(func.count()).select_from(Quarantine).where(Quarantine.status == "open"))
        counts["entry create events"] = c.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create"))
    engine.dispose()
    return counts


def _committed_records(url: str) -> int:
    engine = connect(url)
    with engine.connect() as c:
        n = c.scalar(select(func.count()).select_from(IngestRecord))
    engine.dispose()
    return n


@pytest.fixture
def second_url(pg_template: str, register_accounts: Callable[[str], None]) -> Iterator[str]:
    """Another fresh PostgreSQL store, for the uninterrupted run to compare with."""
    admin_url = os.environ.get("ONCOBANK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"oncobank_resume_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    register_accounts(admin_url.rsplit("/", 1)[0] + "/" + name)
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_sigkill_then_rerun_loses_and_duplicates_nothing(store_url: str, second_url: str, tmp_path: Path) -> None:
    from oncobank.synth import generate

    hospital = tmp_path / "hospital"
    generate(PATIENTS, 5, hospital, formats={"emr", "lis", "hl7", "pacs"})
    env = {**os.environ}

    # The run to interrupt: killed once the batch log shows committed chunks but before the batch is done.
    victim = subprocess.Popen(_command(hospital, store_url), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _committed_records(store_url) == 0:
        assert victim.poll() is None, "the run ended before a chunk was committed: nothing was interrupted"
        assert time.monotonic() < deadline, "no chunk committed within 120 s"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    engine = connect(store_url)
    with engine.connect() as c:
        assert c.scalar(select(IngestBatch.status)) == "running"  # the killed batch never finished
    engine.dispose()
    interrupted = _counts(store_url)

    resumed = subprocess.run(_command(hospital, store_url), env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = _counts(store_url)

    clean = subprocess.run(_command(hospital, second_url), env=env, capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stderr[-2000:]
    expected = _counts(second_url)
    assert 0 < interrupted["ingest_record"] < expected["ingest_record"]
    assert after == expected


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_killed_survey_leaves_nothing_in_the_system_temp_folder(store_url: str, tmp_path: Path) -> None:
    """The survey (folded names, birth dates) lives in an owner-only folder of the data home; a re-run clears it."""
    from oncobank.synth import generate

    hospital = tmp_path / "hospital"
    generate(PATIENTS, 5, hospital, formats={"emr", "lis", "hl7", "pacs"})
    home, system_temp = tmp_path / "home", tmp_path / "system-temp"
    system_temp.mkdir()
    env = {**os.environ, "ONCOBANK_HOME": str(home), "TMPDIR": str(system_temp)}
    victim = subprocess.Popen(_command(hospital, store_url), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    work = home / "work"
    deadline = time.monotonic() + 120
    while not list(work.glob("survey-*/survey.duckdb")):
        assert victim.poll() is None, "the run ended before its survey was seen"
        assert time.monotonic() < deadline, "no survey within 120 s"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert list(system_temp.iterdir()) == []
    left = [p for p in work.iterdir() if p.name.startswith("survey-")]
    assert left, "the killed run's survey folder is the one the next run must remove"
    for path in (work, *(p for p in left if p.is_dir())):
        assert path.stat().st_mode & 0o777 == 0o700

    rerun = subprocess.run(_command(hospital, store_url), env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert [p.name for p in work.iterdir()] == ["lock"]
    assert list(system_temp.iterdir()) == []
    engine = connect(store_url)
    with engine.connect() as c:  # the killed batch was marked failed by the run that came next
        assert list(c.scalars(select(IngestBatch.status).order_by(IngestBatch.id))) == ["failed", "done"]
    engine.dispose()
