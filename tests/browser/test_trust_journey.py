"""The badge where people decide whom to trust: the inbox and a conversation, in a real browser,
with axe-core finding no WCAG 2.1 AA violations, on a phone and on a desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from marketplace.ads.models import AdKind
from marketplace.clock import utcnow
from marketplace.contact import services as contact
from marketplace.organisations.models import LegalForm, Sector
from tests import factories
from tests.browser.conftest import new_page
from tests.browser.test_accessibility import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "instance" / "screenshots"
HOW = "Verifierad via e-postdomän regionkalmar.se"


def _seed(live) -> str:
    """An association (Kim reads) hears from a region verified by its domain and from an
    unverified municipality; answers Kim's session token."""
    with live.app_context():
        association = factories.organisation(name="Läxhjälpen i Norrliden")
        kim = factories.member(org=association, name="Kim Berg")
        ad = factories.ad(org=association, kind=AdKind.NEED, title="Lokal för läxhjälp sökes")
        region = factories.organisation(
            name="Region Kalmar län",
            sector=Sector.PUBLIC,
            legal_form=LegalForm.REGION,
            municipality_code=None,
            public_body="region-08",
            domains="regionkalmar.se",
            verified_at=utcnow(),
            verified_via="domain",
            verified_domain="regionkalmar.se",
        )
        eva = factories.member(org=region, name="Eva Ek", email="eva@regionkalmar.se")
        contact.show_interest(
            eva, region, ad, "Vi har en lokal på Norrliden som står tom på eftermiddagarna."
        )
        municipality = factories.organisation(
            name="Mörbylånga kommun", sector=Sector.PUBLIC, legal_form=LegalForm.MUNICIPALITY
        )
        olle = factories.member(org=municipality, name="Olle Öst")
        contact.show_interest(olle, municipality, ad, "Vi kan kanske hjälpa till med skjuts.")
        return kim.session_token


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_the_badge_and_how_show_in_the_inbox_and_a_conversation_with_no_axe_violations(
    browser, clean_database, axe_script, viewport
):
    live = clean_database
    token = _seed(live)
    context, page = new_page(browser, live, bypass_csp=True, viewport=viewport)
    try:
        context.add_cookies([live.session_cookie(token)])
        page.goto(live.path_for("contact.index"))
        region_entry = page.locator("main li.card", has_text="Region Kalmar län")
        badge = region_entry.locator(".badge-verified")
        expect(badge).to_be_visible()
        expect(badge).to_have_attribute("title", HOW)
        expect(badge).to_contain_text(HOW)  # read out by screen readers (visually hidden)
        expect(page.locator("main li.card", has_text="Mörbylånga kommun")).to_contain_text(
            "Ej verifierad"
        )
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"trust-inbox-{viewport['width']}.png", full_page=True)

        region_entry.get_by_role("link", name="Region Kalmar län").click()
        expect(page.locator("h1 .badge-verified")).to_contain_text(HOW)
        expect(page.locator("ol.thread .message .badge-verified").first).to_contain_text(HOW)
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        page.screenshot(
            path=SCREENSHOTS / f"trust-conversation-{viewport['width']}.png", full_page=True
        )
        # Nothing sticks out sideways on a phone (reflow).
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
