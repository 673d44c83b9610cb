"""Crisis and agreement pages in the browser: they reflow at 320 px (no sideways scrolling), the
needs and offers stand side by side on a wide screen and one after the other on a phone, and
the municipality filter works with and without JavaScript."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import new_page
from tests.browser.site import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to look at the pages yourself


def _shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("path_of", ["crisis", "agreement", "crises", "agreements"])
def test_the_pages_reflow_at_320_px(browser, live_server, site_data, path_of):
    paths = {
        "crisis": f"/kris/{site_data.crisis['slug']}",
        "agreement": "/overenskommelser/08",
        "crises": "/kris",
        "agreements": "/overenskommelser",
    }
    context, page = new_page(browser, live_server, viewport={"width": 320, "height": 640})
    log_in_as(context, live_server, site_data, "site-admin")
    page.goto(paths[path_of])
    live_server.raise_errors()
    width = page.evaluate("document.documentElement.scrollWidth")
    _shoot(page, f"{path_of}-320")
    context.close()
    assert width <= 320, f"{paths[path_of]} scrolls sideways at 320 px ({width} px wide)"


def test_needs_and_offers_stand_side_by_side_on_a_wide_screen_only(browser, live_server, site_data):
    path = f"/kris/{site_data.crisis['slug']}"
    tops = {}
    for width, height in ((1280, 900), (390, 844)):
        context, page = new_page(browser, live_server, viewport={"width": width, "height": height})
        page.goto(path)
        needs = page.locator("#needs-title").bounding_box()
        offers = page.locator("#offers-title").bounding_box()
        tops[width] = (needs["y"], offers["y"], needs["x"], offers["x"])
        _shoot(page, f"crisis-{width}")
        context.close()
    needs_y, offers_y, needs_x, offers_x = tops[1280]
    assert abs(needs_y - offers_y) < 2 and offers_x > needs_x  # side by side
    needs_y, offers_y, needs_x, offers_x = tops[390]
    assert offers_y > needs_y and abs(needs_x - offers_x) < 2  # one after the other


@pytest.mark.parametrize("javascript", [True, False])
def test_the_municipality_filter_works_with_and_without_javascript(
    browser, live_server, site_data, javascript
):
    context, page = new_page(browser, live_server, java_script_enabled=javascript)
    page.goto(f"/kris/{site_data.crisis['slug']}")
    assert page.locator("#crisis-ads").get_by_text("Krisstöd och samtal för drabbade").count() == 1
    page.select_option("#kommun", "0883")  # Västervik
    if not javascript:
        page.locator("form.filters button[type='submit']").click()
    page.wait_for_url("**kommun=0883**")
    results = page.locator("#crisis-ads")
    results.get_by_text("Frivilliga till evakueringsboendet i Västervik").wait_for()
    assert results.get_by_text("Tolkar till informationsmöten för evakuerade").count() == 0
    # County-wide ads count in every municipality of the county.
    assert results.get_by_text("Krisstöd och samtal för drabbade").count() == 1
    context.close()
