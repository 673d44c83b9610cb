"""Saved-search alerts as e-mail: immediate, daily and weekly, never twice, and one-click unsubscribe."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad, AdKind, AdStatus
from marketplace.alerts import services, tasks
from marketplace.alerts.models import Rhythm, SavedSearch, SentAlert
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.notifications.models import OutboxEmail, OutboxJob
from marketplace.organisations.models import Sector
from marketplace.search.services import AdQuery, search_ads
from tests import factories
from tests.conftest import log_in


def save(owner=None, rhythm: Rhythm = Rhythm.IMMEDIATE, name: str = "Läxhjälp", **query):
    """A saved search made a moment ago (so ads created afterwards are new to it)."""
    saved = services.save_search(
        owner or factories.user(), name=name, rhythm=rhythm, query=AdQuery(**query)
    )
    saved.created_at -= timedelta(seconds=1)
    db.session.commit()
    return saved


def publish(org=None, **fields) -> Ad:
    """Publish an ad as publish_ad does with ads.events.ad_published wired in: flush, then this
    domain's reaction (the one line it adds to ad_published), commit, dispatch."""
    values = {
        "kind": "need",
        "title": "Vi söker partner för läxhjälp",
        "body": "Vi vill starta läxhjälp för barn på lördagar.",
        "challenges": ["integration"],
        "county_code": "08",
        "seeking": ["public"],
        **fields,
    }
    ad = ad_services.build_ad(org or factories.organisation(), None, **values)
    db.session.flush()  # the ad has an id and is in the full-text index, nothing is committed
    services.alert_new_ad(ad)
    db.session.commit()
    notifications.dispatch()
    return ad


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"]
    match = re.fullmatch(r"<http://localhost(/bevakningar/avsluta/[^>]+)>", header)
    assert match, header
    return match.group(1)


def reload(saved: SavedSearch) -> SavedSearch:
    db.session.expire_all()
    return db.session.get(SavedSearch, saved.id)


# --- Immediate alerts --------------------------------------------------------------------------


def test_an_immediate_alert_arrives_with_the_ad_the_reason_and_unsubscribe_headers(app, outbox):
    owner = factories.user(email="anna@example.com")
    save(owner, text="läxhjälp", challenges=["integration"], county="08", name="Läxhjälp i Kalmar")
    org = factories.organisation(name="Kalmar Läxhjälpsförening")
    ad = publish(org, municipality_code="0880")

    [message] = outbox
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Ny annons för din bevakning: Läxhjälp i Kalmar"
    text = plain(message)
    assert "Vi söker partner för läxhjälp" in text
    assert "Söker · Kalmar Läxhjälpsförening (Inte verifierad) · Kalmar, Kalmar län" in text
    assert "Matchar: Integration och etablering, Kalmar län, ordet läxhjälp" in text
    assert f"http://localhost/annonser/{ad.id}-vi-soker-partner-for-laxhjalp" in text
    assert f'href="http://localhost/annonser/{ad.id}-vi-soker-partner-for-laxhjalp"' in html(
        message
    )
    assert "Matchar: Integration och etablering, Kalmar län, ordet läxhjälp" in html(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(message) in text


def test_the_alert_shows_the_logo_of_an_organisation_that_has_one(app, outbox):
    from marketplace.images import logos
    from tests.images import picture

    save(factories.user(email="anna@example.com"), text="läxhjälp")
    with_logo = factories.organisation(name="Kalmar Läxhjälpsförening")
    logos.set_logo(with_logo, factories.member(org=with_logo), picture())
    publish(with_logo)
    publish(factories.organisation(name="Norrlidens Läxhjälp"))

    images = re.findall(r"<img [^>]*>", "".join(html(message) for message in outbox))
    db.session.refresh(with_logo)
    assert len(images) == 1, "only the organisation with a logo shows one"
    assert f'src="http://localhost/logo/{with_logo.logo_hash}-96.png"' in images[0]
    assert 'alt="Logotyp för Kalmar Läxhjälpsförening"' in images[0]


def test_an_ad_the_search_would_not_find_sends_nothing(app, outbox):
    save(text="läxhjälp", county="08")
    publish(county_code="01")  # Stockholms län
    publish(title="Cykelverkstad", body="Vi lagar cyklar.")
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentAlert)) == 0


