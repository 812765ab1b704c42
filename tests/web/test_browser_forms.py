"""In a real browser: sign in, register a patient, fill the radioiodine form (mCi recalculated to MBq as one types,
a hard-range error and a soft-range warning from the store's validator), save, edit with a reason, give a second
opinion, upload a PDF, and see the events on the timeline. ONCOBANK_SCREENSHOTS=1 saves the pages into docs/img/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.web import test_browser as shared
from tests.web.conftest import PASSWORD

pytestmark = shared.pytestmark
server = shared.server  # the same Uvicorn fixture as the sign-in browser test


def _issue(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """The text of the inline messages of field `name` once the validator has answered."""
    locator = page.locator(f'[data-issues="{name}"] li')
    locator.first.wait_for(timeout=5000)
    return locator.first.inner_text()


def _follow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click what leads to another page and wait until that page has loaded (reading it earlier sees a blank one)."""
    with page.expect_navigation():
        page.click(selector)


def test_form_edit_opinion_document_and_timeline(server: str, make_pdf: Callable[[str], bytes],
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    pdf = tmp_path / "discharge.pdf"
    pdf.write_bytes(make_pdf("Discharge summary"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(shared.CHROMIUM), args=shared.ARGS)
        page, errors = shared._new_patient_page(browser, server, "dr_ivanova", PASSWORD, "TH-000777")

        page.goto(f"{server}/patients/TH-000777/sections/radioiodine/new?lang=en")
        page.fill("#entry_date", "29.03.2021")
        page.select_option("#f-procedure", "therapy")
        page.select_option("#f-isotope", "I-131")
        page.select_option("select[name='f.activity.unit']", "mCi")
        page.fill("#f-activity", "100")
        converted = page.locator(".quantity:has(#f-activity) output.converted")
        assert "3,700 MBq" in converted.inner_text() and "3.7 GBq" in converted.inner_text()  # 100 x 37 MBq/mCi
        page.fill("#f-activity", "2000")  # 74,000 MBq: above the 50,000 MBq the dictionary allows
        page.locator("#f-activity").dispatch_event("change")
        assert "outside the possible range [0, 50000] MBq" in _issue(page, "activity")
        page.fill("#f-activity", "350")  # 12,950 MBq: above the expected 11,100 MBq
        page.locator("#f-activity").dispatch_event("change")
        page.locator("[data-issues=activity] li.warning").wait_for(timeout=5000)
        assert "outside the expected range [10, 11100] MBq" in _issue(page, "activity")
        page.fill("#f-activity", "100")
        page.check("input[name='f.uptake_sites'][value='lungs']")
        page.select_option("#f-uptake", "present")
        page.select_option("#f-post_scan_modality", "WBS")
        page.locator("#f-activity").dispatch_event("change")
        expect(page.locator("[data-issues=activity] li")).to_have_count(0)
        shared._shot(page, "web-form")
        _follow(page, "form.entry-form button[type=submit]")
        assert "Saved: entry" in page.content()

        _follow(page, "#section-radioiodine a >> text=Edit")
        page.fill("#f-activity", "150")
        _follow(page, "form.entry-form button[type=submit]")
        assert "Every change needs a reason." in page.inner_text("[data-issues=reason]")
        page.fill("#reason", "dose read from the order sheet")
        _follow(page, "form.entry-form button[type=submit]")
        assert "version 2" in page.inner_text("#section-radioiodine")
        _follow(page, "#section-radioiodine a >> text=History")
        assert "dose read from the order sheet" in page.content() and "3700 MBq" in page.content()

        reviewer = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        shared._sign_in(reviewer, server, "dr_petrov", PASSWORD)
        reviewer.goto(f"{server}/patients/TH-000777?lang=en")
        _follow(reviewer, "#section-radioiodine a >> text=Second opinion")
        reviewer.check("input[name=agreement][value=partial]")
        reviewer.fill("#comment", "the second scan shows no lung uptake")
        reviewer.select_option("#f-uptake", "absent")
        _follow(reviewer, "form.entry-form button[type=submit]")
        assert "Second opinion: dr_petrov" in reviewer.content()

        page.goto(f"{server}/patients/TH-000777?lang=en")
        page.set_input_files("input[type=file]", str(pdf))
        page.fill("form.upload input[name=entry_date]", "30.03.2021")
        page.click("form.upload button")
        assert "Download #" in page.inner_text("#documents")
        timeline = page.locator("svg.timeline")
        assert timeline.locator('[data-section="radioiodine"] circle').count() == 1
        assert "5550 MBq" in timeline.locator("[data-section=radioiodine] .point title").first.text_content()
        assert timeline.locator('[data-section="documents"] circle').count() == 1
        assert "partly agree" in page.inner_text("#section-radioiodine")
        shared._shot(page, "web-patient-view")
        page.goto(f"{server}/patients?lang=en")
        assert "TH-000777" in page.inner_text("table.patients")
        shared._shot(page, "web-patient-list")
        assert errors == []
        browser.close()

