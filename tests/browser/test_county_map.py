"""The county map on /statistik in a real browser: 21 outlines that can be reached with the
keyboard and show where the focus is, each with its number, on a phone and at 320 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTIES = "figure.map-figure svg a.county"


@pytest.mark.parametrize("width", [320, 390])
def test_every_county_is_drawn_on_the_screen_with_its_number(
    browser, live_server, site_data, width
):
    context, page = new_page(browser, live_server, viewport={"width": width, "height": 844})
    try:
        page.goto("/statistik")
        counties = page.locator(COUNTIES)
        assert counties.count() == 21
        for index in range(21):
            county = counties.nth(index)
            box = county.bounding_box()
            assert box and box["width"] > 4 and box["height"] > 4, county.get_attribute("href")
            assert box["x"] >= 0 and box["x"] + box["width"] <= width  # nothing off the side
            assert county.locator("text").last.text_content().strip().isdigit()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The numbers are legible: at least 12 px high on the narrowest phone.
        number_height = counties.first.locator("text").last.bounding_box()["height"]
        assert number_height >= 12, number_height
    finally:
        context.close()


def test_tab_reaches_each_county_and_the_focused_one_is_outlined(page, live_server, site_data):
    page.goto("/statistik")
    # Start from the section's heading, just before the map.
    page.locator("#counties-heading").evaluate("h => { h.tabIndex = -1; h.focus(); }")
    reached = []
    for _press in range(25):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if not href.startswith("/lan/"):
            break
        reached.append(href)
        outline = page.evaluate(
            "getComputedStyle(document.activeElement.querySelector('path')).strokeWidth"
        )
        assert outline == "5px", (href, outline)  # the focus outline, not the 1 px border
    assert len(reached) == 21 and len(set(reached)) == 21
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lan/25")
