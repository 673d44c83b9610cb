"""The site works from the keyboard alone: skip link first, forms in a sensible Tab order,
a visible focus wherever the focus goes, and search and posting without a mouse."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.ads.models import AdKind
from tests import factories
from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_TABS = 40
JAVASCRIPT = pytest.mark.parametrize(
    "javascript", [True, False], ids=["with-htmx", "without-javascript"]
)

# What the focused element looks like: an outline or a box-shadow ring, or neither.
FOCUS_STYLE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {
    element: element.outerHTML.slice(0, 120),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none",
  };
}"""


def assert_focus_visible(page) -> None:
    """The focused element shows it (an outline or a box-shadow), so a keyboard user sees where they are."""
    focus = page.evaluate(FOCUS_STYLE)
    assert focus is not None, "nothing has focus"
    assert focus["outline"] or focus["shadow"], f"no visible focus on {focus['element']}"


def press(page, key: str) -> None:
    page.keyboard.press(key)
    assert_focus_visible(page)


def has_focus(page, selector: str) -> bool:
    return page.locator(selector).evaluate("element => element === document.activeElement")


def tab_to(page, selector: str, max_tabs: int = MAX_TABS, key: str = "Tab") -> None:
    """Press Tab until `selector` has focus, as a keyboard user would (and fail if it never does).

    Every element the focus passes on the way must show that it has it.
    """
    for _ in range(max_tabs):
        press(page, key)
        if has_focus(page, selector):
            return
    pytest.fail(f"{selector} never got focus in {max_tabs} presses of {key}")


def choose_with_arrows(page, selector: str, value: str, max_presses: int = 400) -> None:
    """With the focus on a select, press ArrowDown until `value` is chosen."""
    select = page.locator(selector)
    for _ in range(max_presses):
        if select.input_value() == value:
            return
        press(page, "ArrowDown")
    pytest.fail(f"{selector} never came to {value!r} with the arrow keys")


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

    expect(page.locator("header form[action$='/konto/logga-ut'] button")).to_be_attached()
    expect(page.locator("header a[href$='/konto/logga-in']")).to_have_count(0)


@JAVASCRIPT
def test_a_keyboard_user_searches_reaches_the_filters_and_opens_an_ad(
    browser, clean_database, javascript
):
    live_server = clean_database
    with live_server.app_context():
        org = factories.organisation(name="Kalmar Syförening", description="")
        ad = factories.ad(
            org=org,
            kind=AdKind.OFFER,
            title="Symaskiner att låna",
            body="Vi lånar ut symaskiner till föreningar som syr med nyanlända.",
        )
        factories.ad(org=org, title="Läxhjälp på lördagar", body="Matematik och svenska.")
        ad_path = f"/annonser/{ad.id}-{ad.slug}"

    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    try:
        page.goto("/annonser")
        expect(page.locator("#results-heading")).to_have_text("2 annonser")
        tab_to(page, "main input[name='q']")
        page.keyboard.type("symaskin")
        if javascript:  # the results follow the typing; the focus stays in the field
            expect(page.locator("#results-heading")).to_have_text("1 annons")
            expect(page.locator("main input[name='q']")).to_be_focused()
        else:  # Enter submits the search form; the new page starts from the top
            page.keyboard.press("Enter")
            expect(page.locator("#results-heading")).to_have_text("1 annons")
            expect(page.locator("main input[name='q']")).to_have_value("symaskin")
            tab_to(page, "main input[name='q']")

        # The search button, then the filters (a sidebar on a wide screen), and Space ticks one.
        press(page, "Tab")
        expect(page.locator("form.search-form .search-row button[type='submit']")).to_be_focused()
        press(page, "Tab")
        expect(page.locator("form.search-form input[name='kind']").first).to_be_focused()
        tab_to(page, "form.search-form input[name='kind'][value='offer']")
        press(page, "Space")
        expect(page.locator("form.search-form input[name='kind'][value='offer']")).to_be_checked()
        if not javascript:  # without htmx the filters apply with the search button
            tab_to(page, "form.search-form .filter-actions button[type='submit']", max_tabs=60)
            page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"[?&]kind=offer"))
        expect(page.locator("#results-heading")).to_have_text("1 annons")

        # On to the result, and Enter opens it.
        tab_to(page, f"#results a[href='{ad_path}']", max_tabs=60)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(re.escape(ad_path) + "$"))
        expect(page.get_by_role("heading", name="Symaskiner att låna", level=1)).to_be_visible()
    finally:
        context.close()
    assert not page.browser_log.csp_violations(), page.browser_log.csp_violations()


