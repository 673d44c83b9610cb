"""Conversations between two organisations (about an ad, or direct), their messages, and who has
read what."""

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


class ConversationKind(enum.Enum):
    """What a conversation is about: an ad ("Visa intresse"), or nothing but the two organisations
    ("Kontakta organisationen" on an organisation's page)."""

    AD = "ad"
    DIRECT = "direct"


def direct_pair(first_organisation_id: int, second_organisation_id: int) -> str:
    """The key of the one direct conversation between two organisations, whoever writes first."""
    low, high = sorted((first_organisation_id, second_organisation_id))
    return f"{low}-{high}"


class Conversation(db.Model):
    """One thread per (ad, interested organisation): a second "Visa intresse" joins it; and one
    direct thread per pair of organisations.

    In a direct thread `ad_organisation` is the organisation that was contacted and
    `interested_organisation` the one that wrote first; `ad_id` and `ad_title` are NULL. An ad
    thread whose ad was deleted keeps its kind and its `ad_title` (only `ad_id` becomes NULL), so
    the two never look alike.
    """

    __table_args__ = (
        sa.UniqueConstraint("ad_id", "interested_organisation_id"),
        # Direct threads have a pair key, ad threads none, and only ad threads an ad's title.
        sa.CheckConstraint(
            "(kind = 'direct' AND direct_pair IS NOT NULL AND ad_id IS NULL AND ad_title IS NULL)"
            " OR (kind = 'ad' AND direct_pair IS NULL AND ad_title IS NOT NULL)",
            name="kind_fits",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[ConversationKind] = so.mapped_column(
        enum_column(ConversationKind, 16), default=ConversationKind.AD, server_default="ad"
    )
    # direct_pair(a, b) for a direct thread, NULL otherwise. Unique (NULLs are distinct on both
    # databases): two first messages at once, in either direction, make one thread.
    direct_pair: so.Mapped[str | None] = so.mapped_column(sa.String(32), unique=True)
    # SET NULL: deleting an ad must not delete what two organisations wrote to each other.
    ad_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="SET NULL"), index=True
    )
    # The ad's title when the conversation started, shown once the ad is gone; NULL when direct.
    ad_title: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    # Kept here (not only through the ad) so access checks work after the ad is deleted.
    ad_organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    interested_organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    started_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_message_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    ad: so.Mapped[Ad | None] = so.relationship()
    ad_organisation: so.Mapped[Organisation] = so.relationship(foreign_keys=[ad_organisation_id])
    interested_organisation: so.Mapped[Organisation] = so.relationship(
        foreign_keys=[interested_organisation_id]
    )

    @property
    def is_direct(self) -> bool:
        return self.kind is ConversationKind.DIRECT

    @property
    def ad_deleted(self) -> bool:
        """About an ad that no longer exists (its title is kept in `ad_title`)."""
        return not self.is_direct and self.ad is None

    @property
    def title(self) -> str | None:
        """The ad's current title, or its title when the conversation started if it is deleted;
        None for a direct conversation (pages name the other organisation instead)."""
        if self.is_direct:
            return None
        return self.ad.title if self.ad is not None else self.ad_title

    def organisation_ids(self) -> tuple[int, int]:
        return (self.ad_organisation_id, self.interested_organisation_id)

    def other_organisation(self, organisation_id: int) -> Organisation:
        """The party that is not `organisation_id`."""
        if organisation_id == self.ad_organisation_id:
            return self.interested_organisation
        return self.ad_organisation

    def __repr__(self) -> str:
        return f"<Conversation {self.id}>"


class Message(db.Model):
    """A plain-text message, written by a person on behalf of one of the two organisations."""

    __table_args__ = (sa.Index("ix_message_conversation_id_id", "conversation_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conversation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE")
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Set by a moderator (marketplace.moderation): the conversation shows a notice instead.
    hidden_at: so.Mapped[datetime | None]
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    conversation: so.Mapped[Conversation] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    author: so.Mapped[User | None] = so.relationship()

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Message {self.id}>"


class ConversationRead(db.Model):
    """How far one person has read one conversation: message ids only grow, so one id is enough."""

    conversation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_message_id: so.Mapped[int] = so.mapped_column(default=0)
    read_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
