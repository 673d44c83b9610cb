"""Organisations, memberships, invitations and the challenges an organisation works on."""

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


class Sector(enum.Enum):
    PUBLIC = "public"
    CIVIL = "civil"
    BUSINESS = "business"


class LegalForm(enum.Enum):
    NONPROFIT_ASSOCIATION = "ideell-forening"
    COOPERATIVE = "ekonomisk-forening"
    FOUNDATION = "stiftelse"
    FAITH_COMMUNITY = "trossamfund"
    REGION = "region"
    MUNICIPALITY = "kommun"
    STATE_AGENCY = "statlig-myndighet"
    LIMITED_COMPANY = "aktiebolag"
    OTHER = "annan"


class Role(enum.Enum):
    ADMIN = "admin"
    MEMBER = "member"


class Organisation(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    slug: so.Mapped[str] = so.mapped_column(sa.String(220))
    sector: so.Mapped[Sector] = so.mapped_column(enum_column(Sector), index=True)
    legal_form: so.Mapped[LegalForm] = so.mapped_column(enum_column(LegalForm))
    # Normalised NNNNNN-NNNN; NULL when not given (NULLs never collide in a unique index).
    org_number: so.Mapped[str | None] = so.mapped_column(sa.String(11), unique=True)
    county_code: so.Mapped[str] = so.mapped_column(sa.String(2), index=True)
    municipality_code: so.Mapped[str | None] = so.mapped_column(sa.String(4), index=True)
    website: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Stemmed, accent-folded terms of name and description (marketplace.search.text).
    search_terms: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verified_at: so.Mapped[datetime | None]
    import_ref: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    # Set by a moderator (marketplace.moderation): hidden from the directory, its page and its
    # ads for the public; the reason is shown to its members.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    memberships: so.Mapped[list[Membership]] = so.relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    challenge_links: so.Mapped[list[OrganisationChallenge]] = so.relationship(
        cascade="all, delete-orphan", order_by="OrganisationChallenge.challenge"
    )

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def challenge_slugs(self) -> list[str]:
        return [link.challenge for link in self.challenge_links]

    def __repr__(self) -> str:
        return f"<Organisation {self.id}>"


class OrganisationChallenge(db.Model):
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    challenge: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)


class Membership(db.Model):
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role, 16), default=Role.MEMBER)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship(back_populates="memberships")
    organisation: so.Mapped[Organisation] = so.relationship(back_populates="memberships")

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class Invitation(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    invited_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    accepted_at: so.Mapped[datetime | None]

    organisation: so.Mapped[Organisation] = so.relationship()
