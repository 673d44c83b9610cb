"""Test databases: one per pytest-xdist worker, and an empty one for every test in milliseconds.

Each worker is a process of its own. On SQLite every app already has its own in-memory
database; on PostgreSQL (DATABASE_URL) worker `gw0` uses `<name>_gw0`, created on the fly from
the given URL and kept for the next run. `tests/__init__.py` points DATABASE_URL at it before
anything reads the setting, so everything in that worker (apps, CLI runs, the processes some
tests start) uses it. Task queue files (Huey's SQLite queue) get a directory per process too.

An empty database for each test, without rebuilding the schema (create_all takes 20–30 ms on
SQLite and 150 ms or more on PostgreSQL; these take under 1 ms and about 5 ms):

- SQLite: the schema is built once, copied into a template in memory, and each test starts
  from a copy of that template (the backup API copies pages: ids, the FTS5 index and anything a
  test did to the schema are all as new).
- PostgreSQL: every table is emptied (DELETE, children first) and the sequences that were used
  start again at 1. A fingerprint of the schema (tables, columns, indexes) is checked first;
  when a test changed the schema (migrations, a restore, drop_all) it is built again.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile

import sqlalchemy as sa

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database_url(url: str, worker: str = WORKER) -> str:
    """The worker's own PostgreSQL database (`<name>_<worker>`); other URLs as they are."""
    if not worker or not url.startswith("postgres"):
        return url
    parsed = sa.engine.make_url(url)
    if parsed.database and parsed.database.endswith(f"_{worker}"):
        return url  # already this worker's (a process started by a test)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def use_worker_resources() -> None:
    """Point DATABASE_URL and HUEY_SQLITE_PATH at this process's own database and queue file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        os.environ["DATABASE_URL"] = worker_database_url(url)
    if not os.environ.get("HUEY_SQLITE_PATH"):
        directory = tempfile.mkdtemp(prefix="samverkanstorget-tests-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ["HUEY_SQLITE_PATH"] = os.path.join(directory, "tasks.db")


def create_database(url: str) -> None:
    """Create the PostgreSQL database the URL names, if it does not exist yet."""
    parsed = sa.engine.make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(parsed.database)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


def own_database_url(suffix: str) -> str | None:
    """A PostgreSQL database of its own beside the worker's (`<worker's>_<suffix>`), created if
    missing, for state that lives longer than one test (the live server, the loaded demo).
    None on SQLite, where every app has its own database anyway."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith("postgres"):
        return None
    parsed = sa.engine.make_url(url)
    own = parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)
    create_database(own)
    return own


# --- an empty database per test ---------------------------------------------------------------

# The schema's fingerprint (tables, columns, indexes, sequences by name, kind and column count)
# and the sequences that have handed out a number since they were created or restarted.
POSTGRESQL_STATE = (
    "SELECT (SELECT md5(coalesce(string_agg(c.relname || ':' || c.relkind::text || ':' "
    "|| c.relnatts::text, ',' ORDER BY c.relname, c.relkind), '')) "
    "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace), "
    "(SELECT array_agg(quote_ident(sequencename)) FROM pg_sequences "
    "WHERE schemaname = 'public' AND last_value IS NOT NULL)"
)


class EmptyDatabases:
    """Empties the database of the app in the current app context, as if newly built."""

    def __init__(self) -> None:
        self._sqlite_template: sqlite3.Connection | None = None
        self._postgresql_fingerprints: dict[str, str] = {}  # database URL: its schema, as built

    def empty(self) -> None:
        from marketplace.extensions import db

        db.session.remove()
        engine = db.engine
        if engine.dialect.name == "sqlite":
            self._empty_sqlite(engine)
        elif engine.dialect.name == "postgresql":
            self._empty_postgresql(engine)
        else:  # pragma: no cover - the app supports these two
            rebuild_schema()

    def _empty_sqlite(self, engine: sa.Engine) -> None:
        if self._sqlite_template is None:
            rebuild_schema()
            template = sqlite3.connect(":memory:", check_same_thread=False)
            raw = engine.raw_connection()
            try:
                raw.driver_connection.backup(template)
            finally:
                raw.close()
            self._sqlite_template = template
            return
        raw = engine.raw_connection()
        try:
            self._sqlite_template.backup(raw.driver_connection)
        finally:
            raw.close()

    def _empty_postgresql(self, engine: sa.Engine) -> None:
        from marketplace.extensions import db

        key = engine.url.render_as_string(hide_password=False)
        with engine.connect() as connection:
            fingerprint, used_sequences = connection.exec_driver_sql(POSTGRESQL_STATE).one()
        if self._postgresql_fingerprints.get(key) != fingerprint:
            rebuild_schema()  # the first test of the run, or a test changed the schema
            with engine.connect() as connection:
                self._postgresql_fingerprints[key] = connection.exec_driver_sql(
                    POSTGRESQL_STATE
                ).one()[0]
            return
        tables = [_quote(engine, table.name) for table in reversed(db.metadata.sorted_tables)]
        statements = [f"DELETE FROM {name}" for name in tables]  # children before parents
        statements += [f"ALTER SEQUENCE {name} RESTART" for name in used_sequences or ()]
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("; ".join(statements))
        except sa.exc.IntegrityError:  # rows that refer to each other across tables
            with engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _quote(engine: sa.Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def rebuild_schema() -> None:
    """Drop everything the models and the migrations may have created, then build the schema."""
    from marketplace.extensions import db

    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    db.create_all()
    db.session.remove()


# --- a database built once, copied into each test (SQLite) -----------------------------------


def is_empty() -> bool:
    """Whether no table of the current app's database has a row (as `EmptyDatabases` left it)."""
    from marketplace.extensions import db

    engine = db.engine
    checks = " OR ".join(
        f"EXISTS (SELECT 1 FROM {_quote(engine, table.name)})"
        for table in db.metadata.sorted_tables
    )
    return not db.session.scalar(sa.text(f"SELECT {checks}"))


def copy_sqlite() -> sqlite3.Connection:
    """A copy of the current app's SQLite database, in memory (the backup API copies pages)."""
    from marketplace.extensions import db

    db.session.commit()
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.backup(copy)
    finally:
        raw.close()
    return copy


def restore_sqlite(copy: sqlite3.Connection) -> None:
    """Make the current app's SQLite database what `copy_sqlite` copied."""
    from marketplace.extensions import db

    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        copy.backup(raw.driver_connection)
    finally:
        raw.close()
