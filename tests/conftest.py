"""Shared fixtures: a fresh database per test (SQLite in memory, or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db as _db
from tests import factories

HTMX = {"HX-Request": "true"}  # a partial htmx request
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}  # a boosted link or form


class CollectingHandler:
    """aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Argon2 at production cost takes about half a second a hash; tests use the cheapest."""
    from argon2 import PasswordHasher

    from marketplace.accounts import passwords

    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback for the whole run; tests read what it received."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The fixtures hold an app context for the whole test (so factories can use the database);
    without this, every request would share its `g`, and with it Flask-Login's cached user,
    Flask-Babel's cached locale and the database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def reset_database() -> None:
    """Drop everything the models and the migrations may have created, then build the schema."""
    _db.session.remove()
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    _db.create_all()


@pytest.fixture
def app(smtp_server):
    app = create_app(
        TestConfig,
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_server.hostname,
        MAIL_PORT=smtp_server.port,
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_database()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app, smtp_server):
    """E-mails the loopback SMTP server received during this test, as parsed EmailMessages."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


@pytest.fixture
def user(app):
    return factories.user()


@pytest.fixture
def logged_in(client, user):
    response = client.post(
        "/konto/logga-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def member(app):
    """A confirmed user who administers one organisation and acts for it."""
    return factories.member()


@pytest.fixture
def member_client(client, member):
    response = client.post(
        "/konto/logga-in", data={"email": member.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
