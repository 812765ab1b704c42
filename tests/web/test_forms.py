"""Dictionary-generated forms: widgets, typed dates, unit factors, the validator's errors and warnings in RU and EN,
edits with a reason and their history, the conflict of two editors, second opinions, retraction, PDF upload."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from tests.web.conftest import Client

from oncobank.store.clinical import ClinicalStore
from oncobank.web.forms import read_form, typed_date

RAI = "/patients/TH-000001/sections/radioiodine/new"


@pytest.fixture
def clinician(web_client: Callable[[str], Client], patient: str) -> Client:
    return web_client("dr_ivanova")


def rai_form(client: Client, **values: str) -> dict[str, str]:
    return {"csrf_token": client.csrf, "entry_date": "29.03.2021", "f.procedure": "therapy", "f.isotope": "I-131",
            **values}


def test_every_field_of_the_section_is_on_the_form(clinician: Client, web_store: ClinicalStore) -> None:
    page = clinician.get(RAI + "?lang=en")
    assert page.status_code == 200
    for f in web_store.dictionary.section("radioiodine").fields:
        assert f'name="f.{f.name}"' in page.text
    assert 'type="checkbox" name="f.uptake_sites"' in page.text  # multi-valued code list: checkboxes


def test_unit_factors_come_from_the_dictionary(clinician: Client) -> None:
    page = clinician.get(RAI).text
    found = re.search(r'data-units=\'([^\']+)\'[^>]*>\s*<input id="f-activity"', page)
    assert found
    table = {unit: factor for unit, _, factor in json.loads(found.group(1))}
    # 1 mCi = 37 MBq exactly (the curie is defined as 3.7e10 Bq); 1 GBq = 1000 MBq.
    assert table["MBq"] == 1 and table["mCi"] == pytest.approx(37) and table["GBq"] == pytest.approx(1000)


@pytest.mark.parametrize("typed", ["29.03.2021", "2021-03-29", "29/03/2021"])
def test_dates_in_the_formats_people_type(typed: str) -> None:
    assert typed_date(typed) == "2021-03-29"


def test_a_quantity_in_another_unit_is_sent_with_its_unit(web_store: ClinicalStore) -> None:
    section = web_store.dictionary.section("radioiodine")
    posted = read_form(section, {"f.activity": ["100"], "f.activity.unit": ["mCi"], "entry_date": ["01.02.2020"]})
    assert posted.values == {"activity": {"value": "100", "unit": "mCi"}} and posted.entry_date == "2020-02-01"


def test_saved_in_mci_is_stored_in_mbq(clinician: Client, web_store: ClinicalStore) -> None:
    sent = clinician.post(RAI, data=rai_form(clinician, **{"f.activity": "100", "f.activity.unit": "mCi"}),
                          follow_redirects=False)
    assert sent.status_code == 303
    with web_store.session() as s:
        from sqlalchemy import select

        from oncobank.store.models import EntryVersion
        stored = s.scalars(select(EntryVersion.values).order_by(EntryVersion.id.desc())).first()
    assert stored["activity"] == pytest.approx(3700)  # 100 mCi x 37 MBq/mCi


def test_hard_range_error_inline_in_both_languages_and_nothing_lost(clinician: Client) -> None:
    data = rai_form(clinician, **{"f.activity": "60000", "f.other_uptake_site": "typed text kept"})
    en = clinician.post(RAI + "?lang=en", data=data)
    assert en.status_code == 422
    assert "outside the possible range [0, 50000] MBq: not saved" in en.text
    assert "typed text kept" in en.text and 'value="60000"' in en.text
    ru = clinician.post(RAI + "?lang=ru", data=data)
    assert "вне возможного диапазона [0, 50000] MBq: не сохранено" in ru.text


def test_check_endpoint_gives_the_validators_errors_and_warnings(clinician: Client) -> None:
    check = "/patients/TH-000001/sections/radioiodine/check?lang=en"
    soft = clinician.post(check, data=rai_form(clinician, **{"f.activity": "12000"}))
    assert soft.json()["messages"]["activity"][0]["severity"] == "warning"
    hard = clinician.post(check, data=rai_form(clinician, **{"f.activity": "2000", "f.activity.unit": "mCi"}))
    assert hard.json()["messages"]["activity"][0]["severity"] == "error"  # 2000 mCi = 74 000 MBq > 50 000
    missing = clinician.post(check, data={"csrf_token": clinician.csrf, "entry_date": "31.02.2021"}).json()
    assert missing["messages"]["procedure"][0]["text"] == "a value is required"
    assert "expected a date" in missing["messages"]["entry_date"][0]["text"]


def test_soft_range_warning_is_saved_and_shown(clinician: Client) -> None:
    sent = clinician.post(RAI, data=rai_form(clinician, **{"f.activity": "12000"}))
    assert sent.status_code == 200  # saved: the patient page
    en = clinician.get("/patients/TH-000001?lang=en").text
    assert "Administered activity: outside the expected range [10, 11100] MBq: check it" in en
    ru = clinician.get("/patients/TH-000001?lang=ru").text
    assert ('<li class="warning">Введённая активность: вне ожидаемого диапазона [10, 11100] MBq: проверьте '
            "(сохраняется с предупреждением)</li>") in ru


def _add_rai(clinician: Client) -> int:
    sent = clinician.post(RAI, data=rai_form(clinician, **{"f.activity": "3700"}), follow_redirects=False)
    return int(re.search(r"saved=(\d+)", sent.headers["location"]).group(1))


def test_edit_needs_a_reason_and_the_history_shows_old_and_new(clinician: Client) -> None:
    entry = _add_rai(clinician)
    form = clinician.get(f"/entries/{entry}/edit").text
    assert 'name="version" value="1"' in form and 'value="3700"' in form
    data = rai_form(clinician, **{"f.activity": "5550", "version": "1"})
    refused = clinician.post(f"/entries/{entry}/edit?lang=en", data=data)
    assert refused.status_code == 422 and '<li class="error">Every change needs a reason.</li>' in refused.text
    assert 'value="5550"' in refused.text  # what was typed is kept
    done = clinician.post(f"/entries/{entry}/edit", data={**data, "reason": "typo in the dose"},
                          follow_redirects=False)
    assert done.status_code == 303 and "v=2" in done.headers["location"]
    history = clinician.get(f"/entries/{entry}/history?lang=en").text
    row = re.search(r"<tr><td>2</td><td>Administered activity</td><td>([^<]+)</td><td>([^<]+)</td>"
                    r"<td>dr_ivanova</td><td>[^<]+</td><td>typo in the dose</td>", history)
    assert row and row.groups() == ("3700 MBq", "5550 MBq")


def test_two_editors_the_second_sees_a_conflict_and_keeps_her_values(clinician: Client,
                                                                       web_client: Callable[[str], Client]) -> None:
    entry = _add_rai(clinician)
    other = web_client("dm_c01")
    first = clinician.post(f"/entries/{entry}/edit", data={**rai_form(clinician, **{"f.activity": "4000"}),
                                                            "version": "1", "reason": "first"},
                           follow_redirects=False)
    assert first.status_code == 303
    second = other.post(f"/entries/{entry}/edit?lang=en", data={**rai_form(other, **{"f.activity": "4500"}),
                                                                 "version": "1", "reason": "second"})
    assert second.status_code == 409
    assert "Someone else changed this entry" in second.text
    assert "<td>4500</td><td>4000 MBq</td>" in second.text  # hers beside theirs
    assert 'name="version" value="2"' in second.text and 'value="4500"' in second.text  # saved again on version 2
    again = other.post(f"/entries/{entry}/edit", data={**rai_form(other, **{"f.activity": "4500"}),
                                                       "version": "2", "reason": "second"}, follow_redirects=False)
    assert again.status_code == 303 and "v=3" in again.headers["location"]


def test_second_opinion_beside_the_original(clinician: Client, web_client: Callable[[str], Client]) -> None:
    entry = _add_rai(clinician)
    reviewer = web_client("dr_petrov")
    assert clinician.get(f"/entries/{entry}/review").status_code == 403  # a clinician gives no second opinions
    page = reviewer.get(f"/entries/{entry}/review").text
    assert 'name="agreement"' in page
    sent = reviewer.post(f"/entries/{entry}/review", data={
        "csrf_token": reviewer.csrf, "agreement": "partial", "review_date": "01.04.2021", "comment": "re-read",
        "f.procedure": "therapy", "f.isotope": "I-131", "f.activity": "3000"}, follow_redirects=False)
    assert sent.status_code == 303
    view = clinician.get("/patients/TH-000001?lang=en").text
    assert "Second opinion: dr_petrov, 2021-04-01 — partly agree" in view
    assert re.search(r"<td>Administered activity</td><td>3700 MBq</td>\s*<td class=\"opinion\"><strong>3000 MBq",
                     view)


def test_retraction_keeps_the_entry_and_reinstating_brings_it_back(clinician: Client) -> None:
    entry = _add_rai(clinician)
    gone = clinician.form(f"/entries/{entry}/retract", {"version": "1", "reason": "wrong patient"},
                          follow_redirects=False)
    assert gone.status_code == 303
    view = clinician.get("/patients/TH-000001?lang=en").text
    assert f'class="entry retracted" id="entry-{entry}"' in view
    back = clinician.form(f"/entries/{entry}/reinstate", {"version": "2", "reason": "right after all"},
                          follow_redirects=False)
    assert back.status_code == 303
    assert f'class="entry" id="entry-{entry}"' in clinician.get("/patients/TH-000001").text


def test_pdf_upload_and_download(clinician: Client, make_pdf: Callable[[str], bytes]) -> None:
    pdf = make_pdf("Discharge summary")
    sent = clinician.post("/patients/TH-000001/documents", data={
        "csrf_token": clinician.csrf, "document_type": "discharge_summary", "entry_date": "02.04.2021"},
        files={"file": ("summary.pdf", pdf, "application/pdf")}, follow_redirects=False)
    assert sent.status_code == 303
    link = re.search(r'href="(/api/attachments/\d+)"', clinician.get("/patients/TH-000001").text)
    assert link and clinician.get(link.group(1)).content == pdf


def test_other_centre_and_roles(web_client: Callable[[str], Client], patient: str) -> None:
    assert web_client("dr_sidorov").get(RAI).status_code == 404  # another centre's patient: not found
    assert web_client("researcher").get(RAI).status_code == 403


def test_missing_data_codes_are_kept_apart_from_an_empty_field(clinician: Client, web_store: ClinicalStore) -> None:
    page = clinician.get(RAI + "?lang=en").text
    assert 'name="f.activity.missing"' in page and 'name="f.procedure.missing"' not in page  # optional fields only
    sent = clinician.post(RAI, data=rai_form(clinician, **{"f.activity.missing": "not_done"}),
                          follow_redirects=False)
    assert sent.status_code == 303
    entry = int(re.search(r"saved=(\d+)", sent.headers["location"]).group(1))
    with web_store.session() as s:
        from sqlalchemy import select

        from oncobank.store.models import EntryVersion
        stored = s.execute(select(EntryVersion.values, EntryVersion.entered)
                           .where(EntryVersion.entry_id == entry)).one()
    assert "activity" not in stored.values and stored.entered["activity"] == {"missing": "not_done"}
    assert "uptake" not in stored.values and "uptake" not in stored.entered  # an untouched field stays plain empty
    view = clinician.get("/patients/TH-000001?lang=ru").text
    assert "<td>Введённая активность</td><td>[не выполнялось]</td>" in view
    assert 'value="not_done" selected' in clinician.get(f"/entries/{entry}/edit").text
    refused = clinician.post(RAI + "?lang=en", data=rai_form(clinician, **{"f.activity.missing": "lost"}))
    assert refused.status_code == 422 and "not a missing-data code of this registry" in refused.text
