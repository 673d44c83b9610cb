"""Site-wide behaviour: health check, security headers, language switch, error pages."""

from tests.conftest import BOOSTED


def test_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "cache": "local",
        "rate_limits": "off",  # TestConfig switches rate limiting off
        "queue": "local",
        "mail_outbox": {"pending": 0, "failed": 0},
    }


def test_every_page_carries_strict_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_the_site_is_swedish_by_default_and_switches_to_english(client):
    assert '<html lang="sv">' in client.get("/").get_data(as_text=True)
    response = client.get("/sprak/en?next=/om")
    assert response.status_code == 303 and response.headers["Location"] == "/om"
    html = client.get("/om").get_data(as_text=True)
    assert '<html lang="en">' in html


def test_the_language_switch_never_redirects_off_site(client):
    for target in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        response = client.get("/sprak/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_unknown_pages_get_a_friendly_404_in_the_visitors_language(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_boosted_navigation_gets_the_whole_page(client):
    assert "<html" in client.get("/om", headers=BOOSTED).get_data(as_text=True)


def test_an_error_during_a_fragment_request_is_shown_in_the_main_area(client):
    from tests.conftest import HTMX

    response = client.get("/finns-inte", headers=HTMX)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#main"
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Sidan finns inte" in html


def test_english_dates_are_written_the_british_way(app):
    from datetime import date

    from flask_babel import force_locale

    from marketplace.i18n import babel_locale
    from marketplace.templating import _date

    with app.test_request_context(), force_locale(babel_locale("en")):
        assert _date(date(2026, 11, 22)) == "22 Nov 2026"
    with app.test_request_context(), force_locale(babel_locale("sv")):
        assert _date(date(2026, 11, 22)) == "22 nov. 2026"
