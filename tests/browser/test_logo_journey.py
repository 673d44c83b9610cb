"""An administrator gives the organisation a logo on a phone, in a real browser: a refused file
first (the reason at the field), then a real one, which then shows on the organisation page,
with axe-core finding no WCAG 2.1 AA violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from marketplace.demo_logos import drawn_logo
from tests import factories
from tests.browser.conftest import new_page
from tests.browser.test_accessibility import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "instance" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _seed(live) -> tuple[str, str]:
    """An association and its administrator; answers the session token and the page's path."""
    with live.app_context():
        org = factories.organisation(
            name="Kooperativet Gröna Händer",
            description="Vi odlar tillsammans med nyanlända och pensionärer i Kalmar.",
        )
        factories.ad(org=org, title="Vi söker en trädgård att odla i")
        admin = factories.member(org=org, name="Greta Grön")
        return admin.session_token, f"/organisationer/{org.id}-{org.slug}"


def loaded(image) -> bool:
    return image.evaluate("image => image.complete && image.naturalWidth > 0")


def test_an_administrator_uploads_a_logo_on_a_phone(browser, clean_database, axe_script):
    live = clean_database
    token, organisation_path = _seed(live)
    context, page = new_page(browser, live, bypass_csp=True, viewport=PHONE)  # axe is injected
    try:
        context.add_cookies([live.session_cookie(token)])
        page.goto(live.url + organisation_path)
        expect(page.locator(".org-title .monogram")).to_be_visible()
        page.get_by_role("link", name="Logotyp", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Logotyp för")

        # A text file named .png: refused, with the reason at the field.
        page.locator("input#logo").set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": b"ingen bild\n" * 50}
        )
        page.get_by_role("button", name="Spara logotypen").click()
        expect(page.locator("#logo-help .error")).to_contain_text("kunde inte läsas som en bild")
        expect(page.locator("input#logo")).to_have_attribute("aria-invalid", "true")

        page.locator("input#logo").set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": drawn_logo("grona-hander")}
        )
        page.get_by_role("button", name="Spara logotypen").click()
        expect(page.get_by_text("Logotypen är sparad.")).to_be_visible()
        preview = page.locator(".logo-current img.org-logo")
        expect(preview).to_be_visible()
        assert loaded(preview)
        expect(page.get_by_role("button", name="Ta bort logotypen")).to_be_visible()
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "logo-page-390x844.png", full_page=True)

        page.get_by_role("link", name="Tillbaka till organisationens sida").click()
        logo = page.locator(".org-title img.org-logo-large")
        expect(logo).to_be_visible()
        assert loaded(logo)
        assert logo.get_attribute("alt") == ""  # the name is beside it
        card_logo = page.locator(".ad-card img.org-logo").first
        card_logo.scroll_into_view_if_needed()
        assert loaded(card_logo)
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / "logo-organisation-390x844.png")
        page.set_viewport_size(DESKTOP)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / "logo-organisation-1366x900.png")
    finally:
        context.close()
