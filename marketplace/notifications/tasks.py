"""Background delivery of the e-mail outbox (Huey tasks), and the worker that runs them."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, has_app_context
from huey import crontab

from marketplace.extensions import huey

log = logging.getLogger(__name__)
_worker_app: Flask | None = None


def _app_context():
    """Tasks run inside a request (immediate mode) or in the worker, which owns an app."""
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:
        raise RuntimeError("no Flask app for the task: start it with `flask --app app worker`")
    return _worker_app.app_context()


def _deliver_everything_due() -> int:
    """Write the e-mails of deferred jobs into the outbox, then deliver everything due."""
    from marketplace.notifications.services import deliver_due, write_deferred

    while write_deferred():
        pass
    total = 0
    while sent := deliver_due():
        total += sent
    return total


@huey.task()
def deliver_outbox() -> int:
    """Write and deliver what is due now (queued right after a use case commits)."""
    with _app_context():
        return _deliver_everything_due()


@huey.periodic_task(crontab(minute="*"))
def retry_outbox() -> int:
    """Every minute: jobs and rows whose back-off has passed, and those left behind by a crash."""
    with _app_context():
        return _deliver_everything_due()


def run_worker(app: Flask, workers: int = 2) -> None:
    """Run the Huey consumer in this process with `app` for the tasks' app context."""
    global _worker_app
    _worker_app = app
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    deliver_outbox()  # the backlog goes out at start, not at the next periodic retry
    consumer.run()


def init_app(app: Flask) -> None:
    import click

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Worker threads.")
    def worker(workers: int) -> None:
        """Deliver e-mail and run the periodic jobs (the task queue's consumer)."""
        run_worker(current_app._get_current_object(), workers=workers)  # type: ignore[attr-defined]
