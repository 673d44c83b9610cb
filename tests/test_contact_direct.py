"""Kontakta organisationen: direct conversations between two organisations, not about an ad.

One thread per pair of organisations whoever writes first; the organisation's page offers it to
members of other organisations; inbox, conversation page, e-mail, moderation, agreements, the
privacy export and deletions handle a thread without an ad.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.contact import services
from marketplace.contact.models import Conversation, ConversationKind, Message, direct_pair
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Role, Sector
from tests import factories
from tests.conftest import HTMX, log_in
from tests.test_contact import count, nav_inbox, text_of

TEXT = "Hej! Vi driver läxhjälp i Norrliden och vill gärna samarbeta med er kring föräldramöten."
ANSWER = "Hej och tack! Vi har volontärer som talar arabiska och dari. Vilka datum passar er?"


@dataclass
class Pair:
    """`recipient` (two confirmed members, one of them English-speaking, and one unconfirmed) and
    `writer`'s organisation `sender`, which finds it in the directory and writes."""

    recipient: Organisation
    coordinator: User
    colleague: User
    unconfirmed: User
    sender: Organisation
    writer: User


def pair(*, sector: Sector = Sector.CIVIL) -> Pair:
    recipient = factories.organisation(name="Språkvän Kalmar", sector=sector)
    coordinator = factories.member(org=recipient, name="Leila Haddad")
    colleague = factories.member(org=recipient, role=Role.MEMBER, name="Cole Ague", locale="en")
    unconfirmed = factories.member(org=recipient, role=Role.MEMBER, confirmed=False)
    sender = factories.organisation(name="Läxhjälpen Norrliden")
    writer = factories.member(org=sender, name="Johan Ek")
    return Pair(recipient, coordinator, colleague, unconfirmed, sender, writer)


def page_of(organisation: Organisation) -> str:
    return f"/organisationer/{organisation.id}-{organisation.slug}"


def form_of(organisation: Organisation) -> str:
    return f"/organisationer/{organisation.id}/kontakta"


def write(client, organisation: Organisation, text: str = TEXT, **kwargs):
    return client.post(form_of(organisation), data={"message": text}, **kwargs)


def direct_conversations() -> list[Conversation]:
    return list(
        db.session.scalars(
            sa.select(Conversation).where(Conversation.kind == ConversationKind.DIRECT)
        )
    )


# --- The service: one thread per pair ----------------------------------------------------------


def test_the_first_message_starts_a_direct_thread_and_either_side_writing_again_joins_it(app):
    p = pair()

    first = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    again = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT + " Igen.")
    back = services.contact_organisation(p.coordinator, p.recipient, p.sender, ANSWER)

    conversation = first.conversation
    assert first.conversation_id == again.conversation_id == back.conversation_id
    assert conversation.is_direct and not conversation.ad_deleted
    assert conversation.ad_id is None and conversation.ad_title is None
    assert conversation.title is None
    assert conversation.direct_pair == direct_pair(p.recipient.id, p.sender.id)
    # Who was contacted and who wrote first stay recorded.
    assert conversation.ad_organisation_id == p.recipient.id
    assert conversation.interested_organisation_id == p.sender.id
    assert conversation.started_by_id == p.writer.id
    assert [m.organisation_id for m in db.session.scalars(sa.select(Message))] == [
        p.sender.id,
        p.sender.id,
        p.recipient.id,
    ]


def test_a_direct_thread_and_a_thread_about_an_ad_between_the_same_pair_are_kept_apart(app):
    p = pair()
    ad = factories.ad(org=p.recipient, title="Vi söker tolkar")
    about_ad = services.show_interest(p.writer, p.sender, ad, TEXT).conversation
    direct = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT).conversation

    db.session.delete(ad)
    db.session.commit()
    db.session.expire_all()

    assert about_ad.id != direct.id
    assert about_ad.ad_deleted and about_ad.title == "Vi söker tolkar"
    assert direct.is_direct and not direct.ad_deleted and direct.title is None


