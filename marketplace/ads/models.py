"""Ads and the challenges they address."""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import today, utcnow
from marketplace.extensions import db, enum_column
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import index as search_index

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.crises.models import Crisis


class AdKind(enum.Enum):
    NEED = "need"  # Söker
    OFFER = "offer"  # Erbjuder
    IDEA = "idea"  # Idé


class AdStatus(enum.Enum):
    OPEN = "open"
    PARTNER_FOUND = "partner_found"
    NOT_CURRENT = "not_current"


class Ad(db.Model):
    __table_args__ = (
        sa.Index("ix_ad_status_expires_on", "status", "expires_on"),
        sa.Index("ix_ad_status_published_at", "status", "published_at"),
        # Full-text search on PostgreSQL (SQLite uses the fts_ad table, see search/index.py).
        sa.Index(
            "ix_ad_search_terms_tsv",
            sa.text("to_tsvector('simple', search_terms)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    kind: so.Mapped[AdKind] = so.mapped_column(enum_column(AdKind, 16), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    slug: so.Mapped[str] = so.mapped_column(sa.String(140))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # NULL county means all of Sweden.
    county_code: so.Mapped[str | None] = so.mapped_column(sa.String(2), index=True)
    municipality_code: so.Mapped[str | None] = so.mapped_column(sa.String(4), index=True)
    seeks_public: so.Mapped[bool] = so.mapped_column(default=False)
    seeks_civil: so.Mapped[bool] = so.mapped_column(default=False)
    seeks_business: so.Mapped[bool] = so.mapped_column(default=False)
    status: so.Mapped[AdStatus] = so.mapped_column(enum_column(AdStatus, 16), default=AdStatus.OPEN)
    published_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_on: so.Mapped[date]
    closed_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    import_ref: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Stemmed, accent-folded terms of title, body and organisation name (marketplace.search.text).
    search_terms: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Set by a moderator (marketplace.moderation): a hidden ad leaves lists and its page 404s
    # for the public; the reason is shown to the organisation.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Tagged to a crisis (marketplace.crises); the tag stays after the crisis ends, as history.
    crisis_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("crisis.id", ondelete="SET NULL"), index=True
    )

    organisation: so.Mapped[Organisation] = so.relationship()
    crisis: so.Mapped[Crisis | None] = so.relationship()
    author: so.Mapped[User | None] = so.relationship()
    challenge_links: so.Mapped[list[AdChallenge]] = so.relationship(
        cascade="all, delete-orphan", order_by="AdChallenge.challenge"
    )

    @property
    def challenge_slugs(self) -> list[str]:
        return [link.challenge for link in self.challenge_links]

    @property
    def seeking(self) -> list[Sector]:
        wanted = [
            (self.seeks_public, Sector.PUBLIC),
            (self.seeks_civil, Sector.CIVIL),
            (self.seeks_business, Sector.BUSINESS),
        ]
        return [sector for flag, sector in wanted if flag]

    @property
    def is_closed(self) -> bool:
        """Closed by its organisation: partner found, or no longer current."""
        return self.status is not AdStatus.OPEN

    def is_expired(self, today: date) -> bool:
        """Past its last day (it was shown up to and including `expires_on`)."""
        return self.expires_on < today

    def has_ended(self, today: date) -> bool:
        """Closed or expired: out of search until its organisation renews it."""
        return self.is_closed or self.is_expired(today)

    @property
    def is_hidden(self) -> bool:
        """Hidden by a moderator, itself or through its organisation."""
        return self.hidden_at is not None or (
            self.organisation is not None and self.organisation.hidden_at is not None
        )

    def is_open(self, today: date) -> bool:
        """THE rule for an ad that is listed, found, matched and may be contacted: it has not
        ended and no moderator hid it (nor its organisation). open_ads_condition() is the same
        rule in SQL; the tests hold the two to each other."""
        return not self.has_ended(today) and not self.is_hidden

    def __repr__(self) -> str:
        return f"<Ad {self.id}>"


class AdChallenge(db.Model):
    ad_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="CASCADE"), primary_key=True
    )
    challenge: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)


search_index.attach(Ad.__table__)


def open_ads_condition() -> sa.ColumnElement[bool]:
    """Ad.is_open in SQL, for today's Swedish date: open, not expired, and not hidden by a
    moderator (neither the ad nor its organisation)."""
    hidden_ads, hidden_organisations = _hidden()
    return sa.and_(
        Ad.status == AdStatus.OPEN,
        Ad.expires_on >= today(),
        Ad.id.not_in(hidden_ads),
        Ad.organisation_id.not_in(hidden_organisations),
    )


@functools.cache
def _hidden() -> tuple[sa.Select, sa.Select]:
    """The ids of hidden ads and of hidden organisations, as subqueries.

    Few ads are hidden: ids are tested against that short list (aliases, so the subqueries
    never correlate with the outer query), and lists can still be answered from the indexes
    on (status, expires_on, …, organisation_id) without reading each ad's row. Built once: a
    new alias adapts its columns again on first use, which cost several milliseconds of every
    query for open ads (make bench).
    """
    hidden_ad = so.aliased(Ad, name="hidden_ad")
    hidden_organisation = so.aliased(Organisation, name="hidden_organisation")
    return (
        sa.select(hidden_ad.id).where(hidden_ad.hidden_at.is_not(None)),
        sa.select(hidden_organisation.id).where(hidden_organisation.hidden_at.is_not(None)),
    )
