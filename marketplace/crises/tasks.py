"""The crises' daily alert digest (Huey), at 07:00 Swedish time like the saved searches'."""

from __future__ import annotations

from marketplace.alerts.tasks import DAILY_SCHEDULE
from marketplace.crises import services
from marketplace.extensions import huey
from marketplace.worker import app_context


@huey.periodic_task(DAILY_SCHEDULE)
def send_crisis_digests() -> int:
    """Every morning while a crisis lasts: its new needs to the organisations with crisis alerts."""
    with app_context():
        return services.send_digests()
