"""A publish whose batches run in worker processes writes what one process writes, and its workers die with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from oncobank.deid.policy import KAnonymitySettings, Policy
from oncobank.deid.pool import shareable
from oncobank.deid.publish import Publisher
from oncobank.engine.sinks import open_sink
from oncobank.store.clinical import ClinicalStore

from .publishing import SECRET, add_other_patient, add_patient_data, differences

CHILD = Path(__file__).with_name("pool_child.py")


def _registry(store: ClinicalStore, patient: str) -> None:
    add_patient_data(store, patient)
    for number, born in enumerate(("1980-02-01", "1955-07-30", "1991-11-11", "1980-02-01", "1962-03-15"), start=2):
        add_other_patient(store, f"TH-{number:06d}", born)


def _publish(store: ClinicalStore, target: str, policy: Policy, *, workers: int, batch: int) -> None:
    publisher = Publisher(store.engine, policy, SECRET, modules=[store.dictionary.name], workers=workers, batch=batch)
    delta, _ = publisher.build(publisher.plan(None))
    open_sink(target).apply(delta)


@pytest.mark.parametrize("policy", [Policy(), Policy(k_anonymity=KAnonymitySettings(k=2))], ids=["default", "k=2"])
def test_batches_in_two_workers_give_the_snapshot_of_one_process(store: ClinicalStore, patient: str,
                                                                 tmp_path: Path, policy: Policy) -> None:
    """Six patients in batches of one and of four, in two worker processes, against one batch here."""
    _registry(store, patient)
    alone = str(tmp_path / "alone.duckdb")
    _publish(store, alone, policy, workers=1, batch=2000)
    for batch in (1, 4):
        pooled = str(tmp_path / f"pooled-{batch}.duckdb")
        _publish(store, pooled, policy, workers=2, batch=batch)
        assert differences(alone, pooled) == [], batch


def test_which_stores_a_worker_can_open() -> None:
    assert shareable(make_url("sqlite:////data/store.sqlite"))
    assert shareable(make_url("postgresql+psycopg://u@127.0.0.1:5432/registry"))
    assert not shareable(make_url("sqlite://"))
    assert not shareable(make_url("sqlite:///:memory:"))
    assert not shareable(make_url("sqlite:///file:store?mode=memory&cache=shared&uri=true"))


def test_the_workers_end_when_the_publishing_process_is_killed(store: ClinicalStore, patient: str) -> None:
    if store.engine.url.get_backend_name() != "sqlite":
        pytest.skip("one backend is enough: the workers watch their parent, not the store")
    _registry(store, patient)
    url = store.engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen([sys.executable, str(CHILD), url], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        assert child.stdout is not None
        workers = [int(p) for p in child.stdout.readline().split()]
        assert len(workers) == 2
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # a zombie is gone but for its exit status
