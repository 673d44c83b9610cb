"""One click, one row: a form that creates something, submitted twice at once, is done once.

A double click, an impatient second click or a browser's retry sends the same POST twice,
often at the same moment; each request alone passes every check, and two ads, messages or
saved searches result. `@submitted_once` on a view that creates something claims the
submission first: a row keyed by the person and a fingerprint of the URL and the form (the
CSRF token left out), unique in the database, so of two identical POSTs only one claims it.
The other waits (up to WAIT_SECONDS) for the first to finish and then gets the first one's
answer: the same redirect (or, when the first answered an htmx request with a fragment, 204:
htmx leaves the page as the first answer made it), and nothing created twice. If the first
failed (its input was wrong: 422), the claim is dropped and the second runs as usual, getting
the same error. A claim counts for WINDOW_SECONDS: the same message sent again a minute later is sent.
"""

from __future__ import annotations

import functools
import hashlib
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response, make_response, request
from flask_login import current_user

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.htmx import redirect_target, see_other

WINDOW_SECONDS = 10
WAIT_SECONDS = 10.0
IN_FLIGHT, DONE_IN_PLACE = "", "="  # `location` while the first runs; after a fragment answer


class Submission(db.Model):
    __table_args__ = (sa.UniqueConstraint("user_id", "fingerprint"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    location: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


def _fingerprint() -> str:
    digest = hashlib.sha256(request.path.encode())
    for key, value in sorted(request.form.items(multi=True)):
        if key.endswith("csrf_token"):
            continue
        digest.update(b"\0" + key.encode() + b"\0" + value.encode())
    return digest.hexdigest()


def _claim(user_id: int, fingerprint: str) -> bool:
    """True when this request is the first with this submission (in the window)."""
    db.session.execute(
        sa.delete(Submission).where(
            Submission.user_id == user_id,
            Submission.created_at < utcnow() - timedelta(seconds=WINDOW_SECONDS),
        ),
        execution_options={"synchronize_session": False},
    )
    try:
        db.session.execute(sa.insert(Submission).values(user_id=user_id, fingerprint=fingerprint))
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return False
    return True


def _first_answer(user_id: int, fingerprint: str) -> str | None:
    """Wait for the first request's redirect; None when it did not redirect (or took too long)."""
    deadline = time.monotonic() + WAIT_SECONDS
    query = sa.select(Submission.location).where(
        Submission.user_id == user_id, Submission.fingerprint == fingerprint
    )
    while time.monotonic() < deadline:
        location = db.session.scalar(query)
        db.session.rollback()  # a fresh snapshot for the next look
        if location is None:
            return None  # the first gave its claim up: run this one as usual
        if location != IN_FLIGHT:
            return location
        time.sleep(0.05)
    return None


def _settle(user_id: int, fingerprint: str, location: str | None) -> None:
    claim = sa.and_(Submission.user_id == user_id, Submission.fingerprint == fingerprint)
    if location is not None:
        db.session.execute(sa.update(Submission).where(claim).values(location=location[:500]))
    else:
        db.session.execute(sa.delete(Submission).where(claim))
    db.session.commit()


def submitted_once(view):
    """For a POST view that creates something: identical submissions at once are done once."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST" or not current_user.is_authenticated:
            return view(*args, **kwargs)
        user_id, fingerprint = current_user.id, _fingerprint()
        if not _claim(user_id, fingerprint):
            location = _first_answer(user_id, fingerprint)
            if location == DONE_IN_PLACE:
                return Response(status=204)
            if location:
                return see_other(location)
            return view(*args, **kwargs)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            _settle(user_id, fingerprint, None)
            raise
        if response.status_code >= 400:
            _settle(user_id, fingerprint, None)  # nothing was done: a twin runs as usual
        else:
            _settle(user_id, fingerprint, redirect_target(response) or DONE_IN_PLACE)
        return response

    return wrapper
