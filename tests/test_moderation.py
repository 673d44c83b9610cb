"""Moderation through HTTP: reporting, the queue, hiding/restoring/dismissing, suspensions,
county moderators and the log, with who may do what on every route."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.extensions import db
from marketplace.moderation.models import (
    ActionKind,
    ContentKind,
    CountyModerator,
    ModerationAction,
    Report,
    ReportReason,
    ReportStatus,
)
from marketplace.organisations.models import Organisation, Role
from tests import factories
from tests.conftest import HTMX, log_in

REPORT = {"reason": "spam", "text": "Det här är reklam för en webbshop, inte samverkan."}
REASON = "Reklam för en webbshop bryter mot reglerna om annonser."


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fresh(model, ident):
    """The row as the database has it now (requests change rows behind this session's back)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def is_checked(html: str, value: str) -> bool:
    """A radio button with this value is ticked (WTForms orders attributes alphabetically)."""
    return re.search(rf'<input checked[^>]*value="{value}"', html) is not None


def ad_page(ad: Ad) -> str:
    return f"/annonser/{ad.id}-{ad.slug}"


@dataclass
class World:
    """An ad in Kalmar län by one organisation (an administrator and a member), a reporter in
    another organisation, a site administrator and moderators of Kalmar and of Skåne."""

    org: Organisation
    ad: Ad
    owner: User
    colleague: User
    reporter: User
    admin: User
    kalmar_moderator: User
    skane_moderator: User


def world() -> World:
    org = factories.organisation(name="Kalmar Läxhjälp", county_code="08")
    owner = factories.member(org=org, name="Olle Ägare")
    colleague = factories.member(org=org, role=Role.MEMBER, name="Cilla Kollega", locale="en")
    ad = factories.ad(org=org, title="Billiga solglasögon", county_code="08", author=owner)
    reporter = factories.member(
        org=factories.organisation(name="Studieförbundet Norr"), name="Rut Rapportör"
    )
    admin = factories.user(name="Ada Admin", is_site_admin=True)
    kalmar = factories.user(name="Kalle Kalmar")
    skane = factories.user(name="Stina Skåne")
    factories.county_moderator(kalmar, "08")
    factories.county_moderator(skane, "12")
    return World(org, ad, owner, colleague, reporter, admin, kalmar, skane)


def reported(w: World, kind: ContentKind = ContentKind.AD, content=None) -> Report:
    return factories.report(w.reporter, content or w.ad, kind=kind)


def conversation_about(w: World, text: str = "Köp solglasögon billigt på www.example.com!"):
    """A conversation about the ad: the reporter's organisation wrote first, the owner answered."""
    reporter_org = w.reporter.memberships[0].organisation
    conversation = factories.conversation(w.ad, interested=reporter_org, started_by=w.reporter)
    factories.message(
        conversation,
        w.reporter,
        "Hej! Vi är intresserade av läxhjälpen.",
        on_behalf_of=reporter_org,
    )
    answer = factories.message(conversation, w.owner, text, on_behalf_of=w.org)
    return conversation, answer


def decide(client, report: Report, decision: str, reason: str = REASON, **kwargs):
    return client.post(
        f"/moderering/rapporter/{report.id}/beslut",
        data={"decision-decision": decision, "decision-reason": reason},
        **kwargs,
    )


def search_titles(client, q: str = "") -> str:
    return client.get(f"/annonser?q={q}").get_data(as_text=True)


# --- Reporting ------------------------------------------------------------------------------


def test_a_logged_in_visitor_reports_an_ad_and_it_waits_in_the_queue(app, outbox):
    w = world()
    client = log_in(app.test_client(), w.reporter)
    page = client.get(ad_page(w.ad)).get_data(as_text=True)
    assert f'href="/rapportera/annons/{w.ad.id}"' in page

    form = client.get(f"/rapportera/annons/{w.ad.id}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Billiga solglasögon" in html
    for label in ("Spam eller reklam", "Olämpligt eller kränkande innehåll", "Felaktiga uppgifter"):
        assert label in html

    response = client.post(f"/rapportera/annons/{w.ad.id}", data=REPORT)

    assert response.status_code == 303
    assert response.headers["Location"] == ad_page(w.ad)
    report = db.session.scalars(sa.select(Report)).one()
    assert (report.kind, report.ad_id, report.reporter_id) == (
        ContentKind.AD,
        w.ad.id,
        w.reporter.id,
    )
    assert report.reason is ReportReason.SPAM and report.status is ReportStatus.OPEN
    assert "Tack för din rapport" in client.get(ad_page(w.ad)).get_data(as_text=True)
    queue = log_in(app.test_client(), w.admin).get("/moderering").get_data(as_text=True)
    assert "Billiga solglasögon" in queue and "Spam eller reklam" in queue
    # Only the county's moderator hears of it; the reporter and the organisation are told
    # nothing until a moderator decides.
    assert [m["To"] for m in outbox] == [w.kalmar_moderator.email]


def test_a_report_needs_a_reason_and_a_description_and_keeps_what_was_typed(app):
    w = world()
    client = log_in(app.test_client(), w.reporter)

    response = client.post(
        f"/rapportera/annons/{w.ad.id}", data={"text": "Bara en text utan skäl"}, headers=HTMX
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="report-form"')
    assert "Välj vad problemet är." in html
    assert "Bara en text utan skäl" in html
    missing_text = client.post(f"/rapportera/annons/{w.ad.id}", data={"reason": "other"})
    assert missing_text.status_code == 422
    assert "Beskriv kort vad som är fel." in missing_text.get_data(as_text=True)
    assert is_checked(missing_text.get_data(as_text=True), "other")
    assert count(Report) == 0


def test_anonymous_visitors_are_asked_to_log_in_before_reporting(app, client):
    w = world()
    assert "Rapportera annonsen" in client.get(ad_page(w.ad)).get_data(as_text=True)
    for method in (client.get, client.post):
        response = method(f"/rapportera/annons/{w.ad.id}", data=REPORT)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/konto/logga-in?next=")
    assert count(Report) == 0


def test_reporting_twice_while_the_first_report_is_open_adds_nothing(app):
    w = world()
    client = log_in(app.test_client(), w.reporter)
    client.post(f"/rapportera/annons/{w.ad.id}", data=REPORT)
    again = client.post(f"/rapportera/annons/{w.ad.id}", data=REPORT)
    assert again.status_code == 303
    assert count(Report) == 1


def test_an_organisation_can_be_reported_from_its_page(app):
    w = world()
    client = log_in(app.test_client(), w.reporter)
    page = client.get(f"/organisationer/{w.org.id}-{w.org.slug}").get_data(as_text=True)
    assert f'href="/rapportera/organisation/{w.org.id}"' in page
    response = client.post(f"/rapportera/organisation/{w.org.id}", data=REPORT)
    assert response.status_code == 303
    report = db.session.scalars(sa.select(Report)).one()
    assert report.kind is ContentKind.ORGANISATION and report.organisation_id == w.org.id


def test_members_see_no_report_link_on_their_own_ad_or_organisation(app):
    w = world()
    client = log_in(app.test_client(), w.colleague)
    assert "/rapportera/" not in client.get(ad_page(w.ad)).get_data(as_text=True)
    organisation_page = client.get(f"/organisationer/{w.org.id}-{w.org.slug}")
    assert "/rapportera/" not in organisation_page.get_data(as_text=True)


def test_each_message_from_the_other_organisation_can_be_reported_by_the_parties_only(app):
    w = world()
    conversation, answer = conversation_about(w)
    client = log_in(app.test_client(), w.reporter)
    thread = client.get(f"/inkorg/{conversation.id}").get_data(as_text=True)
    assert thread.count('href="/rapportera/meddelande/') == 1  # not on one's own messages
    assert f'href="/rapportera/meddelande/{answer.id}"' in thread

    assert client.post(f"/rapportera/meddelande/{answer.id}", data=REPORT).status_code == 303
    outsider = log_in(app.test_client(), factories.member())
    assert outsider.get(f"/rapportera/meddelande/{answer.id}").status_code == 404
    assert outsider.post(f"/rapportera/meddelande/{answer.id}", data=REPORT).status_code == 404
    assert count(Report) == 1


@pytest.mark.parametrize(
    "path", ["/rapportera/annons/999999", "/rapportera/okand/1", "/rapportera/organisation/999999"]
)
def test_reporting_something_that_does_not_exist_is_not_found(app, path):
    client = log_in(app.test_client(), factories.user())
    assert client.get(path).status_code == 404
    assert client.post(path, data=REPORT).status_code == 404


# --- Who may moderate ----------------------------------------------------------------------


MODERATOR_PAGES = ["/moderering"]
ADMIN_PAGES = ["/moderering/logg", "/moderering/moderatorer", "/moderering/konton"]


@pytest.mark.parametrize("path", MODERATOR_PAGES + ADMIN_PAGES + ["/moderering/rapporter/{id}"])
def test_anonymous_visitors_are_sent_to_log_in_and_ordinary_users_are_refused(app, client, path):
    w = world()
    path = path.format(id=reported(w).id)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")
    assert log_in(app.test_client(), w.owner).get(path).status_code == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/moderering/rapporter/{id}/beslut",
            {"decision-decision": "hide", "decision-reason": "x"},
        ),
        (
            "/moderering/rapporter/{id}/stang-av",
            {"suspend-user_id": "{owner}", "suspend-reason": "x"},
        ),
        ("/moderering/konton/stang-av", {"suspend-email": "{email}", "suspend-reason": "x"}),
        ("/moderering/konton/{owner}/ateraktivera", {"reinstate-{owner}-reason": "x"}),
        ("/moderering/moderatorer", {"email": "{email}", "county": "08"}),
        ("/moderering/moderatorer/{kalmar}/08/ta-bort", {}),
    ],
)
def test_no_moderation_post_works_for_anonymous_visitors_or_ordinary_users(app, client, path, data):
    w = world()
    report = reported(w)
    values = {
        "id": report.id,
        "owner": w.owner.id,
        "email": w.owner.email,
        "kalmar": w.kalmar_moderator.id,
    }
    path = path.format(**values)
    data = {key.format(**values): value.format(**values) for key, value in data.items()}
    before = _state(w)

    anonymous = client.post(path, data=data)
    refused = log_in(app.test_client(), w.colleague).post(path, data=data)

    assert anonymous.status_code == 302 and "/konto/logga-in" in anonymous.headers["Location"]
    assert refused.status_code == 403
    assert _state(w) == before


