"""Who gets told what: e-mails are queued as outbox rows inside the caller's transaction.

Call `queue_email` before the use case commits (a rolled-back change mails no one, a committed
one is never forgotten), and `dispatch` after the commit to get the rows delivered.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.i18n import babel_locale
from marketplace.notifications.mail import Transport, build_message
from marketplace.notifications.models import OutboxEmail, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


def _render_parts(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML from templates/email/<template>.txt and .html.

    Each message's .txt template extends email/_layout.txt and overrides the `subject` and
    `content` blocks; its .html template extends email/_layout.html.
    """
    env = current_app.jinja_env
    current_app.update_template_context(context)
    text_template = env.get_template(f"email/{template}.txt")

    subject_block = text_template.blocks["subject"]
    subject = "".join(subject_block(text_template.new_context(context))).strip()
    text = text_template.render(context).strip() + "\n"
    html = env.get_template(f"email/{template}.html").render(context)
    return " ".join(subject.split()), text, html  # no CR/LF can reach the Subject header


def queue_email(
    *, key: str, to: str, template: str, locale: str = "sv", headers: dict | None = None, **context
) -> OutboxEmail | None:
    """Add one e-mail to the outbox in the current transaction, rendered in the recipient's language.

    Returns None when a row with the same key exists already: the same event never mails twice.
    """
    exists = db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.key == key))
    if exists is not None:
        return None
    with force_locale(babel_locale(locale)):
        subject, text, html = _render_parts(template, context)
    row = OutboxEmail(
        key=key,
        recipient=to,
        subject=subject,
        text_body=text,
        html_body=html,
        headers=headers or {},
    )
    db.session.add(row)
    return row


def dispatch() -> None:
    """After a commit: ask the worker to deliver now (in tests, delivery runs in-process).

    Whatever fails stays in the outbox; the worker's periodic retry picks it up.
    """
    from marketplace.notifications.tasks import deliver_outbox

    try:
        deliver_outbox()
    except Exception:  # delivery must never break the request that queued the mail
        log.exception("could not hand the outbox to the worker; the periodic retry will")
        db.session.rollback()


def _claim_due(limit: int) -> list[OutboxEmail]:
    """Claim due rows for this process; a conditional UPDATE makes each claim exclusive."""
    now = utcnow()
    candidates = db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(
            OutboxEmail.status == OutboxStatus.PENDING,
            OutboxEmail.next_attempt_at <= now,
            sa.or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    claimed: list[int] = []
    for row_id in candidates:
        result = db.session.execute(
            sa.update(OutboxEmail)
            .where(
                OutboxEmail.id == row_id,
                OutboxEmail.status == OutboxStatus.PENDING,
                sa.or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
            )
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    db.session.commit()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.id.in_(claimed)).order_by(OutboxEmail.id)
        )
    )


def deliver_due(limit: int = 200) -> int:
    """Send due outbox rows over one connection; returns how many were delivered."""
    rows = _claim_due(limit)
    delivered = 0
    if not rows:
        return 0
    with Transport() as transport:
        for row in rows:
            try:
                transport.send(build_message(row))
            except Exception as error:  # noqa: BLE001  any transport failure is retried later
                row.attempts += 1
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.claimed_until = None
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = OutboxStatus.FAILED
                else:
                    row.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (row.attempts - 1))
                db.session.commit()
                transport.__exit__(None, None, None)  # a broken connection is not reused
                continue
            row.status = OutboxStatus.SENT
            row.sent_at = utcnow()
            row.attempts += 1
            row.claimed_until = None
            db.session.commit()  # per row: a crash after sending re-sends at most this one
            delivered += 1
    return delivered
