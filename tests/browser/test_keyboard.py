"""The site works from the keyboard alone: skip link first, forms in a sensible Tab order."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.browser

MAX_TABS = 40


def tab_to(page, selector: str) -> None:
    """Press Tab until `selector` has focus, as a keyboard user would (and fail if it never does)."""
    target = page.locator(selector)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{selector} never got focus in {MAX_TABS} presses of Tab")


def test_the_first_tab_reaches_the_skip_link_and_enter_moves_focus_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is visible"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next Tab continues inside the content, not the header
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_a_keyboard_user_can_log_in_without_a_mouse(page, live_server):
    if not live_server.has_endpoint("accounts.login", "POST"):
        pytest.skip("the log-in form (POST /konto/logga-in) does not exist yet")
    with live_server.app_context():
        email = factories.user(name="Karin Tangentbord").email

    page.goto(live_server.path_for("accounts.login"))
    tab_to(page, "main input[name='email']")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.locator("main input[name='password']")).to_be_focused()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")

    expect(page.locator("header form[action$='/konto/logga-ut'] button")).to_be_visible()
    expect(page.locator("header a[href$='/konto/logga-in']")).to_have_count(0)
