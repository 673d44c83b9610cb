"""Daily retention jobs (Huey): unconfirmed accounts after 7 days, mail log rows after 12 months."""

from __future__ import annotations

from huey import crontab

from marketplace.extensions import huey
from marketplace.privacy import services
from marketplace.worker import app_context


@huey.periodic_task(crontab(hour="3", minute="0"))
def remove_unconfirmed_accounts() -> int:
    """Every night (03:00 UTC): accounts never confirmed within seven days."""
    with app_context():
        return services.remove_unconfirmed_accounts()


@huey.periodic_task(crontab(hour="3", minute="15"))
def remove_old_mail() -> int:
    """Every night (03:15 UTC): outbox rows (the mail log) older than twelve months."""
    with app_context():
        return services.remove_old_mail()
