"""Lighthouse ≥ 95 in performance, accessibility, best practices and SEO on the start, search and
ad pages, served by the live server with the demo's data (tests/browser/site.py).

Lighthouse's default, mobile settings (a mid-range phone on slow 4G, CPU slowed 4x): the site is
phone first, and bench/run.py reports the same figures. Only performance depends on how busy the
machine is (Lighthouse times the page's own work: on a loaded 2-core CI machine the other test
worker competes for the CPU), so a performance score under the bar gets one more load of that
category alone, and the better of the two counts; the bar itself never moves. The other three
categories are about the page, not the machine, and are not retried.
"""

from __future__ import annotations

import sys
from urllib.parse import urlencode

import pytest

from marketplace.config import ROOT
from tests.browser.conftest import missing_tool

sys.path.insert(0, str(ROOT / "bench"))
import lighthouse_scores

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BAR = 95
PAGES = {
    "start": lambda live, data: "/",
    "search": lambda live, data: "/annonser?" + urlencode({"q": "läxhjälp"}),
    "ad": lambda live, data: live.path_for("ads.detail", **data.other_ad),
}


@pytest.fixture(scope="module")
def lighthouse_ready() -> None:
    if not lighthouse_scores.available():
        missing_tool("node_modules/.bin/lighthouse or /usr/bin/chromium is missing")


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_scores_at_least_95_in_every_lighthouse_category(
    lighthouse_ready, live_server, site_data, tmp_path, name
):
    url = live_server.url + PAGES[name](live_server, site_data)
    report = lighthouse_scores.audit(url, tmp_path / f"{name}.json")
    first = dict(report.scores)
    if report.scores["performance"] < BAR:
        again = lighthouse_scores.audit(url, tmp_path / f"{name}-again.json", ("performance",))
        if again.scores["performance"] > report.scores["performance"]:
            report.scores["performance"] = again.scores["performance"]
            report.below_full.pop("performance", None)
            report.below_full.update(again.below_full)
    print(f"Lighthouse {name}: {report.describe()} (first load: {first})")
    assert set(report.scores) == set(lighthouse_scores.CATEGORIES)
    assert all(score >= BAR for score in report.scores.values()), f"{url}: {report.describe()}"
