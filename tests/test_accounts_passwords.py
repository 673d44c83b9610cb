"""Passwords: forgotten password and reset links, changing the password, and the password rules."""

from __future__ import annotations

import pytest

from marketplace.accounts import tokens
from marketplace.accounts.passwords import password_problem, verify_password
from tests import factories
from tests.conftest import HTMX
from tests.test_accounts import NEW_PASSWORD, account, is_logged_in, link_in, submit_log_in

# --- forgotten password ------------------------------------------------------------------------


def _ask_for_reset(client, email: str):
    return client.post("/konto/glomt-losenord", data={"email": email})


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_gets_mail(
    client, user, outbox
):
    known = _ask_for_reset(client, user.email)
    unknown = _ask_for_reset(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 303
    assert (
        known.headers["Location"] == unknown.headers["Location"] == "/konto/glomt-losenord/skickat"
    )
    assert known.get_data() == unknown.get_data()
    page = client.get("/konto/glomt-losenord/skickat").get_data(as_text=True)
    assert "Om det finns ett konto med adressen du skrev har vi skickat en länk dit." in page
    assert [message["To"] for message in outbox] == [user.email]
    [message] = outbox
    assert message["Subject"] == "Välj ett nytt lösenord"
    assert (
        "gäller i 60 minuter och kan användas en gång" in message.get_body(("plain",)).get_content()
    )
    assert link_in(message) in message.get_body(("html",)).get_content()


def test_the_forgotten_password_form_wants_a_real_address(client, outbox):
    response = _ask_for_reset(client, "inte en adress")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="inte en adress"' in html and "Skriv en giltig e-postadress" in html
    assert outbox == []


def test_the_reset_link_sets_a_new_password_logs_you_in_and_confirms_the_address(client, outbox):
    anna = factories.user(confirmed=False)
    _ask_for_reset(client, anna.email.upper())
    link = link_in(outbox[0])
    outbox.clear()

    form = client.get(link)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"  # the token stays out of Referer
    response = client.post(link, data={"password": NEW_PASSWORD})

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert is_logged_in(client)
    anna = account(anna.email)
    assert anna.is_confirmed
    assert verify_password(anna.password_hash, NEW_PASSWORD)
    assert not verify_password(anna.password_hash, factories.PASSWORD)
    assert [message["Subject"] for message in outbox] == ["Ditt lösenord har bytts"]


def test_a_reset_link_works_only_once(client, user, outbox):
    _ask_for_reset(client, user.email)
    link = link_in(outbox[0])
    client.post(link, data={"password": NEW_PASSWORD})

    for again in (client.get(link), client.post(link, data={"password": "ett-annat-bra-losenord"})):
        html = again.get_data(as_text=True)
        assert again.status_code == 400
        assert "<h1>Länken fungerar inte</h1>" in html
        assert 'href="/konto/glomt-losenord"' in html  # the way to a new link
    assert verify_password(account(user.email).password_hash, NEW_PASSWORD)


def test_an_older_reset_link_dies_when_the_password_changes_another_way(client, user, outbox):
    token = tokens.make(
        tokens.RESET, {"id": user.id, "fp": tokens.fingerprint(user.password_hash, user.email)}
    )
    submit_log_in(client, user.email)
    client.post(
        "/konto/installningar/losenord",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": NEW_PASSWORD,
        },
    )
    assert client.get(f"/konto/aterstall/{token}").status_code == 400


def test_an_expired_reset_link_says_so_and_offers_a_new_one(app, client, user, outbox):
    _ask_for_reset(client, user.email)
    app.config["RESET_TOKEN_MAX_AGE"] = -1

    response = client.get(link_in(outbox[0]))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>Länken har gått ut</h1>" in html
    assert 'href="/konto/glomt-losenord"' in html