def _state(w: World) -> tuple:
    db.session.expire_all()
    report = db.session.scalars(sa.select(Report)).first()
    return (
        db.session.get(Ad, w.ad.id).hidden_at,
        report.status if report else None,
        db.session.get(User, w.owner.id).suspended_at,
        count(ModerationAction),
        count(CountyModerator),
    )


def test_a_county_moderator_of_another_county_cannot_see_or_decide_the_report(app, outbox):
    w = world()
    report = reported(w)
    client = log_in(app.test_client(), w.skane_moderator)
    before = _state(w)

    assert "Billiga solglasögon" not in client.get("/moderering").get_data(as_text=True)
    assert client.get(f"/moderering/rapporter/{report.id}").status_code == 403
    assert decide(client, report, "hide").status_code == 403
    assert decide(client, report, "dismiss").status_code == 403

    assert _state(w) == before
    assert outbox == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_county_moderators_cannot_open_the_administrators_pages(app, path):
    w = world()
    assert log_in(app.test_client(), w.kalmar_moderator).get(path).status_code == 403


def test_county_moderators_cannot_suspend_accounts(app, outbox):
    w = world()
    report = reported(w)
    client = log_in(app.test_client(), w.kalmar_moderator)
    page = client.get(f"/moderering/rapporter/{report.id}").get_data(as_text=True)
    assert "Stäng av kontot" not in page
    response = client.post(
        f"/moderering/rapporter/{report.id}/stang-av",
        data={"suspend-user_id": str(w.owner.id), "suspend-reason": REASON},
    )
    assert response.status_code == 403
    assert fresh(User, w.owner.id).suspended_at is None


