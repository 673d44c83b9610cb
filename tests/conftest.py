"""Shared fixtures: the test app and an empty database for every test (SQLite in memory, or
PostgreSQL via DATABASE_URL), a real SMTP server, and `log_in`.

Apps are built once per configuration (and per xdist worker) and reused: building one and its
schema took longer than most tests. Between tests the app gets back its configuration, loses
what requests left in `app.extensions` (caches, the memory outbox), the cache and the rate
limiter's counts, and its database is emptied (tests/databases.py). A test that changes the app
itself (adds a route) uses the `fresh_app` fixture and gets one of its own.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.config import TestConfig
from marketplace.extensions import cache, huey, limiter
from marketplace.extensions import db as _db
from marketplace.search import engine as search_engine
from tests import factories
from tests.databases import EmptyDatabases, create_database, rebuild_schema

HTMX = {"HX-Request": "true"}  # a partial htmx request
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}  # a boosted link or form


# --- order and parallel runs --------------------------------------------------------------------


def pytest_sessionstart(session) -> None:
    """On PostgreSQL, this process's database (`<name>_gw0` under xdist) exists before tests."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        create_database(os.environ["DATABASE_URL"])


def pytest_addoption(parser) -> None:
    group = parser.getgroup("samverkanstorget", "test order (finds tests that lean on another)")
    group.addoption(
        "--shuffle",
        metavar="SEED",
        help="run the modules, and the tests in each, in a random order from this seed",
    )
    group.addoption(
        "--reverse",
        action="store_true",
        help="run the modules, and the tests in each, in reverse order",
    )


def pytest_report_header(config) -> str | None:
    if config.getoption("--shuffle") is not None:
        return f"test order: shuffled with seed {config.getoption('--shuffle')}"
    if config.getoption("--reverse"):
        return "test order: reversed"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    """--shuffle and --reverse; each module's tests stay together, so that module fixtures are
    built once."""
    seed, reverse = config.getoption("--shuffle"), config.getoption("--reverse")
    if seed is not None or reverse:
        modules: dict = {}
        for item in items:
            modules.setdefault(item.path, []).append(item)
        groups = list(modules.values())
        if reverse:
            groups.reverse()
            for group in groups:
                group.reverse()
        else:
            randomness = random.Random(seed)  # noqa: S311  the same order in every xdist worker
            randomness.shuffle(groups)
            for group in groups:
                randomness.shuffle(group)
        items[:] = [item for group in groups for item in group]


# Tests that share something built once per process run on one xdist worker, in one go: each
# browser module (a live server, a Chromium and the seeded site, built once per worker that runs
# browser tests, so that both workers share the browser tests), the three page sweeps together
# (the axe run keeps each page's HTML for the CSP and vnu checks: tests/browser/site.py) and the
# loaded demo. xdist's reordering by size starts these groups first, and the many one-test units
# fill both workers to the end. pytest-xdist 3.8 groups `xdist_group` tests by a suffix it adds
# to their node ids, which pytest 9.2 no longer lets it set, so `--dist loadgroup` groups by
# these paths instead.
ONE_WORKER = {
    "tests/test_demo.py": "demo",
    "tests/browser/test_accessibility.py": "page sweeps",
    "tests/browser/test_content_security_policy.py": "page sweeps",
    "tests/browser/test_html_validity.py": "page sweeps",
}
MODULE_PER_WORKER = ("tests/browser/",)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for path, group in ONE_WORKER.items():
                if nodeid.startswith(path):
                    return group
            if nodeid.startswith(MODULE_PER_WORKER):
                return nodeid.split("::", 1)[0]
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            """As xdist's, but every item of a node id: under pytest 9.2 the API schema test's
            items (one per operation, from schemathesis) share one, and xdist ran only the first."""
            scope, work_unit = self.workqueue.popitem(last=False)
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            pending = {nodeid for nodeid, completed in work_unit.items() if not completed}
            collection = self.registered_collections[node]
            node.send_runtest_some(
                [index for index, nodeid in enumerate(collection) if nodeid in pending]
            )

    return PathGroups(config, log)


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
    rebuild_schema()


# --- apps ---------------------------------------------------------------------------------------