@pytest.mark.parametrize("reverse", [False, True], ids=["same-order", "reversed"])
def test_the_database_refuses_a_second_direct_thread_for_a_pair(app, reverse):
    p = pair()
    factories.direct_conversation(p.recipient, by=p.sender, started_by=p.writer)
    to, by = (p.sender, p.recipient) if reverse else (p.recipient, p.sender)

    with pytest.raises(sa.exc.IntegrityError):
        factories.direct_conversation(to, by=by, started_by=p.coordinator)
    db.session.rollback()
    assert len(direct_conversations()) == 1


def test_the_database_refuses_a_direct_thread_that_names_an_ad(app):
    p = pair()
    ad = factories.ad(org=p.recipient)
    db.session.add(
        Conversation(
            kind=ConversationKind.DIRECT,
            direct_pair=direct_pair(p.recipient.id, p.sender.id),
            ad_id=ad.id,
            ad_title=ad.title,
            ad_organisation_id=p.recipient.id,
            interested_organisation_id=p.sender.id,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_first_message_that_loses_the_race_joins_the_thread_the_other_one_created(
    app, outbox, monkeypatch
):
    """Both organisations write to each other at the same moment: each request looked and found
    no thread. The one that inserts second hits the unique pair key, starts over and joins."""
    p = pair()
    other = services.contact_organisation(p.coordinator, p.recipient, p.sender, ANSWER)
    looked = []
    real_find = services.find_direct_conversation

    def find_too_early(first_id, second_id):
        looked.append((first_id, second_id))
        return None if len(looked) == 1 else real_find(first_id, second_id)

    monkeypatch.setattr(services, "find_direct_conversation", find_too_early)
    message = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)

    assert len(looked) == 2  # the retry looked again
    assert message.conversation_id == other.conversation_id
    assert len(direct_conversations()) == 1 and count(Message) == 2


def test_the_rules_of_writing_directly(app, outbox):
    p = pair()
    stranger = factories.member()

    with pytest.raises(services.NotParticipant):  # writes for an organisation not theirs
        services.contact_organisation(stranger, p.sender, p.recipient, TEXT)
    with pytest.raises(services.DirectContactRefused):  # its own organisation
        services.contact_organisation(p.coordinator, p.recipient, p.recipient, TEXT)
    both = factories.member(org=p.sender)
    factories.membership(both, p.recipient)
    with pytest.raises(services.DirectContactRefused):  # a member of both sides
        services.contact_organisation(both, p.sender, p.recipient, TEXT)
    with pytest.raises(services.InvalidMessage):
        services.contact_organisation(p.writer, p.sender, p.recipient, "Hej")
    p.recipient.hidden_at = utcnow()
    db.session.commit()
    with pytest.raises(services.DirectContactRefused):  # hidden by a moderator
        services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)

    assert count(Conversation) == 0 and count(Message) == 0
    assert outbox == []


# --- The organisation's page and the form --------------------------------------------------------


