"""The full-text index, written once: its DDL (SQLite FTS5 table and triggers, PostgreSQL GIN
index) and its query expressions (fts5_query, tsquery).

SQLite: `fts_ad` (rowid = ad.id, one column `terms`) is kept in step with `ad.search_terms` by
triggers, so no code path can forget it. Migrations ignore fts_* tables (migrations/env.py), so
a migration calls `create_index(connection)` itself; tests get it through `create_all`
(the `after_create` hook on the ad table below).

PostgreSQL needs no extra table: `ix_ad_search_terms_tsv` (declared on the Ad model, PostgreSQL
only) indexes to_tsvector('simple', search_terms) and the search queries that same expression.
For ranking, the same vector is also stored in `ad.search_vector`, a generated column (migration
0003; tests get it through `create_all` and the hook below): ts_rank over the expression parsed
every matching ad's text again, ~26 µs an ad. The column is not on the ORM model (SQLite has no
tsvector) and autogenerate leaves it alone (migrations/env.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

FTS_TABLE = "fts_ad"
# The FTS5 table as SQLAlchemy sees it (rowid = ad.id), for queries that read or fill it.
FTS = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer), sa.column("terms", sa.Text))

SQLITE_CREATE_INSERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_insert AFTER INSERT ON ad BEGIN "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END"
)
SQLITE_CREATE_UPDATE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS fts_ad_after_update AFTER UPDATE OF search_terms ON ad BEGIN "
    "DELETE FROM fts_ad WHERE rowid = old.id; "
    "INSERT INTO fts_ad (rowid, terms) VALUES (new.id, new.search_terms); END"
)
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_ad "
    "USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')",
    SQLITE_CREATE_INSERT_TRIGGER,
    SQLITE_CREATE_UPDATE_TRIGGER,
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
POSTGRESQL_RANK_COLUMN = (
    "ALTER TABLE ad ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_terms)) STORED"
)
POSTGRESQL_CREATE = (
    f"CREATE INDEX IF NOT EXISTS {POSTGRESQL_INDEX_NAME} ON ad "
    "USING gin (to_tsvector('simple', search_terms))",
    POSTGRESQL_RANK_COLUMN,
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


POSTGRESQL_DROP = (
    f"DROP INDEX IF EXISTS {POSTGRESQL_INDEX_NAME}",
    "ALTER TABLE IF EXISTS ad DROP COLUMN IF EXISTS search_vector",
)


def drop_index(connection: sa.Connection) -> None:
    """Remove the full-text index: SQLite's FTS5 table and triggers, PostgreSQL's GIN index."""
    if connection.dialect.name == "sqlite":
        _run(connection, SQLITE_DROP)
    elif connection.dialect.name == "postgresql":
        _run(connection, POSTGRESQL_DROP)


def attach(ad_table: sa.Table) -> None:
    """With the ad table (create_all/drop_all): SQLite's FTS5 table, PostgreSQL's rank column."""

    def after_create(target, connection, **_kw) -> None:
        if connection.dialect.name == "sqlite":
            _run(connection, SQLITE_CREATE)
        elif connection.dialect.name == "postgresql":
            _run(connection, (POSTGRESQL_RANK_COLUMN,))

    def before_drop(target, connection, **_kw) -> None:
        if connection.dialect.name == "sqlite":
            _run(connection, SQLITE_DROP)

    sa.event.listen(ad_table, "after_create", after_create)
    sa.event.listen(ad_table, "before_drop", before_drop)


@dataclass
class BulkWrite:
    """The ads written inside `bulk_write`: their ids, added by the caller as it writes them."""

    inserted: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


_CHUNK = 5000  # ids per IN (...) list: well below SQLite's parameter limit


@contextmanager
def bulk_write(connection: sa.Connection) -> Iterator[BulkWrite]:
    """Write many ads and index them at the end, in a few statements instead of row by row.

    On SQLite the insert and update triggers are dropped for the block and fts_ad is brought up
    to date for the ids the caller collected, then the triggers are created again. Through the
    triggers FTS5 is written a row (executemany) or a batch (multi-row INSERT) at a time, which
    costs far more than the same rows in a few INSERT ... SELECT statements. Measured for
    100,000 ads: single-row inserts 13-22 s with the trigger, 4-5 s without it plus 1 s for the
    index; the import (1,000-row inserts) 20.6 -> 19.0 s, re-importing 55,000 changed ads
    (single-row updates) 28.2 -> 21.1 s.

    All of it happens in the caller's transaction, so no other connection ever sees the ad table
    without its triggers, and a rollback (a failed or dry-run import) brings them back as well.
    The caller must collect every ad it inserts or updates in the block (they also go into the
    search engine's change log at the end, on both databases); deletes still go through their
    trigger. Elsewhere (PostgreSQL) the block only runs the caller's writes: the
    GIN index needs no help.
    """
    written = BulkWrite()
    if connection.dialect.name != "sqlite":
        yield written
        _log(connection, written)
        return
    # pysqlite opens a transaction by itself only before INSERT/UPDATE/DELETE, not before DDL:
    # without this a DROP TRIGGER issued first in the transaction would be committed at once.
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS fts_ad_after_insert")
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS fts_ad_after_update")
    try:
        yield written
        _reindex(connection, written.updated, delete_first=True)
        _reindex(connection, written.inserted, delete_first=False)
        _log(connection, written)
    finally:
        # IF NOT EXISTS: after some errors SQLite has rolled the transaction back, DROPs and all.
        connection.exec_driver_sql(SQLITE_CREATE_INSERT_TRIGGER)
        connection.exec_driver_sql(SQLITE_CREATE_UPDATE_TRIGGER)


_AD = sa.table("ad", sa.column("id"), sa.column("search_terms"))


def _log(connection: sa.Connection, written: BulkWrite) -> None:
    """The search engine's change log (search/models.py), in the same transaction."""
    from marketplace.search.models import log_changes

    log_changes(connection, ads=[*written.inserted, *written.updated])


def _reindex(connection: sa.Connection, ids: Sequence[int], *, delete_first: bool) -> None:
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        if delete_first:
            connection.execute(sa.delete(FTS).where(FTS.c.rowid.in_(chunk)))
        rows = sa.select(_AD.c.id, _AD.c.search_terms).where(_AD.c.id.in_(chunk))
        connection.execute(sa.insert(FTS).from_select(["rowid", "terms"], rows))


# Queries. Every stem is quoted for the index's own query language, so nothing typed is an
# operator; the last word also matches as a prefix (results follow the typing). search.services
# and search.facets both ask the index through these.


def fts5_query(terms: list[tuple[str, ...]]) -> str:
    """An FTS5 MATCH expression: every term double-quoted, so nothing typed is an operator."""

    def quoted(stem: str, prefix: bool) -> str:
        return '"' + stem.replace('"', '""') + '"' + ("*" if prefix else "")

    last = len(terms) - 1
    groups = [
        "(" + " OR ".join(quoted(stem, index == last) for stem in stems) + ")"
        for index, stems in enumerate(terms)
    ]
    return " AND ".join(groups)


def tsquery(terms: list[tuple[str, ...]]) -> str:
    """A PostgreSQL tsquery: every lexeme single-quoted, the last word as a prefix (:*)."""

    def quoted(stem: str, prefix: bool) -> str:
        return "'" + stem.replace("'", "''").replace("\\", "\\\\") + "'" + (":*" if prefix else "")

    last = len(terms) - 1
    groups = [
        "(" + " | ".join(quoted(stem, index == last) for stem in stems) + ")"
        for index, stems in enumerate(terms)
    ]
    return " & ".join(groups)


def known_to_autogenerate(object_, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave out what this module creates by hand-written SQL (the
    fts_* tables on SQLite, ad.search_vector on PostgreSQL), which no model describes."""
    if type_ == "table" and name and name.startswith("fts_"):
        return False
    return not (type_ == "column" and name == "search_vector")
