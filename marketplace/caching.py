"""A small cache for read results that are expensive and change rarely (counts, statistics).

    @cached("open_ads_per_challenge", tables={"ad", "ad_challenge"})
    def open_ads_per_challenge() -> dict[str, int]: ...

The result is kept (Flask-Caching: SimpleCache in each process by default, Redis shared by
every process when CACHE_REDIS_URL is set) for CACHE_DEFAULT_TIMEOUT seconds at most, under a
key made of the function's name, its arguments, today's Swedish date (open ads expire at
midnight without any write) and a data generation. Any commit that wrote to one of the tables
a cached function declared (through the ORM or Core statements on db.session) moves the
generation on, so this process never serves counts from before its own change; other
processes see it at once with Redis, and within the timeout with SimpleCache. Writes that
bypass db.session (raw connections in migrations and index rebuilds) are not seen: they
happen with the site stopped or are followed by a restart.

Only plain values (numbers, strings, dicts, lists, tuples) are cached, never ORM objects,
and nothing that depends on who asks or on the language.

Redis is a help, never a dependency: when it does not answer, every cached call computes its
result from the database (a miss), a warning is logged once ("cache unavailable"), Redis is
not asked again for REDIS_RETRY_SECONDS, and a generation move that could not be written is
made as soon as Redis answers again (so no process serves counts from before the outage's
writes). `status()` says which it is, for /healthz.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context

from marketplace.clock import today
from marketplace.extensions import cache

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
GENERATION_KEY = "data-generation"
WATCHED_TABLES: set[str] = set()
_DIRTY = "cache_dirty"
REDIS_RETRY_SECONDS = 5.0  # while Redis is down, ask it again at most this often
# A per-process cache keeps its generation here, where no eviction can reset it. With Redis:
# until when Redis is left alone after a failure, and whether a generation move is owed to it.
_local: dict[str, Any] = {"generation": 0, "down_until": 0.0, "owed": False}


class CacheUnavailable(Exception):
    """The shared cache (Redis) did not answer: compute from the database instead."""


def _shared() -> bool:
    return current_app.config["CACHE_TYPE"] not in ("SimpleCache", "NullCache")


def _redis(operation: Callable[[], Any]) -> Any:
    """Run one operation on the shared cache; CacheUnavailable when Redis does not answer."""
    if time.monotonic() < _local["down_until"]:
        raise CacheUnavailable
    try:
        result = operation()
    except Exception as error:  # redis.ConnectionError, TimeoutError, ... : any failure is a miss
        if _local["down_until"] == 0.0:
            log.warning(
                "cache unavailable (Redis: %s); reading from the database until it answers", error
            )
        _local["down_until"] = time.monotonic() + REDIS_RETRY_SECONDS
        raise CacheUnavailable from error
    if _local["down_until"]:
        log.warning("cache available again (Redis answers)")
        _local["down_until"] = 0.0
    return result


def _increment() -> None:
    # Redis INCR through the backend (Flask-Caching's Cache has no inc()): atomic, no expiry.
    cache.cache.inc(GENERATION_KEY)


def generation() -> int | None:
    """The data generation cached results are keyed by; None while the shared cache is down."""
    if not _shared():
        return _local["generation"]
    try:
        if _local["owed"]:  # a write happened while Redis was down: older entries are stale
            _redis(_increment)
            _local["owed"] = False
        return int(_redis(lambda: cache.get(GENERATION_KEY)) or 0)
    except CacheUnavailable:
        return None


def invalidate() -> None:
    """Forget every cached result (in this process; in all of them with Redis)."""
    _local["generation"] += 1  # this process's own count of writes, with Redis or without
    if not _shared():
        return
    try:
        _redis(_increment)
    except CacheUnavailable:
        _local["owed"] = True  # made up for as soon as Redis answers (generation())


def local_generation() -> int:
    """How many times this process saw a write it caches results of (moves on without Redis)."""
    return _local["generation"]


def status() -> str:
    """ "ok", "unavailable" (Redis does not answer) or "local" (a cache in each process)."""
    if not _shared():
        return "local"
    try:
        _local["down_until"] = 0.0  # the health check always asks
        _redis(lambda: cache.cache._write_client.ping())
    except CacheUnavailable:
        return "unavailable"
    return "ok"


def watch(tables: set[str]) -> None:
    """Move the generation on when these tables change (for caches kept outside `cached`)."""
    WATCHED_TABLES.update(tables)


def cached(name: str, *, tables: set[str], timeout: int | None = None) -> Callable[[F], F]:
    """Keep the function's result until `tables` change, the day changes, or `timeout` passes."""
    WATCHED_TABLES.update(tables)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if not has_app_context() or not current_app.config["CACHE_ENABLED"]:
                return function(*args, **kwargs)
            current = generation()
            if current is None:  # Redis is down: from the database, as if nothing were cached
                return function(*args, **kwargs)
            key = f"{name}:{current}:{today().isoformat()}:{args!r}:{sorted(kwargs.items())!r}"
            try:
                value = _redis(lambda: cache.get(key)) if _shared() else cache.get(key)
            except CacheUnavailable:
                return function(*args, **kwargs)
            if value is None:
                value = function(*args, **kwargs)
                try:
                    if _shared():
                        _redis(lambda: cache.set(key, value, timeout=timeout))
                    else:
                        cache.set(key, value, timeout=timeout)
                except CacheUnavailable:
                    pass
            return value

        return wrapper  # type: ignore[return-value]

    return decorate


# --- noticing writes ------------------------------------------------------------------------


def _tables_of_instances(session: so.Session) -> set[str]:
    names = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(instance), "__table__", None)
        if table is not None:
            names.add(table.name)
    return names


def _after_flush(session: so.Session, _flush_context) -> None:
    if _tables_of_instances(session) & WATCHED_TABLES:
        session.info[_DIRTY] = True


def _do_orm_execute(state: so.ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None and isinstance(table, sa.sql.Join):  # pragma: no cover  UPDATE … FROM
        name = getattr(table.left, "name", None)
    if name in WATCHED_TABLES:
        state.session.info[_DIRTY] = True


def _after_commit(session: so.Session) -> None:
    if session.info.pop(_DIRTY, False) and has_app_context():
        invalidate()


def _after_rollback(session: so.Session) -> None:
    session.info.pop(_DIRTY, None)


def _install_listeners() -> None:
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa.event.contains(so.Session, name, listener):
            sa.event.listen(so.Session, name, listener)


def init_app(app: Flask) -> None:
    """Flask-Caching from CACHE_* settings: Redis when CACHE_REDIS_URL is set, else SimpleCache."""
    if app.config.get("CACHE_REDIS_URL"):
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_KEY_PREFIX", "samverkanstorget:")
        # A Redis that hangs must not hang the page: give up after a second and compute.
        app.config.setdefault("CACHE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 60)
    app.config.setdefault("CACHE_THRESHOLD", 2000)  # SimpleCache: most entries per process
    cache.init_app(app)
    _install_listeners()
