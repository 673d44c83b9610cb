"""Content a moderator hid is gone for everyone but the people behind it and its moderators:
the JSON API, the ad and organisation pages, match pages and fragments, the interest page,
the Atom feed, the embed and the suggested organisations."""

from __future__ import annotations

import pytest

from marketplace.ads.models import Ad, AdKind
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Role, Sector
from tests import factories
from tests.conftest import HTMX, log_in

REASON = "Reklam för en webbshop bryter mot reglerna om annonser."
NOT_FOUND = {"error": "not_found", "message": "Det finns ingenting på den här adressen."}


def hide(content: Ad | Organisation, reason: str = REASON) -> None:
    """As a moderator's decision leaves it (the decision itself is tested in test_moderation)."""
    content.hidden_at = utcnow()
    content.hidden_reason = reason
    db.session.commit()


@pytest.fixture
def kommun(app):
    return factories.municipality(slug="kalmar-kommun", challenges=("integration",))


@pytest.fixture
def need(kommun):
    return factories.ad(
        org=kommun,
        kind=AdKind.NEED,
        title="Arabisktalande läxhjälpare",
        body="Vi söker volontärer som kan hjälpa barn med läxor på arabiska.",
        municipality_code="0880",
        seeks_civil=True,
    )


def offer(name: str, title: str) -> Ad:
    """An offer that matches `need` well, from an organisation of its own."""
    org = factories.organisation(name=name, sector=Sector.CIVIL)
    return factories.ad(
        org=org,
        kind=AdKind.OFFER,
        title=title,
        body="Våra volontärer hjälper barn med läxor, flera talar arabiska.",
        municipality_code="0880",
        seeks_public=True,
    )


@pytest.fixture
def offers(need):
    """Three matching offers: one stays visible, one is hidden, one's organisation is hidden."""
    visible = offer("Språkbron", "Läxhjälp på arabiska")
    hidden = offer("Solglasögonbolaget", "Billiga solglasögon och läxhjälp på arabiska")
    of_hidden_org = offer("Dold förening", "Arabisk läxhjälp från en dold förening")
    return visible, hidden, of_hidden_org


def ad_page(ad: Ad) -> str:
    return f"/annonser/{ad.id}-{ad.slug}"


def organisation_page(org: Organisation) -> str:
    return f"/organisationer/{org.id}-{org.slug}"


# --- The JSON API ----------------------------------------------------------------------------


def test_the_api_answers_a_hidden_ad_exactly_like_one_that_never_existed(client, need):
    assert client.get(f"/api/v1/ads/{need.id}").status_code == 200
    hide(need)

    for template in ("/api/v1/ads/{}", "/api/v1/ads/{}/matches"):
        path = template.format(need.id)
        response = client.get(path)
        missing = client.get(template.format(999999))
        assert response.status_code == missing.status_code == 404, path
        assert response.is_json and response.get_json() == missing.get_json() == NOT_FOUND
        assert "Arabisktalande" not in response.get_data(as_text=True)


