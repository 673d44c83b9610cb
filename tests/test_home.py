"""Mina sidor: where a member lands after logging in."""

from __future__ import annotations

from datetime import timedelta

from marketplace.ads.models import AdStatus
from marketplace.clock import today
from marketplace.contact import services as contact
from marketplace.extensions import db
from tests import factories
from tests.conftest import log_in


def test_visitors_are_asked_to_log_in(client):
    response = client.get("/mina-sidor")
    assert response.status_code in (302, 303) and "/konto/logga-in" in response.headers["Location"]


def test_logging_in_lands_on_mina_sidor_with_a_greeting_by_first_name(client):
    user = factories.user(name="Erik Andersson")
    response = client.post(
        "/konto/logga-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/mina-sidor"
    html = client.get("/mina-sidor").get_data(as_text=True)
    assert "<h1>Hej Erik!</h1>" in html


def test_a_new_member_sees_the_next_steps_ticked_off_as_they_are_done(client):
    user = factories.user(name="Nya Nilsson")
    html = log_in(client, user).get("/mina-sidor").get_data(as_text=True)
    assert "Kom i gång" in html and "Registrera din organisation" in html
    assert "Publicera er första annons" in html and "Spara en sökning" in html
    org = factories.organisation(name="Nya Föreningen")
    member = factories.member(org=org, name="Nora Medlem")
    html = log_in(client, member).get("/mina-sidor").get_data(as_text=True)
    assert "Klart: </span>Du är medlem i en organisation" in html
    assert "Publicera er första annons" in html
    factories.ad(org=org, author=member, title="Första annonsen")
    html = client.get("/mina-sidor").get_data(as_text=True)
    assert "Klart: </span>Er första annons är publicerad" in html


def test_unread_conversations_show_the_first_line_of_the_newest_message(client):
    org = factories.organisation(name="Läxhjälpen")
    member = factories.member(org=org, name="Maja Medlem")
    ad = factories.ad(org=org, author=member, title="Läxhjälp på lördagar")
    other = factories.organisation(name="Kalmar kommun")
    writer = factories.member(org=other, name="Rut Region")
    contact.show_interest(writer, other, ad, "Hej! Vi vill gärna ses.\nMer om det sen.")
    db.session.commit()
    html = log_in(client, member).get("/mina-sidor").get_data(as_text=True)
    assert "Olästa meddelanden" in html and "Kalmar kommun" in html
    assert '<p class="first-line">Hej! Vi vill gärna ses.</p>' in html
    assert "Mer om det sen." not in html


def test_our_ads_are_grouped_by_state_with_their_actions(client):
    org = factories.organisation(name="Läxhjälpen")
    member = factories.member(org=org, name="Maja Medlem")
    fresh = factories.ad(org=org, author=member, title="Nyss publicerad")
    ending = factories.ad(
        org=org, author=member, title="Snart slut", expires_on=today() + timedelta(days=5)
    )
    closed = factories.ad(org=org, author=member, title="Klar", status=AdStatus.PARTNER_FOUND)
    html = log_in(client, member).get("/mina-sidor").get_data(as_text=True)
    assert (
        html.index("Går snart ut")
        < html.index("Snart slut")
        < html.index('Öppna <span class="meta">(1)')
    )
    assert (
        html.index('Öppna <span class="meta">(1)')
        < html.index("Nyss publicerad")
        < html.index("Stängda")
    )
    assert f'action="/annonser/{ending.id}/forlang"' in html  # "Förläng" in the last 30 days
    assert f'action="/annonser/{fresh.id}/forlang"' not in html
    assert f'action="/annonser/{closed.id}/forlang"' in html and "Öppna igen" in html
    assert f'href="/annonser/{fresh.id}/redigera"' in html


def test_administrators_see_who_waits_to_join_and_where_verification_stands(client):
    from marketplace.organisations import trust

    org = factories.organisation(name="Språkvän Kalmar")
    admin = factories.member(org=org, name="Leila Admin")
    asker = factories.user(name="Olle Berg")
    trust.request_to_join(asker, org, "Jag vill gärna vara med.")
    db.session.commit()
    html = log_in(client, admin).get("/mina-sidor").get_data(as_text=True)
    assert "Medlemmar och verifiering" in html
    assert "1 person vill gå med" in html
    assert f'href="/organisationer/{org.id}/medlemmar#requests-title"' in html
    assert "Verifiera organisationen" in html  # not verified, nothing in the review queue

    html = log_in(client, asker).get("/mina-sidor").get_data(as_text=True)
    assert "Du har bett att få gå med i Språkvän Kalmar och väntar på svar." in html
    assert "Verifiera organisationen" not in html  # not an administrator of anything