@dataclass
class _BuiltApp:
    """An app as create_app() left it, to put it back that way after each test."""

    key: tuple
    app: Flask
    config: dict
    extensions: frozenset[str]
    routes: int

    @classmethod
    def build(cls, key: tuple, overrides: dict) -> _BuiltApp:
        app = create_app(TestConfig, **overrides)
        app.test_client_class = FreshContextClient
        return cls(key, app, dict(app.config), frozenset(app.extensions), _routes(app))

    def restore(self) -> bool:
        """Undo what the test changed; False if the app itself changed (it is not reused)."""
        app = self.app
        app.config.clear()
        app.config.update(self.config)
        for name in set(app.extensions) - self.extensions:
            del app.extensions[name]  # caches made on first use, the memory outbox
        return _routes(app) == self.routes

    def dispose(self) -> None:
        with self.app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _routes(app: Flask) -> int:
    return len(list(app.url_map.iter_rules()))


class TestApps:
    """The apps this process has built, one per configuration, lent to one test at a time."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self._idle: dict[tuple, _BuiltApp] = {}
        self.databases = EmptyDatabases()

    def lend(self, overrides: dict, *, fresh: bool) -> _BuiltApp:
        key = tuple(sorted((name, repr(value)) for name, value in overrides.items()))
        built = None if fresh else self._idle.pop(key, None)
        return built or _BuiltApp.build(key, overrides)

    def prepare(self, app: Flask) -> None:
        """In the lent app's context: its settings for the shared extensions, nothing stored."""
        limiter.init_app(app)  # one Limiter for all apps: this app's switch, and fresh counts
        huey.immediate = bool(app.config["HUEY_IMMEDIATE"])
        cache.clear()
        self.databases.empty()
        search_engine.get().reset()  # this app's index follows its emptied database

    def give_back(self, built: _BuiltApp, *, keep: bool) -> None:
        if built.restore() and keep and built.key not in self._idle:
            self._idle[built.key] = built
        else:
            built.dispose()


_apps = TestApps()


@pytest.fixture
def make_app(request, smtp_server) -> Iterator:
    """`make_app(**overrides)`: a test app with these settings over TestConfig, in an app context,
    with an empty database (e-mail goes to `smtp_server` unless the overrides say otherwise).

    Each call lends an app for this test; tests asking for the same settings get the same app
    back, reset. A test (or fixture) that changes the app itself uses `fresh_app`."""
    fresh = "fresh_app" in request.fixturenames
    lent: list = []

    def make(**overrides) -> Flask:
        settings = {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": smtp_server.hostname,
            "MAIL_PORT": smtp_server.port,
            **overrides,
        }
        built = _apps.lend(settings, fresh=fresh)
        context = built.app.app_context()
        context.push()
        lent.append((built, context))
        _apps.prepare(built.app)
        return built.app

    yield make
    for built, context in reversed(lent):
        _db.session.remove()
        context.pop()
        _apps.give_back(built, keep=not fresh)


@pytest.fixture
def fresh_app() -> None:
    """Use it (`@pytest.mark.usefixtures("fresh_app")`, or as a fixture's argument) when the test
    changes the app itself, e.g. adds a route: its apps are then built for it alone."""


@pytest.fixture
def app(make_app) -> Flask:
    """The usual test app (TestConfig: no CSRF, no rate limits; e-mail to `smtp_server`)."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app, smtp_server):
    """E-mails the loopback SMTP server received during this test, as parsed EmailMessages."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


# --- people ------------------------------------------------------------------------------------


def log_in(
    client: FlaskClient,
    who: User | str | None,
    *,
    form: bool = False,
    password: str = factories.PASSWORD,
    **request,
) -> FlaskClient:
    """Log `client` in as `who` and return it; None leaves it anonymous.

    By default through the session, as Flask-Login keeps it (the log-in form has its own
    tests). With `form=True` through the real log-in form, which must answer with its
    redirect; `who` may then also be an e-mail address. `request` (e.g. base_url) says which
    site the session cookie or the form is for."""
    if who is None:
        return client
    if form:
        address = who if isinstance(who, str) else who.email
        response = client.post(
            "/konto/logga-in", data={"email": address, "password": password}, **request
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client
    assert isinstance(who, User), "log in by e-mail address with form=True"
    with client.session_transaction(**request) as session:
        session["_user_id"] = who.session_token
        session["_fresh"] = True
    return client


@pytest.fixture
def user(app):
    return factories.user()


@pytest.fixture
def logged_in(client, user):
    return log_in(client, user, form=True)


@pytest.fixture
def member(app):
    """A confirmed user who administers one organisation and acts for it."""
    return factories.member()


@pytest.fixture
def member_client(client, member):
    return log_in(client, member, form=True)
