"""Who gets told what: e-mails are queued as outbox rows inside the caller's transaction.

Call `queue_email` before the use case commits (a rolled-back change mails no one, a committed
one is never forgotten), and `dispatch` after the commit to get the rows delivered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from huey import crontab

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db, huey
from marketplace.i18n import babel_locale
from marketplace.notifications.mail import send_all
from marketplace.notifications.models import Claimable, OutboxEmail, OutboxJob, OutboxStatus
from marketplace.organisations.models import Membership
from marketplace.worker import app_context

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120  # a worker's hold on the rows it claimed
# ... and sends nothing in the claim's last seconds (one slow send may take MAIL_TIMEOUT).
CLAIM_MARGIN = 20
# Delivery works on rows by id, not on loaded objects: nothing in the session to bring up to date.
NO_SESSION_SYNC = {"synchronize_session": False}
SENT_BATCH = 20  # rows marked sent per commit: at most this many are sent again after a crash


def _render_parts(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML from templates/email/<template>.txt and .html.

    Each message's .txt template extends email/_layout.txt and overrides the `subject` and
    `content` blocks; its .html template extends email/_layout.html.
    """
    # Only the app's filters and globals, not the request's context (layout, current_user): the
    # e-mail goes to someone else, and the worker renders it outside any request anyway.
    env = current_app.jinja_env
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


def members_to_email(organisation_id: int, *, besides: int | None = None) -> list[User]:
    """The members of an organisation to e-mail about it: those with a confirmed address (any
    member may act for it), in a stable order; `besides` leaves one person out (the writer).

    Unconfirmed addresses get nothing: the address may not be theirs.
    """
    statement = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, User.email_confirmed_at.is_not(None))
        .order_by(User.id)
    )
    if besides is not None:
        statement = statement.where(User.id != besides)
    return list(db.session.scalars(statement))


AUTOMATIC = {"Auto-Submitted": "auto-generated"}  # RFC 3834: not for out-of-office replies


def email_members(
    organisation_id: int,
    *,
    key: str,
    template: str,
    headers: dict | None = None,
    besides: int | None = None,
    **context,
) -> int:
    """queue_email to each of the organisation's members to e-mail (members_to_email), in their
    own language; each row's key is `key` and the member's id. Returns how many were queued."""
    queued = 0
    for user in members_to_email(organisation_id, besides=besides):
        row = queue_email(
            key=f"{key}:{user.id}",
            to=user.email,
            template=template,
            locale=user.locale,
            headers=headers,
            **context,
        )
        queued += row is not None
    return queued


def dispatch() -> None:
    """After a commit: ask the worker to deliver now (in tests, delivery runs in-process).

    Whatever fails stays in the outbox; the worker's periodic retry picks it up.
    """
    try:
        deliver_outbox()
    except Exception:  # delivery must never break the request that queued the mail
        log.exception("could not hand the outbox to the worker; the periodic retry will")
        db.session.rollback()


# --- E-mails written by the worker ------------------------------------------------------------
#
# A use case that decides to mail hundreds of people (a new ad and every saved search that finds
# it) records that decision as one OutboxJob in its transaction; rendering the e-mails is left
# to the worker. Each kind of job has one writer, registered with @email_writer(kind).

EmailWriter = Callable[..., int]
_writers: dict[str, EmailWriter] = {}


def email_writer(kind: str) -> Callable[[EmailWriter], EmailWriter]:
    """Register the function that writes the e-mails of jobs of this kind (see defer_emails).

    It is called with the job's payload as keyword arguments inside the worker's transaction,
    queues its e-mails with queue_email (whose keys make a repeated call harmless), does not
    commit, and returns how many it queued.
    """

    def register(writer: EmailWriter) -> EmailWriter:
        _writers[kind] = writer
        return writer

    return register


def defer_emails(kind: str, **payload) -> OutboxJob:
    """Record, in the caller's transaction, e-mails the worker is to write (payload: JSON values).

    Call dispatch() after the commit, as for queue_email.
    """
    if kind not in _writers:
        raise ValueError(f"no e-mail writer for {kind!r}")
    job = OutboxJob(kind=kind, payload=payload)
    db.session.add(job)
    return job


