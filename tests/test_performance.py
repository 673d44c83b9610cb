"""Speed without surprises: fingerprinted static files, compressed responses, fresh cached counts."""

from __future__ import annotations

import gzip
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import brotli
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import today
from marketplace.extensions import db
from tests import factories
from tests.conftest import HTMX

STATIC = Path(__file__).resolve().parent.parent / "static"


def content_hash(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:link rel="stylesheet"|script) (?:href|src)="(/static/[^"]+)"', html)


def without_csrf_token(html: str) -> str:
    return re.sub(r"data-hx-headers='[^']*'", "", html)


def challenge_count(html: str, slug: str) -> str:
    """The '… öppna annonser' line next to a challenge on the start page."""
    match = re.search(
        rf'href="/utmaningar/{slug}">[^<]*</a>\s*<span class="meta">([^<]*)</span>', html
    )
    assert match, f"challenge {slug} not on the start page"
    return match.group(1)


# Static files


def test_every_page_links_its_css_and_javascript_with_a_hash_of_their_content(client):
    html = client.get("/").get_data(as_text=True)
    urls = asset_urls(html)
    assert f"/static/site.css?v={content_hash('site.css')}" in urls
    assert any(url.startswith("/static/vendor/htmx-") and "?v=" in url for url in urls)
    assert f"/static/favicon.svg?v={content_hash('favicon.svg')}" in html


def test_a_static_file_at_its_hashed_address_may_be_kept_for_a_year(client):
    response = client.get(f"/static/site.css?v={content_hash('site.css')}")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    cache_control = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache_control
    assert "immutable" in cache_control and "public" in cache_control
    assert response.get_data() == (STATIC / "site.css").read_bytes()


def test_a_static_file_without_its_current_hash_is_checked_again_every_time(client):
    for url in ("/static/site.css", "/static/site.css?v=0123456789ab"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-cache" in response.headers["Cache-Control"]
        assert "max-age=31536000" not in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.get_data() == b""


def test_css_and_javascript_come_compressed_to_browsers_that_accept_it(client):
    original = (STATIC / "site.css").read_bytes()
    url = f"/static/site.css?v={content_hash('site.css')}"

    brotli_response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert brotli_response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(brotli_response.get_data()) == original
    assert len(brotli_response.get_data()) < len(original) / 2
    assert "Accept-Encoding" in brotli_response.headers["Vary"]

    gzip_response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gzip_response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip_response.get_data()) == original
    # Each representation has its own validator, so a cache never mixes them up.
    assert len({brotli_response.headers["ETag"], gzip_response.headers["ETag"]}) == 2

    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == original


