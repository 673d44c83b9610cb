"""A conversation's Samverkansöverenskommelse, every saved version of it, and the approvals."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.contact.models import Conversation
    from marketplace.organisations.models import Organisation


class Partnership(db.Model):
    """The one shared agreement of a conversation: its current text and its version number.

    `content` maps the fields of partnerships.sections to plain text. `version` grows by one
    with every saved change; a save names the version it was based on, and is written only if
    that is still the newest (see services.save_section), so nobody overwrites unseen text.
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conversation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), unique=True
    )
    content: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    version: so.Mapped[int] = so.mapped_column(default=1)
    started_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    conversation: so.Mapped[Conversation] = so.relationship()
    started_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Partnership {self.id} v{self.version}>"


class PartnershipVersion(db.Model):
    """One saved change: who, for which organisation, when, and each changed field's old and new
    text (`changes`: {field: [old, new]}). Version 1 is the pre-filled start."""

    __table_args__ = (sa.UniqueConstraint("partnership_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE")
    )
    number: so.Mapped[int]
    section: so.Mapped[str] = so.mapped_column(sa.String(32))  # a section key, or "start"
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    author: so.Mapped[User | None] = so.relationship()
    organisation: so.Mapped[Organisation | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<PartnershipVersion {self.partnership_id}/{self.number}>"


class PartnershipApproval(db.Model):
    """An organisation approved one version. Only approvals of the current version count, so
    any later change asks both parties again (the old approvals stay, as history)."""

    __table_args__ = (sa.UniqueConstraint("partnership_id", "organisation_id", "version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE")
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    version: so.Mapped[int]
    approved_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    approved_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    organisation: so.Mapped[Organisation] = so.relationship()
    approved_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<PartnershipApproval {self.partnership_id}/{self.organisation_id} v{self.version}>"