def write_deferred(limit: int = 20) -> int:
    """Write the e-mails of due jobs into the outbox, one transaction per job; returns jobs done.

    A job is deleted in the transaction that adds its e-mails. A failing writer is retried with
    back-off (its transaction rolled back, nothing half-written), and given up after MAX_ATTEMPTS.
    """
    claimed, _until = _claim(OutboxJob, limit)
    done = 0
    for job_id in claimed:
        job = db.session.get(OutboxJob, job_id)
        if job is None:
            continue
        kind, attempts = job.kind, job.attempts
        try:
            _writers[kind](**job.payload)
            db.session.execute(
                sa.delete(OutboxJob).where(OutboxJob.id == job_id),
                execution_options=NO_SESSION_SYNC,
            )
            db.session.commit()
        except Exception as error:  # a broken job must not hold back the others
            db.session.rollback()
            log.exception("could not write the e-mails of job %s (%s)", job_id, kind)
            _failed(OutboxJob, job_id, attempts, error)
            continue
        done += 1
    return done


def _claimable(model: type[Claimable], now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        model.status == OutboxStatus.PENDING,
        sa.or_(model.claimed_until.is_(None), model.claimed_until < now),
    )


def _claim(model: type[Claimable], limit: int) -> tuple[list[int], datetime]:
    """Claim due rows (outbox e-mails or jobs) for this process; their ids, and until when.

    One UPDATE ... RETURNING: the statement re-checks that each row is still claimable when it
    writes it, so two workers never claim the same row (PostgreSQL's SKIP LOCKED lets the second
    take the next rows instead of waiting; SQLite runs one writer at a time).
    """
    now = utcnow()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    due = (
        sa.select(model.id)
        .where(_claimable(model, now), model.next_attempt_at <= now)
        .order_by(model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        sa.update(model)
        .where(model.id.in_(due), _claimable(model, now))
        .values(claimed_until=until)
        .returning(model.id),
        execution_options=NO_SESSION_SYNC,
    ).all()
    db.session.commit()
    return sorted(claimed), until


def _failed(model: type[Claimable], row_id: int, attempts: int, error: Exception):
    """Count a failed attempt: retry with back-off, or give up after MAX_ATTEMPTS."""
    values: dict = {
        "attempts": attempts + 1,
        "last_error": f"{type(error).__name__}: {error}"[:2000],
        "claimed_until": None,
    }
    if attempts + 1 >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=30 * 2**attempts)
    db.session.execute(
        sa.update(model).where(model.id == row_id).values(**values),
        execution_options=NO_SESSION_SYNC,
    )
    db.session.commit()


def _claim_due(limit: int) -> tuple[list[sa.Row], datetime]:
    """Claim due outbox rows; what a message is made of, and until when the claim holds."""
    claimed, until = _claim(OutboxEmail, limit)
    if not claimed:
        return [], until
    rows = db.session.execute(
        sa.select(
            OutboxEmail.id,
            OutboxEmail.key,
            OutboxEmail.recipient,
            OutboxEmail.subject,
            OutboxEmail.text_body,
            OutboxEmail.html_body,
            OutboxEmail.headers,
            OutboxEmail.attempts,
        )
        .where(OutboxEmail.id.in_(claimed))
        .order_by(OutboxEmail.id)
    ).all()
    db.session.commit()  # end the read: no transaction stays open while the mails go out
    return list(rows), until


def _mark_sent(ids: list[int]) -> None:
    if ids:
        db.session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids))
            .values(
                status=OutboxStatus.SENT,
                sent_at=utcnow(),
                attempts=OutboxEmail.attempts + 1,
                claimed_until=None,
            ),
            execution_options=NO_SESSION_SYNC,
        )
    db.session.commit()
    ids.clear()


