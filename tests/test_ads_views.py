"""Posting, editing, closing, renewing and deleting ads through HTTP, and the ad page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdKind, AdStatus
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.conftest import HTMX, log_in


def valid_ad(**overrides) -> dict:
    data = {
        "kind": "need",
        "title": "Vi söker lokal för läxhjälp",
        "body": "Vi behöver en lokal på lördagar.\n\nHör av er!",
        "challenges": ["integration", "education"],
        "county": "08",
        "municipality": "0880",
        "seeking": ["public", "civil"],
        "expires_on": (today() + timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def ad_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Ad.id)))


def search_html(client, q: str) -> str:
    return client.get("/annonser", query_string={"q": q}).get_data(as_text=True)


# Posting


def test_the_posting_form_offers_kinds_challenges_places_sectors_and_a_default_expiry(
    client, member
):
    html = log_in(client, member).get("/annonser/ny").get_data(as_text=True)
    assert 'type="radio"' in html and "Söker" in html and "Erbjuder" in html and "Idé" in html
    assert "Integration och etablering" in html
    assert "Hela Sverige" in html and "Kalmar län" in html
    assert "Offentlig sektor" in html and "Näringsliv" in html
    assert f'value="{(today() + timedelta(days=90)).isoformat()}"' in html
    assert member.acting_organisation.name in html


def test_publishing_an_ad_shows_its_page_and_makes_it_searchable(client, member):
    response = log_in(client, member).post("/annonser/ny", data=valid_ad())
    assert response.status_code == 303
    ad = db.session.scalar(sa.select(Ad))
    assert response.headers["Location"] == f"/annonser/{ad.id}-vi-soker-lokal-for-laxhjalp"
    assert ad.organisation_id == member.acting_organisation_id and ad.author_id == member.id
    assert (ad.county_code, ad.municipality_code) == ("08", "0880")
    assert ad.seeking and ad.challenge_slugs == ["education", "integration"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Annonsen är publicerad." in page and "Vi söker lokal för läxhjälp" in page
    assert "Vi söker lokal för läxhjälp" in search_html(client, "läxhjälp")


def test_choosing_a_municipality_without_a_county_takes_its_county(client, member):
    log_in(client, member).post("/annonser/ny", data=valid_ad(county="", municipality="1280"))
    ad = db.session.scalar(sa.select(Ad))
    assert (ad.county_code, ad.municipality_code) == ("12", "1280")


def test_an_ad_for_all_of_sweden(client, member):
    log_in(client, member).post("/annonser/ny", data=valid_ad(county="", municipality=""))
    ad = db.session.scalar(sa.select(Ad))
    assert ad.county_code is None
    assert "Hela Sverige" in client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Skriv en rubrik."),
        ({"title": "x" * 121}, "högst 120 tecken"),
        ({"body": ""}, "Beskriv vad ni söker"),
        ({"body": "x" * 5001}, "högst 5000 tecken"),
        ({"kind": ""}, "Välj om annonsen söker"),
        ({"kind": "sell"}, "Välj om annonsen söker"),
        ({"challenges": []}, "Välj minst en samhällsutmaning."),
        (
            {"challenges": ["integration", "education", "elderly", "culture"]},
            "Välj högst 3 samhällsutmaningar.",
        ),
        ({"challenges": ["no-such-challenge"]}, "Välj bland samhällsutmaningarna"),
        ({"county": "99"}, "Välj ett län i listan"),
        ({"municipality": "1280"}, "Kommunen ligger inte i det valda länet."),
        ({"seeking": []}, "Välj minst en sektor"),
        ({"expires_on": (today() - timedelta(days=1)).isoformat()}, "kan inte ha passerat"),
        ({"expires_on": (today() + timedelta(days=366)).isoformat()}, "högst ett år fram"),
        ({"expires_on": "inte ett datum"}, 'value="inte ett datum"'),
    ],
)
def test_an_invalid_ad_is_shown_again_with_the_error_and_everything_typed(
    client, member, changes, message
):
    data = valid_ad(**changes)
    response = log_in(client, member).post("/annonser/ny", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert ad_count() == 0
    if data["title"]:
        assert f'value="{data["title"]}"' in html
    if data["body"] and len(data["body"]) < 100:
        assert "Vi behöver en lokal på lördagar." in html
    for slug in data["challenges"]:
        if slug in ("integration", "education"):
            assert re.search(
                rf'<input[^>]*checked[^>]*value="{slug}"|value="{slug}"[^>]*checked', html
            )
    assert (
        re.search(r'value="public"[^>]*checked|checked[^>]*value="public"', html)
        or not data["seeking"]
    )


def test_an_invalid_ad_posted_with_htmx_returns_only_the_form(client, member):
    response = log_in(client, member).post("/annonser/ny", data=valid_ad(title=""), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="ad-form"')
    assert "<html" not in html


def test_a_successful_htmx_post_redirects_the_whole_page(client, member):
    response = log_in(client, member).post("/annonser/ny", data=valid_ad(), headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/annonser/")


def test_someone_without_an_organisation_is_told_how_to_get_one(client):
    lone = factories.user()
    log_in(client, lone)
    html = client.get("/annonser/ny").get_data(as_text=True)
    assert "Annonser publiceras av organisationer" in html
    assert 'href="/organisationer/ny"' in html
    response = client.post("/annonser/ny", data=valid_ad())
    assert response.status_code == 403
    assert ad_count() == 0


def test_acting_for_an_organisation_one_has_left_does_not_allow_posting(client):
    org = factories.organisation()
    account = factories.user(acting_organisation=org)  # no membership behind it
    response = log_in(client, account).post("/annonser/ny", data=valid_ad())
    assert response.status_code == 403
    assert ad_count() == 0


def test_anonymous_visitors_are_asked_to_log_in_before_posting(client):
    for method in (client.get, client.post):
        response = method("/annonser/ny")
        assert response.status_code == 302
        assert "/konto/logga-in" in response.headers["Location"]


def test_unconfirmed_users_cannot_post(client):
    account = factories.member(confirmed=False)
    response = log_in(client, account).post("/annonser/ny", data=valid_ad())
    assert response.status_code in (302, 303)
    assert ad_count() == 0


# Who may manage an ad


MEMBER_ROUTES = [
    ("get", "/annonser/{id}/redigera"),
    ("post", "/annonser/{id}/redigera"),
    ("post", "/annonser/{id}/stang"),
    ("post", "/annonser/{id}/forlang"),
    ("get", "/annonser/{id}/ta-bort"),
    ("post", "/annonser/{id}/ta-bort"),
]


@pytest.mark.parametrize(("method", "url"), MEMBER_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_from_every_member_route(client, method, url):
    ad = factories.ad(title="Orörd")
    response = getattr(client, method)(
        url.format(id=ad.id), data=valid_ad(title="Ändrad") | {"reason": "partner_found"}
    )
    assert response.status_code == 302
    assert "/konto/logga-in" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).title == "Orörd"


@pytest.mark.parametrize(("method", "url"), MEMBER_ROUTES)
def test_another_organisations_member_gets_403_on_every_member_route(client, member, method, url):
    ad = factories.ad(title="Orörd", expires_on=today() + timedelta(days=5))
    log_in(client, member)  # a member, but of another organisation
    response = getattr(client, method)(
        url.format(id=ad.id), data=valid_ad(title="Ändrad") | {"reason": "partner_found"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    unchanged = db.session.get(Ad, ad.id)
    assert unchanged.title == "Orörd"
    assert unchanged.status is AdStatus.OPEN
    assert unchanged.expires_on == today() + timedelta(days=5)


@pytest.mark.parametrize(("method", "url"), MEMBER_ROUTES)
def test_member_routes_of_a_missing_ad_are_404(client, member, method, url):
    response = getattr(log_in(client, member), method)(url.format(id=9999))
    assert response.status_code == 404


def test_any_member_of_the_organisation_may_manage_its_ads(client):
    org = factories.organisation()
    plain_member = factories.member(org=org, role=Role.MEMBER)
    ad = factories.ad(org=org)
    assert log_in(client, plain_member).get(f"/annonser/{ad.id}/redigera").status_code == 200


# Editing


def test_editing_an_ad_shows_what_it_says_now(client, member):
    ad = factories.ad(org=member.acting_organisation, title="Cykelverkstad")
    html = log_in(client, member).get(f"/annonser/{ad.id}/redigera").get_data(as_text=True)
    assert 'value="Cykelverkstad"' in html
    assert re.search(r'checked[^>]*value="integration"|value="integration"[^>]*checked', html)


def test_an_edited_ad_is_found_by_its_new_words_and_not_its_old(client, member):
    ad = factories.ad(org=member.acting_organisation, title="Cykelverkstad")
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/redigera", data=valid_ad(title="Symaskiner att låna")
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annonser/{ad.id}-symaskiner-att-lana"
    assert "Symaskiner att låna" in search_html(client, "symaskin")
    assert "Symaskiner att låna" not in search_html(client, "cykelverkstad")
    assert "Inga öppna annonser" in search_html(client, "cykelverkstad")


def test_an_invalid_edit_keeps_the_input_and_changes_nothing(client, member):
    ad = factories.ad(org=member.acting_organisation, title="Cykelverkstad")
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/redigera", data=valid_ad(title="Nytt namn", challenges=[])
    )
    assert response.status_code == 422
    assert 'value="Nytt namn"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).title == "Cykelverkstad"


def test_an_expired_ad_can_be_edited_without_moving_its_date(client, member):
    expired_on = today() - timedelta(days=2)
    ad = factories.ad(org=member.acting_organisation, expires_on=expired_on)
    response = log_in(client, member).post(
        f"/annonser/{ad.id}/redigera",
        data=valid_ad(title="Rättad rubrik", expires_on=expired_on.isoformat()),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).title == "Rättad rubrik"


# Closing, renewing, deleting


@pytest.mark.parametrize(
    ("reason", "marker"),
    [("partner_found", "Stängd – partner hittad"), ("not_current", "Stängd – inte längre aktuell")],
)
def test_closing_an_ad_removes_it_from_search_but_keeps_its_page(client, member, reason, marker):
    ad = factories.ad(org=member.acting_organisation, title="Läxhjälp i Kalmar")
    response = log_in(client, member).post(f"/annonser/{ad.id}/stang", data={"reason": reason})
    assert response.status_code == 303
    assert "Läxhjälp i Kalmar" not in search_html(client, "läxhjälp")
    page = client.get(f"/annonser/{ad.id}-{ad.slug}")
    assert page.status_code == 200
    assert marker in page.get_data(as_text=True)


def test_closing_without_a_reason_is_refused(client, member):
    ad = factories.ad(org=member.acting_organisation)
    response = log_in(client, member).post(f"/annonser/{ad.id}/stang", data={"reason": "open"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).status is AdStatus.OPEN


def test_an_expired_ad_keeps_its_page_marked_and_renewing_reopens_it(client, member):
    ad = factories.ad(
        org=member.acting_organisation,
        title="Läxhjälp i Kalmar",
        expires_on=today() - timedelta(days=1),
    )
    assert "Utgången" in client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
    assert "Läxhjälp i Kalmar" not in search_html(client, "läxhjälp")
    response = log_in(client, member).post(f"/annonser/{ad.id}/forlang")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).expires_on == today() + timedelta(days=90)
    assert "Läxhjälp i Kalmar" in search_html(client, "läxhjälp")


def test_renewing_a_closed_ad_opens_it_again(client, member):
    ad = factories.ad(org=member.acting_organisation, status=AdStatus.NOT_CURRENT)
    log_in(client, member).post(f"/annonser/{ad.id}/forlang")
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).status is AdStatus.OPEN


def test_deleting_asks_first_then_removes_the_ad_everywhere(client, member):
    ad = factories.ad(org=member.acting_organisation, title="Läxhjälp i Kalmar")
    log_in(client, member)
    confirm = client.get(f"/annonser/{ad.id}/ta-bort")
    assert confirm.status_code == 200
    assert "Ja, ta bort annonsen" in confirm.get_data(as_text=True)
    assert ad_count() == 1  # looking at the question deletes nothing
    response = client.post(f"/annonser/{ad.id}/ta-bort")
    assert response.status_code == 303
    assert ad_count() == 0
    assert client.get(f"/annonser/{ad.id}-{ad.slug}").status_code == 404
    assert "Läxhjälp i Kalmar" not in search_html(client, "läxhjälp")


# The ad page


def test_the_ad_page_shows_everything_about_the_ad(client):
    org = factories.organisation(name="Kalmar Stadsmission")
    org.verified_at = org.created_at
    db.session.commit()
    ad = factories.ad(
        org=org,
        kind=AdKind.OFFER,
        title="Lokal att låna",
        county_code="08",
        municipality_code="0880",
        seeks_public=True,
        seeks_business=True,
        challenges=("integration", "education"),
    )
    html = client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
    assert "Erbjuder" in html and "<h1" in html and "Lokal att låna" in html
    assert "Integration och etablering" in html
    assert "Kalmar, Kalmar län" in html
    assert "Offentlig sektor" in html and "Näringsliv" in html
    assert "Kalmar Stadsmission" in html and "Verifierad" in html
    assert html.count("<h1") == 1


def test_a_wrong_or_missing_slug_redirects_to_the_canonical_address(client):
    ad = factories.ad(title="Läxhjälp i Kalmar")
    for url in (f"/annonser/{ad.id}", f"/annonser/{ad.id}-gammal-rubrik"):
        response = client.get(url)
        assert response.status_code == 301
        assert response.headers["Location"] == f"/annonser/{ad.id}-laxhjalp-i-kalmar"


def test_unknown_ads_are_404(client):
    assert client.get("/annonser/12345-finns-inte").status_code == 404


def test_the_ad_page_has_canonical_and_open_graph_tags(client):
    ad = factories.ad(title="Läxhjälp i Kalmar", body="Lördagar kl 10.")
    html = client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
    url = f"http://localhost/annonser/{ad.id}-laxhjalp-i-kalmar"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'property="og:title" content="Söker: Läxhjälp i Kalmar"' in html
    assert '<meta property="og:description" content="Lördagar kl 10.">' in html


def test_the_description_is_escaped_and_only_web_addresses_become_links(client):
    ad = factories.ad(
        title="Länkar",
        body=(
            "<script>alert(1)</script> <b>fet</b>\n"
            "Läs mer på https://example.se/om?a=1&b=2.\n\n"
            'javascript:alert(1) <a href="javascript:alert(2)">klick</a> '
            "data:text/html,hej"
        ),
    )
    html = client.get(f"/annonser/{ad.id}-{ad.slug}").get_data(as_text=True)
    body = html.split('<div class="ad-body">', 1)[1].split("</div>", 1)[0]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "<b>" not in body
    assert (
        '<a href="https://example.se/om?a=1&amp;b=2" rel="nofollow ugc noopener">'
        "https://example.se/om?a=1&amp;b=2</a>." in body
    )
    assert 'href="javascript' not in body and 'href="data' not in body
    assert body.count("<a ") == 1
    assert body.count("<p>") == 2


def test_members_see_the_controls_and_others_do_not(client, member):
    ad = factories.ad(org=member.acting_organisation)
    url = f"/annonser/{ad.id}-{ad.slug}"
    assert "Hantera annonsen" not in client.get(url).get_data(as_text=True)
    stranger = factories.member()
    assert "Hantera annonsen" not in log_in(client, stranger).get(url).get_data(as_text=True)
    html = log_in(client, member).get(url).get_data(as_text=True)
    assert "Hantera annonsen" in html
    for action in ("redigera", "stang", "ta-bort"):
        assert f"/annonser/{ad.id}/{action}" in html
    # "Förläng" only in the ad's last 30 days: before that, when it can be extended
    assert f"/annonser/{ad.id}/forlang" not in html
    assert "Du kan förlänga den under de sista 30 dagarna." in html
    ending = factories.ad(org=member.acting_organisation, expires_on=today() + timedelta(days=30))
    html = client.get(f"/annonser/{ending.id}-{ending.slug}").get_data(as_text=True)
    assert f"/annonser/{ending.id}/forlang" in html and "Förläng 90 dagar" in html


def test_choosing_a_county_narrows_the_municipality_list(client):
    response = client.get("/kommuner?county=08", headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="municipality-field">')
    assert "Västervik" in html and "Malmö" not in html


def test_a_new_ad_starts_in_its_organisations_county_and_municipality(client):
    org = factories.organisation(county_code="08", municipality_code="0880")
    member = factories.member(org=org)
    html = log_in(client, member).get("/annonser/ny").get_data(as_text=True)
    assert '<option selected value="08">' in html
    assert '<option selected value="0880">' in html
