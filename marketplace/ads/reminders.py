"""The expiry reminder: members are told REMINDER_DAYS before an open ad's last day, by a
periodic task every morning, so that they can renew it (or close it) in time."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from huey import crontab

from marketplace.ads.models import Ad, open_ads_condition
from marketplace.clock import swedish_date
from marketplace.clock import today as swedish_today
from marketplace.extensions import db, huey
from marketplace.notifications import services as notifications
from marketplace.urls import ad_url
from marketplace.worker import app_context

REMINDER_DAYS = 7  # the expiry reminder goes out this many days before an ad's last day


def send_expiry_reminders(today: date | None = None) -> int:
    """Remind members REMINDER_DAYS before an open ad's last day; returns the e-mails queued.

    Once per ad, expiry date and member (the outbox key). A missed day is caught up, as long as
    the ad was published at least REMINDER_DAYS before its last day (a three-day ad needs none).
    """
    day = today or swedish_today()
    ads = db.session.scalars(
        sa.select(Ad)
        .where(
            open_ads_condition(),  # open, and not hidden by a moderator
            Ad.expires_on > day,
            Ad.expires_on <= day + timedelta(days=REMINDER_DAYS),
        )
        .options(so.selectinload(Ad.organisation))
        .order_by(Ad.expires_on, Ad.id)
    ).all()
    queued = 0
    for ad in ads:
        if swedish_date(ad.published_at) > ad.expires_on - timedelta(days=REMINDER_DAYS):
            continue
        queued += notifications.email_members(
            ad.organisation_id,
            key=f"expiry:{ad.id}:{ad.expires_on.isoformat()}",
            template="ad_expiring",
            headers=notifications.AUTOMATIC,
            ad=ad,
            ad_url=ad_url(ad, external=True),
            days_left=(ad.expires_on - day).days,
        )
    db.session.commit()
    notifications.dispatch()  # after the commit: never mail about a rolled-back reminder
    return queued


@huey.periodic_task(crontab(hour="6", minute="15"))
def send_daily_reminders() -> int:
    """Every morning (06:15 UTC): remind organisations of ads that expire in seven days."""
    with app_context():
        return send_expiry_reminders()
