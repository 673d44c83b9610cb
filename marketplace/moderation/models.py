"""Reports, the moderation log, and which counties each county moderator looks after."""

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
    from marketplace.contact.models import Message
    from marketplace.organisations.models import Organisation


class ContentKind(enum.Enum):
    """What a report is about (the URL word for it is in moderation.labels)."""

    AD = "ad"
    ORGANISATION = "organisation"
    MESSAGE = "message"


class ReportReason(enum.Enum):
    SPAM = "spam"
    OFFENSIVE = "offensive"  # olämpligt eller kränkande innehåll
    INACCURATE = "inaccurate"  # felaktiga uppgifter
    OTHER = "other"
    # Not a choice in the report form: the people behind hidden content ask for a review
    # ("Begär omprövning"). An appeal waits in the same queue as the reports about the content.
    APPEAL = "appeal"


class ReportStatus(enum.Enum):
    OPEN = "open"
    ACTIONED = "actioned"  # the content was hidden
    DISMISSED = "dismissed"  # looked at; nothing wrong (an appeal: the content stays hidden)
    RESTORED = "restored"  # an appeal that was granted: the content is visible again


class ActionKind(enum.Enum):
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"
    KEEP_HIDDEN = "keep_hidden"  # an appeal was turned down
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    ASSIGN_MODERATOR = "assign_moderator"
    REMOVE_MODERATOR = "remove_moderator"
    DECLARE_CRISIS = "declare_crisis"
    EXTEND_CRISIS = "extend_crisis"
    END_CRISIS = "end_crisis"
    TAG_CRISIS = "tag_crisis"  # a moderator tagged an ad to a crisis
    UNTAG_CRISIS = "untag_crisis"
    # Verification of organisations (marketplace.organisations.trust).
    VERIFY = "verify"
    REJECT_VERIFICATION = "reject_verification"
    REVOKE_VERIFICATION = "revoke_verification"


class Report(db.Model):
    """Someone's report about one ad, organisation or message, or an appeal against hiding it
    (reason APPEAL, by a member of the organisation behind it or the message's writer).

    Exactly one of ad_id, organisation_id and message_id is set when the report is made; it
    becomes NULL if that content is deleted later (the report and its snapshot stay, for the log).
    """

    __table_args__ = (sa.Index("ix_report_status_created_at", "status", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[ContentKind] = so.mapped_column(enum_column(ContentKind, 16))
    ad_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ad.id", ondelete="SET NULL"), index=True
    )
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    message_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    # What was reported, as it read then: the content may change or go away.
    content_label: so.Mapped[str] = so.mapped_column(sa.String(300))
    reporter_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    reason: so.Mapped[ReportReason] = so.mapped_column(enum_column(ReportReason, 16))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[ReportStatus] = so.mapped_column(
        enum_column(ReportStatus, 16), default=ReportStatus.OPEN
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    resolved_at: so.Mapped[datetime | None]
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    ad: so.Mapped[Ad | None] = so.relationship()
    organisation: so.Mapped[Organisation | None] = so.relationship()
    message: so.Mapped[Message | None] = so.relationship()
    reporter: so.Mapped[User | None] = so.relationship(foreign_keys=[reporter_id])
    resolved_by: so.Mapped[User | None] = so.relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.status is ReportStatus.OPEN

    @property
    def is_appeal(self) -> bool:
        return self.reason is ReportReason.APPEAL

    @property
    def content(self):
        """The reported ad, organisation or message, or None when it has been deleted."""
        return {
            ContentKind.AD: self.ad,
            ContentKind.ORGANISATION: self.organisation,
            ContentKind.MESSAGE: self.message,
        }[self.kind]

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.kind.value}>"


class ModerationAction(db.Model):
    """The log: who did what to which content or account, when and why.

    Targets are plain ids with a snapshot label (no foreign keys): the log outlives the content.
    """

    __table_args__ = (sa.Index("ix_moderation_action_target", "target_kind", "target_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    action: so.Mapped[ActionKind] = so.mapped_column(enum_column(ActionKind, 24))
    # "ad", "organisation", "message" or "user".
    target_kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    target_id: so.Mapped[int | None]
    target_label: so.Mapped[str] = so.mapped_column(sa.String(300))
    report_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("report.id", ondelete="SET NULL")
    )
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    actor: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<ModerationAction {self.id} {self.action.value}>"


class CountyModerator(db.Model):
    """The user moderates reports about content in this county (assigned by a site administrator)."""

    __tablename__ = "county_moderator"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True, index=True)
    assigned_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<CountyModerator {self.user_id}:{self.county_code}>"
