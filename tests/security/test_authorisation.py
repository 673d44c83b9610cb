"""Authorisation, proven for every route of the app (the table is in tests/security/routes.py).

For each endpoint the refused requests (anonymous visitor, a confirmed user of another
organisation, a plain member where administrators are needed) are sent with the same URL and
form data that the authorised actor then uses successfully: so a refusal is never an accident
of bad input, and "nothing changed" is checked on every table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import url_for

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.config import TestConfig
from marketplace.extensions import db
from tests import factories
from tests.conftest import HTMX, log_in
from tests.security.conftest import MESSAGE, World, changed_tables, snapshot
from tests.security.routes import (
    ANONYMOUS_POST,
    DEV_ONLY,
    LOGIN,
    MEMBER,
    MODERATOR,
    OWNER,
    PUBLIC,
    ROUTES,
    SIGNED_LINK,
    SITE_ADMIN,
    Route,
    ad_form,
    organisation_form,
)

LOGIN_PATH = "/konto/logga-in"
REFUSED = {403, 404}


def rules_by_endpoint() -> dict[str, set[str]]:
    """Every endpoint with its methods, in an app that also has the development-only routes."""
    app = create_app(TestConfig, DEBUG=True, MAIL_BACKEND="file")
    methods: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        methods[rule.endpoint] |= set(rule.methods or ()) - {"HEAD", "OPTIONS"}
    return methods


def test_every_route_is_classified_in_the_route_table():
    unclassified, wrong_methods = [], []
    for endpoint, methods in sorted(rules_by_endpoint().items()):
        entry = ROUTES.get(endpoint)
        if entry is None:
            unclassified.append(f"{endpoint} {sorted(methods)}")
        elif entry.methods != methods:
            wrong_methods.append(
                f"{endpoint}: app has {sorted(methods)}, table {sorted(entry.methods)}"
            )
    assert not unclassified, (
        "These routes are not classified. Add each to ROUTES in tests/security/routes.py with who "
        "may use it (public, login, member-of-organisation, owner, …), its URL values and the form "
        "data of a valid request:\n  " + "\n  ".join(unclassified)
    )
    assert not wrong_methods, (
        "The route table in tests/security/routes.py lists other methods than the app serves; "
        "classify the new methods:\n  " + "\n  ".join(wrong_methods)
    )


def test_the_route_table_lists_no_route_that_is_gone():
    gone = sorted(set(ROUTES) - set(rules_by_endpoint()))
    assert not gone, f"remove these from tests/security/routes.py: {gone}"


def test_development_routes_do_not_exist_outside_debug_mode(client):
    dev = [endpoint for endpoint, entry in ROUTES.items() if entry.kind == DEV_ONLY]
    assert dev, "the table should list the development-only routes"
    assert not [rule for rule in client.application.url_map.iter_rules() if rule.endpoint in dev]
    assert client.get("/dev/e-post/").status_code == 404


# --- One test per endpoint ----------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    data: dict
    query: dict


def requests_for(entry: Route, endpoint: str, world: World, values=None) -> list[Request]:
    url_values = entry.values(world) if values is None else values
    with_slug = dict(url_values)
    path = url_for(endpoint, **with_slug)
    return [
        Request(
            method,
            path,
            entry.data(world) if method != "GET" else {},
            entry.query(world),
        )
        for method in sorted(entry.methods, key=lambda m: m != "GET")  # GET first
    ]


def send(client, request: Request, headers=None):
    return client.open(
        request.path,
        method=request.method,
        data=request.data or None,
        query_string=request.query or None,
        headers=headers or {},
    )


def is_sent_to_log_in(response) -> bool:
    location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
    if response.status_code in (302, 303, 204) and location.startswith(LOGIN_PATH):
        return True
    return response.status_code in (401, 403)


def leaks_nothing(response, world: World) -> bool:
    body = response.get_data(as_text=True)
    return MESSAGE not in body and world.colleague.email not in body


def refuse_all(client, requests, world: World, who: str, accept) -> None:
    """Send each request plainly and as htmx; each must be refused and change nothing."""
    before = snapshot()
    for request in requests:
        for headers in (None, HTMX):
            response = send(client, request, headers)
            assert accept(response), (
                f"{who}: {request.method} {request.path} {'(htmx) ' if headers else ''}"
                f"answered {response.status_code} {response.headers.get('Location', '')}"
            )
            assert leaks_nothing(response, world), f"{who}: {request.method} {request.path} leaks"
    changed = changed_tables(before, snapshot())
    assert not changed, f"{who}'s refused requests changed {changed}"


def refused(response) -> bool:
    return response.status_code in REFUSED


def refused_or_sent_to_log_in(response) -> bool:
    return refused(response) or is_sent_to_log_in(response)


def bad_link(response) -> bool:
    return response.status_code in {400, 403, 404, 410} or is_sent_to_log_in(response)


def tampered(token: str) -> str:
    return token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")


def actor_of(world: World, entry: Route):
    return getattr(world, entry.actor) if entry.actor else None


def authorised_actor_succeeds(app, world: World, entry: Route, requests) -> None:
    """The control: the allowed user gets what the others were refused, and POSTs change things."""
    client = log_in(app.test_client(), actor_of(world, entry))
    for request in requests:
        before = snapshot()
        response = send(client, request)
        assert response.status_code < 400, (
            f"the authorised {entry.actor or 'visitor'} got {response.status_code} for "
            f"{request.method} {request.path}: {response.get_data(as_text=True)[:2000]}"
        )
        if request.method == "POST" and entry.changes:
            assert changed_tables(before, snapshot()), (
                f"{request.method} {request.path} by {entry.actor} changed nothing: the refusals "
                "above prove nothing. Fix the form data in tests/security/routes.py."
            )


CHECKED = sorted(endpoint for endpoint, entry in ROUTES.items() if entry.kind != DEV_ONLY)


@pytest.mark.parametrize("endpoint", CHECKED)
def test_the_route_refuses_everyone_it_should_and_serves_its_users(app, world, endpoint):
    entry = ROUTES[endpoint]
    with app.test_request_context():
        requests = requests_for(entry, endpoint, world)
        if entry.kind == SIGNED_LINK:
            values = {**entry.values(world)}
            values["token"] = tampered(values["token"])
            forged = requests_for(entry, endpoint, world, values)
        member_requests = (
            requests_for(entry, endpoint, world, entry.extra["member_values"](world))
            if "member_values" in entry.extra
            else requests
        )
    anonymous = app.test_client()
    outsider = log_in(app.test_client(), world.outsider)

    if entry.kind == PUBLIC:
        before = snapshot()
        for request in requests:
            response = send(anonymous, request)
            if endpoint == "api.not_here":
                assert response.status_code == 404 and response.is_json
            else:
                assert response.status_code < 400, f"{request.method} {request.path}"
        assert not changed_tables(before, snapshot())
        return

    if entry.kind in (LOGIN, MEMBER, OWNER, MODERATOR, SITE_ADMIN):
        refuse_all(anonymous, requests, world, "anonymous", is_sent_to_log_in)
    if entry.kind in (MEMBER, OWNER):
        refuse_all(outsider, requests, world, "outsider", refused)
    if entry.kind == OWNER:
        plain_member = log_in(app.test_client(), world.colleague)
        refuse_all(plain_member, member_requests, world, "plain member", refused)
    if entry.kind in (MODERATOR, SITE_ADMIN):
        refuse_all(outsider, requests, world, "outsider", refused)
        org_admin = log_in(app.test_client(), world.owner)
        refuse_all(org_admin, requests, world, "organisation admin", refused)
    if entry.kind == SITE_ADMIN or entry.extra.get("other_county_refused"):
        moderator = log_in(app.test_client(), world.moderator)
        refuse_all(moderator, requests, world, "moderator of another county", refused)
    if entry.kind == SIGNED_LINK:
        refuse_all(anonymous, forged, world, "anonymous with a forged link", bad_link)
        refuse_all(outsider, forged, world, "outsider with a forged link", bad_link)
        if entry.refuses_other_users:
            refuse_all(outsider, requests, world, "outsider with someone else's link", bad_link)
    if entry.kind == ANONYMOUS_POST:
        pass  # open to all by design: the control below proves an anonymous visitor can use it

    authorised_actor_succeeds(app, world, entry, requests)


def test_every_private_route_is_checked_with_a_refused_and_an_allowed_user():
    """The table is not a list of exceptions: most of the site's writes are private."""
    kinds = [entry.kind for entry in ROUTES.values()]
    assert kinds.count(MEMBER) + kinds.count(OWNER) >= 15
    assert kinds.count(SITE_ADMIN) >= 1
    assert all(entry.kind != PUBLIC or entry.methods <= {"GET"} for entry in ROUTES.values()), (
        "a public route that accepts POST: classify who may POST"
    )


