"""Registering, editing, showing and verifying organisations, through HTTP as people use them."""

import re

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations import orgnr
from marketplace.organisations.models import LegalForm, Membership, Organisation, Role, Sector
from tests import factories
from tests.conftest import BOOSTED, HTMX, log_in


def in_swedish(app, lazy_text) -> str:
    with app.test_request_context():
        return str(lazy_text)


def form_data(**overrides) -> dict:
    return {
        "name": "Språkcafé Kalmar",
        "org_number": "",
        "sector": "civil",
        "legal_form": "ideell-forening",
        "county": "08",
        "municipality": "0880",
        "website": "https://sprakcafe.example.com",
        "email": "hej@example.com",
        "description": "Vi driver språkcafé varje tisdag.\n\nAlla är välkomna.",
        "challenges": ["integration", "education"],
        **overrides,
    }


def selected(html: str, value: str) -> bool:
    return re.search(rf'<option selected value="{re.escape(value)}">', html) is not None


def checked(html: str, name: str, value: str) -> bool:
    pattern = rf'<input checked[^>]*name="{name}"[^>]*value="{re.escape(value)}"'
    return re.search(pattern, html) is not None


def organisations() -> list[Organisation]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.id)))


# --- Registering ---------------------------------------------------------------------------


def test_registering_an_organisation_makes_the_creator_its_administrator_and_acting_member(
    app, user
):
    client = log_in(app.test_client(), user, form=True)
    response = client.post(
        "/organisationer/ny", data=form_data(org_number="16 802002 8711", website="www.example.se")
    )
    assert response.status_code == 303
    [organisation] = organisations()
    assert response.headers["Location"] == f"/organisationer/{organisation.id}-sprakcafe-kalmar"
    assert organisation.org_number == "802002-8711"
    assert organisation.website == "https://www.example.se"
    assert organisation.sector is Sector.CIVIL
    assert organisation.legal_form is LegalForm.NONPROFIT_ASSOCIATION
    assert organisation.challenge_slugs == ["education", "integration"]
    assert "sprakcaf" in organisation.search_terms.split()
    [membership] = organisation.memberships
    assert membership.user_id == user.id and membership.role is Role.ADMIN
    assert db.session.get(type(user), user.id).acting_organisation_id == organisation.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Organisationen är skapad." in page


def test_the_registration_form_lists_every_municipality_grouped_by_county_without_javascript(
    app, user
):
    html = (
        log_in(app.test_client(), user, form=True).get("/organisationer/ny").get_data(as_text=True)
    )
    assert html.count("<optgroup") == 21
    assert '<optgroup label="Kalmar län">' in html and '<option value="1280">Malmö</option>' in html


def test_choosing_a_county_with_htmx_narrows_the_municipality_list_to_that_county(app, user):
    client = log_in(app.test_client(), user, form=True)
    response = client.get("/kommuner?county=08&municipality=0880", headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="municipality-field">')
    assert selected(html, "0880") and "Borgholm" in html
    assert "Malmö" not in html and "<optgroup" not in html and "<html" not in html


def test_an_unconfirmed_user_is_sent_to_confirm_their_address_first(app):
    client = log_in(app.test_client(), factories.user(confirmed=False), form=True)
    response = client.post("/organisationer/ny", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"
    assert organisations() == []


def test_anonymous_visitors_are_asked_to_log_in_before_registering(client):
    response = client.get("/organisationer/ny")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in?next=/organisationer/ny")
    assert client.post("/organisationer/ny", data=form_data()).status_code == 302
    assert organisations() == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12345", orgnr.FORMAT_MESSAGE),
        ("551900-1233", orgnr.PERSONAL_NUMBER_MESSAGE),
        ("802002-8712", orgnr.CHECK_DIGIT_MESSAGE),
    ],
)
def test_a_bad_organisation_number_is_explained_and_everything_typed_is_kept(
    app, user, typed, message
):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(org_number=typed)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert in_swedish(app, message) in html
    assert f'value="{typed}"' in html
    assert 'value="Språkcafé Kalmar"' in html
    assert 'value="https://sprakcafe.example.com"' in html and 'value="hej@example.com"' in html
    assert "Vi driver språkcafé varje tisdag." in html
    assert checked(html, "sector", "civil") and selected(html, "ideell-forening")
    assert selected(html, "08") and selected(html, "0880")
    assert checked(html, "challenges", "integration") and checked(html, "challenges", "education")
    assert organisations() == []


