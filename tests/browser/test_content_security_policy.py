"""The strict CSP holds in a real browser: htmx loads and works without inline script or eval."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HTMX_CONFIG = (
    "({allowEval: htmx.config.allowEval, indicatorStyles: htmx.config.includeIndicatorStyles})"
)


def open_with_htmx(page, path: str):
    response = page.goto(path)
    assert response is not None and response.ok, path
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page.wait_for_function("typeof htmx !== 'undefined'")  # the script is deferred
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate(HTMX_CONFIG) == {"allowEval": False, "indicatorStyles": False}
    return response


def test_the_start_page_runs_htmx_without_any_csp_violation(page):
    open_with_htmx(page, "/")
    page.evaluate("window.notReloaded = true")
    page.locator("footer a[href='/om']").click()  # a boosted link: swapped in, no reload
    expect(page).to_have_url(re.compile(r"/om$"))
    assert page.evaluate("window.notReloaded") is True, "the link was boosted by htmx"
    assert page.browser_log.csp_violations() == []
    assert not [m for m in page.browser_log.messages if m.startswith("pageerror")]


def test_the_search_page_searches_as_you_type_without_any_csp_violation(page, live_server):
    if not live_server.has_endpoint("ads.index"):
        pytest.skip("the search page (/annonser) does not exist yet")
    open_with_htmx(page, live_server.path_for("ads.index"))
    search = page.locator("main input[type='search']").first
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as answer:
        search.fill("läxhjälp")
    assert answer.value.ok
    assert answer.value.request.headers.get("hx-boosted") is None, (
        "a partial, active-search request"
    )
    expect(page).to_have_url(re.compile(r"q=l(%C3%A4|ä)xhj"))  # the search is shareable
    assert page.browser_log.csp_violations() == []
    assert not [m for m in page.browser_log.messages if m.startswith("pageerror")]


class InlineCode(HTMLParser):
    """Finds what `script-src 'self'; style-src 'self'` would block: inline script and style."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "style":
            self.found.append(f"line {line}: <style> element")
        script_type = attributes.get("type") or "text/javascript"
        if tag == "script" and not attributes.get("src") and script_type in JAVASCRIPT_TYPES:
            self.found.append(f"line {line}: inline <script>")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"line {line}: style attribute on <{tag}>")
            elif name.startswith("on"):
                self.found.append(f"line {line}: event handler {name} on <{tag}>")
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"line {line}: javascript: URL in {name} on <{tag}>")


JAVASCRIPT_TYPES = {"text/javascript", "module", "application/javascript"}


@pytest.mark.slow
def test_no_page_carries_inline_script_or_style_that_the_csp_would_block(
    browser, live_server, site_data, page_sources
):
    """Every page of tests/browser/site.py, as the server sent it (the axe run keeps copies)."""
    _skipped, broken = page_sources.fetch_missing(browser, live_server, site_data)
    assert page_sources.pages, "no page could be fetched"
    problems = [f"could not fetch {page}" for page in broken]
    for (name, language, visitor), (url, html) in sorted(page_sources.pages.items()):
        parser = InlineCode()
        parser.feed(html)
        problems += [f"{name} ({language}, {visitor}) {url} {found}" for found in parser.found]
    assert problems == [], "\n".join(problems)
