"""The daily expiry reminders, as a periodic Huey task (the work is services.send_expiry_reminders)."""

from __future__ import annotations

from huey import crontab

from marketplace.extensions import huey
from marketplace.worker import app_context


@huey.periodic_task(crontab(hour="6", minute="15"))
def send_expiry_reminders() -> int:
    """Every morning (06:15 UTC): remind organisations of ads that expire in seven days."""
    from marketplace.matching import services  # at run time: the worker imports tasks first

    with app_context():
        return services.send_expiry_reminders()