def test_swedish_words_match_their_other_forms(app, outbox):
    save(text="förening")
    save(text="Språkcafe")  # typed without the accent
    org = factories.organisation(name="Kalmar kulturhus")  # no "förening" in its name
    publish(org, title="Två föreningar söker samarbete", body="Vi vill göra något ihop.")
    publish(org, title="Språkcafé på torsdagar", body="Kom och prata svenska.")
    subjects = sorted(message["Subject"] for message in outbox)
    assert len(subjects) == 2
    texts = sorted(plain(message) for message in outbox)
    assert any(
        "Två föreningar söker samarbete" in text and "ordet förening" in text for text in texts
    )
    assert any("Språkcafé på torsdagar" in text and "ordet Språkcafe" in text for text in texts)


def test_every_word_must_match_and_a_saved_search_matches_words_not_beginnings(app, outbox):
    save(text="läxhjälp lördag", name="Lördagar")  # the ad says "lördagar"
    save(text="läxhjälp söndag", name="Söndagar")
    save(text="läxhjälp lörd", name="Början")  # #16: a prefix only while typing, never saved
    publish()
    assert [message["Subject"] for message in outbox] == ["Ny annons för din bevakning: Lördagar"]


def test_paused_and_non_immediate_searches_get_no_immediate_alert(app, outbox):
    paused = save(text="läxhjälp")
    services.pause_saved_search(paused)
    save(text="läxhjälp", rhythm=Rhythm.DAILY)
    save(text="läxhjälp", owner=factories.user(confirmed=False))
    publish()
    assert outbox == []


def test_the_mail_is_queued_in_the_publishing_transaction_and_rolls_back_with_it(app, outbox):
    save(text="läxhjälp")
    ad = ad_services.build_ad(
        factories.organisation(),
        None,
        kind="need",
        title="Läxhjälp",
        body="Läxhjälp på lördagar.",
        challenges=["integration"],
        seeking=["civil"],
    )
    db.session.flush()
    services.alert_new_ad(ad)
    db.session.rollback()  # publishing failed after the event
    notifications.dispatch()
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentAlert)) == 0


def publish_without_the_worker(**fields) -> Ad:
    """Publish as the request does, but leave the worker's part (writing the e-mails) undone."""
    values = {
        "kind": "need",
        "title": "Läxhjälp",
        "body": "Läxhjälp på lördagar.",
        "challenges": ["integration"],
        "seeking": ["civil"],
        **fields,
    }
    ad = ad_services.build_ad(factories.organisation(), None, **values)
    db.session.flush()
    services.alert_new_ad(ad)
    db.session.commit()
    return ad


def test_publishing_records_whom_to_alert_and_the_worker_writes_the_mails(app, outbox):
    first = save(text="läxhjälp", name="Första")
    second = save(text="lördagar", name="Andra")
    save(text="cyklar", name="Ingen träff")
    ad = publish_without_the_worker()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
    [job] = db.session.scalars(sa.select(OutboxJob)).all()
    assert job.payload == {"ad": ad.id, "searches": sorted([first.id, second.id])}

    notifications.dispatch()  # the worker, after the commit
    assert sorted(message["Subject"] for message in outbox) == [
        "Ny annons för din bevakning: Andra",
        "Ny annons för din bevakning: Första",
    ]
    ledger = db.session.scalars(
        sa.select(SentAlert.saved_search_id).where(SentAlert.ad_id == ad.id)
    )
    assert sorted(ledger) == sorted([first.id, second.id])
    assert reload(first).last_sent_at is not None


