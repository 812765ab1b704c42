"""The publish builder on its own (the PublishDelta it hands to a sink), on SQLite and PostgreSQL clinical stores."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest

from oncobank.deid.log import LastPublish
from oncobank.deid.policy import Policy
from oncobank.dictionary import load_module
from oncobank.dictionary.schema import FieldType
from oncobank.store.clinical import ClinicalStore

from .publishing import (
    BIRTH,
    DOCUMENT,
    EMR,
    FIRST,
    IMAGING_DAYS,
    PATRONYMIC,
    REGION,
    SURNAME,
    add_other_patient,
    add_patient_data,
    build,
    strings,
    tables,
)

ARROW = {FieldType.NUMBER: pa.float64(), FieldType.INTEGER: pa.int64(), FieldType.DATE: pa.date32(),
         FieldType.BOOLEAN: pa.bool_(), FieldType.CODE: pa.string(), FieldType.ENUM: pa.string(),
         FieldType.TEXT: pa.string()}


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _previous(delta) -> LastPublish:  # type: ignore[no-untyped-def]
    return LastPublish.from_row(tables(delta)["publish_log"].to_pylist()[0])


def test_a_column_per_non_identifying_field_typed_from_the_dictionary(store: ClinicalStore, patient: str,
                                                                       home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    _, delta = build(store)
    published = tables(delta)
    thyroid = load_module("thyroid")
    for section in thyroid.sections.values():
        name = section.name if thyroid.section_of_module(section.name) == "core" else f"thyroid_{section.name}"
        schema = published[name].schema
        fields = [f for f in section.fields if not f.identifying]
        extra = ["media_type", "text"] if section.name == "documents" else []
        assert schema.names == ["pseudonym", "centre", "entry_key", "entry_date", *(f.name for f in fields), *extra]
        for f in fields:
            assert schema.field(f.name).type == (pa.list_(ARROW[f.type]) if f.multiple else ARROW[f.type]), f.name
    columns = published["columns"].to_pylist()
    lesion = next(c for c in columns if c["table"] == "thyroid_imaging" and c["column"] == "target_lesion_1_mm")
    label = thyroid.section("imaging").field("target_lesion_1_mm").label
    assert (lesion["unit"], lesion["label_en"], lesion["label_ru"]) == ("mm", label.en, label.ru)
    data = {n: t for n, t in published.items() if n not in ("columns", "publish_log")}
    assert {(c["table"], c["column"]) for c in columns} == {(n, c) for n, t in data.items() for c in t.schema.names}


def test_a_new_module_publishes_with_no_new_code(store: ClinicalStore, home) -> None:  # type: ignore[no-untyped-def]
    lung = ClinicalStore(store.engine, load_module("lung"))
    lung.create_patient("LU-000001", "C01", "dr_ivanova")
    lung.add_entry("LU-000001", "diagnosis", {"icd10": "C34.1", "histology_type": "adenocarcinoma"},
                   user="dr_ivanova", entry_date="2022-02-02")
    _, delta = build(lung)
    published = tables(delta)
    assert published["lung_diagnosis"].select(["icd10", "histology_type"]).to_pylist() == [
        {"icd10": "C34.1", "histology_type": "adenocarcinoma"}]
    assert {f.name for f in load_module("lung").section("radiotherapy").fields} <= set(
        published["lung_radiotherapy"].schema.names)
    assert published["patient"].column("module").to_pylist() == ["lung"]
    assert "thyroid_rair" not in published  # no lung patient is a thyroid patient; no thyroid table asked for


def test_no_identifying_column_or_value_leaves(store: ClinicalStore, patient: str,
                                               home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    _, delta = build(store)
    published = tables(delta)
    banned = ("surname", "first_name", "patronymic", "birth_date", "region", "exam_number", "registry_id",
              "patient_id", "facility")
    everything = []
    for name, table in published.items():
        assert not set(banned) & set(table.schema.names), name
        everything.extend(strings(table))
        for column in table.columns:
            if pa.types.is_date(column.type):
                assert BIRTH not in column.to_pylist(), name
    text = "\n".join(everything).casefold()
    for value in (SURNAME, FIRST, PATRONYMIC, REGION, EMR, patient, DOCUMENT, BIRTH.strftime("%d.%m.%Y")):
        assert value.casefold() not in text, value
    document = published["documents"].to_pylist()[0]
    assert document["media_type"] == "text/plain" and "Выписной эпикриз" in document["text"]
    assert len(document["attachment_sha256"]) == 64  # re-mapped, still a digest's shape


def test_pseudonyms_are_stable_and_a_new_secret_unlinks_them(store: ClinicalStore, patient: str,
                                                             home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    first = tables(build(store)[1])
    again = tables(build(store)[1])
    other = tables(build(store, secret=b"z" * 32)[1])
    assert first["thyroid_imaging"].equals(again["thyroid_imaging"])
    names = set(first["patient"].column("pseudonym").to_pylist())
    assert names.isdisjoint(other["patient"].column("pseudonym").to_pylist())
    assert set(first["thyroid_imaging"].column("entry_key").to_pylist()).isdisjoint(
        other["thyroid_imaging"].column("entry_key").to_pylist())


def test_dates_shift_by_one_offset_per_patient_within_the_range(store: ClinicalStore, patient: str,
                                                                home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    policy = Policy(shift_min_days=10, shift_max_days=20)
    published = tables(build(store, policy)[1])
    imaging = sorted(published["thyroid_imaging"].column("entry_date").to_pylist())
    assert imaging[1] - imaging[0] == timedelta(days=198)  # 2021-03-01 to 2021-09-15, counted by hand
    shift = imaging[0] - IMAGING_DAYS[0]
    assert timedelta(days=10) <= shift <= timedelta(days=20)
    follow_up = published["follow_up"].to_pylist()[0]
    assert follow_up["entry_date"] == follow_up["last_contact_date"] == date(2022, 1, 10) + shift
    assert published["thyroid_activity"].column("first_course").to_pylist() == [date(2021, 1, 20) + shift]
    assert published["thyroid_radioiodine"].column("activity").to_pylist() == [3700.0]  # 100 mCi = 3700 MBq


def test_year_mode_keeps_only_years(store: ClinicalStore, patient: str, home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    published = tables(build(store, Policy(dates="year"))[1])
    imaging = published["thyroid_imaging"]
    assert imaging.schema.field("entry_date").type == pa.int64()
    assert sorted(imaging.column("entry_date").to_pylist()) == [2021, 2021]
    assert published["follow_up"].column("last_contact_date").to_pylist() == [2022]
    assert published["patient"].column("birth_year").to_pylist() == [1970]
    text = published["documents"].column("text").to_pylist()[0]
    assert "01.03.2021" not in text and "2021" in text


def test_ages_of_90_and_over_are_one_group_without_a_birth_year(store: ClinicalStore,
                                                                home) -> None:  # type: ignore[no-untyped-def]
    # Last contact 2023-06-01 (add_other_patient): born 1933-06-01 is 90 that day, born 1933-06-02 is still 89.
    for rid, born in (("TH-000090", "1933-06-01"), ("TH-000089", "1933-06-02"), ("TH-000043", "1980-02-01")):
        add_other_patient(store, rid, born)
    published = tables(build(store, Policy(dates="year"))[1])
    by_group = {r["age_group"]: r["birth_year"] for r in published["patient"].to_pylist()}
    assert by_group == {"90+": None, "85-89": 1933, "40-44": 1980}


def test_incremental_build_replaces_only_changed_patients(store: ClinicalStore, patient: str,
                                                          home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    add_other_patient(store)
    first_plan, first = build(store)
    assert first.full and len(first_plan.patients) == 2
    quiet_plan, _ = build(store, previous=_previous(first))
    assert (quiet_plan.full, quiet_plan.patients, quiet_plan.reason) == (False, [], "no_changes")
    card = store.add_entry("TH-000002", "follow_up", {"last_contact_date": "2024-01-01", "vital_status": "dead",
                                                      "death_date": "2024-01-01"},
                           user="dr_ivanova", entry_date="2024-01-01")
    plan, delta = build(store, previous=_previous(first))
    other = tables(first)["patient"].filter(pa.compute.equal(tables(first)["patient"]["module"], "thyroid"))
    assert not plan.full and len(plan.patients) == 1
    replaced = {t.replace for t in delta.tables if not t.append and t.name != "columns"}
    assert len(replaced) == 1
    (pseudonyms,) = replaced
    assert len(pseudonyms) == 1 and pseudonyms[0] in other.column("pseudonym").to_pylist()
    changed = tables(delta)
    assert changed["follow_up"].num_rows == 2 and changed["thyroid_imaging"].num_rows == 0
    assert changed["patient"].column("vital_status").to_pylist() == ["dead"]
    assert card.version == 1


def test_a_retracted_entry_leaves_the_next_build(store: ClinicalStore, patient: str,
                                                 home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    _, first = build(store)
    imaging = tables(first)["thyroid_imaging"]
    assert imaging.num_rows == 2
    with store.session() as s:
        from sqlalchemy import select

        from oncobank.store.models import Entry

        entry_id = s.scalar(select(Entry.id).where(Entry.section == "imaging").order_by(Entry.id).limit(1))
    store.retract_entry(entry_id, 1, user="dr_ivanova", reason="entered for the wrong patient")
    plan, delta = build(store, previous=_previous(first))
    assert len(plan.patients) == 1
    assert tables(delta)["thyroid_imaging"].num_rows == 1
    assert tables(delta)["publish_log"].column("entries_retracted").to_pylist() == [1]
    # The RECIST table follows: with one study left there is no follow-up measurement to compare.
    assert tables(delta)["thyroid_recist"].num_rows == 1


def test_a_new_policy_or_secret_rebuilds(store: ClinicalStore, patient: str, home) -> None:  # type: ignore[no-untyped-def]
    add_patient_data(store, patient)
    _, first = build(store)
    assert build(store, Policy(dates="year"), previous=_previous(first))[0].reason == "policy"
    assert build(store, secret=b"n" * 32, previous=_previous(first))[0].reason == "secret"
    assert build(store, previous=_previous(first), full=True)[0].reason == "asked"


def test_a_document_text_taken_in_later_republishes_its_patient(store: ClinicalStore, patient: str,
                                                                home) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from oncobank.ingest.models import IngestBatch, IngestDocument

    digest = "cd" * 32
    store.add_entry(patient, "documents", {"document_type": "pathology_report", "attachment_sha256": digest},
                    user="dr_ivanova", entry_date="2022-02-02")
    _, first = build(store)
    assert tables(first)["documents"].column("text").to_pylist() == [None]
    with store.engine.begin() as connection:
        batch = connection.execute(insert(IngestBatch).values(mapping="m.yaml", mapping_sha256="0" * 64,
                                                              status="done", counts={})).inserted_primary_key[0]
        connection.execute(insert(IngestDocument).values(sha256=digest, media_type="text/plain", source="reports",
                                                         file="index.csv", batch_id=batch,
                                                         text=f"Заключение. Пациент {SURNAME} {FIRST}."))
    plan, delta = build(store, previous=_previous(first))
    assert len(plan.patients) == 1
    (text,) = tables(delta)["documents"].column("text").to_pylist()
    assert text.startswith("Заключение.") and SURNAME not in text and FIRST not in text