def test_a_county_moderator_sees_the_reports_about_their_county_only(app):
    w = world()
    nationwide = factories.ad(org=w.org, title="Rikstäckande annons", county_code=None)
    elsewhere_org = factories.organisation(name="Malmö Förening", county_code="12")
    elsewhere = factories.ad(org=elsewhere_org, title="Annons i Skåne", county_code="12")
    # An ad for Kalmar by an organisation in Skåne belongs to both counties.
    visiting = factories.ad(org=elsewhere_org, title="Skånsk annons för Kalmar", county_code="08")
    _conversation, message = conversation_about(w)
    for kind, content in [
        (ContentKind.AD, w.ad),
        (ContentKind.AD, nationwide),
        (ContentKind.AD, elsewhere),
        (ContentKind.AD, visiting),
        (ContentKind.ORGANISATION, w.org),
        (ContentKind.ORGANISATION, elsewhere_org),
        (ContentKind.MESSAGE, message),
    ]:
        reported(w, kind, content)

    kalmar = log_in(app.test_client(), w.kalmar_moderator).get("/moderering").get_data(as_text=True)
    skane = log_in(app.test_client(), w.skane_moderator).get("/moderering").get_data(as_text=True)
    admin = log_in(app.test_client(), w.admin).get("/moderering").get_data(as_text=True)

    kalmar_rows = re.findall(
        r'<th scope="row"><a href="/moderering/rapporter/\d+">([^<]+)</a>', kalmar
    )
    skane_rows = re.findall(
        r'<th scope="row"><a href="/moderering/rapporter/\d+">([^<]+)</a>', skane
    )
    assert sorted(kalmar_rows) == sorted(
        [
            "Billiga solglasögon",
            "Rikstäckande annons",  # all of Sweden, by an organisation in Kalmar län
            "Skånsk annons för Kalmar",
            "Kalmar Läxhjälp",
            "meddelande",  # the conversation's ad is in Kalmar län
        ]
    )
    assert sorted(skane_rows) == sorted(
        ["Annons i Skåne", "Skånsk annons för Kalmar", "Malmö Förening"]
    )
    assert admin.count('<th scope="row">') == 7
    assert "Kalmar län" in kalmar