def test_a_visitor_is_offered_to_log_in_and_comes_back_to_the_form(app, client):
    p = pair()

    html = client.get(page_of(p.recipient)).get_data(as_text=True)

    back = f"/organisationer/{p.recipient.id}/kontakta"
    login = f"/konto/logga-in?next={back}"
    assert "Kontakta organisationen" in html
    assert f'href="{login}"' in html
    form = client.get(form_of(p.recipient)).get_data(as_text=True)
    assert 'id="direct-form"' not in form and "Logga in för att kontakta organisationen" in form
    response = client.post(login, data={"email": p.writer.email, "password": factories.PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert 'id="direct-form"' in client.get(back).get_data(as_text=True)


def test_members_of_the_organisation_are_not_offered_to_contact_it(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.colleague)

    assert "Kontakta organisationen" not in client.get(page_of(p.recipient)).get_data(as_text=True)
    page = client.get(form_of(p.recipient))
    refused = write(client, p.recipient)

    assert page.status_code == 200 and 'id="direct-form"' not in page.get_data(as_text=True)
    assert refused.status_code == 403
    assert count(Conversation) == 0 and outbox == []


def test_a_member_of_another_organisation_writes_and_lands_in_the_conversation(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.writer)

    html = client.get(page_of(p.recipient)).get_data(as_text=True)
    assert f'href="{form_of(p.recipient)}"' in html
    form = client.get(form_of(p.recipient)).get_data(as_text=True)
    assert 'id="direct-form"' in form and "Du skriver för Läxhjälpen Norrliden" in form
    assert "allmän handling" not in form  # not a public body
    response = write(client, p.recipient)

    conversation = direct_conversations()[0]
    assert response.status_code == 303
    assert response.headers["Location"] == f"/inkorg/{conversation.id}"
    page = client.get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert "Ditt meddelande är skickat till Språkvän Kalmar." in page
    assert "Konversation med Språkvän Kalmar" in page and TEXT in page
    assert "Direktkontakt" in page and "Om annonsen" not in page


def test_the_contacted_organisations_confirmed_members_are_mailed_in_their_language(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.writer)

    write(client, p.recipient)

    conversation = direct_conversations()[0]
    assert sorted(m["To"] for m in outbox) == sorted([p.coordinator.email, p.colleague.email])
    swedish = next(m for m in outbox if m["To"] == p.coordinator.email)
    english = next(m for m in outbox if m["To"] == p.colleague.email)
    assert swedish["Subject"] == "Läxhjälpen Norrliden har kontaktat er på Samverkanstorget"
    assert english["Subject"] == "Läxhjälpen Norrliden has contacted you on Samverkanstorget"
    body = text_of(swedish)
    assert TEXT in body and f"http://localhost/inkorg/{conversation.id}" in body
    assert "annons" not in body.split(TEXT)[0]  # no ad is named: there is none
    assert p.writer.email not in swedish.as_string()
    assert TEXT in swedish.get_body(("html",)).get_content()

    outbox.clear()
    answer = log_in(app.test_client(), p.coordinator)
    assert answer.post(f"/inkorg/{conversation.id}", data={"message": ANSWER}).status_code == 303
    assert [m["To"] for m in outbox] == [p.writer.email]
    assert outbox[0]["Subject"] == "Nytt meddelande från Språkvän Kalmar"
    assert ANSWER in text_of(outbox[0])


def test_a_second_visit_leads_to_the_existing_conversation(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.writer)
    write(client, p.recipient)
    conversation = direct_conversations()[0]

    html = client.get(page_of(p.recipient)).get_data(as_text=True)
    form = client.get(form_of(p.recipient)).get_data(as_text=True)
    # and the other side, from the writer's page, finds the same thread
    back = log_in(app.test_client(), p.coordinator).get(page_of(p.sender)).get_data(as_text=True)

    assert f'href="/inkorg/{conversation.id}"' in html
    assert "Ni har redan en konversation med Språkvän Kalmar" in form
    assert f'href="/inkorg/{conversation.id}"' in back


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Skriv ett meddelande."),
        ("Hej!", "Skriv ett meddelande på minst 10 tecken."),
        ("x" * 5001, "Meddelandet får vara högst 5000 tecken, nu är det 5001."),
    ],
    ids=["empty", "short", "long"],
)
def test_an_unacceptable_message_is_refused_and_the_text_kept(app, outbox, text, error):
    p = pair()
    client = log_in(app.test_client(), p.writer)

    response = write(client, p.recipient, text)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error in html
    assert 'aria-invalid="true"' in html
    assert text in html
    assert count(Conversation) == 0 and outbox == []


def test_the_error_is_in_the_users_language(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.writer)
    client.set_cookie("lang", "en")  # the language chosen on the site

    response = write(client, p.recipient, "Hi!")

    assert response.status_code == 422
    assert "Write a message of at least 10 characters." in response.get_data(as_text=True)


