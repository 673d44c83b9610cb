"""Saved searches, their challenge filters, and the ledger of ads already sent for each."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.ads.models import AdKind
from marketplace.clock import utcnow
from marketplace.extensions import db, enum_column
from marketplace.organisations.models import Sector

if TYPE_CHECKING:
    from marketplace.accounts.models import User


class Rhythm(enum.Enum):
    IMMEDIATE = "immediate"  # Direkt: one e-mail per new ad, when it is published
    DAILY = "daily"  # Dagligen: a digest every morning
    WEEKLY = "weekly"  # Veckovis: a digest every Monday morning


# Multi-valued filters with few values are bit masks (0 = any), so that matching a new ad
# against thousands of saved searches is one indexed-column test per filter in SQL.
# Explicit bits per stored value: reordering an enum must never change what a mask means.
KIND_BITS = {AdKind.NEED: 1, AdKind.OFFER: 2, AdKind.IDEA: 4}
SECTOR_BITS = {Sector.PUBLIC: 1, Sector.CIVIL: 2, Sector.BUSINESS: 4}


def to_mask(values, bits: dict) -> int:
    mask = 0
    for value in values:
        mask |= bits[value]
    return mask


def from_mask(mask: int, bits: dict) -> list:
    return [value for value, bit in bits.items() if mask & bit]


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class SavedSearch(db.Model):
    """A search from /annonser that its owner wants to hear about when new ads match it."""

    __tablename__ = "saved_search"
    __table_args__ = (sa.Index("ix_saved_search_rhythm_paused", "rhythm", "paused"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    # The search, as the search page's filters (see marketplace.search.services.AdQuery).
    text: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    kind_mask: so.Mapped[int] = so.mapped_column(default=0)
    county_code: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    municipality_code: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    seeking_mask: so.Mapped[int] = so.mapped_column(default=0)
    sector_mask: so.Mapped[int] = so.mapped_column(default=0)
    rhythm: so.Mapped[Rhythm] = so.mapped_column(enum_column(Rhythm, 16), default=Rhythm.DAILY)
    paused: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    # Digests look for ads published after the last check (with some overlap, see services).
    last_checked_at: so.Mapped[datetime | None]
    last_sent_at: so.Mapped[datetime | None]
    # Part of every unsubscribe link: a link made for a deleted search can never act on a new
    # search that happens to get the same id (SQLite reuses the highest freed id).
    unsubscribe_nonce: so.Mapped[str] = so.mapped_column(sa.String(24), default=new_nonce)

    user: so.Mapped[User] = so.relationship()
    challenge_links: so.Mapped[list[SavedSearchChallenge]] = so.relationship(
        cascade="all, delete-orphan", order_by="SavedSearchChallenge.challenge"
    )

    @property
    def kinds(self) -> list[AdKind]:
        return from_mask(self.kind_mask or 0, KIND_BITS)

    @kinds.setter
    def kinds(self, values) -> None:
        self.kind_mask = to_mask(values, KIND_BITS)

    @property
    def seeking(self) -> list[Sector]:
        return from_mask(self.seeking_mask or 0, SECTOR_BITS)

    @seeking.setter
    def seeking(self, values) -> None:
        self.seeking_mask = to_mask(values, SECTOR_BITS)

    @property
    def sectors(self) -> list[Sector]:
        return from_mask(self.sector_mask or 0, SECTOR_BITS)

    @sectors.setter
    def sectors(self, values) -> None:
        self.sector_mask = to_mask(values, SECTOR_BITS)

    @property
    def challenges(self) -> list[str]:
        return [link.challenge for link in self.challenge_links]

    @challenges.setter
    def challenges(self, slugs) -> None:
        current = {link.challenge: link for link in self.challenge_links}
        self.challenge_links = [
            current.get(slug) or SavedSearchChallenge(challenge=slug)
            for slug in dict.fromkeys(slugs)
        ]

    def __repr__(self) -> str:
        return f"<SavedSearch {self.id}>"


class SavedSearchChallenge(db.Model):
    __tablename__ = "saved_search_challenge"

    saved_search_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("saved_search.id", ondelete="CASCADE"), primary_key=True
    )
    challenge: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)


class SentAlert(db.Model):
    """The ledger: this ad was sent for this saved search. The primary key forbids repeats."""

    __tablename__ = "sent_alert"

    saved_search_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("saved_search.id", ondelete="CASCADE"), primary_key=True
    )
    ad_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    sent_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SentAlert {self.saved_search_id}:{self.ad_id}>"