def test_two_organisations_cannot_register_the_same_number(app, user):
    factories.organisation(org_number="802002-8711")
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(org_number="8020028711")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "har redan registrerat det här organisationsnumret" in html
    assert 'value="8020028711"' in html and 'value="Språkcafé Kalmar"' in html
    assert len(organisations()) == 1


def test_a_municipality_outside_the_chosen_county_is_refused(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(county="01", municipality="1280")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Malmö ligger inte i Stockholms län" in html
    assert selected(html, "01") and selected(html, "1280")
    assert 'value="Språkcafé Kalmar"' in html
    assert organisations() == []


def test_at_least_one_challenge_must_be_chosen(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(challenges=[])
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Välj minst en samhällsutmaning." in html
    assert 'value="Språkcafé Kalmar"' in html and selected(html, "0880")
    assert organisations() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Skriv organisationens namn."),
        ("name", "   ", "Skriv organisationens namn."),
        ("name", "x" * 201, "200"),
        ("website", "ftp://example.se", "börjar med http:// eller https://"),
        ("email", "inte-en-adress", "Ange en giltig e-postadress"),
        ("description", "x" * 5001, "högst 5 000 tecken"),
        ("county", "99", "Välj län."),
        ("sector", "kyrka", "Välj ett av alternativen."),
    ],
)
def test_other_bad_input_is_refused_next_to_its_field(app, user, field, value, message):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(**{field: value})
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert organisations() == []


def test_invisible_control_characters_are_dropped_before_saving(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny",
        data=form_data(name="Noll\x00byte  förening", description="Rad ett\x00\r\nRad två"),
    )
    assert response.status_code == 303
    [organisation] = organisations()
    assert organisation.name == "Nollbyte förening"
    assert organisation.description == "Rad ett\nRad två"


