"""Crises and agreements for other systems: the JSON API, the CLI and the import's "crisis" field."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.agreements import services as agreements
from marketplace.agreements.models import Signatory
from marketplace.clock import today, utcnow
from marketplace.crises import services
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.imports import services as imports
from marketplace.moderation.models import ActionKind, ModerationAction
from tests import factories


def admin():
    return factories.user(is_site_admin=True, email="admin@example.com")


def declare(actor=None, **overrides) -> Crisis:
    values = {
        "name": "Mottagande från Ukraina",
        "description": "Boende, språkstöd och kläder.",
        "lead": "Region Kalmar län",
        "county_codes": ["08"],
        "nationwide": False,
        "starts_on": today(),
        "ends_on": today() + timedelta(days=60),
        "challenge": "integration",
        **overrides,
    }
    return services.declare_crisis(actor or admin(), **values)


def test_the_api_lists_active_and_ended_crises_with_counties_dates_and_counts(client):
    active = declare()
    boss = factories.user(is_site_admin=True)
    ended = declare(boss, name="Skogsbrand", county_codes=["21"], challenge="crisis-preparedness")
    services.end_crisis(boss, ended, "Släckt.")
    factories.ad(title="Boende behövs", crisis=active)
    body = client.get("/api/v1/crises").get_json()
    by_slug = {item["slug"]: item for item in body["items"]}
    assert by_slug[active.slug]["status"] == "active"
    assert by_slug[active.slug]["counties"] == ["08"]
    assert by_slug[active.slug]["counts"]["ads"] == 1
    assert by_slug[ended.slug]["status"] == "ended"
    assert by_slug[ended.slug]["ends"] == today().isoformat()
    one = client.get(f"/api/v1/crises/{active.slug}").get_json()
    assert one["name"] == "Mottagande från Ukraina" and one["lead"] == "Region Kalmar län"
    assert client.get("/api/v1/crises/finns-inte").status_code == 404


def test_ads_carry_their_crisis_and_can_be_filtered_by_it(client):
    crisis = declare()
    tagged = factories.ad(title="Språkstöd behövs", crisis=crisis)
    factories.ad(title="Annan annons")
    items = client.get(f"/api/v1/ads?crisis={crisis.slug}").get_json()["items"]
    assert [item["id"] for item in items] == [tagged.id]
    assert items[0]["crisis"] == crisis.slug
    others = client.get("/api/v1/ads").get_json()["items"]
    assert {item["crisis"] for item in others} == {crisis.slug, None}
    bad = client.get("/api/v1/ads?crisis=finns-inte")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "crisis"


def test_the_api_lists_agreements_and_organisations_carry_theirs(client):
    agreements.seed_agreements()
    org = factories.organisation(name="Idéburna Nätverket Kalmar län")
    db.session.add(Signatory(county_code="08", organisation_id=org.id, confirmed_at=utcnow()))
    pending = factories.organisation(name="Väntar")
    db.session.add(Signatory(county_code="08", organisation_id=pending.id))
    db.session.commit()
    items = {item["county"]: item for item in client.get("/api/v1/agreements").get_json()["items"]}
    assert set(items) == {"05", "08", "12", "14"}
    assert items["12"]["signed_year"] == 2010
    assert [item["name"] for item in items["08"]["signatories"]] == [
        "Idéburna Nätverket Kalmar län"
    ]
    assert client.get(f"/api/v1/organisations/{org.id}").get_json()["agreements"] == ["08"]
    assert client.get(f"/api/v1/organisations/{pending.id}").get_json()["agreements"] == []


def test_the_cli_declares_extends_and_ends(app):
    admin()
    runner = app.test_cli_runner()
    ends = (today() + timedelta(days=30)).isoformat()
    result = runner.invoke(
        args=[
            "crisis",
            "declare",
            "--by",
            "admin@example.com",
            "--name",
            "Storm i Kalmar län",
            "--description",
            "Träd över vägarna.",
            "--lead",
            "Länsstyrelsen",
            "--county",
            "08",
            "--ends",
            ends,
        ]
    )
    assert result.exit_code == 0, result.output
    slug = result.output.strip()
    new_end = (today() + timedelta(days=40)).isoformat()
    result = runner.invoke(
        args=[
            "crisis",
            "extend",
            slug,
            "--by",
            "admin@example.com",
            "--until",
            new_end,
            "--reason",
            "Mer tid behövs.",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["crisis", "end", slug, "--by", "admin@example.com", "--reason", "Över."]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    crisis = db.session.scalar(sa.select(Crisis).where(Crisis.slug == slug))
    assert crisis.ends_on.isoformat() == new_end and crisis.ended_at is not None
    actions = list(
        db.session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
    )
    assert actions == [ActionKind.DECLARE_CRISIS, ActionKind.EXTEND_CRISIS, ActionKind.END_CRISIS]


def test_the_cli_refuses_what_the_pages_refuse(app):
    factories.user(email="member@example.com")
    result = app.test_cli_runner().invoke(
        args=[
            "crisis",
            "declare",
            "--by",
            "member@example.com",
            "--name",
            "X",
            "--description",
            "Y",
            "--lead",
            "Z",
            "--county",
            "08",
            "--ends",
            (today() + timedelta(days=5)).isoformat(),
        ]
    )
    assert result.exit_code != 0
    assert "administratörer och länsmoderatorer" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Crisis.id))) == 0


def import_document(**ad) -> dict:
    return {
        "organisations": [
            {
                "ref": "o1",
                "name": "Röda Korset Kalmar",
                "sector": "civil",
                "county": "08",
                "description": "Frivilliga i Kalmar.",
                "challenges": ["crisis-preparedness"],
            }
        ],
        "ads": [
            {
                "ref": "a1",
                "organisation": "o1",
                "kind": "need",
                "title": "Tolkar behövs",
                "body": "Vi behöver tolkar.",
                "challenges": ["integration"],
                "county": "08",
                "seeking": ["civil"],
                "published": today().isoformat(),
                **ad,
            }
        ],
    }


def test_an_imported_ad_may_name_an_active_crisis_and_its_expiry_is_capped(app):
    crisis = declare()
    imports.import_data(
        import_document(crisis=crisis.slug, expires=(today() + timedelta(days=300)).isoformat())
    )
    ad = db.session.scalar(sa.select(Ad))
    assert ad.crisis_id == crisis.id
    assert ad.expires_on == crisis.ends_on + timedelta(days=14)


def test_the_import_refuses_unknown_or_uncovered_crises(app):
    crisis = declare()
    for value, problem in (
        ("finns-inte", 'ads[0].crisis: unknown crisis "finns-inte"'),
        (crisis.slug, f'ads[0].crisis: the crisis "{crisis.slug}" does not cover county 12'),
    ):
        document = import_document(crisis=value)
        if value == crisis.slug:
            document["ads"][0]["county"] = "12"
        try:
            imports.import_data(document)
        except imports.ImportRejected as rejected:
            assert problem in rejected.problems
        else:
            raise AssertionError("imported")
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 0


def test_the_openapi_document_describes_crises_and_agreements_as_sent(client):
    agreements.seed_agreements()
    declare()
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    crisis = client.get("/api/v1/crises").get_json()["items"][0]
    agreement = client.get("/api/v1/agreements").get_json()["items"][0]
    assert set(crisis) == set(schemas["Crisis"]["properties"]) == set(schemas["Crisis"]["required"])
    assert set(crisis["counts"]) == set(schemas["Crisis"]["properties"]["counts"]["required"])
    assert set(agreement) == set(schemas["Agreement"]["properties"])
    assert crisis["status"] in schemas["Crisis"]["properties"]["status"]["enum"]
