"""The regional Överenskommelser: pages, editing by the right people, signatory claims confirmed
only by the right people, the badge, the directory and search filters, and the figures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.agreements import services
from marketplace.agreements.models import Agreement, Signatory
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import LegalForm, Role, Sector
from marketplace.search.services import AdQuery, search_ads
from tests import factories
from tests.conftest import log_in


@pytest.fixture
def seeded(app):
    services.seed_agreements()


def region(verified: bool = True, county_code: str = "08"):
    return factories.organisation(
        name="Region Kalmar län",
        sector=Sector.PUBLIC,
        legal_form=LegalForm.REGION,
        county_code=county_code,
        verified_at=utcnow() if verified else None,
    )


def claimant():
    """A member of an association in Kalmar län that says it has signed."""
    return factories.member()


def fresh_signatory(signatory_id):
    db.session.expire_all()
    return db.session.get(Signatory, signatory_id)


def test_the_four_public_agreements_have_pages(client, seeded):
    index = client.get("/overenskommelser").get_data(as_text=True)
    for code, year in (("12", "2010"), ("14", "2014"), ("05", "2018"), ("08", "2021")):
        page = client.get(f"/overenskommelser/{code}")
        assert page.status_code == 200
        assert year in page.get_data(as_text=True)
        assert f"/overenskommelser/{code}" in index
    assert "Idéburna Nätverket Kalmar län" in client.get("/overenskommelser/08").get_data(
        as_text=True
    )
    assert client.get("/overenskommelser/01").status_code == 404
    assert client.get("/overenskommelser/99").status_code == 404


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("site-admin", True),
        ("verified-region-admin", True),
        ("unverified-region-admin", False),
        ("region-member", False),
        ("county-moderator", False),
        ("anyone", False),
    ],
)
def test_only_site_admins_and_the_verified_region_admins_edit(client, seeded, who, allowed):
    if who == "site-admin":
        person = factories.user(is_site_admin=True)
    elif who in ("verified-region-admin", "unverified-region-admin", "region-member"):
        role = Role.MEMBER if who == "region-member" else Role.ADMIN
        person = factories.member(org=region(verified=who != "unverified-region-admin"), role=role)
    elif who == "county-moderator":
        person = factories.user()
        factories.county_moderator(person, "08")
    else:
        person = factories.member()
    log_in(client, person)
    data = {
        "name": "Överenskommelsen i Kalmar län",
        "signed_year": "2021",
        "summary": "Ny text.",
        "url": "https://example.com/overenskommelse",
        "partners": "Idéburna Nätverket Kalmar län",
    }
    response = client.post("/overenskommelser/08/redigera", data=data)
    assert response.status_code == (303 if allowed else 403)
    db.session.expire_all()
    assert (db.session.get(Agreement, "08").summary == "Ny text.") is allowed


def test_a_bad_link_is_refused_at_the_field_and_the_input_kept(client, seeded):
    log_in(client, factories.user(is_site_admin=True))
    response = client.post(
        "/overenskommelser/08/redigera",
        data={
            "name": "Kalmar",
            "signed_year": "2021",
            "url": "javascript:alert(1)",
            "summary": "Text",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "https://" in html and 'value="Kalmar"' in html


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("verified-region-admin", True),
        ("county-moderator", True),
        ("site-admin", True),
        ("other-county-moderator", False),
        ("unverified-region-admin", False),
        ("claimant", False),
    ],
)
def test_a_claim_is_confirmed_only_by_the_right_people(client, seeded, who, allowed):
    member = claimant()
    log_in(client, member)
    assert client.post("/overenskommelser/08/undertecknat").status_code == 303
    signatory = db.session.scalar(sa.select(Signatory))
    assert signatory.confirmed_at is None
    if who == "claimant":
        person = member
    elif who == "site-admin":
        person = factories.user(is_site_admin=True)
    elif who.endswith("county-moderator"):
        person = factories.user()
        factories.county_moderator(person, "12" if who.startswith("other") else "08")
    else:
        person = factories.member(org=region(verified=who == "verified-region-admin"))
    log_in(client, person)
    response = client.post(f"/overenskommelser/08/undertecknare/{signatory.id}/bekrafta")
    assert response.status_code == (303 if allowed else 403)
    assert (fresh_signatory(signatory.id).confirmed_at is not None) is allowed


def test_a_double_claim_is_one_claim(client, seeded):
    log_in(client, claimant())
    client.post("/overenskommelser/08/undertecknat")
    response = client.post("/overenskommelser/08/undertecknat", follow_redirects=True)
    assert response.status_code == 200
    assert "redan anmält" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Signatory.id))) == 1


def confirmed_signatory():
    member = claimant()
    org = member.acting_organisation
    db.session.add(Signatory(county_code="08", organisation_id=org.id, confirmed_at=utcnow()))
    db.session.commit()
    return org


def test_confirmed_signatories_get_the_badge_and_the_agreement_lists_them(client, seeded):
    org = confirmed_signatory()
    pending = claimant().acting_organisation
    db.session.add(Signatory(county_code="08", organisation_id=pending.id))
    db.session.commit()
    page = client.get(f"/organisationer/{org.id}-{org.slug}").get_data(as_text=True)
    assert "Undertecknare av Överenskommelsen" in page
    other = client.get(f"/organisationer/{pending.id}-{pending.slug}").get_data(as_text=True)
    assert "Undertecknare av Överenskommelsen" not in other
    agreement = client.get("/overenskommelser/08").get_data(as_text=True)
    assert org.name in agreement and pending.name not in agreement
    directory = client.get("/organisationer/").get_data(as_text=True)
    assert directory.count("badge-agreement") == 1


def test_the_directory_and_search_filter_on_signatories(client, seeded):
    org = confirmed_signatory()
    other = factories.organisation(name="Föreningen Utan Underskrift")
    factories.ad(org=org, title="Annons av undertecknare")
    factories.ad(org=other, title="Annons av någon annan")
    directory = client.get("/organisationer/?undertecknare=y").get_data(as_text=True)
    assert org.name in directory and "Föreningen Utan Underskrift" not in directory
    result = search_ads(AdQuery(signatories=True))
    assert [ad.title for ad in result.items] == ["Annons av undertecknare"]
    page = client.get("/annonser?undertecknare=y").get_data(as_text=True)
    assert "Annons av undertecknare" in page and "Annons av någon annan" not in page


def test_the_iop_check_links_to_the_regions_agreement(app, seeded):
    from marketplace.partnerships.services import agreement_page_url

    with app.test_request_context():
        assert agreement_page_url("08") == "http://localhost/overenskommelser/08"
        assert agreement_page_url("01") is None
