"""Accounts: registering, confirming the address, logging in and out, as a visitor meets them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Blueprint

from marketplace.accounts import tokens
from marketplace.accounts.decorators import confirmed_required
from marketplace.accounts.models import User
from marketplace.accounts.passwords import verify_password
from marketplace.extensions import db
from tests import factories
from tests.conftest import HTMX

NEW_PASSWORD = "blåbärssoppa-vid-vasaloppet"  # passes the rules


# --- helpers shared by the accounts test files -------------------------------------------------


def link_in(message, prefix: str = "/konto/") -> str:
    """The path of the first site link in an e-mail's plain-text part."""
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"http://localhost(" + re.escape(prefix) + r"\S+)", text)
    assert match, text
    return match.group(1)


def submit_log_in(client, email: str, password: str = factories.PASSWORD, **extra):
    """Post the log-in form (the thing these tests are about) and return its answer."""
    return client.post("/konto/logga-in", data={"email": email, "password": password, **extra})


def is_logged_in(client) -> bool:
    return client.get("/konto/installningar").status_code == 200


def account(email: str) -> User | None:
    db.session.expire_all()  # see what the requests committed
    return db.session.scalar(sa.select(User).where(User.email == email))


def register(client, **fields):
    data = {"name": "Anna Lind", "email": "anna@example.com", "password": NEW_PASSWORD, **fields}
    return client.post("/konto/registrera", data=data)


# --- registration ------------------------------------------------------------------------------


def test_registering_mails_a_confirmation_link_in_swedish_and_logs_no_one_in(client, outbox):
    response = register(client, email="  Anna@Example.COM ")

    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"
    anna = account("anna@example.com")
    assert anna is not None and anna.name == "Anna Lind" and not anna.is_confirmed
    assert anna.locale == "sv"
    assert not is_logged_in(client)  # the address is proven by its link, then the password
    [message] = outbox
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Bekräfta din e-postadress"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hej Anna Lind!" in text and "Länken gäller i 48 timmar" in text
    assert '<html lang="sv">' in html and "Bekräfta e-postadressen" in html
    assert link_in(message).startswith("/konto/bekrafta/")
    assert link_in(message) in html


def test_an_english_speaking_visitor_gets_the_confirmation_mail_in_english(client, outbox):
    client.set_cookie("lang", "en")
    register(client)

    assert account("anna@example.com").locale == "en"
    [message] = outbox
    html = message.get_body(("html",)).get_content()
    assert '<html lang="en">' in html
    assert link_in(message) in html


def test_the_page_after_registering_says_where_the_link_went_and_what_comes_next(client, outbox):
    register(client)
    html = client.get("/konto/obekraftad").get_data(as_text=True)
    assert "Nästan klart! Bekräfta din e-postadress för att kunna logga in." in html
    assert "Vi har skickat en länk till anna@example.com" in html
    assert "loggar du in med din e-postadress och ditt lösenord" in html
    assert "kan du läsa annonser" in html and "inte publicera annonser eller kontakta" in html
    assert 'action="/konto/bekrafta/skicka-igen"' not in html  # that needs a log-in
    assert 'href="/konto/logga-in"' in html


def test_register_confirm_and_log_in_lands_on_mina_sidor_with_the_next_steps(app, client, outbox):
    register(client)
    [message] = outbox

    confirmed = client.get(link_in(message))
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/konto/logga-in"
    assert not is_logged_in(client)  # the link alone opens nothing
    form = client.get("/konto/logga-in").get_data(as_text=True)
    assert "Din e-postadress anna@example.com är bekräftad" in form
    assert 'value="anna@example.com"' in form  # the address is filled in
    response = submit_log_in(client, "anna@example.com", NEW_PASSWORD)

    assert response.status_code == 303 and response.headers["Location"] == "/mina-sidor"
    assert "Registrera din organisation" in client.get("/mina-sidor").get_data(as_text=True)


def test_an_invalid_registration_keeps_name_and_email_but_never_the_password(client):
    response = register(client, email="anna@example", password="hemligt-ord")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Anna Lind"' in html and 'value="anna@example"' in html
    assert "hemligt-ord" not in html
    assert "Skriv en giltig e-postadress" in html
    assert account("anna@example") is None