def test_leaving_the_number_field_suggests_sector_and_legal_form_inline(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny",
        data={"org_number": "802002-8711", "validate_only": "1", "name": ""},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="organisation-form"') and "<html" not in html
    assert "Numret börjar med 8 – ofta en ideell förening eller stiftelse" in html
    assert checked(html, "sector", "civil") and selected(html, "ideell-forening")
    assert "Skriv organisationens namn." not in html  # fields not reached yet get no errors
    assert organisations() == []


def test_the_inline_check_reports_a_bad_number_at_once(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data={"org_number": "551900-1233", "validate_only": "1"}, headers=HTMX
    )
    assert response.status_code == 422
    assert in_swedish(app, orgnr.PERSONAL_NUMBER_MESSAGE) in response.get_data(as_text=True)


def test_the_inline_check_never_overrides_what_the_user_chose(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny",
        data={"org_number": "556448-1397", "sector": "civil", "validate_only": "1"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert "Numret börjar med 5 – ofta ett aktiebolag" in html
    assert checked(html, "sector", "civil") and not checked(html, "sector", "business")
    assert selected(html, "aktiebolag")  # legal form was still empty


def test_without_javascript_the_suggestion_appears_when_the_form_comes_back(app, user):
    response = log_in(app.test_client(), user, form=True).post(
        "/organisationer/ny", data=form_data(org_number="556448-1397", sector="", legal_form="")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Numret börjar med 5 – ofta ett aktiebolag" in html
    assert checked(html, "sector", "business") and selected(html, "aktiebolag")
    assert "Förvalt utifrån organisationsnumret" in html  # nothing is saved on a guess
    assert organisations() == []


# --- Editing -------------------------------------------------------------------------------


def test_an_administrator_edits_the_profile_and_the_search_index_and_ads_follow(app):
    admin = factories.member()
    organisation = admin.acting_organisation
    ad = factories.ad(org=organisation)
    old_slug = organisation.slug
    client = log_in(app.test_client(), admin, form=True)
    form = client.get(f"/organisationer/{organisation.id}/redigera").get_data(as_text=True)
    assert f'value="{organisation.name}"' in form and selected(form, "0880")
    response = client.post(
        f"/organisationer/{organisation.id}/redigera",
        data=form_data(name="Kalmar Läxhjälp", description="Läxhjälp för alla."),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organisationer/{organisation.id}-kalmar-laxhjalp"
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation.id)
    assert organisation.name == "Kalmar Läxhjälp"
    assert {"kalm", "laxhjalp"} <= set(organisation.search_terms.split())
    assert "sprakcaf" not in organisation.search_terms.split()
    assert "laxhjalp" in db.session.get(Ad, ad.id).search_terms.split()
    old = client.get(f"/organisationer/{organisation.id}-{old_slug}")
    assert old.status_code == 301 and old.headers["Location"].endswith("-kalmar-laxhjalp")


def test_an_organisation_may_keep_its_own_number_when_editing(app):
    organisation = factories.organisation(org_number="802002-8711")
    admin = factories.member(org=organisation)
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/redigera", data=form_data(org_number="802002-8711")
    )
    assert response.status_code == 303


def test_editing_cannot_take_another_organisations_number(app):
    factories.organisation(org_number="556448-1397")
    admin = factories.member()
    organisation_id = admin.acting_organisation_id
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation_id}/redigera", data=form_data(org_number="556448-1397")
    )
    assert response.status_code == 422
    assert db.session.get(Organisation, organisation_id).org_number is None


@pytest.mark.parametrize("role", [Role.MEMBER, None])
def test_only_administrators_may_edit_and_nothing_changes_for_others(app, role):
    organisation = factories.organisation(name="Originalet")
    other = factories.member(role=role, org=organisation) if role else factories.member()
    client = log_in(app.test_client(), other, form=True)
    url = f"/organisationer/{organisation.id}/redigera"
    assert client.get(url).status_code == 403
    assert client.post(url, data=form_data(name="Kapad")).status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Originalet"


def test_anonymous_visitors_are_asked_to_log_in_before_editing(client):
    organisation = factories.organisation()
    response = client.post(f"/organisationer/{organisation.id}/redigera", data=form_data())
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]


def test_editing_an_organisation_that_does_not_exist_is_404(app):
    assert (
        log_in(app.test_client(), factories.member(), form=True)
        .get("/organisationer/9999/redigera")
        .status_code
        == 404
    )


# --- The organisation page -----------------------------------------------------------------