def test_the_compressed_copy_is_revalidated_like_the_file(client):
    headers = {"Accept-Encoding": "br"}
    first = client.get("/static/site.css", headers=headers)
    again = client.get(
        "/static/site.css", headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_missing_static_files_and_paths_outside_the_folder_are_not_found(client):
    assert client.get("/static/nothing-here.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.get("/static/vendor").status_code == 404


# Compressed pages


def test_pages_come_compressed_to_browsers_that_accept_it(client):
    factories.ad(title="Läxhjälp i Kalmar")
    plain = without_csrf_token(client.get("/annonser?q=läxhjälp").get_data(as_text=True))

    for encoding, decompress in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        response = client.get("/annonser?q=läxhjälp", headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        html = decompress(response.get_data()).decode()
        assert without_csrf_token(html) == plain
        assert "Läxhjälp i Kalmar" in html
        assert len(response.get_data()) < len(html.encode()) / 3

    assert "Content-Encoding" not in client.get("/annonser?q=läxhjälp").headers


def test_the_search_results_fragment_is_compressed_too(client):
    for number in range(5):
        factories.ad(title=f"Språkcafé nummer {number}")
    response = client.get(
        "/annonser?q=språkcafé", headers={**HTMX, "Accept-Encoding": "gzip, deflate, br"}
    )
    html = brotli.decompress(response.get_data()).decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    vary = response.headers["Vary"]
    assert "HX-Request" in vary and "Accept-Encoding" in vary


def test_json_from_the_api_comes_compressed_to_clients_that_accept_it(client):
    for number in range(5):
        factories.ad(title=f"Mötesplats för seniorer {number}")
    response = client.get("/api/v1/ads", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"seniorer" in gzip.decompress(response.get_data())


# Cached counts


def test_the_start_page_counts_a_new_ad_at_once(client):
    factories.ad(challenges=("integration",))
    assert challenge_count(client.get("/").get_data(as_text=True), "integration") == (
        "1 öppen annons"
    )
    factories.ad(challenges=("integration",))
    assert challenge_count(client.get("/").get_data(as_text=True), "integration") == (
        "2 öppna annonser"
    )


def test_an_ad_published_through_the_form_is_counted_on_the_start_page(member_client):
    assert challenge_count(member_client.get("/").get_data(as_text=True), "integration") == (
        "0 öppna annonser"
    )
    response = member_client.post(
        "/annonser/ny",
        data={
            "kind": "need",
            "title": "Vi söker volontärer till språkcafé",
            "body": "Varje tisdag kväll behöver vi fler som vill prata svenska.",
            "challenges": ["integration"],
            "county": "08",
            "seeking": ["civil"],
            "expires_on": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert challenge_count(member_client.get("/").get_data(as_text=True), "integration") == (
        "1 öppen annons"
    )


def test_a_closed_ad_leaves_the_start_page_count_at_once(member_client, member):
    ad = factories.ad(org=member.acting_organisation, challenges=("integration",))
    assert challenge_count(member_client.get("/").get_data(as_text=True), "integration") == (
        "1 öppen annons"
    )
    response = member_client.post(f"/annonser/{ad.id}/stang", data={"reason": "partner_found"})
    assert response.status_code == 303
    assert challenge_count(member_client.get("/").get_data(as_text=True), "integration") == (
        "0 öppna annonser"
    )


def test_a_bulk_change_outside_the_orm_objects_is_noticed_too(client):
    factories.ad(challenges=("integration",))
    factories.ad(challenges=("integration",))
    assert "2 öppna annonser" in client.get("/").get_data(as_text=True)
    # The way the import command and maintenance scripts write: a Core UPDATE.
    db.session.execute(sa.update(Ad).values(status=AdStatus.NOT_CURRENT))
    db.session.commit()
    assert challenge_count(client.get("/").get_data(as_text=True), "integration") == (
        "0 öppna annonser"
    )


def test_a_rolled_back_change_leaves_the_counts_as_they_were(client):
    factories.ad(challenges=("integration",))
    assert "1 öppen annons" in client.get("/").get_data(as_text=True)
    db.session.execute(sa.update(Ad).values(status=AdStatus.NOT_CURRENT))
    db.session.rollback()
    assert challenge_count(client.get("/").get_data(as_text=True), "integration") == (
        "1 öppen annons"
    )


# Faster number and date formatting


def test_counts_and_dates_read_exactly_as_babel_writes_them_in_both_languages(app):
    from datetime import date, datetime

    from flask_babel import force_locale, format_date, format_decimal

    from marketplace import templating

    with app.test_request_context():
        for locale in ("sv", "en_GB"):
            with force_locale(locale):
                for number in (0, 7, 999, 1000, 12_345, 1_234_567, -5, 2.5):
                    assert templating._number(number) == format_decimal(number)
                for value in (
                    date(2026, 11, 22),
                    datetime(2026, 11, 22, 23, 30),  # already the 23rd in Stockholm
                    datetime(2026, 6, 30, 22, 15),  # summer time: the 1st of July
                ):
                    for style in ("short", "medium", "long"):
                        assert templating._date(value, style) == format_date(value, style)
        with force_locale("sv"):
            assert templating._number(12_345) == "12\xa0345"
            assert templating._date(datetime(2026, 6, 30, 22, 15)) == "1 juli 2026"
