"""Contact between organisations through HTTP: "Visa intresse", e-mail, the inbox and replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import today
from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from marketplace.notifications.models import OutboxEmail
from marketplace.organisations.models import Organisation, Role, Sector
from tests import factories
from tests.conftest import BOOSTED, HTMX, log_in

TEXT = "Hej! Vi har en lokal på lördagar och vill gärna hjälpa till med läxhjälpen."
REPLY = "Tack, vad roligt! Kan vi ses på tisdag och prata om upplägget?"


@dataclass
class Parties:
    """An ad by one organisation (two confirmed members, one unconfirmed) and another
    organisation (one member, acting for it) that may show interest in it."""

    ad: Ad
    owner: User
    colleague: User
    unconfirmed: User
    interested: User
    interested_org: Organisation


def parties(*, sector: Sector = Sector.CIVIL, owner_name: str = "Kalmar Läxhjälp") -> Parties:
    owner_org = factories.organisation(name=owner_name, sector=sector)
    owner = factories.member(org=owner_org, name="Olle Ägare")
    colleague = factories.member(org=owner_org, role=Role.MEMBER, name="Cilla Kollega")
    unconfirmed = factories.member(org=owner_org, role=Role.MEMBER, confirmed=False)
    interested_org = factories.organisation(name="Studieförbundet Norr")
    interested = factories.member(org=interested_org, name="Ida Intresserad", locale="en")
    ad = factories.ad(org=owner_org, title="Vi söker partner för läxhjälp")
    return Parties(ad, owner, colleague, unconfirmed, interested, interested_org)


def ad_page(ad: Ad) -> str:
    return f"/annonser/{ad.id}-{ad.slug}"


def interest_url(ad: Ad) -> str:
    return f"/annonser/{ad.id}/intresse"


def show_interest(client, ad: Ad, text: str = TEXT, **kwargs):
    return client.post(interest_url(ad), data={"message": text, **kwargs.pop("data", {})}, **kwargs)


def only_conversation() -> Conversation:
    return db.session.scalars(sa.select(Conversation)).one()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def nav_inbox(html: str) -> str:
    """The header's inbox link, as text (tags removed)."""
    match = re.search(r'<a class="inbox-link" href="/inkorg"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no inbox link in the header"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# The whole path


def test_interest_reaches_the_ad_organisation_by_mail_and_inbox_and_the_reply_comes_back(
    app, outbox
):
    p = parties()
    first, second = app.test_client(), app.test_client()
    log_in(first, p.interested)
    log_in(second, p.owner)

    response = show_interest(first, p.ad)

    conversation = only_conversation()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/inkorg/{conversation.id}"
    # The ad organisation's confirmed members get it; the sender, the sender's organisation
    # and the unconfirmed member do not.
    assert sorted(m["To"] for m in outbox) == sorted([p.owner.email, p.colleague.email])
    mail = next(m for m in outbox if m["To"] == p.owner.email)
    assert "Studieförbundet Norr" in mail["Subject"] and "läxhjälp" in mail["Subject"]
    body = text_of(mail)
    assert TEXT in body
    assert f"http://localhost/inkorg/{conversation.id}" in body
    assert "Svara på webbplatsen" in body
    assert p.interested.email not in mail.as_string()  # no private address, no Reply-To to it
    assert mail["Reply-To"] is None
    assert TEXT in mail.get_body(("html",)).get_content()

    inbox = second.get("/inkorg").get_data(as_text=True)
    assert nav_inbox(inbox) == "Inkorg 1 oläst meddelande"
    assert (
        '<span class="unread-badge">1</span><span class="visually-hidden"> oläst meddelande</span>'
        in inbox
    )
    assert "Studieförbundet Norr" in inbox and "Vi söker partner för läxhjälp" in inbox
    assert "1 oläst" in inbox

    page = second.get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert TEXT in page and "Ida Intresserad" in page and "Studieförbundet Norr" in page
    assert nav_inbox(page) == "Inkorg"  # reading it marked it read
    assert "oläst" not in second.get("/inkorg").get_data(as_text=True)

    outbox.clear()
    answered = second.post(f"/inkorg/{conversation.id}", data={"message": REPLY})

    assert answered.status_code == 303
    assert answered.headers["Location"] == f"/inkorg/{conversation.id}"
    assert [m["To"] for m in outbox] == [p.interested.email]
    [reply_mail] = outbox
    assert "Kalmar Läxhjälp" in reply_mail["Subject"]
    assert REPLY in text_of(reply_mail)
    assert "Reply on the website" in text_of(reply_mail) or "Svara på webbplatsen" in text_of(
        reply_mail
    )
    back = first.get("/inkorg").get_data(as_text=True)
    assert nav_inbox(back) == "Inkorg 1 oläst meddelande"
    assert "Kalmar Läxhjälp" in back
    thread = first.get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert thread.index(TEXT) < thread.index(REPLY)  # oldest first
    assert "Olle Ägare" in thread


def test_the_colleague_who_did_not_write_also_sees_the_new_message_unread(app, outbox):
    p = parties()
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    colleague = log_in(app.test_client(), p.colleague)
    assert nav_inbox(colleague.get("/inkorg").get_data(as_text=True)) == (
        "Inkorg 1 oläst meddelande"
    )
    writer_side = log_in(app.test_client(), p.interested)
    assert nav_inbox(writer_side.get("/inkorg").get_data(as_text=True)) == "Inkorg"


def test_mail_is_written_in_each_recipients_language(app, outbox):
    p = parties()
    p.colleague.locale = "en"
    db.session.commit()
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    swedish = next(m for m in outbox if m["To"] == p.owner.email)
    assert "Hej!" in text_of(swedish)


def test_a_second_interest_from_the_same_organisation_joins_the_existing_conversation(app, outbox):
    p = parties()
    teammate = factories.member(org=p.interested_org, role=Role.MEMBER)
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    page = log_in(app.test_client(), teammate).get(ad_page(p.ad)).get_data(as_text=True)
    assert "Ni har redan en konversation om annonsen" in page

    response = show_interest(
        log_in(app.test_client(), teammate), p.ad, "Vi kan också bidra med fika."
    )

    assert response.status_code == 303
    assert count(Conversation) == 1
    assert count(Message) == 2
    assert response.headers["Location"] == f"/inkorg/{only_conversation().id}"


def test_another_organisation_gets_its_own_conversation_about_the_same_ad(app, outbox):
    p = parties()
    other = factories.member(org=factories.organisation(name="Röda Korset Kalmar"))
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    show_interest(log_in(app.test_client(), other), p.ad)
    assert count(Conversation) == 2
    inbox = log_in(app.test_client(), p.owner).get("/inkorg").get_data(as_text=True)
    assert "Röda Korset Kalmar" in inbox and "Studieförbundet Norr" in inbox
    assert inbox.index("Röda Korset Kalmar") < inbox.index("Studieförbundet Norr")  # newest first


# The form on the ad page


def test_the_ad_page_offers_the_interest_form_to_members_of_other_organisations(client):
    p = parties()
    html = log_in(client, p.interested).get(ad_page(p.ad)).get_data(as_text=True)
    assert '<form id="interest-form" method="post" action="/annonser/' in html
    assert 'data-hx-post="/annonser/' in html
    assert "Du skriver för Studieförbundet Norr" in html
    assert (
        '<label for="message">Meddelande <span class="required">(obligatoriskt)</span></label>'
        in html
    )
    # The honeypot: hidden from sight and screen readers, out of the tab order.
    assert re.search(
        r'<div class="visually-hidden" aria-hidden="true">\s*<label for="website"', html
    )
    assert re.search(r'<input[^>]*autocomplete="off"[^>]*name="website"[^>]*tabindex="-1"', html)


def test_the_public_records_notice_appears_only_when_the_ad_owner_is_a_public_body(app):
    public = parties(sector=Sector.PUBLIC, owner_name="Kalmar kommun")
    civil = parties()
    viewer = log_in(app.test_client(), public.interested)

    html = viewer.get(ad_page(public.ad)).get_data(as_text=True)
    assert "allmän handling" in html and "offentlighetsprincipen" in html
    notice = re.search(r'<p id="message-notice" class="notice">([^<]*)</p>', html)
    assert notice and "Kalmar kommun" in notice.group(1)
    assert html.index('id="message-notice"') < html.index("<textarea")
    assert re.search(r'<textarea[^>]*aria-describedby="message-notice message-help"', html)

    other = viewer.get(ad_page(civil.ad)).get_data(as_text=True)
    assert "allmän handling" not in other and "message-notice" not in other
    assert re.search(r'<textarea[^>]*aria-describedby="message-help"', other)


def test_the_reply_form_carries_the_public_records_notice_when_a_public_body_takes_part(app):
    p = parties(sector=Sector.PUBLIC, owner_name="Region Kalmar län")
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    html = client.get(f"/inkorg/{only_conversation().id}").get_data(as_text=True)
    assert "Region Kalmar län är en offentlig organisation" in html
    assert re.search(r'<textarea[^>]*aria-describedby="message-notice message-help"', html)


def test_an_organisation_cannot_show_interest_in_its_own_ad(client, outbox):
    p = parties()
    log_in(client, p.owner)
    page = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert "Det här är er organisations annons" in page
    assert 'id="interest-form"' not in page

    response = show_interest(client, p.ad)

    assert response.status_code == 403
    assert "Det här är er organisations annons" in response.get_data(as_text=True)
    assert count(Conversation) == 0 and count(Message) == 0 and outbox == []


@pytest.mark.parametrize(
    "change",
    [
        {"status": AdStatus.PARTNER_FOUND},
        {"status": AdStatus.NOT_CURRENT},
        {"expires_on": today() - timedelta(days=1)},
    ],
    ids=["partner-found", "not-current", "expired"],
)
def test_closed_and_expired_ads_explain_that_interest_cannot_be_shown(client, outbox, change):
    p = parties()
    for name, value in change.items():
        setattr(p.ad, name, value)
    db.session.commit()
    log_in(client, p.interested)
    page = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert "Annonsen är stängd eller har gått ut" in page
    assert 'id="interest-form"' not in page

    response = show_interest(client, p.ad)

    assert response.status_code == 409
    assert "Annonsen är stängd eller har gått ut" in response.get_data(as_text=True)
    assert count(Message) == 0 and outbox == []


def test_replies_still_work_after_the_ad_is_closed(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    p.ad.status = AdStatus.PARTNER_FOUND
    db.session.commit()
    page = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert "Läs er konversation om annonsen" in page
    owner = log_in(app.test_client(), p.owner)
    assert (
        owner.post(f"/inkorg/{only_conversation().id}", data={"message": REPLY}).status_code == 303
    )
    assert count(Message) == 2


def test_anonymous_visitors_see_a_log_in_link_that_comes_back_to_the_ad(client):
    p = parties()
    html = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert 'id="interest-form"' not in html
    link = re.search(r'<a class="button" href="(/konto/logga-in\?next=[^"]+)">', html)
    assert link
    assert link.group(1) == f"/konto/logga-in?next={ad_page(p.ad)}"
    assert "Logga in för att visa intresse" in html


def test_unconfirmed_users_are_asked_to_confirm_and_cannot_send(client, outbox):
    p = parties()
    newcomer = factories.member(org=factories.organisation(), confirmed=False)
    log_in(client, newcomer)
    page = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert "Du behöver bekräfta din e-postadress" in page
    assert 'id="interest-form"' not in page
    assert 'href="/konto/obekraftad"' in page

    response = show_interest(client, p.ad)

    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"
    assert count(Message) == 0 and outbox == []


def test_people_without_an_organisation_are_told_how_to_get_one(client, outbox):
    p = parties()
    loner = factories.user()
    log_in(client, loner)
    page = client.get(ad_page(p.ad)).get_data(as_text=True)
    assert "Intresse visas av organisationer" in page
    assert 'href="/organisationer/ny"' in page
    assert show_interest(client, p.ad).status_code == 403
    assert count(Message) == 0


def test_the_interest_form_has_its_own_page_for_links_and_log_in(client):
    p = parties()
    html = log_in(client, p.interested).get(interest_url(p.ad)).get_data(as_text=True)
    assert "<h1>Visa intresse för ”Vi söker partner för läxhjälp”</h1>" in html
    assert 'id="interest-form"' in html
    assert client.get("/annonser/999999/intresse").status_code == 404


# Bad input


@pytest.mark.parametrize(
    "text", ["För kort", "         \n\n          ", "x" * 5001], ids=["short", "blank", "long"]
)
def test_an_unacceptable_message_is_refused_and_the_text_kept(client, outbox, text):
    p = parties()
    log_in(client, p.interested)

    response = show_interest(client, p.ad, text)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "<h1>" in html  # without JavaScript: the form's page
    assert text.strip() in html
    assert 'aria-invalid="true"' in html
    assert re.search(r'<span class="error">(Skriv ett meddelande|Meddelandet får vara högst)', html)
    assert count(Message) == 0 and outbox == []


def test_with_htmx_an_invalid_message_swaps_only_the_interest_section(client):
    p = parties()
    log_in(client, p.interested)

    response = show_interest(client, p.ad, "Kort", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="interest"')
    assert "<html" not in html
    assert re.search(r">\s*Kort</textarea>", html)
    assert "HX-Request" in response.headers["Vary"]


def test_with_htmx_a_sent_interest_redirects_the_whole_page_to_the_conversation(client, outbox):
    p = parties()
    response = show_interest(log_in(client, p.interested), p.ad, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/inkorg/{only_conversation().id}"


def test_an_invalid_reply_is_refused_and_the_text_kept(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    outbox.clear()
    conversation_id = only_conversation().id

    full = client.post(f"/inkorg/{conversation_id}", data={"message": "Nja"})
    partial = client.post(f"/inkorg/{conversation_id}", data={"message": "Nja"}, headers=HTMX)

    assert full.status_code == 422 and partial.status_code == 422
    assert "<html" in full.get_data(as_text=True)
    assert re.search(r">\s*Nja</textarea>", full.get_data(as_text=True))
    fragment = partial.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="thread"')
    assert re.search(r">\s*Nja</textarea>", fragment) and TEXT in fragment
    assert count(Message) == 1 and outbox == []


# htmx and the conversation page


def test_a_reply_with_htmx_swaps_the_thread_and_an_empty_form_in_place(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    conversation_id = only_conversation().id
    page = client.get(f"/inkorg/{conversation_id}").get_data(as_text=True)
    assert f'data-hx-post="/inkorg/{conversation_id}"' in page
    assert 'data-hx-target="#thread"' in page

    response = client.post(
        f"/inkorg/{conversation_id}",
        data={"message": "Ett tillägg: vi har även projektor."},
        headers=HTMX,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread"')
    assert "<html" not in html
    assert "Ett tillägg: vi har även projektor." in html and TEXT in html
    assert "Ditt svar är skickat." in html
    assert re.search(r"<textarea[^>]*>\s*</textarea>", html)  # the form is ready for the next one


def test_without_javascript_or_when_boosted_a_reply_redirects_to_the_full_page(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    conversation_id = only_conversation().id

    boosted = client.post(f"/inkorg/{conversation_id}", data={"message": REPLY}, headers=BOOSTED)

    assert boosted.status_code == 303
    page = client.get(boosted.headers["Location"], headers=BOOSTED).get_data(as_text=True)
    assert "<html" in page and "Ditt svar är skickat." in page and REPLY in page


def test_the_conversation_page_shows_organisation_author_and_time_of_each_message(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad, TEXT + "\n\nMer info: https://example.com/lokal")
    html = client.get(f"/inkorg/{only_conversation().id}").get_data(as_text=True)
    assert "<h1>Konversation med Kalmar Läxhjälp</h1>" in html
    assert re.search(
        r"<strong>Studieförbundet Norr</strong>\s*· Ida Intresserad\s*· <time datetime=", html
    )
    assert 'href="https://example.com/lokal"' in html
    assert f'href="{ad_page(p.ad)}"' in html


def test_markup_in_a_message_is_shown_as_text(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad, "<script>alert('hej')</script> och <b>fet</b> text här")
    html = client.get(f"/inkorg/{only_conversation().id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_a_deleted_ad_leaves_the_conversation_readable(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    conversation_id = only_conversation().id
    owner = log_in(app.test_client(), p.owner)
    assert owner.post(f"/annonser/{p.ad.id}/ta-bort").status_code == 303

    html = client.get(f"/inkorg/{conversation_id}").get_data(as_text=True)
    assert "Vi söker partner för läxhjälp (annonsen är borttagen)" in html
    assert TEXT in html


# Who may see what


def _outsider_routes(conversation_id: int) -> list[tuple[str, str]]:
    return [("get", f"/inkorg/{conversation_id}"), ("post", f"/inkorg/{conversation_id}")]


def test_outsiders_get_404_for_a_conversation_and_cannot_post_to_it(app, outbox):
    p = parties()
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    conversation_id = only_conversation().id
    outsider = log_in(app.test_client(), factories.member())
    outbox.clear()

    for method, url in _outsider_routes(conversation_id):
        response = getattr(outsider, method)(url, data={"message": REPLY})
        assert response.status_code == 404, (method, url)
        assert TEXT not in response.get_data(as_text=True)
    # The same answer as for a conversation that does not exist.
    for method, url in _outsider_routes(conversation_id + 1000):
        assert getattr(outsider, method)(url, data={"message": REPLY}).status_code == 404
    assert count(Message) == 1 and outbox == []
    inbox = outsider.get("/inkorg").get_data(as_text=True)
    assert "Kalmar Läxhjälp" not in inbox and "Inga konversationer ännu" in inbox


def test_anonymous_visitors_are_sent_to_log_in_from_every_contact_route(app, client):
    p = parties()
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    conversation_id = only_conversation().id
    routes = [
        ("get", "/inkorg"),
        ("get", f"/inkorg/{conversation_id}"),
        ("post", f"/inkorg/{conversation_id}"),
        ("post", interest_url(p.ad)),
    ]
    for method, url in routes:
        response = getattr(client, method)(url, data={"message": REPLY})
        assert response.status_code in (302, 303), (method, url)
        assert response.headers["Location"].startswith("/konto/logga-in?next="), (method, url)
    assert count(Message) == 1


def test_a_member_of_several_organisations_sees_all_their_conversations(app, outbox):
    p = parties()
    second_ad = factories.ad(title="Vi erbjuder kör för äldreboenden")
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    factories.membership(p.interested, second_ad.organisation)
    second = log_in(app.test_client(), factories.member())
    show_interest(second, second_ad)

    inbox = log_in(app.test_client(), p.interested).get("/inkorg").get_data(as_text=True)

    assert "Vi söker partner för läxhjälp" in inbox
    assert "Vi erbjuder kör för äldreboenden" in inbox
    assert f"För {second_ad.organisation.name}" in inbox and "För Studieförbundet Norr" in inbox


def test_the_inbox_shows_an_empty_state_without_conversations(client, member):
    html = log_in(client, member).get("/inkorg").get_data(as_text=True)
    assert "<h1>Inkorg</h1>" in html and "Inga konversationer ännu" in html
    assert nav_inbox(html) == "Inkorg"


# Abuse


def test_a_filled_honeypot_pretends_success_but_stores_and_sends_nothing(app, outbox):
    p = parties()
    bot = log_in(app.test_client(), p.interested)

    response = show_interest(bot, p.ad, data={"website": "http://spam.example.com"})

    assert response.status_code == 303
    assert "Ditt meddelande är skickat" in bot.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert count(Conversation) == 0 and count(Message) == 0 and count(OutboxEmail) == 0
    assert outbox == []


def test_a_filled_honeypot_in_a_reply_pretends_success_but_stores_and_sends_nothing(app, outbox):
    p = parties()
    client = log_in(app.test_client(), p.interested)
    show_interest(client, p.ad)
    outbox.clear()
    conversation_id = only_conversation().id

    full = client.post(f"/inkorg/{conversation_id}", data={"message": REPLY, "website": "spam"})
    partial = client.post(
        f"/inkorg/{conversation_id}", data={"message": REPLY, "website": "spam"}, headers=HTMX
    )

    assert full.status_code == 303
    assert partial.status_code == 200 and "Ditt svar är skickat." in partial.get_data(as_text=True)
    assert count(Message) == 1 and outbox == []


def test_an_organisation_name_cannot_add_mail_headers(app, outbox):
    p = parties()
    p.interested_org.name = "Elak\r\nBcc: victim@example.com\r\nX-Evil: yes"
    db.session.commit()

    show_interest(
        log_in(app.test_client(), p.interested), p.ad, TEXT + "\r\nBcc: other@example.com"
    )

    assert len(outbox) == 2
    for message in outbox:
        assert message["Bcc"] is None and message["X-Evil"] is None
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert "Elak Bcc: victim@example.com X-Evil: yes" in message["Subject"]
        assert "victim@example.com" not in (message["To"] or "")
    for row in db.session.scalars(sa.select(OutboxEmail)):
        assert "\n" not in row.subject and row.headers == {}


def test_the_unread_count_costs_one_query_per_request(app, outbox):
    from flask import render_template_string
    from sqlalchemy import event

    p = parties()
    show_interest(log_in(app.test_client(), p.interested), p.ad)
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        with app.test_request_context():
            from flask_login import login_user

            login_user(db.session.get(User, p.owner.id))
            statements.clear()
            text = render_template_string("{{ layout.unread }} {{ layout.unread }}")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert text == "1 1"
    assert len(statements) == 1
