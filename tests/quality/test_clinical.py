"""Problem records of the analysis store identified on the clinical store for its data manager, within her reach."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.deid.publishing import add_other_patient, build

from oncobank.deid.keys import publish_secret
from oncobank.engine import connect
from oncobank.engine.sinks import open_sink
from oncobank.quality.clinical import identify
from oncobank.quality.compile import Context
from oncobank.quality.issues import problems
from oncobank.quality.service import checks_for
from oncobank.store import accounts
from oncobank.store.clinical import ClinicalStore


def test_a_problem_record_is_found_and_identified(store: ClinicalStore, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_PUBLISH_KEY", "ab" * 32)  # no key file written outside the test's folder
    add_other_patient(store, "TH-000002")  # alive, at C01
    store.create_patient("TH-000003", "C01", "dr_ivanova", {})
    dead = store.add_entry("TH-000003", "follow_up", {"last_contact_date": "2023-02-01", "vital_status": "dead"},
                           user="dr_ivanova", entry_date="2023-02-01").entry_id
    _, delta = build(store, secret=publish_secret(store.engine.url))
    url = str(tmp_path / "analysis.duckdb")
    open_sink(url).apply(delta)
    check = {c.id: c for c in checks_for(["thyroid"])}["rule:thyroid.death_date_when_dead"]
    with connect(url) as analysis:
        rows = problems(analysis, check, Context(dt.date(2024, 1, 1), 365))
    assert [(r["column"], r["value"]) for r in rows] == [("death_date", None)]
    assert rows[0]["pseudonym"] != "TH-000003"
    found = identify(store, rows, check.id)
    assert [(r["registry_id"], r["entry_id"], r["open"]) for r in found] == [
        ("TH-000003", dead, "oncobank patient show TH-000003")]
    store.ensure_centre("C02", "Centre two")
    store.ensure_user("dm_c02", role="data_manager", centre="C02")
    store.actor = accounts.acting(store, "dm_c02")
    assert identify(store, rows, check.id) == []  # another centre's patient is not hers to see
