"""HTTP caching of public pages (marketplace/httpcache.py) and the cached ad cards
(marketplace/ads/cards.py): what a visitor's browser, a proxy and the next visitor get."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from flask import url_for

from marketplace.clock import today
from marketplace.httpcache import UNCACHED_ENDPOINTS
from tests import factories
from tests.conftest import BOOSTED, HTMX, log_in
from tests.security.conftest import build_world
from tests.security.routes import PUBLIC, ROUTES
from tests.test_multi_machine import (
    _free_port,
    _redis_available,
    redis_url,  # noqa: F401  a redis-server of the test run's own
)

PUBLIC_PAGES = ["/", "/annonser", "/annonser?q=läxhjälp&county=08", "/om", "/api/v1/ads"]


@pytest.fixture
def app(make_app):
    # One period for the whole test: without Redis, stored answers turn over every few seconds.
    return make_app(HTTP_CACHE_STORE_SECONDS=3600)


@pytest.fixture
def csrf_app(make_app):
    return make_app(HTTP_CACHE_STORE_SECONDS=3600, WTF_CSRF_ENABLED=True)


def anonymous(app):
    return app.test_client()


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card ad-card">.*?</li>\s*(?=<li class="card|</ol>)', html, re.S)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_an_anonymous_visit_sets_no_cookie_and_may_be_cached_and_revalidated(csrf_app, path):
    factories.ad(title="Läxhjälp i Uppsala")
    client = anonymous(csrf_app)
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "X-CSRFToken" not in response.get_data(as_text=True)
    assert response.cache_control.public and response.cache_control.max_age == 60
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    assert {"Cookie", "HX-Request", "HX-Boosted"} <= set(response.vary)
    assert "Accept-Language" not in response.vary  # the language is a cookie, never the browser's

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag and "Set-Cookie" not in again.headers


def test_an_ad_and_its_organisation_are_public_pages_too(csrf_app):
    ad = factories.ad(title="Läxhjälp i Uppsala")
    for path in (
        f"/annonser/{ad.id}-{ad.slug}",
        f"/organisationer/{ad.organisation.id}-{ad.organisation.slug}",
    ):
        response = anonymous(csrf_app).get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert response.cache_control.public and response.headers["ETag"]
        assert ad.organisation.name in response.get_data(as_text=True)


def test_a_repeat_without_if_none_match_gets_the_same_page(app):
    factories.ad(title="Läxhjälp i Uppsala")
    first = anonymous(app).get("/annonser?q=läxhjälp")
    second = anonymous(app).get("/annonser?q=läxhjälp")
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_repeat_is_served_compressed_as_the_browser_asked(app):
    import gzip

    factories.ad(title="Läxhjälp i Uppsala")
    plain = anonymous(app).get("/annonser").get_data(as_text=True)
    for _round in range(2):  # drawn and stored, then from the store
        response = anonymous(app).get("/annonser", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.vary
        assert gzip.decompress(response.get_data()).decode() == plain
    assert anonymous(app).get("/annonser").get_data(as_text=True) == plain  # and uncompressed


def test_a_change_to_the_data_gives_a_new_etag_and_the_new_page(app):
    factories.ad(title="Läxhjälp i Uppsala")
    client = anonymous(app)
    first = client.get("/annonser")
    factories.ad(title="Språkcafé i Kalmar")
    again = client.get("/annonser", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Språkcafé i Kalmar" in again.get_data(as_text=True)
    assert again.headers["ETag"] != first.headers["ETag"]


def test_whole_pages_fragments_and_languages_are_told_apart(app):
    factories.ad(title="Läxhjälp i Uppsala", county_code=None)
    client = anonymous(app)
    page = client.get("/annonser")
    fragment = client.get("/annonser", headers=HTMX)
    boosted = client.get("/annonser", headers=BOOSTED)
    assert page.get_data(as_text=True).startswith("<!doctype html>")
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="results"')
    assert boosted.get_data(as_text=True).startswith("<!doctype html>")
    assert len({page.headers["ETag"], fragment.headers["ETag"], boosted.headers["ETag"]}) == 3
    # A fragment's ETag never stands for the whole page.
    assert (
        client.get("/annonser", headers={"If-None-Match": fragment.headers["ETag"]}).status_code
        == 200
    )

    client.set_cookie("lang", "en")
    english = client.get("/annonser")
    assert english.headers["ETag"] != page.headers["ETag"]
    assert (
        client.get("/annonser", headers={"If-None-Match": page.headers["ETag"]}).status_code == 200
    )
    html = english.get_data(as_text=True)
    (card,) = cards(html)
    assert '<html lang="en">' in html and "Whole of Sweden" in card and "Seeking" in card
    (card,) = cards(anonymous(app).get("/annonser").get_data(as_text=True))
    assert "Hela Sverige" in card and "Whole of Sweden" not in card  # the same card, in Swedish


def test_a_logged_in_visitor_gets_personal_pages_that_are_never_stored(app):
    member = factories.member()
    factories.ad(org=member.acting_organisation, title="Läxhjälp i Uppsala")
    public = anonymous(app).get("/annonser")
    client = log_in(app.test_client(), member)
    for path in ("/annonser", "/", "/om"):
        response = client.get(path, headers={"If-None-Match": public.headers["ETag"]})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers
        assert "Mitt konto" in response.get_data(as_text=True)  # the header shows who is in
    # …and the next anonymous visitor gets the public page, not the member's.
    html = anonymous(app).get("/annonser").get_data(as_text=True)
    assert "Mitt konto" not in html and "Logga in" in html


def test_log_in_and_registration_pages_get_a_session_and_a_token_and_are_not_stored(csrf_app):
    for path in ("/konto/logga-in", "/konto/registrera"):
        response = anonymous(csrf_app).get(path)
        assert response.status_code == 200, path
        assert "session=" in response.headers["Set-Cookie"]
        assert 'name="csrf_token"' in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers


def test_logging_in_from_an_anonymous_public_page_still_works(csrf_app):
    """The search page has no token; the log-in page it links to has, and its form works."""
    person = factories.user(email="anna@example.com")
    client = anonymous(csrf_app)
    assert "Set-Cookie" not in client.get("/annonser").headers
    page = client.get("/konto/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/konto/logga-in",
        data={"csrf_token": token, "email": person.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 303
    assert "Mitt konto" in client.get("/annonser").get_data(as_text=True)


def test_a_form_with_errors_is_not_stored(csrf_app):
    client = anonymous(csrf_app)
    page = client.get("/konto/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/konto/logga-in", data={"csrf_token": token, "email": "x"})
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_a_flash_message_is_shown_once_and_its_page_is_not_stored(app):
    member = factories.member()
    client = log_in(app.test_client(), member)
    response = client.post(
        "/annonser/ny",
        data={
            "kind": "need",
            "title": "Vi söker lokal för läxhjälp",
            "body": "Vi behöver en lokal på lördagar.\n\nHör av er!",
            "challenges": ["integration"],
            "county": "08",
            "municipality": "",
            "seeking": ["public"],
            "expires_on": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 303
    shown = client.get(response.headers["Location"])
    assert "Annonsen är publicerad." in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "private, no-store"
    again = client.get(response.headers["Location"])
    assert "Annonsen är publicerad." not in again.get_data(as_text=True)


def test_the_search_page_shows_an_organisations_new_name_at_once(app):
    """A card is kept in the cache until its ad or organisation changes."""
    admin = factories.member()
    organisation = admin.acting_organisation
    factories.ad(org=organisation, title="Läxhjälp i Uppsala")
    before = anonymous(app).get("/annonser").get_data(as_text=True)
    assert organisation.name in before

    client = log_in(app.test_client(), admin, form=True)
    form = client.get(f"/organisationer/{organisation.id}/redigera").get_data(as_text=True)
    fields = {
        "name": "Kalmar Läxhjälp",
        "org_number": "",
        "sector": "civil",
        "legal_form": "ideell-forening",
        "county": organisation.county_code,
        "municipality": "",
        "website": "",
        "email": "",
        "description": "Läxhjälp för alla.",
        "challenges": ["integration"],
    }
    assert 'name="name"' in form
    assert (
        client.post(f"/organisationer/{organisation.id}/redigera", data=fields).status_code == 303
    )

    after = anonymous(app).get("/annonser")
    html = after.get_data(as_text=True)
    assert [card for card in cards(html) if "Kalmar Läxhjälp" in card]
    assert "Läxhjälp i Uppsala" in html


def test_the_search_page_shows_an_edited_ad_at_once(app):
    member = factories.member()
    ad = factories.ad(
        org=member.acting_organisation, title="Cykelverkstad", challenges=("integration",)
    )
    assert "Cykelverkstad" in anonymous(app).get("/annonser").get_data(as_text=True)
    response = log_in(app.test_client(), member).post(
        f"/annonser/{ad.id}/redigera",
        data={
            "kind": "offer",
            "title": "Symaskiner att låna",
            "body": "Vi lånar ut symaskiner.",
            "challenges": ["education"],
            "county": "08",
            "municipality": "",
            "seeking": ["civil"],
            "expires_on": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 303
    html = anonymous(app).get("/annonser").get_data(as_text=True)
    (card,) = cards(html)
    assert "Symaskiner att låna" in card and "Cykelverkstad" not in card
    assert "Utbildning" in card or "utbildning" in card.lower()


def test_a_closed_ad_leaves_the_list_at_once(app):
    member = factories.member()
    ad = factories.ad(org=member.acting_organisation, title="Cykelverkstad")
    assert "Cykelverkstad" in anonymous(app).get("/annonser").get_data(as_text=True)
    response = log_in(app.test_client(), member).post(
        f"/annonser/{ad.id}/stang", data={"reason": "partner_found"}
    )
    assert response.status_code == 303
    html = anonymous(app).get("/annonser").get_data(as_text=True)
    assert "Cykelverkstad" not in html and "Inga öppna annonser" in html


SEARCHES = [
    "/annonser",
    "/annonser?q=läxhjälp",
    "/annonser?q=läxhjälp&kind=need&county=01",
    '/annonser?q="><script>alert(1)</script>&challenge=integration&sort=nyast',
    "/annonser?county=01&municipality=0180&page=2",
]


def test_without_the_caches_the_pages_are_the_same(app):
    factories.ad(title="Läxhjälp i Uppsala", county_code=None)
    factories.ad(title="Språkcafé i Kalmar")
    cached = {}
    for path in SEARCHES + SEARCHES:  # the second round draws from the caches
        cached[path] = anonymous(app).get(path).get_data(as_text=True)
    app.config.update(CACHE_ENABLED=False, HTTP_CACHE_ENABLED=False)
    for path in SEARCHES:
        response = anonymous(app).get(path)
        assert "ETag" not in response.headers
        assert response.get_data(as_text=True) == cached[path], path


def test_the_filter_form_keeps_each_searchs_own_words_and_filters(app):
    client = anonymous(app)
    html = client.get('/annonser?q="><script>alert(1)</script>&kind=need').get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert re.search(r'checked[^>]*value="need"|value="need"[^>]*checked', html)
    html = client.get("/annonser?q=språkcafé&kind=need").get_data(as_text=True)  # same filters
    assert (
        'value="språkcafé"' in html and "script" not in html.split("<main")[1].split("</form>")[0]
    )
    assert re.search(r'checked[^>]*value="need"|value="need"[^>]*checked', html)
    html = client.get("/annonser?kind=offer").get_data(as_text=True)
    assert 'name="q" type="search" value=""' in html or 'value="" ' in html
    assert not re.search(r'checked[^>]*value="need"|value="need"[^>]*checked', html)


# --- with Redis, as in production: one generation and one store for every process ------------


def test_with_redis_a_write_in_another_process_is_seen_at_once(make_app, redis_url):  # noqa: F811
    app = make_app(CACHE_REDIS_URL=f"{redis_url}/6")
    store = redis.Redis.from_url(f"{redis_url}/6")
    client = anonymous(app)
    first = client.get("/annonser")
    assert first.status_code == 200 and first.cache_control.public
    assert store.keys("samverkanstorget:page:*"), "the page is kept in Redis for every process"
    assert (
        client.get("/annonser", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    )

    store.incr("samverkanstorget:data-generation")  # what another process's commit does
    again = client.get("/annonser", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_with_redis_this_process_s_write_is_seen_at_once(make_app, redis_url):  # noqa: F811
    app = make_app(CACHE_REDIS_URL=f"{redis_url}/6")
    client = anonymous(app)
    first = client.get("/annonser")
    factories.ad(title="Språkcafé i Kalmar")
    again = client.get("/annonser", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Språkcafé i Kalmar" in again.get_data(as_text=True)


# --- every public page ------------------------------------------------------------------------

# Public routes whose answer is no page: nothing to cache.
NOT_PAGES = {
    "accounts.resend_confirmation_page": "a redirect to the log-in",
    "api.not_here": "the API's JSON 404",
}
PUBLIC_GETS = sorted(
    endpoint
    for endpoint, route in ROUTES.items()
    if route.kind == PUBLIC
    and "GET" in route.methods
    and endpoint not in UNCACHED_ENDPOINTS
    and endpoint not in NOT_PAGES
)


@pytest.mark.parametrize("endpoint", PUBLIC_GETS)
def test_every_public_page_is_cacheable_for_anonymous_visitors(csrf_app, endpoint):
    world = build_world()
    route = ROUTES[endpoint]
    with csrf_app.test_request_context():
        path = url_for(endpoint, **route.values(world))
    response = anonymous(csrf_app).get(path, query_string=route.query(world))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public and response.headers["ETag"]


def test_when_redis_goes_down_public_pages_are_drawn_and_sent_uncached(make_app, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not _redis_available(url) and time.monotonic() < deadline:
            time.sleep(0.05)
        app = make_app(CACHE_REDIS_URL=f"{url}/0")
        assert "ETag" in anonymous(app).get("/annonser").headers
    finally:
        server.terminate()
        server.wait(timeout=10)
    for path in ("/annonser", "/annonser?q=läxhjälp", "/om", "/tillganglighet", "/integritet"):
        response = anonymous(app).get(path)
        assert response.status_code == 200, path
        assert "ETag" not in response.headers
        assert "Samverkanstorget" in response.get_data(as_text=True)


def test_the_search_page_shows_an_organisations_verification_at_once(app):
    from marketplace.clock import utcnow
    from marketplace.extensions import db

    ad = factories.ad(title="Läxhjälp i Uppsala")
    (card,) = cards(anonymous(app).get("/annonser").get_data(as_text=True))
    assert "Verifierad" not in card
    ad.organisation.verified_at = utcnow()
    db.session.commit()
    (card,) = cards(anonymous(app).get("/annonser").get_data(as_text=True))
    assert "Verifierad" in card
