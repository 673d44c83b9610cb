"""Security headers on every kind of response, cookie flags, HSTS, and a new session at log-in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from marketplace.config import ROOT
from tests import factories
from tests.conftest import HTMX, log_in

FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "data: 'self'", "*;")


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip() for part in policy.split(";") if part.strip())
    return {part.split()[0]: " ".join(part.split()[1:]) for part in parts}


def assert_secure_headers(response, *, framable: bool = False) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert policy, "no Content-Security-Policy"
    for source in ("'unsafe-inline'", "'unsafe-eval'"):
        assert source not in policy, f"CSP allows {source}: {policy}"
    rules = directives(policy)
    assert rules.get("default-src") == "'self'"
    assert rules.get("script-src") == "'self'"
    assert rules.get("object-src") == "'none'"
    assert rules.get("base-uri") == "'self'"
    if framable:
        assert rules.get("frame-ancestors") not in (None, "'none'")
        assert "X-Frame-Options" not in headers  # DENY would override the allowed framers
    else:
        assert rules.get("frame-ancestors") == "'none'"
        assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer")
    assert "Strict-Transport-Security" not in headers  # http BASE_URL: no HSTS


RESPONSES = {
    "html page": ("GET", "/om", None, 200),
    "start page": ("GET", "/", None, 200),
    "htmx fragment": ("GET", "/annonser?q=läxhjälp", HTMX, 200),
    "json api": ("GET", "/api/v1/ads", None, 200),
    "json api 404": ("GET", "/api/v1/nothing-here", None, 404),
    "json api 405": ("POST", "/api/v1/ads", None, 405),
    "openapi document": ("GET", "/api/v1/openapi.json", None, 200),
    "atom feed": ("GET", "/annonser/flode.atom", None, 200),
    "csv file": ("GET", "/statistik.csv", None, 200),
    "health check": ("GET", "/healthz", None, 200),
    "static file": ("GET", "/static/site.css", None, 200),
    "svg image": ("GET", "/static/favicon.svg", None, 200),
    "redirect": ("GET", "/sprak/en?next=/om", None, 303),
    "404 page": ("GET", "/finns-inte", None, 404),
    "404 fragment": ("GET", "/annonser/999999/matchningar", HTMX, 404),
    "405 page": ("GET", "/konto/logga-ut", None, 405),
    "400 page": ("GET", "/statistik?period=aldrig", None, 400),
    "login redirect": ("GET", "/konto/installningar", None, 302),
    "signed-link page": ("GET", "/konto/aterstall/trasig", None, 400),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_kind_of_response_carries_the_security_headers(client, name):
    factories.ad()
    method, path, headers, status = RESPONSES[name]
    response = client.open(path, method=method, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert_secure_headers(response)


def test_pages_of_a_logged_in_member_carry_the_headers(client, member):
    log_in(client, member)
    response = client.get("/organisationer/mina")
    assert response.status_code == 200
    assert_secure_headers(response)


def test_the_embed_may_be_framed_but_keeps_the_rest_of_the_policy(client):
    response = client.get("/inbaddning")
    assert response.status_code == 200
    assert_secure_headers(response, framable=True)
    # Its builder page is an ordinary page: no framing.
    assert_secure_headers(client.get("/inbaddning/skapa"))


@pytest.mark.usefixtures("fresh_app")  # it adds a route
def test_a_server_error_page_carries_the_headers_too(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, MAIL_BACKEND="memory")

    @app.get("/__boom")
    def boom():
        raise RuntimeError("on purpose")

    response = app.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert_secure_headers(response)


def test_a_csrf_failure_page_carries_the_headers(csrf_app):
    response = csrf_app.test_client().post("/konto/logga-in", data={"email": "a@example.com"})
    assert response.status_code == 400
    assert_secure_headers(response)


# --- Cookies ------------------------------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header
    return cookies


def flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, user):
    response = client.post(
        "/konto/logga-in",
        data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
    )
    assert response.status_code == 303
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert name in cookies, f"no {name} cookie: {cookies}"
        assert {"httponly", "samesite=lax", "path=/"} <= flags(cookies[name]), cookies[name]
        assert "secure" not in flags(cookies[name])  # http BASE_URL in tests


def test_the_language_cookie_is_httponly_and_samesite_lax(client):
    cookie = set_cookies(client.get("/sprak/en"))
    header = next(value for name, value in cookie.items() if name != "session")
    assert {"httponly", "samesite=lax"} <= flags(header)


HTTPS_PROBE = textwrap.dedent(
    """
    import json
    from marketplace import create_app
    from marketplace.config import Config
    from marketplace.extensions import db
    from tests import factories

    app = create_app(Config, TESTING=True, MAIL_BACKEND="memory", RATELIMIT_ENABLED=False,
                     HUEY_IMMEDIATE=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        user = factories.user()
        client = app.test_client()
        client.get("/", base_url="https://samverkanstorget.example.se")
        response = client.post(
            "/konto/logga-in",
            data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
            base_url="https://samverkanstorget.example.se",
        )
        page = client.get("/om", base_url="https://samverkanstorget.example.se")
        plain = app.test_client().get("/om")
        print(json.dumps({
            "status": response.status_code,
            "cookies": response.headers.getlist("Set-Cookie"),
            "hsts": page.headers.get("Strict-Transport-Security"),
            "hsts_plain_http": plain.headers.get("Strict-Transport-Security"),
            "language": app.test_client().get("/sprak/en").headers.getlist("Set-Cookie"),
        }))
    """
)


@pytest.fixture(scope="module")
def production_over_https(tmp_path_factory):
    """The production configuration as deploy/ sets it (BASE_URL=https://… in the environment),
    in a process of its own, since Config reads the environment when it is imported."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "SESSION_COOKIE", "MAIL_"))
    }
    env.update(
        BASE_URL="https://samverkanstorget.example.se",
        SECRET_KEY="a-long-random-production-secret-for-this-test-only",
        DATABASE_URL="sqlite://",
        HUEY_SQLITE_PATH=str(tmp_path_factory.mktemp("huey") / "tasks.db"),
        PYTHONWARNINGS="ignore",
    )
    result = subprocess.run(
        [sys.executable, "-c", HTTPS_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_an_https_base_url_cookies_are_secure(production_over_https):
    assert production_over_https["status"] == 303
    cookies = {c.split("=", 1)[0]: c for c in production_over_https["cookies"]}
    for name in ("session", "remember_token"):
        assert {"secure", "httponly", "samesite=lax"} <= flags(cookies[name]), cookies[name]
    language = production_over_https["language"]
    assert language and all("secure" in flags(c) for c in language)


def test_with_an_https_base_url_every_response_asks_for_https_only(production_over_https):
    hsts = production_over_https["hsts"]
    assert hsts and re.search(r"max-age=(\d+)", hsts)
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000
    assert production_over_https["hsts_plain_http"]  # the site is https-only whatever the request


def test_without_https_there_is_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


# --- Session renewal at log-in ------------------------------------------------------------------


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_logging_in_starts_a_new_session_and_drops_what_was_in_the_old_one(client, user):
    client.get("/konto/logga-in")
    with client.session_transaction() as session:
        session["planted_before_login"] = "attacker-chosen"
    before = session_cookie(client)
    response = client.post(
        "/konto/logga-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 303
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted_before_login" not in session
        assert session.get("_user_id")


def test_a_csrf_token_from_before_log_in_does_not_work_after_it(csrf_app):
    user = factories.user()
    client = csrf_app.test_client()
    page = client.get("/konto/logga-in").get_data(as_text=True)
    old_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/konto/logga-in",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": old_token},
    )
    assert response.status_code == 303
    response = client.post(
        "/bevakningar/ny", data={"name": "x", "rhythm": "daily", "csrf_token": old_token}
    )
    assert response.status_code == 400


def test_a_405_names_the_methods_that_work(client):
    page = client.get("/konto/logga-ut")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    api = client.post("/api/v1/ads")
    assert api.status_code == 405 and api.get_json()["error"] == "method_not_allowed"
    assert set(api.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    options = client.options("/api/v1/organisations/1")
    assert set(options.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_an_app_built_with_an_https_base_url_sends_hsts_on_every_response(make_app):
    app = make_app(BASE_URL="https://samverkanstorget.example.se", MAIL_BACKEND="memory")
    client = app.test_client()
    for path in ("/", "/api/v1/ads", "/finns-inte", "/static/site.css", "/inbaddning"):
        hsts = client.get(path).headers.get("Strict-Transport-Security", "")
        assert "max-age=" in hsts, path