def test_a_tampered_reset_link_gives_a_message_not_an_error(client, user):
    token = tokens.make(tokens.CONFIRM, {"id": user.id, "email": user.email})  # wrong purpose
    for bad in ("/konto/aterstall/abc", f"/konto/aterstall/{token}"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "Länken fungerar inte" in response.get_data(as_text=True)


def test_a_weak_new_password_is_refused_and_never_echoed(client, user, outbox):
    _ask_for_reset(client, user.email)
    link = link_in(outbox[0])

    response = client.post(link, data={"password": "password123"}, headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="reset-password-form"')
    assert "Lösenordet är för vanligt och lätt att gissa." in html
    assert "password123" not in html
    assert verify_password(account(user.email).password_hash, factories.PASSWORD)


def test_resetting_the_password_logs_out_every_other_session(app, client, user, outbox):
    other_device = app.test_client()
    submit_log_in(other_device, user.email, remember="y")
    remembered = other_device.get_cookie("remember_token").value
    _ask_for_reset(client, user.email)

    client.post(link_in(outbox[0]), data={"password": NEW_PASSWORD})

    assert not is_logged_in(other_device)
    fresh_browser = app.test_client()
    fresh_browser.set_cookie("remember_token", remembered)
    assert not is_logged_in(fresh_browser)


# --- changing the password in settings ---------------------------------------------------------


def _change_password(client, current: str, new: str, **kwargs):
    return client.post(
        "/konto/installningar/losenord",
        data={"password-current_password": current, "password-new_password": new},
        **kwargs,
    )


def test_changing_the_password_needs_the_current_one(logged_in, user, outbox):
    response = _change_password(logged_in, "inte-mitt-losenord", NEW_PASSWORD)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Lösenordet stämmer inte. Skriv ditt nuvarande lösenord." in html
    assert "inte-mitt-losenord" not in html and NEW_PASSWORD not in html
    assert verify_password(account(user.email).password_hash, factories.PASSWORD)
    assert outbox == []


def test_a_weak_new_password_is_refused_in_settings(logged_in, user):
    response = _change_password(logged_in, factories.PASSWORD, "kort")
    assert response.status_code == 422
    assert "Lösenordet måste ha minst 10 tecken." in response.get_data(as_text=True)
    assert verify_password(account(user.email).password_hash, factories.PASSWORD)


def test_changing_the_password_logs_out_other_sessions_but_keeps_this_one(
    app, logged_in, user, outbox
):
    other_device = app.test_client()
    submit_log_in(other_device, user.email)
    assert is_logged_in(other_device)

    response = _change_password(logged_in, factories.PASSWORD, NEW_PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/installningar"
    settings = logged_in.get("/konto/installningar")  # still logged in here
    assert settings.status_code == 200
    assert "Ditt lösenord är bytt." in settings.get_data(as_text=True)
    assert not is_logged_in(other_device)
    assert submit_log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 303
    [notice] = outbox
    assert notice["To"] == user.email and notice["Subject"] == "Ditt lösenord har bytts"
    assert "/konto/glomt-losenord" in notice.get_body(("plain",)).get_content()


def test_a_remembered_browser_stays_logged_in_after_its_own_password_change(app, client, user):
    submit_log_in(client, user.email, remember="y")
    _change_password(client, factories.PASSWORD, NEW_PASSWORD)

    reopened = app.test_client()
    reopened.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert is_logged_in(reopened)


def test_the_two_settings_forms_do_not_validate_each_other(logged_in):
    response = _change_password(logged_in, "", "", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="password-form"')
    assert 'id="email-form"' not in html

    page = _change_password(logged_in, "", "").get_data(as_text=True)
    email_form = page[page.index('<form id="email-form"') :]
    assert "has-errors" not in email_form
    assert page.count("<h1>") == 1


def test_anonymous_visitors_cannot_change_a_password(client):
    response = _change_password(client, factories.PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


# --- the rules themselves ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["rödbetor-och-fika-2026", "tre gröna äpplen i korgen", "Sommaren2024!", "x" * 9 + "Ö!9aQ"],
)
def test_long_uncommon_passwords_pass_the_rules(app, password):
    with app.test_request_context():
        assert password_problem(password, ["anna@example.com", "Anna Lind"]) is None


def test_a_password_exactly_at_the_length_limits(app):
    with app.test_request_context():
        assert password_problem("vk7#Rq2!zL") is None  # ten characters
        assert password_problem("vk7#Rq2!z") is not None
        assert password_problem("vk7#Rq2!zL" * 25 + "abcdef") is None  # 256
        assert password_problem("vk7#Rq2!zL" * 25 + "abcdefg") is not None


# --- hashing cost ------------------------------------------------------------------------------


def test_the_site_hashes_with_argon2id_at_full_cost_whatever_the_tests_use():
    """The tests swap in the cheapest Argon2 parameters (tests/conftest.py) to stay fast; the
    site itself keeps at least OWASP's minimum for Argon2id (19 MiB, 2 passes)."""
    from argon2 import Type, extract_parameters

    from marketplace.accounts.passwords import PRODUCTION_HASHER

    parameters = extract_parameters(PRODUCTION_HASHER.hash("rödbetor-och-fika-2026"))

    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert parameters.memory_cost * parameters.time_cost >= 64 * 1024 * 3  # no weaker than today
