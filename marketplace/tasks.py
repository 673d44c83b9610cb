"""Every domain's background tasks, imported in one place, and the worker that runs them."""

from __future__ import annotations

from flask import Flask

from marketplace import worker
from marketplace.accounts import tasks as account_tasks  # noqa: F401
from marketplace.ads import reminders  # noqa: F401
from marketplace.alerts import tasks as alert_tasks  # noqa: F401
from marketplace.crises import tasks as crisis_tasks  # noqa: F401
from marketplace.extensions import huey
from marketplace.insights import tasks as insight_tasks  # noqa: F401
from marketplace.notifications import services as notifications
from marketplace.privacy import tasks as privacy_tasks  # noqa: F401


def run_worker(app: Flask, workers: int = 2) -> None:
    """Run the Huey consumer in this process with `app` for the tasks' app context."""
    worker.bind(app)
    if app.config["SEARCH_ENGINE"] == "tantivy":
        from marketplace.search import engine

        engine.start_follower(app)  # this machine's search index writer: builds, then follows
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    notifications.deliver_outbox()  # the backlog goes out at start, not at the next retry
    consumer.run()
