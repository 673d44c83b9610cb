"""/inbaddning (the page other sites may frame) and /inbaddning/skapa (its snippet generator)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest

from marketplace.ads.models import AdKind, AdStatus
from marketplace.clock import today, utcnow
from tests import factories
from tests.conftest import HTMX


def titles(page: str) -> list[str]:
    return re.findall(r'class="embed-title"[^>]*>([^<]+)<', page)


# The embed


def test_the_embed_lists_the_ten_newest_open_ads_as_links_to_new_tabs(client):
    org = factories.organisation(name="Kalmar Språkcafé")
    for number in range(12):
        factories.ad(
            org=org, title=f"Annons {number:02d}", published_at=utcnow() - timedelta(hours=number)
        )
    factories.ad(org=org, title="Stängd", status=AdStatus.NOT_CURRENT, closed_at=utcnow())
    factories.ad(org=org, title="Utgången", expires_on=today() - timedelta(days=1))
    response = client.get("/inbaddning")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert titles(page) == [f"Annons {number:02d}" for number in range(10)]
    links = re.findall(
        r'<a class="embed-title" href="([^"]+)" target="_blank" rel="noopener">', page
    )
    assert len(links) == 10 and all(link.startswith("http://localhost/annonser/") for link in links)
    assert (
        page.count('<span class="visually-hidden"> (öppnas i ny flik)</span>') == 11
    )  # + "Fler annonser"
    assert page.startswith("<!doctype html>") and '<html lang="sv">' in page
    assert "<title>Nya öppna annonser · Samverkanstorget</title>" in page
    assert "<h1>Nya öppna annonser</h1>" in page
    assert "/static/embed.css" in page and "<script" not in page and "style=" not in page
    assert "site-header" not in page  # a page of its own, not the site's layout


def test_the_embed_may_be_framed_by_any_site_but_nothing_else_may(client):
    embed = client.get("/inbaddning")
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]  # the rest stays strict
    for url in ("/", "/statistik", "/inbaddning/skapa", "/annonser", "/lan/08", "/om"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_the_sites_allowed_to_frame_the_embed_can_be_configured(app, client):
    app.config["EMBED_FRAME_ANCESTORS"] = "https://www.regionkalmar.se https://*.kalmar.se"
    policy = client.get("/inbaddning").headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.regionkalmar.se https://*.kalmar.se" in policy


def test_the_embed_filters_by_county_and_challenge(client):
    kalmar = factories.organisation(county_code="08")
    stockholm = factories.organisation(county_code="01", municipality_code="0180")
    factories.ad(org=kalmar, title="Samtalsstöd i Kalmar", challenges=("mental-health",))
    factories.ad(org=kalmar, title="Läxhjälp i Kalmar", challenges=("education",))
    factories.ad(org=stockholm, title="Samtalsstöd i Stockholm", challenges=("mental-health",))
    factories.ad(
        org=stockholm,
        title="Stödlinje för hela landet",
        county_code=None,
        challenges=("mental-health",),
    )
    page = client.get("/inbaddning?lan=08&utmaning=mental-health").get_data(as_text=True)
    assert sorted(titles(page)) == ["Samtalsstöd i Kalmar", "Stödlinje för hela landet"]
    assert "<h1>Öppna annonser om psykisk hälsa i Kalmar län</h1>" in page
    assert 'href="http://localhost/annonser?county=08&amp;challenge=mental-health"' in page
    assert sorted(titles(client.get("/inbaddning?lan=01").get_data(as_text=True))) == [
        "Samtalsstöd i Stockholm",
        "Stödlinje för hela landet",
    ]
    assert len(titles(client.get("/inbaddning?utmaning=mental-health").get_data(as_text=True))) == 3


def test_the_embed_says_so_when_nothing_is_open(client):
    page = client.get("/inbaddning?lan=25").get_data(as_text=True)
    assert "Inga öppna annonser just nu." in page and titles(page) == []


def test_the_dark_theme_is_a_class_on_the_page(client):
    factories.ad(kind=AdKind.OFFER)
    assert '<body class="embed theme-dark">' in client.get("/inbaddning?tema=mork").get_data(
        as_text=True
    )
    assert '<body class="embed">' in client.get("/inbaddning").get_data(as_text=True)


@pytest.mark.parametrize(
    "query", ["lan=99", "utmaning=finns-inte", "tema=neon", "lan=08&utmaning=%3Cscript%3E", "lan=1"]
)
def test_unknown_embed_options_get_a_400_page_that_explains(client, query):
    response = client.get(f"/inbaddning?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>Felaktig inbäddning</h1>" in page and "<script>" not in page
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]  # shown in the frame


def test_empty_options_mean_all(client):
    factories.ad(title="Överallt")
    assert titles(client.get("/inbaddning?lan=&utmaning=&tema=").get_data(as_text=True)) == [
        "Överallt"
    ]


# The snippet generator


def snippet_of(page: str) -> str:
    match = re.search(r'<textarea id="embed-code"[^>]*readonly[^>]*>(.*?)</textarea>', page, re.S)
    assert match
    return html_lib.unescape(match.group(1))


def test_the_generator_gives_an_iframe_snippet_and_a_preview(client):
    response = client.get("/inbaddning/skapa?lan=08&utmaning=mental-health")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1>") == 1
    assert snippet_of(page) == (
        '<iframe src="http://localhost/inbaddning?lan=08&amp;utmaning=mental-health" '
        'title="Annonser från Samverkanstorget: Kalmar län, Psykisk hälsa" width="100%" height="640" '
        'loading="lazy"></iframe>'
    )
    assert re.search(
        r'<iframe class="embed-frame" src="/inbaddning\?lan=08&amp;utmaning=mental-health" '
        r'title="Annonser från Samverkanstorget: Kalmar län, Psykisk hälsa"',
        page,
    )
    assert '<label for="embed-code">' in page
    assert '<form class="filters embed-options" method="get" action="/inbaddning/skapa"' in page
    assert '<option selected value="08">' in page or '<option value="08" selected>' in page


def test_the_generator_without_choices_embeds_everything(client):
    page = client.get("/inbaddning/skapa").get_data(as_text=True)
    assert snippet_of(page).startswith(
        '<iframe src="http://localhost/inbaddning" title="Annonser från Samverkanstorget"'
    )


def test_the_dark_theme_is_part_of_the_snippet(client):
    page = client.get("/inbaddning/skapa?tema=mork").get_data(as_text=True)
    assert 'src="http://localhost/inbaddning?tema=mork"' in snippet_of(page)


def test_changing_a_choice_with_htmx_updates_preview_and_code_only(client):
    response = client.get("/inbaddning/skapa?lan=01", headers=HTMX)
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<section id="embed-preview"') and "<html" not in page
    assert "lan=01" in snippet_of(page)


def test_the_generator_refuses_unknown_choices_with_400(client):
    response = client.get("/inbaddning/skapa?lan=99")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "embed-code" not in page and "Välj bland alternativen i listorna" in page
