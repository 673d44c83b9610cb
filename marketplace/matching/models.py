"""The ledger of match e-mails: each pair of ads is announced at most once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.extensions import db


class MatchNotice(db.Model):
    """The organisation behind `ad_id` was told that the new ad `matched_ad_id` matches it."""

    __table_args__ = (sa.UniqueConstraint("ad_id", "matched_ad_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ad_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ad.id", ondelete="CASCADE"))
    matched_ad_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="CASCADE"), index=True
    )
    score: so.Mapped[float]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<MatchNotice {self.ad_id}~{self.matched_ad_id}>"


# Document frequencies for the match score's idf (terms.term_stats). SQLite reads them from an
# FTS5 vocabulary table over the search index `fts_ad`; PostgreSQL splits the same stored terms
# (ad.search_terms), so both count the same thing. Migrations ignore fts_* tables, so a
# migration runs `create_vocabulary(connection)`; tests get it from create_all.
SQLITE_VOCABULARY = "fts_ad_vocab"
SQLITE_CREATE_VOCABULARY = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_VOCABULARY} USING fts5vocab(fts_ad, 'row')"
)
SQLITE_DROP_VOCABULARY = f"DROP TABLE IF EXISTS {SQLITE_VOCABULARY}"


def create_vocabulary(connection: sa.Connection) -> None:
    """Create the SQLite vocabulary table over fts_ad (idempotent; nothing on PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_CREATE_VOCABULARY)


def drop_vocabulary(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DROP_VOCABULARY)


def _attach(ad_table: sa.Table) -> None:
    """With create_all/drop_all: after the search index exists, and before the ad table goes."""
    sa.event.listen(
        ad_table, "after_create", lambda _t, connection, **_kw: create_vocabulary(connection)
    )
    sa.event.listen(
        ad_table, "before_drop", lambda _t, connection, **_kw: drop_vocabulary(connection)
    )


_attach(Ad.__table__)  # type: ignore[arg-type]

# Match candidates from the database (matching/candidates.py, while a machine has no search
# index yet) read these columns of the ads sharing a challenge or a word: from this index
# alone, without reading the ads' rows (SQLite keeps the id in every index; PostgreSQL needs it
# as a column for an index-only scan, which it takes when most ads are closed).
MATCHING_INDEX = sa.Index(
    "ix_ad_matching",
    *(
        Ad.__table__.c[name]
        for name in (
            "status",
            "expires_on",
            "kind",
            "organisation_id",
            "county_code",
            "municipality_code",
            "seeks_public",
            "seeks_civil",
            "seeks_business",
            "id",
        )
    ),
)
