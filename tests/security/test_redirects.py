"""Open redirects: every endpoint that reads `next` sends visitors only to this site."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest

from marketplace.security import is_safe_redirect
from tests import factories
from tests.conftest import HTMX, log_in

HOST = "localhost"

# As the browser (or a link in an e-mail) would send them, before URL encoding.
EVIL_TARGETS = [
    "https://evil.example",
    "http://evil.example/konto/logga-in",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
    "https:/evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nLocation: https://evil.example",
    " //evil.example",
    "//evil.example@localhost",
    "/%2F%2Fevil.example",
    "//%65vil.example",
    "%2F%2Fevil.example",
    "/\x00/evil.example",
    "\u3000//evil.example",
    "/\u200b/evil.example",
]
# Already URL-encoded by the attacker (the query string is sent exactly like this).
RAW_QUERY_TARGETS = [
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "%09//evil.example",
    "/%09/evil.example",
    "%252F%252Fevil.example",
    "https%3A%2F%2Fevil.example",
    "%0D%0ALocation:%20https://evil.example",
]


def as_a_browser_reads_it(location: str) -> str:
    """WHATWG URL parsing differs from urllib: it trims C0 controls and spaces, drops tabs and
    newlines anywhere, and reads a backslash as a slash in http(s) URLs."""
    location = location.strip("".join(map(chr, range(33))))
    location = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urljoin(f"http://{HOST}/om", location)


def leaves_the_site(response) -> bool:
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    if re.search(r"[\x00-\x1f\x7f]", location):
        return True  # a control character in a header: response splitting, or a parser trick
    target = urlsplit(as_a_browser_reads_it(location))
    return target.scheme not in ("http", "https") or target.hostname != HOST


def assert_stays(response, what: str) -> None:
    assert response.status_code in (200, 204, 302, 303, 422), f"{what}: {response.status_code}"
    assert not leaves_the_site(response), f"{what} redirected to {response.headers}"
    assert not _evil_links(response.get_data(as_text=True)), f"{what} put the target into the page"


def _evil_links(html: str) -> list[str]:
    """Links, form targets and hidden values in the page that would lead off the site."""
    found = []
    for value in re.findall(r'(?:href|action|value|src)="([^"]*evil[^"]*)"', html, re.I):
        target = urlsplit(as_a_browser_reads_it(unescape(value)))
        if target.scheme not in ("http", "https") or target.hostname != HOST:
            found.append(value)
    return found


# Each sends one `next` value (already encoded for the query string) the way its endpoint reads it.
def login_page_when_logged_in(client, user, org, encoded):
    log_in(client, user)
    return client.get(f"/konto/logga-in?next={encoded}")


def login_form(client, user, org, encoded):
    return client.post(
        f"/konto/logga-in?next={encoded}",
        data={"email": user.email, "password": factories.PASSWORD},
    )


def login_form_with_next_in_body(client, user, org, encoded):
    return client.post(
        "/konto/logga-in",
        data={"email": user.email, "password": factories.PASSWORD, "next": unquote(encoded)},
    )


def login_form_by_htmx(client, user, org, encoded):
    return client.post(
        f"/konto/logga-in?next={encoded}",
        data={"email": user.email, "password": factories.PASSWORD},
        headers=HTMX,
    )


def language_switch(client, user, org, encoded):
    return client.get(f"/sprak/en?next={encoded}")


def language_switch_logged_in(client, user, org, encoded):
    log_in(client, user)
    return client.get(f"/sprak/sv?next={encoded}")


def acting_organisation(client, user, org, encoded):
    log_in(client, user)
    return client.post(
        f"/organisationer/agera-for?next={encoded}", data={"organisation_id": org.id}
    )


ENDPOINTS = {
    "log-in page (logged in)": login_page_when_logged_in,
    "log-in form": login_form,
    "log-in form (next in body)": login_form_with_next_in_body,
    "log-in form (htmx)": login_form_by_htmx,
    "language switch": language_switch,
    "language switch (logged in)": language_switch_logged_in,
    "act for organisation": acting_organisation,
}


@pytest.fixture
def member_and_org(app):
    member = factories.member()
    return member, member.acting_organisation


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_next_never_leads_off_the_site(app, member_and_org, endpoint):
    member, org = member_and_org
    send = ENDPOINTS[endpoint]
    encoded_targets = [quote(t, safe="") for t in EVIL_TARGETS] + RAW_QUERY_TARGETS
    for encoded in encoded_targets:
        response = send(app.test_client(), member, org, encoded)
        assert_stays(response, f"{endpoint} with next={encoded!r}")


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_next_within_the_site_is_followed(app, member_and_org, endpoint):
    member, org = member_and_org
    response = ENDPOINTS[endpoint](
        app.test_client(), member, org, quote("/annonser?q=lokal", safe="")
    )
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    assert location.endswith("/annonser?q=lokal"), f"{endpoint}: {response.status_code} {location}"


def test_the_log_in_page_does_not_carry_a_foreign_next_into_its_form(client):
    for target in EVIL_TARGETS:
        html = client.get("/konto/logga-in", query_string={"next": target}).get_data(as_text=True)
        assert not _evil_links(html), target


# Same-site paths in disguise (a browser stays on the site with them); they may be accepted.
HARMLESS = {"/%2F%2Fevil.example", "/\u200b/evil.example"}


@pytest.mark.parametrize("target", [t for t in EVIL_TARGETS if t not in HARMLESS])
def test_the_shared_check_refuses_the_target(target):
    assert not is_safe_redirect(target)


def test_the_log_in_redirect_of_a_private_page_keeps_the_way_back_on_the_site(client):
    response = client.get("/bevakningar/ny?q=%2F%2Fevil.example")
    assert response.status_code == 302
    assert not leaves_the_site(response)
    location = response.headers["Location"]
    assert location.startswith("/konto/logga-in?next=")
