"""The full-text index's DDL, written once: SQLite FTS5 table and triggers, PostgreSQL GIN index.

SQLite: `fts_ad` (rowid = ad.id, one column `terms`) is kept in step with `ad.search_terms` by
triggers, so no code path can forget it. Migrations ignore fts_* tables (migrations/env.py), so
a migration calls `create_index(connection)` itself; tests get it through `create_all`
(the `after_create` hook on the ad table below).

PostgreSQL needs no extra table: `ix_ad_search_terms_tsv` (declared on the Ad model, PostgreSQL
only) indexes to_tsvector('simple', search_terms) and the search queries that same expression.
"""

from __future__ import annotations

import sqlalchemy as sa

FTS_TABLE = "fts_ad"

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_ad "
    "USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_insert AFTER INSERT ON ad BEGIN "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_update AFTER UPDATE OF search_terms ON ad BEGIN "
    "DELETE FROM fts_ad WHERE rowid = old.id; "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_delete AFTER DELETE ON ad BEGIN "
    "DELETE FROM fts_ad WHERE rowid = old.id; END",
)

SQLITE_REBUILD = (
    "DELETE FROM fts_ad",
    "INSERT INTO fts_ad (rowid, terms) SELECT id, search_terms FROM ad",
)

SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS fts_ad_after_insert",
    "DROP TRIGGER IF EXISTS fts_ad_after_update",
    "DROP TRIGGER IF EXISTS fts_ad_after_delete",
    "DROP TABLE IF EXISTS fts_ad",
)

POSTGRESQL_INDEX_NAME = "ix_ad_search_terms_tsv"
POSTGRESQL_CREATE = (
    f"CREATE INDEX IF NOT EXISTS {POSTGRESQL_INDEX_NAME} ON ad "
    "USING gin (to_tsvector('simple', search_terms))",
)


def _run(connection: sa.Connection, statements: tuple[str, ...]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)


def create_index(connection: sa.Connection) -> None:
    """Create the full-text index if missing and fill it from ad.search_terms (idempotent).

    Run it again after any migration that rebuilds the ad table on SQLite (batch mode copies
    the table, which drops its triggers).
    """
    if connection.dialect.name == "sqlite":
        _run(connection, SQLITE_CREATE + SQLITE_REBUILD)
    elif connection.dialect.name == "postgresql":
        _run(connection, POSTGRESQL_CREATE)


POSTGRESQL_DROP = (f"DROP INDEX IF EXISTS {POSTGRESQL_INDEX_NAME}",)


def drop_index(connection: sa.Connection) -> None:
    """Remove the full-text index: SQLite's FTS5 table and triggers, PostgreSQL's GIN index."""
    if connection.dialect.name == "sqlite":
        _run(connection, SQLITE_DROP)
    elif connection.dialect.name == "postgresql":
        _run(connection, POSTGRESQL_DROP)


def attach(ad_table: sa.Table) -> None:
    """Create the FTS5 table with the ad table and drop it before (create_all/drop_all, SQLite only)."""

    def after_create(target, connection, **_kw) -> None:
        if connection.dialect.name == "sqlite":
            _run(connection, SQLITE_CREATE)

    def before_drop(target, connection, **_kw) -> None:
        if connection.dialect.name == "sqlite":
            _run(connection, SQLITE_DROP)

    sa.event.listen(ad_table, "after_create", after_create)
    sa.event.listen(ad_table, "before_drop", before_drop)
