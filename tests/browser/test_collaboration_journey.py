"""The whole collaboration journey in a real browser, with htmx and without JavaScript.

An association registers, confirms its address from the e-mail, logs in, registers its
organisation and posts an ad. A region's officer registers the region with an address on its own domain (the
name is reserved), proves the domain from the e-mailed link, and finds the ad by searching the
way people type (no accents, another form of the words), shows interest, and the two write to
each other through the inbox while the SMTP server catches every e-mail. Then the region saves a search ("Direkt"), the
association posts a second ad, and the alert's link leads to it.

Every step goes through the pages as a person would use them; the database is only read.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.ads.models import Ad
from marketplace.extensions import db
from tests import factories
from tests.browser.conftest import header_menu, new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAIL_TIMEOUT = 10.0
LOGGED_IN = "header form[action$='/konto/logga-ut'] button"
INBOX_LINK = "header a[href$='/inkorg']"
FLASH = "main .flashes .flash"

FIRST_AD_TITLE = "Språkcaféer för nyanlända föräldrar"
FIRST_AD_BODY = (
    "Vi vill starta språkcaféer där nyanlända föräldrar övar svenska medan barnen leker. "
    "Vi söker en kommun eller region som kan bidra med lokaler och kontakter."
)
# How a visitor types it: no accents, the singular instead of the plural.
SEARCH_TEXT = "sprakcafe foralder"
ALERT_WORDS = "läxhjälp matematik"
SECOND_AD_TITLE = "Läxhjälp i matematik på lördagar"
SECOND_AD_BODY = (
    "Vi startar läxhjälp i matematik för barn i årskurs 4–9 och söker skolor och bibliotek "
    "som vill samverka."
)
INTEREST_MESSAGE = (
    "Region Kalmar län har lokaler i Kalmar som kan passa för språkcaféer. "
    "Kan vi ses nästa vecka och prata om det?"
)
REPLY_MESSAGE = "Tack! Tisdag klockan tio passar oss bra. Vi kommer till regionens hus."


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Organisation:
    name: str
    org_number: str
    sector: str  # the radio button's label
    legal_form: str  # the select's value
    county: str
    municipality: str  # "" = the whole county
    email: str
    description: str


ASSOCIATION = Organisation(
    name="Föreningen Språkbron",
    org_number="802002-8711",  # valid (Luhn); the 8 suggests an ideell förening
    sector="Idéburen sektor",
    legal_form="ideell-forening",
    county="08",
    municipality="0880",
    email="info@sprakbron.example.com",
    description="Vi driver språkcaféer och läxhjälp för nyanlända familjer i Kalmar.",
)
REGION = Organisation(
    name="Region Kalmar län",
    org_number="232100-0073",  # valid; the 2 suggests the public sector
    sector="Offentlig sektor",
    legal_form="region",
    county="08",
    municipality="",
    email="registrator@regionkalmar.example.com",
    description="Regionen ansvarar för hälso- och sjukvård, kollektivtrafik och regional utveckling.",
)


# --- e-mail -------------------------------------------------------------------------------------


def wait_for_mail(smtp_server, to: str, subject_contains: str) -> EmailMessage:
    """The first e-mail to `to` whose subject contains the text, as the SMTP server received it."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        with smtp_server.handler.lock:
            received = list(smtp_server.handler.messages)
        for message in received:
            if message["To"] == to and subject_contains in message["Subject"]:
                return message
        time.sleep(0.05)
    subjects = [m["Subject"] for m in smtp_server.handler.messages if m["To"] == to]
    pytest.fail(f"no e-mail to {to} about {subject_contains!r} within {MAIL_TIMEOUT} s: {subjects}")


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage, path: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path)}\S*", text_of(message))
    assert found, f"no link to {path} in:\n{text_of(message)}"
    return found.group(0)


# --- steps ----------------------------------------------------------------------------------------


