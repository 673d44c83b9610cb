"""Organisations, memberships, invitations and the challenges an organisation works on."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db, enum_column
from marketplace.organisations.names import skeleton

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
    # How it was verified: "domain" (a member proved an address on `verified_domain`) or
    # "review" (a site administrator or county moderator approved an application); NULL = not.
    verified_via: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    verified_domain: so.Mapped[str | None] = so.mapped_column(sa.String(253))
    # The region, municipality or county administrative board whose reserved name it holds
    # ("region-08", "kommun-0880", "lansstyrelse-08"; marketplace.organisations.names).
    # One organisation per body (NULLs never collide in a unique index).
    public_body: so.Mapped[str | None] = so.mapped_column(sa.String(20), unique=True, index=True)
    # Its web and e-mail domains, lower-case, one space between (for the domain proof).
    domains: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The name as compared for near-duplicates (names.skeleton).
    name_skeleton: so.Mapped[str] = so.mapped_column(sa.String(800), default="", index=True)
    # Join requests from an address on its verified domain are approved without waiting.
    auto_approve_joins: so.Mapped[bool] = so.mapped_column(default=False)
    import_ref: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    # Set by a moderator (marketplace.moderation): hidden from the directory, its page and its
    # ads for the public; the reason is shown to its members.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The content hash of its uploaded logo (marketplace/images), NULL while it shows its
    # monogram; a column of its own so cards and lists draw the logo without another query.
    logo_hash: so.Mapped[str | None] = so.mapped_column(sa.String(32))

    memberships: so.Mapped[list[Membership]] = so.relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    challenge_links: so.Mapped[list[OrganisationChallenge]] = so.relationship(
        cascade="all, delete-orphan", order_by="OrganisationChallenge.challenge"
    )

    @so.validates("name")
    def _keep_skeleton(self, _key: str, value: str) -> str:
        """Every way a name is set (forms, import, demo, tests) keeps its skeleton in step."""
        self.name_skeleton = skeleton(value or "")
        return value

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def domain_list(self) -> list[str]:
        return self.domains.split() if self.domains else []

    @property
    def is_public_body(self) -> bool:
        """Public sector: unverified ones are labelled "Ej verifierad" beside the sector."""
        return self.sector is Sector.PUBLIC

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


class PublicBodyDomain(db.Model):
    """An official e-mail domain of a public body added by a site administrator (beside the
    shipped list in reference/data/public_body_domains.csv)."""

    __tablename__ = "public_body_domain"
    __table_args__ = (sa.UniqueConstraint("body", "domain"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    body: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    domain: so.Mapped[str] = so.mapped_column(sa.String(253))
    added_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ApplicationStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class VerificationApplication(db.Model):
    """'Ansök om verifiering': what an organisation sends for manual review, and the decision."""

    __tablename__ = "verification_application"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    applicant_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    org_number: so.Mapped[str] = so.mapped_column(sa.String(11))
    legal_form: so.Mapped[LegalForm] = so.mapped_column(enum_column(LegalForm))
    document_url: so.Mapped[str] = so.mapped_column(sa.String(500))
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # An appeal against a rejection: the application it asks to look at again.
    appeal_of_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("verification_application.id", ondelete="SET NULL")
    )
    status: so.Mapped[ApplicationStatus] = so.mapped_column(
        enum_column(ApplicationStatus, 16), default=ApplicationStatus.PENDING, index=True
    )
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    decided_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    organisation: so.Mapped[Organisation] = so.relationship()
    applicant: so.Mapped[User | None] = so.relationship(foreign_keys=[applicant_id])
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status is ApplicationStatus.PENDING


class JoinStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class JoinRequest(db.Model):
    """'Begär att gå med': a confirmed user asks an organisation's administrators to join."""

    __tablename__ = "join_request"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[JoinStatus] = so.mapped_column(
        enum_column(JoinStatus, 16), default=JoinStatus.PENDING, index=True
    )
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    decided_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    organisation: so.Mapped[Organisation] = so.relationship()
    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])

    @property
    def is_pending(self) -> bool:
        return self.status is JoinStatus.PENDING
