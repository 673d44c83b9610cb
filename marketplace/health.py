"""What /healthz says: the state of each dependency, and whether the site can serve at all.

Only the database is needed to serve pages. Redis (cache, rate limits, task queue) is a help:
while it is down pages are computed from the database, rate limits are counted in each process
and queued e-mail waits in the outbox table. So the answer is 503 only when the database does
not answer, and each other dependency is reported as "ok", "unavailable", "local" (configured
to live inside each process, no Redis) or "off" (rate limiting switched off).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from marketplace import caching
from marketplace.extensions import db, huey, limiter

log = logging.getLogger(__name__)


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.error("health check: the database does not answer")
        return "unavailable"
    return "ok"


def _rate_limits() -> str:
    storage = getattr(limiter, "_storage", None)  # None while rate limiting was never switched on
    if storage is None or not limiter.enabled:
        return "off"
    if type(storage).__name__ == "MemoryStorage":
        return "local"
    try:
        answers = bool(storage.check())
    except Exception:  # noqa: BLE001  any failure of the storage client means the same here
        answers = False
    if not answers:
        log.warning("health check: rate-limit storage (Redis) unavailable; counting per process")
        return "unavailable"
    return "ok"


def _queue() -> str:
    connection = getattr(huey.storage, "conn", None)
    if connection is None or not hasattr(connection, "ping"):
        return "local"  # SQLite queue file beside the app
    try:
        connection.ping()
    except Exception:  # noqa: BLE001  redis.ConnectionError, TimeoutError ...
        log.warning("health check: task queue (Redis) unavailable; e-mail waits in the outbox")
        return "unavailable"
    return "ok"


def _cache() -> str:
    state = caching.status()
    if state == "unavailable":
        log.warning("health check: cache (Redis) unavailable; pages read from the database")
    return state


def _outbox() -> dict[str, int] | str:
    from marketplace.notifications.models import OutboxEmail, OutboxStatus

    try:
        rows = db.session.execute(
            sa.select(OutboxEmail.status, sa.func.count())
            .where(OutboxEmail.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
            .group_by(OutboxEmail.status)
        ).all()
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "unavailable"
    counts = {status.value: count for status, count in rows}
    return {"pending": counts.get("pending", 0), "failed": counts.get("failed", 0)}


def report() -> tuple[dict, int]:
    """The JSON body and the HTTP status of /healthz."""
    database = _database()
    body: dict = {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "cache": _cache(),
        "rate_limits": _rate_limits(),
        "queue": _queue(),
        "mail_outbox": _outbox() if database == "ok" else "unavailable",
    }
    if database == "ok" and "unavailable" in body.values():
        body["status"] = "degraded"
    return body, 200 if database == "ok" else 503
