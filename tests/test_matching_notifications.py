"""Match e-mails ("Ny matchning för er annons") and the reminder seven days before an ad expires."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads import reminders
from marketplace.ads import services as ad_services
from marketplace.ads.models import AdKind, AdStatus
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.matching import notices
from marketplace.matching.models import MatchNotice
from marketplace.organisations.models import Role
from tests import factories
from tests.conftest import log_in


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.fixture
def kommun(app):
    return factories.municipality(slug="kalmar-kommun")


@pytest.fixture
def sprakbron(app):
    return factories.organisation(name="Språkbron", slug="sprakbron")


HOMEWORK_NEED = {
    "kind": AdKind.NEED,
    "title": "Arabisktalande läxhjälpare till lördagsläxhjälpen",
    "body": "Vi söker volontärer som talar arabiska och kan ge läxhjälp i matematik till "
    "mellanstadiebarn i Norrliden.",
    "municipality_code": "0880",
    "seeks_civil": True,
}


def homework_offer_form(**overrides) -> dict:
    data = {
        "kind": "offer",
        "title": "Studenter ger läxhjälp på arabiska",
        "body": "Lärarstudenter som talar arabiska ger läxhjälp i matematik till "
        "mellanstadiebarn på lördagar i Norrliden.",
        "challenges": ["integration"],
        "county": "08",
        "municipality": "0880",
        "seeking": ["public"],
        "expires_on": (today() + timedelta(days=60)).isoformat(),
    }
    data.update(overrides)
    return data


def publish_offer(org, **overrides):
    """Publish through the real use case (which calls ads.events.ad_published)."""
    form = homework_offer_form(**overrides)
    return ad_services.publish_ad(
        org,
        None,
        kind=form["kind"],
        title=form["title"],
        body=form["body"],
        challenges=form["challenges"],
        county_code=form["county"],
        municipality_code=form["municipality"],
        seeking=form["seeking"],
        expires_on=today() + timedelta(days=60),
    )


# New matches


def test_publishing_an_ad_mails_the_members_of_the_organisation_it_fits(
    client, outbox, kommun, sprakbron
):
    their_need = factories.ad(org=kommun, **HOMEWORK_NEED)
    anna = factories.member(org=kommun, role=Role.ADMIN, email="anna@example.com")
    factories.member(org=kommun, role=Role.MEMBER, email="bo@example.com")
    factories.member(org=kommun, email="ny@example.com", confirmed=False)
    publisher = factories.member(org=sprakbron, email="publisher@example.com")

    response = log_in(client, publisher).post("/annonser/ny", data=homework_offer_form())

    assert response.status_code == 303
    assert sorted(message["To"] for message in outbox) == ["anna@example.com", "bo@example.com"]
    message = next(m for m in outbox if m["To"] == anna.email)
    assert message["Subject"] == "Ny matchning för er annons"
    text = plain(message)
    assert "Språkbron har publicerat en ny annons på Samverkanstorget:" in text
    assert "Studenter ger läxhjälp på arabiska" in text
    assert f"http://localhost/annonser/{their_need.id}-{their_need.slug}" in text
    assert "Ni söker – de erbjuder" in text
    assert "Samma kommun: Kalmar" in text
    assert "arabiska" in text
    assert f'href="http://localhost/annonser/{their_need.id}-{their_need.slug}"' in html(message)


def test_the_publisher_s_own_organisation_is_not_mailed_about_its_own_ads(
    client, outbox, sprakbron
):
    factories.ad(org=sprakbron, **HOMEWORK_NEED)
    publisher = factories.member(org=sprakbron)

    log_in(client, publisher).post("/annonser/ny", data=homework_offer_form())

    assert outbox == []


def test_a_weak_match_sends_nothing(app, outbox, kommun, sprakbron):
    factories.ad(org=kommun, **HOMEWORK_NEED)
    factories.member(org=kommun)

    # same town, same challenge, sectors that fit, but not one word in common
    publish_offer(sprakbron, title="Cyklar att låna", body="Vi lånar ut cyklar med hjälm.")

    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchNotice)) == 0


def test_one_e_mail_per_organisation_lists_all_its_ads_that_matched(app, outbox, kommun, sprakbron):
    first = factories.ad(org=kommun, **HOMEWORK_NEED)
    second = factories.ad(
        org=kommun,
        **{**HOMEWORK_NEED, "title": "Läxhjälp i matematik på arabiska för mellanstadiet"},
    )
    factories.member(org=kommun, email="anna@example.com")

    publish_offer(sprakbron)

    [message] = outbox
    text = plain(message)
    assert "Den passar ihop med 2 av era annonser:" in text
    assert first.title in text and second.title in text


def test_each_pair_of_ads_is_announced_once(app, outbox, kommun, sprakbron):
    their_need = factories.ad(org=kommun, **HOMEWORK_NEED)
    factories.member(org=kommun)
    new = publish_offer(sprakbron)
    assert len(outbox) == 1

    assert notices.notify_matches(new) == 0  # run again, e.g. by a retried task
    db.session.commit()
    assert db.session.scalars(sa.select(MatchNotice)).all()[0].ad_id == their_need.id

    db.session.add(MatchNotice(ad_id=their_need.id, matched_ad_id=new.id, score=1.0))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_match_e_mail_speaks_the_recipient_s_language(app, outbox, kommun, sprakbron):
    factories.ad(org=kommun, **HOMEWORK_NEED)
    factories.member(org=kommun, email="sv@example.com")
    factories.member(org=kommun, email="en@example.com", locale="en")

    publish_offer(sprakbron)

    by_address = {message["To"]: plain(message) for message in outbox}
    assert "Båda arbetar med integration och etablering" in by_address["sv@example.com"]
    assert "integration and settlement of newcomers" in by_address["en@example.com"]


# Expiry reminders


def expiring(org, days: int, **overrides):
    values = {
        "title": "Vi söker lokal för språkcafé",
        "expires_on": today() + timedelta(days=days),
        "published_at": utcnow() - timedelta(days=60),
        **overrides,
    }
    return factories.ad(org=org, **values)


def test_members_are_reminded_seven_days_before_an_ad_expires(client, outbox, kommun):
    ad = expiring(kommun, 7)
    member = factories.member(org=kommun, email="anna@example.com")

    assert reminders.send_expiry_reminders(today()) == 1

    [message] = outbox
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Er annons slutar visas om 7 dagar"
    text = plain(message)
    assert "Vi söker lokal för språkcafé" in text
    link = f"http://localhost/annonser/{ad.id}-{ad.slug}"
    assert link in text and f'href="{link}"' in html(message)
    assert "Förläng 90 dagar" in text
    # the link leads the member to the ad page, where the renew button is
    page = log_in(client, member).get(link.removeprefix("http://localhost"))
    assert f'action="/annonser/{ad.id}/forlang"' in page.get_data(as_text=True)


def test_the_reminder_is_sent_once_per_ad_and_expiry_date(app, outbox, kommun):
    ad = expiring(kommun, 7)
    factories.member(org=kommun)

    reminders.send_expiry_reminders(today())
    reminders.send_expiry_reminders(today())
    reminders.send_expiry_reminders(today() + timedelta(days=1))
    assert len(outbox) == 1

    ad_services.renew_ad(ad)  # a new last day: a new reminder when that comes near
    reminders.send_expiry_reminders(ad.expires_on - timedelta(days=7))
    assert len(outbox) == 2


@pytest.mark.parametrize(
    ("days", "overrides", "sent"),
    [
        (8, {}, 0),  # not yet
        (5, {}, 1),  # the reminder day was missed (worker down): caught up
        (0, {}, 0),  # last day is today: too late to help
        (7, {"status": AdStatus.PARTNER_FOUND}, 0),  # closed
        (5, {"published_at": utcnow() - timedelta(days=1)}, 0),  # a short ad never had its day
    ],
)
def test_which_ads_get_a_reminder(app, outbox, kommun, days, overrides, sent):
    expiring(kommun, days, **overrides)
    factories.member(org=kommun)

    assert reminders.send_expiry_reminders(today()) == sent
    assert len(outbox) == sent


def test_the_daily_task_sends_the_reminders(app, outbox, kommun):
    expiring(kommun, 7)
    factories.member(org=kommun)

    reminders.send_daily_reminders()  # huey runs tasks in-process in tests

    assert len(outbox) == 1
    schedule = reminders.send_daily_reminders.task_class()
    assert schedule.validate_datetime(datetime(2026, 11, 23, 6, 15))  # every morning
    assert not schedule.validate_datetime(datetime(2026, 11, 23, 18, 15))


def test_an_ad_published_late_in_the_evening_counts_from_its_swedish_date(app, outbox, kommun):
    # 23:30 UTC is already the next day in Sweden: published on the Swedish day six days before
    # its last day, the ad never had its reminder day, whatever the UTC date says.
    last_day = today() + timedelta(days=5)
    utc_evening = datetime.combine(last_day - timedelta(days=7), time(23, 30))
    expiring(kommun, 5, published_at=utc_evening)
    factories.member(org=kommun)

    assert reminders.send_expiry_reminders(today()) == 0
    assert outbox == []

