"""Moderators hear of new reports by e-mail (through the outbox and a real SMTP server): the
county moderators of the content's counties, else the site administrators; once per content
item while reports about it are open."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.moderation.models import Report
from tests import factories
from tests.test_moderation import (
    REPORT,
    World,
    conversation_about,
    decide,
    log_in,
    text_of,
    world,
)


def report(app, person, path: str):
    response = log_in(app.test_client(), person).post(path, data=REPORT)
    assert response.status_code == 303
    return response


def recipients(outbox) -> list[str]:
    return sorted(message["To"] for message in outbox)


def newest_report() -> Report:
    return db.session.scalars(sa.select(Report).order_by(Report.id.desc())).first()


def test_the_county_s_moderators_are_told_of_a_report_in_their_language(app, outbox):
    w = world()
    english = factories.user(name="Elin English", locale="en")
    factories.county_moderator(english, "08")

    report(app, w.reporter, f"/rapportera/annons/{w.ad.id}")

    # Kalmar's moderators; not Skåne's, and not the administrator while Kalmar has moderators.
    assert recipients(outbox) == sorted([w.kalmar_moderator.email, english.email])
    swedish = next(m for m in outbox if m["To"] == w.kalmar_moderator.email)
    assert swedish["Subject"] == "Ny rapport om annonsen ”Billiga solglasögon”"
    body = text_of(swedish)
    assert "Hej Kalle Kalmar!" in body and "Problem: Spam eller reklam." in body
    assert f"http://localhost/moderering/rapporter/{newest_report().id}" in body
    # The reporter stays anonymous outside the moderation pages.
    assert "Rut Rapportör" not in body and w.reporter.email not in body
    assert "Det här är reklam för en webbshop" not in body
    in_english = next(m for m in outbox if m["To"] == english.email)
    assert in_english["Subject"] == "New report about the ad ”Billiga solglasögon”"
    assert "Problem: Spam or advertising." in text_of(in_english)


def test_more_reports_about_the_same_content_send_no_more_mail_until_it_is_handled(app, outbox):
    w = world()
    report(app, w.reporter, f"/rapportera/annons/{w.ad.id}")
    report(app, factories.user(), f"/rapportera/annons/{w.ad.id}")
    report(app, factories.user(), f"/rapportera/annons/{w.ad.id}")
    assert recipients(outbox) == [w.kalmar_moderator.email]

    other_ad = factories.ad(org=w.org, title="Gratis kryssning", county_code="08")
    report(app, w.reporter, f"/rapportera/annons/{other_ad.id}")
    assert len(outbox) == 2  # another content item: a mail of its own
    assert "Gratis kryssning" in outbox[1]["Subject"]

    decide(log_in(app.test_client(), w.kalmar_moderator), newest_report_about(w.ad.id), "dismiss")
    outbox.clear()
    # (Another reporter: the same person's identical report seconds later is a double submit.)
    report(app, factories.user(), f"/rapportera/annons/{w.ad.id}")

    assert recipients(outbox) == [w.kalmar_moderator.email]  # a new round after the decision


def newest_report_about(ad_id: int) -> Report:
    return db.session.scalars(
        sa.select(Report).where(Report.ad_id == ad_id).order_by(Report.id.desc())
    ).first()


def test_content_in_a_county_without_moderators_goes_to_the_site_administrators(app, outbox):
    w = world()
    second_admin = factories.user(name="Bo Admin", is_site_admin=True, locale="en")
    factories.user(name="Sov Admin", is_site_admin=True, suspended_at=utcnow())
    factories.user(name="Ny Admin", is_site_admin=True, confirmed=False)
    gotland = factories.organisation(name="Gotlands Förening", county_code="09")
    ad = factories.ad(org=gotland, title="Annons på Gotland", county_code="09")

    report(app, w.reporter, f"/rapportera/annons/{ad.id}")

    assert recipients(outbox) == sorted([w.admin.email, second_admin.email])
    english = next(m for m in outbox if m["To"] == second_admin.email)
    assert english["Subject"] == "New report about the ad ”Annons på Gotland”"


def test_each_county_of_the_content_counts(app, outbox):
    """An ad for Kalmar län by an organisation in Skåne concerns both counties' moderators; an
    organisation, its own county's; a message, its conversation's ad's counties."""
    w = world()
    skane_org = factories.organisation(name="Malmö Förening", county_code="12")
    visiting = factories.ad(org=skane_org, title="Skånsk annons för Kalmar", county_code="08")

    report(app, w.reporter, f"/rapportera/annons/{visiting.id}")
    assert recipients(outbox) == sorted([w.kalmar_moderator.email, w.skane_moderator.email])

    outbox.clear()
    report(app, w.reporter, f"/rapportera/organisation/{skane_org.id}")
    assert recipients(outbox) == [w.skane_moderator.email]

    outbox.clear()
    _conversation, answer = conversation_about(w)
    report(app, w.reporter, f"/rapportera/meddelande/{answer.id}")
    assert recipients(outbox) == [w.kalmar_moderator.email]
    assert "meddelandet" in outbox[0]["Subject"]


def test_a_moderator_who_reports_something_is_not_told_of_their_own_report(app, outbox):
    w = world()
    report(app, w.kalmar_moderator, f"/rapportera/annons/{w.ad.id}")
    assert outbox == []


def test_a_report_that_was_already_made_sends_nothing_new(app, outbox):
    w: World = world()
    report(app, w.reporter, f"/rapportera/annons/{w.ad.id}")
    outbox.clear()
    report(app, w.reporter, f"/rapportera/annons/{w.ad.id}")
    assert outbox == []
