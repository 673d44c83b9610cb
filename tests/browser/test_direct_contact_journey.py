"""Kontakta organisationen on a phone: a visitor finds an organisation, logs in, comes back to the
form, fixes a too-short message and lands in the direct conversation; the other organisation
gets the e-mail. axe-core finds no WCAG 2.1 AA violations on the pages on the way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import new_page
from tests.browser.test_accessibility import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "instance" / "screenshots"
PHONE = {"width": 390, "height": 844}
TEXT = "Hej! Vi driver läxhjälp i Norrliden och vill gärna samarbeta med er kring föräldramöten."


def _seed(live) -> dict:
    with live.app_context():
        recipient = factories.organisation(name="Föreningen Språkvän Kalmar")
        leila = factories.member(org=recipient, name="Leila Haddad")
        sender = factories.organisation(name="Läxhjälpen Norrliden")
        johan = factories.member(org=sender, name="Johan Ek")
        return {
            "page": live.path_for(
                "organisations.detail", organisation_id=recipient.id, slug=recipient.slug
            ),
            "leila": leila.email,
            "johan": johan.email,
        }


def _mail_to(smtp_server, address: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(smtp_server.handler.messages):
            if message["To"] == address:
                return message
        time.sleep(0.05)
    pytest.fail(f"no e-mail reached {address} within {timeout} s")


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"direct-contact-{name}-390.png", full_page=True)


def test_a_visitor_logs_in_writes_to_an_organisation_and_lands_in_the_conversation(
    browser, clean_database, axe_script, smtp_server
):
    live = clean_database
    seeded = _seed(live)
    smtp_server.handler.messages.clear()
    context, page = new_page(browser, live, bypass_csp=True, viewport=PHONE)
    try:
        page.goto(seeded["page"])
        button = page.get_by_role("link", name="Kontakta organisationen")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box and box["y"] + box["height"] <= PHONE["height"], "the button is on screen one"
        _shot(page, "organisation")

        button.click()
        page.wait_for_url("**/konto/logga-in**")
        form = page.locator("main form[action*='/konto/logga-in']")
        form.locator("[name='email']").fill(seeded["johan"])
        form.locator("[name='password']").fill(factories.PASSWORD)
        form.locator("[type='submit']").click()

        page.wait_for_url("**/kontakta")  # back where the visitor was going
        expect(page.locator("h1")).to_contain_text("Kontakta Föreningen Språkvän Kalmar")
        expect(page.locator("#direct")).to_contain_text("Du skriver för Läxhjälpen Norrliden")
        _shot(page, "form")
        message = page.get_by_role("textbox", name="Meddelande")
        message.fill("Hej!")
        page.get_by_role("button", name="Skicka").click()
        expect(page.locator("#direct .error")).to_contain_text("minst 10 tecken")
        expect(page.get_by_role("textbox", name="Meddelande")).to_have_value("Hej!")  # the text is kept
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        _shot(page, "form-error")

        page.get_by_role("textbox", name="Meddelande").fill(TEXT)
        page.get_by_role("button", name="Skicka").click()

        page.wait_for_url("**/inkorg/*")
        expect(page.locator("h1")).to_contain_text("Konversation med Föreningen Språkvän Kalmar")
        expect(page.locator(".badge-direct")).to_have_text("Direktkontakt")
        expect(page.locator("ol.thread")).to_contain_text(TEXT)
        violations = axe_violations(page, axe_script)
        assert violations == [], describe(violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        _shot(page, "conversation")

        mail = _mail_to(smtp_server, seeded["leila"])
        assert mail["Subject"] == "Läxhjälpen Norrliden har kontaktat er på Samverkanstorget"
        live.raise_errors()
    finally:
        context.close()
