"""Real-browser fixtures: live servers and one headless Chromium per process, for the run.

A live server is the real app on 127.0.0.1 (CSRF on, real SMTP to the `smtp_server` fixture)
with its own database and search index: an SQLite file under a temporary directory, or, when
DATABASE_URL is set, a PostgreSQL database of its own (`<worker's database>_browser`), so a
live server never shares tables with the per-test databases of the rest of the suite. The
seeded site (`live_server`, `site_data`) and the tests that start from empty tables
(`clean_database`, on `scratch_server`) each have one, so the site is seeded once per process.
Under xdist each browser module is a unit of work of its own (tests/conftest.py): both workers
run browser tests, each with its own Chromium and live servers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, got_request_exception, url_for
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from marketplace import create_app
from marketplace.config import ROOT, TestConfig
from marketplace.extensions import db, huey, limiter
from marketplace.search import engine as search_engine
from tests.conftest import reset_database
from tests.databases import own_database_url

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NODE_MODULES = ROOT / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
TIMEOUT_MS = 10_000


def missing_tool(reason: str) -> None:
    """Skip on a developer's machine without the tool; fail in CI, where it must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(f"{reason} (`make browser-tools`, and apt-get install chromium)")


class QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output; errors are still logged."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str
    errors: list[BaseException] = field(default_factory=list)
    generation: int = 0  # bumped by every database reset; cached test data is then stale

    @contextmanager
    def app_context(self) -> Iterator[None]:
        """Work with the live server's database (factories, queries) from a test."""
        with self.app.app_context():
            yield
            db.session.remove()

    def has_endpoint(self, endpoint: str, method: str = "GET") -> bool:
        return any(rule.methods and method in rule.methods for rule in self._rules(endpoint))

    def has_route(self, prefix: str, method: str = "GET") -> bool:
        """Any route whose pattern starts with `prefix`, e.g. "/konto/bekrafta/<"."""
        return any(
            rule.rule.startswith(prefix) and rule.methods and method in rule.methods
            for rule in self.app.url_map.iter_rules()
        )

    def _rules(self, endpoint: str) -> list:
        return (
            list(self.app.url_map.iter_rules(endpoint))
            if endpoint in self.app.view_functions
            else []
        )

    def route_arguments(self, endpoint: str) -> set[str]:
        return set().union(*(rule.arguments for rule in self._rules(endpoint)))

    def path_for(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def session_cookie(self, user_session_token: str) -> dict:
        """A signed Flask session cookie that logs the browser in as the user with that token.

        Flask-Login keeps the user's id (here: the account's session token) in `_user_id`.
        Tests that are about logging in use the real form instead.
        """
        with self.app.test_request_context():
            serializer = self.app.session_interface.get_signing_serializer(self.app)
            value = serializer.dumps({"_user_id": user_session_token, "_fresh": True})
        return {"name": self.app.config["SESSION_COOKIE_NAME"], "value": value, "url": self.url}

    def raise_errors(self) -> None:
        """Fail with the first exception the server raised since the last check, if any."""
        if self.errors:
            error, *_rest = self.errors
            self.errors.clear()
            raise AssertionError(f"the live server raised {error!r}") from error

    def reset_database(self) -> None:
        """Empty every table (faster than rebuilding, and never waits on DDL locks)."""
        with self.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            search_engine.get().reset()  # its index follows the emptied tables
        self.generation += 1


def _browser_database_url(tmp_dir: Path, name: str) -> str:
    """A live server's own database: never the one the rest of the suite empties per test.

    DATABASE_URL already names this xdist worker's database (tests/databases.py)."""
    return own_database_url(name) or f"sqlite:///{tmp_dir / f'{name}.db'}"


@contextmanager
def _serve(tmp_path_factory, smtp_server, name: str) -> Iterator[LiveServer]:
    """The real app, served by werkzeug from a background thread, with a database of its own."""
    tmp_dir = tmp_path_factory.mktemp(f"live-server-{name}")
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=_browser_database_url(tmp_dir, name),
        WTF_CSRF_ENABLED=True,  # a real browser carries real tokens
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_server.hostname,
        MAIL_PORT=smtp_server.port,
        RATELIMIT_ENABLED=False,
        MAIL_FILE_DIR=str(tmp_dir / "mail"),
        SEARCH_INDEX_DIR=str(tmp_dir / "search-index"),  # not the other live server's index
    )
    with app.app_context():
        reset_database()  # the schema the models (and search) need, built from scratch
        db.session.remove()

    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
    )
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.port}")
    app.config["BASE_URL"] = live.url  # links in e-mails built outside requests

    def record(sender, exception, **extra) -> None:
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{name}", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record, app)
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, smtp_server) -> Iterator[LiveServer]:
    """The live server for the whole run: the seeded site (`site_data`) and the tests that only
    add to it."""
    with _serve(tmp_path_factory, smtp_server, "browser") as live:
        yield live


