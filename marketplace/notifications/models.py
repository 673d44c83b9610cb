"""The e-mail outbox: one row per message, written in the same transaction as its cause."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db, enum_column


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class Claimable:
    """The columns a worker claims, retries and gives up work by (notifications.services: _claim,
    _failed), shared by outbox e-mails and jobs."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[OutboxStatus] = so.mapped_column(
        enum_column(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    claimed_until: so.Mapped[datetime | None]
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class OutboxEmail(Claimable, db.Model):
    __table_args__ = (sa.Index("ix_outbox_email_due", "status", "next_attempt_at"),)

    # The same event never mails twice: e.g. "confirm:17:2026-11-22T08:00" or "reset:17:<token>".
    key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    headers: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    sent_at: so.Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.status.value}>"


class OutboxJob(Claimable, db.Model):
    """E-mails a use case decided to send, to be written into the outbox by the worker.

    Added in the use case's transaction, so the decision commits or rolls back with it (one
    small row instead of hundreds of rendered e-mails in the request). The worker calls the
    writer registered for `kind` with `payload` and deletes the job in the transaction that adds
    the writer's outbox rows: a crash before that commit leaves the job for the next run, and the
    outbox keys keep a repeated write from mailing anyone twice. Status: PENDING until written
    (then the row is deleted), FAILED after the last retry.
    """

    __table_args__ = (sa.Index("ix_outbox_job_due", "status", "next_attempt_at"),)

    kind: so.Mapped[str] = so.mapped_column(sa.String(60))
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    def __repr__(self) -> str:
        return f"<OutboxJob {self.id} {self.kind}>"
