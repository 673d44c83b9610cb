"""What an ad led to: one reported outcome per ad, and the ledger of outcome questions asked."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db, enum_column

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.ads.models import Ad
    from marketplace.organisations.models import Organisation


class CollaborationForm(enum.Enum):
    """The form a collaboration took (labels in insights.labels)."""

    IOP = "iop"  # idéburet offentligt partnerskap
    PROJECT = "project"
    VOLUNTEERING = "volunteering"
    GRANT = "grant"
    PROCUREMENT = "procurement"
    OTHER = "other"


class Outcome(db.Model):
    """The ad's organisation's answer to "did it lead to collaboration, with whom, in what form"."""

    __table_args__ = (sa.Index("ix_outcome_reported_at", "reported_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # SET NULL: the statistics keep an outcome when its ad is deleted (county is kept below).
    ad_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="SET NULL"), unique=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    collaborated: so.Mapped[bool]
    form: so.Mapped[CollaborationForm | None] = so.mapped_column(enum_column(CollaborationForm, 16))
    # A partner on the site (its name is copied to partner_name), or only a name as typed.
    partner_organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    partner_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # The ad's county when reported (NULL: all of Sweden), for statistics per county.
    county_code: so.Mapped[str | None] = so.mapped_column(sa.String(2), index=True)
    reported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    reported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    ad: so.Mapped[Ad | None] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship(foreign_keys=[organisation_id])
    partner_organisation: so.Mapped[Organisation | None] = so.relationship(
        foreign_keys=[partner_organisation_id]
    )
    reported_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Outcome ad={self.ad_id}>"


class OutcomeRequest(db.Model):
    """The ledger of outcome questions: an ad's organisation is asked once, ever."""

    ad_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="CASCADE"), primary_key=True
    )
    # Why we asked: "closed" or "expired".
    reason: so.Mapped[str] = so.mapped_column(sa.String(16))
    outcome_requested_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<OutcomeRequest ad={self.ad_id}>"