def test_a_worker_that_dies_while_writing_leaves_the_alerts_to_the_next_run_exactly_once(
    app, outbox
):
    save(text="läxhjälp", name="Första")
    save(text="lördagar", name="Andra")
    publish_without_the_worker()
    [job] = db.session.scalars(sa.select(OutboxJob)).all()
    payload = dict(job.payload)
    services.write_new_ad_alerts(**payload)
    db.session.rollback()  # the worker died before its commit
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0

    notifications.write_deferred()
    notifications.write_deferred()  # a second run (or a second worker) finds nothing left
    services.write_new_ad_alerts(**payload)  # nor does the same job run again
    db.session.commit()
    notifications.deliver_due()
    assert len(outbox) == 2
    assert db.session.scalars(sa.select(OutboxJob)).all() == []


def test_a_search_paused_before_the_worker_writes_gets_no_alert(app, outbox):
    paused = save(text="läxhjälp")
    publish_without_the_worker()
    services.pause_saved_search(paused)
    notifications.dispatch()
    assert outbox == []


def test_one_saved_search_is_never_sent_the_same_ad_twice(app, outbox):
    saved = save(text="läxhjälp")
    ad = publish()
    assert services.alert_new_ad(ad) == 0  # the event again, e.g. a retried job
    db.session.commit()
    assert services.send_digests(Rhythm.DAILY) == 0
    saved.rhythm = Rhythm.DAILY  # even after switching rhythm
    db.session.commit()
    assert services.send_digests(Rhythm.DAILY) == 0
    assert len(outbox) == 1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(SentAlert(saved_search_id=saved.id, ad_id=ad.id))
        db.session.commit()
    db.session.rollback()