@pytest.fixture(scope="session")
def scratch_server(tmp_path_factory, smtp_server) -> Iterator[LiveServer]:
    """A second live server for the tests that start from empty tables (`clean_database`), so
    that emptying them never costs the seeded site a new seeding (seconds of CPU each time)."""
    with _serve(tmp_path_factory, smtp_server, "browser_scratch") as live:
        yield live


@pytest.fixture(autouse=True)
def no_server_errors(request):
    """Any exception inside a live server fails the test that caused it, with its traceback.

    The live servers share the process with the other tests' apps (xdist runs browser modules
    between them): the one Limiter and Huey's immediate mode get the live servers' settings."""
    servers: list[LiveServer] = []
    if "live_server" in request.fixturenames:
        servers.append(request.getfixturevalue("live_server"))
    if "clean_database" in request.fixturenames:
        servers.append(request.getfixturevalue("scratch_server"))
    for live in servers:
        limiter.init_app(live.app)
        huey.immediate = bool(live.app.config["HUEY_IMMEDIATE"])
        live.errors.clear()
    yield
    for live in servers:
        live.raise_errors()


@pytest.fixture
def clean_database(scratch_server) -> LiveServer:
    """A live server whose tables are empty at the start of the test (the schema stays)."""
    scratch_server.reset_database()
    return scratch_server


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-dev.txt pins it
        missing_tool("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """One headless Debian Chromium for the whole run (never a downloaded build)."""
    if not Path(CHROMIUM).exists():
        missing_tool(f"{CHROMIUM} is missing")
    chromium = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


class BrowserLog:
    """What a page said in its console and which errors it threw."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def csp_violations(self) -> list[str]:
        return [
            message
            for message in self.messages
            if "Content Security Policy" in message
            or "Refused to" in message
            or "violates the following" in message
        ]


def header_menu(page):
    """The header's menu (a <details>, "Meny"), opened so that its links can be clicked."""
    menu = page.locator("header details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


def new_page(browser, live_server, **context_options):
    context = browser.new_context(locale="sv-SE", base_url=live_server.url, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log = BrowserLog()
    log.attach(page)
    page.browser_log = log
    return context, page


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) per test, Swedish locale, JavaScript on."""
    context, page = new_page(browser, live_server)
    yield page
    context.close()
    assert not page.browser_log.csp_violations(), page.browser_log.csp_violations()


@pytest.fixture
def page_nojs(browser, live_server):
    """Like `page`, with JavaScript off: the site must work as plain HTML forms and links."""
    context, page = new_page(browser, live_server, java_script_enabled=False)
    yield page
    context.close()
    assert not page.browser_log.csp_violations(), page.browser_log.csp_violations()


@pytest.fixture
def page_axe(browser, live_server, axe_script):
    """A page that ignores the site's CSP, only so that axe-core can be injected."""
    context, page = new_page(browser, live_server, bypass_csp=True)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        missing_tool(f"{AXE_SCRIPT.relative_to(ROOT)} is missing")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    if not VNU_JAR.exists():
        missing_tool(f"{VNU_JAR.relative_to(ROOT)} is missing")
    return VNU_JAR


@pytest.fixture(scope="session")
def page_sources():
    from tests.browser.site import PageSources

    return PageSources()


@pytest.fixture(scope="session")
def _site_data_cache() -> dict:
    return {}


@pytest.fixture
def site_data(live_server, _site_data_cache):
    """The shared demo content (tests/browser/site.py), seeded again after a database reset."""
    from tests.browser.site import seed

    if _site_data_cache.get("generation") != live_server.generation:
        live_server.reset_database()
        _site_data_cache["data"] = seed(live_server)
        _site_data_cache["generation"] = live_server.generation
    return _site_data_cache["data"]