# --- Beyond the table: ids in form data and fields that forms do not have -------------------


def test_a_message_can_be_reported_only_by_those_who_can_read_it(app, world):
    from marketplace.contact.models import Message

    message_id = db.session.scalar(sa.select(sa.func.max(Message.id)))
    path = f"/rapportera/meddelande/{message_id}"
    outsider = log_in(app.test_client(), world.outsider)
    before = snapshot()
    for method in ("GET", "POST"):
        response = outsider.open(path, method=method, data={"reason": "spam", "text": "Spam."})
        assert response.status_code == 404, method
        assert MESSAGE not in response.get_data(as_text=True)
    assert not changed_tables(before, snapshot())
    party = log_in(app.test_client(), world.colleague)
    assert party.get(path).status_code == 200


def test_fields_a_form_does_not_have_change_nothing(app, world):
    """Mass assignment: extra fields in a POST are ignored, whoever sends them."""
    anonymous = app.test_client()
    anonymous.post(
        "/konto/registrera",
        data={
            "name": "Ny",
            "email": "ny.admin@example.com",
            "password": factories.PASSWORD,
            "is_site_admin": "1",
            "email_confirmed_at": "2020-01-01",
            "session_token": "chosen",
        },
    )
    created = db.session.scalars(sa.select(User).where(User.email == "ny.admin@example.com")).one()
    assert not created.is_site_admin and created.email_confirmed_at is None
    assert created.session_token != "chosen"

    outsider = log_in(app.test_client(), world.outsider)
    response = outsider.post(
        "/annonser/ny",
        data=ad_form(world) | {"organisation_id": world.org.id, "author_id": world.owner.id},
    )
    assert response.status_code == 303
    newest = db.session.scalars(sa.select(Ad).order_by(Ad.id.desc())).first()
    assert newest.organisation_id == world.other_org.id

    owner = log_in(app.test_client(), world.owner)
    response = owner.post(
        f"/organisationer/{world.org.id}/redigera",
        data=organisation_form(world) | {"verified_at": "2020-01-01", "id": world.other_org.id},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert world.org.verified_at is None
    assert world.other_org.name == "Främlingarnas förening"
