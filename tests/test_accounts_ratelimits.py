"""Rate limits on guessing: log-in per IP and per account, forgotten password per IP and address.

TestConfig switches rate limiting off; these tests build an app with it on.
"""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def limited_app(make_app):
    """The usual test app with rate limiting on. No test here may use the `app` fixture too:
    the limiter is one object, and the app lent last decides whether it is on."""
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
    )


@pytest.fixture
def client(limited_app):
    return limited_app.test_client()


@pytest.fixture
def outbox(limited_app, smtp_server):
    """As conftest's, without lending the usual app: the one limiter would follow its config."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _wrong_log_in(client, email: str, address: str = "203.0.113.1"):
    return client.post(
        "/konto/logga-in",
        data={"email": email, "password": "fel-losenord-igen"},
        **_from(address),
    )


def test_the_eleventh_wrong_log_in_in_a_minute_from_one_address_is_refused(client):
    for attempt in range(10):
        assert _wrong_log_in(client, f"person{attempt}@example.com").status_code == 422

    response = _wrong_log_in(client, "person10@example.com")

    assert response.status_code == 429
    assert "För många försök" in response.get_data(as_text=True)
    assert _wrong_log_in(client, "person11@example.com", "203.0.113.2").status_code == 422


def test_guessing_one_accounts_password_from_many_addresses_is_refused(client):
    user = factories.user()
    for attempt in range(10):
        email = user.email.upper() if attempt % 2 else user.email  # the same account
        assert _wrong_log_in(client, email, f"198.51.100.{attempt}").status_code == 422

    blocked = client.post(
        "/konto/logga-in",
        data={"email": user.email, "password": factories.PASSWORD},  # even the right one
        **_from("198.51.100.200"),
    )

    assert blocked.status_code == 429
    other = factories.user()
    assert _wrong_log_in(client, other.email, "198.51.100.201").status_code == 422


def test_successful_log_ins_do_not_use_up_the_accounts_allowance(limited_app, client):
    user = factories.user()
    for attempt in range(11):
        browser = limited_app.test_client()
        response = browser.post(
            "/konto/logga-in",
            data={"email": user.email, "password": factories.PASSWORD},
            **_from(f"192.0.2.{attempt}"),
        )
        assert response.status_code == 303


def test_looking_at_the_log_in_page_is_not_limited(client):
    for _ in range(15):
        assert client.get("/konto/logga-in", **_from("203.0.113.9")).status_code == 200


def test_forgotten_password_requests_are_limited_per_address_and_per_ip(client, outbox):
    user = factories.user()
    for attempt in range(5):
        response = client.post(
            "/konto/glomt-losenord", data={"email": user.email}, **_from(f"192.0.2.{attempt}")
        )
        assert response.status_code == 303
    mailed = len(outbox)  # requests within the same second share one link and one mail
    assert mailed >= 1
    per_address = client.post(
        "/konto/glomt-losenord", data={"email": user.email}, **_from("192.0.2.99")
    )
    assert per_address.status_code == 429
    assert len(outbox) == mailed

    for attempt in range(5):
        client.post(
            "/konto/glomt-losenord",
            data={"email": f"nobody{attempt}@example.com"},
            **_from("203.0.113.50"),
        )
    per_ip = client.post(
        "/konto/glomt-losenord", data={"email": "nobody9@example.com"}, **_from("203.0.113.50")
    )
    assert per_ip.status_code == 429


def test_registrations_from_one_address_are_limited(client):
    for attempt in range(10):
        response = client.post(
            "/konto/registrera",
            data={"name": "", "email": f"ny{attempt}@example.com"},
            **_from("203.0.113.77"),
        )
        assert response.status_code == 422
    response = client.post(
        "/konto/registrera", data={"name": "", "email": "ny@example.com"}, **_from("203.0.113.77")
    )
    assert response.status_code == 429
