"""Matches as users meet them: the ad page's block, its page, the organisation's page, the API."""

from __future__ import annotations

import re

import pytest

from marketplace.ads.models import AdKind, AdStatus
from marketplace.extensions import db
from marketplace.organisations.models import LegalForm, Role, Sector
from tests import factories
from tests.conftest import BOOSTED, HTMX, log_in


@pytest.fixture
def kommun(app):
    return factories.municipality(slug="kalmar-kommun", challenges=("integration", "education"))


@pytest.fixture
def sprakbron(app):
    return factories.organisation(name="Språkbron", slug="sprakbron", sector=Sector.CIVIL)


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


@pytest.fixture
def helpers(sprakbron):
    return factories.ad(
        org=sprakbron,
        kind=AdKind.OFFER,
        title="Läxhjälp på arabiska",
        body="Våra volontärer hjälper barn med läxor, flera talar arabiska.",
        municipality_code="0880",
        seeks_public=True,
    )


@pytest.fixture
def room(app):
    company = factories.organisation(
        name="Kalmarhem AB", sector=Sector.BUSINESS, legal_form=LegalForm.LIMITED_COMPANY
    )
    return factories.ad(
        org=company,
        kind=AdKind.OFFER,
        title="Möteslokal att hyra",
        body="En lokal för trettio personer.",
        municipality_code="0880",
    )


def matches_url(ad) -> str:
    return f"/annonser/{ad.id}/matchningar"


# The ad page's block


def test_the_ad_page_loads_its_matches_with_htmx_and_links_to_them_without(client, need):
    html = client.get(f"/annonser/{need.id}-{need.slug}").get_data(as_text=True)

    block = html[html.index('<section id="matches"') :]
    block = block[: block.index("</section>")]
    assert f'data-hx-get="{matches_url(need)}"' in block
    assert 'data-hx-trigger="load"' in block
    assert f'<a href="{matches_url(need)}">Visa matchningar</a>' in block
    assert 'aria-live="polite"' in block


def test_a_closed_ad_s_page_has_no_matches_block(client, need):
    need.status = AdStatus.PARTNER_FOUND
    db.session.commit()

    html = client.get(f"/annonser/{need.id}-{need.slug}").get_data(as_text=True)

    assert 'id="matches"' not in html


def test_htmx_gets_only_the_matches_fragment(client, need, helpers, room):
    response = client.get(matches_url(need), headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="matches"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert "1 bra matchning" in html and "Läxhjälp på arabiska" in html
    # the room to rent shares no words: a weaker match, one link away (and without JavaScript)
    assert "Möteslokal att hyra" not in html
    assert f'href="/annonser/{need.id}/matchningar?alla=1#matches"' in html
    assert f'data-hx-get="/annonser/{need.id}/matchningar?alla=1"' in html
    assert "Visa en svagare matchning" in html

    everything = client.get(matches_url(need) + "?alla=1", headers=HTMX).get_data(as_text=True)
    assert everything.index("Läxhjälp på arabiska") < everything.index("Möteslokal att hyra")
    assert "1 svagare matchning" in everything and "Visa en svagare" not in everything


def test_only_weaker_matches_say_there_is_no_good_one_and_offer_them(client, need, room):
    html = client.get(matches_url(need)).get_data(as_text=True)

    assert "Inga bra matchningar just nu" in html and "Möteslokal att hyra" not in html
    everything = client.get(matches_url(need) + "?alla=1").get_data(as_text=True)
    assert "Möteslokal att hyra" in everything


def test_each_match_reads_as_sentences(client, need, helpers):
    member = factories.member(org=need.organisation)
    html = log_in(client, member).get(matches_url(need), headers=HTMX).get_data(as_text=True)

    [summary] = re.findall(r'<p class="match-summary">(.*?)</p>', html)
    assert summary.startswith("Båda arbetar med integration och etablering i Kalmar. ")
    assert "Båda skriver om " in summary and "arabiska" in summary
    assert summary.endswith(
        "Ni söker idéburna organisationer och Språkbron söker offentliga aktörer: "
        "ni passar varandra."
    )


def test_without_javascript_the_matches_are_a_page_of_their_own(client, need, helpers):
    for headers in ({}, BOOSTED):
        html = client.get(matches_url(need), headers=headers).get_data(as_text=True)

        assert "<html" in html
        assert "<h1>Matchningar för Arabisktalande läxhjälpare</h1>" in html
        assert "Matchningar för Arabisktalande läxhjälpare · Samverkanstorget" in html
        assert f'href="/annonser/{need.id}-{need.slug}"' in html  # back to the ad


def test_each_match_shows_title_organisation_kind_area_score_and_reasons(client, need, helpers):
    html = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)

    assert f'<a href="/annonser/{helpers.id}-{helpers.slug}">Läxhjälp på arabiska</a>' in html
    assert "Språkbron" in html and "Idéburen sektor" in html
    assert "Erbjuder" in html and "Kalmar, Kalmar län" in html
    percent = re.search(r"Matchning: (\d+) %", html)
    assert percent and 0 < int(percent.group(1)) <= 100
    assert re.search(r'<meter min="0" max="100" value="\d+"', html)
    assert "Samma kommun: Kalmar" in html
    assert "Båda arbetar med integration och etablering" in html
    assert "Gemensamma ord: " in html and "arabiska" in html


