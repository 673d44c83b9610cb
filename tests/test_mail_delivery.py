"""Delivery that loses nothing: concurrent workers, and the real worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.models import OutboxEmail, OutboxStatus

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared_database_url(tmp_path):
    """A database that several connections, threads and processes really share."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def shared_app(shared_database_url, smtp_server):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=shared_database_url.replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_server.hostname,
        MAIL_PORT=smtp_server.port,
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        smtp_server.handler.messages.clear()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _queue_many(count: int) -> None:
    for number in range(count):
        services.queue_email(
            key=f"bulk:{number}",
            to=f"r{number}@example.com",
            template="test_message",
            name=f"Mottagare {number}",
        )
    db.session.commit()


def test_two_workers_at_once_send_each_mail_exactly_once(shared_app, smtp_server):
    outbox = smtp_server.handler.messages
    _queue_many(40)

    def worker() -> None:
        with shared_app.app_context():
            while services.deliver_due(limit=5):
                pass
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    recipients = [message["To"] for message in outbox]
    assert sorted(recipients) == sorted(f"r{n}@example.com" for n in range(40))
    statuses = db.session.scalars(sa.select(OutboxEmail.status)).all()
    assert set(statuses) == {OutboxStatus.SENT}


@pytest.mark.slow
def test_the_worker_process_delivers_what_was_queued_while_it_was_stopped(
    shared_app, shared_database_url, smtp_server, tmp_path
):
    outbox = smtp_server.handler.messages
    _queue_many(3)
    environment = {
        **os.environ,
        "DATABASE_URL": shared_database_url,
        "SECRET_KEY": "worker-test-secret",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": str(smtp_server.port),
        "HUEY_SQLITE_PATH": str(tmp_path / "tasks.db"),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "1"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while len(outbox) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert sorted(message["To"] for message in outbox) == [
        "r0@example.com",
        "r1@example.com",
        "r2@example.com",
    ]
