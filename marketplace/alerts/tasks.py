"""Periodic saved-search digests (Huey): daily at 07:00 and Mondays at 07:00, Swedish time."""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from marketplace.alerts import services
from marketplace.clock import STOCKHOLM
from marketplace.extensions import huey
from marketplace.worker import app_context


def in_stockholm(schedule):
    """A crontab read on Swedish wall-clock time, summer and winter alike.

    Huey hands periodic tests a naive UTC timestamp (its `utc` default); plain crontab() would
    run 07:00 UTC, which is 08:00 or 09:00 in Sweden.
    """

    def validate(timestamp: datetime) -> bool:
        local = timestamp.replace(tzinfo=UTC).astimezone(STOCKHOLM).replace(tzinfo=None)
        return schedule(local)

    return validate


DAILY_SCHEDULE = in_stockholm(crontab(minute="0", hour="7"))
WEEKLY_SCHEDULE = in_stockholm(crontab(minute="0", hour="7", day_of_week="1"))


@huey.periodic_task(DAILY_SCHEDULE)
def send_daily_digests() -> int:
    """Every morning: new ads for the daily saved searches."""
    with app_context():
        return services.send_daily_digests()


@huey.periodic_task(WEEKLY_SCHEDULE)
def send_weekly_digests() -> int:
    """Monday mornings: new ads for the weekly saved searches."""
    with app_context():
        return services.send_weekly_digests()