def test_visitors_read_names_where_the_ads_members_read_ni_and_de(client, need, helpers):
    visitor = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)
    assert "Kalmar kommun söker – Språkbron erbjuder" in visitor
    assert "Ni söker" not in visitor

    member = factories.member(org=need.organisation)
    own = log_in(client, member).get(matches_url(need), headers=HTMX).get_data(as_text=True)
    assert "Ni söker – de erbjuder" in own
    assert "Ni söker idéburen sektor — Språkbron är en ideell förening" in own


def test_no_matches_says_so(client, need):
    html = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)

    assert "Inga andra öppna annonser passar ihop med den här just nu." in html


def test_a_closed_ad_has_no_matches(client, need, helpers):
    need.status = AdStatus.NOT_CURRENT
    db.session.commit()

    html = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)

    assert "Stängda och utgångna annonser matchas inte." in html
    assert "Läxhjälp på arabiska" not in html


def test_matches_seen_again_follow_the_ads_as_they_change(client, need, helpers, room):
    url = matches_url(need) + "?alla=1"
    first = client.get(url, headers=HTMX).get_data(as_text=True)
    helpers.status = AdStatus.PARTNER_FOUND  # the partner was found elsewhere
    db.session.commit()
    again = client.get(url, headers=HTMX).get_data(as_text=True)

    assert "Läxhjälp på arabiska" in first and "Möteslokal att hyra" in first
    assert "Läxhjälp på arabiska" not in again and "Möteslokal att hyra" in again


def test_matches_seen_again_speak_the_reader_s_language(client, need, helpers):
    swedish = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)
    client.get("/sprak/en")
    english = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)

    assert "Båda arbetar med" in swedish
    assert "Båda arbetar med" not in english and "Both work on" in english


@pytest.mark.parametrize("url", ["/annonser/999999/matchningar", "/annonser/abc/matchningar"])
def test_an_unknown_ad_has_no_matches_page(client, url):
    assert client.get(url).status_code == 404


def test_a_public_body_sees_organisations_to_contact_on_its_own_need(client, need, helpers):
    factories.organisation(
        name="Läxhjälpen Norrliden", municipality_code="0880", challenges=("integration",)
    )
    member = factories.member(org=need.organisation)

    visitor = client.get(matches_url(need), headers=HTMX).get_data(as_text=True)
    own = log_in(client, member).get(matches_url(need), headers=HTMX).get_data(as_text=True)

    assert "Organisationer ni kan kontakta" not in visitor
    assert "Organisationer ni kan kontakta" in own
    suggestions = own[own.index("Organisationer ni kan kontakta") :]
    assert "Läxhjälpen Norrliden" in suggestions  # no ad of its own, suggested all the same
    assert "Arbetar med integration och etablering" in suggestions
    assert "Finns i Kalmar" in suggestions


# The organisation's matches page


def test_members_see_matches_for_all_their_open_ads(client, need, helpers, kommun):
    second = factories.ad(
        org=kommun,
        kind=AdKind.OFFER,
        title="Lediga lokaler på kvällstid",
        body="Skolans matsal står tom på kvällarna.",
    )
    factories.ad(org=kommun, title="Stängd annons", status=AdStatus.PARTNER_FOUND)
    member = factories.member(org=kommun, role=Role.MEMBER)

    html = (
        log_in(client, member)
        .get(f"/organisationer/{kommun.id}/matchningar")
        .get_data(as_text=True)
    )

    assert "<h1>Matchningar för Kalmar kommun</h1>" in html
    assert need.title in html and second.title in html
    assert "Stängd annons" not in html
    assert "Läxhjälp på arabiska" in html and "Ni söker – de erbjuder" in html


