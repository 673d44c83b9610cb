"""The user account."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from marketplace.clock import utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.organisations.models import Membership, Organisation


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)  # stored lower-case
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    # Flask-Login identifies the session by this token, not the id: replacing it (password
    # change or reset) logs the account out everywhere.
    session_token: so.Mapped[str] = so.mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    email_confirmed_at: so.Mapped[datetime | None]
    locale: so.Mapped[str] = so.mapped_column(sa.String(5), default="sv")
    is_site_admin: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None]
    # Set by a site administrator (marketplace.moderation): no log-in, no session.
    suspended_at: so.Mapped[datetime | None]
    acting_organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )

    memberships: so.Mapped[list[Membership]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    acting_organisation: so.Mapped[Organisation | None] = so.relationship(
        foreign_keys=[acting_organisation_id]
    )

    # The log-in this object was loaded for (or is being logged in with): "<account token>.<its
    # LoginSession token>". Flask-Login keeps it in the session and the remember-me cookie.
    login_id = None  # type: str | None  (a plain attribute, not a column)

    def get_id(self) -> str:
        return self.login_id or self.session_token

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class LoginSession(db.Model):
    """One log-in on one device: logging out deletes it, so the cookies captured before stop
    working (the session cookie is signed, not stored: without this row it would still open
    the account). Logging out everywhere (or a new password, or a suspension) replaces the
    account's session_token, which every log-in's id includes, and deletes the rows."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_session_token)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
