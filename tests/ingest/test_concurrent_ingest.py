"""Two `oncobank ingest` processes on one fresh store: one runs, the other waits and then finds the work done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oncobank.ingest.batch import ingest_lock
from oncobank.ingest.mapping import shipped_mapping
from oncobank.ingest.models import IngestBatch
from oncobank.store.db import connect
from oncobank.store.models import Patient

PATIENTS = 20


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from oncobank.synth import generate

    out = tmp_path_factory.mktemp("hospital")
    generate(PATIENTS, 3, out, formats={"emr", "lis", "hl7", "pacs"})
    return out


def _ingest(hospital: Path, url: str, home: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from oncobank.cli import app; app()", "ingest", str(hospital),
               "--mapping", str(shipped_mapping("thyroid", "synthetic_hospital")), "--db", url, "--json"]
    env = {**os.environ, "ONCOBANK_HOME": str(home)}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_ingests_at_once_run_one_after_the_other(store_url: str, hospital: Path, tmp_path: Path) -> None:
    runs = [_ingest(hospital, store_url, tmp_path / "home") for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _, err in outputs]
    first, second = sorted((json.loads(out) for out, _ in outputs), key=lambda r: r["batch_id"])
    assert first["patients_created"] == PATIENTS and first["loaded"] > 0
    # The later run found every row taken in: it ran after the first, not beside it.
    assert (second["patients_created"], second["loaded"], second["unchanged"]) == (
        0, 0, first["loaded"] + first["merged"])
    engine = connect(store_url)
    with engine.connect() as c:
        assert list(c.scalars(select(IngestBatch.status))) == ["done", "done"]
        assert c.scalar(select(func.count()).select_from(Patient)) == PATIENTS
    engine.dispose()


def test_an_ingest_waits_for_the_one_holding_the_lock_and_says_so(
    store_url: str, hospital: Path, tmp_path: Path
) -> None:
    engine = connect(store_url)
    with ingest_lock(engine):
        run = _ingest(hospital, store_url, tmp_path / "home")
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.extend(iter(run.stderr.readline, "")))  # type: ignore[union-attr]
        reader.start()
        for _ in range(600):
            if any("another ingest of this store is running" in line for line in said):
                break
            assert run.poll() is None, "the run did not wait for the lock"
            threading.Event().wait(0.1)
        else:
            pytest.fail("the waiting run never said why it waits")
        with engine.connect() as c:  # nothing was written while it waited
            assert c.scalar(select(func.count()).select_from(IngestBatch)) == 0
    out = run.stdout.read()  # type: ignore[union-attr]
    assert run.wait(timeout=600) == 0
    reader.join(10)
    assert json.loads(out)["patients_created"] == PATIENTS
    engine.dispose()
