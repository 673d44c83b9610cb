"""Who is who: reserved public-body names, near-duplicate names, verification by e-mail domain
and by review (with decision mails, appeal and revocation), losing it, and join requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.moderation.models import ActionKind, CountyModerator, ModerationAction
from marketplace.organisations.models import (
    ApplicationStatus,
    JoinRequest,
    JoinStatus,
    LegalForm,
    Membership,
    Organisation,
    PublicBodyDomain,
    Role,
    Sector,
    VerificationApplication,
)
from marketplace.organisations.names import public_bodies, reserved_body, skeleton
from tests import factories
from tests.conftest import log_in


def form_data(**overrides) -> dict:
    return {
        "name": "Region Kalmar län",
        "org_number": "",
        "sector": "public",
        "legal_form": "region",
        "county": "08",
        "municipality": "",
        "website": "",
        "email": "",
        "description": "Vi är regionen.",
        "challenges": ["integration"],
        "domains": "",
        **overrides,
    }


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, path_start: str) -> str:
    found = re.search(rf"http://localhost({re.escape(path_start)}\S+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def region(**overrides) -> Organisation:
    values = {
        "name": "Region Kalmar län",
        "sector": Sector.PUBLIC,
        "legal_form": LegalForm.REGION,
        "municipality_code": None,
        "public_body": "region-08",
        "domains": "regionkalmar.se",
        **overrides,
    }
    return factories.organisation(**values)


# --- The skeleton and the reserved names -------------------------------------------------------


def test_the_skeleton_sees_through_case_confusables_and_invisible_characters():
    plain = skeleton("Region Kalmar län")
    assert skeleton("REGION  KALMAR LÄN") == plain
    assert skeleton("Regi\u043en Kalmar län") == plain  # Cyrillic о
    assert skeleton("Region Kalm\u0430r län") == plain  # Cyrillic а
    assert skeleton("Region\u200b Kalmar län") == plain  # zero-width space
    assert skeleton("\u202eRegion Kalmar län\u202c") == plain  # right-to-left override
    assert skeleton("Ｒｅｇｉｏｎ Kalmar län") == plain  # full-width (NFKC)
    assert skeleton("Region Kalmar lan") != plain  # a different letter is a different name


def test_every_region_municipality_and_county_board_is_reserved_with_its_code():
    bodies = public_bodies()
    assert len([b for b in bodies.values() if b.kind == "region"]) == 21
    assert len([b for b in bodies.values() if b.kind == "kommun"]) == 290
    assert len([b for b in bodies.values() if b.kind == "lansstyrelse"]) == 21
    assert reserved_body("Kalmar kommun").code == "kommun-0880"
    assert reserved_body("Malmö stad").code == "kommun-1280"
    assert reserved_body("Göteborgs Stad").code == "kommun-1480"
    assert reserved_body("Region Gotland").code == "region-09"
    assert reserved_body("Länsstyrelsen i Kalmar län").code == "lansstyrelse-08"
    assert reserved_body("Linköpings kommun").code == "kommun-0580"
    assert reserved_body("Språkcafé Kalmar") is None


@pytest.mark.parametrize(
    "name",
    [
        "Region Kalmar län",
        "Regi\u043en Kalmar län",
        "Region\u200b Kalmar län",
        "\u202eRegion Kalmar län",
    ],
)
def test_a_new_account_cannot_register_a_region_and_keeps_what_it_typed(app, name):
    user = factories.user(email="anna@gmail.com")
    client = log_in(app.test_client(), user)
    response = client.post(
        "/organisationer/ny", data=form_data(name=name, description="Vårt eget.")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Det här namnet tillhör en offentlig organisation — be om att få gå med i den" in html
    assert "Vårt eget." in html and 'value="public"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_a_reserved_name_that_is_held_points_to_the_holder_and_to_joining(app):
    holder = region(verified_at=utcnow(), verified_via="domain", verified_domain="regionkalmar.se")
    client = log_in(app.test_client(), factories.user(email="eva@regionkalmar.se"))
    html = client.post("/organisationer/ny", data=form_data(name="REGION KALMAR LÄN")).get_data(
        as_text=True
    )
    assert f"/organisationer/{holder.id}-{holder.slug}" in html
    assert f"/organisationer/{holder.id}/ga-med" in html and "Begär att gå med" in html


def test_someone_at_the_bodys_own_domain_registers_it_and_proves_the_domain(app, outbox):
    user = factories.user(email="eva@regionkalmar.se")
    client = log_in(app.test_client(), user)
    response = client.post("/organisationer/ny", data=form_data())
    assert response.status_code == 303
    organisation = db.session.scalar(sa.select(Organisation))
    # The next step is proving the domain: the verification page offers the link.
    assert response.headers["Location"] == f"/organisationer/{organisation.id}/verifiering"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Skicka en bekräftelselänk till eva@regionkalmar.se" in page
    assert organisation.public_body == "region-08" and organisation.domain_list == [
        "regionkalmar.se"
    ]
    assert not organisation.is_verified
    # Until the domain is proven the public sees "Ej verifierad" by the name, once.
    page = app.test_client().get(f"/organisationer/{organisation.id}-region-kalmar-lan")
    assert page.get_data(as_text=True).count(">Ej verifierad<") == 1

    assert client.post(f"/organisationer/{organisation.id}/verifiering/doman").status_code == 303
    [message] = outbox
    assert message["To"] == "eva@regionkalmar.se"
    path = link_in(message, "/organisationer/doman/")
    assert "Bekräfta domänen" in client.get(path).get_data(as_text=True)
    assert not db.session.get(Organisation, organisation.id).is_verified  # a GET changes nothing
    assert client.post(path).status_code == 303
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation.id)
    assert (organisation.verified_via, organisation.verified_domain) == (
        "domain",
        "regionkalmar.se",
    )
    html = app.test_client().get("/organisationer/").get_data(as_text=True)
    assert "Verifierad via e-postdomän regionkalmar.se" in html


def test_a_near_duplicate_of_an_existing_name_is_refused_with_a_pointer(app):
    existing = factories.organisation(name="Språkcafé Kalmar")
    client = log_in(app.test_client(), factories.user())
    data = form_data(
        name="SPRÅKCAFÉ\u200b K\u0430LMAR", sector="civil", legal_form="ideell-forening"
    )
    response = client.post("/organisationer/ny", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Namnet är för likt Språkcafé Kalmar" in html
    assert f"/organisationer/{existing.id}/ga-med" in html
    assert "Vi är regionen." in html  # the description typed is kept


def test_an_organisation_may_keep_its_own_name_when_it_edits(app):
    organisation = factories.organisation(name="Språkcafé Kalmar")
    admin = factories.member(org=organisation)
    client = log_in(app.test_client(), admin)
    data = form_data(name="Språkcafé Kalmar", sector="civil", legal_form="ideell-forening")
    assert client.post(f"/organisationer/{organisation.id}/redigera", data=data).status_code == 303


# --- E-mail domain proof -------------------------------------------------------------------------


def test_a_free_mail_address_can_never_prove_a_domain(app, outbox):
    organisation = factories.organisation(domains="gmail.com")
    member = factories.member(org=organisation, email="forening@gmail.com")
    client = log_in(app.test_client(), member)
    page = client.get(f"/organisationer/{organisation.id}/verifiering").get_data(as_text=True)
    assert "gmail.com, en e-posttjänst som vem som helst kan använda" in page
    response = client.post(f"/organisationer/{organisation.id}/verifiering/doman")
    assert response.status_code == 422 and outbox == []
    assert not db.session.get(Organisation, organisation.id).is_verified


def test_free_mail_domains_cannot_be_listed_as_the_organisations_domains(app):
    organisation = factories.organisation(name="Läxhjälpen")
    admin = factories.member(org=organisation)
    client = log_in(app.test_client(), admin)
    data = form_data(
        name="Läxhjälpen", sector="civil", legal_form="ideell-forening", domains="yahoo.se"
    )
    response = client.post(f"/organisationer/{organisation.id}/redigera", data=data)
    assert response.status_code == 422
    assert "yahoo.se är en e-posttjänst" in response.get_data(as_text=True)


def test_a_domain_proof_link_works_only_for_the_member_it_was_sent_to(app, outbox):
    organisation = factories.organisation(
        name="Stadsmissionen", domains="stadsmissionen.example.org"
    )
    member = factories.member(org=organisation, email="kim@stadsmissionen.example.org")
    log_in(app.test_client(), member).post(f"/organisationer/{organisation.id}/verifiering/doman")
    path = link_in(outbox[0], "/organisationer/doman/")
    stranger = log_in(app.test_client(), factories.member(org=organisation))
    assert stranger.post(path).status_code == 403
    assert log_in(app.test_client(), member).get(path + "x").status_code == 404
    assert not db.session.get(Organisation, organisation.id).is_verified


# --- Manual review ------------------------------------------------------------------------------


APPLICATION = {
    "org_number": "802002-8711",
    "legal_form": "ideell-forening",
    "document_url": "https://example.org/stadgar.pdf",
    "contact_name": "Kim Berg",
    "contact_email": "kim@gmail.com",
    "contact_phone": "",
    "message": "",
}


def apply(app, organisation, admin, **overrides):
    client = log_in(app.test_client(), admin)
    return client.post(
        f"/organisationer/{organisation.id}/verifiering/ansok", data={**APPLICATION, **overrides}
    )


def test_a_county_moderator_cannot_verify_their_own_organisation(app, outbox):
    """A reviewer who is a member of the applicant organisation is not asked, does not see the
    application in the queue, and is refused when deciding it: no one verifies themself."""
    organisation = factories.organisation(name="Läxhjälpen i Norrliden", county_code="08")
    insider = factories.member(org=organisation, email="insider@example.com")
    db.session.add(CountyModerator(user_id=insider.id, county_code="08"))
    other = factories.user(email="moderator@example.com")
    db.session.add(CountyModerator(user_id=other.id, county_code="08"))
    db.session.commit()

    assert apply(app, organisation, insider).status_code == 303
    assert [m["To"] for m in outbox] == ["moderator@example.com"]
    application = db.session.scalar(sa.select(VerificationApplication))
    client = log_in(app.test_client(), insider)
    assert "Läxhjälpen i Norrliden" not in client.get("/organisationer/granskning").get_data(
        as_text=True
    )
    refused = client.post(
        f"/organisationer/granskning/{application.id}",
        data={"decision": "approve", "reason": "Stadgarna stämmer."},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).verified_at is None


def test_an_application_is_reviewed_by_the_countys_moderator_and_the_decision_is_mailed(
    app, outbox
):
    organisation = factories.organisation(name="Läxhjälpen i Norrliden", county_code="08")
    admin = factories.member(org=organisation, email="kim@gmail.com")
    moderator = factories.user(email="moderator@example.com")
    db.session.add(CountyModerator(user_id=moderator.id, county_code="08"))
    elsewhere = factories.user(email="skane@example.com")
    db.session.add(CountyModerator(user_id=elsewhere.id, county_code="12"))
    db.session.commit()

    refused = apply(app, organisation, admin, document_url="", org_number="123")
    assert refused.status_code == 422 and "Kim Berg" in refused.get_data(as_text=True)
    assert apply(app, organisation, admin).status_code == 303
    assert [m["To"] for m in outbox] == ["moderator@example.com"]
    outbox.clear()

    application = db.session.scalar(sa.select(VerificationApplication))
    assert log_in(app.test_client(), elsewhere).get("/organisationer/granskning").status_code == 200
    assert (
        log_in(app.test_client(), elsewhere)
        .post(
            f"/organisationer/granskning/{application.id}",
            data={"decision": "approve", "reason": "Ok"},
        )
        .status_code
        == 403
    )
    reviewer = log_in(app.test_client(), moderator)
    assert "Läxhjälpen i Norrliden" in reviewer.get("/organisationer/granskning").get_data(
        as_text=True
    )
    no_reason = reviewer.post(
        f"/organisationer/granskning/{application.id}", data={"decision": "approve", "reason": ""}
    )
    assert no_reason.status_code == 422
    done = reviewer.post(
        f"/organisationer/granskning/{application.id}",
        data={"decision": "approve", "reason": "Stadgar och protokoll stämmer med registret."},
    )
    assert done.status_code == 303
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation.id)
    assert organisation.verified_via == "review" and organisation.org_number == "802002-8711"
    [mail] = outbox
    assert mail["To"] == "kim@gmail.com"
    assert "är verifierad" in mail["Subject"] and "Stadgar och protokoll stämmer" in text_of(mail)
    log = db.session.scalar(sa.select(ModerationAction))
    assert log.action is ActionKind.VERIFY and log.target_id == organisation.id
    page = app.test_client().get(f"/organisationer/{organisation.id}-{organisation.slug}")
    assert "Verifierad efter granskning av Samverkanstorget" in page.get_data(as_text=True)


def test_a_rejection_is_mailed_with_its_reason_and_can_be_appealed_once_to_another_reviewer(
    app, outbox
):
    organisation = factories.organisation(name="Cykelköket")
    admin = factories.member(org=organisation, email="kim@gmail.com")
    first = factories.user(is_site_admin=True, email="first@example.com")
    second = factories.user(is_site_admin=True, email="second@example.com")
    apply(app, organisation, admin)
    outbox.clear()
    application = db.session.scalar(sa.select(VerificationApplication))
    log_in(app.test_client(), first).post(
        f"/organisationer/granskning/{application.id}",
        data={"decision": "reject", "reason": "Länken till stadgarna fungerar inte."},
    )
    [mail] = outbox
    assert "avslagen" in mail["Subject"] and "Länken till stadgarna fungerar inte." in text_of(mail)
    assert "omprövning" in text_of(mail)
    outbox.clear()

    client = log_in(app.test_client(), admin)
    appeal = client.post(
        f"/organisationer/{organisation.id}/verifiering/{application.id}/omprovning",
        data={"text": "Nu fungerar länken, vi har flyttat filen."},
    )
    assert appeal.status_code == 303
    again = client.post(
        f"/organisationer/{organisation.id}/verifiering/{application.id}/omprovning",
        data={"text": "Och en gång till, för säkerhets skull."},
    )
    assert again.status_code == 422
    appeal_row = db.session.scalar(
        sa.select(VerificationApplication).where(VerificationApplication.appeal_of_id.is_not(None))
    )
    # The first reviewer does not see the appeal; the other site administrator does.
    assert "Cykelköket" not in log_in(app.test_client(), first).get(
        "/organisationer/granskning"
    ).get_data(as_text=True)
    decided = log_in(app.test_client(), second).post(
        f"/organisationer/granskning/{appeal_row.id}",
        data={"decision": "approve", "reason": "Stadgarna finns nu på länken."},
    )
    assert decided.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).is_verified


def test_a_site_administrator_revokes_with_a_reason_that_is_mailed_and_logged(app, outbox):
    organisation = factories.organisation(verified_at=utcnow(), verified_via="review")
    factories.member(org=organisation, email="kim@example.org")
    site_admin = factories.user(is_site_admin=True)
    client = log_in(app.test_client(), site_admin)
    response = client.post(
        f"/organisationer/{organisation.id}/verifiering/aterkalla",
        data={"reason": "Föreningen är avregistrerad."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Organisation, organisation.id).is_verified
    [mail] = outbox
    assert mail["To"] == "kim@example.org" and "Föreningen är avregistrerad." in text_of(mail)
    log = db.session.scalar(sa.select(ModerationAction))
    assert (
        log.action is ActionKind.REVOKE_VERIFICATION
        and log.reason == "Föreningen är avregistrerad."
    )
    member = log_in(app.test_client(), factories.member(org=organisation, role=Role.MEMBER))
    assert (
        member.post(
            f"/organisationer/{organisation.id}/verifiering/aterkalla", data={"reason": "x"}
        ).status_code
        == 403
    )


def test_a_new_name_or_number_takes_the_verification_away_with_a_mail(app, outbox):
    organisation = factories.organisation(
        name="Läxhjälpen", verified_at=utcnow(), verified_via="review", org_number="802002-8711"
    )
    admin = factories.member(org=organisation, email="kim@example.org")
    client = log_in(app.test_client(), admin)
    same = form_data(
        name="Läxhjälpen", sector="civil", legal_form="ideell-forening", org_number="802002-8711"
    )
    assert client.post(f"/organisationer/{organisation.id}/redigera", data=same).status_code == 303
    assert db.session.get(Organisation, organisation.id).is_verified and outbox == []
    renamed = {**same, "name": "Läxhjälpen och Kulturhuset"}
    assert (
        client.post(f"/organisationer/{organisation.id}/redigera", data=renamed).status_code == 303
    )
    db.session.expire_all()
    assert not db.session.get(Organisation, organisation.id).is_verified
    [mail] = outbox
    assert "inte längre verifierad" in mail["Subject"] and "bytt namn" in text_of(mail)


# --- Join requests --------------------------------------------------------------------------------


def test_a_join_request_is_mailed_to_the_admins_and_approved_in_the_members_page(app, outbox):
    organisation = factories.organisation(name="Kalmar Läxhjälp")
    admin = factories.member(org=organisation, email="admin@example.org")
    person = factories.user(email="ny@example.com", name="Nora Ny")
    client = log_in(app.test_client(), person)
    assert "Begär att gå med" in client.get(
        f"/organisationer/{organisation.id}-{organisation.slug}"
    ).get_data(as_text=True)
    assert (
        client.post(
            f"/organisationer/{organisation.id}/ga-med", data={"message": "Jag är ny kassör."}
        ).status_code
        == 303
    )
    [mail] = outbox
    assert mail["To"] == "admin@example.org" and "Jag är ny kassör." in text_of(mail)
    outbox.clear()
    twice = client.post(f"/organisationer/{organisation.id}/ga-med", data={"message": "Igen"})
    assert twice.status_code == 422 and "redan bett om" in twice.get_data(as_text=True)

    admin_client = log_in(app.test_client(), admin)
    members = admin_client.get(f"/organisationer/{organisation.id}/medlemmar").get_data(
        as_text=True
    )
    assert "Nora Ny" in members and "Jag är ny kassör." in members
    request = db.session.scalar(sa.select(JoinRequest))
    answer = admin_client.post(
        f"/organisationer/{organisation.id}/medlemmar/forfragningar/{request.id}",
        data={"answer": "approve"},
    )
    assert answer.status_code == 303
    assert db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == person.id, Membership.organisation_id == organisation.id
        )
    )
    [mail] = outbox
    assert mail["To"] == "ny@example.com" and "godkänd" in text_of(mail)
    again = admin_client.post(
        f"/organisationer/{organisation.id}/medlemmar/forfragningar/{request.id}",
        data={"answer": "approve"},
    )
    assert again.status_code == 422  # a double click answers once


def test_a_declined_person_is_told_and_may_ask_again_after_30_days(app, outbox):
    organisation = factories.organisation()
    admin = factories.member(org=organisation)
    person = factories.user(email="ny@example.com")
    client = log_in(app.test_client(), person)
    client.post(f"/organisationer/{organisation.id}/ga-med", data={"message": ""})
    request = db.session.scalar(sa.select(JoinRequest))
    outbox.clear()
    log_in(app.test_client(), admin).post(
        f"/organisationer/{organisation.id}/medlemmar/forfragningar/{request.id}",
        data={"answer": "decline"},
    )
    [mail] = outbox
    assert mail["To"] == "ny@example.com" and "avböjt" in text_of(mail)
    refused = client.post(f"/organisationer/{organisation.id}/ga-med", data={"message": ""})
    assert refused.status_code == 422 and "Du kan fråga igen från och med" in refused.get_data(
        as_text=True
    )
    request = db.session.get(JoinRequest, request.id)
    request.decided_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert (
        client.post(f"/organisationer/{organisation.id}/ga-med", data={"message": ""}).status_code
        == 303
    )


def test_an_address_on_the_verified_domain_joins_at_once_when_the_organisation_chose_so(
    app, outbox
):
    organisation = region(
        verified_at=utcnow(),
        verified_via="domain",
        verified_domain="regionkalmar.se",
        auto_approve_joins=True,
    )
    factories.member(org=organisation, email="admin@regionkalmar.se")
    colleague = factories.user(email="olle@regionkalmar.se")
    outsider = factories.user(email="olle@gmail.com")
    assert (
        log_in(app.test_client(), colleague)
        .post(f"/organisationer/{organisation.id}/ga-med", data={})
        .status_code
        == 303
    )
    assert (
        db.session.scalar(sa.select(JoinRequest).where(JoinRequest.user_id == colleague.id)).status
        is JoinStatus.APPROVED
    )
    assert [m["To"] for m in outbox] == ["olle@regionkalmar.se"]
    log_in(app.test_client(), outsider).post(f"/organisationer/{organisation.id}/ga-med", data={})
    assert (
        db.session.scalar(sa.select(JoinRequest).where(JoinRequest.user_id == outsider.id)).status
        is JoinStatus.PENDING
    )


def test_join_requests_are_rate_limited_per_person(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_JOIN="2 per hour"
    )
    person = factories.user()
    client = log_in(app.test_client(), person)
    statuses = [
        client.post(f"/organisationer/{factories.organisation().id}/ga-med", data={}).status_code
        for _ in range(3)
    ]
    assert statuses == [303, 303, 429]


def test_the_overview_lists_what_a_person_waits_for(app):
    from marketplace.organisations import trust

    organisation = factories.organisation(name="Kalmar Läxhjälp")
    factories.member(org=organisation)
    person = factories.user()
    with app.test_request_context():
        trust.request_to_join(person, organisation, "Hej")
        overview = trust.overview_for(person)
    assert [r.organisation.name for r in overview.join_requests] == ["Kalmar Läxhjälp"]


# --- The badge where people decide whom to trust ---------------------------------------------


def test_the_badge_and_how_show_in_the_inbox_the_conversation_and_the_mail(app, outbox):
    from marketplace.ads.models import AdKind

    verified = region(
        verified_at=utcnow(), verified_via="domain", verified_domain="regionkalmar.se"
    )
    writer = factories.member(org=verified, email="eva@regionkalmar.se")
    other = factories.organisation(name="Kalmar Läxhjälp")
    reader = factories.member(org=other, email="kim@example.org")
    ad = factories.ad(org=other, kind=AdKind.NEED, title="Läxhjälpare sökes")
    client = log_in(app.test_client(), writer)
    response = client.post(
        f"/annonser/{ad.id}/intresse",
        data={"message": "Vi på regionen vill gärna hjälpa till med lokaler."},
    )
    assert response.status_code in (200, 303)
    mail = next(m for m in outbox if m["To"] == "kim@example.org")
    assert "Verifierad via e-postdomän regionkalmar.se" in text_of(mail)
    reader_client = log_in(app.test_client(), reader)
    inbox = reader_client.get("/inkorg").get_data(as_text=True)
    assert "badge-verified" in inbox and "Verifierad via e-postdomän regionkalmar.se" in inbox
    conversation = re.search(r'href="(/inkorg/\d+)"', inbox).group(1)
    page = reader_client.get(conversation).get_data(as_text=True)
    assert page.count("Verifierad via e-postdomän regionkalmar.se") >= 2  # heading and message
    unverified_public = factories.organisation(name="Kommunen X", sector=Sector.PUBLIC)
    factories.ad(org=unverified_public, title="Lokaler")
    assert "Ej verifierad" in app.test_client().get("/annonser").get_data(as_text=True)
    _ = ApplicationStatus  # the statuses are part of the model's public face


# --- Who runs the site -------------------------------------------------------------------------


def test_the_pages_name_the_operator_and_mark_demo_values(client):
    about = client.get("/om").get_data(as_text=True)
    assert "Vem driver Samverkanstorget?" in about and "Demo:" in about
    assert "Exempelföreningen Samverkanstorget" in about and 'id="verifiering"' in about
    privacy = client.get("/integritet").get_data(as_text=True)
    assert "Personuppgiftsansvarig" in privacy and "Exempelföreningen Samverkanstorget" in privacy
    assert "art. 6.1 b" in privacy and "art. 6.1 f" in privacy and "Tolv månader." in privacy
    assert "https://www.imy.se/" in privacy
    statement = client.get("/tillganglighet").get_data(as_text=True)
    assert "delvis förenlig" in statement and "https://www.digg.se/tdosanmalan" in statement
    assert "Senaste bedömningen gjordes den 7 december 2026" in statement


def test_a_configured_operator_is_shown_without_the_demo_mark(make_app):
    app = make_app(
        SITE_OPERATOR_DEMO=False,
        SITE_OPERATOR_NAME="Region Exempel",
        SITE_OPERATOR_ORG_NUMBER="232100-0000",
        SITE_OPERATOR_EMAIL="torget@region.example.org",
    )
    about = app.test_client().get("/om").get_data(as_text=True)
    assert "Region Exempel" in about and "torget@region.example.org" in about
    assert "Demo:" not in about


def test_a_site_administrator_adds_an_official_domain_that_then_lets_a_municipality_register(app):
    site_admin = factories.user(is_site_admin=True)
    admin_client = log_in(app.test_client(), site_admin)
    free = admin_client.post(
        "/organisationer/granskning/domaner", data={"body": "kommun-0861", "domain": "hotmail.com"}
    )
    assert free.status_code == 422 and 'value="hotmail.com"' in free.get_data(as_text=True)
    added = admin_client.post(
        "/organisationer/granskning/domaner", data={"body": "kommun-0861", "domain": "Mönsteras.se"}
    )
    assert added.status_code == 422  # not a domain as typed (IDN must be given in ASCII)
    added = admin_client.post(
        "/organisationer/granskning/domaner", data={"body": "kommun-0861", "domain": "monsteras.se"}
    )
    assert added.status_code == 303
    person = factories.user(email="kim@monsteras.se")
    data = form_data(name="Mönsterås kommun", legal_form="kommun", municipality="0861")
    assert (
        log_in(app.test_client(), person).post("/organisationer/ny", data=data).status_code == 303
    )
    ordinary = log_in(app.test_client(), factories.member())
    assert (
        ordinary.post(
            "/organisationer/granskning/domaner", data={"body": "kommun-0861", "domain": "x.se"}
        ).status_code
        == 403
    )


def test_a_site_administrator_removes_an_added_domain_and_registration_stops_accepting_it(app):
    site_admin = factories.user(is_site_admin=True)
    admin_client = log_in(app.test_client(), site_admin)
    admin_client.post(
        "/organisationer/granskning/domaner", data={"body": "kommun-0861", "domain": "monsteras.se"}
    )
    [row] = db.session.scalars(sa.select(PublicBodyDomain)).all()
    page = admin_client.get("/organisationer/granskning").get_data(as_text=True)
    assert f"/organisationer/granskning/domaner/{row.id}/ta-bort" in page

    removal = f"/organisationer/granskning/domaner/{row.id}/ta-bort"
    ordinary = log_in(app.test_client(), factories.member())
    assert ordinary.post(removal).status_code == 403
    assert admin_client.post(removal).status_code == 303
    again = admin_client.post(removal, follow_redirects=True)  # a double click
    assert again.status_code == 200 and "Domänen var redan borttagen." in again.get_data(
        as_text=True
    )
    assert db.session.scalars(sa.select(PublicBodyDomain)).all() == []
    person = factories.user(email="kim@monsteras.se")
    data = form_data(name="Mönsterås kommun", legal_form="kommun", municipality="0861")
    refused = log_in(app.test_client(), person).post("/organisationer/ny", data=data)
    assert refused.status_code == 422


def test_the_feed_and_the_embed_say_who_is_verified_and_how(client):
    from tests.test_search_views import parse_feed

    verified = region(
        verified_at=utcnow(), verified_via="domain", verified_domain="regionkalmar.se"
    )
    factories.ad(org=verified, title="Lokaler för självhjälpsgrupper")
    unverified = factories.organisation(name="Mörbylånga kommun", sector=Sector.PUBLIC)
    factories.ad(org=unverified, title="Skjuts till träffarna")

    feed = parse_feed(client.get("/annonser/flode.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    labels = {
        entry.find(f"{atom}author/{atom}name").text: [
            c.get("label")
            for c in entry.findall(f"{atom}category")
            if c.get("scheme", "").endswith("#verifiering")
        ]
        for entry in feed.findall(f"{atom}entry")
    }
    assert labels["Region Kalmar län"] == ["Verifierad via e-postdomän regionkalmar.se"]
    assert labels["Mörbylånga kommun"] == ["Ej verifierad offentlig organisation"]

    embed = client.get("/inbaddning").get_data(as_text=True)
    assert "Verifierad via e-postdomän regionkalmar.se" in embed and "Ej verifierad" in embed


def test_two_officials_registering_the_same_body_at_once_leave_one_holder(app, monkeypatch):
    """The unique index on the body is the last guard when both checks ran before either commit."""
    from marketplace.organisations import services

    first = region(public_body="region-08", name="Region Kalmar län")
    second = factories.user(email="nils@regionkalmar.se")
    details = services.OrganisationDetails(
        name="Region Kalmar län",
        sector=Sector.PUBLIC,
        legal_form=LegalForm.REGION,
        county_code="08",
        challenges=["integration"],
    )
    # The check ran before the first registration committed, so it let the name through.
    monkeypatch.setattr(services, "check_name", lambda name, actor, organisation=None: "region-08")
    with app.test_request_context(), pytest.raises(services.NameTaken) as refused:
        services.create_organisation(second, details)
    assert refused.value.existing.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_an_import_cannot_give_one_public_body_to_two_records(app):
    from marketplace.imports import services as imports

    record = {
        "name": "Region Kalmar län",
        "sector": "public",
        "county": "08",
        "description": "Regionen.",
        "challenges": ["integration"],
        "verified_via": "review",
    }
    with pytest.raises(imports.ImportRejected) as rejected:
        imports.import_data(
            {
                "organisations": [
                    {"ref": "a", **record},
                    {"ref": "b", **record, "name": "REGION KALMAR LÄN"},
                ],
                "ads": [],
            }
        )
    assert "the same public body as organisations[0] (region-08)" in str(rejected.value.problems)
    region(public_body="region-08")
    with pytest.raises(imports.ImportRejected) as held:
        imports.import_data({"organisations": [{"ref": "c", **record}], "ads": []})
    assert "region-08 is already held by" in str(held.value.problems)
