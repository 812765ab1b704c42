"""Shared set-up of the publish tests: a small thyroid registry with one patient's identifying values everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import insert

from oncobank.deid.policy import Policy
from oncobank.deid.publish import Plan, Publisher
from oncobank.engine import connect as analysis
from oncobank.engine.compare import compare_stores
from oncobank.engine.delta import PublishDelta
from oncobank.ingest.models import IngestBatch, IngestDocument
from oncobank.store.clinical import ClinicalStore

SURNAME, FIRST, PATRONYMIC, REGION, EMR = "Иванова", "Мария", "Петровна", "Москва", "E-1001"
BIRTH = date(1970, 5, 20)
DOCUMENT = "ab" * 32  # the SHA-256 of the patient's discharge summary
SECRET = b"k" * 32
IMAGING_DAYS = (date(2021, 3, 1), date(2021, 9, 15))


def add_patient_data(store: ClinicalStore, registry_id: str = "TH-000001") -> None:
    """Follow-up, two imaging studies, RAI therapy and a discharge summary whose texts name the patient."""
    user = "dr_ivanova"
    store.add_entry(registry_id, "imaging", {"modality": "CT", "lesions_present": "yes", "lesion_sites": ["lungs"],
                                             "target_lesion_1_site": "lungs", "target_lesion_1_mm": 20,
                                             "findings": f"Пациентка {SURNAME} М. П., очаг в лёгком 20 мм"},
                    user=user, entry_date=IMAGING_DAYS[0].isoformat())
    store.add_entry(registry_id, "imaging", {"modality": "CT", "lesions_present": "yes", "lesion_sites": ["lungs"],
                                             "target_lesion_1_site": "lungs", "target_lesion_1_mm": 26},
                    user=user, entry_date=IMAGING_DAYS[1].isoformat())
    store.add_entry(registry_id, "radioiodine", {"procedure": "therapy", "isotope": "I-131",
                                                 "activity": {"value": 100, "unit": "mCi"}, "post_scan_modality": "WBS",
                                                 "uptake": "present", "uptake_sites": ["lungs"]},
                    user=user, entry_date="2021-01-20")
    store.add_entry(registry_id, "follow_up", {"last_contact_date": "2022-01-10", "vital_status": "alive",
                                               "death_cause": f"нет; ИБ {EMR}"},
                    user=user, entry_date="2022-01-10")
    store.add_entry(registry_id, "documents", {"document_type": "discharge_summary", "attachment_sha256": DOCUMENT,
                                               "description": "выписка"}, user=user, entry_date="2022-01-10")
    with store.engine.begin() as connection:
        batch = connection.execute(insert(IngestBatch).values(mapping="m.yaml", mapping_sha256="0" * 64,
                                                              status="done", counts={})).inserted_primary_key[0]
        connection.execute(insert(IngestDocument).values(
            sha256=DOCUMENT, media_type="text/plain", source="reports", file="index.csv", batch_id=batch,
            text=f"Выписной эпикриз. {SURNAME} {FIRST} {PATRONYMIC}, {BIRTH:%d.%m.%Y} г.р., проживает: {REGION}. "
                 f"Госпитализирована 01.03.2021."))


def add_other_patient(store: ClinicalStore, registry_id: str = "TH-000002", born: str = "1980-02-01") -> None:
    store.create_patient(registry_id, "C01", "dr_ivanova", {"EMR": f"E-{registry_id[-4:]}"})
    store.add_entry(registry_id, "demographics", {"surname": "Смирнов", "first_name": "Олег", "birth_date": born,
                                                  "sex": "м", "region": "Тула"}, user="dr_ivanova")
    store.add_entry(registry_id, "follow_up", {"last_contact_date": "2023-06-01", "vital_status": "alive"},
                    user="dr_ivanova", entry_date="2023-06-01")


def build(store: ClinicalStore, policy: Policy | None = None, secret: bytes = SECRET, previous: Any = None,
          full: bool = False) -> tuple[Plan, PublishDelta]:
    publisher = Publisher(store.engine, policy or Policy(), secret, modules=[store.dictionary.name])
    plan = publisher.plan(previous, full=full)
    delta, _ = publisher.build(plan)
    return plan, delta


def tables(delta: PublishDelta) -> dict[str, pa.Table]:
    return {t.name: t.rows for t in delta.tables}


def strings(table: pa.Table) -> Iterator[str]:
    """Every text in a table, list items included."""
    for column in table.columns:
        for value in column.to_pylist():
            items = value if isinstance(value, list) else [value]
            yield from (v for v in items if isinstance(v, str))


def differences(a: str, b: str) -> list:  # type: ignore[type-arg]
    """Every cell in which two analysis stores differ, apart from their publish logs (their times differ)."""
    with analysis(a) as left, analysis(b) as right:
        return [d for d in compare_stores(left, right) if d.table != "publish_log"]


def other_engine(store: ClinicalStore, tmp_path: Path, monkeypatch: Any) -> str:
    """A second analysis store to publish the same registry to: a PostgreSQL schema beside a PostgreSQL clinical
    store, else a Spark snapshot."""
    if store.engine.url.get_backend_name() == "postgresql":
        server = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return f"{server}?schema=research"
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    return f"spark:{tmp_path / 'spark'}"