# --- Decisions ------------------------------------------------------------------------------


def test_hiding_an_ad_removes_it_for_the_public_and_tells_reporter_and_organisation(
    app, client, outbox
):
    w = world()
    log_in(app.test_client(), w.reporter).post(f"/rapportera/annons/{w.ad.id}", data=REPORT)
    report = db.session.scalars(sa.select(Report)).one()
    outbox.clear()  # the moderator's notice of the report (tested in test_moderation_notifications)
    moderator = log_in(app.test_client(), w.kalmar_moderator)
    review = moderator.get(f"/moderering/rapporter/{report.id}").get_data(as_text=True)
    assert "Det här är reklam för en webbshop" in review and "Rut Rapportör" in review

    response = decide(moderator, report, "hide")

    assert response.status_code == 303
    assert response.headers["Location"] == "/moderering"
    assert client.get(ad_page(w.ad)).status_code == 404
    assert "Billiga solglasögon" not in search_titles(client)
    assert "Billiga solglasögon" not in search_titles(client, "solglasogon")
    owner_view = log_in(app.test_client(), w.owner).get(ad_page(w.ad))
    assert owner_view.status_code == 200
    assert "Annonsen har dolts av en moderator" in owner_view.get_data(as_text=True)
    assert REASON in owner_view.get_data(as_text=True)
    assert moderator.get(ad_page(w.ad)).status_code == 200
    db.session.expire_all()  # the requests changed the rows behind this session's back
    assert db.session.get(Report, report.id).status is ReportStatus.ACTIONED

    by_recipient = {m["To"]: m for m in outbox}
    assert set(by_recipient) == {w.reporter.email, w.owner.email, w.colleague.email}
    assert "dolt innehållet" in text_of(by_recipient[w.reporter.email])
    assert REASON not in text_of(by_recipient[w.reporter.email])
    owner_mail = text_of(by_recipient[w.owner.email])
    assert "Billiga solglasögon" in owner_mail and REASON in owner_mail
    assert f"http://localhost{ad_page(w.ad)}" in owner_mail
    assert by_recipient[w.colleague.email]["Subject"].startswith("A moderator") or (
        "moderator" in by_recipient[w.colleague.email]["Subject"]
    )

    [entry] = db.session.scalars(sa.select(ModerationAction)).all()
    assert (entry.action, entry.actor_id, entry.target_id) == (
        ActionKind.HIDE,
        w.kalmar_moderator.id,
        w.ad.id,
    )
    assert entry.reason == REASON