def log_in_with_the_keyboard(page, live_server, email: str) -> None:
    page.goto(live_server.path_for("accounts.login"))
    tab_to(page, "main input[name='email']")
    page.keyboard.type(email)
    press(page, "Tab")
    expect(page.locator("main input[name='password']")).to_be_focused()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("header form[action$='/konto/logga-ut'] button")).to_be_attached()


@JAVASCRIPT
def test_a_keyboard_user_posts_an_ad_and_is_led_to_the_errors(browser, clean_database, javascript):
    live_server = clean_database
    with live_server.app_context():
        # An organisation in Stockholm: the new ad starts there, and the person moves it
        org = factories.organisation(county_code="01", municipality_code=None)
        email = factories.member(name="Karin Tangentbord", org=org).email

    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    try:
        log_in_with_the_keyboard(page, live_server, email)
        page.goto("/")
        tab_to(page, "main a[href$='/annonser/ny']")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Ny annons", level=1)).to_be_visible()
        form = page.locator("form#ad-form")

        # A title only, and Enter: the errors are announced and the focus goes to them.
        tab_to(page, "#ad-form input[name='title']")
        page.keyboard.type("Symaskiner att låna")
        page.keyboard.press("Enter")
        summary = form.locator(".form-errors")
        expect(summary).to_have_attribute("role", "alert")
        expect(summary).to_be_focused()
        assert_focus_visible(page)
        for field_id, message in (
            ("kind-0", "Välj om annonsen söker, erbjuder eller är en idé."),
            ("body", "Beskriv vad ni söker, erbjuder eller vill göra."),
        ):
            expect(summary.locator(f"a[href='#{field_id}']")).to_contain_text(message)
        expect(form.locator("input[name='title']")).to_have_value("Symaskiner att låna")
        expect(form.locator("textarea[name='body']")).to_have_attribute("aria-invalid", "true")

        # The summary's first link leads to the first field to put right.
        tab_to(page, "#ad-form .form-errors a[href='#kind-0']")
        page.keyboard.press("Enter")
        expect(form.locator("#kind-0")).to_be_focused()
        assert_focus_visible(page)

        # The kind: arrow keys move through the radio buttons and choose.
        press(page, "Space")
        expect(form.locator("#kind-0")).to_be_checked()
        press(page, "ArrowDown")
        expect(form.get_by_label("Erbjuder", exact=True)).to_be_checked()

        tab_to(page, "#ad-form textarea[name='body']")
        page.keyboard.type("Vi lånar ut symaskiner till föreningar som syr med nyanlända.")
        tab_to(page, "#ad-form input[name='challenges'][value='integration']")
        press(page, "Space")
        expect(form.get_by_label("Integration och etablering")).to_be_checked()

        tab_to(page, "#ad-form select[name='county']", max_tabs=60)
        expect(page.locator("#ad-form select[name='county']")).to_have_value("01")
        choose_with_arrows(page, "#ad-form select[name='county']", "08")
        municipality = "#ad-form select[name='municipality']"
        if javascript:  # htmx has narrowed the municipalities to the county's own
            expect(page.locator(f"{municipality} optgroup")).to_have_count(0)
            expect(page.locator(f"{municipality} option[value='0880']")).to_have_count(1)
        press(page, "Tab")
        expect(page.locator(municipality)).to_be_focused()
        choose_with_arrows(page, municipality, "0880")

        tab_to(page, "#ad-form input[name='seeking'][value='civil']")
        press(page, "Space")
        press(page, "Shift+Tab")  # back to "Offentlig sektor", which the ad also wants
        expect(form.locator("input[name='seeking'][value='public']")).to_be_focused()
        press(page, "Space")
        expect(form.get_by_label("Offentlig sektor")).to_be_checked()
        expect(form.get_by_label("Idéburen sektor")).to_be_checked()

        tab_to(page, "#ad-form button[type='submit']")
        page.keyboard.press("Enter")

        expect(page.locator("main .flashes")).to_have_text("Annonsen är publicerad.")
        expect(page.get_by_role("heading", name="Symaskiner att låna", level=1)).to_be_visible()
        facts = page.locator("main dl.facts")
        expect(facts).to_contain_text("Kalmar, Kalmar län")
        expect(facts).to_contain_text("Offentlig sektor, Idéburen sektor")
        expect(page.locator("main .badge-kind")).to_have_text("Erbjuder")
    finally:
        context.close()
    assert not page.browser_log.csp_violations(), page.browser_log.csp_violations()
