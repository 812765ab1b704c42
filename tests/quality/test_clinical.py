"""The clinical store for data managers: problem records identified, sources' conflicts counted, within her reach."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from tests.deid.publishing import add_other_patient, build

from oncobank.deid.keys import publish_secret
from oncobank.engine import connect
from oncobank.engine.sinks import open_sink
from oncobank.ingest.models import DataIssue, IngestBatch
from oncobank.quality.clinical import conflict_results, identify
from oncobank.quality.compile import Context
from oncobank.quality.issues import problems
from oncobank.quality.service import checks_for
from oncobank.store import accounts
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Patient


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
    # a second source said "alive" for TH-000003's follow-up: an open conflict of the ingest
    with store.engine.begin() as connection:
        batch = connection.execute(insert(IngestBatch).values(mapping="m.yaml", mapping_sha256="0" * 64,
                                                              status="done", counts={})).inserted_primary_key[0]
        connection.execute(insert(DataIssue).values(
            batch_id=batch, patient_id=select(Patient.id).where(Patient.registry_id == "TH-000003").scalar_subquery(),
            entry_id=dead, field="vital_status", rule="conflict", kept={"value": "dead"}, offered={"value": "alive"}))
    checks = checks_for(["thyroid"])
    counted = conflict_results(store, checks)
    # follow-ups at C01: TH-000002's and TH-000003's; one of them in conflict
    assert (counted["source_conflict:follow_up.vital_status"].violated,
            counted["source_conflict:follow_up.vital_status"].by_centre) == (1, {"C01": [1, 2]})
    assert counted["source_conflict:follow_up.last_contact_date"].by_centre == {"C01": [0, 2]}

    store.ensure_centre("C02", "Centre two")
    store.ensure_user("dm_c02", role="data_manager", centre="C02")
    store.actor = accounts.acting(store, "dm_c02")
    assert identify(store, rows, check.id) == []  # another centre's patient is not hers to see
    assert conflict_results(store, checks)["source_conflict:follow_up.vital_status"].denominator == 0