def test_an_htmx_registration_error_swaps_only_the_form(client):
    response = client.post(
        "/konto/registrera", data={"name": "", "email": "anna@example.com"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="register-form"')
    assert "<html" not in html
    assert "Skriv ditt namn." in html and 'value="anna@example.com"' in html


def test_an_address_can_have_only_one_account_whatever_its_case(app, user, outbox):
    """Registering a taken address answers as a new registration would (nothing tells whether
    the address has an account) and mails the owner instead."""
    new, taken = app.test_client(), app.test_client()
    fresh = register(new, email="ny.person@example.com")
    response = register(taken, email=user.email.upper())

    assert response.status_code == fresh.status_code == 303
    assert response.headers["Location"] == fresh.headers["Location"] == "/konto/obekraftad"
    page = taken.get("/konto/obekraftad").get_data(as_text=True)
    assert f"Vi har skickat en länk till {user.email}" in page
    assert "Nästan klart! Bekräfta din e-postadress för att kunna logga in." in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2
    owner = [message for message in outbox if message["To"] == user.email]
    assert [message["Subject"] for message in owner] == [
        "Du har redan ett konto på Samverkanstorget"
    ]
    assert "/konto/glomt-losenord" in owner[0].get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("password", "advice"),
    [
        ("kort", "Lösenordet måste ha minst 10 tecken."),
        ("password123", "Lösenordet är för vanligt och lätt att gissa."),
        ("qwertyuiop", "Lösenordet är för vanligt och lätt att gissa."),
        ("hejhejhejhej", "Lösenordet är för lätt att gissa"),
        ("annalind1234", "Lösenordet liknar ditt namn eller din e-postadress"),
        ("x" * 257, "Lösenordet får ha högst 256 tecken."),
    ],
)
def test_short_common_and_guessable_passwords_are_refused_with_advice(client, password, advice):
    response = register(client, password=password)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert advice in html
    assert "tre ord du kommer ihåg" in html  # says what works instead
    assert password not in html
    assert account("anna@example.com") is None


def test_a_bot_filling_the_hidden_field_is_told_it_worked_but_nothing_is_created(client, outbox):
    form = client.get("/konto/registrera").get_data(as_text=True)
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">', form)
    assert re.search(r'<input autocomplete="off" id="website" name="website" tabindex="-1"', form)

    response = register(client, website="https://spam.example.com")

    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"
    assert account("anna@example.com") is None
    assert not is_logged_in(client)
    assert outbox == []


def test_logged_in_people_are_sent_on_from_the_registration_page(logged_in):
    assert logged_in.get("/konto/registrera").status_code == 302


# --- confirming the address -------------------------------------------------------------------


def test_the_confirmation_link_confirms_the_address(client, outbox):
    register(client)
    submit_log_in(client, "anna@example.com", NEW_PASSWORD)  # before opening the link
    assert "Bekräfta din e-postadress för att kunna publicera" in client.get("/").get_data(
        as_text=True
    )

    response = client.get(link_in(outbox[0]))

    assert response.status_code == 302 and response.headers["Location"] == "/mina-sidor"
    assert account("anna@example.com").is_confirmed
    home = client.get("/").get_data(as_text=True)
    assert "Din e-postadress anna@example.com är bekräftad" in home
    assert "Bekräfta din e-postadress för att kunna publicera" not in home


def test_the_confirmation_link_works_on_a_device_where_you_are_not_logged_in(app, client, outbox):
    register(client)
    other_device = app.test_client()

    response = other_device.get(link_in(outbox[0]))

    assert response.status_code == 302 and response.headers["Location"] == "/konto/logga-in"
    assert account("anna@example.com").is_confirmed


def test_an_expired_confirmation_link_explains_and_offers_a_new_one(app, client, outbox):
    register(client)
    submit_log_in(client, "anna@example.com", NEW_PASSWORD)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1  # every link is too old now

    response = client.get(link_in(outbox[0]))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>Länken har gått ut</h1>" in html
    assert 'action="/konto/bekrafta/skicka-igen"' in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not account("anna@example.com").is_confirmed


def test_a_tampered_confirmation_link_gives_a_message_not_an_error(app, client, outbox):
    register(client)
    link = link_in(outbox[0])
    anna = account("anna@example.com")
    reset_token = tokens.make(tokens.RESET, {"id": anna.id, "email": anna.email})

    for bad in (link[:-3] + "abc", link[:-20], "/konto/bekrafta/" + reset_token):
        response = client.get(bad)
        assert response.status_code == 400
        assert "<h1>Länken fungerar inte</h1>" in response.get_data(as_text=True)
    assert not account("anna@example.com").is_confirmed


def test_a_confirmation_link_opened_by_another_account_is_refused(app, client, outbox):
    register(client)
    link = link_in(outbox[0])
    someone_else = app.test_client()
    submit_log_in(someone_else, factories.user().email)

    response = someone_else.get(link)

    assert response.status_code == 400
    assert "Länken gäller ett annat konto" in response.get_data(as_text=True)
    assert not account("anna@example.com").is_confirmed


def test_an_anonymous_visitor_with_an_old_link_is_offered_to_log_in_for_a_new_one(app, client):
    anna = factories.user(confirmed=False)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    token = tokens.make(tokens.CONFIRM, {"id": anna.id, "email": anna.email})

    html = client.get(f"/konto/bekrafta/{token}").get_data(as_text=True)

    assert 'href="/konto/logga-in?next=/konto/obekraftad"' in html


def test_resending_the_confirmation_mails_a_new_working_link(client, outbox):
    anna = factories.user(confirmed=False)
    submit_log_in(client, anna.email)

    response = client.post("/konto/bekrafta/skicka-igen")

    assert response.status_code == 303 and response.headers["Location"] == "/konto/obekraftad"
    assert f"Vi har skickat en ny länk till {anna.email}" in client.get(
        "/konto/obekraftad"
    ).get_data(as_text=True)
    [message] = outbox
    assert message["To"] == anna.email
    client.get(link_in(message))
    assert account(anna.email).is_confirmed


def test_resending_needs_a_post_and_a_log_in(client, outbox):
    submit_log_in(client, factories.user(confirmed=False).email)
    response = client.get("/konto/bekrafta/skicka-igen")  # e.g. the address typed in by hand
    assert response.status_code == 302 and response.headers["Location"] == "/konto/obekraftad"
    assert outbox == []

    client.post("/konto/logga-ut")
    response = client.post("/konto/bekrafta/skicka-igen")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


def test_a_confirmed_user_gets_no_new_link(logged_in, outbox):
    logged_in.post("/konto/bekrafta/skicka-igen")
    assert outbox == []


# --- pages only for confirmed users ------------------------------------------------------------


@pytest.fixture
def confirmed_only(fresh_app, app):
    """A test-only page behind @confirmed_required, as posting and contacting will be (in an
    app of its own: a route can only be added before the app's first request)."""
    test_bp = Blueprint("confirmed_only_test", __name__)

    @test_bp.get("/test/bara-bekraftade")
    @confirmed_required
    def page():
        return "posting form"

    app.register_blueprint(test_bp)
    return "/test/bara-bekraftade"


def test_unconfirmed_users_are_sent_to_the_page_that_explains_why(client, confirmed_only):
    submit_log_in(client, factories.user(confirmed=False).email)
    response = client.get(confirmed_only)
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/obekraftad"


def test_confirmed_users_reach_confirmed_only_pages(confirmed_only, logged_in):
    assert logged_in.get(confirmed_only).get_data(as_text=True) == "posting form"


def test_anonymous_visitors_are_asked_to_log_in_first(client, confirmed_only):
    response = client.get(confirmed_only)
    assert response.headers["Location"] == f"/konto/logga-in?next={confirmed_only}"


# --- logging in --------------------------------------------------------------------------------


def test_logging_in_takes_you_to_the_page_you_wanted(client, user):
    response = submit_log_in(client, user.email.upper(), next="/om")
    assert response.status_code == 303 and response.headers["Location"] == "/om"
    assert is_logged_in(client)


def test_the_login_form_carries_next_through(client):
    html = client.get("/konto/logga-in?next=/konto/installningar").get_data(as_text=True)
    assert 'action="/konto/logga-in?next=/konto/installningar"' in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="email"' in html


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com", "/\\evil.example.com"]
)
def test_logging_in_never_sends_you_off_the_site(client, user, target):
    response = client.post(
        "/konto/logga-in",
        query_string={"next": target},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/mina-sidor"


def test_a_wrong_password_and_an_unknown_address_get_the_same_single_error(client, user):
    wrong_password = submit_log_in(client, user.email, "fel-losenord-helt-och-hallet")
    unknown_address = submit_log_in(client, "nobody@example.com", "fel-losenord-helt-och-hallet")

    for response, email in ((wrong_password, user.email), (unknown_address, "nobody@example.com")):
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert html.count('class="form-errors"') == 1
        assert "Fel e-postadress eller lösenord." in html
        assert f'value="{email}"' in html
        assert "fel-losenord-helt-och-hallet" not in html
    assert not is_logged_in(client)


def test_an_htmx_login_swaps_the_form_on_error_and_redirects_on_success(client, user):
    failed = client.post(
        "/konto/logga-in", data={"email": user.email, "password": "nej"}, headers=HTMX
    )
    assert failed.status_code == 422
    assert failed.get_data(as_text=True).lstrip().startswith('<form id="login-form"')

    success = client.post(
        "/konto/logga-in?next=/om",
        data={"email": user.email, "password": factories.PASSWORD},
        headers=HTMX,
    )
    assert success.status_code == 204 and success.headers["HX-Redirect"] == "/om"


def test_remember_me_keeps_you_logged_in_after_the_browser_closes(app, client, user):
    submit_log_in(client, user.email, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None

    reopened = app.test_client()  # a new browser session: no session cookie, only the lasting one
    reopened.set_cookie("remember_token", cookie.value)
    assert is_logged_in(reopened)


def test_without_remember_me_there_is_no_lasting_cookie(client, user):
    submit_log_in(client, user.email)
    assert client.get_cookie("remember_token") is None


def test_logging_in_starts_a_fresh_session(client, user):
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-before-log-in"
        session["something"] = "from before"

    submit_log_in(client, user.email)

    with client.session_transaction() as session:
        assert "csrf_token" not in session and "something" not in session
        # The account's token and this log-in's own (logging out here deletes the latter).
        assert session["_user_id"].startswith(user.session_token + ".")


def _csrf_token(html: str) -> str:
    return re.search(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_form_token_from_before_logging_in_is_refused_after_it(app, client, user):
    app.config["WTF_CSRF_ENABLED"] = True
    before = _csrf_token(client.get("/konto/logga-in").get_data(as_text=True))
    assert submit_log_in(client, user.email, csrf_token=before).status_code == 303

    stale = client.post(
        "/konto/installningar/e-post",
        data={"email-csrf_token": before, "email-new_email": "ny@example.com"},
    )
    assert stale.status_code == 400
    assert "Formuläret har gått ut" in stale.get_data(as_text=True)

    after = _csrf_token(client.get("/konto/installningar").get_data(as_text=True))
    fresh = client.post(
        "/konto/installningar/e-post",
        data={"email-csrf_token": after, "email-new_email": "ny@example.com"},
    )
    assert fresh.status_code == 422  # past the CSRF check; the password is missing


def test_logging_in_records_the_time_and_upgrades_an_outdated_password_hash(client):
    weak_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(
        factories.PASSWORD
    )
    anna = factories.user(password_hash=weak_hash)
    assert anna.last_login_at is None

    submit_log_in(client, anna.email)

    anna = account(anna.email)
    assert anna.last_login_at is not None
    assert anna.password_hash != weak_hash
    assert verify_password(anna.password_hash, factories.PASSWORD)


def test_logged_in_people_are_sent_on_from_the_login_page(logged_in):
    response = logged_in.get("/konto/logga-in?next=/om")
    assert response.status_code == 302 and response.headers["Location"] == "/om"


# --- logging out -------------------------------------------------------------------------------


def test_logging_out_needs_a_post(logged_in):
    assert logged_in.get("/konto/logga-ut").status_code == 405
    assert is_logged_in(logged_in)


def test_logging_out_ends_the_session_and_the_remember_me_cookie(client, user):
    submit_log_in(client, user.email, remember="y")

    response = client.post("/konto/logga-ut")

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get_cookie("remember_token") is None
    assert not is_logged_in(client)
    assert "Du är utloggad." in client.get("/").get_data(as_text=True)
