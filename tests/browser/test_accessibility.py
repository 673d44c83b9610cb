"""WCAG 2.1 AA as axe-core sees it, on every page type, in both languages, logged out and in."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page
from tests.browser.site import cases, log_in_as, visit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      summary: node.failureSummary,
    })),
  }));
}"""


def axe_violations(page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {node['target']}")
            lines.append("    " + (node["summary"] or "").replace("\n", "\n    "))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def _axe_pages(browser, live_server):
    opened: dict = {}
    yield opened
    for context, _page in opened.values():
        context.close()


@pytest.fixture
def axe_page_for(_axe_pages, browser, live_server, site_data, axe_script):
    """One CSP-bypassing page per visitor for the whole module (new contexts cost more than axe).

    Each visit sets the language explicitly, so nothing but the log-in carries over.
    """

    def page_for(visitor: str):
        key = (visitor, live_server.generation)
        if key not in _axe_pages:
            context, page = new_page(browser, live_server, bypass_csp=True)
            log_in_as(context, live_server, site_data, visitor)
            _axe_pages[key] = (context, page)
        return _axe_pages[key][1]

    return page_for


@pytest.mark.parametrize(("site_page", "language", "visitor"), cases())
def test_the_page_has_no_wcag_21_aa_violations(
    axe_page_for, axe_script, live_server, site_data, page_sources, site_page, language, visitor
):
    page = axe_page_for(visitor)
    response = visit(page, live_server, site_data, site_page, language)
    page_sources.record(site_page, language, visitor, response)  # for test_html_validity
    violations = axe_violations(page, axe_script)
    assert violations == [], f"{page.url}\n{describe(violations)}"
