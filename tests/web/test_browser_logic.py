"""In a real browser: a field behind branching logic appears only when its condition holds, and a hidden one is
neither required nor sent (the imaging form's "other modality" text, shown for the modality "other")."""

from __future__ import annotations

from tests.web import test_browser as shared
from tests.web.conftest import PASSWORD

pytestmark = shared.pytestmark
server = shared.server  # the same Uvicorn fixture as the sign-in browser test


def test_branching_logic_shows_and_hides_a_field(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(shared.CHROMIUM), args=shared.ARGS)
        page, errors = shared._new_patient_page(browser, server, "dr_ivanova", PASSWORD, "TH-000778")
        page.goto(f"{server}/patients/TH-000778/sections/imaging/new?lang=en")
        other = page.locator("[data-field=modality_other]")
        expect(other).to_be_hidden()  # shown only if [modality] = 'other'
        page.fill("#entry_date", "01.02.2020")
        page.select_option("#f-modality", "other")
        expect(other).to_be_visible()
        page.fill("#f-modality_other", "RTDOSE")
        page.select_option("#f-modality", "CT")
        expect(other).to_be_hidden()
        assert page.locator("#f-modality_other").is_disabled()  # hidden: not sent with the form
        page.select_option("#f-modality", "other")
        expect(other).to_be_visible()
        with page.expect_navigation():
            page.click("form.entry-form button[type=submit]")
        assert "Saved: entry" in page.content()
        assert "RTDOSE" in page.inner_text("#section-imaging")
        assert errors == []
        browser.close()
