"""A region's Överenskommelse with the idea-driven sector, and the organisations that signed it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.organisations.models import Organisation


class Agreement(db.Model):
    """One region's agreement, keyed by its county's SCB code (one region per county)."""

    county_code: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    signed_year: so.Mapped[int]
    signed_on: so.Mapped[date | None]  # the day, when it is known (else only the year is shown)
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    url: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    partners: so.Mapped[str] = so.mapped_column(
        sa.String(300), default=""
    )  # who signed for the sector
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    def __repr__(self) -> str:
        return f"<Agreement {self.county_code}>"


class Signatory(db.Model):
    """An organisation says it signed the region's agreement; confirmed by the region or a moderator."""

    __tablename__ = "agreement_signatory"
    __table_args__ = (sa.UniqueConstraint("county_code", "organisation_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    county_code: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("agreement.county_code", ondelete="CASCADE"), index=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    claimed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    claimed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    confirmed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    organisation: so.Mapped[Organisation] = so.relationship()
    agreement: so.Mapped[Agreement] = so.relationship()
    claimed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[claimed_by_id])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def __repr__(self) -> str:
        return f"<Signatory {self.county_code}:{self.organisation_id}>"