def test_a_decision_needs_a_reason_and_keeps_the_choice(app, outbox):
    w = world()
    report = reported(w)
    moderator = log_in(app.test_client(), w.admin)

    response = decide(moderator, report, "hide", reason="   ")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Skriv en motivering." in html
    assert is_checked(html, "hide")
    assert fresh(Ad, w.ad.id).hidden_at is None
    assert count(ModerationAction) == 0 and outbox == []


def test_restoring_a_hidden_ad_brings_it_back_and_tells_the_organisation(app, client, outbox):
    w = world()
    report = reported(w)
    moderator = log_in(app.test_client(), w.admin)
    decide(moderator, report, "hide")
    outbox.clear()
    review = moderator.get(f"/moderering/rapporter/{report.id}").get_data(as_text=True)
    assert 'value="restore"' in review and 'value="hide"' not in review

    response = decide(moderator, report, "restore", reason="Annonsen var rättad av föreningen.")

    assert response.status_code == 303
    assert client.get(ad_page(w.ad)).status_code == 200
    assert "Billiga solglasögon" in search_titles(client)
    assert sorted(m["To"] for m in outbox) == sorted([w.owner.email, w.colleague.email])
    assert "återställt" in text_of(next(m for m in outbox if m["To"] == w.owner.email))
    actions = db.session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
    assert list(actions) == [ActionKind.HIDE, ActionKind.RESTORE]


def test_dismissing_keeps_the_content_and_tells_only_the_reporters(app, client, outbox):
    w = world()
    report = reported(w)
    second_reporter = factories.user()
    factories.report(second_reporter, w.ad, reason=ReportReason.INACCURATE, text="Fel datum.")

    response = decide(log_in(app.test_client(), w.kalmar_moderator), report, "dismiss")

    assert response.status_code == 303
    assert client.get(ad_page(w.ad)).status_code == 200
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(Report))} == {ReportStatus.DISMISSED}
    assert sorted(m["To"] for m in outbox) == sorted([w.reporter.email, second_reporter.email])
    assert "inte bryter mot våra regler" in text_of(outbox[0])


def test_hiding_an_organisation_takes_it_and_its_ads_out_of_the_directory_and_search(
    app, client, outbox
):
    w = world()
    report = reported(w, ContentKind.ORGANISATION, w.org)

    decide(log_in(app.test_client(), w.kalmar_moderator), report, "hide")

    assert client.get(f"/organisationer/{w.org.id}-{w.org.slug}").status_code == 404
    assert "Kalmar Läxhjälp" not in client.get("/organisationer/").get_data(as_text=True)
    assert "Billiga solglasögon" not in search_titles(client)
    assert client.get(ad_page(w.ad)).status_code == 404
    member_view = log_in(app.test_client(), w.colleague).get(
        f"/organisationer/{w.org.id}-{w.org.slug}"
    )
    assert member_view.status_code == 200
    assert "Organisationen har dolts av en moderator" in member_view.get_data(as_text=True)


