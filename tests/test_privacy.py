"""GDPR self-service through HTTP: "Mina uppgifter", the JSON download and deleting the account."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.alerts.models import Rhythm, SavedSearch
from marketplace.contact.models import Message
from marketplace.extensions import db
from marketplace.moderation.models import Report, ReportReason
from marketplace.notifications.models import OutboxEmail
from marketplace.organisations.models import Membership, Organisation, Role
from tests import factories
from tests.conftest import log_in
from tests.test_moderation import fresh

PAGES = [
    "/konto/mina-uppgifter",
    "/konto/mina-uppgifter/ladda-ner",
    "/konto/mina-uppgifter/ta-bort",
]


def count(model, *conditions) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def person_with_history():
    """Anna: a member of two organisations (one shared with Bo), who has written an ad and
    messages, saved a search, reported something and received e-mail."""
    shared = factories.organisation(name="Kalmar Läxhjälp")
    bo = factories.member(org=shared, name="Bo Kollega")
    anna = factories.member(org=shared, role=Role.MEMBER, name="Anna Andersson")
    ad = factories.ad(org=shared, title="Vi söker läxhjälpare", author=anna)
    other = factories.organisation(name="Studieförbundet Norr")
    olof = factories.member(org=other, name="Olof Annan")
    other_ad = factories.ad(org=other, title="Lokal att låna ut")
    conversation = factories.conversation(other_ad, interested=shared, started_by=anna)
    factories.message(
        conversation, anna, "Hej, vi vill gärna låna lokalen på lördagar.", on_behalf_of=shared
    )
    factories.message(
        conversation,
        olof,
        "Olofs hemliga svar med hans telefonnummer 070-123 45 67.",
        on_behalf_of=other,
    )
    db.session.add(
        SavedSearch(user=anna, name="Läxhjälp i Kalmar", text="läxhjälp", rhythm=Rhythm.DAILY)
    )
    db.session.commit()
    factories.report(anna, other_ad, reason=ReportReason.INACCURATE, text="Fel adress i annonsen.")
    factories.outbox_email(
        subject="Bekräfta din e-postadress", recipient=anna.email, key="confirm:anna"
    )
    factories.outbox_email(subject="Bos hemliga post", recipient=bo.email, key="other:bo")
    return anna, bo, shared, ad, conversation


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_asked_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in?next=")


def test_the_page_explains_what_is_stored_and_is_linked_from_the_account_page(app):
    anna, *_ = person_with_history()
    client = log_in(app.test_client(), anna)
    assert 'href="/konto/mina-uppgifter"' in client.get("/konto/installningar").get_data(
        as_text=True
    )
    html = client.get("/konto/mina-uppgifter").get_data(as_text=True)
    assert "<h1>Mina uppgifter</h1>" in html
    assert anna.email in html
    assert "Du är med i 1 organisation." in html
    assert "Du har skrivit 1 annons." in html and "Du har skrivit 1 meddelande." in html
    assert "1 sparad sökning." in html
    assert "1 e-postmeddelande till dig finns i vår logg" in html
    assert "efter 7 dagar" in html and "efter 12 månader" in html
    assert 'href="/konto/mina-uppgifter/ladda-ner"' in html


def test_the_download_holds_everything_about_the_person_and_nothing_about_others(app):
    anna, _bo, shared, _ad, conversation = person_with_history()

    response = log_in(app.test_client(), anna).get("/konto/mina-uppgifter/ladda-ner")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="samverkanstorget-mina-uppgifter-'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == anna.email and data["profile"]["name"] == "Anna Andersson"
    assert data["memberships"] == [
        {
            "organisation_id": shared.id,
            "organisation": "Kalmar Läxhjälp",
            "role": "member",
            "since": data["memberships"][0]["since"],
        }
    ]
    assert [a["title"] for a in data["ads"]] == ["Vi söker läxhjälpare"]
    assert [m["body"] for m in data["messages"]] == ["Hej, vi vill gärna låna lokalen på lördagar."]
    assert [c["ad_title"] for c in data["conversations"]] == ["Lokal att låna ut"]
    assert data["conversations"][0]["id"] == conversation.id
    assert [s["name"] for s in data["saved_searches"]] == ["Läxhjälp i Kalmar"]
    assert [r["text"] for r in data["reports"]] == ["Fel adress i annonsen."]
    assert [e["subject"] for e in data["email_log"]] == ["Bekräfta din e-postadress"]
    assert data["email_log"][0]["status"] == "sent"
    raw = response.get_data(as_text=True)
    assert "Olofs hemliga svar" not in raw  # other people's messages are theirs
    assert "Bos hemliga post" not in raw  # other people's mail too
    assert "password" not in raw and anna.password_hash not in raw


def test_deleting_the_account_needs_the_password_and_keeps_what_was_typed(app):
    anna, *_ = person_with_history()
    client = log_in(app.test_client(), anna)

    response = client.post("/konto/mina-uppgifter/ta-bort", data={"password": "fel-lösenord-123"})

    assert response.status_code == 422
    assert "Lösenordet stämmer inte" in response.get_data(as_text=True)
    assert fresh(User, anna.id) is not None
    empty = client.post("/konto/mina-uppgifter/ta-bort", data={})
    assert empty.status_code == 422
    assert "Skriv ditt lösenord" in empty.get_data(as_text=True)


def test_deleting_the_account_anonymises_what_stays_and_removes_the_rest(app, outbox):
    anna, bo, shared, ad, conversation = person_with_history()
    anna_id, anna_email = anna.id, anna.email
    client = log_in(app.test_client(), anna)
    page = client.get("/konto/mina-uppgifter/ta-bort").get_data(as_text=True)
    assert "Du lämnar:" in page and "Kalmar Läxhjälp" in page
    assert "tas också bort" not in page

    response = client.post("/konto/mina-uppgifter/ta-bort", data={"password": factories.PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Ditt konto är borttaget" in client.get("/").get_data(as_text=True)
    assert client.get("/konto/installningar").status_code == 302  # logged out
    assert fresh(User, anna_id) is None
    assert count(Membership, Membership.user_id == anna_id) == 0
    kept_ad = fresh(Ad, ad.id)
    assert (
        kept_ad is not None and kept_ad.author_id is None and kept_ad.organisation_id == shared.id
    )
    assert count(Message, Message.author_id.is_(None)) == 1
    assert count(Message) == 2
    assert count(SavedSearch) == 0
    report = db.session.scalars(sa.select(Report)).one()
    assert report.reporter_id is None and report.text == "Fel adress i annonsen."
    assert [
        row.subject
        for row in db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.recipient == anna_email)
        )
    ] == ["Ditt konto på Samverkanstorget är borttaget"]
    assert count(OutboxEmail, OutboxEmail.recipient == bo.email) == 1  # others' mail stays
    [mail] = [m for m in outbox if m["To"] == anna_email]
    assert "borttaget" in mail["Subject"]
    thread = log_in(app.test_client(), bo).get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert "Tidigare medlem" in thread and "Anna Andersson" not in thread


def test_the_only_administrator_of_an_organisation_with_members_must_hand_over_first(app):
    org = factories.organisation(name="Föreningen Kvar")
    admin = factories.member(org=org, name="Ensam Admin")
    factories.member(org=org, role=Role.MEMBER)
    client = log_in(app.test_client(), admin)

    page = client.get("/konto/mina-uppgifter/ta-bort")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ensam administratör" in html
    assert f'href="/organisationer/{org.id}/medlemmar"' in html
    assert 'id="delete-form"' not in html

    refused = client.post("/konto/mina-uppgifter/ta-bort", data={"password": factories.PASSWORD})

    assert refused.status_code == 409
    assert fresh(User, admin.id) is not None
    assert count(Organisation) == 1


def test_an_organisation_whose_only_member_leaves_goes_with_its_ads(app, client):
    solo = factories.member(name="Solo Person")
    org = solo.acting_organisation
    factories.ad(org=org, title="Ensam annons")
    factories.ad(org=org, title="Andra annonsen")
    other = factories.ad(title="Någon annans annons")
    session = log_in(app.test_client(), solo)
    page = session.get("/konto/mina-uppgifter/ta-bort").get_data(as_text=True)
    assert f"Du är den enda medlemmen i {org.name}" in page
    assert "Sammanlagt tas 2 annonser bort." in page

    response = session.post("/konto/mina-uppgifter/ta-bort", data={"password": factories.PASSWORD})

    assert response.status_code == 303
    assert count(Organisation, Organisation.id == org.id) == 0
    assert count(Ad) == 1 and fresh(Ad, other.id) is not None
    search = client.get("/annonser?q=annons").get_data(as_text=True)
    assert "Ensam annons" not in search and "Någon annans annons" in search