def test_with_htmx_an_invalid_message_swaps_only_the_form_section(app):
    p = pair()
    client = log_in(app.test_client(), p.writer)

    response = write(client, p.recipient, "Hej", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="direct"')
    assert "<html" not in html
    assert "Hej</textarea>" in html


def test_people_without_an_organisation_are_told_how_to_get_one(app, outbox):
    p = pair()
    loner = log_in(app.test_client(), factories.user())

    html = loner.get(form_of(p.recipient)).get_data(as_text=True)

    assert "Registrera din organisation" in html and 'id="direct-form"' not in html
    assert write(loner, p.recipient).status_code == 403
    assert count(Conversation) == 0


def test_an_unconfirmed_person_is_asked_to_confirm_and_nothing_is_sent(app, outbox):
    p = pair()
    newcomer = factories.member(confirmed=False)
    client = log_in(app.test_client(), newcomer)

    html = client.get(form_of(p.recipient)).get_data(as_text=True)
    response = write(client, p.recipient)

    assert "bekräfta din e-postadress" in html and 'id="direct-form"' not in html
    assert response.status_code == 303 and "/konto/obekraftad" in response.headers["Location"]
    assert count(Conversation) == 0 and outbox == []


def test_a_hidden_organisation_cannot_be_contacted(app, outbox):
    p = pair()
    p.recipient.hidden_at = utcnow()
    db.session.commit()
    client = log_in(app.test_client(), p.writer)

    assert client.get(form_of(p.recipient)).status_code == 404
    assert write(client, p.recipient).status_code == 404
    assert count(Conversation) == 0


def test_a_member_of_several_organisations_writes_for_the_one_they_represent(app, outbox):
    p = pair()
    third = factories.organisation(name="Kalmar Schackklubb")
    factories.membership(p.writer, third)
    client = log_in(app.test_client(), p.writer)

    form = client.get(form_of(p.recipient)).get_data(as_text=True)
    assert "Du skriver för Läxhjälpen Norrliden" in form
    assert "Företräd Kalmar Schackklubb i stället" in form
    switched = client.post(
        f"/organisationer/agera-for?next={form_of(p.recipient)}",
        data={"organisation_id": third.id},
    )
    assert switched.headers["Location"] == form_of(p.recipient)
    assert "Du skriver för Kalmar Schackklubb" in client.get(form_of(p.recipient)).get_data(
        as_text=True
    )
    write(client, p.recipient)

    conversation = direct_conversations()[0]
    assert conversation.interested_organisation_id == third.id


def test_a_public_body_carries_the_public_records_notice(app):
    p = pair(sector=Sector.PUBLIC)
    client = log_in(app.test_client(), p.writer)

    assert "allmän handling" in client.get(form_of(p.recipient)).get_data(as_text=True)


def test_a_filled_honeypot_pretends_success_but_stores_and_sends_nothing(app, outbox):
    p = pair()
    client = log_in(app.test_client(), p.writer)

    response = client.post(form_of(p.recipient), data={"message": TEXT, "website": "spam"})

    assert response.status_code == 303
    assert response.headers["Location"] == page_of(p.recipient)
    assert count(Conversation) == 0 and outbox == []


# --- Inbox, unread counts and Mina sidor ---------------------------------------------------------


def test_both_inboxes_list_the_thread_under_the_other_organisations_name(app, outbox):
    p = pair()
    ad = factories.ad(org=p.recipient, title="Vi söker tolkar")
    services.show_interest(p.writer, p.sender, ad, TEXT)
    services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    theirs = log_in(app.test_client(), p.coordinator)
    mine = log_in(app.test_client(), p.writer)

    inbox = theirs.get("/inkorg").get_data(as_text=True)
    own_inbox = mine.get("/inkorg").get_data(as_text=True)
    home = theirs.get("/mina-sidor").get_data(as_text=True)

    assert nav_inbox(inbox) == "Inkorg 2 olästa meddelanden"
    assert inbox.count('<li class="card card-unread">') == 2
    assert inbox.count("Direktkontakt") == 1 and "Om annonsen: Vi söker tolkar" in inbox
    assert inbox.count(">Läxhjälpen Norrliden</a>") == 2
    assert own_inbox.count("Direktkontakt") == 1 and ">Språkvän Kalmar</a>" in own_inbox
    assert "card-unread" not in own_inbox  # one's own messages are never unread
    assert "Direktkontakt" in home and "None" not in home


def test_reading_the_direct_thread_clears_its_unread_count(app, outbox):
    p = pair()
    message = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    client = log_in(app.test_client(), p.coordinator)

    client.get(f"/inkorg/{message.conversation_id}")

    assert services.unread_total(p.coordinator) == 0
    assert services.unread_total(p.colleague) == 1


def test_outsiders_get_404_for_a_direct_thread(app, outbox):
    p = pair()
    message = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    outsider = log_in(app.test_client(), factories.member())

    assert outsider.get(f"/inkorg/{message.conversation_id}").status_code == 404
    reply = outsider.post(f"/inkorg/{message.conversation_id}", data={"message": ANSWER})
    assert reply.status_code == 404
    assert count(Message) == 1


# --- Moderation, agreements, the privacy export and deletions -----------------------------------


def test_a_message_in_a_direct_thread_can_be_reported_and_moderated(app, outbox):
    p = pair()
    message = services.contact_organisation(p.writer, p.sender, p.recipient, "Köp solglasögon!!!")
    reporter = log_in(app.test_client(), p.coordinator)
    report = {"reason": "spam", "text": "Det här är reklam för en webbshop, inte samverkan."}

    assert reporter.post(f"/rapportera/meddelande/{message.id}", data=report).status_code == 303

    from marketplace.moderation.models import Report

    report_id = db.session.scalar(sa.select(Report.id))
    admin = log_in(app.test_client(), factories.user(is_site_admin=True))
    page = admin.get(f"/moderering/rapporter/{report_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Köp solglasögon!!!" in html and "Språkvän Kalmar (direktkontakt)" in html


def test_an_agreement_can_grow_out_of_a_direct_thread(app, outbox):
    p = pair()
    message = services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    client = log_in(app.test_client(), p.coordinator)

    started = client.post(f"/inkorg/{message.conversation_id}/overenskommelse")
    page = client.get(f"/inkorg/{message.conversation_id}/overenskommelse")

    assert started.status_code == 303
    html = page.get_data(as_text=True)
    assert "Mellan Läxhjälpen Norrliden och Språkvän Kalmar, utifrån deras direktkontakt." in html
    assert "None" not in html
    printed = client.get(f"/inkorg/{message.conversation_id}/overenskommelse/utskrift")
    assert printed.status_code == 200
    assert "Om annonsen" not in printed.get_data(as_text=True)
    assert "None" not in printed.get_data(as_text=True)
    from marketplace.notifications.models import OutboxEmail

    mail = db.session.scalars(  # queued for the worker, in the writer's language
        sa.select(OutboxEmail).where(
            OutboxEmail.recipient == p.writer.email, OutboxEmail.key.like("partnership-%")
        )
    ).one()
    assert "utifrån er direktkontakt" in mail.text_body and "None" not in mail.text_body
    assert "utifrån er direktkontakt" in mail.html_body


def test_the_privacy_export_names_a_direct_thread_as_such(app, outbox):
    p = pair()
    services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    client = log_in(app.test_client(), p.writer)

    response = client.get("/konto/mina-uppgifter/ladda-ner")

    data = json.loads(response.get_data(as_text=True))
    (conversation,) = data["conversations"]
    assert conversation["kind"] == "direct"
    assert conversation["ad_id"] is None and conversation["ad_title"] is None
    assert sorted(conversation["organisations"]) == ["Läxhjälpen Norrliden", "Språkvän Kalmar"]
    assert conversation["started_by_you"] is True


def test_a_deleted_account_leaves_the_thread_and_a_deleted_organisation_takes_it(app, outbox):
    from marketplace.privacy import services as privacy

    p = pair()
    services.contact_organisation(p.writer, p.sender, p.recipient, TEXT)
    colleague = factories.member(org=p.sender, role=Role.MEMBER)
    services.contact_organisation(colleague, p.sender, p.recipient, TEXT + " Och en fråga till.")

    privacy.delete_account(colleague, factories.PASSWORD)  # the organisation stays
    assert len(direct_conversations()) == 1 and count(Message) == 2
    authors = db.session.scalars(sa.select(Message.author_id).order_by(Message.id)).all()
    assert authors == [p.writer.id, None]

    privacy.delete_account(p.writer, factories.PASSWORD)  # the last member: it goes, and the thread
    assert direct_conversations() == [] and count(Message) == 0