def test_a_hidden_message_shows_a_notice_instead_of_its_text(app, outbox):
    w = world()
    conversation, answer = conversation_about(w)
    report = reported(w, ContentKind.MESSAGE, answer)

    decide(log_in(app.test_client(), w.kalmar_moderator), report, "hide")

    for person in (w.reporter, w.owner):
        thread = (
            log_in(app.test_client(), person)
            .get(f"/inkorg/{conversation.id}")
            .get_data(as_text=True)
        )
        assert "Meddelandet har dolts av en moderator" in thread
        assert "Köp solglasögon billigt" not in thread
        assert "Vi är intresserade av läxhjälpen" in thread
    # The writer hears about it; the reporter hears the outcome.
    assert sorted(m["To"] for m in outbox) == sorted([w.owner.email, w.reporter.email])
    owner_mail = next(m for m in outbox if m["To"] == w.owner.email)
    assert f"http://localhost/inkorg/{conversation.id}" in text_of(owner_mail)


def test_reports_about_deleted_content_can_still_be_dismissed_by_an_administrator(app):
    w = world()
    report = reported(w)
    db.session.delete(w.ad)
    db.session.commit()
    admin = log_in(app.test_client(), w.admin)
    page = admin.get(f"/moderering/rapporter/{report.id}").get_data(as_text=True)
    assert "Innehållet är borttaget" in page and 'value="hide"' not in page
    assert (
        log_in(app.test_client(), w.kalmar_moderator)
        .get(f"/moderering/rapporter/{report.id}")
        .status_code
        == 403
    )
    assert decide(admin, report, "dismiss").status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).status is ReportStatus.DISMISSED


def test_the_log_shows_who_did_what_when_and_why(app):
    w = world()
    decide(log_in(app.test_client(), w.kalmar_moderator), reported(w), "hide")
    page = log_in(app.test_client(), w.admin).get("/moderering/logg").get_data(as_text=True)
    assert "Kalle Kalmar" in page and "Dolde innehåll" in page
    assert "Billiga solglasögon" in page and REASON in page


def test_handled_reports_are_listed_apart_from_open_ones(app):
    w = world()
    report = reported(w)
    admin = log_in(app.test_client(), w.admin)
    decide(admin, report, "dismiss")
    assert "Inga öppna rapporter" in admin.get("/moderering").get_data(as_text=True)
    handled = admin.get("/moderering?visa=hanterade").get_data(as_text=True)
    assert "Billiga solglasögon" in handled and "Avvisad" in handled


# --- Suspensions ----------------------------------------------------------------------------


def test_a_suspended_account_is_logged_out_and_cannot_log_in_again(app, outbox):
    w = world()
    report = reported(w)
    owner_session = log_in(app.test_client(), w.owner)
    assert owner_session.get("/konto/installningar").status_code == 200

    response = log_in(app.test_client(), w.admin).post(
        f"/moderering/rapporter/{report.id}/stang-av",
        data={"suspend-user_id": str(w.owner.id), "suspend-reason": REASON},
    )

    assert response.status_code == 303
    assert owner_session.get("/konto/installningar").status_code == 302  # the session ended
    login = app.test_client().post(
        "/konto/logga-in", data={"email": w.owner.email, "password": factories.PASSWORD}
    )
    assert login.status_code == 422
    assert "Ditt konto är avstängt" in login.get_data(as_text=True)
    wrong = app.test_client().post(
        "/konto/logga-in", data={"email": w.owner.email, "password": "fel-lösenord-123"}
    )
    assert "avstängt" not in wrong.get_data(as_text=True)  # told only to who knows the password
    [mail] = [m for m in outbox if m["To"] == w.owner.email]
    assert REASON in text_of(mail)
    entry = db.session.scalars(sa.select(ModerationAction)).one()
    assert entry.action is ActionKind.SUSPEND and entry.target_id == w.owner.id


