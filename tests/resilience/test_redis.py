"""Redis configured for the cache, the rate limits and the task queue, and then stopped under
the app: pages, forms and log-in keep working, /healthz says what is down, nothing is lost."""

from __future__ import annotations

import logging

import pytest
import redis
import sqlalchemy as sa
from huey.storage import RedisStorage

from marketplace import caching
from marketplace.extensions import db, huey, limiter
from marketplace.notifications.models import OutboxJob, OutboxStatus
from marketplace.notifications.services import retry_outbox
from tests import factories
from tests.conftest import log_in
from tests.test_ads_views import valid_ad

GENERATION = "samverkanstorget:data-generation"


@pytest.fixture
def redis_app(make_app, redis_server, monkeypatch):
    """The app with its cache (db 0) and rate limits (db 1) on the private Redis."""
    app = make_app(
        CACHE_REDIS_URL=f"{redis_server.url}/0",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"{redis_server.url}/1",
    )
    monkeypatch.setattr(caching, "REDIS_RETRY_SECONDS", 0.0)  # ask again at once once it is back
    yield app
    caching._local.update(down_until=0.0, owed=False)  # the next app starts with Redis up
    limiter._storage_dead = False


@pytest.fixture
def redis_queue(redis_server):
    """Huey's queue on the private Redis (db 2), as HUEY_REDIS_URL does, instead of immediate."""
    saved = huey.storage
    huey.immediate = False
    huey.storage = RedisStorage(
        huey.name,
        connection_pool=redis.ConnectionPool.from_url(
            f"{redis_server.url}/2", socket_connect_timeout=1
        ),
    )
    yield huey.storage
    huey.immediate = True
    huey.storage = saved


def test_a_change_with_the_shared_cache_answers_and_moves_every_process_on(redis_app, redis_server):
    client = redis_app.test_client()
    shared = redis.Redis.from_url(f"{redis_server.url}/0")
    member = factories.member()
    before = int(shared.get(GENERATION) or 0)
    response = log_in(client, member).post("/annonser/ny", data=valid_ad(title="Läxhjälp i Växjö"))
    assert response.status_code == 303  # was a 500 (Cache has no inc()), with the ad committed
    assert int(shared.get(GENERATION)) == before + 1  # other processes drop their counts at once
    assert "Läxhjälp i Växjö" in client.get("/annonser").get_data(as_text=True)


def test_pages_forms_and_log_in_keep_working_while_redis_is_down(redis_app, redis_server, caplog):
    client = redis_app.test_client()
    member = factories.member()
    factories.ad(org=member.memberships[0].organisation, title="Språkcafé i Kalmar")
    log_in(client, member)
    assert client.get("/").status_code == 200  # counts now cached in Redis

    redis_server.stop()
    caplog.set_level(logging.WARNING)
    for path in ("/", "/annonser", "/organisationer/", "/api/v1/ads", "/api/v1/organisations"):
        assert client.get(path).status_code == 200, path
    response = client.post("/annonser/ny", data=valid_ad(title="Nytt medan Redis ligger nere"))
    assert response.status_code == 303
    listing = client.get("/annonser").get_data(as_text=True)
    assert "Nytt medan Redis ligger nere" in listing and "Språkcafé i Kalmar" in listing
    assert "cache unavailable" in caplog.text

    # Log-in works and its limit still holds, counted in this process meanwhile.
    visitor = redis_app.test_client()
    wrong = {"email": member.email, "password": "fel-lösenord-igen"}
    answers = [visitor.post("/konto/logga-in", data=wrong).status_code for _ in range(11)]
    assert answers[:10] == [422] * 10 and answers[10] == 429
    assert "falling back to in-memory storage" in caplog.text
    other = redis_app.test_client()
    right = {"email": factories.user().email, "password": factories.PASSWORD}
    assert other.post("/konto/logga-in", data=right).status_code in (303, 429)

    health = client.get("/healthz")
    assert health.status_code == 200  # the site serves: not a reason to take it out of service
    assert health.get_json()["cache"] == "unavailable"
    assert health.get_json()["rate_limits"] == "unavailable"
    assert health.get_json()["status"] == "degraded"

    redis_server.start()
    health = client.get("/healthz").get_json()
    assert health["cache"] == "ok" and health["rate_limits"] == "ok" and health["status"] == "ok"
    assert client.get("/").status_code == 200


def test_writes_while_redis_was_down_are_not_hidden_by_counts_cached_before(
    redis_app, redis_server
):
    client = redis_app.test_client()
    member = factories.member()
    log_in(client, member)
    shared = redis.Redis.from_url(f"{redis_server.url}/0")
    shared.set(GENERATION, 5)
    client.get("/")
    redis_server.stop()
    assert client.post("/annonser/ny", data=valid_ad()).status_code == 303
    redis_server.start()
    shared.set(GENERATION, 5)  # as if Redis had kept its data (entries of generation 5)
    client.get("/")
    assert int(shared.get(GENERATION)) == 6  # the write made while it was down moved it on


def test_e_mail_queued_while_redis_is_down_is_delivered_when_it_is_back(
    app, redis_server, redis_queue, outbox, caplog
):
    client = app.test_client()
    redis_server.stop()
    data = {"name": "Ada", "email": "ada@example.com", "password": factories.PASSWORD}
    response = client.post("/konto/registrera", data=data)
    assert response.status_code == 303
    assert "could not hand the outbox to the worker" in caplog.text
    # The confirmation mail waits in the outbox, to be written by the worker (one job).
    pending = db.session.scalar(sa.select(OutboxJob))
    assert pending.kind == "confirm_registration" and pending.status is OutboxStatus.PENDING
    assert outbox == []

    redis_server.start()
    assert client.get("/healthz").get_json()["queue"] == "ok"
    retry_outbox.call_local()  # the worker's minutely retry
    assert [message["To"] for message in outbox] == ["ada@example.com"]
