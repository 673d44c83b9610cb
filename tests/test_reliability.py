"""Defects of issue 13 (besides the resilience suite): form integers, double submits, sessions
that end, log-in limits that hold without locking the owner out, enumeration, failed mail, and
invisible format characters in names."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from tests import factories
from tests.conftest import log_in

HUGE = "99999999999999999999"


# --- 7. form and query integers ---------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "2147483648", "abc", ""])
def test_an_organisation_id_no_column_can_hold_is_no_such_organisation(client, value):
    log_in(client, factories.member())
    response = client.post("/organisationer/agera-for", data={"organisation_id": value})
    assert response.status_code == 404  # was a 500 on both databases


@pytest.mark.parametrize("path", ["/organisationer/", "/inkorg", "/moderering"])
def test_a_page_number_no_column_can_hold_reads_as_the_first_page(client, path):
    site_admin = factories.user(is_site_admin=True)
    factories.membership(site_admin, factories.organisation())
    log_in(client, site_admin)
    for value in (HUGE, "-" + HUGE):
        response = client.get(path, query_string={"page": value})
        assert response.status_code in (200, 302, 303, 403, 404), (path, value)
        assert response.status_code != 500


# --- 3. log-out ends the session on the server -------------------------------------------------


def _cookies(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name) is not None
    }


def _opens_inbox(app, cookies: dict[str, str]) -> bool:
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/inkorg").status_code == 200


def _log_in_by_form(app, who, **extra):
    client = app.test_client()
    data = {"email": who.email, "password": factories.PASSWORD, **extra}
    assert client.post("/konto/logga-in", data=data).status_code == 303
    return client


def test_cookies_captured_before_logging_out_no_longer_open_the_account(app):
    anna = factories.member()
    client = _log_in_by_form(app, anna, remember="y")
    captured = _cookies(client)
    assert set(captured) == {"session", "remember_token"} and _opens_inbox(app, captured)

    assert client.post("/konto/logga-ut").status_code == 303

    assert not _opens_inbox(app, captured)
    assert not _opens_inbox(app, {"remember_token": captured["remember_token"]})


def test_logging_out_here_keeps_the_other_devices_logged_in_and_everywhere_ends_them(app):
    anna = factories.member()
    phone, laptop, tablet = (_log_in_by_form(app, anna) for _ in range(3))
    phone.post("/konto/logga-ut")
    assert phone.get("/inkorg").status_code != 200
    assert laptop.get("/inkorg").status_code == 200 and tablet.get("/inkorg").status_code == 200

    assert "Logga ut överallt" in laptop.get("/konto/installningar").get_data(as_text=True)
    response = laptop.post("/konto/logga-ut-overallt")
    assert response.status_code == 303
    assert laptop.get("/inkorg").status_code != 200 and tablet.get("/inkorg").status_code != 200


def test_a_new_password_keeps_this_browser_and_ends_the_others(app):
    anna = factories.member()
    here, elsewhere = _log_in_by_form(app, anna), _log_in_by_form(app, anna)
    response = here.post(
        "/konto/installningar/losenord",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": "nya-rödbetor-och-te-2027",
        },
    )
    assert response.status_code == 303
    assert here.get("/inkorg").status_code == 200 and elsewhere.get("/inkorg").status_code != 200


# --- 5. log-in limits that hold without locking the owner out -----------------------------------


def test_guesses_from_elsewhere_do_not_lock_the_owner_out_of_a_browser_they_used_before(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    anna = factories.user()
    own = _log_in_by_form(
        app,
        anna,
    )
    own.post("/konto/logga-ut")
    attacker = app.test_client()
    for number in range(10):  # each from another address: the per-IP limit does not stop them
        wrong = {"email": anna.email, "password": f"gissning-{number}"}
        address = {"REMOTE_ADDR": f"10.0.0.{number}"}
        assert attacker.post("/konto/logga-in", data=wrong, environ_base=address).status_code == 422
    right = {"email": anna.email, "password": factories.PASSWORD}
    stranger = app.test_client()
    assert stranger.post("/konto/logga-in", data=right).status_code == 429  # the account is held
    assert own.post("/konto/logga-in", data=right).status_code == 303  # but not its owner


def test_only_failed_log_ins_count_towards_the_account_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="100 per minute")
    anna = factories.user()
    for number in range(12):
        client = app.test_client()  # a new browser each time: no known-device cookie
        right = {"email": anna.email, "password": factories.PASSWORD}
        assert client.post("/konto/logga-in", data=right).status_code == 303, number


GUNICORN_CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.mark.parametrize(
    ("workers", "storage", "starts"),
    [
        ("5", None, False),  # the default storage, memory://, under the shipped five workers
        ("5", "memory://", False),
        ("5", "redis://127.0.0.1:6379/1", True),
        ("1", None, True),
    ],
)
def test_production_refuses_several_workers_with_per_process_rate_limits(
    monkeypatch, workers, storage, starts
):
    monkeypatch.setenv("GUNICORN_WORKERS", workers)
    if storage is None:
        monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    else:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    if starts:
        assert runpy.run_path(str(GUNICORN_CONF))["workers"] == int(workers)
    else:
        with pytest.raises(SystemExit, match="per-process rate limits"):
            runpy.run_path(str(GUNICORN_CONF))


# --- 10. invisible format characters ----------------------------------------------------------


def test_bidi_overrides_and_zero_width_characters_never_reach_names_or_titles(app):
    from marketplace.ads.models import Ad
    from marketplace.organisations.models import Organisation
    from tests.test_ads_views import valid_ad
    from tests.test_organisations_profiles import form_data

    client = log_in(app.test_client(), factories.user(), form=True)
    spoof = "Språkcafé i Kal\u200bmar län\u202e"  # ("Region …" is reserved for the real one)
    response = client.post("/organisationer/ny", data=form_data(name=spoof))
    assert response.status_code == 303
    names = db.session.scalars(sa.select(Organisation.name)).all()
    assert names == ["Språkcafé i Kalmar län"]

    member = factories.member()
    client = log_in(app.test_client(), member)
    title = "\ufeffLäx\u200bhjälp i Växjö\u2066\u2069 – samverkans\u00adöverenskommelse"
    assert client.post("/annonser/ny", data=valid_ad(title=title)).status_code == 303
    assert db.session.scalars(sa.select(Ad.title)).all() == [
        "Läxhjälp i Växjö – samverkansöverenskommelse"
    ]


def test_joiners_stay_where_a_script_or_an_emoji_needs_them():
    from marketplace.text import clean_text

    assert (
        clean_text("Kvinnoföreningen می\u200cخواهم 👩\u200d👧")
        == "Kvinnoföreningen می\u200cخواهم 👩\u200d👧"
    )
    assert clean_text("Kal\u200cmar \u200dlän") == "Kalmar län"


def test_the_list_of_format_characters_is_every_cf_character_but_the_joiners():
    import unicodedata

    from marketplace.text import _FORMAT

    everything = [chr(code) for code in range(0x110000)]
    wanted = {char for char in everything if unicodedata.category(char) == "Cf"} - {
        "\u200c",
        "\u200d",
    }
    assert set(_FORMAT.findall("".join(everything))) == wanted


def test_a_password_keeps_every_character_it_was_chosen_with(app):
    password = "rödbetor\u200b-och-fika-2026"
    anna = factories.user(password=password)
    client = app.test_client()
    response = client.post("/konto/logga-in", data={"email": anna.email, "password": password})
    assert response.status_code == 303


# --- 9. e-mail given up on can be queued again ------------------------------------------------


def _failed_email(subject: str):
    from marketplace.notifications.models import OutboxStatus

    return factories.outbox_email(
        subject=subject,
        recipient="kansliet@example.com",
        status=OutboxStatus.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: relay access denied",
    )


def test_a_site_administrator_sees_failed_mail_and_queues_it_again_once(app, outbox):
    from marketplace.notifications.mail import message_id

    row = _failed_email("Välkommen till Samverkanstorget")
    expected_id = message_id(row)
    admin = log_in(app.test_client(), factories.user(is_site_admin=True))
    page = admin.get("/moderering/e-post").get_data(as_text=True)
    assert "Välkommen till Samverkanstorget" in page and "relay access denied" in page

    response = admin.post("/moderering/e-post/skicka-igen", data={"id": row.id})
    assert response.status_code == 303
    assert [message["Message-ID"] for message in outbox] == [expected_id]  # the same Message-ID
    again = admin.post("/moderering/e-post/skicka-igen", data={"id": row.id}, follow_redirects=True)
    assert "Inget e-postmeddelande behövde köas igen." in again.get_data(as_text=True)
    assert len(outbox) == 1  # idempotent: nothing sent twice
    assert "All e-post har kommit fram" in admin.get("/moderering/e-post").get_data(as_text=True)


def test_the_failed_mail_page_is_for_site_administrators_only(app):
    _failed_email("Hemligt")
    member = log_in(app.test_client(), factories.member())
    assert member.get("/moderering/e-post").status_code in (403, 404)
    assert member.post("/moderering/e-post/skicka-igen").status_code in (403, 404)


def test_the_cli_queues_every_failed_mail_again_and_repeating_it_does_nothing(app, outbox):
    _failed_email("Första")
    _failed_email("Andra")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["retry-failed-mail", "--list"])
    assert "Första" in listing.output and "Andra" in listing.output
    assert "queued 2 failed e-mail(s) again" in runner.invoke(args=["retry-failed-mail"]).output
    assert sorted(message["Subject"] for message in outbox) == ["Andra", "Första"]
    assert "queued 0 failed" in runner.invoke(args=["retry-failed-mail"]).output
    assert len(outbox) == 2


# --- 8. the reset request tells nothing, not even by its timing -----------------------------------


def test_a_reset_request_does_the_same_work_for_any_address_and_leaves_the_lookup_to_the_worker(
    app, outbox
):
    from marketplace.extensions import huey
    from marketplace.notifications.models import OutboxEmail, OutboxJob
    from marketplace.notifications.services import retry_outbox

    anna = factories.user()
    client = app.test_client()
    huey.immediate = False  # the worker is not running: see what the request itself did
    try:
        known = client.post("/konto/glomt-losenord", data={"email": anna.email})
        unknown = client.post("/konto/glomt-losenord", data={"email": "ingen@example.com"})
    finally:
        huey.immediate = True
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    jobs = db.session.scalars(sa.select(OutboxJob.kind)).all()
    assert jobs == ["password_reset", "password_reset"]  # the same row either way
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0

    retry_outbox.call_local()  # the worker
    assert [message["To"] for message in outbox] == [anna.email]


def _registration_answer(client, email: str):
    """What registering `email` shows its requester: status, target, cookie names, and the page
    it lands on (CSRF tokens and the typed address taken out, as they differ by design)."""
    import re

    data = {"name": "Kim Berg", "email": email, "password": "tre-ord-som-man-minns"}
    response = client.post("/konto/registrera", data=data)
    cookies = sorted(cookie.split("=", 1)[0] for cookie in response.headers.getlist("Set-Cookie"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    page = re.sub(r'value="[^"]{40,}"|"X-CSRFToken": "[^"]+"', "TOKEN", page).replace(email, "@")
    return response.status_code, response.headers["Location"], cookies, page


def test_registering_a_taken_address_answers_exactly_like_a_new_one_and_logs_no_one_in(app, outbox):
    """Nothing the requester sees tells whether the address has an account: the same status,
    target, cookies and page; neither logs in (a log-in cookie would tell); both leave the same
    work, one job, to the worker (so the request takes as long), which mails the new address its
    link and the taken address's owner a note."""
    from marketplace.extensions import huey
    from marketplace.notifications.models import OutboxEmail, OutboxJob
    from marketplace.notifications.services import retry_outbox

    owner = factories.user(email="kim@example.org")
    huey.immediate = False  # the worker is not running: see what the request itself did
    try:
        taken = _registration_answer(app.test_client(), "kim@example.org")
        new = _registration_answer(app.test_client(), "kim.berg@example.org")
    finally:
        huey.immediate = True

    assert taken == new
    status, target, cookies, page = new
    assert (status, target) == (303, "/konto/obekraftad")
    assert cookies == ["session"]  # no remember-me, no known-device cookie
    assert "Vi har skickat en länk till @" in page and "Logga ut" not in page
    jobs = db.session.scalars(sa.select(OutboxJob.kind).order_by(OutboxJob.id)).all()
    assert jobs == ["account_exists", "confirm_registration"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0

    retry_outbox.call_local()  # the worker
    mails = {message["To"]: message["Subject"] for message in outbox}
    assert mails == {
        owner.email: "Du har redan ett konto på Samverkanstorget",
        "kim.berg@example.org": "Bekräfta din e-postadress",
    }


def test_after_resetting_the_password_by_mail_the_owner_gets_in_despite_guesses_elsewhere(make_app):
    from marketplace.accounts import services, tokens

    app = make_app(RATELIMIT_ENABLED=True)
    anna = factories.user()
    attacker = app.test_client()
    for number in range(10):
        wrong = {"email": anna.email, "password": f"gissning-{number}"}
        attacker.post(
            "/konto/logga-in", data=wrong, environ_base={"REMOTE_ADDR": f"10.0.1.{number}"}
        )
    token = tokens.make(tokens.RESET, {"id": anna.id, "fp": services._reset_fingerprint(anna)})
    owner = app.test_client()
    new_password = "nya-rödbetor-och-te-2027"
    response = owner.post(f"/konto/aterstall/{token}", data={"password": new_password})
    assert response.status_code == 303
    owner.post("/konto/logga-ut")
    right = {"email": anna.email, "password": new_password}
    assert owner.post("/konto/logga-in", data=right).status_code == 303


def test_the_nightly_clean_up_forgets_ended_log_ins_and_old_double_click_claims(app):
    from datetime import timedelta

    from marketplace.accounts.models import LoginSession
    from marketplace.accounts.tasks import prune_logins_and_submissions
    from marketplace.clock import utcnow
    from marketplace.submissions import Submission

    anna = factories.user()
    old = utcnow() - timedelta(days=31)
    db.session.add_all(
        [
            LoginSession(user_id=anna.id, created_at=old),
            LoginSession(user_id=anna.id),
            Submission(user_id=anna.id, fingerprint="a" * 64, created_at=old),
            Submission(user_id=anna.id, fingerprint="b" * 64),
        ]
    )
    db.session.commit()
    assert prune_logins_and_submissions() == (1, 1)
    assert db.session.scalar(sa.select(sa.func.count(LoginSession.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1
