"""What the search page draws once and keeps (issue 17's rendering): the filter panel per
language, filter values and counts; no ORM objects for the page's ads; the filter links without
a url_for each. (The cached cards and the cookie-less anonymous page: tests/test_http_caching.py.)
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.ads.models import Ad, AdKind
from marketplace.ads.views import active_filters
from marketplace.extensions import db
from marketplace.httpcache import cache_set
from marketplace.organisations.models import Organisation, Sector
from marketplace.search.filters import panel_key
from marketplace.search.forms import AdSearchForm
from marketplace.search.services import search_ads
from tests import factories

SEARCH = "/annonser?q=lokal&kind=offer&county=08"


def panel(html: str) -> str:
    return re.search(r'<details class="filter-panel".*?</details>', html, re.S).group(0)


def key_for(app, url: str, language: str = "sv") -> str:
    """The panel's cache key for the search at `url`, as the page works it out."""
    headers = {"Cookie": f"lang={language}"} if language != "sv" else {}
    with app.test_request_context(url, headers=headers):
        form = AdSearchForm()
        result = search_ads(form.to_query(), load_items=False)
        return panel_key(form, result, active_filters(form))


def test_the_filter_panel_is_drawn_once_and_then_comes_from_the_cache(app, client):
    org = factories.organisation(sector=Sector.PUBLIC, county_code="08")
    factories.ad(org=org, kind=AdKind.OFFER, title="Lokal för föreningar")
    first = panel(client.get(SEARCH).get_data(as_text=True))
    assert "Erbjuder (1)" in first
    # Another page of the same search (not the stored answer of the same address) reads the
    # panel from the cache: what is kept under its key is what it shows.
    cache_set(key_for(app, SEARCH), '<details class="filter-panel">kept</details>', 60)
    assert panel(client.get(SEARCH + "&page=2").get_data(as_text=True)) == (
        '<details class="filter-panel">kept</details>'
    )
    # The same filters in another order are the same panel; other filters another one.
    assert key_for(app, "/annonser?county=08&kind=offer&q=lokal") == key_for(app, SEARCH)
    assert key_for(app, "/annonser?q=lokal&kind=need&county=08") != key_for(app, SEARCH)


def test_the_kept_panel_follows_the_counts_and_the_language(client):
    org = factories.organisation(sector=Sector.PUBLIC, county_code="08")
    factories.ad(org=org, kind=AdKind.OFFER, title="Lokal för föreningar")
    assert "Erbjuder (1)" in panel(client.get(SEARCH).get_data(as_text=True))
    factories.ad(org=org, kind=AdKind.OFFER, title="Lokal att låna")
    swedish = panel(client.get(SEARCH).get_data(as_text=True))
    assert "Erbjuder (2)" in swedish and "Visa 2 annonser" in swedish
    client.set_cookie("lang", "en")
    english = panel(client.get(SEARCH).get_data(as_text=True))
    assert "Visa 2 annonser" not in english and "Show 2 ads" in english
    assert "(2)" in english


def test_the_search_page_reads_its_ads_as_plain_rows_not_orm_objects(client):
    org = factories.organisation(name="Föreningen Lokalen", county_code="08")
    for number in range(3):
        factories.ad(org=org, title=f"Lokal nummer {number}")
    db.session.expunge_all()  # nothing left over from making the ads
    loaded: list[object] = []

    def count(target, _context) -> None:
        loaded.append(target)

    for model in (Ad, Organisation):
        sa.event.listen(model, "load", count)
    try:
        html = client.get("/annonser?q=lokal").get_data(as_text=True)
    finally:
        for model in (Ad, Organisation):
            sa.event.remove(model, "load", count)
    assert all(f"Lokal nummer {number}" in html for number in range(3))
    assert "Föreningen Lokalen" in html
    assert loaded == []


def test_filter_links_are_not_built_by_url_for_one_by_one(app, client, monkeypatch):
    for kind in AdKind:
        factories.ad(kind=kind, title=f"Lokal {kind.value}", challenges=("integration", "elderly"))
    few = "/annonser?q=lokal&kind=need"  # one link that takes a filter off
    many = (
        "/annonser?q=lokal&kind=need&kind=offer&kind=idea&challenge=integration"
        "&challenge=elderly&seeking=public&seeking=civil&sector=civil"
    )
    # Cards and panels drawn and kept; each address asked once (`v`: never a stored answer).
    for url in (few, many):
        client.get(url + "&v=1")
    calls: list[str] = []
    build = app.url_for

    def counting(endpoint, *args, **kwargs):
        calls.append(endpoint)
        return build(endpoint, *args, **kwargs)

    monkeypatch.setattr(app, "url_for", counting)
    client.get(few + "&v=2")
    with_few = len(calls)
    calls.clear()
    html = client.get(many + "&v=2").get_data(as_text=True)
    assert html.count('<ul class="chosen-filters"') == 1
    assert html.count("ta bort filtret") == 8  # eight links, each without the filter it names
    assert 'href="/annonser?q=lokal&amp;kind=offer&amp;kind=idea&amp;challenge=integration' in html
    assert "ads.index" in calls and len(calls) == with_few, calls  # one path, not one a link