def test_posting_an_ad_through_the_site_alerts_immediately(client, outbox):
    owner = factories.user()
    save(owner, text="läxhjälp")
    member = factories.member()
    log_in(client, member)
    response = client.post(
        "/annonser/ny",
        data={
            "kind": "need",
            "title": "Läxhjälp i Kalmar",
            "body": "Vi söker volontärer till läxhjälpen.",
            "challenges": ["integration"],
            "county": "08",
            "seeking": ["public"],
            "expires_on": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 303
    [message] = outbox
    assert message["To"] == owner.email and "Läxhjälp i Kalmar" in plain(message)


# --- The same ads as the search page -----------------------------------------------------------

PLACES = [
    # (saved search filters, ad place, found?)
    ({"county": "08"}, ("08", None), True),
    ({"county": "08"}, ("08", "0880"), True),
    ({"county": "08"}, (None, None), True),  # all of Sweden is everywhere
    ({"county": "08"}, ("01", None), False),
    ({"county": "08", "municipality": "0880"}, ("08", "0880"), True),
    ({"county": "08", "municipality": "0880"}, ("08", None), True),  # county-wide
    ({"county": "08", "municipality": "0880"}, ("08", "0881"), False),
    ({"county": "08", "municipality": "0880"}, (None, None), True),
    ({"kinds": [AdKind.OFFER]}, ("08", None), False),
    ({"kinds": [AdKind.NEED, AdKind.IDEA]}, ("08", None), True),
    ({"challenges": ["mental-health"]}, ("08", None), False),
    ({"challenges": ["mental-health", "integration"]}, ("08", None), True),
    ({"seeking": [Sector.BUSINESS]}, ("08", None), False),
    ({"seeking": [Sector.PUBLIC]}, ("08", None), True),
    ({"sectors": [Sector.PUBLIC]}, ("08", None), False),
    ({"sectors": [Sector.CIVIL]}, ("08", None), True),
]


@pytest.mark.parametrize(("filters", "place", "found"), PLACES)
def test_alerts_find_exactly_what_the_search_page_finds(app, outbox, filters, place, found):
    immediate = save(**filters)
    daily = save(rhythm=Rhythm.DAILY, **filters)
    county, municipality = place
    ad = publish(county_code=county, municipality_code=municipality)
    on_search_page = ad.id in {item.id for item in search_ads(AdQuery(**filters)).items}
    assert on_search_page is found
    services.send_digests(Rhythm.DAILY)
    recipients = {message["To"] for message in outbox}
    assert (immediate.user.email in recipients) is found
    assert (daily.user.email in recipients) is found


WORDS = [
    "språkcafé", "sprakcafe", "språkcaféer", "språk", "s", "läxhjälp", "läxhjälpen", "läx",
    "lördag", "lördagar", "förälder", "föräldrar", "föräldern", "kommitté", "kommittéer", "komm",
    "2026", "202", "volontär", "volontärer", "vol", "kalmar", "kalm", "vecka", "veckor", "cykel",
    "cyklar", "arabiska", "arab", "xyz", "ohälsa", "ohälsan",
]  # fmt: skip


def test_the_words_of_a_saved_search_find_an_ad_exactly_when_the_search_page_does(
    app, outbox, monkeypatch
):
    monkeypatch.setattr(services, "MAX_SAVED_SEARCHES", 500)
    owner = factories.user()
    texts = WORDS + [
        f"{first} {second}" for first, second in zip(WORDS, reversed(WORDS), strict=True)
    ]
    saved = {save(owner, text=text, name=text).id: text for text in texts}
    ad = publish(
        title="Språkcafé och läxhjälp för föräldrar",
        body="Volontärer sökes till lördagsläxhjälpen i Kalmar 2026. Kommittén träffas varje "
        "vecka; vi talar arabiska och motverkar psykisk ohälsa.",
    )
    alerted = {
        saved[saved_id]
        for saved_id in db.session.scalars(
            sa.select(SentAlert.saved_search_id).where(SentAlert.ad_id == ad.id)
        )
    }
    on_search_page = {
        text
        for text in texts
        if ad.id in {item.id for item in search_ads(AdQuery(text=text)).items}
    }
    assert 10 < len(on_search_page) < len(texts)  # the words find some, not all
    assert alerted == on_search_page


def test_closed_and_expired_ads_are_never_sent(app, outbox):
    save(rhythm=Rhythm.DAILY, text="läxhjälp")
    factories.ad(status=AdStatus.PARTNER_FOUND)
    factories.ad(expires_on=today() - timedelta(days=1))
    assert services.send_digests(Rhythm.DAILY) == 0
    assert outbox == []


# --- Digests -----------------------------------------------------------------------------------


def test_a_daily_digest_bundles_the_new_ads_and_does_not_send_them_again(app, outbox):
    owner = factories.user(email="bo@example.com")
    saved = save(owner, rhythm=Rhythm.DAILY, name="Kalmar", county="08")
    factories.ad(title="Läxhjälp på lördagar")
    factories.ad(title="Språkcafé i Kalmar")
    factories.ad(title="Stockholmsannons", county_code="01")

    assert services.send_daily_digests() == 1
    [message] = outbox
    assert message["To"] == "bo@example.com"
    assert message["Subject"] == "2 nya annonser för din bevakning: Kalmar"
    text = plain(message)
    assert "Läxhjälp på lördagar" in text and "Språkcafé i Kalmar" in text
    assert "Stockholmsannons" not in text
    assert text.index("Språkcafé i Kalmar") < text.index("Läxhjälp på lördagar")  # newest first
    assert text.count("Matchar: Kalmar län") == 2
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert reload(saved).last_sent_at is not None

    assert services.send_daily_digests() == 0  # nothing new: no mail
    factories.ad(title="Körsång för alla")
    assert services.send_daily_digests() == 1
    assert len(outbox) == 2
    assert "Körsång för alla" in plain(outbox[1]) and "Läxhjälp på lördagar" not in plain(outbox[1])


def test_a_weekly_digest_works_the_same_and_is_left_alone_by_the_daily_run(app, outbox):
    save(rhythm=Rhythm.WEEKLY, name="Veckans läxhjälp", text="läxhjälp")
    factories.ad(title="Läxhjälp i Borgholm")
    factories.ad(title="Mer läxhjälp")
    assert services.send_daily_digests() == 0
    assert services.send_weekly_digests() == 1
    assert services.send_weekly_digests() == 0
    [message] = outbox
    assert message["Subject"] == "2 nya annonser för din bevakning: Veckans läxhjälp"
    assert "Läxhjälp i Borgholm" in plain(message) and "Mer läxhjälp" in plain(message)


def test_ads_from_before_the_search_was_saved_are_not_sent(app, outbox):
    factories.ad(title="Gammal annons", published_at=utcnow() - timedelta(days=2))
    save(rhythm=Rhythm.DAILY)
    factories.ad(title="Ny annons")
    services.send_daily_digests()
    [message] = outbox
    assert "Ny annons" in plain(message) and "Gammal annons" not in plain(message)


def test_a_paused_search_sends_nothing_and_after_resuming_only_what_came_later(app, outbox):
    saved = save(rhythm=Rhythm.DAILY)
    services.pause_saved_search(saved)
    factories.ad(title="Under pausen", published_at=utcnow() - timedelta(hours=2))
    assert services.send_daily_digests() == 0
    services.resume_saved_search(saved)
    factories.ad(title="Efter pausen", published_at=utcnow() + timedelta(seconds=1))
    assert services.send_daily_digests(now=utcnow() + timedelta(minutes=1)) == 1
    [message] = outbox
    assert "Efter pausen" in plain(message) and "Under pausen" not in plain(message)


def test_a_big_digest_lists_the_newest_and_points_to_the_rest(app, outbox, monkeypatch):
    monkeypatch.setattr(services, "MAX_ADS_PER_MAIL", 2)
    saved = save(rhythm=Rhythm.DAILY, name="Allt")
    for number in range(3):
        factories.ad(title=f"Annons {number}", published_at=utcnow() + timedelta(seconds=number))
    services.send_daily_digests(now=utcnow() + timedelta(minutes=1))
    [message] = outbox
    text = plain(message)
    assert "Annons 2" in text and "Annons 1" in text and "Annons 0" not in text
    assert "Det finns fler nya annonser än vi listar här." in text
    assert "http://localhost/annonser?sort=nyast" in text
    sent = db.session.scalars(
        sa.select(SentAlert.ad_id).where(SentAlert.saved_search_id == saved.id)
    )
    assert len(list(sent)) == 2


def test_an_ad_committed_just_after_a_run_started_comes_in_the_next_digest(app, outbox):
    saved = save(rhythm=Rhythm.DAILY)
    run = utcnow()
    saved.created_at = run - timedelta(days=1)
    # published_at is set before the commit: this ad was being saved while the run looked.
    late = factories.ad(title="Sent committad", published_at=run - timedelta(seconds=5))
    saved.last_checked_at = run
    db.session.commit()
    assert services.send_daily_digests(now=run + timedelta(days=1)) == 1
    assert late.title in plain(outbox[0])


# --- One-click unsubscribe ---------------------------------------------------------------------


def alerted(outbox) -> tuple[SavedSearch, object]:
    saved = save(text="läxhjälp")
    publish()
    [message] = outbox
    return saved, message


def test_one_click_unsubscribe_works_without_a_csrf_token(app, client, outbox):
    app.config["WTF_CSRF_ENABLED"] = True
    saved, message = alerted(outbox)
    path = unsubscribe_path(message)
    response = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    assert reload(saved).paused
    html_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du får inga fler e-postmeddelanden" in html_page
    publish(title="Ännu mer läxhjälp")
    assert len(outbox) == 1


def test_other_posts_still_need_the_csrf_token(app, client, outbox):
    app.config["WTF_CSRF_ENABLED"] = True
    saved = save(text="läxhjälp")
    log_in(client, saved.user)
    assert client.post(f"/bevakningar/{saved.id}/pausa").status_code == 400
    assert not reload(saved).paused


def test_opening_the_unsubscribe_link_only_asks(client, outbox):
    saved, message = alerted(outbox)
    response = client.get(unsubscribe_path(message))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Avsluta bevakningen?" in page and "Läxhjälp" in page
    assert f'method="post" action="{unsubscribe_path(message)}"' in page
    assert not reload(saved).paused  # mail scanners open links too


@pytest.mark.parametrize("change", ["tamper", "truncate", "other-search"])
def test_a_tampered_unsubscribe_link_does_nothing(app, client, outbox, change):
    _saved, message = alerted(outbox)
    path = unsubscribe_path(message)
    token = path.rsplit("/", 1)[1]
    if change == "tamper":
        payload, signature = token.split(".")
        token = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    elif change == "truncate":
        token = token[:-3]
    else:  # a signature made with another key for another search
        app.config["SECRET_KEY"] = "another-key"
        token = services.unsubscribe_token(save(text="x"))
        app.config["SECRET_KEY"] = "test-secret"
    response = client.post(f"/bevakningar/avsluta/{token}", data="List-Unsubscribe=One-Click")
    assert response.status_code == 404
    assert "Länken fungerar inte" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(SavedSearch.paused.is_(True))) == 0


def test_a_link_for_a_deleted_search_cannot_touch_a_new_one_with_the_same_id(client, outbox):
    saved, message = alerted(outbox)
    old_id, owner = saved.id, saved.user
    services.delete_saved_search(saved)
    newer = SavedSearch(id=old_id, user=owner, name="Ny", rhythm=Rhythm.DAILY)
    db.session.add(newer)
    db.session.commit()
    assert client.post(unsubscribe_path(message)).status_code == 404
    assert not reload(newer).paused


# --- Efficiency and schedule -------------------------------------------------------------------


def count_statements(app, action) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_publishing_asks_the_database_the_same_few_questions_however_many_searches_exist(
    app, outbox, monkeypatch
):
    monkeypatch.setattr(services, "MAX_SAVED_SEARCHES", 1000)

    def publish_one():
        publish(title="Cykelverkstad", body="Vi lagar cyklar.")

    owner = factories.user()
    for index in range(3):
        save(owner, text=f"läxhjälp {index}")
    few = count_statements(app, publish_one)
    for index in range(60):
        save(owner, text=f"ord{index}", name=f"Sökning {index}")
        save(owner, county="01", name=f"Stockholm {index}")
    many = count_statements(app, publish_one)
    assert many == few
    assert outbox == []


@pytest.mark.parametrize(
    ("utc", "daily", "weekly"),
    [
        (datetime(2026, 6, 15, 5, 0), True, True),  # Monday 07:00 summer time (UTC+2)
        (datetime(2026, 1, 12, 6, 0), True, True),  # Monday 07:00 winter time (UTC+1)
        (datetime(2026, 1, 13, 6, 0), True, False),  # Tuesday 07:00
        (datetime(2026, 6, 15, 7, 0), False, False),  # 07:00 UTC is 09:00 in Sweden
        (datetime(2026, 6, 15, 5, 1), False, False),
    ],
)
def test_digests_run_at_seven_in_the_morning_swedish_time(utc, daily, weekly):
    assert tasks.DAILY_SCHEDULE(utc) is daily
    assert tasks.WEEKLY_SCHEDULE(utc) is weekly


def test_the_periodic_tasks_send_the_digests(app, outbox):
    save(rhythm=Rhythm.DAILY)
    save(rhythm=Rhythm.WEEKLY)
    factories.ad()
    tasks.send_daily_digests.call_local()
    tasks.send_weekly_digests.call_local()
    assert len(outbox) == 2
