"""The database restarted under the app (a private PostgreSQL cluster, stopped as a crash would
and started again): while it is down pages answer 503 with a message and /healthz says so;
afterwards the app reconnects by itself and nothing saved before is lost."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.extensions import db
from tests import factories
from tests.conftest import log_in
from tests.test_ads_views import valid_ad

pytestmark = pytest.mark.slow  # a cluster of its own: initdb and two starts, a few seconds


# The cluster first: it is then stopped after the app has let go of its connections; and an
# app of its own (fresh_app), not kept for later tests with a URL no other test uses.
@pytest.mark.usefixtures("fresh_app")
def test_the_site_says_it_is_unavailable_while_the_database_restarts_and_then_carries_on(
    postgres_cluster, make_app, caplog
):
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_cluster.url)
    member = factories.member()
    factories.ad(org=member.memberships[0].organisation, title="Språkcafé i Kalmar")
    client = log_in(app.test_client(), member)
    assert client.get("/annonser").status_code == 200
    # Another browser of the member's, closed and opened again: only its remember-me cookie.
    # Its log-in is the last commit before the crash, a moment before it: committed is kept.
    remembered = app.test_client()
    form = {"email": member.email, "password": factories.PASSWORD, "remember": "y"}
    assert remembered.post("/konto/logga-in", data=form).status_code == 303
    reopened = app.test_client()
    reopened.set_cookie("remember_token", remembered.get_cookie("remember_token").value)
    db.session.remove()  # the test's own connection is not the point

    postgres_cluster.stop()
    caplog.set_level(logging.ERROR)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unavailable"
    for path in ("/", "/annonser", "/inkorg"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "Tjänsten är tillfälligt otillgänglig" in response.get_data(as_text=True)
    # Who is logged in cannot be looked up: that is "unavailable", never "logged out".
    response = reopened.get("/inkorg")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    posted = client.post("/annonser/ny", data=valid_ad(title="Skickad medan databasen var nere"))
    assert posted.status_code == 503  # refused, and said so: not half-saved
    assert "database unavailable" in caplog.text

    postgres_cluster.start()
    assert client.get("/healthz").status_code == 200
    assert client.post("/annonser/ny", data=valid_ad(title="Läxhjälp i Växjö")).status_code == 303
    assert reopened.get("/inkorg").status_code == 200  # still logged in, by its cookie
    titles = set(db.session.scalars(sa.select(Ad.title)))
    assert titles == {"Språkcafé i Kalmar", "Läxhjälp i Växjö"}
    assert "Språkcafé i Kalmar" in client.get("/annonser").get_data(as_text=True)
