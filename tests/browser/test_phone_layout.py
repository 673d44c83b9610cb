"""Phone first: the search shows results before filters at 390×844, the filters fold into a
panel (without JavaScript too) and update the results in place, the header is one row, and no
page scrolls sideways at 320 px (WCAG 1.4.10 reflow)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page
from tests.browser.site import MEMBER, PAGES, log_in_as, visit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 320, "height": 640}


def words(locator) -> str:
    """The text as a person reads it (flex items come back on lines of their own)."""
    return " ".join(locator.inner_text().split())


def phone_page(browser, live_server, site_data, viewport=PHONE, visitor=None, **options):
    context, page = new_page(browser, live_server, viewport=viewport, **options)
    if visitor:
        log_in_as(context, live_server, site_data, visitor)
    return context, page


@pytest.mark.parametrize("path", ["/annonser", "/annonser?q=l%C3%A4xhj%C3%A4lp"])
def test_the_first_result_is_on_the_first_screen_of_a_phone(browser, live_server, site_data, path):
    context, page = phone_page(browser, live_server, site_data)
    try:
        page.goto(path)
        first = page.locator("#results .card").first
        box = first.bounding_box()
        assert box is not None, "no result on the page"
        assert box["y"] + 60 < PHONE["height"], f"the first result starts {box['y']:.0f} px down"
        # The filters are folded away behind "Filter": their boxes are not on the screen.
        assert not page.locator("#filters input[name='kind']").first.is_visible()
    finally:
        context.close()


def test_the_filter_panel_opens_and_filters_without_javascript(browser, live_server, site_data):
    context, page = phone_page(browser, live_server, site_data, java_script_enabled=False)
    try:
        page.goto("/annonser")
        page.locator("#filters summary").click()
        offer = page.locator("#filters input[name='kind'][value='offer']")
        assert offer.is_visible()
        offer.check()
        with page.expect_navigation():
            page.locator("#filters button[type='submit']").click()
        assert "kind=offer" in page.url
        assert words(page.locator("#filters summary")).startswith("Filter (1)")
        assert page.locator(".chosen-filters a").first.inner_text().startswith("Erbjuder")
        # Folded again after the search, so the results come first.
        assert not page.locator("#filters input[name='kind']").first.is_visible()
    finally:
        context.close()


def test_ticking_a_filter_updates_the_results_in_place(browser, live_server, site_data):
    context, page = phone_page(browser, live_server, site_data)
    try:
        page.goto("/annonser")
        page.wait_for_function("() => typeof htmx !== 'undefined'")
        before = page.locator("#results-heading").inner_text()
        page.locator("#filters summary").click()
        offer = page.locator("#filters input[name='kind'][value='offer']")
        offer.scroll_into_view_if_needed()
        scrolled = page.evaluate("window.scrollY")
        expected = page.locator("label[for='kind-1']").inner_text()  # "Erbjuder (35)"
        with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
            offer.check()
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
        after = page.locator("#results-heading").inner_text()
        assert after != before and after.split()[0] in expected
        assert page.evaluate("document.activeElement.id") == "kind-1", "the focus moved"
        assert abs(page.evaluate("window.scrollY") - scrolled) < 5, "the page scrolled"
        assert page.locator("#search-status").inner_text() == after  # the polite live region
        assert words(page.locator("#filters summary")).startswith("Filter (1)")
        assert after.split()[0] in page.locator("#show-label").inner_text()
    finally:
        context.close()


def test_the_filters_are_a_sidebar_on_a_wide_screen(browser, live_server, site_data):
    context, page = phone_page(
        browser, live_server, site_data, viewport={"width": 1366, "height": 900}
    )
    try:
        page.goto("/annonser")
        assert page.locator("#filters input[name='kind']").first.is_visible()
        assert not page.locator("#filters summary").is_visible()
        filters = page.locator("#filters").bounding_box()
        results = page.locator("#results").bounding_box()
        assert filters["x"] + filters["width"] <= results["x"]
    finally:
        context.close()


def test_an_empty_english_search_offers_the_swedish_word(browser, live_server, site_data):
    context, page = phone_page(browser, live_server, site_data)
    try:
        page.goto(
            live_server.path_for("pages.set_language", language="en", next="/annonser?q=homework")
        )
        text = page.locator("#results").inner_text()
        assert "written in Swedish" in text
        link = page.locator("#results .suggestions a", has_text="läxhjälp")
        assert link.count() == 1
        link.click()
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
        assert page.locator("#results .card").count() >= 1
    finally:
        context.close()


@pytest.mark.parametrize("visitor", [None, MEMBER])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_header_is_one_row(browser, live_server, site_data, visitor, width):
    context, page = phone_page(
        browser, live_server, site_data, viewport={"width": width, "height": 800}, visitor=visitor
    )
    try:
        page.goto("/annonser")
        header = page.locator(".header-row").bounding_box()
        assert header["height"] <= 72, f"the header is {header['height']:.0f} px high"
        for selector in (".brand", ".button-publish", ".menu summary") + (
            (".inbox-link",) if visitor else ()
        ):
            box = page.locator(selector).bounding_box()
            assert (
                box is not None
                and box["y"] >= header["y"]
                and box["y"] + box["height"] <= header["y"] + header["height"]
            ), selector
        word = page.locator(".brand-word")
        if word.is_visible():  # the word mark is whole, never cut off by the buttons
            assert word.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "word mark cut"
        if visitor:
            assert page.locator(".unread-badge").inner_text().strip() != ""
        page.locator(".menu summary").click()
        assert (
            page.locator(".menu-panel")
            .get_by_role("link", name="Organisationer", exact=True)
            .is_visible()
        )
    finally:
        context.close()


def test_the_menu_opens_without_javascript(browser, live_server, site_data):
    context, page = phone_page(browser, live_server, site_data, java_script_enabled=False)
    try:
        page.goto("/")
        assert not page.locator(".menu-panel").is_visible()
        page.locator(".menu summary").click()
        assert page.locator(".menu-panel a", has_text="Logga in").is_visible()
    finally:
        context.close()


# The innermost elements that reach past the right edge (what to fix), ignoring folded menus.
WIDER_THAN_SCREEN = """(width) => [...document.querySelectorAll("body *")]
  .filter((el) => !el.closest("details:not([open])"))
  .filter((el) => el.getBoundingClientRect().right > width + 1)
  .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1))
  .slice(0, 5)
  .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">`
    + ` ${(el.textContent || "").trim().slice(0, 40)}`)"""

OVERFLOW_PAGES = [page for page in PAGES if page.then is None]


@pytest.mark.parametrize("site_page", OVERFLOW_PAGES, ids=[page.name for page in OVERFLOW_PAGES])
def test_no_page_scrolls_sideways_at_320_px(browser, live_server, site_data, site_page):
    visitor = site_page.visitors[-1] if site_page.visitors[-1] != "anonymous" else None
    context, page = phone_page(browser, live_server, site_data, viewport=NARROWEST, visitor=visitor)
    try:
        visit(page, live_server, site_data, site_page, "sv")
        wide = page.evaluate("document.documentElement.scrollWidth")
        culprits = page.evaluate(WIDER_THAN_SCREEN, NARROWEST["width"]) if wide > 320 else []
        assert wide <= NARROWEST["width"], f"{page.url} is {wide} px wide at 320 px: {culprits}"
    finally:
        context.close()


def test_the_start_page_is_at_most_two_and_a_half_phone_screens(browser, live_server, site_data):
    context, page = phone_page(browser, live_server, site_data)
    try:
        page.goto("/")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 2.5 * PHONE["height"], f"{height / PHONE['height']:.1f} screens"
        figures = words(page.locator(".figure-list"))
        assert "organisationer" in figures and "öppna annonser" in figures
        assert page.get_by_role("heading", name="Så fungerar det").is_visible()
    finally:
        context.close()
