"""The read-only JSON API (/api/v1): shapes, search and filters, pagination, JSON errors, OpenAPI."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.ads.models import AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.organisations.models import LegalForm, Sector
from tests import factories

AD_KEYS = {
    "crisis",
    "id",
    "ref",
    "url",
    "kind",
    "title",
    "body",
    "challenges",
    "county",
    "municipality",
    "seeking",
    "status",
    "published",
    "expires",
    "organisation",
}
ORGANISATION_KEYS = {
    "agreements",
    "id",
    "ref",
    "name",
    "sector",
    "form",
    "org_number",
    "county",
    "municipality",
    "website",
    "email",
    "description",
    "challenges",
    "verified",
    "verified_via",
    "verified_at",
    "url",
}


def days_ago(days: int):
    return utcnow() - timedelta(days=days)


@pytest.fixture
def region(app):
    return factories.organisation(
        name="Region Kalmar län",
        slug="region-kalmar-lan",
        sector=Sector.PUBLIC,
        legal_form=LegalForm.REGION,
        org_number="232100-0073",
        municipality_code=None,
        description="Regionen erbjuder lokaler och handledning för självhjälpsgrupper.",
        website="https://regionkalmar.example.com",
        challenges=("mental-health", "public-health"),
        import_ref="o01",
        verified_at=datetime(2026, 11, 3, 9, 30, 15, 123),
        verified_via="domain",
        verified_domain="regionkalmar.se",
    )


@pytest.fixture
def association(app):
    return factories.organisation(
        name="Läxhjälpen i Norrliden",
        slug="laxhjalpen-i-norrliden",
        email="info@example.com",
        description="Vi driver läxhjälp och språkcafé för barn och unga i Norrliden.",
        challenges=("education",),
    )


def test_an_ad_has_exactly_the_documented_shape(client, association):
    ad = factories.ad(
        org=association,
        title="Vi söker arabisktalande läxhjälpare",
        body="Till vår läxhjälp i Norrliden på tisdagar.",
        challenges=("education", "integration"),
        municipality_code="0880",
        seeks_civil=True,
        import_ref="a001",
        published_at=days_ago(3),
    )

    response = client.get(f"/api/v1/ads/{ad.id}")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "id": ad.id,
        "ref": "a001",
        "url": f"http://localhost/annonser/{ad.id}-vi-soker-arabisktalande-laxhjalpare",
        "kind": "need",
        "title": "Vi söker arabisktalande läxhjälpare",
        "body": "Till vår läxhjälp i Norrliden på tisdagar.",
        "challenges": ["education", "integration"],
        "county": "08",
        "municipality": "0880",
        "seeking": ["public", "civil"],
        "status": "open",
        "published": days_ago(3).date().isoformat(),
        "expires": ad.expires_on.isoformat(),
        "organisation": {
            "id": association.id,
            "ref": None,
            "name": "Läxhjälpen i Norrliden",
            "sector": "civil",
            "verified": False,
            "verified_via": None,
            "verified_at": None,
        },
        "crisis": None,
    }


def test_closed_and_expired_ads_are_still_returned_with_their_status(client, association):
    found = factories.ad(org=association, status=AdStatus.PARTNER_FOUND, closed_at=utcnow())
    dropped = factories.ad(org=association, status=AdStatus.NOT_CURRENT, closed_at=utcnow())
    expired = factories.ad(org=association, expires_on=today() - timedelta(days=1))

    statuses = [
        client.get(f"/api/v1/ads/{ad.id}").get_json()["status"] for ad in (found, dropped, expired)
    ]

    assert statuses == ["partner_found", "not_current", "expired"]


def test_an_unknown_ad_is_a_json_404(client):
    response = client.get("/api/v1/ads/999999")

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert response.get_json()["message"]


def test_the_ad_list_has_the_documented_shape_and_only_open_ads_newest_first(
    client, association, region
):
    older = factories.ad(org=association, title="Äldre annons", published_at=days_ago(10))
    newer = factories.ad(org=region, title="Nyare annons", published_at=days_ago(1))
    factories.ad(org=association, status=AdStatus.PARTNER_FOUND, closed_at=utcnow())
    factories.ad(org=association, expires_on=today() - timedelta(days=1))

    response = client.get("/api/v1/ads")

    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 20)
    assert [item["id"] for item in body["items"]] == [newer.id, older.id]
    assert all(set(item) == AD_KEYS for item in body["items"])
    assert body["items"][0]["organisation"] == {
        "id": region.id,
        "ref": "o01",
        "name": "Region Kalmar län",
        "sector": "public",
        "verified": True,
        "verified_via": "domain",
        "verified_at": "2026-11-03T09:30:15Z",
    }
    assert response.headers["Cache-Control"] in {"public, max-age=60", "max-age=60, public"}


def test_ads_come_in_pages(client, association):
    ads = [factories.ad(org=association, published_at=days_ago(day)) for day in range(25)]

    first = client.get("/api/v1/ads?per_page=10").get_json()
    last = client.get("/api/v1/ads?per_page=10&page=3").get_json()
    beyond = client.get("/api/v1/ads?per_page=10&page=4").get_json()

    assert (first["total"], len(first["items"]), first["per_page"]) == (25, 10, 10)
    assert [item["id"] for item in first["items"]] == [ad.id for ad in ads[:10]]
    assert [item["id"] for item in last["items"]] == [ad.id for ad in ads[20:]]
    assert (last["page"], beyond["items"], beyond["total"]) == (3, [], 25)


def test_ads_can_be_filtered_on_kind_challenge_place_seeking_and_sector(
    client, association, region
):
    need = factories.ad(org=association, kind=AdKind.NEED, challenges=("education",))
    offer = factories.ad(
        org=region,
        kind=AdKind.OFFER,
        challenges=("mental-health",),
        county_code="08",
        municipality_code="0880",
        seeks_public=False,
        seeks_civil=True,
    )
    idea = factories.ad(
        org=association,
        kind=AdKind.IDEA,
        challenges=("culture",),
        county_code="12",
        seeks_business=True,
        seeks_public=False,
    )

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/ads?{query}")
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids("kind=need") == {need.id}
    assert ids("kind=need&kind=idea") == {need.id, idea.id}
    assert ids("kind=offer,idea") == {offer.id, idea.id}
    assert ids("challenge=mental-health&challenge=culture") == {offer.id, idea.id}
    assert ids("county=12") == {idea.id}
    assert ids("county=08&municipality=0880") == {need.id, offer.id}  # county-wide ads apply too
    assert ids("seeking=business") == {idea.id}
    assert ids("seeking=civil&kind=offer") == {offer.id}
    assert ids("sector=public") == {offer.id}
    assert ids("sector=civil&challenge=culture") == {idea.id}


def test_a_nationwide_ad_is_found_in_every_county(client, association):
    everywhere = factories.ad(org=association, county_code=None)

    items = client.get("/api/v1/ads?county=25").get_json()["items"]

    assert [item["id"] for item in items] == [everywhere.id]
    assert items[0]["county"] is None


def test_free_text_finds_swedish_word_forms_also_typed_without_accents(client, association, region):
    homework = factories.ad(
        org=association,
        title="Vi söker arabisktalande läxhjälpare",
        body="Läxhjälp i Norrliden på tisdagar; läxhjälpen behöver fler vuxna.",
        published_at=days_ago(5),
    )
    cafe = factories.ad(
        org=region,
        title="Språkcafé på biblioteket",
        body="Samtal på svenska över en kopp kaffe, ibland med läxhjälp.",
        published_at=days_ago(1),
    )
    factories.ad(org=region, title="Nattvandrare sökes", body="Trygghet i centrum.")

    def ids(q: str) -> list[int]:
        response = client.get("/api/v1/ads", query_string={"q": q})
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("språkcafé") == [cafe.id]
    assert ids("sprakcafe") == [cafe.id]  # typed without accents
    assert ids("läxhjälpare tisdag") == [homework.id]  # "tisdagar" stems like "tisdag"
    assert set(ids("läxhjälp")) == {homework.id, cafe.id}
    assert ids("ingenting-som-finns") == []


def test_the_organisation_list_has_the_documented_shape(client, region, association):
    response = client.get("/api/v1/organisations")

    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 2
    assert [item["name"] for item in body["items"]] == [
        "Läxhjälpen i Norrliden",
        "Region Kalmar län",
    ]
    assert all(set(item) == ORGANISATION_KEYS for item in body["items"])
    assert body["items"][1] == {
        "id": region.id,
        "ref": "o01",
        "name": "Region Kalmar län",
        "sector": "public",
        "form": "region",
        "org_number": "232100-0073",
        "county": "08",
        "municipality": None,
        "website": "https://regionkalmar.example.com",
        "email": region.email,
        "description": "Regionen erbjuder lokaler och handledning för självhjälpsgrupper.",
        "challenges": ["mental-health", "public-health"],
        "verified": True,
        "agreements": [],
        "verified_via": "domain",
        "verified_at": "2026-11-03T09:30:15Z",
        "url": f"http://localhost/organisationer/{region.id}-region-kalmar-lan",
    }
    assert response.headers["Cache-Control"] in {"public, max-age=60", "max-age=60, public"}


def test_organisations_can_be_searched_and_filtered(client, region, association):
    other = factories.organisation(
        name="Sociala Kooperativet Verkstan",
        sector=Sector.BUSINESS,
        county_code="12",
        municipality_code="1280",
        description="Arbetsintegrerande socialt företag med cykelverkstad.",
        challenges=("social-enterprise", "employment"),
    )

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/organisations?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["name"] for item in response.get_json()["items"]]

    assert names("q=självhjälpsgrupp") == ["Region Kalmar län"]
    assert names("q=sprakcafe") == ["Läxhjälpen i Norrliden"]
    assert names("sector=public") == ["Region Kalmar län"]
    assert names("sector=public&sector=business") == ["Region Kalmar län", other.name]
    assert names("county=12") == [other.name]
    assert names("challenge=education") == ["Läxhjälpen i Norrliden"]
    assert names("challenge=education,employment") == ["Läxhjälpen i Norrliden", other.name]
    assert names("per_page=1&page=2") == ["Region Kalmar län"]


def test_one_organisation_and_an_unknown_one(client, region):
    assert client.get(f"/api/v1/organisations/{region.id}").get_json()["ref"] == "o01"
    response = client.get("/api/v1/organisations/424242")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/ads?page=abc", "page"),
        ("/api/v1/ads?page=0", "page"),
        ("/api/v1/ads?page=-1", "page"),
        ("/api/v1/ads?page=1.5", "page"),
        ("/api/v1/ads?page=99999999999999999999", "page"),
        ("/api/v1/ads?per_page=1000", "per_page"),
        ("/api/v1/ads?per_page=0", "per_page"),
        ("/api/v1/ads?kind=foo", "kind"),
        ("/api/v1/ads?kind=need&kind=foo", "kind"),
        ("/api/v1/ads?county=99", "county"),
        ("/api/v1/ads?municipality=9999", "municipality"),
        ("/api/v1/ads?county=08&municipality=1280", "municipality"),
        ("/api/v1/ads?challenge=nope", "challenge"),
        ("/api/v1/ads?seeking=press", "seeking"),
        ("/api/v1/ads?sector=private", "sector"),
        ("/api/v1/ads?q=" + "x" * 201, "q"),
        ("/api/v1/organisations?page=abc", "page"),
        ("/api/v1/organisations?per_page=1000", "per_page"),
        ("/api/v1/organisations?sector=foo", "sector"),
        ("/api/v1/organisations?county=99", "county"),
        ("/api/v1/organisations?challenge=nope", "challenge"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(client, url, parameter):
    response = client.get(url)

    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request"
    assert body["parameter"] == parameter
    assert body["message"]


def test_odd_free_text_is_no_error(client, association):
    factories.ad(org=association)

    for q in ['"', "AND OR NOT", "*", "läx*", "'; DROP TABLE ad; --", "🙂", "   ", "NEAR(a b)"]:
        response = client.get("/api/v1/ads", query_string={"q": q})
        assert response.status_code == 200, q


def test_unknown_api_addresses_answer_in_json(client):
    response = client.get("/api/v1/annonser")

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_the_api_is_read_only_and_needs_no_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/api/v1/ads", json={"title": "x"})

    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_the_openapi_document_describes_every_path(app, client):
    response = client.get("/api/v1/openapi.json")

    document = response.get_json()
    assert response.status_code == 200
    assert document["openapi"].startswith("3.1")
    routes = {
        rule.rule.removeprefix("/api/v1")
        .replace("<int:ad_id>", "{id}")
        .replace("<int:organisation_id>", "{id}")
        .replace("<slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and "<path:" not in rule.rule
        and rule.rule != "/api/v1/"
    }
    assert routes == set(document["paths"])
    parameters = document["components"]["parameters"]
    assert parameters["kind"]["schema"]["items"]["enum"] == ["need", "offer", "idea"]
    assert parameters["sector"]["schema"]["items"]["enum"] == ["public", "civil", "business"]
    assert parameters["seeking"]["schema"]["items"]["enum"] == ["public", "civil", "business"]
    assert len(parameters["challenge"]["schema"]["items"]["enum"]) == 18
    assert len(parameters["county"]["schema"]["enum"]) == 21
    assert parameters["per_page"]["schema"]["maximum"] == 100
    list_ads = document["paths"]["/ads"]["get"]
    assert {"200", "400"} <= set(list_ads["responses"])
    assert "404" in document["paths"]["/ads/{id}"]["get"]["responses"]
    schemas = document["components"]["schemas"]
    assert set(schemas["Ad"]["required"]) == AD_KEYS
    assert set(schemas["Organisation"]["required"]) == ORGANISATION_KEYS


def test_the_openapi_schemas_match_what_the_api_returns(client, association, region):
    """Every key the API sends is described, and every described key is sent."""
    factories.ad(org=association)
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    ad = client.get("/api/v1/ads").get_json()["items"][0]
    organisation = client.get("/api/v1/organisations").get_json()["items"][0]

    assert set(ad) == set(schemas["Ad"]["properties"])
    assert set(ad["organisation"]) == set(schemas["AdOrganisation"]["properties"])
    assert set(organisation) == set(schemas["Organisation"]["properties"])
    assert ad["status"] in schemas["Ad"]["properties"]["status"]["enum"]
    assert organisation["form"] in schemas["Organisation"]["properties"]["form"]["enum"]


def test_the_api_index_links_to_its_parts(client):
    body = client.get("/api/v1/").get_json()

    assert body["openapi"].endswith("/api/v1/openapi.json")
    assert body["ads"].endswith("/api/v1/ads")


def test_imported_records_carry_their_refs_in_the_api(app, client):
    from marketplace.imports import services as imports

    imports.import_data(
        {
            "organisations": [
                {
                    "ref": "kalmar-kommun",
                    "name": "Kalmar kommun",
                    "org_number": "212000-0746",
                    "sector": "public",
                    "county": "08",
                    "municipality": "0880",
                    "description": "Kommunen söker idéburna partner för IOP.",
                    "challenges": ["violence-prevention"],
                    "verified_via": "domain",
                    "domains": ["kalmar.se"],
                }
            ],
            "ads": [
                {
                    "ref": "iop-kvinnojour",
                    "organisation": "kalmar-kommun",
                    "kind": "need",
                    "title": "Kalmar kommun söker IOP-partner för skyddat boende",
                    "body": "Vi vill ingå ett idéburet offentligt partnerskap med en kvinnojour.",
                    "challenges": ["violence-prevention"],
                    "county": "08",
                    "municipality": "0880",
                    "seeking": ["civil"],
                    "published": today().isoformat(),
                }
            ],
        }
    )
    db.session.expire_all()

    [item] = client.get("/api/v1/ads?q=kvinnojour").get_json()["items"]

    assert item["ref"] == "iop-kvinnojour"
    assert item["organisation"]["ref"] == "kalmar-kommun"
    assert item["published"] == today().isoformat()
    assert item["expires"] == (today() + timedelta(days=90)).isoformat()
    organisations = client.get("/api/v1/organisations?q=kalmar").get_json()["items"]
    assert [o["form"] for o in organisations] == ["kommun"]
