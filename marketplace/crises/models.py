"""Crises (declared by moderators), the counties they concern, and their alert settings and ledgers."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import swedish_date, utcnow
from marketplace.extensions import db

MAX_DAYS = 90  # a declared period; longer only by extending it, with a reason
AD_GRACE_DAYS = 14  # a crisis ad is shown at most this long after the crisis ends


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class Crisis(db.Model):
    """A declared crisis: while active it has a banner, a page, and its ads come first in search."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    lead: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # who leads the work
    nationwide: so.Mapped[bool] = so.mapped_column(default=False)
    challenge: so.Mapped[str] = so.mapped_column(sa.String(40))
    starts_on: so.Mapped[date]
    ends_on: so.Mapped[date] = so.mapped_column(index=True)
    ended_at: so.Mapped[datetime | None]  # ended early by a moderator (else it ends after ends_on)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    last_digest_at: so.Mapped[datetime | None]

    county_links: so.Mapped[list[CrisisCounty]] = so.relationship(
        cascade="all, delete-orphan", order_by="CrisisCounty.county_code", lazy="selectin"
    )

    @property
    def county_codes(self) -> list[str]:
        return [link.county_code for link in self.county_links]

    def covers(self, county_code: str | None) -> bool:
        """An ad for this county (None: all of Sweden) may be tagged to the crisis."""
        if self.nationwide:
            return True
        return county_code is not None and county_code in self.county_codes

    def last_day(self) -> date:
        """The crisis's last day: its planned end, or the day it was ended."""
        if self.ended_at is not None:
            return min(self.ends_on, swedish_date(self.ended_at))
        return self.ends_on

    def is_active(self, today: date) -> bool:
        """THE rule for a crisis with a banner: started, not past its end, not ended early.
        active_crisis_condition() is the same rule in SQL."""
        return self.ended_at is None and self.starts_on <= today <= self.ends_on

    def has_ended(self, today: date) -> bool:
        return self.ended_at is not None or self.ends_on < today

    def ad_expiry_cap(self) -> date:
        return self.last_day() + timedelta(days=AD_GRACE_DAYS)

    def __repr__(self) -> str:
        return f"<Crisis {self.slug}>"


class CrisisCounty(db.Model):
    __tablename__ = "crisis_county"

    crisis_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("crisis.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True, index=True)


def active_crisis_condition(today: date) -> sa.ColumnElement[bool]:
    """Crisis.is_active in SQL."""
    return sa.and_(Crisis.ended_at.is_(None), Crisis.starts_on <= today, Crisis.ends_on >= today)


class CrisisAlertSetting(db.Model):
    """An organisation's choice about crisis alerts for its county (no row: the default)."""

    __tablename__ = "crisis_alert_setting"

    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: so.Mapped[bool] = so.mapped_column(default=True)
    # Part of every unsubscribe link (see alerts.SavedSearch.unsubscribe_nonce).
    unsubscribe_nonce: so.Mapped[str] = so.mapped_column(sa.String(24), default=new_nonce)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)


class CrisisAlert(db.Model):
    """The ledger of declaration alerts: this organisation was told about this crisis (once)."""

    __tablename__ = "crisis_alert"

    crisis_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("crisis.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    sent_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CrisisAlertAd(db.Model):
    """The digest ledger: this crisis need was mailed to this organisation (never twice)."""

    __tablename__ = "crisis_alert_ad"

    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    ad_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    sent_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
