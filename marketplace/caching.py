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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context

from marketplace.clock import today
from marketplace.extensions import cache

F = TypeVar("F", bound=Callable[..., Any])
GENERATION_KEY = "data-generation"
WATCHED_TABLES: set[str] = set()
_DIRTY = "cache_dirty"
# A per-process cache keeps its generation here, where no eviction can reset it.
_local = {"generation": 0}


def _shared() -> bool:
    return current_app.config["CACHE_TYPE"] not in ("SimpleCache", "NullCache")


def generation() -> int:
    if _shared():
        return int(cache.get(GENERATION_KEY) or 0)
    return _local["generation"]


def invalidate() -> None:
    """Forget every cached result (in this process; in all of them with Redis)."""
    if _shared():
        cache.inc(GENERATION_KEY)  # Redis INCR: atomic, and without an expiry
    else:
        _local["generation"] += 1


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
            key = f"{name}:{generation()}:{today().isoformat()}:{args!r}:{sorted(kwargs.items())!r}"
            value = cache.get(key)
            if value is None:
                value = function(*args, **kwargs)
                cache.set(key, value, timeout=timeout)
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
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 60)
    app.config.setdefault("CACHE_THRESHOLD", 2000)  # SimpleCache: most entries per process
    cache.init_app(app)
    _install_listeners()