def test_the_organisation_page_shows_the_profile_in_words(client):
    organisation = factories.organisation(
        name="Röda Korset Kalmar",
        org_number="802002-8711",
        website="https://rodakorset.example.com",
        description="Första stycket <script>alert(1)</script>\n\nAndra stycket",
        challenges=("integration", "crisis-preparedness"),
    )
    response = client.get(f"/organisationer/{organisation.id}-{organisation.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in html and html.count("<h1") == 1
    canonical = f'<link rel="canonical" href="http://localhost/organisationer/{organisation.id}-'
    assert canonical in html
    assert "Idéburen sektor" in html and "Ideell förening" in html
    assert "Kalmar län" in html and "Kalmar" in html and "802002-8711" in html
    assert '<a href="https://rodakorset.example.com" rel="nofollow noopener">' in html
    assert 'href="mailto:' + organisation.email + '"' in html
    assert "<p>Första stycket &lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "<p>Andra stycket</p>" in html
    assert "Integration och etablering" in html and "Kris och beredskap" in html
    assert "Redigera uppgifterna" not in html and "Medlemmar</a>" not in html


def test_a_wrong_slug_or_a_bare_id_redirects_permanently_to_the_canonical_address(client):
    organisation = factories.organisation(name="Kalmar Läxhjälp", slug="kalmar-laxhjalp")
    for path in (
        f"/organisationer/{organisation.id}-gammalt-namn",
        f"/organisationer/{organisation.id}",
    ):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"] == f"/organisationer/{organisation.id}-kalmar-laxhjalp"


def test_an_unknown_organisation_is_404(client):
    assert client.get("/organisationer/4242-finns-inte").status_code == 404


def test_administrators_see_links_to_edit_and_manage_members(app):
    admin = factories.member()
    organisation = admin.acting_organisation
    html = (
        log_in(app.test_client(), admin, form=True)
        .get(f"/organisationer/{organisation.id}-{organisation.slug}")
        .get_data(as_text=True)
    )
    assert f'href="/organisationer/{organisation.id}/redigera"' in html
    assert f'href="/organisationer/{organisation.id}/medlemmar"' in html


def test_boosted_navigation_to_an_organisation_gets_the_whole_page(client):
    organisation = factories.organisation()
    response = client.get(f"/organisationer/{organisation.id}-{organisation.slug}", headers=BOOSTED)
    assert "<html" in response.get_data(as_text=True)


# --- Verification by site administrators -------------------------------------------------


def test_a_site_administrator_verifies_an_organisation_and_the_badge_shows_everywhere(app):
    organisation = factories.organisation(name="Verifierade Föreningen")
    site_admin = factories.user(is_site_admin=True)
    client = log_in(app.test_client(), site_admin, form=True)
    response = client.post(f"/organisationer/{organisation.id}/verifiera")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).is_verified
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "badge-verified" in page and "är nu markerad som verifierad" in page
    assert "badge-verified" in client.get("/organisationer/").get_data(as_text=True)
    # Taking it away needs a reason (it is mailed and logged); without one the form says so.
    refused = client.post(f"/organisationer/{organisation.id}/verifiering/aterkalla", data={"reason": ""})
    assert refused.status_code == 422 and "Skriv en motivering" in refused.get_data(as_text=True)
    revoked = client.post(
        f"/organisationer/{organisation.id}/verifiering/aterkalla",
        data={"reason": "Föreningen är upplöst enligt Bolagsverket."},
    )
    assert revoked.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Organisation, organisation.id).is_verified


def test_nobody_else_can_verify_and_nothing_changes(app, client):
    organisation = factories.organisation()
    admin_of_it = factories.member(org=organisation)
    assert (
        log_in(app.test_client(), admin_of_it, form=True)
        .post(f"/organisationer/{organisation.id}/verifiera")
        .status_code
        == 403
    )
    anonymous = client.post(f"/organisationer/{organisation.id}/verifiera")
    assert anonymous.status_code == 302 and "/konto/logga-in" in anonymous.headers["Location"]
    db.session.expire_all()
    assert not db.session.get(Organisation, organisation.id).is_verified


def test_a_second_registration_with_the_same_number_loses_the_race_cleanly(app, user, monkeypatch):
    """The unique index is the last guard when two people register the same number at once."""
    from marketplace.organisations import services

    details = services.OrganisationDetails(
        name="A",
        sector=Sector.CIVIL,
        legal_form=LegalForm.NONPROFIT_ASSOCIATION,
        county_code="08",
        challenges=["integration"],
        org_number="802002-8711",
    )
    services.create_organisation(user, details)
    second = factories.user()
    # The check ran before the first registration committed, so it saw nothing.
    monkeypatch.setattr(services, "find_by_org_number", lambda number, exclude_id=None: None)
    details.name = "B"  # another name: the number is what clashes
    with app.test_request_context(), pytest.raises(services.DuplicateOrgNumber):
        services.create_organisation(second, details)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1


def test_the_organisation_page_lists_its_open_ads_and_folds_the_ended_ones(client):
    org = factories.organisation(name="Språkcafé Kalmar", slug="sprakcafe-kalmar")
    factories.ad(org=org, title="Språkvänner sökes")
    factories.ad(org=org, title="Lokal hittad", status=AdStatus.PARTNER_FOUND)
    factories.ad(org=org, title="Dold annons", hidden_at=utcnow())
    html = client.get(f"/organisationer/{org.id}-sprakcafe-kalmar").get_data(as_text=True)
    assert "Öppna annonser" in html and "Språkvänner sökes" in html
    assert "<summary>Avslutade annonser (1)</summary>" in html
    assert html.index("Avslutade annonser") < html.index("Lokal hittad")
    assert "Dold annons" not in html
