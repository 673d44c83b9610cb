"""Extension singletons, bound to an app in create_app(), and the typed model base's helpers."""

import enum

import sqlalchemy as sa
from flask import current_app
from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints make Alembic's SQLite batch migrations predictable.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


def enum_column(enum_class: type[enum.Enum], length: int = 32) -> sa.Enum:
    """Store an enum's *value* ('civil'), the same string the API and the import use."""
    return sa.Enum(
        enum_class,
        values_callable=_values,
        native_enum=False,
        length=length,
        validate_strings=True,
    )


migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
csrf = CSRFProtect()
babel = Babel()
cache = Cache()  # marketplace/caching.py: expensive, rarely-changing read results
compress = Compress()  # gzip/Brotli/zstd for HTML and JSON responses
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis:// in production).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def per_person_limit(setting: str, prefix: str):
    """A logged-in person's allowance for a POST (config `setting`, keyed `prefix:<user id>`);
    only requests that went through count, so fixing a mistake costs nothing."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=lambda: f"{prefix}:{current_user.id}",
        methods=["POST"],
        deduct_when=lambda response: response.status_code < 400,
    )


def _configure_sqlite(dbapi_connection, _connection_record) -> None:
    """SQLite tuned for a web server: WAL, enforced foreign keys, wait instead of failing on locks."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Read the file through memory mapping instead of a read() system call and a copy per page:
    # searches and counts over 100,000 ads touch tens of thousands of pages (make bench).
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def _install_sqlite_pragmas() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _configure_sqlite):
        event.listen(Engine, "connect", _configure_sqlite)


_install_sqlite_pragmas()


def _make_task_queue():
    """Huey: an SQLite file (instance/tasks.db or HUEY_SQLITE_PATH), Redis when HUEY_REDIS_URL is set.

    Huey is configured at import time (tasks are declared against it); create_app() only switches
    it to immediate mode for tests (HUEY_IMMEDIATE).
    """
    import os

    from huey import RedisHuey, SqliteHuey

    from marketplace.config import INSTANCE

    redis_url = os.environ.get("HUEY_REDIS_URL", "").strip()
    if redis_url:
        # Redis down: dispatch() logs it and the outbox rows wait in the database until it is back.
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2)
        return RedisHuey("samverkanstorget", connection_pool=pool, results=False)
    path = os.environ.get("HUEY_SQLITE_PATH", "").strip() or str(INSTANCE / "tasks.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("samverkanstorget", filename=path, results=False, timeout=10)


huey = _make_task_queue()
