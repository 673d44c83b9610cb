"""Settings: the page itself, and changing the e-mail address through a link sent to the new one."""

from __future__ import annotations

from marketplace.accounts import tokens
from tests import factories
from tests.conftest import HTMX
from tests.test_accounts import account, is_logged_in, link_in, submit_log_in


def _change_email(client, new_email: str, password: str = factories.PASSWORD, **kwargs):
    return client.post(
        "/konto/installningar/e-post",
        data={"email-new_email": new_email, "email-password": password},
        **kwargs,
    )


def test_the_settings_page_needs_a_log_in(client):
    response = client.get("/konto/installningar")
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/logga-in?next=/konto/installningar"


def test_the_settings_page_shows_both_forms_with_helpful_autocomplete(logged_in, user):
    html = logged_in.get("/konto/installningar").get_data(as_text=True)
    assert "<h1>Mitt konto</h1>" in html and user.email in html
    assert '<form id="password-form"' in html and '<form id="email-form"' in html
    assert 'name="password-current_password"' in html and 'name="email-new_email"' in html
    assert html.count('autocomplete="current-password"') == 2
    assert 'autocomplete="new-password"' in html and 'autocomplete="email"' in html


def test_the_address_changes_only_when_the_link_sent_to_the_new_one_is_opened(
    logged_in, user, outbox
):
    old_email = user.email
    response = _change_email(logged_in, "  Ny.Adress@Example.com ")

    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/installningar"
    assert account(old_email) is not None  # unchanged so far
    assert "Vi har skickat en länk till ny.adress@example.com" in logged_in.get(
        "/konto/installningar"
    ).get_data(as_text=True)
    [message] = outbox
    assert message["To"] == "ny.adress@example.com"
    assert message["Subject"] == "Bekräfta din nya e-postadress"
    link = link_in(message, "/konto/byt-epost/")
    outbox.clear()

    opened = logged_in.get(link)

    assert opened.status_code == 302 and opened.headers["Location"] == "/konto/installningar"
    assert account(old_email) is None
    changed = account("ny.adress@example.com")
    assert changed.id == user.id and changed.is_confirmed
    assert "Din e-postadress är nu ny.adress@example.com" in logged_in.get(
        "/konto/installningar"
    ).get_data(as_text=True)
    [notice] = outbox
    assert notice["To"] == old_email and notice["Subject"] == "Din e-postadress har bytts"
    elsewhere = logged_in.application.test_client()
    assert submit_log_in(elsewhere, "ny.adress@example.com").status_code == 303
    assert is_logged_in(elsewhere)


def test_the_change_link_works_only_once(logged_in, user, outbox):
    _change_email(logged_in, "ny@example.com")
    link = link_in(outbox[0], "/konto/byt-epost/")
    logged_in.get(link)

    again = logged_in.get(link)

    assert again.status_code == 400
    assert "Länken fungerar inte" in again.get_data(as_text=True)


def test_changing_the_address_needs_the_password(logged_in, user, outbox):
    response = _change_email(logged_in, "ny@example.com", password="fel-losenord-1234")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Lösenordet stämmer inte." in html
    assert 'value="ny@example.com"' in html and "fel-losenord-1234" not in html
    assert outbox == []


def test_another_accounts_address_cannot_be_taken(logged_in, outbox):
    other = factories.user()
    response = _change_email(logged_in, other.email.upper(), headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="email-form"')
    assert "Det finns redan ett konto med den e-postadressen." in html
    assert outbox == []


def test_the_current_address_is_no_change(logged_in, user):
    response = _change_email(logged_in, user.email)
    assert response.status_code == 422
    assert "Det är redan din e-postadress." in response.get_data(as_text=True)


def test_an_address_taken_before_the_link_is_opened_is_refused_at_the_link(logged_in, user, outbox):
    _change_email(logged_in, "eftertraktad@example.com")
    link = link_in(outbox[0], "/konto/byt-epost/")
    factories.user(email="eftertraktad@example.com")

    response = logged_in.get(link)

    assert response.status_code == 400
    assert "Adressen används redan" in response.get_data(as_text=True)
    assert account(user.email) is not None


def test_a_change_link_opened_while_logged_in_as_someone_else_is_refused(app, logged_in, outbox):
    _change_email(logged_in, "ny@example.com")
    link = link_in(outbox[0], "/konto/byt-epost/")
    other_client = app.test_client()
    submit_log_in(other_client, factories.user().email)

    response = other_client.get(link)

    assert response.status_code == 400
    assert "Länken gäller ett annat konto" in response.get_data(as_text=True)
    assert account("ny@example.com") is None


def test_an_expired_or_altered_change_link_gives_a_message(app, client, user):
    token = tokens.make(
        tokens.CHANGE_EMAIL, {"id": user.id, "from": user.email, "to": "n@example.com"}
    )
    assert client.get(f"/konto/byt-epost/{token}x").status_code == 400
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    response = client.get(f"/konto/byt-epost/{token}")
    assert response.status_code == 400
    assert "Länken har gått ut" in response.get_data(as_text=True)
    assert account("n@example.com") is None


def test_an_unconfirmed_user_can_fix_a_mistyped_address(client, outbox):
    typo = factories.user(confirmed=False, email="anna@exmaple.com")
    submit_log_in(client, typo.email)

    _change_email(client, "anna@example.com")
    client.get(link_in(outbox[0], "/konto/byt-epost/"))

    fixed = account("anna@example.com")
    assert fixed is not None and fixed.is_confirmed
