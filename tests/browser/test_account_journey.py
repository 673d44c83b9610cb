"""Register, confirm by e-mail, log in, log out and in again: without JavaScript and with htmx."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import header_menu

pytestmark = pytest.mark.browser

_numbers = itertools.count(1)
LOGGED_IN = "header form[action$='/konto/logga-ut'] button"
LOG_IN_LINK = "header a[href$='/konto/logga-in']"
UNCONFIRMED_BANNER = "form[action$='/konto/bekrafta/skicka-igen']"


@pytest.fixture
def accounts_built(live_server):
    needed = [
        live_server.has_endpoint("accounts.register", "POST"),
        live_server.has_endpoint("accounts.login", "POST"),
        live_server.has_endpoint("accounts.logout", "POST"),
        live_server.has_route("/konto/bekrafta/<"),
    ]
    if not all(needed):
        pytest.skip("registration, confirmation, log-in or log-out routes do not exist yet")


def confirmation_link(smtp_server, address: str, timeout: float = 10.0) -> str:
    """The link in the confirmation e-mail the SMTP server received for `address`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(smtp_server.handler.messages):
            if message["To"] == address:
                text = message.get_body(("plain",)).get_content()
                found = re.search(r"https?://\S+/konto/bekrafta/\S+", text)
                assert found, f"no confirmation link in:\n{text}"
                return found.group(0)
        time.sleep(0.05)
    pytest.fail(f"no e-mail reached {address} within {timeout} s")


def register_confirm_log_out_and_in(page, smtp_server) -> None:
    address = f"journey{next(_numbers)}-{time.time_ns()}@example.com"

    page.goto("/")
    header_menu(page).locator("a[href$='/konto/registrera']").click()
    form = page.locator("main form[action$='/konto/registrera']")
    form.locator("[name='name']").fill("Ida Idéburen")
    form.locator("[name='email']").fill(address)
    form.locator("[name='password']").fill(factories.PASSWORD)
    form.locator("[type='submit']").click()

    page.wait_for_url("**/konto/obekraftad")
    expect(page.locator(LOG_IN_LINK)).to_be_attached()  # registering logs no one in
    expect(page.locator(LOGGED_IN)).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"Vi har skickat en länk till {address}")

    # The link confirms the address and opens the log-in form with it filled in.
    page.goto(confirmation_link(smtp_server, address))
    page.wait_for_url("**/konto/logga-in")
    expect(page.locator(".flash").filter(has_text=address)).to_be_visible()
    expect(page.locator(LOGGED_IN)).to_have_count(0)
    form = page.locator("main form[action*='/konto/logga-in']")
    expect(form.locator("[name='email']")).to_have_value(address)
    form.locator("[name='password']").fill(factories.PASSWORD)
    form.locator("[type='submit']").click()
    page.wait_for_url("**/mina-sidor")
    expect(page.locator(LOGGED_IN)).to_be_attached()
    expect(page.locator(UNCONFIRMED_BANNER)).to_have_count(0)

    header_menu(page)
    page.locator(LOGGED_IN).click()
    expect(page.locator(LOG_IN_LINK)).to_be_attached()
    expect(page.locator(LOGGED_IN)).to_have_count(0)

    header_menu(page)
    page.locator(LOG_IN_LINK).click()
    form = page.locator("main form[action*='/konto/logga-in']")
    form.locator("[name='email']").fill(address)
    form.locator("[name='password']").fill(factories.PASSWORD)
    form.locator("[type='submit']").click()
    expect(page.locator(LOGGED_IN)).to_be_attached()
    expect(page.locator(UNCONFIRMED_BANNER)).to_have_count(0)


def test_a_visitor_without_javascript_registers_confirms_logs_out_and_in(
    page_nojs, smtp_server, accounts_built
):
    sent = []
    page_nojs.on("request", lambda request: sent.append(request))
    register_confirm_log_out_and_in(page_nojs, smtp_server)
    assert not [r.url for r in sent if "hx-request" in r.headers], "no htmx without JavaScript"


def test_a_visitor_with_javascript_does_the_same_through_htmx(page, smtp_server, accounts_built):
    posts = []

    def remember_post(request) -> None:
        if request.method == "POST":
            posts.append(request)

    page.on("request", remember_post)
    register_confirm_log_out_and_in(page, smtp_server)

    assert page.evaluate("typeof htmx") == "object"
    assert len(posts) == 4, [p.url for p in posts]
    # register, log in, log out and log in went through htmx (a form of its own, or boosted)
    assert all(p.headers.get("hx-request") == "true" for p in posts), [p.url for p in posts]
    logout = next(p for p in posts if p.url.endswith("/konto/logga-ut"))
    assert logout.headers.get("hx-boosted") == "true"
