"""Nightly clean-up (Huey): log-ins past the remember-me lifetime, and old double-click claims."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from marketplace.accounts.models import LoginSession
from marketplace.accounts.services import login_lifetime
from marketplace.clock import utcnow
from marketplace.extensions import db, huey
from marketplace.submissions import WINDOW_SECONDS, Submission
from marketplace.worker import app_context


def prune_logins_and_submissions() -> tuple[int, int]:
    """Delete log-ins older than the remember-me lifetime (they have ended: no cookie lasts
    longer) and submission claims past their window; how many of each."""
    logins = db.session.execute(
        sa.delete(LoginSession).where(LoginSession.created_at < utcnow() - login_lifetime())
    ).rowcount
    claims = db.session.execute(
        sa.delete(Submission).where(
            Submission.created_at < utcnow() - timedelta(seconds=WINDOW_SECONDS)
        )
    ).rowcount
    db.session.commit()
    return logins or 0, claims or 0


@huey.periodic_task(crontab(hour="3", minute="30"))
def prune_logins() -> tuple[int, int]:
    """Every night (03:30 UTC)."""
    with app_context():
        return prune_logins_and_submissions()