def register_and_confirm(page: Page, smtp_server, person: Person) -> None:
    page.goto("/")
    header_menu(page).locator("a[href$='/konto/registrera']").click()
    form = page.locator("main form[action$='/konto/registrera']")
    form.get_by_label("Namn", exact=True).fill(person.name)
    form.get_by_label("E-postadress").fill(person.email)
    form.get_by_label("Lösenord").fill(factories.PASSWORD)
    form.locator("[type='submit']").click()
    page.wait_for_url("**/konto/obekraftad")
    expect(page.locator(LOGGED_IN)).to_have_count(0)  # registering logs no one in

    # The link confirms the address; the log-in form that follows has it filled in.
    mail = wait_for_mail(smtp_server, person.email, "Bekräfta din e-postadress")
    page.goto(link_in(mail, "/konto/bekrafta/"))
    expect(page.locator(FLASH).filter(has_text=person.email)).to_be_visible()
    form = page.locator("main form[action*='/konto/logga-in']")
    expect(form.get_by_label("E-postadress")).to_have_value(person.email)
    form.get_by_label("Lösenord").fill(factories.PASSWORD)
    form.locator("[type='submit']").click()
    page.wait_for_url("**/mina-sidor")
    expect(page.locator(LOGGED_IN)).to_be_attached()


def choose_place(page: Page, form, county: str, municipality: str, javascript: bool) -> None:
    """Pick the county, then a municipality; with htmx the list shrinks to the county's own."""
    form.get_by_label("Län", exact=True).select_option(county)
    municipalities = form.locator("#municipality-field select")
    if javascript:  # the swapped-in select has no per-county groups
        expect(municipalities.locator("optgroup")).to_have_count(0)
        expect(municipalities.locator("option[value='0880']")).to_have_count(1)
        expect(municipalities.locator("option[value='1280']")).to_have_count(0)  # Malmö
    municipalities.select_option(municipality)


def register_organisation(page: Page, org: Organisation, javascript: bool) -> None:
    header_menu(page).get_by_role("link", name="Mina organisationer").click()
    expect(page.get_by_role("heading", name="Mina organisationer", level=1)).to_be_visible()
    page.get_by_role("link", name="Registrera en ny organisation").click()

    form = page.locator("form#organisation-form")
    form.get_by_label("Organisationens namn").fill(org.name)
    form.get_by_label("Organisationsnummer").fill(org.org_number)
    form.get_by_label("Organisationsnummer").press("Tab")  # leaving the field checks it (htmx)
    if javascript:
        hint = "Numret börjar med 8" if org.org_number.startswith("8") else "Numret börjar med 2"
        expect(form.locator("#org_number-help")).to_contain_text(hint)
        expect(form.get_by_label(org.sector, exact=True)).to_be_checked()  # suggested
    form.get_by_label(org.sector, exact=True).check()
    form.get_by_label("Organisationsform").select_option(org.legal_form)
    choose_place(page, form, org.county, org.municipality, javascript)
    form.get_by_label("E-post för kontakt").fill(org.email)
    form.get_by_label("Beskrivning").fill(org.description)
    form.get_by_label("Integration och etablering").check()
    form.get_by_role("button", name="Registrera organisationen").click()

    expect(page.locator("h1#organisation-title")).to_contain_text(org.name)
    expect(page.locator("main")).to_contain_text(org.org_number)


