"""The patient view: every section with its completeness, the SVG timeline's tracks, RAIR with its evidence, the
missing and contradictory data flagged, and the reach of the page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from tests.web.conftest import Client

from oncobank.store.clinical import ClinicalStore

RID = "TH-000001"


@pytest.fixture
def course(web_store: ClinicalStore, patient: str) -> str:
    """Diagnosis, surgery, two I-131 courses (the lung uptake lost at the second: RAIR criterion 1), imaging with
    progression, lenvatinib with a dose change and withdrawal, an adverse event, three Tg values, and death."""
    add = web_store.add_entry
    u = "dr_ivanova"
    add(RID, "diagnosis", {"icd10": "C73"}, user=u, entry_date="2015-02-01")
    add(RID, "surgery", {"thyroid_extent": "total_thyroidectomy"}, user=u, entry_date="2015-03-01")
    add(RID, "radioiodine", {"procedure": "therapy", "isotope": "I-131", "activity": {"value": 100, "unit": "mCi"},
                             "post_scan_modality": "WBS", "uptake": "present", "uptake_sites": ["lungs"]},
        user=u, entry_date="2015-06-01")
    add(RID, "radioiodine", {"procedure": "therapy", "isotope": "I-131", "activity": 5550,
                             "post_scan_modality": "WBS", "uptake": "absent"}, user=u, entry_date="2016-06-01")
    add(RID, "imaging", {"modality": "CT", "recist_response": "PD"}, user=u, entry_date="2017-01-10")
    add(RID, "targeted_therapy", {"drug": "lenvatinib", "daily_dose": 24, "start_date": "2017-02-01",
                                  "dose_correction_date": "2017-05-01", "corrected_daily_dose": 14,
                                  "withdrawal_date": "2018-01-15"}, user=u, entry_date="2017-02-01")
    add(RID, "adverse_events", {"hypertension_grade": "2"}, user=u, entry_date="2017-04-01")
    for day, tg in (("2015-05-01", 12.0), ("2016-05-01", 40.0), ("2017-01-05", 350.0)):
        add(RID, "laboratory", {"tg": tg}, user=u, entry_date=day)
    add(RID, "follow_up", {"last_contact_date": "2018-03-01", "vital_status": "dead", "death_date": "2018-03-01"},
        user=u, entry_date="2018-03-01")
    add(RID, "laboratory", {"tg": 500.0}, user=u, entry_date="2018-04-01")  # after the death: flagged
    return RID


def test_the_timeline_draws_each_track(web_client: Callable[[str], Client], course: str) -> None:
    page = web_client("dr_ivanova").get(f"/patients/{course}?lang=en").text
    svg = page[page.index("<svg"):page.index("</svg>")]
    for section in ("diagnosis", "surgery", "radioiodine", "imaging", "targeted_therapy", "adverse_events",
                    "laboratory", "follow_up"):
        assert f'data-section="{section}"' in svg
    track = re.search(r'data-section="radioiodine".*?</g></g>', svg, re.S)
    assert track and track.group(0).count("<circle") == 2 and "3700 MBq" in track.group(0)  # 100 mCi
    therapy = svg[svg.index('data-section="targeted_therapy"'):]
    assert '<g class="period"' in therapy and therapy.count('class="dose"') == 1
    assert "2017-02-01 – 2018-01-15 lenvatinib" in therapy
    lab = svg[svg.index('data-section="laboratory"'):]
    assert lab.count('class="value"') == 4 and '<polyline class="series"' in lab
    assert '<g class="death"' in svg
    assert '<g class="point tone-PD"' in svg  # the RECIST response colours the imaging mark


def test_rair_with_its_evidence(web_client: Callable[[str], Client], course: str) -> None:
    page = web_client("dr_ivanova").get(f"/patients/{course}?lang=en").text
    derived = page[page.index('id="derived"'):page.index('id="flags"')]
    assert 'class="rair-refractory">refractory' in derived and "(2016-06-01)" in derived
    row = re.search(r'<tr class="criterion-met"><td>([^<]+)</td><td>met</td><td>2016-06-01</td>', derived)
    assert row, derived[:2000]
    assert "entry" in derived and "version 1" in derived  # the evidence names the entries


def test_missing_and_contradictory_data_flagged(web_client: Callable[[str], Client], course: str) -> None:
    page = web_client("dr_ivanova").get(f"/patients/{course}?lang=en").text
    flags = page[page.index('id="flags"'):page.index('id="section-')]
    assert "Laboratory tests: dated 2018-04-01, after the date of death 2018-03-01" in flags
    assert "13 entries have no second opinion" in flags  # demographics + the 12 entries of the course
    assert "Missing:" not in flags  # demographics, the one section every patient needs, is there


def test_completeness_per_section(web_client: Callable[[str], Client], course: str, web_store: ClinicalStore) -> None:
    client = web_client("dr_ivanova")
    page = client.get(f"/patients/{course}?lang=en").text
    assert re.search(r'id="section-demographics">\s*<h2>Demographics <small class="status status-unverified">', page)
    assert 'class="status status-unverified"><strong>Patient record:</strong> unverified' in page
    web_store.create_patient("TH-000002", "C01", "dr_ivanova")
    bare = client.get("/patients/TH-000002?lang=en").text
    assert 'class="status status-incomplete"><strong>Patient record:</strong> incomplete' in bare
    assert "Missing: Demographics" in bare


def test_the_page_is_reached_only_within_the_centre(web_client: Callable[[str], Client], patient: str) -> None:
    assert web_client("dr_sidorov").get(f"/patients/{patient}").status_code == 404
    assert web_client("dr_sidorov").get("/patients/TH-999999").status_code == 404
    assert web_client("researcher").get(f"/patients/{patient}").status_code == 403
    assert web_client("admin").get(f"/patients/{patient}").status_code == 200