def test_reinstating_lets_the_account_log_in_again(app, outbox):
    w = world()
    admin = log_in(app.test_client(), w.admin)
    admin.post(
        "/moderering/konton/stang-av",
        data={"suspend-email": w.owner.email, "suspend-reason": REASON},
    )
    page = admin.get("/moderering/konton").get_data(as_text=True)
    assert "Olle Ägare" in page

    missing = admin.post(f"/moderering/konton/{w.owner.id}/ateraktivera", data={})
    assert missing.status_code == 422 and "Skriv en motivering." in missing.get_data(as_text=True)
    response = admin.post(
        f"/moderering/konton/{w.owner.id}/ateraktivera",
        data={f"reinstate-{w.owner.id}-reason": "Föreningen har förklarat sig."},
    )

    assert response.status_code == 303
    login = app.test_client().post(
        "/konto/logga-in", data={"email": w.owner.email, "password": factories.PASSWORD}
    )
    assert login.status_code == 303
    assert any("återaktiverat" in m["Subject"] for m in outbox if m["To"] == w.owner.email)


def test_suspending_an_unknown_address_explains_and_keeps_the_input(app):
    w = world()
    response = log_in(app.test_client(), w.admin).post(
        "/moderering/konton/stang-av",
        data={"suspend-email": "ingen@example.com", "suspend-reason": REASON},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Det finns inget konto med den e-postadressen." in html
    assert 'value="ingen@example.com"' in html and REASON in html


def test_administrators_cannot_suspend_themselves(app):
    w = world()
    response = log_in(app.test_client(), w.admin).post(
        "/moderering/konton/stang-av",
        data={"suspend-email": w.admin.email, "suspend-reason": REASON},
    )
    assert response.status_code == 422
    assert fresh(User, w.admin.id).suspended_at is None


# --- County moderators ----------------------------------------------------------------------


def test_an_administrator_appoints_a_county_moderator_who_then_sees_that_county(app):
    w = world()
    reported(w)
    newcomer = factories.user(name="Nora Ny")
    admin = log_in(app.test_client(), w.admin)
    assert log_in(app.test_client(), newcomer).get("/moderering").status_code == 403

    response = admin.post("/moderering/moderatorer", data={"email": newcomer.email, "county": "08"})

    assert response.status_code == 303
    listing = admin.get("/moderering/moderatorer").get_data(as_text=True)
    assert "Nora Ny" in listing and "Kalmar län" in listing
    queue = log_in(app.test_client(), newcomer).get("/moderering")
    assert queue.status_code == 200 and "Billiga solglasögon" in queue.get_data(as_text=True)
    assert "Moderering" in queue.get_data(as_text=True)  # the menu leads there

    removed = admin.post(f"/moderering/moderatorer/{newcomer.id}/08/ta-bort")
    assert removed.status_code == 303
    assert log_in(app.test_client(), newcomer).get("/moderering").status_code == 403
    actions = db.session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
    assert list(actions) == [ActionKind.ASSIGN_MODERATOR, ActionKind.REMOVE_MODERATOR]


def test_appointing_an_unknown_address_explains_and_keeps_the_input(app):
    w = world()
    response = log_in(app.test_client(), w.admin).post(
        "/moderering/moderatorer", data={"email": "okand@example.com", "county": "12"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="moderator-form"')
    assert "Det finns inget konto med den e-postadressen." in html
    assert 'value="okand@example.com"' in html and '<option selected value="12">' in html
    assert count(CountyModerator) == 2


def test_the_menu_shows_moderation_only_to_moderators(app):
    w = world()
    assert ">Moderering<" not in log_in(app.test_client(), w.owner).get("/").get_data(as_text=True)
    assert ">Moderering<" in log_in(app.test_client(), w.admin).get("/").get_data(as_text=True)
    assert ">Moderering<" in log_in(app.test_client(), w.kalmar_moderator).get("/").get_data(
        as_text=True
    )
