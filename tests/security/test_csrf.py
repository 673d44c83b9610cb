"""CSRF, proven for every route that accepts POST, in an app with CSRF protection on.

Each POST is sent by the user who may make it (so authorisation cannot hide a missing check):
without a token it gets 400 and changes nothing; with the session's token it goes through.
"""

from __future__ import annotations

import re

import pytest
from flask import url_for

from tests.conftest import log_in
from tests.security.conftest import build_world, changed_tables, snapshot
from tests.security.routes import DEV_ONLY, ROUTES

# POST routes that take no CSRF token, and why that is safe.
CSRF_EXEMPT = {
    "alerts.unsubscribe": (
        "One-click unsubscribe (RFC 8058): mail clients POST without a session or form. The "
        "signed token in the URL is the proof, and the worst a forged request can do is pause "
        "one saved search's e-mails, which its owner can resume."
    ),
    "crises.unsubscribe": (
        "One-click unsubscribe (RFC 8058) from crisis alerts, as above: the signed token names "
        "one organisation's setting; the worst a forged request can do is turn its crisis alerts "
        "off, which any member can turn on again."
    ),
}
# Not listed because it has no POST route: the JSON API (/api/v1), which is read-only and
# cookie-less; its whole blueprint is exempt (marketplace/__init__.py) and writes answer 405.

POST_ENDPOINTS = sorted(
    endpoint
    for endpoint, entry in ROUTES.items()
    if "POST" in entry.methods and entry.kind != DEV_ONLY
)
PROTECTED = [endpoint for endpoint in POST_ENDPOINTS if endpoint not in CSRF_EXEMPT]

TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client) -> str:
    """The token of this client's session, as a page gives it to htmx (base.html), or for an
    anonymous visitor, whose public pages carry none (marketplace/httpcache.py), as the log-in
    form does."""
    html = client.get("/om").get_data(as_text=True)
    match = TOKEN.search(html)
    if match is None:
        html = client.get("/konto/logga-in").get_data(as_text=True)
        match = TOKEN.search(html) or FORM_TOKEN.search(html)
    assert match, "base.html or the log-in form should give the CSRF token"
    return match.group(1)


def test_the_exempt_list_names_only_routes_that_take_post():
    assert set(CSRF_EXEMPT) <= set(POST_ENDPOINTS)


@pytest.mark.parametrize("endpoint", PROTECTED)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(csrf_app, endpoint):
    entry = ROUTES[endpoint]
    world = build_world()
    with csrf_app.test_request_context():
        path = url_for(endpoint, **entry.values(world))
    data, query = entry.data(world), entry.query(world)
    client = log_in(csrf_app.test_client(), getattr(world, entry.actor) if entry.actor else None)

    before = snapshot()
    for attempt in (data, {**data, "csrf_token": "not-the-token"}):
        response = client.post(path, data=attempt, query_string=query)
        assert response.status_code == 400, (
            f"POST {path} without a valid token: {response.status_code}"
        )
    assert not changed_tables(before, snapshot())

    response = client.post(
        path, data=data, query_string=query, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code < 400, f"POST {path} with the token: {response.status_code}"


@pytest.mark.parametrize("endpoint", sorted(CSRF_EXEMPT))
def test_exempt_routes_really_work_without_a_token(csrf_app, endpoint):
    entry = ROUTES[endpoint]
    world = build_world()
    with csrf_app.test_request_context():
        path = url_for(endpoint, **entry.values(world))
    response = csrf_app.test_client().post(path, data=entry.data(world))
    assert response.status_code != 400, (
        f"{endpoint} is protected after all: drop it from CSRF_EXEMPT"
    )


def test_a_token_from_another_session_is_refused(csrf_app):
    world = build_world()
    stranger_token = csrf_token(csrf_app.test_client())
    client = log_in(csrf_app.test_client(), world.owner)
    before = snapshot()
    response = client.post(
        f"/annonser/{world.ad.id}/stang",
        data={"reason": "partner_found", "csrf_token": stranger_token},
    )
    assert response.status_code == 400
    assert not changed_tables(before, snapshot())


def test_the_csrf_error_page_explains_and_is_not_a_server_error(csrf_app):
    response = csrf_app.test_client().post("/konto/logga-in", data={"email": "a@example.com"})
    assert response.status_code == 400
    assert "säkerhetsnyckel" in response.get_data(as_text=True)


def test_logging_out_needs_a_post_with_the_token(csrf_app):
    world = build_world()
    client = log_in(csrf_app.test_client(), world.owner)
    assert client.get("/konto/logga-ut").status_code == 405
    assert client.post("/konto/logga-ut").status_code == 400
    assert client.get("/konto/installningar").status_code == 200  # still logged in
