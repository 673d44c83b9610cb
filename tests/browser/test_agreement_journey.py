"""A Samverkansöverenskommelse in a real browser: sections edited in place with htmx (several open
at once, nothing typed lost), the same without JavaScript, a conflict, and both approvals."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from marketplace.contact import services as contact
from marketplace.organisations.models import LegalForm, Sector
from tests import factories
from tests.browser.conftest import new_page

pytestmark = pytest.mark.browser

PURPOSE = "Nyanlända familjer ska förstå hur vården fungerar."
DISPUTES = "Vi löser oenighet i styrgruppen."


@pytest.fixture
def live_server(clean_database):
    """The pages are those of the live server whose emptied tables `agreement` filled."""
    return clean_database


@pytest.fixture
def agreement(clean_database):
    """A region's ad, a language café's conversation about it; answers (url, region, café)."""
    live = clean_database
    with live.app_context():
        region = factories.organisation(
            name="Region Kalmar län", sector=Sector.PUBLIC, legal_form=LegalForm.REGION
        )
        anna = factories.member(org=region, name="Anna Lindqvist")
        cafe = factories.organisation(name="Språkvän Kalmar")
        leila = factories.member(org=cafe, name="Leila Haddad")
        ad = factories.ad(org=region, title="Föreningar som vill sprida vårdens information")
        message = contact.show_interest(leila, cafe, ad, "Hej! Vi driver ett språkcafé i Kalmar.")
        url = live.path_for("partnerships.detail", conversation_id=message.conversation_id)
        return url, anna.session_token, leila.session_token


def browser_page(browser, live, token: str, **options) -> Page:
    context, page = new_page(browser, live, **options)
    context.add_cookies([live.session_cookie(token)])
    return page


def test_sections_are_edited_in_place_and_an_open_one_keeps_what_was_typed(
    browser, live_server, agreement
):
    url, anna_token, _leila = agreement
    page = browser_page(browser, live_server, anna_token)
    page.goto(url)
    page.get_by_role("button", name="Starta en samverkansöverenskommelse").click()
    expect(page.locator("main .flash")).to_contain_text("Överenskommelsen är påbörjad")

    page.locator("#avsnitt-syfte a", has_text="Ändra").click()
    page.locator("#avsnitt-syfte textarea[name='purpose']").fill(PURPOSE)
    page.locator("#avsnitt-tvister a", has_text="Ändra").click()
    page.locator("#avsnitt-tvister textarea[name='disputes']").fill(DISPUTES)
    page.locator("#avsnitt-syfte button[type='submit']").click()

    expect(page.locator("#avsnitt-syfte")).to_contain_text(PURPOSE)
    expect(page.locator("#avsnitt-syfte [role='status']")).to_contain_text("version 2")
    expect(page.locator("#status")).to_contain_text("Version 2")
    # The other section is still open, with its unsaved text.
    expect(page.locator("#avsnitt-tvister textarea[name='disputes']")).to_have_value(DISPUTES)
    page.locator("#avsnitt-tvister button[type='submit']").click()
    expect(page.locator("#avsnitt-tvister")).to_contain_text(DISPUTES)
    expect(page.locator("#status")).to_contain_text("Version 3")
    page.context.close()


def test_without_javascript_a_section_is_its_own_page_and_a_conflict_keeps_both_texts(
    browser, live_server, agreement
):
    url, anna_token, leila_token = agreement
    anna = browser_page(browser, live_server, anna_token, java_script_enabled=False)
    leila = browser_page(browser, live_server, leila_token, java_script_enabled=False)
    anna.goto(url)
    anna.get_by_role("button", name="Starta en samverkansöverenskommelse").click()

    # Both open the purpose section at version 1; Leila saves first.
    for page in (anna, leila):
        page.goto(url)
        page.locator("#avsnitt-syfte a", has_text="Ändra").click()
        expect(page.locator("h2", has_text="Syfte och samhällsutmaning")).to_be_visible()
    leila.locator("textarea[name='purpose']").fill(PURPOSE)
    leila.get_by_role("button", name="Spara").click()
    expect(leila.locator("main .flash")).to_contain_text("sparat som version 2")
    expect(leila.locator("#avsnitt-syfte")).to_contain_text(PURPOSE)

    mine = "Familjer ska hitta rätt i vården, på sitt eget språk."
    anna.locator("textarea[name='purpose']").fill(mine)
    anna.get_by_role("button", name="Spara").click()
    expect(anna.locator(".conflict")).to_contain_text("Någon annan har ändrat samma text")
    expect(anna.locator(".theirs")).to_contain_text(PURPOSE)
    expect(anna.locator("textarea[name='purpose']")).to_have_value(mine)
    anna.get_by_role("button", name="Spara").click()  # knowingly replaces Leila's text
    expect(anna.locator("#avsnitt-syfte")).to_contain_text(mine)

    # Both approve version 3.
    anna.get_by_role("button", name="Godkänn version 3 för Region Kalmar län").click()
    leila.goto(url)
    leila.get_by_role("button", name="Godkänn version 3 för Språkvän Kalmar").click()
    expect(leila.locator("#status .approval-line")).to_contain_text("Godkänd av Region Kalmar län")
    for page in (anna, leila):
        page.context.close()
