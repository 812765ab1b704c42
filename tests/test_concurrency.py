"""Concurrent writers: two editors of one entry (one wins, the other gets a conflict), racing get-or-create."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select, text

from oncobank.dictionary import load_module
from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.errors import ConflictError
from oncobank.store.models import User


def _entry(store: ClinicalStore, patient: str) -> int:
    return store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                           entry_date="2020-02-01").entry_id


def test_simultaneous_editors_exactly_one_wins(store: ClinicalStore, patient: str, store_url: str) -> None:
    entry_id = _entry(store, patient)
    stores = [ClinicalStore(connect(store_url), load_module("thyroid")) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def editor(which: int) -> None:
        barrier.wait()
        try:
            stores[which].edit_entry(entry_id, 1, {"levothyroxine_dose": 125 + which}, user="dr_petrov",
                                     reason=f"editor {which}", entry_date="2020-02-01")
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "saved"]
    entry = read_card(store, patient, user="dr_ivanova").section("hormone_therapy")[0]
    assert [v.version for v in entry.versions] == [1, 2]
    for s in stores:
        s.engine.dispose()


@pytest.mark.postgres
def test_writer_waiting_on_a_row_lock_gets_a_conflict(store: ClinicalStore, patient: str, store_url: str) -> None:
    """The second writer blocks behind an open transaction, then finds the version moved on."""
    if not store_url.startswith("postgresql"):
        pytest.skip("row-level locks are a PostgreSQL behaviour; SQLite locks the whole file")
    entry_id = _entry(store, patient)
    other = ClinicalStore(connect(store_url), load_module("thyroid"))
    first = other.engine.connect()
    transaction = first.begin()
    first.execute(text("UPDATE entry SET current_version = 2 WHERE id = :id AND current_version = 1"), {"id": entry_id})
    result: list[BaseException | str] = []

    def second_writer() -> None:
        try:
            store.edit_entry(entry_id, 1, {"levothyroxine_dose": 150}, user="dr_petrov", reason="second",
                             entry_date="2020-02-01")
            result.append("saved")
        except BaseException as exc:  # collected and checked in the main thread
            result.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second writer should be waiting on the first one's row lock"
    first.execute(text(
        "INSERT INTO entry_version (entry_id, version, status, values, entered, reference_ranges, warnings, "
        "author_id, created_at) SELECT :id, 2, 'active', '{\"levothyroxine_dose\": 125}', '{}', '{}', '[]', "
        "id, now() FROM app_user WHERE username = 'dr_ivanova'"), {"id": entry_id})
    transaction.commit()
    thread.join(30)
    assert len(result) == 1 and isinstance(result[0], ConflictError)
    assert result[0].actual == 2
    first.close()
    other.engine.dispose()


_RACER = """
import sys, time
from oncobank.dictionary import load_module
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
url, start, names = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
store = ClinicalStore(connect(url), load_module("thyroid"))
while time.time() < start:
    pass
print(" ".join(str(store.ensure_user(f"racer-{n}", "researcher")) for n in range(names)))
"""


def test_processes_registering_the_same_new_users_all_get_the_one_row(store: ClinicalStore, store_url: str) -> None:
    """Get-or-create of a user (set-up registers accounts this way) raced by real processes: one row each."""
    names, start = 150, time.time() + 8  # the processes import, connect, then start together
    racers = [subprocess.Popen([sys.executable, "-c", _RACER, store_url, str(start), str(names)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0, 0], [err[-1500:] for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1  # every process got the same IDs
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username.like("racer-%"))) == names