def test_the_api_hides_an_organisation_and_every_ad_of_it(client, need, kommun):
    hide(kommun)

    for path in (
        f"/api/v1/organisations/{kommun.id}",
        f"/api/v1/ads/{need.id}",
        f"/api/v1/ads/{need.id}/matches",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json() == NOT_FOUND, path
    assert "Kalmar kommun" not in client.get("/api/v1/organisations").get_data(as_text=True)
    assert client.get("/api/v1/ads").get_json()["total"] == 0


def test_match_lists_never_contain_hidden_ads_or_ads_of_hidden_organisations(client, need, offers):
    visible, hidden, of_hidden_org = offers
    before = [
        item["ad"]["id"] for item in client.get(f"/api/v1/ads/{need.id}/matches").json["items"]
    ]
    assert set(before) == {visible.id, hidden.id, of_hidden_org.id}  # all three match at first

    hide(hidden)
    hide(of_hidden_org.organisation)

    listed = client.get(f"/api/v1/ads/{need.id}/matches").get_json()["items"]
    assert [item["ad"]["id"] for item in listed] == [visible.id]
    page = client.get(f"/annonser/{need.id}/matchningar").get_data(as_text=True)
    assert "Läxhjälp på arabiska" in page
    assert "Billiga solglasögon" not in page and "Arabisk läxhjälp från en dold" not in page
    colleague = factories.member(org=need.organisation, role=Role.MEMBER)
    own = log_in(client, colleague).get(f"/organisationer/{need.organisation.id}/matchningar")
    assert "Läxhjälp på arabiska" in own.get_data(as_text=True)
    assert "Billiga solglasögon" not in own.get_data(as_text=True)


# --- A hidden ad's pages ----------------------------------------------------------------------


@pytest.fixture
def owner(need):
    return factories.member(org=need.organisation, name="Olle Ägare")


@pytest.mark.parametrize("hidden", ["ad", "organisation"])
def test_the_public_finds_no_page_of_a_hidden_ad(client, need, owner, hidden):
    hide(need if hidden == "ad" else need.organisation)

    for path in (
        ad_page(need),
        f"/annonser/{need.id}",  # the bare id does not redirect to the slug either
        f"/annonser/{need.id}/matchningar",
        f"/annonser/{need.id}/intresse",
    ):
        for headers in ({}, HTMX):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (path, headers)
            body = response.get_data(as_text=True)
            assert "Arabisktalande" not in body and "Location" not in response.headers
    outsider = log_in(app_client(client), factories.member())
    assert outsider.get(ad_page(need)).status_code == 404
    assert outsider.get(f"/annonser/{need.id}/matchningar").status_code == 404


def app_client(client):
    return client.application.test_client()


def test_the_organisation_and_its_moderators_still_see_a_hidden_ad_with_a_notice(
    client, need, owner, offers
):
    hide(need)
    moderator = factories.user(name="Kalle Kalmar")
    factories.county_moderator(moderator, "08")

    for person in (owner, moderator):
        viewer = log_in(app_client(client), person)
        page = viewer.get(ad_page(need))
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Annonsen har dolts av en moderator" in html and REASON in html
        assert 'id="matches"' not in html  # a hidden ad is not matched
        matches = viewer.get(f"/annonser/{need.id}/matchningar", headers=HTMX)
        assert matches.status_code == 200
        text = matches.get_data(as_text=True)
        assert "Annonsen är dold av en moderator och matchas inte." in text
        assert "Läxhjälp på arabiska" not in text
        assert "Organisationer ni kan kontakta" not in text


def test_a_hidden_ad_leaves_the_feed_the_embed_and_search(client, need):
    assert "Arabisktalande läxhjälpare" in client.get("/annonser/flode.atom").get_data(as_text=True)
    assert "Arabisktalande läxhjälpare" in client.get("/inbaddning").get_data(as_text=True)

    hide(need)

    feed = client.get("/annonser/flode.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert "Arabisktalande" not in feed.get_data(as_text=True)
    assert "Arabisktalande" not in client.get("/annonser/flode.atom?q=arabiska").get_data(
        as_text=True
    )
    assert "Arabisktalande" not in client.get("/inbaddning?lan=08").get_data(as_text=True)
    assert "Arabisktalande" not in client.get("/annonser?q=arabisktalande").get_data(as_text=True)


def test_ads_of_a_hidden_organisation_leave_the_feed_and_the_embed(client, need, kommun):
    hide(kommun)
    assert "Arabisktalande" not in client.get("/annonser/flode.atom").get_data(as_text=True)
    assert "Arabisktalande" not in client.get("/inbaddning").get_data(as_text=True)


def test_a_hidden_organisation_is_never_suggested_to_a_public_body(client, need, owner):
    factories.organisation(name="Läxhjälpen Norrliden", challenges=("integration",))
    dold = factories.organisation(name="Dolda läxhjälpen", challenges=("integration",))
    viewer = log_in(client, owner)
    before = viewer.get(f"/annonser/{need.id}/matchningar", headers=HTMX).get_data(as_text=True)
    assert "Läxhjälpen Norrliden" in before and "Dolda läxhjälpen" in before

    hide(dold)

    after = viewer.get(f"/annonser/{need.id}/matchningar", headers=HTMX).get_data(as_text=True)
    assert "Läxhjälpen Norrliden" in after and "Dolda läxhjälpen" not in after


# --- A hidden organisation's pages ------------------------------------------------------------


def test_a_hidden_organisation_s_pages_are_gone_for_the_public_and_noted_for_members(
    client, kommun, need, owner
):
    hide(kommun)

    assert client.get(organisation_page(kommun)).status_code == 404
    assert client.get(f"/organisationer/{kommun.id}").status_code == 404  # no redirect
    assert "Kalmar kommun" not in client.get("/organisationer/").get_data(as_text=True)
    outsider = log_in(app_client(client), factories.member())
    assert outsider.get(f"/organisationer/{kommun.id}/matchningar").status_code == 403

    member = log_in(app_client(client), owner)
    page = member.get(organisation_page(kommun)).get_data(as_text=True)
    assert "Organisationen har dolts av en moderator" in page and REASON in page
    matches = member.get(f"/organisationer/{kommun.id}/matchningar")
    assert matches.status_code == 200
    text = matches.get_data(as_text=True)
    assert "Organisationen har dolts av en moderator, så dess annonser matchas inte" in text
    assert "Organisationen har inga öppna annonser" not in text