def _release(ids: list[int]) -> None:
    """Give claimed rows back unsent (the claim is about to run out): another run sends them."""
    if ids:
        db.session.execute(
            sa.update(OutboxEmail).where(OutboxEmail.id.in_(ids)).values(claimed_until=None),
            execution_options=NO_SESSION_SYNC,
        )
        db.session.commit()


def deliver_due(limit: int = 200) -> int:
    """Send due outbox rows, over MAIL_CONNECTIONS connections; returns how many were delivered.

    Sent rows are marked in batches of SENT_BATCH, one UPDATE and commit each: a crash between
    handing messages to the server and that commit sends at most SENT_BATCH messages again
    (each with the same Message-ID). A message is never lost, and no two workers send the same
    row: the claim is exclusive, and a worker stops sending CLAIM_MARGIN before its claim runs
    out, so another worker cannot take over a row it might still send.
    """
    rows, until = _claim_due(limit)
    if not rows:
        return 0
    config = current_app.config
    connections = config["MAIL_CONNECTIONS"] if config["MAIL_BACKEND"] == "smtp" else 1
    seconds_left = (until - utcnow()).total_seconds() - CLAIM_MARGIN
    unsent = {row.id for row in rows}
    sent: list[int] = []
    delivered = 0
    try:
        for row, error in send_all(
            rows, connections=connections, stop_at=time.monotonic() + seconds_left
        ):
            unsent.discard(row.id)
            if error is not None:
                _failed(OutboxEmail, row.id, row.attempts, error)
                continue
            sent.append(row.id)
            delivered += 1
            if len(sent) >= SENT_BATCH:
                _mark_sent(sent)
        _mark_sent(sent)
    finally:
        if unsent:  # not tried in time (or this run failed): the next run sends them
            try:
                _release(sorted(unsent))
            except sa.exc.SQLAlchemyError:
                db.session.rollback()  # the claims run out by themselves after CLAIM_SECONDS
    return delivered


# --- The worker's tasks -----------------------------------------------------------------------


def _deliver_everything_due() -> int:
    """Write the e-mails of deferred jobs into the outbox, then deliver everything due."""
    while write_deferred():
        pass
    total = 0
    while sent := deliver_due():
        total += sent
    return total


@huey.task()
def deliver_outbox() -> int:
    """Write and deliver what is due now (queued by dispatch() right after a use case commits)."""
    with app_context():
        return _deliver_everything_due()


@huey.periodic_task(crontab(minute="*"))
def retry_outbox() -> int:
    """Every minute: jobs and rows whose back-off has passed, and those left behind by a crash."""
    with app_context():
        return _deliver_everything_due()


# --- E-mail given up on -----------------------------------------------------------------------


def failed_emails(limit: int = 200) -> list[OutboxEmail]:
    """E-mails given up on after MAX_ATTEMPTS, newest first (for site administrators)."""
    return list(
        db.session.scalars(
            sa.select(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.FAILED)
            .order_by(OutboxEmail.id.desc())
            .limit(limit)
        )
    )


def requeue_failed(ids: list[int] | None = None) -> int:
    """Queue failed e-mails (and failed e-mail jobs) again, all of them or those with these ids;
    returns how many e-mails were queued again.

    Idempotent: only rows still marked failed change, so running it twice (or two
    administrators at once) queues each once. The row stays the same, so the message keeps its
    Message-ID: a receiver that got an earlier attempt after all can tell it is the same mail.
    """
    values = {
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "claimed_until": None,
    }
    emails = sa.update(OutboxEmail).where(OutboxEmail.status == OutboxStatus.FAILED)
    if ids is not None:
        emails = emails.where(OutboxEmail.id.in_(ids))
    queued = db.session.execute(emails.values(**values), execution_options=NO_SESSION_SYNC)
    if ids is None:
        db.session.execute(
            sa.update(OutboxJob).where(OutboxJob.status == OutboxStatus.FAILED).values(**values),
            execution_options=NO_SESSION_SYNC,
        )
    db.session.commit()
    count = queued.rowcount or 0
    if count:
        log.warning("%d failed e-mail(s) queued again", count)
    dispatch()
    return count
