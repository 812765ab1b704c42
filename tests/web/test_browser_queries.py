"""In a real browser: a reviewer opens a data query on a laboratory value from the patient view, the clinician sees
the mark, follows it and answers, the reviewer closes it and the mark is gone. ONCOBANK_SCREENSHOTS=1 saves the
query's page into docs/img/."""

from __future__ import annotations

from tests.web import test_browser as shared
from tests.web.conftest import PASSWORD

from oncobank.store.clinical import ClinicalStore

pytestmark = shared.pytestmark
server = shared.server  # the same Uvicorn fixture as the sign-in browser test


def _follow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(selector)


def test_open_answer_and_close_a_query(server: str, web_store: ClinicalStore) -> None:
    from playwright.sync_api import sync_playwright

    web_store.create_patient("TH-000001", "C01", "dr_ivanova")
    web_store.add_entry("TH-000001", "demographics", {"surname": "Смирнова", "first_name": "Анна",
                                                      "birth_date": "1961-01-02", "sex": "F"}, user="dr_ivanova")
    lab = web_store.add_entry("TH-000001", "laboratory", {"tsh": 12.0}, user="dr_ivanova",
                              entry_date="2020-01-10").entry_id
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(shared.CHROMIUM), args=shared.ARGS)
        reviewer = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        clinician = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        shared._sign_in(reviewer, server, "dr_petrov", PASSWORD)
        reviewer.goto(f"{server}/patients/TH-000001?lang=en")
        box = reviewer.locator(f"#entry-{lab} details.query-open")
        box.locator("summary").click()
        box.locator("select[name=field]").select_option("tsh")
        box.locator("input[name=text]").fill("12 or 1.2? The report reads 1,2.")
        box.locator("input[name=suggested]").fill("1.2")
        with reviewer.expect_navigation():
            box.locator("button[type=submit]").click()
        assert "/queries/" in reviewer.url and "12 or 1.2?" in reviewer.content()
        query = reviewer.url.rsplit("/", 1)[1]

        shared._sign_in(clinician, server, "dr_ivanova", PASSWORD)
        clinician.goto(f"{server}/patients/TH-000001?lang=en")
        mark = clinician.locator(f"#entry-{lab} a.query-mark")
        assert mark.inner_text() == f"?{query}"
        with clinician.expect_navigation():
            mark.click()
        clinician.fill("#answer-text", "The report says 1,2: a typing error, corrected.")
        _follow(clinician, "button >> text=Answer")
        assert "answered" in clinician.inner_text("p.query-answered")

        reviewer.goto(f"{server}/queries/{query}?lang=en")
        shared._shot(reviewer, "web-queries")
        reviewer.fill("#close-text", "Thank you.")
        _follow(reviewer, "button >> text=Close")
        assert "closed" in reviewer.inner_text("p.query-closed")
        clinician.goto(f"{server}/patients/TH-000001?lang=en")
        assert clinician.locator(f"#entry-{lab} a.query-mark").count() == 0
        clinician.goto(f"{server}/queries?status=closed&lang=ru")
        assert f"/queries/{query}" in clinician.content() and "закрыт" in clinician.content()
        browser.close()
