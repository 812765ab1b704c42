"""The patient list: registry-ID search, name and birth-date search within one's own centre only, completeness,
section and RAIR filters, and keyset paging."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.web.conftest import Client

from oncobank.diseases.thyroid import derived
from oncobank.store import accounts
from oncobank.store.clinical import ClinicalStore
from oncobank.web.patients import ListQuery, find


def _person(store: ClinicalStore, rid: str, centre: str, surname: str, born: str) -> None:
    store.create_patient(rid, centre, "admin")
    store.add_entry(rid, "demographics", {"surname": surname, "first_name": "Анна", "birth_date": born, "sex": "F"},
                    user="admin")


@pytest.fixture
def registry(web_store: ClinicalStore) -> ClinicalStore:
    _person(web_store, "TH-000101", "C01", "Смирнова", "1961-01-02")
    _person(web_store, "TH-000102", "C01", "Кузнецова", "1972-03-04")
    web_store.create_patient("TH-000103", "C01", "admin")  # no demographics yet: incomplete
    _person(web_store, "TH-000201", "C02", "Смирнова", "1980-05-06")  # the same surname at the other centre
    return web_store


def test_search_by_registry_id_prefix(web_client: Callable[[str], Client], registry: ClinicalStore) -> None:
    page = web_client("dr_ivanova").get("/patients?q=TH-00010&lang=en").text
    assert all(f">TH-00010{n}<" in page for n in (1, 2, 3)) and "TH-000201" not in page
    assert "Found: 3" in page


def test_names_are_searched_in_the_own_centre_only(web_client: Callable[[str], Client],
                                                    registry: ClinicalStore) -> None:
    page = web_client("dr_ivanova").get("/patients?q=смирнова&lang=en").text
    assert ">TH-000101<" in page and "Смирнова Анна" in page
    assert "TH-000201" not in page and "Found: 1" in page  # the other centre's Смирнова is neither shown nor counted
    other = web_client("dr_sidorov").get("/patients?q=Кузнецова&lang=en").text
    assert "Found: 0" in other and "Кузнецова" not in other.replace('value="Кузнецова"', "")


def test_birth_date_in_a_typed_format(web_client: Callable[[str], Client], registry: ClinicalStore) -> None:
    page = web_client("dr_ivanova").get("/patients?q=04.03.1972&lang=en").text
    assert ">TH-000102<" in page and "Found: 1" in page
    both = web_client("dr_ivanova").get("/patients?q=Кузнецова+1961-01-02&lang=en").text
    assert "Found: 0" in both  # every word must match


def test_registry_wide_users_do_not_search_names(web_client: Callable[[str], Client],
                                                 registry: ClinicalStore) -> None:
    page = web_client("admin").get("/patients?q=Смирнова&lang=en").text
    assert "searched among your own centre" in page and "Смирнова Анна" not in page
    everyone = web_client("admin").get("/patients?lang=en").text
    assert "Found: 4" in everyone


def test_completeness_and_section_filters(web_client: Callable[[str], Client], registry: ClinicalStore) -> None:
    client = web_client("dr_ivanova")
    incomplete = client.get("/patients?status=incomplete&lang=en").text
    assert ">TH-000103<" in incomplete and "Found: 1" in incomplete
    unverified = client.get("/patients?status=unverified&lang=en").text
    assert "Found: 2" in unverified
    registry.review_entry(_demographics(registry, "TH-000101"), reviewer="dr_petrov", review_date="2024-01-01",
                          agreement="agree")
    complete = client.get("/patients?status=complete&lang=en").text
    assert ">TH-000101<" in complete and "Found: 1" in complete
    missing = client.get("/patients?section=demographics&state=missing&lang=en").text
    assert ">TH-000103<" in missing and "Found: 1" in missing
    unreviewed = client.get("/patients?section=demographics&state=unreviewed&lang=en").text
    assert ">TH-000102<" in unreviewed and "Found: 1" in unreviewed


def _demographics(store: ClinicalStore, rid: str) -> int:
    from sqlalchemy import select

    from oncobank.store.models import Entry, Patient

    with store.session() as s:
        return s.scalars(select(Entry.id).join(Patient, Patient.id == Entry.patient_id)
                         .where(Patient.registry_id == rid, Entry.section == "demographics")).one()


def test_rair_filter(web_client: Callable[[str], Client], registry: ClinicalStore) -> None:
    for day, uptake, sites in (("2015-06-01", "present", ["lungs"]), ("2016-06-01", "absent", [])):
        registry.add_entry("TH-000101", "radioiodine", {"procedure": "therapy", "isotope": "I-131", "activity": 3700,
                                                        "post_scan_modality": "WBS", "uptake": uptake,
                                                        "uptake_sites": sites}, user="admin", entry_date=day)
    derived.refresh(registry.engine, ["rair"])
    client = web_client("dr_ivanova")
    refractory = client.get("/patients?derived=refractory&lang=en").text
    assert ">TH-000101<" in refractory and "Found: 1" in refractory
    assert "Found: 2" in client.get("/patients?derived=not_evaluable&lang=en").text  # no scans: not evaluable


def test_keyset_paging(registry: ClinicalStore) -> None:
    actor = accounts.acting(registry, "dr_ivanova")
    first = find(registry, actor, ListQuery(limit=2))
    assert [r.registry_id for r in first.rows] == ["TH-000101", "TH-000102"] and first.next == "TH-000102"
    second = find(registry, actor, ListQuery(after=first.next, limit=2))
    assert [r.registry_id for r in second.rows] == ["TH-000103"] and second.next is None and second.total == 3
