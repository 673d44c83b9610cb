"""Shared fixtures: a fresh database per test (SQLite in memory, or PostgreSQL via DATABASE_URL)."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db as _db
from tests import factories

HTMX = {"HX-Request": "true"}  # a partial htmx request
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}  # a boosted link or form


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
def app():
    app = create_app(TestConfig)
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
def outbox(app):
    """E-mails handed to the transport (MAIL_BACKEND=memory), as EmailMessage objects."""
    return app.extensions.setdefault("mail_outbox", [])


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