def register_public_body(page: Page, smtp_server, org: Organisation, person: Person, js: bool):
    """A region's name is reserved: its officer registers it with an address on the region's
    domain, lands on its verification page and proves the domain from the e-mailed link."""
    header_menu(page).get_by_role("link", name="Mina organisationer").click()
    page.get_by_role("link", name="Registrera en ny organisation").click()
    form = page.locator("form#organisation-form")
    form.get_by_label("Organisationens namn").fill(org.name)
    form.get_by_label("Organisationsnummer").fill(org.org_number)
    form.get_by_label("Organisationsnummer").press("Tab")  # leaving the field checks it (htmx)
    if js:  # the check redraws the form: wait for it before choosing anything else
        expect(form.locator("#org_number-help")).to_contain_text("Numret börjar med 2")
    form.get_by_label(org.sector, exact=True).check()
    form.get_by_label("Organisationsform").select_option(org.legal_form)
    choose_place(page, form, org.county, org.municipality, js)
    form.get_by_label("E-post för kontakt").fill(org.email)
    form.get_by_label("Beskrivning").fill(org.description)
    form.get_by_label("Integration och etablering").check()
    form.get_by_role("button", name="Registrera organisationen").click()

    expect(page.get_by_role("heading", name=f"Verifiering av {org.name}", level=1)).to_be_visible()
    page.get_by_role("button", name=f"Skicka en bekräftelselänk till {person.email}").click()
    mail = wait_for_mail(smtp_server, person.email, "Bekräfta att")
    page.goto(link_in(mail, "/organisationer/doman/"))
    page.get_by_role("button", name="Bekräfta domänen").click()
    expect(page.locator("h1#organisation-title")).to_contain_text(org.name)
    expect(page.locator("h1#organisation-title .badge-verified")).to_contain_text(
        "Verifierad via e-postdomän regionkalmar.se"
    )


def post_ad(page: Page, title: str, body: str, javascript: bool) -> int:
    """Publish an ad from the start page's button; returns its id (read from the address)."""
    page.locator("header a.brand").click()
    page.locator("main").get_by_role("link", name="Publicera en annons").click()
    expect(page.get_by_role("heading", name="Ny annons", level=1)).to_be_visible()

    form = page.locator("form#ad-form")
    form.get_by_label("Söker", exact=True).check()
    form.get_by_label("Rubrik").fill(title)
    form.get_by_label("Beskrivning").fill(body)
    form.get_by_label("Integration och etablering").check()
    form.get_by_label("Utbildning och folkbildning").check()
    choose_place(page, form, "08", "0880", javascript)
    form.get_by_label("Offentlig sektor").check()
    form.get_by_role("button", name="Publicera annonsen").click()

    expect(page.locator(FLASH)).to_have_text("Annonsen är publicerad.")
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text("Integration och etablering")
    expect(facts).to_contain_text("Kalmar, Kalmar län")
    expect(facts).to_contain_text("Offentlig sektor")
    found = re.search(r"/annonser/(\d+)-", page.url)
    assert found, page.url
    return int(found.group(1))


def search_for(page: Page, text: str, javascript: bool) -> None:
    link = header_menu(page).get_by_role("link", name="Annonser", exact=True)
    if javascript:
        with page.expect_response(lambda response: urlsplit(response.url).path == "/annonser"):
            link.click()  # boosted: htmx swaps the page in
        # htmx wires the new page's live search as the swap settles (~20 ms later); a person
        # takes longer than that to start typing, the test must wait for it. (A locator, not
        # wait_for_function: its polling evaluates a string, which the page's CSP refuses.)
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    else:
        link.click()
    search_field = page.get_by_role("searchbox", name="Sök")
    search_field.fill(text)
    if not javascript:
        search_field.press("Enter")  # a plain GET form
    # With htmx the results follow the typing (and the address bar the search). The results'
    # "Spara sökningen" link carries the words once they are the new ones.
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [text])
    save_link = page.locator("#results").get_by_role("link", name="Spara sökningen")
    expect(save_link).to_have_attribute("href", re.compile(r"[?&]q=" + re.escape(quote_plus(text))))


def open_inbox(page: Page, unread: int) -> None:
    """Come back to the site: the header counts unread messages; open the inbox."""
    page.locator("header a.brand").click()
    inbox_link = page.locator(INBOX_LINK)
    expect(inbox_link).to_have_text(
        re.compile(rf"Inkorg\s*{unread} olästa? meddelanden?"), use_inner_text=False
    )
    inbox_link.click()
    expect(page.get_by_role("heading", name="Inkorg", level=1)).to_be_visible()


# --- the journey ------------------------------------------------------------------------------


def ad_id_titled(live_server, title: str) -> int | None:
    with live_server.app_context():
        return db.session.scalar(sa.select(Ad.id).where(Ad.title == title))


