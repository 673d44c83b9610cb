"""The demo data for `make run`: imports cleanly, covers the whole taxonomy, never looks stale."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import LegalForm, Organisation, Sector
from tests import factories

REAL_NUMBERS = Path(__file__).parent / "data" / "orgnr_examples.csv"


def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    db.session.expire_all()
    return result


def test_the_demo_loads_through_the_import_and_only_into_an_empty_database(app):
    first = seed(app, "--if-empty")
    again = seed(app, "--if-empty")

    assert first.exit_code == 0, first.output
    assert "organisations: 32 created" in first.output and "ads: 80 created" in first.output
    assert "not loaded" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 80


def test_the_demo_is_not_loaded_over_real_data(app):
    factories.organisation()

    result = seed(app, "--if-empty")

    assert "not loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 0


def test_the_demo_covers_every_challenge_many_counties_and_all_sectors(app):
    seed(app)
    organisations = db.session.scalars(sa.select(Organisation)).all()
    ads = db.session.scalars(sa.select(Ad)).all()

    assert 25 <= len(organisations) <= 35
    assert 70 <= len(ads) <= 90
    ad_challenges = set(db.session.scalars(sa.select(AdChallenge.challenge)))
    assert ad_challenges == set(reference.challenges())
    assert len({ad.county_code for ad in ads if ad.county_code}) >= 8
    assert any(ad.county_code is None for ad in ads)  # some ads are for all of Sweden
    assert {org.sector for org in organisations} == set(Sector)
    forms = Counter(org.legal_form for org in organisations)
    for form in (
        LegalForm.REGION,
        LegalForm.MUNICIPALITY,
        LegalForm.STATE_AGENCY,
        LegalForm.NONPROFIT_ASSOCIATION,
        LegalForm.COOPERATIVE,
        LegalForm.FOUNDATION,
        LegalForm.FAITH_COMMUNITY,
        LegalForm.LIMITED_COMPANY,
    ):
        assert forms[form] >= 1, form
    assert {ad.kind.value for ad in ads} == {"need", "offer", "idea"}
    assert all(org.description and org.challenge_slugs for org in organisations)
    text = " ".join(f"{ad.title} {ad.body}" for ad in ads).lower()
    assert "lorem" not in text and "ipsum" not in text


def test_demo_dates_follow_today_so_the_demo_never_looks_stale(app):
    seed(app)
    ads = db.session.scalars(sa.select(Ad)).all()
    published = [ad.published_at.date() for ad in ads]

    assert max(published) == today()
    assert min(published) >= today() - timedelta(days=60)
    assert all(
        today() + timedelta(days=30) <= ad.expires_on <= today() + timedelta(days=120) for ad in ads
    )


def test_demo_organisations_carry_only_their_own_real_org_numbers(app):
    with open(REAL_NUMBERS, encoding="utf-8") as handle:
        real = {row["orgnr"]: row["name"] for row in csv.DictReader(handle)}
    seed(app)

    numbered = db.session.scalars(
        sa.select(Organisation).where(Organisation.org_number.is_not(None))
    ).all()

    assert numbered
    for organisation in numbered:
        assert real.get(organisation.org_number) == organisation.name


def test_the_demo_ads_are_searchable_in_swedish(app, client):
    seed(app)

    body = client.get("/api/v1/ads", query_string={"q": "läxhjälpare", "county": "08"}).get_json()

    assert body["total"] >= 1
    assert body["items"][0]["organisation"]["name"] == "Läxhjälpen Norrliden"
