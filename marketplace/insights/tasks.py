"""The daily outcome questions, as a periodic Huey task (the work is services.ask_about_expired_ads)."""

from __future__ import annotations

from huey import crontab

from marketplace.extensions import huey
from marketplace.insights import outcomes
from marketplace.worker import app_context


@huey.periodic_task(crontab(hour="7", minute="30"))
def ask_about_expired_ads() -> int:
    """Every morning (07:30 UTC): ask about ads that expired yesterday and newly closed ads."""
    with app_context():
        return outcomes.ask_about_expired_ads()