@pytest.mark.parametrize("javascript", [True, False], ids=["with-htmx", "without-javascript"])
def test_two_organisations_find_each_other_talk_and_get_alerted(
    browser, clean_database, smtp_server, javascript
):
    live_server = clean_database
    stamp = time.time_ns()
    ida = Person("Ida Idéburen", f"ida-{stamp}@example.com")
    # The region's name is reserved: only an address on its official domain may register it.
    rolf = Person("Rolf Regional", f"rolf-{stamp}@regionkalmar.se")
    contexts = []
    htmx_requests: list[str] = []  # "POST /inkorg/1" for requests htmx made for a fragment

    def remember_htmx(request) -> None:
        if request.headers.get("hx-request") and not request.headers.get("hx-boosted"):
            htmx_requests.append(f"{request.method} {urlsplit(request.url).path}")

    def person_page() -> Page:
        context, page = new_page(browser, live_server, java_script_enabled=javascript)
        contexts.append((context, page))
        page.on("request", remember_htmx)
        return page

    try:
        ida_page, rolf_page = person_page(), person_page()

        # The association: an account, its organisation and its first ad.
        register_and_confirm(ida_page, smtp_server, ida)
        register_organisation(ida_page, ASSOCIATION, javascript)
        first_ad_id = post_ad(ida_page, FIRST_AD_TITLE, FIRST_AD_BODY, javascript)
        assert ad_id_titled(live_server, FIRST_AD_TITLE) == first_ad_id

        # The region: an account and its organisation; it finds the ad as people type.
        register_and_confirm(rolf_page, smtp_server, rolf)
        register_public_body(rolf_page, smtp_server, REGION, rolf, javascript)
        search_for(rolf_page, SEARCH_TEXT, javascript)
        results = rolf_page.locator("#results")
        expect(results.get_by_role("heading", level=2).first).to_have_text("1 annons")
        result_link = results.get_by_role("link", name=FIRST_AD_TITLE)
        expect(result_link).to_be_visible()
        expect(results).to_contain_text(ASSOCIATION.name)
        result_link.click()
        expect(rolf_page.get_by_role("heading", name=FIRST_AD_TITLE, level=1)).to_be_visible()

        # "Visa intresse": the message starts a conversation.
        interest = rolf_page.locator("section#interest")
        expect(interest).to_contain_text(f"Du skriver för {REGION.name}")
        interest.get_by_label("Meddelande").fill(INTEREST_MESSAGE)
        interest.get_by_role("button", name="Skicka").click()
        expect(rolf_page.locator(FLASH)).to_have_text(
            f"Ditt meddelande är skickat till {ASSOCIATION.name}."
        )
        expect(rolf_page.get_by_role("heading", level=1)).to_have_text(
            f"Konversation med {ASSOCIATION.name}"
        )
        expect(rolf_page.locator("ol.thread")).to_contain_text(INTEREST_MESSAGE)

        # The association is told by e-mail, and answers in its inbox.
        mail = wait_for_mail(smtp_server, ida.email, "visar intresse för er annons")
        assert mail["Subject"] == (f"{REGION.name} visar intresse för er annons ”{FIRST_AD_TITLE}”")
        assert INTEREST_MESSAGE in text_of(mail)
        assert f"Skrivet av {rolf.name}, {REGION.name}" in text_of(mail)
        conversation_url = link_in(mail, "/inkorg/")

        open_inbox(ida_page, unread=1)
        entry = ida_page.locator("ul.conversation-list > li")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(f"Om annonsen: {FIRST_AD_TITLE}")
        expect(entry.locator(".badge-unread")).to_have_text("1 oläst")
        entry.get_by_role("link", name=REGION.name).click()
        expect(ida_page).to_have_url(conversation_url)
        expect(ida_page.locator("ol.thread")).to_contain_text(INTEREST_MESSAGE)
        expect(ida_page.locator(INBOX_LINK)).to_have_text("Inkorg")  # read now
        reply_form = ida_page.locator("form#reply-form")
        expect(reply_form).to_contain_text("offentlig organisation")  # the public-records notice
        reply_form.get_by_label("Meddelande").fill(REPLY_MESSAGE)
        reply_form.get_by_role("button", name="Skicka svar").click()
        # htmx swaps the thread and says so in it; without JavaScript the page reloads with a flash.
        expect(
            ida_page.get_by_role("status").filter(has_text="Ditt svar är skickat.")
        ).to_be_visible()
        expect(ida_page.locator("ol.thread > li")).to_have_count(2)
        expect(ida_page.locator("ol.thread > li").last).to_contain_text(REPLY_MESSAGE)
        expect(ida_page.locator("form#reply-form").get_by_label("Meddelande")).to_have_value("")

        # The region gets the reply by e-mail and in its inbox.
        mail = wait_for_mail(smtp_server, rolf.email, "Nytt meddelande från")
        assert mail["Subject"] == (f"Nytt meddelande från {ASSOCIATION.name} om ”{FIRST_AD_TITLE}”")
        assert REPLY_MESSAGE in text_of(mail)
        open_inbox(rolf_page, unread=1)
        entry = rolf_page.locator("ul.conversation-list > li")
        expect(entry.locator(".badge-unread")).to_have_text("1 oläst")
        entry.get_by_role("link", name=ASSOCIATION.name).click()
        expect(rolf_page.locator("ol.thread > li").last).to_contain_text(REPLY_MESSAGE)

        # The region saves a search that finds nothing yet, with e-mail at once.
        search_for(rolf_page, ALERT_WORDS, javascript)
        expect(rolf_page.locator("#results").get_by_role("heading", level=2)).to_have_text(
            "0 annonser"
        )
        rolf_page.locator("#results").get_by_role("link", name="Spara sökningen").click()
        alert_form = rolf_page.locator("form#saved-search-form")
        expect(alert_form.locator("#search-summary")).to_contain_text("läxhjälp")
        alert_name = alert_form.get_by_label("Namn på bevakningen")
        alert_name.fill("Läxhjälp i matematik")
        alert_form.get_by_label(re.compile("^Direkt")).check()
        alert_form.get_by_role("button", name="Spara bevakningen").click()
        expect(rolf_page.locator(FLASH)).to_contain_text("Bevakningen är sparad.")
        expect(rolf_page.locator("main")).to_contain_text("Läxhjälp i matematik")

        # The association's next ad reaches the region at once, and the link opens it.
        second_ad_id = post_ad(ida_page, SECOND_AD_TITLE, SECOND_AD_BODY, javascript)
        alert = wait_for_mail(smtp_server, rolf.email, "bevakning")
        assert alert["Subject"] == "Ny annons för din bevakning: Läxhjälp i matematik"
        assert SECOND_AD_TITLE in text_of(alert)
        assert FIRST_AD_TITLE not in text_of(alert)
        ad_link = link_in(alert, f"/annonser/{second_ad_id}-")
        rolf_page.goto(ad_link)
        expect(rolf_page.get_by_role("heading", name=SECOND_AD_TITLE, level=1)).to_be_visible()
        expect(rolf_page.locator("main")).to_contain_text(ASSOCIATION.name)
        expect(rolf_page.locator("section#interest form#interest-form")).to_be_visible()
        assert first_ad_id != second_ad_id

        if javascript:
            assert {page.evaluate("typeof htmx") for _, page in contexts} == {"object"}
            # The forms and the search swapped only their own part of the page.
            for expected in (
                "GET /kommuner",  # the municipalities of the county chosen, on both forms
                "POST /organisationer/ny",  # the organisationsnummer checked on leaving the field
                "POST /annonser/ny",
                "GET /annonser",
                f"POST /annonser/{first_ad_id}/intresse",
                f"POST {urlsplit(conversation_url).path}",
                "POST /bevakningar/ny",
            ):
                assert expected in htmx_requests, (expected, htmx_requests)
        else:
            assert not htmx_requests, "no htmx without JavaScript"
    finally:
        for context, page in contexts:
            context.close()
            assert not page.browser_log.csp_violations(), page.browser_log.csp_violations()