def test_the_organisation_page_links_its_members_to_the_matches(client, kommun):
    member = factories.member(org=kommun)
    url = f"/organisationer/{kommun.id}/matchningar"

    assert url not in client.get(f"/organisationer/{kommun.id}-{kommun.slug}").get_data(
        as_text=True
    )
    own = log_in(client, member).get(f"/organisationer/{kommun.id}-{kommun.slug}")
    assert url in own.get_data(as_text=True)


def test_an_organisation_without_open_ads_is_told_how_to_get_matches(client, kommun):
    member = factories.member(org=kommun)

    html = (
        log_in(client, member)
        .get(f"/organisationer/{kommun.id}/matchningar")
        .get_data(as_text=True)
    )

    assert "Organisationen har inga öppna annonser." in html


def test_the_organisation_s_matches_are_for_members_only(client, kommun, need):
    url = f"/organisationer/{kommun.id}/matchningar"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/konto/logga-in" in anonymous.headers["Location"]

    outsider = factories.member()  # a member of another organisation
    response = log_in(client, outsider).get(url)
    assert response.status_code == 403
    assert need.title not in response.get_data(as_text=True)

    assert log_in(client, outsider).get("/organisationer/999999/matchningar").status_code == 404


# The API


def test_the_api_lists_matches_best_first_with_score_and_reasons(client, need, helpers, room):
    response = client.get(f"/api/v1/ads/{need.id}/matches")

    body = response.get_json()
    assert response.status_code == 200
    assert [item["ad"]["id"] for item in body["items"]] == [helpers.id, room.id]
    first = body["items"][0]
    assert first["ad"]["title"] == "Läxhjälp på arabiska"
    assert first["ad"]["organisation"]["name"] == "Språkbron"
    assert 0 < first["score"] <= 1 and first["score"] == round(first["score"], 2)
    assert first["score"] >= body["items"][1]["score"]
    assert "Samma kommun: Kalmar" in first["reasons"]
    assert "Kalmar kommun söker – Språkbron erbjuder" in first["reasons"]


def test_the_api_never_lists_the_ads_own_organisation(client, need, kommun):
    factories.ad(org=kommun, kind=AdKind.OFFER, title="Egen läxhjälp på arabiska")

    assert client.get(f"/api/v1/ads/{need.id}/matches").get_json() == {"items": []}


def test_the_api_limit_cuts_the_list(client, need, helpers, room):
    body = client.get(f"/api/v1/ads/{need.id}/matches?limit=1").get_json()

    assert [item["ad"]["id"] for item in body["items"]] == [helpers.id]


@pytest.mark.parametrize("value", ["0", "51", "abc", "-1", "1.5"])
def test_a_bad_limit_is_a_400_naming_the_parameter(client, need, value):
    response = client.get(f"/api/v1/ads/{need.id}/matches?limit={value}")

    assert response.status_code == 400
    assert response.get_json()["parameter"] == "limit"


def test_an_unknown_language_is_a_400_naming_the_parameter(client, need):
    response = client.get(f"/api/v1/ads/{need.id}/matches?lang=de")

    assert response.status_code == 400
    assert response.get_json()["parameter"] == "lang"


def test_an_unknown_ad_has_no_matches_in_the_api(client):
    response = client.get("/api/v1/ads/999999/matches")

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_closed_ad_has_an_empty_match_list_in_the_api(client, need, helpers):
    need.status = AdStatus.PARTNER_FOUND
    db.session.commit()

    assert client.get(f"/api/v1/ads/{need.id}/matches").get_json() == {"items": []}


def test_reasons_follow_lang_en(client, need, helpers):
    swedish = client.get(f"/api/v1/ads/{need.id}/matches").get_json()["items"][0]["reasons"]
    english = client.get(f"/api/v1/ads/{need.id}/matches?lang=en").get_json()["items"][0]["reasons"]

    assert any("integration och etablering" in reason for reason in swedish)
    # Reference names switch at once; the sentences follow as the English catalogue grows.
    assert any("integration and settlement of newcomers" in reason for reason in english)


def test_the_openapi_document_describes_matches_and_their_language(client):
    document = client.get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/ads/{id}/matches"]["get"]
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert "lang=en" in operation["description"]
    parameters = document["components"]["parameters"]
    assert parameters["lang"]["schema"]["enum"] == ["sv", "en"]
    assert parameters["limit"]["schema"]["maximum"] == 50
    match = document["components"]["schemas"]["Match"]
    assert set(match["required"]) == {"ad", "score", "reasons"}
